import type { Curried } from './curried.js';
import type { Returned } from './returned.js';
import { checkCodec, type CompressionCodecName } from '../io/compression-codec.js';
import { SluiceError } from '../errors.js';
import { sparkWords } from '../util/spark-words.js';
import { mulberry32, sampleSeed } from '../util/random.js';
import { concatParts } from '../util/concat-parts.js';
import { copier } from '../codec/codec.js';
import { toWire } from '../codec/record-classes.js';
import { checkPrecision, estimate, merge, newSketch, precisionFor } from './hyper-log-log.js';
import { keyId, orderComparator, type KeyId, type OrderArg } from './key.js';
import { CountEvaluator, GroupedCountEvaluator } from './approximate-evaluators.js';
import { checkApproximateArguments, runApproximateJob } from './approximate-job.js';
import type { BoundedDouble, PartialResult } from './partial-result.js';
import type { RDD } from './rdd.js';
import { takePartitionsToTry } from './take-scan.js';

/**
 * RDD's actions (Spark's RDD.scala): each runs a job on the cluster and returns a Promise of
 * its result on the driver. Mixed into RDD (see rdd.ts), so `rdd.count()` is one of them.
 */
export class RDDActions<T> {
  async collect(this: RDD<T>): Promise<T[]> {
    const parts = (await this.context.runAction(this, { kind: 'collect' })) as T[][];
    return concatParts(parts);
  }

  async count(this: RDD<T>): Promise<number> {
    const parts = (await this.context.runAction(this, { kind: 'count' })) as number[];
    return parts.reduce((a, b) => a + b, 0);
  }

  /**
   * The count within `timeoutMs` milliseconds, as Spark's countApprox: a PartialResult whose
   * `initialValue` is the exact count when the job ended in time (`isInitialValueFinal`), else
   * an estimate from the partitions counted by then with bounds at `confidence` (Spark's
   * CountEvaluator: the rest taken as Poisson; [0, Infinity] when none was counted). The job
   * goes on after the timeout: `getFinalValue()` gives the exact count when it ends.
   * @example
   *   const r = await rdd.countApprox(2000, 0.95);
   *   console.log(r.initialValue.low, r.initialValue.high, (await r.getFinalValue()).mean);
   */
  async countApprox(this: RDD<T>, timeoutMs: number, confidence = 0.95): Promise<PartialResult<BoundedDouble>> {
    checkApproximateArguments('rdd.countApprox', timeoutMs, confidence);
    const total = this.numPartitions;
    return runApproximateJob<number, BoundedDouble>(this, { kind: 'count' }, timeoutMs, () => new CountEvaluator(total, confidence));
  }

  /**
   * How many times each element occurs, within `timeoutMs` milliseconds, as Spark's
   * countByValueApprox: a PartialResult of a Map from each element seen to a BoundedDouble.
   * Exact (`isInitialValueFinal`, confidence 1) when the job ended in time; else the counts of
   * the partitions counted by then, each bounded as countApprox bounds a count (Spark's
   * GroupedCountEvaluator), an element seen in none of them absent; an empty Map when none was
   * counted. Elements are equal as `countByValue` takes them (by value). The job goes on:
   * `getFinalValue()` gives the exact counts.
   */
  async countByValueApprox(this: RDD<T>, timeoutMs: number, confidence = 0.95): Promise<PartialResult<Map<T, BoundedDouble>>> {
    checkApproximateArguments('rdd.countByValueApprox', timeoutMs, confidence);
    const total = this.numPartitions;
    return runApproximateJob<[T, number][], Map<T, BoundedDouble>>(this, { kind: 'countByValue' }, timeoutMs, () => new GroupedCountEvaluator<T>(total, confidence));
  }

  async first(this: RDD<T>): Promise<T> {
    const got = await this.take(1);
    if (got.length === 0) throw emptyCollection(this, 'first', '');
    return got[0];
  }

  /**
   * The first n elements, scanning partitions in order and stopping once it has n (as Spark does,
   * a job a round, the partitions of each round as Spark's: takePartitionsToTry);
   * none for n <= 0, as Spark's. n must be a whole number (Spark's Int): 2.5, NaN or '2' is
   * SLUICE_BAD_ARGUMENT, not 3 elements, none or 2.
   */
  async take(this: RDD<T>, n: number): Promise<T[]> {
    if (!Number.isSafeInteger(n)) throw new SluiceError('SLUICE_BAD_ARGUMENT', `rdd.take: the number of elements must be a whole number, got ${typeof n === 'number' ? String(n) : `${typeof n} ${JSON.stringify(n)}`} (0 or less gives none, as Spark's)`);
    const out: T[] = [];
    let next = 0;
    while (out.length < n && next < this.numPartitions) {
      const count = Math.min(takePartitionsToTry(next, out.length, n - out.length), this.numPartitions - next);
      const parts = Array.from({ length: count }, (_, i) => next + i);
      const got = (await this.context.runAction(this, { kind: 'take', n: n - out.length }, parts)) as T[][];
      for (const g of got) for (const x of g) if (out.length < n) out.push(x);
      next += parts.length;
    }
    return out;
  }

  /**
   * The n largest elements, largest first, by `compare` (a comparator of two elements, Scala's
   * Ordering) or by `key` (a function of one element, PySpark's `top(num, key)`: the elements
   * whose keys are largest, keys compared as sortBy's), or by the default order.
   */
  top(this: RDD<T>, n: number, compare?: (a: T, b: T) => number): Promise<T[]>;
  top(this: RDD<T>, n: number, key: (x: T) => unknown): Promise<T[]>;
  async top(this: RDD<T>, n: number, compare?: OrderArg<T>): Promise<T[]> {
    return ordered(this, n, false, compare, 'top');
  }

  /**
   * The n smallest elements, smallest first, by `compare` (a comparator of two elements, Scala's
   * Ordering: `takeOrdered(3, (a, b) => b - a)`) or by `key` (a function of one element,
   * PySpark's `takeOrdered(num, key)`: `takeOrdered(3, (x) => -x)`), or by the default order.
   */
  takeOrdered(this: RDD<T>, n: number, compare?: (a: T, b: T) => number): Promise<T[]>;
  takeOrdered(this: RDD<T>, n: number, key: (x: T) => unknown): Promise<T[]>;
  async takeOrdered(this: RDD<T>, n: number, compare?: OrderArg<T>): Promise<T[]> {
    return ordered(this, n, true, compare, 'takeOrdered');
  }

  async reduce(this: RDD<T>, f: (a: T, b: T) => T): Promise<T> {
    const parts = (await this.context.runAction(this, { kind: 'reduce', fn: this.ship(f, 'reduce') })) as { empty: boolean; value: T }[];
    const nonEmpty = parts.filter((p) => !p.empty);
    if (nonEmpty.length === 0) throw emptyCollection(this, 'reduce', ': use fold() with a zero value');
    return nonEmpty.map((p) => p.value).reduce((a, b) => f(a, b));
  }

  /**
   * Every element folded into `zero` with `f`, each partition from its own copy of the zero, then
   * the partitions' results, as Spark's fold. Scala's curried `fold(zero)(op)` too: `fold(zero)`
   * alone gives the function that takes `f` (since 2026-12-05).
   */
  fold(this: RDD<T>, zero: T, f: (a: T, b: T) => T): Promise<T>;
  fold(this: RDD<T>, zero: T): Curried<(f: Curried<(a: T, b: T) => T>) => Promise<T>>;
  fold(this: RDD<T>, zero: T, f?: (a: T, b: T) => T): Promise<T> | ((f: (a: T, b: T) => T) => Promise<T>) {
    if (f === undefined) return (g: (a: T, b: T) => T) => this.fold(zero, g);
    return foldAll(this, zero, f);
  }

  /**
   * Each partition's elements folded into its own copy of `zero` by `seqOp`, the partitions'
   * results combined by `combOp`, as Spark's aggregate. Scala's curried `aggregate(zero)(seqOp,
   * combOp)` too: `aggregate(zero)` alone gives the function that takes both (since 2026-12-05).
   */
  aggregate<U>(this: RDD<T>, zero: U, seqOp: (acc: U, t: T) => Returned<U>, combOp: (a: U, b: U) => Returned<U>): Promise<U>;
  aggregate<U>(this: RDD<T>, zero: U): Curried<(seqOp: Curried<(acc: U, t: T) => Returned<U>>, combOp: Curried<(a: U, b: U) => Returned<U>>) => Promise<U>>;
  aggregate<U>(this: RDD<T>, zero: U, seqOp?: (acc: U, t: T) => U, combOp?: (a: U, b: U) => U): Promise<U> | ((seqOp: (acc: U, t: T) => U, combOp: (a: U, b: U) => U) => Promise<U>) {
    if (seqOp === undefined && combOp === undefined) return (s: (acc: U, t: T) => U, c: (a: U, b: U) => U) => this.aggregate(zero, s, c);
    return aggregateAll(this, zero, seqOp as (acc: U, t: T) => U, combOp as (a: U, b: U) => U);
  }


  /** The largest element by `compare` or PySpark's `key` (as top's; default: key.ts's order), as Spark's max(): an empty RDD is an error. */
  max(this: RDD<T>, compare?: (a: T, b: T) => number): Promise<T>;
  max(this: RDD<T>, key: (x: T) => unknown): Promise<T>;
  async max(this: RDD<T>, compare?: OrderArg<T>): Promise<T> {
    const got = await ordered(this, 1, false, compare, 'max');
    if (got.length === 0) throw emptyCollection(this, 'max', '');
    return got[0];
  }

  /** The smallest element by `compare` or PySpark's `key` (as takeOrdered's; default: key.ts's order), as Spark's min(): an empty RDD is an error. */
  min(this: RDD<T>, compare?: (a: T, b: T) => number): Promise<T>;
  min(this: RDD<T>, key: (x: T) => unknown): Promise<T>;
  async min(this: RDD<T>, compare?: OrderArg<T>): Promise<T> {
    const got = await ordered(this, 1, true, compare, 'min');
    if (got.length === 0) throw emptyCollection(this, 'min', '');
    return got[0];
  }

  /**
   * aggregate() in rounds, as Spark's treeAggregate: partitions' results are combined
   * `depth` levels deep on the workers (a shuffle each), the last few on the driver.
   * The result is aggregate()'s; `depth` must be at least 1. Scala's curried
   * `treeAggregate(zero)(seqOp, combOp, depth)` too (since 2026-12-05).
   */
  treeAggregate<U>(this: RDD<T>, zero: U, seqOp: (acc: U, t: T) => Returned<U>, combOp: (a: U, b: U) => Returned<U>, depth?: number): Promise<U>;
  treeAggregate<U>(this: RDD<T>, zero: U): Curried<(seqOp: Curried<(acc: U, t: T) => Returned<U>>, combOp: Curried<(a: U, b: U) => Returned<U>>, depth?: number) => Promise<U>>;
  treeAggregate<U>(
    this: RDD<T>,
    zero: U,
    seqOp?: (acc: U, t: T) => U,
    combOp?: (a: U, b: U) => U,
    depth?: number,
  ): Promise<U> | ((seqOp: (acc: U, t: T) => U, combOp: (a: U, b: U) => U, depth?: number) => Promise<U>) {
    if (seqOp === undefined && combOp === undefined && depth === undefined) {
      return (s: (acc: U, t: T) => U, c: (a: U, b: U) => U, d?: number) => this.treeAggregate(zero, s, c, d);
    }
    return treeAggregateAll(this, zero, seqOp as (acc: U, t: T) => U, combOp as (a: U, b: U) => U, depth);
  }

  /** reduce() in rounds, as Spark's treeReduce (see treeAggregate): an empty RDD is an error. */
  async treeReduce(this: RDD<T>, f: (a: T, b: T) => T, depth = 2): Promise<T> {
    // Checked here too, so the message names treeReduce, the call the program made (Spark's treeReduce checks its own depth).
    if (!Number.isInteger(depth) || depth < 1) throw new SluiceError('SLUICE_BAD_ARGUMENT', `rdd.treeReduce: depth must be a whole number >= 1, got ${String(depth)}${sparkWords(Number.isInteger(depth), `Depth must be greater than or equal to 1 but got ${String(depth)}.`)}`);
    // A partition's result is [] (no element) or [value], as Spark's Option.
    const op = (a: T[], b: T[]): T[] => (a.length === 0 ? b : b.length === 0 ? a : [f(a[0], b[0])]);
    const got = await this.treeAggregate<T[]>([], (acc, x) => op(acc, [x]), op, depth);
    if (got.length === 0) throw emptyCollection(this, 'treeReduce', ': use treeAggregate() with a zero value');
    return got[0];
  }

  /**
   * `num` elements chosen at random, as Spark's takeSample: without replacement, all of them
   * (shuffled) when the RDD has no more than `num`; sampled with a fraction that gives at
   * least `num` with high probability, again until it does, then shuffled and cut to `num`.
   * The same seed on the same RDD gives the same sample.
   */
  async takeSample(this: RDD<T>, withReplacement: boolean, num: number, seed: number = randomSeed()): Promise<T[]> {
    if (!Number.isInteger(num) || num < 0) throw new SluiceError('SLUICE_BAD_ARGUMENT', num < 0 ? `rdd.takeSample: Negative number of elements requested (as Spark says): got ${String(num)}` : `rdd.takeSample: the number of elements must be a whole number >= 0, got ${String(num)}`);
    // Spark's bound (an Int sample size, with room for the sampling's margin); past it the sampling never ends.
    if (num > MAX_SAMPLE_SIZE) throw new SluiceError('SLUICE_BAD_ARGUMENT', `rdd.takeSample: Cannot support a sample size > Int.MaxValue - 10.0 * math.sqrt(Int.MaxValue) (${MAX_SAMPLE_SIZE}), got ${num}`);
    const seed32 = sampleSeed(seed, 'rdd.takeSample');
    if (num === 0) return [];
    const total = await this.count();
    if (total === 0) return [];
    const rand = mulberry32(seed32 >>> 0);
    if (!withReplacement && num >= total) return shuffleInPlace(await this.collect(), rand);
    const fraction = fractionForSampleSize(num, total, withReplacement);
    let sample = await this.sample(withReplacement, fraction, Math.floor(rand() * 2 ** 31)).collect();
    for (let tries = 1; sample.length < num; tries++) {
      if (tries % 100 === 0) this.context.log('warn', 'takeSample needed many tries; is the input deterministic?', { component: 'rdd', rddId: this.id, tries, num });
      sample = await this.sample(withReplacement, fraction, Math.floor(rand() * 2 ** 31)).collect();
    }
    return shuffleInPlace(sample, rand).slice(0, num);
  }

  /** The elements on the driver one partition at a time (a job a partition), as Spark's toLocalIterator. */
  async *toLocalIterator(this: RDD<T>): AsyncGenerator<T, void, undefined> {
    for (let p = 0; p < this.numPartitions; p++) {
      const [part] = (await this.context.runAction(this, { kind: 'collect' }, [p])) as T[][];
      yield* part;
    }
  }

  async foreach(this: RDD<T>, f: (t: T) => void | Promise<void>): Promise<void> {
    await this.context.runAction(this, { kind: 'foreach', fn: this.ship(f, 'foreach') });
  }

  async foreachPartition(this: RDD<T>, f: (it: IterableIterator<T>) => void | Promise<void>): Promise<void> {
    await this.context.runAction(this, { kind: 'foreachPartition', fn: this.ship(f, 'foreachPartition') });
  }

  async countByValue(this: RDD<T>): Promise<Map<T, number>> {
    const parts = (await this.context.runAction(this, { kind: 'countByValue' })) as [T, number][][];
    return mergeCounts(parts);
  }

  /**
   * About how many distinct elements the RDD has (Spark's countApproxDistinct), from a
   * HyperLogLog sketch per partition merged on the driver (hyper-log-log.ts): elements are
   * distinct as `distinct()` sees them (by value). `relativeSD` (default 0.05) is the relative
   * standard error aimed for, as Spark's: 2^p registers with p = ceil(2 log2(1.054 / relativeSD)),
   * at least 4; it must be above 0.000017, and p at most 24. Spark's `(p, sp)` form is taken too
   * (sp, the sparse form's precision, is checked as Spark checks it; the sketch is always dense).
   */
  async countApproxDistinct(this: RDD<T>, relativeSD?: number): Promise<number>;
  async countApproxDistinct(this: RDD<T>, p: number, sp: number): Promise<number>;
  async countApproxDistinct(this: RDD<T>, ...args: [number?] | [number, number]): Promise<number> {
    const p = args.length === 2 ? checkPrecision(args[0], args[1], 'rdd.countApproxDistinct') : precisionFor(args[0] ?? 0.05, 'rdd.countApproxDistinct');
    const sketches = (await this.context.runAction(this, { kind: 'countApproxDistinct', p })) as Uint8Array[];
    return estimate(sketches.reduce((a, b) => merge(a, b), newSketch(p)));
  }

  /** true when the RDD has no element (Spark's isEmpty: no partition, or take(1) finds none). */
  async isEmpty(this: RDD<T>): Promise<boolean> {
    return this.numPartitions === 0 || (await this.take(1)).length === 0;
  }

  /**
   * Writes one `part-NNNNN` text file per partition (String(record) per line) under `dir`,
   * then `_SUCCESS`. `dir` may be a location of a registered file system
   * (`s3://bucket/path` with `import '@sluice/s3'`). With `codec` (Spark's
   * saveAsTextFile(path, codec)), each part is compressed, named `part-NNNNN.gz` ('gzip') or
   * `part-NNNNN.deflate` ('deflate'), which sc.textFile reads back (local paths only); or as
   * Hadoop's class names, PySpark's `'org.apache.hadoop.io.compress.GzipCodec'` and `DefaultCodec`.
   */
  async saveAsTextFile(this: RDD<T>, dir: string, codec?: CompressionCodecName): Promise<void> {
    await this.context.saveAsTextFile(this as RDD<unknown>, dir, codec === undefined ? {} : { codec: checkCodec(codec, 'rdd.saveAsTextFile') });
  }

  /**
   * Writes one `part-NNNNN` file per partition under `dir` holding its records encoded
   * with the record codec (Spark uses Java serialization; see codec/object-file.ts), read
   * back with `sc.objectFile(dir)`. Atomic, as saveAsTextFile; an existing `dir` is an error.
   */
  async saveAsObjectFile(this: RDD<T>, dir: string): Promise<void> {
    await this.context.saveAsObjectFile(this as RDD<unknown>, dir);
  }
}

async function ordered<T>(rdd: RDD<T>, n: number, ascending: boolean, compare: OrderArg<T> | undefined, op: string): Promise<T[]> {
  // Spark's BoundedPriorityQueue refuses a negative size (IllegalArgumentException); 0 is no element, without a job.
  if (!Number.isInteger(n) || n < 0) throw new SluiceError('SLUICE_BAD_ARGUMENT', `rdd.${op}: the number of elements must be a whole number >= 0, got ${String(n)}`);
  if (compare !== undefined && typeof compare !== 'function') throw new SluiceError('SLUICE_BAD_ARGUMENT', `rdd.${op}: the order must be a comparator (a, b) => number or a key function (x) => key, got ${typeof compare}`);
  if (n === 0) return [];
  const keyed = compare !== undefined && compare.length === 1;
  const shipped = compare ? rdd.ship(compare, op) : undefined;
  const parts = (await rdd.context.runAction(rdd, { kind: 'top', n, ascending, compare: shipped, keyed })) as T[][];
  const cmp = orderComparator(compare, keyed);
  const all = concatParts(parts);
  all.sort(ascending ? cmp : (a, b) => cmp(b, a));
  return all.slice(0, n);
}

function emptyCollection(rdd: RDD<unknown>, op: string, hint: string): SluiceError {
  return new SluiceError('SLUICE_BAD_ARGUMENT', `rdd.${op}() on an empty RDD (rdd ${rdd.id}${rdd.name ? ` '${rdd.name}'` : ''}): empty collection${hint}`);
}

function randomSeed(): number {
  return Math.floor(Math.random() * 2 ** 31);
}

/** Fisher-Yates with the given generator. */
function shuffleInPlace<T>(xs: T[], rand: () => number): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [xs[i], xs[j]] = [xs[j], xs[i]];
  }
  return xs;
}

/** The largest sample takeSample takes, as Spark's: Int.MaxValue - (10.0 * math.sqrt(Int.MaxValue)).toInt. */
export const MAX_SAMPLE_SIZE = 2147483647 - Math.trunc(10 * Math.sqrt(2147483647));

/**
 * Spark's SamplingUtils.computeFractionForSampleSize: a sampling fraction that gives at least
 * `num` of `total` elements with probability about 0.9999.
 */
export function fractionForSampleSize(num: number, total: number, withReplacement: boolean): number {
  if (withReplacement) {
    const numStDev = num < 6 ? 12 : num < 16 ? 9 : 6;
    return Math.max(num + numStDev * Math.sqrt(num), 1e-10) / total;
  }
  const fraction = num / total;
  const gamma = -Math.log(1e-4) / total;
  return Math.min(1, Math.max(1e-10, fraction + gamma + Math.sqrt(gamma * gamma + 2 * gamma * fraction)));
}

/** Sums per-partition counts; keys are compared by value, so equal tuple keys from different partitions merge. */
export function mergeCounts<T>(parts: [T, number][][]): Map<T, number> {
  const byId = new Map<KeyId, [T, number]>();
  for (const p of parts) {
    for (const [k, c] of p) {
      const id = keyId(k);
      const e = byId.get(id);
      if (e) e[1] += c;
      else byId.set(id, [k, c]);
    }
  }
  return new Map(byId.values());
}

/** A deep copy of a zero value through the record codec (job classes kept), as Spark clones one with its closure serializer. */
function copyOf<T>(value: T): T {
  return copier(value)();
}

/** fold's job: each partition folded on the workers, then their results into a copy of the zero. */
async function foldAll<T>(rdd: RDD<T>, zero: T, f: (a: T, b: T) => T): Promise<T> {
  const parts = (await rdd.context.runAction(rdd, { kind: 'fold', zero: toWire(zero), fn: rdd.ship(f, 'fold') })) as T[];
  // Into a copy of the zero, as Spark's (Utils.clone): a function that changes its first argument leaves the caller's zero alone.
  return parts.reduce((a, b) => f(a, b), copyOf(zero));
}

/** aggregate's job: each partition by seqOp on the workers, then their results by combOp into a copy of the zero. */
async function aggregateAll<T, U>(rdd: RDD<T>, zero: U, seqOp: (acc: U, t: T) => U, combOp: (a: U, b: U) => U): Promise<U> {
  const parts = (await rdd.context.runAction(rdd, { kind: 'aggregate', zero: toWire(zero), seqOp: rdd.ship(seqOp, 'aggregate') })) as U[];
  return parts.reduce((a, b) => combOp(a, b), copyOf(zero));
}

/** treeAggregate's flat form. */
async function treeAggregateAll<T, U>(rdd: RDD<T>, zero: U, seqOp: (acc: U, t: T) => U, combOp: (a: U, b: U) => U, depth = 2): Promise<U> {
  if (!Number.isInteger(depth) || depth < 1) throw new SluiceError('SLUICE_BAD_ARGUMENT', `rdd.treeAggregate: depth must be a whole number >= 1, got ${String(depth)}${sparkWords(Number.isInteger(depth), `Depth must be greater than or equal to 1 but got ${String(depth)}.`)}`);
  // As Spark's (Utils.clone of the zero): the caller's zero is never the result, not even with no partition.
  if (rdd.numPartitions === 0) return copyOf(zero);
  // Each partition folded from its own copy of the zero (the zero travels in the plan, as fold's, so a job class keeps its class).
  let partial = rdd.narrow<U>({ kind: 'aggregatePartition', zero: toWire(zero), seqOp: rdd.ship(seqOp, 'treeAggregate') });
  let n = partial.numPartitions;
  const scale = Math.max(Math.ceil(Math.pow(n, 1 / depth)), 2);
  // As Spark's: another level only while it leaves the driver less to combine.
  while (n > scale + Math.ceil(n / scale)) {
    n = Math.floor(n / scale);
    const parts = n;
    const keyed = partial.narrow<[number, U]>({
      kind: 'mapPartitions',
      withIndex: true,
      fn: rdd.ship((index: number, it: Iterable<U>): [number, U][] => [...it].map((u): [number, U] => [index % parts, u]), 'treeAggregate'),
    });
    partial = keyed.foldByKey(zero, combOp, parts).values();
  }
  return partial.fold(zero, combOp);
}
