import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { joinCheckpointLocation, locationScheme, normalizeCheckpointLocation } from './checkpoint/checkpoint-location.js';
import type { CheckpointStore } from './checkpoint/checkpoint-store.js';
import { openCheckpointStore } from './checkpoint/checkpoint-store-registry.js';
import { RddCheckpointCleaner } from './checkpoint/rdd-checkpoint-cleaner.js';
import { ContextCleaner } from './context-cleaner.js';
import { UNKNOWN_CALL_SITE, laterUserCallStack, userCallSite } from './closure/call-site.js';
import { captureClosure, type CaptureWarning } from './closure/capture-closure.js';
import { rememberShipOrigin } from './closure/ship-origin.js';
import { DRIVER_ONLY, type DriverOnlyInfo } from './closure/driver-only.js';
import type { ShippedFunction } from './closure/shipped-function.js';
import type { CompressionCodec } from './io/compression-codec.js';
import type { FileSystem, SaveOptions } from './io/file-system.js';
import { fileSystemFor } from './io/file-system-registry.js';
import { hadoopTextSplits, planTextSplits } from './io/text-splits.js';
import { listInputFiles } from './io/input-paths.js';
import { planWholeFiles } from './io/whole-files.js';
import { encodeRecords } from './codec/codec.js';
import { fromWire, toWire } from './codec/record-classes.js';
import { isNotWritable, notWritableFix, SluiceError, TaskFailedError } from './errors.js';
import { sparkWords } from './util/spark-words.js';
import { describeJobPath, jobWorkingDirectory, resolveJobPath } from './job-working-directory.js';
import type { LineageGraph, ShuffleSpec, TextSplit } from './rdd/plan.js';
import { partitionerEquals, type Partitioner } from './rdd/partitioner.js';
import { partitionerAwareUnion } from './rdd/partitioner-aware-union.js';
import { RDD, type ParentLink } from './rdd/rdd.js';
import { currentCreationSite, scopeMethods, withCreationSite } from './rdd/rdd-operation-scope.js';
import { runInJobGroup, runWithJobDescription } from './scheduler/job-description-scope.js';
import { StatusTracker, type StatusAnswer, type StatusQuery } from './scheduler/status-tracker.js';
import { SparkListenerBus, type AccumulableInfo, type SchedulerEvent, type SparkListener } from './scheduler/spark-listener.js';
import { CHECKPOINT_ALL_MARKED_ANCESTORS, JOB_DESCRIPTION, JOB_INTERRUPT_ON_CANCEL, RunningActions } from './scheduler/running-actions.js';
import { currentOutputOperation } from './streaming/output-operation-scope.js';
import { DEFAULT_POOL_NAME, defaultPool, readAllocationFile, schedulingModeOf, type Schedulable, type SchedulerConfig, type SchedulerModeOptions, type SchedulingMode } from './scheduler/scheduler-pools.js';
import type { ActionSpec, JobRunResult, StageAccumulable, TaskAccumulatorUpdates } from './scheduler/task-spec.js';
import { Accumulator, DoubleAccumulator, LongAccumulator } from './shared/accumulator.js';
import { AccumulatorV2 } from './shared/accumulator-v2.js';
import { Broadcast, type BroadcastOwner } from './shared/broadcast.js';
import { broadcastBytes } from './shared/broadcast-bytes.js';
import type { AddedFileRef } from './shared/added-file-content.js';
import { AddedFiles } from './shared/added-files.js';
import { PersistentRdds } from './rdd/persistent-rdds.js';
import { FutureAction } from './rdd/future-action.js';
import { jobPartitions } from './scheduler/job-partitions.js';
import { ATTEMPTS_DIR } from './scheduler/local-part-file.js';
import type { RDDInfo, StoredRddInfo } from './rdd/rdd-info.js';
import { logLevelPasses, sparkLogLevel, type SparkLogLevel } from './util/spark-log-level.js';
import { SLUICE_VERSION } from './version.js';

/** Spark's CallSite.SHORT_FORM and LONG_FORM local properties (sc.setCallSite, sc.clearCallSite). */
const CALL_SITE_SHORT = 'callSite.short';
const CALL_SITE_LONG = 'callSite.long';
import { notProvided } from './util/not-provided.js';

const HADOOP_INPUT = "Hadoop's InputFormats and SequenceFiles need the JVM's Hadoop library, which Sluice (Node) has not";
const READ_INSTEAD = 'read files with sc.textFile, sc.wholeTextFiles, sc.binaryFiles or sc.binaryRecords, what rdd.saveAsObjectFile wrote with sc.objectFile, or a store through its connector (see the connectors)';
import type { StreamingBackend } from './streaming/streaming-backend.js';
import type { WalPlace } from './wal/wal-segment.js';
import { makeDirectorySync } from './util/make-directory.js';

/**
 * What a SluiceContext needs from the cluster: run one action over a lineage and
 * return one result per requested partition (in the order asked). The driver provides it.
 */
export interface ClusterBackend {
  readonly jobId: string;
  /** The job's name (sc.appName); absent: its id. */
  readonly appName?: string;
  /** Where the job runs (sc.master): the driver's address, or `local[N]` for a `sluice run`; absent: `local`. */
  readonly master?: string;
  /** The driver's web UI's URL (sc.uiWebUrl); absent when the UI is off. */
  readonly uiWebUrl?: string;
  /**
   * `onPartition`: called with each partition's value as its task ends (before the job does), for the approximate actions.
   * `signal`: aborting it cancels the job (the async actions' cancel()): it rejects with SLUICE_CANCELLED.
   * `onStart`: called with the job's id (the DAG scheduler's, cancelJob's) as it starts (FutureAction.jobIds).
   */
  runJob(graph: LineageGraph, action: ActionSpec, partitions: readonly number[], onPartition?: (partition: number, value: unknown) => void, signal?: AbortSignal, onStart?: (jobId: number) => void): Promise<JobRunResult>;
  /**
   * runJob, blocking the driver program until the job ended (a job's error thrown), for the
   * jobs Spark runs while an RDD is made (a RangePartitioner's sampling); absent where the
   * backend cannot block, and those jobs run lazily, before the first action that needs them.
   */
  runJobSync?(graph: LineageGraph, action: ActionSpec, partitions: readonly number[]): JobRunResult;
  removeRdd(rddId: number): Promise<void>;
  /** Cancel the program's running job `jobId` (sc.cancelJob), if it runs; asynchronous. */
  cancelJob?(jobId: number, reason: string | undefined): void;
  /**
   * Kill the program's running task attempt `taskId` with `reason` (sc.killTaskAttempt): its task is
   * queued again, the kill not counted as a failure; whether such an attempt was running. Blocks the program for the answer.
   */
  killTaskAttempt?(taskId: string, reason: string): boolean;
  /** Cancel every running job of the program that runs or waits on stage `stageId` (sc.cancelStage); asynchronous. */
  cancelStage?(stageId: number, reason: string | undefined): void;
  /** The partitions of `rddId` whose cached block a live worker holds (a local checkpoint computes the others before it truncates the lineage). */
  cachedPartitions?(rddId: number): Promise<readonly number[]>;
  /** Keep a broadcast variable's encoded value where workers can fetch it by id. */
  putBroadcast?(id: number, value: Uint8Array): void;
  /**
   * sc.addFile copied a file into this thread's files directory (SparkFiles' root): serve it
   * to workers, and name it in every stage launched from now on.
   */
  addFile?(ref: AddedFileRef): void;
  /**
   * Have every worker drop its copies of a broadcast variable (Broadcast.unpersist), and with
   * `fromDriver` forget the value served to them too (Broadcast.destroy); resolves once every
   * worker answered.
   */
  removeBroadcast?(id: number, fromDriver: boolean): Promise<void>;
  /** Drop the map outputs of shuffles nothing will read again (what Spark's ContextCleaner does). */
  removeShuffles?(shuffleIds: readonly number[]): void;
  /**
   * spark.cleaner.referenceTracking: whether what the program can no longer reach is cleaned
   * once garbage collected (shuffles, persisted RDDs, broadcasts; Spark's ContextCleaner);
   * absent: true, Spark's default. RDD checkpoints follow their own rules (RddCheckpointCleaner).
   */
  readonly referenceTracking?: boolean;
  defaultParallelism(): number;
  /**
   * Whether defaultParallelism() is spark.default.parallelism, set on the driver: it is then
   * sc.defaultParallelism as given, and keyed operations given no partitions use it (Spark's
   * Partitioner.defaultPartitioner reads the setting only when it is set).
   */
  readonly defaultParallelismSet?: boolean;
  /** Whether broadcast values are kept for workers LZ4-compressed (spark.broadcast.compress, set on the driver). */
  readonly broadcastCompress?: boolean;
  /** Whether RDD checkpoints (a stream's state checkpoints among them) are written LZ4-compressed (spark.checkpoint.compress, set on the driver). */
  readonly checkpointCompress?: boolean;
  /** Whether persisted RDDs' blocks are kept LZ4-compressed (spark.rdd.compress, set on the driver). */
  readonly rddCompress?: boolean;
  /** Receivers and batch reporting, for streaming jobs. */
  readonly streaming?: StreamingBackend;
  /** The program set its checkpoint directory (the driver keeps it with the job, e.g. in its --state-dir registry). */
  checkpointDirSet?(dir: string): void;
  /** The program chose how its jobs share the cluster (sc.setSchedulerMode): the driver schedules its task sets so from now on. */
  setScheduler?(config: SchedulerConfig): void;
  /** Log on the driver through the job's logger (constant message, data in `fields`). */
  log?(level: LogLevel, message: string, fields: Record<string, unknown>): void;
  /** Give the scheduler's events of the program's jobs to `handler` from now on (undefined: stop): sc.addSparkListener. */
  listenToScheduler?(handler: ((event: SchedulerEvent) => void) | undefined): void;
  /** Answer a status query about the program's jobs and stages now, blocking the driver program (sc.statusTracker). */
  status?(query: StatusQuery): StatusAnswer;
  /** Named accumulators' values after stages' tasks were merged, for the stages' REST records (StageData.accumulatorUpdates). */
  reportAccumulables?(values: readonly StageAccumulable[]): void;
  /** Give each successful task's accumulator updates to `handler` as the task ends (before its action's result or error). */
  onTaskAccumulators?(handler: (updates: TaskAccumulatorUpdates) => void): void;
}

/** What the context needs of a registered accumulator, built-in or AccumulatorV2. */
interface RegisteredAccumulator {
  readonly name: string | undefined;
  readonly value: unknown;
  mergeUpdate(update: unknown): void;
  /** A task's update as the value it adds (Spark's `updates.value`). */
  updateValue(update: unknown): unknown;
  isZeroUpdate(update: unknown): boolean;
  shownValue(): string;
}

/** Levels driver-program code may log at through the backend. */
export type LogLevel = 'debug' | 'info' | 'warn';

/**
 * The entry point of a job, as Spark's SparkContext: makes source RDDs, broadcast
 * variables and accumulators, and runs actions on the cluster. A job file's default
 * export receives one: `export default async function (sc: SluiceContext) { ... }`.
 */
export class SluiceContext {
  private nextRddId = 0;
  private nextShuffleId = 0;
  private nextSharedId = 0;
  /** Registered accumulators, built-in and the user's own (AccumulatorV2), by id: where tasks' updates are merged. */
  private readonly accumulators = new Map<number, RegisteredAccumulator>();
  private readonly runningActions = new RunningActions();
  /**
   * @internal The RDDs persisted and not unpersisted (getPersistentRDDs); one collected while
   * persisted is unpersisted (the context cleaner's RDD half, Spark's doCleanupRDD).
   */
  readonly persistentRdds: PersistentRdds;
  private readonly backend: ClusterBackend;
  /**
   * The context cleaner: once the RDD reading a shuffle is garbage, no action can read
   * that shuffle again, so its map outputs are dropped on the workers (Spark's
   * ContextCleaner does the same with weak references).
   */
  private readonly shuffleCleaner = new FinalizationRegistry<number>((shuffleId) => this.removeShuffles([shuffleId]));
  /**
   * The context cleaner's persisted-RDD and broadcast half (Spark's doCleanupRDD and
   * doCleanupBroadcast): a broadcast the program can no longer reach (neither its code nor a
   * live RDD's function captures it) is removed from the workers and the driver, as destroy()
   * does; a persisted RDD unpersisted. Undefined with reference tracking off.
   */
  private readonly cleaner: ContextCleaner | undefined;
  /** @internal Names, tracks and deletes the checkpoints of RDDs the job's code marked. */
  readonly rddCheckpoints = new RddCheckpointCleaner((message, fields) => this.log('warn', message, { component: 'rdd-checkpoint-cleaner', ...fields }));
  /** The checkpoint directory, normalized: an absolute path or `scheme://...`. */
  checkpointDirectory: string | undefined;
  private checkpointReady: Promise<void> | undefined;
  /** Where sc.stop() was called, once it was. */
  private stoppedAt: string | undefined;
  /** @internal What sc.stop() runs first: the active StreamingContext's stop. */
  readonly stopHooks = new Set<() => Promise<void>>();
  private tracker: StatusTracker | undefined;
  /**
   * @internal How deep the program is in listener callbacks now (SparkListener's and
   * StreamingListener's): sc.stop() is refused there, as Spark's on its listener bus thread.
   */
  listenerDepth = 0;
  /** Named accumulators' values after tasks of stage attempts, by `stage.attempt.id`, reported at the end of the turn (mergeTaskAccumulators). */
  private readonly accumulablesToReport = new Map<string, StageAccumulable>();
  private readonly sparkListeners = new SparkListenerBus((message, fields) => this.log('warn', message, fields), this);

  /** @internal */
  constructor(backend: ClusterBackend) {
    this.backend = backend;
    const tracking = backend.referenceTracking !== false;
    this.cleaner = tracking
      ? new ContextCleaner(
          { removeRdd: (rddId) => backend.removeRdd(rddId), removeBroadcast: async (id) => backend.removeBroadcast?.(id, true) },
          (kind, id) => this.log('debug', `cleaned a ${kind === 'rdd' ? 'persisted RDD' : 'broadcast'} the program no longer reaches`, { component: 'context-cleaner', [kind === 'rdd' ? 'rddId' : 'broadcastId']: id }),
        )
      : undefined;
    this.persistentRdds = new PersistentRdds(this.cleaner);
    backend.onTaskAccumulators?.((u) => this.mergeTaskAccumulators(u));
  }

  get jobId(): string {
    return this.backend.jobId;
  }

  /** The context lives on the driver, as Spark's SparkContext: a shipped function that captures it is refused. */
  get [DRIVER_ONLY](): DriverOnlyInfo {
    return { what: 'the SluiceContext', fix: "The SluiceContext is the driver's, as Spark's SparkContext: use it outside the function (read what the function needs into a local first, or broadcast it)." };
  }

  /** Spark's `sc.applicationId`: this job's id (`sluice jobs`, the REST API's application id). */
  get applicationId(): string {
    return this.backend.jobId;
  }

  /**
   * Spark's `sc.appName`: the job's name, as `sluice jobs` and the REST API's application name
   * give it (`sluice submit --name`, else the job file's name).
   */
  get appName(): string {
    return this.backend.appName ?? this.backend.jobId;
  }

  /**
   * Spark's `sc.master`: where the job runs. `local[N]` for `sluice run` (its own driver and
   * local workers of N cores in all, as Spark's local[N]); under `sluice submit`, the driver's
   * address, `HOST:PORT` (what `--driver` takes: Spark's `spark://HOST:PORT` without the scheme).
   */
  get master(): string {
    return this.backend.master ?? 'local';
  }

  /**
   * Spark's `sc.isLocal`: whether the job runs in local mode, as Spark's (master `local...`):
   * under `sluice run`; false under `sluice submit` to a driver. Since 2026-12-05.
   */
  get isLocal(): boolean {
    return this.master.startsWith('local');
  }

  /**
   * Spark's `sc.version`: the version of Sluice (@sluice/core) the job runs on, `'0.1.0'`, where
   * Spark's is Spark's own. Since 2026-12-05.
   */
  get version(): string {
    return SLUICE_VERSION;
  }

  /**
   * Spark's `sc.sparkUser`: the environment variable SPARK_USER of the driver, as Spark's, else
   * the name of the user the driver runs as (Spark's Hadoop user). Since 2026-12-05.
   */
  get sparkUser(): string {
    return process.env.SPARK_USER ?? os.userInfo().username;
  }

  /** Spark's `sc.startTime`: when this job's context was made (ms since the epoch), as Spark's SparkContext's start. Since 2026-12-05. */
  readonly startTime: number = Date.now();

  /** The level sc.setLogLevel set, if any. */
  private logLevel: SparkLogLevel | undefined;

  /**
   * Spark's `sc.setLogLevel(logLevel)`: the program's messages below `logLevel` (one of Spark's,
   * ALL, TRACE, DEBUG, INFO, WARN, ERROR, FATAL or OFF, any case) are dropped from now on: the
   * warnings and notes Sluice logs for this program on the driver (a captured variable, a
   * StreamingContext's, a checkpoint's ...): `'ERROR'` or `'OFF'` silences them. The driver's and
   * the workers' own logs keep their `--log-level`, and a level below it shows nothing more
   * (Spark's changes its driver's root logger). Another name is SLUICE_BAD_ARGUMENT with Spark's
   * sentence. Since 2026-12-05.
   */
  setLogLevel(logLevel: string): void {
    this.logLevel = sparkLogLevel(logLevel, 'sc.setLogLevel');
  }

  /** @internal Log on the driver through the job's logger (no-op where the backend has none), unless sc.setLogLevel set a higher level. */
  log(level: LogLevel, message: string, fields: Record<string, unknown>): void {
    if (this.logLevel !== undefined && !logLevelPasses(level, this.logLevel)) return;
    this.backend.log?.(level, message, fields);
  }

  /**
   * The directory relative paths resolve against in Sluice's file APIs (textFile,
   * saveAsTextFile(s), textFileStream, checkpoint directories, ...): where `sluice submit`
   * or `sluice run` was run. Your own `fs` calls resolve against the driver's working
   * directory instead: use `path.resolve(sc.workingDirectory, p)` for those.
   */
  get workingDirectory(): string {
    return jobWorkingDirectory();
  }

  /**
   * Spark's sc.defaultParallelism: spark.default.parallelism when the driver was given it
   * (`--conf spark.default.parallelism=N` on `sluice run` or `sluice driver`), else the cluster's
   * cores when the job started, at least 2 (CoarseGrainedSchedulerBackend's default).
   */
  get defaultParallelism(): number {
    return this.backend.defaultParallelismSet === true ? this.backend.defaultParallelism() : Math.max(2, this.backend.defaultParallelism());
  }

  /** @internal Whether spark.default.parallelism was set (Partitioner.defaultPartitioner's `conf.contains`). */
  /** @internal Spark's spark.rdd.compress: persisted RDDs' blocks are kept LZ4-compressed. */
  get rddCompress(): boolean {
    return this.backend.rddCompress === true;
  }

  get defaultParallelismSet(): boolean {
    return this.backend.defaultParallelismSet === true;
  }

  /**
   * Spark's SparkStatusTracker: the program's jobs and stages as the driver knows them
   * (getJobIdsForGroup, getJobIdsForTag, getActiveJobIds, getActiveStageIds, getJobInfo,
   * getStageInfo), each call answered by the driver at once.
   */
  get statusTracker(): StatusTracker {
    const status = this.backend.status;
    if (status === undefined) throw new SluiceError('SLUICE_BAD_ARGUMENT', 'sc.statusTracker: this cluster backend cannot answer status queries');
    this.tracker ??= new StatusTracker((query) => status.call(this.backend, query));
    return this.tracker;
  }

  /**
   * @internal rdd.preferredLocations(partition): the worker ids a task over the RDD's partition
   * would prefer, asked of the driver now (the program waits for the answer).
   */
  preferredLocationsOf(rdd: RDD<unknown>, partition: number): string[] {
    this.assertNotStopped('rdd.preferredLocations');
    const status = this.backend.status;
    if (status === undefined) throw new SluiceError('SLUICE_BAD_ARGUMENT', 'rdd.preferredLocations: this cluster backend cannot answer status queries');
    return [...(status.call(this.backend, { kind: 'preferredLocations', graph: rdd.lineage(), partition }) as readonly string[])];
  }

  /**
   * Spark's getRDDStorageInfo: the persisted RDDs (getPersistentRDDs') with cached partitions,
   * ascending by id, each an RDDInfo: its id, name, numPartitions, storageLevel (the level
   * `persist` was given), numCachedPartitions, memSize and diskSize (the bytes of its blocks in
   * the workers' memory and on their disks, as the REST API's storage/rdd shows them), asked of
   * the driver at the call. An RDD no action has cached yet, or whose blocks the workers lost or
   * evicted, is not listed (Spark's RDDInfo.isCached). Since 2026-12-06.
   */
  getRDDStorageInfo(): RDDInfo[] {
    this.assertNotStopped('sc.getRDDStorageInfo');
    const status = this.backend.status;
    if (status === undefined) throw new SluiceError('SLUICE_BAD_ARGUMENT', 'sc.getRDDStorageInfo: this cluster backend cannot answer status queries');
    const stored = new Map((status.call(this.backend, { kind: 'rddStorage' }) as readonly StoredRddInfo[]).map((r) => [r.id, r]));
    const out: RDDInfo[] = [];
    for (const [id, rdd] of [...this.persistentRdds.live()].sort((a, b) => a[0] - b[0])) {
      const s = stored.get(id);
      if (s === undefined || s.numCachedPartitions === 0 || s.memSize + s.diskSize === 0) continue;
      out.push({ id, name: s.name, numPartitions: s.numPartitions, numCachedPartitions: s.numCachedPartitions, storageLevel: rdd.getStorageLevel(), memSize: s.memSize, diskSize: s.diskSize });
    }
    return out;
  }

  /**
   * Spark's sc.addSparkListener: `listener` is given the DAG scheduler's events of this
   * program's jobs (onJobStart, onStageSubmitted, onTaskEnd, onStageCompleted, onJobEnd),
   * forwarded by the driver while the program has a listener. A listener that throws is
   * logged and skipped for that event.
   */
  addSparkListener(listener: SparkListener): void {
    if (typeof listener !== 'object' || listener === null) throw new SluiceError('SLUICE_BAD_ARGUMENT', `sc.addSparkListener: the listener must be an object with onJobStart, onJobEnd, ... methods, got ${listener === null ? 'null' : typeof listener}`);
    const listen = this.backend.listenToScheduler;
    if (listen === undefined) throw new SluiceError('SLUICE_BAD_ARGUMENT', 'sc.addSparkListener: this cluster backend does not forward scheduler events');
    this.sparkListeners.add(listener);
    if (this.sparkListeners.size === 1) listen.call(this.backend, (e) => this.sparkListeners.post(e));
  }

  /** Spark's sc.removeSparkListener: `listener` is given no more events. */
  removeSparkListener(listener: SparkListener): void {
    if (this.sparkListeners.remove(listener) && this.sparkListeners.size === 0) this.backend.listenToScheduler?.(undefined);
  }

  /**
   * Spark's defaultMinPartitions: min(defaultParallelism, 2), the partitions textFile,
   * wholeTextFiles and binaryFiles ask for when not told (textFile gives more where its files
   * are larger than a block or end mid-split).
   */
  get defaultMinPartitions(): number {
    return Math.min(this.defaultParallelism, 2);
  }

  /**
   * Distribute a local collection as an RDD of `numSlices` partitions. Pairs written inline
   * are typed as pairs, as Spark's `sc.parallelize(Seq(("a", 1), ("b", 2)))` is an
   * RDD[(String, Int)]: `sc.parallelize([['a', 1], ['b', 2]])` is an `RDD<[string, number]>`,
   * ready for `reduceByKey` and `join` (TypeScript alone would type it `(string | number)[]`).
   */
  parallelize<D extends Iterable<readonly [unknown, unknown]>>(data: D, numSlices?: number): RDD<ElementOf<D>>;
  parallelize<T>(data: Iterable<T>, numSlices?: number): RDD<T>;
  parallelize<T>(data: Iterable<T>, numSlices: number = this.defaultParallelism): RDD<T> {
    checkSlices(numSlices, 'parallelize');
    const arr = [...data];
    const slices: unknown[] = [];
    for (let i = 0; i < numSlices; i++) {
      // toWire: instances of the job's classes travel tagged and are revived on the worker.
      slices.push(toWire(arr.slice(Math.floor((i * arr.length) / numSlices), Math.floor(((i + 1) * arr.length) / numSlices))));
    }
    return new RDD<T>(this, numSlices, { kind: 'parallelize', slices }, []);
  }

  /**
   * Spark's sc.makeRDD(seq, numSlices): parallelize under Spark's other name (its scope is
   * `makeRDD`, as Spark's). Spark's second form, `makeRDD(Seq[(T, Seq[String])])` with each
   * element's preferred hosts, is not provided: a pair given here is an element like any other.
   */
  makeRDD<D extends Iterable<readonly [unknown, unknown]>>(data: D, numSlices?: number): RDD<ElementOf<D>>;
  makeRDD<T>(data: Iterable<T>, numSlices?: number): RDD<T>;
  makeRDD<T>(data: Iterable<T>, numSlices: number = this.defaultParallelism): RDD<T> {
    checkSlices(numSlices, 'makeRDD');
    return this.parallelize(data, numSlices);
  }

  /** Numbers from start (inclusive) to end (exclusive) by step, computed on the workers. */
  range(start: number, end?: number, step = 1, numSlices: number = this.defaultParallelism): RDD<number> {
    if (end === undefined) [start, end] = [0, start];
    if (step === 0 || !Number.isFinite(step)) throw new SluiceError('SLUICE_BAD_ARGUMENT', `sc.range: step must be a non-zero number, got ${step}${sparkWords(step === 0, 'step cannot be 0')}`);
    checkSlices(numSlices, 'range');
    return new RDD<number>(this, numSlices, { kind: 'range', start, end, step }, []);
  }

  /**
   * Lines of a text file, of every file in a directory (hidden and `_`-prefixed files
   * skipped), of a glob's matches or of a comma-separated list of these (listInputFiles), split by byte ranges into at least `minPartitions` partitions. The path
   * must be readable at the same place by every worker (a shared or local disk), or be a
   * location of a registered file system (`s3://bucket/path` with `import '@sluice/s3'`;
   * see textFileOn).
   */
  textFile(file: string, minPartitions: number = this.defaultMinPartitions): RDD<string> {
    // Spark hands minPartitions to Hadoop's FileInputFormat.getSplits unchecked: 0 is taken as
    // 1, a negative number makes a goal split size below 1 byte, so a split of every byte.
    if (!Number.isSafeInteger(minPartitions) || minPartitions < 0) {
      throw new SluiceError(
        'SLUICE_BAD_ARGUMENT',
        `sc.textFile(${JSON.stringify(file)}, minPartitions): minPartitions must be a whole number >= 0, got ${typeof minPartitions === 'string' ? JSON.stringify(minPartitions) : String(minPartitions)}; it is the least number of partitions the files are split into (0 is taken as 1, as Hadoop's); leave it out for the default, ${this.defaultMinPartitions} (Spark's defaultMinPartitions, min(defaultParallelism, 2))`,
      );
    }
    minPartitions = Math.max(1, minPartitions);
    const fsys = fileSystemFor(file, 'sc.textFile');
    if (fsys) return this.textFileOn(fsys, file, minPartitions);
    const listed = listInputFiles(file, 'sc.textFile');
    const files = listed.files.map((f) => {
      try {
        return { file: f, size: fs.statSync(f).size };
      } catch (err) {
        throw new SluiceError('SLUICE_IO', `sc.textFile: cannot read '${f}': ${(err as Error).message}`, { cause: err });
      }
    });
    // As Hadoop's FileInputFormat under Spark's textFile: an empty file is one empty split, and no
    // file (an empty directory, a glob matching nothing) is an RDD with no partition.
    const splits = hadoopTextSplits(files, minPartitions);
    return new RDD<string>(this, splits.length, { kind: 'textFile', splits }, []).setName(listed.name);
  }

  /**
   * textFile on a registered file system (`s3://...`): its files are listed when the first
   * action runs (listing is I/O the driver program must await; Spark lists lazily too), so
   * the RDD has exactly `minPartitions` partitions, each an equal share of the files' bytes
   * in order (several files' ranges, or none when there are fewer bytes than partitions).
   */
  private textFileOn(fsys: FileSystem, location: string, minPartitions: number): RDD<string> {
    checkSlices(minPartitions, 'textFile');
    const rdd = new RDD<string>(this, minPartitions, { kind: 'textFile', splits: [], groups: Array.from({ length: minPartitions }, () => []) }, []).setName(location);
    rdd.prepare = async () => {
      const files = await fsys.listTextFiles(location);
      rdd.op = { kind: 'textFile', ...planTextSplits(files, minPartitions), fsSettings: fsys.settings?.() };
      rdd.prepare = undefined;
    };
    return rdd;
  }

  /**
   * The records saved with `rdd.saveAsObjectFile(dir)` (or one batch's directory of
   * `dstream.saveAsObjectFiles`), as Spark's sc.objectFile: `path` is such a directory (its
   * `part-*` files, in name order) or one part file. One partition per part file: a part
   * file is one encoded array, so it cannot be split further (Spark's minPartitions hint
   * has nothing to split). The path must be readable at the same place by every worker.
   */
  objectFile<T>(file: string): RDD<T> {
    if (fileSystemFor(file, 'sc.objectFile')) throw new SluiceError('SLUICE_BAD_ARGUMENT', `sc.objectFile('${file}'): object files are read from a path on a file system only; read text with sc.textFile there`);
    const abs = resolveJobPath(file);
    let files: string[];
    try {
      files = fs.statSync(abs).isDirectory()
        ? fs
            .readdirSync(abs)
            .filter((n) => n.startsWith('part-'))
            .sort()
            .map((n) => path.join(abs, n))
        : [abs];
    } catch (err) {
      throw new SluiceError('SLUICE_IO', `sc.objectFile: cannot read '${abs}': ${(err as Error).message}`, { cause: err });
    }
    return new RDD<T>(this, files.length, { kind: 'objectFile', files }, []).setName(abs);
  }

  /**
   * Each file of `location` as one [path, content] pair (content decoded as UTF-8), as Spark's
   * wholeTextFiles: `location` is a file, a directory (its files; hidden, `_`-prefixed and
   * subdirectories skipped) or a glob in its last component (`logs/*.txt`). Files are
   * listed now and packed in name order into at most `minPartitions` partitions of about
   * equal bytes (a file is never split); the workers read them, so the path must be
   * readable at the same place by every worker. The pair's path is the file's absolute
   * path (Spark's is a `file:` URI). An empty file is a pair with ''; an empty directory
   * or a glob matching nothing, an empty RDD. A path that does not exist is SLUICE_IO
   * naming it, now; a file that cannot be read fails its task with SLUICE_IO naming it.
   */
  wholeTextFiles(location: string, minPartitions: number = this.defaultMinPartitions): RDD<[string, string]> {
    const { files, name } = planWholeFiles(location, minPartitions, 'sc.wholeTextFiles');
    return new RDD<[string, string]>(this, files.length, { kind: 'wholeFiles', files, binary: false }, []).setName(name);
  }

  /**
   * wholeTextFiles with each file's content as its bytes, a Uint8Array, as Spark's
   * binaryFiles. Typed Uint8Array, not Buffer: a worker reads a Buffer, but records that
   * cross between threads (a task's results on their way to the driver) arrive as plain
   * Uint8Arrays, so only Uint8Array holds everywhere (`Buffer.from(b.buffer, b.byteOffset,
   * b.byteLength)` gives Buffer's methods without a copy). Spark gives a PortableDataStream
   * that opens the file when read; here a worker reads the whole file when it computes the
   * partition, as almost every use reads the stream whole, so a file must fit in memory.
   */
  binaryFiles(location: string, minPartitions: number = this.defaultMinPartitions): RDD<[string, Uint8Array]> {
    const { files, name } = planWholeFiles(location, minPartitions, 'sc.binaryFiles');
    return new RDD<[string, Uint8Array]>(this, files.length, { kind: 'wholeFiles', files, binary: true }, []).setName(name);
  }

  /**
   * The fixed-length records of files, as Spark's binaryRecords: each of the path's files
   * (a file, a directory, a glob or a comma-separated list, as textFile's) cut every
   * `recordLength` bytes, a record a Uint8Array; one partition a file (Spark's splits a file
   * past a 32 MiB block at a record boundary). A file whose size is not a multiple of
   * `recordLength` fails its task (SLUICE_BAD_RECORD) naming it; a `recordLength` that is not
   * a whole number > 0 is SLUICE_BAD_ARGUMENT here, where Spark's job fails.
   */
  binaryRecords(location: string, recordLength: number): RDD<Uint8Array> {
    if (typeof recordLength !== 'number' || !Number.isInteger(recordLength) || recordLength <= 0) {
      throw new SluiceError('SLUICE_BAD_ARGUMENT', `sc.binaryRecords('${location}', ${String(recordLength)}): the record length must be a whole number of bytes > 0`);
    }
    if (fileSystemFor(location, 'sc.binaryRecords')) throw new SluiceError('SLUICE_BAD_ARGUMENT', `sc.binaryRecords('${location}'): binary records are read from a path on a file system only`);
    const listed = listInputFiles(location, 'sc.binaryRecords');
    const splits = listed.files.map((f): TextSplit => {
      try {
        return { file: f, start: 0, end: fs.statSync(f).size };
      } catch (err) {
        throw new SluiceError('SLUICE_IO', `sc.binaryRecords: cannot read '${f}': ${(err as Error).message}`, { cause: err });
      }
    });
    return new RDD<Uint8Array>(this, splits.length, { kind: 'binaryRecords', splits, recordLength }, []).setName(listed.name);
  }

  /** The RDDs' elements one after another (Spark's sc.union of a Seq, or of RDDs as separate arguments); of none, an RDD with no partition, as Spark's union of an empty Seq. */
  union<T>(rdds: readonly RDD<T>[]): RDD<T>;
  union<T>(first: RDD<T>, ...rest: RDD<T>[]): RDD<T>;
  union<T>(first: readonly RDD<T>[] | RDD<T>, ...rest: RDD<T>[]): RDD<T> {
    const rdds = Array.isArray(first) ? [...(first as readonly RDD<T>[])] : [first as RDD<T>, ...rest];
    const bad = rdds.findIndex((r) => !(r instanceof RDD));
    if (bad >= 0) throw new SluiceError('SLUICE_BAD_ARGUMENT', `sc.union: argument ${bad} is not an RDD (${typeof rdds[bad]}); give RDDs, or one array of them`);
    const aware = partitionerAwareUnion(this, rdds);
    if (aware) return aware;
    const parts: [number, number][] = [];
    rdds.forEach((r, i) => {
      for (let p = 0; p < r.numPartitions; p++) parts.push([i, p]);
    });
    return new RDD<T>(
      this,
      parts.length,
      { kind: 'union', parts },
      rdds.map((r) => ({ type: 'narrow', rdd: r as RDD<unknown> })),
    );
  }

  /** @internal The RDD of received blocks (one partition per block). */
  blockRDD<T>(
    blocks: readonly { blockId: string; locations: readonly { workerId: string; address: string }[]; wal?: WalPlace; take?: readonly (readonly [number, number])[] }[],
  ): RDD<T> {
    return new RDD<T>(
      this,
      blocks.length,
      { kind: 'blocks', blocks: blocks.map((b) => ({ blockId: b.blockId, locations: b.locations, ...(b.wal ? { wal: b.wal } : {}), ...(b.take ? { take: b.take } : {}) })) },
      [],
    );
  }

  /** @internal An RDD read from checkpoint files (`part-<i>` in `dir`), e.g. a stream's state on recovery. */
  checkpointFileRDD<T>(dir: string, numPartitions: number, partitioner?: Partitioner): RDD<T> {
    const rdd = new RDD<T>(this, numPartitions, { kind: 'checkpointFile', dir }, [], partitioner);
    rdd.checkpointDir = dir;
    return rdd;
  }

  /** @internal */
  get streaming(): StreamingBackend | undefined {
    return this.backend.streaming;
  }

  /**
   * Spark's getPersistentRDDs: the RDDs the program persisted (`cache`, `persist`,
   * `localCheckpoint`) and has not unpersisted, by RDD id. Held weakly, as Spark's: an RDD the
   * program no longer references may drop out.
   */
  getPersistentRDDs(): Map<number, RDD<unknown>> {
    return this.persistentRdds.live();
  }

  /** An RDD with no partition, as Spark's EmptyRDD (`EmptyRDD[3] at emptyRDD at job.ts:5:14`). */
  emptyRDD<T>(): RDD<T> {
    return withCreationSite('emptyRDD', () => new RDD<T>(this, 0, { kind: 'parallelize', slices: [] }, []));
  }

  /**
   * A read-only value for tasks: sent to each worker once, not with every task. An RDD cannot
   * be broadcast (SLUICE_BAD_ARGUMENT, as Spark's IllegalArgumentException): collect it and
   * broadcast the result.
   */
  broadcast<T>(value: T): Broadcast<T> {
    this.assertNotStopped('sc.broadcast');
    if (value instanceof RDD) {
      throw new SluiceError('SLUICE_BAD_ARGUMENT', `sc.broadcast: can not directly broadcast RDDs (${value.toString()}); instead, call collect() and broadcast the result`);
    }
    const id = this.nextSharedId++;
    const put = this.backend.putBroadcast;
    if (put) {
      let bytes: Uint8Array;
      try {
        bytes = encodeRecords(value);
      } catch (err) {
        throw new SluiceError('SLUICE_TASK_NOT_SERIALIZABLE', `sc.broadcast: the value cannot be sent to workers (${(err as Error).message}); broadcast plain data`, { cause: err });
      }
      put.call(this.backend, id, broadcastBytes(bytes, this.backend.broadcastCompress === true));
    }
    const broadcast = new Broadcast(id, value, put === undefined, this.broadcastOwner);
    // A value travelling inline in tasks (no cluster serving it) has nothing to clean.
    if (put !== undefined) this.cleaner?.watchBroadcast(broadcast, id);
    return broadcast;
  }

  /**
   * Spark's addFile: ship a file (a lookup table, a model, a config) to every worker that
   * runs this job's tasks, where `SparkFiles.get(name)` gives the path of the worker's copy
   * (`name`: the path's base name). A relative path resolves against the directory the job
   * was submitted from; a `file:` URI is taken as its path; other schemes (http, hdfs, ...)
   * are refused. A directory needs `recursive` (as Spark's "... is a directory and recursive
   * is not turned on."); a path that does not exist is SLUICE_IO. The file is copied at once
   * (the driver program's SparkFiles.get gives that copy), so a later change of the original
   * is not seen. Adding the same path again does nothing; another path with the same base
   * name is SLUICE_BAD_ARGUMENT ("File x was already registered with a different path").
   * Workers fetch a file before the first task of a stage launched after the add, workers
   * that join later included; a job's files are its own, and are removed when it ends.
   */
  addFile(path: string, recursive = false): void {
    this.assertNotStopped('sc.addFile');
    this.addedFiles.add(path, recursive);
  }

  /**
   * Spark's addArchive: an archive (`.zip` or `.jar`, `.tar.gz` or `.tgz`, `.tar`) unpacked into a
   * directory of the job's files directory on every worker that runs its tasks, where
   * `SparkFiles.get(name)` gives that directory (`name` the archive's base name, `data.tar.gz`, or
   * the one after `#`: `sc.addArchive('data.tar.gz#data')`); a file of any other name is copied as it
   * is, as Spark's (with a warning). Sluice unpacks it once, on the driver, where Spark's executors
   * each unpack it: workers fetch the unpacked directory as sc.addFile's. A relative path, a
   * `file:` URI, the same path again and another path of the same name are as sc.addFile's; a
   * directory, or an archive that cannot be read, is SLUICE_BAD_ARGUMENT, one that does not exist
   * SLUICE_IO.
   */
  addArchive(path: string): void {
    this.assertNotStopped('sc.addArchive');
    this.addedFiles.addArchive(path);
  }

  /** Spark's listArchives: the absolute paths of the archives added with sc.addArchive (with their `#name`), in the order added. */
  listArchives(): string[] {
    return this.addedFiles.list(true);
  }

  /** Spark's listFiles: the absolute paths of the files added with sc.addFile, in the order added. */
  listFiles(): string[] {
    return this.addedFiles.list();
  }

  /**
   * Spark's addJar ships code to the executors; in Sluice a job's code — its modules and
   * npm dependencies — travels as the job bundle `sluice submit` builds, so this is refused
   * (SLUICE_BAD_ARGUMENT) naming that: import the code from the job file instead (or ship a
   * data file with sc.addFile).
   */
  addJar(path: string): never {
    throw new SluiceError(
      'SLUICE_BAD_ARGUMENT',
      `sc.addJar('${path}'): Sluice ships a job's code as its bundle: \`sluice submit\` bundles the job file with everything it imports (its npm dependencies included), and every worker loads that bundle; import the code from the job file instead, or add a data file with sc.addFile`,
    );
  }

  /** @deprecated Not provided (Hadoop SequenceFiles): read what rdd.saveAsObjectFile wrote with sc.objectFile, or text with sc.textFile. */
  sequenceFile(...args: never[]): never {
    void args;
    return notProvided('sc.sequenceFile', HADOOP_INPUT, READ_INSTEAD);
  }

  /** @deprecated Not provided (Hadoop InputFormats): use sc.textFile, sc.wholeTextFiles, sc.binaryFiles or sc.objectFile. */
  hadoopFile(...args: never[]): never {
    void args;
    return notProvided('sc.hadoopFile', HADOOP_INPUT, READ_INSTEAD);
  }

  /** @deprecated Not provided (Hadoop InputFormats): use sc.textFile, sc.wholeTextFiles, sc.binaryFiles or sc.objectFile. */
  newAPIHadoopFile(...args: never[]): never {
    void args;
    return notProvided('sc.newAPIHadoopFile', HADOOP_INPUT, READ_INSTEAD);
  }

  /** @deprecated Not provided (Hadoop InputFormats): use sc.textFile, sc.wholeTextFiles, sc.binaryFiles or sc.objectFile. */
  hadoopRDD(...args: never[]): never {
    void args;
    return notProvided('sc.hadoopRDD', HADOOP_INPUT, READ_INSTEAD);
  }

  /** @deprecated Not provided (Hadoop InputFormats): use sc.textFile, sc.wholeTextFiles, sc.binaryFiles or sc.objectFile. */
  newAPIHadoopRDD(...args: never[]): never {
    void args;
    return notProvided('sc.newAPIHadoopRDD', HADOOP_INPUT, READ_INSTEAD);
  }

  /** @deprecated Not provided: Sluice has no SparkConf. */
  getConf(...args: never[]): never {
    void args;
    return notProvided(
      'sc.getConf()',
      'Sluice has no SparkConf: a job is configured by the flags of sluice submit, sluice run and sluice driver',
      'read sc.appName, sc.master, sc.applicationId, sc.defaultParallelism or sc.getLocalProperty(key) for what Spark keeps there',
    );
  }

  /** Spark's `sc.listJars()`: none, as `addJar` is refused (a job's code ships as its bundle). Since 2026-12-05. */
  listJars(): string[] {
    return [];
  }

  /** Spark's LongAccumulator: the sum, count and mean of the integers tasks add (see LongAccumulator). */
  longAccumulator(name?: string): LongAccumulator {
    this.assertNotStopped('sc.longAccumulator');
    const acc = new LongAccumulator({ id: this.nextSharedId++, kind: 'long', name }, undefined, this.newSharedId);
    this.track(acc);
    return acc;
  }

  /** Spark's DoubleAccumulator: the sum, count and mean of the numbers tasks add (see DoubleAccumulator). */
  doubleAccumulator(name?: string): DoubleAccumulator {
    this.assertNotStopped('sc.doubleAccumulator');
    const acc = new DoubleAccumulator({ id: this.nextSharedId++, kind: 'double', name }, undefined, this.newSharedId);
    this.track(acc);
    return acc;
  }

  collectionAccumulator<T>(name?: string): Accumulator<T[]> {
    this.assertNotStopped('sc.collectionAccumulator');
    return this.track(new Accumulator<T[]>({ id: this.nextSharedId++, kind: 'collection', name }, undefined, this.newSharedId));
  }

  /** What sc.addFile added (copied into this thread's files directory and announced to the driver). */
  private readonly addedFiles = new AddedFiles(
    (ref: AddedFileRef) => this.backend.addFile?.(ref),
    (message, fields) => this.log('warn', message, { component: 'added-files', ...fields }),
  );

  /** What a broadcast's unpersist() and destroy() tell: the workers drop their copies; destroy, the value served too. */
  private readonly broadcastOwner: BroadcastOwner = {
    removeBroadcast: async (broadcast, fromDriver) => {
      // Destroyed: nothing left to clean once it is collected.
      if (fromDriver) this.cleaner?.forget(broadcast);
      return this.backend.removeBroadcast?.(broadcast.id, fromDriver);
    },
  };

  /** Ids of broadcasts and accumulators (and accumulators' copies, which are not registered). */
  private readonly newSharedId = (): number => this.nextSharedId++;

  private track<T>(acc: Accumulator<T>): Accumulator<T> {
    this.accumulators.set(acc.id, acc as Accumulator<unknown>);
    return acc;
  }

  /**
   * Registers a user's own accumulator, an instance of an AccumulatorV2 subclass, as Spark's
   * `sc.register(acc, name)`: tasks may then capture it, and each successful partition's copy
   * is merged into it (see AccumulatorV2). Registering one twice is SLUICE_BAD_ARGUMENT.
   */
  register<IN, OUT>(acc: AccumulatorV2<IN, OUT>, name?: string): void {
    this.assertNotStopped('sc.register');
    const id = this.nextSharedId;
    AccumulatorV2.register(acc as unknown as AccumulatorV2<never, unknown>, id, name);
    this.nextSharedId++;
    this.accumulators.set(id, acc);
  }

  /**
   * Directory where checkpointed RDDs are written; every worker and the driver must reach
   * it: a path on a file system all hosts share (or `file:///...`), or a location another
   * package provides, such as `s3://bucket/prefix` with `import '@sluice/s3'` in the job file.
   */
  setCheckpointDir(dir: string): void {
    this.setCheckpointDirFor(dir, 'sc.setCheckpointDir');
  }

  /**
   * Spark's `sc.getCheckpointDir`: the checkpoint directory sc.setCheckpointDir (or
   * ssc.checkpoint) set, as it was normalized (an absolute path, or the `s3://...` location), or
   * undefined (Spark's None) before; Spark's is a fresh subdirectory of the one given, named by a
   * UUID, where Sluice writes into the one given. Since 2026-12-05.
   */
  getCheckpointDir(): string | undefined {
    return this.checkpointDirectory;
  }

  /** @internal setCheckpointDir as `caller` (ssc.checkpoint sets it too), which its errors name. */
  setCheckpointDirFor(dir: string, caller: string): void {
    const location = normalizeCheckpointLocation(dir, caller);
    // An unknown scheme (or a connector the job did not import) fails here, at the call.
    openCheckpointStore(location);
    if (locationScheme(location) === undefined) {
      try {
        makeDirectorySync(location);
      } catch (err) {
        throw new SluiceError('SLUICE_CHECKPOINT', `${caller}: cannot create the checkpoint directory '${location}': ${checkpointDirProblem(location, err)}`, { cause: err });
      }
    }
    this.checkpointDirectory = location;
    this.checkpointReady = undefined;
    this.backend.checkpointDirSet?.(location);
  }

  /**
   * @internal The checkpoint directory's store, once it was checked to be writable (an
   * object store's bucket reachable with the credentials given): a clear error before
   * the first checkpoint is written otherwise.
   */
  async checkpointStore(): Promise<CheckpointStore> {
    if (this.checkpointDirectory === undefined) {
      throw new SluiceError('SLUICE_CHECKPOINT', 'no checkpoint directory: call sc.setCheckpointDir(dir) (or ssc.checkpoint(dir)) first');
    }
    const store = openCheckpointStore(this.checkpointDirectory);
    this.checkpointReady ??= store.ensure();
    try {
      await this.checkpointReady;
    } catch (err) {
      this.checkpointReady = undefined; // checked again next time
      throw err;
    }
    return store;
  }

  // ---- internals used by RDD ---------------------------------------------------------

  /** @internal */
  newRddId(): number {
    this.assertNotStopped('making an RDD');
    return this.nextRddId++;
  }

  /** @internal */
  newShuffleId(): number {
    return this.nextShuffleId++;
  }

  /** @internal */
  ship(fn: Function, operator: string): ShippedFunction {
    if (typeof fn !== 'function') throw new SluiceError('SLUICE_BAD_ARGUMENT', `${operator}: expected a function, got ${typeof fn}`);
    return captureClosure(fn, operator, undefined, this.captureWarned);
  }

  /**
   * @internal Check, where the user calls a DStream operator (`dstream.map`), that `fn` can
   * be shipped, as Spark cleans a DStream's closures at definition: the batches' RDDs ship
   * it again each batch, where no stack frame is the user's. Remembers the operator and
   * the user's call for the errors and warnings of that later shipping.
   */
  checkShippable(fn: Function, operator: string): void {
    const callSite = userCallSite();
    if (typeof fn !== 'function') throw new SluiceError('SLUICE_BAD_ARGUMENT', `${operator} at ${callSite}: expected a function, got ${fn === null ? 'null' : typeof fn}`);
    captureClosure(fn, operator, callSite, this.captureWarned);
    rememberShipOrigin(fn, { operator, callSite });
  }

  /** Capture warnings already logged (a DStream's functions are shipped again every batch): each is logged once. */
  private readonly captureWarnings = new Set<string>();

  private readonly captureWarned = (w: CaptureWarning): void => {
    const key = JSON.stringify(w.fields);
    if (this.captureWarnings.has(key)) return;
    this.captureWarnings.add(key);
    this.log('warn', w.message, { component: 'closure', ...w.fields });
  };

  /** @internal */
  cogroupInternal(rdds: RDD<[unknown, unknown]>[], partitioner: Partitioner): RDD<[unknown, unknown[][]]> {
    const deps: ParentLink[] = [];
    const shuffles: (ShuffleSpec | null)[] = [];
    for (const r of rdds) {
      if (partitionerEquals(r.partitioner, partitioner)) {
        deps.push({ type: 'narrow', rdd: r as RDD<unknown> });
        shuffles.push(null);
      } else {
        const spec: ShuffleSpec = { shuffleId: this.newShuffleId(), partitioner, mapSideCombine: false };
        deps.push({ type: 'shuffle', rdd: r as RDD<unknown>, spec });
        shuffles.push(spec);
      }
    }
    return new RDD(this, partitioner.numPartitions, { kind: 'cogroup', shuffles }, deps, partitioner);
  }

  /** @internal Drop `shuffleId`'s outputs once `rdd` (the RDD that reads it) is garbage. */
  trackShuffle(rdd: RDD<unknown>, shuffleId: number): void {
    if (this.backend.referenceTracking === false) return;
    this.shuffleCleaner.register(rdd, shuffleId);
  }

  /** @internal */
  removeShuffles(shuffleIds: readonly number[]): void {
    if (shuffleIds.length > 0) this.backend.removeShuffles?.(shuffleIds);
  }

  /** @internal */
  async removeRdd(rddId: number): Promise<void> {
    await this.backend.removeRdd(rddId);
  }

  /**
   * Spark's setJobGroup: the actions started from now on (until clearJobGroup or another
   * setJobGroup) belong to `groupId`, which cancelJobGroup(groupId) cancels; `description`
   * describes their jobs (the status page's, the logs'). The driver program is one thread, so
   * the group is the program's where Spark's is the calling thread's. Tasks of a cancelled job
   * are always killed, as Spark's with `interruptOnCancel` true (the flag is kept as the local
   * property spark.job.interruptOnCancel, as Spark's).
   */
  setJobGroup(groupId: string, description?: string, interruptOnCancel = false): void {
    this.runningActions.setJobGroup(groupId, description, interruptOnCancel);
  }

  /**
   * Spark's setInterruptOnCancel: the local property spark.job.interruptOnCancel, `'true'` or
   * `'false'`, for the actions started from now on (tasks of a cancelled job are always killed,
   * see setJobGroup). Since 2026-12-05.
   */
  setInterruptOnCancel(interruptOnCancel: boolean): void {
    if (typeof interruptOnCancel !== 'boolean') throw new SluiceError('SLUICE_BAD_ARGUMENT', `sc.setInterruptOnCancel: expected true or false, got ${typeof interruptOnCancel}`);
    this.runningActions.setLocalProperty(JOB_INTERRUPT_ON_CANCEL, String(interruptOnCancel));
  }

  /** Spark's clearJobGroup: the actions started from now on belong to no group and have no description. */
  clearJobGroup(): void {
    this.runningActions.clearJobGroup();
  }

  /** Spark's setJobDescription: the description of the jobs of the actions started from now on (undefined or null: none). */
  setJobDescription(description: string | null | undefined): void {
    this.runningActions.setLocalProperty(JOB_DESCRIPTION, description);
  }

  /**
   * Spark's setLocalProperty: a property of the actions started from now on; null or undefined
   * removes it. Sluice reads 'spark.jobGroup.id', 'spark.job.description' and 'spark.job.tags'
   * (what setJobGroup, setJobDescription and addJobTag set); others are kept for the program.
   */
  setLocalProperty(key: string, value: string | null | undefined): void {
    this.runningActions.setLocalProperty(key, value);
  }

  /** Spark's getLocalProperty: the value set, or undefined (Spark's null). */
  getLocalProperty(key: string): string | undefined {
    return this.runningActions.getLocalProperty(key);
  }

  /**
   * Spark's spark.scheduler.mode (and spark.scheduler.allocation.file): how the program's
   * concurrent jobs share the cluster's cores, from now on. 'FIFO' (the default): the first
   * job's stages take every slot they can use, later jobs' get what is left. 'FAIR': the stages
   * run in pools (the local property 'spark.scheduler.pool' when the action is called, else the
   * pool 'default') that share the cores by Spark's FairSchedulingAlgorithm: a pool below its
   * minShare first, then the one with the fewest running tasks per unit of weight; within a pool
   * by its schedulingMode (FIFO by job then stage, or FAIR). The pools' settings come from
   * `options.allocationFile` (Spark's fairscheduler.xml, read now, a relative path against
   * sc.workingDirectory); a pool named by the property but not in the file is made with
   * Spark's defaults (FIFO, weight 1, minShare 0). A mode other than FIFO or FAIR, or a file
   * that cannot be read or holds a bad value, is SLUICE_BAD_ARGUMENT naming the file, pool and field.
   */
  setSchedulerMode(mode: SchedulingMode, options: SchedulerModeOptions = {}): void {
    const m = schedulingModeOf(mode, 'sc.setSchedulerMode');
    if (options === null || typeof options !== 'object') throw new SluiceError('SLUICE_BAD_ARGUMENT', `sc.setSchedulerMode: the options must be an object ({ allocationFile }), got ${typeof options}`);
    const file = options.allocationFile;
    if (file !== undefined && (typeof file !== 'string' || file === '')) throw new SluiceError('SLUICE_BAD_ARGUMENT', `sc.setSchedulerMode: allocationFile must be a non-empty path, got ${JSON.stringify(file) ?? String(file)}`);
    const pools = file === undefined ? [defaultPool(DEFAULT_POOL_NAME)] : readAllocationFile(path.resolve(this.workingDirectory, file));
    this.backend.setScheduler?.({ mode: m, pools });
    this.schedulingMode = m;
    this.pools = new Map(m === 'FAIR' ? pools.map((p) => [p.name, p]) : []);
  }

  /** FAIR's pools by name: the allocation file's (and 'default'), then those actions named (FairSchedulableBuilder makes one with Spark's defaults); none under FIFO. */
  private pools = new Map<string, Schedulable>();

  /**
   * Spark's getAllPools: the fair scheduler's pools (`name`, `minShare`, `weight`,
   * `schedulingMode`), those of sc.setSchedulerMode('FAIR', { allocationFile }) and 'default',
   * then each pool an action named by the local property 'spark.scheduler.pool' that the file
   * has not, with Spark's defaults (FIFO, weight 1, minShare 0), as FairSchedulableBuilder makes
   * it; none in FIFO mode (Spark's root pool then holds its task sets, not pools). Since 2026-12-06.
   */
  getAllPools(): Schedulable[] {
    this.assertNotStopped('sc.getAllPools');
    return [...this.pools.values()];
  }

  /** Spark's getPoolForName: the pool of that name (see getAllPools), else undefined (Spark's None). Since 2026-12-06. */
  getPoolForName(pool: string): Schedulable | undefined {
    this.assertNotStopped('sc.getPoolForName');
    if (typeof pool !== 'string') throw new SluiceError('SLUICE_BAD_ARGUMENT', `sc.getPoolForName: the pool's name must be a string, got ${typeof pool}`);
    return this.pools.get(pool);
  }

  /**
   * Spark's uiWebUrl: the URL of the driver's web UI (its status pages and REST API under
   * `/api/v1`), `http://HOST:PORT` (https with TLS), HOST the driver's bind address; undefined
   * when the driver runs without one (no --web-port), as Spark's None with spark.ui.enabled
   * false. Since 2026-12-06.
   */
  get uiWebUrl(): string | undefined {
    return this.backend.uiWebUrl;
  }

  /**
   * Spark's deployMode: where the driver runs, 'client' or 'cluster'. The driver program runs in
   * the driver's process (`sluice run`, or the driver `sluice submit` sends it to), as Spark's
   * client mode: always 'client'. Since 2026-12-06.
   */
  get deployMode(): 'client' | 'cluster' {
    return 'client';
  }

  /**
   * Spark's setCallSite(shortCallSite): the local property 'callSite.short', which names the
   * jobs of the actions started from now on (the REST API's jobs' `name`, their result stage's
   * name, the listeners' StageInfo.name) in place of the action's own call site
   * (`collect at job.ts:12:5`), as Spark's getCallSite. Since 2026-12-06.
   */
  setCallSite(shortCallSite: string): void {
    if (typeof shortCallSite !== 'string') throw new SluiceError('SLUICE_BAD_ARGUMENT', `sc.setCallSite: the call site must be a string, got ${typeof shortCallSite}`);
    this.runningActions.setLocalProperty(CALL_SITE_SHORT, shortCallSite);
  }

  /** Spark's clearCallSite: the actions started from now on are named by their own call site again. Since 2026-12-06. */
  clearCallSite(): void {
    this.runningActions.setLocalProperty(CALL_SITE_SHORT, undefined);
    this.runningActions.setLocalProperty(CALL_SITE_LONG, undefined);
  }

  /** The mode sc.setSchedulerMode set last. */
  private schedulingMode: SchedulingMode = 'FIFO';

  /** Spark's `sc.getSchedulingMode`: 'FIFO' (the default) or 'FAIR', as sc.setSchedulerMode set it last. Since 2026-12-05. */
  getSchedulingMode(): SchedulingMode {
    return this.schedulingMode;
  }

  /** @internal The local properties the calling code sees, copied (a StreamingContext saves them at start). */
  localPropertiesSnapshot(): Map<string, string> {
    return this.runningActions.snapshot();
  }

  /** @internal Run `fn` with its own copy of `properties` as the local properties (a streaming output operation). */
  runWithLocalProperties<T>(properties: ReadonlyMap<string, string>, fn: () => T): T {
    return this.runningActions.runWithLocalProperties(properties, fn);
  }

  /**
   * Spark's cancelJobGroup: every running action started in `groupId` fails with
   * SLUICE_CANCELLED and its tasks are killed (as FutureAction.cancel()). Returns how many were cancelled.
   */
  cancelJobGroup(groupId: string): number {
    return this.runningActions.cancelJobGroup(groupId);
  }

  /**
   * Spark's cancelJobGroupAndFutureJobs: cancelJobGroup(groupId), and every action started in
   * `groupId` later fails at once with SLUICE_CANCELLED ("... part of cancelled job group
   * <groupId>"); the last 1,000 groups so cancelled are remembered, as Spark's. Returns how many
   * running actions were cancelled.
   */
  cancelJobGroupAndFutureJobs(groupId: string): number {
    return this.runningActions.cancelJobGroupAndFutureJobs(groupId);
  }

  /**
   * Spark's addJobTag: the actions started from now on carry `tag` (until removeJobTag or
   * clearJobTags), and cancelJobsWithTag(tag) cancels them. A tag is a non-empty string
   * without ',' (SLUICE_BAD_ARGUMENT, with Spark's messages).
   */
  addJobTag(tag: string): void {
    this.runningActions.addJobTag(tag);
  }

  /** Spark's removeJobTag: actions started from now on no longer carry `tag`. */
  removeJobTag(tag: string): void {
    this.runningActions.removeJobTag(tag);
  }

  /** Spark's getJobTags: the tags actions started now carry. */
  getJobTags(): Set<string> {
    return this.runningActions.getJobTags();
  }

  /** Spark's clearJobTags. */
  clearJobTags(): void {
    this.runningActions.clearJobTags();
  }

  /** Spark's cancelJobsWithTag: every running action started with `tag` fails with SLUICE_CANCELLED, its tasks killed. Returns how many. */
  cancelJobsWithTag(tag: string): number {
    return this.runningActions.cancelJobsWithTag(tag);
  }

  /** @internal A non-graceful StreamingContext.stop: the actions of the batches still running fail with SLUICE_CANCELLED. Returns how many. */
  cancelStreamingJobs(): number {
    return this.runningActions.cancelStreaming();
  }

  /**
   * Spark's stop: stops the program's active StreamingContext (not gracefully), cancels every
   * running action (SLUICE_CANCELLED) and ends the context: making an RDD, a broadcast or an
   * accumulator, or running an action, is SLUICE_BAD_ARGUMENT afterwards ("Cannot call methods on
   * a stopped SparkContext", naming where it was stopped). Stopping it again does nothing, as
   * Spark's. The job itself ends when its function returns, as before. Called inside a
   * SparkListener or StreamingListener callback it throws there (SLUICE_BAD_ARGUMENT), as Spark's
   * "Cannot stop SparkContext within listener bus thread.", and nothing stops.
   */
  stop(): Promise<void> {
    if (this.listenerDepth > 0) {
      throw new SluiceError(
        'SLUICE_BAD_ARGUMENT',
        'Cannot stop SparkContext within listener bus thread. sc.stop() was called inside a SparkListener or StreamingListener callback, as Spark refuses it; stop it from the driver program (resolve a promise in the listener and stop where it is awaited)',
      );
    }
    return this.stopOutsideListeners();
  }

  private async stopOutsideListeners(): Promise<void> {
    if (this.stoppedAt !== undefined) return;
    this.stoppedAt = userCallSite();
    if (this.cleaner !== undefined) this.cleaner.stopped = true;
    for (const hook of [...this.stopHooks]) await hook();
    this.runningActions.cancelAll();
  }

  /** Spark's isStopped. */
  get isStopped(): boolean {
    return this.stoppedAt !== undefined;
  }

  private assertNotStopped(what: string): void {
    if (this.stoppedAt !== undefined) {
      throw new SluiceError('SLUICE_BAD_ARGUMENT', `${what}: Cannot call methods on a stopped SparkContext (sc.stop() at ${this.stoppedAt}); do this before sc.stop()`);
    }
  }

  /** Spark's cancelAllJobs: every running action of the program fails with SLUICE_CANCELLED. Returns how many. */
  cancelAllJobs(): number {
    return this.runningActions.cancelAll();
  }

  /**
   * Spark's cancelJob: the program's running job `jobId` (a FutureAction's jobIds, the status
   * pages' job id) fails with SLUICE_CANCELLED ("action <jobId> of job <run> was cancelled", then
   * `: <reason>` when given) and its tasks are killed, as FutureAction.cancel(); the action that
   * ran it rejects with that error. A job that is not running (ended, unknown) is left alone.
   * Asynchronous, as Spark's: it returns before the job ended.
   */
  cancelJob(jobId: number, reason?: string): void {
    this.backend.cancelJob?.(idArgument('sc.cancelJob', 'job id', jobId), reasonArgument('sc.cancelJob', reason));
  }

  /**
   * Spark's killTaskAttempt: kills the program's running task attempt `taskId` (the id
   * TaskContext.taskAttemptId(), a SparkListener's taskInfo.taskId and the REST API's tasks give,
   * a string where Spark's is a Long) with `reason`; the task runs again, and the kill does not
   * count toward its failures (Spark's TaskKilled: spark.task.maxFailures, --task-max-failures),
   * as a SparkListener's onTaskEnd tells (`TaskKilled`, its killReason `reason`). Returns whether
   * such an attempt was running (false for one ended or unknown: nothing done), as Spark's; the
   * attempt ends asynchronously. The attempt is stopped either way: `interruptThread` is taken
   * for Spark's signature only.
   */
  killTaskAttempt(taskId: string, interruptThread = true, reason = 'killed via SparkContext.killTaskAttempt'): boolean {
    if (typeof taskId !== 'string' || taskId === '') throw new SluiceError('SLUICE_BAD_ARGUMENT', `sc.killTaskAttempt: the task id must be a task attempt's id string (TaskContext.taskAttemptId(), a SparkListener's taskInfo.taskId, the REST API's taskId), got ${typeof taskId === 'string' ? '""' : String(taskId)}`);
    if (typeof interruptThread !== 'boolean') throw new SluiceError('SLUICE_BAD_ARGUMENT', `sc.killTaskAttempt: interruptThread must be a boolean, got ${typeof interruptThread}`);
    const why = reasonArgument('sc.killTaskAttempt', reason) ?? 'killed via SparkContext.killTaskAttempt';
    return this.backend.killTaskAttempt?.(taskId, why) ?? false;
  }

  /**
   * Spark's cancelStage: every running job of the program that runs or waits on stage
   * `stageId` (the status pages' stage id: its result stage, or the map stage of a shuffle it
   * reads) fails with SLUICE_CANCELLED ("... was cancelled because stage <stageId> was
   * cancelled", the reason after it in brackets) and its tasks are killed. A stage no running
   * job uses changes nothing. Asynchronous, as Spark's.
   */
  cancelStage(stageId: number, reason?: string): void {
    this.backend.cancelStage?.(idArgument('sc.cancelStage', 'stage id', stageId), reasonArgument('sc.cancelStage', reason));
  }

  /**
   * Spark's runJob: runs `func` on the iterator of each of `partitions` of `rdd` (every partition
   * by default) on the workers, one task a partition, and resolves to their values in the order
   * of `partitions`. `func` may return a Promise (its value taken); the task's context is
   * TaskContext.get() (Spark's `(TaskContext, Iterator) => U` form). A partition index the RDD
   * has not is SLUICE_BAD_ARGUMENT here, as Spark's "Attempting to access a non-existent
   * partition"; no partition, `[]` with no job. The job is named `runJob at <the call>`.
   */
  runJob<T, U>(rdd: RDD<T>, func: (it: IterableIterator<T>) => U | Promise<U>, partitions?: readonly number[]): Promise<U[]> {
    this.assertNotStopped('sc.runJob');
    const parts = jobPartitions('sc.runJob', rdd.numPartitions, partitions);
    const fn = this.ship(func, 'sc.runJob');
    return this.runAction(rdd as RDD<unknown>, { kind: 'runJob', fn }, parts) as Promise<U[]>;
  }

  /**
   * Spark's submitJob: runJob without waiting. `resultHandler(index, result)` is called on the
   * driver as each partition's task ends, `index` its place in `partitions` (not the partition
   * itself), and the FutureAction resolves to `resultFunc()` once every partition's was handled;
   * `cancel()` kills the job's tasks and rejects it with SLUICE_CANCELLED, `jobIds` its job,
   * `isDone()` whether it ended. A `resultHandler` that throws fails the action with its error
   * and cancels the job (Spark's SparkDriverExecutionException). With no partitions it resolves
   * at once (no job).
   */
  submitJob<T, U, R>(rdd: RDD<T>, processPartition: (it: IterableIterator<T>) => U | Promise<U>, partitions: readonly number[], resultHandler: (index: number, result: U) => void, resultFunc: () => R): FutureAction<R> {
    this.assertNotStopped('sc.submitJob');
    const parts = jobPartitions('sc.submitJob', rdd.numPartitions, partitions);
    if (typeof resultHandler !== 'function' || typeof resultFunc !== 'function') throw new SluiceError('SLUICE_BAD_ARGUMENT', `sc.submitJob: resultHandler and resultFunc must be functions, got ${typeof resultHandler} and ${typeof resultFunc}`);
    const fn = this.ship(processPartition, 'sc.submitJob');
    const indexes = new Map<number, number[]>();
    parts.forEach((p, i) => indexes.set(p, [...(indexes.get(p) ?? []), i]));
    return new FutureAction<R>(async (signal, jobStarted) => {
      const handlerFailed = new AbortController();
      let failure: { readonly err: unknown } | undefined;
      const each = (p: number, v: unknown): void => {
        if (failure) return;
        try {
          for (const i of indexes.get(p) ?? []) resultHandler(i, v as U);
        } catch (err) {
          failure = { err };
          handlerFailed.abort();
        }
      };
      try {
        await this.runAction(rdd as RDD<unknown>, { kind: 'runJob', fn }, parts, each, AbortSignal.any([signal, handlerFailed.signal]), jobStarted);
      } catch (err) {
        throw failure ? failure.err : err;
      }
      if (failure) throw failure.err;
      return resultFunc();
    });
  }

  /**
   * @internal Run one action over `rdd`: prepare what its lineage needs (range bounds,
   * zipWithIndex offsets), run the job, apply accumulator updates, then write any
   * checkpoint requested on the lineage. Returns one value per partition.
   */
  async runAction(rdd: RDD<unknown>, action: ActionSpec, partitions?: readonly number[], onPartition?: (partition: number, value: unknown) => void, signal?: AbortSignal, onJobStart?: (jobId: number) => void): Promise<unknown[]> {
    this.assertNotStopped('running an action');
    // The action's call site (Spark's sc.getCallSite in runJob): its job and result stage are named by it.
    // sc.setCallSite's, when set (Spark's getCallSite reads the property first).
    const callSite = this.getLocalProperty(CALL_SITE_SHORT) ?? currentCreationSite();
    // The program's frames now, read only if the job fails: its error's Driver stacktrace.
    const driverStack = laterUserCallStack();
    // In the job group set when the action was called (before any await: the program may set another meanwhile).
    const running = this.runningActions.start(signal);
    if (this.schedulingMode === 'FAIR') {
      const pool = running.pool ?? DEFAULT_POOL_NAME;
      if (!this.pools.has(pool)) this.pools.set(pool, defaultPool(pool));
    }
    try {
      await this.prepareLineage(rdd);
      const parts = partitions ?? Array.from({ length: rdd.numPartitions }, (_, i) => i);
      if (parts.length === 0) {
        // Spark's SparkContext.runJob checkpoints the RDD after its job (rdd.doCheckpoint()) with no
        // partition to run too: an RDD of none marked for checkpoint is checkpointed by its first action.
        if (action.kind !== 'writeCheckpoint') await this.writeCheckpoints(rdd);
        return [];
      }
      if (running.signal.aborted) throw running.signal.reason instanceof SluiceError ? running.signal.reason : cancelledBeforeStart();
      const each = onPartition && ((p: number, v: unknown): void => onPartition(p, fromWire(v)));
      const run = (): Promise<JobRunResult> => this.backend.runJob(rdd.lineage(callSite), action, parts, each, running.signal, onJobStart);
      const described = (): Promise<JobRunResult> => (running.description === undefined ? run() : runWithJobDescription(running.description, run));
      // Its tasks' accumulator updates were merged as each ended (mergeTaskAccumulators).
      const result = await (running.group === undefined && running.tags.length === 0 && running.pool === undefined ? described() : runInJobGroup({ group: running.group, tags: running.tags, pool: running.pool }, described));
      if (action.kind !== 'writeCheckpoint') await this.writeCheckpoints(rdd);
      // Instances of the job's classes come back tagged from the workers: revive them here.
      return result.values.map((v) => fromWire(v));
    } catch (err) {
      throw withDriverStack(err, driverStack);
    } finally {
      running.done();
    }
  }

  /**
   * @internal Write `rdd` as a text directory, atomically: the parts and `_SUCCESS` go to a
   * hidden temporary directory next to `dir`, renamed to `dir` once whole, so a reader never
   * sees half a directory. With `replace` (saveAsTextFiles, whose re-run batches write their
   * directory again) an existing `dir` is replaced; without, it is an error, as in Spark, but for
   * a save in a streaming batch's output operation, which replaces it too (SPARK-4835). Hidden leftovers of an earlier attempt killed mid-write are removed first.
   * Each task attempt writes its part in a folder of its own under the temporary directory's
   * `_temporary/` and renames it into the directory once whole (writeLocalPart, as Hadoop's
   * FileOutputCommitter); `_temporary/` is moved out (hidden, then removed) before the
   * directory is renamed into place, so an attempt still writing then (killed, or on a worker
   * frozen, declared lost and woken) writes nothing into the committed directory.
   */
  async saveAsTextFile(rdd: RDD<unknown>, dir: string, options: { replace?: boolean | undefined; codec?: CompressionCodec | undefined } = {}): Promise<void> {
    await this.saveAsDirectory(rdd, dir, 'saveAsTextFile', options);
  }

  /** @internal saveAsTextFile's atomic directory, with part files in the object-file format (codec/object-file.ts). */
  async saveAsObjectFile(rdd: RDD<unknown>, dir: string, options: { replace?: boolean | undefined } = {}): Promise<void> {
    await this.saveAsDirectory(rdd, dir, 'saveAsObjectFile', options);
  }

  private async saveAsDirectory(rdd: RDD<unknown>, dir: string, kind: 'saveAsTextFile' | 'saveAsObjectFile', given: { replace?: boolean; codec?: CompressionCodec }): Promise<void> {
    // In a streaming batch's output operation an existing directory is written over, as Spark's
    // JobHandler runs a batch's jobs with output-spec validation off (SPARK-4835): a batch run
    // again after a recovery writes the directory its first run wrote (`foreachRDD((rdd, time) =>
    // rdd.saveAsTextFile(`out-${time}`))`), where refusing it failed the recovered job.
    const options = currentOutputOperation() === undefined ? given : { ...given, replace: true };
    const fsys = fileSystemFor(dir, kind);
    if (fsys) {
      if (options.codec !== undefined) throw new SluiceError('SLUICE_BAD_ARGUMENT', `${kind}('${dir}', '${options.codec}'): compressed parts are written to a path on a file system only; save plain text there`);
      if (kind !== 'saveAsTextFile') throw new SluiceError('SLUICE_BAD_ARGUMENT', `${kind}('${dir}'): object files go to a path on a file system only; save text with saveAsTextFile(s) there`);
      await this.saveOn(fsys, rdd, dir, { operation: kind, replace: options.replace === true });
      return;
    }
    const abs = resolveJobPath(dir);
    const exists = (): boolean => fs.existsSync(abs);
    if (!options.replace && exists()) {
      throw new SluiceError('SLUICE_IO', `${kind}: output directory '${abs}' already exists; remove it or choose another path`);
    }
    const parent = path.dirname(abs);
    const base = path.basename(abs);
    const leftover = `.${base}.sluice-`;
    let names: string[];
    try {
      makeDirectorySync(parent);
      names = fs.readdirSync(parent);
    } catch (err) {
      throw new SluiceError('SLUICE_IO', `${kind}: cannot prepare '${parent}': ${(err as Error).message}`, { cause: err });
    }
    for (const n of names) {
      if (!n.startsWith(leftover)) continue;
      try {
        fs.rmSync(path.join(parent, n), { recursive: true, force: true });
      } catch (err) {
        // A task of the killed attempt may still be writing into it: hidden, and removed by a later save.
        this.log('warn', `${kind}: cannot remove what an earlier attempt left`, { component: 'save', dir: path.join(parent, n), err: (err as Error).message });
      }
    }
    const unique = `${this.jobId}-${process.pid}-${Math.random().toString(36).slice(2)}`;
    const tmp = path.join(parent, `${leftover}tmp-${unique}`);
    /** Where the task attempts' folders go once the tasks are done (hidden, removed by this save or a later one). */
    const attempts = path.join(parent, `${leftover}attempts-${unique}`);
    fs.mkdirSync(tmp);
    fs.mkdirSync(path.join(tmp, ATTEMPTS_DIR));
    let moved = false;
    try {
      await this.runAction(rdd, kind === 'saveAsTextFile' && options.codec !== undefined ? { kind, dir: tmp, codec: options.codec } : { kind, dir: tmp });
      // Every part is in place; an attempt still running writes under _temporary/, which leaves
      // the directory now: its later writes go to the moved folder, its rename finds no source.
      fs.renameSync(path.join(tmp, ATTEMPTS_DIR), attempts);
      moved = true;
      fs.writeFileSync(path.join(tmp, '_SUCCESS'), '');
      if (exists()) {
        if (!options.replace) throw new SluiceError('SLUICE_IO', `${kind}: output directory '${abs}' appeared while it was written; remove it or choose another path`);
        const old = path.join(parent, `${leftover}old-${unique}`);
        fs.renameSync(abs, old);
        fs.renameSync(tmp, abs);
        // The output is in place: the one it replaced that cannot be removed (a file in it held
        // open on NFS, a subdirectory not writable) is hidden, removed by a later save, and does
        // not fail this one.
        try {
          fs.rmSync(old, { recursive: true, force: true });
        } catch (rmErr) {
          this.log('warn', `${kind}: cannot remove the output it replaced`, { component: 'save', dir: old, err: (rmErr as Error).message });
        }
      } else fs.renameSync(tmp, abs);
      // The attempts' folders (emptied by their renames; a late attempt's file) that cannot be
      // removed are hidden, removed by a later save, and do not fail this one.
      try {
        fs.rmSync(attempts, { recursive: true, force: true });
      } catch (rmErr) {
        this.log('warn', `${kind}: cannot remove what its task attempts left`, { component: 'save', dir: attempts, err: (rmErr as Error).message });
      }
    } catch (err) {
      // The save's own error is what the user acts on: a temporary directory that cannot be
      // removed either (its parent made read-only meanwhile) is hidden, and removed by a later save.
      for (const d of moved ? [tmp, attempts] : [tmp]) {
        try {
          fs.rmSync(d, { recursive: true, force: true });
        } catch (rmErr) {
          this.log('warn', `${kind}: cannot remove the failed save's temporary directory`, { component: 'save', dir: d, err: (rmErr as Error).message });
        }
      }
      if (!(err instanceof SluiceError) && isNotWritable(err)) {
        // Every rename here puts a directory into the output's parent: a refused one is the parent's refusal.
        const e = err as NodeJS.ErrnoException;
        const refusing = e.syscall === 'rename' ? parent : path.dirname(e.path ?? tmp);
        throw new SluiceError('SLUICE_IO', `${kind}: cannot finish output directory '${abs}': ${(err as Error).message}: ${notWritableFix(refusing, err, 'save to a directory elsewhere')}`, { cause: err });
      }
      throw err;
    }
  }

  /** saveAsTextFile on a registered file system: its committer's setup, the tasks' writes, then commit (or abort). */
  private async saveOn(fsys: FileSystem, rdd: RDD<unknown>, dir: string, options: SaveOptions): Promise<void> {
    await fsys.setupSave(dir, options);
    let parts: unknown[];
    try {
      parts = await this.runAction(rdd, { kind: 'saveAsTextFile', dir, fsSettings: fsys.settings?.() });
    } catch (err) {
      try {
        await fsys.abortSave(dir, options);
      } catch (abortErr) {
        this.log('warn', 'cannot remove what the failed save wrote', { component: 'save', dir, err: (abortErr as Error).message });
      }
      throw err;
    }
    const fields = await fsys.commitSave(dir, parts, options);
    this.log('info', 'output committed', { component: 'save', operation: options.operation, dir, ...fields });
  }

  /**
   * @internal Run `action` over every partition of `rdd` now, blocking the driver program, as
   * Spark runs a RangePartitioner's sampling job while sortByKey makes its RDD. Undefined when
   * that cannot be done, and the caller runs the job lazily (in a prepare): the backend cannot
   * block, or the lineage holds work of its own to do first (an RDD's prepare). While a
   * StreamingContext is active it runs now wherever it is called: as a batch is generated (a
   * transform's function: `transform(rdd => rdd.sortByKey())`), as Spark's JobGenerator runs a
   * RangePartitioner's sampling job in generateJobs; in an output operation (foreachRDD's
   * function), as Spark's JobHandler does; and in the program's own code (a sort after start()),
   * as Spark's runs on the program's thread. The batches are generated on this thread, so the
   * job holds up the next batch's generation (not its time) for as long, where Spark's would
   * block only the calling thread (before 2026-12-07, the program's own code sampled
   * lazily instead, at the sort's first job, and a reduceByKey after it shuffled again by hash).
   * The sort's partitioner then has its bounds, so a reduceByKey or a join after it reuses it
   * as Spark's does (2 stages, not the 3 of a hash shuffle after the sort).
   * Its tasks' accumulator updates are merged before it returns; checkpoints wait for the next action.
   */
  runActionNow(rdd: RDD<unknown>, action: ActionSpec): unknown[] | undefined {
    this.assertNotStopped('running an action');
    const runJobSync = this.backend.runJobSync;
    if (runJobSync === undefined || lineageNeedsPrepare(rdd)) return undefined;
    const parts = Array.from({ length: rdd.numPartitions }, (_, i) => i);
    if (parts.length === 0) return [];
    // In the job group, with the description, tags and pool set now, as runAction's job (Spark's
    // sampling job runs with the calling thread's local properties: an output operation's batch).
    const running = this.runningActions.start(undefined);
    try {
      // A job group cancelled with cancelJobGroupAndFutureJobs: refused, as runAction's.
      const refused: unknown = running.signal.aborted ? running.signal.reason : undefined;
      if (refused !== undefined) throw refused instanceof SluiceError ? refused : cancelledBeforeStart();
      const run = (): JobRunResult => runJobSync.call(this.backend, rdd.lineage(this.getLocalProperty(CALL_SITE_SHORT) ?? currentCreationSite()), action, parts);
      const described = (): JobRunResult => (running.description === undefined ? run() : runWithJobDescription(running.description, run));
      const result = running.group === undefined && running.tags.length === 0 && running.pool === undefined ? described() : runInJobGroup({ group: running.group, tags: running.tags, pool: running.pool }, described);
      return result.values.map((v) => fromWire(v));
    } finally {
      running.done();
    }
  }

  /**
   * Merge a successful task's updates into the accumulators as it ends, as Spark's
   * DAGScheduler.updateAccumulators (so they show while its action runs, and count even when
   * the action then fails). A named accumulator the task changed (a non-zero update) has, for
   * the task's stage attempt, its value after the merge: the last such value per stage attempt
   * and accumulator goes to the driver for the stage's REST record, once per turn; and while
   * the program has SparkListeners, the task's end and its stage's completion carry them
   * (Spark's TaskInfo.accumulables and StageInfo.accumulables).
   */
  private mergeTaskAccumulators(u: TaskAccumulatorUpdates): void {
    const listened = this.sparkListeners.size > 0;
    const infos: AccumulableInfo[] = [];
    for (const [key, update] of Object.entries(fromWire<Record<string, unknown>>(u.updates))) {
      const id = Number(key);
      const acc = this.accumulators.get(id);
      if (acc === undefined) continue;
      // An accumulator of the program's own class whose merge (or value, isZero) throws is
      // logged and left as it was; the task's other accumulators are merged, and its action goes
      // on, as Spark's updateAccumulators catches NonFatal ("Failed to update accumulator").
      try {
        acc.mergeUpdate(update);
        if (acc.name === undefined || acc.isZeroUpdate(update)) continue;
        if (this.backend.reportAccumulables) {
          if (this.accumulablesToReport.size === 0) queueMicrotask(() => this.reportAccumulables());
          this.accumulablesToReport.set(`${u.stageId}.${u.attempt}.${id}`, { stageId: u.stageId, attempt: u.attempt, id, name: acc.name, value: acc.shownValue() });
        }
        if (listened) infos.push({ id, name: acc.name, update: acc.updateValue(update), value: acc.value });
      } catch (err) {
        this.log('warn', 'failed to update an accumulator with a task\'s update; it keeps its value, the job goes on', {
          component: 'accumulators',
          accumulatorId: id,
          accumulatorClass: (acc as { constructor: { name: string } }).constructor.name,
          accumulatorName: acc.name,
          stageId: u.stageId,
          taskId: u.taskId,
          err: (err as Error)?.message ?? String(err),
        });
      }
    }
    if (infos.length > 0) this.sparkListeners.taskAccumulables(u.stageId, u.attempt, u.taskId, infos);
  }

  private reportAccumulables(): void {
    const values = [...this.accumulablesToReport.values()];
    this.accumulablesToReport.clear();
    if (values.length > 0) this.backend.reportAccumulables?.(values);
  }

  private async prepareLineage(rdd: RDD<unknown>): Promise<void> {
    const seen = new Set<number>();
    const order: RDD<unknown>[] = [];
    const visit = (r: RDD<unknown>): void => {
      if (seen.has(r.id)) return;
      seen.add(r.id);
      if (r.checkpointDir === undefined) for (const d of r.deps) visit(d.rdd);
      order.push(r);
    };
    visit(rdd);
    for (const r of order) if (r.prepare) await r.prepare(this);
  }

  private async writeCheckpoints(rdd: RDD<unknown>): Promise<void> {
    const marked: RDD<unknown>[] = [];
    const local: RDD<unknown>[] = [];
    const seen = new Set<number>();
    // As Spark's RDD.doCheckpoint: a marked RDD's own marked ancestors are left for a later job
    // (its lineage is cut above them), unless spark.checkpoint.checkpointAllMarkedAncestors is "true".
    const allMarked = this.getLocalProperty(CHECKPOINT_ALL_MARKED_ANCESTORS)?.toLowerCase() === 'true';
    const visit = (r: RDD<unknown>): void => {
      if (seen.has(r.id) || r.checkpointDir !== undefined || r.locallyCheckpointed) return;
      seen.add(r.id);
      if (r.checkpointRequested) marked.push(r);
      if (r.localCheckpointRequested) local.push(r);
      if ((r.checkpointRequested || r.localCheckpointRequested) && !allMarked) return;
      for (const d of r.deps) visit(d.rdd);
    };
    visit(rdd);
    for (const r of local) await this.truncateLocally(r);
    if (marked.length === 0) return;
    const store = await this.checkpointStore();
    for (const r of marked) {
      const key = r.checkpointName ?? this.rddCheckpoints.keyFor(r.id);
      const dir = joinCheckpointLocation(store.location, key);
      await this.runAction(r, { kind: 'writeCheckpoint', dir, ...(this.backend.checkpointCompress === true ? { compress: true } : {}) });
      r.checkpointDir = dir;
      r.deps = [];
      r.checkpointRequested = false;
      // A stream's state checkpoint is the metadata checkpointer's to delete; this one is the cleaner's.
      if (r.checkpointName === undefined) this.rddCheckpoints.written(r, store, key, dir);
    }
  }

  /**
   * A local checkpoint's end (Spark's LocalRDDCheckpointData.doCheckpoint): the partitions the
   * action did not leave cached (take() computes some only) are computed and cached by a job
   * of their own, then the lineage is cut: the RDD's partitions are its cached blocks.
   */
  private async truncateLocally(r: RDD<unknown>): Promise<void> {
    if (!r.localCheckpointRequested) return; // Done by the job of an RDD below it (its own truncation ran an action).
    r.localCheckpointRequested = false;
    if (r.storage === 'NONE') {
      // Unpersisted after localCheckpoint(): nothing would hold its partitions (Spark's doCheckpoint refuses such a level).
      this.log('warn', 'rdd.localCheckpoint() dropped: the RDD was unpersisted before an action computed it', { component: 'rdd', rddId: r.id });
      return;
    }
    const cached = new Set(this.backend.cachedPartitions ? await this.backend.cachedPartitions(r.id) : []);
    const missing = Array.from({ length: r.numPartitions }, (_, i) => i).filter((i) => !cached.has(i));
    if (missing.length > 0) await this.runAction(r, { kind: 'count' }, missing);
    r.locallyCheckpointed = true;
    r.deps = [];
  }
}

/** Whether an RDD of `rdd`'s lineage (down to checkpoints) has work for the driver program to do before a job over it (RDD.prepare). */
function lineageNeedsPrepare(rdd: RDD<unknown>): boolean {
  const seen = new Set<number>();
  const stack = [rdd];
  while (stack.length > 0) {
    const r = stack.pop()!;
    if (seen.has(r.id)) continue;
    seen.add(r.id);
    if (r.prepare !== undefined) return true;
    if (r.checkpointDir === undefined && !r.locallyCheckpointed) for (const d of r.deps) stack.push(d.rdd);
  }
  return false;
}

/**
 * The element type of `parallelize`'s data: a pair where the data is pairs written inline
 * (`[['a', 1]]`, which the pair overload's constraint makes TypeScript infer as tuples); for
 * data typed `any` (JSON.parse's), any, as the plain overload gives.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any data in, any records out, as Iterable<T> infers
export type ElementOf<D> = 0 extends 1 & D ? any : D extends Iterable<infer P> ? P : never;

function checkSlices(n: number, op: string): void {
  // Spark's ParallelCollectionRDD.slice (parallelize's and range's partitions): "Positive number of partitions required".
  if (!Number.isInteger(n) || n < 1) throw new SluiceError('SLUICE_BAD_ARGUMENT', `sc.${op}: numSlices must be a positive integer, got ${String(n)}${sparkWords(op !== 'textFile' && Number.isInteger(n), 'Positive number of partitions required')}`);
}

/** A job's or stage's id as sc.cancelJob / cancelStage take it: a non-negative integer. */
function idArgument(method: string, what: string, id: unknown): number {
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) throw new SluiceError('SLUICE_BAD_ARGUMENT', `${method}: the ${what} must be a non-negative integer (a FutureAction's jobIds, the status pages' ids), got ${typeof id === 'string' ? JSON.stringify(id) : String(id)}`);
  return id;
}

function reasonArgument(method: string, reason: unknown): string | undefined {
  if (reason !== undefined && typeof reason !== 'string') throw new SluiceError('SLUICE_BAD_ARGUMENT', `${method}: the reason must be a string, got ${typeof reason}`);
  return reason;
}

function cancelledBeforeStart(): SluiceError {
  return new SluiceError('SLUICE_CANCELLED', 'the action was cancelled before its job started');
}

// As Spark's SparkContext, the RDD makers run in a scope of their own name (RDD.scope).
scopeMethods(SluiceContext.prototype, ['parallelize', 'makeRDD', 'range', 'textFile', 'objectFile', 'wholeTextFiles', 'binaryFiles', 'binaryRecords', 'union', 'runJob', 'submitJob'].map((m) => [m, m] as const));

/**
 * Why a checkpoint directory could not be made, and what to do: a file in its place (or in
 * place of a directory above it: EEXIST, ENOTDIR) is named, as `mkdir`'s EEXIST reads as if
 * the directory were there.
 */
function checkpointDirProblem(location: string, err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EEXIST' || code === 'ENOTDIR') {
    let file = location;
    for (let up = location; ; up = path.dirname(up)) {
      let st: fs.Stats | undefined;
      try {
        st = fs.statSync(up, { throwIfNoEntry: false });
      } catch {
        st = undefined; // ENOTDIR: a file above it
      }
      if (st !== undefined) {
        if (!st.isDirectory()) file = up;
        break;
      }
      if (path.dirname(up) === up) break;
    }
    return `'${file}' is a file, not a directory (${code}): give a directory path (made if missing), or move the file`;
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return `${(err as Error).message}: give a directory the driver and every worker can write`;
  return (err as Error).message;
}

/**
 * A failed job's error as the program gets it: a task's failure (TaskFailedError) with the
 * program's frames where it called the action after the task's error, as Spark's DAGScheduler
 * fails a job with "Job aborted due to stage failure: ... Driver stacktrace:" and the driver's
 * frames (its CallSite from Utils.getCallSite, Spark's own frames skipped). The message and the
 * task's stack stay as they are. Any other error, or one that has them already (an action run
 * inside another's), is returned as it is.
 */
function withDriverStack(err: unknown, driverStack: () => string): unknown {
  if (!(err instanceof TaskFailedError) || err.driverStack !== undefined) return err;
  const frames = driverStack();
  if (frames === UNKNOWN_CALL_SITE) return err;
  return new TaskFailedError(err.message, err.userStack, { cause: err.cause, driverStack: frames.split('\n').map((f) => `    at ${f}`).join('\n') });
}
