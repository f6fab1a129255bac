// Type-level test compiled with exactOptionalPropertyTypes (tsconfig.exact.json, run by
// packages/core/test/types/type-tests.test.ts; never run): a user whose tsconfig turns it on
// passes an option they hold as `T | undefined` (`{ minRate: cfg.minRate }`) to every public
// options type of core and the connectors, and undefined means the default. NoOptionLacksUndefined
// names any optional field, present or added later, typed without `| undefined`.
import { StreamingContext, type CombineByKeyOptions, type DashboardOptions, type DStream, type FileStreamOptions, type ForeachRDDOptions, type GetOrCreateOptions, type StopOptions, type PartitionArg, type PIDSettings, type PipeOptions, type RDD, type SchedulerModeOptions, type SluiceContext, type SocketTextStreamOptions, type StreamingContextOptions, type WriteAheadLogOptions, type BackpressureOptions, type Receiver } from '@sluice/core';
import type { FlumePollingOptions, FlumeStreamOptions } from '@sluice/flume';
import type { DecodeRecordsOptions, DirectStreamOptions, KafkaConnection, KafkaParams, KafkaSinkRecord, KafkaSsl, LocationStrategy, SaveToKafkaOptions, TransactionalKafkaOptions, ValueStringsOptions } from '@sluice/kafka';
import type { KinesisCredentials } from '@sluice/kinesis';
import type { MQTTStreamOptions } from '@sluice/mqtt';
import type { PostgresRDDOptions, SaveToPostgresOptions } from '@sluice/postgres';
import type { SaveToRedisOptions } from '@sluice/redis';
import type { S3Options } from '@sluice/s3';

/** A value the user's program holds as possibly undefined (never called: the file is only compiled). */
declare function maybe<T>(): T | undefined;

type OptionalKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? K : never }[keyof T];
/** The optional keys of T whose type leaves undefined out (under exactOptionalPropertyTypes, Required keeps an explicit `| undefined`). */
type LacksUndefined<T> = { [K in OptionalKeys<T>]-?: undefined extends Required<T>[K] ? never : K }[OptionalKeys<T>];
/** Compiles only when every optional field of T takes undefined. */
function noOptionLacksUndefined<T>(ok: [LacksUndefined<T>] extends [never] ? true : { lacksUndefined: LacksUndefined<T> }): void {
  void ok;
}
type ObjectForm<T> = Extract<T, { readonly numPartitions?: unknown }>;

noOptionLacksUndefined<StreamingContextOptions>(true);
noOptionLacksUndefined<BackpressureOptions>(true);
noOptionLacksUndefined<PIDSettings>(true);
noOptionLacksUndefined<WriteAheadLogOptions>(true);
noOptionLacksUndefined<SocketTextStreamOptions>(true);
noOptionLacksUndefined<GetOrCreateOptions>(true);
noOptionLacksUndefined<StopOptions>(true);
noOptionLacksUndefined<FileStreamOptions>(true);
noOptionLacksUndefined<DashboardOptions>(true);
noOptionLacksUndefined<ForeachRDDOptions>(true);
noOptionLacksUndefined<PipeOptions<string>>(true);
noOptionLacksUndefined<ObjectForm<CombineByKeyOptions>>(true);
noOptionLacksUndefined<ObjectForm<PartitionArg>>(true);
noOptionLacksUndefined<SchedulerModeOptions>(true);
noOptionLacksUndefined<FlumeStreamOptions>(true);
noOptionLacksUndefined<FlumePollingOptions>(true);
noOptionLacksUndefined<KafkaSsl>(true);
noOptionLacksUndefined<KafkaConnection>(true);
noOptionLacksUndefined<DirectStreamOptions>(true);
noOptionLacksUndefined<KafkaParams>(true);
noOptionLacksUndefined<LocationStrategy>(true);
noOptionLacksUndefined<ValueStringsOptions>(true);
noOptionLacksUndefined<DecodeRecordsOptions>(true);
noOptionLacksUndefined<KafkaSinkRecord>(true);
noOptionLacksUndefined<SaveToKafkaOptions>(true);
noOptionLacksUndefined<TransactionalKafkaOptions>(true);
noOptionLacksUndefined<KinesisCredentials>(true);
noOptionLacksUndefined<MQTTStreamOptions>(true);
noOptionLacksUndefined<SaveToPostgresOptions>(true);
noOptionLacksUndefined<PostgresRDDOptions<string>>(true);
noOptionLacksUndefined<SaveToRedisOptions<[string, number]>>(true);
noOptionLacksUndefined<S3Options>(true);
// The check itself fails on a field without `| undefined`.
// @ts-expect-error x is optional and lacks undefined
noOptionLacksUndefined<{ readonly x?: number; readonly y?: number | undefined }>(true);

/** The calls as a user writes them, each option held as possibly undefined. */
export function calls(sc: SluiceContext, lines: DStream<string>, pairs: RDD<[string, number]>, receiver: Receiver<string>): void {
  const ssc = new StreamingContext(sc, '1s', {
    blockInterval: maybe<number>(),
    concurrentJobs: maybe<number>(),
    receiverMaxRate: maybe<number>(),
    backpressure: { initialRate: maybe<number>(), minRate: maybe<number>(), proportional: maybe<number>() },
    writeAheadLog: { rollingInterval: maybe<number>(), maxSegmentBytes: maybe<number>() },
  });
  ssc.textFileStream('in/', { ignoreMissingFiles: maybe<boolean>(), minRememberDuration: maybe<number>() });
  ssc.socketTextStream('localhost', 9999, { maxRecordLength: maybe<number>() });
  ssc.rawSocketStream<string>('localhost', 9999, { maxBlockBytes: maybe<number>() });
  const counts = lines.map((w) => [w, 1] as [string, number]);
  counts.reduceByKeyAndWindow((a, b) => a + b, '30s', '10s', { invFunc: maybe<(a: number, b: number) => number>(), numPartitions: maybe<number>() });
  counts.updateStateByKey((vs: number[], s: number | undefined) => (s ?? 0) + vs.length, { numPartitions: maybe<number>(), initialRDD: maybe<RDD<[string, number]>>() });
  lines.reduceByWindow((a, b) => a + b, '30s', '10s', { invFunc: maybe<(a: string, b: string) => string>() });
  lines.foreachRDD(async () => {}, { checkpointState: maybe<ForeachRDDOptions['checkpointState']>() });
  pairs.reduceByKey((a, b) => a + b, { numPartitions: maybe<number>() });
  pairs.combineByKey((v) => v, (c, v) => c + v, (a, b) => a + b, { numPartitions: maybe<number>(), mapSideCombine: maybe<boolean>() });
  pairs.pipe('cat', { env: maybe<Record<string, string>>(), cwd: maybe<string>() });
  void receiver.store('x', { position: maybe<number>() });
  void ssc.stop({ graceful: maybe<boolean>() });
}
