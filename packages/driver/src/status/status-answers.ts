import type { LineageGraph, SparkJobInfo, SparkStageInfo, StatusAnswer, StatusQuery } from '@sluice/core/internal';
import type { RunningTaskInfo } from '../scheduler/task-set-manager.js';
import type { StoredRdd } from '../scheduler/dag-scheduler.js';
import type { JobStageStatus, StageRecord } from './job-stage-status.js';
import { storedRddInfo } from './stored-rdd-sizes.js';

/**
 * sc.statusTracker's answers (Spark's SparkStatusTracker over its AppStatusStore) from one
 * submitted job's status (the jobs and stage attempts its pages keep), its task attempts
 * running now (`running`: a zombie stage attempt's too, as the REST API's) and the stages of its running actions
 * (`liveStageIds`, by job id). Ids ascending.
 * Threading: driver main thread.
 */
export function answerStatus(
  query: StatusQuery,
  status: JobStageStatus,
  running: readonly RunningTaskInfo[],
  liveStageIds: (jobId: number) => readonly number[] | undefined,
  stored: () => readonly StoredRdd[] = () => [],
  preferred: (graph: LineageGraph, partition: number) => readonly string[] = () => [],
): StatusAnswer {
  const ascending = (ids: Iterable<number>): number[] => [...new Set(ids)].sort((a, b) => a - b);
  switch (query.kind) {
    case 'rddStorage':
      return stored().flatMap((r) => storedRddInfo(r) ?? []);
    case 'preferredLocations':
      return preferred(query.graph, query.partition);
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
      // Spark's lastStageAttempt's numActiveTasks (LiveStage.activeTasks, whatever its status): the
      // attempts running in it, an ACTIVE one's or those a fetch failure left running in a FAILED
      // one (a zombie) until its next attempt is submitted, as REST's numActiveTasks.
      const active = latest.status === 'ACTIVE' || latest.status === 'FAILED' ? running.filter((t) => t.stageId === latest.stageId && t.stageAttempt === latest.attemptId).length : 0;
      return {
        stageId: latest.stageId,
        currentAttemptId: latest.attemptId,
        submissionTime: latest.submissionTime,
        name: latest.name,
        numTasks: latest.numTasks,
        numActiveTasks: active,
        numCompletedTasks: latest.numCompleteTasks,
        numFailedTasks: latest.numFailedTasks,
      } satisfies SparkStageInfo;
    }
  }
}
