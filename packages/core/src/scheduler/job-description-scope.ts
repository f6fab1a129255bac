import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * A description for the actions started inside a scope, as Spark's `sc.setJobDescription`
 * (the `spark.job.description` local property) shown in its UI's job list. A driver
 * program here is one thread running many awaits, so the description travels with the
 * async context (as `runInOutputOperation`'s tag does): every action started inside
 * `runWithJobDescription` sees it through `currentJobDescription()`. The job group and tags
 * an action was started with travel the same way (`runInJobGroup`), to the driver's status
 * (sc.statusTracker's getJobIdsForGroup and getJobIdsForTag).
 */
const scope = new AsyncLocalStorage<string>();

export function runWithJobDescription<T>(description: string, fn: () => T): T {
  return scope.run(description, fn);
}

/** The description of the actions the calling code starts, if one was set. */
export function currentJobDescription(): string | undefined {
  return scope.getStore();
}

/** The job group, tags and scheduler pool of an action (Spark's spark.jobGroup.id, spark.job.tags and spark.scheduler.pool). */
export interface JobGroupTags {
  readonly group?: string;
  readonly tags?: readonly string[];
  readonly pool?: string;
}

const groupScope = new AsyncLocalStorage<JobGroupTags>();

export function runInJobGroup<T>(groupTags: JobGroupTags, fn: () => T): T {
  return groupScope.run(groupTags, fn);
}

/** The job group and tags of the action the calling code starts, if it has any. */
export function currentJobGroup(): JobGroupTags | undefined {
  return groupScope.getStore();
}
