import { randomUUID } from 'node:crypto';
import { DStream, RDD, SinkServerReached, SluiceError } from '@sluice/core';
import { redactUrl, redisSinkParams, type RedisRecordFunctions, type RedisSinkParams, type SaveToRedisOptions } from './redis-options.js';
import { writeRedisPartition, type PartitionResult } from './redis-partition-writer.js';

/** What one saveToRedis of an RDD (or one batch) did. */
export interface RedisSaveResult {
  /** Commands applied by partitions this call applied. */
  readonly applied: number;
  /** Partitions an earlier attempt had applied (their markers were there): nothing applied. */
  readonly skipped: number;
}

async function saveRDD<T>(rdd: RDD<T>, params: RedisSinkParams, fns: RedisRecordFunctions<T>, batch: string): Promise<RedisSaveResult> {
  // Functions inside a captured object do not travel: each goes as a variable of its own.
  const { key, field, value, member, score, onProgress } = fns;
  const write = (index: number, it: IterableIterator<T>) =>
    writeRedisPartition(params, { key, field, value, member, score, onProgress }, batch, index, it).then((r) => [r]) as unknown as Iterable<PartitionResult>;
  const results = await rdd.mapPartitionsWithIndex(write).collect();
  return results.reduce((a, [n, s]) => ({ applied: a.applied + n, skipped: a.skipped + s }), { applied: 0, skipped: 0 });
}

/**
 * Writes every record of an RDD (resolves with what was applied), or of every batch of a
 * DStream (an output operation), to Redis as counters (INCRBY/HINCRBY), hashes (HSET) or
 * sorted sets (ZADD/ZINCRBY), pipelined in chunks. Each task applies its partition in one
 * MULTI/EXEC together with a marker key (outputId, batch time, partition; with a TTL), after
 * checking the marker under WATCH: a re-run of a partition that was applied (a task retried
 * after a failure past its EXEC, a batch re-run after the driver recovered, within the TTL)
 * applies nothing, and one that was not applied applied nothing before. So counters count
 * each record once.
 */
export function saveToRedis<T>(target: RDD<T>, options: SaveToRedisOptions<T>): Promise<RedisSaveResult>;
export function saveToRedis<T>(target: DStream<T>, options: SaveToRedisOptions<T>): void;
export function saveToRedis<T>(target: RDD<T> | DStream<T>, options: SaveToRedisOptions<T>): Promise<RedisSaveResult> | void {
  const { params, fns } = redisSinkParams(options);
  if (target instanceof RDD) {
    const bt = options.batchTime;
    if (bt !== undefined && !Number.isSafeInteger(bt)) throw new SluiceError('SLUICE_BAD_ARGUMENT', `saveToRedis: batchTime: got ${JSON.stringify(bt)}; give the batch time foreachRDD gets (milliseconds), or nothing`);
    return saveRDD(target, params, fns, bt === undefined ? `rdd-${randomUUID()}` : String(bt));
  }
  if (target instanceof DStream) {
    if (options.batchTime !== undefined) throw new SluiceError('SLUICE_BAD_ARGUMENT', 'saveToRedis: batchTime: give it only with an RDD; a DStream writes each batch under its own time');
    const { key, field, value, member, score, onProgress } = fns;
    // Once a batch wrote through the server, a later batch's tasks wait for it when it
    // refuses connections (it restarts), also in job threads that never reached it: a worker
    // that joined since, or a thread that replaced one; kept in the metadata checkpoints
    // for a job recovered from them (SinkServerReached).
    const reached = new SinkServerReached(redactUrl(params.url));
    target.foreachRDD(async (rdd, time) => {
      const r = await saveRDD(rdd, { ...params, reachedBefore: reached.reached }, { key, field, value, member, score, onProgress }, String(time));
      if (r.applied + r.skipped > 0) reached.markReached();
    }, { checkpointState: reached });
    return;
  }
  throw new SluiceError('SLUICE_BAD_ARGUMENT', `saveToRedis: target: got ${target === null ? 'null' : typeof target}; give an RDD or a DStream`);
}
