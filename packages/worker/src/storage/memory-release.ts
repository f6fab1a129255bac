import { collectGarbage } from '@sluice/core/internal';

/**
 * glibc malloc settings for worker processes (read at process start, so set by whoever
 * starts the worker: `sluice run`'s local cluster, the Docker image). Without them, the
 * Buffers freed after an overload stay in malloc's per-thread arenas and the worker's RSS
 * stays high (measured: 586-740 MB after a 15 s overload drained, 177-334 MB with them):
 * few arenas, and allocations of 128 KiB and more mapped on their own, so freeing them
 * returns them to the system.
 */
export const WORKER_MALLOC_ENV: Readonly<Record<string, string>> = {
  MALLOC_ARENA_MAX: '2',
  MALLOC_MMAP_THRESHOLD_: '131072',
  MALLOC_TRIM_THRESHOLD_: '1048576',
};

/**
 * Collects garbage when memory has grown by `thresholdBytes` over what the last
 * collection left: `sizeBytes()` is checked every `everyMs` (an unref'd timer), and only
 * while `idle()` (a busy thread is left to V8's own collections). Memory that is live
 * after a collection (a receiver's buffer, blocks in the store) raises the baseline, so
 * it does not cause a collection every tick.
 */
export class MemoryReleaser {
  private timer: NodeJS.Timeout | undefined;
  private soon: NodeJS.Timeout | undefined;
  private baseline = 0;
  /** The smallest `minBytes` of the collectSoon calls the pending one stands for. */
  private soonMinBytes = Infinity;
  collections = 0;
  /** collectSoon calls that found less garbage than their `minBytes` and did not collect. */
  skipped = 0;

  constructor(
    private readonly sizeBytes: () => number,
    private readonly idle: () => boolean,
    private readonly thresholdBytes = 64 * 1024 * 1024,
    private readonly everyMs = 2000,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => this.check(), this.everyMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    clearTimeout(this.soon);
    this.soon = undefined;
    this.soonMinBytes = Infinity;
  }

  /**
   * Collects once shortly when much has just become garbage at once (a job released, its
   * blocks dropped), which may be less than the threshold and would otherwise stay until
   * this thread next grows by it: whatever the growth, or (`minBytes` > 0) only if the
   * thread's memory is by then at least `minBytes` over what the last collection left.
   * Calls close together collect once, if any of them would alone.
   *
   * A collection forced from JavaScript (`gc()`) also drops V8's maps that no live object
   * uses any more, which a collection V8 starts itself keeps for a while (its
   * --retain-maps-for-n-gc), and with them the optimized code that checks for them: after
   * a job, the thread's whole task path (every protobuf encoder and decoder, the task
   * stream's handlers), compiled again by the next job's first runs (bench/README: "A job's
   * first runs, counted"). So a job's end collects only if the job left garbage worth it.
   */
  collectSoon(delayMs = 100, minBytes = 0): void {
    this.soonMinBytes = Math.min(this.soonMinBytes, minBytes);
    this.soon ??= setTimeout(() => {
      this.soon = undefined;
      const min = this.soonMinBytes;
      this.soonMinBytes = Infinity;
      if (min > 0 && this.sizeBytes() - this.baseline < min) {
        this.skipped++;
        return;
      }
      this.collect();
    }, delayMs).unref();
  }

  check(): void {
    if (!this.idle()) return;
    const size = this.sizeBytes();
    if (size < this.baseline) this.baseline = size;
    if (size - this.baseline < this.thresholdBytes) return;
    this.collect();
  }

  /** A full collection; what it leaves is the new baseline. */
  private collect(): void {
    collectGarbage();
    this.collections++;
    this.baseline = this.sizeBytes();
  }
}
