import type { ActionSpec, AddedFileRef, BatchInfo, DashboardEvent, FlowStatus, JobRunResult, LineageGraph, LogLevel, OutputOperationTag, ReceivedBlock, SchedulerConfig, ReceiverEvent, ReceiverRunOptions, SchedulerEvent, StageAccumulable, StatusAnswer, StatusQuery, StreamingProgressEvent, TaskAccumulatorUpdates } from '@sluice/core/internal';

/** Data the driver program's thread starts with. */
export interface JobThreadData {
  readonly jobId: string;
  /** The job's name (sc.appName). */
  readonly appName: string;
  /** Where the job runs (sc.master): DriverOptions.master, else the driver's address. */
  readonly master: string;
  /** The driver's web UI's URL (sc.uiWebUrl); absent when the UI is off. */
  readonly uiWebUrl?: string;
  readonly bundlePath: string;
  readonly args: readonly string[];
  /** Total worker cores when the job started (at least 2), or spark.default.parallelism: the default number of partitions. */
  readonly parallelism: number;
  /** Whether `parallelism` is spark.default.parallelism (sc.defaultParallelism exactly; keyed operations use it). */
  readonly parallelismSet?: boolean;
  /** Whether sc.broadcast LZ4-compresses the values it keeps for workers (spark.broadcast.compress). */
  readonly broadcastCompress?: boolean;
  /** Whether rdd.checkpoint writes its parts LZ4-compressed (spark.checkpoint.compress). */
  readonly checkpointCompress?: boolean;
  /** Whether persisted RDDs' blocks are LZ4-compressed (spark.rdd.compress). */
  readonly rddCompress?: boolean;
  /** False: what the program drops is not cleaned once collected (spark.cleaner.referenceTracking). */
  readonly referenceTracking?: boolean;
  /** Where the job's relative paths resolve (setJobWorkingDirectory); undefined: the driver's working directory. */
  readonly workingDir?: string;
  /** The attempt's files directory on the driver, where sc.addFile copies (SparkFiles' root in the program). */
  readonly filesDir?: string;
  /**
   * The line the thread prints on its stdout and stderr once the job's program ended and the
   * thread may serve a later job (ProgramThread): what came before it on a stream is this
   * job's output. Unique to the job (a random part), so no program prints it by chance.
   */
  readonly outputEnd: string;
  /**
   * A graceful stop asked for before this attempt started (a driver relaunching a job whose
   * graceful stop the previous one did not finish): the program's StreamingContext stops
   * gracefully as soon as it starts (its stop handler is called at once).
   */
  readonly stopRequested?: 'graceful';
}

export interface ErrorInfo {
  readonly code: string;
  readonly message: string;
  readonly stack: string;
  /** Why a restart (--supervise) would meet this failure again (unrecoverable-failure.ts); undefined when it may not. */
  readonly unrecoverable?: string;
}

export type JobToMain =
  | {
      readonly type: 'runJob';
      readonly reqId: number;
      readonly graph: LineageGraph;
      readonly action: ActionSpec;
      readonly partitions: readonly number[];
      /** The streaming output operation the action runs for, if any. */
      readonly outputOperation?: OutputOperationTag;
      /** The description the action runs under (runWithJobDescription: the streaming warm-up), if any. */
      readonly description?: string;
      /** The job group the action was started in (sc.setJobGroup), if any. */
      readonly group?: string;
      /** The job tags the action was started with (sc.addJobTag), if any. */
      readonly tags?: readonly string[];
      /** The scheduler pool the action was started in (the local property spark.scheduler.pool), if any. */
      readonly pool?: string;
      /** Send each partition's value as its task ends (`jobPartial`), before the result: an approximate action. */
      readonly partials?: boolean;
      /** Send the job id the DAG scheduler gives the action (`jobStarted`), as it starts: FutureAction.jobIds. */
      readonly jobIds?: boolean;
    }
  /** Cancel the runJob `reqId` (FutureAction.cancel()): it ends with a jobError SLUICE_CANCELLED. */
  | { readonly type: 'cancelJob'; readonly reqId: number; readonly reason?: string }
  /** sc.cancelJob(jobId[, reason]): cancel the program's running job (the DAG scheduler's action id) `jobId`, if any. */
  | { readonly type: 'cancelJobId'; readonly jobId: number; readonly reason?: string }
  /** sc.killTaskAttempt(taskId, _, reason): kill the program's running attempt `taskId`, its task queued again (answered by `taskKilled`; the program waits). */
  | { readonly type: 'killTaskAttempt'; readonly reqId: number; readonly taskId: string; readonly reason: string }
  /** sc.cancelStage(stageId[, reason]): cancel every running job of the program that runs or waits on stage `stageId`. */
  | { readonly type: 'cancelStage'; readonly stageId: number; readonly reason?: string }
  | { readonly type: 'removeRdd'; readonly reqId: number; readonly rddId: number }
  /** The program has a SparkListener (`on`) or no longer: forward its jobs' scheduler events (`schedulerEvent`) or stop. */
  | { readonly type: 'listen'; readonly on: boolean }
  /** sc.statusTracker's question (answered by `status`; the program waits for it). */
  | { readonly type: 'status'; readonly reqId: number; readonly query: StatusQuery }
  /** Which partitions of an RDD have a cached block on a live worker (answered by `partitions`). */
  | { readonly type: 'cachedPartitions'; readonly reqId: number; readonly rddId: number }
  | { readonly type: 'removeShuffles'; readonly shuffleIds: readonly number[] }
  /** sc.setSchedulerMode: how the program's task sets share the cluster from now on. */
  | { readonly type: 'scheduler'; readonly config: SchedulerConfig }
  | { readonly type: 'putBroadcast'; readonly id: number; readonly value: Uint8Array }
  /** sc.addFile copied a file into the attempt's files directory: serve it, and name it in the stages launched from now on. */
  | { readonly type: 'addFile'; readonly ref: AddedFileRef }
  /**
   * Broadcast.unpersist() and destroy(): every worker drops its copies (answered by `ack` once
   * each answered); `fromDriver` (destroy): the value is no longer served to workers either.
   */
  | { readonly type: 'removeBroadcast'; readonly reqId: number; readonly id: number; readonly fromDriver: boolean }
  | { readonly type: 'startReceiver'; readonly streamId: number; readonly receiver: Uint8Array; readonly options: ReceiverRunOptions; readonly name: string }
  | { readonly type: 'stopReceivers'; readonly reqId: number; readonly graceful?: boolean }
  /** `before`: the batch's time, its blocks those reported before it (absent: every block reported so far). */
  | { readonly type: 'allocateBlocks'; readonly reqId: number; readonly streamId: number; readonly before?: number }
  | { readonly type: 'removeBlocks'; readonly blockIds: readonly string[] }
  | { readonly type: 'batch'; readonly info: BatchInfo }
  | { readonly type: 'progress'; readonly event: StreamingProgressEvent }
  /** Backpressure's rates and the falling-behind state changed. */
  | { readonly type: 'flow'; readonly status: FlowStatus }
  /** A dashboard was defined or has a batch's result (dstream.toDashboard). */
  | { readonly type: 'dashboard'; readonly event: DashboardEvent }
  | { readonly type: 'log'; readonly level: LogLevel; readonly message: string; readonly fields: Record<string, unknown> }
  | { readonly type: 'checkpointDir'; readonly dir: string }
  /** Named accumulators' values after stage attempts' tasks were merged (the stages' REST records). */
  | { readonly type: 'accumulables'; readonly values: readonly StageAccumulable[] }
  /**
   * The program returned. `reusable`: the thread printed `outputEnd` on both streams and, its
   * job having left nothing behind (ThreadBaseline, driverProgramLeftover), waits for a
   * `bind` of a later job; else `notReusable` says why and the thread exits once its
   * timers and sockets are done.
   */
  | { readonly type: 'done'; readonly reusable: boolean; readonly notReusable?: string }
  /** The answer to formatCallSites `reqId`: each RDD's creation site formatted, null when the program does not know it (any more). */
  | { readonly type: 'callSites'; readonly reqId: number; readonly sites: readonly (readonly [number, string | null])[] }
  | ({ readonly type: 'failed' } & ErrorInfo)
  /** Several of the above, in the order the program made them (MainOutbox). */
  | { readonly type: 'many'; readonly messages: readonly JobToMain[] };

export type MainToJob =
  /** A spare's first message, or a kept thread's next: the job it runs (SpareJobThreads). */
  | { readonly type: 'bind'; readonly data: JobThreadData }
  | { readonly type: 'jobResult'; readonly reqId: number; readonly result: JobRunResult }
  | ({ readonly type: 'jobError'; readonly reqId: number } & ErrorInfo)
  /**
   * A successful task's accumulator updates, as it ended (before its schedulerEvent taskEnd and
   * its action's jobResult or jobError): the program merges them at once, as Spark's DAGScheduler.
   */
  | ({ readonly type: 'taskAccumulators' } & TaskAccumulatorUpdates)
  | { readonly type: 'ack'; readonly reqId: number }
  | { readonly type: 'partitions'; readonly reqId: number; readonly partitions: readonly number[] }
  | { readonly type: 'status'; readonly reqId: number; readonly answer: StatusAnswer }
  /** Whether the attempt `killTaskAttempt` named was running (and is being killed). */
  | { readonly type: 'taskKilled'; readonly reqId: number; readonly killed: boolean }
  /** One DAG scheduler event of the program's jobs, for its SparkListeners (sent while it listens). */
  | { readonly type: 'schedulerEvent'; readonly event: SchedulerEvent }
  /** One partition's value of the runJob `reqId` asked partials of, as its task ended. */
  | { readonly type: 'jobPartial'; readonly reqId: number; readonly partition: number; readonly value: unknown }
  /** The runJob `reqId` (sent with `jobIds`) started as the DAG scheduler's job `jobId`. */
  | { readonly type: 'jobStarted'; readonly reqId: number; readonly jobId: number }
  | { readonly type: 'blocks'; readonly reqId: number; readonly blocks: ReceivedBlock[]; readonly liveWriters: string[]; readonly endedWriters: string[]; readonly releasedWriters: string[] }
  | { readonly type: 'receiverEvent'; readonly event: ReceiverEvent }
  | { readonly type: 'stopRequested'; readonly graceful: boolean }
  /** Format these RDDs' creation sites (a page or REST call asks for them): answered by callSites. */
  | { readonly type: 'formatCallSites'; readonly reqId: number; readonly rddIds: readonly number[] };
