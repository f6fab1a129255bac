import { collectGarbage } from './util/collect-garbage.js';

/** A forced collection once this many persisted RDDs and broadcasts were watched since the last one... */
export const CLEANER_GC_EVERY = 64;
/** ...and at most once in this long. */
export const CLEANER_GC_MIN_INTERVAL_MS = 10_000;

/** What the cleaner asks of the cluster: each resolves once the workers (and the driver) answered. */
export interface CleanerRemovals {
  removeRdd(rddId: number): Promise<void>;
  removeBroadcast(broadcastId: number): Promise<void>;
}

/**
 * The persisted-RDD and broadcast half of Spark's ContextCleaner (spark.cleaner.referenceTracking):
 * a persisted RDD or a broadcast the driver program can no longer reach cannot be read again, so
 * once V8 has collected it, it is removed: the RDD unpersisted (its blocks from the workers, its
 * entry from the driver's storage table: doCleanupRDD), the broadcast removed from the workers
 * and the driver (doCleanupBroadcast). What was unpersisted or destroyed by the program is no
 * longer watched (`forget`). The context's own FinalizationRegistry does the same for shuffles.
 *
 * Invariants: removals are sent one after another, each once the previous one was answered, as
 * Spark's cleaning thread does with spark.cleaner.referenceTracking.blocking (its default): one
 * collection may free hundreds at once, more calls together than a worker takes from one peer.
 * Nothing in the program waits for them. V8 collects when the thread's own heap fills, not when
 * the workers' memory does: after every CLEANER_GC_EVERY things watched, at most once every
 * CLEANER_GC_MIN_INTERVAL_MS, the thread is collected (as Spark's spark.cleaner.periodicGC).
 * Threading: the driver program's thread; the removals start from V8's finalization callbacks.
 */
export class ContextCleaner {
  private readonly rdds = new FinalizationRegistry<number>((rddId) => this.enqueue('rdd', rddId));
  private readonly broadcasts = new FinalizationRegistry<number>((id) => this.enqueue('broadcast', id));
  private queue: Promise<void> = Promise.resolve();
  private watchedSinceGc = 0;
  private lastGc: number;
  /** Set when the context stopped: nothing more is sent. */
  stopped = false;

  constructor(
    private readonly removals: CleanerRemovals,
    private readonly cleaned: (kind: 'rdd' | 'broadcast', id: number) => void,
    /** The time (ms), for the forced collections' spacing: Date.now, or a test's. */
    private readonly now: () => number = Date.now,
  ) {
    this.lastGc = now();
  }

  /** Watch persisted RDD `rdd` (id `id`) until `forget(rdd)`. */
  watchRdd(rdd: object, id: number): void {
    this.rdds.register(rdd, id, rdd);
    this.watched();
  }

  /** Watch broadcast `broadcast` (id `id`) until `forget(broadcast)`. */
  watchBroadcast(broadcast: object, id: number): void {
    this.broadcasts.register(broadcast, id, broadcast);
    this.watched();
  }

  /** The program unpersisted or destroyed it itself. */
  forget(watched: object): void {
    this.rdds.unregister(watched);
    this.broadcasts.unregister(watched);
  }

  private watched(): void {
    if (++this.watchedSinceGc < CLEANER_GC_EVERY || this.now() - this.lastGc < CLEANER_GC_MIN_INTERVAL_MS) return;
    this.watchedSinceGc = 0;
    this.lastGc = this.now();
    collectGarbage();
  }

  private enqueue(kind: 'rdd' | 'broadcast', id: number): void {
    if (this.stopped) return;
    this.queue = this.queue
      .then(() => {
        if (this.stopped) return undefined;
        this.cleaned(kind, id);
        return kind === 'rdd' ? this.removals.removeRdd(id) : this.removals.removeBroadcast(id);
      })
      .catch(() => undefined);
  }
}
