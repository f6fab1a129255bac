/**
 * Spark's spark.excludeOnFailure.* settings (the configuration guide's Scheduling section; Spark's
 * HealthTracker and TaskSetExcludelist read them): whether a worker that keeps failing tasks stops
 * being offered them, for one task, for one stage attempt, or for every job of the driver until
 * `timeoutMs` after. Off unless set (Spark's spark.excludeOnFailure.enabled defaults to false).
 *
 * Sluice has one locality level, the worker: each worker is its own node. So a task's attempts on
 * a node are its attempts on that worker (the lower of the two per-task limits excludes it there),
 * and the ...maxFailedExecutorsPerNode limits exclude nothing beyond the worker itself.
 */
export interface ExcludeOnFailureConf {
  /** spark.excludeOnFailure.task.maxTaskAttemptsPerExecutor (1): a task's failed attempts on a worker before it is not offered that worker again. */
  readonly maxTaskAttemptsPerExecutor: number;
  /** spark.excludeOnFailure.task.maxTaskAttemptsPerNode (2): the same by node (here the worker). */
  readonly maxTaskAttemptsPerNode: number;
  /** spark.excludeOnFailure.stage.maxFailedTasksPerExecutor (2): different tasks of a stage attempt failed on a worker before none of the stage's is offered it. */
  readonly stageMaxFailedTasksPerExecutor: number;
  /** spark.excludeOnFailure.stage.maxFailedExecutorsPerNode (2): taken; a node's one worker. */
  readonly stageMaxFailedExecutorsPerNode: number;
  /** spark.excludeOnFailure.application.maxFailedTasksPerExecutor (2): different tasks failed on a worker in stage attempts that succeeded, within `timeoutMs`, before it is offered no task at all until `timeoutMs` later. */
  readonly appMaxFailedTasksPerExecutor: number;
  /** spark.excludeOnFailure.application.maxFailedExecutorsPerNode (2): taken; a node's one worker. */
  readonly appMaxFailedExecutorsPerNode: number;
  /** spark.excludeOnFailure.timeout (1h): how long a worker stays excluded, and a failure counts. */
  readonly timeoutMs: number;
  /** spark.excludeOnFailure.application.fetchFailure.enabled (false): a worker whose map outputs a task could not fetch is excluded at once. */
  readonly fetchFailure: boolean;
  /**
   * spark.excludeOnFailure.killExcludedExecutors (false): a worker excluded for every job is
   * released, as `sluice workers decommission` releases it (its receivers moved, its blocks and
   * map outputs copied, then it exits 0; a supervisor restarts it under a new id), where Spark
   * kills the executor (decommissions it with .killExcludedExecutors.decommission).
   */
  readonly killExcludedExecutors: boolean;
}

/** Spark's defaults (config/package.scala). */
export const DEFAULT_EXCLUDE_ON_FAILURE: ExcludeOnFailureConf = {
  maxTaskAttemptsPerExecutor: 1,
  maxTaskAttemptsPerNode: 2,
  stageMaxFailedTasksPerExecutor: 2,
  stageMaxFailedExecutorsPerNode: 2,
  appMaxFailedTasksPerExecutor: 2,
  appMaxFailedExecutorsPerNode: 2,
  timeoutMs: 60 * 60 * 1000,
  fetchFailure: false,
  killExcludedExecutors: false,
};

/** The Spark key of each numeric setting, as Spark's refusals name them. */
export const EXCLUDE_ON_FAILURE_KEYS = {
  maxTaskAttemptsPerExecutor: 'spark.excludeOnFailure.task.maxTaskAttemptsPerExecutor',
  maxTaskAttemptsPerNode: 'spark.excludeOnFailure.task.maxTaskAttemptsPerNode',
  stageMaxFailedTasksPerExecutor: 'spark.excludeOnFailure.stage.maxFailedTasksPerExecutor',
  stageMaxFailedExecutorsPerNode: 'spark.excludeOnFailure.stage.maxFailedExecutorsPerNode',
  appMaxFailedTasksPerExecutor: 'spark.excludeOnFailure.application.maxFailedTasksPerExecutor',
  appMaxFailedExecutorsPerNode: 'spark.excludeOnFailure.application.maxFailedExecutorsPerNode',
  timeoutMs: 'spark.excludeOnFailure.timeout',
} as const satisfies Record<Exclude<keyof ExcludeOnFailureConf, 'fetchFailure' | 'killExcludedExecutors'>, string>;

/**
 * What is wrong with `conf` beside spark.task.maxFailures `maxFailures`, in Spark's words
 * (HealthTracker.validateExcludeOnFailureConfs), or undefined: every limit and the timeout must be
 * above 0, and a task must be allowed more attempts than it may make on one node, else one bad
 * worker fails the job before exclusion can help.
 */
export function excludeOnFailureProblem(conf: ExcludeOnFailureConf, maxFailures: number): string | undefined {
  for (const [field, key] of Object.entries(EXCLUDE_ON_FAILURE_KEYS) as [keyof typeof EXCLUDE_ON_FAILURE_KEYS, string][]) {
    const v = conf[field];
    if (v <= 0) return field === 'timeoutMs' ? `${key} was ${v} ms, but must be > 0.` : `${key} was ${v}, but must be > 0.`;
  }
  if (conf.maxTaskAttemptsPerNode >= maxFailures) {
    return (
      `${EXCLUDE_ON_FAILURE_KEYS.maxTaskAttemptsPerNode} ( = ${conf.maxTaskAttemptsPerNode}) was >= spark.task.maxFailures ( = ${maxFailures} ). ` +
      'Though excludeOnFailure is enabled, with this configuration, a task cannot outlast one bad worker. ' +
      `Decrease ${EXCLUDE_ON_FAILURE_KEYS.maxTaskAttemptsPerNode}, increase spark.task.maxFailures (--task-max-failures), or disable excludeOnFailure with spark.excludeOnFailure.enabled`
    );
  }
  return undefined;
}
