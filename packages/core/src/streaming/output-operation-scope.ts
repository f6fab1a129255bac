import { AsyncLocalStorage } from 'node:async_hooks';

/** Which output operation of which batch an action runs for (Spark's `spark.streaming.internal.batchTime` / `outputOpId` local properties). */
export interface OutputOperationTag {
  readonly batchTime: number;
  /** The output operation's id: its place among the context's outputs, in registration order. */
  readonly outputOpId: number;
}

/**
 * Spark tags the jobs an output operation runs with thread-local properties; a driver
 * program here is one thread running many awaits, so the tag travels with the async
 * context instead: every action started (directly or after awaits) inside
 * `runInOutputOperation` sees the tag through `currentOutputOperation()`.
 */
const scope = new AsyncLocalStorage<OutputOperationTag>();

export function runInOutputOperation<T>(tag: OutputOperationTag, fn: () => T): T {
  return scope.run(tag, fn);
}

/** The output operation the calling code runs in, if any. */
export function currentOutputOperation(): OutputOperationTag | undefined {
  return scope.getStore();
}
