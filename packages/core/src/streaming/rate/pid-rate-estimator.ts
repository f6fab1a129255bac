import { SluiceError } from '../../errors.js';

/** The PID estimator's settings (Spark's spark.streaming.backpressure.pid.*). */
export interface PIDSettings {
  /** Weight of the current error, ≥ 0 (default 1.0). */
  readonly proportional?: number | undefined;
  /** Weight of the accumulated error (from the scheduling delay), ≥ 0 (default 0.2). */
  readonly integral?: number | undefined;
  /** Weight of the error's rate of change, ≥ 0 (default 0.0; Spark calls it `derived`). */
  readonly derived?: number | undefined;
  /** The lowest rate it estimates, records/s, > 0 (default 100). */
  readonly minRate?: number | undefined;
}

export const DEFAULT_PID: Required<PIDSettings> = { proportional: 1.0, integral: 0.2, derived: 0.0, minRate: 100 };

/**
 * Spark's PIDRateEstimator: a proportional-integral-derivative controller over the rate
 * at which one input stream takes in records. After each completed batch it compares
 * the rate it set last (the desired rate) with the rate the batch was processed at
 * (records / processing delay); the scheduling delay stands for the accumulated error
 * (a delay of s ms is s × processing rate records that did not fit in earlier batches).
 *
 *   processingRate  = numElements / processingDelay × 1000            (records/s)
 *   error           = latestRate − processingRate
 *   historicalError = schedulingDelay × processingRate / batchInterval
 *   dError          = (error − latestError) / (time − latestTime in s)
 *   newRate         = max(minRate, latestRate − P·error − I·historicalError − D·dError)
 *
 * The first batch with records only sets latestRate to its processing rate (no estimate,
 * as Spark). A batch that is not newer than the last one used, has no records, or took
 * no time is skipped.
 *
 * Invariants: estimates are ≥ minRate; `latestTime` only grows. Threading: the driver
 * program's thread (called from batch completion, in batch order).
 */
export class PIDRateEstimator {
  private readonly proportional: number;
  private readonly integral: number;
  private readonly derived: number;
  readonly minRate: number;
  private firstRun = true;
  private latestTime = -1;
  private latestRate = -1;
  private latestError = -1;

  constructor(
    private readonly batchIntervalMs: number,
    settings: PIDSettings = {},
  ) {
    // A setting given as undefined is left out, as one not given: spread over the defaults it
    // would replace them (exactOptionalPropertyTypes users pass `{ minRate: maybeRate }`).
    const given = Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined)) as PIDSettings;
    const s = { ...DEFAULT_PID, ...given };
    const bad = (what: string, v: unknown, rule: string): never => {
      throw new SluiceError('SLUICE_BAD_ARGUMENT', `backpressure: ${what} must be ${rule}, got ${String(v)}; for example { backpressure: { ${what}: ${String((DEFAULT_PID as Record<string, number>)[what] ?? 1)} } }`);
    };
    if (!(Number.isFinite(batchIntervalMs) && batchIntervalMs > 0)) bad('batchInterval', batchIntervalMs, 'a number of ms > 0');
    for (const k of ['proportional', 'integral', 'derived'] as const) if (!(typeof s[k] === 'number' && Number.isFinite(s[k]) && s[k] >= 0)) bad(k, s[k], 'a number >= 0');
    if (!(typeof s.minRate === 'number' && Number.isFinite(s.minRate) && s.minRate > 0)) bad('minRate', s.minRate, 'a number of records per second > 0');
    this.proportional = s.proportional;
    this.integral = s.integral;
    this.derived = s.derived;
    this.minRate = s.minRate;
  }

  /**
   * The rate (records/s) the stream should take in from now on, given the batch at `time`
   * (ms) that just completed with `numElements` records of this stream; undefined when
   * there is no new estimate.
   */
  compute(time: number, numElements: number, processingDelay: number, schedulingDelay: number): number | undefined {
    if (!(time > this.latestTime && numElements > 0 && processingDelay > 0)) return undefined;
    const delaySinceUpdate = (time - this.latestTime) / 1000;
    const processingRate = (numElements / processingDelay) * 1000;
    const error = this.latestRate - processingRate;
    const historicalError = (schedulingDelay * processingRate) / this.batchIntervalMs;
    const dError = (error - this.latestError) / delaySinceUpdate;
    const newRate = Math.max(this.minRate, this.latestRate - this.proportional * error - this.integral * historicalError - this.derived * dError);
    this.latestTime = time;
    if (this.firstRun) {
      this.latestRate = processingRate;
      this.latestError = 0;
      this.firstRun = false;
      return undefined;
    }
    this.latestRate = newRate;
    this.latestError = error;
    return newRate;
  }
}
