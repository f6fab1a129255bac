import type { Logger } from 'pino';
import type { ExcludeOnFailureConf } from './exclude-on-failure.js';
import type { TaskFailuresOnWorker } from './task-set-excludelist.js';

/**
 * A worker newly excluded for every job, or offered tasks again, as Spark's HealthTracker posts
 * SparkListenerExecutorExcluded (its taskFailures: the failures that excluded it; 0 for a fetch
 * failure's) and SparkListenerExecutorUnexcluded; or for one stage attempt, as Spark's
 * TaskSetExcludelist posts SparkListenerExecutorExcludedForStage.
 */
export type ExclusionChange =
  | { readonly type: 'excluded'; readonly workerId: string; readonly time: number; readonly taskFailures: number; readonly reason: string }
  | { readonly type: 'unexcluded'; readonly workerId: string; readonly time: number }
  /** Excluded for one stage attempt of job run `runId` (Spark's SparkListenerExecutorExcludedForStage; the TaskScheduler's, from the set's TaskSetExcludelist). */
  | { readonly type: 'excludedForStage'; readonly workerId: string; readonly time: number; readonly taskFailures: number; readonly runId: string; readonly stageId: number; readonly stageAttempt: number };

/** A worker excluded for every job of the driver: until when, and why. */
export interface WorkerExclusion {
  readonly until: number;
  readonly reason: string;
  /** The excluded worker's process run (WorkerInfo.instance) when known: a new process under the id is not excluded. */
  readonly instance?: string;
}

/**
 * The workers no task of any job is offered, as Spark's HealthTracker (the application level of
 * spark.excludeOnFailure): once task sets that succeeded had application.maxFailedTasksPerExecutor
 * different tasks fail on a worker, each failure counted for `timeoutMs` after it, the worker is
 * excluded for `timeoutMs`, then offered tasks again (`applyTimeout`, asked on every scheduling
 * pass). Only task sets that succeeded count: a set that failed may have failed for its own code,
 * not for where it ran. With application.fetchFailure.enabled, a worker whose map outputs a task
 * could not fetch is excluded at once. A removed worker's failures are forgotten; its exclusion
 * runs out as any (Spark's handleRemovedExecutor), unless a new process registers under its id
 * (workerJoined: a new worker, as Spark's executors never come back under an id). Sluice's driver runs several applications (run
 * ids) on one set of workers: the exclusion is the driver's, for every job on it, as its
 * spark.excludeOnFailure settings are. Tasks running on a worker as it is excluded run on; with
 * killExcludedExecutors the driver releases the worker (`onChange`'s listener, the DriverNode).
 * Threading: driver main thread (the TaskScheduler's).
 */
export class HealthTracker {
  /** Each worker's counted failures: the task (`stage.attempt.index`) and when the failure stops counting. */
  private readonly failures = new Map<string, { task: string; expiresAt: number }[]>();
  private readonly excluded = new Map<string, WorkerExclusion>();
  /** Each registered worker's process run (WorkerInfo.instance), as it joined. */
  private readonly instances = new Map<string, string>();

  constructor(
    readonly conf: ExcludeOnFailureConf,
    private readonly now: () => number,
    private readonly log: Logger,
    /** Told each exclusion and lifting (the driver forwards them to programs' SparkListeners). */
    private readonly onChange: (e: ExclusionChange) => void = () => undefined,
  ) {}

  /** Whether `workerId` is offered no task now. */
  isExcluded(workerId: string): boolean {
    return this.excluded.has(workerId);
  }

  /** The workers excluded now. */
  excludedWorkers(): ReadonlyMap<string, WorkerExclusion> {
    return this.excluded;
  }

  /** Stage attempt `stage` (`<stageId>.<attempt>`) succeeded with these failures (Spark's updateExcludedForSuccessfulTaskSet). */
  successfulTaskSet(stage: string, byWorker: ReadonlyMap<string, ReadonlyMap<number, TaskFailuresOnWorker>>): void {
    const now = this.now();
    for (const [workerId, tasks] of byWorker) {
      let list = this.failures.get(workerId);
      if (list === undefined) this.failures.set(workerId, (list = []));
      for (const [index, f] of tasks) list.push({ task: `${stage}.${index}`, expiresAt: f.lastFailureAt + this.conf.timeoutMs });
      const live = list.filter((f) => f.expiresAt >= now);
      this.failures.set(workerId, live);
      if (live.length >= this.conf.appMaxFailedTasksPerExecutor && !this.excluded.has(workerId)) {
        this.exclude(workerId, live.length, `${live.length} different tasks failed on it in stages that succeeded (spark.excludeOnFailure.application.maxFailedTasksPerExecutor ${this.conf.appMaxFailedTasksPerExecutor})`);
        this.failures.delete(workerId);
      }
    }
  }

  /** A task could not fetch map outputs from `workerId` (Spark's updateExcludedForFetchFailure): excluded at once if application.fetchFailure.enabled. */
  fetchFailure(workerId: string): void {
    if (!this.conf.fetchFailure || this.excluded.has(workerId)) return;
    this.exclude(workerId, 0, 'a task could not fetch map outputs from it (spark.excludeOnFailure.application.fetchFailure.enabled)');
  }

  /** Exclusions past their time are lifted (Spark's applyExcludeOnFailureTimeout). */
  applyTimeout(): void {
    if (this.excluded.size === 0) return;
    const now = this.now();
    for (const [workerId, e] of this.excluded) {
      if (e.until > now) continue;
      this.excluded.delete(workerId);
      this.log.info({ workerId }, 'worker no longer excluded: spark.excludeOnFailure.timeout passed; it is offered tasks again');
      this.onChange({ type: 'unexcluded', workerId, time: now });
    }
  }

  /**
   * A worker registered (a new WorkerInfo). A new process under an excluded id (a worker given a
   * fixed workerId, released by killExcludedExecutors or lost, and started again) is a new
   * worker: its exclusion is lifted, as Spark's executors come back under new ids and are not
   * excluded (the exclusion was the earlier process's: its disk, its threads, its modules). The
   * same process registering again (its instance unchanged) stays excluded until the timeout.
   */
  workerJoined(workerId: string, instance: string): void {
    if (instance !== '') this.instances.set(workerId, instance);
    const e = this.excluded.get(workerId);
    if (e === undefined || e.instance === undefined || instance === '' || e.instance === instance) return;
    this.excluded.delete(workerId);
    this.log.info({ workerId, reason: e.reason }, 'worker no longer excluded: a new process registered under its id (its exclusion was the earlier process\'s); it is offered tasks');
    this.onChange({ type: 'unexcluded', workerId, time: this.now() });
  }

  /** The worker was removed: its failures no longer count. */
  workerRemoved(workerId: string): void {
    this.failures.delete(workerId);
    this.instances.delete(workerId);
  }

  private exclude(workerId: string, taskFailures: number, reason: string): void {
    const now = this.now();
    const until = now + this.conf.timeoutMs;
    const instance = this.instances.get(workerId);
    this.excluded.set(workerId, { until, reason, ...(instance === undefined ? {} : { instance }) });
    this.log.warn(
      { workerId, timeoutMs: this.conf.timeoutMs, reason },
      'worker excluded: it is offered no task until spark.excludeOnFailure.timeout passes (the Executors page and REST executors show it Excluded)',
    );
    this.onChange({ type: 'excluded', workerId, time: now, taskFailures, reason });
  }
}
