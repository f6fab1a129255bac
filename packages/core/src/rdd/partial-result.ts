/**
 * What the approximate actions give (Spark's PartialResult and BoundedDouble): a value known
 * when the timeout expired, with bounds, and the exact value once the job ends.
 */
import { javaFixed } from '../util/java-fixed.js';

/**
 * A number with a confidence interval (Spark's BoundedDouble): `low <= mean <= high` with
 * probability `confidence`. `String(b)` is Spark's toString, `"[%.3f, %.3f]"` of its bounds
 * (`[0.000, Infinity]`); `equals` is Spark's, the same four numbers.
 */
export class BoundedDouble {
  constructor(
    readonly mean: number,
    readonly confidence: number,
    readonly low: number,
    readonly high: number,
  ) {}

  toString(): string {
    return `[${javaFixed(this.low, 3)}, ${javaFixed(this.high, 3)}]`;
  }

  /** Spark's equals: another BoundedDouble with the same mean, confidence, low and high (NaN equals nothing, as a Double's ==). */
  equals(that: unknown): boolean {
    return that instanceof BoundedDouble && this.mean === that.mean && this.confidence === that.confidence && this.low === that.low && this.high === that.high;
  }
}

/**
 * An approximate action's result (Spark's PartialResult): `initialValue` is what the
 * partitions finished by the timeout gave; `isInitialValueFinal` says whether the whole job had
 * ended by then (the value is exact); `getFinalValue()` resolves once the job ended (at once
 * when it had), with the exact value, or rejects with the job's error.
 */
export class PartialResult<R> {
  readonly initialValue: R;
  readonly isInitialValueFinal: boolean;
  private readonly final: Promise<R>;
  /** The final value once the job ended (at once when the initial value is final): what toString shows then. */
  private ended: { readonly value: R } | undefined;

  /** @internal */
  constructor(initialValue: R, isFinal: boolean, final: Promise<R>) {
    this.initialValue = initialValue;
    this.isInitialValueFinal = isFinal;
    this.final = final;
    if (isFinal) this.ended = { value: initialValue };
    else final.then((value) => void (this.ended = { value }), () => undefined);
  }

  getFinalValue(): Promise<R> {
    return this.final;
  }

  /** Calls `handler` with the final value once the job ended (Spark's onComplete); returns this. */
  onComplete(handler: (value: R) => void): this {
    this.final.then(handler, () => undefined);
    return this;
  }

  /** Calls `handler` with the job's error if it failed (Spark's onFail). */
  onFail(handler: (error: Error) => void): void {
    this.final.then(() => undefined, handler);
  }

  /** This result with `f` applied to its initial and its final value (Spark's map). */
  map<U>(f: (value: R) => U): PartialResult<U> {
    const final = this.final.then(f);
    final.catch(() => undefined);
    return new PartialResult(f(this.initialValue), this.isInitialValueFinal, final);
  }

  /**
   * Spark's PartialResult.toString: `(final: <value>)` once the job ended, the final value (so a
   * result partial at its timeout reads final after), else `(partial: <initial value>)`; a
   * BoundedDouble as Spark's, `[%.3f, %.3f]` of its bounds (`[0.000, Infinity]`), a Map as
   * Scala's, `Map(a -> [2.000, 2.000])` (entries in the order counted; Scala's hash order may differ).
   */
  toString(): string {
    return this.ended !== undefined ? `(final: ${show(this.ended.value)})` : `(partial: ${show(this.initialValue)})`;
  }
}

function show(v: unknown): string {
  if (v instanceof Map) return `Map(${[...v].map(([k, x]) => `${String(k)} -> ${show(x)}`).join(', ')})`;
  return String(v);
}

/**
 * Spark's CountEvaluator: `sum` elements counted in `merged` of `total` partitions. All of
 * them: exact. None (or nothing counted): [0, Infinity] at confidence 0. Otherwise the rest
 * is taken as Poisson with mean sum * (1 - p) / p (p = merged / total), its quantiles at
 * (1 - confidence) / 2 and (1 + confidence) / 2 added to sum.
 */
export function countBound(sum: number, merged: number, total: number, confidence: number): BoundedDouble {
  if (merged === total) return new BoundedDouble(sum, 1, sum, sum);
  if (merged === 0 || sum === 0) return new BoundedDouble(0, 0, 0, Infinity);
  const p = merged / total;
  const lambda = (sum * (1 - p)) / p;
  return new BoundedDouble(sum + lambda, confidence, sum + poissonQuantile(lambda, (1 - confidence) / 2), sum + poissonQuantile(lambda, (1 + confidence) / 2));
}

/** The smallest k with P(X <= k) >= q, X Poisson with mean lambda (as Commons Math's inverseCumulativeProbability). */
export function poissonQuantile(lambda: number, q: number): number {
  if (q <= 0) return 0;
  if (q >= 1) return Infinity;
  if (lambda > 1e5) {
    // Summing the terms would take lambda steps: the normal approximation, within a unit of the exact quantile there.
    return Math.max(0, Math.ceil(lambda + normalQuantile(q) * Math.sqrt(lambda) - 0.5));
  }
  // Terms in log space from k = 0 (e^-lambda underflows past lambda ~ 745).
  let logTerm = -lambda;
  let k = 0;
  let cdf = Math.exp(logTerm);
  while (cdf < q) {
    k++;
    logTerm += Math.log(lambda) - Math.log(k);
    cdf += Math.exp(logTerm);
    if (k > lambda + 50 * Math.sqrt(lambda) + 100) break; // rounding: the tail is exhausted
  }
  return k;
}

/** The standard normal quantile, by bisection on its CDF (erf as Abramowitz and Stegun 7.1.26, error < 1.5e-7). */
export function normalQuantile(q: number): number {
  let lo = -10;
  let hi = 10;
  for (let i = 0; i < 80; i++) {
    const mid = (lo + hi) / 2;
    if (normalCdf(mid) < q) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z);
  return x >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}
