import { SluiceError, type DStream, type SparkStorageLevel, type StorageLevel, type StreamingContext } from '@sluice/core';
import { KinesisInputDStream } from './kinesis-input-dstream.js';
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
 */
export const KinesisUtils = {
  createStream: createStream as {
    (ssc: StreamingContext, kinesisAppName: string, streamName: string, endpointUrl: string, regionName: string, initialPositionInStream: InitialPositionInStream, checkpointInterval: number, storageLevel: StorageLevel | SparkStorageLevel): DStream<Buffer>;
    (ssc: StreamingContext, kinesisAppName: string, streamName: string, endpointUrl: string, regionName: string, initialPositionInStream: InitialPositionInStream, checkpointInterval: number, storageLevel: StorageLevel | SparkStorageLevel, awsAccessKeyId: string, awsSecretKey: string): DStream<Buffer>;
    <T>(ssc: StreamingContext, kinesisAppName: string, streamName: string, endpointUrl: string, regionName: string, initialPositionInStream: InitialPositionInStream, checkpointInterval: number, storageLevel: StorageLevel | SparkStorageLevel, messageHandler: Handler<T>): DStream<T>;
    <T>(ssc: StreamingContext, kinesisAppName: string, streamName: string, endpointUrl: string, regionName: string, initialPositionInStream: InitialPositionInStream, checkpointInterval: number, storageLevel: StorageLevel | SparkStorageLevel, messageHandler: Handler<T>, awsAccessKeyId: string, awsSecretKey: string): DStream<T>;
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
  storageLevel: StorageLevel | SparkStorageLevel,
  ...rest: unknown[]
): DStream<unknown> {
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
    .checkpointInterval(checkpointInterval)
    .storageLevel(storageLevel);
  if (rest.length === 2) b.kinesisCredentials({ accessKeyId: rest[0] as string, secretAccessKey: rest[1] as string });
  return handler ? b.buildWithMessageHandler(handler) : b.build();
}
