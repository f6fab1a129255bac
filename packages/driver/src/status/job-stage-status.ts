import { DEFAULT_POOL_NAME, RESUBMITTED_ERROR_STRING, executorLostErrorString, taskErrorString, taskErrorStringWithStack, type StageAccumulable, type TaskLocality, type TaskRunMetrics } from '@sluice/core/internal';
import {
  FAILED_TASK_REASONS,
  type KilledTaskMeasuredEvent,
  type JobEndEvent,
  type JobProperties,
  type JobStageInfo,
  type JobStartEvent,
  type SchedulerListener,
  type StageCompletedEvent,
  type StageRddInfo,
  type StageSubmittedEvent,
  type TaskEndEvent,
} from '../scheduler/scheduler-listener.js';
import { userFrame } from './user-frame.js';

/** A task attempt that failed, as the stage page lists it. */
export interface TaskFailureRecord {
  readonly taskId: string;
  readonly partition: number;
  readonly workerId: string;
  readonly time: number;
  readonly message: string;
  /** The user's `file:line:col` the error was thrown at, when its stack has one. */
  readonly location: string | undefined;
  readonly stack: string;
}

/**
 * A task attempt that ended (Spark's v1.TaskData, the fields Sluice has): kept per stage
 * attempt, the first MAX_TASKS_KEPT, for the REST API's taskList, taskSummary and details.
 */
export interface TaskRecord {
  readonly taskId: string;
  /** The task's index in its stage (its partition's place); Spark's TaskData.index. */
  readonly index: number;
  readonly attempt: number;
  readonly partition: number;
  /** When it launched, as the driver saw it (its end less its duration). */
  readonly launchTime: number;
  readonly durationMs: number;
  readonly workerId: string;
  /** Spark's TaskInfo.status: SUCCESS, FAILED or KILLED. */
  readonly status: 'SUCCESS' | 'FAILED' | 'KILLED';
  readonly speculative: boolean;
  /** The locality level it was launched at (Spark's TaskData.taskLocality). */
  readonly taskLocality: TaskLocality;
  readonly errorMessage: string | undefined;
  readonly shuffleReadBytes: number;
  readonly shuffleWriteBytes: number;
  /** Bytes the successful task sent the driver (Spark's resultSize); 0 for any other. */
  readonly resultSize: number;
  /** What was measured of a successful attempt (times, shuffle records); undefined for any other. */
  readonly metrics: TaskRunMetrics | undefined;
}

/** Ended task attempts kept per stage attempt (Spark's spark.ui.retainedTasks is 100,000 per stage). */
export const MAX_TASKS_KEPT = 10_000;

/**
 * A worker's task attempts for one application (Spark's LiveExecutor task counters, which are
 * per application): every attempt that ended on it, whether or not its stage is still kept.
 */
export interface ExecutorTaskCounts {
  /** Successful attempts (Spark's completedTasks: a Success). */
  completedTasks: number;
  /** Failed attempts (not killed ones). */
  failedTasks: number;
  killedTasks: number;
  /** Every ended attempt's duration, ms (Spark's totalDuration). */
  totalDuration: number;
  /** Every attempt's input bytes read (Spark's totalInputBytes: inputMetrics.bytesRead of each task end, a Resubmitted one's none). */
  totalInputBytes: number;
  totalShuffleRead: number;
  totalShuffleWrite: number;
}

export type StageStatus = 'ACTIVE' | 'COMPLETE' | 'FAILED';
export type JobStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED';

/** A named accumulator's value once the stage's tasks were merged into it (Spark's v1.AccumulableInfo, without a task's update). */
export interface AccumulableRecord {
  readonly id: number;
  readonly name: string;
  readonly value: string;
}

/** One attempt of one stage (Spark's StageData). */
export interface StageRecord {
  readonly stageId: number;
  readonly attemptId: number;
  /** The action (Spark job) that submitted it. */
  readonly jobId: number;
  /**
   * The actions it belongs to (Spark's StageData.jobIds, LiveStage.jobIds): `jobId`, and each
   * ended action that waited on it while it ran (added at that action's end; a running one's are
   * JobStageStatus.stageJobIds').
   */
  readonly jobIds: Set<number>;
  /**
   * Set once an ended action skipped it (Spark's AppStatusListener.onJobEnd writes the fresh
   * LiveStage its onJobStart made under this stage id and attempt as SKIPPED over what the store
   * held): `by` the last such action, `jobIds` those that shared that LiveStage (started before
   * the first of them ended, `firstEnd`).
   */
  skipped: { by: number; jobIds: number[]; firstEnd: number } | undefined;
  readonly kind: 'result' | 'shuffleMap';
  /** Spark's StageInfo.name: `collect at job.ts:12:5` (its job's) for a result stage, its map side's creation site for a shuffle map stage. */
  readonly name: string;
  readonly numTasks: number;
  numCompleteTasks: number;
  /** The task indexes (in its task set) that succeeded (Spark's LiveStage.completedIndices; StageData.numCompletedIndices is their count). */
  readonly completedIndices: Set<number>;
  numFailedTasks: number;
  numKilledTasks: number;
  /** Its killed task attempts by their reason (Spark's StageData.killedTasksSummary: TaskKilled.reason to a count). */
  readonly killedTasksSummary: Map<string, number>;
  readonly submissionTime: number;
  completionTime: number | undefined;
  status: StageStatus;
  /** Sum of the task attempts' run times (ms), as their workers measured them (TaskRunMetrics.executorRunTime). */
  executorRunTime: number;
  /** The longest task attempt (ms). */
  maxTaskTime: number;
  shuffleReadBytes: number;
  shuffleWriteBytes: number;
  /** Spark's StageData inputBytes, inputRecords, outputBytes, outputRecords: its task attempts' input and output metrics summed (every attempt that sent them, as executorRunTime). */
  inputBytes: number;
  inputRecords: number;
  outputBytes: number;
  outputRecords: number;
  /** Spark's StageData memoryBytesSpilled and diskBytesSpilled (the same bytes here, TaskRunMetrics.bytesSpilled): its task attempts' summed, every attempt that sent them. */
  bytesSpilled: number;
  failureReason: string | undefined;
  /** The first failed task attempts (at most MAX_FAILURES_KEPT). */
  readonly failures: TaskFailureRecord[];
  /** Named accumulators its tasks updated, by accumulator id, each with its value after the stage's last such task (StageInfo.accumulables). */
  readonly accumulables: Map<number, AccumulableRecord>;
  /** Its ended task attempts in the order they ended (the first MAX_TASKS_KEPT). */
  readonly tasks: TaskRecord[];
  /** The partitions its tasks compute, by task index (undefined: task i computes partition i). */
  readonly partitions: readonly number[] | undefined;
  /** Spark's StageData.schedulingPool: the submitting action's spark.scheduler.pool, else 'default' (as Spark's AppStatusListener, in either mode). */
  readonly schedulingPool: string;
  /** Its RDDs (Spark's StageInfo.rddInfos; StageData.rddIds are their ids), ascending by id. */
  readonly rdds: readonly StageRddInfo[];
  /** The map stages of the shuffles it reads (Spark's StageInfo.parentIds). */
  readonly parentIds: readonly number[];
}

/** One action (Spark's JobData). */
export interface JobRecord {
  readonly jobId: number;
  readonly name: string;
  readonly submissionTime: number;
  completionTime: number | undefined;
  status: JobStatus;
  readonly numPartitions: number;
  /**
   * The stages its start named (JobStartEvent.stageInfos), by stage id: Spark's JobData.stageIds
   * from the start, and its numTasks (a result stage's tasks as its first attempt was submitted,
   * where Sluice's tasks cover several partitions). Empty when the start named none.
   */
  readonly stageInfos: Map<number, JobStageInfo>;
  readonly stageKeys: string[];
  /** Once it ended: the stages it ran or waited on, skipped ones too (JobEndEvent.stageIds). */
  stageIds: readonly number[] | undefined;
  /** Once it ended: its JobStageStatus.jobStages, worked out at its end, as Spark's AppStatusListener.onJobEnd counts its skipped stages once. */
  ended: JobStages | undefined;
  failureReason: string | undefined;
  readonly properties: JobProperties;
}

/**
 * A stage no kept attempt of which was submitted, that an action's start named (Spark's fresh
 * LiveStage from onJobStart): PENDING while such an action runs; once one ended without it, SKIPPED
 * (`skipped` as StageRecord's).
 */
export interface UnsubmittedStage {
  readonly info: JobStageInfo;
  readonly status: 'PENDING' | 'SKIPPED';
  /** The actions it belongs to: the running ones it is pending for, or those that skipped it. */
  readonly jobIds: number[];
  /** The last action that skipped it; a pending one's, the first it is pending for. */
  readonly jobId: number;
}

/** What JobStageStatus.jobStages tells of one action. */
export interface JobStages {
  readonly stageIds: number[];
  readonly skippedStages: number;
  readonly skippedTasks: number;
  /** The latest attempts (kept) of the stages it skipped. */
  readonly skipped: StageRecord[];
  /** The stages it skipped that no kept attempt of was submitted. */
  readonly unsubmitted: number[];
  /** The attempts of stages another action submitted that ran while it did (it waited on them). */
  readonly joined: StageRecord[];
}

const MAX_FAILURES_KEPT = 20;

export function stageKey(stageId: number, attempt: number): string {
  return `${stageId}.${attempt}`;
}

/**
 * The actions (jobs) and stage attempts one submitted job ran, for its UI pages and
 * `/api/v1/applications/{id}/jobs|stages` — Spark's AppStatusListener for one application.
 * Hears the DAG scheduler's events for the job's current attempt (`runId()`).
 *
 * Invariants: at most `retained` jobs and `retained` stages are kept; the oldest finished
 * ones go first (a running one is never dropped).
 * Threading: driver main thread.
 */
export class JobStageStatus implements SchedulerListener {
  private readonly jobs = new Map<number, JobRecord>();
  private readonly stages = new Map<string, StageRecord>();
  private readonly byWorker = new Map<string, ExecutorTaskCounts>();
  /** Stages never submitted (none kept) that an ended action skipped, by stage key, as UnsubmittedStage's SKIPPED ones. */
  private readonly unrun = new Map<string, { info: JobStageInfo; skipped: { by: number; jobIds: number[]; firstEnd: number } }>();

  constructor(
    private readonly runId: () => string,
    readonly retained: number,
    /** Called when an action starts (the streaming progress links it to its batch). */
    private readonly onJobStarted: (jobId: number, properties: JobProperties) => void,
    /** The driver's clock (when a task failure was seen). */
    private readonly now: () => number,
  ) {}

  onJobStart(e: JobStartEvent): void {
    if (e.runId !== this.runId()) return;
    this.jobs.set(e.jobId, {
      jobId: e.jobId,
      name: e.name,
      submissionTime: e.time,
      completionTime: undefined,
      status: 'RUNNING',
      numPartitions: e.numPartitions,
      stageInfos: new Map((e.stageInfos ?? []).map((i) => [i.stageId, i])),
      stageKeys: [],
      stageIds: undefined,
      ended: undefined,
      failureReason: undefined,
      properties: e.properties,
    });
    evict(this.jobs, this.retained, (j) => j.status !== 'RUNNING');
    this.onJobStarted(e.jobId, e.properties);
  }

  onStageSubmitted(e: StageSubmittedEvent): void {
    if (e.runId !== this.runId()) return;
    const key = stageKey(e.stageId, e.stageAttempt);
    const job = this.jobs.get(e.jobId);
    job?.stageKeys.push(key);
    // Where Sluice's result tasks cover several partitions, its first attempt's tasks are the job's.
    const info = job?.stageInfos.get(e.stageId);
    if (info !== undefined && e.kind === 'result' && e.stageAttempt === 0) job!.stageInfos.set(e.stageId, { ...info, numTasks: e.numTasks });
    // Spark's onStageSubmitted writes the live stage over what the store held under its key.
    this.unrun.delete(key);
    this.stages.set(key, {
      stageId: e.stageId,
      attemptId: e.stageAttempt,
      jobId: e.jobId,
      jobIds: new Set([e.jobId]),
      skipped: undefined,
      kind: e.kind,
      name: e.name,
      numTasks: e.numTasks,
      numCompleteTasks: 0,
      completedIndices: new Set(),
      numFailedTasks: 0,
      numKilledTasks: 0,
      killedTasksSummary: new Map(),
      submissionTime: e.time,
      completionTime: undefined,
      status: 'ACTIVE',
      executorRunTime: 0,
      maxTaskTime: 0,
      shuffleReadBytes: 0,
      shuffleWriteBytes: 0,
      inputBytes: 0,
      inputRecords: 0,
      outputBytes: 0,
      outputRecords: 0,
      bytesSpilled: 0,
      failureReason: undefined,
      schedulingPool: e.pool ?? DEFAULT_POOL_NAME,
      failures: [],
      accumulables: new Map(),
      tasks: [],
      partitions: e.partitions,
      rdds: e.rdds ?? [],
      parentIds: e.parentIds ?? [],
    });
    evict(this.stages, this.retained, (s) => s.status !== 'ACTIVE');
  }

  onTaskEnd(e: TaskEndEvent): void {
    if (e.runId !== this.runId()) return;
    const w = this.byWorker.get(e.workerId) ?? { completedTasks: 0, failedTasks: 0, killedTasks: 0, totalDuration: 0, totalInputBytes: 0, totalShuffleRead: 0, totalShuffleWrite: 0 };
    this.byWorker.set(e.workerId, w);
    w.totalDuration += e.durationMs;
    // Every attempt's reads, failed and killed ones' too, as Spark's AppStatusListener adds each
    // task end's shuffle read metrics to its executor's totalShuffleRead (a Resubmitted end's none).
    if (e.reason !== 'resubmitted') {
      w.totalShuffleRead += e.shuffleReadBytes;
      w.totalInputBytes += e.metrics?.input?.bytesRead ?? 0;
    }
    if (e.reason === 'success') {
      w.completedTasks++;
      w.totalShuffleWrite += e.shuffleWriteBytes;
    } else if (FAILED_TASK_REASONS.includes(e.reason)) w.failedTasks++;
    else w.killedTasks++;
    const s = this.stages.get(stageKey(e.stageId, e.stageAttempt));
    if (!s) return;
    if (e.reason === 'resubmitted') {
      // Spark's AppStatusListener (SPARK-41187): a failed task of the stage, no task attempt's end
      // (the successful attempt's record stays SUCCESS), no run time, no active task less.
      s.numFailedTasks++;
      if (s.failures.length < MAX_FAILURES_KEPT) s.failures.push({ taskId: e.taskId, partition: e.partition, workerId: e.workerId, time: this.now(), message: RESUBMITTED_ERROR_STRING, location: undefined, stack: '' });
      return;
    }
    // Spark's StageData.executorRunTime: its tasks' run times as their workers measured them (a failed one's to its failure, as Spark's metricsDelta of every task; none for an attempt that sent none).
    s.executorRunTime += e.metrics?.executorRunTime ?? 0;
    s.inputBytes += e.metrics?.input?.bytesRead ?? 0;
    s.inputRecords += e.metrics?.input?.recordsRead ?? 0;
    s.outputBytes += e.metrics?.output?.bytesWritten ?? 0;
    s.outputRecords += e.metrics?.output?.recordsWritten ?? 0;
    s.bytesSpilled += e.metrics?.bytesSpilled ?? 0;
    s.maxTaskTime = Math.max(s.maxTaskTime, e.durationMs);
    // Spark's TaskInfo.index: the task's place in its task set.
    const index = s.partitions === undefined ? e.partition : s.partitions.indexOf(e.partition);
    if (e.reason === 'success') s.completedIndices.add(index);
    if (s.tasks.length < MAX_TASKS_KEPT) {
      const ok = e.reason === 'success';
      const failed = FAILED_TASK_REASONS.includes(e.reason);
      s.tasks.push({
        taskId: e.taskId,
        index,
        attempt: e.attempt,
        partition: e.partition,
        launchTime: this.now() - e.durationMs,
        durationMs: e.durationMs,
        workerId: e.workerId,
        status: ok ? 'SUCCESS' : failed ? 'FAILED' : 'KILLED',
        speculative: e.speculative,
        taskLocality: e.taskLocality,
        // Spark's TaskData.errorMessage, the failure's toErrorString: an Error's class, message and stack;
        // a lost worker's task, ExecutorLostFailure's text.
        errorMessage: failed ? (e.error ? (e.error.errorString ?? taskErrorStringWithStack(e.error.className, e.error.message, e.error.stack)) : e.reason === 'worker_lost' ? executorLostErrorString(e.workerId) : e.reason) : ok ? undefined : e.killReason,
        // A failed attempt's reads too (its worker sends them with its metrics), and a killed one's
        // (a late duplicate's; one killed while it ran gets its own from onKilledTaskMeasured).
        shuffleReadBytes: e.shuffleReadBytes,
        shuffleWriteBytes: ok ? e.shuffleWriteBytes : 0,
        resultSize: ok ? (e.resultSize ?? 0) : 0,
        // A failed attempt's too, as Spark's TaskData (SPARK-26260 keeps them out of the summary only).
        metrics: e.metrics,
      });
    }
    // Every attempt's reads (Spark's stage metrics add each task end's metricsDelta, failed and killed ones' too).
    s.shuffleReadBytes += e.shuffleReadBytes;
    if (e.reason === 'success') {
      s.numCompleteTasks++;
      s.shuffleWriteBytes += e.shuffleWriteBytes;
    } else if (FAILED_TASK_REASONS.includes(e.reason)) {
      s.numFailedTasks++;
      if (s.failures.length < MAX_FAILURES_KEPT) {
        const stack = e.error?.stack ?? '';
        // Spark's TaskData.errorMessage opens with the error's class: `TypeError: x is not a function`.
        const message = e.error ? (e.error.errorString ?? taskErrorString(e.error.className, e.error.message)) : e.reason === 'worker_lost' ? executorLostErrorString(e.workerId) : e.reason;
        s.failures.push({ taskId: e.taskId, partition: e.partition, workerId: e.workerId, time: this.now(), message, location: userFrame(stack), stack });
      }
    } else {
      s.numKilledTasks++;
      // AppStatusListener.killedTasksSummary: a TaskKilled counted under its reason.
      if (e.killReason !== undefined) s.killedTasksSummary.set(e.killReason, (s.killedTasksSummary.get(e.killReason) ?? 0) + 1);
    }
  }

  /**
   * What an attempt killed while it ran had measured (its end was told with none): its record
   * (if kept) gets its metrics and shuffle bytes read, and its duration runs on to now (it ran
   * until its worker killed it, after the driver decided to: Spark's killed task ends when its
   * executor reports it); its stage's run time and bytes read and its worker's total read add
   * them, as Spark's TaskKilled's metrics are added.
   */
  onKilledTaskMeasured(e: KilledTaskMeasuredEvent): void {
    if (e.runId !== this.runId() || e.metrics === undefined) return;
    const w = this.byWorker.get(e.workerId);
    if (w) {
      w.totalShuffleRead += e.shuffleReadBytes;
      w.totalInputBytes += e.metrics.input?.bytesRead ?? 0;
    }
    const s = this.stages.get(stageKey(e.stageId, e.stageAttempt));
    if (!s) return;
    s.executorRunTime += e.metrics.executorRunTime;
    s.shuffleReadBytes += e.shuffleReadBytes;
    s.inputBytes += e.metrics.input?.bytesRead ?? 0;
    s.inputRecords += e.metrics.input?.recordsRead ?? 0;
    s.outputBytes += e.metrics.output?.bytesWritten ?? 0;
    s.outputRecords += e.metrics.output?.recordsWritten ?? 0;
    s.bytesSpilled += e.metrics.bytesSpilled ?? 0;
    const i = s.tasks.findLastIndex((t) => t.taskId === e.taskId);
    if (i < 0 || s.tasks[i].status !== 'KILLED') return;
    const t = s.tasks[i];
    const durationMs = Math.max(t.durationMs, this.now() - t.launchTime);
    if (w) w.totalDuration += durationMs - t.durationMs;
    s.maxTaskTime = Math.max(s.maxTaskTime, durationMs);
    s.tasks[i] = { ...t, durationMs, metrics: e.metrics, shuffleReadBytes: e.shuffleReadBytes };
  }

  onStageCompleted(e: StageCompletedEvent): void {
    if (e.runId !== this.runId()) return;
    const s = this.stages.get(stageKey(e.stageId, e.stageAttempt));
    if (!s) return;
    s.completionTime = e.time;
    s.status = e.failure === undefined ? 'COMPLETE' : 'FAILED';
    s.failureReason = e.failure;
  }

  /**
   * The driver program merged tasks' accumulator updates: a named accumulator's value after a
   * stage attempt's tasks (the program reports them once the action returned; a stage no
   * longer kept is skipped).
   */
  onAccumulables(values: readonly StageAccumulable[]): void {
    for (const v of values) this.stages.get(stageKey(v.stageId, v.attempt))?.accumulables.set(v.id, { id: v.id, name: v.name, value: v.value });
  }

  onJobEnd(e: JobEndEvent): void {
    if (e.runId !== this.runId()) return;
    const j = this.jobs.get(e.jobId);
    if (!j) return;
    j.completionTime = e.time;
    j.status = e.failure === undefined ? 'SUCCEEDED' : 'FAILED';
    j.failureReason = e.failure;
    j.stageIds = e.stageIds;
    // Spark's AppStatusListener.onJobEnd: the job's stages still PENDING become SKIPPED, counted
    // once; the stage attempts it waited on while they ran list it among their jobs.
    const ended = this.workOut(j, e.stageIds ?? []);
    j.ended = ended;
    for (const st of ended.joined) st.jobIds.add(j.jobId);
    for (const st of ended.skipped) st.skipped = skippedBy(st.skipped, j, e.time);
    // Those it named that no attempt of was ever submitted (kept): SKIPPED from its start's StageInfo.
    for (const id of ended.unsubmitted) {
      const info = j.stageInfos.get(id);
      if (info === undefined) continue;
      const key = stageKey(id, info.attempt);
      const u = this.unrun.get(key);
      this.unrun.delete(key);
      this.unrun.set(key, { info, skipped: skippedBy(u?.skipped, j, e.time) });
    }
    evict(this.unrun, this.retained, () => true);
    // A job that shared the fresh LiveStage another's end wrote SKIPPED (it started before that
    // end) is among that entry's jobs though it ran the stage anew.
    const named = new Set(e.stageIds ?? []);
    for (const st of this.stages.values()) {
      const m = st.skipped;
      if (m !== undefined && named.has(st.stageId) && j.submissionTime <= m.firstEnd && !m.jobIds.includes(j.jobId)) m.jobIds.push(j.jobId);
    }
  }

  /**
   * Spark's LiveStage still PENDING (onJobStart makes one for each stage a job names that is not
   * live): for each stage a running action's start named that no attempt of ran since it started
   * (none running, none completed after its start), those actions, ascending, by stage id.
   */
  private pendingStages(): Map<number, number[]> {
    // By stage id: the latest end among its kept attempts (a running one's: Infinity).
    const lastEnd = new Map<number, number>();
    for (const st of this.stages.values()) lastEnd.set(st.stageId, Math.max(lastEnd.get(st.stageId) ?? -Infinity, st.completionTime ?? Infinity));
    // By stage id: when an ended job last wrote it SKIPPED (a job started before then shared that LiveStage, no longer live).
    const skippedAt = new Map<number, number>();
    const mark = (id: number, m: StageRecord['skipped']): void => {
      if (m !== undefined) skippedAt.set(id, Math.max(skippedAt.get(id) ?? -Infinity, m.firstEnd));
    };
    for (const st of this.stages.values()) mark(st.stageId, st.skipped);
    for (const u of this.unrun.values()) mark(u.info.stageId, u.skipped);
    const out = new Map<number, number[]>();
    for (const j of this.jobs.values()) {
      if (j.status !== 'RUNNING') continue;
      for (const id of j.stageInfos.keys()) {
        if ((lastEnd.get(id) ?? -Infinity) > j.submissionTime || (skippedAt.get(id) ?? -Infinity) >= j.submissionTime) continue;
        out.set(id, [...(out.get(id) ?? []), j.jobId]);
      }
    }
    for (const ids of out.values()) ids.sort((a, b) => a - b);
    return out;
  }

  /**
   * Which kept stage attempts show PENDING now: the latest kept attempt of a stage pending for a
   * running action (Spark's fresh LiveStage written over its key), with those actions; else undefined.
   */
  pendingOf(): (st: StageRecord) => number[] | undefined {
    const pending = this.pendingStages();
    const latest = new Map<number, StageRecord>();
    for (const st of this.stages.values()) {
      const o = latest.get(st.stageId);
      if (o === undefined || st.attemptId > o.attemptId) latest.set(st.stageId, st);
    }
    return (st) => (latest.get(st.stageId) === st ? pending.get(st.stageId) : undefined);
  }

  /**
   * The stages running or ended actions named that no kept attempt of was submitted: PENDING for
   * the running actions whose start named them (none of their attempts kept), then those an ended
   * action skipped (not pending again), oldest first.
   */
  unsubmittedStages(): UnsubmittedStage[] {
    const kept = new Set([...this.stages.values()].map((st) => st.stageId));
    const out: UnsubmittedStage[] = [];
    const shown = new Set<string>();
    for (const [id, jobIds] of this.pendingStages()) {
      if (kept.has(id)) continue;
      const info = this.jobs.get(jobIds[0])?.stageInfos.get(id);
      if (info === undefined) continue;
      shown.add(stageKey(id, info.attempt));
      out.push({ info, status: 'PENDING', jobIds, jobId: jobIds[0] });
    }
    for (const [key, u] of this.unrun) {
      if (!shown.has(key)) out.push({ info: u.info, status: 'SKIPPED', jobIds: [...u.skipped.jobIds].sort((a, b) => a - b), jobId: u.skipped.by });
    }
    return out;
  }

  /** The application's ended task attempts on a worker, counted (none yet: undefined). */
  executorCounts(workerId: string): Readonly<ExecutorTaskCounts> | undefined {
    return this.byWorker.get(workerId);
  }

  allJobs(): JobRecord[] {
    return [...this.jobs.values()];
  }

  job(jobId: number): JobRecord | undefined {
    return this.jobs.get(jobId);
  }

  allStages(): StageRecord[] {
    return [...this.stages.values()];
  }

  stage(stageId: number, attempt: number): StageRecord | undefined {
    return this.stages.get(stageKey(stageId, attempt));
  }

  /** The job's stage attempts that are still kept. */
  stagesOf(job: JobRecord): StageRecord[] {
    return job.stageKeys.flatMap((k) => this.stages.get(k) ?? []);
  }

  /**
   * Every stage `job` ran or waited on (Spark's JobData.stageIds, the job's stageIds from its
   * start): those the DAG scheduler gave it (`live`, by job id, while it runs; its end's once it
   * ended, and those its start named), ascending (parents first, as Spark's ids run; Spark's come
   * from a HashSet of small Ints, in that order). Once it ended, those of them skipped, as Spark's AppStatusListener.onJobEnd
   * marks SKIPPED a stage of the job still PENDING at its end: no attempt ran while the job did
   * (an earlier action had computed its outputs), with the tasks of each one's latest attempt
   * (its StageInfo's numTasks; 0 for one no longer kept); `skipped` those latest attempts (kept).
   * An ended job's are those worked out at its end (onJobEnd), as Spark's counts them once there.
   * `joined`: the attempts of those it did not submit that ran while it did (another job submitted
   * them; it waited on them), whose tasks and ends count toward it too, as Spark's AppStatusListener
   * adds a running job to each of its stages' LiveStage.jobs (onJobStart, onStageSubmitted).
   */
  jobStages(job: JobRecord, live: (jobId: number) => readonly number[] | undefined): JobStages {
    const ended = job.ended;
    if (ended === undefined) return this.workOut(job, live(job.jobId) ?? []);
    // Worked out at its end; the attempts no longer kept are left out.
    const kept = (st: StageRecord): boolean => this.stages.get(stageKey(st.stageId, st.attemptId)) === st;
    return { ...ended, skipped: ended.skipped.filter(kept), joined: ended.joined.filter(kept) };
  }

  /**
   * The actions each stage attempt belongs to (Spark's StageData.jobIds), ascending: its `jobIds`
   * and each running action that waits on it while it runs (`live`: a running action's stage ids,
   * worked out once here); a skipped attempt's (`skipped`), the actions that skipped it.
   */
  stageJobIds(live: (jobId: number) => readonly number[] | undefined): (st: StageRecord) => number[] {
    const running = new Map<StageRecord, number[]>();
    const runningNames: { job: JobRecord; stageIds: Set<number> }[] = [];
    for (const j of this.jobs.values()) {
      if (j.status !== 'RUNNING') continue;
      const given = live(j.jobId) ?? [];
      runningNames.push({ job: j, stageIds: new Set([...given, ...j.stageInfos.keys()]) });
      for (const st of this.workOut(j, given).joined) running.set(st, [...(running.get(st) ?? []), j.jobId]);
    }
    return (st) => {
      const m = st.skipped;
      // A skipped entry's: its jobs, and those running that started before it was written (they share its LiveStage).
      const ids = m !== undefined ? [...m.jobIds, ...runningNames.flatMap((r) => (r.job.submissionTime <= m.firstEnd && r.stageIds.has(st.stageId) ? [r.job.jobId] : []))] : [...st.jobIds, ...(running.get(st) ?? [])];
      return [...new Set(ids)].sort((a, b) => a - b);
    };
  }

  /** JobStageStatus.jobStages from the stage ids `given` it (the DAG scheduler's), over the stage attempts kept now. */
  private workOut(job: JobRecord, given: readonly number[]): JobStages {
    const submitted = [...new Set(job.stageKeys.map((k) => Number(k.slice(0, k.indexOf('.')))))];
    const mine = new Set(submitted);
    const others = [...new Set([...given, ...job.stageInfos.keys()])].filter((id) => !mine.has(id)).sort((a, b) => a - b);
    let skippedStages = 0;
    let skippedTasks = 0;
    const skipped: StageRecord[] = [];
    const unsubmitted: number[] = [];
    const joined: StageRecord[] = [];
    if (others.length > 0) {
      const wanted = new Set(others);
      const end = job.completionTime ?? Infinity;
      // Per stage: whether an attempt ran while the job did, and its latest attempt.
      const seen = new Map<number, { ran: boolean; latest: StageRecord }>();
      for (const st of this.stages.values()) {
        if (!wanted.has(st.stageId)) continue;
        const ran = st.submissionTime <= end && (st.completionTime === undefined || st.completionTime > job.submissionTime);
        if (ran) joined.push(st);
        const o = seen.get(st.stageId);
        if (o === undefined) seen.set(st.stageId, { ran, latest: st });
        else {
          o.ran ||= ran;
          if (st.attemptId > o.latest.attemptId) o.latest = st;
        }
      }
      for (const id of job.status === 'RUNNING' ? [] : others) {
        const o = seen.get(id);
        if (o?.ran) continue;
        skippedStages++;
        // Its StageInfo's numTasks: as its start named it, else its latest attempt's.
        skippedTasks += job.stageInfos.get(id)?.numTasks ?? o?.latest.numTasks ?? 0;
        if (o) skipped.push(o.latest);
        else unsubmitted.push(id);
      }
    }
    return { stageIds: [...others, ...submitted].sort((a, b) => a - b), skippedStages, skippedTasks, skipped, unsubmitted, joined };
  }
}

/**
 * A stage's skipped mark once action `j` ended (at `time`) without running it, `m` its mark before:
 * the jobs that started before the first of them ended share one (Spark's one fresh LiveStage, made
 * by the first's onJobStart, written SKIPPED by the first's onJobEnd); a later job writes a fresh one.
 */
function skippedBy(m: StageRecord['skipped'], j: JobRecord, time: number): NonNullable<StageRecord['skipped']> {
  if (m !== undefined && j.submissionTime <= m.firstEnd) {
    if (!m.jobIds.includes(j.jobId)) m.jobIds.push(j.jobId);
    m.by = Math.max(m.by, j.jobId);
    return m;
  }
  return { by: Math.max(m?.by ?? -1, j.jobId), jobIds: [j.jobId], firstEnd: time };
}

/** Drop the oldest entries `done` accepts until `map` holds at most `max`. */
function evict<K, V>(map: Map<K, V>, max: number, done: (v: V) => boolean): void {
  if (map.size <= max) return;
  for (const [k, v] of map) {
    if (map.size <= max) return;
    if (done(v)) map.delete(k);
  }
}
