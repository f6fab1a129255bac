import { Consumer, Producer, type Message } from '@platformatic/kafka';
import { RDD, SluiceError, refuseUnknownOptions } from '@sluice/core';
import { clientOptions, connectionParams, type ConnectionParams, type KafkaConnection } from './kafka-params.js';
import type { KafkaRecord } from './kafka-record.js';
import { KAFKA_PRODUCER_NAMES, type KafkaSinkRecord } from './kafka-sink.js';
import { hasOffsetRanges, type OffsetRange } from './offset-range.js';

export interface TransactionalKafkaOptions extends KafkaConnection {
  /** The consumer group whose offsets each transaction commits: the direct stream's groupId. */
  readonly groupId: string;
  /** Transactional ids are `${transactionalIdPrefix}-${topic}-${partition}` (of the input partition). */
  readonly transactionalIdPrefix: string;
  /** Records per produce request inside a transaction (default 1000). */
  readonly batchSize?: number | undefined;
}

// TransactionalKafkaOptions' keys, spelt out so the compiler says when the interface gains one.
const TRANSACTIONAL_OPTION_KEYS: Record<keyof TransactionalKafkaOptions, true> = {
  brokers: true,
  clientId: true,
  ssl: true,
  sasl: true,
  retryTimeoutMs: true,
  requestTimeoutMs: true,
  groupId: true,
  transactionalIdPrefix: true,
  batchSize: true,
};

/** What one batch's transactions did. */
export interface TransactionalBatchResult {
  /** Records written in transactions committed by this call. */
  readonly written: number;
  /** Offset ranges committed by this call. */
  readonly committed: number;
  /** Offset ranges found already committed (an earlier attempt of the same batch committed them): nothing written. */
  readonly skipped: number;
}

/** Turns one offset range's records into the records to write (may be async, may yield as it goes). */
export type RangeProcessor = (records: readonly KafkaRecord[], range: OffsetRange) => Iterable<KafkaSinkRecord> | AsyncIterable<KafkaSinkRecord>;

interface TxParams {
  readonly conn: ConnectionParams;
  readonly topic: string;
  readonly groupId: string;
  readonly prefix: string;
  readonly batchSize: number;
}

const asBuffer = (v: string | Buffer | null | undefined): Buffer | undefined => (v === null || v === undefined ? undefined : typeof v === 'string' ? Buffer.from(v, 'utf8') : v);

function describe(err: unknown): string {
  const e = err as { message?: string; errors?: { message?: string }[] };
  // A retried call carries each attempt's error (@platformatic/kafka): each message once.
  return [...new Set([e.message ?? String(err), ...(e.errors?.map((x) => x.message).filter(Boolean) ?? [])])].join(': ');
}

/**
 * One task: the range's output records and the range's end offset for the group, in ONE
 * Kafka transaction whose id is fixed by the input partition.
 *  1. beginTransaction: InitProducerId for the id bumps its epoch, which fences every
 *     earlier attempt of this task (its produce and commit requests are refused) and
 *     aborts the transaction such an attempt left open.
 *  2. The group's committed offset for the input partition is read. At or past the
 *     range's end: an earlier attempt committed this range (it died before reporting),
 *     so nothing is written. Past the range's start but before its end: an error.
 *  3. The records are sent, the offset (untilOffset) added with TxnOffsetCommit, and the
 *     transaction committed: both become visible to read_committed readers, or neither.
 * Returns [written, committed, skipped].
 * @internal Exported for its tests; jobs call saveToKafkaTransactionally.
 */
export async function writeRangeTransactionally(p: TxParams, process: RangeProcessor, time: number, range: OffsetRange, records: KafkaRecord[]): Promise<[number, number, number]> {
  const where = `saveToKafkaTransactionally(topic '${p.topic}') batch ${time} range ${range.topic}/${range.partition} [${range.fromOffset}, ${range.untilOffset})`;
  // Stable per input partition, not per batch: a task of a restarted job (new batch times)
  // must fence a task the dead driver left running on a worker, as a retry fences its
  // earlier attempt. Batches of a stream run one after the other, so one id per partition
  // is never used by two live batches.
  const transactionalId = `${p.prefix}-${range.topic}-${range.partition}`;
  const producer = new Producer({ ...clientOptions(p.conn), idempotent: true, acks: -1, transactionalId, retries: 10, retryDelay: 200, autocreateTopics: true });
  const consumer = new Consumer({ ...clientOptions(p.conn), groupId: p.groupId });
  let stage = 'starting the transaction';
  try {
    const tx = await producer.beginTransaction();
    stage = 'reading the group offset';
    const committed = (await consumer.listCommittedOffsets({ topics: [{ topic: range.topic, partitions: [range.partition] }] })).get(range.topic)?.[range.partition] ?? -1n;
    if (committed >= BigInt(range.untilOffset)) {
      await tx.cancel();
      return [0, 0, 1];
    }
    if (committed > BigInt(range.fromOffset)) {
      await tx.cancel();
      throw new SluiceError(
        'SLUICE_IO',
        `${where}: group '${p.groupId}' has offset ${committed} committed inside the range; the range overlaps what another writer committed (two jobs with one groupId?); give each job its own groupId`,
      );
    }
    let written = 0;
    let pending: { topic: string; key?: Buffer; value?: Buffer; headers?: Record<string, Buffer>; partition?: number; timestamp?: bigint }[] = [];
    const flush = async (): Promise<void> => {
      if (pending.length === 0) return;
      const messages = pending;
      pending = [];
      stage = 'sending records';
      await tx.send({ messages });
      written += messages.length;
    };
    stage = 'processing the records';
    for await (const r of process(records, range)) {
      const key = asBuffer(r.key);
      const value = asBuffer(r.value);
      const headers = r.headers ? Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, asBuffer(v)!])) : undefined;
      pending.push({
        topic: p.topic,
        ...(key ? { key } : {}),
        ...(value ? { value } : {}),
        ...(headers ? { headers } : {}),
        ...(r.partition !== undefined ? { partition: r.partition } : {}),
        ...(r.timestamp !== undefined ? { timestamp: BigInt(r.timestamp) } : {}),
      });
      if (pending.length >= p.batchSize) await flush();
      stage = 'processing the records';
    }
    await flush();
    stage = 'adding the offsets';
    const coordinatorId = await consumer.findGroupCoordinator();
    await tx.addConsumer({ groupId: p.groupId } as unknown as Consumer);
    // TxnOffsetCommit commits message.offset + 1: the range's end.
    const last = { topic: range.topic, partition: range.partition, offset: BigInt(range.untilOffset) - 1n, metadata: { consumer: { groupId: p.groupId, generationId: -1, memberId: '', coordinatorId } } };
    await tx.addOffset(last as unknown as Message);
    stage = 'committing';
    await tx.commit();
    return [written, 1, 0];
  } catch (err) {
    if (err instanceof SluiceError) throw err;
    throw new SluiceError('SLUICE_IO', `${where}: ${stage} (transactional id '${transactionalId}') failed: ${describe(err)}; the transaction is not committed and the task's retry replaces it`, { cause: err });
  } finally {
    await Promise.all([producer.close(true), consumer.close(true)]).catch(() => undefined);
  }
}

/**
 * Exactly-once from Kafka to Kafka, for one batch of a direct stream (call it in
 * `stream.foreachRDD`, with the RDD it gets): for each offset range of the batch (one
 * task per input topic-partition) `process` turns the range's records into output
 * records, and the task writes them to `topic` and commits the range's end offset to
 * `groupId` in one Kafka transaction (transactional id `${prefix}-${topic}-${partition}`,
 * so a re-run of the task, or the task of a restarted job, fences and aborts any earlier
 * attempt, and skips a range an earlier attempt already committed). Read the output with isolation level
 * read_committed. Start the stream from the group's committed offsets (the default when
 * the group has some), so a restarted job resumes after the last committed range.
 *
 * Aggregations are per range (per input partition per batch): key the input so that
 * records to aggregate together are in one partition, as Kafka Streams requires.
 */
export async function saveToKafkaTransactionally(rdd: RDD<KafkaRecord>, time: number, topic: string, process: RangeProcessor, options: TransactionalKafkaOptions): Promise<TransactionalBatchResult> {
  const op = 'saveToKafkaTransactionally';
  // A key the sink does not know would be taken and ignored (a misspelt transactionalIdPrefix, a producer property).
  refuseUnknownOptions(options, TRANSACTIONAL_OPTION_KEYS, `${op}(rdd, time, topic, process, options)`, {
    ...KAFKA_PRODUCER_NAMES,
    'transactional.id': "{ transactionalIdPrefix: N } (a prefix: each input partition's transactional id is it, then -<topic>-<partition>)",
    'group.id': '{ groupId: N }',
  });
  if (!(rdd instanceof RDD) || !hasOffsetRanges(rdd)) {
    throw new SluiceError('SLUICE_BAD_ARGUMENT', `${op}: rdd: got ${rdd instanceof RDD ? 'an RDD without offset ranges' : typeof rdd}; give the RDD foreachRDD gets from KafkaUtils.createDirectStream, untransformed (each partition must be one offset range)`);
  }
  if (!Number.isSafeInteger(time)) throw new SluiceError('SLUICE_BAD_ARGUMENT', `${op}: time: got ${JSON.stringify(time)}; give the batch time foreachRDD gets`);
  if (typeof topic !== 'string' || topic === '') throw new SluiceError('SLUICE_BAD_ARGUMENT', `${op}: topic: got ${JSON.stringify(topic)}; give the name of the topic to write to`);
  if (typeof process !== 'function') throw new SluiceError('SLUICE_BAD_ARGUMENT', `${op}: process: got ${typeof process}; give a function from a range's records to the records to write`);
  if (typeof options?.groupId !== 'string' || options.groupId === '') throw new SluiceError('SLUICE_BAD_ARGUMENT', `${op}: groupId: got ${JSON.stringify(options?.groupId)}; give the direct stream's groupId`);
  if (typeof options.transactionalIdPrefix !== 'string' || options.transactionalIdPrefix === '') {
    throw new SluiceError('SLUICE_BAD_ARGUMENT', `${op}: transactionalIdPrefix: got ${JSON.stringify(options.transactionalIdPrefix)}; give a name unique to this job and output (it must stay the same when the job is restarted)`);
  }
  const batchSize = options.batchSize ?? 1000;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new SluiceError('SLUICE_BAD_ARGUMENT', `${op}: batchSize: got ${JSON.stringify(options.batchSize)}; give a whole number of records >= 1`);
  const p: TxParams = { conn: connectionParams(op, options), topic, groupId: options.groupId, prefix: options.transactionalIdPrefix, batchSize };
  const ranges = rdd.offsetRanges();
  if (ranges.length === 0) return { written: 0, committed: 0, skipped: 0 };
  const write = (index: number, it: IterableIterator<KafkaRecord>) => writeRangeTransactionally(p, process, time, ranges[index]!, [...it]).then((r) => [r]) as unknown as Iterable<[number, number, number]>;
  const results = await rdd.mapPartitionsWithIndex(write).collect();
  return results.reduce((a, [w, c, s]) => ({ written: a.written + w, committed: a.committed + c, skipped: a.skipped + s }), { written: 0, committed: 0, skipped: 0 });
}
