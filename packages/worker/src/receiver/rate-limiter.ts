/**
 * Bounds how many records per second a receiver takes in, as Spark's receiver RateLimiter
 * (a Guava RateLimiter that `store` waits on): a token bucket filled at `rate` records/s,
 * holding at most `burstMs` worth of them. Records are admitted while the bucket is not in
 * debt; admitting n records takes n tokens, which may leave it in debt (a store of many
 * records at once is not split here: ReceiverSupervisor splits one with source positions into
 * parts of `burst`), and the next store waits until the debt is paid.
 *
 * The rate is the lower of the receiver's maximum (receiverMaxRate) and the rate set last
 * by backpressure (`setRate`); Infinity when neither bounds it. Time comes from `now`.
 *
 * Threading: the receiver's thread.
 */
export class RateLimiter {
  private estimated: number;
  private tokens = 0;
  private last: number;

  constructor(
    /** Most records/s, whatever backpressure says (Infinity: no bound). */
    private readonly maxRate: number,
    /** The rate to start at (Infinity: unbounded until `setRate`). */
    initialRate: number,
    private readonly burstMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.estimated = initialRate;
    this.last = now();
  }

  /** Records per second admitted now. */
  get rate(): number {
    return Math.min(this.maxRate, this.estimated);
  }

  /** Backpressure's new rate; ignored unless > 0 (as Spark's RateLimiter.updateRate). */
  setRate(rate: number): void {
    if (!(rate > 0)) return;
    this.refill();
    this.estimated = rate;
    this.tokens = Math.min(this.tokens, this.capacity());
  }

  /** The most records the bucket holds (one burst interval's worth); Infinity while unbounded. */
  get burst(): number {
    return this.rate === Infinity ? Infinity : this.capacity();
  }

  /** Admit `n` records if the bucket is not in debt; else how many ms until it is not. */
  tryAcquire(n: number): number {
    const rate = this.rate;
    if (rate === Infinity) return 0;
    this.refill();
    if (this.tokens < 0) return Math.max(1, Math.ceil((-this.tokens / rate) * 1000));
    this.tokens -= n;
    return 0;
  }

  private capacity(): number {
    return Math.max(1, (this.rate * this.burstMs) / 1000);
  }

  private refill(): void {
    const t = this.now();
    const rate = this.rate;
    if (rate !== Infinity) this.tokens = Math.min(this.capacity(), this.tokens + ((t - this.last) * rate) / 1000);
    this.last = t;
  }
}
