import { SluiceError, StorageLevel, type DStream, type SparkStorageLevel, type StreamingContext } from '@sluice/core';
import { KinesisInputDStream, type KinesisMetricsLevel } from './kinesis-input-dstream.js';
import type { KinesisRecord } from './kinesis-record.js';

/** Spark's (the KCL's) InitialPositionInStream, for KinesisUtils.createStream: LATEST or TRIM_HORIZON. */
export const InitialPositionInStream = { LATEST: 'LATEST', TRIM_HORIZON: 'TRIM_HORIZON' } as const;
export type InitialPositionInStream = (typeof InitialPositionInStream)[keyof typeof InitialPositionInStream];

type Handler<T> = (record: KinesisRecord) => T;

/**
 * Spark's older KinesisUtils.createStream forms (Scala's, and PySpark's positional ones), each
 * a KinesisInputDStream.builder() with those settings: (ssc, kinesisAppName, streamName,
 * endpointUrl, regionName, initialPositionInStream, checkpointInterval, storageLevel) and
 * then optionally a messageHandler and/or awsAccessKeyId, awsSecretKey. Without a handler the
 * records are their payload Buffers (Scala's Array[Byte]; PySpark decodes them as UTF-8: map
 * with `(b) => b.toString('utf8')`). The initial position is InitialPositionInStream.LATEST or
 * TRIM_HORIZON (Spark's old API takes no timestamp: use the builder's initialPosition for one).
 * PySpark's form has a MetricsLevel before the storage level, (..., checkpointInterval,
 * metricsLevel, storageLevel[, awsAccessKeyId, awsSecretKey]), as its test_kinesis_stream_api
 * calls it; MetricsLevel.NONE is honoured, SUMMARY and DETAILED (PySpark's default) are refused
 * as the builder's metricsLevel refuses them (Sluice sends no CloudWatch metrics).
 * checkpointInterval is in milliseconds (PySpark's in seconds).
 */
export const KinesisUtils = {
  createStream: createStream as {
    (ssc: StreamingContext, kinesisAppName: string, streamName: string, endpointUrl: string, regionName: string, initialPositionInStream: InitialPositionInStream, checkpointInterval: number, storageLevel: StorageLevel | SparkStorageLevel): DStream<Buffer>;
    (ssc: StreamingContext, kinesisAppName: string, streamName: string, endpointUrl: string, regionName: string, initialPositionInStream: InitialPositionInStream, checkpointInterval: number, storageLevel: StorageLevel | SparkStorageLevel, awsAccessKeyId: string, awsSecretKey: string): DStream<Buffer>;
    <T>(ssc: StreamingContext, kinesisAppName: string, streamName: string, endpointUrl: string, regionName: string, initialPositionInStream: InitialPositionInStream, checkpointInterval: number, storageLevel: StorageLevel | SparkStorageLevel, messageHandler: Handler<T>): DStream<T>;
    <T>(ssc: StreamingContext, kinesisAppName: string, streamName: string, endpointUrl: string, regionName: string, initialPositionInStream: InitialPositionInStream, checkpointInterval: number, storageLevel: StorageLevel | SparkStorageLevel, messageHandler: Handler<T>, awsAccessKeyId: string, awsSecretKey: string): DStream<T>;
    (ssc: StreamingContext, kinesisAppName: string, streamName: string, endpointUrl: string, regionName: string, initialPositionInStream: InitialPositionInStream, checkpointInterval: number, metricsLevel: KinesisMetricsLevel, storageLevel?: StorageLevel | SparkStorageLevel): DStream<Buffer>;
    (ssc: StreamingContext, kinesisAppName: string, streamName: string, endpointUrl: string, regionName: string, initialPositionInStream: InitialPositionInStream, checkpointInterval: number, metricsLevel: KinesisMetricsLevel, storageLevel: StorageLevel | SparkStorageLevel, awsAccessKeyId: string, awsSecretKey: string): DStream<Buffer>;
  },
} as const;

function createStream(
  ssc: StreamingContext,
  kinesisAppName: string,
  streamName: string,
  endpointUrl: string,
  regionName: string,
  initialPositionInStream: InitialPositionInStream,
  checkpointInterval: number,
  storageLevelOrMetrics: StorageLevel | SparkStorageLevel | KinesisMetricsLevel,
  ...rest: unknown[]
): DStream<unknown> {
  // PySpark's form: a MetricsLevel where Scala's has the storage level. 'NONE' names a storage
  // level too: it is PySpark's MetricsLevel.NONE when a storage level follows it.
  const m = storageLevelOrMetrics;
  const pySpark = m === 'SUMMARY' || m === 'DETAILED' || (m === 'NONE' && isStorageLevel(rest[0]));
  const metricsLevel = pySpark ? (m as KinesisMetricsLevel) : undefined;
  const storageLevel = pySpark ? (rest.length > 0 ? (rest.shift() as StorageLevel | SparkStorageLevel) : undefined) : (m as StorageLevel | SparkStorageLevel);
  const handler = typeof rest[0] === 'function' ? (rest.shift() as Handler<unknown>) : undefined;
  if (rest.length !== 0 && rest.length !== 2) {
    throw new SluiceError('SLUICE_BAD_ARGUMENT', `KinesisUtils.createStream: ${rest.length} arguments after storageLevel${handler ? ' and messageHandler' : ''} are not valid: give none, or awsAccessKeyId and awsSecretKey`);
  }
  const b = KinesisInputDStream.builder()
    .streamingContext(ssc)
    .checkpointAppName(kinesisAppName)
    .streamName(streamName)
    .endpointUrl(endpointUrl)
    .regionName(regionName)
    .initialPositionInStream(initialPositionInStream)
    .checkpointInterval(checkpointInterval);
  if (metricsLevel !== undefined) b.metricsLevel(metricsLevel);
  if (storageLevel !== undefined) b.storageLevel(storageLevel);
  if (rest.length === 2) b.kinesisCredentials({ accessKeyId: rest[0] as string, secretAccessKey: rest[1] as string });
  return handler ? b.buildWithMessageHandler(handler) : b.build();
}

function isStorageLevel(v: unknown): boolean {
  return v instanceof StorageLevel || (typeof v === 'string' && (StorageLevel as unknown as Record<string, unknown>)[v] instanceof StorageLevel);
}
