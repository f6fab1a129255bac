/** A streaming job whose scheduling delay keeps growing: it takes in more than it processes. */
export interface FallingBehind {
  /** The batch at which the delay had grown for `batches` batches in a row. */
  readonly since: number;
  /** The longest run of batches in a row whose scheduling delay grew, while behind. */
  readonly batches: number;
  /** The scheduling delay before the first of those batches grew it (ms). */
  readonly fromDelayMs: number;
  /** The scheduling delay of the last batch completed (ms). */
  readonly schedulingDelayMs: number;
}

export type FallingBehindChange = { readonly type: 'fallingBehind'; readonly state: FallingBehind } | { readonly type: 'caughtUp'; readonly batchTime: number; readonly schedulingDelayMs: number };

/** Default number of batches in a row whose scheduling delay grows before the warning. */
export const DEFAULT_FALLING_BEHIND_BATCHES = 10;

/**
 * Tells when a streaming job falls behind: its scheduling delay (how long a batch waited
 * for the batches before it) grew from each completed batch to the next for `n` batches
 * in a row. That state ends once a batch starts within one batch interval of its time
 * (the job caught up). Spark has no such warning; a growing scheduling delay is the sign
 * its Streaming tab asks users to watch.
 *
 * Invariants: `state` is set only after `n` growing batches in a row and cleared only by
 * a batch whose delay is under the batch interval. Threading: the driver program's thread.
 */
export class FallingBehindDetector {
  private lastDelay: number | undefined;
  private growing = 0;
  private firstDelay = 0;
  private current: FallingBehind | undefined;

  constructor(
    private readonly n: number,
    private readonly batchIntervalMs: number,
  ) {}

  get state(): FallingBehind | undefined {
    return this.current;
  }

  /** A batch completed (in batch order); returns what changed, if anything. */
  onBatchCompleted(batchTime: number, schedulingDelay: number): FallingBehindChange | undefined {
    if (this.lastDelay !== undefined && schedulingDelay > this.lastDelay) {
      if (this.growing === 0) this.firstDelay = this.lastDelay;
      this.growing++;
    } else this.growing = 0;
    this.lastDelay = schedulingDelay;
    if (this.current) {
      if (schedulingDelay < this.batchIntervalMs) {
        this.current = undefined;
        return { type: 'caughtUp', batchTime, schedulingDelayMs: schedulingDelay };
      }
      this.current = { ...this.current, batches: Math.max(this.current.batches, this.growing), schedulingDelayMs: schedulingDelay };
      return undefined;
    }
    if (this.n > 0 && this.growing >= this.n) {
      this.current = { since: batchTime, batches: this.growing, fromDelayMs: this.firstDelay, schedulingDelayMs: schedulingDelay };
      return { type: 'fallingBehind', state: this.current };
    }
    return undefined;
  }
}
