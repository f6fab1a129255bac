import { SluiceError } from '../errors.js';
import { sparkWords } from '../util/spark-words.js';
import { notProvided } from '../util/not-provided.js';
import { fileSystemFor } from '../io/file-system-registry.js';
import { HashPartitioner, partitionFuncPartitioner, resolvePartitioner, type PartitionArg, type Partitioner } from '../rdd/partitioner.js';
import { StorageLevel, storedLevel, toStorageLevel, type SparkStorageLevel } from '../rdd/storage-level.js';
import type { CombineByKeyOptions } from '../rdd/pair-rdd-functions.js';
import type { Returned } from '../rdd/returned.js';
import type { RDD } from '../rdd/rdd.js';
import { batchScope, currentCreationSite, currentScope, ownMethodsBut, scopeMethods, withGivenScope, type CreationSite } from '../rdd/rdd-operation-scope.js';
import { formatBatchTime } from '../streaming/ui-utils.js';
import { toMillis, type Duration } from '../streaming/duration.js';
import type { StreamingContext } from '../streaming/streaming-context.js';
import type { StateSpec } from './state-spec.js';
import { checkForeachRDDOptions, type ForeachRDDOptions } from './output-checkpoint-state.js';
import type { DashboardOptions } from '../dashboard/dashboard-options.js';
import { registerDashboard } from '../dashboard/dashboard-output.js';
import type { ReducedWindowedDStream, WindowedDStream } from './window-dstreams.js';
import { checkWindowArgs } from './window-args.js';
import type { MapWithStateDStream, StateDStream } from './state-dstreams.js';
import { formatRecord } from '../util/format-record.js';

/** Which of Spark's updateStateByKey forms a function has. */
const HADOOP_OUTPUT = "Hadoop's OutputFormats need the JVM's Hadoop library, which Sluice (Node) has not";
const SAVE_FILES_INSTEAD = "save each batch with dstream.saveAsTextFiles(prefix, suffix) or saveAsObjectFiles(prefix, suffix), or write it to a store in foreachRDD with the store's client (see the connectors)";

export type UpdateStateForm = 'values' | 'timeKey' | 'iterator';
/** An updateStateByKey function of any of the forms. */
export type UpdateStateFunction<K, V, S> =
  | ((values: V[], state: S | undefined) => S | undefined)
  | ((time: number, key: K, values: V[], state: S | undefined) => S | undefined)
  | ((records: IterableIterator<[K, V[], S | undefined]>) => Iterable<[K, S]>);

/** The key type of a stream of [key, value] pairs. */
export type PairKey<T> = T extends readonly [infer K, unknown] ? K : unknown;
/** The value type of a stream of [key, value] pairs. */
export type PairValue<T> = T extends readonly [unknown, infer V] ? V : unknown;
/**
 * reduceByWindow's inverse, checked as a method's parameter is (bivariantly), so a
 * DStream<Buffer> is still a DStream<unknown>; written as a property so that it can take
 * `| undefined` (exactOptionalPropertyTypes), which a method signature cannot.
 */
type BivariantReduce<T> = { bivarianceHack(a: T, b: T): T }['bivarianceHack'];

/**
 * A discretized stream: a sequence of RDDs, one per batch interval (or per slide, for
 * windows), as Spark Streaming's DStream. Transformations make new DStreams; output
 * operations (print, saveAsTextFiles, foreachRDD) register jobs that run for every batch.
 *
 * Invariants: an RDD is generated at most once per valid time (a multiple of the slide
 * after the context's zero time) and remembered for `rememberDuration`; older RDDs are
 * forgotten (and unpersisted) after each batch.
 * Threading: the driver program's thread.
 */
export abstract class DStream<T> {
  readonly ssc: StreamingContext;
  readonly id: number;

  /** Spark's DStream.context: the StreamingContext this stream belongs to, `ssc` under Spark's name (since 2026-12-05). */
  get context(): StreamingContext {
    return this.ssc;
  }
  /** @internal */ readonly generated = new Map<number, RDD<T>>();
  /** Recovery: times whose checkpointed RDD is damaged, with the error a batch reading one fails with (seedDamagedCheckpoint). */
  private readonly damagedCheckpoints = new Map<number, Error>();
  /** @internal */ storageLevel: StorageLevel = StorageLevel.NONE;
  /** @internal */ checkpointInterval: number | undefined;
  /** @internal */ rememberMs = 0;
  /** @internal Set for streams that must be checkpointed (stateful). */
  readonly mustCheckpoint: boolean = false;
  /**
   * The scope of the operation that made this stream, as JSON (Spark's DStream.baseScope):
   * `{"id":"4","name":"map"}`; the streams an operation makes inside itself share it (all of
   * `countByWindow`'s are `countByWindow`). Each batch's RDDs are in `<name> @ <batch time>`
   * (see RDD.scope). Undefined for a stream made outside any operation.
   */
  readonly baseScope: string | undefined;

  /** @internal */
  /** @internal Where the program made this stream (Spark's DStream.creationSite): the method it called and the place; its batches' RDDs show it. */
  readonly creationSite: CreationSite | undefined = currentCreationSite();

  constructor(ssc: StreamingContext) {
    this.ssc = ssc;
    this.id = ssc.registerStream(this as DStream<unknown>);
    this.baseScope = this.initialBaseScope();
  }

  /** @internal The base scope of a new stream: the operation's being called now. */
  protected initialBaseScope(): string | undefined {
    return currentScope()?.toJson();
  }

  /**
   * @internal Whether RDD operations this stream's function calls show as scopes of their own
   * within the batch's scope (Spark's displayInnerRDDOps: transform's, foreachRDD's), rather
   * than all in the batch's scope.
   */
  protected get displayInnerRDDOps(): boolean {
    return false;
  }

  /** The streams this one is computed from. */
  abstract get dependencies(): readonly DStream<unknown>[];
  /** Time between two RDDs of this stream. */
  abstract get slideDuration(): number;
  /** @internal The RDD for `time`, or undefined when this stream has none. */
  protected abstract compute(time: number): RDD<T> | undefined;

  /**
   * @internal The operator and its parameters as the graph fingerprint of a metadata
   * checkpoint records them (plain JSON; function bodies are not part of it).
   */
  fingerprint(): { readonly op: string; readonly params: Record<string, unknown> } {
    return { op: this.constructor.name, params: {} };
  }

  /**
   * @internal The checkpoint interval of a stream that must be checkpointed and was given
   * none, as Spark's DStream.initialize: the smallest multiple of the slide of at least 10 s.
   */
  defaultCheckpointInterval(): number {
    return Math.ceil(10_000 / this.slideDuration) * this.slideDuration;
  }

  /** @internal Check the stream before start (windows, checkpoints). */
  validate(): void {
    for (const d of this.dependencies) d.validate();
  }

  /**
   * @internal Ask this stream (and through it its parents) to keep RDDs at least this long.
   * A checkpointed stream keeps at least twice its checkpoint interval, as Spark's
   * DStream.initialize does: until its next checkpoint is written, recomputing a lost
   * partition walks its lineage back past the last one, through its parents' RDDs of
   * that time (a receiver's blocks included), so they must still be there.
   */
  rememberAtLeast(ms: number): void {
    const least = this.checkpointInterval !== undefined ? Math.max(ms, 2 * this.checkpointInterval) : ms;
    if (least > this.rememberMs) this.rememberMs = least;
    for (const d of this.dependencies) d.rememberAtLeast(this.parentRememberMs());
  }

  /** How long parents must keep their RDDs for this stream to compute (a window's length). */
  protected parentRememberMs(): number {
    return this.rememberMs;
  }

  private isTimeValid(time: number): boolean {
    const zero = this.ssc.zeroTime;
    return time > zero && (time - zero) % this.slideDuration === 0;
  }

  /** @internal The RDD for `time`, generated once and remembered. */
  getOrCompute(time: number): RDD<T> | undefined {
    const have = this.generated.get(time);
    if (have) return have;
    const damaged = this.damagedCheckpoints.get(time);
    if (damaged !== undefined) throw damaged;
    if (!this.isTimeValid(time)) return undefined;
    const scope = batchScope(this.baseScope, time, formatBatchTime(time, this.ssc.batchIntervalMs, false));
    // As Spark's createRDDWithLocalProperties: the batch's RDDs are created at this stream's creation site, but
    // for those the function of a transform makes, each at its own operation (displayInnerRDDOps).
    const rdd = scope ? withGivenScope(scope, !this.displayInnerRDDOps, () => this.compute(time), this.displayInnerRDDOps ? undefined : this.creationSite) : this.compute(time);
    if (rdd) {
      if (this.storageLevel !== StorageLevel.NONE) rdd.persist(this.storageLevel);
      if (this.isCheckpointTime(time)) {
        rdd.checkpoint();
        // No job id in the name: a resubmitted job recovers from it (StreamingContext.getOrCreate).
        rdd.checkpointName = stateCheckpointName(this.id, time);
      }
      this.generated.set(time, rdd);
    }
    return rdd;
  }

  /** @internal This stream's RDD at `time` is checkpointed: its checkpoint interval divides the time since the zero time (Spark's DStream.getOrCompute). */
  protected isCheckpointTime(time: number): boolean {
    return !!this.checkpointInterval && (time - this.ssc.zeroTime) % this.checkpointInterval === 0;
  }

  /** @internal Recovery: the RDD at `time` is `rdd`, read from this stream's checkpoint files. */
  seedCheckpoint(time: number, rdd: RDD<unknown>): void {
    this.generated.set(time, rdd as RDD<T>);
  }

  /**
   * @internal Recovery: the RDD at `time` was checkpointed and its files are damaged; a batch
   * that asks for it fails with `error`, where computing it again would rebuild state from
   * input batches the restarted driver no longer has. Forgotten as a generated RDD is.
   */
  seedDamagedCheckpoint(time: number, error: Error): void {
    this.damagedCheckpoints.set(time, error);
  }

  /**
   * The RDDs of this stream from `fromTime` to `toTime`, both included, oldest first, as
   * Spark's DStream.slice: each bound not on a multiple of the slide (after the context's
   * zero time) is aligned down to one. Only batches already generated and still
   * remembered give RDDs (`ssc.remember(duration)` keeps more): a time the stream has
   * forgotten, a time before the stream's first batch or one not reached yet gives none.
   * Remembered counts from the last batch completed (in order), as Spark forgets a batch's old
   * RDDs only when it completes: while generation runs ahead of the jobs (a backlog, a
   * recovery catching up on the batches it missed) a batch's foreachRDD still finds its own
   * RDD and those before it, and in batch T's output, with `remember(d)`, the RDDs of times
   * after T - batch - d, as Spark's (since 2026-12-07; before, those after T - d:
   * one batch fewer than Spark's, PySpark's test_slice sliced in an output). A recovered context, before its first batch, gives the RDDs read
   * back from the state checkpoints (Spark's restored generatedRDDs), and so does one made by
   * StreamingContext.getOrCreate and not started yet (since 2026-12-07; it threw before); a
   * stream that keeps no state checkpoint gives none then, where Spark's would compute its
   * RDDs for those times at once. Since 2026-12-07: before, remembered counted from the last
   * batch generated.
   * Call it once the context has started (from foreachRDD, typically), or on a recovered one.
   */
  slice(fromTimeArg: number | Date, toTimeArg: number | Date): RDD<T>[] {
    // PySpark's slice(begin, end) takes datetimes: a Date is its time in ms (since 2026-12-07).
    const fromTime = fromTimeArg instanceof Date ? fromTimeArg.getTime() : fromTimeArg;
    const toTime = toTimeArg instanceof Date ? toTimeArg.getTime() : toTimeArg;
    if (!Number.isFinite(fromTime) || !Number.isFinite(toTime)) {
      throw new SluiceError('SLUICE_BAD_ARGUMENT', `dstream.slice: fromTime and toTime must be times in ms, got ${String(fromTime)} and ${String(toTime)}`);
    }
    if (this.ssc.streamingState === 'initialized' && !this.ssc.readBackBeforeStart()) {
      throw new SluiceError('SLUICE_BAD_ARGUMENT', `dstream.slice: the StreamingContext has not started, so stream ${this.id} has no RDDs yet; call slice after ssc.start() (from foreachRDD, typically)`);
    }
    const zero = this.ssc.zeroTime;
    const slide = this.slideDuration;
    const align = (t: number): number => zero + Math.floor((t - zero) / slide) * slide;
    const last = this.ssc.lastGeneratedTime;
    // What the stream still remembers: the times after the last batch completed in order (its
    // clearMetadata) less the remember duration, as Spark's generatedRDDs holds them.
    const oldest = this.ssc.clearedUpTo - Math.max(this.rememberMs, slide);
    const out: RDD<T>[] = [];
    for (let t = Math.max(align(fromTime), zero); t <= align(toTime); t += slide) {
      if (last === -Infinity) {
        const restored = this.generated.get(t);
        if (restored !== undefined) out.push(restored);
        continue;
      }
      if (t <= oldest || t > last) continue;
      const r = this.getOrCompute(t);
      if (r) out.push(r);
    }
    return out;
  }

  /** @internal RDDs of this stream for times in (from, to], oldest first (windows read them). */
  rddsIn(fromExclusive: number, toInclusive: number): RDD<T>[] {
    const out: RDD<T>[] = [];
    const zero = this.ssc.zeroTime;
    const slide = this.slideDuration;
    let t = zero + Math.ceil((fromExclusive - zero + 1) / slide) * slide;
    for (; t <= toInclusive; t += slide) {
      const r = this.getOrCompute(t);
      if (r) out.push(r);
    }
    return out;
  }

  /**
   * @internal Whether a batch of this stream in (fromExclusive, toInclusive] was restored
   * from a checkpoint without input it had when it first ran (a receiver's blocks kept only
   * in memory, the write-ahead log off): its RDD, computed again, lacks what its first
   * computation held. A stream derived batch by batch asks the streams it is made from.
   */
  inputLostIn(fromExclusive: number, toInclusive: number): boolean {
    return this.dependencies.some((d) => d.inputLostIn(fromExclusive, toInclusive));
  }

  /** @internal Forget RDDs older than the remember duration; returns the ones dropped. */
  clearOldRDDs(time: number): RDD<T>[] {
    const keep = Math.max(this.rememberMs, this.slideDuration);
    for (const t of this.damagedCheckpoints.keys()) if (t <= time - keep) this.damagedCheckpoints.delete(t);
    const dropped: RDD<T>[] = [];
    for (const [t, rdd] of this.generated) {
      if (t <= time - keep) {
        this.generated.delete(t);
        dropped.push(rdd);
      }
    }
    return dropped;
  }

  // ---- settings -----------------------------------------------------------------------

  /** Persist each batch's RDD at `level`, any of Spark's levels, stored as `RDD.persist` stores it. */
  persist(level: StorageLevel | SparkStorageLevel = StorageLevel.MEMORY_ONLY): this {
    // Spark's DStream.persist: isInitialized (started, and stopped after) is its condition.
    this.ssc.checkNotStarted(`dstream.persist: the storage level of stream ${this.id}`, 'Cannot change storage level of a DStream after streaming context has started');
    const given = toStorageLevel(level);
    if (storedLevel(level) === undefined || given === undefined) throw new SluiceError('SLUICE_BAD_ARGUMENT', `dstream.persist (stream ${this.id}): ${typeof level === 'string' ? JSON.stringify(level) : String(level)} is not a storage level to persist at; give one of Spark's, StorageLevel.MEMORY_ONLY (the default), MEMORY_AND_DISK_SER, ... (from @sluice/core)`);
    this.storageLevel = given;
    return this;
  }

  cache(): this {
    return this.persist('MEMORY_ONLY');
  }

  /**
   * Checkpoint this stream's RDDs every `interval` (a multiple of its slide). As Spark's, it
   * persists the stream too (MEMORY_ONLY unless a level was set), so writing a checkpoint
   * does not compute its RDD a second time.
   */
  checkpoint(interval: Duration): this {
    this.ssc.checkNotStarted(`dstream.checkpoint: the checkpoint interval of stream ${this.id}`, 'Cannot change checkpoint interval of a DStream after streaming context has started');
    const ms = toMillis(interval, 'dstream.checkpoint interval');
    if (this.storageLevel === StorageLevel.NONE) this.persist();
    this.checkpointInterval = ms;
    return this;
  }

  // ---- transformations -------------------------------------------------------------------

  /**
   * A new stream whose RDD at each time is `f` of this stream's RDD then. `f` must return
   * an RDD (`rdd.context.emptyRDD()` for no records): null or undefined is an error, as
   * in Spark. A batch for which this stream has no RDD is an error too (Spark's
   * TransformedDStream), unlike map, filter, reduceByKey and the like, which pass it on.
   */
  transform<U>(f: (rdd: RDD<T>, time: number) => RDD<U>): DStream<U> {
    return this.derive('transform', {}, f, 'user');
  }

  transformWith<U, R>(other: DStream<U>, f: (a: RDD<T>, b: RDD<U>, time: number) => RDD<R>): DStream<R>;
  /**
   * PySpark's order, transformWith(func, other) (since 2026-12-07): `func(a, b)`, or, as
   * PySpark reads a function of three parameters, `func(time, a, b)`, the batch time first.
   */
  transformWith<U, R>(f: (a: RDD<T>, b: RDD<U>) => RDD<R>, other: DStream<U>): DStream<R>;
  transformWith<U, R>(f: (time: number, a: RDD<T>, b: RDD<U>) => RDD<R>, other: DStream<U>): DStream<R>;
  transformWith<U, R>(first: DStream<U> | Function, second: DStream<U> | Function): DStream<R> {
    if (typeof first === 'function' && typeof second !== 'function') {
      const func = first;
      const withTime = func.length >= 3;
      return this.deriveWith('transformWith', {}, second, (a, b, time) => (withTime ? func(time, a, b) : func(a, b)) as RDD<R>, 'user');
    }
    return this.deriveWith('transformWith', {}, first as DStream<U>, second as (a: RDD<T>, b: RDD<U>, time: number) => RDD<R>, 'user');
  }

  /**
   * A TransformedDStream named `op` (with `params`) for the graph fingerprint. `kind`
   * 'element' (map, filter, reduceByKey, ...): a batch for which this stream has no RDD
   * has none in the result either (Spark's MappedDStream, ShuffledDStream, ...); 'user':
   * such a batch is an error, and so is a function that returns no RDD.
   */
  private derive<U>(op: string, params: Record<string, unknown>, f: (rdd: RDD<T>, time: number) => RDD<U>, kind: TransformKind = 'element'): DStream<U> {
    return new TransformedDStream<U>(this.ssc, [this as DStream<unknown>], (rdds, time) => f(rdds[0] as RDD<T>, time), op, params, kind);
  }

  private deriveWith<U, R>(op: string, params: Record<string, unknown>, other: DStream<U>, f: (a: RDD<T>, b: RDD<U>, time: number) => RDD<R>, kind: TransformKind = 'user'): DStream<R> {
    return new TransformedDStream<R>(this.ssc, [this as DStream<unknown>, other as DStream<unknown>], (rdds, time) => f(rdds[0] as RDD<T>, rdds[1] as RDD<U>, time), op, params, kind);
  }

  /**
   * Check, where the user calls `operator`, that the functions it ships can travel (see
   * SluiceContext.checkShippable): a mistake fails at that line, not at the first batch.
   */
  private shippable(operator: string, ...fns: readonly Function[]): void {
    for (const f of fns) this.ssc.sc.checkShippable(f, `dstream.${operator}`);
  }

  /** The same for functions an operator may go without (an inverse or a filter function). */
  private shippableIfGiven(operator: string, ...fns: readonly (Function | undefined)[]): void {
    for (const f of fns) if (f !== undefined) this.ssc.sc.checkShippable(f, `dstream.${operator}`);
  }

  /** Each element through `f`; a pair written inline is a pair, as `RDD.map`'s: `words.map((w) => [w, 1])` is a `DStream<[string, number]>`. */
  map<K, V>(f: (t: T) => readonly [K, V], preservesPartitioning?: boolean): DStream<[K, V]>;
  map<U>(f: (t: T) => U, preservesPartitioning?: boolean): DStream<U>;
  map<U>(f: (t: T) => U, preservesPartitioning = false): DStream<U> {
    this.shippable('map', f);
    checkPreservesArg(preservesPartitioning, 'dstream.map');
    return this.derive('map', preservesPartitioning ? { preservesPartitioning } : {}, (rdd) => rdd.map(f, preservesPartitioning));
  }

  /** `preservesPartitioning`: PySpark's DStream.map and flatMap flag, as RDD.map's (since 2026-12-07). */
  flatMap<U>(f: (t: T) => Iterable<U>, preservesPartitioning = false): DStream<U> {
    this.shippable('flatMap', f);
    checkPreservesArg(preservesPartitioning, 'dstream.flatMap');
    return this.derive('flatMap', preservesPartitioning ? { preservesPartitioning } : {}, (rdd) => rdd.flatMap(f, preservesPartitioning));
  }

  /** A type guard narrows the stream's type, as `Array.prototype.filter`'s: `filter((e): e is Event => e !== null)` is a `DStream<Event>`. */
  filter<S extends T>(f: (t: T) => t is S): DStream<S>;
  filter(f: (t: T) => boolean): DStream<T>;
  filter(f: (t: T) => boolean): DStream<T> {
    this.shippable('filter', f);
    return this.derive('filter', {}, (rdd) => rdd.filter(f));
  }

  /** `preservePartitioning`: the result keeps the parent RDD's partitioner (f leaves keys where they are), as Spark's. */
  mapPartitions<U>(f: (it: IterableIterator<T>) => Iterable<U>, preservePartitioning = false): DStream<U> {
    this.shippable('mapPartitions', f);
    return this.derive('mapPartitions', preservePartitioning ? { preservePartitioning } : {}, (rdd) => rdd.mapPartitions(f, preservePartitioning));
  }

  /**
   * PySpark's DStream.mapPartitionsWithIndex(f, preservesPartitioning): each batch's
   * partitions through `f(partitionIndex, partition)`, as RDD.mapPartitionsWithIndex (since
   * 2026-12-07).
   */
  mapPartitionsWithIndex<U>(f: (index: number, it: IterableIterator<T>) => Iterable<U>, preservesPartitioning = false): DStream<U> {
    this.shippable('mapPartitionsWithIndex', f);
    return this.derive('mapPartitionsWithIndex', preservesPartitioning ? { preservesPartitioning } : {}, (rdd) => rdd.mapPartitionsWithIndex(f, preservesPartitioning));
  }

  glom(): DStream<T[]> {
    return this.derive('glom', {}, (rdd) => rdd.glom());
  }

  /** Each batch's RDD reshuffled into `numPartitions` (a positive integer, checked here, not at the first batch). */
  repartition(numPartitions: number): DStream<T> {
    if (!Number.isInteger(numPartitions) || numPartitions <= 0) {
      throw new SluiceError('SLUICE_BAD_ARGUMENT', `dstream.repartition: numPartitions must be a positive integer, got ${String(numPartitions)} (Spark's batches would fail with "Number of partitions (${String(numPartitions)}) must be positive.")`);
    }
    return this.derive('repartition', { numPartitions }, (rdd) => rdd.repartition(numPartitions));
  }

  union(other: DStream<T>): DStream<T> {
    checkParents('dstream.union', this.ssc, [this as DStream<unknown>, other as DStream<unknown>]);
    return this.ssc.union([this, other]);
  }

  /** One-element RDDs holding each batch's count. */
  count(): DStream<number> {
    return this.map(countOne)
      .derive('count', {}, (rdd) => rdd.union(rdd.context.parallelize([0], 1)))
      .reduce(sum);
  }

  countByValue(partitions?: PartitionArg): DStream<[T, number]> {
    return this.map(pairWithOne as (t: T) => [T, number]).reduceByKey(sum, partitions);
  }

  /** One-element RDDs holding each batch's reduction (empty for an empty batch); a stream of number literals (`map(() => 1)`) reduces to numbers, as RDD.reduce. */
  reduce<N extends number>(this: DStream<N>, f: (a: number, b: number) => number): DStream<number>;
  reduce(f: (a: T, b: T) => T): DStream<T>;
  reduce(f: ((a: T, b: T) => T) | ((a: number, b: number) => number)): DStream<T> | DStream<number> {
    this.shippable('reduce', f);
    return this.map(keyNull as (t: T) => [null, T])
      .reduceByKey(f as (a: T, b: T) => T, 1)
      .map(second as (p: [null, T]) => T);
  }

  // ---- windows ---------------------------------------------------------------------------

  window(windowDuration: Duration, slideDuration?: Duration): DStream<T> {
    checkWindowArgs(this as DStream<unknown>, 'window', windowDuration, slideDuration, 'WindowedDStream');
    return new (derived('Windowed'))(this, windowDuration, slideDuration ?? this.slideDuration);
  }

  /**
   * The number of records in each window, as Spark computes it: `map(() => 1)` reduced by
   * window with `+` and the inverse `-`, on one key. So it needs `ssc.checkpoint(dir)`; a
   * window before any record has no element, a window emptied after records counts 0.
   */
  countByWindow(windowDuration: Duration, slideDuration: Duration): DStream<number> {
    checkWindowArgs(this as DStream<unknown>, 'countByWindow', windowDuration, slideDuration, 'ReducedWindowedDStream');
    return this.map(countOne).reduceByWindow(sum, windowDuration, slideDuration, { invFunc: subtract });
  }

  /**
   * One-element RDDs holding the reduction of each window (none for a window that never
   * held a record). With `invFunc` the window is updated incrementally (Spark's
   * reduceByWindow(reduceFunc, invReduceFunc, ...)): needs `ssc.checkpoint(dir)`, and once a
   * record was seen the window keeps its value, inverse-reduced, when it empties.
   */
  reduceByWindow(f: (a: T, b: T) => T, windowDuration: Duration, slideDuration: Duration, options?: { invFunc?: BivariantReduce<T> | undefined }): DStream<T>;
  /**
   * Spark's positional form: reduceByWindow(reduceFunc, invReduceFunc, windowDuration,
   * slideDuration). PySpark's invReduceFunc None, `null` (or undefined) here: the window reduced
   * whole each slide, as without one (since 2026-12-07; before, null was read as the length).
   */
  reduceByWindow(f: (a: T, b: T) => T, invFunc: ((a: T, b: T) => T) | null | undefined, windowDuration: Duration, slideDuration: Duration): DStream<T>;
  reduceByWindow(f: (a: T, b: T) => T, ...rest: [Duration, Duration, { invFunc?(a: T, b: T): T }?] | [((a: T, b: T) => T) | null | undefined, Duration, Duration]): DStream<T> {
    const positional = typeof rest[0] === 'function' || rest[0] === null || (rest[0] === undefined && rest.length === 3);
    const [windowDuration, slideDuration, options = {}] = positional
      ? [rest[1] as Duration, rest[2] as Duration, rest[0] ? { invFunc: rest[0] as (a: T, b: T) => T } : {}]
      : (rest as [Duration, Duration, { invFunc?(a: T, b: T): T }?]);
    this.shippable('reduceByWindow', f);
    this.shippableIfGiven('reduceByWindow', options.invFunc);
    checkWindowArgs(this as DStream<unknown>, 'reduceByWindow', windowDuration, slideDuration, options.invFunc ? 'ReducedWindowedDStream' : 'WindowedDStream');
    if (!options.invFunc) return this.reduce(f).window(windowDuration, slideDuration).reduce(f);
    return this.map(keyOne as (t: T) => [number, T])
      .reduceByKeyAndWindow(f, windowDuration, slideDuration, { invFunc: options.invFunc, numPartitions: 1 })
      .map(second as (p: [number, T]) => T);
  }

  // ---- pair transformations ------------------------------------------------------------

  /**
   * @internal The partitioner of a keyed operator (Spark's PairDStreamFunctions): from
   * `partitions` (a count, a Partitioner, { numPartitions } or { partitioner }), else a
   * HashPartitioner over the context's default parallelism. Made once, so every batch's
   * RDD is placed alike.
   */
  private partitionerFor(partitions: PartitionArg | undefined, operator: string): Partitioner {
    return resolvePartitioner(partitions, () => HashPartitioner.of(this.ssc.sc.defaultParallelism), `dstream.${operator}`);
  }

  /**
   * Reduce each batch's values by key. `partitions`: a partition count, a Partitioner
   * (HashPartitioner.of(n), CustomPartitioner.of(n, getPartition)), or { numPartitions } /
   * { partitioner }, as Spark's overloads; default a HashPartitioner of the default parallelism.
   */
  reduceByKey<K, V>(this: DStream<[K, V]>, f: (a: V, b: V) => Returned<V>, partitions?: PartitionArg): DStream<[K, V]> {
    this.shippable('reduceByKey', f);
    const p = this.partitionerFor(partitions, 'reduceByKey');
    return this.derive('reduceByKey', partitionParams(partitions), (rdd) => rdd.reduceByKey(f, p));
  }

  groupByKey<K, V>(this: DStream<[K, V]>, partitions?: PartitionArg): DStream<[K, V[]]> {
    const p = this.partitionerFor(partitions, 'groupByKey');
    return this.derive('groupByKey', partitionParams(partitions), (rdd) => rdd.groupByKey(p));
  }

  /**
   * PySpark's DStream.partitionBy(numPartitions, partitionFunc = portable_hash): each batch's
   * pairs placed by a hash partitioner of the count, or, with `partitionFunc`, in partition
   * `partitionFunc(key)` modulo the count (never negative, Python's `%`), as RDD.partitionBy;
   * a Partitioner too, as Scala's RDD.partitionBy (since 2026-12-07).
   */
  partitionBy<K, V>(this: DStream<[K, V]>, partitioner: Partitioner): DStream<[K, V]>;
  partitionBy<K, V>(this: DStream<[K, V]>, numPartitions: number, partitionFunc?: (key: K) => number): DStream<[K, V]>;
  partitionBy<K, V>(this: DStream<[K, V]>, partitions: number | Partitioner, partitionFunc?: (key: K) => number): DStream<[K, V]> {
    if (partitionFunc !== undefined) this.shippable('partitionBy', partitionFunc);
    // Made once, so every batch's RDD is placed alike (and the same custom function shipped).
    const p = partitionFunc !== undefined ? partitionFuncPartitioner(partitions, partitionFunc, () => this.ssc.sc.defaultParallelism, 'dstream.partitionBy') : this.partitionerFor(partitions, 'partitionBy');
    return this.derive('partitionBy', partitionParams(partitions), (rdd) => rdd.partitionBy(p));
  }

  /**
   * Spark's combineByKey: `options` is a partition count or Partitioner, or
   * `{ numPartitions, partitioner, mapSideCombine }`; `mapSideCombine: false` shuffles the
   * records as they are and combines them on the reduce side only (mergeCombiners is then
   * never called). Scala's positional form, `combineByKey(createCombiner, mergeValue,
   * mergeCombiners, partitioner, mapSideCombine)`, as RDD.combineByKey's (since 2026-12-07;
   * before, the fifth argument was ignored): a fifth argument that is no boolean, or one beside
   * an options object, is SLUICE_BAD_ARGUMENT.
   */
  combineByKey<K, V, C>(
    this: DStream<[K, V]>,
    createCombiner: (v: V) => C,
    mergeValue: (c: C, v: V) => Returned<C>,
    mergeCombiners: (a: C, b: C) => Returned<C>,
    options?: CombineByKeyOptions,
    mapSideCombineArg?: boolean,
  ): DStream<[K, C]> {
    this.shippable('combineByKey', createCombiner, mergeValue, mergeCombiners);
    const p = this.partitionerFor(options, 'combineByKey');
    const isOptionsObject = typeof options === 'object' && options !== null && !('kind' in options);
    if (mapSideCombineArg !== undefined && (typeof mapSideCombineArg !== 'boolean' || isOptionsObject)) {
      throw new SluiceError(
        'SLUICE_BAD_ARGUMENT',
        `dstream.combineByKey: the fifth argument is Spark's mapSideCombine, a boolean after a partitioner or partition count (combineByKey(c, m, mc, partitioner, false)), got ${isOptionsObject ? 'one beside an options object: give { mapSideCombine } in the options only' : typeof mapSideCombineArg}`,
      );
    }
    const mapSideCombine = isOptionsObject ? options.mapSideCombine !== false : mapSideCombineArg !== false;
    return this.derive('combineByKey', { ...partitionParams(options), ...(mapSideCombine ? {} : { mapSideCombine }) }, (rdd) =>
      rdd.combineByKey(createCombiner, mergeValue, mergeCombiners, { partitioner: p, mapSideCombine }),
    );
  }

  mapValues<K, V, U>(this: DStream<[K, V]>, f: (v: V) => U): DStream<[K, U]> {
    this.shippable('mapValues', f);
    return this.derive('mapValues', {}, (rdd) => rdd.mapValues(f));
  }

  flatMapValues<K, V, U>(this: DStream<[K, V]>, f: (v: V) => Iterable<U>): DStream<[K, U]> {
    this.shippable('flatMapValues', f);
    return this.derive('flatMapValues', {}, (rdd) => rdd.flatMapValues(f));
  }

  join<K, V, W>(this: DStream<[K, V]>, other: DStream<[K, W]>, partitions?: PartitionArg): DStream<[K, [V, W]]> {
    const p = this.partitionerFor(partitions, 'join');
    return this.deriveWith('join', partitionParams(partitions), other, (a, b) => a.join(b, p));
  }

  leftOuterJoin<K, V, W>(this: DStream<[K, V]>, other: DStream<[K, W]>, partitions?: PartitionArg): DStream<[K, [V, W | undefined]]> {
    const p = this.partitionerFor(partitions, 'leftOuterJoin');
    return this.deriveWith('leftOuterJoin', partitionParams(partitions), other, (a, b) => a.leftOuterJoin(b, p));
  }

  rightOuterJoin<K, V, W>(this: DStream<[K, V]>, other: DStream<[K, W]>, partitions?: PartitionArg): DStream<[K, [V | undefined, W]]> {
    const p = this.partitionerFor(partitions, 'rightOuterJoin');
    return this.deriveWith('rightOuterJoin', partitionParams(partitions), other, (a, b) => a.rightOuterJoin(b, p));
  }

  fullOuterJoin<K, V, W>(this: DStream<[K, V]>, other: DStream<[K, W]>, partitions?: PartitionArg): DStream<[K, [V | undefined, W | undefined]]> {
    const p = this.partitionerFor(partitions, 'fullOuterJoin');
    return this.deriveWith('fullOuterJoin', partitionParams(partitions), other, (a, b) => a.fullOuterJoin(b, p));
  }

  cogroup<K, V, W>(this: DStream<[K, V]>, other: DStream<[K, W]>, partitions?: PartitionArg): DStream<[K, [V[], W[]]]> {
    const p = this.partitionerFor(partitions, 'cogroup');
    return this.deriveWith('cogroup', partitionParams(partitions), other, (a, b) => a.cogroup(b, p));
  }

  groupByKeyAndWindow<K, V>(this: DStream<[K, V]>, windowDuration: Duration, slideDuration?: Duration, partitions?: PartitionArg): DStream<[K, V[]]> {
    checkWindowArgs(this as DStream<unknown>, 'groupByKeyAndWindow', windowDuration, slideDuration, 'WindowedDStream');
    if (partitions !== undefined) this.partitionerFor(partitions, 'groupByKeyAndWindow');
    return this.window(windowDuration, slideDuration).groupByKey(partitions);
  }

  /**
   * Reduce values by key over a sliding window. With `invFunc` the window is updated
   * incrementally (values entering are reduced in, values leaving are "inverse reduced"
   * out), which needs `ssc.checkpoint(dir)`; `filterFunc` keeps only the [key, value] pairs
   * it accepts (e.g. drops zero counts), with or without `invFunc`.
   */
  reduceByKeyAndWindow<K, V>(
    this: DStream<[K, V]>,
    reduceFunc: (a: V, b: V) => Returned<V>,
    windowDuration: Duration,
    slideDuration?: Duration,
    options?: { invFunc?: ((a: V, b: V) => Returned<V>) | undefined; filterFunc?: ((kv: [K, V]) => boolean) | undefined; numPartitions?: number | undefined; partitioner?: Partitioner | undefined } | number | Partitioner,
  ): DStream<[K, V]>;
  /**
   * Spark's positional form: (reduceFunc, invReduceFunc, windowDuration, slideDuration?,
   * numPartitions or partitioner?, filterFunc?). invReduceFunc null (PySpark's None) or
   * undefined: the window reduced whole each slide, as without one (since 2026-12-07;
   * before, null was read as the window length and refused).
   */
  reduceByKeyAndWindow<K, V>(
    this: DStream<[K, V]>,
    reduceFunc: (a: V, b: V) => Returned<V>,
    invFunc: ((a: V, b: V) => Returned<V>) | null | undefined,
    windowDuration: Duration,
    slideDuration?: Duration,
    partitions?: number | Partitioner,
    filterFunc?: (kv: [K, V]) => boolean,
  ): DStream<[K, V]>;
  reduceByKeyAndWindow<K, V>(this: DStream<[K, V]>, reduceFunc: (a: V, b: V) => V, ...rest: unknown[]): DStream<[K, V]> {
    type Options = { invFunc?: (a: V, b: V) => V; filterFunc?: (kv: [K, V]) => boolean; numPartitions?: number; partitioner?: Partitioner };
    const where = (p: unknown): Options => (typeof p === 'number' ? { numPartitions: p } : p !== null && typeof p === 'object' && 'kind' in p ? { partitioner: p as Partitioner } : ((p ?? {}) as Options));
    // Positional when an inverse function, or none (null, undefined: PySpark's None), comes before the window.
    const positional = typeof rest[0] === 'function' || ((rest[0] === null || rest[0] === undefined) && rest.length >= 2);
    const [windowDuration, slideDuration] = (positional ? rest.slice(1, 3) : rest.slice(0, 2)) as [Duration, Duration | undefined];
    const options: Options = positional
      ? // A fifth argument of options (plain JavaScript; TypeScript refuses it) keeps its filterFunc unless a sixth is given.
        { ...where(rest[3]), invFunc: (rest[0] ?? undefined) as ((a: V, b: V) => V) | undefined, ...(rest[4] !== undefined && { filterFunc: rest[4] as (kv: [K, V]) => boolean }) }
      : where(rest[2]);
    this.shippable('reduceByKeyAndWindow', reduceFunc);
    this.shippableIfGiven('reduceByKeyAndWindow', options.invFunc, options.filterFunc);
    checkWindowArgs(this as DStream<unknown>, 'reduceByKeyAndWindow', windowDuration, slideDuration, options.invFunc ? 'ReducedWindowedDStream' : 'WindowedDStream');
    const slide = slideDuration ?? this.slideDuration;
    const partitions: PartitionArg | undefined = options.numPartitions === undefined && options.partitioner === undefined ? undefined : { numPartitions: options.numPartitions, partitioner: options.partitioner };
    const p = this.partitionerFor(partitions, 'reduceByKeyAndWindow');
    if (!options.invFunc) {
      const windowed = this.reduceByKey(reduceFunc, partitions).window(windowDuration, slide).reduceByKey(reduceFunc, partitions);
      // Spark has filterFunc only beside an invFunc; given alone it still keeps only the pairs it accepts.
      const keep = options.filterFunc;
      return keep ? windowed.filter(keep) : windowed;
    }
    return new (derived('ReducedWindowed'))<K, V>(
      this.reduceByKey(reduceFunc, partitions),
      reduceFunc,
      options.invFunc,
      options.filterFunc,
      windowDuration,
      slide,
      p,
      partitionParams(partitions),
    );
  }

  countByValueAndWindow(windowDuration: Duration, slideDuration?: Duration, partitions?: PartitionArg): DStream<[T, number]> {
    checkWindowArgs(this as DStream<unknown>, 'countByValueAndWindow', windowDuration, slideDuration, 'ReducedWindowedDStream');
    if (partitions !== undefined) this.partitionerFor(partitions, 'countByValueAndWindow');
    const given = partitions === undefined ? {} : typeof partitions === 'number' ? { numPartitions: partitions } : 'kind' in partitions ? { partitioner: partitions } : partitions;
    return this.map(pairWithOne as (t: T) => [T, number]).reduceByKeyAndWindow(sum, windowDuration, slideDuration, {
      invFunc: subtract,
      filterFunc: positiveCount as (kv: [T, number]) => boolean,
      ...given,
    });
  }

  /**
   * Keep per-key state across batches: `update(newValues, state)` returns the new state,
   * or undefined to drop the key. Needs `ssc.checkpoint(dir)`. The state type is inferred
   * from an annotated state parameter, from the function's result or from `initialRDD`;
   * or give it alone, as Spark's `updateStateByKey[Int]`:
   *   pairs.updateStateByKey<number>((ones, total) => (total ?? 0) + ones.length)
   */
  updateStateByKey<S>(
    this: DStream<[unknown, unknown]>,
    update: (values: PairValue<T>[], state: S | undefined) => S | undefined,
    options?: { numPartitions?: number | undefined; partitioner?: Partitioner | undefined; initialRDD?: RDD<[PairKey<T>, S]> | undefined },
  ): DStream<[PairKey<T>, S]>;
  /** The same with key, value and state types all given: `updateStateByKey<string, number, number>(...)`. */
  updateStateByKey<K, V, S>(
    this: DStream<[K, V]>,
    update: (values: V[], state: S | undefined) => S | undefined,
    options?: { numPartitions?: number | undefined; partitioner?: Partitioner | undefined; initialRDD?: RDD<[K, S]> | undefined },
  ): DStream<[K, S]>;
  /**
   * Spark's positional forms, as a port writes them: `updateStateByKey(updateFunc, numPartitions)`,
   * `(updateFunc, partitioner)` and `(updateFunc, partitioner, initialRDD)` (PySpark's
   * `(updateFunc, numPartitions, initialRDD)` too). Since 2026-12-07; before, a type error, and
   * from JavaScript the count was ignored (a Partitioner read as `{ numPartitions }`).
   */
  updateStateByKey<S>(
    this: DStream<[unknown, unknown]>,
    update: (values: PairValue<T>[], state: S | undefined) => S | undefined,
    partitions: number | Partitioner,
    initialRDD?: RDD<[PairKey<T>, S]>,
  ): DStream<[PairKey<T>, S]>;
  /**
   * Spark's form with the batch time and the key: `update(time, key, values, state)`, with
   * `{ withTimeAndKey: true }`; `rememberPartitioner: false` as Spark's overload takes it
   * (the state is then shuffled by key again each batch; the results are the same).
   */
  updateStateByKey<K, V, S>(
    this: DStream<[K, V]>,
    update: (time: number, key: K, values: V[], state: S | undefined) => S | undefined,
    options: { withTimeAndKey: true; numPartitions?: number | undefined; partitioner?: Partitioner | undefined; initialRDD?: RDD<[K, S]> | undefined; rememberPartitioner?: boolean | undefined },
  ): DStream<[K, S]>;
  /**
   * Spark's iterator form, with `{ iterator: true }`: `update` gets each partition's keys as
   * [key, newValues, state] (state undefined for a new key) and returns the [key, state]
   * pairs to keep; keys it leaves out are dropped.
   */
  updateStateByKey<K, V, S>(
    this: DStream<[K, V]>,
    update: (records: IterableIterator<[K, V[], S | undefined]>) => Iterable<[K, S]>,
    options: { iterator: true; numPartitions?: number | undefined; partitioner?: Partitioner | undefined; initialRDD?: RDD<[K, S]> | undefined; rememberPartitioner?: boolean | undefined },
  ): DStream<[K, S]>;
  updateStateByKey<K, V, S>(
    this: DStream<[K, V]>,
    update: UpdateStateFunction<K, V, S>,
    optionsOrPartitions:
      | { numPartitions?: number | undefined; partitioner?: Partitioner | undefined; initialRDD?: RDD<[K, S]> | undefined; withTimeAndKey?: boolean | undefined; iterator?: boolean | undefined; rememberPartitioner?: boolean | undefined }
      | number
      | Partitioner = {},
    initialRDD?: RDD<[K, S]>,
  ): DStream<[K, S]> {
    this.shippable('updateStateByKey', update);
    // Spark's positional (updateFunc, numPartitions | partitioner[, initialRDD]): a Partitioner has a kind.
    const positional = typeof optionsOrPartitions === 'number' || (typeof optionsOrPartitions === 'object' && optionsOrPartitions !== null && 'kind' in optionsOrPartitions);
    if (!positional && initialRDD !== undefined) {
      throw new SluiceError('SLUICE_BAD_ARGUMENT', 'dstream.updateStateByKey: an initialRDD as the third argument follows a partition count or a Partitioner, as Spark\'s (updateFunc, partitioner, initialRDD); with an options object, give it there: { initialRDD }');
    }
    const options = positional ? { initialRDD } : (optionsOrPartitions as Exclude<typeof optionsOrPartitions, number | Partitioner>);
    if (options.withTimeAndKey && options.iterator) {
      throw new SluiceError('SLUICE_BAD_ARGUMENT', 'dstream.updateStateByKey: give { withTimeAndKey: true } or { iterator: true }, not both');
    }
    const partitioner = this.partitionerFor(
      positional
        ? (optionsOrPartitions as number | Partitioner)
        : options.numPartitions === undefined && options.partitioner === undefined
          ? undefined
          : { numPartitions: options.numPartitions, partitioner: options.partitioner },
      'updateStateByKey',
    );
    const form: UpdateStateForm = options.iterator ? 'iterator' : options.withTimeAndKey ? 'timeKey' : 'values';
    // Spark's (values, state) forms take no rememberPartitioner; its iterator and (time, key, values, state) forms do.
    if (options.rememberPartitioner === false && form === 'values') {
      throw new SluiceError(
        'SLUICE_BAD_ARGUMENT',
        'dstream.updateStateByKey: rememberPartitioner applies to the iterator form ({ iterator: true }), whose function may change keys, and to the form with the batch time and key ({ withTimeAndKey: true }), as Spark\'s overloads take it',
      );
    }
    return new (derived('State'))<K, V, S>(this, update, partitioner, options.initialRDD, form, options.rememberPartitioner !== false);
  }

  /** Per-key state with a mapping function and optional timeout (Spark's mapWithState). */
  mapWithState<K, V, S, M>(this: DStream<[K, V]>, spec: StateSpec<K, V, S, M>): MapWithStateDStream<K, V, S, M> {
    this.shippable('mapWithState', spec.fn);
    return new (derived('MapWithState'))<K, V, S, M>(this, spec);
  }

  // ---- output operations ---------------------------------------------------------------

  /**
   * Run `f` on every batch's RDD, in batch order; `f` may be async. `checkpointState`: what
   * the output keeps in the metadata checkpoints, handed back when the job recovers (an
   * output helper's knowledge of its sink; see OutputCheckpointState).
   */
  foreachRDD(f: (rdd: RDD<T>, time: number) => void | Promise<void>, options: ForeachRDDOptions = {}): void {
    if (typeof options === 'object' && options !== null) checkForeachRDDOptions(options);
    this.ssc.registerOutput(this as DStream<unknown>, f as (rdd: RDD<unknown>, time: number) => void | Promise<void>, { op: 'foreachRDD' }, options.checkpointState);
  }

  /**
   * Print the first `num` elements of every batch, in Spark's format. `num` is a whole number
   * (Spark's Int), checked here: 2.5, NaN or '3' would fail every batch. 0 or less prints the
   * header and '...' (as Spark's: take(num + 1) gives nothing, and 0 > num).
   */
  print(num = 10): void {
    if (typeof num !== 'number' || !Number.isSafeInteger(num)) {
      throw new SluiceError('SLUICE_BAD_ARGUMENT', `dstream.print: num, the number of elements to print, must be a whole number, got ${typeof num === 'number' ? String(num) : `${typeof num} ${JSON.stringify(num)}`}`);
    }
    this.ssc.registerOutput(this as DStream<unknown>, async (rdd, time) => {
      const first = await rdd.take(num + 1);
      const lines = ['-------------------------------------------', `Time: ${time} ms`, '-------------------------------------------'];
      for (const x of first.slice(0, num)) lines.push(formatRecord(x));
      if (first.length > num) lines.push('...');
      lines.push('');
      process.stdout.write(lines.join('\n') + '\n');
    }, { op: 'print', num });
  }

  /**
   * PySpark's name for print(num): the same output, in Scala's format (`Time: <ms> ms`, pairs as
   * `(a,1)`), where PySpark prints a datetime and Python's reprs (since 2026-12-07).
   */
  pprint(num = 10): void {
    this.print(num);
  }

  /**
   * Show every batch's result live on the driver's web UI (the job's Dashboard page,
   * `/jobs/{id}/dashboard/`, and `/api/v1/applications/{id}/streaming/dashboards/{name}`).
   * An output operation: it runs for each batch after the ones registered before it, and
   * sends the driver a bounded summary, never the whole RDD:
   * - `bar`: [key, number] pairs (such as reduceByKey's word counts); the latest batch's
   *   `maxItems` (default 100) largest values are shown, the page says how many keys it left out;
   * - `line`: a number per batch (such as `count()`'s), or [series, number] pairs (summed by
   *   series), plotted against batch time; the last `keepBatches` (default 120) are kept;
   * - `table`: any records; the latest batch's first `maxItems` (default 100) rows.
   * Records of the wrong shape are left out with a warning on the page, not a failed batch.
   *   counts.toDashboard('words', { kind: 'bar' });
   */
  toDashboard(this: DStream<readonly [unknown, number]>, name: string, options: DashboardOptions & { readonly kind: 'bar' }): void;
  toDashboard(this: DStream<number | readonly [unknown, number]>, name: string, options: DashboardOptions & { readonly kind: 'line' }): void;
  toDashboard(name: string, options: DashboardOptions & { readonly kind: 'table' }): void;
  toDashboard(name: string, options: DashboardOptions): void {
    registerDashboard(this as DStream<unknown>, name, options);
  }

  /**
   * Save each batch as a text directory `prefix-<timeMs>[.suffix]`, atomically: the
   * directory is written under a hidden temporary name and renamed into place once whole,
   * so a batch re-run after a failure replaces its directory and never duplicates it, and
   * a reader never sees half of one. A `scheme://` prefix goes to the file system its
   * package registered (`s3://bucket/prefix` with `import '@sluice/s3'`), which commits
   * each batch its own way (see that package).
   */
  /** @deprecated Not provided (Hadoop OutputFormats): use saveAsTextFiles, saveAsObjectFiles or foreachRDD. */
  saveAsHadoopFiles(...args: never[]): never {
    void args;
    return notProvided('dstream.saveAsHadoopFiles', HADOOP_OUTPUT, SAVE_FILES_INSTEAD);
  }

  /** @deprecated Not provided (Hadoop OutputFormats): use saveAsTextFiles, saveAsObjectFiles or foreachRDD. */
  saveAsNewAPIHadoopFiles(...args: never[]): never {
    void args;
    return notProvided('dstream.saveAsNewAPIHadoopFiles', HADOOP_OUTPUT, SAVE_FILES_INSTEAD);
  }

  saveAsTextFiles(prefix: string, suffix?: string): void {
    // A location of a registered file system (`s3://...`) is checked here, at the call.
    fileSystemFor(prefix, 'saveAsTextFiles');
    this.ssc.registerOutput(
      this as DStream<unknown>,
      async (rdd, time) => {
        await rdd.context.saveAsTextFile(rdd, batchOutputName(prefix, suffix, time), { replace: true });
      },
      { op: 'saveAsTextFiles', prefix, suffix },
    );
  }

  /**
   * Save each batch as a directory of object files `prefix-<timeMs>[.suffix]` (Spark's
   * saveAsObjectFiles), atomically as saveAsTextFiles: records keep their types through
   * the record codec (Spark uses Java serialization); read one back with
   * `sc.objectFile(dir)`.
   */
  saveAsObjectFiles(prefix: string, suffix?: string): void {
    this.ssc.registerOutput(
      this as DStream<unknown>,
      async (rdd, time) => {
        await rdd.context.saveAsObjectFile(rdd, batchOutputName(prefix, suffix, time), { replace: true });
      },
      { op: 'saveAsObjectFiles', prefix, suffix },
    );
  }
}

// Every operation on a stream runs in a scope of its own name, as Spark's DStream methods
// (ssc.withScope): the streams it makes, inside it too, get it as their base scope. Not these:
// Sluice's internals, and what makes no stream (persist, checkpoint).
const UNSCOPED = new Set(['constructor', 'initialBaseScope', 'fingerprint', 'defaultCheckpointInterval', 'validate', 'rememberAtLeast', 'parentRememberMs', 'isTimeValid', 'getOrCompute', 'seedCheckpoint', 'seedDamagedCheckpoint', 'rddsIn', 'inputLostIn', 'clearOldRDDs', 'persist', 'cache', 'checkpoint', 'derive', 'deriveWith', 'shippable', 'shippableIfGiven', 'compute']);
scopeMethods(DStream.prototype, ownMethodsBut(DStream.prototype, UNSCOPED));

/**
 * What the graph fingerprint records of a keyed operator's partitioning: the count given
 * (as before partitioners could be given, so older checkpoints still match), and the
 * partitioner's kind when one was given.
 */
function partitionParams(partitions: PartitionArg | CombineByKeyOptions | undefined): Record<string, unknown> {
  if (partitions === undefined) return { numPartitions: undefined };
  if (typeof partitions === 'number') return { numPartitions: partitions };
  if ('kind' in partitions) return { numPartitions: partitions.numPartitions, partitioner: partitions.kind };
  if (partitions.partitioner) return { numPartitions: partitions.partitioner.numPartitions, partitioner: partitions.partitioner.kind };
  return { numPartitions: partitions.numPartitions };
}

/** @internal Where a stream's RDD at `time` is checkpointed, under the checkpoint directory. */
export function stateCheckpointName(streamId: number, time: number): string {
  return `state/stream-${streamId}-${time}`;
}

/** Spark's name for a batch's output (StreamingContext.rddToFileName): `prefix-TIME_IN_MS[.suffix]`. */
function batchOutputName(prefix: string, suffix: string | undefined, time: number): string {
  return `${prefix}-${time}${suffix ? `.${suffix}` : ''}`;
}

// Self-contained helpers shipped to workers (they capture nothing and name nothing else).
function countOne(): number {
  return 1;
}
function sum(a: number, b: number): number {
  return a + b;
}
function subtract(a: number, b: number): number {
  return a - b;
}
function positiveCount(kv: [unknown, number]): boolean {
  return kv[1] > 0;
}
function pairWithOne(t: unknown): [unknown, number] {
  return [t, 1];
}
function keyOne(t: unknown): [number, unknown] {
  return [1, t];
}
function keyNull(t: unknown): [null, unknown] {
  return [null, t];
}
function second(p: [unknown, unknown]): unknown {
  return p[1];
}

/**
 * How a TransformedDStream treats a batch for which a parent has no RDD: 'element' passes
 * "no RDD" on (map, filter, reduceByKey, ...); 'user' (transform, transformWith, union,
 * the joins) fails the batch naming the operator, as Spark's TransformedDStream and
 * UnionDStream do.
 */
export type TransformKind = 'element' | 'user';

/**
 * Spark's UnionDStream / TransformedDStream requires, for the call `call` (named in the error):
 * every parent of `ssc` (require(parents.map(_.ssc).distinct.size == 1, ...)), all sliding alike.
 */
export function checkParents(call: string, ssc: StreamingContext, parents: readonly DStream<unknown>[]): void {
  const contexts = new Set(parents.map((p) => p.ssc));
  if (contexts.size > 1 || !contexts.has(ssc)) {
    throw new SluiceError(
      'SLUICE_BAD_ARGUMENT',
      `${call}: the streams belong to different StreamingContexts (as Spark refuses); make every stream of the graph from one context${sparkWords(true, 'Some of the DStreams have different contexts')}`,
    );
  }
  const slides = new Set(parents.map((p) => p.slideDuration));
  if (slides.size > 1) {
    const each = parents.map((p) => `stream ${p.id} (${p.constructor.name}) every ${p.slideDuration} ms`).join(', ');
    throw new SluiceError(
      'SLUICE_BAD_ARGUMENT',
      `${call}: some of the streams have different slide durations (${each}), as Spark refuses; window them to one slide first (stream.window(w, slide))${sparkWords(true, 'Some of the DStreams have different slide durations')}`,
    );
  }
}

/** A stream computed from its parents' RDDs at the same time by a function of them. */
export class TransformedDStream<U> extends DStream<U> {
  constructor(
    ssc: StreamingContext,
    private readonly parents: DStream<unknown>[],
    private readonly f: (rdds: RDD<unknown>[], time: number) => RDD<U>,
    private readonly op = 'transform',
    private readonly params: Record<string, unknown> = {},
    private readonly kind: TransformKind = 'user',
  ) {
    super(ssc);
    checkParents(op.startsWith('ssc.') ? op : `dstream.${op}`, ssc, parents);
  }

  get dependencies(): readonly DStream<unknown>[] {
    return this.parents;
  }

  get slideDuration(): number {
    return this.parents[0].slideDuration;
  }

  override fingerprint(): { readonly op: string; readonly params: Record<string, unknown> } {
    return { op: this.op, params: this.params };
  }

  protected override get displayInnerRDDOps(): boolean {
    return this.kind === 'user' && this.op !== 'union';
  }

  private operatorName(): string {
    return this.op.startsWith('ssc.') ? this.op : `dstream.${this.op}`;
  }

  protected compute(time: number): RDD<U> | undefined {
    const rdds: RDD<unknown>[] = [];
    for (const p of this.parents) {
      const r = p.getOrCompute(time);
      if (!r) {
        if (this.kind === 'element') return undefined;
        // Spark's sentences: UnionDStream's and TransformedDStream's SparkExceptions.
        const spark = this.op === 'union' ? `Could not generate RDD from a parent for unifying at time ${time} ms` : `Couldn't generate RDD from parent at time ${time} ms`;
        throw new SluiceError(
          'SLUICE_BAD_ARGUMENT',
          `${this.operatorName()}: stream ${p.id} (${p.constructor.name}) has no RDD for batch time ${time}: ${spark} (as Spark says), and ${this.op} needs one from each stream it reads (as Spark's ${this.op === 'union' ? 'UnionDStream' : 'TransformedDStream'}); ` +
            `make the input give an RDD for every batch (an empty one for no records)`,
        );
      }
      rdds.push(r);
    }
    const out = this.f(rdds, time);
    if (out === null || out === undefined || typeof (out as Partial<RDD<U>>).collect !== 'function') {
      const got = out === null ? 'null' : out === undefined ? 'undefined' : typeof out;
      throw new SluiceError(
        'SLUICE_BAD_ARGUMENT',
        // Spark's TransformedDStream refuses null (Scala's types refuse the rest) with its sentence.
        `${this.operatorName()}: the function returned ${got} for batch time ${time}, not an RDD${out === null || out === undefined ? ': Transform function must not return null (as Spark says)' : ''}; return an RDD, rdd.context.emptyRDD() for a batch with no records`,
      );
    }
    return out;
  }
}

/**
 * @internal Constructors of the streams that extend DStream, registered by their own
 * modules when loaded (index.ts loads them): DStream's methods make them without a
 * static import, which would be a cycle evaluated before DStream exists.
 */
export const derivedStreams: {
  Windowed?: typeof WindowedDStream;
  ReducedWindowed?: typeof ReducedWindowedDStream;
  State?: typeof StateDStream;
  MapWithState?: typeof MapWithStateDStream;
} = {};

function derived<K extends keyof typeof derivedStreams>(name: K): NonNullable<(typeof derivedStreams)[K]> {
  const c = derivedStreams[name];
  if (!c) throw new SluiceError('SLUICE_INTERNAL', `${name}DStream is not loaded: import DStreams from '@sluice/core'`);
  return c as NonNullable<(typeof derivedStreams)[K]>;
}

/** PySpark's preservesPartitioning flag, checked where the program gives it (a batch would fail later). */
function checkPreservesArg(preservesPartitioning: unknown, operator: string): void {
  if (typeof preservesPartitioning !== 'boolean') {
    throw new SluiceError('SLUICE_BAD_ARGUMENT', `${operator}: the second argument is PySpark's preservesPartitioning, true or false, got ${typeof preservesPartitioning}`);
  }
}
