import { getHeapStatistics } from 'node:v8';
import { isTooManyOpenFiles, tooManyOpenFilesFix } from '@sluice/core/internal';

/** The code of the error Node gives a worker thread it stopped because its heap reached V8's limit. */
const OUT_OF_MEMORY_CODE = 'ERR_WORKER_OUT_OF_MEMORY';

/**
 * Why a task or receiver thread died, from the error its 'error' event gave, in words a
 * user can act on. A thread whose JavaScript heap reached V8's limit is stopped by Node
 * (ERR_WORKER_OUT_OF_MEMORY, "Worker terminated due to reaching memory limit: JS heap out of
 * memory"), which names neither the limit nor what sets it. Spark's counterpart is an
 * executor's OutOfMemoryError, reported as ExecutorLostFailure "... exited caused by one of
 * the running tasks" with the memory setting to raise (spark.executor.memory); here only the
 * thread dies, so the worker and its other tasks go on, and the message names the heap limit
 * (each thread of a process gets the same one: V8's options are the process's, so the main
 * thread's is the thread's) and the option that raises it. Any other error: its name and message.
 */
export function threadDeathReason(err: unknown, what: 'task' | 'receiver'): string {
  if (!(err instanceof Error)) return String(err);
  // A thread that cannot start for want of descriptors: ERR_WORKER_INIT_FAILED, 'Worker initialization failure: EMFILE'.
  if (isTooManyOpenFiles(err)) return `${err.name}: ${err.message}. ${tooManyOpenFilesFix('This worker process')}`;
  if ((err as NodeJS.ErrnoException).code !== OUT_OF_MEMORY_CODE) return `${err.name}: ${err.message}`;
  const limitMiB = Math.round(getHeapStatistics().heap_size_limit / (1024 * 1024));
  const keepLess =
    what === 'task'
      ? 'or make the task hold less at once: more partitions (repartition(n), a larger numPartitions), reduceByKey or aggregateByKey where groupByKey keeps every value of a key (more partitions do not split one key: a skewed key holding most of the records stays in one task, so combine its values or salt it), a partition iterated rather than made into an array'
      : "or make the receiver hold less at once: a lower rate (receiverMaxRate, spark.streaming.receiver.maxRate) or a shorter blockInterval, and no records kept in the receiver's own memory";
  return (
    `it ran out of JavaScript heap and was stopped (${OUT_OF_MEMORY_CODE}: ${err.message}; ` +
    `its heap limit, V8's heap_size_limit, is ${limitMiB} MiB on this worker). Give the workers a larger heap, ` +
    `NODE_OPTIONS=--max-old-space-size=MIB on 'sluice worker' (or 'sluice run'; Spark's spark.executor.memory): ` +
    `each task thread gets that limit, so a worker with N cores may use N times it; ${keepLess}`
  );
}
