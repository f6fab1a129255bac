import { SluiceError } from '../errors.js';
import type { RDD } from './rdd.js';
import { MeanEvaluator, SumEvaluator } from './approximate-evaluators.js';
import { checkApproximateArguments, runApproximateJob } from './approximate-job.js';
import type { BoundedDouble, PartialResult } from './partial-result.js';
import { StatCounter, addStatValue, type StatState } from './stat-counter.js';

/**
 * The operators of RDDs of numbers (Spark's DoubleRDDFunctions): sum, the statistics of a
 * StatCounter in one pass, histograms. Each is typed with a `this: RDD<number>` parameter,
 * so it is only offered on RDDs of numbers. Mixed into RDD (see rdd.ts).
 */
export class DoubleRDDFunctions {
  /** The sum of the elements, 0 for none (Spark's fold(0.0)(_ + _): partition sums added in order). */
  async sum(this: RDD<number>): Promise<number> {
    return this.fold(0, add);
  }

  /** Count, mean, variance, max and min in one job. An RDD with no partition is an error, as Spark's (reduce of nothing). */
  async stats(this: RDD<number>): Promise<StatCounter> {
    const parts = await statsOfPartitions(this).collect();
    if (parts.length === 0) throw new SluiceError('SLUICE_BAD_ARGUMENT', `rdd.stats() on an RDD with no partition (rdd ${this.id}): empty collection`);
    const out = new StatCounter();
    for (const p of parts) out.merge(StatCounter.fromState(p));
    return out;
  }

  /**
   * The sum within `timeoutMs` milliseconds, as Spark's sumApprox: a PartialResult whose
   * `initialValue` is the exact sum (`isInitialValueFinal`, confidence 1) when the job ended in
   * time, else an estimate from the partitions summed by then (Spark's SumEvaluator): their
   * `count` elements of mean `m` stand for count / p of the same mean (p the fraction of
   * partitions summed), with a symmetric interval at `confidence` from the variance of that
   * count and of the mean, the factor Student's t (count - 1 degrees of freedom) up to 100
   * elements and the normal quantile past; `[-Infinity, Infinity]` with one element summed,
   * mean 0 and confidence 0 with none. The job goes on: `getFinalValue()` gives the exact sum.
   */
  async sumApprox(this: RDD<number>, timeoutMs: number, confidence = 0.95): Promise<PartialResult<BoundedDouble>> {
    checkApproximateArguments('rdd.sumApprox', timeoutMs, confidence);
    const total = this.numPartitions;
    return runApproximateJob<StatState[], BoundedDouble>(statsOfPartitions(this), { kind: 'collect' }, timeoutMs, () => new SumEvaluator(total, confidence));
  }

  /**
   * The mean within `timeoutMs` milliseconds, as Spark's meanApprox: exact when the job ended
   * in time, else the mean of the elements in the partitions done by then with the interval of
   * a sample mean at `confidence` (Spark's MeanEvaluator: stdev sqrt(sampleVariance / count),
   * Student's t up to 100 elements, normal past; `[-Infinity, Infinity]` with one element).
   */
  async meanApprox(this: RDD<number>, timeoutMs: number, confidence = 0.95): Promise<PartialResult<BoundedDouble>> {
    checkApproximateArguments('rdd.meanApprox', timeoutMs, confidence);
    const total = this.numPartitions;
    return runApproximateJob<StatState[], BoundedDouble>(statsOfPartitions(this), { kind: 'collect' }, timeoutMs, () => new MeanEvaluator(total, confidence));
  }

  /** The mean; 0 for no element (Spark's StatCounter.mean). */
  async mean(this: RDD<number>): Promise<number> {
    return (await this.stats()).mean;
  }

  /** The population variance; NaN for no element. */
  async variance(this: RDD<number>): Promise<number> {
    return (await this.stats()).variance;
  }

  async popVariance(this: RDD<number>): Promise<number> {
    return (await this.stats()).popVariance;
  }

  /** The variance divided by n - 1; NaN for fewer than two elements. */
  async sampleVariance(this: RDD<number>): Promise<number> {
    return (await this.stats()).sampleVariance;
  }

  async stdev(this: RDD<number>): Promise<number> {
    return (await this.stats()).stdev;
  }

  async popStdev(this: RDD<number>): Promise<number> {
    return (await this.stats()).popStdev;
  }

  async sampleStdev(this: RDD<number>): Promise<number> {
    return (await this.stats()).sampleStdev;
  }

  /**
   * Spark's two histograms. `histogram(bucketCount)`: `bucketCount` buckets evenly spaced from
   * the minimum to the maximum, as `[boundaries, counts]` (one bucket `[min, min]` when every
   * element is equal); an empty RDD or one holding NaN or ±Infinity is an error.
   * `histogram(buckets, evenBuckets?)`: the counts for sorted boundaries `buckets` (at least
   * two): every bucket is `[b_i, b_i+1)` but the last, `[b_n-1, b_n]`; elements outside are
   * not counted. `evenBuckets` says the boundaries are evenly spaced (a faster lookup).
   */
  async histogram(this: RDD<number>, bucketCount: number): Promise<[number[], number[]]>;
  async histogram(this: RDD<number>, buckets: readonly number[], evenBuckets?: boolean): Promise<number[]>;
  async histogram(this: RDD<number>, arg: number | readonly number[], evenBuckets = false): Promise<[number[], number[]] | number[]> {
    if (typeof arg !== 'number') return histogramCounts(this, [...arg], evenBuckets);
    if (!Number.isInteger(arg) || arg <= 0) throw new SluiceError('SLUICE_BAD_ARGUMENT', `rdd.histogram: the number of buckets must be a whole number greater than 0, got ${String(arg)}`);
    // Spark's min and max come from a reduce: of no partition, its 'empty collection'.
    if (this.numPartitions === 0) throw new SluiceError('SLUICE_BAD_ARGUMENT', `rdd.histogram(${arg}) on an RDD with no partition (rdd ${this.id}): empty collection`);
    const stats = await this.stats();
    const { min, max } = stats;
    if (Number.isNaN(min) || Number.isNaN(max) || !Number.isFinite(min) || !Number.isFinite(max)) {
      throw new SluiceError('SLUICE_BAD_ARGUMENT', `rdd.histogram(${arg}) on either an empty RDD or an RDD containing +/-Infinity or NaN (rdd ${this.id}; min ${min}, max ${max})`);
    }
    // As Spark's customRange: min + (i * span) / count, then max itself.
    const buckets = min === max ? [min, min] : [...Array.from({ length: arg }, (_, i) => min + (i * (max - min)) / arg), max];
    return [buckets, await histogramCounts(this, buckets, true)];
  }
}

async function histogramCounts(rdd: RDD<number>, buckets: number[], even: boolean): Promise<number[]> {
  if (buckets.length < 2) throw new SluiceError('SLUICE_BAD_ARGUMENT', `rdd.histogram: the buckets array must have at least two elements, got [${buckets.join(', ')}]`);
  const counts = new Array<number>(buckets.length - 1).fill(0);
  if (rdd.numPartitions === 0) return counts;
  const parts = await rdd
    .narrow<number[]>({
      kind: 'mapPartitions',
      withIndex: false,
      fn: rdd.ship((it: Iterable<number>): number[][] => {
        const last = buckets.length - 1;
        const lo = buckets[0];
        const hi = buckets[last];
        const out = new Array<number>(last).fill(0);
        for (const e of it) {
          let b = -1;
          if (even) {
            // Spark's fastBucketFunction, its tests as they are (a NaN bound compares false, so bounds
            // [NaN, x] take what is <= x) and Scala's Double.toInt (NaN is 0, past the Int range its
            // bounds): min == max, or an infinite span (Infinity / Infinity), put an element in bucket 0.
            if (Number.isNaN(e) || e < lo || e > hi) continue;
            const x = ((e - lo) / (hi - lo)) * last;
            const i = Number.isNaN(x) ? 0 : x >= 2147483647 ? 2147483647 : x <= -2147483648 ? -2147483648 : Math.trunc(x);
            b = Math.min(i, last - 1);
          } else {
            // Spark's basicBucketFunction: java.util.Arrays.binarySearch with NaN above +Infinity and
            // equal to itself (Double.compare's order; -0 is 0 here): bucket i holds [b_i, b_i+1), the
            // last also its upper bound, so a NaN last bound takes what is above b_n-1, NaN included.
            const order = (a: number, x: number): number => (a < x ? -1 : a > x ? 1 : a === x ? 0 : Number.isNaN(a) ? (Number.isNaN(x) ? 0 : 1) : -1);
            let l = 0;
            let h = last;
            let found = -1;
            while (l <= h) {
              const m = (l + h) >>> 1;
              const c = order(buckets[m], e);
              if (c < 0) l = m + 1;
              else if (c > 0) h = m - 1;
              else {
                found = m;
                break;
              }
            }
            if (found >= 0) b = found < last ? found : found - 1;
            else if (l > 0 && l <= last) b = l - 1;
          }
          if (b >= 0) out[b] += 1;
        }
        return [out];
      }, 'histogram'),
    })
    .collect();
  for (const p of parts) for (let i = 0; i < counts.length; i++) counts[i] += p[i];
  return counts;
}

// Self-contained helper shipped to workers.
function add(a: number, b: number): number {
  return a + b;
}

/** One StatState a partition: its elements' count, mean, m2, max and min (stats, sumApprox, meanApprox). */
function statsOfPartitions(rdd: RDD<number>): RDD<StatState> {
  const addValue = addStatValue;
  return rdd.narrow<StatState>({ kind: 'mapPartitions', withIndex: false, fn: rdd.ship((it: Iterable<number>): StatState[] => {
    const s: StatState = { n: 0, mu: 0, m2: 0, max: -Infinity, min: Infinity };
    for (const x of it) addValue(s, x);
    return [s];
  }, 'stats') });
}
