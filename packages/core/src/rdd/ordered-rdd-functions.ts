import { SluiceError } from '../errors.js';
import { HashPartitioner, NO_PARTITIONS, RangePartitioner, determineBounds, partitionFunction, partitionerEquals, type PartitionArg, type Partitioner } from './partitioner.js';
import type { ShuffleSpec } from './plan.js';
import type { ParentLink, RDD } from './rdd.js';

/**
 * The operators of RDDs of pairs whose keys have an order (Spark's OrderedRDDFunctions):
 * range partitioning by sampled bounds and sorting. Keys are ordered by compareKeys
 * (key.ts). Mixed into RDD (see rdd.ts).
 */
export class OrderedRDDFunctions {
  /**
   * The pairs sorted by key, ascending by default, into `numPartitions` range partitions (Spark's
   * sortByKey). PySpark's third argument, `keyfunc`, is not taken: a third argument is
   * SLUICE_BAD_ARGUMENT pointing at `sortBy(([k]) => keyfunc(k), ascending, numPartitions)`, which
   * sorts by it (before 2026-12-05 it was ignored, and the pairs came back sorted by the keys).
   */
  sortByKey<K, V>(this: RDD<[K, V]>, ascending = true, numPartitions: number = this.numPartitions, ...rest: never[]): RDD<[K, V]> {
    if (rest.length > 0) {
      throw new SluiceError('SLUICE_BAD_ARGUMENT', `rdd.sortByKey: takes (ascending, numPartitions), got ${2 + rest.length} arguments; to sort by a function of the keys (PySpark's keyfunc), write rdd.sortBy(([k]) => keyfunc(k), ascending, numPartitions)`);
    }
    if (typeof ascending !== 'boolean') throw new SluiceError('SLUICE_BAD_ARGUMENT', `rdd.sortByKey: ascending must be true or false, got ${typeof ascending === 'function' ? 'a function (a sort key is sortBy(([k]) => key(k)))' : String(ascending)}`);
    // As Spark's RangePartitioner, 0 is allowed (an RDD with no partition sorts into one).
    if (!Number.isInteger(numPartitions) || numPartitions < 0) throw new SluiceError('SLUICE_BAD_ARGUMENT', `rdd.sortByKey: numPartitions must be a whole number >= 0, got ${String(numPartitions)}`);
    return rangeShuffle(this, Math.max(1, numPartitions), ascending, true);
  }

  /**
   * Places the pairs by `partitioner` and sorts each partition by key in the shuffle (Spark's
   * repartitionAndSortWithinPartitions: cheaper than partitionBy, then sorting). Ascending by
   * default, descending with `ascending` false, as PySpark's `ascending` (Scala's takes only the
   * partitioner; its order is the key type's Ordering). `partitioner` is a Partitioner, a
   * partition count (hash-partitioned, as PySpark's numPartitions), `{ numPartitions }` /
   * `{ partitioner }`, or nothing (a hash partitioner of spark.default.parallelism when set,
   * else of the RDD's partition count, as PySpark's default). PySpark's partitionFunc and keyfunc are not taken: a partition function is CustomPartitioner.of(n, f),
   * a sort key of your own a map of the keys before. An RDD already placed by that partitioner
   * (equal, as reduceByKey's of the same count) is sorted within its partitions, no shuffle, as
   * Spark's since SPARK-32384 (before 2026-12-14, Sluice shuffled it again).
   */
  repartitionAndSortWithinPartitions<K, V>(this: RDD<[K, V]>, partitioner?: PartitionArg, ascending = true, ...rest: never[]): RDD<[K, V]> {
    const op = 'rdd.repartitionAndSortWithinPartitions';
    if (rest.length > 0) {
      throw new SluiceError('SLUICE_BAD_ARGUMENT', `${op}: takes (partitioner, ascending), got ${2 + rest.length} arguments; to sort by a key function (PySpark's keyfunc), map the pairs to that key first`);
    }
    if (typeof ascending !== 'boolean') {
      const hint = typeof ascending === 'function' ? ' (a partition function is CustomPartitioner.of(n, getPartition), given as the first argument)' : '';
      throw new SluiceError('SLUICE_BAD_ARGUMENT', `${op}: ascending must be true or false, got ${typeof ascending === 'function' ? 'a function' : String(ascending)}${hint}`);
    }
    if (typeof partitioner === 'object' && partitioner !== null && 'kind' in partitioner && partitioner.kind === 'range' && partitioner.bounds.length === 0 && partitioner.numPartitions > 1) {
      return rangeShuffle(this, partitioner.numPartitions, partitioner.ascending, true, ascending);
    }
    // No partitioner: PySpark's partitionBy(numPartitions, portable_hash), numPartitions
    // spark.default.parallelism when set, else the RDD's count (_defaultReducePartitions): a hash
    // partitioner whatever the RDD has, so the pairs stay where they are only when the RDD is
    // hash-partitioned by that count (PySpark's partitionBy returns self for an equal
    // partitioner). Never the range one a sort gave the RDD, nor, since 2026-12-07, a hash one of another count (spark.default.parallelism set to another) or a
    // custom one, which the default partitioner's rule kept.
    const count = this.context.defaultParallelismSet ? this.context.defaultParallelism : this.numPartitions;
    const target = partitioner === undefined ? (count === 0 ? NO_PARTITIONS : HashPartitioner.of(count)) : this.defaultPartitioner(partitioner, [], op);
    // Already placed by this partitioner: each partition sorted where it is, no shuffle, the
    // partitioner kept (Spark's, since SPARK-32384: a mapPartitions with preservesPartitioning).
    if (partitionerEquals(this.partitioner, target)) return this.narrow({ kind: 'sortWithinPartition', ascending }, true);
    return this.partitionByInternal(target, { ascending });
  }

  /**
   * The pairs whose key lies in [lower, upper], both included, in compareKeys' order (Spark's
   * filterByRange). On an RDD range-partitioned by sortByKey or partitionBy (or a narrow RDD
   * that kept that partitioner, as mapValues and filter do) only the partitions whose range
   * can hold such keys are read:
   * - once the sort's bounds are known (sampled when sortByKey was called, as Spark's, or by a
   *   job since), the result holds only those partitions, renumbered from 0, in order, and no
   *   partitioner, as Spark's PartitionPruningRDD;
   * - before that (a sort sampled lazily: see rangeShuffle; an RDD's partition count is fixed
   *   when it is made) the result keeps the partition count and the partitioner, the others
   *   left empty and their parents not computed.
   * Otherwise every partition is filtered. `lower` above `upper` gives an empty RDD.
   */
  filterByRange<K, V>(this: RDD<[K, V]>, lower: K, upper: K): RDD<[K, V]> {
    for (const [name, v] of [['lower', lower], ['upper', upper]] as const) {
      if (v === undefined || (typeof v === 'number' && Number.isNaN(v))) {
        throw new SluiceError('SLUICE_BAD_ARGUMENT', `rdd.filterByRange: the ${name} bound is ${String(v)}; give a key of the RDD's key type (both bounds are included)`);
      }
    }
    const owner = rangeOwner(this as RDD<unknown>);
    if (owner === undefined) return this.narrow({ kind: 'keyRange', lower, upper }, true);
    const n = this.numPartitions;
    /** The partitions [from, to] that can hold the range, by the owner's sampled partitioner. */
    const span = (): [number, number] | undefined => {
      const p = owner.partitioner;
      if (p === undefined || p.kind !== 'range') return undefined;
      const at = partitionFunction(p);
      const [a, b] = [at(lower), at(upper)];
      return [Math.min(a, b), Math.max(a, b)];
    };
    if (owner.prepare === undefined) {
      // The bounds are known: only the partitions that can hold the range (Spark's PartitionPruningRDD).
      const s = span();
      if (s !== undefined) {
        const [from, to] = s;
        const kept = Array.from({ length: to - from + 1 }, (_, i) => [from + i]);
        return this.narrow<[K, V]>({ kind: 'coalesce', groups: kept, pruning: true }, false, kept.length).narrow({ kind: 'keyRange', lower, upper });
      }
    }
    const pruned = this.narrow<[K, V]>({ kind: 'coalesce', groups: Array.from({ length: n }, (_, i) => [i]), pruning: true }, true);
    // The owner's bounds are sampled by its prepare, which runs before this one (a parent's first).
    pruned.prepare = async () => {
      pruned.prepare = undefined;
      const s = span();
      if (s === undefined) return;
      const [from, to] = s;
      pruned.op = { kind: 'coalesce', groups: Array.from({ length: n }, (_, i) => (i >= from && i <= to ? [i] : [])), pruning: true };
    };
    return pruned.narrow({ kind: 'keyRange', lower, upper }, true);
  }
}

/**
 * The range shuffle (sortByKey, partitionBy) that placed `rdd`'s pairs: `rdd` itself, or the
 * one a chain of narrow, partitioner-keeping RDDs leads down to (each holds the partitioner
 * its parent had when it was made: the shuffle's may have been replaced by its sampled one
 * since). Only a range shuffle makes a range partitioner, so the chain's end is the one.
 * Undefined when `rdd` is not range-partitioned, or the chain is broken (two parents, a
 * checkpoint).
 */
function rangeOwner(rdd: RDD<unknown>): RDD<unknown> | undefined {
  let r = rdd;
  for (;;) {
    const p = r.partitioner;
    if (p === undefined || p.kind !== 'range' || p.numPartitions !== rdd.numPartitions) return undefined;
    if (r.op.kind === 'shuffled') return r;
    const d = r.deps[0];
    if (r.deps.length !== 1 || d.type !== 'narrow' || r.checkpointDir !== undefined) return undefined;
    r = d.rdd;
  }
}

/**
 * Range-partition by key, optionally sorting each partition (by default in the partitions'
 * order). The bounds come from a job sampling the keys, run now, as Spark's RangePartitioner
 * runs it when sortByKey makes the RDD (so filterByRange right after prunes partitions), where
 * the context can block (runActionNow); else before the first job that needs them.
 */
export function rangeShuffle<K, V>(rdd: RDD<[K, V]>, numPartitions: number, ascending: boolean, sort: boolean, sortAscending = ascending): RDD<[K, V]> {
  const out = rdd.partitionByInternal(RangePartitioner.of(numPartitions, ascending), sort ? { ascending: sortAscending } : undefined);
  // Spark's RangePartitioner: 20 keys a partition wanted (1e6 at most), each input partition sampling 3x its share.
  const perPartition = Math.ceil((3 * Math.min(20 * numPartitions, 1e6)) / Math.max(1, rdd.numPartitions));
  const action = { kind: 'sampleKeys', perPartition } as const;
  const setBounds = (samples: { count: number; sample: unknown[] }[], now: boolean): void => {
    // Each sampled key weighs what it stands for in its partition (Spark's weights), so a large
    // partition's keys count for more than a small one's.
    const candidates: [unknown, number][] = [];
    for (const { count, sample } of samples) for (const k of sample) candidates.push([k, count / sample.length]);
    const bounds = determineBounds(candidates, numPartitions);
    // As Spark's, bounds + 1 partitions (one for no key; fewer than asked when the sampled keys run out: 2 keys into 4 give 3),
    // where the bounds are sampled as the RDD is made; sampled later, its partition count stands.
    const partitions = now ? bounds.length + 1 : numPartitions;
    const partitioner: Partitioner = { kind: 'range', numPartitions: partitions, bounds, ascending };
    const dep = out.deps[0] as Extract<ParentLink, { type: 'shuffle' }>;
    const spec: ShuffleSpec = { ...dep.spec, partitioner };
    out.deps = [{ type: 'shuffle', rdd: dep.rdd, spec }];
    out.op = { kind: 'shuffled', shuffle: spec, sort: sort ? { ascending: sortAscending } : undefined };
    (out as { partitioner: Partitioner | undefined; numPartitions: number }).partitioner = partitioner;
    (out as { numPartitions: number }).numPartitions = partitions;
    out.prepare = undefined;
  };
  const now = numPartitions > 1 ? rdd.context.runActionNow(rdd as RDD<unknown>, action) : undefined;
  if (now !== undefined) setBounds(now as { count: number; sample: unknown[] }[], true);
  else if (numPartitions > 1) out.prepare = async () => setBounds((await rdd.context.runAction(rdd as RDD<unknown>, action)) as { count: number; sample: unknown[] }[], false);
  return out;
}
