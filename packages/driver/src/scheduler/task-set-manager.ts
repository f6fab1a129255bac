import { bytesToString, mapStatusTotalBytes, taskErrorClass, type Clock, type TaskLocality, type TaskRunMetrics, type wire } from '@sluice/core/internal';
import type { LaunchResult, TaskDescription } from '../rpc/worker-endpoint.js';
import { FAILED_TASK_REASONS, type TaskEndError, type TaskEndEvent, type TaskEndReason } from './scheduler-listener.js';
import type { ExcludeOnFailureConf } from './exclude-on-failure.js';
import { TaskSetExcludelist } from './task-set-excludelist.js';

/** How a task set ended. */
export type TaskSetEnd =
  | { readonly kind: 'done' }
  | { readonly kind: 'fetchFailed'; readonly shuffleId: number; readonly mapPartition: number; readonly workerId: string; readonly message: string }
  | {
      readonly kind: 'failed';
      readonly code: string;
      readonly message: string;
      readonly stack: string;
      readonly partition: number;
      readonly attempts: number;
      /** The stage attempt, as Spark names a task set: `<stageId>.<stageAttempt>` (a failed task's). */
      readonly stage?: string;
      /** The attempt that failed last, as Spark's "Lost task 0.3 in stage 1.0 (TID ...) (...)" names it: `<partition>.<attempt>`, its task id and worker. */
      readonly lost?: { readonly task: string; readonly taskId: string; readonly workerId: string };
    };

/** Spark's TaskKilled reason for a losing copy of a task (TaskSetManager.handleSuccessfulTask's). */
const ANOTHER_ATTEMPT_SUCCEEDED = 'another attempt succeeded';
/** A speculative copy killed past the straggler threshold itself (Sluice's; Spark lets it run). */
const SPECULATION_NO_FASTER = 'the speculative copy ran no faster than the straggler threshold';
/** An attempt its worker reported killed that the set had not killed. */
const KILLED_ON_WORKER = 'killed on its worker';
/** The set ended with no reason its stage gave (it finished: every partition has a result). */
const STAGE_ENDED = 'its stage finished';

/** What the task set needs from the stage it runs. */
export interface StageCallbacks {
  readonly jobId: string;
  readonly stageId: number;
  /** Which run of the stage this is (a stage re-runs after a fetch failure); part of task ids. */
  readonly stageAttempt: number;
  /**
   * A shuffle map stage's: its tasks' outputs live on the workers that ran them, so a successful
   * task whose worker is lost while the set runs is run again in it (Spark's
   * TaskSetManager.executorLost for ShuffleMapTasks: told as a `resubmitted` end).
   */
  readonly shuffleMap?: boolean;
  /** Spark's TaskSet priority: the id of the action (Spark's job) that submitted it; a FIFO pool runs lower ones first. */
  readonly priority?: number;
  /** The scheduler pool it runs in under FAIR scheduling (the action's spark.scheduler.pool), if one was set. */
  readonly pool?: string;
  /** The description of one attempt of the task over `partition` (its stage's part shared by every task). */
  describe(partition: number, taskId: string, attempt: number): TaskDescription;
  /**
   * Workers holding data this partition reads (cached blocks); empty when none. Left out
   * when no task of the stage can have any: an offer then takes the first pending task
   * without asking (tiny tasks are offered thousands of times a second).
   */
  preferredWorkers?(partition: number): ReadonlySet<string> | undefined;
  /**
   * Whether `partition`'s outcome is had already (another attempt of the stage, an older one
   * left running after a fetch failure or a newer one, took it): a success of this set's for it
   * is then a late duplicate, told `killed` (another attempt succeeded), its result dropped.
   * Asked only once the set is a zombie (a running set is told by markPartitionCompleted).
   */
  alreadyDone?(partition: number): boolean;
  /**
   * A fetch failure of a task left running after the set ended by another (a zombie's): the map
   * outputs it names may be lost too. Must not call back into the set.
   */
  onZombieFetchFailed?(f: { readonly shuffleId: number; readonly mapPartition: number; readonly workerId: string; readonly message: string }): void;
  /** A task's first successful attempt. */
  /** `taskId`: the successful attempt's. */
  onSuccess(partition: number, outcome: wire.TaskOutcome__Output, workerId: string, taskId: string): void;
  /** Every attempt launched, as it is (Spark's onTaskStart; `time` the clock's); must not call back into the set. */
  onTaskStart?(taskId: string, partition: number, attempt: number, workerId: string, speculative: boolean, time: number, taskLocality: TaskLocality): void;
  /** Every attempt that ends, however (for metrics); must not call back into the set. */
  onTaskEnd?(e: Omit<TaskEndEvent, 'runId' | 'stageId' | 'stageAttempt'>): void;
  /**
   * An attempt this set killed while it ran (its end told already, with nothing measured)
   * was answered by its worker with what it had measured until the kill (Spark's TaskKilled
   * carries them); must not call back into the set.
   */
  onKilledTaskMeasured?(e: { readonly taskId: string; readonly workerId: string; readonly shuffleReadBytes: number; readonly metrics?: TaskRunMetrics }): void;
  /**
   * Why the set's attempts still running are killed as it ends with `end` (their TaskKilled
   * reason): as Spark's DAGScheduler kills a stage's tasks with the failure it marks the stage
   * finished with (killAllTaskAttempts(stageId, ..., reason) beside markStageAsFinished(stage,
   * Some(reason))). Must not call back into the set.
   */
  endReason?(end: TaskSetEnd): string | undefined;
}

/** Where a stage attempt stands, as a console progress bar shows it: `(completed + running) / tasks`. */
export interface StageProgress {
  readonly stageId: number;
  readonly stageAttempt: number;
  /** Tasks of this stage attempt (a re-run after a fetch failure has only the missing ones). */
  readonly numTasks: number;
  readonly completedTasks: number;
  /** Tasks with at least one attempt running (a speculative copy is not counted twice). */
  readonly runningTasks: number;
  /** Failed attempts so far (each retried until maxFailures). */
  readonly failedAttempts: number;
  /** How long ago the stage attempt was submitted (ms). */
  readonly submittedMsAgo: number;
}

export interface TaskSetOptions {
  readonly maxFailures: number;
  readonly speculation: boolean;
  readonly speculationMultiplier: number;
  readonly speculationQuantile: number;
  /** Minimum run time before a task may be speculated (ms). */
  readonly speculationMinMs: number;
  /** How long a task waits for a slot on a preferred worker before running anywhere (ms). */
  readonly localityWaitMs: number;
  /**
   * A task attempt running longer than this is killed and counts as a failed attempt
   * (0: no limit). Set per job (`sluice submit --task-timeout`).
   */
  readonly taskTimeoutMs: number;
  /**
   * Spark's spark.driver.maxResultSize: a result task set whose tasks' encoded results add up to
   * more than this many bytes is aborted (SLUICE_RESULT_TOO_LARGE) rather than held by the
   * driver; 0: no limit. Default 1 GiB, as Spark's.
   */
  readonly maxResultSizeBytes?: number;
  /**
   * Tasks of the set may be queued on a worker beyond its free slots (pipelining, see
   * TaskScheduler) while its recent tasks ran at most this long, launch to outcome as the
   * driver saw them (ms); 0 or unset: never.
   */
  readonly pipelineMaxTaskMs?: number;
  /**
   * Spark's spark.stage.maxConsecutiveAttempts: a stage whose attempts fail on a fetch this many
   * times in a row aborts its job (the DAG scheduler's; unset: 4, Spark's default). Spark's
   * comparison, failed attempts >= it: 1 or less aborts at the first fetch failure.
   */
  readonly maxConsecutiveStageAttempts?: number;
  /**
   * Spark's spark.shuffle.reduceLocality.enabled (unset: true, Spark's default): a shuffle's reduce
   * task prefers the workers holding at least a fifth of its input (the DAG scheduler's).
   */
  readonly reduceLocality?: boolean;
  /**
   * Spark's spark.excludeOnFailure.* (exclude-on-failure.ts); unset: off, as Spark's default. On, a
   * task is not offered a worker it failed on (TaskSetExcludelist), where off it avoids it only
   * while other workers remain, and a task that can run on no live worker aborts the set.
   */
  readonly excludeOnFailure?: ExcludeOnFailureConf;
}

/**
 * A task set's options: `base` with the job's `taskTimeoutMs`, every field present and in one
 * order, so that every TaskSetManager's `opts` has one shape (a spread of the driver's
 * options gave the sets' objects shapes that deoptimized the functions reading them).
 */
export function taskSetOptions(base: TaskSetOptions, taskTimeoutMs: number): TaskSetOptions {
  return {
    maxFailures: base.maxFailures,
    speculation: base.speculation,
    speculationMultiplier: base.speculationMultiplier,
    speculationQuantile: base.speculationQuantile,
    speculationMinMs: base.speculationMinMs,
    localityWaitMs: base.localityWaitMs,
    taskTimeoutMs,
    maxResultSizeBytes: base.maxResultSizeBytes ?? 0,
    pipelineMaxTaskMs: base.pipelineMaxTaskMs ?? 0,
    excludeOnFailure: base.excludeOnFailure,
  };
}

/** A running attempt, as `sluice jobs` and the status page show it. */
export interface RunningTaskInfo {
  readonly taskId: string;
  readonly stageId: number;
  readonly stageAttempt: number;
  /** Its index in the task set (Spark's TaskInfo.index). */
  readonly index: number;
  readonly partition: number;
  /** The task's attempt number (0 for its first launch). */
  readonly attempt: number;
  readonly workerId: string;
  readonly runningMs: number;
  readonly speculative: boolean;
  /** The locality level it was launched at (Spark's TaskInfo.taskLocality). */
  readonly taskLocality: TaskLocality;
}

/** "stage S partition P on WORKER" (and whether it is a speculative copy). */
export function describeRunningTask(t: RunningTaskInfo): string {
  return `stage ${t.stageId} partition ${t.partition} on ${t.workerId}${t.speculative ? ' (speculative copy)' : ''}`;
}

export interface TaskLaunch {
  readonly taskId: string;
  readonly desc: TaskDescription;
}

interface Attempt {
  readonly index: number;
  readonly taskId: string;
  /** The task's attempt number (Spark's TaskInfo.attemptNumber): 0 first, one more each launch. */
  readonly attempt: number;
  readonly workerId: string;
  readonly start: number;
  readonly speculative: boolean;
  readonly locality: TaskLocality;
  /**
   * Sent to a worker beyond its free slots (pipelining) and, as far as the driver can
   * tell, still waiting there for one: not running yet (progress, `sluice jobs` and the
   * REST API leave it out). TaskScheduler says when it gets a slot (`markStarted`).
   */
  queued: boolean;
  /** When it got a slot: its launch, or when a queued attempt was counted as started. */
  startedAt: number;
  /** Set once a warning that it runs long has been logged. */
  warned?: boolean;
}

export type KillTask = (workerId: string, taskId: string) => void;

/**
 * The locality levels a set is offered slots at, best first, as Spark's TaskSetManager's
 * myLocalityLevels on a cluster with one level, the worker (no NODE_LOCAL: each worker is its own
 * host; no RACK_LOCAL): PROCESS_LOCAL (a task that prefers the offered worker), NO_PREF (a task
 * that prefers none; no wait, as Spark's getLocalityWait of NO_PREF), ANY (after the locality
 * wait). TaskScheduler offers every free slot at one level before any at the next (Spark's
 * TaskSchedulerImpl.resourceOffers: `for (currentMaxLocality <- taskSet.myLocalityLevels)`).
 */
export type OfferLevel = 'PROCESS_LOCAL' | 'NO_PREF' | 'ANY';
export const OFFER_LEVELS: readonly OfferLevel[] = ['PROCESS_LOCAL', 'NO_PREF', 'ANY'];
const LEVEL_RANK: Readonly<Record<OfferLevel, number>> = { PROCESS_LOCAL: 0, NO_PREF: 1, ANY: 2 };

/**
 * Schedules the tasks of one stage attempt, as Spark's TaskSetManager: hands out
 * pending tasks to offered slots (preferring workers that hold the partition's cached
 * data, for up to the locality wait), retries failed tasks up to `maxFailures`
 * attempts, re-queues tasks of lost workers without counting them, launches
 * speculative copies of stragglers, and keeps the first successful attempt.
 *
 * Outcomes are a closed set: success, a user error (counted), a fetch failure (ends the
 * set: the parent stage must re-run), a lost worker (not counted), a kill (ignored).
 *
 * Speculation, as Spark's (spark.speculation.quantile / multiplier): once `quantile` of
 * the tasks finished, a task running longer than `multiplier` × their median gets one
 * copy on another worker — one copy per task for the life of the set, and only from
 * slots no task set's pending task wants (`offer(..., speculate)`, asked last by the
 * TaskScheduler). A copy that itself runs past the threshold is killed (`tick`): the task
 * is slow wherever it runs (it may never return), so a second slot spinning on it
 * helps nothing and starves other jobs. A task past the job's `taskTimeoutMs` is killed
 * and counted as a failed attempt (its worker thread is terminated on the worker).
 * Threading: driver main thread; every method changes state synchronously.
 */
export class TaskSetManager {
  /**
   * Pending tasks, as Spark's TaskSetManager keeps them (pendingTasks.all, .forExecutor,
   * .noPrefs): every one in `all`; with preferences, in each preferred worker's list, else in
   * `noPrefs` (the lists are made on the first offer that asks, one preferredWorkers call a
   * task). A task launched from one list stays in the others until read there. Offer order is
   * a list's order: tasks queued again first (the latest first), then the rest by index.
   */
  private readonly all: PendingTasks;
  private byWorker: Map<string, PendingTasks> | undefined;
  private noPrefs: PendingTasks | undefined;
  /** Each task's preferred workers as the lists hold them (made with the lists). */
  private prefsOf: (readonly string[])[] = [];
  /** Whether each task is pending, and its entry's number (one more each time it is queued again): older entries are stale. */
  private readonly isPending: Uint8Array;
  private readonly pendingSeq: Uint32Array;
  private pendingCount: number;
  private readonly running = new Map<string, Attempt>();
  /** Attempts killed here while running (`killed`, not timed out) whose worker has not answered yet, and their workers: its answer carries what they measured. */
  private readonly killedRunning = new Map<string, string>();
  // The per-task arrays are typed arrays: `partitions.map` made arrays of a different
  // elements kind for different callers' partitions, and every function reading them was
  // deoptimized ("wrong map") at each new kind (bench/README).
  /** 1 once the task's partition succeeded. */
  private readonly done: Uint8Array;
  private readonly failures: Uint32Array;
  private readonly attempts: Uint32Array;
  /** Workers each task failed on, by task index (tasks that never failed have none): it is not offered to them again while others remain. */
  private readonly failedOn = new Map<number, Set<string>>();
  /** With spark.excludeOnFailure.enabled: the workers the set or its tasks no longer go to (replaces `failedOn`'s rule). */
  readonly excludelist: TaskSetExcludelist | undefined;
  /** Set when a task's own fetch failure ended the set (not a lost worker's outputs): Spark's FetchFailed, which application.fetchFailure.enabled excludes on. */
  private taskFetchFailed = false;
  /** Run times of the successful attempts (ms), kept sorted: the median is read, not sorted out, on each offer. */
  private readonly durations = new SortedDurations();
  /** Recent successful attempts' run time (ms, launch to outcome): a moving average, undefined before the first. */
  private recentMs: number | undefined;
  /** A shuffle map set's successful attempt of each task, and its run time (ms), while its output is thought alive (`onWorkerLost`). */
  private readonly succeeded: (Attempt | undefined)[] = [];
  private readonly succeededMs: Float64Array;
  /** 1 for tasks that had their one speculative copy. */
  private readonly speculated: Uint8Array;
  private remaining: number;
  /** Attempts that failed (any reason in FAILED_TASK_REASONS), for progress. */
  private failedAttempts = 0;
  private ended = false;
  /**
   * Set once a worker holding map outputs its tasks read was lost (`mapOutputsLost`): a task
   * pending now or queued again from then on ends the set as this fetch failure (a zombie, its
   * running attempts left to finish), as Spark's task launched after the outputs were
   * unregistered fails at once with FetchFailed (MetadataFetchFailedException).
   */
  private lostInputs: Extract<TaskSetEnd, { kind: 'fetchFailed' }> | undefined;
  /**
   * Set when a task's fetch failure ended the set (Spark's isZombie after FetchFailed): nothing
   * more is launched, but its running attempts run on, and a success among them still counts.
   */
  private zombie = false;
  private resolveDrained!: () => void;
  /** Settles once the set ended and no attempt of it runs (a zombie's last attempt ended). */
  readonly drained: Promise<void>;
  /** Attempts launched so far (queued ones included). */
  private launches = 0;
  private readonly created: number;
  /**
   * Delay scheduling, as Spark's TaskSetManager (currentLocalityIndex, lastLocalityWaitResetTime):
   * the level (OFFER_LEVELS' index) the set may launch at now, and when its wait last restarted
   * (the set's creation, a level left because it had no task, or `endOfferRound`'s reset).
   */
  private levelIndex = 0;
  private lastLocalityWaitReset: number;
  /**
   * Over the offers of one scheduling pass (TaskScheduler's, ended by `endOfferRound`): the best
   * level launched at (OFFER_LEVELS' index; -1: none), and whether an offer at ANY was refused
   * while tasks were pending (Spark's delay-scheduling reject).
   */
  private roundBest = -1;
  private roundRejected = false;
  private resolveEnd!: (e: TaskSetEnd) => void;
  /** Results taken so far and their encoded bytes (Spark's calculatedTasks and totalResultSize). */
  private resultTasks = 0;
  private resultBytes = 0;
  readonly finished: Promise<TaskSetEnd>;

  constructor(
    readonly stage: StageCallbacks,
    /** Partitions this task set computes, by task index. */
    readonly partitions: readonly number[],
    private readonly opts: TaskSetOptions,
    private readonly clock: Clock,
    private readonly kill: KillTask,
  ) {
    this.done = new Uint8Array(partitions.length);
    this.failures = new Uint32Array(partitions.length);
    this.attempts = new Uint32Array(partitions.length);
    this.speculated = new Uint8Array(partitions.length);
    this.succeededMs = new Float64Array(stage.shuffleMap ? partitions.length : 0);
    this.remaining = partitions.length;
    this.excludelist = opts.excludeOnFailure === undefined ? undefined : new TaskSetExcludelist(opts.excludeOnFailure);
    this.created = clock.now();
    this.lastLocalityWaitReset = this.created;
    this.isPending = new Uint8Array(partitions.length).fill(1);
    this.pendingSeq = new Uint32Array(partitions.length);
    this.pendingCount = partitions.length;
    const byIndex: number[] = [];
    for (let i = 0; i < partitions.length; i++) byIndex.push(i);
    this.all = new PendingTasks(this.isPending, this.pendingSeq, byIndex);
    this.finished = new Promise((r) => (this.resolveEnd = r));
    this.drained = new Promise((r) => (this.resolveDrained = r));
    if (partitions.length === 0) this.end({ kind: 'done' });
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** Whether a fetch failure ended it while attempts of it still run (Spark's zombie TaskSetManager). */
  get isZombie(): boolean {
    return this.zombie && this.running.size > 0;
  }

  /**
   * Another attempt of the stage computed `partition` (Spark's markPartitionCompleted, told by
   * notifyPartitionCompletion): it is done here too, its attempts here killed (another attempt
   * succeeded), the set done once every partition is. Returns whether it was still to do here.
   */
  markPartitionCompleted(partition: number): boolean {
    if (this.ended) return false;
    const index = this.partitions.indexOf(partition);
    if (index < 0 || this.done[index] === 1) return false;
    this.done[index] = 1;
    this.remaining--;
    if (this.isPending[index] === 1) {
      this.isPending[index] = 0;
      this.pendingCount--;
    }
    for (const [id, other] of [...this.running]) if (other.index === index) this.killAttempt(id, other, 'killed', ANOTHER_ATTEMPT_SUCCEEDED);
    if (this.remaining === 0) this.end({ kind: 'done' });
    return true;
  }

  get runningCount(): number {
    return this.running.size;
  }

  /**
   * A task for a free slot on `workerId`, or undefined. A task that failed on this
   * worker is left for others while there are `liveWorkers` it has not failed on
   * (Spark's per-task exclusion of a failing executor). A speculative copy is handed out
   * only when `speculate` is true (the scheduler asks for copies after pending tasks).
   * `toQueue`: the task is to wait on the worker beyond its free slots (pipelining): only a
   * task that prefers it or prefers none, whatever the locality wait (a task queued on a worker
   * holding none of its data would run there without it, while its own worker runs the rest).
   * `maxLocality`, as Spark's resourceOffer's: PROCESS_LOCAL gives only a task that prefers the
   * worker; NO_PREF also one that prefers none (no wait, and no change to the delay scheduling
   * state); ANY, within the wait at PROCESS_LOCAL, only a task that prefers the worker (Spark's
   * dequeueTask at the allowed level), then one that prefers none once that wait is over (or no
   * pending task prefers a worker), and any other once the wait allows ANY (`allowedLevel`), and an offer
   * at ANY that gets nothing while tasks are pending counts as a delay-scheduling reject.
   */
  offer(workerId: string, liveWorkers = 1, speculate = true, toQueue = false, maxLocality: OfferLevel = 'ANY'): TaskLaunch | undefined {
    if (this.ended) return undefined;
    const now = this.clock.now();
    const excl = this.excludelist;
    if (excl !== undefined && excl.isExcludedForSet(workerId)) return undefined;
    const mayRun =
      excl !== undefined
        ? (index: number): boolean => !excl.isExcludedForTask(workerId, index)
        : (index: number): boolean => {
            const failed = this.failedOn.size === 0 ? undefined : this.failedOn.get(index);
            return !(failed !== undefined && failed.has(workerId) && failed.size < liveWorkers);
          };
    let pick: number | undefined;
    if (this.stage.preferredWorkers === undefined) {
      // No task of the stage prefers a worker: the first one this worker may run.
      if (this.pendingCount > 0) pick = this.all.first(mayRun);
    } else {
      // A task that prefers this worker first; else one with no preference, or (the
      // locality wait over) any. Each list is read from its start, skipping tasks no
      // longer pending there: O(1) an offer but for tasks this worker may not run.
      if (this.byWorker === undefined) this.indexPreferences();
      // As Spark's resourceOffer, every offer but one at NO_PREF (or to queue) moves the level on first.
      const allowed = maxLocality === 'NO_PREF' || toQueue ? 'NO_PREF' : this.allowedLevel(now);
      if (this.pendingCount > 0) {
        pick = this.byWorker!.get(workerId)?.first(mayRun);
        // Spark's dequeueTask at the allowed level (the offer's, capped by the wait's): a task
        // preferring none only once NO_PREF is allowed, so an offer at ANY within the wait at
        // PROCESS_LOCAL gives nothing but this worker's own.
        if (pick === undefined && maxLocality !== 'PROCESS_LOCAL' && allowed !== 'PROCESS_LOCAL') pick = this.noPrefs!.first(mayRun);
        if (pick === undefined && maxLocality === 'ANY' && !toQueue && allowed === 'ANY') pick = this.all.first(mayRun);
        if (pick === undefined && maxLocality === 'ANY' && !toQueue) this.roundRejected = true;
      }
    }
    if (pick !== undefined) {
      this.isPending[pick] = 0;
      this.pendingCount--;
      return this.launch(pick, workerId, false, toQueue);
    }
    const spec = speculate && this.opts.speculation ? this.speculatable(workerId, now) : undefined;
    if (spec === undefined) return undefined;
    this.speculated[spec] = 1;
    return this.launch(spec, workerId, true, toQueue);
  }

  /** Whether any task of the set prefers a worker (offers at PROCESS_LOCAL and NO_PREF can differ from one at ANY). */
  get hasPreferences(): boolean {
    return this.stage.preferredWorkers !== undefined;
  }

  /**
   * The level the set may launch at now, as Spark's getAllowedLocalityLevel: from the current
   * level, a level with no pending task is left at once (its wait restarting now, SPARK-4939),
   * one whose wait (spark.locality.wait.process at PROCESS_LOCAL, none at NO_PREF) ran out since
   * the last restart is left, the next level's wait starting where it ended.
   */
  private allowedLevel(now: number): OfferLevel {
    while (this.levelIndex < OFFER_LEVELS.length - 1) {
      const level = OFFER_LEVELS[this.levelIndex];
      const wait = level === 'PROCESS_LOCAL' ? this.opts.localityWaitMs : 0;
      if (!(level === 'PROCESS_LOCAL' ? this.anyPreferringPending() : this.noPrefs!.hasPending())) {
        this.lastLocalityWaitReset = now;
        this.levelIndex++;
      } else if (now - this.lastLocalityWaitReset >= wait) {
        this.lastLocalityWaitReset += wait;
        this.levelIndex++;
      } else return level;
    }
    return OFFER_LEVELS[this.levelIndex];
  }

  /** Whether a pending task prefers some worker (Spark's moreTasksToRunIn(forExecutor)); empty lists are dropped. */
  private anyPreferringPending(): boolean {
    for (const [w, l] of this.byWorker!) {
      if (l.hasPending()) return true;
      this.byWorker!.delete(w);
    }
    return false;
  }

  /**
   * The end of one scheduling pass's offers to this set (TaskScheduler's, every free slot offered:
   * Spark's resourceOffers with isAllFreeResources). As Spark's default delay scheduling
   * (spark.locality.wait.legacyResetOnTaskLaunch false, TaskSchedulerImpl.resourceOffers): a pass
   * that launched a task and refused no offer for locality restarts the wait, at the best level it
   * launched at (resetDelayScheduleTimer(globalMinLocality)); one that refused leaves it running.
   */
  endOfferRound(): void {
    if (this.roundBest >= 0 && !this.roundRejected) {
      this.lastLocalityWaitReset = this.clock.now();
      this.levelIndex = this.roundBest;
    }
    this.roundBest = -1;
    this.roundRejected = false;
  }

  /**
   * Whether more of this set's tasks may be sent to a worker than it has free slots (they
   * wait there for one): only tiny tasks, whose run time is mostly the round trip to the
   * worker — the recent ones ran at most `pipelineMaxTaskMs` as the driver saw them — and
   * only when nothing depends on when a task starts: no task timeout (a queued task's clock
   * runs from its launch). A stage whose tasks prefer workers (cached partitions) queues on a
   * worker only the tasks that prefer it or none (`offer`'s `toQueue`), as Spark's
   * TaskSetManager launches by locality level: an iterative job over cached partitions runs its
   * tiny tasks without a round trip each.
   */
  canQueue(): boolean {
    return !this.ended && this.pendingCount > 0 && this.runsTiny();
  }

  /** Whether the set's recent tasks ran at most `pipelineMaxTaskMs` (and it has no task timeout): a launch of it frees its slot soon. */
  runsTiny(): boolean {
    const max = this.opts.pipelineMaxTaskMs ?? 0;
    return max > 0 && this.recentMs !== undefined && this.recentMs <= max && this.opts.taskTimeoutMs === 0;
  }

  /** An attempt just launched was sent to wait on its worker beyond the worker's free slots (pipelining): not running yet. */
  markQueued(taskId: string): void {
    const a = this.running.get(taskId);
    if (a) a.queued = true;
  }

  /** A queued attempt got a slot on its worker (a launch before it there resolved): it counts as running from now. */
  markStarted(taskId: string): void {
    const a = this.running.get(taskId);
    if (a?.queued) {
      a.queued = false;
      a.startedAt = this.clock.now();
    }
  }

  /**
   * Tasks done, running and in all, for progress bars (`sluice jobs`, the console). An
   * attempt queued on a worker beyond its slots is not running yet (as Spark counts only
   * tasks that hold a core as active): running never exceeds the cores the set holds.
   */
  progress(): StageProgress {
    const running = new Set<number>();
    for (const a of this.running.values()) if (!a.queued) running.add(a.index);
    return {
      stageId: this.stage.stageId,
      stageAttempt: this.stage.stageAttempt,
      numTasks: this.partitions.length,
      completedTasks: this.partitions.length - this.remaining,
      runningTasks: running.size,
      failedAttempts: this.failedAttempts,
      submittedMsAgo: Math.max(0, this.clock.now() - this.created),
    };
  }

  /** Attempts running now (not those queued on a worker beyond its slots), longest first. */
  runningTasks(): RunningTaskInfo[] {
    const now = this.clock.now();
    return [...this.running]
      .filter(([, a]) => !a.queued)
      .map(([taskId, a]) => ({ taskId, stageId: this.stage.stageId, stageAttempt: this.stage.stageAttempt, index: a.index, attempt: a.attempt, partition: this.partitions[a.index], workerId: a.workerId, runningMs: now - a.startedAt, speculative: a.speculative, taskLocality: a.locality }))
      .sort((x, y) => y.runningMs - x.runningMs);
  }

  /**
   * Called on the scheduler's tick: kills attempts past the job's task timeout (a failed
   * attempt each) and speculative copies that turned out as slow as their original.
   * Returns attempts that passed `longRunningMs` for the first time (to log them).
   */
  tick(longRunningMs: number): RunningTaskInfo[] {
    if (this.ended) {
      if (this.zombie) this.timeOutZombieAttempts();
      return [];
    }
    const now = this.clock.now();
    const threshold = this.speculationThreshold();
    const longRunning: RunningTaskInfo[] = [];
    for (const [taskId, a] of [...this.running]) {
      const ran = now - a.start;
      const partition = this.partitions[a.index];
      if (this.opts.taskTimeoutMs > 0 && ran > this.opts.taskTimeoutMs) {
        const message =
          `task ${taskId} (stage ${this.stage.stageId}, partition ${partition}) ran past the job's task timeout of ${this.opts.taskTimeoutMs} ms ` +
          `on worker ${a.workerId} and was killed; find why it does not return, or raise --task-timeout`;
        // Its end tells why (Spark has no task timeout: a failure of Sluice's own, told by its message).
        this.killAttempt(taskId, a, 'timeout', undefined, { message, stack: '' });
        this.taskFailed(a, { code: 'SLUICE_TASK_TIMEOUT', message, stack: '' });
        if (this.ended) return longRunning;
        continue;
      }
      if (a.speculative && threshold !== undefined && ran > threshold) {
        // The copy is no faster than the original: the task is slow wherever it runs.
        // (Queued again only if the original is gone meanwhile, e.g. timed out.)
        this.killAttempt(taskId, a, 'killed', SPECULATION_NO_FASTER);
        this.requeue(a.index);
        continue;
      }
      if (!a.warned && ran > longRunningMs) {
        a.warned = true;
        longRunning.push({ taskId, stageId: this.stage.stageId, stageAttempt: this.stage.stageAttempt, index: a.index, partition, attempt: a.attempt, workerId: a.workerId, runningMs: ran, speculative: a.speculative, taskLocality: a.locality });
      }
    }
    return longRunning;
  }

  /**
   * A zombie's attempts past the job's task timeout are killed as any (a hung one would hold its
   * core until the job ends), told `timeout`; nothing is counted or queued again (the set ended).
   */
  private timeOutZombieAttempts(): void {
    if (this.opts.taskTimeoutMs <= 0) return;
    const now = this.clock.now();
    for (const [taskId, a] of [...this.running]) {
      if (now - a.start <= this.opts.taskTimeoutMs) continue;
      const message =
        `task ${taskId} (stage ${this.stage.stageId}, partition ${this.partitions[a.index]}) ran past the job's task timeout of ${this.opts.taskTimeoutMs} ms ` +
        `on worker ${a.workerId} and was killed; find why it does not return, or raise --task-timeout`;
      this.killAttempt(taskId, a, 'timeout', undefined, { message, stack: '' });
    }
    if (this.running.size === 0) this.resolveDrained();
  }

  /** How long this set has waited for its first launch (ms), or undefined once one launched or it ended (StarvationWarnings). */
  waitingForFirstLaunchMs(): number | undefined {
    return this.ended || this.launches > 0 ? undefined : Math.max(0, this.clock.now() - this.created);
  }

  private launch(index: number, workerId: string, speculative: boolean, queued: boolean): TaskLaunch {
    this.launches++;
    const attempt = this.attempts[index]++;
    const partition = this.partitions[index];
    const taskId = `${this.stage.jobId}.s${this.stage.stageId}r${this.stage.stageAttempt}.p${partition}.a${attempt}`;
    const now = this.clock.now();
    const locality = this.localityOf(index, workerId);
    if (!queued) {
      // Spark's level of a launch for delay scheduling: a task that prefers none counts as
      // PROCESS_LOCAL (dequeueTask gives its noPrefs tasks that level).
      const rank = locality === 'ANY' ? LEVEL_RANK.ANY : LEVEL_RANK.PROCESS_LOCAL;
      if (this.roundBest < 0 || rank < this.roundBest) this.roundBest = rank;
    }
    this.running.set(taskId, { index, taskId, attempt, workerId, start: now, speculative, locality, queued: false, startedAt: now });
    this.stage.onTaskStart?.(taskId, partition, attempt, workerId, speculative, now, locality);
    return { taskId, desc: this.stage.describe(partition, taskId, attempt) };
  }

  /**
   * The locality level of a launch of task `index` on `workerId` (Spark's TaskInfo.taskLocality,
   * core's TaskLocality): PROCESS_LOCAL on a worker it prefers or for a task that prefers none
   * (as Spark's dequeueTask gives its noPrefs tasks), else ANY.
   */
  private localityOf(index: number, workerId: string): TaskLocality {
    if (this.stage.preferredWorkers === undefined) return 'PROCESS_LOCAL';
    if (this.byWorker === undefined) this.indexPreferences();
    const prefs = this.prefsOf[index];
    return prefs.length === 0 || prefs.includes(workerId) ? 'PROCESS_LOCAL' : 'ANY';
  }

  /** Run time past which a task is a straggler (multiplier × median of finished tasks), once `quantile` of them finished. */
  private speculationThreshold(): number | undefined {
    const finished = this.durations.length;
    if (!this.opts.speculation || finished === 0 || finished < this.opts.speculationQuantile * this.partitions.length) return undefined;
    // Every offer of a slot asks (thousands a second for tiny tasks): a sort per task end
    // here was O(n log n) a task over the stage's last quarter; `durations` is kept sorted.
    return Math.max(this.opts.speculationMinMs, this.opts.speculationMultiplier * this.durations.at(finished >> 1));
  }

  /**
   * Whether an offer may get a task: one is pending, or speculation is on and some attempt
   * has run past the straggler threshold (a copy may be due, on some worker). The scheduler
   * asks before it offers a set its free slots: a pass over every idle worker for a set that
   * has nothing to hand out cost O(workers) on every task's end (O(workers²) a stage).
   */
  wantsSlot(): boolean {
    if (this.ended) return false;
    if (this.pendingCount > 0) return true;
    if (!this.opts.speculation) return false;
    const threshold = this.speculationThreshold();
    return threshold !== undefined && this.oldestRunningPast(this.clock.now(), threshold);
  }

  /**
   * Whether the attempt launched first among those running has run past `threshold`. The
   * `running` map keeps launch order and each attempt's start is the clock at its launch, so
   * its first entry started first: when that one is not past the threshold, none is. (Were
   * the system clock stepped back, a later launch could look older: its copy then waits at
   * most the size of that step.)
   */
  private oldestRunningPast(now: number, threshold: number): boolean {
    for (const a of this.running.values()) return now - a.start > threshold;
    return false;
  }

  /** A running task whose run time is far past the median of finished ones, never speculated, not already on this worker. */
  private speculatable(workerId: string, now: number): number | undefined {
    const threshold = this.speculationThreshold();
    if (threshold === undefined) return undefined;
    // Asked for each idle worker on each scheduling pass: with no attempt past the
    // threshold (the usual case) answered without walking every running attempt.
    if (!this.oldestRunningPast(now, threshold)) return undefined;
    const copies = new Map<number, string[]>();
    for (const a of this.running.values()) {
      const w = copies.get(a.index) ?? [];
      w.push(a.workerId);
      copies.set(a.index, w);
    }
    for (const a of this.running.values()) {
      const onIt = copies.get(a.index)!;
      if (this.done[a.index] === 0 && this.speculated[a.index] === 0 && onIt.length === 1 && onIt[0] !== workerId && now - a.start > threshold && this.excludelist?.isExcludedForTask(workerId, a.index) !== true) return a.index;
    }
    return undefined;
  }

  onResult(taskId: string, result: LaunchResult): void {
    const a = this.running.get(taskId);
    if (!a) {
      // Already re-queued (its worker was declared lost) or the set ended; or killed here, its end told.
      const killedOn = this.killedRunning.get(taskId);
      if (killedOn !== undefined) {
        this.killedRunning.delete(taskId);
        this.killedMeasured(taskId, killedOn, result);
      }
      return;
    }
    this.running.delete(taskId);
    try {
      this.handleResult(taskId, a, result);
    } finally {
      if (this.ended && this.running.size === 0) this.resolveDrained();
    }
  }

  private handleResult(taskId: string, a: Attempt, result: LaunchResult): void {
    // A partition's first success is reported after onSuccess, as Spark's DAGScheduler merges
    // the task's accumulator updates before it posts SparkListenerTaskEnd; any other end now.
    const emit = this.reportEnd(taskId, a, result);
    if (emit && result.ok) {
      try {
        this.onSuccessfulResult(a, result);
      } finally {
        emit();
      }
      return;
    }
    this.onEndedResult(a, result);
  }

  /** What a result whose end is reported first does: everything but a partition's first success. */
  private onEndedResult(a: Attempt, result: LaunchResult): void {
    if (this.ended) {
      const f = this.zombie && result.ok ? result.outcome.fetch_failed : undefined;
      if (f) this.stage.onZombieFetchFailed?.({ shuffleId: f.shuffle_id, mapPartition: f.map_partition, workerId: f.worker_id, message: f.message });
      return;
    }
    if (!result.ok && result.workerLost) {
      // The worker is gone or unreachable: not the task's fault.
      this.requeue(a.index);
      return;
    }
    if (!result.ok) {
      // Not an outcome object of the driver's own making: `o` below only ever has the decoded
      // outcome's shape (a second shape there deoptimized this function, bench/README).
      this.taskFailed(a, { code: 'SLUICE_INTERNAL', message: `the worker could not run the task: ${result.message}`, stack: '' });
      return;
    }
    const o = result.outcome;
    switch (o.outcome) {
      case 'result':
      case 'map_status':
        // A late duplicate (a first success went through onSuccessfulResult).
        return;
      case 'error':
        this.taskFailed(a, o.error!);
        return;
      case 'fetch_failed': {
        // Spark's handleFailedTask on FetchFailed: the set becomes a zombie, its other running
        // attempts left to finish (their successes still count); the stage is resubmitted.
        const f = o.fetch_failed!;
        this.taskFetchFailed = true;
        this.end({ kind: 'fetchFailed', shuffleId: f.shuffle_id, mapPartition: f.map_partition, workerId: f.worker_id, message: f.message }, true);
        return;
      }
      case 'killed':
        if (this.done[a.index] === 0) this.requeue(a.index);
        return;
      default:
        this.requeue(a.index);
    }
  }

  /** A partition's first success (reportEnd said so): its result taken, the set ended once every partition has one. */
  private onSuccessfulResult(a: Attempt, result: LaunchResult & { readonly ok: true }): void {
    const o = result.outcome;
    if (o.outcome === 'result' && this.overResultSize(o.result!.length)) return;
    this.done[a.index] = 1;
    this.remaining--;
    const ran = this.clock.now() - a.start;
    this.durations.insert(ran);
    this.recentMs = this.recentMs === undefined ? ran : 0.8 * this.recentMs + 0.2 * ran;
    if (this.stage.shuffleMap) {
      this.succeeded[a.index] = a;
      this.succeededMs[a.index] = ran;
    }
    this.stage.onSuccess(this.partitions[a.index], o, a.workerId, a.taskId);
    for (const [id, other] of [...this.running]) if (other.index === a.index) this.killAttempt(id, other, 'killed', ANOTHER_ATTEMPT_SUCCEEDED);
    if (this.remaining === 0) this.end({ kind: 'done' });
  }

  /**
   * Tell the stage how an attempt that came back ended (before the result changes any state),
   * or, for a partition's first success, return the telling, to be done once onSuccess ran.
   */
  private reportEnd(taskId: string, a: Attempt, result: LaunchResult): (() => void) | undefined {
    let reason: TaskEndReason;
    let shuffleWriteBytes = 0;
    let shuffleReadBytes = 0;
    let resultSize = 0;
    let metrics: TaskRunMetrics | undefined;
    let error: TaskEndError | undefined;
    let killReason: string | undefined;
    if (!result.ok) {
      reason = result.workerLost ? 'worker_lost' : 'error';
      if (!result.workerLost) error = { message: `the worker could not run the task: ${result.message}`, stack: '' };
    } else {
      const o = result.outcome;
      switch (o.outcome) {
        case 'result':
        case 'map_status':
          // Only the partition's first success counts; a late duplicate lost the race.
          // A zombie's success still counts (Spark's), unless another attempt of the stage has it
          // (asked of a zombie only: a running set hears of another attempt's success by
          // markPartitionCompleted; the hot path of a tiny task's end asks nothing more).
          reason = this.done[a.index] === 1 || (this.ended && (!this.zombie || this.stage.alreadyDone?.(this.partitions[a.index]) === true)) ? 'killed' : 'success';
          if (reason === 'killed') {
            killReason = ANOTHER_ATTEMPT_SUCCEEDED;
            // It ran to its end: what its worker measured (its run, its shuffle reads) goes with it, as
            // Spark's taskEnded of such a duplicate carries its metrics; its output and result are dropped.
            shuffleReadBytes = o.shuffle_read_bytes || 0;
            if (o.metrics) metrics = runMetrics(o.metrics, result.gettingResultMs ?? 0);
          } else {
            if (o.map_status) shuffleWriteBytes += mapStatusTotalBytes(o.map_status.status);
            shuffleReadBytes = o.shuffle_read_bytes || 0;
            resultSize = o.outcome === 'result' ? (o.result?.byteLength ?? 0) : (o.map_status?.status.byteLength ?? 0) + (o.accumulators?.byteLength ?? 0);
            if (o.metrics) metrics = runMetrics(o.metrics, result.gettingResultMs ?? 0);
          }
          break;
        case 'error': {
          reason = 'error';
          const message = o.error?.message ?? '';
          const stack = o.error?.stack ?? '';
          // ExceptionFailure.className: the thrown Error's name, for an error not Sluice's own.
          const className = taskErrorClass(o.error?.code ?? '', message, stack);
          error = className === undefined ? { message, stack } : { message, stack, className };
          // What the worker measured of it (Spark's ExceptionFailure carries the task's metrics): its run time to the throw, its shuffle reads.
          if (o.metrics) metrics = runMetrics(o.metrics, 0);
          // And the shuffle bytes it read before it threw (Spark's shuffleReadMetrics of the failure's metrics).
          shuffleReadBytes = o.shuffle_read_bytes || 0;
          break;
        }
        case 'fetch_failed':
          reason = 'fetch_failed';
          error = { message: o.fetch_failed?.message ?? '', stack: '' };
          if (o.fetch_failed) error = { ...error, fetch: { shuffleId: o.fetch_failed.shuffle_id, mapPartition: o.fetch_failed.map_partition, workerId: o.fetch_failed.worker_id } };
          break;
        default:
          reason = 'killed';
          killReason = KILLED_ON_WORKER;
      }
    }
    if (reason === 'success') return () => this.emitEnd(taskId, a, reason, shuffleWriteBytes, error, shuffleReadBytes, undefined, resultSize, metrics);
    this.emitEnd(taskId, a, reason, shuffleWriteBytes, error, shuffleReadBytes, killReason, 0, metrics);
    return undefined;
  }

  /**
   * The worker's answer to an attempt killed here while it ran: with what the attempt had
   * measured until the kill (its run time, shuffle records and bytes read: JobSandbox's
   * TaskKilled), those amend its end, told with none at the kill, as Spark's TaskKilled
   * carries them. Any other answer (it ended before the kill came, its worker was lost) is told
   * with none (the end held for the program's listener goes on without them).
   */
  private killedMeasured(taskId: string, workerId: string, result: LaunchResult): void {
    const o = result.ok ? result.outcome : undefined;
    if (o === undefined || o.outcome !== 'killed' || !o.metrics) {
      this.stage.onKilledTaskMeasured?.({ taskId, workerId, shuffleReadBytes: 0 });
      return;
    }
    this.stage.onKilledTaskMeasured?.({ taskId, workerId, shuffleReadBytes: o.shuffle_read_bytes || 0, metrics: runMetrics(o.metrics, 0) });
  }

  /** Spark's TaskEnd(Resubmitted) for a successful attempt whose output was lost: its own task id, worker and run time. */
  private emitResubmitted(a: Attempt, ranMs: number): void {
    this.failedAttempts++;
    this.stage.onTaskEnd?.({ taskId: a.taskId, attempt: a.attempt, partition: this.partitions[a.index], workerId: a.workerId, reason: 'resubmitted', durationMs: ranMs, speculative: a.speculative, taskLocality: a.locality, shuffleWriteBytes: 0, shuffleReadBytes: 0 });
  }

  private emitEnd(taskId: string, a: Attempt, reason: TaskEndReason, shuffleWriteBytes = 0, error?: TaskEndError, shuffleReadBytes = 0, killReason?: string, resultSize = 0, metrics?: TaskRunMetrics, measuredLater = false): void {
    if (FAILED_TASK_REASONS.includes(reason)) this.failedAttempts++;
    if (!this.stage.onTaskEnd) return;
    const e = { taskId, partition: this.partitions[a.index], attempt: a.attempt, workerId: a.workerId, reason, durationMs: Math.max(0, this.clock.now() - a.start), speculative: a.speculative, taskLocality: a.locality, shuffleWriteBytes, shuffleReadBytes, resultSize, metrics };
    // `error` and `killReason` only where there is one (no spread on a success: a tiny task
    // ends thousands of times a second).
    if (measuredLater) this.stage.onTaskEnd({ ...e, ...(killReason !== undefined && { killReason }), measuredLater });
    else if (killReason !== undefined) this.stage.onTaskEnd({ ...e, killReason });
    else this.stage.onTaskEnd(error ? { ...e, error } : e);
  }

  /**
   * A failed attempt: counted; the set fails once a task failed `maxFailures` times, else the
   * task is queued again. A result that could not be sent (SLUICE_TASK_NOT_SERIALIZABLE) fails
   * the set at once, as Spark's "had a not serializable result ...; not retrying": every
   * attempt would compute the same value.
   */
  private taskFailed(a: Attempt, e: { code: string; message: string; stack: string }): void {
    if (this.done[a.index] === 1) return;
    this.failures[a.index]++;
    let failedOn = this.failedOn.get(a.index);
    if (failedOn === undefined) this.failedOn.set(a.index, (failedOn = new Set()));
    failedOn.add(a.workerId);
    this.excludelist?.taskFailed(a.workerId, a.index, this.clock.now(), e.message);
    if (this.failures[a.index] >= this.opts.maxFailures || e.code === 'SLUICE_TASK_NOT_SERIALIZABLE') {
      const partition = this.partitions[a.index];
      this.end({
        kind: 'failed',
        code: e.code,
        message: e.message,
        stack: e.stack,
        partition,
        attempts: this.failures[a.index],
        stage: `${this.stage.stageId}.${this.stage.stageAttempt}`,
        lost: { task: `${partition}.${a.attempt}`, taskId: a.taskId, workerId: a.workerId },
      });
    } else this.requeue(a.index);
  }

  /**
   * Counts a result's bytes against spark.driver.maxResultSize, as Spark's canFetchMoreResults:
   * past the limit the set ends failed with Spark's message, the result dropped.
   */
  private overResultSize(bytes: number): boolean {
    const max = this.opts.maxResultSizeBytes ?? 0;
    if (max <= 0) return false;
    this.resultTasks++;
    this.resultBytes += bytes;
    if (this.resultBytes <= max) return false;
    this.end({
      kind: 'failed',
      code: 'SLUICE_RESULT_TOO_LARGE',
      message:
        `Job aborted due to stage failure: Total size of serialized results of ${this.resultTasks} tasks (${bytesToString(this.resultBytes)}) is bigger than spark.driver.maxResultSize (${bytesToString(max)}) ` +
        `(stage ${this.stage.stageId}.${this.stage.stageAttempt}); collect less (take, a reduce, saveAsTextFile) or raise --max-result-size`,
      stack: '',
      partition: -1,
      attempts: 0,
    });
    return true;
  }

  /**
   * A worker was declared lost: its running attempts go back to pending; in a shuffle map set
   * still running, so do the tasks that succeeded on it (their outputs went with it), each told
   * as a `resubmitted` end of its successful attempt first, as Spark's
   * TaskSetManager.executorLost (`Resubmitted`, then the running tasks' ExecutorLostFailure).
   */
  onWorkerLost(workerId: string): void {
    if (this.stage.shuffleMap && !this.ended) {
      for (let index = 0; index < this.succeeded.length; index++) {
        const a = this.succeeded[index];
        if (a === undefined || a.workerId !== workerId || this.done[index] === 0) continue;
        this.succeeded[index] = undefined;
        this.done[index] = 0;
        this.remaining++;
        this.emitResubmitted(a, this.succeededMs[index]);
        this.requeue(index);
      }
    }
    for (const [id, a] of [...this.running]) {
      if (a.workerId !== workerId) continue;
      this.running.delete(id);
      this.emitEnd(id, a, 'worker_lost');
      if (this.done[a.index] === 0) this.requeue(a.index);
    }
    if (this.ended && this.running.size === 0) this.resolveDrained();
    // The lost worker's cached blocks are gone: its pending tasks are placed again by their
    // preferences now (those with none left run anywhere), as offers asking each time did.
    const lost = this.byWorker?.get(workerId);
    if (lost === undefined || this.ended) return;
    this.byWorker!.delete(workerId);
    // Last first: each goes to the front of its lists, so they keep their order there.
    for (const index of lost.pendingTasks().reverse()) {
      this.prefsOf[index] = this.askPreferences(index).filter((w) => w !== workerId);
      this.isPending[index] = 0;
      this.pendingCount--;
      this.requeue(index);
    }
  }

  /**
   * A worker holding map outputs the set's tasks read was lost (DAGScheduler.workerLost), as
   * Spark's DAGScheduler.handleExecutorLost unregisters them and leaves the stages reading them
   * running: the attempts running go on (one that fetched what it reads from that worker
   * finishes; one still fetching from it fails as a fetch failure, ShuffleClient.peersLost), and
   * the first task that would launch without them — pending now, or queued again later — ends
   * the set instead as `lost`, a fetch failure, its running attempts left to finish (a zombie), as
   * Spark's would fail at once on the missing output (MetadataFetchFailedException) and make the
   * stage a zombie. Before (Sluice's own): the set was aborted and its running attempts killed.
   */
  mapOutputsLost(lost: Extract<TaskSetEnd, { kind: 'fetchFailed' }>): void {
    if (this.ended) return;
    this.lostInputs ??= lost;
    if (this.pendingCount > 0) this.end(this.lostInputs, true);
  }

  /** Whether a task's own fetch failure ended the set (Spark's FetchFailed task end; not a lost worker's outputs). */
  get endedByTaskFetchFailure(): boolean {
    return this.taskFetchFailed;
  }

  /**
   * With spark.excludeOnFailure.enabled, a pending task that may run on none of the `live` workers
   * (each excluded for the whole driver, `excludedForApp`, for this set, or for that task), as
   * Spark's getCompletelyExcludedTaskIfAny; undefined when every pending task has a worker left, or
   * no worker is registered (the set waits for one, as without exclusion).
   */
  completelyExcludedTask(live: readonly string[], excludedForApp: (workerId: string) => boolean): number | undefined {
    const excl = this.excludelist;
    if (excl === undefined || this.ended || this.pendingCount === 0 || live.length === 0) return undefined;
    const open = live.filter((w) => !excludedForApp(w) && !excl.isExcludedForSet(w));
    if (open.length === 0) return this.all.first(() => true);
    for (const index of excl.failedTasks()) {
      if (this.isPending[index] === 1 && open.every((w) => excl.isExcludedForTask(w, index))) return index;
    }
    return undefined;
  }

  /**
   * Abort the set: task `index` can run on no live worker (`completelyExcludedTask`), as Spark's
   * abortSinceCompletelyExcludedOnFailure (Sluice starts no worker to replace an excluded one: it
   * aborts at once, as Spark without dynamic allocation does).
   */
  abortUnschedulable(index: number, live: number): void {
    const latest = this.excludelist?.latestFailureReason ?? '';
    this.end({
      kind: 'failed',
      code: 'SLUICE_TASK_FAILED',
      message:
        `Job aborted due to stage failure: Aborting TaskSet ${this.stage.stageId}.${this.stage.stageAttempt} because task ${index} (partition ${this.partitions[index]}) cannot run anywhere due to node and executor excludeOnFailure: ` +
        `each of the ${live} live worker(s) is excluded for it, for its stage or for every job. Most recent failure: ${latest || '(none: every worker is excluded for every job)'}. ` +
        'Fix what fails on those workers, add workers, or loosen the limits (spark.excludeOnFailure.*: task.maxTaskAttemptsPerExecutor, stage.maxFailedTasksPerExecutor, application.maxFailedTasksPerExecutor, timeout) or turn it off (spark.excludeOnFailure.enabled=false)',
      stack: '',
      partition: this.partitions[index],
      attempts: this.failures[index],
    });
  }

  /**
   * End the set now (its job was cancelled); running attempts are killed. A set that ended
   * already (a zombie) has its attempts still running killed, as `end` gives their reason.
   */
  abort(end: TaskSetEnd): void {
    if (!this.ended) {
      this.end(end);
      return;
    }
    this.killRunning(this.stage.endReason?.(end) ?? STAGE_ENDED);
  }

  /** Kill the attempts still running (a zombie's, once its stage's job no longer needs them), `why` their TaskKilled reason. */
  killRunning(why: string): void {
    for (const [id, a] of [...this.running]) this.killAttempt(id, a, 'killed', why);
    if (this.ended && this.running.size === 0) this.resolveDrained();
  }

  /**
   * Kill the running attempt `taskId`, if the set has it, with `why` its TaskKilled reason (sc.killTaskAttempt):
   * not counted toward maxFailures, and its task queued again unless it is done (Spark's
   * handleFailedTask on TaskKilled). Whether it was running here.
   */
  killRunningAttempt(taskId: string, why: string): boolean {
    const a = this.running.get(taskId);
    if (a === undefined) return false;
    this.killAttempt(taskId, a, 'killed', why);
    this.requeue(a.index);
    if (this.ended && this.running.size === 0) this.resolveDrained();
    return true;
  }

  private requeue(index: number): void {
    if (this.ended || this.done[index] === 1 || this.isPending[index] === 1) return;
    for (const r of this.running.values()) if (r.index === index) return;
    if (this.lostInputs !== undefined) {
      this.end(this.lostInputs, true);
      return;
    }
    this.isPending[index] = 1;
    this.pendingCount++;
    const seq = ++this.pendingSeq[index];
    this.all.queueAgain(index, seq);
    if (this.byWorker === undefined) return;
    const prefs = this.prefsOf[index];
    if (prefs.length === 0) this.noPrefs!.queueAgain(index, seq);
    for (const w of prefs) this.listOf(w).queueAgain(index, seq);
  }

  /** The pending lists by preferred worker, made once (the first offer that asks): one preferredWorkers call a task. */
  private indexPreferences(): void {
    this.byWorker = new Map();
    const noPrefs: number[] = [];
    const byWorker = new Map<string, number[]>();
    this.prefsOf = this.partitions.map((_, index) => this.askPreferences(index));
    // In offer order, as `all` holds them (tasks queued again first).
    for (const index of this.all.pendingTasks()) {
      const prefs = this.prefsOf[index];
      if (prefs.length === 0) noPrefs.push(index);
      for (const w of prefs) {
        let l = byWorker.get(w);
        if (l === undefined) byWorker.set(w, (l = []));
        l.push(index);
      }
    }
    this.noPrefs = PendingTasks.ofPending(this.isPending, this.pendingSeq, noPrefs);
    for (const [w, l] of byWorker) this.byWorker.set(w, PendingTasks.ofPending(this.isPending, this.pendingSeq, l));
  }

  private askPreferences(index: number): string[] {
    const prefs = this.stage.preferredWorkers?.(this.partitions[index]);
    return prefs === undefined || prefs.size === 0 ? [] : [...prefs];
  }

  private listOf(workerId: string): PendingTasks {
    let l = this.byWorker!.get(workerId);
    if (l === undefined) this.byWorker!.set(workerId, (l = new PendingTasks(this.isPending, this.pendingSeq, [])));
    return l;
  }

  /** `why`: a `killed` attempt's reason (Spark's TaskKilled.reason); `error`: a failed one's (a timeout's). */
  private killAttempt(taskId: string, a: Attempt, reason: TaskEndReason, why?: string, error?: TaskEndError): void {
    this.running.delete(taskId);
    const measuredLater = reason === 'killed' && this.stage.onKilledTaskMeasured !== undefined;
    if (measuredLater) this.killedRunning.set(taskId, a.workerId);
    this.emitEnd(taskId, a, reason, 0, error, 0, why, 0, undefined, measuredLater);
    this.kill(a.workerId, taskId);
  }

  /** `keepRunning`: a fetch failure's end, its running attempts left to finish (a zombie); else they are killed. */
  private end(e: TaskSetEnd, keepRunning = false): void {
    if (this.ended) return;
    this.ended = true;
    this.zombie = keepRunning;
    if (this.running.size > 0 && !keepRunning) {
      const why = this.stage.endReason?.(e) ?? STAGE_ENDED;
      for (const [id, a] of [...this.running]) this.killAttempt(id, a, 'killed', why);
    }
    this.isPending.fill(0);
    this.pendingCount = 0;
    if (this.running.size === 0) this.resolveDrained();
    this.resolveEnd(e);
  }
}

/**
 * One list of pending tasks (Spark's pendingTasks.forExecutor and the like), read in offer
 * order: tasks queued again (a stack, the latest first), then the others by index (read from a
 * cursor). Entries are not removed when their task launches from another list: an entry is
 * skipped (and dropped at the list's head) once its task is not pending or was queued again
 * since (its number is not the task's).
 */
class PendingTasks {
  /** Tasks queued again and their entry numbers: the last is read first. */
  private readonly again: number[] = [];
  private readonly againSeq: number[] = [];
  private cursor = 0;

  constructor(
    private readonly isPending: Uint8Array,
    private readonly seq: Uint32Array,
    /** Tasks by index, as first queued (entry number 0). */
    private readonly first0: readonly number[],
  ) {}

  /** A list of pending tasks given in offer order (their current entry numbers kept). */
  static ofPending(isPending: Uint8Array, seq: Uint32Array, inOrder: readonly number[]): PendingTasks {
    const firsts = inOrder.filter((i) => seq[i] === 0);
    const l = new PendingTasks(isPending, seq, firsts);
    const again = inOrder.filter((i) => seq[i] !== 0);
    for (let k = again.length - 1; k >= 0; k--) l.queueAgain(again[k], seq[again[k]]);
    return l;
  }

  queueAgain(index: number, seq: number): void {
    this.again.push(index);
    this.againSeq.push(seq);
  }

  private live(index: number, seq: number): boolean {
    return this.isPending[index] === 1 && this.seq[index] === seq;
  }

  /** The first pending task `may` accepts, left pending (undefined: none). */
  first(may: (index: number) => boolean): number | undefined {
    while (this.again.length > 0 && !this.live(this.again[this.again.length - 1], this.againSeq[this.again.length - 1])) {
      this.again.pop();
      this.againSeq.pop();
    }
    for (let k = this.again.length - 1; k >= 0; k--) if (this.live(this.again[k], this.againSeq[k]) && may(this.again[k])) return this.again[k];
    while (this.cursor < this.first0.length && !this.live(this.first0[this.cursor], 0)) this.cursor++;
    for (let k = this.cursor; k < this.first0.length; k++) if (this.live(this.first0[k], 0) && may(this.first0[k])) return this.first0[k];
    return undefined;
  }

  /** Whether it holds a pending task (stale entries at its head dropped). */
  hasPending(): boolean {
    return this.first(() => true) !== undefined;
  }

  /** Its pending tasks in offer order. */
  pendingTasks(): number[] {
    const out: number[] = [];
    for (let k = this.again.length - 1; k >= 0; k--) if (this.live(this.again[k], this.againSeq[k])) out.push(this.again[k]);
    for (let k = this.cursor; k < this.first0.length; k++) if (this.live(this.first0[k], 0)) out.push(this.first0[k]);
    return out;
  }
}

/**
 * Numbers kept ascending (binary search for each one's place), in a Float64Array: one
 * representation from the first insert on. (A `number[]` started as small integers and
 * became doubles at the first run time that was not one, and the binary search's loads were
 * deoptimized at each such array: bench/README.)
 */
export class SortedDurations {
  private xs = new Float64Array(16);
  length = 0;

  insert(x: number): void {
    let lo = 0;
    let hi = this.length;
    const xs = this.xs;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (xs[mid] <= x) lo = mid + 1;
      else hi = mid;
    }
    if (this.length === xs.length) {
      const grown = new Float64Array(xs.length * 2);
      grown.set(xs);
      this.xs = grown;
    }
    if (lo < this.length) this.xs.copyWithin(lo + 1, lo, this.length);
    this.xs[lo] = x;
    this.length++;
  }

  /** The `i`th smallest (0 <= i < length). */
  at(i: number): number {
    return this.xs[i];
  }
}

/** A successful attempt's metrics with every time under a millisecond and no shuffle records. */
const NO_TIME_METRICS: TaskRunMetrics = Object.freeze({
  executorDeserializeTime: 0,
  executorRunTime: 0,
  resultSerializationTime: 0,
  gettingResultTime: 0,
  shuffleRecordsRead: 0,
  shuffleRecordsWritten: 0,
  shuffleFetchWaitTime: 0,
});

/**
 * A successful attempt's metrics as the worker sent them, in whole milliseconds (truncated, as
 * Spark's nanoseconds are: a sum of them stays within the attempt's duration), with the
 * driver's `gettingResultMs`. A tiny task's, all 0, are one object every such task's record
 * shares (perf28: the stage's records keep up to 100,000 attempts).
 */
function runMetrics(m: wire.TaskRunMetrics__Output, gettingResultMs: number): TaskRunMetrics {
  const input = m.input_bytes_read !== 0 || m.input_records_read !== 0;
  const output = m.output_bytes_written !== 0 || m.output_records_written !== 0;
  if (gettingResultMs < 1 && m.executor_deserialize_time < 1 && m.executor_run_time < 1 && m.result_serialization_time < 1 && m.shuffle_records_read === 0 && m.shuffle_records_written === 0 && m.shuffle_fetch_wait_time < 1 && !input && !output && m.bytes_spilled === 0) {
    return NO_TIME_METRICS;
  }
  return {
    executorDeserializeTime: Math.floor(m.executor_deserialize_time),
    executorRunTime: Math.floor(m.executor_run_time),
    resultSerializationTime: Math.floor(m.result_serialization_time),
    gettingResultTime: Math.floor(gettingResultMs),
    shuffleRecordsRead: m.shuffle_records_read,
    shuffleRecordsWritten: m.shuffle_records_written,
    shuffleFetchWaitTime: Math.floor(m.shuffle_fetch_wait_time),
    ...(input ? { input: { bytesRead: m.input_bytes_read, recordsRead: m.input_records_read } } : {}),
    ...(output ? { output: { bytesWritten: m.output_bytes_written, recordsWritten: m.output_records_written } } : {}),
    ...(m.bytes_spilled !== 0 ? { bytesSpilled: m.bytes_spilled } : {}),
  };
}
