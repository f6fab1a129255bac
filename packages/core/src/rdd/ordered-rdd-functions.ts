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
}

/** Range-partition by key (bounds sampled before the job runs), optionally sorting each partition. */
export function rangeShuffle<K, V>(rdd: RDD<[K, V]>, numPartitions: number, ascending: boolean, sort: boolean): RDD<[K, V]> {
  const out = rdd.partitionByInternal(RangePartitioner.of(numPartitions, ascending), sort ? { ascending } : undefined);
  out.prepare = async () => {
    const perPartition = Math.ceil((20 * numPartitions) / Math.max(1, rdd.numPartitions)) + 20;
    const samples = (await rdd.context.runAction(rdd, { kind: 'sampleKeys', perPartition })) as unknown[][];
    const bounds = rangeBounds(samples.flat(1), numPartitions);
    const partitioner: Partitioner = { kind: 'range', numPartitions, bounds, ascending };
    const dep = out.deps[0] as Extract<Dependency, { type: 'shuffle' }>;
    const spec: ShuffleSpec = { ...dep.spec, partitioner };
    out.deps = [{ type: 'shuffle', rdd: dep.rdd, spec }];
    out.op = { kind: 'shuffled', shuffle: spec, sort: sort ? { ascending } : undefined };
    (out as { partitioner: Partitioner | undefined }).partitioner = partitioner;
    out.prepare = undefined;
  };
  return out;
}
