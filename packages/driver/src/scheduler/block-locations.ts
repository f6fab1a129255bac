/**
 * Which workers hold which cached blocks (the driver half of Spark's BlockManagerMaster),
 * so a task over a cached partition prefers the worker that has it.
 */
export class BlockLocations {
  private readonly blocks = new Map<string, Set<string>>();

  add(blockId: string, workerId: string): void {
    let s = this.blocks.get(blockId);
    if (!s) this.blocks.set(blockId, (s = new Set()));
    s.add(workerId);
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
      if (s.size === 0) this.blocks.delete(id);
    }
  }

  removeIds(ids: readonly string[]): void {
    for (const id of ids) this.blocks.delete(id);
  }

  removeByPrefix(prefix: string): void {
    for (const id of [...this.blocks.keys()]) if (id.startsWith(prefix)) this.blocks.delete(id);
  }

  get size(): number {
    return this.blocks.size;
  }
}
