/**
 * Which workers hold which cached blocks (the driver half of Spark's BlockManagerMaster),
 * so a task over a cached partition prefers the worker that has it.
 */
export class BlockLocations {
  private readonly blocks = new Map<string, Set<string>>();
  /** A block's bytes, where the task that stored it said (a copy has its original's). */
  private readonly sizes = new Map<string, number>();

  /** Workers whose copy of a block was spilled to their disk (a MEMORY_AND_DISK cached partition), by block. */
  private readonly spilled = new Map<string, Set<string>>();

  add(blockId: string, workerId: string, bytes?: number): void {
    let s = this.blocks.get(blockId);
    if (!s) this.blocks.set(blockId, (s = new Set()));
    s.add(workerId);
    if (bytes !== undefined) this.sizes.set(blockId, bytes);
    // Stored anew: in the worker's memory again.
    this.unspill(blockId, workerId);
  }

  /** A worker no longer holds a block (it dropped it: Spark's BlockManager telling its master). */
  removeAt(blockId: string, workerId: string): void {
    const s = this.blocks.get(blockId);
    if (!s?.delete(workerId)) return;
    this.unspill(blockId, workerId);
    if (s.size === 0) this.delete(blockId);
  }

  /** A worker moved its copy of a block from memory to its disk. */
  spilledAt(blockId: string, workerId: string): void {
    if (!this.blocks.get(blockId)?.has(workerId)) return;
    let s = this.spilled.get(blockId);
    if (!s) this.spilled.set(blockId, (s = new Set()));
    s.add(workerId);
  }

  /** Whether a worker's copy of a block is on its disk, spilled from memory. */
  isSpilledAt(blockId: string, workerId: string): boolean {
    return this.spilled.get(blockId)?.has(workerId) ?? false;
  }

  private unspill(blockId: string, workerId: string): void {
    const s = this.spilled.get(blockId);
    if (s?.delete(workerId) && s.size === 0) this.spilled.delete(blockId);
  }

  /** The block's bytes as stored, when known. */
  sizeOf(blockId: string): number | undefined {
    return this.blocks.has(blockId) ? this.sizes.get(blockId) : undefined;
  }

  /** Every block and the workers holding it. */
  entries(): IterableIterator<[string, ReadonlySet<string>]> {
    return this.blocks.entries();
  }

  workersFor(blockId: string): ReadonlySet<string> | undefined {
    return this.blocks.get(blockId);
  }

  removeWorker(workerId: string): void {
    for (const [id, s] of this.blocks) {
      s.delete(workerId);
      this.unspill(id, workerId);
      if (s.size === 0) this.delete(id);
    }
  }

  removeIds(ids: readonly string[]): void {
    for (const id of ids) this.delete(id);
  }

  removeByPrefix(prefix: string): void {
    for (const id of [...this.blocks.keys()]) if (id.startsWith(prefix)) this.delete(id);
  }

  private delete(id: string): void {
    this.blocks.delete(id);
    this.sizes.delete(id);
    this.spilled.delete(id);
  }

  get size(): number {
    return this.blocks.size;
  }
}
