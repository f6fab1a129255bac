import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Spark's TaskContext, as far as a task's functions read it: `TaskContext.get()` inside a
 * function that runs on a worker is the running task's context, whose `partitionId()` is the
 * partition it computes, so the streaming guide's exactly-once output pattern ports as written:
 *
 *   dstream.foreachRDD(async (rdd, time) => {
 *     await rdd.foreachPartition((partitionIterator) => {
 *       const partitionId = TaskContext.get()!.partitionId();
 *       const uniqueId = `${time}-${partitionId}`;   // commit the partition under this id
 *     });
 *   });
 *
 * Outside a task (on the driver program) `get()` is undefined, Spark's null. A task over a range
 * of partitions gives each partition's functions that partition's id. Spark's other accessors
 * (stageId, attemptNumber, taskAttemptId, listeners, local properties) are not provided.
 * Since 2026-12-05.
 */
export class TaskContext {
  private constructor(private readonly partition: number) {}

  /** The running task's context; undefined outside a task (Spark's null). */
  static get(): TaskContext | undefined {
    return current.getStore();
  }

  /** Spark's TaskContext.getPartitionId(): the running task's partition, 0 outside a task, as Spark's. */
  static getPartitionId(): number {
    return current.getStore()?.partition ?? 0;
  }

  /** The partition this task computes (Spark's partitionId()). */
  partitionId(): number {
    return this.partition;
  }

  /** @internal Runs `f` (a task's work on partition `partition`) with its TaskContext current. */
  static runFor<T>(partition: number, f: () => Promise<T>): Promise<T> {
    return current.run(new TaskContext(partition), f);
  }
}

const current = new AsyncLocalStorage<TaskContext>();
