import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * A description for the actions started inside a scope, as Spark's `sc.setJobDescription`
 * (the `spark.job.description` local property) shown in its UI's job list. A driver
 * program here is one thread running many awaits, so the description travels with the
 * async context (as `runInOutputOperation`'s tag does): every action started inside
 * `runWithJobDescription` sees it through `currentJobDescription()`.
 */
const scope = new AsyncLocalStorage<string>();

export function runWithJobDescription<T>(description: string, fn: () => T): T {
  return scope.run(description, fn);
}

/** The description of the actions the calling code starts, if one was set. */
export function currentJobDescription(): string | undefined {
  return scope.getStore();
}
