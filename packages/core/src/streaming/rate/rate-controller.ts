import type { PIDRateEstimator } from './pid-rate-estimator.js';

/**
 * One input stream's rate under backpressure, as Spark's RateController: after each
 * completed batch it feeds the stream's record count and the batch's delays to the
 * estimator and, when that gives a new rate, keeps it and publishes it (a receiver
 * stream sends it to its receiver's rate limiter; a direct input reads `latestRate`
 * when it fixes the next batch's ranges).
 *
 * Invariants: `latestRate` is undefined until the first estimate, then ≥ the
 * estimator's minRate. Threading: the driver program's thread.
 */
export class RateController {
  private latest: number | undefined;

  constructor(
    readonly streamId: number,
    private readonly estimator: PIDRateEstimator,
    private readonly publish: (rate: number) => void,
  ) {}

  /** The batch at `time` completed: `numRecords` of them from this stream. */
  onBatchCompleted(time: number, numRecords: number, processingDelay: number, schedulingDelay: number): void {
    const rate = this.estimator.compute(time, numRecords, processingDelay, schedulingDelay);
    if (rate === undefined) return;
    this.latest = rate;
    this.publish(rate);
  }

  /** The last rate estimated (records/s), undefined before the first. */
  get latestRate(): number | undefined {
    return this.latest;
  }
}
