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
 *
 * A task thread runs one task at a time (its next starts when it ended), so the running task's
 * context is this module's `current`, set for the task's run; not an AsyncLocalStorage, whose
 * first run turns on promise hooks for the rest of the thread's life: every promise of every
 * later task paid for them (bench/task-threads.js: 0.143 -> 0.180 ms of CPU a tiny task). A
 * receiver running in the thread beside a task is not a task: what it reads here is not its own.
 */
export class TaskContext {
  private constructor(private readonly partition: number) {}

  /** The running task's context; undefined outside a task (Spark's null). */
  static get(): TaskContext | undefined {
    return current;
  }

  /** Spark's TaskContext.getPartitionId(): the running task's partition, 0 outside a task, as Spark's. */
  static getPartitionId(): number {
    return current?.partition ?? 0;
  }

  /** The partition this task computes (Spark's partitionId()). */
  partitionId(): number {
    return this.partition;
  }

  /** @internal Runs `f` (a task's work on partition `partition`) with its TaskContext current. */
  static async runFor<T>(partition: number, f: () => Promise<T>): Promise<T> {
    const outer = current;
    current = new TaskContext(partition);
    try {
      return await f();
    } finally {
      current = outer;
    }
  }
}

/** The running task's context (one task a thread at a time). */
let current: TaskContext | undefined;
