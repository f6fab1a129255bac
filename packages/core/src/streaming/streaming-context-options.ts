import { SluiceError } from '../errors.js';
import type { BackpressureOptions, StreamingContextOptions, WriteAheadLogOptions } from './streaming-context.js';

// Each options interface's keys, spelt out so the compiler says when one gains a key.
const OPTION_KEYS: Record<keyof StreamingContextOptions, true> = {
  clock: true,
  blockInterval: true,
  concurrentJobs: true,
  writeAheadLog: true,
  receiverMaxBufferedRecords: true,
  checkpointWriteTimeout: true,
  backpressure: true,
  receiverMaxRate: true,
  fallingBehindBatches: true,
};
const BACKPRESSURE_KEYS: Record<keyof BackpressureOptions, true> = { initialRate: true, proportional: true, integral: true, derived: true, minRate: true };
const WRITE_AHEAD_LOG_KEYS: Record<keyof WriteAheadLogOptions, true> = { rollingInterval: true, maxSegmentBytes: true };

const ALWAYS_UNPERSISTED =
  "always on: a batch's RDDs are unpersisted once past their stream's remember duration; to keep them longer, ssc.remember(duration) (or a window)";
const RETAINED_BATCHES = "a driver's setting, not a job's: '--retained-batches N' on 'sluice driver' and 'sluice run'";
const GRACEFUL_ON_SHUTDOWN = "a command's setting, not a job's: 'sluice run --stop-gracefully-on-shutdown' (a job on a standing driver: 'sluice stop --graceful JOB')";
const KAFKA = (option: string): string => `an option of the Kafka stream, not of the StreamingContext: KafkaUtils.createDirectStream(ssc, { ..., ${option} }) of @sluice/kafka`;
const CLOSE_FILE_AFTER_WRITE =
  'nothing to set: the log appends each block to a segment file and fsyncs it before the block is reported (Spark closes the file after each write only for stores without flush, such as S3, where this log cannot go: checkpoint to a shared directory)';

/**
 * Where Sluice has the setting a Spark user may write as a StreamingContext option: Spark's
 * property name (`spark.streaming.blockInterval`) or its last part (`unpersist`).
 */
const SPARK_NAMES: Readonly<Record<string, string>> = {
  'spark.streaming.blockInterval': '{ blockInterval: N }',
  'spark.streaming.receiver.maxRate': '{ receiverMaxRate: N } (records per second per receiver)',
  'spark.streaming.backpressure.enabled': '{ backpressure: true }',
  'spark.streaming.backpressure.initialRate': '{ backpressure: { initialRate: N } }',
  'spark.streaming.backpressure.pid.proportional': '{ backpressure: { proportional: N } }',
  'spark.streaming.backpressure.pid.integral': '{ backpressure: { integral: N } }',
  'spark.streaming.backpressure.pid.derived': '{ backpressure: { derived: N } }',
  'spark.streaming.backpressure.pid.minRate': '{ backpressure: { minRate: N } }',
  'spark.streaming.receiver.writeAheadLog.enable': '{ writeAheadLog: true }, with ssc.checkpoint(dir)',
  'spark.streaming.receiver.writeAheadLog.rollingIntervalSecs': "{ writeAheadLog: { rollingInterval: 'Ns' } }",
  'spark.streaming.concurrentJobs': '{ concurrentJobs: N }',
  'spark.streaming.unpersist': ALWAYS_UNPERSISTED,
  unpersist: ALWAYS_UNPERSISTED,
  'spark.streaming.ui.retainedBatches': RETAINED_BATCHES,
  retainedBatches: RETAINED_BATCHES,
  'spark.streaming.stopGracefullyOnShutdown': GRACEFUL_ON_SHUTDOWN,
  stopGracefullyOnShutdown: GRACEFUL_ON_SHUTDOWN,
  'spark.streaming.kafka.maxRatePerPartition': KAFKA('maxRatePerPartition: N'),
  maxRatePerPartition: KAFKA('maxRatePerPartition: N'),
  'spark.streaming.kafka.minRatePerPartition': KAFKA('minRatePerPartition: N'),
  minRatePerPartition: KAFKA('minRatePerPartition: N'),
  'spark.streaming.kafka.maxRetries': KAFKA('retryTimeoutMs: MS (how long its offset lookups retry a broker)'),
  'spark.streaming.driver.writeAheadLog.closeFileAfterWrite': CLOSE_FILE_AFTER_WRITE,
  'spark.streaming.receiver.writeAheadLog.closeFileAfterWrite': CLOSE_FILE_AFTER_WRITE,
  closeFileAfterWrite: CLOSE_FILE_AFTER_WRITE,
  'spark.streaming.receiver.maxBufferedRecords': '{ receiverMaxBufferedRecords: N }',
  maxRate: '{ receiverMaxRate: N } (records per second per receiver)',
};

/**
 * Refuses a key of `given` that is not one of `known` (a misspelt option, or a Spark property
 * written as an option, would otherwise be taken and ignored): SLUICE_BAD_ARGUMENT naming the
 * key, where Sluice has the setting when it is Spark's, and the options there are.
 */
function refuseUnknownKeys(given: object, knownKeys: Readonly<Record<string, true>>, where: string): void {
  const known = Object.keys(knownKeys);
  for (const key of Object.keys(given)) {
    if (known.includes(key)) continue;
    const spark = SPARK_NAMES[key];
    // N in the setting stands for the value given, when it is a plain one.
    const v: unknown = (given as Record<string, unknown>)[key];
    const shown = typeof v === 'number' || typeof v === 'boolean' ? String(v) : typeof v === 'string' && key !== 'spark.streaming.receiver.writeAheadLog.rollingIntervalSecs' ? `'${v}'` : typeof v === 'string' ? v : 'N';
    const instead = spark === undefined ? '' : ` (Spark's setting; in Sluice: ${spark.replace(/\bN\b/g, shown)})`;
    throw new SluiceError('SLUICE_BAD_ARGUMENT', `${where}: unknown option '${key}'${instead}; the options are ${known.join(', ')}`);
  }
}

/** The StreamingContext's options checked for keys it does not know (before any is read). */
export function checkStreamingContextOptions(options: object): void {
  refuseUnknownKeys(options, OPTION_KEYS, 'new StreamingContext(sc, batchInterval, options)');
  const o = options as { backpressure?: unknown; writeAheadLog?: unknown };
  if (typeof o.backpressure === 'object' && o.backpressure !== null) refuseUnknownKeys(o.backpressure, BACKPRESSURE_KEYS, 'StreamingContext backpressure');
  if (typeof o.writeAheadLog === 'object' && o.writeAheadLog !== null) refuseUnknownKeys(o.writeAheadLog, WRITE_AHEAD_LOG_KEYS, 'StreamingContext writeAheadLog');
}
