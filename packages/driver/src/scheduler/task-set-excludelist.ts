import type { ExcludeOnFailureConf } from './exclude-on-failure.js';

/** A task's failed attempts on one worker in one task set, and when the last one failed. */
export interface TaskFailuresOnWorker {
  readonly failures: number;
  readonly lastFailureAt: number;
}

/**
 * The workers one task set (a stage attempt) no longer offers its tasks, as Spark's
 * TaskSetExcludelist, kept only while spark.excludeOnFailure.enabled: a task whose failed attempts
 * on a worker reached the per-task limit (the lower of maxTaskAttemptsPerExecutor and
 * maxTaskAttemptsPerNode: each worker is its own node) is not offered that worker again, and a
 * worker on which stage.maxFailedTasksPerExecutor different tasks failed is offered none of the
 * set's tasks. Failures that count are those Spark's countTowardsTaskFailures counts: a task's
 * error, its timeout, a worker that could not run it; not a fetch failure, a kill, a lost worker.
 * The failures of a set that succeeded go to the HealthTracker (`failuresByWorker`).
 * Threading: driver main thread, owned by one TaskSetManager.
 */
export class TaskSetExcludelist {
  /** Each worker's failed tasks (by task index) in this set. */
  private readonly byWorker = new Map<string, Map<number, { failures: number; lastFailureAt: number }>>();
  /** Workers the whole set no longer offers tasks (Spark's excludedExecs). */
  private readonly excluded = new Set<string>();
  private readonly perTaskLimit: number;
  /** The last counted failure's reason, for an abort's message (Spark's latestFailureReason). */
  latestFailureReason = '';
  /** Told each worker newly excluded for the whole set, with its failed tasks in it (the TaskScheduler's, for Spark's SparkListenerExecutorExcludedForStage). */
  onExcludedForSet: ((workerId: string, taskFailures: number, now: number) => void) | undefined;

  constructor(private readonly conf: ExcludeOnFailureConf) {
    this.perTaskLimit = Math.min(conf.maxTaskAttemptsPerExecutor, conf.maxTaskAttemptsPerNode);
  }

  /** A counted failure of task `index` on `workerId` at `now`: whether the worker is newly excluded for the whole set. */
  taskFailed(workerId: string, index: number, now: number, reason: string): boolean {
    this.latestFailureReason = reason;
    let tasks = this.byWorker.get(workerId);
    if (tasks === undefined) this.byWorker.set(workerId, (tasks = new Map()));
    const t = tasks.get(index);
    if (t === undefined) tasks.set(index, { failures: 1, lastFailureAt: now });
    else {
      t.failures++;
      t.lastFailureAt = now;
    }
    if (tasks.size < this.conf.stageMaxFailedTasksPerExecutor || this.excluded.has(workerId)) return false;
    this.excluded.add(workerId);
    this.onExcludedForSet?.(workerId, tasks.size, now);
    return true;
  }

  /** Whether task `index` may no longer run on `workerId`. */
  isExcludedForTask(workerId: string, index: number): boolean {
    const t = this.byWorker.get(workerId)?.get(index);
    return t !== undefined && t.failures >= this.perTaskLimit;
  }

  /** Whether no task of the set may run on `workerId`. */
  isExcludedForSet(workerId: string): boolean {
    return this.excluded.has(workerId);
  }

  /** Indexes of tasks that failed somewhere in this set. */
  failedTasks(): Set<number> {
    const out = new Set<number>();
    for (const tasks of this.byWorker.values()) for (const i of tasks.keys()) out.add(i);
    return out;
  }

  /** Each worker's failed tasks in this set (Spark's execToFailures), for the HealthTracker once the set succeeded. */
  failuresByWorker(): ReadonlyMap<string, ReadonlyMap<number, TaskFailuresOnWorker>> {
    return this.byWorker;
  }
}
