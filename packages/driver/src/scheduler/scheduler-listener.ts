import type { ActionSpec, OutputOperationTag, TaskEnd, TaskEndReason, TaskRunMetrics, TaskStart } from '@sluice/core/internal';

/**
 * What the schedulers tell observers (metrics, UIs) about actions, stage attempts and task
 * attempts, as Spark's SparkListener (onJobStart, onStageSubmitted, onTaskEnd,
 * onStageCompleted, onJobEnd): one event per attempt that ends, however it ends. Observers
 * run on the driver's main thread, inside the scheduler's state change: they must only
 * record, never call back into the scheduler.
 */

/** How a task attempt ended (core's TaskEndReason, which a program's SparkListener is given too). */
export type { TaskEndReason };

/**
 * The reasons that count as a failed task (Spark's "failed tasks": AppStatusListener counts every
 * end but Success, TaskKilled and TaskCommitDenied as failed, Resubmitted too).
 */
export const FAILED_TASK_REASONS: readonly TaskEndReason[] = ['error', 'fetch_failed', 'worker_lost', 'timeout', 'resubmitted'];

export interface TaskEndEvent extends TaskEnd {
  /** The job attempt's run id (DriverJob.runId). */
  readonly runId: string;
  /** The user's error (its stack mapped to their files) for `error` and `fetch_failed`. */
  readonly error?: TaskEndError;
  /**
   * A `killed` attempt the driver killed while it ran: its worker's answer follows, as a
   * KilledTaskMeasuredEvent (with what it measured, or none). Absent for any other end.
   */
  readonly measuredLater?: true;
}

/**
 * What an attempt the driver killed while it ran (a speculation loser, a cancelled job's or an
 * aborted stage's task: its `killed` end told at the kill, with nothing measured) had measured
 * until the kill, as its worker answered (Spark's TaskKilled carries the metrics measured so
 * far): its run time, shuffle records and bytes read, input read. Comes after that attempt's
 * TaskEndEvent (one with `measuredLater`), at most once, when its worker answers; `metrics` is
 * absent when the answer had none (the kill came before its compute started, it ended before the
 * kill came, its worker was lost).
 */
export interface KilledTaskMeasuredEvent {
  readonly runId: string;
  readonly stageId: number;
  readonly stageAttempt: number;
  readonly taskId: string;
  readonly workerId: string;
  readonly shuffleReadBytes: number;
  readonly metrics?: TaskRunMetrics;
}

/** A failed task attempt's error. */
export interface TaskEndError {
  readonly message: string;
  readonly stack: string;
  /** The thrown Error's name (Spark's ExceptionFailure.className: `TypeError`), for an `error` not Sluice's own (core's taskErrorClass). */
  readonly className?: string;
  /** For a `fetch_failed` end, the shuffle output it could not read (the worker that held it, the map partition). */
  readonly fetch?: { readonly shuffleId: number; readonly mapPartition: number; readonly workerId: string };
  /**
   * Spark's toErrorString where it is not the error's class, message and stack: for a
   * `fetch_failed` end, FetchFailed's (core's fetchFailedErrorString), set by the DAG scheduler.
   */
  readonly errorString?: string;
}

/** What an action was run for, given with it to the DAG scheduler (Spark's job properties). */
export interface JobProperties {
  /** The streaming output operation (and batch) the action runs for. */
  readonly outputOperation?: OutputOperationTag;
  /** What the action is for, when its program said (Spark's job description): 'streaming warm-up' for a streaming context's start. */
  readonly description?: string;
  /** The job group the action was started in (Spark's spark.jobGroup.id), if any. */
  readonly group?: string;
  /** The job tags the action was started with (Spark's spark.job.tags), if any. */
  readonly tags?: readonly string[];
  /** The scheduler pool the action was started in (Spark's spark.scheduler.pool local property), if any. */
  readonly pool?: string;
}

/** An action was submitted (Spark's onJobStart); `jobId` numbers actions across the driver, from 0. */
export interface JobStartEvent {
  readonly runId: string;
  readonly jobId: number;
  readonly time: number;
  /** Spark's job name, the action's call site short form: 'collect at job.ts:12:5' (its kind alone when the site is unknown). */
  readonly name: string;
  /** The action's kind ('collect', 'writeCheckpoint', ...). */
  readonly action: ActionSpec['kind'];
  readonly numPartitions: number;
  readonly properties: JobProperties;
  /**
   * The stages the action names at its start (Spark's SparkListenerJobStart.stageInfos): its
   * result stage and the map stages of the shuffles it reads, theirs too, computed ones as well,
   * ascending by stage id.
   */
  readonly stageInfos?: readonly JobStageInfo[];
}

/** A stage as an action's start names it (Spark's StageInfo in SparkListenerJobStart.stageInfos). */
export interface JobStageInfo {
  readonly stageId: number;
  /** Its latest attempt's number (0 for a stage never submitted). */
  readonly attempt: number;
  readonly kind: 'result' | 'shuffleMap';
  /** As StageSubmittedEvent.name. */
  readonly name: string;
  /** Its tasks were it submitted now in full: a map stage's map partitions, the result stage's partitions asked. */
  readonly numTasks: number;
  /** Its RDDs (Spark's StageInfo.rddInfos), ascending by id. */
  readonly rdds?: readonly StageRddInfo[];
  /** The map stages of the shuffles it reads (Spark's StageInfo.parentIds), ascending. */
  readonly parentIds?: readonly number[];
}

/**
 * One RDD a stage computes (Spark's RDDInfo in StageInfo.rddInfos): the stage's root and its
 * ancestors through narrow dependencies, down to the shuffles it reads; what the UI's DAG
 * visualization draws.
 */
export interface StageRddInfo {
  readonly id: number;
  /** setName's, else its class (`MapPartitionsRDD`), as Spark's RDDInfo.name. */
  readonly name: string;
  /** Where the program made it (`map at job.ts:10:5`), when known (Spark's RDDInfo.callSite). */
  readonly callSite?: string;
  readonly numPartitions: number;
  /** Its parents' RDD ids, narrow and shuffled (Spark's RDDInfo.parentIds): a shuffled one is in a parent stage. */
  readonly parentIds: readonly number[];
  /** It is persisted (Spark's RDDInfo.isCached, by its storage level here). */
  readonly cached: boolean;
  /** The operation scopes it was made in, outermost first (Spark's RDDInfo.scope): what the DAG visualization draws it inside. */
  readonly scopes?: readonly { readonly id: string; readonly name: string }[];
}

export interface StageSubmittedEvent {
  readonly runId: string;
  /** The action that submitted it. */
  readonly jobId: number;
  readonly stageId: number;
  readonly stageAttempt: number;
  readonly kind: 'result' | 'shuffleMap';
  /** Spark's StageInfo.name: a result stage its job's name, a shuffle map stage its map side's creation site (`map at job.ts:10:5`). */
  readonly name: string;
  readonly numTasks: number;
  /** The partitions its tasks compute, in task index order (a resubmitted attempt's are the missing ones); absent: 0..numTasks-1. */
  readonly partitions?: readonly number[];
  readonly time: number;
  /** The spark.scheduler.pool local property of the action that submitted it, if set (Spark's onStageSubmitted properties). */
  readonly pool?: string;
  /** As JobStageInfo.rdds. */
  readonly rdds?: readonly StageRddInfo[];
  /** As JobStageInfo.parentIds. */
  readonly parentIds?: readonly number[];
}

export interface StageCompletedEvent {
  readonly runId: string;
  readonly stageId: number;
  readonly stageAttempt: number;
  readonly time: number;
  /** Why it failed (a task failed too often, a fetch failed, the job ended); absent on success. */
  readonly failure?: string;
}

export interface JobEndEvent {
  readonly runId: string;
  readonly jobId: number;
  readonly time: number;
  readonly failure?: string;
  /** The stages the action ran or waited on, a shuffle's map stage it found computed too (Spark's job's stageIds). */
  readonly stageIds?: readonly number[];
}

/** A successful task's accumulator updates, by accumulator id (told before its onTaskEnd). */
export interface TaskAccumulatorsEvent {
  readonly runId: string;
  readonly stageId: number;
  readonly stageAttempt: number;
  readonly taskId: string;
  readonly updates: Readonly<Record<number, unknown>>;
}

/** A task attempt was launched on a worker (Spark's onTaskStart), in launch order. */
export interface TaskStartEvent extends TaskStart {
  /** The job attempt's run id (DriverJob.runId). */
  readonly runId: string;
}

export interface SchedulerListener {
  onJobStart?(e: JobStartEvent): void;
  onStageSubmitted?(e: StageSubmittedEvent): void;
  onTaskStart?(e: TaskStartEvent): void;
  /** Before the task's onTaskEnd, for a partition's first success with updates. */
  onTaskAccumulators?(e: TaskAccumulatorsEvent): void;
  onTaskEnd?(e: TaskEndEvent): void;
  /** After a `killed` TaskEndEvent of an attempt killed while it ran, what its worker had measured. */
  onKilledTaskMeasured?(e: KilledTaskMeasuredEvent): void;
  onStageCompleted?(e: StageCompletedEvent): void;
  onJobEnd?(e: JobEndEvent): void;
}

/**
 * How the UI names an action's job (Spark's job name, its call site's short form): `callSite`, the
 * action the program called and where (`collect at job.ts:12:5`); without one its kind, and where
 * the user's function was given.
 */
export function actionName(action: ActionSpec, callSite?: string): string {
  if (callSite !== undefined) return callSite;
  const fn = 'fn' in action ? action.fn : 'seqOp' in action ? action.seqOp : undefined;
  return fn && fn.callSite !== '<unknown>' ? `${action.kind} at ${fn.callSite}` : action.kind;
}
