import { SluiceError } from '../errors.js';
import type { ShippedFunction } from '../closure/shipped-function.js';
import type { ActionSpec } from '../scheduler/task-spec.js';
import type { SluiceContext } from '../context.js';
import { compareKeys, keyId, type KeyId } from './key.js';
import { HashPartitioner, RangePartitioner, partitionerEquals, rangeBounds, resolvePartitioner, type PartitionArg, type Partitioner } from './partitioner.js';
import type { AggregatorSpec, LineageGraph, NodeOp, PlanNode, ShuffleSpec, StorageLevel } from './plan.js';

export type Pair<K, V> = [K, V];

/** combineByKey's last argument: where keys go (see PartitionArg) and whether to combine on the map side (default true). */
export type CombineByKeyOptions = number | Partitioner | { readonly numPartitions?: number; readonly partitioner?: Partitioner; readonly mapSideCombine?: boolean };

/** How an RDD depends on its parents: narrow (partition to partitions), or through a shuffle. */
export type Dependency =
  | { readonly type: 'narrow'; readonly rdd: RDD<unknown> }
  | { readonly type: 'shuffle'; readonly rdd: RDD<unknown>; readonly spec: ShuffleSpec };

/**
 * A Resilient Distributed Dataset: an immutable, partitioned collection that remembers
 * how it was made (its lineage), so a lost partition is recomputed rather than replicated.
 *
 * Transformations return new RDDs lazily; actions (collect, count, ...) return Promises
 * and run a job on the cluster. Pairs are `[K, V]` tuples; the pair operators are typed
 * with a `this: RDD<[K, V]>` parameter, so they are only offered on RDDs of pairs.
 *
 * @example
 *   const counts = await sc.textFile('book.txt')
 *     .flatMap((line) => line.split(' '))
 *     .map((w) => [w, 1] as [string, number])
 *     .reduceByKey((a, b) => a + b)
 *     .collect();
 */
export class RDD<T> {
  readonly id: number;
  readonly context: SluiceContext;
  readonly numPartitions: number;
  /** Set when the RDD's pairs are known to be placed by key with this partitioner. */
  readonly partitioner: Partitioner | undefined;
  /** @internal */ op: NodeOp;
  /** @internal */ deps: Dependency[];
  /** @internal */ storage: StorageLevel = 'NONE';
  /** @internal */ checkpointRequested = false;
  /** @internal */ checkpointDir: string | undefined;
  /**
   * @internal Where under the checkpoint directory this RDD's checkpoint goes (a stream's
   * state: `state/stream-<streamId>-<time>`, a name that survives a resubmission);
   * default `rdds/<attempt>/rdd-<id>` (RddCheckpointCleaner).
   */
  checkpointName: string | undefined;
  /** @internal Work the driver program must do before a job over this RDD can run. */
  prepare: ((ctx: SluiceContext) => Promise<void>) | undefined;
  name: string | undefined;

  /** @internal */
  constructor(context: SluiceContext, numPartitions: number, op: NodeOp, deps: Dependency[], partitioner?: Partitioner) {
    this.context = context;
    this.id = context.newRddId();
    this.numPartitions = numPartitions;
    this.op = op;
    this.deps = deps;
    this.partitioner = partitioner;
    for (const d of deps) if (d.type === 'shuffle') context.trackShuffle(this as RDD<unknown>, d.spec.shuffleId);
  }

  setName(name: string): this {
    this.name = name;
    return this;
  }

  /** @internal Ship a user function: captures its local variables, or throws NotSerializableError. */
  protected ship(fn: Function, operator: string): ShippedFunction {
    return this.context.ship(fn, `rdd.${operator}`);
  }

  /** @internal */
  narrow<U>(op: NodeOp, preservesPartitioning = false, numPartitions = this.numPartitions): RDD<U> {
    return new RDD<U>(this.context, numPartitions, op, [{ type: 'narrow', rdd: this as RDD<unknown> }], preservesPartitioning ? this.partitioner : undefined);
  }

  // ---- narrow transformations ---------------------------------------------------

  map<U>(f: (t: T) => U): RDD<U> {
    return this.narrow({ kind: 'map', fn: this.ship(f, 'map') });
  }

  flatMap<U>(f: (t: T) => Iterable<U>): RDD<U> {
    return this.narrow({ kind: 'flatMap', fn: this.ship(f, 'flatMap') });
  }

  filter(f: (t: T) => boolean): RDD<T> {
    return this.narrow({ kind: 'filter', fn: this.ship(f, 'filter') }, true);
  }

  mapPartitions<U>(f: (it: IterableIterator<T>) => Iterable<U>, preservesPartitioning = false): RDD<U> {
    return this.narrow({ kind: 'mapPartitions', fn: this.ship(f, 'mapPartitions'), withIndex: false }, preservesPartitioning);
  }

  mapPartitionsWithIndex<U>(f: (index: number, it: IterableIterator<T>) => Iterable<U>, preservesPartitioning = false): RDD<U> {
    return this.narrow({ kind: 'mapPartitions', fn: this.ship(f, 'mapPartitionsWithIndex'), withIndex: true }, preservesPartitioning);
  }

  glom(): RDD<T[]> {
    return this.narrow({ kind: 'glom' });
  }

  keyBy<K>(f: (t: T) => K): RDD<[K, T]> {
    return this.narrow({ kind: 'keyBy', fn: this.ship(f, 'keyBy') });
  }

  sample(withReplacement: boolean, fraction: number, seed: number = Math.floor(Math.random() * 2 ** 31)): RDD<T> {
    if (!(fraction >= 0) || (!withReplacement && fraction > 1)) {
      throw new SluiceError('SLUICE_BAD_ARGUMENT', `rdd.sample: fraction must be in [0, 1] without replacement or >= 0 with it, got ${fraction}`);
    }
    return this.narrow({ kind: 'sample', withReplacement, fraction, seed }, true);
  }

  union(other: RDD<T>): RDD<T> {
    return this.context.union([this, other]);
  }

  /** Pairs every element with its index: partition i's indices follow partition i-1's. */
  zipWithIndex(): RDD<[T, number]> {
    const out = this.narrow<[T, number]>({ kind: 'zipWithIndex', offsets: [] });
    const parent = this;
    out.prepare = async () => {
      const counts = (await parent.context.runAction(parent, { kind: 'count' })) as number[];
      const offsets: number[] = [];
      let acc = 0;
      for (const c of counts) {
        offsets.push(acc);
        acc += c;
      }
      out.op = { kind: 'zipWithIndex', offsets };
      out.prepare = undefined;
    };
    return out;
  }

  cartesian<U>(other: RDD<U>): RDD<[T, U]> {
    return new RDD<[T, U]>(this.context, this.numPartitions * other.numPartitions, { kind: 'cartesian', rightPartitions: other.numPartitions }, [
      { type: 'narrow', rdd: this as RDD<unknown> },
      { type: 'narrow', rdd: other as RDD<unknown> },
    ]);
  }

  /** Fewer partitions without a shuffle (or with one, when `shuffle` is set). */
  coalesce(numPartitions: number, shuffle = false): RDD<T> {
    checkPositive(numPartitions, 'coalesce');
    if (shuffle) return this.repartition(numPartitions);
    const n = Math.min(numPartitions, this.numPartitions);
    const groups: number[][] = Array.from({ length: n }, () => []);
    for (let p = 0; p < this.numPartitions; p++) groups[Math.floor((p * n) / this.numPartitions)].push(p);
    return this.narrow({ kind: 'coalesce', groups }, false, n);
  }

  repartition(numPartitions: number): RDD<T> {
    checkPositive(numPartitions, 'repartition');
    // Spread records round-robin from a per-partition start, as Spark does.
    return this.narrow<[number, T]>({ kind: 'roundRobinKeys', numPartitions })
      .partitionByInternal(HashPartitioner.of(numPartitions))
      .values();
  }

  distinct(numPartitions: number = this.numPartitions): RDD<T> {
    const keyed = this.narrow<[T, null]>({ kind: 'pairWithNull' });
    return keyed.combineInternal<T, null, null>({ kind: 'first' }, HashPartitioner.of(numPartitions), true).keys();
  }

  sortBy<K>(f: (t: T) => K, ascending = true, numPartitions: number = this.numPartitions): RDD<T> {
    const keyed = this.keyBy(f);
    const sorted = keyed.sortByKey(ascending, numPartitions);
    return sorted.values();
  }

  // ---- pair transformations -------------------------------------------------------

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
      return this.rangeShuffle(partitioner.numPartitions, partitioner.ascending, false);
    }
    return this.partitionByInternal(partitioner);
  }

  sortByKey<K, V>(this: RDD<[K, V]>, ascending = true, numPartitions: number = this.numPartitions): RDD<[K, V]> {
    checkPositive(numPartitions, 'sortByKey');
    return this.rangeShuffle(numPartitions, ascending, true);
  }

  join<K, V, W>(this: RDD<[K, V]>, other: RDD<[K, W]>, partitions?: PartitionArg): RDD<[K, [V, W]]> {
    return this.cogroupAs(other, partitions, 'rdd.join').narrow({ kind: 'joinValues', mode: 'inner' }, true) as RDD<[K, [V, W]]>;
  }

  leftOuterJoin<K, V, W>(this: RDD<[K, V]>, other: RDD<[K, W]>, partitions?: PartitionArg): RDD<[K, [V, W | undefined]]> {
    return this.cogroupAs(other, partitions, 'rdd.leftOuterJoin').narrow({ kind: 'joinValues', mode: 'left' }, true) as RDD<[K, [V, W | undefined]]>;
  }

  rightOuterJoin<K, V, W>(this: RDD<[K, V]>, other: RDD<[K, W]>, partitions?: PartitionArg): RDD<[K, [V | undefined, W]]> {
    return this.cogroupAs(other, partitions, 'rdd.rightOuterJoin').narrow({ kind: 'joinValues', mode: 'right' }, true) as RDD<[K, [V | undefined, W]]>;
  }

  fullOuterJoin<K, V, W>(this: RDD<[K, V]>, other: RDD<[K, W]>, partitions?: PartitionArg): RDD<[K, [V | undefined, W | undefined]]> {
    return this.cogroupAs(other, partitions, 'rdd.fullOuterJoin').narrow({ kind: 'joinValues', mode: 'full' }, true) as RDD<[K, [V | undefined, W | undefined]]>;
  }

  cogroup<K, V, W>(this: RDD<[K, V]>, other: RDD<[K, W]>, partitions?: PartitionArg): RDD<[K, [V[], W[]]]> {
    return this.cogroupAs(other, partitions, 'rdd.cogroup');
  }

  private cogroupAs<K, V, W>(this: RDD<[K, V]>, other: RDD<[K, W]>, partitions: PartitionArg | undefined, operator: string): RDD<[K, [V[], W[]]]> {
    const partitioner = this.defaultPartitioner(partitions, [other as RDD<unknown>], operator);
    return this.context.cogroupInternal([this as RDD<[unknown, unknown]>, other as RDD<[unknown, unknown]>], partitioner) as RDD<[K, [V[], W[]]]>;
  }

  /**
   * The pairs whose key `other` does not have, every value of such a key kept (Spark's
   * subtractByKey); keys compared by value. Default: this RDD's partition count.
   */
  subtractByKey<K, V, W>(this: RDD<[K, V]>, other: RDD<[K, W]>, partitions: PartitionArg = this.numPartitions): RDD<[K, V]> {
    return this.cogroupAs(other, partitions, 'rdd.subtractByKey').flatMap(pairsOnlyLeft as (kv: [K, [V[], W[]]]) => [K, V][]);
  }

  /** The elements `other` does not have, duplicates kept (Spark's subtract). Default: this RDD's partition count. */
  subtract(other: RDD<T>, partitions: PartitionArg = this.numPartitions): RDD<T> {
    const mine = this.narrow<[T, null]>({ kind: 'pairWithNull' });
    return mine.subtractByKey(other.narrow<[T, null]>({ kind: 'pairWithNull' }), partitions).keys();
  }

  /** The elements both RDDs have, each once (Spark's intersection). */
  intersection(other: RDD<T>, partitions?: PartitionArg): RDD<T> {
    const mine = this.narrow<[T, null]>({ kind: 'pairWithNull' });
    return mine.cogroupAs(other.narrow<[T, null]>({ kind: 'pairWithNull' }), partitions, 'rdd.intersection').flatMap(keyInBoth as (kv: [T, [null[], null[]]]) => T[]);
  }

  // ---- persistence ------------------------------------------------------------------

  cache(): this {
    return this.persist('MEMORY_ONLY');
  }

  persist(level: StorageLevel = 'MEMORY_ONLY'): this {
    this.storage = level;
    return this;
  }

  async unpersist(): Promise<this> {
    this.storage = 'NONE';
    await this.context.removeRdd(this.id);
    return this;
  }

  /**
   * Mark this RDD for checkpointing: after the next action that computes it, its
   * partitions are written to the context's checkpoint directory and its lineage is cut.
   */
  checkpoint(): void {
    if (!this.context.checkpointDirectory) {
      throw new SluiceError('SLUICE_CHECKPOINT', `rdd.checkpoint() needs a checkpoint directory: call sc.setCheckpointDir(dir) first`);
    }
    this.checkpointRequested = true;
  }

  isCheckpointed(): boolean {
    return this.checkpointDir !== undefined;
  }

  // ---- actions ---------------------------------------------------------------------

  async collect(): Promise<T[]> {
    const parts = (await this.context.runAction(this, { kind: 'collect' })) as T[][];
    return parts.flat(1) as T[];
  }

  async count(): Promise<number> {
    const parts = (await this.context.runAction(this, { kind: 'count' })) as number[];
    return parts.reduce((a, b) => a + b, 0);
  }

  async first(): Promise<T> {
    const got = await this.take(1);
    if (got.length === 0) throw new SluiceError('SLUICE_BAD_ARGUMENT', `rdd.first() on an empty RDD (rdd ${this.id}${this.name ? ` '${this.name}'` : ''})`);
    return got[0];
  }

  /** The first n elements, scanning partitions in order and stopping once it has n (as Spark does). */
  async take(n: number): Promise<T[]> {
    const out: T[] = [];
    let next = 0;
    let batch = 1;
    while (out.length < n && next < this.numPartitions) {
      const parts = Array.from({ length: Math.min(batch, this.numPartitions - next) }, (_, i) => next + i);
      const got = (await this.context.runAction(this, { kind: 'take', n: n - out.length }, parts)) as T[][];
      for (const g of got) for (const x of g) if (out.length < n) out.push(x);
      next += parts.length;
      batch *= 4;
    }
    return out;
  }

  async top(n: number, compare?: (a: T, b: T) => number): Promise<T[]> {
    return this.ordered(n, false, compare, 'top');
  }

  async takeOrdered(n: number, compare?: (a: T, b: T) => number): Promise<T[]> {
    return this.ordered(n, true, compare, 'takeOrdered');
  }

  private async ordered(n: number, ascending: boolean, compare: ((a: T, b: T) => number) | undefined, op: string): Promise<T[]> {
    const shipped = compare ? this.ship(compare, op) : undefined;
    const parts = (await this.context.runAction(this, { kind: 'top', n, ascending, compare: shipped })) as T[][];
    const cmp = compare ?? (compareKeys as (a: T, b: T) => number);
    const all = parts.flat(1) as T[];
    all.sort(ascending ? cmp : (a, b) => cmp(b, a));
    return all.slice(0, n);
  }

  async reduce(f: (a: T, b: T) => T): Promise<T> {
    const parts = (await this.context.runAction(this, { kind: 'reduce', fn: this.ship(f, 'reduce') })) as { empty: boolean; value: T }[];
    const nonEmpty = parts.filter((p) => !p.empty);
    if (nonEmpty.length === 0) throw new SluiceError('SLUICE_BAD_ARGUMENT', `rdd.reduce() on an empty RDD (rdd ${this.id}): use fold() with a zero value`);
    return nonEmpty.map((p) => p.value).reduce(f);
  }

  async fold(zero: T, f: (a: T, b: T) => T): Promise<T> {
    const parts = (await this.context.runAction(this, { kind: 'fold', zero, fn: this.ship(f, 'fold') })) as T[];
    return parts.reduce(f, zero);
  }

  async aggregate<U>(zero: U, seqOp: (acc: U, t: T) => U, combOp: (a: U, b: U) => U): Promise<U> {
    const parts = (await this.context.runAction(this, { kind: 'aggregate', zero, seqOp: this.ship(seqOp, 'aggregate') })) as U[];
    return parts.reduce(combOp, zero);
  }

  async foreach(f: (t: T) => void | Promise<void>): Promise<void> {
    await this.context.runAction(this, { kind: 'foreach', fn: this.ship(f, 'foreach') });
  }

  async foreachPartition(f: (it: IterableIterator<T>) => void | Promise<void>): Promise<void> {
    await this.context.runAction(this, { kind: 'foreachPartition', fn: this.ship(f, 'foreachPartition') });
  }

  async countByValue(): Promise<Map<T, number>> {
    const parts = (await this.context.runAction(this, { kind: 'countByValue' })) as [T, number][][];
    return mergeCounts(parts);
  }

  async countByKey<K, V>(this: RDD<[K, V]>): Promise<Map<K, number>> {
    return this.keys().countByValue();
  }

  /** true when the RDD has no element (Spark's isEmpty: no partition, or take(1) finds none). */
  async isEmpty(): Promise<boolean> {
    return this.numPartitions === 0 || (await this.take(1)).length === 0;
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

  /**
   * Writes one `part-NNNNN` text file per partition (String(record) per line) under `dir`,
   * then `_SUCCESS`. `dir` may be a location of a registered file system
   * (`s3://bucket/path` with `import '@sluice/s3'`).
   */
  async saveAsTextFile(dir: string): Promise<void> {
    await this.context.saveAsTextFile(this as RDD<unknown>, dir);
  }

  /**
   * Writes one `part-NNNNN` file per partition under `dir` holding its records encoded
   * with the record codec (Spark uses Java serialization; see codec/object-file.ts), read
   * back with `sc.objectFile(dir)`. Atomic, as saveAsTextFile; an existing `dir` is an error.
   */
  async saveAsObjectFile(dir: string): Promise<void> {
    await this.context.saveAsObjectFile(this as RDD<unknown>, dir);
  }

  // ---- internals --------------------------------------------------------------------

  /** @internal */
  defaultPartitioner(partitions: PartitionArg | undefined, others: readonly RDD<unknown>[] = [], operator = 'rdd'): Partitioner {
    return resolvePartitioner(partitions, () => {
      // Spark's Partitioner.defaultPartitioner: an input's partitioner (not a range one, whose bounds fit its own keys), else the most partitions.
      for (const r of [this as RDD<unknown>, ...others]) if (r.partitioner && r.partitioner.kind !== 'range') return r.partitioner;
      return HashPartitioner.of(Math.max(this.numPartitions, ...others.map((o) => o.numPartitions)));
    }, operator);
  }

  /** @internal */
  combineInternal<K, V, C>(aggregator: AggregatorSpec, partitioner: Partitioner, mapSideCombine: boolean): RDD<[K, C]> {
    const self = this as unknown as RDD<[K, V]>;
    if (partitionerEquals(self.partitioner, partitioner)) {
      // Already placed by key: combine each partition in place, no shuffle.
      return new RDD<[K, C]>(this.context, this.numPartitions, { kind: 'combineLocal', aggregator }, [{ type: 'narrow', rdd: this as RDD<unknown> }], partitioner);
    }
    const spec: ShuffleSpec = { shuffleId: this.context.newShuffleId(), partitioner, aggregator, mapSideCombine };
    return new RDD<[K, C]>(this.context, partitioner.numPartitions, { kind: 'shuffled', shuffle: spec }, [{ type: 'shuffle', rdd: this as RDD<unknown>, spec }], partitioner);
  }

  /** @internal */
  partitionByInternal<K, V>(this: RDD<[K, V]>, partitioner: Partitioner, sort?: { ascending: boolean }): RDD<[K, V]> {
    const spec: ShuffleSpec = { shuffleId: this.context.newShuffleId(), partitioner, mapSideCombine: false };
    return new RDD<[K, V]>(this.context, partitioner.numPartitions, { kind: 'shuffled', shuffle: spec, sort }, [{ type: 'shuffle', rdd: this as RDD<unknown>, spec }], partitioner);
  }

  /** Range-partition by key (bounds sampled before the job runs), optionally sorting each partition. */
  private rangeShuffle<K, V>(this: RDD<[K, V]>, numPartitions: number, ascending: boolean, sort: boolean): RDD<[K, V]> {
    const out = this.partitionByInternal(RangePartitioner.of(numPartitions, ascending), sort ? { ascending } : undefined);
    const parent = this;
    out.prepare = async () => {
      const perPartition = Math.ceil((20 * numPartitions) / Math.max(1, parent.numPartitions)) + 20;
      const samples = (await parent.context.runAction(parent, { kind: 'sampleKeys', perPartition })) as unknown[][];
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

  /** @internal The lineage as plain data, down to sources, shuffles' map sides and checkpoints. */
  lineage(): LineageGraph {
    const nodes: Record<number, PlanNode> = {};
    const visit = (r: RDD<unknown>): void => {
      if (nodes[r.id]) return;
      const parents: number[] = [];
      const shuffleParents: number[] = [];
      if (r.checkpointDir === undefined) {
        for (const d of r.deps) {
          if (d.type === 'narrow') {
            parents.push(d.rdd.id);
            if (r.op.kind === 'cogroup') shuffleParents.push(-1);
          } else {
            shuffleParents.push(d.rdd.id);
            if (r.op.kind === 'cogroup') parents.push(-1);
          }
          visit(d.rdd);
        }
      }
      const op: NodeOp = r.checkpointDir !== undefined ? { kind: 'checkpointFile', dir: r.checkpointDir } : r.op;
      nodes[r.id] = { id: r.id, numPartitions: r.numPartitions, op, parents, shuffleParents, storage: r.storage };
    };
    visit(this as RDD<unknown>);
    return { nodes, root: this.id };
  }
}

// Self-contained helpers shipped to workers (they capture nothing and name nothing else).
function pairsOnlyLeft(kv: [unknown, [unknown[], unknown[]]]): [unknown, unknown][] {
  const [k, [vs, ws]] = kv;
  return ws.length > 0 ? [] : vs.map((v) => [k, v]);
}
function keyInBoth(kv: [unknown, [unknown[], unknown[]]]): unknown[] {
  return kv[1][0].length > 0 && kv[1][1].length > 0 ? [kv[0]] : [];
}

function checkPositive(n: number, op: string): void {
  if (!Number.isInteger(n) || n <= 0) throw new SluiceError('SLUICE_BAD_ARGUMENT', `rdd.${op}: numPartitions must be a positive integer, got ${String(n)}`);
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

