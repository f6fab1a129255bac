import type { WorkerRegistry } from '../cluster/worker-registry.js';

/** How long a removal waits for others to the same worker before it is sent. */
export const BLOCK_REMOVAL_DELAY_MS = 250;

interface Pending {
  readonly ids: Set<string>;
  readonly prefixes: Set<string>;
  readonly timer: NodeJS.Timeout;
}

/**
 * Removals of one job attempt's blocks on workers (received blocks a batch no longer
 * needs, map outputs of shuffles no RDD reaches), sent as one Worker.RemoveBlocks per
 * worker per `delayMs`: each batch of a stream removes its received blocks (on their
 * worker and its replica) and its shuffle's map outputs (on every worker), which at short
 * batch intervals was two or more calls per worker per batch. As in Spark, removal is
 * asynchronous and nothing waits for it: a block removed `delayMs` later only holds its
 * memory that much longer, and no later batch reads it (its id names its batch's input or
 * a shuffle no RDD reaches).
 *
 * Invariants: a removal asked for is sent within `delayMs` to the worker if that worker
 * is still registered then, unless `close()` came first; after `close()` (the attempt
 * ended: its blocks go with Worker.ReleaseJob) nothing is pending and no timer runs.
 * Threading: driver main thread.
 */
export class BlockRemovals {
  private readonly pending = new Map<string, Pending>();
  private closed = false;

  constructor(
    private readonly registry: Pick<WorkerRegistry, 'get'>,
    private readonly delayMs: number = BLOCK_REMOVAL_DELAY_MS,
  ) {}

  /** Remove blocks `ids`, and blocks whose ids start with one of `prefixes`, on worker `workerId`. */
  remove(workerId: string, ids: readonly string[], prefixes: readonly string[] = []): void {
    if (this.closed || (ids.length === 0 && prefixes.length === 0)) return;
    let p = this.pending.get(workerId);
    if (!p) {
      const timer = setTimeout(() => this.send(workerId), this.delayMs);
      timer.unref();
      p = { ids: new Set(), prefixes: new Set(), timer };
      this.pending.set(workerId, p);
    }
    for (const id of ids) p.ids.add(id);
    for (const x of prefixes) p.prefixes.add(x);
  }

  /** Workers with removals not yet sent. */
  get pendingWorkers(): number {
    return this.pending.size;
  }

  /** Drop what is pending: the attempt ended and Worker.ReleaseJob removes all its blocks. */
  close(): void {
    this.closed = true;
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
  }

  private send(workerId: string): void {
    const p = this.pending.get(workerId);
    if (!p) return;
    this.pending.delete(workerId);
    // A worker lost meanwhile took its blocks with it.
    void this.registry.get(workerId)?.endpoint.removeBlocks([...p.ids], [...p.prefixes]);
  }
}
