import type { DriverNode } from '../driver-node.js';
import type { DriverJob } from '../job/driver-job.js';
import { restApi } from './rest-api.js';

/*
 * The REST API's answers as the UI's pages read them: each page of Spark's other tabs
 * (Environment, Storage, Stages, Executors) is built from the answer of the REST resource
 * Spark's page shows, read through restApi itself, so the page and the REST API always agree.
 * These shapes are the fields of those answers the pages use (rest-api.ts builds them).
 */

/** `environment` (Spark's ApplicationEnvironmentInfo). */
export interface EnvironmentView {
  readonly runtime: { readonly nodeVersion: string };
  readonly sparkProperties: readonly (readonly [string, string])[];
}

/** `storage/rdd[/{id}]` (Spark's RDDStorageInfo); the distribution and partitions with details. */
export interface RddStorageView {
  readonly id: number;
  readonly name: string;
  readonly numPartitions: number;
  readonly numCachedPartitions: number;
  readonly storageLevel: string;
  /** The blocks' bytes in memory and their decoded copies' estimated heap (decodedMemoryUsed, part of it). */
  readonly memoryUsed: number;
  readonly diskUsed: number;
  /** Sluice's: of memoryUsed, the decoded copies task threads keep of a deserialized level's blocks (perf31). */
  readonly decodedMemoryUsed: number;
  readonly dataDistribution?: readonly { readonly address: string | undefined; readonly memoryUsed: number; readonly decodedMemoryUsed: number; readonly memoryRemaining: number; readonly diskUsed: number }[];
  readonly partitions?: readonly { readonly blockName: string; readonly storageLevel: string; readonly memoryUsed: number; readonly diskUsed: number; readonly decodedMemoryUsed: number; readonly executors: readonly string[] }[];
}

/** A task attempt of `taskList` and of a stage's `tasks` (Spark's TaskData). */
export interface TaskDataView {
  readonly taskId: string;
  readonly index: number;
  readonly attempt: number;
  readonly partitionId: number;
  readonly launchTime: string;
  readonly duration: number;
  readonly executorId: string;
  readonly host: string | undefined;
  readonly status: string;
  readonly speculative: boolean;
  readonly taskLocality: string;
  readonly errorMessage: string | undefined;
  readonly taskMetrics: {
    readonly executorDeserializeTime: number;
    readonly executorRunTime: number;
    readonly resultSize: number;
    readonly resultSerializationTime: number;
    readonly memoryBytesSpilled: number;
    readonly diskBytesSpilled: number;
    readonly shuffleReadMetrics: { readonly totalBytesRead: number; readonly recordsRead: number; readonly fetchWaitTime: number };
    readonly shuffleWriteMetrics: { readonly bytesWritten: number; readonly recordsWritten: number };
    readonly inputMetrics: { readonly bytesRead: number; readonly recordsRead: number };
    readonly outputMetrics: { readonly bytesWritten: number; readonly recordsWritten: number };
  };
  readonly schedulerDelay: number;
  readonly gettingResultTime: number;
}

/** An executor's figures for one stage attempt (Spark's ExecutorStageSummary). */
export interface ExecutorStageSummaryView {
  readonly taskTime: number;
  readonly failedTasks: number;
  readonly succeededTasks: number;
  readonly killedTasks: number;
  readonly shuffleRead: number;
  readonly shuffleReadRecords: number;
  readonly shuffleWrite: number;
  readonly shuffleWriteRecords: number;
  readonly memoryBytesSpilled: number;
  readonly diskBytesSpilled: number;
}

/** `stages[/{id}[/{attempt}]]` (Spark's StageData); `tasks` and `executorSummary` with details. */
export interface StageDataView {
  readonly status: string;
  readonly stageId: number;
  readonly attemptId: number;
  readonly jobIds: readonly number[];
  readonly name: string;
  readonly numTasks: number;
  readonly numActiveTasks: number;
  readonly numCompleteTasks: number;
  readonly numFailedTasks: number;
  readonly numKilledTasks: number;
  readonly executorRunTime: number;
  readonly submissionTime: string | undefined;
  readonly completionTime: string | undefined;
  readonly duration: number | undefined;
  readonly inputBytes: number;
  readonly inputRecords: number;
  readonly outputBytes: number;
  readonly outputRecords: number;
  readonly memoryBytesSpilled: number;
  readonly diskBytesSpilled: number;
  readonly shuffleReadBytes: number;
  readonly shuffleWriteBytes: number;
  readonly failureReason: string | undefined;
  readonly schedulingPool: string;
  readonly accumulatorUpdates: readonly { readonly id: number; readonly name: string; readonly value: string }[];
  readonly failedTasks: readonly { readonly taskId: string; readonly partition: number; readonly executorId: string; readonly time: string | undefined; readonly errorMessage: string; readonly location: string | undefined }[];
  readonly tasks?: Readonly<Record<string, TaskDataView>>;
  readonly executorSummary?: Readonly<Record<string, ExecutorStageSummaryView>>;
}

/** `taskSummary` (Spark's TaskMetricDistributions). */
export interface TaskSummaryView {
  readonly quantiles: readonly number[];
  readonly duration: readonly number[];
  readonly executorDeserializeTime: readonly number[];
  readonly executorRunTime: readonly number[];
  readonly resultSize: readonly number[];
  readonly resultSerializationTime: readonly number[];
  readonly gettingResultTime: readonly number[];
  readonly schedulerDelay: readonly number[];
  readonly memoryBytesSpilled: readonly number[];
  readonly diskBytesSpilled: readonly number[];
  readonly shuffleReadMetrics: { readonly readBytes: readonly number[]; readonly readRecords: readonly number[]; readonly fetchWaitTime: readonly number[] };
  readonly shuffleWriteMetrics: { readonly writeBytes: readonly number[]; readonly writeRecords: readonly number[] };
  readonly inputMetrics: { readonly bytesRead: readonly number[]; readonly recordsRead: readonly number[] };
  readonly outputMetrics: { readonly bytesWritten: readonly number[]; readonly recordsWritten: readonly number[] };
}

/** `executors` and `allexecutors` (Spark's ExecutorSummary): the driver's (id "driver"), each worker's. */
export interface ExecutorView {
  readonly id: string;
  readonly hostPort: string;
  readonly isActive: boolean;
  /** Excluded for every job (spark.excludeOnFailure); the driver's row has none. */
  readonly isExcluded?: boolean;
  /** Stages of this job whose running attempt excludes it. */
  readonly excludedInStages?: readonly number[];
  readonly totalCores: number;
  readonly activeTasks: number;
  readonly completedTasks: number;
  readonly failedTasks: number;
  readonly totalTasks: number;
  readonly totalDuration: number;
  /** Input bytes read by this job's task attempts there (Spark's totalInputBytes). */
  readonly totalInputBytes: number;
  readonly totalShuffleRead: number;
  readonly totalShuffleWrite: number;
  readonly memoryUsed: number;
  readonly maxMemory: number;
  readonly diskUsed: number;
  readonly rddBlocks: number;
  /** The process's resident memory (the driver's, a worker's as its heartbeat told it; 0 for a removed one). */
  readonly rssBytes: number;
  /** Set for a removed worker (allexecutors' dead ones). */
  readonly removeTime?: string;
  readonly removeReason?: string;
}

/** What the REST API answers about job `j` at `resource` (under /api/v1/applications/{id}/). */
export type RestRead<T> = { readonly ok: true; readonly body: T } | { readonly ok: false; readonly status: number; readonly error: string };

export function readRest<T>(d: DriverNode, j: DriverJob, resource: string, query: Record<string, string> = {}): RestRead<T> {
  const r = restApi(d, `/api/v1/applications/${encodeURIComponent(j.id)}/${resource}`, new URLSearchParams(query));
  if (r.status === 200) return { ok: true, body: r.body as T };
  return { ok: false, status: r.status, error: (r.body as { error?: string }).error ?? `HTTP ${r.status}` };
}

/** A REST date ("2015-06-12T00:00:00.000GMT") in ms, or undefined. */
export function restDate(s: string | undefined): number | undefined {
  return s === undefined ? undefined : Date.parse(s.replace(/GMT$/, 'Z'));
}
