import { SluiceError } from '../errors.js';
import type { RDD } from './rdd.js';

/**
 * Spark's PartitionPruningRDD (a developer API): the partitions of an RDD whose index
 * `partitionFilter` keeps, in order and renumbered from 0, each computed from its parent's
 * partition alone (the others are never computed). The filter runs on the driver program when
 * the RDD is made, as Spark's PruneDependency; the result has no partitioner, as Spark's.
 */
export const PartitionPruningRDD = {
  create<T>(rdd: RDD<T>, partitionFilter: (partitionIndex: number) => boolean): RDD<T> {
    if (typeof partitionFilter !== 'function') {
      throw new SluiceError('SLUICE_BAD_ARGUMENT', `PartitionPruningRDD.create: the partition filter must be a function of a partition's index, got ${typeof partitionFilter}`);
    }
    const kept: number[][] = [];
    for (let i = 0; i < rdd.numPartitions; i++) if (partitionFilter(i)) kept.push([i]);
    return rdd.narrow<T>({ kind: 'coalesce', groups: kept, pruning: 'create' }, false, kept.length);
  },
};
