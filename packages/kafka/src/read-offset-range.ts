import { SluiceError } from '@sluice/core';
import { cachedConsumer, dropConsumer } from './client-cache.js';
import type { ConnectionParams } from './kafka-params.js';
import type { KafkaRecord } from './kafka-record.js';
import type { OffsetRange } from './offset-range.js';

const MAX_BYTES_PER_FETCH = 4 * 1024 * 1024;
/** Kafka's isolation level read_committed: no records of open or aborted transactions. */
export const READ_COMMITTED = 1;
/** Record batch attribute: a control batch (a transaction's commit or abort marker). */
const CONTROL_BATCH = 0x20;

/**
 * Reads exactly the records [fromOffset, untilOffset) of one topic-partition from its
 * leader, on a worker, with the worker's cached consumer. A broker that is down, a
 * leader that moved or a stale leader epoch is retried (fresh metadata each time) for
 * up to `retryTimeoutMs`; then the task fails naming the partition and the range (the
 * task is retried, and reads the same range again).
 *
 * Reads are read_committed: the driver's ranges end at the last stable offset, the
 * client drops the records of aborted transactions, and transaction markers (control
 * batches) are skipped here; their offsets count in the range but yield no record.
 */
export async function readOffsetRange(conn: ConnectionParams, range: OffsetRange): Promise<KafkaRecord[]> {
  const out: KafkaRecord[] = [];
  let next = BigInt(range.fromOffset);
  const until = BigInt(range.untilOffset);
  const deadline = Date.now() + conn.retryTimeoutMs;
  let lastError: unknown;
  let delay = 50;
  while (next < until) {
    try {
      const consumer = cachedConsumer(conn);
      const md = await consumer.metadata({ topics: [range.topic], forceUpdate: lastError !== undefined });
      const topic = md.topics.get(range.topic);
      const leader = topic?.partitions[range.partition]?.leader;
      if (!topic || leader === undefined || leader < 0) throw new Error(`no leader for ${range.topic}/${range.partition} in the metadata`);
      const res = await consumer.fetch({
        node: leader,
        maxWaitTime: 200,
        isolationLevel: READ_COMMITTED,
        maxBytes: MAX_BYTES_PER_FETCH,
        topics: [{ topicId: topic.id, partitions: [{ partition: range.partition, fetchOffset: next, partitionMaxBytes: MAX_BYTES_PER_FETCH, currentLeaderEpoch: -1, lastFetchedEpoch: -1 }] }],
      });
      const part = res.responses[0]?.partitions[0];
      if (!part) throw new Error('empty fetch response');
      if (part.errorCode !== 0) throw new Error(`fetch error code ${part.errorCode}`);
      const before = next;
      for (const batch of part.records ?? []) {
        for (const rec of (batch.attributes & CONTROL_BATCH) !== 0 ? [] : batch.records) {
          const offset = batch.firstOffset + BigInt(rec.offsetDelta);
          if (offset < next || offset >= until) continue;
          out.push({
            topic: range.topic,
            partition: range.partition,
            offset: Number(offset),
            key: rec.key && rec.key.length >= 0 ? rec.key : null,
            value: rec.value,
            timestamp: Number(batch.firstTimestamp + rec.timestampDelta),
            headers: rec.headers.map(([k, v]) => [k === null ? '' : k.toString('utf8'), v] as const),
          });
          next = offset + 1n;
        }
        // Offsets the log no longer has (compaction) or control batches are skipped.
        const batchEnd = batch.firstOffset + BigInt(batch.lastOffsetDelta) + 1n;
        if (batchEnd > next) next = batchEnd < until ? batchEnd : until;
      }
      if (next === before) {
        if (part.highWatermark <= next) {
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
