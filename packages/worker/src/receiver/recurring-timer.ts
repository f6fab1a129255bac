/**
 * Calls `tick(time)` at the absolute times `k * periodMs + phaseMs` of the wall clock, as
 * Spark's RecurringTimer (which starts at the next multiple of its period): each tick is
 * scheduled for its own time, not `periodMs` after the one before, so the ticks do not drift.
 * A setInterval re-arms from the moment its callback ran, so every late tick (a busy event
 * loop, a loaded machine) moves all the later ones: a receiver's block cuts then sweep
 * across the batch boundaries, which fall at multiples of the batch interval.
 *
 * A tick that runs late, or runs long, past the next tick's time skips the times it missed:
 * the next call is for the first time due after it, not a burst of calls to catch up. `time`
 * is the tick's scheduled time.
 *
 * Invariants: at most one timeout armed; none after `stop()`. Threading: the caller's thread.
 */
export class RecurringTimer {
  private timer: NodeJS.Timeout | undefined;
  /** The time the armed timeout is for. */
  private next = 0;
  private running = false;

  constructor(
    private readonly periodMs: number,
    private readonly phaseMs: number,
    private readonly tick: (time: number) => void,
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.next = this.firstAfter(this.now());
    this.arm();
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The first tick time after `t`. */
  private firstAfter(t: number): number {
    return (Math.floor((t - this.phaseMs) / this.periodMs) + 1) * this.periodMs + this.phaseMs;
  }

  private arm(): void {
    this.timer = setTimeout(() => this.fire(), Math.max(1, this.next - this.now()));
  }

  private fire(): void {
    this.timer = undefined;
    if (!this.running) return;
    const now = this.now();
    // A timeout may run a millisecond before the wall clock reads its time.
    if (now < this.next) return this.arm();
    const time = this.next;
    this.tick(time);
    if (!this.running || this.timer !== undefined) return; // stopped, or started again, by the tick
    this.next = this.firstAfter(this.now());
    this.arm();
  }
}
