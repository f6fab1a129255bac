import { sparkStorageLevel, StorageLevel, type SparkStorageLevel } from '../rdd/storage-level.js';
import path from 'node:path';
import type { SluiceContext } from '../context.js';
import type { DStream } from '../dstream/dstream.js';
import { TransformedDStream, checkParents } from '../dstream/dstream.js';
import { FileInputDStream, type FileStreamOptions } from '../dstream/file-input-dstream.js';
import { InputDStream, QueueInputDStream, ReceiverInputDStream } from '../dstream/input-dstreams.js';
import type { OutputCheckpointState } from '../dstream/output-checkpoint-state.js';
import { isSluiceError, SluiceError } from '../errors.js';
import { refuseUnknownOptions } from '../util/refuse-unknown-options.js';
import { generationFailure } from './batch-failure.js';
import { resolveJobPath } from '../job-working-directory.js';
import { fileSystemFor } from '../io/file-system-registry.js';
import { CheckpointGraphMismatchError, differencesByCall, fingerprintDifferences, graphFingerprint, inputSourceChanges, type GraphFingerprint } from '../checkpoint/graph-fingerprint.js';
import { locationScheme, normalizeCheckpointLocation } from '../checkpoint/checkpoint-location.js';
import { openCheckpointStore } from '../checkpoint/checkpoint-store-registry.js';
import { MetadataStore, NoUsableCheckpointError, type ReadMetadata } from '../checkpoint/metadata-store.js';
import { batchScope, creationSiteText, currentCreationSite, currentScope, scopeMethods, withCreationSite, withGivenScope, withScope, type CreationSite } from '../rdd/rdd-operation-scope.js';
import { formatBatchTime } from './ui-utils.js';
import type { RDD } from '../rdd/rdd.js';
import { DEFAULT_MAX_RECORD_LENGTH, SocketReceiver } from '../receiver/socket-receiver.js';
import { DEFAULT_MAX_RAW_BLOCK_BYTES, RawSocketReceiver } from '../receiver/raw-socket-receiver.js';
import type { Receiver } from '../receiver/receiver.js';
import { ManualClock, SystemClock, type Clock } from '../util/clock.js';
import { afterMs } from '../util/long-timer.js';
import { sparkWords } from '../util/spark-words.js';
import { toMillis, type Duration } from './duration.js';
import { JobScheduler, type OutputJob } from './job-scheduler.js';
import { warmUpCluster } from './cluster-warm-up.js';
import { shufflesReachable } from '../rdd/shuffles-reachable.js';
import type { ReceiverRunOptions, StreamingBackend, StreamInputInfo } from './streaming-backend.js';
import { walDirectory } from '../wal/wal-segment.js';
import { DEFAULT_FENCE_KEEP_MS } from '../wal/wal-seal.js';
import { sparkEvent, streamingStarted, type StreamingListener } from './streaming-listener.js';
import { type DamagedStateCheckpoint, rememberedStateDamage, seedStateCheckpoints, stateCheckpointDamage, DEFAULT_CHECKPOINT_WRITE_TIMEOUT_MS, MetadataCheckpointer } from './metadata-checkpointer.js';
import { contextCreated, contextSettled } from './unstarted-contexts.js';
import { userCallSite, userCallStack } from '../closure/call-site.js';
import { generatingBatch } from '../closure/ship-origin.js';
import { PIDRateEstimator, type PIDSettings } from './rate/pid-rate-estimator.js';
import { RateController } from './rate/rate-controller.js';
import { DEFAULT_FALLING_BEHIND_BATCHES, FallingBehindDetector } from './falling-behind-detector.js';
import type { BatchInfo, FlowStatus, InputRate } from './streaming-backend.js';
import { JOB_DESCRIPTION, JOB_GROUP_ID, JOB_INTERRUPT_ON_CANCEL } from '../scheduler/running-actions.js';
import { userErrorInfo } from '../util/user-error.js';
import { checkStreamingContextOptions } from './streaming-context-options.js';
import { streamingProperties } from './streaming-properties.js';
import { checkFileStreamOptions, checkNewFilesStreamOptions, checkRawSocketStreamOptions, checkSocketTextStreamOptions } from './input-options.js';

export type StreamingState = 'initialized' | 'active' | 'stopped';

/**
 * How long a non-graceful stop waits for the batches running and queued, then again once it
 * dropped the queued ones and cancelled the running ones' jobs (Spark's JobScheduler.stop(false)
 * shuts its job executor down, which runs the jobs already queued, awaits it 2 s, then shuts it
 * down now).
 */
const STOP_WAIT_FOR_RUNNING_BATCHES_MS = 2_000;
/** How long a StreamingContext's start waits, after its warm-up, for its receivers to start before its clock starts anyway. */
const RECEIVERS_START_TIMEOUT_MS = 5_000;

export interface StreamingContextOptions {
  /** 'system' (default) or 'manual': a ManualClock that `ssc.manualClock` advances (tests). */
  readonly clock?: 'system' | 'manual' | Clock | undefined;
  /** Block interval of receivers (default 200 ms). */
  readonly blockInterval?: Duration | undefined;
  /** Batches processed at once (default 1: every output of batch t finishes before t+1 starts). */
  readonly concurrentJobs?: number | undefined;
  /**
   * The receivers' write-ahead log, as Spark's spark.streaming.receiver.writeAheadLog.enable
   * (default off). On, each received block is appended to a log under
   * `<checkpointDir>/receivedData/<streamId>/` and fsynced before it is reported, so
   * received data survives the loss of its worker and of the driver; it needs
   * `ssc.checkpoint(dir)`. Blocks are then not replicated to a second worker.
   * `true` or the log's settings.
   */
  readonly writeAheadLog?: boolean | WriteAheadLogOptions | undefined;
  /**
   * Records a receiver may hold that are not yet durable (stored but not yet logged or
   * replicated), default 100,000: `store()` waits while the buffer is full, so a receiver
   * that awaits it slows its source down instead of growing without bound.
   */
  readonly receiverMaxBufferedRecords?: number | undefined;
  /**
   * The longest a metadata checkpoint write may take, its attempts included (default 60 s).
   * A batch's jobs run once the metadata recording it is durable, so a checkpoint store that
   * hangs would hold every later batch in memory: past this bound, or after 3 failed attempts,
   * the context stops with a SLUICE_CHECKPOINT error naming the directory and the cause.
   */
  readonly checkpointWriteTimeout?: Duration | undefined;
  /**
   * Backpressure, as Spark's spark.streaming.backpressure.enabled (default off): after each
   * batch a PID estimator (Spark's PIDRateEstimator) sets each receiver stream's rate, and
   * that of each direct input that takes one (Kafka's), from the batch's processing and
   * scheduling delays, so the job takes in about what it can process. `true`, or the estimator's settings and an initial rate.
   */
  readonly backpressure?: boolean | BackpressureOptions | undefined;
  /**
   * The most records per second each receiver takes in (Spark's spark.streaming.receiver.maxRate);
   * default no bound. With backpressure, the estimated rate never goes above it.
   */
  readonly receiverMaxRate?: number | undefined;
  /**
   * Warn (in the log, `sluice jobs` and the job's status) once the scheduling delay has grown
   * for this many completed batches in a row: the job falls behind its input (default 10; 0: never).
   */
  readonly fallingBehindBatches?: number | undefined;
}

/** Backpressure settings: Spark's spark.streaming.backpressure.* */
export interface BackpressureOptions extends PIDSettings {
  /**
   * Records per second each receiver (and each direct input, over all its partitions) takes
   * in until the first estimate (Spark's spark.streaming.backpressure.initialRate); default
   * unbounded. An estimate needs two completed batches with records.
   */
  readonly initialRate?: number | undefined;
}

/** Options of StreamingContext.getOrCreate, as Spark's. */
export interface GetOrCreateOptions {
  /**
   * When no metadata checkpoint in the directory can be read (every one damaged), create a
   * new StreamingContext with `create` (its state and input positions start afresh)
   * instead of failing; a warning says so. Default false, as Spark's createOnError. A
   * checkpoint store that cannot be listed or read now (unreachable, timing out) still
   * fails: Spark's listing failure does too, and its read failures would start afresh,
   * losing the state for an outage that passes.
   */
  readonly createOnError?: boolean | undefined;
}

export interface WriteAheadLogOptions {
  /** A log segment is closed and a new one begun after this long (default 60 s, as Spark). */
  readonly rollingInterval?: Duration | undefined;
  /** ...or once it holds this many bytes (default 64 MiB). */
  readonly maxSegmentBytes?: number | undefined;
  /**
   * How long the fence and seal of a replaced receiver placement (`<writer>.fence`,
   * `<writer>.sealed`) stay in the log once nothing of it is left there and the driver knows the
   * placement stopped (default 120 s). A placement not known to have stopped (its worker declared
   * lost and not heard from since: it may be frozen, and woken later) keeps its fence however long
   * that takes. Sluice's own setting: Spark's receivers have no fence.
   */
  readonly fenceKeep?: Duration | undefined;
}

/** Default bound of a receiver's records not yet durable. */
export const DEFAULT_RECEIVER_MAX_BUFFERED_RECORDS = 100_000;

export interface SocketTextStreamOptions {
  /** Longest line accepted, in bytes, its line terminator not counted (default 64 MiB); longer lines are skipped and reported. */
  readonly maxRecordLength?: number | undefined;
}

/** What the graph fingerprint records of an output operation. */
export interface OutputDescription {
  readonly op: string;
  readonly [param: string]: unknown;
}

interface Output {
  readonly stream: DStream<unknown>;
  readonly fn: (rdd: RDD<unknown>, time: number) => void | Promise<void>;
  readonly desc: OutputDescription;
  /** The scope of the output operation (foreachRDD, print, ...), as JSON (Spark's ForEachDStream.baseScope). */
  readonly baseScope: string | undefined;
  /** Where the program registered it (Spark's ForEachDStream.creationSite): the RDDs print and the save operations make show it. */
  readonly creationSite: CreationSite | undefined;
  /** The program's stack where it registered the output (Spark's creationSite long form). */
  readonly callStack: string;
  /** What the output keeps in the metadata checkpoints (foreachRDD's checkpointState). */
  readonly checkpointState: OutputCheckpointState | undefined;
}

/** Spark's DStream.validateAtStart require for a checkpointed stream (a stateful one included) with no directory. */
const NO_CHECKPOINT_DIRECTORY = 'The checkpoint directory has not been set. Please set it by StreamingContext.checkpoint().';

/**
 * Batches already due that the generator makes in a row before it lets the event loop turn
 * (generateLoop): a few, so a test that advances a manual clock by a batch or two and waits a
 * turn sees them generated, as before.
 */
const DUE_BATCHES_PER_TURN = 8;

/**
 * Batches held for want of a metadata checkpoint (generateBatch) at most at once, with those whose
 * write is under way: with that many, no batch is generated (a metadata write is asked for each batch interval instead) until
 * one is written, so a disk that stays full keeps the driver's memory bounded (each held batch
 * keeps its RDDs and jobs) and leaves the input where it is (a direct stream's records in Kafka,
 * a file stream's files), to be taken by the batches generated once space is back.
 */
export const MAX_HELD_BATCHES = 10;

/** The StreamingContext started last in this driver program and not stopped (getActive). */
let activeContext: StreamingContext | undefined;
/** This thread's StreamingContext stops under way (stopOutsideListeners): what a failed program's end waits for (stopStreamingAfterFailure). */
const stopsUnderWay = new Set<Promise<void>>();

/**
 * A batch interval given as a number below this many milliseconds is warned of: PySpark's
 * seconds ported as is (1, 2, 5, 10, 15). Not 50: Sluice runs 50 ms batches.
 */
const SHORT_BATCH_INTERVAL_MS = 20;

/** StreamingContext.stop's options. */
export interface StopOptions {
  /** Stop the receivers first, then run every batch of what they received, then stop (Spark's stopGracefully; default false). */
  readonly graceful?: boolean | undefined;
  /** Spark's name for `graceful`, as its stop(stopSparkContext, stopGracefully) names the parameter. */
  readonly stopGracefully?: boolean | undefined;
  /** Stop the SluiceContext too once the StreamingContext has stopped (Spark's stopSparkContext; default false, as Sluice's stop() keeps it). */
  readonly stopSparkContext?: boolean | undefined;
}

const STOP_OPTION_KEYS: Readonly<Record<keyof StopOptions, true>> = { graceful: true, stopGracefully: true, stopSparkContext: true };
/** PySpark's spellings of stop's parameters (`ssc.stop(stopSparkContext=True, stopGraceFully=False)`). */
const STOP_SPARK_NAMES: Readonly<Record<string, string>> = {
  stopGraceFully: '{ stopGracefully: N } (or { graceful: N })',
  stop_gracefully: '{ stopGracefully: N } (or { graceful: N })',
  stop_spark_context: '{ stopSparkContext: N }',
};

/**
 * The entry point of a streaming job, as Spark's StreamingContext: define input streams
 * and their transformations and outputs, then `start()`. A JobGenerator ticks every batch
 * interval on the Clock; at each tick it generates every output stream's RDD for that
 * time and hands the batch to the JobScheduler, which runs the batch's output operations
 * in order, one batch at a time by default.
 *
 * Lifecycle: initialized -> active -> stopped. `stop({ graceful: true })` stops the
 * receivers, processes every batch of data already received, then stops.
 *
 * With a checkpoint directory, each batch's generation and completion write a metadata
 * checkpoint (MetadataCheckpointer); `StreamingContext.getOrCreate` recovers from it.
 */
export class StreamingContext {
  readonly sc: SluiceContext;
  readonly batchIntervalMs: number;
  /** Spark's ssc.sparkContext (Scala and Python; Java's sparkContext()): the same context as `sc`. */
  get sparkContext(): SluiceContext {
    return this.sc;
  }
  readonly blockIntervalMs: number;
  readonly clock: Clock;
  private state: StreamingState = 'initialized';
  private savedProperties: ReadonlyMap<string, string> = new Map();
  private readonly streams: DStream<unknown>[] = [];
  private readonly outputs: Output[] = [];
  private readonly listeners: StreamingListener[] = [];
  private readonly scheduler: JobScheduler;
  private nextStreamId = 0;
  private rememberMs = 0;
  /** ssc.remember() was called (once only, as in Spark). */
  private rememberGiven = false;
  private checkpointDir: string | undefined;
  private checkpointer: MetadataCheckpointer | undefined;
  /** The metadata checkpoint this context recovers from (set by getOrCreate). */
  private recovery: ReadMetadata | undefined;
  /** The older state checkpoints the recovery's metadata file lists that are damaged (not seeded). */
  private recoveryDamage: readonly DamagedStateCheckpoint[] = [];
  /** Batches to re-run on recovery before the loop goes on (generated, not completed). */
  private rerun: number[] = [];
  /** @internal Time of batch 0: batches fall at zeroTime + k * batchInterval. */
  zeroTime = 0;
  private nextBatchTime = 0;
  /**
   * The time after the last batch a metadata snapshot records as generated: the next batch time
   * every snapshot writes. The loop moves nextBatchTime on before a batch's input is fixed
   * (prepareBatch awaits the receivers' blocks, a directory's listing, a broker's offsets); a batch
   * completed meanwhile whose snapshot said nextBatchTime would record the batch being prepared
   * as neither pending nor to come, and a driver killed then would never run it (its received
   * blocks in no batch).
   */
  private recordedNextBatchTime = 0;
  /** @internal The latest batch time generated (its RDDs made), or -Infinity before the first. */
  lastGeneratedTime = -Infinity;
  private receivingStopped = false;
  /** Batch times generated and not ended yet (queued or running): what they read is kept until they end. */
  private readonly unfinished = new Set<number>();
  /** The generated batches' submissions, in time order (generateBatch); never rejects. */
  private submitting: Promise<void> = Promise.resolve();
  /** Batches held until a metadata checkpoint records them (generateBatch), and a graceful stop waiting for one to be. */
  private readonly held = new Set<number>();
  private onHeld: (() => void) | undefined;
  /** When (the clock's time) the batches held now began to be held: the first of them was; undefined with none held. */
  private heldSince: number | undefined;
  /** Batches generated whose metadata write is not durable yet (under way, or refused and held). */
  private awaitingRecord = 0;
  /** The latest batch time ended, and the time old RDDs and inputs' records were last forgotten up to. */
  private latestEnded = -Infinity;
  /** @internal Each stream keeps the RDDs of times after this less its remember duration (clearMetadata's last time; -Infinity before). */
  clearedUpTo = -Infinity;
  /** The last batch time a graceful stop generates: set once it knows which batch holds the last received data. */
  private generateUpTo = Infinity;
  /** Receiver streams (by id) whose receiver reported anything (started, an error, its stop). */
  private readonly receiversHeardFrom = new Set<number>();
  /** Whether each receiver stream's receiver is registered and not stopped since (Spark's ReceiverInfo.active). */
  private readonly receiversActive = new Map<number, boolean>();
  /** Set while the start waits for its receivers (warmUpThenReceive): called on each receiver event. */
  private receiverHeard: (() => void) | undefined;
  /** Resolves once the start's warm-up job ended (or its wait timed out) and the batches' times are fixed. */
  private warmedUp: Promise<void> = Promise.resolve();
  private terminated: Promise<void>;
  private resolveTerminated!: () => void;
  /** Set once the context has stopped: the job's receiver events are no longer this context's (a later one's reuse its stream ids). */
  private terminatedDone = false;
  /** The last stop() of the active context, under way or done: later calls wait for it. */
  private stopping: Promise<void> | undefined;
  private fatal: Error | undefined;
  /** Resolves when the first fatal failure is recorded: awaitTermination throws it then, not once the stop it starts has ended. */
  private readonly fatalSeen: Promise<void>;
  private resolveFatalSeen!: () => void;
  private readonly wal: { readonly rollingIntervalMs: number; readonly maxSegmentBytes: number; readonly fenceKeepMs: number } | undefined;
  private readonly receiverMaxBufferedRecords: number;
  private readonly checkpointWriteTimeoutMs: number;
  /** @internal Where the job's code made this context (`file:line:column`), for errors. */
  readonly createdAt = userCallSite();
  /** Where start() was called (Spark's startSite), once it was: another context's refused start names it. */
  private startSite: string | undefined;
  /** Backpressure's settings when it is on (validated: the estimator is built once here). */
  private readonly backpressure: { readonly initialRate: number | undefined; readonly pid: PIDSettings } | undefined;
  private readonly receiverMaxRate: number | undefined;
  private readonly concurrentJobs: number;
  private readonly fallingBehind: FallingBehindDetector;
  /** Each rate-controlled input's controller, by stream id (made at start with backpressure on). */
  private readonly rateControllers = new Map<number, RateController>();

  constructor(sc: SluiceContext, batchInterval: Duration, options: StreamingContextOptions = {}) {
    this.sc = sc;
    checkStreamingContextOptions(options);
    this.batchIntervalMs = toMillis(batchInterval, 'StreamingContext batch interval');
    if (typeof batchInterval === 'number' && this.batchIntervalMs < SHORT_BATCH_INTERVAL_MS) {
      // PySpark's StreamingContext(sc, 2) is 2 seconds; here a number is milliseconds (Scala's Duration(2)).
      this.sc.log('warn', 'the batch interval is a number under 20: milliseconds, not seconds', {
        component: 'streaming-context',
        batchIntervalMs: this.batchIntervalMs,
        callSite: this.createdAt,
        hint: `a number is milliseconds, as Scala's Duration(${this.batchIntervalMs}); PySpark's StreamingContext(sc, ${this.batchIntervalMs}) is ${this.batchIntervalMs} seconds: write Seconds(${this.batchIntervalMs}) or '${this.batchIntervalMs}s' (and Seconds(n) for window lengths and slides); write '${this.batchIntervalMs}ms' to mean milliseconds and not be warned`,
      });
    }
    this.blockIntervalMs = toMillis(options.blockInterval ?? 200, 'block interval');
    if (options.blockInterval !== undefined && this.blockIntervalMs > this.batchIntervalMs) {
      // Spark takes it without a word (BlockGenerator requires only a positive interval).
      const block = this.blockIntervalMs;
      const batch = this.batchIntervalMs;
      this.sc.log('warn', 'the block interval is longer than the batch interval', {
        component: 'streaming-context',
        blockIntervalMs: block,
        batchIntervalMs: batch,
        callSite: this.createdAt,
        hint: `a receiver's records reach a batch only when the block holding them is cut, every ${block} ms: of the ${batch} ms batches, those between two cuts get none of a receiver's records and the next gets them up to ${block - batch} ms late (a batch's partitions per receiver are the blocks cut in it, batch interval / block interval, as Spark's tuning guide says); give a block interval of at most the batch interval, such as { blockInterval: '${Math.min(200, batch)}ms' } (200 ms is the default; Spark recommends no less than 50 ms)`,
      });
    }
    this.clock = options.clock === 'manual' ? new ManualClock(0) : options.clock === undefined || options.clock === 'system' ? new SystemClock() : options.clock;
    this.concurrentJobs = options.concurrentJobs ?? 1;
    if (!Number.isSafeInteger(this.concurrentJobs) || this.concurrentJobs < 1) {
      // 0 (or less) would run no output job at all: batches queued for good, nothing said.
      throw new SluiceError(
        'SLUICE_BAD_ARGUMENT',
        `StreamingContext: concurrentJobs must be a whole number of batches run at once >= 1, got ${JSON.stringify(options.concurrentJobs) ?? String(options.concurrentJobs)}; leave it out for 1 (each batch's outputs end before the next batch's start), or for example { concurrentJobs: 2 } (Spark's spark.streaming.concurrentJobs)`,
      );
    }
    this.scheduler = new JobScheduler(this, this.concurrentJobs);
    this.wal = walSettings(options.writeAheadLog);
    this.receiverMaxBufferedRecords = options.receiverMaxBufferedRecords ?? DEFAULT_RECEIVER_MAX_BUFFERED_RECORDS;
    this.checkpointWriteTimeoutMs = toMillis(options.checkpointWriteTimeout ?? DEFAULT_CHECKPOINT_WRITE_TIMEOUT_MS, 'checkpointWriteTimeout');
    if (!Number.isSafeInteger(this.receiverMaxBufferedRecords) || this.receiverMaxBufferedRecords < 1) {
      throw new SluiceError(
        'SLUICE_BAD_ARGUMENT',
        `StreamingContext: receiverMaxBufferedRecords must be a whole number of records >= 1, got ${String(options.receiverMaxBufferedRecords)}; for example { receiverMaxBufferedRecords: 50_000 }`,
      );
    }
    this.receiverMaxRate = positiveRate(options.receiverMaxRate, 'receiverMaxRate', '{ receiverMaxRate: 10_000 }');
    const bp = options.backpressure;
    if (bp !== undefined && bp !== false && bp !== true && (typeof bp !== 'object' || bp === null)) {
      throw new SluiceError('SLUICE_BAD_ARGUMENT', `StreamingContext: backpressure must be true, false or its settings, got ${JSON.stringify(bp)}; for example { backpressure: true } or { backpressure: { initialRate: 1000 } }`);
    }
    if (bp) {
      const o = bp === true ? {} : bp;
      const { initialRate, ...pid } = o;
      new PIDRateEstimator(this.batchIntervalMs, pid); // checks the settings now, not at start
      this.backpressure = { initialRate: positiveRate(initialRate, 'backpressure.initialRate', '{ backpressure: { initialRate: 1000 } }'), pid };
    }
    const n = options.fallingBehindBatches ?? DEFAULT_FALLING_BEHIND_BATCHES;
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new SluiceError('SLUICE_BAD_ARGUMENT', `StreamingContext: fallingBehindBatches must be a whole number of batches >= 0 (0: never warn), got ${String(options.fallingBehindBatches)}; for example { fallingBehindBatches: 10 }`);
    }
    this.fallingBehind = new FallingBehindDetector(n, this.batchIntervalMs);
    this.terminated = new Promise((r) => (this.resolveTerminated = r));
    void this.terminated.then(() => (this.terminatedDone = true));
    this.fatalSeen = new Promise((r) => (this.resolveFatalSeen = r));
    contextCreated(this);
  }

  /** Whether backpressure is on (StreamingContextOptions.backpressure). */
  get backpressureEnabled(): boolean {
    return this.backpressure !== undefined;
  }

  /**
   * The rate backpressure set last for input stream `streamId` (records/s); before the first
   * estimate its initial rate; undefined with backpressure off, before start(), for an input
   * it does not control (queue and file streams, direct inputs that take no rate), or with neither an estimate nor an
   * initial rate yet.
   */
  latestRate(streamId: number): number | undefined {
    const c = this.rateControllers.get(streamId);
    if (!this.backpressure || !c) return undefined;
    return c.latestRate ?? this.backpressure.initialRate;
  }

  /** The manual clock, when the context was made with `{ clock: 'manual' }`. */
  get manualClock(): ManualClock {
    if (!(this.clock instanceof ManualClock)) throw new SluiceError('SLUICE_BAD_ARGUMENT', "manualClock: this context uses the system clock; create it with { clock: 'manual' }");
    return this.clock;
  }

  get streamingState(): StreamingState {
    return this.state;
  }

  /** 'initialized' (streams and outputs may be added), 'active' (started), or 'stopped' (Spark's getState()). */
  getState(): StreamingState {
    return this.state;
  }

  // ---- recovery --------------------------------------------------------------------------

  /**
   * Recreate a StreamingContext from the metadata checkpoint in `checkpointDir`, or make a
   * new one with `create` when there is none (Spark's StreamingContext.getOrCreate).
   *
   * `create` runs in both cases: in TypeScript the code is the graph, so it builds the
   * streams and outputs again (it should call `ssc.checkpoint(checkpointDir)`; if it does
   * not, getOrCreate does). With a checkpoint, the graph it builds must match the one the
   * checkpoint was taken with (operators, their parameters, intervals, outputs; not the
   * bodies of functions), else a SLUICE_CHECKPOINT error names what differs, before any
   * batch runs. Then `start()` restores the inputs' positions and the state, re-runs the
   * batches generated but not completed with their original times and input, generates the
   * batches whose times passed while the program was down, and goes on.
   *
   * A damaged newest metadata file (checksum, truncation) falls back to the previous one,
   * with a warning; when none is usable the error says so.
   */
  static async getOrCreate(
    sc: SluiceContext,
    checkpointDir: string,
    create: () => StreamingContext | Promise<StreamingContext>,
    options?: GetOrCreateOptions,
  ): Promise<StreamingContext>;
  /**
   * Spark's own form, `StreamingContext.getOrCreate(checkpointDirectory, functionToCreateContext)`
   * (since 2026-12-05): the same, the SluiceContext being the one `create` makes its context on.
   */
  static async getOrCreate(
    checkpointDir: string,
    create: () => StreamingContext | Promise<StreamingContext>,
    options?: GetOrCreateOptions,
  ): Promise<StreamingContext>;
  static async getOrCreate(
    ...args: [SluiceContext, string, () => StreamingContext | Promise<StreamingContext>, GetOrCreateOptions?] | [string, () => StreamingContext | Promise<StreamingContext>, GetOrCreateOptions?]
  ): Promise<StreamingContext> {
    const [checkpointDir, create, options = {}] = typeof args[0] === 'string' ? (args as [string, () => StreamingContext | Promise<StreamingContext>, GetOrCreateOptions?]) : [args[1], args[2], args[3]];
    if (typeof create !== 'function') {
      throw new SluiceError(
        'SLUICE_BAD_ARGUMENT',
        `StreamingContext.getOrCreate: give (checkpointDir, create) as Spark's, or (sc, checkpointDir, create), create a function returning the StreamingContext; got ${typeof create} where create goes`,
      );
    }
    const dir = normalizeCheckpointLocation(checkpointDir as string, 'StreamingContext.getOrCreate');
    const store = openCheckpointStore(dir);
    let found: ReadMetadata | undefined;
    let unreadable: unknown;
    try {
      found = await new MetadataStore(store).readLatest((md) => stateCheckpointDamage(store, md));
    } catch (err) {
      // Only damage starts afresh: a store that cannot be read now would lose the state for nothing.
      if (!options.createOnError || !(err instanceof NoUsableCheckpointError)) throw err;
      unreadable = err;
    }
    const ssc = await create();
    if (!(ssc instanceof StreamingContext)) {
      throw new SluiceError('SLUICE_BAD_ARGUMENT', `StreamingContext.getOrCreate: create() must return a StreamingContext, got ${ssc === null ? 'null' : typeof ssc}`);
    }
    // Logged on the context create() made on (Spark's form gives no SluiceContext before it).
    if (unreadable !== undefined) {
      ssc.sc.log('warn', 'no usable metadata checkpoint; creating a new StreamingContext (createOnError)', { component: 'streaming-context', dir, err: (unreadable as Error).message });
    }
    for (const s of found?.skipped ?? []) {
      ssc.sc.log('warn', 'metadata checkpoint is damaged; using the one before it', { component: 'streaming-context', file: s.file, reason: s.reason, using: found?.file });
    }
    if (ssc.checkpointDir === undefined) ssc.checkpoint(dir);
    else if (ssc.checkpointDir !== dir) {
      throw new SluiceError('SLUICE_BAD_ARGUMENT', `StreamingContext.getOrCreate: create() set the checkpoint directory '${ssc.checkpointDir}' but getOrCreate was given '${dir}'; use the same directory in both`);
    }
    if (found) {
      // The older state checkpoints the file lists, read and checked now, before any batch runs.
      const damaged = await rememberedStateDamage(store, found.metadata);
      for (const d of damaged) {
        ssc.sc.log('warn', 'an older state checkpoint a window remembers is damaged; a batch after the restart that reads it fails', { component: 'streaming-context', file: found.file, streamId: d.streamId, time: d.time, reason: d.reason });
      }
      try {
        ssc.recoverFrom(found, damaged);
      } catch (err) {
        // The context create() made is never returned: no "not started" for it if the program goes on.
        contextSettled(ssc);
        throw err;
      }
    }
    return ssc;
  }

  /** The active context of this driver program if there is one, else `create()` (Spark's getActiveOrCreate(creatingFunc)). */
  static async getActiveOrCreate(create: () => StreamingContext | Promise<StreamingContext>): Promise<StreamingContext>;
  /** The active context of this driver program if there is one, else getOrCreate (Spark's getActiveOrCreate(checkpointPath, creatingFunc)). */
  static async getActiveOrCreate(
    sc: SluiceContext,
    checkpointDir: string,
    create: () => StreamingContext | Promise<StreamingContext>,
    options?: GetOrCreateOptions,
  ): Promise<StreamingContext>;
  /**
   * Spark's getActiveOrCreate(checkpointPath, creatingFunc) as Spark writes it (since 2026-12-05).
   * A checkpointDir of null or undefined is PySpark's None: no checkpoint is read, so `create()`
   * when no context is active (since 2026-12-07; before, refused).
   */
  static async getActiveOrCreate(
    checkpointDir: string | null | undefined,
    create: () => StreamingContext | Promise<StreamingContext>,
    options?: GetOrCreateOptions,
  ): Promise<StreamingContext>;
  static async getActiveOrCreate(
    first: SluiceContext | string | null | undefined | (() => StreamingContext | Promise<StreamingContext>),
    second?: string | (() => StreamingContext | Promise<StreamingContext>),
    third?: (() => StreamingContext | Promise<StreamingContext>) | GetOrCreateOptions,
    options?: GetOrCreateOptions,
  ): Promise<StreamingContext> {
    const active = StreamingContext.getActive();
    if (active) return active;
    if (typeof first === 'function') return first();
    // PySpark's getActiveOrCreate(None, setupFunc): no checkpoint path, setupFunc().
    if ((first === null || first === undefined) && typeof second === 'function') return second();
    if (typeof first === 'string' && typeof second === 'function') {
      return StreamingContext.getOrCreate(first, second, third as GetOrCreateOptions | undefined);
    }
    if (typeof first === 'object' && first !== null && typeof second === 'string' && typeof third === 'function') {
      return StreamingContext.getOrCreate(first, second, third, options);
    }
    throw new SluiceError('SLUICE_BAD_ARGUMENT', 'StreamingContext.getActiveOrCreate: give (create), (checkpointDir, create) or (sc, checkpointDir, create)');
  }

  /** The context started in this driver program and not yet stopped, if any. */
  static getActive(): StreamingContext | undefined {
    return activeContext?.state === 'active' ? activeContext : undefined;
  }

  /** Check the graph against the checkpoint's fingerprint and keep the checkpoint for start(). */
  private recoverFrom(found: ReadMetadata, damaged: readonly DamagedStateCheckpoint[]): void {
    this.checkNotStarted('recovery');
    this.validate();
    const queue = this.inputStreams().find((s) => s instanceof QueueInputDStream);
    if (queue !== undefined) {
      // Spark's QueueInputDStream cannot be read back from a checkpoint: its getOrCreate fails there.
      throw new SluiceError(
        'SLUICE_CHECKPOINT',
        `StreamingContext.getOrCreate(${this.checkpointDir ?? ''}): queueStream doesn't support checkpointing. Please don't use queueStream when checkpointing is enabled. ` +
          `(stream ${queue.id} is a queueStream, whose RDDs lived in the memory of the program that wrote the checkpoint; use a source that can be read again, or start from an empty checkpoint directory)`,
      );
    }
    const md = found.metadata;
    // The code's streams that differ are named by the program's calls that made them, once a call (its id alone is the order of making).
    const diffs = differencesByCall(fingerprintDifferences(md.fingerprint, this.fingerprint()), (id) => creationSiteText(this.streams.find((x) => x.id === id)?.creationSite));
    if (diffs.length > 0) {
      throw new CheckpointGraphMismatchError(
        `the job's streams differ from those of the checkpoint in '${this.checkpointDir}' (${found.file}): ${diffs.join('; ')}. ` +
          `Recovery needs the same graph; to start afresh with the new code (its state and input positions are then lost), move or delete '${this.checkpointDir}' or use another checkpoint directory`,
      );
    }
    // A receiver stream's source (its name) changed: recovery reads the code's source, as the
    // graph is the code's (Spark deserializes the old receiver and reads the old one). Said once,
    // naming both, for a changed argument nobody meant goes on silently otherwise.
    for (const c of inputSourceChanges(md.fingerprint, this.fingerprint())) {
      const site = creationSiteText(this.streams.find((x) => x.id === c.streamId)?.creationSite);
      this.sc.log(
        'warn',
        `recovering from the checkpoint in '${this.checkpointDir}': input stream ${c.streamId}${site === undefined ? '' : ` (made by ${site})`} now reads ${c.now}, where the program that wrote the checkpoint read ${c.was}. ` +
          'Recovery goes on with the new source: the batches the checkpoint had pending re-run with the blocks they had received from the old one, and the batches from now on take what the new one sends. ' +
          `To keep reading the old source, give the program its old arguments back (Spark would restore the old receiver from the checkpoint); to start afresh, move or delete '${this.checkpointDir}'`,
        { component: 'streaming-context', streamId: c.streamId, checkpointSource: c.was, source: c.now },
      );
    }
    this.recovery = found;
    this.recoveryDamage = damaged;
    // Batches fall where they fell before the restart (Spark's graph restores its zeroTime
    // with the checkpoint, before start).
    this.zeroTime = md.zeroTime;
  }

  /**
   * @internal Before start, whether this context was recovered from a metadata checkpoint; if
   * so its stateful streams are seeded with the state read back (once; start keeps the same
   * RDDs), so dstream.slice gives them as Spark's slice gives a recovered graph's restored
   * generatedRDDs before the context starts.
   */
  readBackBeforeStart(): boolean {
    const found = this.recovery;
    if (found === undefined || this.checkpointDir === undefined) return false;
    seedStateCheckpoints({ sc: this.sc, streams: this.streams }, this.checkpointDir, found.metadata, this.recoveryDamage);
    return true;
  }

  /** @internal The graph's fingerprint, as metadata checkpoints record it. */
  fingerprint(): GraphFingerprint {
    return graphFingerprint(
      this.batchIntervalMs,
      this.streams,
      this.outputs.map((o) => {
        const { op, ...params } = o.desc;
        return { streamId: o.stream.id, op, params };
      }),
    );
  }

  // ---- inputs ---------------------------------------------------------------------------

  /**
   * Lines of text read from a TCP server (UTF-8, one record per line, '\n' or '\r\n'),
   * through a receiver on a worker. A line longer than `maxRecordLength` bytes (default
   * 64 MiB) is skipped and reported as a receiver error (StreamingListener.onReceiverError).
   */
  socketTextStream(host: string, port: number, options?: SocketTextStreamOptions): DStream<string>;
  /**
   * Spark's socketTextStream(hostname, port, storageLevel), as written (since 2026-12-05): the
   * level is taken as a receiver's is (any StorageLevel.*; blocks are stored as always).
   */
  socketTextStream(host: string, port: number, storageLevel: StorageLevel | SparkStorageLevel): DStream<string>;
  socketTextStream(host: string, port: number, optionsOrLevel: SocketTextStreamOptions | StorageLevel | SparkStorageLevel = {}): DStream<string> {
    ({ host, port } = socketSource('socketTextStream', host, port));
    const name = `socketTextStream(${host}:${port})`;
    const options: SocketTextStreamOptions = typeof optionsOrLevel === 'string' || optionsOrLevel instanceof StorageLevel ? (sparkStorageLevel(optionsOrLevel, name), {}) : optionsOrLevel;
    checkSocketTextStreamOptions(name, options);
    const max = options.maxRecordLength ?? DEFAULT_MAX_RECORD_LENGTH;
    if (!Number.isSafeInteger(max) || max < 1) {
      throw new SluiceError('SLUICE_BAD_ARGUMENT', `${name}: maxRecordLength must be a whole number of bytes >= 1, got ${String(options.maxRecordLength)}; for example { maxRecordLength: 128 * 1024 * 1024 }`);
    }
    return this.receiverStream(new SocketReceiver<string>(host, port, undefined, max), name);
  }

  /** Records converted from a TCP server's bytes by `converter`, through a receiver on a worker. */
  socketStream<T>(host: string, port: number, converter: (input: AsyncIterable<Buffer>) => AsyncIterable<T> | Iterable<T>): DStream<T> {
    ({ host, port } = socketSource('socketStream', host, port));
    return this.receiverStream(new SocketReceiver<T>(host, port, converter), `socketStream(${host}:${port})`);
  }

  /**
   * Blocks of already-serialized records from a TCP server, as Spark's rawSocketStream:
   * each block is a 4-byte big-endian length then that many bytes, an array of records
   * encoded with the record codec (`v8.serialize([...])`, or `encodeRawBlock(records)`).
   * A block's records land in one batch. A bad block is reported
   * (StreamingListener.onReceiverError) and the receiver reconnects.
   */
  rawSocketStream<T>(host: string, port: number, options: { readonly maxBlockBytes?: number | undefined } = {}): DStream<T> {
    ({ host, port } = socketSource('rawSocketStream', host, port));
    const name = `rawSocketStream(${host}:${port})`;
    checkRawSocketStreamOptions(name, options);
    const max = options.maxBlockBytes ?? DEFAULT_MAX_RAW_BLOCK_BYTES;
    if (!Number.isSafeInteger(max) || max < 1 || max > 0xffffffff) {
      throw new SluiceError('SLUICE_BAD_ARGUMENT', `${name}: maxBlockBytes must be a whole number of bytes from 1 to 2^32 - 1, got ${String(options.maxBlockBytes)}`);
    }
    return this.receiverStream(new RawSocketReceiver<T>(host, port, max), name);
  }

  /**
   * Spark's ssc.withNamedScope, for connectors: runs `body` in an RDD operation scope `name`
   * in which the operations it calls make no scope of their own, so an input stream made in
   * it has the base scope `<name> [<id>]` (`flume stream [2]`, not `receiver stream [2]`).
   */
  withNamedScope<T>(name: string, body: () => T): T {
    return withScope(name, body);
  }

  /** A stream fed by a custom Receiver. */
  receiverStream<T>(receiver: Receiver<T>, name = `receiverStream(${receiver.constructor.name})`): DStream<T> {
    this.checkNotStarted('receiverStream');
    return new ReceiverInputDStream<T>(this, receiver, name);
  }

  /**
   * Lines of new text files that appear in a directory (move them in atomically; a file
   * still being written is read once it has settled). See FileInputDStream.
   */
  textFileStream(directory: string, options: Pick<FileStreamOptions, 'ignoreMissingFiles' | 'minRememberDuration'> = {}): DStream<string> {
    if (typeof options === 'number') {
      // sc.textFile(path, 4)'s habit: a number after the directory was taken as no options.
      throw new SluiceError(
        'SLUICE_BAD_ARGUMENT',
        `textFileStream(${directory}): got ${String(options)} after the directory, as sc.textFile's minPartitions; textFileStream takes no partition count (nor does Spark's): each batch's RDD has a partition per new file; to spread each batch over ${String(options)} partitions, write .repartition(${String(options)}) on the stream`,
      );
    }
    checkNewFilesStreamOptions(`textFileStream(${directory})`, options);
    return this.fileStream(directory, options);
  }

  /** textFileStream with a file filter, and the files already there read too when `newFilesOnly` is false. */
  fileStream(directory: string, options: FileStreamOptions = {}): DStream<string> {
    this.checkNotStarted('fileStream');
    checkFileStreamOptions(`fileStream(${directory})`, options);
    return new FileInputDStream<string>(this, localStreamDirectory(directory, 'fileStream'), options);
  }

  /**
   * Fixed-length binary records of the new files in a directory, as Spark's
   * binaryRecordsStream: each file is cut every `recordLength` bytes, each record a Buffer
   * (Spark's Array[Byte]). Files are chosen as textFileStream chooses them (see
   * FileInputDStream); a file whose size is not a multiple of `recordLength` fails its
   * batch with an error naming the file.
   */
  binaryRecordsStream(directory: string, recordLength: number, options: Pick<FileStreamOptions, 'ignoreMissingFiles' | 'minRememberDuration'> = {}): DStream<Buffer> {
    this.checkNotStarted('binaryRecordsStream');
    checkNewFilesStreamOptions(`binaryRecordsStream(${directory})`, options);
    if (!Number.isSafeInteger(recordLength) || recordLength < 1) {
      throw new SluiceError('SLUICE_BAD_ARGUMENT', `binaryRecordsStream(${directory}): recordLength must be a whole number of bytes >= 1, got ${String(recordLength)}`);
    }
    return new FileInputDStream<Buffer>(this, localStreamDirectory(directory, 'binaryRecordsStream'), options, recordLength);
  }

  /**
   * Each batch takes the next RDD of `queue` (or, `oneAtATime` false, the union of all of
   * them); when it is empty, `defaultRDD`, or an empty RDD when none is given or it is `null`
   * (as Spark 2 and later: outputs run at every batch). RDDs pushed onto `queue` after the
   * start are taken by the later batches.
   *
   * PySpark's queueStream(rdds) takes lists of elements too: a queue of arrays (or a
   * `defaultRDD` that is an array) is made RDDs with `sc.parallelize` when called, as PySpark's,
   * so elements pushed onto that array later are not seen (PySpark copies its list too; since
   * 2026-12-07, before, an array in the queue failed the batch).
   */
  queueStream<T>(queue: RDD<T>[], oneAtATime?: boolean, defaultRDD?: RDD<T> | null): DStream<T>;
  queueStream<T>(queue: readonly (RDD<T> | readonly T[])[], oneAtATime?: boolean, defaultRDD?: RDD<T> | readonly T[] | null): DStream<T>;
  queueStream<T>(queue: RDD<T>[] | readonly (RDD<T> | readonly T[])[], oneAtATime = true, defaultRDD?: RDD<T> | readonly T[] | null): DStream<T> {
    this.checkNotStarted('queueStream');
    const asRDD = (x: RDD<T> | readonly T[]): RDD<T> => (Array.isArray(x) ? this.sc.parallelize([...(x as readonly T[])]) : (x as RDD<T>));
    const rdds = queue.some((x) => Array.isArray(x)) ? queue.map(asRDD) : (queue as RDD<T>[]);
    return new QueueInputDStream<T>(this, rdds, oneAtATime, defaultRDD === null || defaultRDD === undefined ? defaultRDD : asRDD(defaultRDD));
  }

  /** The union of `streams`: an array, as Scala's union(Seq), or the streams as arguments, as PySpark's union(*dstreams) (since 2026-12-07). */
  union<T>(streams: DStream<T>[]): DStream<T>;
  union<T>(...streams: DStream<T>[]): DStream<T>;
  union<T>(...args: (DStream<T> | DStream<T>[])[]): DStream<T> {
    const streams = args.length === 1 && Array.isArray(args[0]) ? args[0] : (args as DStream<T>[]);
    if (streams.some((x) => Array.isArray(x))) {
      throw new SluiceError('SLUICE_BAD_ARGUMENT', 'ssc.union: give the streams as one array, ssc.union([a, b]), or as arguments, ssc.union(a, b), not both');
    }
    if (streams.length === 0) throw new SluiceError('SLUICE_BAD_ARGUMENT', 'ssc.union: needs at least one stream');
    // Checked here to name this call: the stream's operator is 'union', as dstream.union's (the graph's fingerprint keeps it).
    checkParents('ssc.union', this, streams as DStream<unknown>[]);
    return new TransformedDStream<T>(this, streams as DStream<unknown>[], (rdds) => this.sc.union(rdds as RDD<T>[]), 'union');
  }

  /**
   * A stream whose RDD at each batch is `f` of the RDDs of `streams` at that batch (Spark's
   * ssc.transform). The streams must slide alike; `f` must return an RDD
   * (`sc.emptyRDD()` for no records), and every stream must have an RDD for the batch,
   * else the batch fails with an error naming `ssc.transform`.
   */
  transform<T>(streams: readonly DStream<unknown>[], f: (rdds: RDD<unknown>[], time: number) => RDD<T>): DStream<T> {
    if (streams.length === 0) throw new SluiceError('SLUICE_BAD_ARGUMENT', 'ssc.transform: needs at least one stream');
    this.checkNotStarted('ssc.transform');
    return new TransformedDStream<T>(this, [...streams], f, 'ssc.transform');
  }

  // ---- settings --------------------------------------------------------------------------

  /** Directory for checkpoints of stateful streams; required by updateStateByKey, mapWithState and windows with an inverse. */
  checkpoint(directory: string): void {
    this.sc.setCheckpointDirFor(directory, 'ssc.checkpoint');
    this.checkpointDir = this.sc.checkpointDirectory;
  }

  /**
   * Keep every stream's RDDs at least this long (for ad-hoc queries in foreachRDD). Set once,
   * before start(), as Spark's DStreamGraph.remember ("Remember duration already set").
   */
  remember(duration: Duration): void {
    const ms = toMillis(duration, 'ssc.remember');
    // Spark's DStreamGraph.remember takes it after start, to no effect (the streams' durations are set at start): refused here, in Sluice's words.
    this.checkNotStarted('ssc.remember', null);
    if (this.rememberGiven) {
      throw new SluiceError(
        'SLUICE_BAD_ARGUMENT',
        `ssc.remember: the remember duration is already set to ${this.rememberMs} ms and cannot be set again: Remember duration already set as ${this.rememberMs} ms. Cannot set it again. (as Spark's DStreamGraph.remember says); call remember once, with the longest duration a query needs`,
      );
    }
    this.rememberMs = ms;
    this.rememberGiven = true;
  }

  addStreamingListener(l: StreamingListener): void {
    this.listeners.push(l);
  }

  /** Stop calling `l` (added with addStreamingListener); its later events are not delivered. */
  removeStreamingListener(l: StreamingListener): void {
    const i = this.listeners.indexOf(l);
    if (i >= 0) this.listeners.splice(i, 1);
  }

  // ---- lifecycle -------------------------------------------------------------------------

  start(): void {
    if (this.state === 'active') {
      // As Spark's start() of an ACTIVE context: a warning, nothing else.
      this.sc.log('warn', 'StreamingContext has already been started (as Spark says); this start() does nothing', { component: 'streaming-context', callSite: userCallSite() });
      return;
    }
    if (this.state === 'stopped') throw new SluiceError('SLUICE_BAD_ARGUMENT', 'StreamingContext has already been stopped (as Spark says): a StreamingContext cannot be restarted after stop(); make a new one');
    if (activeContext !== undefined && activeContext !== this && activeContext.state === 'active') {
      // Spark's assertNoOtherContextIsActive, its start site a place rather than a stack.
      throw new SluiceError(
        'SLUICE_BAD_ARGUMENT',
        `Only one StreamingContext may be started in this JVM. Currently running StreamingContext was started at ${activeContext.startSite ?? '<unknown>'} (as Spark says): one StreamingContext (batch interval ${activeContext.batchIntervalMs} ms) is active in a job at a time; stop it first (await ssc.stop()) or use StreamingContext.getActive()`,
      );
    }
    try {
      this.validate();
    } catch (err) {
      // As Spark's start(): a context whose start failed is marked stopped (it cannot be
      // started again, and awaitTermination returns), not left initialized.
      this.state = 'stopped';
      contextSettled(this);
      this.resolveTerminated();
      throw err;
    }
    this.startSite = userCallSite();
    // Spark's StreamingListenerStreamingStarted(System.currentTimeMillis()): the wall clock's time
    // the context started, a manual clock's too (its batch times are the test's, the start is not).
    // The Streaming UI's startTime (Spark's StreamingJobProgressListener.startTime) is the same.
    const startedAt = new SystemClock().now();
    this.sc.streaming?.reportProgress?.({
      type: 'contextStarted',
      startTime: startedAt,
      inputStreams: this.inputStreams().map((s): [number, string] => [s.id, s.inputName]),
      properties: streamingProperties({ blockIntervalMs: this.blockIntervalMs, concurrentJobs: this.concurrentJobs, backpressure: this.backpressure, receiverMaxRate: this.receiverMaxRate, wal: this.wal }),
    });
    // The local properties its output operations run with (Spark's savedProperties): the
    // caller's now, in no job group, not interrupted on cancel.
    const saved = this.sc.localPropertiesSnapshot();
    for (const k of [JOB_GROUP_ID, JOB_DESCRIPTION]) saved.delete(k);
    saved.set(JOB_INTERRUPT_ON_CANCEL, 'false');
    this.savedProperties = saved;
    const streaming = this.sc.streaming;
    streaming?.onReceiverEvent((e) => {
      if (this.terminatedDone) return;
      // Spark's ReceiverInfo at each event: registerReceiver makes it active with no error info,
      // reportError keeps its state and sets the error (its time the clock's), deregisterReceiver
      // makes it inactive with the stop's message and error (a time only with an error).
      const info = { streamId: e.streamId, name: e.name, workerId: e.workerId, location: e.location ?? '' };
      const now = this.clock.now();
      if (e.type === 'started') {
        this.receiversActive.set(e.streamId, true);
        this.postToListeners('onReceiverStarted', (l) => l.onReceiverStarted?.(sparkEvent({ ...info, active: true, lastErrorMessage: '', lastError: '', lastErrorTime: -1 }, 'receiverInfo')));
      } else if (e.type === 'error') {
        const active = this.receiversActive.get(e.streamId) ?? false;
        this.postToListeners('onReceiverError', (l) => l.onReceiverError?.(sparkEvent({ ...info, active, message: e.message, lastErrorMessage: e.message, lastError: e.stack, lastErrorTime: now }, 'receiverInfo')));
      } else {
        this.receiversActive.set(e.streamId, false);
        const lastErrorTime = e.stack === '' ? -1 : now;
        this.postToListeners('onReceiverStopped', (l) => l.onReceiverStopped?.(sparkEvent({ ...info, active: false, reason: e.reason, lastErrorMessage: e.reason, lastError: e.stack, lastErrorTime }, 'receiverInfo')));
      }
      this.receiversHeardFrom.add(e.streamId);
      this.receiverHeard?.();
    });
    streaming?.onStopRequested((graceful) => void this.stop({ graceful }));
    const now = this.clock.now();
    if (this.checkpointDir !== undefined) {
      if (this.inputStreams().some((s) => s instanceof QueueInputDStream)) {
        this.sc.log('warn', "queueStream doesn't support checkpointing: a restart with StreamingContext.getOrCreate from this checkpoint will fail (its RDDs live in this program's memory)", {
          component: 'streaming-context',
          dir: this.checkpointDir,
        });
      }
      this.checkpointer = new MetadataCheckpointer(
        this.checkpointedGraph(),
        openCheckpointStore(this.checkpointDir),
        (err) => {
          this.failed(err);
          void this.stop();
        },
        3,
        this.checkpointWriteTimeoutMs,
      );
    }
    const md = this.recovery?.metadata;
    const recovering = md !== undefined && this.checkpointer !== undefined;
    if (md && this.checkpointer) {
      this.zeroTime = md.zeroTime;
      this.nextBatchTime = md.nextBatchTime;
      this.rerun = this.checkpointer.restore(md, this.recoveryDamage);
      const missed = Math.max(0, Math.floor((now - md.nextBatchTime) / this.batchIntervalMs) + 1);
      this.sc.log('info', 'streaming context recovered from a metadata checkpoint', {
        component: 'streaming-context',
        file: this.recovery?.file,
        zeroTime: md.zeroTime,
        rerun: this.rerun,
        nextBatchTime: md.nextBatchTime,
        missedBatches: missed,
        stateCheckpoints: md.stateCheckpoints,
      });
    } else {
      this.zeroTime = now - (now % this.batchIntervalMs);
      this.nextBatchTime = this.zeroTime + this.batchIntervalMs;
    }
    this.recordedNextBatchTime = this.nextBatchTime;
    if (this.backpressure) {
      for (const s of this.inputStreams()) {
        if (!s.rateControlled) continue;
        const estimator = new PIDRateEstimator(this.batchIntervalMs, this.backpressure.pid);
        this.rateControllers.set(s.id, new RateController(s.id, estimator, () => this.publishFlow()));
      }
    }
    // On the system clock a warm-up job runs first (warmUpCluster), then the receivers start
    // (as Spark's ReceiverTracker runs its dummy job before it launches them), and the
    // batches' times start once they did; a manual clock's time is the test's, so everything
    // starts at once.
    const warm = this.clock instanceof SystemClock;
    const receiverStreams = this.inputStreams().filter((s) => warm && s instanceof ReceiverInputDStream);
    for (const s of startOrder(this.inputStreams())) if (!receiverStreams.includes(s)) s.start();
    this.state = 'active';
    this.sc.stopHooks.add(this.stopWithSparkContext);
    contextSettled(this);
    activeContext = this;
    const started = streamingStarted(startedAt);
    this.postToListeners('onStreamingStarted', (l) => l.onStreamingStarted?.(started));
    this.warmedUp = warm ? this.warmUpThenReceive(receiverStreams) : Promise.resolve();
    void this.warmedUp.then(() => {
      if (this.state !== 'active') return;
      if (warm && !recovering) {
        const t = this.clock.now();
        this.zeroTime = t - (t % this.batchIntervalMs);
        this.nextBatchTime = this.zeroTime + this.batchIntervalMs;
        this.recordedNextBatchTime = this.nextBatchTime;
      }
      return this.generateLoop();
    });
  }

  /**
   * The start on a system clock, before the batches' times are fixed: the warm-up job, then
   * the receivers, then a wait until each has started (or reported an error or its stop).
   * A receiver started during the warm-up took in data for as long as the warm-up ran, all of
   * it the first batch's (one task a block: at 50 ms batches, 20-30 tasks where a batch has
   * 2), and took the worker's ready task thread, so that the warm-up's tasks started one
   * cold; a receiver started with the clock starts its thread (100-300 ms of a worker's CPU)
   * during the first batches. Each leaves a backlog that short batches work off over many
   * batches. Bounded: a warm-up that timed out (no worker yet) starts the receivers and the
   * clock at once; receivers not heard from within RECEIVERS_START_TIMEOUT_MS do not hold the
   * clock longer. Not while stopping: a graceful stop asked for meanwhile starts no receiver.
   */
  private async warmUpThenReceive(receiverStreams: readonly InputDStream<unknown>[]): Promise<void> {
    // Its jobs and stages are named `start at <the program's start() call>`, as Spark's dummy job
    // (StreamingContext.start runs the scheduler's start with the call site set to start's).
    const warmedUp = await withCreationSite('start', () => warmUpCluster(this.sc));
    if (this.state !== 'active' || this.receivingStopped) return;
    for (const s of startOrder(receiverStreams)) s.start();
    if (!warmedUp || receiverStreams.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const allHeard = (): boolean => receiverStreams.every((s) => this.receiversHeardFrom.has(s.id));
    await new Promise<void>((resolve) => {
      const done = (): void => {
        this.receiverHeard = undefined;
        clearTimeout(timer);
        resolve();
      };
      if (allHeard()) return done();
      this.receiverHeard = () => {
        if (allHeard() || this.state !== 'active' || this.receivingStopped) done();
      };
      timer = setTimeout(done, RECEIVERS_START_TIMEOUT_MS);
    });
  }

  private checkpointedGraph(): ConstructorParameters<typeof MetadataCheckpointer>[0] {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const ssc = this;
    return {
      sc: this.sc,
      batchIntervalMs: this.batchIntervalMs,
      get zeroTime() {
        return ssc.zeroTime;
      },
      streams: this.streams,
      inputs: this.inputStreams(),
      outputs: this.outputs.map((o) => o.checkpointState),
      fingerprint: () => this.fingerprint(),
      unwrittenOutcome: (batchTime, reason) => this.unwrittenOutcome(batchTime, reason),
    };
  }

  /**
   * Stop. With `graceful`, stop the receivers first, then generate and process every
   * batch up to the data they received, then stop. Resolves when stopped: a call made while
   * a stop is under way resolves when that one ends (Spark's stop is synchronized); a
   * non-graceful call during a graceful stop stops at once.
   */
  /** sc.stop() stops the active context first, not gracefully (Spark's SparkContext.stop ends its streaming jobs). */
  private readonly stopWithSparkContext = (): Promise<void> => this.stopOutsideListeners({ dropQueued: true });

  /**
   * The options form also takes Spark's parameter names, as a Scala program passes them
   * (`ssc.stop(stopSparkContext = false, stopGracefully = true)` is `ssc.stop({ stopSparkContext:
   * false, stopGracefully: true })`): `stopGracefully` is `graceful`, and `stopSparkContext`
   * stops the SluiceContext once the StreamingContext has stopped. Since 2026-12-07; before, that
   * object was a type error, and from JavaScript it stopped at once, not gracefully (an unknown
   * key was ignored; now it is refused, PySpark's `stopGraceFully` naming `stopGracefully`).
   */
  stop(options?: StopOptions): Promise<void>;
  /**
   * Spark's stop(stopSparkContext, stopGracefully) (since 2026-12-05; before, `stop(true, true)`
   * read `true` as the options and stopped at once): `stopGracefully` as `{ graceful }`, then,
   * with `stopSparkContext`, `sc.stop()`. Spark's `stop()` with no argument stops the
   * SparkContext too (spark.streaming.stopSparkContextByDefault); Sluice's keeps it.
   */
  stop(stopSparkContext: boolean, stopGracefully?: boolean): Promise<void>;
  stop(optionsOrStopSparkContext: StopOptions | boolean = {}, stopGracefully = false): Promise<void> {
    if (typeof optionsOrStopSparkContext === 'boolean') {
      const stopped = this.stop({ graceful: stopGracefully });
      return optionsOrStopSparkContext ? stopped.then(() => this.sc.stop()) : stopped;
    }
    if (optionsOrStopSparkContext === null || typeof optionsOrStopSparkContext !== 'object') {
      throw new SluiceError('SLUICE_BAD_ARGUMENT', `StreamingContext.stop: give { graceful } or Spark's (stopSparkContext, stopGracefully), got ${String(optionsOrStopSparkContext)}`);
    }
    const given = optionsOrStopSparkContext;
    refuseUnknownOptions(given, STOP_OPTION_KEYS, 'StreamingContext.stop', STOP_SPARK_NAMES);
    if (given.graceful !== undefined && given.stopGracefully !== undefined && given.graceful !== given.stopGracefully) {
      throw new SluiceError('SLUICE_BAD_ARGUMENT', `StreamingContext.stop: graceful (${String(given.graceful)}) and stopGracefully (${String(given.stopGracefully)}), Spark's name for it, disagree; give one of them`);
    }
    const options = { graceful: given.graceful ?? given.stopGracefully };
    if (given.stopSparkContext === true) {
      // As stop(true, stopGracefully): the StreamingContext first, then the SluiceContext.
      return this.stop({ graceful: options.graceful === true }).then(() => this.sc.stop());
    }
    if (this.inListener > 0) {
      // Spark's StreamingContext.stop refuses the listener bus thread: a SparkException thrown where it is called.
      throw new SluiceError(
        'SLUICE_BAD_ARGUMENT',
        'Cannot stop StreamingContext within listener bus thread: ssc.stop() was called inside a StreamingListener callback, as Spark refuses it; stop it from the driver program (resolve a promise in the listener and stop where it is awaited)',
      );
    }
    return this.stopOutsideListeners(options);
  }

  /** `dropQueued`: a non-graceful stop drops the queued batches at once (the SluiceContext is stopping) instead of running them within its bound. */
  private async stopOutsideListeners(options: { graceful?: boolean; dropQueued?: boolean }): Promise<void> {
    contextSettled(this);
    if (this.state !== 'active') {
      if (this.stopping) return this.stopping;
      this.state = 'stopped';
      this.resolveTerminated();
      return;
    }
    const stopping = this.stopActive(options);
    this.stopping = stopping;
    stopsUnderWay.add(stopping);
    const settled = (): void => void stopsUnderWay.delete(stopping);
    stopping.then(settled, settled);
    return stopping;
  }

  private async stopActive(options: { graceful?: boolean; dropQueued?: boolean }): Promise<void> {
    if (options.graceful) {
      this.receivingStopped = true;
      this.receiverHeard?.();
      await this.sc.streaming?.stopReceivers({ graceful: true });
      // The first batch's time is fixed once the start's warm-up and receivers' start end: what was received meanwhile goes to it.
      await this.warmedUp;
      // Every block received so far was reported before now, and a batch takes the blocks
      // reported before its time: they all belong to batches up to the first tick after now
      // (the next one, unless the batches are being generated late).
      let last = this.nextBatchTime;
      if (this.clock instanceof SystemClock) while (last <= this.clock.now()) last += this.batchIntervalMs;
      if (this.clock instanceof ManualClock) this.clock.setTime(Math.max(this.clock.now(), last));
      // No batch after it is generated (Spark's JobGenerator stops its timer, then waits for
      // the batches up to the stop time): under a backlog the batches generated while the
      // ones before are worked off would be left pending, each re-run by the next start and
      // listed by every metadata file until then, and the backlog carried over would grow
      // with the time the stop takes.
      this.generateUpTo = last;
      // A batch that fails meanwhile stops the context at once (its queued batches are
      // dropped, so `last` may never run): stop waiting then. So does a batch held for want of
      // a metadata checkpoint (generateBatch): no later batch asks for one, so it would wait
      // for good; it does not run, and a recovery from the checkpoint runs it.
      await Promise.race([this.waitForBatch(last), this.terminated, new Promise<void>((resolve) => (this.held.size > 0 ? resolve() : (this.onHeld = resolve)))]);
      this.onHeld = undefined;
      if (this.held.size > 0) {
        this.sc.log('warn', 'graceful stop: batches held for want of a metadata checkpoint do not run; a recovery from the checkpoint runs them', {
          component: 'streaming-context',
          batchTimes: [...this.held].sort((a, b) => a - b),
          dir: this.checkpointDir,
        });
      }
    }
    this.state = 'stopped';
    // Not gracefully, the batches already queued run within the stop's bound, as Spark's job
    // executor, shut down, runs the jobs queued before; dropped now, before the receivers stop,
    // after a batch failed (the context stops for it, where Spark's goes on until the program
    // stops it) or when the SluiceContext is stopping.
    if (!options.graceful && (this.fatal !== undefined || options.dropQueued)) this.scheduler.dropQueued();
    this.sc.stopHooks.delete(this.stopWithSparkContext);
    this.receiverHeard?.();
    if (activeContext === this) activeContext = undefined;
    if (this.clock instanceof ManualClock) this.clock.advance(0);
    await this.sc.streaming?.stopReceivers();
    for (const s of this.inputStreams()) s.stop();
    if (options.graceful) await this.scheduler.drain();
    else await this.scheduler.stopNow(STOP_WAIT_FOR_RUNNING_BATCHES_MS);
    this.scheduler.stopped();
    // The last batches' metadata is written before the context counts as stopped.
    await this.checkpointer?.flush();
    this.resolveTerminated();
  }

  /**
   * Resolves when the context stops; rejects as soon as a batch failed fatally, as Spark's
   * ContextWaiter.waitForStopOrError does: the failure stops the context, but the caller
   * hears of it at once, not after later batches already queued have run their outputs.
   * PySpark's awaitTermination(timeout): with `timeoutMs`, waits as awaitTerminationOrTimeout
   * and resolves either way (PySpark's returns None), in milliseconds as every number of time
   * in Sluice (PySpark's is seconds: its awaitTermination(10) is awaitTermination(10_000) here;
   * since 2026-12-07, before which the timeout was ignored and the call waited for the stop).
   */
  async awaitTermination(timeoutMs?: number): Promise<void> {
    if (timeoutMs !== undefined) {
      await this.awaitTerminationOrTimeout(timeoutMs);
      return;
    }
    this.checkStarted('awaitTermination');
    await Promise.race([this.terminated, this.fatalSeen]);
    if (this.fatal) throw this.fatal;
  }

  /**
   * true if the context stopped within `ms`, false on timeout. On a context not started yet
   * it waits the same way, as Spark's ContextWaiter.waitForStopOrError(timeout): false once
   * `ms` passed, true if ssc.stop() was called meanwhile. The wait is bounded, so unlike
   * awaitTermination() it is no error (a program polling a context it starts later is fine).
   * As Spark's, a negative `ms` (or Infinity) waits with no timeout, as awaitTermination()
   * does (and is refused as it is on a context never started); a wait longer than Node's
   * longest timer (2^31 - 1 ms, ~24.8 days) is waited out in several, where one timer would
   * fire after 1 ms.
   */
  async awaitTerminationOrTimeout(ms: number): Promise<boolean> {
    if (typeof ms !== 'number' || Number.isNaN(ms)) {
      throw new SluiceError('SLUICE_BAD_ARGUMENT', `ssc.awaitTerminationOrTimeout: the timeout must be a number of ms, got ${JSON.stringify(ms) ?? String(ms)}; for example ssc.awaitTerminationOrTimeout(10_000)`);
    }
    if (ms < 0 || ms === Infinity) this.checkStarted('awaitTerminationOrTimeout');
    let cancel = (): void => undefined;
    const timedOut = new Promise<boolean>((r) => {
      if (ms < 0 || ms === Infinity) return;
      cancel = afterMs(ms, () => r(false));
    });
    const stopped = await Promise.race([this.terminated.then(() => true), this.fatalSeen.then(() => true), timedOut]);
    cancel();
    if (stopped && this.fatal) throw this.fatal;
    return stopped;
  }

  /** Resolves once every batch up to `time` has been processed (with a manual clock, advance it first). */
  waitForBatch(time: number): Promise<void> {
    return this.scheduler.waitFor(time);
  }

  // ---- internals -------------------------------------------------------------------------

  /** @internal */
  registerStream(s: DStream<unknown>): number {
    // As Spark's DStream.validateAtInit: inputs and transformations too, not only outputs.
    this.checkNotStarted(`a new stream (${s.constructor.name})`);
    this.streams.push(s);
    return this.nextStreamId++;
  }

  /** @internal `desc`: the operation and its parameters, for the graph fingerprint. */
  registerOutput(stream: DStream<unknown>, fn: Output['fn'], desc: OutputDescription, checkpointState?: OutputCheckpointState): void {
    this.checkNotStarted('an output operation');
    this.outputs.push({ stream, fn, desc, baseScope: currentScope()?.toJson(), creationSite: currentCreationSite(), callStack: userCallStack(), checkpointState });
  }

  /** @internal How stream `streamId`'s receiver runs on its worker. */
  receiverRunOptions(streamId: number): ReceiverRunOptions {
    const initialRate = this.backpressure ? this.latestRate(streamId) : undefined;
    return {
      blockIntervalMs: this.blockIntervalMs,
      maxBufferedRecords: this.receiverMaxBufferedRecords,
      ...(this.receiverMaxRate === undefined ? {} : { maxRate: this.receiverMaxRate }),
      ...(initialRate === undefined ? {} : { initialRate }),
      ...(this.wal && this.checkpointDir ? { wal: { dir: walDirectory(this.checkpointDir, streamId), ...this.wal } } : {}),
    };
  }

  /** @internal */
  streamingBackend(): StreamingBackend {
    const b = this.sc.streaming;
    if (!b) throw new SluiceError('SLUICE_INTERNAL', 'this cluster does not support receivers');
    return b;
  }

  /**
   * @internal Give an event to every listener, in the order they were added, as Spark's
   * StreamingListenerBus: a listener that throws (or whose promise rejects) is logged at warn
   * and the event goes on to the others; neither the batch nor the context is affected.
   */
  /** How deep in StreamingListener callbacks the program is now (stop() is refused there, as Spark's). */
  private inListener = 0;

  postToListeners(event: string, call: (l: StreamingListener) => unknown): void {
    const warn = (l: StreamingListener, err: unknown): void =>
      this.sc.log('warn', 'a StreamingListener threw; the event goes on to the other listeners', {
        component: 'streaming-listener-bus',
        event,
        listener: l.constructor?.name ?? 'Object',
        err: userErrorInfo(err).message,
      });
    for (const l of this.listeners) {
      this.inListener++;
      this.sc.listenerDepth++;
      try {
        const r = call(l);
        if (r instanceof Promise) r.catch((err: unknown) => warn(l, err));
      } catch (err) {
        warn(l, err);
      } finally {
        this.inListener--;
        this.sc.listenerDepth--;
      }
    }
  }

  /** @internal The local properties saved at start(), for the output operations (a copy each). */
  savedLocalProperties(): ReadonlyMap<string, string> {
    return this.savedProperties;
  }

  /**
   * What the stream does while a metadata write is refused (its warning said "the stream goes
   * on" whatever happened): generation paused with the most batches held, this batch held,
   * later batches waiting behind held ones, or batches going on (and which would be held).
   */
  private unwrittenOutcome(time: number, reason: string): string {
    const held = this.held.size;
    if (held > 0 && this.awaitingRecord >= MAX_HELD_BATCHES) {
      return `batch generation is paused: ${held} batches are held for want of a metadata checkpoint (the most at once, ${MAX_HELD_BATCHES}), and no batch is generated or run until one is written`;
    }
    const plural = held === 1 ? 'batch' : 'batches';
    if (reason === 'generated' && this.inputStreams().some((s) => s.inputMustBeRecorded(time))) {
      return `batch ${time} is held, no output running for it, until a metadata checkpoint records its input${held > 0 ? ` (with the ${held} held before it)` : ''}; batch generation pauses once ${MAX_HELD_BATCHES} are held`;
    }
    if (held > 0) return `the ${held} ${plural} held for want of a metadata checkpoint stay held, no output running for them, and later batches wait behind them; batch generation pauses once ${MAX_HELD_BATCHES} are held`;
    if (this.inputStreams().some((s) => s.inputMayNeedRecord())) {
      return 'batches go on, but each whose input must be recorded first (received blocks with the write-ahead log on, Kafka offset ranges, files) is held until a metadata checkpoint records it';
    }
    return 'the stream goes on (its batches need no record to run; a recovery meanwhile makes them again from the last metadata written)';
  }

  /** @internal A batch failed in a way that stops the context (awaitTermination rethrows it). */
  failed(err: Error): void {
    this.fatal ??= err;
    this.resolveFatalSeen();
  }

  /**
   * @internal An input stream's start failed for good (a direct stream's first lookup: brokers
   * never reached, a topic that does not exist): the context fails and stops now, as Spark's
   * ssc.start() throws what an input stream's start() threw, rather than at the first batch,
   * which comes after the start's warm-up job (up to WARM_UP_TIMEOUT_MS).
   */
  inputStartFailed(err: Error): void {
    if (this.state !== 'active') return;
    this.failed(err);
    void this.stop();
  }

  /**
   * awaitTermination() on a context nobody started would wait forever (Spark's waits for a
   * stop() from another thread): an error instead. Only there: a job's program has no other
   * thread, so a program waiting here almost always forgot ssc.start(), and the wait would
   * hang the job silently until it is cancelled (`sluice stop` reaches only a started
   * context; a job without one is cancelled). awaitTerminationOrTimeout waits as Spark's.
   */
  private checkStarted(what: string): void {
    if (this.state !== 'initialized') return;
    throw new SluiceError(
      'SLUICE_NOT_STARTED',
      `ssc.${what}(): the StreamingContext created at ${this.createdAt} was never started, so it would wait forever with nothing running; call ssc.start() before ssc.${what}()`,
    );
  }

  /** @internal Names of the output operations (`print`, `foreachRDD`, ...), for errors. */
  outputNames(): string[] {
    return this.outputs.map((o) => String(o.desc.op));
  }

  /** @internal */
  streamCount(): number {
    return this.streams.length;
  }

  /**
   * @internal Refuse `what` once the context has started or stopped, as Spark refuses new
   * inputs, transformations and outputs (DStream.validateAtInit) and a stream's storage level
   * or checkpoint interval changed then.
   */
  /**
   * @internal Refuses a change of the graph once the context started (or stopped). `spark`: the
   * sentence Spark's own check of `what` says, quoted before Sluice's (by default
   * DStream.validateAtInit's, for a new stream or output); null where Spark has no such check.
   */
  checkNotStarted(what: string, spark?: string | null): void {
    if (this.state !== 'active' && this.state !== 'stopped') return;
    const started = this.state === 'active';
    const sentence = spark === undefined ? `Adding new inputs, transformations, and output operations after ${started ? 'starting' : 'stopping'} a context is not supported` : spark;
    const head = sentence === null ? `${what}: ` : `${what}: ${sentence} (as Spark says): `;
    throw new SluiceError(
      'SLUICE_BAD_ARGUMENT',
      started
        ? `${head}cannot add streams or outputs, or change them, after the StreamingContext has started; define them all before ssc.start()`
        : `${head}cannot add streams or outputs, or change them, after the StreamingContext has stopped; make a new StreamingContext`,
    );
  }

  /** @internal */
  inputStreams(): InputDStream<unknown>[] {
    return this.streams.filter((s): s is InputDStream<unknown> => s instanceof InputDStream);
  }

  /** @internal Check the graph and settle checkpoint intervals and remember durations (idempotent). */
  validate(): void {
    if (this.outputs.length === 0) {
      throw new SluiceError('SLUICE_BAD_ARGUMENT', 'No output operations registered, so nothing to execute (as Spark says): add print(), saveAsTextFiles() or foreachRDD() before start()');
    }
    if (this.wal && !this.checkpointDir) {
      throw new SluiceError(
        'SLUICE_CHECKPOINT',
        'the receiver write-ahead log (StreamingContext option writeAheadLog) needs a checkpoint directory for its log: call ssc.checkpoint(dir) before start(), or turn the log off',
      );
    }
    if (this.wal && this.checkpointDir && locationScheme(this.checkpointDir) !== undefined) {
      // The log appends each block to a segment file and fsyncs it before the block is
      // reported; object storage has no append (Spark needs closeFileAfterWrite there).
      throw new SluiceError(
        'SLUICE_CHECKPOINT',
        `the receiver write-ahead log (StreamingContext option writeAheadLog) needs a checkpoint directory on a file system, local or shared by every host (NFS, a mounted volume), but it is '${this.checkpointDir}': ` +
          `object storage has no append. Checkpoint to a shared directory to keep the log, or turn the log off (received blocks are then replicated to a second worker) to checkpoint to ${this.checkpointDir.slice(0, this.checkpointDir.indexOf('://') + 3)}`,
      );
    }
    for (const o of this.outputs) o.stream.validate();
    const reachable = new Set<DStream<unknown>>();
    const visit = (s: DStream<unknown>): void => {
      if (reachable.has(s)) return;
      reachable.add(s);
      for (const d of s.dependencies) visit(d);
    };
    for (const o of this.outputs) visit(o.stream);
    for (const s of reachable) {
      if (s.mustCheckpoint) {
        if (!this.checkpointDir) {
          throw new SluiceError(
            'SLUICE_CHECKPOINT',
            `${statefulCall(s)} needs a checkpoint directory: call ssc.checkpoint(dir) before start()${sparkWords(true, NO_CHECKPOINT_DIRECTORY)}`,
          );
        }
        s.checkpointInterval ??= s.defaultCheckpointInterval();
      }
      // As Spark's DStream.validateAtStart: a checkpoint interval needs the directory and is a multiple of the slide.
      if (s.checkpointInterval !== undefined) {
        if (!this.checkpointDir) {
          throw new SluiceError(
            'SLUICE_CHECKPOINT',
            `stream ${s.id} (${s.constructor.name}) is checkpointed every ${s.checkpointInterval} ms (dstream.checkpoint(interval)), which needs a checkpoint directory: call ssc.checkpoint(dir) before start()${sparkWords(true, NO_CHECKPOINT_DIRECTORY)}`,
          );
        }
        if (s.checkpointInterval % s.slideDuration !== 0) {
          const [interval, slide, name] = [s.checkpointInterval, s.slideDuration, s.constructor.name];
          const up = Math.ceil(interval / slide) * slide;
          // Spark's two requires, in its order (the second's double space and 'which not' are Spark's own).
          const words =
            interval < slide
              ? `The checkpoint interval for ${name} has been set to ${interval} ms which is lower than its slide time (${slide} ms). Please set it to at least ${slide} ms.`
              : `The checkpoint interval for ${name} has been set to  ${interval} ms which not a multiple of its slide time (${slide} ms). Please set it to a multiple of ${slide} ms.`;
          throw new SluiceError(
            'SLUICE_BAD_ARGUMENT',
            `stream ${s.id} (${name}): its checkpoint interval (${interval} ms) must be a multiple of its slide (${slide} ms), as in Spark; for example dstream.checkpoint(${up})${sparkWords(Number.isInteger(interval), words)}`,
          );
        }
        // Spark's next require: a checkpointed stream is persisted. checkpoint() persists the
        // stream, but a window's persist() persists its parent (WindowedDStream.persist), so
        // window(...).checkpoint(interval) is refused here as in Spark.
        if (s.storageLevel === StorageLevel.NONE) {
          const name = s.constructor.name;
          throw new SluiceError(
            'SLUICE_BAD_ARGUMENT',
            `stream ${s.id} (${name}) is checkpointed every ${s.checkpointInterval} ms (dstream.checkpoint(interval)) but its RDDs are not persisted: a window's RDDs are unions of its parent's batches, and its persist() (which checkpoint() calls) persists the parent instead, so a window cannot be checkpointed, as in Spark. Checkpoint the stream the window is over, or a stream computed from the window (window(...).map(f).checkpoint(interval))${sparkWords(true, `${name} has been marked for checkpointing but the storage level has not been set to enable persisting. Please use DStream.persist() to set the storage level to use memory for better checkpointing performance.`)}`,
          );
        }
      }
    }
    for (const o of this.outputs) o.stream.rememberAtLeast(Math.max(this.rememberMs, o.stream.slideDuration));
    for (const s of reachable) s.rememberAtLeast(this.rememberMs);
  }

  private async generateLoop(): Promise<void> {
    // A checkpoint location that cannot be written (a missing bucket, refused
    // credentials, an unreachable endpoint) stops the stream before its first batch.
    if (this.checkpointDir !== undefined) {
      try {
        const store = await this.sc.checkpointStore();
        await this.checkpointer?.init();
        // The directory is this stream's: RDD checkpoints earlier runs of the job left
        // there (killed before their program ended) are read by nothing now.
        const removed = await this.sc.rddCheckpoints.removeEarlierAttempts(store);
        if (removed.length > 0) this.sc.log('info', 'removed RDD checkpoints of earlier runs', { component: 'streaming-context', attempts: removed });
      } catch (err) {
        this.failed(err as Error);
        void this.stop();
        return;
      }
    }
    // Recovery: the batches generated but not completed before the failure run again,
    // with their times and their input as the checkpoint recorded them.
    for (const time of this.rerun.splice(0)) {
      if (this.state !== 'active') return;
      try {
        await this.generateBatch(time);
      } catch (err) {
        this.failed(err as Error);
        void this.stop();
        return;
      }
    }
    // Batches generated in a row that were already due when the loop came to them.
    let dueInARow = 0;
    while (this.state === 'active') {
      const time = this.nextBatchTime;
      if (time > this.generateUpTo) break;
      if (this.held.size > 0 && this.awaitingRecord >= MAX_HELD_BATCHES) {
        await this.pausedWhileHeld();
        continue;
      }
      dueInARow = this.clock.now() >= time ? dueInARow + 1 : 0;
      await this.clock.waitUntil(time);
      // Generation far behind the clock (a manual clock set far ahead, as Spark's SPARK-22955
      // test sets Long.MaxValue): a manual clock's wait for a due time resolves at once, so batch
      // after batch would be generated without the driver's I/O and timers ever running (no job,
      // no stop: a hang). Every DUE_BATCHES_PER_TURN due batches, the event loop turns first.
      if (dueInARow % DUE_BATCHES_PER_TURN === 0 && dueInARow > 0) await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.state !== 'active') break;
      this.nextBatchTime = time + this.batchIntervalMs;
      try {
        await this.generateBatch(time);
      } catch (err) {
        this.failed(err as Error);
        void this.stop();
        return;
      }
      if (this.receivingStopped && this.state !== 'active') break;
    }
  }

  /**
   * @internal Generate the jobs of one batch and queue them. Resolves once the batch's
   * input is fixed and its RDDs made; with a checkpoint directory its jobs are submitted
   * later, when its metadata is durable.
   */
  async generateBatch(time: number): Promise<void> {
    const inputs = this.inputStreams();
    for (const s of inputs) await s.prepareBatch(time);
    // Stopped meanwhile (stop() already drained the scheduler): a batch submitted now would
    // run while the program ends, and its outputs would be cut off half way.
    if (this.state !== 'active') return;
    this.lastGeneratedTime = Math.max(this.lastGeneratedTime, time);
    this.unfinished.add(time);
    const jobs: OutputJob[] = [];
    for (const o of this.outputs) {
      let rdd: RDD<unknown> | undefined;
      try {
        rdd = generatingBatch(() => o.stream.getOrCompute(time));
      } catch (err) {
        // A function of the program that runs as the batch is generated (transform's, on the
        // driver) threw: name the batch, as Spark's JobGenerator reports "Error generating jobs
        // for time T". Sluice's own failures here (a damaged checkpoint) name it already.
        if (isSluiceError(err)) throw err;
        throw generationFailure(err, time, { id: this.outputs.indexOf(o), name: creationSiteText(o.creationSite) ?? o.desc.op });
      }
      // As Spark's ForEachDStream: the output's function runs in its scope for the batch; the RDD
      // operations foreachRDD's calls show within it, the others' (print, save) do not.
      const scope = batchScope(o.baseScope, time, formatBatchTime(time, this.batchIntervalMs, false));
      // A foreachRDD's operations are each at its own line; one called from a connector's code (no
      // frame of the program: saveToPostgres(stream, ...)'s collect) at the line that registered the output.
      const inner = o.desc.op === 'foreachRDD';
      const run = scope ? () => withGivenScope(scope, !inner, () => o.fn(rdd!, time), inner ? undefined : o.creationSite, inner ? o.creationSite?.site : undefined) : () => o.fn(rdd!, time);
      if (rdd) jobs.push({ outputOpId: this.outputs.indexOf(o), name: creationSiteText(o.creationSite) ?? o.desc.op, description: o.callStack, run });
    }
    const inputInfo: Record<number, StreamInputInfo> = {};
    let numRecords = 0;
    for (const s of inputs) {
      // Only the input streams computed for this batch report what it took, as Spark's (their compute calls
      // InputInfoTracker.reportInfo): not one no output reads, nor one whose only reader is not due now (a window's
      // slide), whose records no output of this batch processed.
      if (!s.generated.has(time)) continue;
      // A source that says what it took but not how many records (a file stream) counts 0, as Spark's.
      const metadata = s.inputMetadataAt(time);
      const n = s.recordsAt(time) ?? (metadata === undefined ? undefined : 0);
      if (n === undefined) continue;
      inputInfo[s.id] = metadata === undefined ? { inputStreamId: s.id, numRecords: n } : { inputStreamId: s.id, numRecords: n, metadata };
      numRecords += n;
    }
    const submit = (): void => {
      if (this.state !== 'active') return; // pending in the metadata: a recovery runs it
      this.scheduler.submit(time, numRecords, jobs, inputInfo);
    };
    if (!this.checkpointer) return submit();
    // The jobs run once the metadata recording the batch as generated is durable (a driver
    // that dies after they ran then re-runs the batch from the same input), but the next
    // batch is generated on its time meanwhile: the checkpointer writes in order, so
    // batches are submitted in order, and writes asked for while one is under way are
    // written as one (group commit). A write that fails stops the context.
    // A write skipped for want of space (or permission) releases the batch all the same (the
    // stream goes on), unless an input of it must be recorded first: received blocks in the
    // write-ahead log (a recovery from an older checkpoint gives every logged block no recorded
    // batch took to its first batch), a direct input's ranges (made again up to the source's end
    // then) and a file stream's files (every file not recorded as read, new ones too). Run
    // unrecorded, this batch time would run again with other input, and an output that skips
    // batch times it committed, saveToPostgres's markers, would miss what moved into it. Such a
    // batch, and the ones after it, wait until a metadata write records it (the next batch's,
    // once space is back), as Spark runs no batch with blocks whose allocation it could not log
    // (Spark runs a direct or file batch unrecorded: see docs/fault-matrix.md).
    const checkpointer = this.checkpointer;
    const mustRecord = inputs.filter((s) => s.inputMustBeRecorded(time)).map((s) => s.id);
    this.awaitingRecord++;
    this.recordedNextBatchTime = Math.max(this.recordedNextBatchTime, time + this.batchIntervalMs);
    const ready = checkpointer.batchGenerated(time, this.recordedNextBatchTime).then(async (durable) => {
      if (durable || mustRecord.length === 0) return;
      const since = this.clock.now();
      this.held.add(time);
      this.heldSince ??= since;
      this.sc.log('warn', 'batch held: no metadata checkpoint records its input (received blocks, offset ranges or files), so it waits until one is written (space back); run unrecorded, a recovery would run its batch time again with other input', {
        component: 'streaming-context',
        batchTime: time,
        streams: mustRecord,
        dir: checkpointer.checkpointDir,
        heldBatches: this.held.size,
        heldSince: new Date(this.heldSince).toISOString(),
        oldestHeldBatch: Math.min(...this.held),
        maxHeldBatches: MAX_HELD_BATCHES,
      });
      this.onHeld?.();
      await checkpointer.nextDurable();
      this.held.delete(time);
      if (this.held.size === 0) this.heldSince = undefined;
      this.sc.log('info', 'held batch released: a metadata checkpoint records its input', { component: 'streaming-context', batchTime: time, heldMs: this.clock.now() - since });
    });
    const recorded = ready.finally(() => this.awaitingRecord--);
    // In time order whatever each waits for.
    this.submitting = this.submitting.then(() => recorded).then(submit, (err: unknown) => {
      this.failed(err as Error);
      void this.stop();
    });
  }

  /**
   * The generator's wait while MAX_HELD_BATCHES batches are held: no batch is generated, and as
   * no batch asks for a metadata write meanwhile, one is asked for each batch interval (it
   * records every held batch); ends once one is durable (the held batches are released) or the
   * context stops.
   */
  private async pausedWhileHeld(): Promise<void> {
    const checkpointer = this.checkpointer;
    if (!checkpointer) return;
    const since = this.clock.now();
    const fields = { component: 'streaming-context', heldBatches: this.held.size, awaitingRecord: this.awaitingRecord, oldestHeldBatch: Math.min(...this.held), heldSince: new Date(this.heldSince ?? since).toISOString(), dir: checkpointer.checkpointDir };
    this.sc.log('warn', 'batch generation paused: the most batches held for want of a metadata checkpoint are held; it resumes once one is written (space back), and the batches due meanwhile are generated then', fields);
    while (this.state === 'active' && this.held.size > 0 && this.awaitingRecord >= MAX_HELD_BATCHES) {
      checkpointer.batchGenerated(Math.min(...this.held), this.nextBatchTime).catch((err: unknown) => {
        this.failed(err as Error);
        void this.stop();
      });
      await Promise.race([this.clock.waitUntil(this.clock.now() + this.batchIntervalMs), this.terminated]);
    }
    if (this.state === 'active') this.sc.log('info', 'batch generation resumed: a metadata checkpoint records the held batches', { component: 'streaming-context', pausedMs: this.clock.now() - since });
  }

  /**
   * @internal Resolves once every metadata checkpoint the directory keeps records what was
   * asked for so far (at once without a checkpoint directory): the writes asked for are done
   * and as many more durable as there are older files kept; false when one was not durable.
   * What only a recovery from an older checkpoint would need (a forgotten batch's write-ahead
   * log) is deleted after it: a damaged newest file falls back to the one before it, which may
   * still list that batch as pending.
   */
  metadataWritten(): Promise<boolean> {
    return this.checkpointer?.writtenInEveryKept() ?? Promise.resolve(true);
  }

  /**
   * @internal After a batch: estimate the inputs' rates, forget old RDDs, then checkpoint
   * metadata if every output succeeded. `reported: false` for a batch with no jobs, which no
   * listener heard of: as Spark's RateController (a listener), the rate estimators and the
   * falling-behind check do not count it.
   */
  batchCompleted(info: BatchInfo, options: { readonly reported?: boolean } = {}): void {
    const time = info.batchTime;
    const failed = info.failure !== undefined;
    if (options.reported !== false) this.controlFlow(info);
    // Forget only what no batch still queued or running reads: with concurrentJobs > 1
    // batches end out of order, and the end of t + 1 would drop t's RDDs, its received blocks
    // (and their log segments) and its input's record in the metadata (a driver killed then
    // would re-run t from nothing) while t runs. In order (the default) this is `time`.
    this.unfinished.delete(time);
    this.latestEnded = Math.max(this.latestEnded, time);
    let oldest = Infinity;
    for (const t of this.unfinished) oldest = Math.min(oldest, t);
    const upTo = Math.min(this.latestEnded, oldest - this.batchIntervalMs);
    if (upTo > this.clearedUpTo) {
      this.clearedUpTo = upTo;
      this.clearMetadata(upTo);
    }
    if (!failed) this.checkpointer?.batchCompleted(time, this.recordedNextBatchTime);
  }

  /**
   * Backpressure's estimates from a completed batch (each input's own records, as its input info says them: as
   * Spark's RateController, an input the batch did not compute, one no output reads, gets none), and the
   * falling-behind check.
   */
  private controlFlow(info: BatchInfo): void {
    for (const s of this.inputStreams()) {
      const took = info.streamIdToInputInfo?.[s.id];
      if (took !== undefined) this.rateControllers.get(s.id)?.onBatchCompleted(info.batchTime, took.numRecords, info.processingDelay, info.schedulingDelay);
    }
    const change = this.fallingBehind.onBatchCompleted(info.batchTime, info.schedulingDelay);
    if (!change) {
      // While behind, every batch updates the delay `sluice jobs` and the UI show.
      if (this.fallingBehind.state) this.publishFlow();
      return;
    }
    if (change.type === 'fallingBehind') {
      const f = change.state;
      this.sc.log(
        'warn',
        `streaming job is falling behind: the scheduling delay grew for ${f.batches} batches in a row (${f.fromDelayMs} ms to ${f.schedulingDelayMs} ms); it takes in more records per second than it processes. ` +
          `Turn on backpressure (new StreamingContext(sc, interval, { backpressure: true })), bound receivers with receiverMaxRate, add workers, or lengthen the batch interval`,
        { component: 'streaming-context', batchTime: info.batchTime, batches: f.batches, schedulingDelayMs: f.schedulingDelayMs, fromDelayMs: f.fromDelayMs, batchIntervalMs: this.batchIntervalMs, backpressure: this.backpressureEnabled },
      );
    } else {
      this.sc.log('info', 'streaming job caught up: a batch started within one batch interval of its time', { component: 'streaming-context', batchTime: change.batchTime, schedulingDelayMs: change.schedulingDelayMs });
    }
    this.publishFlow();
  }

  /** @internal The job's flow control as it stands (the inputs' estimated rates; falling behind or not). */
  flowStatus(): FlowStatus {
    const rates: InputRate[] = [];
    for (const s of this.inputStreams()) {
      const rate = this.rateControllers.get(s.id)?.latestRate;
      if (rate === undefined) continue;
      rates.push({ streamId: s.id, name: s.inputName, kind: s instanceof ReceiverInputDStream ? 'receiver' : 'direct', rate });
    }
    return { rates, fallingBehind: this.fallingBehind.state ?? null };
  }

  private publishFlow(): void {
    this.sc.streaming?.reportFlow?.(this.flowStatus());
  }

  /** @internal After a batch: forget RDDs past their remember duration and unpersist them. */
  clearMetadata(time: number): void {
    const dropped: RDD<unknown>[] = [];
    for (const s of this.streams) {
      for (const rdd of s.clearOldRDDs(time)) {
        dropped.push(rdd as RDD<unknown>);
        if (rdd.storage !== 'NONE') void rdd.unpersist().catch(() => undefined);
      }
    }
    if (dropped.length === 0) return;
    // Shuffles only forgotten RDDs reach will never be read again: drop their map outputs,
    // so a stream that runs for days keeps a bounded amount of shuffle data.
    const retained: RDD<unknown>[] = [];
    for (const s of this.streams) for (const rdd of s.generated.values()) retained.push(rdd as RDD<unknown>);
    const keep = shufflesReachable(retained);
    this.sc.removeShuffles([...shufflesReachable(dropped)].filter((id) => !keep.has(id)));
  }
}

function positiveRate(v: number | undefined, what: string, example: string): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw new SluiceError('SLUICE_BAD_ARGUMENT', `StreamingContext: ${what} must be a number of records per second > 0, got ${JSON.stringify(v)}; for example ${example}, or leave it out for no bound`);
  }
  return v;
}

function walSettings(o: boolean | WriteAheadLogOptions | undefined): { rollingIntervalMs: number; maxSegmentBytes: number; fenceKeepMs: number } | undefined {
  if (o === undefined || o === false) return undefined;
  const opts = o === true ? {} : o;
  const rollingIntervalMs = toMillis(opts.rollingInterval ?? 60_000, 'writeAheadLog.rollingInterval');
  const maxSegmentBytes = opts.maxSegmentBytes ?? 64 * 1024 * 1024;
  if (!Number.isSafeInteger(maxSegmentBytes) || maxSegmentBytes < 1) {
    throw new SluiceError('SLUICE_BAD_ARGUMENT', `writeAheadLog.maxSegmentBytes must be a whole number of bytes >= 1, got ${String(opts.maxSegmentBytes)}; for example { writeAheadLog: { maxSegmentBytes: 16 * 1024 * 1024 } }`);
  }
  const fenceKeepMs = toMillis(opts.fenceKeep ?? DEFAULT_FENCE_KEEP_MS, 'writeAheadLog.fenceKeep');
  return { rollingIntervalMs, maxSegmentBytes, fenceKeepMs };
}

/** A file stream's directory made absolute; a registered scheme (`s3://`) is refused: file streams watch a file system's directory. */
function localStreamDirectory(directory: string, operation: string): string {
  if (fileSystemFor(directory, operation)) {
    throw new SluiceError('SLUICE_BAD_ARGUMENT', `${operation}('${directory}'): file streams watch a directory on a file system every host shares; '${directory}' is not one (read what is there with sc.textFile inside foreachRDD or transform)`);
  }
  return resolveJobPath(directory);
}

// The context's stream makers run in scopes named as Spark's (withNamedScope / withScope): an
// input stream's base scope is that name with its id, `socket text stream [0]`. Spark's
// queueStream names none: its stream is its class in words, `queue stream [3]`.
const NAMED_SCOPES: Readonly<Record<string, string>> = {
  socketTextStream: 'socket text stream',
  socketStream: 'socket stream',
  rawSocketStream: 'raw socket stream',
  receiverStream: 'receiver stream',
  textFileStream: 'text file stream',
  fileStream: 'file stream',
  binaryRecordsStream: 'binary records stream',
  union: 'union',
  transform: 'transform',
};
scopeMethods(StreamingContext.prototype, Object.entries(NAMED_SCOPES));

/**
 * A stream that keeps state (so needs a checkpoint directory) as its error names it: the
 * program's call that made it and where (`updateStateByKey at job.ts:7:50, which keeps state
 * across batches,`), or, where the site is unknown, its class and the calls that make one.
 */
function statefulCall(s: DStream<unknown>): string {
  const site = creationSiteText(s.creationSite);
  if (site !== undefined) return `${site}, which keeps its state in checkpoints,`;
  return `${s.constructor.name} (updateStateByKey, mapWithState, countByWindow, countByValueAndWindow, or reduceByWindow/reduceByKeyAndWindow with an invFunc)`;
}

/** A value as a message shows it: a string quoted, undefined said to be missing. */
function shown(v: unknown): string {
  if (v === undefined) return 'undefined (missing: a job argument not given? `sluice run job.ts HOST PORT` passes them after the job file)';
  return typeof v === 'string' ? `'${v.slice(0, 100)}'` : String(v);
}

/**
 * The host and port a socket input dials, checked where the program names them: before, a
 * port out of range, NaN (`Number(args[1])` of a missing argument) or a missing host failed
 * only on the worker, in the receiver's onStart, restarted every 2 s with Node's words. A
 * port given as a string of digits (a job argument passed on as it came) is taken, as Node's
 * net.connect takes it.
 */
function socketSource(method: string, host: unknown, port: unknown): { host: string; port: number } {
  if (typeof host !== 'string' || host.trim() === '') {
    throw new SluiceError('SLUICE_BAD_ARGUMENT', `ssc.${method}: the host must be the name or address of the machine the source listens on (e.g. 'localhost'), got ${shown(host)}`);
  }
  const n = typeof port === 'number' ? port : typeof port === 'string' && /^\s*\d+\s*$/.test(port) ? Number(port) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    throw new SluiceError('SLUICE_BAD_ARGUMENT', `ssc.${method}(${host}, ...): the port must be a whole number from 1 to 65535 (the TCP port the source listens on), got ${shown(port)}`);
  }
  return { host, port: n };
}

/**
 * The order input streams start in: the receivers that name a preferredLocation first, then
 * the others, each in the order the job made them. The driver places each receiver as it
 * starts, on the least loaded worker (of those at its preferred location, if any), so this is
 * Spark's ReceiverSchedulingPolicy.scheduleReceivers at start: receivers with a preferred
 * location take their places before the others are spread over the least loaded executors
 * (otherwise receivers made first without one could fill the preferred workers, and leave
 * others idle).
 */
function startOrder<S extends InputDStream<unknown>>(streams: readonly S[]): S[] {
  const preferring = (s: S): boolean => s instanceof ReceiverInputDStream && s.prefersLocation;
  return [...streams.filter(preferring), ...streams.filter((s) => !preferring(s))];
}

/**
 * @internal A job's program failed (it threw; awaitTermination rethrows a failed batch's
 * error while the stop that failure started is under way): stop the context still running,
 * not gracefully, as Spark's driver does when its main throws, and wait at most `withinMs`
 * for every stop under way in this thread, so that its receivers' onStop run (an MQTT
 * receiver acknowledges what it stored) before the attempt ends and its receivers are cut.
 * Resolves false if the wait ran out.
 */
export async function stopStreamingAfterFailure(withinMs: number): Promise<boolean> {
  const active = StreamingContext.getActive();
  if (active !== undefined) {
    try {
      void active.stop().catch(() => undefined);
    } catch {
      // Refused inside a listener's callback: the context's own failure path stops it.
    }
  }
  const stops = [...stopsUnderWay];
  if (stops.length === 0) return true;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([Promise.allSettled(stops).then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), withinMs)))]);
  } finally {
    clearTimeout(timer);
  }
}
