import { SCHEDULER_POOL } from './scheduler-pools.js';

/**
 * Spark's SparkListener for a driver program: the DAG scheduler's events of the program's
 * jobs, stages and tasks, as the driver's main thread forwards them (only while the program
 * has a listener). Events arrive in the order the scheduler made them: a job's onJobEnd before
 * its action's promise settles. As Spark's listener bus, a listener that throws (or whose
 * promise rejects) is logged and skipped for that event; the others and the job go on.
 */

/** What the driver forwards: one scheduler event of the program's jobs (plain data). */
export type SchedulerEvent =
  | { readonly type: 'jobStart'; readonly jobId: number; readonly time: number; readonly stageIds: readonly number[]; readonly group?: string; readonly description?: string; readonly pool?: string }
  | { readonly type: 'stageSubmitted'; readonly jobId: number; readonly stageId: number; readonly stageAttempt: number; readonly kind: 'result' | 'shuffleMap'; /** Spark's StageInfo.name: `collect at job.ts:12:5` (its job's call site) for a result stage, its map side's creation site for a shuffle map stage. */ readonly name: string; readonly numTasks: number; readonly time: number; /** The submitting action's spark.scheduler.pool, if set. */ readonly pool?: string }
  | ({ readonly type: 'taskStart' } & TaskStart)
  | ({ readonly type: 'taskEnd'; readonly error?: string; readonly errorString?: string; readonly className?: string } & TaskEnd)
  | { readonly type: 'stageCompleted'; readonly stageId: number; readonly stageAttempt: number; readonly time: number; readonly failure?: string }
  | { readonly type: 'jobEnd'; readonly jobId: number; readonly time: number; readonly failure?: string }
  | { readonly type: 'executorExcluded'; readonly executorId: string; readonly time: number; readonly taskFailures: number }
  | { readonly type: 'executorUnexcluded'; readonly executorId: string; readonly time: number }
  | { readonly type: 'executorExcludedForStage'; readonly executorId: string; readonly time: number; readonly taskFailures: number; readonly stageId: number; readonly stageAttempt: number };

/**
 * Spark's SparkListenerExecutorExcluded: with spark.excludeOnFailure.enabled, a worker (executor)
 * is offered no task of any job until spark.excludeOnFailure.timeout passes. `taskFailures`: the
 * different tasks whose failures in stages that succeeded excluded it (0 when a fetch failure
 * did, with .application.fetchFailure.enabled).
 */
export interface SparkListenerExecutorExcluded {
  readonly time: number;
  readonly executorId: string;
  readonly taskFailures: number;
}

/**
 * Spark's SparkListenerExecutorExcludedForStage: with spark.excludeOnFailure.enabled, a worker on
 * which `taskFailures` different tasks of a stage attempt failed (stage.maxFailedTasksPerExecutor)
 * is offered none of that attempt's tasks.
 */
export interface SparkListenerExecutorExcludedForStage {
  readonly time: number;
  readonly executorId: string;
  readonly taskFailures: number;
  readonly stageId: number;
  readonly stageAttemptId: number;
}

/** Spark's SparkListenerExecutorUnexcluded: the exclusion's timeout passed; the worker is offered tasks again. */
export interface SparkListenerExecutorUnexcluded {
  readonly time: number;
  readonly executorId: string;
}

/** A task attempt's launch on a worker, as the DAG scheduler tells it (the driver's TaskStartEvent adds its run), in launch order. */
export interface TaskStart {
  readonly stageId: number;
  readonly stageAttempt: number;
  readonly taskId: string;
  readonly partition: number;
  readonly attempt: number;
  readonly workerId: string;
  readonly speculative: boolean;
  readonly time: number;
  /** The locality level it was launched at (Spark's TaskInfo.taskLocality). */
  readonly taskLocality: TaskLocality;
}

/** A task attempt's end, as the DAG scheduler tells it (the driver's TaskEndEvent adds its run and error). */
export interface TaskEnd {
  readonly stageId: number;
  readonly stageAttempt: number;
  readonly taskId: string;
  readonly partition: number;
  /** The task's attempt number (Spark's TaskInfo.attemptNumber): 0 for its first launch, one more each launch after. */
  readonly attempt: number;
  readonly workerId: string;
  readonly reason: TaskEndReason;
  /** From launch to the end as the driver saw it (ms). */
  readonly durationMs: number;
  readonly speculative: boolean;
  /** The locality level it was launched at (Spark's TaskInfo.taskLocality). */
  readonly taskLocality: TaskLocality;
  /** Bytes of shuffle output a successful map task wrote (0 for anything else). */
  readonly shuffleWriteBytes: number;
  /** Bytes of shuffle output a successful task read: what the map outputs it fetched held for it (0 for anything else). */
  readonly shuffleReadBytes: number;
  /**
   * Bytes of what a successful task sent the driver (Spark's TaskMetrics.resultSize): a result
   * task's encoded value (read from the worker's block store when it was too large to send), a
   * map task's map status and accumulator updates; absent (0) for anything else.
   */
  readonly resultSize?: number;
  /** What was measured of a successful attempt (Spark's TaskMetrics); absent for anything else, or a worker that sent none. */
  readonly metrics?: TaskRunMetrics;
  /** Why a `killed` attempt was killed (Spark's TaskKilled.reason); absent for any other end. */
  readonly killReason?: string;
}

/**
 * A successful task attempt's metrics with Spark's meanings (TaskMetrics, TaskInfo), in whole
 * milliseconds (truncated, as Spark's nanoseconds are) and records. The times but the last were
 * measured on the worker; the attempt's duration (TaskEnd.durationMs) and gettingResultTime on
 * the driver, so Spark's scheduler delay (AppStatusUtils.schedulerDelay: duration less these
 * four, at least 0) holds the gRPC round trip, a wait for a task thread on the worker and the
 * driver's own handling.
 */
export interface TaskRunMetrics {
  /** From the worker taking the task to its compute: the job's bundle and added files got, its module awaited in the task thread, the stage and task decoded. */
  readonly executorDeserializeTime: number;
  /** The compute (shuffle fetches, broadcast values got, a map output's commit included), without deserialization or the result's encoding. */
  readonly executorRunTime: number;
  /** Encoding the value (or a map task's map status and accumulator updates) for the driver. */
  readonly resultSerializationTime: number;
  /** The driver reading a result the worker kept as a block, too large to send whole (Spark's IndirectTaskResult); 0 for any other. */
  readonly gettingResultTime: number;
  /** Records of the shuffle segments the task decoded (Spark's shuffleReadMetrics.recordsRead). */
  readonly shuffleRecordsRead: number;
  /** Records a map task wrote to its output, after any map-side combine (shuffleWriteMetrics.recordsWritten). */
  readonly shuffleRecordsWritten: number;
  /** Time the task waited for its shuffle segments (Spark's shuffleReadMetrics.fetchWaitTime, the page's Shuffle Read Blocked Time). */
  readonly shuffleFetchWaitTime: number;
  /** Bytes and records of input files the task read (Spark's inputMetrics); absent when none. */
  readonly input?: { readonly bytesRead: number; readonly recordsRead: number };
  /** Bytes and records of the part file the task wrote (Spark's outputMetrics: saveAsTextFile, saveAsObjectFile); absent when none. */
  readonly output?: { readonly bytesWritten: number; readonly recordsWritten: number };
  /**
   * Bytes of older blocks (map outputs, MEMORY_AND_DISK partitions) the worker's store moved
   * from memory to its --local-dir to make room for what the task stored (Spark's
   * memoryBytesSpilled and diskBytesSpilled, the same bytes here: blocks are held encoded);
   * absent when none.
   */
  readonly bytesSpilled?: number;
}

/**
 * The locality level a task attempt was launched at (Spark's TaskLocality, as TaskSetManager
 * sets TaskInfo.taskLocality). Sluice's scheduler has two levels: a task launched on a worker
 * it prefers (one holding its partition's cached block or received block) or one with no
 * preference is PROCESS_LOCAL (Spark's dequeueTask gives a task from its noPrefs list
 * PROCESS_LOCAL too: a parallelize's tasks show PROCESS_LOCAL in Spark's UI); one launched
 * elsewhere (its locality wait over, or a speculative copy) is ANY. Sluice has no host or rack
 * level: a task on another worker of its preferred worker's host is ANY, not NODE_LOCAL.
 */
export type TaskLocality = 'PROCESS_LOCAL' | 'ANY';

/**
 * How a task attempt ended (a closed set; the driver's scheduler events use it too):
 * - `success`: the partition's first successful attempt;
 * - `error`: user code threw (or the worker could not run the task);
 * - `fetch_failed`: it could not read a parent stage's shuffle output;
 * - `worker_lost`: its worker died or became unreachable (not counted against the task);
 * - `timeout`: it ran past the job's task timeout and was killed;
 * - `killed`: a losing speculative copy, a late duplicate, or its stage ended (cancelled);
 * - `resubmitted`: a shuffle map task that had succeeded, whose worker was lost while its stage
 *   attempt still ran: its output went with the worker and the task runs again in that attempt
 *   (Spark's Resubmitted; told once more for the successful attempt, its task id and worker).
 */
export type TaskEndReason = 'success' | 'error' | 'fetch_failed' | 'worker_lost' | 'timeout' | 'killed' | 'resubmitted';

/**
 * Spark's AccumulableInfo of a named accumulator a task changed (a non-zero update): in a
 * task's end `update` is the task's own update (its copy's value) and `value` the
 * accumulator's value once that update was merged on the driver, as
 * DAGScheduler.updateAccumulators gives them (`acc.toInfo(Some(updates.value), Some(acc.value))`);
 * in a completed stage `value` is its value after the stage's last such task, with no `update`
 * (`acc.toInfo(None, Some(acc.value))`). Unnamed accumulators are never listed.
 */
export interface AccumulableInfo {
  readonly id: number;
  readonly name: string;
  readonly update?: unknown;
  readonly value: unknown;
}

/** Spark's StageInfo, as the listener's stage events give it. */
export interface StageInfo {
  readonly stageId: number;
  readonly attemptNumber: number;
  /**
   * Spark's stage name, its call site short form: a result stage its job's action's
   * (`collect at job.ts:12:5`), a shuffle map stage its map side RDD's creation site
   * (`map at job.ts:10:5`), as the status pages and REST API name it.
   */
  readonly name: string;
  /** Tasks of this attempt. */
  readonly numTasks: number;
  readonly submissionTime?: number;
  readonly completionTime?: number;
  readonly failureReason?: string;
  /** Spark's StageInfo.accumulables: the named accumulators its tasks changed, by id (empty at submission). */
  readonly accumulables: readonly AccumulableInfo[];
}

export interface SparkListenerJobStart {
  readonly jobId: number;
  readonly time: number;
  /** Every stage the job runs or waits on, known at its start. */
  readonly stageIds: readonly number[];
  /** Spark's local properties the job was started with: spark.jobGroup.id, spark.job.description, spark.scheduler.pool. */
  readonly properties: ReadonlyMap<string, string>;
}

export interface SparkListenerJobEnd {
  readonly jobId: number;
  readonly time: number;
  /** 'JobSucceeded', or the failure (Spark's JobFailed(exception)). */
  readonly jobResult: 'JobSucceeded' | { readonly failed: string };
}

/** Spark's SparkListenerTaskStart: a task attempt was launched on a worker (told in launch order). */
export interface SparkListenerTaskStart {
  readonly stageId: number;
  readonly stageAttemptId: number;
  /** `index`: the task's partition, as onTaskEnd's; `launchTime`: the driver's clock at the launch (ms since the epoch). */
  readonly taskInfo: { readonly taskId: string; readonly index: number; readonly attemptNumber: number; readonly executorId: string; readonly launchTime: number; readonly speculative: boolean; /** Spark's TaskInfo.taskLocality (core's TaskLocality). */ readonly taskLocality: TaskLocality };
}

export interface SparkListenerTaskEnd {
  readonly stageId: number;
  readonly stageAttemptId: number;
  /**
   * Spark's TaskEndReason: 'Success', 'ExceptionFailure', 'FetchFailed', 'ExecutorLostFailure', 'TaskKilled',
   * 'TaskTimeout' or 'Resubmitted' (a successful shuffle map task whose worker was lost while its stage ran:
   * told for that attempt a second time, its taskInfo the successful one's, `errorString`
   * `Resubmitted (resubmitted due to lost executor)`; the task runs again).
   */
  readonly reason: 'Success' | 'ExceptionFailure' | 'FetchFailed' | 'ExecutorLostFailure' | 'TaskKilled' | 'TaskTimeout' | 'Resubmitted';
  /** The failure's message, for a task that failed (Spark's ExceptionFailure.description). */
  readonly error?: string;
  /**
   * For a task that failed, Spark's TaskFailedReason.toErrorString: for an Error thrown by the
   * task's code its class and message as Error.prototype.toString writes them, then its stack
   * (`TypeError: x is not a function\n    at parse (job.ts:3:9)`), as ExceptionFailure's
   * `java.lang.RuntimeException: boom\n\tat ...`; for a thrown value that is no Error, a
   * fetch failure or a failure of Sluice's own, the message alone; for a task whose worker was
   * lost ('ExecutorLostFailure', `error` then `worker w was lost`), ExecutorLostFailure's
   * `ExecutorLostFailure (executor w exited unrelated to the running tasks) Reason: worker w was lost`;
   * for a 'TaskKilled' one, TaskKilled's `TaskKilled (<killReason>)`; for a 'TaskTimeout' one
   * (Sluice's: Spark has no task timeout), the timeout's message, as `error`.
   */
  readonly errorString?: string;
  /** For an 'ExceptionFailure' whose error is an Error (not Sluice's own), its name: Spark's ExceptionFailure.className (`TypeError`). */
  readonly className?: string;
  /**
   * For 'TaskKilled', why (Spark's TaskKilled.reason): "another attempt succeeded" for a losing
   * speculative copy or late duplicate; for a task of a stage its job's failure or cancellation
   * ended, "Stage cancelled: " and the stage's failureReason (the job's failure, its
   * cancellation's message when cancelled), as TaskSchedulerImpl.killAllTaskAttempts says it.
   */
  readonly killReason?: string;
  /** `accumulables`: Spark's TaskInfo.accumulables, the named accumulators a successful task changed, by id (none for any other). */
  readonly taskInfo: { readonly taskId: string; readonly index: number; readonly attemptNumber: number; readonly executorId: string; readonly duration: number; readonly speculative: boolean; /** Spark's TaskInfo.taskLocality (core's TaskLocality). */ readonly taskLocality: TaskLocality; readonly successful: boolean; readonly failed: boolean; readonly killed: boolean; readonly accumulables: readonly AccumulableInfo[] };
  /** Spark's TaskMetrics, what Sluice measures of them (see TaskMetrics). */
  readonly taskMetrics: TaskMetrics;
}

/**
 * Spark's TaskMetrics as a SparkListener's onTaskEnd gives them (`taskEnd.taskMetrics`), in
 * Spark's names and shape, what Sluice measures: times in whole ms (the worker's, as REST
 * taskList's `taskMetrics`), sizes in bytes. Every field is there for every end; the times and
 * records are 0 for an attempt the worker sent no measurements of (killed, lost, resubmitted),
 * as REST gives them; a failed attempt's are its run time to the throw and its shuffle records
 * read (Spark's ExceptionFailure metrics). Not measured, so not given: jvmGCTime, the CPU times,
 * peakExecutionMemory, shuffle read's local/remote split and blocks fetched, shuffle write's
 * writeTime.
 */
export interface TaskMetrics {
  /** From the worker taking the task to its compute (its job's bundle got, the module loaded, the task decoded). */
  readonly executorDeserializeTime: number;
  /** The compute on the worker (shuffle fetches and the map output's commit included), without deserialization or the result's encoding. */
  readonly executorRunTime: number;
  /** Bytes of what a successful task sent the driver (its encoded value, or a map task's map status and accumulator updates). */
  readonly resultSize: number;
  /** Encoding the result for the driver. */
  readonly resultSerializationTime: number;
  readonly shuffleReadMetrics: ShuffleReadMetrics;
  readonly shuffleWriteMetrics: ShuffleWriteMetrics;
  readonly inputMetrics: InputMetrics;
  readonly outputMetrics: OutputMetrics;
  /**
   * Bytes of older blocks (map outputs, MEMORY_AND_DISK partitions, large results) the worker's
   * store moved from memory to its --local-dir to make room for what this task stored: its map
   * output, its cached partitions, its large result. The same as diskBytesSpilled: a worker holds
   * its blocks encoded and writes them as they are (Spark's is the records' deserialized size).
   */
  readonly memoryBytesSpilled: number;
  /** The bytes those spills wrote to the worker's --local-dir (Spark's diskBytesSpilled). */
  readonly diskBytesSpilled: number;
  /** @deprecated Sluice's earlier field, the same as shuffleWriteMetrics.bytesWritten. */
  readonly shuffleWriteBytes: number;
  /** @deprecated Sluice's earlier field, the same as shuffleReadMetrics.totalBytesRead. */
  readonly shuffleReadBytes: number;
}

/** Spark's ShuffleReadMetrics, what Sluice measures of them. */
export interface ShuffleReadMetrics {
  /** Bytes of the shuffle segments the task read, local and remote. */
  readonly totalBytesRead: number;
  /** Records decoded from those segments. */
  readonly recordsRead: number;
  /** Time (ms) the task waited for its segments (the stage page's Shuffle Read Blocked Time). */
  readonly fetchWaitTime: number;
}

/**
 * Spark's InputMetrics: what a task read of input files (HadoopRDD's, NewHadoopRDD's):
 * textFile's bytes as read (a split's last line read past its end; a compressed file's
 * compressed bytes) and its lines, wholeTextFiles' and binaryFiles' files (one record each),
 * binaryRecords' and objectFile's records. 0 for a task over parallelize's slices, a
 * receiver's blocks or a direct input, as Spark's ParallelCollectionRDD and BlockRDD count none.
 */
export interface InputMetrics {
  readonly bytesRead: number;
  readonly recordsRead: number;
}

/** Spark's OutputMetrics: the part file a saveAsTextFile or saveAsObjectFile task wrote (compressed bytes when a codec was given), its records; 0 for any other task (foreachRDD's writes are not counted, as Spark's). */
export interface OutputMetrics {
  readonly bytesWritten: number;
  readonly recordsWritten: number;
}

/** Spark's ShuffleWriteMetrics, what Sluice measures of them. */
export interface ShuffleWriteMetrics {
  /** Bytes of the map output a successful map task wrote. */
  readonly bytesWritten: number;
  /** Records it wrote, after any map-side combine. */
  readonly recordsWritten: number;
}

/** Spark's SparkListener: implement the events wanted (each optional). */
export interface SparkListener {
  onJobStart?(jobStart: SparkListenerJobStart): void;
  onJobEnd?(jobEnd: SparkListenerJobEnd): void;
  /** `properties`: Spark's SparkListenerStageSubmitted.properties, the submitting job's spark.scheduler.pool when it was set. */
  onStageSubmitted?(stageSubmitted: { readonly stageInfo: StageInfo; readonly properties: ReadonlyMap<string, string> }): void;
  onStageCompleted?(stageCompleted: { readonly stageInfo: StageInfo }): void;
  onTaskStart?(taskStart: SparkListenerTaskStart): void;
  onTaskEnd?(taskEnd: SparkListenerTaskEnd): void;
  /** A worker was excluded for every job (spark.excludeOnFailure; the driver's, told to every program listening). */
  onExecutorExcluded?(executorExcluded: SparkListenerExecutorExcluded): void;
  /** An excluded worker's timeout passed. */
  onExecutorUnexcluded?(executorUnexcluded: SparkListenerExecutorUnexcluded): void;
  /** A worker was excluded for a stage attempt of the program's (spark.excludeOnFailure). */
  onExecutorExcludedForStage?(executorExcludedForStage: SparkListenerExecutorExcludedForStage): void;
  /** @deprecated Spark 3.1's old name of onExecutorExcludedForStage, still called beside it. */
  onExecutorBlacklistedForStage?(executorBlacklistedForStage: SparkListenerExecutorExcludedForStage): void;
  /** @deprecated Spark 3.1's old name of onExecutorExcluded, still called beside it (as Spark posts both events). */
  onExecutorBlacklisted?(executorBlacklisted: SparkListenerExecutorExcluded): void;
  /** @deprecated Spark 3.1's old name of onExecutorUnexcluded, still called beside it. */
  onExecutorUnblacklisted?(executorUnblacklisted: SparkListenerExecutorUnexcluded): void;
}

const REASONS: Readonly<Record<TaskEndReason, SparkListenerTaskEnd['reason']>> = {
  success: 'Success',
  error: 'ExceptionFailure',
  fetch_failed: 'FetchFailed',
  worker_lost: 'ExecutorLostFailure',
  killed: 'TaskKilled',
  timeout: 'TaskTimeout',
  resubmitted: 'Resubmitted',
};

/** A task end's TaskMetrics for a listener (0 for what the worker did not measure, as REST's taskList). */
function taskMetrics(e: TaskEnd): TaskMetrics {
  const m = e.metrics;
  return {
    executorDeserializeTime: m?.executorDeserializeTime ?? 0,
    executorRunTime: m?.executorRunTime ?? 0,
    resultSize: e.resultSize ?? 0,
    resultSerializationTime: m?.resultSerializationTime ?? 0,
    shuffleReadMetrics: { totalBytesRead: e.shuffleReadBytes, recordsRead: m?.shuffleRecordsRead ?? 0, fetchWaitTime: m?.shuffleFetchWaitTime ?? 0 },
    shuffleWriteMetrics: { bytesWritten: e.shuffleWriteBytes, recordsWritten: m?.shuffleRecordsWritten ?? 0 },
    inputMetrics: { bytesRead: m?.input?.bytesRead ?? 0, recordsRead: m?.input?.recordsRead ?? 0 },
    outputMetrics: { bytesWritten: m?.output?.bytesWritten ?? 0, recordsWritten: m?.output?.recordsWritten ?? 0 },
    memoryBytesSpilled: m?.bytesSpilled ?? 0,
    diskBytesSpilled: m?.bytesSpilled ?? 0,
    shuffleWriteBytes: e.shuffleWriteBytes,
    shuffleReadBytes: e.shuffleReadBytes,
  };
}

/** The program's listeners and the events they are given (SluiceContext.addSparkListener). */
export class SparkListenerBus {
  private readonly listeners: SparkListener[] = [];
  /** Stages' kinds and submission times, by `stageId.attempt`, for their completed events. */
  private readonly submitted = new Map<string, { name: string; time: number; numTasks: number }>();
  /**
   * By `stageId.attempt`: what taskAccumulables gave, for the tasks' ends (by task id, taken at
   * each) and the stage's completion (by accumulator id, the last value; dropped with it).
   */
  private readonly accumulables = new Map<string, { readonly tasks: Map<string, AccumulableInfo[]>; readonly stage: Map<number, AccumulableInfo> }>();

  constructor(
    private readonly warn: (message: string, fields: Record<string, unknown>) => void,
    /** Counts the calls under way (sc.stop() is refused inside one, as Spark's on its listener bus thread). */
    private readonly depth: { listenerDepth: number },
  ) {}

  get size(): number {
    return this.listeners.length;
  }

  add(l: SparkListener): void {
    this.listeners.push(l);
  }

  /** Whether `l` was registered (and is not now). */
  remove(l: SparkListener): boolean {
    const i = this.listeners.indexOf(l);
    if (i >= 0) this.listeners.splice(i, 1);
    if (this.listeners.length === 0) {
      this.submitted.clear();
      this.accumulables.clear();
    }
    return i >= 0;
  }

  /** A successful task's named accumulators, merged before its end event comes (SluiceContext's merge). */
  taskAccumulables(stageId: number, attempt: number, taskId: string, infos: readonly AccumulableInfo[]): void {
    const key = `${stageId}.${attempt}`;
    let a = this.accumulables.get(key);
    if (a === undefined) this.accumulables.set(key, (a = { tasks: new Map(), stage: new Map() }));
    const sorted = [...infos].sort((x, y) => x.id - y.id);
    a.tasks.set(taskId, sorted);
    for (const i of sorted) a.stage.set(i.id, { id: i.id, name: i.name, value: i.value });
  }

  /** Give `e` to every listener that wants it; one that throws is logged and skipped. */
  post(e: SchedulerEvent): void {
    const call = <A>(method: keyof SparkListener, arg: A): void => {
      const warn = (err: unknown): void => this.warn('a SparkListener threw; the event is skipped for it', { component: 'spark-listener', event: method, err: (err as Error)?.message ?? String(err) });
      for (const l of [...this.listeners]) {
        const f = l[method] as ((a: A) => unknown) | undefined;
        if (typeof f !== 'function') continue;
        this.depth.listenerDepth++;
        try {
          // An async callback's rejection is its throw (as the StreamingListener bus takes it).
          const r = f.call(l, arg);
          if (r instanceof Promise) r.catch(warn);
        } catch (err) {
          warn(err);
        } finally {
          this.depth.listenerDepth--;
        }
      }
    };
    switch (e.type) {
      case 'jobStart': {
        const properties = new Map<string, string>();
        if (e.group !== undefined) properties.set('spark.jobGroup.id', e.group);
        if (e.description !== undefined) properties.set('spark.job.description', e.description);
        if (e.pool !== undefined) properties.set(SCHEDULER_POOL, e.pool);
        call('onJobStart', { jobId: e.jobId, time: e.time, stageIds: e.stageIds, properties } satisfies SparkListenerJobStart);
        return;
      }
      case 'stageSubmitted':
        this.submitted.set(`${e.stageId}.${e.stageAttempt}`, { name: e.name, time: e.time, numTasks: e.numTasks });
        call('onStageSubmitted', { stageInfo: { stageId: e.stageId, attemptNumber: e.stageAttempt, name: e.name, numTasks: e.numTasks, submissionTime: e.time, accumulables: [] }, properties: new Map(e.pool === undefined ? [] : [[SCHEDULER_POOL, e.pool]]) });
        return;
      case 'taskStart':
        call('onTaskStart', { stageId: e.stageId, stageAttemptId: e.stageAttempt, taskInfo: { taskId: e.taskId, index: e.partition, attemptNumber: e.attempt, executorId: e.workerId, launchTime: e.time, speculative: e.speculative, taskLocality: e.taskLocality } } satisfies SparkListenerTaskStart);
        return;
      case 'taskEnd': {
        const stage = this.accumulables.get(`${e.stageId}.${e.stageAttempt}`);
        const accumulables = stage?.tasks.get(e.taskId) ?? [];
        stage?.tasks.delete(e.taskId);
        call('onTaskEnd', {
          stageId: e.stageId,
          stageAttemptId: e.stageAttempt,
          reason: REASONS[e.reason],
          ...(e.error !== undefined && { error: e.error }),
          ...(e.errorString !== undefined && { errorString: e.errorString }),
          ...(e.className !== undefined && { className: e.className }),
          ...(e.killReason !== undefined && { killReason: e.killReason }),
          taskInfo: { taskId: e.taskId, index: e.partition, attemptNumber: e.attempt, executorId: e.workerId, duration: e.durationMs, speculative: e.speculative, taskLocality: e.taskLocality, successful: e.reason === 'success' || e.reason === 'resubmitted', failed: e.reason !== 'success' && e.reason !== 'killed' && e.reason !== 'resubmitted', killed: e.reason === 'killed', accumulables },
          taskMetrics: taskMetrics(e),
        } satisfies SparkListenerTaskEnd);
        return;
      }
      case 'stageCompleted': {
        const key = `${e.stageId}.${e.stageAttempt}`;
        const s = this.submitted.get(key);
        this.submitted.delete(key);
        const accumulables = [...(this.accumulables.get(key)?.stage.values() ?? [])].sort((x, y) => x.id - y.id);
        this.accumulables.delete(key);
        const stageInfo: StageInfo = {
          stageId: e.stageId,
          attemptNumber: e.stageAttempt,
          // A listener added after the stage was submitted was not told its name.
          name: s?.name ?? `stage ${e.stageId}`,
          numTasks: s?.numTasks ?? 0,
          ...(s && { submissionTime: s.time }),
          completionTime: e.time,
          ...(e.failure !== undefined && { failureReason: e.failure }),
          accumulables,
        };
        call('onStageCompleted', { stageInfo });
        return;
      }
      case 'jobEnd':
        call('onJobEnd', { jobId: e.jobId, time: e.time, jobResult: e.failure === undefined ? 'JobSucceeded' : { failed: e.failure } } satisfies SparkListenerJobEnd);
        return;
      case 'executorExcluded': {
        const ev: SparkListenerExecutorExcluded = { time: e.time, executorId: e.executorId, taskFailures: e.taskFailures };
        call('onExecutorExcluded', ev);
        call('onExecutorBlacklisted', ev);
        return;
      }
      case 'executorExcludedForStage': {
        const ev: SparkListenerExecutorExcludedForStage = { time: e.time, executorId: e.executorId, taskFailures: e.taskFailures, stageId: e.stageId, stageAttemptId: e.stageAttempt };
        call('onExecutorExcludedForStage', ev);
        call('onExecutorBlacklistedForStage', ev);
        return;
      }
      case 'executorUnexcluded': {
        const ev: SparkListenerExecutorUnexcluded = { time: e.time, executorId: e.executorId };
        call('onExecutorUnexcluded', ev);
        call('onExecutorUnblacklisted', ev);
        return;
      }
    }
  }
}
