import { DStream, RDD, SluiceError } from '@sluice/core';
import { cachedProducer, dropProducer } from './client-cache.js';
import { connectionParams, type ConnectionParams, type KafkaConnection } from './kafka-params.js';

/** What `toRecord` makes of each element: the Kafka record to write. */
export interface KafkaSinkRecord {
  readonly value: string | Buffer | null;
  readonly key?: string | Buffer | null;
  readonly headers?: Readonly<Record<string, string | Buffer>>;
  /** A partition of the topic; default: by key hash (or round robin without a key), as the producer does. */
  readonly partition?: number;
  /** Milliseconds since the epoch (default: now). */
  readonly timestamp?: number;
}

export interface SaveToKafkaOptions extends KafkaConnection {
  /** Records per produce request (default 1000). */
  readonly batchSize?: number;
  /** A record whose key and value are larger than this fails its batch, naming it (default 1 MiB, Kafka's message.max.bytes). */
  readonly maxRecordBytes?: number;
}

interface SinkParams {
  readonly conn: ConnectionParams;
  readonly topic: string;
  readonly batchSize: number;
  readonly maxRecordBytes: number;
}

const asBuffer = (v: string | Buffer | null | undefined): Buffer | undefined => (v === null || v === undefined ? undefined : typeof v === 'string' ? Buffer.from(v, 'utf8') : v);

/**
 * Writes one RDD partition to Kafka with the worker's cached idempotent producer, in
 * produce requests of `batchSize` records: a request whose answer is lost is retried by
 * the producer and written once (sequence numbers). Returns [records written].
 */
export async function writePartition<T>(p: SinkParams, toRecord: (x: T) => KafkaSinkRecord, batchTime: number | null, index: number, it: Iterable<T>): Promise<number[]> {
  const where = `saveToKafka(topic '${p.topic}')${batchTime === null ? '' : ` batch ${batchTime}`} partition ${index}`;
  let written = 0;
  let pending: { topic: string; key?: Buffer; value?: Buffer; headers?: Record<string, Buffer>; partition?: number; timestamp?: bigint }[] = [];
  const flush = async (): Promise<void> => {
    if (pending.length === 0) return;
    const messages = pending;
    pending = [];
    try {
      await cachedProducer(p.conn, '').send({ messages });
    } catch (err) {
      dropProducer(p.conn, '');
      const msg = [(err as Error).message, ...((err as { errors?: Error[] }).errors ?? []).map((e) => e.message)].join(': ');
      const hint = /unknown topic/i.test(msg) ? `; create the topic '${p.topic}' (or let the brokers create topics: auto.create.topics.enable)` : '';
      throw new SluiceError('SLUICE_IO', `${where}: writing ${messages.length} records to brokers ${p.conn.brokers.join(',')} failed after ${written} were written: ${msg}${hint}`, { cause: err });
    }
    written += messages.length;
  };
  let n = 0;
  for (const x of it) {
    const r = toRecord(x);
    const key = asBuffer(r.key);
    const value = asBuffer(r.value);
    const size = (key?.length ?? 0) + (value?.length ?? 0);
    if (size > p.maxRecordBytes) {
      throw new SluiceError('SLUICE_BAD_RECORD', `${where}: record ${n} of the partition has ${size} bytes of key and value, more than maxRecordBytes ${p.maxRecordBytes}; split it or raise maxRecordBytes (and the topic's max.message.bytes)`);
    }
    const headers = r.headers ? Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, asBuffer(v)!])) : undefined;
    pending.push({
      topic: p.topic,
      ...(key ? { key } : {}),
      ...(value ? { value } : {}),
      ...(headers ? { headers } : {}),
      ...(r.partition !== undefined ? { partition: r.partition } : {}),
      ...(r.timestamp !== undefined ? { timestamp: BigInt(r.timestamp) } : {}),
    });
    n++;
    if (pending.length >= p.batchSize) await flush();
  }
  await flush();
  return [written];
}

function sinkParams(topic: string, options: SaveToKafkaOptions): SinkParams {
  if (typeof topic !== 'string' || topic === '') throw new SluiceError('SLUICE_BAD_ARGUMENT', `saveToKafka: topic: got ${JSON.stringify(topic)}; give the name of the topic to write to`);
  const batchSize = options.batchSize ?? 1000;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new SluiceError('SLUICE_BAD_ARGUMENT', `saveToKafka: batchSize: got ${JSON.stringify(options.batchSize)}; give a whole number of records >= 1`);
  const maxRecordBytes = options.maxRecordBytes ?? 1024 * 1024;
  return { conn: connectionParams('saveToKafka', options), topic, batchSize, maxRecordBytes };
}

function saveRDD<T>(rdd: RDD<T>, p: SinkParams, toRecord: (x: T) => KafkaSinkRecord, batchTime: number | null): Promise<number> {
  const write = (index: number, it: IterableIterator<T>) => writePartition(p, toRecord, batchTime, index, it) as unknown as Iterable<number>;
  return rdd
    .mapPartitionsWithIndex(write)
    .collect()
    .then((counts) => counts.reduce((a, b) => a + b, 0));
}

/**
 * Writes every element of an RDD (resolves with the number written), or of every batch
 * of a DStream (an output operation, as saveAsTextFiles), to `topic`: `toRecord` makes
 * each element a record. Each task writes its partition with the worker's idempotent
 * producer; a failure fails the task with the batch time and partition in its message.
 * Delivery is at least once across task retries (a re-run task writes its partition
 * again); a producer's own retries write once.
 */
export function saveToKafka<T>(target: RDD<T>, topic: string, toRecord: (x: T) => KafkaSinkRecord, options: SaveToKafkaOptions): Promise<number>;
export function saveToKafka<T>(target: DStream<T>, topic: string, toRecord: (x: T) => KafkaSinkRecord, options: SaveToKafkaOptions): void;
export function saveToKafka<T>(target: RDD<T> | DStream<T>, topic: string, toRecord: (x: T) => KafkaSinkRecord, options: SaveToKafkaOptions): Promise<number> | void {
  if (typeof toRecord !== 'function') throw new SluiceError('SLUICE_BAD_ARGUMENT', `saveToKafka: toRecord: got ${typeof toRecord}; give a function from an element to { key?, value, headers?, partition? }`);
  const p = sinkParams(topic, options);
  if (target instanceof RDD) return saveRDD(target, p, toRecord, null);
  if (target instanceof DStream) {
    target.foreachRDD(async (rdd, time) => {
      await saveRDD(rdd, p, toRecord, time);
    });
    return;
  }
  throw new SluiceError('SLUICE_BAD_ARGUMENT', 'saveToKafka: target: give an RDD or a DStream');
}
