/**
 * When a standalone worker (`sluice worker`) tries to register with its driver again after
 * an attempt found none, as Spark's standalone Worker does with its master (Worker.scala's
 * reregisterWithMaster): after the first attempt, INITIAL_REGISTRATION_RETRIES (6) retries one
 * base interval apart (10 s by default), then the rest of TOTAL_REGISTRATION_RETRIES (16) 6
 * base intervals apart (60 s), each interval scaled by one factor drawn per worker in
 * [0.5, 1.5) so that workers started together do not all call at once: 6 x 10 s + 10 x 60 s,
 * about 11 minutes (5.5 to 16.5) from the first attempt to the last before the worker gives up.
 */

/** Spark's TOTAL_REGISTRATION_RETRIES (spark.worker.maxRegistrationRetries): retries after the first attempt. */
export const DEFAULT_REGISTRATION_RETRIES = 16;
/** Spark's INITIAL_REGISTRATION_RETRIES: retries at the short interval. */
export const INITIAL_REGISTRATION_RETRIES = 6;
/** Spark's 10 s base of the initial interval (the prolonged one is 6 times it: 60 s). */
export const DEFAULT_REGISTRATION_RETRY_INTERVAL_MS = 10_000;
const PROLONGED_FACTOR = 6;

export class RegistrationSchedule {
  private readonly fuzz: number;

  /**
   * @param attempts attempts in all: the first and its retries (at least 1)
   * @param baseIntervalMs the short interval before fuzzing
   * @param random a number in [0, 1) (tests pin it)
   */
  constructor(
    readonly attempts: number,
    private readonly baseIntervalMs: number,
    random: number = Math.random(),
  ) {
    this.fuzz = 0.5 + random;
  }

  /** Milliseconds from the start of attempt `n` (1-based) to the start of the next (retry n). */
  intervalAfter(n: number): number {
    const base = n <= INITIAL_REGISTRATION_RETRIES ? this.baseIntervalMs : this.baseIntervalMs * PROLONGED_FACTOR;
    return Math.max(1, Math.round(base * this.fuzz));
  }
}
