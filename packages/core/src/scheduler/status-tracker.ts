import { SluiceError } from '../errors.js';
import type { LineageGraph } from '../rdd/plan.js';
import type { StoredRddInfo } from '../rdd/rdd-info.js';

/** Spark's JobExecutionStatus. */
export type JobExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'UNKNOWN';

/** Spark's SparkJobInfo: an action's job, the stages it ran and how it stands. */
export interface SparkJobInfo {
  readonly jobId: number;
  /** The stages the job submitted, ascending (a shuffle's map stage another job already ran is not among them). */
  readonly stageIds: readonly number[];
  readonly status: JobExecutionStatus;
}

/** Spark's SparkStageInfo: a stage's latest attempt. */
export interface SparkStageInfo {
  readonly stageId: number;
  readonly currentAttemptId: number;
  /** When the attempt was submitted (ms since the epoch, the driver's clock). */
  readonly submissionTime: number;
  /** Spark's stage name: a result stage its job's action's call site (`collect at job.ts:12:5`), a shuffle map stage its map side's creation site (`map at job.ts:10:5`). */
  readonly name: string;
  readonly numTasks: number;
  readonly numActiveTasks: number;
  readonly numCompletedTasks: number;
  readonly numFailedTasks: number;
}

/** What the driver is asked about the program's jobs and stages (the backend's `status`). */
export type StatusQuery =
  | { readonly kind: 'jobIdsForGroup'; readonly group: string | null }
  | { readonly kind: 'jobIdsForTag'; readonly tag: string }
  | { readonly kind: 'activeJobIds' }
  | { readonly kind: 'activeStageIds' }
  | { readonly kind: 'jobInfo'; readonly jobId: number }
  | { readonly kind: 'stageInfo'; readonly stageId: number }
  /** The program's persisted RDDs with cached partitions (sc.getRDDStorageInfo). */
  | { readonly kind: 'rddStorage' }
  /** The workers a task over `partition` of the graph's root would prefer now (rdd.preferredLocations). */
  | { readonly kind: 'preferredLocations'; readonly graph: LineageGraph; readonly partition: number };

/** The driver's answer: ids, or one job's or stage's info (null: not known, Spark's None). */
export type StatusAnswer = readonly number[] | SparkJobInfo | SparkStageInfo | readonly StoredRddInfo[] | readonly string[] | null;

/**
 * Spark's SparkStatusTracker (`sc.statusTracker`): the program's jobs and stages as the
 * driver's status pages know them, asked of the driver's main thread each call and answered
 * at once (the program waits for the answer, as Spark's reads its status store). Only what
 * the status pages keep is known: the latest jobs and stages (1,000 at least), as Spark keeps
 * spark.ui.retainedJobs; older ones are not found. Job ids are the ones FutureAction.jobIds,
 * sc.cancelJob and the status pages use.
 */
export class StatusTracker {
  constructor(private readonly ask: (query: StatusQuery) => StatusAnswer) {}

  /** The ids of the jobs started in job group `jobGroup` (null or undefined: those started in none), ascending. */
  getJobIdsForGroup(jobGroup: string | null | undefined): number[] {
    if (jobGroup !== null && jobGroup !== undefined && typeof jobGroup !== 'string') {
      throw new SluiceError('SLUICE_BAD_ARGUMENT', `sc.statusTracker.getJobIdsForGroup: the group must be a string (or null for the jobs in no group), got ${typeof jobGroup}`);
    }
    return [...(this.ask({ kind: 'jobIdsForGroup', group: jobGroup ?? null }) as readonly number[])];
  }

  /** The ids of the jobs started with `jobTag` among their tags (sc.addJobTag), ascending. */
  getJobIdsForTag(jobTag: string): number[] {
    if (typeof jobTag !== 'string') throw new SluiceError('SLUICE_BAD_ARGUMENT', `sc.statusTracker.getJobIdsForTag: the tag must be a string, got ${jobTag === null ? 'null' : typeof jobTag}`);
    return [...(this.ask({ kind: 'jobIdsForTag', tag: jobTag }) as readonly number[])];
  }

  /** The ids of the jobs running now, ascending. */
  getActiveJobIds(): number[] {
    return [...(this.ask({ kind: 'activeJobIds' }) as readonly number[])];
  }

  /** The ids of the stages running now, ascending. */
  getActiveStageIds(): number[] {
    return [...(this.ask({ kind: 'activeStageIds' }) as readonly number[])];
  }

  /** Job `jobId`'s info; undefined when the driver does not know it (Spark's None). */
  getJobInfo(jobId: number): SparkJobInfo | undefined {
    return (this.ask({ kind: 'jobInfo', jobId: idArgument('getJobInfo', 'job id', jobId) }) as SparkJobInfo | null) ?? undefined;
  }

  /** Stage `stageId`'s latest attempt's info; undefined when the driver does not know it (Spark's None). */
  getStageInfo(stageId: number): SparkStageInfo | undefined {
    return (this.ask({ kind: 'stageInfo', stageId: idArgument('getStageInfo', 'stage id', stageId) }) as SparkStageInfo | null) ?? undefined;
  }
}

function idArgument(method: string, what: string, id: unknown): number {
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) {
    throw new SluiceError('SLUICE_BAD_ARGUMENT', `sc.statusTracker.${method}: the ${what} must be a whole number >= 0, got ${typeof id === 'number' ? id : typeof id}`);
  }
  return id;
}
