import type { Curried } from './curried.js';
import { SluiceError } from '../errors.js';
import { sparkWords } from '../util/spark-words.js';
import type { ShippedFunction } from '../closure/shipped-function.js';
import { DRIVER_ONLY, type DriverOnlyInfo } from '../closure/driver-only.js';
import { mulberry32, sampleSeed } from '../util/random.js';
import { resolveJobPath } from '../job-working-directory.js';
import type { SluiceContext } from '../context.js';
import { HashPartitioner, NO_PARTITIONS, checkPartitions, partitionerEquals, resolvePartitioner, type PartitionArg, type Partitioner } from './partitioner.js';
import type { AggregatorSpec, LineageGraph, LineageRddInfo, NodeOp, PlanNode, ShuffleSpec, StorageLevel } from './plan.js';
import { StorageLevel as Level, storageLevelName, storedLevel, toStorageLevel, type SparkStorageLevel } from './storage-level.js';
import { debugString, describe, rddClassName } from './debug-string.js';
import { rddDependencies, type Dependency } from './dependency.js';
import { AsyncRDDActions } from './async-rdd-actions.js';
import { DoubleRDDFunctions } from './double-rdd-functions.js';
import { OrderedRDDFunctions } from './ordered-rdd-functions.js';
import { PairRDDFunctions, cogroupAs, subtractPlacedByKey } from './pair-rdd-functions.js';
import { RDDActions } from './rdd-actions.js';
import { NotProvidedRDDFunctions } from './not-provided-rdd-functions.js';
import { scalaDouble } from '../util/scala-double.js';
import { creationSiteText, currentCreationSite, currentScope, ownMethodsBut, scopeMethods, type CreationSite, type RDDOperationScope } from './rdd-operation-scope.js';

export type Pair<K, V> = [K, V];

/** rdd.pipe's options. */
export interface PipeOptions<T = unknown> {
  /** Environment variables added to the worker's for the command. */
  readonly env?: Readonly<Record<string, string>> | undefined;
  /** The command's working directory; relative to the job's working directory. */
  readonly cwd?: string | undefined;
  /**
   * Spark's separateWorkingDir: each partition's command runs in a directory of its own,
   * `tasks/<uuid>` under the working directory, holding a symbolic link to each of its entries
   * (but `tasks`); the directory is deleted when the command has ended. Default false.
   */
  readonly separateWorkingDir?: boolean | undefined;
  /** Spark's printPipeContext: called once per partition before its elements, with a function that writes a line to the command's stdin. */
  readonly printPipeContext?: ((print: (line: string) => void) => void) | undefined;
  /** Spark's printRDDElement: writes an element to the command's stdin as it chooses (any number of lines), in place of `String(element)`. */
  readonly printRDDElement?: ((element: T, print: (line: string) => void) => void) | undefined;
}

/** How an RDD depends on its parents: narrow (partition to partitions), or through a shuffle. */
export type ParentLink =
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
 *
 * The class holds the narrow transformations, persistence and what the scheduler reads;
 * actions (rdd-actions.ts), pair operators (pair-rdd-functions.ts), ordered-key ones
 * (ordered-rdd-functions.ts) and numeric ones (double-rdd-functions.ts) live in their own
 * files, as Spark's, and are mixed in below.
 */
export class RDD<T> {
  readonly id: number;
  readonly context: SluiceContext;
  readonly numPartitions: number;
  /** Set when the RDD's pairs are known to be placed by key with this partitioner. */
  readonly partitioner: Partitioner | undefined;
  /** @internal */ op: NodeOp;
  /** @internal */ deps: ParentLink[];
  /** @internal */ storage: StorageLevel = 'NONE';
  /** @internal The Spark level persist() was given, which `storage` stores (MEMORY_ONLY_SER as MEMORY_ONLY); undefined after a local checkpoint (`storage`'s own). */
  persistLevel: Level | undefined;
  /** @internal */ checkpointRequested = false;
  /** @internal */ checkpointDir: string | undefined;
  /** @internal localCheckpoint() was called: the next action's end truncates the lineage. */
  localCheckpointRequested = false;
  /** @internal The lineage was truncated to the RDD's own cached blocks (a LocalCheckpointRDD). */
  locallyCheckpointed = false;
  /**
   * @internal Where under the checkpoint directory this RDD's checkpoint goes (a stream's
   * state: `state/stream-<streamId>-<time>`, a name that survives a resubmission);
   * default `rdds/<attempt>/rdd-<id>` (RddCheckpointCleaner).
   */
  checkpointName: string | undefined;
  /** @internal Work the driver program must do before a job over this RDD can run. */
  prepare: ((ctx: SluiceContext) => Promise<void>) | undefined;
  name: string | undefined;
  /**
   * The operation this RDD was made by (Spark's RDD.scope): `reduceByKey`, `map`, ...; in a
   * streaming batch, its stream's scope for that batch (`map @ 14:04:40`), or, for RDDs made in
   * `transform` or `foreachRDD`, the operation's scope within that one. Undefined for an RDD
   * made outside any operation.
   */
  readonly scope: RDDOperationScope | undefined = currentScope();
  /**
   * @internal Where the program made it (Spark's RDD.creationSite): the operation it called and
   * the place (a streaming batch's RDDs: their stream's). Undefined outside any operation.
   */
  readonly creationSite: CreationSite | undefined = currentCreationSite();

  /**
   * Spark's RDD.sparkContext: the context this RDD was made on, `context` under Spark's other
   * name, so the streaming guide's `WordExcludeList.getInstance(rdd.sparkContext)` in a
   * foreachRDD ports unchanged. Since 2026-12-05.
   */
  get sparkContext(): SluiceContext {
    return this.context;
  }

  /** @internal */
  constructor(context: SluiceContext, numPartitions: number, op: NodeOp, deps: ParentLink[], partitioner?: Partitioner) {
    this.context = context;
    this.id = context.newRddId();
    this.numPartitions = numPartitions;
    this.op = op;
    this.deps = deps;
    this.partitioner = partitioner;
    for (const d of deps) {
      if (d.type !== 'shuffle') continue;
      // A shuffle into no partitions (NO_PARTITIONS, an empty RDD's) has no reduce task: records
      // sent to it would never be read (Spark's task divides by zero on the first one).
      if (d.spec.partitioner.numPartitions === 0 && d.rdd.numPartitions > 0) {
        throw new SluiceError(
          'SLUICE_BAD_ARGUMENT',
          `${this.scope?.name ?? 'a shuffle'}: the partitioner given has 0 partitions (the partitioner of an RDD with none, as sc.emptyRDD().groupBy(f)'s), and RDD ${d.rdd.id} has ${d.rdd.numPartitions}, whose records it cannot place: give a partition count of 1 or more, or HashPartitioner.of(n)`,
        );
      }
      context.trackShuffle(this as RDD<unknown>, d.spec.shuffleId);
    }
  }

  getNumPartitions(): number {
    return this.numPartitions;
  }

  /**
   * Spark's `rdd.partitions`: one `{ index }` a partition, in order, so Spark's
   * `rdd.partitions.length` (Scala's `.size`) ports as written; a new array at each read.
   */
  get partitions(): readonly { readonly index: number }[] {
    return Array.from({ length: this.numPartitions }, (_, index) => ({ index }));
  }

  /**
   * Spark's RDD.preferredLocations(split): where the scheduler would rather run a task over
   * partition `split` (an index, or one of `rdd.partitions`), asked of the driver now, as
   * Sluice worker ids (what the scheduler places by and the REST API's executor ids; Spark
   * returns host names or `executor_<host>_<id>`). It is the places the scheduler would use
   * for a task over the partition now (Spark's DAGScheduler.getPreferredLocs): the workers
   * holding it cached, else its own preference (a received block's holders, a direct input's
   * worker: a Kafka partition's by its hash over the workers taking tasks now), else its narrow
   * parents' (a map of a Kafka RDD has its partition's); empty for none. Spark's RDD method
   * answers only the RDD's own (no cached copy, nothing of a map's parent). Since 2026-12-06.
   */
  preferredLocations(split: number | { readonly index: number }): string[] {
    const index = typeof split === 'number' ? split : (split as { index?: unknown } | null | undefined)?.index;
    if (typeof index !== 'number' || !Number.isSafeInteger(index) || index < 0 || index >= this.numPartitions) {
      throw new SluiceError('SLUICE_BAD_ARGUMENT', `rdd.preferredLocations: partition ${JSON.stringify(index ?? split)} of an RDD with ${this.numPartitions} partitions; give an index from 0 to ${this.numPartitions - 1} or one of rdd.partitions`);
    }
    return this.context.preferredLocationsOf(this as RDD<unknown>, index);
  }

  /**
   * Spark's RDD.dependencies: how this RDD reads its parents, one Dependency a parent in order: a
   * `ShuffleDependency` (its `partitioner`, `shuffleId`, `mapSideCombine`) for a shuffle, a
   * `RangeDependency` for each input of a union, a `NarrowDependency` whose `getParents(i)` names
   * the parent partitions partition i reads (coalesce, filterByRange's pruning, cartesian), a
   * `OneToOneDependency` otherwise (map, a co-partitioned join's input); none for a source, and
   * after a checkpoint (Spark's) a OneToOneDependency on its ReliableCheckpointRDD (a local
   * checkpoint's: none, where Spark's is its LocalCheckpointRDD). A new array at each read.
   */
  get dependencies(): Dependency[] {
    return rddDependencies(this as RDD<unknown>);
  }

  /**
   * Spark's getStorageLevel: the StorageLevel `persist` was given (`StorageLevel.MEMORY_ONLY_SER`
   * for 'MEMORY_ONLY_SER' too), or `StorageLevel.NONE`; one of the `StorageLevel.*` constants (a
   * level built with flags no constant has: that level), so `=== StorageLevel.MEMORY_ONLY` is
   * Spark's `== StorageLevel.MEMORY_ONLY`. Since 2026-12-06 (before, the level's name as a string).
   */
  getStorageLevel(): Level {
    return this.storage === 'NONE' ? Level.NONE : (this.persistLevel ?? Level[this.storage]);
  }

  setName(name: string): this {
    this.name = name;
    return this;
  }

  /**
   * The lineage as text, as Spark's toDebugString: an RDD a line, its parents below it, each
   * shuffle's map side one level further in behind `+-(partitions)`, storage levels in brackets.
   * @example
   *   (4) ShuffledRDD[3] at reduceByKey at job.ts:9:6 []
   *    +-(2) MapPartitionsRDD[2] at map at job.ts:8:6 []
   *       |  ParallelCollectionRDD[0] at parallelize [MEMORY_ONLY]
   */
  toDebugString(): string {
    return debugString(this as RDD<unknown>);
  }

  /** An RDD lives on the driver: a shipped function that captures one is refused, as Spark refuses nested RDDs (SPARK-5063). */
  get [DRIVER_ONLY](): DriverOnlyInfo {
    return {
      what: 'an RDD',
      fix: "An RDD's transformations and actions run on the driver, not inside another RDD's function (Spark's SPARK-5063: rdd1.map(x => rdd2.count() * x) is invalid): collect() or broadcast the values the function needs first, or join the two RDDs.",
    };
  }

  /** `[name ]Class[id] at operator[ at site] [storage level]`, as Spark's RDD.toString (see toDebugString). */
  toString(): string {
    return describe(this as RDD<unknown>);
  }

  /** @internal Ship a user function: captures its local variables, or throws NotSerializableError. */
  ship(fn: Function, operator: string): ShippedFunction {
    return this.context.ship(fn, `rdd.${operator}`);
  }

  /** @internal */
  narrow<U>(op: NodeOp, preservesPartitioning = false, numPartitions = this.numPartitions): RDD<U> {
    return new RDD<U>(this.context, numPartitions, op, [{ type: 'narrow', rdd: this as RDD<unknown> }], preservesPartitioning ? this.partitioner : undefined);
  }

  // ---- narrow transformations ---------------------------------------------------

  /**
   * Each element through `f`. A pair written inline is a pair, as Scala's `lines.map(s => (s, 1))`
   * is an RDD[(String, Int)]: `lines.map((s) => [s, 1])` is an `RDD<[string, number]>`, ready for
   * `reduceByKey` and `join` (TypeScript alone would type it `RDD<(string | number)[]>`).
   * `preservesPartitioning` (PySpark's map(f, preservesPartitioning)): true keeps the RDD's
   * partitioner, for an `f` that leaves each pair's key as it was.
   */
  map<K, V>(f: (t: T) => readonly [K, V], preservesPartitioning?: boolean): RDD<[K, V]>;
  map<U>(f: (t: T) => U, preservesPartitioning?: boolean): RDD<U>;
  map<U>(f: (t: T) => U, preservesPartitioning = false): RDD<U> {
    return this.narrow({ kind: 'map', fn: this.ship(f, 'map') }, checkPreserves(preservesPartitioning, 'rdd.map'));
  }

  /** `preservesPartitioning`: PySpark's flag of map and flatMap, as mapPartitions' (see map). */
  flatMap<U>(f: (t: T) => Iterable<U>, preservesPartitioning = false): RDD<U> {
    return this.narrow({ kind: 'flatMap', fn: this.ship(f, 'flatMap') }, checkPreserves(preservesPartitioning, 'rdd.flatMap'));
  }

  /** A type guard narrows the RDD's type, as `Array.prototype.filter`'s: `filter((x): x is string => typeof x === 'string')` is an `RDD<string>`. */
  filter<S extends T>(f: (t: T) => t is S): RDD<S>;
  filter(f: (t: T) => boolean): RDD<T>;
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
    // Spark's RDD.sample: require(fraction >= 0, ...); without replacement, BernoulliSampler's require.
    if (!(fraction >= 0)) {
      throw new SluiceError('SLUICE_BAD_ARGUMENT', `rdd.sample: Fraction must be nonnegative, but got ${scalaDouble(fraction)} (as Spark says): the fraction is in [0, 1] without replacement, >= 0 with it`);
    }
    if (!withReplacement && fraction > 1) {
      throw new SluiceError('SLUICE_BAD_ARGUMENT', `rdd.sample: Sampling fraction (${scalaDouble(fraction)}) must be on interval [0, 1] (as Spark says): without replacement the fraction is each element's probability; sample(true, ${String(fraction)}) draws each about ${String(fraction)} times`);
    }
    return this.narrow({ kind: 'sample', withReplacement, fraction, seed: sampleSeed(seed, 'rdd.sample') }, true);
  }

  /**
   * Each partition through an external command, as Spark's pipe: the command (a program and
   * its arguments; a string is split at whitespace, as Spark's, and no shell is involved) is
   * started once per partition on the worker, with the worker's environment plus `env`, in
   * `cwd` (default: the job's working directory where a worker has it, else the worker's own);
   * each element is written to its stdin as `String(element)` and a newline, and each line of
   * its stdout is an element of the new partition. A command that cannot start, exits with a
   * status other than 0 or is killed fails the task with an error naming the command, the
   * partition, the status and the end of its stderr.
   * @example
   *   sc.parallelize(['b', 'a', 'c'], 1).pipe('sort')            // ['a', 'b', 'c']
   *   rdd.pipe(['sh', '-c', 'grep -c x || true'], { env: { LC_ALL: 'C' } })
   */
  pipe(command: string | readonly string[], options: PipeOptions<T> = {}): RDD<string> {
    const argv = typeof command === 'string' ? command.split(/[ \t\n\r\f]+/).filter((w) => w !== '') : [...command];
    if (argv.length === 0 || !argv.every((a) => typeof a === 'string')) {
      throw new SluiceError('SLUICE_BAD_ARGUMENT', `rdd.pipe: the command must be a non-empty string or array of strings (the program first), got ${JSON.stringify(command)}`);
    }
    checkPipeOptions(options, argv);
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(options.env ?? {})) {
      if (typeof v !== 'string') throw new SluiceError('SLUICE_BAD_ARGUMENT', `rdd.pipe('${argv.join(' ')}'): env ${k} must be a string, got ${typeof v}`);
      env[k] = v;
    }
    const cwd = resolveJobPath(options.cwd ?? '.');
    const separateWorkingDir = options.separateWorkingDir ?? false;
    if (typeof separateWorkingDir !== 'boolean') throw new SluiceError('SLUICE_BAD_ARGUMENT', `rdd.pipe('${argv.join(' ')}'): separateWorkingDir must be true or false, got ${typeof separateWorkingDir}`);
    for (const name of ['printPipeContext', 'printRDDElement'] as const) {
      const f = options[name];
      if (f !== undefined && typeof f !== 'function') throw new SluiceError('SLUICE_BAD_ARGUMENT', `rdd.pipe('${argv.join(' ')}'): ${name} must be a function, got ${typeof f}`);
    }
    const printContext = options.printPipeContext && this.ship(options.printPipeContext, 'pipe');
    const printElement = options.printRDDElement && this.ship(options.printRDDElement, 'pipe');
    return this.narrow({ kind: 'pipe', spec: { command: argv, env, cwd, cwdGiven: options.cwd !== undefined, ...(separateWorkingDir ? { separateWorkingDir } : {}), printContext, printElement } });
  }

  /**
   * The elements grouped by `f(element)`, as `[key, elements]` (Spark's groupBy: keyBy, then
   * groupByKey); PySpark's groupBy(f, numPartitions, partitionFunc) too (see partitionBy).
   */
  groupBy<K>(f: (t: T) => K, partitions?: PartitionArg): RDD<[K, T[]]>;
  groupBy<K>(f: (t: T) => K, numPartitions: number | undefined, partitionFunc: (key: K) => number): RDD<[K, T[]]>;
  groupBy<K>(f: (t: T) => K, partitions?: PartitionArg, partitionFunc?: (key: K) => number): RDD<[K, T[]]> {
    return partitionFunc === undefined ? this.keyBy(f).groupByKey(partitions) : this.keyBy(f).groupByKey(partitions as number | undefined, partitionFunc);
  }

  /**
   * Splits the RDD at random into RDDs with about these relative sizes (Spark's randomSplit):
   * every element lands in exactly one of them, the same ones for the same seed. Weights are
   * normalized; they must be >= 0 with a positive sum.
   */
  randomSplit(weights: readonly number[], seed: number = Math.floor(Math.random() * 2 ** 31)): RDD<T>[] {
    const total = weights.reduce((a, b) => a + b, 0);
    // Spark's two requires, its weights printed as Scala's mkString("[", ",", "]") of Doubles.
    const shown = `[${weights.map(scalaDouble).join(',')}]`;
    if (!weights.every((w) => w >= 0)) throw new SluiceError('SLUICE_BAD_ARGUMENT', `rdd.randomSplit: Weights must be nonnegative, but got ${shown} (as Spark says): they are relative sizes, normalized to sum to 1`);
    if (!(total > 0)) throw new SluiceError('SLUICE_BAD_ARGUMENT', `rdd.randomSplit: Sum of weights must be positive, but got ${shown} (as Spark says): give at least one weight above 0`);
    const seed32 = sampleSeed(seed, 'rdd.randomSplit');
    const rng = mulberry32;
    let acc = 0;
    return weights.map((w, i) => {
      const lb = acc / total;
      acc += w;
      const ub = i === weights.length - 1 ? 1 : acc / total;
      // Every split draws the same numbers for a partition, so [lb, ub) ranges split it exactly.
      const fn = function* (index: number, it: Iterable<T>): Generator<T> {
        const rand = rng((seed32 ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
        for (const x of it) {
          const u = rand();
          if (u >= lb && u < ub) yield x;
        }
      };
      return this.narrow<T>({ kind: 'mapPartitions', fn: this.ship(fn, 'randomSplit'), withIndex: true }, true);
    });
  }

  union(other: RDD<T>): RDD<T> {
    return this.context.union([this, other]);
  }

  /**
   * Pairs every element with its index: partition i's indices follow partition i-1's. The
   * partitions' counts come from a job run now, as Spark's ZippedWithIndexRDD runs it in its
   * constructor (none for one partition), where the context can block (runActionNow: so a sort
   * over it samples its bounds at once too, and its range partitioner is reused as Spark's);
   * else at the first job that needs them (since 2026-12-07, sspark40; before, always then).
   */
  zipWithIndex(): RDD<[T, number]> {
    const parent = this;
    const offsetsOf = (counts: number[]): number[] => {
      const offsets: number[] = [];
      let acc = 0;
      for (const c of counts) {
        offsets.push(acc);
        acc += c;
      }
      return offsets;
    };
    const now = this.numPartitions <= 1 ? [] : this.context.runActionNow(parent as RDD<unknown>, { kind: 'count' });
    if (now !== undefined) return this.narrow<[T, number]>({ kind: 'zipWithIndex', offsets: this.numPartitions === 1 ? [0] : offsetsOf(now as number[]) });
    const out = this.narrow<[T, number]>({ kind: 'zipWithIndex', offsets: [] });
    out.prepare = async () => {
      const counts = (await parent.context.runAction(parent, { kind: 'count' })) as number[];
      out.op = { kind: 'zipWithIndex', offsets: offsetsOf(counts) };
      out.prepare = undefined;
    };
    return out;
  }

  /** Pairs every element with a unique id: partition k's get k, n + k, 2n + k, ... (n partitions; Spark's zipWithUniqueId, no job). */
  zipWithUniqueId(): RDD<[T, number]> {
    const n = this.numPartitions;
    const fn = function* (k: number, it: Iterable<T>): Generator<[T, number]> {
      let i = 0;
      for (const x of it) yield [x, i++ * n + k];
    };
    return this.narrow({ kind: 'mapPartitions', fn: this.ship(fn, 'zipWithUniqueId'), withIndex: true });
  }

  cartesian<U>(other: RDD<U>): RDD<[T, U]> {
    return new RDD<[T, U]>(this.context, this.numPartitions * other.numPartitions, { kind: 'cartesian', rightPartitions: other.numPartitions }, [
      { type: 'narrow', rdd: this as RDD<unknown> },
      { type: 'narrow', rdd: other as RDD<unknown> },
    ]);
  }

  /**
   * Pairs the i-th element of each partition with the i-th of `other`'s same partition (Spark's
   * zip): both RDDs must have as many partitions (else an error now) and as many elements in
   * each partition (else the job fails, naming the partition).
   */
  zip<U>(other: RDD<U>): RDD<[T, U]> {
    return this.zipPartitions(other, zipIterators as (a: IterableIterator<T>, b: IterableIterator<U>) => Iterable<[T, U]>);
  }

  /**
   * `f` over partition i of this RDD and partition i of each other RDD, as iterators (Spark's
   * zipPartitions with one, two or three others): every RDD must have as many partitions.
   */
  zipPartitions<U, V>(other: RDD<U>, f: (a: IterableIterator<T>, b: IterableIterator<U>) => Iterable<V>, preservesPartitioning?: boolean): RDD<V>;
  zipPartitions<U1, U2, V>(other1: RDD<U1>, other2: RDD<U2>, f: (a: IterableIterator<T>, b: IterableIterator<U1>, c: IterableIterator<U2>) => Iterable<V>, preservesPartitioning?: boolean): RDD<V>;
  zipPartitions<U1, U2, U3, V>(
    other1: RDD<U1>,
    other2: RDD<U2>,
    other3: RDD<U3>,
    f: (a: IterableIterator<T>, b: IterableIterator<U1>, c: IterableIterator<U2>, d: IterableIterator<U3>) => Iterable<V>,
    preservesPartitioning?: boolean,
  ): RDD<V>;
  zipPartitions<V>(...args: unknown[]): RDD<V> {
    const others = args.filter((a): a is RDD<unknown> => a instanceof RDD);
    const f = args[others.length];
    const preservesPartitioning = args[others.length + 1] === true;
    if (others.length < 1 || others.length > 3 || typeof f !== 'function') {
      throw new SluiceError('SLUICE_BAD_ARGUMENT', 'rdd.zipPartitions: give one, two or three other RDDs, then the function of their partitions\' iterators (and preservesPartitioning)');
    }
    const operator = f === (zipIterators as Function) ? 'zip' : 'zipPartitions';
    for (const other of others) {
      if (other.numPartitions !== this.numPartitions) {
        const counts = [this as RDD<unknown>, ...others].map((r) => r.numPartitions).join(', ');
        throw new SluiceError(
          'SLUICE_BAD_ARGUMENT',
          `rdd.${operator}: can't zip RDDs with unequal numbers of partitions: ${this.numPartitions} (rdd ${this.id}) and ${other.numPartitions} (rdd ${other.id})${sparkWords(true, `Can't zip RDDs with unequal numbers of partitions: List(${counts})`)}`,
        );
      }
    }
    const deps: ParentLink[] = [this as RDD<unknown>, ...others].map((rdd) => ({ type: 'narrow', rdd }));
    return new RDD<V>(this.context, this.numPartitions, { kind: 'zipPartitions', fn: this.ship(f, operator), inputs: deps.length }, deps, preservesPartitioning ? this.partitioner : undefined);
  }

  /** Fewer partitions without a shuffle (or with one, when `shuffle` is set). */
  coalesce(numPartitions: number, shuffle = false): RDD<T> {
    checkPositive(numPartitions, 'coalesce', true);
    if (shuffle) return this.repartition(numPartitions);
    const n = Math.min(numPartitions, this.numPartitions);
    // Spark's DefaultPartitionCoalescer for parents without preferred locations: group i is the
    // parent partitions [i * N / n, (i + 1) * N / n), so 10 into 3 is 3, 3 and 4.
    const total = this.numPartitions;
    const groups: number[][] = Array.from({ length: n }, (_, i) => {
      const [from, to] = [Math.floor((i * total) / n), Math.floor(((i + 1) * total) / n)];
      return Array.from({ length: to - from }, (__, j) => from + j);
    });
    return this.narrow({ kind: 'coalesce', groups }, false, n);
  }

  repartition(numPartitions: number): RDD<T> {
    checkPositive(numPartitions, 'repartition', true);
    // Spread records round-robin from a per-partition start, as Spark does (the starts spread evenly: see roundRobinKeys).
    return this.narrow<[number, T]>({ kind: 'roundRobinKeys', numPartitions, parentPartitions: this.numPartitions })
      .partitionByInternal(HashPartitioner.of(numPartitions))
      .values();
  }

  distinct(partitions?: number): RDD<T> {
    // Default: this RDD's partition count, none for an RDD of none (Spark's HashPartitioner(0)).
    const numPartitions = partitions ?? this.numPartitions;
    const keyed = this.narrow<[T, null]>({ kind: 'pairWithNull' });
    if (this.partitioner && numPartitions === this.numPartitions) {
      // As Spark's: already placed by a partitioner (equal pairs have equal keys, so share a
      // partition), each partition drops its duplicates in place, no shuffle, the partitioner kept.
      const local = new RDD<[T, null]>(this.context, this.numPartitions, { kind: 'combineLocal', aggregator: { kind: 'first' } }, [{ type: 'narrow', rdd: keyed as RDD<unknown> }]);
      return new RDD<T>(this.context, this.numPartitions, { kind: 'keys' }, [{ type: 'narrow', rdd: local as RDD<unknown> }], this.partitioner);
    }
    if (partitions === undefined && numPartitions === 0) return keyed.combineInternal<T, null, null>({ kind: 'first' }, NO_PARTITIONS, true).keys();
    checkPartitions(numPartitions, 'rdd.distinct');
    return keyed.combineInternal<T, null, null>({ kind: 'first' }, HashPartitioner.of(numPartitions), true).keys();
  }

  sortBy<K>(f: (t: T) => K, ascending = true, numPartitions: number = this.numPartitions): RDD<T> {
    const keyed = this.keyBy(f);
    const sorted = keyed.sortByKey(ascending, numPartitions);
    return sorted.values();
  }

  /**
   * The elements `other` does not have, duplicates kept (Spark's subtract). Default: this RDD's
   * partition count; on an RDD of pairs placed by a partitioner, that partitioner by key, as
   * Spark's (no shuffle of this RDD, each pair kept where it was; the result has no partitioner).
   */
  subtract(other: RDD<T>, partitions?: PartitionArg): RDD<T> {
    // Of an RDD with no partitions, none (Spark's HashPartitioner(0)), `other` not read.
    if (this.numPartitions === 0 && partitions === undefined) return new RDD<T>(this.context, 0, { kind: 'parallelize', slices: [] }, []);
    if (this.partitioner && (partitions === undefined || partitions === this.partitioner)) {
      return subtractPlacedByKey(this as unknown as RDD<[unknown, unknown]>, other as unknown as RDD<[unknown, unknown]>, this.partitioner) as unknown as RDD<T>;
    }
    // Checked here, so a bad count is refused naming subtract, the call the program made.
    // An RDD of no partitions: none (Spark's HashPartitioner(0)).
    const placed = resolvePartitioner(partitions, () => (this.numPartitions === 0 ? NO_PARTITIONS : HashPartitioner.of(this.numPartitions)), 'rdd.subtract');
    const mine = this.narrow<[T, null]>({ kind: 'pairWithNull' });
    return mine.subtractByKey(other.narrow<[T, null]>({ kind: 'pairWithNull' }), placed).keys();
  }

  /** The elements both RDDs have, each once (Spark's intersection). */
  intersection(other: RDD<T>, partitions?: PartitionArg): RDD<T> {
    const mine = this.narrow<[T, null]>({ kind: 'pairWithNull' });
    return cogroupAs(mine, other.narrow<[T, null]>({ kind: 'pairWithNull' }), partitions, 'rdd.intersection').flatMap(keyInBoth as (kv: [T, [null[], null[]]]) => T[]);
  }

  // ---- persistence ------------------------------------------------------------------

  cache(): this {
    return this.persist('MEMORY_ONLY');
  }

  /**
   * Keep the partitions once computed, at `level`, any of Spark's (`StorageLevel.*` from
   * `@sluice/core`, or its name): 'MEMORY_ONLY' (the default), 'MEMORY_AND_DISK', 'DISK_ONLY', and
   * Spark's `_SER`, `_2` and `OFF_HEAP` levels, which are stored as the first three (partitions
   * are always stored serialized, in the worker's memory, and not replicated: MEMORY_ONLY_SER and
   * OFF_HEAP as MEMORY_ONLY, MEMORY_AND_DISK_SER_2 as MEMORY_AND_DISK, DISK_ONLY_3 as DISK_ONLY;
   * a lost partition is recomputed from its lineage, as for every level); `getStorageLevel()`
   * gives the level given. At a deserialized level in memory (MEMORY_ONLY, MEMORY_AND_DISK, their
   * _2), as Spark's keeps objects, the worker's task thread that reads a partition keeps its
   * records decoded too, and later reads there take copies of them (a record a job changes is
   * its copy: Spark hands every reader the same objects); counted in the worker's memory and
   * dropped before any block when room is needed. Anything else (and 'NONE') is SLUICE_BAD_ARGUMENT. Until 2026-12-05 the
   * `_SER`, `_2` and OFF_HEAP levels were refused. As Spark's, a level cannot be changed once
   * assigned (SLUICE_BAD_ARGUMENT; the same level again is harmless, `unpersist()` first to choose
   * another), except that a locally checkpointed RDD (or one marked) takes any level with disk
   * added: MEMORY_ONLY becomes MEMORY_AND_DISK.
   */
  persist(level: Level | SparkStorageLevel = Level.MEMORY_ONLY): this {
    const stored = storedLevel(level);
    const given = toStorageLevel(level);
    if (stored === undefined || given === undefined) {
      throw new SluiceError('SLUICE_BAD_ARGUMENT', `rdd.persist: unknown storage level ${typeof level === 'string' ? JSON.stringify(level) : String(level)} for ${this.toString()}; give one of Spark's, StorageLevel.MEMORY_ONLY (the default), MEMORY_AND_DISK, DISK_ONLY, a _SER or _2 one, or OFF_HEAP (from @sluice/core)`);
    }
    if (this.localCheckpointRequested || this.locallyCheckpointed) {
      this.storage = withDisk(stored);
      this.persistLevel = undefined;
      return this;
    }
    if (this.storage !== 'NONE' && !this.getStorageLevel().equals(given)) {
      const shown = (l: Level): string => storageLevelName(l) ?? String(l);
      throw new SluiceError('SLUICE_BAD_ARGUMENT', `rdd.persist('${shown(given)}'): cannot change the storage level of ${this.toString()} after it was already assigned a level ('${shown(this.getStorageLevel())}'), as Spark; call unpersist() first${sparkWords(true, 'Cannot change storage level of an RDD after it was already assigned a level')}`);
    }
    this.storage = stored;
    this.persistLevel = given;
    this.context.persistentRdds.set(this as RDD<unknown>);
    return this;
  }

  /**
   * Stop keeping the partitions: the RDD leaves getPersistentRDDs now and its cached blocks are
   * removed from the workers, as Spark's. `blocking` (Spark's, whose default is false; true here,
   * as this was awaited before it took one): resolve once every worker removed them, or at once
   * with the removal under way.
   */
  async unpersist(blocking = true): Promise<this> {
    this.storage = 'NONE';
    this.persistLevel = undefined;
    this.context.persistentRdds.delete(this.id);
    const removed = this.context.removeRdd(this.id);
    if (blocking) await removed;
    else removed.catch(() => undefined);
    return this;
  }

  /**
   * Mark this RDD for checkpointing: after the next action that computes it, its
   * partitions are written to the context's checkpoint directory and its lineage is cut.
   */
  checkpoint(): void {
    if (!this.context.checkpointDirectory) {
      // Spark's RDD.checkpoint: SparkException("Checkpoint directory has not been set in the SparkContext").
      throw new SluiceError('SLUICE_CHECKPOINT', `rdd.checkpoint() needs a checkpoint directory: call sc.setCheckpointDir(dir) first${sparkWords(true, 'Checkpoint directory has not been set in the SparkContext')}`);
    }
    if (this.localCheckpointRequested || this.locallyCheckpointed) {
      // Spark keeps the local checkpoint too (its checkpoint() sets nothing when one is there).
      this.context.log('warn', 'rdd.checkpoint() ignored: the RDD was marked for a local checkpoint (localCheckpoint()), which stays', { component: 'rdd', rddId: this.id });
      return;
    }
    this.checkpointRequested = true;
  }

  /**
   * Mark this RDD for local checkpointing, as Spark's: it is persisted on the workers with a
   * level that uses disk (MEMORY_AND_DISK, or the level given to persist() with disk added)
   * and, once the next action that computes it has ended (its partitions not computed by
   * that action are computed then), its lineage is cut: later jobs read its cached blocks
   * and never recompute it. Faster than `checkpoint()` (nothing is written to a reliable
   * directory) but not fault-tolerant: a block lost with its worker, or removed by
   * unpersist(), cannot be recomputed, and a job that needs it fails with SLUICE_CHECKPOINT
   * naming the partition. Overrides a `checkpoint()` not yet done; does nothing on an RDD
   * already checkpointed.
   */
  localCheckpoint(): this {
    this.storage = this.storage === 'NONE' ? 'MEMORY_AND_DISK' : withDisk(this.storage);
    this.persistLevel = undefined;
    this.context.persistentRdds.set(this as RDD<unknown>);
    if (this.isCheckpointed()) {
      this.context.log('warn', 'rdd.localCheckpoint(): not marked, the RDD was already checkpointed and its lineage truncated', { component: 'rdd', rddId: this.id });
      return this;
    }
    if (this.checkpointRequested) {
      this.context.log('warn', 'rdd.localCheckpoint() overrides the checkpoint() requested before it', { component: 'rdd', rddId: this.id });
      this.checkpointRequested = false;
    }
    this.localCheckpointRequested = true;
    return this;
  }

  /** Whether the RDD was checkpointed (reliably or locally) and its lineage truncated: after the action that followed the request. */
  isCheckpointed(): boolean {
    return this.checkpointDir !== undefined || this.locallyCheckpointed;
  }

  /**
   * Whether localCheckpoint() marked the RDD, before the action that cuts its lineage and
   * after (PySpark's isLocallyCheckpointed; Scala's, private[spark], asks whether its
   * checkpointData is a LocalRDDCheckpointData): false for one never marked, one whose
   * checkpoint() was done before localCheckpoint() was called (not marked), and one given
   * checkpoint() only.
   */
  isLocallyCheckpointed(): boolean {
    return this.localCheckpointRequested || this.locallyCheckpointed;
  }

  /** Where a reliable checkpoint() wrote the RDD; undefined before, and for a local checkpoint (Spark's None). */
  getCheckpointFile(): string | undefined {
    return this.checkpointDir;
  }

  // ---- internals --------------------------------------------------------------------

  /** @internal */
  defaultPartitioner(partitions: PartitionArg | undefined, others: readonly RDD<unknown>[] = [], operator = 'rdd'): Partitioner {
    return resolvePartitioner(partitions, () => {
      // Spark's Partitioner.defaultPartitioner: the partitioner of the input with the most partitions
      // among those that have one (a range one too: its bounds place any key, as Spark's, but not
      // one whose bounds are still to be sampled, which places every key in partition 0 until
      // then), when it has within 10x of the largest input's partitions or at least the default count; else a
      // HashPartitioner of the default count. The default count is spark.default.parallelism when
      // it is set (sc.defaultParallelism), else the largest input's partition count: 0 when every
      // input has none (sc.emptyRDD()), Spark's HashPartitioner(0), whose shuffle has no map task
      // to place a key and no reduce task (a count the user gives must still be at least 1).
      const rdds = [this as RDD<unknown>, ...others];
      let best: RDD<unknown> | undefined;
      for (const r of rdds) if (r.partitioner && boundsKnown(r.partitioner) && r.numPartitions > 0 && (best === undefined || r.numPartitions > best.numPartitions)) best = r;
      const most = Math.max(...rdds.map((r) => r.numPartitions));
      const count = this.context.defaultParallelismSet ? this.context.defaultParallelism : most;
      if (best?.partitioner && (Math.log10(most) - Math.log10(best.numPartitions) < 1 || count <= best.numPartitions)) return best.partitioner;
      return count === 0 ? NO_PARTITIONS : HashPartitioner.of(count);
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

  /** @internal The lineage as plain data, down to sources, shuffles' map sides and checkpoints. */
  lineage(callSite?: CreationSite | string): LineageGraph {
    const nodes: Record<number, PlanNode> = {};
    const creationSites: Record<number, string> = {};
    const rddInfos: Record<number, LineageRddInfo> = {};
    const sites = new Map<number, CreationSite>();
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
            const site = creationSiteText(d.rdd.creationSite);
            if (site !== undefined) creationSites[d.rdd.id] = site;
          }
          visit(d.rdd);
        }
      }
      const op: NodeOp = r.checkpointDir !== undefined ? { kind: 'checkpointFile', dir: r.checkpointDir } : r.locallyCheckpointed ? { kind: 'localCheckpoint' } : r.op;
      // Its creation site as captured: formatted only when the UI asks (creationSitesToFormat).
      if (r.creationSite !== undefined) sites.set(r.id, r.creationSite);
      const scopes = r.scope?.getAllScopes().map((s) => ({ id: s.id, name: s.name }));
      rddInfos[r.id] = { name: r.name ?? rddClassName(op), ...(scopes !== undefined && { scopes }) };
      nodes[r.id] = { id: r.id, numPartitions: r.numPartitions, op, parents, shuffleParents, storage: r.storage, ...(r.storage === 'NONE' ? {} : { name: r.name ?? rddClassName(op), ...(r.context.rddCompress ? { compressed: true } : {}), ...(keepsDeserialized(r.getStorageLevel()) ? { deserialized: true } : {}) }) };
    };
    visit(this as RDD<unknown>);
    const action = typeof callSite === 'string' ? callSite : creationSiteText(callSite);
    return { nodes, root: this.id, ...(action !== undefined && { callSite: action }), ...(Object.keys(creationSites).length > 0 && { creationSites }), rddInfos, ...(sites.size > 0 && { creationSitesToFormat: sites }) };
  }
}

// The rest of RDD's methods, one concept a file as Spark's (they import RDD; RDD's type
// extends theirs), copied onto RDD's prototype here, where RDD is defined: so every RDD has
// them. Other modules import only rdd.ts (and the mixins' types), so it is always loaded
// before the mixin modules' bodies run against it, and they before this loop.
export interface RDD<T> extends RDDActions<T>, AsyncRDDActions<T>, PairRDDFunctions, OrderedRDDFunctions, DoubleRDDFunctions, NotProvidedRDDFunctions {
  // An RDD of number literals (SparkPi's `map(() => (inside ? 1 : 0))`, an RDD<0 | 1>) reduces
  // and folds to a number: `(a, b) => a + b` is a number where the generic form (as Array's
  // reduce) wants `0 | 1` back. Checked first: a context-sensitive function is typed by the
  // first overload tried.
  reduce<N extends number>(this: RDD<N>, f: (a: number, b: number) => number): Promise<number>;
  reduce(f: (a: T, b: T) => T): Promise<T>;
  fold<N extends number>(this: RDD<N>, zero: number, f: (a: number, b: number) => number): Promise<number>;
  fold(zero: T, f: (a: T, b: T) => T): Promise<T>;
  // Scala's curried fold(zero)(op).
  fold<N extends number>(this: RDD<N>, zero: number): Curried<(f: (a: number, b: number) => number) => Promise<number>>;
  fold(zero: T): Curried<(f: Curried<(a: T, b: T) => T>) => Promise<T>>;
  treeReduce<N extends number>(this: RDD<N>, f: (a: number, b: number) => number, depth?: number): Promise<number>;
  treeReduce(f: (a: T, b: T) => T, depth?: number): Promise<T>;
}
for (const mixin of [RDDActions, AsyncRDDActions, PairRDDFunctions, OrderedRDDFunctions, DoubleRDDFunctions, NotProvidedRDDFunctions]) {
  for (const name of Object.getOwnPropertyNames(mixin.prototype)) {
    if (name !== 'constructor') Object.defineProperty(RDD.prototype, name, Object.getOwnPropertyDescriptor(mixin.prototype, name)!);
  }
}

// Every operation runs in a scope of its own name, as Spark's RDD methods (RDDOperationScope.withScope):
// the RDDs it makes, its inner calls' too, carry it. Not these, which make no RDD of their own or are Sluice's internals.
/** Whether a level keeps deserialized objects in memory (plan.ts's `deserialized`): Spark's MEMORY_ONLY, MEMORY_AND_DISK and their _2. */
function keepsDeserialized(level: Level): boolean {
  return level.useMemory && level.deserialized && !level.useOffHeap;
}

const UNSCOPED = new Set(['constructor', 'getNumPartitions', 'getStorageLevel', 'setName', 'toDebugString', 'toString', 'ship', 'narrow', 'cache', 'persist', 'unpersist', 'checkpoint', 'localCheckpoint', 'isCheckpointed', 'getCheckpointFile', 'preferredLocations', 'defaultPartitioner', 'combineInternal', 'partitionByInternal', 'lineage']);
scopeMethods(RDD.prototype, ownMethodsBut(RDD.prototype, UNSCOPED));

// Self-contained helpers shipped to workers (they capture nothing and name nothing else).
function* zipIterators(a: IterableIterator<unknown>, b: IterableIterator<unknown>): Generator<[unknown, unknown]> {
  for (;;) {
    const x = a.next();
    const y = b.next();
    if (x.done !== y.done) throw new Error('rdd.zip: can only zip RDDs with the same number of elements in each partition (Spark: "Can only zip RDDs with same number of elements in each partition")');
    if (x.done) return;
    yield [x.value, y.value];
  }
}
function keyInBoth(kv: [unknown, [unknown[], unknown[]]]): unknown[] {
  return kv[1][0].length > 0 && kv[1][1].length > 0 ? [kv[0]] : [];
}

/** The level with disk added (Spark's LocalRDDCheckpointData.transformStorageLevel): a local checkpoint's blocks are not evicted. */
/** The keys of PipeOptions. */
const PIPE_OPTIONS: ReadonlySet<string> = new Set(['env', 'cwd', 'separateWorkingDir', 'printPipeContext', 'printRDDElement']);

/**
 * pipe's second argument is options. Spark's is the environment itself (Scala's `pipe(command,
 * env: Map)`, PySpark's `pipe(command, env)`), so `pipe(cmd, { FOO: 'bar' })` or a Map would
 * otherwise be taken as options with no env and the command run without the variables: refused,
 * naming the key and the form to write.
 */
function checkPipeOptions(options: unknown, argv: readonly string[]): void {
  const where = `rdd.pipe('${argv.join(' ')}')`;
  const envForm = "pass the environment as { env: { NAME: 'value' } } (Spark's pipe(command, env) map)";
  if (options instanceof Map) throw new SluiceError('SLUICE_BAD_ARGUMENT', `${where}: the second argument is options, not a Map; ${envForm}, e.g. { env: Object.fromEntries(map) }`);
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new SluiceError('SLUICE_BAD_ARGUMENT', `${where}: the second argument must be options { env, cwd, separateWorkingDir, printPipeContext, printRDDElement }, got ${Array.isArray(options) ? 'an array' : options === null ? 'null' : typeof options}`);
  }
  const unknown = Object.keys(options).filter((k) => !PIPE_OPTIONS.has(k));
  if (unknown.length > 0) {
    throw new SluiceError('SLUICE_BAD_ARGUMENT', `${where}: unknown option${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')} (it takes env, cwd, separateWorkingDir, printPipeContext, printRDDElement); to set environment variables, ${envForm}`);
  }
}

/** Whether a partitioner places keys as it will: a range one whose bounds are still to be sampled (RangePartitioner.of(n), n > 1, no bounds) does not. */
function boundsKnown(p: Partitioner): boolean {
  return p.kind !== 'range' || p.numPartitions === 1 || p.bounds.length > 0;
}

function withDisk(level: StorageLevel): StorageLevel {
  return level === 'MEMORY_ONLY' || level === 'NONE' ? 'MEMORY_AND_DISK' : level;
}

/** `withSparkWords`: add Spark's require sentence for a whole number (coalesce and repartition: "Number of partitions (0) must be positive."). */
export function checkPositive(n: number, op: string, withSparkWords = false): void {
  if (!Number.isInteger(n) || n <= 0) {
    throw new SluiceError('SLUICE_BAD_ARGUMENT', `rdd.${op}: numPartitions must be a positive integer, got ${String(n)}${sparkWords(withSparkWords && Number.isInteger(n), `Number of partitions (${String(n)}) must be positive.`)}`);
  }
}

/**
 * PySpark's `preservesPartitioning` of map and flatMap (since 2026-12-07; before, a TypeScript
 * error and ignored from JavaScript): true keeps the RDD's partitioner (f leaves keys where they
 * are), so a by-key operator after it does not shuffle again. A boolean, else SLUICE_BAD_ARGUMENT.
 */
function checkPreserves(preservesPartitioning: unknown, operator: string): boolean {
  if (typeof preservesPartitioning !== 'boolean') {
    throw new SluiceError('SLUICE_BAD_ARGUMENT', `${operator}: the second argument is PySpark's preservesPartitioning, true or false, got ${typeof preservesPartitioning}`);
  }
  return preservesPartitioning;
}
