import { javaFixed } from '../util/java-fixed.js';

/** A StatCounter's running figures, as plain data (what a task sends back for its partition). */
export interface StatState {
  n: number;
  /** Running mean. */
  mu: number;
  /** Running sum of squared differences from the mean. */
  m2: number;
  max: number;
  min: number;
}

/**
 * Adds one value to `s` (Welford's update). Self-contained: tasks run it too (double-rdd-functions.ts
 * ships it with the per-partition function), so it names nothing outside itself.
 */
export function addStatValue(s: StatState, value: number): void {
  const delta = value - s.mu;
  s.n += 1;
  s.mu += delta / s.n;
  s.m2 += delta * (value - s.mu);
  s.max = Math.max(s.max, value);
  s.min = Math.min(s.min, value);
}

/**
 * Count, mean, variance, max and min of a set of numbers in one pass, mergeable, as Spark's
 * org.apache.spark.util.StatCounter (Welford's and Chan's updates): what `rdd.stats()` returns.
 * With no value: count 0, mean 0, sum 0, variance NaN, max -Infinity, min Infinity (as Spark's).
 */
export class StatCounter {
  private readonly s: StatState = { n: 0, mu: 0, m2: 0, max: -Infinity, min: Infinity };

  constructor(values: Iterable<number> = []) {
    this.merge(values);
  }

  /** @internal A counter holding the figures a task computed. */
  static fromState(state: StatState): StatCounter {
    const c = new StatCounter();
    Object.assign(c.s, state);
    return c;
  }

  /** Adds a value, every value of an iterable, or another counter's figures. */
  merge(value: number | Iterable<number> | StatCounter): this {
    if (typeof value === 'number') addStatValue(this.s, value);
    else if (value instanceof StatCounter) this.mergeState(value === this ? { ...value.s } : value.s);
    else for (const v of value) addStatValue(this.s, v);
    return this;
  }

  private mergeState(o: StatState): void {
    const s = this.s;
    if (o.n === 0) return;
    if (s.n === 0) {
      Object.assign(s, o);
      return;
    }
    const delta = o.mu - s.mu;
    // As Spark's: the larger side's mean moves, which keeps precision when the sizes differ a lot.
    if (o.n * 10 < s.n) s.mu = s.mu + (delta * o.n) / (s.n + o.n);
    else if (s.n * 10 < o.n) s.mu = o.mu - (delta * s.n) / (s.n + o.n);
    else s.mu = (s.mu * s.n + o.mu * o.n) / (s.n + o.n);
    s.m2 += o.m2 + (delta * delta * s.n * o.n) / (s.n + o.n);
    s.n += o.n;
    s.max = Math.max(s.max, o.max);
    s.min = Math.min(s.min, o.min);
  }

  copy(): StatCounter {
    return StatCounter.fromState({ ...this.s });
  }

  get count(): number {
    return this.s.n;
  }

  get mean(): number {
    return this.s.mu;
  }

  get sum(): number {
    return this.s.n * this.s.mu;
  }

  get max(): number {
    return this.s.max;
  }

  get min(): number {
    return this.s.min;
  }

  /** The population variance (divided by n); NaN with no value. */
  get variance(): number {
    return this.s.n === 0 ? NaN : this.s.m2 / this.s.n;
  }

  get popVariance(): number {
    return this.variance;
  }

  /** The sample variance (divided by n - 1, correcting the bias); NaN with fewer than two values. */
  get sampleVariance(): number {
    return this.s.n <= 1 ? NaN : this.s.m2 / (this.s.n - 1);
  }

  get stdev(): number {
    return Math.sqrt(this.variance);
  }

  get popStdev(): number {
    return this.stdev;
  }

  get sampleStdev(): number {
    return Math.sqrt(this.sampleVariance);
  }

  /**
   * As Spark's, "(count: %d, mean: %f, stdev: %f, max: %f, min: %f)" with Java's %f (javaFixed):
   * `(count: 3, mean: 2.000000, stdev: 0.816497, max: 3.000000, min: 1.000000)`.
   */
  toString(): string {
    const f = (x: number): string => javaFixed(x, 6);
    return `(count: ${this.count}, mean: ${f(this.mean)}, stdev: ${f(this.stdev)}, max: ${f(this.max)}, min: ${f(this.min)})`;
  }
}
