import { SluiceError } from '../errors.js';

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
 * of partitions gives each partition's functions that partition's id. Since 2026-12-05; also
 * (the same day, later) `stageId()`, `stageAttemptNumber()`, `attemptNumber()` (0 for a task's
 * first launch, as the listener's taskInfo.attemptNumber) and `taskAttemptId()`, which is Sluice's
 * task id, a string unique in the application (Spark's is a Long). Spark's listeners, local
 * properties, isInterrupted and resources are not provided.
 *
 * A task thread runs one task at a time (its next starts when it ended), so the running task's
 * context is this module's `current`, set for the task's run; not an AsyncLocalStorage, whose
 * first run turns on promise hooks for the rest of the thread's life: every promise of every
 * later task paid for them (bench/task-threads.js: 0.143 -> 0.180 ms of CPU a tiny task). A
 * receiver running in the thread beside a task is not a task: what it reads here is not its own.
 */
export class TaskContext {
  /** [stage, stage attempt, attempt] read from the task id at first need. */
  private ids: readonly [number, number, number] | undefined;

  private constructor(
    private readonly partition: number,
    private readonly taskId: string,
  ) {}

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

  /** The id of the stage this task belongs to (Spark's stageId(); the listener's and REST's stageId). */
  stageId(): number {
    return this.parsed()[0];
  }

  /** How many times the stage was attempted before this attempt (Spark's stageAttemptNumber(): 0 first). */
  stageAttemptNumber(): number {
    return this.parsed()[1];
  }

  /** How many times this task was launched before this attempt (Spark's attemptNumber(): 0 first, 1 on its first retry). */
  attemptNumber(): number {
    return this.parsed()[2];
  }

  /** This task attempt's id, unique in the application: Sluice's task id string (Spark's taskAttemptId() is a Long). */
  taskAttemptId(): string {
    return this.taskId;
  }

  private parsed(): readonly [number, number, number] {
    if (this.ids) return this.ids;
    const m = /\.s(\d+)r(\d+)\.p\d+\.a(\d+)$/.exec(this.taskId);
    if (!m) throw new SluiceError('SLUICE_INTERNAL', `TaskContext: the task id '${this.taskId}' does not name its stage and attempt (a Sluice bug: report it)`);
    this.ids = [Number(m[1]), Number(m[2]), Number(m[3])];
    return this.ids;
  }

  /** @internal Runs `f` (a task's work on partition `partition`, task attempt `taskId`) with its TaskContext current. */
  static async runFor<T>(partition: number, taskId: string | undefined, f: () => Promise<T>): Promise<T> {
    const outer = current;
    current = new TaskContext(partition, taskId ?? '');
    try {
      return await f();
    } finally {
      current = outer;
    }
  }
}

/** The running task's context (one task a thread at a time). */
let current: TaskContext | undefined;
