import { RangePartitioner, rangeBounds, type Partitioner } from './partitioner.js';
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
