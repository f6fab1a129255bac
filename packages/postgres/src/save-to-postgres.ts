import { randomUUID } from 'node:crypto';
import { DStream, RDD, SinkServerReached, SluiceError } from '@sluice/core';
import { postgresSinkParams, redact, type PostgresSinkParams, type SaveToPostgresOptions } from './postgres-options.js';
import { writePostgresPartition, type PartitionResult } from './postgres-partition-writer.js';

/** What one saveToPostgres of an RDD (or one batch) did. */
export interface PostgresSaveResult {
  /** Rows written by partitions committed in this call. */
  readonly written: number;
  /** Partitions an earlier attempt had committed (their markers were there): nothing written. */
  readonly skipped: number;
}

/** A record the sink writes: an array (one value per column, in order) or an object with the columns as properties. */
export type PostgresRow = readonly unknown[] | object;

async function saveRDD(rdd: RDD<PostgresRow>, p: PostgresSinkParams, batch: string): Promise<PostgresSaveResult> {
  // A function inside a captured object does not travel: onProgress goes as a variable of its own.
  const onProgress = p.onProgress;
  const params: PostgresSinkParams = { ...p, onProgress: undefined };
  const write = (index: number, it: IterableIterator<PostgresRow>) => writePostgresPartition({ ...params, onProgress }, batch, index, it).then((r) => [r]) as unknown as Iterable<PartitionResult>;
  const results = await rdd.mapPartitionsWithIndex(write).collect();
  return results.reduce((a, [w, s]) => ({ written: a.written + w, skipped: a.skipped + s }), { written: 0, skipped: 0 });
}

/**
 * Writes every record of an RDD (resolves with what was written), or of every batch of a
 * DStream (an output operation, as saveAsTextFiles), to a Postgres table. Each task writes
 * its partition in one transaction with a marker row (outputId, batch time, partition):
 * a re-run of a partition that committed (a task retried after a failure past its commit,
 * a batch re-run after the driver recovered) finds its marker and writes nothing, and one
 * that did not commit rolled back entirely; so the table ends as after a run without
 * failures. Records are arrays (by column position) or objects (by column name).
 */
export function saveToPostgres<T extends PostgresRow>(target: RDD<T>, options: SaveToPostgresOptions): Promise<PostgresSaveResult>;
export function saveToPostgres<T extends PostgresRow>(target: DStream<T>, options: SaveToPostgresOptions): void;
export function saveToPostgres<T extends PostgresRow>(target: RDD<T> | DStream<T>, options: SaveToPostgresOptions): Promise<PostgresSaveResult> | void {
  const p = postgresSinkParams(options);
  if (target instanceof RDD) {
    const bt = options.batchTime;
    if (bt !== undefined && !Number.isSafeInteger(bt)) throw new SluiceError('SLUICE_BAD_ARGUMENT', `saveToPostgres: batchTime: got ${JSON.stringify(bt)}; give the batch time foreachRDD gets (milliseconds), or nothing`);
    return saveRDD(target as RDD<PostgresRow>, p, bt === undefined ? `rdd-${randomUUID()}` : String(bt));
  }
  if (target instanceof DStream) {
    if (options.batchTime !== undefined) throw new SluiceError('SLUICE_BAD_ARGUMENT', 'saveToPostgres: batchTime: give it only with an RDD; a DStream writes each batch under its own time');
    // Once a batch wrote through the server, a later batch's tasks wait for it when it
    // refuses connections (it restarts), also in job threads that never reached it: a worker
    // that joined since, or a thread that replaced one; kept in the metadata checkpoints
    // for a job recovered from them (SinkServerReached).
    const reached = new SinkServerReached(redact(p.connectionString));
    (target as DStream<PostgresRow>).foreachRDD(async (rdd, time) => {
      const r = await saveRDD(rdd, { ...p, reachedBefore: reached.reached }, String(time));
      if (r.written + r.skipped > 0) reached.markReached();
    }, { checkpointState: reached });
    return;
  }
  throw new SluiceError('SLUICE_BAD_ARGUMENT', `saveToPostgres: target: got ${target === null ? 'null' : typeof target}; give an RDD or a DStream`);
}
