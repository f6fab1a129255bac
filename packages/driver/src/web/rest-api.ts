import { failureReason, type FallingBehind } from '@sluice/core/internal';
import type { DriverNode } from '../driver-node.js';
import type { DriverJob } from '../job/driver-job.js';
import type { JobRecord, JobStageStatus, StageRecord } from '../status/job-stage-status.js';
import type { BatchRecord, OutputOpRecord, StreamingProgress } from '../status/streaming-progress.js';

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
const JOB_STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED'] as const;
const STAGE_STATUSES = ['ACTIVE', 'COMPLETE', 'FAILED', 'SKIPPED'] as const;

/** A mean of whole ms, as Spark's avgTime: a Long sum divided by the count (truncated). */
function avg(xs: readonly number[]): number | undefined {
  return xs.length === 0 ? undefined : Math.trunc(xs.reduce((a, b) => a + b, 0) / xs.length);
}

function statusFilter<T extends string>(query: URLSearchParams, allowed: readonly T[]): T[] | string {
  const asked = query.getAll('status').map((s) => s.toUpperCase());
  const bad = asked.find((s) => !(allowed as readonly string[]).includes(s));
  if (bad !== undefined) return `unknown status '${bad}': use one of ${allowed.join(', ')}`;
  return asked as T[];
}

/** `/api/v1/applications/{id}` (Spark's ApplicationInfo): one per submitted job. */
export function applicationInfo(j: DriverJob, now: number): unknown {
  const end = j.endedAt;
  return {
    id: j.id,
    name: j.name,
    streaming: j.streaming,
    state: j.state,
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

/** Spark's StreamingStatistics, and (Sluice's) whether the job falls behind. */
export function streamingStatistics(p: StreamingProgress, receiversActive: number, fallingBehind: FallingBehind | undefined): unknown {
  const done = p.completedBatches();
  const receivers = p.receivers();
  const records = done.reduce((a, b) => a + b.numRecords, 0);
  const span = done.length * p.batchIntervalMs;
  return {
    startTime: sparkDate(p.startTime),
    startTimeEpoch: p.startTime,
    batchDuration: p.batchIntervalMs,
    numReceivers: receivers.length,
    numActiveReceivers: receiversActive,
    numInactiveReceivers: receivers.length - receiversActive,
    numTotalCompletedBatches: p.numTotalCompletedBatches,
    numRetainedCompletedBatches: done.length,
    numActiveBatches: p.activeBatches().length,
    numProcessedRecords: p.numProcessedRecords,
    numReceivedRecords: p.numReceivedRecords,
    avgInputRate: span > 0 ? records / (span / 1000) : undefined,
    avgSchedulingDelay: avg(done.map((b) => b.processingStartTime! - b.batchTime)),
    avgProcessingTime: avg(done.map((b) => b.processingEndTime! - b.processingStartTime!)),
    avgTotalDelay: avg(done.map((b) => b.processingEndTime! - b.batchTime)),
    fallingBehind: fallingBehind && { ...fallingBehind, message: fallingBehindMessage(fallingBehind, p.batchIntervalMs) },
  };
}

/** Spark's streaming BatchInfo. batchId is the batch time in ms, as in Spark. */
export function batchInfo(b: BatchRecord, batchDuration: number): unknown {
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
    numActiveOutputOps: b.outputOps.filter((o) => o.startTime !== undefined && o.endTime === undefined).length,
    numCompletedOutputOps: b.outputOps.filter((o) => o.endTime !== undefined && o.failure === undefined).length,
    numFailedOutputOps: failed.length,
    numTotalOutputOps: b.outputOps.length,
    // Spark's: the failure's Utils.exceptionString, the message then its stack.
    firstFailureReason: failed[0]?.failure && failureReason(failed[0].failure),
  };
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
    jobIds: o.jobIds,
  };
}

/**
 * Spark's JobData: `stageIds` every stage the job ran or waited on, those it found computed
 * (skipped: `numSkippedStages`, `numSkippedTasks`) too; its task and stage counts those of the
 * stages it submitted and of those another job's it waited on while they ran; `liveStageIds` a running job's (the DAG
 * scheduler's, by job id).
 */
export function jobData(s: JobStageStatus, j: JobRecord, activeTasks: (stageId: number) => number, liveStageIds: (jobId: number) => readonly number[] | undefined): unknown {
  const all = s.jobStages(j, liveStageIds);
  // Its own stage attempts and those of another job's it waited on while they ran (Spark's LiveStage.jobs).
  const stages = [...s.stagesOf(j), ...all.joined];
  const t = j.properties.outputOperation;
  return {
    jobId: j.jobId,
    name: j.name,
    description: t ? `batch ${t.batchTime}, output operation ${t.outputOpId}` : j.properties.description,
    submissionTime: sparkDate(j.submissionTime),
    completionTime: sparkDate(j.completionTime),
    stageIds: all.stageIds,
    status: j.status,
    numTasks: stages.reduce((a, x) => a + x.numTasks, 0),
    numActiveTasks: stages.reduce((a, x) => a + (x.status === 'ACTIVE' ? activeTasks(x.stageId) : 0), 0),
    numCompletedTasks: stages.reduce((a, x) => a + x.numCompleteTasks, 0),
    numFailedTasks: stages.reduce((a, x) => a + x.numFailedTasks, 0),
    numKilledTasks: stages.reduce((a, x) => a + x.numKilledTasks, 0),
    killedTasksSummary: killedSummary(stages),
    numSkippedTasks: all.skippedTasks,
    numActiveStages: stages.filter((x) => x.status === 'ACTIVE').length,
    numCompletedStages: stages.filter((x) => x.status === 'COMPLETE').length,
    numSkippedStages: all.skippedStages,
    numFailedStages: stages.filter((x) => x.status === 'FAILED').length,
    failureReason: j.failureReason,
    batchId: t?.batchTime,
    outputOpId: t?.outputOpId,
  };
}

/** Spark's killedTasksSummary (JobData's and StageData's): the stage attempts' killed tasks by reason, summed. */
function killedSummary(stages: readonly Pick<StageRecord, 'killedTasksSummary'>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of stages) for (const [reason, n] of x.killedTasksSummary) out[reason] = (out[reason] ?? 0) + n;
  return out;
}

/** A stage attempt as the REST API shows it: its record, or a skipped one's view of it. */
type StageView = Omit<StageRecord, 'status'> & { status: StageRecord['status'] | 'SKIPPED' };

/**
 * A stage attempt as REST /stages shows it. Spark's AppStatusListener gives a job's every stage a
 * fresh LiveStage at its start (onJobStart, keyed by stage id and attempt) and, at its end, writes
 * those still PENDING as SKIPPED over what the store kept under that key (onJobEnd): an attempt an
 * ended job skipped (StageRecord.skipped, marked at that job's end: an earlier action had computed
 * it) shows SKIPPED, its StageInfo (name, tasks, times), with no task counts or metrics of its own,
 * its job the last one that skipped it.
 */
function stageView(x: StageRecord): StageView {
  if (x.skipped === undefined) return x;
  return { ...x, jobId: x.skipped.by, status: 'SKIPPED', numCompleteTasks: 0, numFailedTasks: 0, numKilledTasks: 0, killedTasksSummary: new Map(), executorRunTime: 0, maxTaskTime: 0, shuffleReadBytes: 0, shuffleWriteBytes: 0, failures: [] };
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
    numActiveTasks: x.status === 'ACTIVE' ? activeTasks : 0,
    numCompleteTasks: x.numCompleteTasks,
    numFailedTasks: x.numFailedTasks,
    numKilledTasks: x.numKilledTasks,
    killedTasksSummary: killedSummary([x]),
    executorRunTime: x.executorRunTime,
    maxTaskTime: x.maxTaskTime,
    submissionTime: sparkDate(x.submissionTime),
    completionTime: sparkDate(x.completionTime),
    duration: x.completionTime !== undefined ? x.completionTime - x.submissionTime : undefined,
    shuffleReadBytes: x.shuffleReadBytes,
    shuffleWriteBytes: x.shuffleWriteBytes,
    failureReason: x.failureReason,
    failedTasks: x.failures.map((f) => ({ taskId: f.taskId, partition: f.partition, executorId: f.workerId, time: sparkDate(f.time), errorMessage: f.message, location: f.location, stack: f.stack })),
    // Named accumulators the stage's tasks updated, by id: { id, name, value } (no `update`, None for a stage).
    accumulatorUpdates: [...x.accumulables.values()].sort((a, b) => a.id - b.id).map((a) => ({ id: a.id, name: a.name, value: a.value })),
  };
}

/** Spark's ExecutorSummary for each worker (the same for every application: workers are shared). */
export function executors(d: DriverNode): unknown[] {
  return d.registry.all().map((w) => ({
    id: w.id,
    hostPort: w.address,
    isActive: w.unresponsiveSince === undefined,
    totalCores: w.cores,
    activeTasks: w.cores - w.freeSlots,
    completedTasks: w.tasksCompleted,
    memoryUsed: w.storage?.memoryBytes ?? 0,
    maxMemory: w.storage?.memoryLimitBytes ?? 0,
    diskUsed: w.storage?.diskBytes ?? 0,
    rssBytes: w.storage?.rssBytes ?? 0,
    rddBlocks: w.storage?.rddBlocks ?? 0,
    inputBlocks: w.storage?.inputBlocks ?? 0,
    shuffleBlocks: w.storage?.shuffleBlocks ?? 0,
    broadcastBlocks: w.storage?.broadcastBlocks ?? 0,
  }));
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
 * `stages[?status=]`, `stages/{stageId}[/{attemptId}]`, `executors`; and `/api/v1/workers`.
 * Field names follow Spark's (status/api/v1 and its streaming package); lists of batches
 * are newest first, as Spark's.
 */
export function restApi(d: DriverNode, path: string, query: URLSearchParams): RestReply {
  const parts = path.split('/').filter((x) => x !== '').slice(2); // after api/v1
  if (parts[0] === 'workers' && parts.length === 1) return ok(workers(d));
  if (parts[0] !== 'applications') return notFound(`no REST resource /api/v1/${parts.join('/')}; start at /api/v1/applications (or /api/v1/workers)`);
  if (parts.length === 1) return ok([...d.jobs.values()].map((x) => applicationInfo(x, d.now())));
  const j = d.jobs.get(decodeURIComponent(parts[1]));
  if (!j) return notFound(`no application (job) '${decodeURIComponent(parts[1])}'; /api/v1/applications lists them`);
  const rest = parts.slice(2);
  if (rest.length === 0) return ok(applicationInfo(j, d.now()));
  const runningByStage = (): ((stageId: number) => number) => {
    const running = d.dag.runningTasks(j.runId);
    return (stageId) => running.filter((t) => t.stageId === stageId).length;
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
      const jobIdsOf = j.stages.stageJobIds((jobId) => d.dag.actionStageIds(j.runId, jobId));
      const show = (x: StageRecord): unknown => stageData(stageView(x), active(x.stageId), jobIdsOf(x));
      if (rest.length === 1) {
        const f = statusFilter(query, STAGE_STATUSES);
        if (typeof f === 'string') return badRequest(f);
        return ok(j.stages.allStages().filter((x) => f.length === 0 || f.includes(stageView(x).status)).reverse().map(show));
      }
      const id = Number(rest[1]);
      const attempts = j.stages.allStages().filter((x) => x.stageId === id);
      if (attempts.length === 0) return notFound(`application ${j.id} has no stage '${rest[1]}' (or it is no longer kept)`);
      if (rest.length === 2) return ok(attempts.map(show));
      const a = attempts.find((x) => x.attemptId === Number(rest[2]));
      return a ? ok(show(a)) : notFound(`stage ${id} of application ${j.id} has no attempt '${rest[2]}'`);
    }
    case 'executors':
      return ok(executors(d));
    default:
      return notFound(`no REST resource '${rest[0]}' under /api/v1/applications/${j.id}; use streaming, jobs, stages or executors`);
  }
}

function streamingApi(j: DriverJob, rest: readonly string[], query: URLSearchParams, now: number): RestReply {
  const p = j.progress;
  if (!j.streaming) return notFound(`application ${j.id} is not a streaming job (it started no StreamingContext)`);
  const running = p.receivers().filter((r) => r.active).length;
  switch (rest[0]) {
    case 'statistics':
      return ok(streamingStatistics(p, running, j.state === 'running' ? j.fallingBehind : undefined));
    case 'receivers': {
      const list = p.receivers().map((r) => ({
        streamId: r.streamId,
        streamName: r.name,
        isActive: r.active,
        executorId: r.workerId,
        executorHost: r.workerId !== undefined ? j.workerAddress(r.workerId) : undefined,
        lastErrorTime: sparkDate(r.lastErrorTime),
        lastErrorMessage: r.lastErrorMessage,
        lastError: r.lastError,
        avgEventRate: p.receiverRate(r),
        numRecords: r.numRecords,
      }));
      if (rest.length === 1) return ok(list);
      const one = list.find((r) => r.streamId === Number(rest[1]));
      return one ? ok(one) : notFound(`application ${j.id} has no receiver for stream '${rest[1]}'`);
    }
    case 'batches': {
      const all = [...p.activeBatches(), ...p.completedBatches().reverse()];
      if (rest.length === 1) {
        const f = statusFilter(query, BATCH_STATUSES);
        if (typeof f === 'string') return badRequest(f);
        return ok(all.filter((b) => f.length === 0 || f.includes(b.status)).map((b) => batchInfo(b, p.batchIntervalMs)));
      }
      const id = Number(rest[1]);
      if (!Number.isSafeInteger(id)) return badRequest(`batch id '${rest[1]}' is not a number: a batch id is its batch time in ms, as /streaming/batches lists them`);
      const b = p.batch(id);
      if (!b) return notFound(`application ${j.id} has no batch ${id} (or it is no longer kept: the last ${p.retainedBatches} are)`);
      if (rest.length === 2) return ok(batchInfo(b, p.batchIntervalMs));
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
