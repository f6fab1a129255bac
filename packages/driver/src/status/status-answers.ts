import type { SparkJobInfo, SparkStageInfo, StatusAnswer, StatusQuery } from '@sluice/core/internal';
import type { StageProgress } from '../scheduler/task-set-manager.js';
import type { JobStageStatus, StageRecord } from './job-stage-status.js';

/**
 * sc.statusTracker's answers (Spark's SparkStatusTracker over its AppStatusStore) from one
 * submitted job's status (the jobs and stage attempts its pages keep), its stage attempts
 * running now (`running`: their running tasks) and the stages of its running actions
 * (`liveStageIds`, by job id). Ids ascending.
 * Threading: driver main thread.
 */
export function answerStatus(query: StatusQuery, status: JobStageStatus, running: readonly StageProgress[], liveStageIds: (jobId: number) => readonly number[] | undefined): StatusAnswer {
  const ascending = (ids: Iterable<number>): number[] => [...new Set(ids)].sort((a, b) => a - b);
  switch (query.kind) {
    case 'jobIdsForGroup':
      return ascending(status.allJobs().flatMap((j) => ((j.properties.group ?? null) === query.group ? [j.jobId] : [])));
    case 'jobIdsForTag':
      return ascending(status.allJobs().flatMap((j) => (j.properties.tags?.includes(query.tag) ? [j.jobId] : [])));
    case 'activeJobIds':
      return ascending(status.allJobs().flatMap((j) => (j.status === 'RUNNING' ? [j.jobId] : [])));
    case 'activeStageIds':
      return ascending(status.allStages().flatMap((s) => (s.status === 'ACTIVE' ? [s.stageId] : [])));
    case 'jobInfo': {
      const j = status.job(query.jobId);
      if (j === undefined) return null;
      // Its stages: those the DAG scheduler gave it (while it runs, or as its end said), and those submitted for it.
      return { jobId: j.jobId, stageIds: ascending(status.jobStages(j, liveStageIds).stageIds), status: j.status } satisfies SparkJobInfo;
    }
    case 'stageInfo': {
      let latest: StageRecord | undefined;
      for (const s of status.allStages()) if (s.stageId === query.stageId && (latest === undefined || s.attemptId > latest.attemptId)) latest = s;
      if (latest === undefined) return null;
      const now = running.find((p) => p.stageId === latest.stageId && p.stageAttempt === latest.attemptId);
      return {
        stageId: latest.stageId,
        currentAttemptId: latest.attemptId,
        submissionTime: latest.submissionTime,
        name: latest.name,
        numTasks: latest.numTasks,
        numActiveTasks: latest.status === 'ACTIVE' ? (now?.runningTasks ?? 0) : 0,
        numCompletedTasks: latest.numCompleteTasks,
        numFailedTasks: latest.numFailedTasks,
      } satisfies SparkStageInfo;
    }
  }
}
