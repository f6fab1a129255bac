/**
 * Block-sized buffers reused for the replicas a worker stores for its peers, instead of a
 * fresh one for every block. A worker's allocations of 128 KiB and more are mappings of
 * their own (WORKER_MALLOC_ENV), so a fresh 6 MB buffer is mapped, faulted in 4 KiB at a
 * time, and unmapped when the collector frees it: the peer's join of a replica's 64 KiB
 * pieces cost ~29 ms of CPU a 6 MB block that way (bench/README, received blocks, sixth
 * round), and each such buffer grew V8's external memory, which V8 answers with
 * mark-compacts of the main thread. A copy into memory already faulted in costs ~0.5 ms.
 *
 * Invariants: a buffer goes back to the free list only through `giveBack` of the very view
 * `join` lent, and only while it is still lent: `forget` takes a view off the lent set for
 * good (its holder let it escape to a reader that may keep it: a gRPC answer, a migration,
 * a handle), so it is left to the collector as before. The BlockManager calls `forget`
 * whenever it hands a block's segments to anything but a synchronous borrower, and
 * `giveBack` when it drops them. Free memory is bounded (`maxFreeBytes`, oldest dropped
 * first) and dropped altogether once no join has come for `idleMs` or on `clear`.
 * Threading: the worker's main thread only.
 */
export class BlockBufferPool {
  /** The views lent and not yet given back or forgotten, by their ArrayBuffer (weak: a view dropped without giveBack costs nothing). */
  private readonly lent = new WeakMap<ArrayBuffer, Uint8Array>();
  private free: ArrayBuffer[] = [];
  private freeTotal = 0;
  private lastJoin = 0;
  private timer: NodeJS.Timeout | undefined;
  /**
   * Called when the free list is dropped with memory in it (idle, or `clear`): those
   * buffers are garbage now, up to `maxFreeBytes` of mapped memory that stays resident until
   * the thread's next full collection. The worker collects soon (its MemoryReleaser counts
   * the free list as live, so the drop alone may stay under its growth threshold).
   */
  onDropped: ((bytes: number) => void) | undefined;
  /** Joins served from the free list, and with a buffer of their own (for tests and benches). */
  reused = 0;
  allocated = 0;

  constructor(
    /** Joins smaller than this are plain Buffer.concat (malloc's heap serves them already). */
    private readonly minBytes = 256 * 1024,
    private readonly maxFreeBytes = 64 * 1024 * 1024,
    private readonly idleMs = 2000,
  ) {}

  /** Bytes held in the free list. */
  get freeBytes(): number {
    return this.freeTotal;
  }

  /**
   * `parts` joined into one buffer of `size` bytes (their total): a view of a reused
   * buffer when one fits (at least `size`, at most twice it), else of a new one with room
   * to spare (an eighth, rounded up to 64 KiB) so blocks of about the same size fit it later.
   */
  join(parts: readonly Uint8Array[], size: number): Buffer {
    if (size < this.minBytes) return Buffer.concat(parts, size);
    this.lastJoin = Date.now();
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      const cap = this.free[i].byteLength;
      if (cap >= size && cap <= 2 * size && (best === -1 || cap < this.free[best].byteLength)) best = i;
    }
    let ab: ArrayBuffer;
    if (best === -1) {
      ab = new ArrayBuffer(Math.ceil((size + (size >> 3)) / 65536) * 65536);
      this.allocated++;
    } else {
      ab = this.free[best];
      this.free.splice(best, 1);
      this.freeTotal -= ab.byteLength;
      this.reused++;
    }
    const out = Buffer.from(ab, 0, size);
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    this.lent.set(ab, out);
    return out;
  }

  /** Whether `view` is a buffer `join` lent and that is neither given back nor forgotten. */
  isLent(view: Uint8Array): boolean {
    return view.buffer instanceof ArrayBuffer && this.lent.get(view.buffer) === view;
  }

  /** `view`'s memory is never reused: someone may keep it. A view not lent is ignored. */
  forget(view: Uint8Array): void {
    if (this.isLent(view)) this.lent.delete(view.buffer as ArrayBuffer);
  }

  /** `view` (as `join` lent it) is dropped and nothing reads it any more: its memory may serve the next join. Anything else is ignored. */
  giveBack(view: Uint8Array): void {
    if (!this.isLent(view)) return;
    const ab = view.buffer as ArrayBuffer;
    this.lent.delete(ab);
    this.free.push(ab);
    this.freeTotal += ab.byteLength;
    while (this.freeTotal > this.maxFreeBytes) this.freeTotal -= (this.free.shift() as ArrayBuffer).byteLength;
    if (this.timer === undefined) {
      this.timer = setInterval(() => {
        if (Date.now() - this.lastJoin >= this.idleMs) this.clear();
      }, this.idleMs);
      this.timer.unref();
    }
  }

  /** Drops the free list (the collector frees it). */
  clear(): void {
    const dropped = this.freeTotal;
    this.free = [];
    this.freeTotal = 0;
    clearInterval(this.timer);
    this.timer = undefined;
    if (dropped > 0) this.onDropped?.(dropped);
  }
}
