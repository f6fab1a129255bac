/**
 * Spark settings a Spark user passes as `--conf KEY=VALUE` (the streaming programming guide's
 * Performance Tuning, Deploying and Fault-tolerance sections name them), and where each one is
 * set in Sluice: a StreamingContext option in the job, a connector's option, or a sluice
 * command's option. `value` is what the user gave after `=` (undefined without one).
 */
const SPARK_CONF_KEYS: Readonly<Record<string, (value: string) => string>> = {
  'spark.streaming.blockInterval': (v) => `new StreamingContext(sc, batch, { blockInterval: '${v}' }) in the job`,
  'spark.streaming.receiver.maxRate': (v) => `new StreamingContext(sc, batch, { receiverMaxRate: ${v} }) in the job`,
  'spark.streaming.backpressure.enabled': (v) => `new StreamingContext(sc, batch, { backpressure: ${v} }) in the job`,
  'spark.streaming.backpressure.initialRate': (v) => `new StreamingContext(sc, batch, { backpressure: { initialRate: ${v} } }) in the job`,
  'spark.streaming.receiver.writeAheadLog.enable': (v) => `new StreamingContext(sc, batch, { writeAheadLog: ${v} }) in the job, with ssc.checkpoint(dir)`,
  'spark.streaming.concurrentJobs': (v) => `new StreamingContext(sc, batch, { concurrentJobs: ${v} }) in the job`,
  'spark.streaming.kafka.maxRatePerPartition': (v) => `KafkaUtils.createDirectStream(ssc, { ..., maxRatePerPartition: ${v} }) of @sluice/kafka in the job`,
  'spark.streaming.stopGracefullyOnShutdown': () => "'sluice run --stop-gracefully-on-shutdown' (a job on a standing driver: 'sluice stop --graceful JOB')",
  'spark.streaming.kinesis.retry.waitTime': (v) => `KinesisInputDStream.builder()...retryWait(ms) of @sluice/kinesis in the job (milliseconds: '${v}' given; default 1000)`,
  'spark.streaming.kinesis.retry.maxAttempts': () => "no limit to set: @sluice/kinesis's readers retry a failed GetRecords every retryWait until it succeeds (a throttled one silently, others reported as receiver errors); remove it",
  'spark.speculation': () => "'--speculation' on 'sluice run' and 'sluice driver' (and --speculation-quantile, --speculation-multiplier, --speculation-min-runtime)",
  'spark.driver.maxResultSize': (v) => `'--max-result-size ${v}' on 'sluice run' and 'sluice driver'`,
};

/** The `--conf` argument in `argv` (`--conf KEY=VALUE` or `--conf=KEY=VALUE`), split at its first `=`. */
export function confArgument(argv: readonly string[]): { key: string; value: string } | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const given = a === '--conf' ? argv[i + 1] : a.startsWith('--conf=') ? a.slice('--conf='.length) : undefined;
    if (given === undefined) continue;
    const eq = given.indexOf('=');
    return eq < 0 ? { key: given, value: '' } : { key: given.slice(0, eq), value: given.slice(eq + 1) };
  }
  return undefined;
}

/** Where Sluice sets the Spark setting `--conf` was given, or undefined for a key not listed. */
export function sparkConfInstead(argv: readonly string[]): string | undefined {
  const conf = confArgument(argv);
  if (conf === undefined) return undefined;
  const where = SPARK_CONF_KEYS[conf.key];
  return where === undefined ? undefined : `for ${conf.key}, ${where(conf.value === '' ? '...' : conf.value)}`;
}
