import type { Partitioner } from './partitioner.js';
import type { RDD } from './rdd.js';

/**
 * Spark's Dependency, what `rdd.dependencies` gives: how an RDD's partitions depend on the
 * partitions of one parent, `rdd`. A narrow one names the parent partitions a partition reads
 * (getParents); a ShuffleDependency is a shuffle of the parent by its `partitioner`.
 */
export abstract class Dependency<T = unknown> {
  /** The parent RDD. */
  abstract readonly rdd: RDD<T>;
}

/** Spark's NarrowDependency: each partition of the child reads a few partitions of the parent, `getParents(partitionId)`. */
export abstract class NarrowDependency<T = unknown> extends Dependency<T> {
  readonly rdd: RDD<T>;

  constructor(rdd: RDD<T>) {
    super();
    this.rdd = rdd;
  }

  /** The parent's partitions the child's partition `partitionId` reads. */
  abstract getParents(partitionId: number): number[];
}

/** Spark's OneToOneDependency: partition i of the child reads partition i of the parent (map, filter, a co-partitioned join's input). */
export class OneToOneDependency<T = unknown> extends NarrowDependency<T> {
  getParents(partitionId: number): number[] {
    return [partitionId];
  }
}

/**
 * Spark's RangeDependency (a union's): the parent's partitions from `inStart` on are the child's
 * from `outStart` on, `length` of them.
 */
export class RangeDependency<T = unknown> extends NarrowDependency<T> {
  constructor(
    rdd: RDD<T>,
    readonly inStart: number,
    readonly outStart: number,
    readonly length: number,
  ) {
    super(rdd);
  }

  getParents(partitionId: number): number[] {
    return partitionId >= this.outStart && partitionId < this.outStart + this.length ? [partitionId - this.outStart + this.inStart] : [];
  }
}

/**
 * A narrow dependency whose child partitions read the parent partitions `parents` lists: Spark's
 * anonymous NarrowDependency of coalesce and cartesian, and PartitionPruningRDD's PruneDependency.
 */
export class PartitionsDependency<T = unknown> extends NarrowDependency<T> {
  constructor(
    rdd: RDD<T>,
    private readonly parents: (partitionId: number) => readonly number[],
  ) {
    super(rdd);
  }

  getParents(partitionId: number): number[] {
    return [...this.parents(partitionId)];
  }
}

/**
 * Spark's ShuffleDependency: the parent's pairs are shuffled by `partitioner` (`shuffleId` the
 * shuffle's id, `mapSideCombine` whether its map side combines values by key first).
 */
export class ShuffleDependency<K = unknown, V = unknown> extends Dependency<[K, V]> {
  constructor(
    readonly rdd: RDD<[K, V]>,
    readonly partitioner: Partitioner,
    readonly shuffleId: number,
    readonly mapSideCombine: boolean,
  ) {
    super();
  }
}

/**
 * @internal `rdd`'s dependencies as Spark's RDD.dependencies gives them: a reliably
 * checkpointed RDD's a OneToOneDependency on its checkpoint (made at each call); a locally
 * checkpointed one none (its lineage is its own cached blocks); else one a parent, in order:
 * a shuffle's ShuffleDependency, a union's RangeDependency, coalesce's, a pruning's and
 * cartesian's the parent partitions each partition reads, any other a OneToOneDependency.
 */
export function rddDependencies(rdd: RDD<unknown>): Dependency[] {
  if (rdd.checkpointDir !== undefined) return [new OneToOneDependency(rdd.context.checkpointFileRDD(rdd.checkpointDir, rdd.numPartitions, rdd.partitioner))];
  if (rdd.locallyCheckpointed) return [];
  const op = rdd.op;
  return rdd.deps.map((d, which): Dependency => {
    if (d.type === 'shuffle') return new ShuffleDependency(d.rdd as RDD<[unknown, unknown]>, d.spec.partitioner, d.spec.shuffleId, d.spec.mapSideCombine);
    switch (op.kind) {
      case 'union': {
        const mine = op.parts.map(([p, split], i) => [p, split, i] as const).filter(([p]) => p === which);
        return new RangeDependency(d.rdd, mine[0]?.[1] ?? 0, mine[0]?.[2] ?? 0, mine.length);
      }
      case 'coalesce':
        return new PartitionsDependency(d.rdd, (i) => op.groups[i] ?? []);
      case 'cartesian':
        return new PartitionsDependency(d.rdd, (i) => (i < 0 || i >= rdd.numPartitions ? [] : [which === 0 ? Math.floor(i / op.rightPartitions) : i % op.rightPartitions]));
      default:
        return new OneToOneDependency(d.rdd);
    }
  });
}
