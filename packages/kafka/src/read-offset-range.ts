import { SluiceError } from '@sluice/core';
import { cachedConsumer, dropConsumer } from './client-cache.js';
import type { ConnectionParams } from './kafka-params.js';
import type { KafkaRecord } from './kafka-record.js';
import type { OffsetRange } from './offset-range.js';

/**
 * Bytes a fetch asks for (Kafka's max.partition.fetch.bytes default; a batch larger than
 * this still comes whole). Not larger: @platformatic/kafka decodes a response from the
 * socket's pieces (64 KiB each), and each field it reads looks its piece up from the
 * first, so its decoding costs grow with the response's size: a 4 MiB fetch cost about
 * twice the CPU a record of 1 MiB ones did (bench/README.md, Kafka round).
 */
const MAX_BYTES_PER_FETCH = 1024 * 1024;
/** The headers of a record that has none (shared: most records have none). */
const NO_HEADERS: readonly (readonly [string, Buffer | null])[] = Object.freeze([]);
/** Kafka's isolation level read_committed: no records of open or aborted transactions. */
export const READ_COMMITTED = 1;
/** Record batch attributes: timestamp type LogAppendTime, transactional, control (a transaction's commit or abort marker). */
const LOG_APPEND_TIME = 0x08;
const TRANSACTIONAL = 0x10;
const CONTROL_BATCH = 0x20;

interface FetchedBatch {
  readonly firstOffset: bigint;
  readonly lastOffsetDelta: number;
  readonly attributes: number;
  readonly firstTimestamp: bigint;
  readonly maxTimestamp: bigint;
  readonly producerId: bigint;
  readonly records: readonly { readonly offsetDelta: number; readonly timestampDelta: bigint; readonly key: Buffer | null; readonly value: Buffer | null; readonly headers: [Buffer | null, Buffer | null][]; readonly attributes?: number }[];
}

/**
 * Which batches of one fetch response belong to aborted transactions, as Kafka's own
 * consumer decides (Fetcher's CompletedFetch): the response lists each aborted transaction
 * overlapping the fetched offsets (producer id, first offset); from a producer's first
 * batch at or past that offset, its transactional batches are skipped until its abort
 * marker. The marker may lie past the end of the response (a transaction larger than one
 * fetch): the batches are skipped all the same, and the next fetch lists the transaction
 * again. (The client's own filter keeps such batches, so it is not relied on.)
 */
function abortedBatchFilter(aborted: readonly { producerId: bigint; firstOffset: bigint }[] | undefined): (b: FetchedBatch) => boolean {
  const pending = [...(aborted ?? [])].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0));
  const abortedProducers = new Set<bigint>();
  return (b) => {
    const last = b.firstOffset + BigInt(b.lastOffsetDelta);
    while (pending.length > 0 && pending[0]!.firstOffset <= last) abortedProducers.add(pending.shift()!.producerId);
    if ((b.attributes & CONTROL_BATCH) !== 0) {
      // An abort marker (control record key type 0) ends the producer's aborted transaction.
      if (b.records[0]?.key?.readInt16BE(2) === 0) abortedProducers.delete(b.producerId);
      return true;
    }
    return (b.attributes & TRANSACTIONAL) !== 0 && abortedProducers.has(b.producerId);
  };
}

/** Whether `err` is the brokers' OFFSET_OUT_OF_RANGE. */
function isOffsetOutOfRange(err: unknown): boolean {
  const e = err as { findBy?: (k: string, v: unknown) => unknown };
  return typeof e?.findBy === 'function' && Boolean(e.findBy('apiId', 'OFFSET_OUT_OF_RANGE'));
}

/**
 * The range's fetch offset is outside the partition's log: the error naming the partition,
 * the offsets and what the log holds now (Spark fails the same way: its executors' consumers
 * have no offset reset policy). Undefined when the log does hold `next` (a stale answer:
 * retried).
 */
async function outOfRange(conn: ConnectionParams, range: OffsetRange, next: bigint, until: bigint): Promise<SluiceError | undefined> {
  const consumer = cachedConsumer(conn);
  const at = async (timestamp: bigint) => (await consumer.listOffsets({ topics: [range.topic], timestamp, isolationLevel: READ_COMMITTED })).get(range.topic)?.[range.partition];
  const start = await at(-2n);
  const end = await at(-1n);
  if (start === undefined || end === undefined || (next >= start && next <= end)) return undefined;
  const where = `Kafka ${range.topic}/${range.partition}: offsets [${next}, ${until}) of the batch's range`;
  if (next < start) {
    return new SluiceError(
      'SLUICE_IO',
      `${where} are no longer in the log, which now starts at offset ${start}: records [${next}, ${start < until ? start : until}) were deleted (retention, DeleteRecords, or an unclean leader election) before they were read, and are lost; to go on without them, start from a new checkpoint directory with startingOffsets { '${range.topic}': { ${range.partition}: ${start} } } (or raise the topic's retention)`,
    );
  }
  return new SluiceError('SLUICE_IO', `${where} are past the partition's end ${end} (was the topic deleted and made again?)`);
}

/** One partition's part of a fetch response. */
interface FetchedPartition {
  readonly errorCode: number;
  readonly highWatermark: bigint;
  readonly abortedTransactions?: readonly { producerId: bigint; firstOffset: bigint }[];
  readonly records?: unknown;
}

/**
 * One fetch of the range's partition from `offset` on, from its leader (metadata from the
 * client's cache, or asked for anew after an error). Rejects as the fetch does; a fetch
 * offset the log does not hold rejects with outOfRange's error.
 */
async function fetchFrom(conn: ConnectionParams, range: OffsetRange, offset: number, freshMetadata: boolean): Promise<FetchedPartition> {
  const consumer = cachedConsumer(conn);
  const md = await consumer.metadata({ topics: [range.topic], forceUpdate: freshMetadata });
  const topic = md.topics.get(range.topic);
  const leader = topic?.partitions[range.partition]?.leader;
  if (!topic || leader === undefined || leader < 0) throw new Error(`no leader for ${range.topic}/${range.partition} in the metadata`);
  let res;
  try {
    res = await consumer.fetch({
      node: leader,
      maxWaitTime: 200,
      isolationLevel: READ_COMMITTED,
      maxBytes: MAX_BYTES_PER_FETCH,
      topics: [{ topicId: topic.id, partitions: [{ partition: range.partition, fetchOffset: BigInt(offset), partitionMaxBytes: MAX_BYTES_PER_FETCH, currentLeaderEpoch: -1, lastFetchedEpoch: -1 }] }],
    });
  } catch (err) {
    const lost = isOffsetOutOfRange(err) ? await outOfRange(conn, range, BigInt(offset), BigInt(range.untilOffset)) : undefined;
    throw lost ?? err;
  }
  const part = res.responses[0]?.partitions[0];
  if (!part) throw new Error('empty fetch response');
  if (part.errorCode !== 0) throw new Error(`fetch error code ${part.errorCode}`);
  return part;
}

/** The offset after the last batch of a fetch's answer (where the next fetch starts), or -1 when it has none. */
function endOfBatches(part: FetchedPartition): number {
  const batches = (part.records ?? []) as FetchedBatch[];
  let end = -1;
  for (const b of batches) end = Math.max(end, Number(b.firstOffset) + b.lastOffsetDelta + 1);
  return end;
}

/**
 * Reads exactly the records [fromOffset, untilOffset) of one topic-partition from its
 * leader, on a worker, with the worker's cached consumer. A broker that is down, a
 * leader that moved or a stale leader epoch is retried (fresh metadata each time) for
 * up to `retryTimeoutMs`; then the task fails naming the partition and the range (the
 * task is retried, and reads the same range again). Offsets the log no longer holds
 * (deleted by retention before they were read) fail the task at once, naming them.
 *
 * One fetch ahead: as soon as a fetch's answer came, and before its records are taken,
 * the next fetch (from past its last batch) is asked for when the range goes on past it,
 * so the broker works on it while this thread takes the records; at most one is ahead (one
 * more answer of MAX_BYTES_PER_FETCH held), it is always awaited before the read returns,
 * and its failure is handled as any fetch's when its turn comes (retried with fresh
 * metadata). Only the taking overlaps: the client decodes an answer (most of a read's CPU)
 * before it hands it over, so its decoding still waits for the broker.
 *
 * Reads are read_committed: the driver's ranges end at the last stable offset, records
 * of aborted transactions are dropped, and transaction markers (control batches) are
 * skipped; their offsets count in the range but yield no record. Gaps in the offsets
 * (a compacted topic) are read over, as Spark's allowNonConsecutiveOffsets.
 */
export async function readOffsetRange(conn: ConnectionParams, range: OffsetRange): Promise<KafkaRecord[]> {
  const out: KafkaRecord[] = [];
  // Offsets as numbers (as KafkaRecord.offset): exact below 2^53, and no BigInt a record.
  let next = range.fromOffset;
  const until = range.untilOffset;
  const deadline = Date.now() + conn.retryTimeoutMs;
  let lastError: unknown;
  let delay = 50;
  /** The fetch asked for before the records of the answer before it were taken (at most one). */
  let ahead: Promise<FetchedPartition> | undefined;
  while (next < until) {
    try {
      // A fetch ahead was asked for exactly where the previous answer's records take `next` (past its last batch).
      const pending = ahead ?? fetchFrom(conn, range, next, lastError !== undefined);
      ahead = undefined;
      const part = await pending;
      const end = endOfBatches(part);
      if (end > next && end < until) {
        ahead = fetchFrom(conn, range, end, false);
        // Its failure is seen when it is awaited (at its turn), not as an unhandled rejection meanwhile.
        ahead.catch(() => undefined);
        // The request is written only once the client's promises ran (the metadata, the
        // connection): let them run now, or it would leave after this answer's records are taken.
        await new Promise((r) => setImmediate(r));
      }
      const before = next;
      const isAborted = abortedBatchFilter(part.abortedTransactions);
      const { topic: topicName, partition } = range;
      for (const batch of (part.records ?? []) as FetchedBatch[]) {
        const skip = isAborted(batch);
        const first = Number(batch.firstOffset);
        // In a LogAppendTime batch every record has the time the broker appended the batch.
        const logAppendTime = (batch.attributes & LOG_APPEND_TIME) !== 0;
        const timestampType = logAppendTime ? 'LogAppendTime' : 'CreateTime';
        const appendTime = Number(batch.maxTimestamp);
        const firstTimestamp = Number(batch.firstTimestamp);
        for (const rec of skip ? [] : batch.records) {
          const offset = first + rec.offsetDelta;
          if (offset < next || offset >= until) continue;
          out.push({
            topic: topicName,
            partition,
            offset,
            key: rec.key,
            value: rec.value,
            timestamp: logAppendTime ? appendTime : firstTimestamp + Number(rec.timestampDelta),
            timestampType,
            headers: rec.headers.length === 0 ? NO_HEADERS : rec.headers.map(([k, v]) => [k === null ? '' : k.toString('utf8'), v] as const),
          });
          next = offset + 1;
        }
        // Offsets the log no longer has (compaction), aborted batches and control batches are skipped.
        const batchEnd = first + batch.lastOffsetDelta + 1;
        if (batchEnd > next) next = batchEnd < until ? batchEnd : until;
      }
      if (next === before) {
        if (part.highWatermark <= BigInt(next)) {
          throw new SluiceError(
            'SLUICE_IO',
            `Kafka ${range.topic}/${range.partition}: offsets [${next}, ${until}) of the batch's range are past the partition's end ${part.highWatermark} (was the topic deleted and made again?)`,
          );
        }
        throw new Error(`no records at offset ${next} below the high watermark ${part.highWatermark}`);
      }
      lastError = undefined;
      delay = 50;
    } catch (err) {
      // A fetch ahead of a failure is not used (the retry asks anew), and ends before the read
      // goes on or fails: no request of this range outlives it on the cached client.
      if (ahead !== undefined) await ahead.catch(() => undefined);
      ahead = undefined;
      if (err instanceof SluiceError) throw err;
      lastError = err;
      if (Date.now() > deadline) {
        dropConsumer(conn);
        throw new SluiceError(
          'SLUICE_IO',
          `Kafka ${range.topic}/${range.partition}: cannot read offsets [${next}, ${until}) from brokers ${conn.brokers.join(',')} within ${conn.retryTimeoutMs} ms: ${(err as Error).message}; check that the brokers are up and reachable from the workers`,
          { cause: err },
        );
      }
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 1000);
    }
  }
  return out;
}
