import type { AggregatorSpec } from './plan.js';
import { keyId, type KeyId } from './key.js';
import { partitionerEquals, type PartitionArg, type Partitioner } from './partitioner.js';
import { rangeShuffle } from './ordered-rdd-functions.js';
import type { RDD } from './rdd.js';

/** combineByKey's last argument: where keys go (see PartitionArg) and whether to combine on the map side (default true). */
export type CombineByKeyOptions = number | Partitioner | { readonly numPartitions?: number; readonly partitioner?: Partitioner; readonly mapSideCombine?: boolean };

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

  /** `partitions`: a partition count, a Partitioner, or { numPartitions } / { partitioner } (Spark's overloads). */
  reduceByKey<K, V>(this: RDD<[K, V]>, f: (a: V, b: V) => V, partitions?: PartitionArg): RDD<[K, V]> {
    return this.combineInternal<K, V, V>({ kind: 'reduce', fn: this.ship(f, 'reduceByKey') }, this.defaultPartitioner(partitions, [], 'rdd.reduceByKey'), true);
  }

  groupByKey<K, V>(this: RDD<[K, V]>, partitions?: PartitionArg): RDD<[K, V[]]> {
    return this.combineInternal<K, V, V[]>({ kind: 'group' }, this.defaultPartitioner(partitions, [], 'rdd.groupByKey'), false);
  }

  foldByKey<K, V>(this: RDD<[K, V]>, zero: V, f: (a: V, b: V) => V, partitions?: PartitionArg): RDD<[K, V]> {
    return this.combineInternal<K, V, V>({ kind: 'fold', zero, fn: this.ship(f, 'foldByKey') }, this.defaultPartitioner(partitions, [], 'rdd.foldByKey'), true);
  }

  aggregateByKey<K, V, U>(this: RDD<[K, V]>, zero: U, seqOp: (acc: U, v: V) => U, combOp: (a: U, b: U) => U, partitions?: PartitionArg): RDD<[K, U]> {
    const spec: AggregatorSpec = { kind: 'aggregate', zero, seqOp: this.ship(seqOp, 'aggregateByKey'), combOp: this.ship(combOp, 'aggregateByKey') };
    return this.combineInternal<K, V, U>(spec, this.defaultPartitioner(partitions, [], 'rdd.aggregateByKey'), true);
  }

  /**
   * Spark's combineByKey. `options`: a partition count or Partitioner, or
   * `{ numPartitions, partitioner, mapSideCombine }`; with `mapSideCombine: false` the
   * records are shuffled as they are and combined only on the reduce side
   * (createCombiner and mergeValue there, mergeCombiners never), as Spark's
   * combineByKeyWithClassTag(..., mapSideCombine = false).
   */
  combineByKey<K, V, C>(
    this: RDD<[K, V]>,
    createCombiner: (v: V) => C,
    mergeValue: (c: C, v: V) => C,
    mergeCombiners: (a: C, b: C) => C,
    options?: CombineByKeyOptions,
  ): RDD<[K, C]> {
    const spec: AggregatorSpec = {
      kind: 'combine',
      createCombiner: this.ship(createCombiner, 'combineByKey'),
      mergeValue: this.ship(mergeValue, 'combineByKey'),
      mergeCombiners: this.ship(mergeCombiners, 'combineByKey'),
    };
    const mapSideCombine = typeof options === 'object' && options !== null && !('kind' in options) ? options.mapSideCombine !== false : true;
    return this.combineInternal<K, V, C>(spec, this.defaultPartitioner(options, [], 'rdd.combineByKey'), mapSideCombine);
  }

  partitionBy<K, V>(this: RDD<[K, V]>, partitioner: Partitioner): RDD<[K, V]> {
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

  cogroup<K, V, W>(this: RDD<[K, V]>, other: RDD<[K, W]>, partitions?: PartitionArg): RDD<[K, [V[], W[]]]> {
    return cogroupAs(this, other, partitions, 'rdd.cogroup');
  }

  /**
   * The pairs whose key `other` does not have, every value of such a key kept (Spark's
   * subtractByKey); keys compared by value. Default: this RDD's partition count.
   */
  subtractByKey<K, V, W>(this: RDD<[K, V]>, other: RDD<[K, W]>, partitions: PartitionArg = this.numPartitions): RDD<[K, V]> {
    return cogroupAs(this, other, partitions, 'rdd.subtractByKey').flatMap(pairsOnlyLeft as (kv: [K, [V[], W[]]]) => [K, V][]);
  }

  async countByKey<K, V>(this: RDD<[K, V]>): Promise<Map<K, number>> {
    return this.keys().countByValue();
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

// Self-contained helpers shipped to workers (they capture nothing and name nothing else).
// Self-contained helpers shipped to workers (they capture nothing and name nothing else).
function pairsOnlyLeft(kv: [unknown, [unknown[], unknown[]]]): [unknown, unknown][] {
  const [k, [vs, ws]] = kv;
  return ws.length > 0 ? [] : vs.map((v) => [k, v]);
}
