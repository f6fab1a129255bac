/**
 * Which partitions one task thread of a job has cached blocks of: blocks it keeps decoded
 * (task-thread.ts keeps a deserialized level's partition at its second read there), and
 * blocks it read from this worker's store (its next read of one keeps it). A task of such a
 * partition is given to that thread when it is free (JobSandbox's pump): its later reads take
 * the kept records instead of decoding the block, and no second thread keeps a copy of its own.
 * Known by the block ids the thread asks for and keeps (rdd_<job>_<rdd>_<split>); a task's
 * partition is the split of the cached partitions a stage over them reads.
 */
export class ThreadAffinity {
  /** Splits of blocks kept decoded, with how many blocks of each are kept. */
  private readonly kept = new Map<number, number>();
  /** Splits of blocks read from the store, the oldest forgotten past READ_KEPT. */
  private readonly read = new Set<number>();

  /** The thread read cached block `blockId` from this worker's store. */
  noteRead(blockId: string): void {
    const split = splitOf(blockId);
    if (split === undefined) return;
    this.read.delete(split);
    this.read.add(split);
    if (this.read.size > READ_KEPT) this.read.delete(this.read.values().next().value as number);
  }

  /** The thread keeps cached block `blockId` decoded (the store counts it). */
  noteKept(blockId: string): void {
    const split = splitOf(blockId);
    if (split !== undefined) this.kept.set(split, (this.kept.get(split) ?? 0) + 1);
  }

  /** The thread dropped its decoded copy of `blockId` (forgetDecoded). */
  noteDropped(blockId: string): void {
    const split = splitOf(blockId);
    if (split === undefined) return;
    const n = (this.kept.get(split) ?? 0) - 1;
    if (n > 0) this.kept.set(split, n);
    else this.kept.delete(split);
  }

  /** 2: the thread keeps a block of `partition` decoded; 1: it read one from the store; 0: neither. */
  rank(partition: number): 0 | 1 | 2 {
    return this.kept.has(partition) ? 2 : this.read.has(partition) ? 1 : 0;
  }
}

/** Splits of blocks read a thread remembers at most (task-thread.ts's READ_ONCE_KEPT): bounded for a long stream of batches. */
const READ_KEPT = 4096;

/** The split of a cached RDD block's id (blockIdForRdd's rdd_<job>_<rdd>_<split>), or undefined for another id. */
function splitOf(blockId: string): number | undefined {
  if (!blockId.startsWith('rdd_')) return undefined;
  const split = Number(blockId.slice(blockId.lastIndexOf('_') + 1));
  return Number.isInteger(split) ? split : undefined;
}
