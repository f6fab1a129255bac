/**
 * Which workers hold which cached blocks (the driver half of Spark's BlockManagerMaster),
 * so a task over a cached partition prefers the worker that has it.
 */
export class BlockLocations {
  private readonly blocks = new Map<string, Set<string>>();
  /** A block's bytes, where the task that stored it said (a copy has its original's). */
  private readonly sizes = new Map<string, number>();

  add(blockId: string, workerId: string, bytes?: number): void {
    let s = this.blocks.get(blockId);
    if (!s) this.blocks.set(blockId, (s = new Set()));
    s.add(workerId);
    if (bytes !== undefined) this.sizes.set(blockId, bytes);
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
  }

  get size(): number {
    return this.blocks.size;
  }
}
