import { refuseUnknownOptions } from '../util/refuse-unknown-options.js';
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
const WRITE_AHEAD_LOG_KEYS: Record<keyof WriteAheadLogOptions, true> = { rollingInterval: true, maxSegmentBytes: true, fenceKeep: true };

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
  // Spark's receivers start at it even with backpressure off and, with no rate controller to
  // change it, keep to it (RateLimiter.getInitialRateLimit); its guide gives it for backpressure.
  'spark.streaming.backpressure.initialRate': "{ backpressure: { initialRate: N } }; without backpressure Spark's receivers keep to it for good, which is { receiverMaxRate: N }",
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

/** Spark's setting written as a string of seconds ('5'), shown unquoted as the value of 'Ns'. */
const RAW_STRING_KEYS: ReadonlySet<string> = new Set(['spark.streaming.receiver.writeAheadLog.rollingIntervalSecs']);

function refuseUnknownKeys(given: object, knownKeys: Readonly<Record<string, true>>, where: string): void {
  refuseUnknownOptions(given, knownKeys, where, SPARK_NAMES, RAW_STRING_KEYS);
}

/** The StreamingContext's options checked for keys it does not know (before any is read). */
export function checkStreamingContextOptions(options: object): void {
  refuseUnknownKeys(options, OPTION_KEYS, 'new StreamingContext(sc, batchInterval, options)');
  const o = options as { backpressure?: unknown; writeAheadLog?: unknown };
  if (typeof o.backpressure === 'object' && o.backpressure !== null) refuseUnknownKeys(o.backpressure, BACKPRESSURE_KEYS, 'StreamingContext backpressure');
  if (typeof o.writeAheadLog === 'object' && o.writeAheadLog !== null) refuseUnknownKeys(o.writeAheadLog, WRITE_AHEAD_LOG_KEYS, 'StreamingContext writeAheadLog');
}
