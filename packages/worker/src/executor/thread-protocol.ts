import type { ErrorCode, ExecutorEnv, MapOutputLocation, MapOutputPlaces, StorageLevel } from '@sluice/core/internal';

/**
 * Data a task thread starts with: nothing of any job. A thread is started as a spare
 * (SpareTaskThreads) and learns its job from its first message, `bind`; once that job is
 * released here, `unbind` may free it for a later job of the same bundle (see `unbind`).
 */
export interface ThreadData {
  /** Records a map task buffers (map-side combine: distinct keys) before it spills its buckets as segments. */
  readonly shuffleSpillRecords: number;
  /** Whether map tasks LZ4-compress their large shuffle frames (spark.shuffle.compress; WorkerOptions.shuffleCompress). */
  readonly shuffleCompress?: boolean;
  /** Whether map tasks write a checksum after each partition run (spark.shuffle.checksum.enabled; WorkerOptions.shuffleChecksum): on unless false. */
  readonly shuffleChecksum?: boolean;
  /** Synthetic tiny tasks a fresh spare runs while no job is bound to it, to warm V8 on the task path (WorkerOptions.warmUpTasks); none when absent. */
  readonly warmUpTasks?: number;
}

/**
 * What a task thread measured of a successful task (Spark's TaskMetrics, the part the thread
 * sees; the worker takes deserialization as the rest of the time the task was with it): times
 * in ms on the thread's monotonic clock. A tuple, not an object: it is cloned into every tiny
 * task's outcome message, where six numbers clone cheaper than six named fields (perf28).
 */
export type ThreadTaskMetrics = readonly [
  /** Waiting for this thread behind its other tasks (pipelined tiny tasks): scheduler delay, not deserialization. */
  queuedMs: number,
  /** The compute itself, shuffle fetches included (Spark's executorRunTime). */
  runMs: number,
  /** Encoding the value, or the map status and accumulator updates (Spark's resultSerializationTime). */
  serializeMs: number,
  /** Records of the shuffle segments the task decoded (Spark's shuffleReadMetrics.recordsRead). */
  recordsRead: number,
  /** Records a map task wrote to its output, after any map-side combine (shuffleWriteMetrics.recordsWritten). */
  recordsWritten: number,
  /** Time waiting for shuffle segments (Spark's shuffleReadMetrics.fetchWaitTime). */
  fetchWaitMs: number,
  /** Bytes read of input files (Spark's inputMetrics.bytesRead; TaskEnv.countInput). */
  inputBytes: number,
  /** Records those reads gave (Spark's inputMetrics.recordsRead). */
  inputRecords: number,
  /** Bytes written of a part file (Spark's outputMetrics.bytesWritten; TaskEnv.countOutput). */
  outputBytes: number,
  /** Records in that part file (Spark's outputMetrics.recordsWritten). */
  outputRecords: number,
];

/**
 * The running task's measurements as its thread keeps them in the shared `running` memory,
 * Float64s from byte RUNNING_MEASURE_OFFSET, each written as it changes (one store: a
 * reader may see one counter a fetch ahead of another, as Spark's killed task's metrics are
 * what its counters held when it stopped): whose they are (the task's number, as the
 * running cell), its compute's start (ms since the epoch: performance.timeOrigin + now, the
 * one clock two threads share), its shuffle records decoded, its wait for them, their bytes,
 * the input it read (TaskEnv.countInput: bytes and records, as a textFile split's lines are
 * counted when the split is read through, a cached block's at its read) and the output it wrote
 * (TaskEnv.countOutput: a text part's lines as they are given to its file or its file system's
 * writer, a compressed or an object part once written whole).
 */
export const RunningMeasure = { Task: 0, ComputeFrom: 1, RecordsRead: 2, FetchWaitMs: 3, ShuffleReadBytes: 4, InputBytes: 5, InputRecords: 6, OutputBytes: 7, OutputRecords: 8 } as const;
/** How many Float64s RunningMeasure has. */
export const RUNNING_MEASURES = 9;
/** Where RunningMeasure's Float64s start in the shared `running` memory (after the Int32 task number, aligned). */
export const RUNNING_MEASURE_OFFSET = 8;
/** The shared `running` memory's size: the task number and RunningMeasure's Float64s. */
export const RUNNING_CELL_BYTES = RUNNING_MEASURE_OFFSET + RUNNING_MEASURES * 8;

/** How a task's failure begins when its thread could not load the job's bundle (SLUICE_JOB_LOAD): the sandbox tells such a thread by it (JobSandbox.retireLoadFailures). */
export const BUNDLE_LOAD_FAILED = 'the job bundle failed to load on this worker: ';

/** How a task ended, as the thread reports it. */
export type ThreadOutcome =
  /** `shuffleReadBytes`: the bytes of shuffle segments the task read (local and fetched). */
  | { readonly kind: 'result'; readonly value: Uint8Array; readonly shuffleReadBytes: number; readonly metrics: ThreadTaskMetrics }
  /** A map task's consolidated output (MapOutputFile's index and data, transferred with the message) and its segments' sizes. */
  | { readonly kind: 'mapStatus'; readonly status: Uint8Array; readonly accumulators: Uint8Array; readonly index: Uint8Array; readonly data: Uint8Array; readonly shuffleReadBytes: number; readonly metrics: ThreadTaskMetrics }
  /**
   * `metrics`: what the thread measured of a task that threw in its compute (Spark's
   * ExceptionFailure carries the task's metrics): its run time to the throw and its shuffle
   * reads; absent for a failure before the compute (the job's module, a broadcast).
   */
  | { readonly kind: 'error'; readonly code: string; readonly message: string; readonly stack: string; readonly metrics?: ThreadTaskMetrics; /** With `metrics`: the bytes of shuffle segments it read before it threw. */ readonly shuffleReadBytes?: number }
  | { readonly kind: 'fetchFailed'; readonly shuffleId: number; readonly mapPartition: number; readonly workerId: string; readonly message: string };

/**
 * One task for a thread: of stage `stageKey`, whose `stage` (its encoded TaskPayload)
 * comes with the thread's first task of the stage and is kept until `forgetStage`;
 * `taskData` is the task's encoded TaskPart, when it has one.
 */
export interface ThreadTask {
  readonly taskId: string;
  readonly partition: number;
  readonly stageKey: string;
  readonly stage?: Uint8Array;
  readonly taskData?: Uint8Array;
}

/** A task's outcome as a thread reports it. */
export interface TaskEnded {
  readonly taskId: string;
  readonly outcome: ThreadOutcome;
}

export type MainToThread =
  /**
   * The first message a thread gets: the job it serves from now on, whose bundle it imports
   * (an instance of its own: a thread bound again imports the bundle afresh, so no module
   * state of the job before is seen). Again only after an `unbind` it answered clean.
   */
  | {
      readonly type: 'bind';
      readonly jobId: string;
      readonly bundlePath: string;
      /** The job's files directory here (JobFiles), SparkFiles' root in its tasks. */
      readonly filesDir?: string;
      /** The job's executor environment (spark.executorEnv.*): set in this thread's process.env while it serves the job. */
      readonly env?: ExecutorEnv;
    }
  /**
   * The job this thread served was released here: forget it (its stages, broadcasts,
   * record classes) and answer `unbound`, clean only if the job left nothing behind that
   * could act later or be seen by another job (see task-thread.ts's `leftBehind`).
   */
  | { readonly type: 'unbind' }
  /**
   * Run these tasks, one after another in this order (queued behind any the thread holds
   * already): one message for all the tasks a thread is given in one turn. Their buffers
   * are transferred.
   */
  | {
      readonly type: 'run';
      readonly tasks: readonly ThreadTask[];
      /**
       * With a thread's first `run` only: memory, shared (RUNNING_CELL_BYTES), in which the
       * thread shows the task it runs — its number among the tasks it was given (1 for the
       * first, in the order given), 0 between tasks, an Int32 at 0 — so that when the thread
       * dies the sandbox knows which task it ran, even when outcomes of tasks before it were
       * not sent yet; and that task's measurements so far (RunningMeasure, Float64s from byte
       * 8), which the sandbox reads when it kills the task (a killed task's thread is
       * terminated with its counters: Spark's TaskKilled carries the metrics measured so far).
       */
      readonly running?: SharedArrayBuffer;
    }
  | { readonly type: 'forgetStage'; readonly stageKey: string }
  /** The driver removed broadcast `id` (unpersist or destroy): drop the decoded value; a later task fetches it again. */
  | { readonly type: 'forgetBroadcast'; readonly id: number }
  /** The store dropped these cached blocks, or has no room for their decoded copies (`cacheDecoded`): drop the copies; a later read asks for the block. */
  | { readonly type: 'forgetDecoded'; readonly blockIds: readonly string[] }
  /** A reduce partition's segments: one run of frames per place read (this worker, each remote one), transferred. */
  | { readonly type: 'fetched'; readonly reqId: number; readonly framed: Uint8Array[] }
  /** A range's segments: framed[k] for the range's k-th partition, a run of frames a place; their memory transferred. */
  | { readonly type: 'fetchedRange'; readonly reqId: number; readonly framed: Uint8Array[][] }
  | { readonly type: 'fetchFailed'; readonly reqId: number; readonly shuffleId: number; readonly mapPartition: number; readonly workerId: string; readonly message: string }
  | { readonly type: 'cacheGot'; readonly reqId: number; readonly data: Uint8Array | undefined; readonly lines?: readonly Uint8Array[]; readonly misses?: readonly string[] }
  | { readonly type: 'broadcasts'; readonly reqId: number; readonly values: Record<number, Uint8Array>; readonly error?: string }
  /** The main thread could not serve a request (an error on this worker, not the task's): the task fails with `message`. */
  | { readonly type: 'requestFailed'; readonly reqId: number; readonly message: string }
  | {
      readonly type: 'startReceiver';
      readonly streamId: number;
      readonly receiver: Uint8Array;
      readonly blockIntervalMs: number;
      readonly blockPrefix: string;
      readonly maxBufferedRecords: number;
      /** Records/s the receiver never goes above (receiverMaxRate); absent: no bound. */
      readonly maxRate?: number;
      /** Records/s until backpressure's first rate; absent: unbounded. */
      readonly initialRate?: number;
    }
  /** Backpressure set the receiver's rate (records/s). */
  | { readonly type: 'receiverRate'; readonly streamId: number; readonly rate: number }
  /** A block the receiver stored is durable (logged, or replicated and reported), or could not be made so (`error`, with its `code`: SLUICE_IO if absent). */
  | { readonly type: 'receiverBlockStored'; readonly streamId: number; readonly blockId: string; readonly error?: string; readonly code?: ErrorCode }
  | { readonly type: 'stopReceiver'; readonly streamId: number; readonly graceful?: boolean };

export type ThreadToMain =
  /** The thread's own code (and core) is loaded: a spare is ready to be bound to a job. */
  | { readonly type: 'ready' }
  /** A fresh spare ran its warm-up's `tasks` synthetic tasks in `ms` (sent only when no job was bound meanwhile); `error`: the first that failed, and it stopped there. */
  | { readonly type: 'warmedUp'; readonly tasks: number; readonly ms: number; readonly error?: string }
  /** Tasks that ended, in the order they ran: the outcomes of one turn in one message (map outputs' buffers transferred). */
  | { readonly type: 'done'; readonly ended: readonly TaskEnded[] }
  /** The answer to `unbind`: `clean`, the thread may be bound to another job; else why not (it is to be terminated). */
  | { readonly type: 'unbound'; readonly clean: boolean; readonly reason?: string }
  /** The job's code left an error unhandled in this thread: replace it (it runs nothing more). `stack`: that error's (a receiver's lastError). */
  | { readonly type: 'retire'; readonly reason: string; readonly stack?: string }
  | { readonly type: 'cachePut'; readonly taskId: string; readonly blockId: string; readonly data: Uint8Array; readonly level: StorageLevel }
  | {
      readonly type: 'fetch';
      readonly reqId: number;
      readonly taskId: string;
      readonly shuffleId: number;
      readonly reducePartition: number;
      /** Where the map outputs are (placesOf the stage's locations). */
      readonly places: MapOutputPlaces;
      /** Only these map outputs (the others have nothing for this partition); absent: all. */
      readonly maps?: Int32Array;
      /** Partitions reducePartition .. + count - 1 at once (a task over a range), answered `fetchedRange`; absent: one. */
      readonly count?: number;
    }
  | { readonly type: 'cacheGet'; readonly reqId: number; readonly blockId: string }
  /** The thread keeps cached block `blockId` (got by cacheGet) decoded, about `bytes` of its heap (estimateRecordsSize): to be counted, or refused (`forgetDecoded`). */
  | { readonly type: 'cacheDecoded'; readonly blockId: string; readonly bytes: number }
  /** A line for the worker's log at warn; `taskId` '' when no task was running (a process warning emitted between tasks). */
  | { readonly type: 'warn'; readonly taskId: string; readonly message: string; readonly fields: Record<string, unknown> }
  /** A process the task started (rdd.pipe's command) began (`exited` false) or ended: killed with the thread if it is still running then. */
  | { readonly type: 'child'; readonly pid: number; readonly exited: boolean }
  | { readonly type: 'broadcastGet'; readonly reqId: number; readonly ids: number[] }
  | { readonly type: 'receiverBlock'; readonly streamId: number; readonly blockId: string; readonly data: Uint8Array; readonly count: number; readonly firstPosition?: number }
  | { readonly type: 'receiverError'; readonly streamId: number; readonly message: string; /** The error's stack ("" if none). */ readonly stack: string }
  | { readonly type: 'receiverStarted'; readonly streamId: number }
  | { readonly type: 'receiverStopped'; readonly streamId: number; readonly reason: string; /** The stack of the error it stopped with ("" if none). */ readonly stack: string }
  /** It stopped for a restart in place (Receiver.restart): `receiverStarted` follows after the delay. */
  | { readonly type: 'receiverRestarting'; readonly streamId: number; readonly reason: string; /** The stack of the error it gave restart() ("" if none). */ readonly stack: string }
  | { readonly type: 'blockGet'; readonly reqId: number; readonly blockId: string; readonly locations: MapOutputLocation[] };
