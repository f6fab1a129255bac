import type { Curried } from './curried.js';
import type { Returned } from './returned.js';
import { sampleByKeyExact } from './sample-by-key-exact.js';
import { checkApproximateArguments } from './approximate-job.js';
import type { BoundedDouble, PartialResult } from './partial-result.js';
import { checkPrecision, precisionFor } from './hyper-log-log.js';
import { SluiceError } from '../errors.js';
import { toWire } from '../codec/record-classes.js';
import { mulberry32, poisson, sampleSeed } from '../util/random.js';
import type { AggregatorSpec } from './plan.js';
import { keyId, type KeyId } from './key.js';
import { HashPartitioner, NO_PARTITIONS, checkPartitions, driverPartitionFunction, partitionFuncPartitioner, partitionerEquals, type PartitionArg, type Partitioner } from './partitioner.js';
import { rangeShuffle } from './ordered-rdd-functions.js';
import { RDD } from './rdd.js';

/** combineByKey's last argument: where keys go (see PartitionArg) and whether to combine on the map side (default true). */
export type CombineByKeyOptions = number | Partitioner | { readonly numPartitions?: number | undefined; readonly partitioner?: Partitioner | undefined; readonly mapSideCombine?: boolean | undefined };

/**
 * The operators of RDDs of `[K, V]` pairs (Spark's PairRDDFunctions): by-key aggregation,
 * partitioning, joins. Each is typed with a `this: RDD<[K, V]>` parameter, so it is only
 * offered on RDDs of pairs; keys are compared by value (key.ts). Mixed into RDD (see rdd.ts).
 */
export class PairRDDFunctions {
  keys<K, V>(this: RDD<[K, V]>): RDD<K> {
    return this.narrow({ kind: 'keys' });
  }

  values<K, V>(this: RDD<[K, V]>): RDD<V> {
    return this.narrow({ kind: 'values' });
  }

  mapValues<K, V, U>(this: RDD<[K, V]>, f: (v: V) => U): RDD<[K, U]> {
    return this.narrow({ kind: 'mapValues', fn: this.ship(f, 'mapValues') }, true);
  }

  flatMapValues<K, V, U>(this: RDD<[K, V]>, f: (v: V) => Iterable<U>): RDD<[K, U]> {
    return this.narrow({ kind: 'flatMapValues', fn: this.ship(f, 'flatMapValues') }, true);
  }

  /**
   * `partitions`: a partition count, a Partitioner, or { numPartitions } / { partitioner } (Spark's
   * overloads); Scala's `reduceByKey(partitioner, func)`, the partitioner first, too (since 2026-12-05).
   */
  reduceByKey<K, V>(this: RDD<[K, V]>, f: (a: V, b: V) => Returned<V>, partitions?: PartitionArg): RDD<[K, V]>;
  /** PySpark's reduceByKey(func, numPartitions, partitionFunc): see partitionBy. */
  reduceByKey<K, V>(this: RDD<[K, V]>, f: (a: V, b: V) => Returned<V>, numPartitions: number | undefined, partitionFunc: (key: K) => number): RDD<[K, V]>;
  reduceByKey<K, V>(this: RDD<[K, V]>, partitioner: Partitioner, f: (a: V, b: V) => Returned<V>): RDD<[K, V]>;
  reduceByKey<K, V>(this: RDD<[K, V]>, first: ((a: V, b: V) => V) | Partitioner, second?: PartitionArg | ((a: V, b: V) => V), partitionFunc?: (key: K) => number): RDD<[K, V]> {
    const swapped = typeof first !== 'function' && typeof second === 'function';
    const f = (swapped ? second : first) as (a: V, b: V) => V;
    const partitions = withPartitionFunc(this, (swapped ? first : second) as PartitionArg | undefined, partitionFunc, 'rdd.reduceByKey');
    return this.combineInternal<K, V, V>({ kind: 'reduce', fn: this.ship(f, 'reduceByKey') }, this.defaultPartitioner(partitions, [], 'rdd.reduceByKey'), true);
  }

  /** `partitionFunc`: PySpark's groupByKey(numPartitions, partitionFunc) (see partitionBy). */
  groupByKey<K, V>(this: RDD<[K, V]>, partitions?: PartitionArg): RDD<[K, V[]]>;
  groupByKey<K, V>(this: RDD<[K, V]>, numPartitions: number | undefined, partitionFunc: (key: K) => number): RDD<[K, V[]]>;
  groupByKey<K, V>(this: RDD<[K, V]>, partitions?: PartitionArg, partitionFunc?: (key: K) => number): RDD<[K, V[]]> {
    return this.combineInternal<K, V, V[]>({ kind: 'group' }, this.defaultPartitioner(withPartitionFunc(this, partitions, partitionFunc, 'rdd.groupByKey'), [], 'rdd.groupByKey'), false);
  }


  /**
   * Each key's values folded into a copy of `zero` by `f`, as Spark's foldByKey; Scala's curried
   * `foldByKey(zero)(func)` and `foldByKey(zero, partitions)(func)` too: without `f`, the function
   * that takes it (since 2026-12-05).
   */
  foldByKey<K, V>(this: RDD<[K, V]>, zero: NoInfer<V>, f: (a: V, b: V) => Returned<V>, partitions?: PartitionArg): RDD<[K, V]>;
  /** PySpark's foldByKey(zeroValue, func, numPartitions, partitionFunc): see partitionBy. */
  foldByKey<K, V>(this: RDD<[K, V]>, zero: NoInfer<V>, f: (a: V, b: V) => Returned<V>, numPartitions: number | undefined, partitionFunc: (key: K) => number): RDD<[K, V]>;
  foldByKey<K, V>(this: RDD<[K, V]>, zero: NoInfer<V>, partitions?: PartitionArg): Curried<(f: Curried<(a: V, b: V) => Returned<V>>) => RDD<[K, V]>>;
  foldByKey<K, V>(this: RDD<[K, V]>, zero: V, second?: ((a: V, b: V) => V) | PartitionArg, partitions?: PartitionArg, partitionFunc?: (key: K) => number): RDD<[K, V]> | ((f: (a: V, b: V) => V) => RDD<[K, V]>) {
    if (typeof second !== 'function' && partitions === undefined) return (g: (a: V, b: V) => V) => this.foldByKey(zero, g, second);
    const f = second as (a: V, b: V) => V;
    const placed = withPartitionFunc(this, partitions, partitionFunc, 'rdd.foldByKey');
    return this.combineInternal<K, V, V>({ kind: 'fold', zero: toWire(zero), fn: this.ship(f, 'foldByKey') }, this.defaultPartitioner(placed, [], 'rdd.foldByKey'), true);
  }

  /**
   * Each key's values folded into a copy of `zero` by `seqOp` within a partition, the partitions'
   * results merged by `combOp`, as Spark's aggregateByKey (PySpark's flat form); Scala's curried
   * `aggregateByKey(zero)(seqOp, combOp)` and `aggregateByKey(zero, partitions)(seqOp, combOp)`
   * too: without the functions, the function that takes them (since 2026-12-05).
   */
  aggregateByKey<K, V, U>(this: RDD<[K, V]>, zero: U, seqOp: (acc: U, v: V) => Returned<U>, combOp: (a: U, b: U) => Returned<U>, partitions?: PartitionArg): RDD<[K, U]>;
  /** PySpark's aggregateByKey(zeroValue, seqFunc, combFunc, numPartitions, partitionFunc): see partitionBy. */
  aggregateByKey<K, V, U>(this: RDD<[K, V]>, zero: U, seqOp: (acc: U, v: V) => Returned<U>, combOp: (a: U, b: U) => Returned<U>, numPartitions: number | undefined, partitionFunc: (key: K) => number): RDD<[K, U]>;
  aggregateByKey<K, V, U>(this: RDD<[K, V]>, zero: U, partitions?: PartitionArg): Curried<(seqOp: Curried<(acc: U, v: V) => Returned<U>>, combOp: Curried<(a: U, b: U) => Returned<U>>) => RDD<[K, U]>>;
  aggregateByKey<K, V, U>(
    this: RDD<[K, V]>,
    zero: U,
    second?: ((acc: U, v: V) => U) | PartitionArg,
    combOp?: (a: U, b: U) => U,
    partitions?: PartitionArg,
    partitionFunc?: (key: K) => number,
  ): RDD<[K, U]> | ((seqOp: (acc: U, v: V) => U, combOp: (a: U, b: U) => U) => RDD<[K, U]>) {
    if (typeof second !== 'function' && combOp === undefined && partitions === undefined) {
      return (s: (acc: U, v: V) => U, c: (a: U, b: U) => U) => this.aggregateByKey(zero, s, c, second);
    }
    const seqOp = second as (acc: U, v: V) => U;
    const spec: AggregatorSpec = { kind: 'aggregate', zero: toWire(zero), seqOp: this.ship(seqOp, 'aggregateByKey'), combOp: this.ship(combOp as (a: U, b: U) => U, 'aggregateByKey') };
    return this.combineInternal<K, V, U>(spec, this.defaultPartitioner(withPartitionFunc(this, partitions, partitionFunc, 'rdd.aggregateByKey'), [], 'rdd.aggregateByKey'), true);
  }

  /**
   * Spark's combineByKey. `options`: a partition count or Partitioner, or
   * `{ numPartitions, partitioner, mapSideCombine }`; with `mapSideCombine: false` the
   * records are shuffled as they are and combined only on the reduce side
   * (createCombiner and mergeValue there, mergeCombiners never), as Spark's
   * combineByKeyWithClassTag(..., mapSideCombine = false). Scala's positional form,
   * `combineByKey(createCombiner, mergeValue, mergeCombiners, partitioner, mapSideCombine)`, too
   * (since 2026-12-05): a fifth argument that is no boolean, or one given beside an options
   * object's, is SLUICE_BAD_ARGUMENT. PySpark's `combineByKey(createCombiner, mergeValue,
   * mergeCombiners, numPartitions, partitionFunc)`: a function as the fifth argument is its
   * partitionFunc (see partitionBy; since 2026-12-07).
   */
  combineByKey<K, V, C>(
    this: RDD<[K, V]>,
    createCombiner: (v: V) => C,
    mergeValue: (c: C, v: V) => Returned<C>,
    mergeCombiners: (a: C, b: C) => Returned<C>,
    options?: CombineByKeyOptions,
    mapSideCombineArg?: boolean,
  ): RDD<[K, C]>;
  combineByKey<K, V, C>(
    this: RDD<[K, V]>,
    createCombiner: (v: V) => C,
    mergeValue: (c: C, v: V) => Returned<C>,
    mergeCombiners: (a: C, b: C) => Returned<C>,
    numPartitions: number | undefined,
    partitionFunc: (key: K) => number,
  ): RDD<[K, C]>;
  combineByKey<K, V, C>(
    this: RDD<[K, V]>,
    createCombiner: (v: V) => C,
    mergeValue: (c: C, v: V) => Returned<C>,
    mergeCombiners: (a: C, b: C) => Returned<C>,
    optionsArg?: CombineByKeyOptions,
    fifth?: boolean | ((key: K) => number),
  ): RDD<[K, C]> {
    const partitionFunc = typeof fifth === 'function' ? fifth : undefined;
    const mapSideCombineArg = typeof fifth === 'function' ? undefined : fifth;
    const options = withPartitionFunc(this, optionsArg, partitionFunc, 'rdd.combineByKey') as CombineByKeyOptions | undefined;
    const isOptionsObject = typeof options === 'object' && options !== null && !('kind' in options);
    if (mapSideCombineArg !== undefined && (typeof mapSideCombineArg !== 'boolean' || isOptionsObject)) {
      throw new SluiceError(
        'SLUICE_BAD_ARGUMENT',
        `rdd.combineByKey: the fifth argument is Spark's mapSideCombine, a boolean after a partitioner or partition count (combineByKey(c, m, mc, partitioner, false)), or PySpark's partitionFunc, a function, got ${isOptionsObject ? 'one beside an options object: give { mapSideCombine } in the options only' : typeof mapSideCombineArg}`,
      );
    }
    const spec: AggregatorSpec = {
      kind: 'combine',
      createCombiner: this.ship(createCombiner, 'combineByKey'),
      mergeValue: this.ship(mergeValue, 'combineByKey'),
      mergeCombiners: this.ship(mergeCombiners, 'combineByKey'),
    };
    const mapSideCombine = isOptionsObject ? (options as { mapSideCombine?: boolean }).mapSideCombine !== false : mapSideCombineArg !== false;
    return this.combineInternal<K, V, C>(spec, this.defaultPartitioner(options, [], 'rdd.combineByKey'), mapSideCombine);
  }

  /**
   * The pairs placed by `partitioner` (no shuffle when the RDD has an equal one). PySpark's
   * `partitionBy(numPartitions, partitionFunc = portable_hash)` too (since 2026-12-07; before,
   * a count was refused): a count alone is a hash partitioner of that count; with
   * `partitionFunc`, a key's partition is `partitionFunc(key)` modulo the count, never negative
   * (Python's `%`), as PySpark's; a result that is no whole number fails the task naming the key.
   * The same `partitionFunc` after the count in groupByKey, reduceByKey, combineByKey, foldByKey,
   * aggregateByKey and groupBy, where it was ignored until then.
   */
  partitionBy<K, V>(this: RDD<[K, V]>, partitioner: Partitioner): RDD<[K, V]>;
  partitionBy<K, V>(this: RDD<[K, V]>, numPartitions: number, partitionFunc?: (key: K) => number): RDD<[K, V]>;
  partitionBy<K, V>(this: RDD<[K, V]>, partitionerArg: Partitioner | number, partitionFunc?: (key: K) => number): RDD<[K, V]> {
    if (typeof partitionerArg === 'number') {
      // PySpark's form: a count, with a partitionFunc or its default, portable_hash (Sluice's hash partitioning).
      checkPartitions(partitionerArg, 'rdd.partitionBy');
      const placed = withPartitionFunc(this, partitionerArg, partitionFunc, 'rdd.partitionBy');
      return this.partitionBy(typeof placed === 'number' ? HashPartitioner.of(placed) : (placed as Partitioner));
    }
    if (partitionFunc !== undefined) {
      throw new SluiceError('SLUICE_BAD_ARGUMENT', "rdd.partitionBy: PySpark's partitionFunc goes with a partition count (partitionBy(numPartitions, partitionFunc)), not a Partitioner; give the count, or the Partitioner alone");
    }
    const partitioner = partitionerArg;
    const kind = typeof partitioner === 'object' && partitioner !== null ? (partitioner as { kind?: unknown }).kind : undefined;
    if (kind !== 'hash' && kind !== 'range' && kind !== 'custom') {
      const what = typeof partitioner === 'object' && partitioner !== null ? `an instance of ${(partitioner as object).constructor?.name ?? 'Object'}` : String(partitioner);
      throw new SluiceError('SLUICE_BAD_ARGUMENT', `rdd.partitionBy: expected a Partitioner (new HashPartitioner(n) or HashPartitioner.of(n), RangePartitioner.of(n), CustomPartitioner.of(n, getPartition)), got ${what}`);
    }
    if (partitionerEquals(this.partitioner, partitioner)) return this;
    if (partitioner.kind === 'range' && partitioner.bounds.length === 0 && partitioner.numPartitions > 1) {
      return rangeShuffle(this, partitioner.numPartitions, partitioner.ascending, false);
    }
    return this.partitionByInternal(partitioner);
  }

  join<K, V, W>(this: RDD<[K, V]>, other: RDD<[K, W]>, partitions?: PartitionArg): RDD<[K, [V, W]]> {
    return cogroupAs(this, other, partitions, 'rdd.join').narrow({ kind: 'joinValues', mode: 'inner' }, true) as RDD<[K, [V, W]]>;
  }

  leftOuterJoin<K, V, W>(this: RDD<[K, V]>, other: RDD<[K, W]>, partitions?: PartitionArg): RDD<[K, [V, W | undefined]]> {
    return cogroupAs(this, other, partitions, 'rdd.leftOuterJoin').narrow({ kind: 'joinValues', mode: 'left' }, true) as RDD<[K, [V, W | undefined]]>;
  }

  rightOuterJoin<K, V, W>(this: RDD<[K, V]>, other: RDD<[K, W]>, partitions?: PartitionArg): RDD<[K, [V | undefined, W]]> {
    return cogroupAs(this, other, partitions, 'rdd.rightOuterJoin').narrow({ kind: 'joinValues', mode: 'right' }, true) as RDD<[K, [V | undefined, W]]>;
  }

  fullOuterJoin<K, V, W>(this: RDD<[K, V]>, other: RDD<[K, W]>, partitions?: PartitionArg): RDD<[K, [V | undefined, W | undefined]]> {
    return cogroupAs(this, other, partitions, 'rdd.fullOuterJoin').narrow({ kind: 'joinValues', mode: 'full' }, true) as RDD<[K, [V | undefined, W | undefined]]>;
  }

  /** Every key's values in this RDD and in each other one (Spark's cogroup with one, two or three others). */
  cogroup<K, V, W>(this: RDD<[K, V]>, other: RDD<[K, W]>, partitions?: PartitionArg): RDD<[K, [V[], W[]]]>;
  cogroup<K, V, W1, W2>(this: RDD<[K, V]>, other1: RDD<[K, W1]>, other2: RDD<[K, W2]>, partitions?: PartitionArg): RDD<[K, [V[], W1[], W2[]]]>;
  cogroup<K, V, W1, W2, W3>(this: RDD<[K, V]>, other1: RDD<[K, W1]>, other2: RDD<[K, W2]>, other3: RDD<[K, W3]>, partitions?: PartitionArg): RDD<[K, [V[], W1[], W2[], W3[]]]>;
  cogroup<K, V>(this: RDD<[K, V]>, ...args: (RDD<[K, unknown]> | PartitionArg | undefined)[]): RDD<[K, unknown[][]]> {
    const others = args.filter((a): a is RDD<[K, unknown]> => a instanceof RDD);
    const partitions = args.length > others.length ? (args[others.length] as PartitionArg | undefined) : undefined;
    if (others.length === 1) return cogroupAs(this, others[0], partitions, 'rdd.cogroup');
    const partitioner = this.defaultPartitioner(partitions, others as RDD<unknown>[], 'rdd.cogroup');
    return this.context.cogroupInternal([this, ...others] as RDD<[unknown, unknown]>[], partitioner) as RDD<[K, unknown[][]]>;
  }

  /**
   * The pairs whose key `other` does not have, every value of such a key kept (Spark's
   * subtractByKey); keys compared by value. Default: this RDD's partitioner, else its partition
   * count; the result keeps the partitioner.
   */
  subtractByKey<K, V, W>(this: RDD<[K, V]>, other: RDD<[K, W]>, partitions: PartitionArg = this.partitioner ?? (this.numPartitions === 0 ? NO_PARTITIONS : this.numPartitions)): RDD<[K, V]> {
    // As Spark's SubtractedRDD: placed by the partitioner (this RDD's own by default), which the result keeps;
    // a hash partitioner of this RDD's partition count, none for an RDD with none (Spark's HashPartitioner(0)).
    const partitioner = this.defaultPartitioner(partitions, [other as RDD<unknown>], 'rdd.subtractByKey');
    // Nothing to subtract from, into no partitions: `other` is not read (Spark's SubtractedRDD of none runs no task).
    if (partitioner.numPartitions === 0 && this.numPartitions === 0) return new RDD<[K, V]>(this.context, 0, { kind: 'parallelize', slices: [] }, [], partitioner);
    const grouped = cogroupAs(this, other, partitioner, 'rdd.subtractByKey');
    return grouped.narrow({ kind: 'flatMap', fn: this.ship(pairsOnlyLeft, 'subtractByKey') }, true);
  }

  /**
   * Samples each key's pairs at its own rate (Spark's sampleByKey): `fractions` gives every
   * key's fraction (a Map, keys by value, or an object for string keys), a number >= 0;
   * without replacement a pair is kept with that probability (every pair of a key whose
   * fraction is 1 or more, as Spark's), with replacement it appears a Poisson-distributed
   * number of times. The same seed gives the same sample; a key with no fraction fails the job.
   */
  sampleByKey<K, V>(this: RDD<[K, V]>, withReplacement: boolean, fractions: ReadonlyMap<K, number> | Readonly<Record<string, number>>, seed: number = Math.floor(Math.random() * 2 ** 31)): RDD<[K, V]> {
    const entries = (fractions instanceof Map ? [...fractions.entries()] : Object.entries(fractions)) as [K, number][];
    // As Spark's (require: no negative rate): without replacement a fraction above 1 keeps every pair of its key.
    const bad = entries.find(([, f]) => typeof f !== 'number' || !(f >= 0));
    if (bad) throw new SluiceError('SLUICE_BAD_ARGUMENT', `rdd.sampleByKey: a fraction must be a number >= 0 (Spark: Negative sampling rates), got ${String(bad[1])} for key ${JSON.stringify(bad[0])}`);
    const seed32 = sampleSeed(seed, 'rdd.sampleByKey');
    const [rng, draws, same] = [mulberry32, poisson, sameKey];
    const fn = function* (index: number, it: Iterable<[K, V]>): Generator<[K, V]> {
      const rand = rng((seed32 ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
      const byValue = new Map<unknown, number>();
      const objects: [K, number][] = [];
      for (const [k, f] of entries) {
        if (typeof k === 'object' && k !== null) objects.push([k, f]);
        else byValue.set(k, f);
      }
      for (const kv of it) {
        const k = kv[0];
        const f = typeof k === 'object' && k !== null ? objects.find(([o]) => same(o, k))?.[1] : byValue.get(k);
        if (f === undefined) throw new Error(`rdd.sampleByKey: no sampling fraction for key ${JSON.stringify(k)}`);
        if (!withReplacement) {
          if (rand() < f) yield kv;
        } else {
          for (let n = draws(f, rand); n > 0; n--) yield kv;
        }
      }
    };
    return this.narrow({ kind: 'mapPartitions', fn: this.ship(fn, 'sampleByKey'), withIndex: true }, true);
  }

  /**
   * Samples each key's pairs to exactly ceil(count * fraction) of them (Spark's
   * sampleByKeyExact): `fractions` as sampleByKey's (a fraction for every key, else
   * SLUICE_BAD_ARGUMENT before the job), without replacement a uniform subset of each key's
   * pairs, with it that many uniform draws. A pass counts the keys first (at the first
   * action, as Spark counts at the call); the same seed gives the same sample of the same input.
   */
  sampleByKeyExact<K, V>(this: RDD<[K, V]>, withReplacement: boolean, fractions: ReadonlyMap<K, number> | Readonly<Record<string, number>>, seed: number = Math.floor(Math.random() * 2 ** 31)): RDD<[K, V]> {
    return sampleByKeyExact(this, withReplacement, fractions, seed);
  }

  /** Spark's groupWith: cogroup with one other RDD, or with two (`[k, [vs, ws1, ws2]]`), default partitioning. */
  groupWith<K, V, W>(this: RDD<[K, V]>, other: RDD<[K, W]>): RDD<[K, [V[], W[]]]>;
  groupWith<K, V, W1, W2>(this: RDD<[K, V]>, other1: RDD<[K, W1]>, other2: RDD<[K, W2]>): RDD<[K, [V[], W1[], W2[]]]>;
  groupWith<K, V>(this: RDD<[K, V]>, ...others: RDD<[K, unknown]>[]): RDD<[K, unknown[][]]> {
    return (this.cogroup as (...a: unknown[]) => RDD<[K, unknown[][]]>).apply(this, others);
  }

  async countByKey<K, V>(this: RDD<[K, V]>): Promise<Map<K, number>> {
    return this.keys().countByValue();
  }

  /**
   * How many pairs each key has, within `timeoutMs` milliseconds, as Spark's countByKeyApprox
   * (countByValueApprox of the keys): a PartialResult of a Map from each key to a BoundedDouble,
   * exact when the job ended in time, else each key's count in the partitions counted by then
   * bounded as countApprox bounds a count.
   */
  async countByKeyApprox<K, V>(this: RDD<[K, V]>, timeoutMs: number, confidence = 0.95): Promise<PartialResult<Map<K, BoundedDouble>>> {
    checkApproximateArguments('rdd.countByKeyApprox', timeoutMs, confidence);
    return this.keys().countByValueApprox(timeoutMs, confidence);
  }

  /**
   * For each key, about how many distinct values it has (Spark's countApproxDistinctByKey): a
   * HyperLogLog sketch per key, combined map-side and merged in the shuffle, as
   * countApproxDistinct's (same relativeSD, default 0.05, and bounds). `partitions` places
   * the result as reduceByKey's does.
   */
  countApproxDistinctByKey<K, V>(this: RDD<[K, V]>, relativeSD?: number, partitions?: PartitionArg): RDD<[K, number]>;
  /** Spark's `(p, sp, partitioner)` form (see countApproxDistinct). */
  countApproxDistinctByKey<K, V>(this: RDD<[K, V]>, p: number, sp: number, partitions: PartitionArg): RDD<[K, number]>;
  countApproxDistinctByKey<K, V>(this: RDD<[K, V]>, ...args: [number?, PartitionArg?] | [number, number, PartitionArg]): RDD<[K, number]> {
    const op = 'rdd.countApproxDistinctByKey';
    const p = args.length === 3 ? checkPrecision(args[0], args[1], op) : precisionFor(args[0] ?? 0.05, op);
    const partitioner = this.defaultPartitioner(args.length === 3 ? args[2] : args[1], [], op);
    return this.combineInternal<K, V, Uint8Array>({ kind: 'approxDistinct', p }, partitioner, true).narrow<[K, number]>({ kind: 'sketchEstimate' }, true);
  }

  /** reduceByKey's result as a Map on the driver, keys compared by value (Spark's reduceByKeyLocally). */
  async reduceByKeyLocally<K, V>(this: RDD<[K, V]>, f: (a: V, b: V) => Returned<V>): Promise<Map<K, V>> {
    return this.reduceByKey(f).collectAsMap();
  }

  /**
   * Every value of `key`, keys compared by value (Spark's lookup). With a hash partitioner, the
   * range partitioner of a sortByKey / partitionBy, or a CustomPartitioner the program made, only
   * the partition the key maps to is read (a custom one's function runs on the driver, and a
   * partition it gives outside [0, n) is SLUICE_BAD_ARGUMENT); otherwise all of them.
   */
  async lookup<K, V>(this: RDD<[K, V]>, key: K): Promise<V[]> {
    const same = sameKey;
    const values = this.narrow<V>({ kind: 'flatMap', fn: this.ship((kv: [K, V]): V[] => (same(kv[0], key) ? [kv[1]] : []), 'lookup') });
    // A range partitioner's bounds are sampled when a job first needs them (sortByKey's
    // prepare); an RDD that inherited the partitioner holds it unsampled: read every partition.
    if (this.prepare) await this.prepare(this.context);
    const p = this.partitioner;
    // A custom partitioner's function runs here as Spark's lookup runs getPartition on the driver:
    // a partition outside [0, n) is SLUICE_BAD_ARGUMENT (Spark's IllegalArgumentException).
    // An RDD of no partitions (placed by NO_PARTITIONS) holds no value, where Spark's getPartition divides by zero.
    if (this.numPartitions === 0) return [];
    const at = p === undefined || (p.kind === 'range' && this.op.kind !== 'shuffled') ? undefined : driverPartitionFunction(p);
    if (at === undefined) return values.collect();
    const [part] = (await this.context.runAction(values, { kind: 'collect' }, [at(key)])) as V[][];
    return part;
  }

  /** The pairs as a Map on the driver, keys compared by value; a later pair of a key replaces its value (Spark's collectAsMap). */
  async collectAsMap<K, V>(this: RDD<[K, V]>): Promise<Map<K, V>> {
    const byId = new Map<KeyId, [K, V]>();
    for (const [k, v] of await this.collect()) {
      const e = byId.get(keyId(k));
      if (e) e[1] = v;
      else byId.set(keyId(k), [k, v]);
    }
    return new Map(byId.values());
  }
}

export function cogroupAs<K, V, W>(rdd: RDD<[K, V]>, other: RDD<[K, W]>, partitions: PartitionArg | undefined, operator: string): RDD<[K, [V[], W[]]]> {
  const partitioner = rdd.defaultPartitioner(partitions, [other as RDD<unknown>], operator);
  return rdd.context.cogroupInternal([rdd as RDD<[unknown, unknown]>, other as RDD<[unknown, unknown]>], partitioner) as RDD<[K, [V[], W[]]]>;
}

/**
 * rdd.subtract(other) on pairs placed by `partitioner` (Spark's subtract with the RDD's own
 * partitioner, which it applies to each element's key): cogrouped by key, each key's values
 * that `other` does not hold under the same key, compared by value, duplicates kept.
 */
export function subtractPlacedByKey<K, V>(rdd: RDD<[K, V]>, other: RDD<[K, V]>, partitioner: Partitioner): RDD<[K, V]> {
  const same = sameKey;
  const left = ([k, [vs, ws]]: [K, [V[], V[]]]): [K, V][] => vs.filter((v) => !ws.some((w) => same(w, v))).map((v): [K, V] => [k, v]);
  const grouped = rdd.context.cogroupInternal([rdd as RDD<[unknown, unknown]>, other as RDD<[unknown, unknown]>], partitioner) as RDD<[K, [V[], V[]]]>;
  return grouped.narrow({ kind: 'flatMap', fn: rdd.ship(left, 'subtract') });
}

// Self-contained helpers shipped to workers (they capture nothing and name nothing else).
function pairsOnlyLeft(kv: [unknown, [unknown[], unknown[]]]): [unknown, unknown][] {
  const [k, [vs, ws]] = kv;
  return ws.length > 0 ? [] : vs.map((v) => [k, v]);
}

/**
 * Whether two keys are equal by value as keyId sees them (key.ts): primitives alike (NaN
 * equal to NaN), Dates by time, arrays element by element, Maps and Sets and other objects
 * by their entries. Iterative, as it must name nothing but itself to run on a worker.
 */
function sameKey(a: unknown, b: unknown): boolean {
  const pending: [unknown, unknown][] = [[a, b]];
  while (pending.length > 0) {
    const [x, y] = pending.pop()!;
    if (x === y || (x !== x && y !== y)) continue;
    if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null) return false;
    if (x instanceof Date || y instanceof Date) {
      if (!(x instanceof Date && y instanceof Date) || x.getTime() !== y.getTime()) return false;
      continue;
    }
    if (Array.isArray(x) !== Array.isArray(y) || x instanceof Map !== y instanceof Map || x instanceof Set !== y instanceof Set) return false;
    if (x instanceof Map || x instanceof Set) {
      const ex = [...(x as Map<unknown, unknown>).entries()];
      const ey = [...(y as Map<unknown, unknown>).entries()];
      if (ex.length !== ey.length) return false;
      // Keyed by value and order-free as keyId's sorted entries: each entry must match one of the other's.
      const used = new Set<number>();
      for (const e of ex) {
        const j = ey.findIndex((f, i) => !used.has(i) && sameKey(e, f));
        if (j < 0) return false;
        used.add(j);
      }
      continue;
    }
    const kx = Object.keys(x);
    const ky = Object.keys(y);
    if (kx.length !== ky.length) return false;
    for (const k of kx) {
      if (!Object.prototype.hasOwnProperty.call(y, k)) return false;
      pending.push([(x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k]]);
    }
  }
  return true;
}

/**
 * `partitions` with PySpark's partitionFunc when the program gave one: a CustomPartitioner of
 * the count (see partitionFuncPartitioner), the count when none is given PySpark's
 * _defaultReducePartitions (spark.default.parallelism when set, else the RDD's). undefined:
 * PySpark's default, portable_hash, which is Sluice's hash partitioning.
 */
function withPartitionFunc(rdd: RDD<unknown>, partitions: PartitionArg | undefined, partitionFunc: unknown, operator: string): PartitionArg | undefined {
  if (partitionFunc === undefined) return partitions;
  return partitionFuncPartitioner(partitions, partitionFunc, () => (rdd.context.defaultParallelismSet ? rdd.context.defaultParallelism : rdd.numPartitions), operator);
}
