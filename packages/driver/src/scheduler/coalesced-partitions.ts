/**
 * Reduce partitions a result task covers together, as Spark's adaptive execution coalesces
 * small shuffle partitions (CoalescedPartitionSpec: one task reads a contiguous range of
 * each map output). The RDD keeps its partitions: every partition of a range is computed on
 * its own and gives its own result; what is shared is the task (one launch, one thread
 * hand-off, one outcome) and the worker's read of the range's segments, which lie side by
 * side in each map output.
 */

/** At most this many partitions a task (the resolver reads this many side by side in one pass: READ_AHEAD_PARTITIONS). */
export const MAX_PARTITIONS_A_TASK = 8;

/** A range is closed before its shuffle bytes (as the map statuses estimate them) would pass this. */
export const COALESCED_TASK_BYTES = 4 * 1024 * 1024;

/**
 * Ranges are made only while the stage keeps at least this many tasks a core of the cluster
 * (Spark's coalescing keeps at least the default parallelism): a few large partitions stay
 * one task each, so that every core and speculation still have tasks to run.
 */
export const MIN_TASKS_A_CORE = 4;

/** A task's partitions: `count` of them from `first` on. */
export interface PartitionRange {
  readonly first: number;
  readonly count: number;
}

/**
 * `partitions` (in the order given) as ranges of consecutive numbers. A range holds at most
 * min(MAX_PARTITIONS_A_TASK, partitions / (MIN_TASKS_A_CORE x cores)) partitions, starts at a
 * multiple of that size or after a gap (a partition not asked for, one already computed),
 * and is closed before its bytes (`bytesOf`, estimated) pass COALESCED_TASK_BYTES: a skewed
 * partition is a task of its own, empty ones join their neighbours.
 */
export function coalescePartitions(partitions: readonly number[], totalCores: number, bytesOf: (partition: number) => number): PartitionRange[] {
  const per = Math.min(MAX_PARTITIONS_A_TASK, Math.floor(partitions.length / (MIN_TASKS_A_CORE * Math.max(1, totalCores))));
  if (per <= 1) return partitions.map((p) => ({ first: p, count: 1 }));
  const out: PartitionRange[] = [];
  let first = -1;
  let count = 0;
  let bytes = 0;
  for (const p of partitions) {
    const b = bytesOf(p);
    if (count > 0 && (p !== first + count || count >= per || p % per === 0 || bytes + b > COALESCED_TASK_BYTES)) {
      out.push({ first, count });
      count = 0;
    }
    if (count === 0) {
      first = p;
      bytes = 0;
    }
    count++;
    bytes += b;
  }
  if (count > 0) out.push({ first, count });
  return out;
}
