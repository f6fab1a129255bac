import { DEFAULT_POOL_NAME, failureReason, type FallingBehind } from '@sluice/core/internal';
import type { DriverNode } from '../driver-node.js';
import type { DriverJob } from '../job/driver-job.js';
import { environmentInfo } from './environment-info.js';
import { executorSummaries } from './executor-summaries.js';
import type { StoredRdd } from '../scheduler/dag-scheduler.js';
import type { RunningTaskInfo } from '../scheduler/task-set-manager.js';
import type { JobRecord, JobStageStatus, StageRecord, TaskRecord, UnsubmittedStage } from '../status/job-stage-status.js';
import type { BatchRecord, OutputOpRecord, StreamingProgress } from '../status/streaming-progress.js';
import { blockOnDiskAt, storedRddSizes } from '../status/stored-rdd-sizes.js';

/** A REST answer: a status and a JSON body. */
export interface RestReply {
  readonly status: number;
  readonly body: unknown;
}

/** Spark's date format in its REST API ("2015-06-12T00:00:00.000GMT"). */
export function sparkDate(ms: number | undefined): string | undefined {
  return ms === undefined ? undefined : new Date(ms).toISOString().replace('Z', 'GMT');
}

const ok = (body: unknown): RestReply => ({ status: 200, body });
const notFound = (message: string): RestReply => ({ status: 404, body: { error: message } });
const badRequest = (message: string): RestReply => ({ status: 400, body: { error: message } });

const BATCH_STATUSES = ['QUEUED', 'PROCESSING', 'COMPLETED'] as const;
// Spark's JobExecutionStatus has UNKNOWN too (a job whose end was never heard): Sluice has none such, so it lists none.
const JOB_STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'UNKNOWN'] as const;
const APPLICATION_STATUSES = ['RUNNING', 'COMPLETED'] as const;

/**
 * Resources of Spark's REST API that Sluice cannot have, each with why (a 404 naming it, where
 * an unknown path gets the list of those it has). Under an application, then at /api/v1.
 */
const NOT_IN_SLUICE: Readonly<Record<string, string>> = {
  sql: 'Sluice has no Spark SQL (no Dataset or DataFrame), so no SQL executions: its jobs are RDD and DStream actions, under jobs and stages',
  logs: 'Sluice writes no event logs and has no history server: an application is kept by the driver that ran it, in memory, and its record is this REST API while that driver runs',
};
const NOT_AT_ROOT: Readonly<Record<string, string>> = {
  version: 'Sluice is no Spark version: `sluice --version` prints Sluice\'s',
};
const STAGE_STATUSES = ['ACTIVE', 'COMPLETE', 'FAILED', 'PENDING', 'SKIPPED'] as const;
const TASK_STATUSES = ['RUNNING', 'SUCCESS', 'FAILED', 'KILLED', 'UNKNOWN'] as const;
/** Spark's default quantiles for taskSummary and withSummaries. */
const DEFAULT_QUANTILES = '0.05,0.25,0.5,0.75,0.95';

/** A mean of whole ms, as Spark's avgTime: a Long sum divided by the count (truncated). */
function avg(xs: readonly number[]): number | undefined {
  return xs.length === 0 ? undefined : Math.trunc(xs.reduce((a, b) => a + b, 0) / xs.length);
}

function statusFilter<T extends string>(query: URLSearchParams, allowed: readonly T[], param = 'status'): T[] | string {
  const asked = query.getAll(param).map((s) => s.toUpperCase());
  const bad = asked.find((s) => !(allowed as readonly string[]).includes(s));
  if (bad !== undefined) return `unknown status '${bad}': use one of ${allowed.join(', ')}`;
  return asked as T[];
}

/**
 * A date parameter as Spark's SimpleDateParam takes it: `2015-02-03T16:42:40.000GMT`, `2015-02-10`
 * (midnight GMT) or ms since the epoch; undefined for anything else.
 */
function dateParam(raw: string): number | undefined {
  if (/^\d+$/.test(raw)) return Number(raw);
  if (/^\d{4}-\d{2}-\d{2}$/.test(raw)) return Date.parse(`${raw}T00:00:00.000Z`);
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3})(GMT|Z|[+-]\d{2}:?\d{2})$/.exec(raw);
  if (!m) return undefined;
  const t = Date.parse(`${m[1]}${m[2] === 'GMT' ? 'Z' : m[2]}`);
  return Number.isNaN(t) ? undefined : t;
}

/**
 * `/api/v1/applications`, as Spark's ApplicationListResource: status=running|completed, minDate
 * and maxDate bound the start, minEndDate and maxEndDate the end (a running application passes
 * the end bounds unless maxEndDate is past), limit=N the first N.
 */
function applicationList(d: DriverNode, query: URLSearchParams): RestReply {
  const f = statusFilter(query, APPLICATION_STATUSES);
  if (typeof f === 'string') return badRequest(f);
  const bounds: Record<string, number> = { minDate: Date.UTC(2010, 0, 1), maxDate: Date.UTC(3000, 0, 1), minEndDate: Date.UTC(2010, 0, 1), maxEndDate: Date.UTC(3000, 0, 1) };
  for (const k of Object.keys(bounds)) {
    const raw = query.get(k);
    if (raw === null) continue;
    const t = dateParam(raw);
    if (t === undefined) return badRequest(`${k}: '${raw}' is no date: give 2015-02-03T16:42:40.000GMT, 2015-02-10 or ms since the epoch`);
    bounds[k] = t;
  }
  const limit = query.get('limit') === null ? Infinity : Number(query.get('limit'));
  if (!(limit >= 0)) return badRequest(`limit: '${query.get('limit')}' is no number of applications`);
  const now = d.now();
  const apps = [...d.jobs.values()].filter((x) => {
    const running = x.state === 'running';
    if (f.length > 0 && !f.includes(running ? 'RUNNING' : 'COMPLETED')) return false;
    const startOk = x.startedAt >= bounds.minDate && x.startedAt <= bounds.maxDate;
    const end = x.endedAt ?? now;
    const endOk = running ? bounds.maxEndDate > now : end >= bounds.minEndDate && end <= bounds.maxEndDate;
    return startOk && endOk;
  });
  return ok(apps.slice(0, limit).map((x) => applicationInfo(x, now)));
}

/**
 * `/api/v1/applications/{id}` (Spark's ApplicationInfo): one per submitted job. And (Sluice's)
 * `supervisedRestart` while a supervised job waits out its back-off after a failed attempt (what
 * `sluice jobs` says: "attempt N failed; --supervise starts attempt N+1 in X s"): the failed
 * attempt, the next, when it starts (`startTime`, `startTimeEpoch`) and in how many ms (`startsInMs`).
 */
export function applicationInfo(j: DriverJob, now: number): unknown {
  const end = j.endedAt;
  const restartIn = j.state === 'running' ? j.restartInMs : undefined;
  return {
    id: j.id,
    name: j.name,
    streaming: j.streaming,
    state: j.state,
    supervisedRestart:
      restartIn === undefined ? undefined : { failedAttempt: j.attempt, nextAttempt: j.attempt + 1, startTime: sparkDate(now + restartIn), startTimeEpoch: now + restartIn, startsInMs: restartIn },
    attempts: [
      {
        attemptId: String(j.attempt),
        startTime: sparkDate(j.startedAt),
        endTime: sparkDate(end),
        duration: (end ?? now) - j.startedAt,
        completed: j.state !== 'running',
        startTimeEpoch: j.startedAt,
        endTimeEpoch: end ?? -1,
      },
    ],
  };
}

/** How the UI words a job falling behind. */
export function fallingBehindMessage(f: FallingBehind, batchIntervalMs: number): string {
  return (
    `Falling behind: the scheduling delay grew for ${f.batches} batches in a row (from ${f.fromDelayMs} ms to ${f.schedulingDelayMs} ms, since batch ${new Date(f.since).toISOString().replace('T', ' ').replace('Z', '')}); ` +
    `batches take longer than the ${batchIntervalMs} ms interval to process. Turn on backpressure, add workers, or lengthen the batch interval.`
  );
}

/**
 * Spark's StreamingStatistics, and (Sluice's) whether the job falls behind and when the attempt
 * that ran the batches ended (`endTime`, `endTimeEpoch`; -1 while it runs, as an application
 * attempt's), where Spark's page is gone with its StreamingContext.
 */
export function streamingStatistics(p: StreamingProgress, receiversActive: number, fallingBehind: FallingBehind | undefined): unknown {
  const done = p.completedBatches();
  // Spark's averages are over the listener's retainedBatches: the queued, processing and retained completed ones.
  const retained = [...p.activeBatches(), ...done];
  const receivers = p.receivers();
  const started = retained.filter((b) => b.processingStartTime !== undefined);
  const ended = retained.filter((b) => b.processingEndTime !== undefined);
  return {
    startTime: sparkDate(p.startTime),
    startTimeEpoch: p.startTime,
    endTime: sparkDate(p.endTime),
    endTimeEpoch: p.endTime ?? -1,
    batchDuration: p.batchIntervalMs,
    numReceivers: receivers.length,
    numActiveReceivers: receiversActive,
    numInactiveReceivers: receivers.length - receiversActive,
    numTotalCompletedBatches: p.numTotalCompletedBatches,
    numRetainedCompletedBatches: done.length,
    numActiveBatches: p.activeBatches().length,
    numProcessedRecords: p.numProcessedRecords,
    numReceivedRecords: p.numReceivedRecords,
    // A Double: the mean of each batch's records x 1000 / the batch duration.
    avgInputRate: retained.length > 0 && p.batchIntervalMs > 0 ? retained.reduce((a, b) => a + (b.numRecords * 1000) / p.batchIntervalMs, 0) / retained.length : undefined,
    avgSchedulingDelay: avg(started.map((b) => b.processingStartTime! - b.batchTime)),
    avgProcessingTime: avg(ended.map((b) => b.processingEndTime! - b.processingStartTime!)),
    avgTotalDelay: avg(ended.map((b) => b.processingEndTime! - b.batchTime)),
    fallingBehind: fallingBehind && { ...fallingBehind, message: fallingBehindMessage(fallingBehind, p.batchIntervalMs) },
  };
}

/**
 * Spark's streaming BatchInfo. batchId is the batch time in ms, as in Spark. And (Sluice's) its
 * records by input stream, `inputStreams` (Spark's listener BatchInfo.streamIdToInputInfo, which
 * its REST BatchInfo leaves out): each stream that counted its records, by id, with its name.
 */
export function batchInfo(b: BatchRecord, batchDuration: number, streamName: (streamId: number) => string): unknown {
  const failed = b.outputOps.filter((o) => o.failure !== undefined);
  return {
    batchId: b.batchTime,
    batchTime: sparkDate(b.batchTime),
    status: b.status,
    batchDuration,
    inputSize: b.numRecords,
    schedulingDelay: b.processingStartTime !== undefined ? b.processingStartTime - b.batchTime : undefined,
    processingTime: b.processingEndTime !== undefined && b.processingStartTime !== undefined ? b.processingEndTime - b.processingStartTime : undefined,
    totalDelay: b.processingEndTime !== undefined ? b.processingEndTime - b.batchTime : undefined,
    // Spark's numActiveOutputOp: every output operation not ended, a queued batch's all of them.
    numActiveOutputOps: b.outputOps.filter((o) => o.endTime === undefined).length,
    numCompletedOutputOps: b.outputOps.filter((o) => o.endTime !== undefined && o.failure === undefined).length,
    numFailedOutputOps: failed.length,
    numTotalOutputOps: b.outputOps.length,
    // Spark's: the failure's Utils.exceptionString, the message then its stack.
    firstFailureReason: failed[0]?.failure && failureReason(failed[0].failure),
    inputStreams: inputStreamRecords(b, streamName),
  };
}

/** A batch's records by input stream (BatchRecord.streamRecords), by stream id. */
export function inputStreamRecords(b: BatchRecord, streamName: (streamId: number) => string): { streamId: number; streamName: string; numRecords: number }[] {
  return Object.entries(b.streamRecords ?? {})
    .map(([id, n]) => ({ streamId: Number(id), streamName: streamName(Number(id)), numRecords: n }))
    .sort((x, y) => x.streamId - y.streamId);
}

/** Spark's OutputOperationInfo. */
export function outputOperationInfo(o: OutputOpRecord): unknown {
  return {
    outputOpId: o.id,
    name: o.name,
    description: o.description,
    startTime: sparkDate(o.startTime),
    endTime: sparkDate(o.endTime),
    duration: o.startTime !== undefined && o.endTime !== undefined ? o.endTime - o.startTime : undefined,
    failureReason: o.failure && failureReason(o.failure),
    jobIds: [...o.jobIds].sort((a, b) => a - b),
  };
}

/**
 * Spark's JobData: `stageIds` every stage the job ran or waited on, those it found computed
 * (skipped: `numSkippedStages`, `numSkippedTasks`) too; its task and stage counts those of the
 * stages it submitted and of those another job's it waited on while they ran; `liveStageIds` a running job's (the DAG
 * scheduler's, by job id).
 */
export function jobData(s: JobStageStatus, j: JobRecord, activeTasks: (stageId: number, attempt: number) => number, liveStageIds: (jobId: number) => readonly number[] | undefined): unknown {
  const all = s.jobStages(j, liveStageIds);
  // Its own stage attempts and those of another job's it waited on while they ran (Spark's LiveStage.jobs).
  const stages = [...s.stagesOf(j), ...all.joined];
  const t = j.properties.outputOperation;
  return {
    jobId: j.jobId,
    name: j.name,
    // Spark's: the spark.job.description the action ran with; a streaming output's `Streaming job from [output operation N, batch time ...]` (Spark's without its link).
    description: j.properties.description,
    submissionTime: sparkDate(j.submissionTime),
    completionTime: sparkDate(j.completionTime),
    stageIds: all.stageIds,
    // Spark's JobData.jobGroup and jobTags: the job group (spark.jobGroup.id) and tags its action was called with.
    jobGroup: j.properties.group,
    jobTags: [...(j.properties.tags ?? [])].sort(),
    status: j.status,
    // Spark's: fixed at its start (AppStatusListener.onJobStart), its stages' numTasks summed, those it
    // then skips among them (numSkippedTasks); without a start's stages, its attempts' tasks.
    numTasks: j.stageInfos.size > 0 ? [...j.stageInfos.values()].reduce((a, x) => a + x.numTasks, 0) : stages.reduce((a, x) => a + x.numTasks, 0),
    numActiveTasks: stages.reduce((a, x) => a + (hasLiveTasks(x.status) ? activeTasks(x.stageId, x.attemptId) : 0), 0),
    numCompletedTasks: stages.reduce((a, x) => a + x.numCompleteTasks, 0),
    // Spark's JobData.numCompletedIndices: distinct (stage, task index) successes (its LiveJob.completedIndices).
    numCompletedIndices: new Set(stages.flatMap((x) => [...x.completedIndices].map((i) => `${x.stageId}:${i}`))).size,
    numFailedTasks: stages.reduce((a, x) => a + x.numFailedTasks, 0),
    numKilledTasks: stages.reduce((a, x) => a + x.numKilledTasks, 0),
    killedTasksSummary: killedSummary(stages),
    numSkippedTasks: all.skippedTasks,
    numActiveStages: stages.filter((x) => x.status === 'ACTIVE').length,
    numCompletedStages: completedStageIds(stages),
    numSkippedStages: all.skippedStages,
    numFailedStages: stages.filter((x) => x.status === 'FAILED').length,
    failureReason: j.failureReason,
    batchId: t?.batchTime,
    outputOpId: t?.outputOpId,
  };
}

/**
 * Spark's JobData.numCompletedStages: the size of LiveJob.completedStages, a set of stage ids (a
 * stage's COMPLETE attempt adds its id, a new attempt's submission takes it out again): the
 * stages whose latest attempt completed, each once though several of its attempts did (a map
 * stage run again after a fetch failure).
 */
function completedStageIds(stages: readonly StageRecord[]): number {
  const latest = new Map<number, StageRecord>();
  for (const x of stages) {
    const o = latest.get(x.stageId);
    if (o === undefined || x.attemptId > o.attemptId) latest.set(x.stageId, x);
  }
  let n = 0;
  for (const x of latest.values()) if (x.status === 'COMPLETE') n++;
  return n;
}

/** Spark's killedTasksSummary (JobData's and StageData's): the stage attempts' killed tasks by reason, summed. */
function killedSummary(stages: readonly Pick<StageRecord, 'killedTasksSummary'>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of stages) for (const [reason, n] of x.killedTasksSummary) out[reason] = (out[reason] ?? 0) + n;
  return out;
}

/** A stage attempt as the REST API shows it: its record, a skipped or pending one's view of it, or a stage not submitted yet. */
type StageView = Omit<StageRecord, 'status' | 'submissionTime'> & { status: StageRecord['status'] | 'SKIPPED' | 'PENDING'; submissionTime: number | undefined };

/** A stage's counts and metrics before any task of it: a skipped or pending view's. */
const NO_TASKS = { numCompleteTasks: 0, numFailedTasks: 0, numKilledTasks: 0, executorRunTime: 0, maxTaskTime: 0, shuffleReadBytes: 0, shuffleWriteBytes: 0, inputBytes: 0, inputRecords: 0, outputBytes: 0, outputRecords: 0, bytesSpilled: 0 } as const;

/**
 * A stage attempt as REST /stages shows it. Spark's AppStatusListener gives a job's every stage a
 * fresh LiveStage at its start (onJobStart, keyed by stage id and attempt) and, at its end, writes
 * those still PENDING as SKIPPED over what the store kept under that key (onJobEnd): an attempt an
 * ended job skipped (StageRecord.skipped, marked at that job's end: an earlier action had computed
 * it) shows SKIPPED, its StageInfo (name, tasks, times), with no task counts or metrics of its own,
 * its job the last one that skipped it.
 */
function stageView(x: StageRecord, pendingFor?: readonly number[]): StageView {
  // A running job's start named it and none of its attempts ran since (Spark's fresh LiveStage, PENDING).
  if (pendingFor !== undefined) return { ...x, ...NO_TASKS, jobId: pendingFor[0], status: 'PENDING', completedIndices: new Set(), killedTasksSummary: new Map(), failures: [], tasks: [] };
  if (x.skipped === undefined) return x;
  return { ...x, ...NO_TASKS, jobId: x.skipped.by, status: 'SKIPPED', completedIndices: new Set(), killedTasksSummary: new Map(), failures: [], tasks: [] };
}

/** A stage no kept attempt of was submitted (Spark's LiveStage from onJobStart's StageInfo): PENDING, or SKIPPED once its jobs ended without it. */
function unsubmittedView(u: UnsubmittedStage): StageView {
  const i = u.info;
  return {
    ...NO_TASKS,
    stageId: i.stageId,
    attemptId: i.attempt,
    jobId: u.jobId,
    jobIds: new Set(u.jobIds),
    skipped: undefined,
    kind: i.kind,
    name: i.name,
    numTasks: i.numTasks,
    completedIndices: new Set(),
    killedTasksSummary: new Map(),
    submissionTime: undefined,
    completionTime: undefined,
    status: u.status,
    failureReason: undefined,
    // Spark's LiveStage's until onStageSubmitted sets the job's pool.
    schedulingPool: DEFAULT_POOL_NAME,
    failures: [],
    accumulables: new Map(),
    tasks: [],
    partitions: undefined,
    rdds: i.rdds ?? [],
    parentIds: i.parentIds ?? [],
  };
}

/** Spark's StageData (the fields Sluice has), with the failed tasks and where the user's code threw. */
export function stageData(x: StageView, activeTasks: number, jobIds: readonly number[]): unknown {
  return {
    status: x.status,
    stageId: x.stageId,
    attemptId: x.attemptId,
    jobId: x.jobId,
    jobIds,
    name: x.name,
    numTasks: x.numTasks,
    numActiveTasks: hasLiveTasks(x.status) ? activeTasks : 0,
    numCompleteTasks: x.numCompleteTasks,
    // Spark's: the distinct task indexes that succeeded.
    numCompletedIndices: x.completedIndices.size,
    numFailedTasks: x.numFailedTasks,
    numKilledTasks: x.numKilledTasks,
    killedTasksSummary: killedSummary([x]),
    executorRunTime: x.executorRunTime,
    maxTaskTime: x.maxTaskTime,
    submissionTime: sparkDate(x.submissionTime),
    completionTime: sparkDate(x.completionTime),
    duration: x.completionTime !== undefined && x.submissionTime !== undefined ? x.completionTime - x.submissionTime : undefined,
    // Spark's StageData: its tasks' input and output metrics summed.
    inputBytes: x.inputBytes,
    inputRecords: x.inputRecords,
    outputBytes: x.outputBytes,
    outputRecords: x.outputRecords,
    // Spark's StageData: its tasks' spills summed (the same bytes in memory and on disk here).
    memoryBytesSpilled: x.bytesSpilled,
    diskBytesSpilled: x.bytesSpilled,
    shuffleReadBytes: x.shuffleReadBytes,
    shuffleWriteBytes: x.shuffleWriteBytes,
    failureReason: x.failureReason,
    failedTasks: x.failures.map((f) => ({ taskId: f.taskId, partition: f.partition, executorId: f.workerId, time: sparkDate(f.time), errorMessage: f.message, location: f.location, stack: f.stack })),
    // Named accumulators the stage's tasks updated, by id: { id, name, value } (no `update`, None for a stage).
    accumulatorUpdates: [...x.accumulables.values()].sort((a, b) => a.id - b.id).map((a) => ({ id: a.id, name: a.name, value: a.value })),
    schedulingPool: x.schedulingPool,
    // Spark's StageData.rddIds: the RDDs the stage computes (its StageInfo.rddInfos' ids).
    rddIds: x.rdds.map((r) => r.id),
  };
}

/** A task attempt as the REST API shows it: ended (kept by JobStageStatus) or running now. */
type TaskView = Omit<TaskRecord, 'status'> & { readonly status: TaskRecord['status'] | 'RUNNING' };

/** A stage attempt's task attempts: those that ended, then those running now (Spark's task store holds both). */
/**
 * Whether a stage attempt in this status can have tasks running: an active one, and one a fetch
 * failure ended (FAILED) whose other tasks run on in it (a zombie, as Spark's LiveStage.activeTasks
 * counts them whatever its status).
 */
function hasLiveTasks(status: StageView['status']): boolean {
  return status === 'ACTIVE' || status === 'FAILED';
}

function stageTasks(x: StageView, running: readonly RunningTaskInfo[], now: number): TaskView[] {
  const live = hasLiveTasks(x.status) ? running.filter((t) => t.stageId === x.stageId && t.stageAttempt === x.attemptId) : [];
  return [
    ...x.tasks,
    ...live.map((t) => ({ taskId: t.taskId, index: t.index, attempt: t.attempt, partition: t.partition, launchTime: now - t.runningMs, durationMs: t.runningMs, workerId: t.workerId, status: 'RUNNING' as const, speculative: t.speculative, taskLocality: t.taskLocality, errorMessage: undefined, shuffleReadBytes: 0, shuffleWriteBytes: 0, resultSize: 0, metrics: undefined })),
  ];
}

/**
 * Spark's scheduler delay (AppStatusUtils.schedulerDelay): the attempt's duration, launch to
 * result as the driver saw it, less what the worker measured (deserialization, run, the result's
 * encoding) and the driver's getting of a result kept on the worker; at least 0, and 0 for an
 * attempt with no measurements (running, killed, lost).
 */
export function schedulerDelay(t: Pick<TaskView, 'durationMs' | 'metrics'>): number {
  const m = t.metrics;
  return m === undefined ? 0 : Math.max(0, t.durationMs - m.executorRunTime - m.executorDeserializeTime - m.resultSerializationTime - m.gettingResultTime);
}

/** Spark's v1.TaskData (the fields Sluice has; taskId is Sluice's string id, executorId the worker). */
function taskData(t: TaskView, host: (workerId: string) => string | undefined): unknown {
  const m = t.metrics;
  return {
    taskId: t.taskId,
    index: t.index,
    attempt: t.attempt,
    partitionId: t.partition,
    launchTime: sparkDate(t.launchTime),
    duration: t.durationMs,
    executorId: t.workerId,
    host: host(t.workerId),
    status: t.status,
    speculative: t.speculative,
    taskLocality: t.taskLocality,
    errorMessage: t.errorMessage,
    // duration is launch to result as the driver saw it; the times in taskMetrics the worker's
    // (0 for an attempt it sent none of: running, killed, lost; a failed one's run time to its failure). Shuffle read bytes are one
    // figure, totalBytesRead (the guide's task metric: local and remote).
    taskMetrics: {
      executorDeserializeTime: m?.executorDeserializeTime ?? 0,
      executorRunTime: m?.executorRunTime ?? 0,
      resultSize: t.resultSize,
      resultSerializationTime: m?.resultSerializationTime ?? 0,
      memoryBytesSpilled: m?.bytesSpilled ?? 0,
      diskBytesSpilled: m?.bytesSpilled ?? 0,
      shuffleReadMetrics: { totalBytesRead: t.shuffleReadBytes, recordsRead: m?.shuffleRecordsRead ?? 0, fetchWaitTime: m?.shuffleFetchWaitTime ?? 0 },
      shuffleWriteMetrics: { bytesWritten: t.shuffleWriteBytes, recordsWritten: m?.shuffleRecordsWritten ?? 0 },
      inputMetrics: { bytesRead: m?.input?.bytesRead ?? 0, recordsRead: m?.input?.recordsRead ?? 0 },
      outputMetrics: { bytesWritten: m?.output?.bytesWritten ?? 0, recordsWritten: m?.output?.recordsWritten ?? 0 },
    },
    schedulerDelay: schedulerDelay(t),
    gettingResultTime: m?.gettingResultTime ?? 0,
  };
}

/** `quantiles=0.05,0.5` as numbers in [0, 1], or the error to answer with. */
function parseQuantiles(query: URLSearchParams): number[] | string {
  const raw = query.get('quantiles') ?? DEFAULT_QUANTILES;
  const qs = raw.split(',').map((q) => Number(q.trim()));
  const bad = qs.findIndex((q, i) => raw.split(',')[i].trim() === '' || !(q >= 0 && q <= 1));
  return bad >= 0 ? `quantiles: '${raw.split(',')[bad]}' is no number between 0 and 1 (give them as quantiles=0.05,0.5,0.95)` : qs;
}

/**
 * Spark's TaskMetricDistributions over a stage attempt's successful tasks (AppStatusStore.taskSummary):
 * each metric's values sorted, the value at min(floor(q * count), count - 1) for each quantile;
 * undefined when no task succeeded.
 */
export function taskMetricDistributions(tasks: readonly TaskView[], quantiles: readonly number[]): unknown {
  const ok = tasks.filter((t) => t.status === 'SUCCESS');
  if (ok.length === 0) return undefined;
  const at = (f: (t: TaskView) => number): number[] => {
    const sorted = ok.map(f).sort((a, b) => a - b);
    return quantiles.map((q) => sorted[Math.min(Math.floor(q * ok.length), ok.length - 1)]);
  };
  return {
    quantiles,
    duration: at((t) => t.durationMs),
    executorDeserializeTime: at((t) => t.metrics?.executorDeserializeTime ?? 0),
    executorRunTime: at((t) => t.metrics?.executorRunTime ?? 0),
    resultSize: at((t) => t.resultSize),
    resultSerializationTime: at((t) => t.metrics?.resultSerializationTime ?? 0),
    gettingResultTime: at((t) => t.metrics?.gettingResultTime ?? 0),
    schedulerDelay: at(schedulerDelay),
    memoryBytesSpilled: at((t) => t.metrics?.bytesSpilled ?? 0),
    diskBytesSpilled: at((t) => t.metrics?.bytesSpilled ?? 0),
    shuffleReadMetrics: { readBytes: at((t) => t.shuffleReadBytes), readRecords: at((t) => t.metrics?.shuffleRecordsRead ?? 0), fetchWaitTime: at((t) => t.metrics?.shuffleFetchWaitTime ?? 0) },
    shuffleWriteMetrics: { writeBytes: at((t) => t.shuffleWriteBytes), writeRecords: at((t) => t.metrics?.shuffleRecordsWritten ?? 0) },
    inputMetrics: { bytesRead: at((t) => t.metrics?.input?.bytesRead ?? 0), recordsRead: at((t) => t.metrics?.input?.recordsRead ?? 0) },
    outputMetrics: { bytesWritten: at((t) => t.metrics?.output?.bytesWritten ?? 0), recordsWritten: at((t) => t.metrics?.output?.recordsWritten ?? 0) },
  };
}

/** Spark's ExecutorStageSummary by worker (the fields Sluice has), over the stage attempt's ended tasks. */
function executorSummary(tasks: readonly TaskView[]): Record<string, unknown> {
  const out: Record<string, { taskTime: number; failedTasks: number; succeededTasks: number; killedTasks: number; shuffleRead: number; shuffleReadRecords: number; shuffleWrite: number; shuffleWriteRecords: number; memoryBytesSpilled: number; diskBytesSpilled: number }> = {};
  for (const t of tasks) {
    if (t.status === 'RUNNING') continue;
    const e = (out[t.workerId] ??= { taskTime: 0, failedTasks: 0, succeededTasks: 0, killedTasks: 0, shuffleRead: 0, shuffleReadRecords: 0, shuffleWrite: 0, shuffleWriteRecords: 0, memoryBytesSpilled: 0, diskBytesSpilled: 0 });
    e.taskTime += t.durationMs;
    if (t.status === 'SUCCESS') e.succeededTasks++;
    else if (t.status === 'FAILED') e.failedTasks++;
    else e.killedTasks++;
    e.shuffleRead += t.shuffleReadBytes;
    e.shuffleReadRecords += t.metrics?.shuffleRecordsRead ?? 0;
    e.shuffleWrite += t.shuffleWriteBytes;
    e.shuffleWriteRecords += t.metrics?.shuffleRecordsWritten ?? 0;
    e.memoryBytesSpilled += t.metrics?.bytesSpilled ?? 0;
    e.diskBytesSpilled += t.metrics?.bytesSpilled ?? 0;
  }
  return out;
}

/** The paging and order of Spark's taskList: offset (0), length (20), sortBy ID (launch order), runtime or -runtime, status. */
function taskList(tasks: readonly TaskView[], query: URLSearchParams, host: (workerId: string) => string | undefined): RestReply {
  const offset = Number(query.get('offset') ?? 0);
  const length = Number(query.get('length') ?? 20);
  if (!Number.isInteger(offset) || offset < 0 || !Number.isInteger(length) || length < 0) return badRequest(`offset and length are whole numbers, 0 or more (got offset=${query.get('offset')}, length=${query.get('length')})`);
  const sortBy = query.get('sortBy') ?? 'ID';
  if (!['ID', 'runtime', '-runtime', 'INCREASING_RUNTIME', 'DECREASING_RUNTIME'].includes(sortBy)) return badRequest(`sortBy: '${sortBy}' is none of ID, runtime, -runtime (Spark's TaskSorting)`);
  const f = statusFilter(query, TASK_STATUSES);
  if (typeof f === 'string') return badRequest(f);
  const sorted = tasks.filter((t) => f.length === 0 || f.includes(t.status)).sort((a, b) => a.launchTime - b.launchTime || a.index - b.index || a.attempt - b.attempt);
  if (sortBy === 'runtime' || sortBy === 'INCREASING_RUNTIME') sorted.sort((a, b) => a.durationMs - b.durationMs);
  if (sortBy === '-runtime' || sortBy === 'DECREASING_RUNTIME') sorted.sort((a, b) => b.durationMs - a.durationMs);
  return ok(sorted.slice(offset, offset + length).map((t) => taskData(t, host)));
}

/**
 * Spark's StorageLevel.description for where a block's copy is (serialized always, one copy:
 * `_SER` and `_2` levels are stored as their plain level): a MEMORY_AND_DISK block spilled to
 * the worker's disk is described as on disk, as Spark's BlockManager reports the block's
 * status after dropping it from memory.
 */
function storageLevelDescription(level: StoredRdd['storage'], spilled = false): string {
  const disk = level === 'DISK_ONLY' || level === 'MEMORY_AND_DISK';
  const memory = !spilled && (level === 'MEMORY_ONLY' || level === 'MEMORY_AND_DISK');
  return `${disk ? 'Disk ' : ''}${memory ? 'Memory ' : ''}Serialized 1x Replicated`;
}

/**
 * Spark's RDDStorageInfo for a cached RDD (AppStatusListener's LiveRDD): its cached partitions'
 * bytes in memory (a MEMORY_ONLY or MEMORY_AND_DISK block, as stored) or on disk (DISK_ONLY, or
 * a MEMORY_AND_DISK block a worker spilled); a MEMORY_ONLY block a worker evicted for room is no
 * longer counted (Spark's "Fraction Cached" below 100%); with `details`, dataDistribution by
 * worker and the partitions (Spark's block names, `rdd_<id>_<p>`).
 *
 * memoryUsed adds the estimated heap of the decoded copies task threads keep of a deserialized
 * level's blocks (perf31), as their workers last reported them: the memory the RDD's cache takes,
 * what the workers count in their memoryUsed, as Spark's "Size in Memory" of a MEMORY_ONLY RDD is
 * its objects' estimated size; Sluice's decodedMemoryUsed says how much of it the copies are
 * (the rest is the blocks' bytes, which a decoded block keeps too). `runId`: the job run whose
 * blocks these are (their ids, rdd_<runId>_<rddId>_<p>).
 */
export function rddStorageInfo(d: DriverNode, runId: string, r: StoredRdd, details: boolean): unknown {
  type Block = StoredRdd['blocks'][number];
  const onDiskAt = (b: Block, workerId: string): boolean => blockOnDiskAt(r, b, workerId);
  const diskCopies = (b: Block): number => b.workerIds.filter((w) => onDiskAt(b, w)).length;
  /** The estimated heap of the decoded copies of block `b` on worker `workerId`, as its last heartbeat said (0: none). */
  const decodedAt = (b: Block, workerId: string): number => d.registry.get(workerId)?.storage?.decodedBlockBytes[`rdd_${runId}_${r.rddId}_${b.partition}`] ?? 0;
  const decodedOf = (b: Block): number => b.workerIds.reduce((a, w) => a + decodedAt(b, w), 0);
  const sizes = storedRddSizes(r);
  const decodedMemoryUsed = r.blocks.reduce((a, b) => a + decodedOf(b), 0);
  const info: Record<string, unknown> = {
    id: r.rddId,
    name: r.name,
    numPartitions: r.numPartitions,
    numCachedPartitions: r.blocks.length,
    storageLevel: storageLevelDescription(r.storage),
    memoryUsed: sizes.memoryUsed + decodedMemoryUsed,
    diskUsed: sizes.diskUsed,
    decodedMemoryUsed,
  };
  if (!details) return info;
  const workerIds = [...new Set(r.blocks.flatMap((b) => b.workerIds))].sort();
  info.dataDistribution = workerIds.map((id) => {
    const w = d.registry.get(id);
    const mine = r.blocks.filter((b) => b.workerIds.includes(id));
    return {
      address: w?.address,
      memoryUsed: mine.filter((b) => !onDiskAt(b, id)).reduce((a, b) => a + b.bytes, 0) + mine.reduce((a, b) => a + decodedAt(b, id), 0),
      decodedMemoryUsed: mine.reduce((a, b) => a + decodedAt(b, id), 0),
      memoryRemaining: Math.max(0, (w?.storage?.memoryLimitBytes ?? 0) - (w?.storage?.memoryBytes ?? 0)),
      diskUsed: mine.filter((b) => onDiskAt(b, id)).reduce((a, b) => a + b.bytes, 0),
    };
  });
  info.partitions = r.blocks.map((b) => ({
    blockName: `rdd_${r.rddId}_${b.partition}`,
    // Where its copies are: on disk once every copy is (one copy, but for one a decommission moved).
    storageLevel: storageLevelDescription(r.storage, diskCopies(b) === b.workerIds.length),
    memoryUsed: b.bytes * (b.workerIds.length - diskCopies(b)) + decodedOf(b),
    diskUsed: b.bytes * diskCopies(b),
    decodedMemoryUsed: decodedOf(b),
    executors: b.workerIds,
  }));
  return info;
}

/**
 * `/api/v1/workers` (Sluice's, as `sluice workers`): every registered worker, with
 * `decommission` its graceful release's phase ('draining', 'migrating', 'releasing') while
 * one runs, else null.
 */
export function workers(d: DriverNode): unknown[] {
  const now = d.now();
  return d.registry.all().map((w) => ({
    id: w.id,
    address: w.address,
    cores: w.cores,
    activeTasks: w.cores - w.freeSlots,
    completedTasks: w.tasksCompleted,
    lastHeartbeatMsAgo: Math.max(0, now - w.lastHeartbeat),
    decommission: d.decommissionState(w.id) ?? null,
  }));
}

/**
 * The driver's REST API in Spark's shape, read by the UI: `/api/v1/applications` (one
 * application per submitted job) and, under `/api/v1/applications/{id}`: `streaming/statistics`,
 * `streaming/receivers[/{streamId}]`, `streaming/batches[?status=]`, `streaming/batches/{batchId}`,
 * `streaming/batches/{batchId}/operations[/{outputOpId}]`, `streaming/dashboards[/{name}]`
 * (Sluice's: the job's live dashboards, as their page shows them), `jobs[?status=]`, `jobs/{jobId}`,
 * `stages[?status=&details=&withSummaries=&quantiles=]`, `stages/{stageId}[/{attemptId}]` (details by
 * default), `stages/{stageId}/{attemptId}/taskList[?offset=&length=&sortBy=&status=]` and `/taskSummary[?quantiles=]`,
 * `executors`, `allexecutors`, `storage/rdd[/{rddId}]` (cached RDDs); and `/api/v1/workers`. Spark's resources Sluice cannot have are 404s saying why.
 * Field names follow Spark's (status/api/v1 and its streaming package); lists of batches
 * are newest first, as Spark's.
 */
export function restApi(d: DriverNode, path: string, query: URLSearchParams): RestReply {
  const parts = path.split('/').filter((x) => x !== '').slice(2); // after api/v1
  if (parts[0] === 'workers' && parts.length === 1) return ok(workers(d));
  if (parts.length >= 1 && NOT_AT_ROOT[parts[0]] !== undefined) return notFound(`/api/v1/${parts[0]} is Spark's, not Sluice's: ${NOT_AT_ROOT[parts[0]]}`);
  if (parts[0] !== 'applications') return notFound(`no REST resource /api/v1/${parts.join('/')}; start at /api/v1/applications (or /api/v1/workers)`);
  if (parts.length === 1) return applicationList(d, query);
  const j = d.jobs.get(decodeURIComponent(parts[1]));
  if (!j) return notFound(`no application (job) '${decodeURIComponent(parts[1])}': ${d.missingJob(decodeURIComponent(parts[1]))}; /api/v1/applications lists them`);
  const rest = parts.slice(2);
  if (rest.length === 0) return ok(applicationInfo(j, d.now()));
  // Running attempts by stage attempt (a zombie's under its own, not the stage's newer attempt).
  const runningByStage = (): ((stageId: number, attempt: number) => number) => {
    const running = d.dag.runningTasks(j.runId);
    return (stageId, attempt) => running.filter((t) => t.stageId === stageId && t.stageAttempt === attempt).length;
  };
  switch (rest[0]) {
    case 'streaming':
      return streamingApi(j, rest.slice(1), query, d.now());
    case 'jobs': {
      const active = runningByStage();
      const live = (jobId: number): readonly number[] | undefined => d.dag.actionStageIds(j.runId, jobId);
      if (rest.length === 1) {
        const f = statusFilter(query, JOB_STATUSES);
        if (typeof f === 'string') return badRequest(f);
        return ok(j.stages.allJobs().filter((x) => f.length === 0 || f.includes(x.status)).reverse().map((x) => jobData(j.stages, x, active, live)));
      }
      const id = Number(rest[1]);
      const job = Number.isInteger(id) ? j.stages.job(id) : undefined;
      return job ? ok(jobData(j.stages, job, active, live)) : notFound(`application ${j.id} has no job '${rest[1]}' (or it is no longer kept)`);
    }
    case 'stages': {
      const active = runningByStage();
      const recordJobIds = j.stages.stageJobIds((jobId) => d.dag.actionStageIds(j.runId, jobId));
      const pendingOf = j.stages.pendingOf();
      // Each kept attempt's view (PENDING while a running job waits on it, as Spark's), with its jobs; then the stages not submitted.
      const views: { view: StageView; jobIds: readonly number[] }[] = [
        ...j.stages.allStages().map((x) => {
          const pending = pendingOf(x);
          return { view: stageView(x, pending), jobIds: pending ?? recordJobIds(x) };
        }),
        ...j.stages.unsubmittedStages().map((u) => ({ view: unsubmittedView(u), jobIds: u.jobIds })),
      ];
      const running = d.dag.runningTasks(j.runId);
      const host = (workerId: string): string | undefined => j.workerAddress(workerId)?.replace(/:\d+$/, '');
      // Spark's StageResource: details (tasks by id, executorSummary) by default for one stage, not for the list; withSummaries adds the quantiles.
      // The stage's StageData, or why the query is bad.
      const shown = ({ view: x, jobIds }: (typeof views)[number], detailsByDefault: boolean): Record<string, unknown> | string => {
        const base = stageData(x, active(x.stageId, x.attemptId), jobIds) as Record<string, unknown>;
        const details = (query.get('details') ?? String(detailsByDefault)) === 'true';
        const summaries = query.get('withSummaries') === 'true';
        if (!details && !summaries) return base;
        const tasks = stageTasks(x, running, d.now());
        if (details) {
          const f = statusFilter(query, TASK_STATUSES, 'taskStatus');
          if (typeof f === 'string') return f;
          base.tasks = Object.fromEntries(tasks.filter((t) => f.length === 0 || f.includes(t.status)).map((t) => [t.taskId, taskData(t, host)]));
          base.executorSummary = executorSummary(tasks);
          // Sluice's, for the UI's DAG visualization (Spark's UI reads them from its store, not REST):
          // the stage's RDDs (StageInfo.rddInfos: id, name, callSite, numPartitions, parentIds, cached) and parent stages (StageInfo.parentIds).
          // Their call sites as the program's thread formatted them when asked (the status server asks before answering).
          base.rddInfos = x.rdds.map((r) => {
            const callSite = j.callSites.textOf(r.id);
            return callSite === undefined ? r : { ...r, callSite };
          });
          base.parentIds = x.parentIds;
        }
        if (summaries) {
          const qs = parseQuantiles(query);
          if (typeof qs === 'string') return qs;
          base.taskMetricsDistributions = taskMetricDistributions(tasks, qs);
        }
        return base;
      };
      const answer = (xs: readonly (typeof views)[number][], detailsByDefault: boolean, one: boolean): RestReply => {
        const out: unknown[] = [];
        for (const x of xs) {
          const r = shown(x, detailsByDefault);
          if (typeof r === 'string') return badRequest(r);
          out.push(r);
        }
        return ok(one ? out[0] : out);
      };
      if (rest.length === 1) {
        const f = statusFilter(query, STAGE_STATUSES);
        if (typeof f === 'string') return badRequest(f);
        return answer(views.filter((x) => f.length === 0 || f.includes(x.view.status)).reverse(), false, false);
      }
      const id = Number(rest[1]);
      const attempts = views.filter((x) => x.view.stageId === id).sort((a, b) => a.view.attemptId - b.view.attemptId);
      if (attempts.length === 0) return notFound(`application ${j.id} has no stage '${rest[1]}' (or it is no longer kept)`);
      if (rest.length === 2) return answer(attempts, true, false);
      const a = attempts.find((x) => x.view.attemptId === Number(rest[2]));
      if (!a) return notFound(`stage ${id} of application ${j.id} has no attempt '${rest[2]}'`);
      if (rest.length === 3) return answer([a], true, true);
      if (rest.length === 4 && rest[3] === 'taskList') return taskList(stageTasks(a.view, running, d.now()), query, host);
      if (rest.length === 4 && rest[3] === 'taskSummary') {
        const qs = parseQuantiles(query);
        if (typeof qs === 'string') return badRequest(qs);
        const summary = taskMetricDistributions(stageTasks(a.view, running, d.now()), qs);
        return summary === undefined ? notFound(`no task of stage ${id} attempt ${a.view.attemptId} has succeeded yet: taskSummary is over successful tasks`) : ok(summary);
      }
      return notFound(`no REST resource '${rest.slice(3).join('/')}' under a stage attempt; use taskList or taskSummary`);
    }
    // The driver and the registered workers; allexecutors adds the removed ones (Spark's dead executors).
    case 'executors':
    case 'allexecutors':
      return rest.length === 1 ? ok(executorSummaries(d, j, rest[0] === 'allexecutors', sparkDate)) : notFound(`no REST resource '${rest.join('/')}' under /api/v1/applications/${j.id}; Sluice has no executor threads or logs to show`);
    case 'environment':
      return rest.length === 1 ? ok(environmentInfo(d, j)) : notFound(`no REST resource '${rest.join('/')}' under /api/v1/applications/${j.id}: environment has nothing under it`);
    case 'storage': {
      if (rest[1] !== 'rdd' || rest.length > 3) return notFound(`no REST resource '${rest.join('/')}' under /api/v1/applications/${j.id}; use storage/rdd or storage/rdd/{rddId}`);
      const stored = d.dag.storedRdds(j.runId);
      if (rest.length === 2) return ok(stored.map((r) => rddStorageInfo(d, j.runId, r, false)));
      const r = stored.find((x) => x.rddId === Number(rest[2]));
      return r ? ok(rddStorageInfo(d, j.runId, r, true)) : notFound(`application ${j.id} has no cached RDD '${rest[2]}': storage/rdd lists those with cached partitions (an RDD is listed once an action has cached one, until unpersist)`);
    }
    default:
      if (NOT_IN_SLUICE[rest[0]] !== undefined) return notFound(`/api/v1/applications/${j.id}/${rest.join('/')} is Spark's, not Sluice's: ${NOT_IN_SLUICE[rest[0]]}`);
      return notFound(`no REST resource '${rest[0]}' under /api/v1/applications/${j.id}; use streaming, jobs, stages, executors, allexecutors or storage/rdd`);
  }
}

/**
 * The batches REST streaming/batches lists: queued, processing and retained completed ones, newest
 * first whatever their status (Spark's sortBy(- batchId): with concurrent jobs a completed batch
 * may be newer than one still processing).
 */
export function batchesNewestFirst(p: StreamingProgress): BatchRecord[] {
  return [...p.activeBatches(), ...p.completedBatches()].sort((a, b) => b.batchTime - a.batchTime);
}

/**
 * Spark's REST streaming/receivers: a ReceiverInfo for every input stream by id (Spark's
 * streamIds, receiver-based or not), its name the receiver's, else the input stream's. One with
 * no receiver (a queue, a file or a direct stream) has its streamId, streamName, avgEventRate and
 * eventRates only, as Spark's (isActive, executorId, executorHost and the error fields None).
 * And (Sluice's) a receiver's numRecords and receivingAgainTime.
 */
export function receiversList(p: StreamingProgress, workerAddress: (workerId: string) => string | undefined): { readonly streamId: number; readonly [field: string]: unknown }[] {
  return p.listedStreamIds().map((streamId) => {
    const r = p.receiver(streamId);
    if (!r) return { streamId, streamName: p.streamName(streamId), avgEventRate: p.receiverRate({ streamId }), eventRates: p.receiverRates({ streamId }) };
    return {
      streamId: r.streamId,
      streamName: r.name,
      isActive: r.active,
      executorId: r.workerId,
      // Spark's ReceiverInfo.location: the executor's host, no port.
      executorHost: r.workerId !== undefined ? workerAddress(r.workerId)?.replace(/:\d+$/, '') : undefined,
      lastErrorTime: sparkDate(r.lastErrorTime),
      // Spark's: absent where empty (a stop without an error has no lastError; the listener's is "").
      lastErrorMessage: r.lastErrorMessage || undefined,
      lastError: r.lastError || undefined,
      // Sluice's own: when records came again after the last error (absent: no error, or none since).
      receivingAgainTime: sparkDate(r.receivingAgainTime),
      avgEventRate: p.receiverRate(r),
      eventRates: p.receiverRates(r),
      numRecords: r.numRecords,
    };
  });
}

function streamingApi(j: DriverJob, rest: readonly string[], query: URLSearchParams, now: number): RestReply {
  const p = j.progress;
  if (!j.streaming) return notFound(`application ${j.id} is not a streaming job (it started no StreamingContext)`);
  const running = p.receivers().filter((r) => r.active).length;
  switch (rest[0]) {
    case 'statistics':
      return ok(streamingStatistics(p, running, j.state === 'running' ? j.fallingBehind : undefined));
    case 'receivers': {
      const list = receiversList(p, (workerId) => j.workerAddress(workerId));
      if (rest.length === 1) return ok(list);
      const one = list.find((r) => r.streamId === Number(rest[1]));
      return one ? ok(one) : notFound(`application ${j.id} has no receiver for stream '${rest[1]}'`);
    }
    case 'batches': {
      const all = batchesNewestFirst(p);
      if (rest.length === 1) {
        const f = statusFilter(query, BATCH_STATUSES);
        if (typeof f === 'string') return badRequest(f);
        return ok(all.filter((b) => f.length === 0 || f.includes(b.status)).map((b) => batchInfo(b, p.batchIntervalMs, (id) => p.streamName(id))));
      }
      const id = Number(rest[1]);
      if (!Number.isSafeInteger(id)) return badRequest(`batch id '${rest[1]}' is not a number: a batch id is its batch time in ms, as /streaming/batches lists them`);
      const b = p.batch(id);
      if (!b) return notFound(`application ${j.id} has no batch ${id} (or it is no longer kept: the last ${p.retainedBatches} are)`);
      if (rest.length === 2) return ok(batchInfo(b, p.batchIntervalMs, (id) => p.streamName(id)));
      if (rest[2] !== 'operations') return notFound(`no REST resource '${rest[2]}' under a batch; use operations`);
      if (rest.length === 3) return ok(b.outputOps.map(outputOperationInfo));
      const op = b.outputOps.find((o) => o.id === Number(rest[3]));
      return op ? ok(outputOperationInfo(op)) : notFound(`batch ${id} has no output operation '${rest[3]}'`);
    }
    case 'dashboards': {
      if (rest.length === 1) return ok(j.dashboards.views());
      const name = decodeURIComponent(rest[1]);
      if (rest.length > 2 || !j.dashboards.has(name)) {
        return notFound(`application ${j.id} has no dashboard ${JSON.stringify(name)}${rest.length > 2 ? ` with a resource '${rest.slice(2).join('/')}'` : ''}; /streaming/dashboards lists them (${JSON.stringify(j.dashboards.names())})`);
      }
      return ok(j.dashboards.view(name));
    }
    default:
      return notFound(`no REST resource 'streaming/${rest[0] ?? ''}'; use statistics, receivers, batches or dashboards`);
  }
}
