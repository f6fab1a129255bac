import { SluiceError } from '../errors.js';
import { RangePartitioner, partitionFunction, rangeBounds, type Partitioner } from './partitioner.js';
import type { ShuffleSpec } from './plan.js';
import { checkPositive, type Dependency, type RDD } from './rdd.js';

/**
 * The operators of RDDs of pairs whose keys have an order (Spark's OrderedRDDFunctions):
 * range partitioning by sampled bounds and sorting. Keys are ordered by compareKeys
 * (key.ts). Mixed into RDD (see rdd.ts).
 */
export class OrderedRDDFunctions {
  sortByKey<K, V>(this: RDD<[K, V]>, ascending = true, numPartitions: number = this.numPartitions): RDD<[K, V]> {
    checkPositive(numPartitions, 'sortByKey');
    return rangeShuffle(this, numPartitions, ascending, true);
  }

  /**
   * Places the pairs by `partitioner` and sorts each partition by key, ascending, in the
   * shuffle (Spark's repartitionAndSortWithinPartitions: cheaper than partitionBy, then sorting).
   */
  repartitionAndSortWithinPartitions<K, V>(this: RDD<[K, V]>, partitioner: Partitioner): RDD<[K, V]> {
    if (partitioner.kind === 'range' && partitioner.bounds.length === 0 && partitioner.numPartitions > 1) {
      return rangeShuffle(this, partitioner.numPartitions, partitioner.ascending, true, true);
    }
    return this.partitionByInternal(partitioner, { ascending: true });
  }

  /**
   * The pairs whose key lies in [lower, upper], both included, in compareKeys' order (Spark's
   * filterByRange). On an RDD range-partitioned by sortByKey or partitionBy (or a narrow RDD
   * that kept that partitioner, as mapValues and filter do) only the partitions whose range
   * can hold such keys are read: the others are empty and their parents are not computed
   * (Spark drops them, so its result has fewer partitions; here the count and the partitioner
   * stay, so the result is still placed by key). Otherwise every partition is filtered.
   * `lower` above `upper` gives an empty RDD.
   */
  filterByRange<K, V>(this: RDD<[K, V]>, lower: K, upper: K): RDD<[K, V]> {
    for (const [name, v] of [['lower', lower], ['upper', upper]] as const) {
      if (v === undefined || (typeof v === 'number' && Number.isNaN(v))) {
        throw new SluiceError('SLUICE_BAD_ARGUMENT', `rdd.filterByRange: the ${name} bound is ${String(v)}; give a key of the RDD's key type (both bounds are included)`);
      }
    }
    const owner = rangeOwner(this as RDD<unknown>);
    let input: RDD<[K, V]> = this;
    if (owner !== undefined) {
      const n = this.numPartitions;
      const pruned = this.narrow<[K, V]>({ kind: 'coalesce', groups: Array.from({ length: n }, (_, i) => [i]) }, true);
      // The owner's bounds are sampled by its prepare, which runs before this one (a parent's first).
      const prune = (): void => {
        const p = owner.partitioner;
        pruned.prepare = undefined;
        if (p === undefined || p.kind !== 'range') return;
        const at = partitionFunction(p);
        const [a, b] = [at(lower), at(upper)];
        const [from, to] = [Math.min(a, b), Math.max(a, b)];
        pruned.op = { kind: 'coalesce', groups: Array.from({ length: n }, (_, i) => (i >= from && i <= to ? [i] : [])) };
      };
      if (owner.prepare === undefined) prune();
      else pruned.prepare = async () => prune();
      input = pruned;
    }
    return input.narrow({ kind: 'keyRange', lower, upper }, true);
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

/** Range-partition by key (bounds sampled before the job runs), optionally sorting each partition (by default in the partitions' order). */
export function rangeShuffle<K, V>(rdd: RDD<[K, V]>, numPartitions: number, ascending: boolean, sort: boolean, sortAscending = ascending): RDD<[K, V]> {
  const out = rdd.partitionByInternal(RangePartitioner.of(numPartitions, ascending), sort ? { ascending: sortAscending } : undefined);
  out.prepare = async () => {
    const perPartition = Math.ceil((20 * numPartitions) / Math.max(1, rdd.numPartitions)) + 20;
    const samples = (await rdd.context.runAction(rdd, { kind: 'sampleKeys', perPartition })) as unknown[][];
    const bounds = rangeBounds(samples.flat(1), numPartitions);
    const partitioner: Partitioner = { kind: 'range', numPartitions, bounds, ascending };
    const dep = out.deps[0] as Extract<Dependency, { type: 'shuffle' }>;
    const spec: ShuffleSpec = { ...dep.spec, partitioner };
    out.deps = [{ type: 'shuffle', rdd: dep.rdd, spec }];
    out.op = { kind: 'shuffled', shuffle: spec, sort: sort ? { ascending: sortAscending } : undefined };
    (out as { partitioner: Partitioner | undefined }).partitioner = partitioner;
    out.prepare = undefined;
  };
  return out;
}
