import { SluiceError, type Clock } from '@sluice/core/internal';

/** How the number of workers streams need is computed (Spark's spark.streaming.dynamicAllocation.*). */
export interface WorkerAllocationOptions {
  /** Never fewer (spark.streaming.dynamicAllocation.minExecutors; default 1). */
  readonly minWorkers: number;
  /** Never more (maxExecutors; default: no limit). */
  readonly maxWorkers: number;
  /** Ask for more workers when processing time / batch interval reaches this (scalingUpRatio; default 0.9). */
  readonly scalingUpRatio: number;
  /** Ask for one worker fewer when the ratio is at most this (scalingDownRatio; default 0.3). */
  readonly scalingDownRatio: number;
  /** How often the figure is decided anew, from the batches completed since (scalingInterval; default 60 s). */
  readonly scalingIntervalMs: number;
}

export const DEFAULT_WORKER_ALLOCATION: WorkerAllocationOptions = {
  minWorkers: 1,
  maxWorkers: Number.POSITIVE_INFINITY,
  scalingUpRatio: 0.9,
  scalingDownRatio: 0.3,
  scalingIntervalMs: 60_000,
};

/** A running streaming job, as the allocation reads it: its batch interval and batches completed. */
export interface AllocationStream {
  readonly batchIntervalMs: number;
  /** Completed batches (oldest first) with their processing end and processing time. */
  readonly completed: readonly { readonly processingEndTime: number; readonly processingDelay: number }[];
}

const bad = (what: string, value: number, fix: string): SluiceError => new SluiceError('SLUICE_BAD_ARGUMENT', `the driver option ${what} must be ${fix}, got ${String(value)}`);

/** The options with defaults filled in, checked: a SluiceError naming the option, its value and what it must be. */
export function workerAllocationOptions(o: Partial<WorkerAllocationOptions> = {}): WorkerAllocationOptions {
  const r = { ...DEFAULT_WORKER_ALLOCATION, ...o };
  if (!Number.isSafeInteger(r.minWorkers) || r.minWorkers < 1) throw bad('minWorkers (sluice driver --min-workers)', r.minWorkers, 'a whole number >= 1');
  if (r.maxWorkers !== Number.POSITIVE_INFINITY && (!Number.isSafeInteger(r.maxWorkers) || r.maxWorkers < r.minWorkers)) {
    throw bad('maxWorkers (sluice driver --max-workers)', r.maxWorkers, `a whole number >= --min-workers (${r.minWorkers})`);
  }
  if (!(r.scalingUpRatio > 0) || !Number.isFinite(r.scalingUpRatio)) throw bad('scalingUpRatio (sluice driver --scaling-up-ratio)', r.scalingUpRatio, 'a number > 0, for example 0.9 (the default)');
  if (!(r.scalingDownRatio > 0) || !(r.scalingDownRatio < r.scalingUpRatio)) {
    throw bad('scalingDownRatio (sluice driver --scaling-down-ratio)', r.scalingDownRatio, `a number > 0 and below --scaling-up-ratio (${r.scalingUpRatio}), for example 0.3 (the default)`);
  }
  if (!Number.isSafeInteger(r.scalingIntervalMs) || r.scalingIntervalMs < 1) throw bad('scalingIntervalMs (sluice driver --scaling-interval-ms)', r.scalingIntervalMs, 'a whole number of milliseconds >= 1, for example 60000 (the default)');
  return r;
}

/**
 * The number of workers the running streams need (Spark's streaming
 * ExecutorAllocationManager, as a figure for an autoscaler rather than requests of its own:
 * Sluice never starts machines, the orchestrator does, reading `sluice_desired_workers`).
 *
 * Every `scalingIntervalMs` it decides anew from the batches completed since the last
 * decision: per stream, the ratio of their mean processing time to the batch interval;
 * the most loaded stream governs (the workers are shared). At or above `scalingUpRatio`:
 * the registered workers plus max(1, round(ratio)); at or below `scalingDownRatio`: one
 * fewer; between them (the hysteresis band): as many as are registered. Always within
 * [minWorkers, maxWorkers]. With no stream running it answers the registered count; with
 * streams running but no batch of theirs completed in the interval (a batch that takes longer
 * than the interval) it keeps its last decision, as Spark's manager changes nothing then.
 * Between decisions it answers the last one, so an autoscaler that acts on it gets one step
 * per interval, as in Spark.
 *
 * Threading: driver main thread; time from the injected Clock.
 */
export class WorkerAllocationManager {
  private decided: number | undefined;
  private decidedAt = Number.NEGATIVE_INFINITY;

  constructor(
    readonly options: WorkerAllocationOptions,
    private readonly clock: Clock,
  ) {}

  /** The number of workers wanted now, with `registered` workers and these streams running. */
  desired(registered: number, streams: readonly AllocationStream[]): number {
    const now = this.clock.now();
    if (this.decided === undefined || now - this.decidedAt >= this.options.scalingIntervalMs) {
      const since = this.decided === undefined ? now - this.options.scalingIntervalMs : this.decidedAt;
      this.decided = this.decide(registered, streams, since);
      this.decidedAt = now;
    }
    return this.decided;
  }

  private decide(registered: number, streams: readonly AllocationStream[], since: number): number {
    let ratio: number | undefined;
    let running = false;
    for (const s of streams) {
      if (s.batchIntervalMs <= 0) continue;
      running = true;
      const recent = s.completed.filter((b) => b.processingEndTime > since);
      if (recent.length === 0) continue;
      const r = recent.reduce((a, b) => a + b.processingDelay, 0) / recent.length / s.batchIntervalMs;
      ratio = Math.max(ratio ?? 0, r);
    }
    let want = registered;
    if (ratio === undefined && running && this.decided !== undefined) want = this.decided;
    else if (ratio !== undefined && ratio >= this.options.scalingUpRatio) want = registered + Math.max(1, Math.round(ratio));
    else if (ratio !== undefined && ratio <= this.options.scalingDownRatio) want = registered - 1;
    return Math.min(this.options.maxWorkers, Math.max(this.options.minWorkers, want));
  }
}
