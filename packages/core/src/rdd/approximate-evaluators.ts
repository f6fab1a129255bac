/**
 * What the approximate actions make of the partitions ended by their timeout (Spark's
 * ApproximateEvaluators): each partition's value merged as its task ends, the current result
 * an estimate of the whole with a confidence interval, exact once every partition is in.
 */
import { keyId, type KeyId } from './key.js';
import { BoundedDouble, countBound, normalQuantile } from './partial-result.js';
import { StatCounter, type StatState } from './stat-counter.js';
import { studentTQuantile } from './student-t.js';

/** Spark's ApproximateEvaluator: `merge` each partition's value once, `currentResult()` at any time. */
export interface ApproximateEvaluator<U, R> {
  merge(partition: number, value: U): void;
  currentResult(): R;
}

/** countApprox's (Spark's CountEvaluator): a partition's value is its count. */
export class CountEvaluator implements ApproximateEvaluator<number, BoundedDouble> {
  private merged = 0;
  private sum = 0;

  constructor(private readonly total: number, private readonly confidence: number) {}

  merge(_partition: number, count: number): void {
    this.merged++;
    this.sum += count;
  }

  currentResult(): BoundedDouble {
    return countBound(this.sum, this.merged, this.total, this.confidence);
  }
}

/**
 * The factor of a symmetric interval at `confidence` about a mean of `count` elements, as
 * Spark's Sum/MeanEvaluator take it: the normal quantile at (1 + confidence) / 2 past 100
 * elements, Student's t with count - 1 degrees of freedom up to 100.
 */
export function confidenceFactor(count: number, confidence: number): number {
  const q = (1 + confidence) / 2;
  if (q >= 1) return Infinity;
  return count > 100 ? normalQuantile(q) : studentTQuantile(q, count - 1);
}

/** An interval `mean ± factor * stdev`, `[mean, mean]` where the spread is 0 (an infinite factor times 0 is not NaN here). */
function symmetric(mean: number, confidence: number, factor: number, stdev: number): BoundedDouble {
  const half = stdev === 0 ? 0 : factor * stdev;
  return new BoundedDouble(mean, confidence, mean - half, mean + half);
}

/** A partition's StatCounter figures, as the per-partition job of sumApprox and meanApprox gives them (one a partition). */
type StatsOfPartition = readonly StatState[];

/** What SumEvaluator and MeanEvaluator merge: the partitions counted, their elements' StatCounter. */
abstract class StatsEvaluator implements ApproximateEvaluator<StatsOfPartition, BoundedDouble> {
  protected merged = 0;
  protected readonly counter = new StatCounter();

  constructor(protected readonly total: number, protected readonly confidence: number) {}

  merge(_partition: number, value: StatsOfPartition): void {
    this.merged++;
    for (const s of value) this.counter.merge(StatCounter.fromState(s));
  }

  abstract currentResult(): BoundedDouble;
}

/**
 * sumApprox's (Spark's SumEvaluator): the partitions counted hold `count` elements of mean
 * `mean`; the rest is taken to hold count (1 - p) / p more (p the fraction of partitions
 * counted) of the same mean; the variance of that product from the count's (count (1 - p) / p²)
 * and the mean's (sampleVariance / count); bounds `[-Infinity, Infinity]` with a single element.
 */
export class SumEvaluator extends StatsEvaluator {
  currentResult(): BoundedDouble {
    const c = this.counter;
    if (this.merged === this.total) return new BoundedDouble(c.sum, 1, c.sum, c.sum);
    if (this.merged === 0 || c.count === 0) return new BoundedDouble(0, 0, -Infinity, Infinity);
    const p = this.merged / this.total;
    const meanEstimate = c.mean;
    const countEstimate = (c.count * (1 - p)) / p;
    const sumEstimate = meanEstimate * countEstimate;
    const meanVar = c.sampleVariance / c.count;
    if (Number.isNaN(meanVar) || c.count === 1) return new BoundedDouble(c.sum + sumEstimate, this.confidence, -Infinity, Infinity);
    const countVar = (c.count * (1 - p)) / (p * p);
    const sumVar = meanEstimate * meanEstimate * countVar + countEstimate * countEstimate * meanVar + meanVar * countVar;
    return symmetric(c.sum + sumEstimate, this.confidence, confidenceFactor(c.count, this.confidence), Math.sqrt(sumVar));
  }
}

/**
 * meanApprox's (Spark's MeanEvaluator): the mean of the elements counted, with the interval
 * of a sample mean (stdev sqrt(sampleVariance / count)); `[-Infinity, Infinity]` with a single element.
 */
export class MeanEvaluator extends StatsEvaluator {
  currentResult(): BoundedDouble {
    const c = this.counter;
    if (this.merged === this.total) return new BoundedDouble(c.mean, 1, c.mean, c.mean);
    if (this.merged === 0 || c.count === 0) return new BoundedDouble(0, 0, -Infinity, Infinity);
    if (c.count === 1) return new BoundedDouble(c.mean, this.confidence, -Infinity, Infinity);
    return symmetric(c.mean, this.confidence, confidenceFactor(c.count, this.confidence), Math.sqrt(c.sampleVariance / c.count));
  }
}

/**
 * countByValueApprox's (Spark's GroupedCountEvaluator): each value's count over the partitions
 * counted, bounded as countApprox bounds a count (the rest Poisson); values are equal as
 * `countByValue` takes them (by value). No partition counted: an empty map.
 */
export class GroupedCountEvaluator<T> implements ApproximateEvaluator<readonly (readonly [T, number])[], Map<T, BoundedDouble>> {
  private merged = 0;
  private readonly sums = new Map<KeyId, [T, number]>();

  constructor(private readonly total: number, private readonly confidence: number) {}

  merge(_partition: number, counts: readonly (readonly [T, number])[]): void {
    this.merged++;
    for (const [k, n] of counts) {
      const id = keyId(k);
      const e = this.sums.get(id);
      if (e) e[1] += n;
      else this.sums.set(id, [k, n]);
    }
  }

  currentResult(): Map<T, BoundedDouble> {
    const out = new Map<T, BoundedDouble>();
    if (this.merged === 0 && this.total > 0) return out;
    for (const [k, n] of this.sums.values()) out.set(k, countBound(n, this.merged, this.total, this.confidence));
    return out;
  }
}
