/**
 * What the schedulers tell observers (metrics, UIs) about task attempts, as Spark's
 * SparkListener.onTaskEnd: one event per attempt that ends, however it ends. Observers
 * run on the driver's main thread, inside the scheduler's state change: they must only
 * record, never call back into the scheduler.
 */

/**
 * How a task attempt ended (a closed set):
 * - `success`: the partition's first successful attempt;
 * - `error`: user code threw (or the worker could not run the task);
 * - `fetch_failed`: it could not read a parent stage's shuffle output;
 * - `worker_lost`: its worker died or became unreachable (not counted against the task);
 * - `timeout`: it ran past the job's task timeout and was killed;
 * - `killed`: a losing speculative copy, a late duplicate, or its stage ended (cancelled).
 */
export type TaskEndReason = 'success' | 'error' | 'fetch_failed' | 'worker_lost' | 'timeout' | 'killed';

/** The reasons that count as a failed task (Spark's "failed tasks"). */
export const FAILED_TASK_REASONS: readonly TaskEndReason[] = ['error', 'fetch_failed', 'worker_lost', 'timeout'];

export interface TaskEndEvent {
  /** The job attempt's run id (DriverJob.runId). */
  readonly runId: string;
  readonly stageId: number;
  readonly stageAttempt: number;
  readonly taskId: string;
  readonly partition: number;
  readonly workerId: string;
  readonly reason: TaskEndReason;
  /** From launch to the end as the driver saw it (ms). */
  readonly durationMs: number;
  readonly speculative: boolean;
  /** Bytes of shuffle output a successful map task wrote (0 for anything else). */
  readonly shuffleWriteBytes: number;
}

export interface SchedulerListener {
  onTaskEnd?(e: TaskEndEvent): void;
}
