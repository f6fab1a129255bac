import { failureReason, userErrorInfo } from '../util/user-error.js';
import { batchFailure } from './batch-failure.js';
import type { BatchInfo, StreamInputInfo } from './streaming-backend.js';
import { sparkEvent, type CompletedOutputOperationInfo } from './streaming-listener.js';
import type { StreamingContext } from './streaming-context.js';
import { runInOutputOperation } from './output-operation-scope.js';
import { CHECKPOINT_ALL_MARKED_ANCESTORS, JOB_DESCRIPTION } from '../scheduler/running-actions.js';

/** Spark's UIUtils.formatBatchTime without the date: HH:mm:ss, with milliseconds under 1 s batches (local time). */
function formatBatchTime(time: number, batchIntervalMs: number): string {
  const d = new Date(time);
  const two = (n: number): string => String(n).padStart(2, '0');
  const hms = `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
  return batchIntervalMs < 1000 ? `${hms}.${String(d.getMilliseconds()).padStart(3, '0')}` : hms;
}

/** One output operation of one batch. */
export interface OutputJob {
  /** The output operation's place among the context's outputs, in registration order. */
  readonly outputOpId: number;
  /** The operation: 'print', 'foreachRDD', 'saveAsTextFiles', ... */
  readonly name: string;
  /** Where the program registered it (see OutputOperationInfo.description). */
  readonly description: string;
  run(): void | Promise<void>;
}

interface Batch {
  readonly time: number;
  readonly numRecords: number;
  readonly streamIdToInputInfo: Readonly<Record<number, StreamInputInfo>>;
  readonly jobs: readonly OutputJob[];
  readonly submissionTime: number;
}

/**
 * Runs batches' output operations, as Spark Streaming's JobScheduler: batches start in
 * time order, at most `concurrency` at once (default 1, so every output of batch t ends
 * before any output of batch t+1 starts); a batch's outputs run in the order they were
 * registered. An output that throws fails the batch (its other outputs still run, each
 * reporting its own failure) and stops the context once the batch ends, as in Spark:
 * `awaitTermination()` rethrows the first failure.
 */
export class JobScheduler {
  private readonly queue: Batch[] = [];
  private running = 0;
  private lastCompleted = -Infinity;
  private readonly completedTimes: number[] = [];
  private waiters: { time: number; resolve: () => void }[] = [];
  private idle: (() => void)[] = [];
  /** A non-graceful stop gave up waiting for the running batches (stopNow). */
  private abandoning = false;
  /**
   * A non-graceful stop is under way (stopNow called): the inputs are stopped while the
   * running batches get their last `waitMs`, so what an output asks of a stopped input (a
   * Kafka `commitAsync`) is refused with SLUICE_CANCELLED, the stop's doing, not the job's.
   */
  private stoppingNow = false;
  /** Batches submitted and not yet completed (queued, running, or dropped by a stop). */
  private readonly unfinished = new Set<number>();

  constructor(
    private readonly ssc: StreamingContext,
    private readonly concurrency: number,
  ) {}

  submit(time: number, numRecords: number, jobs: readonly OutputJob[], streamIdToInputInfo: Readonly<Record<number, StreamInputInfo>> = {}): void {
    const batch: Batch = { time, numRecords, streamIdToInputInfo, jobs, submissionTime: this.ssc.clock.now() };
    // No output made a job (a window or slide not due at `time`): as Spark's
    // JobScheduler.submitJobSet, which only logs an empty job set, no listener, UI or REST
    // hears of the batch. It still queues, so it ends in order and its metadata is cleared
    // and checkpointed as any batch's (see run).
    if (jobs.length === 0) {
      this.ssc.sc.log('debug', 'no jobs added for the batch', { component: 'job-scheduler', batchTime: time });
      this.queue.push(batch);
      this.pump();
      return;
    }
    this.ssc.postToListeners('onBatchSubmitted', (l) => l.onBatchSubmitted?.(sparkEvent({ batchTime: time, numRecords, streamIdToInputInfo, submissionTime: batch.submissionTime }, 'batchInfo')));
    this.ssc.sc.streaming?.reportProgress?.({
      type: 'batchSubmitted',
      batchTime: time,
      batchIntervalMs: this.ssc.batchIntervalMs,
      numRecords,
      streamRecords: Object.fromEntries(Object.entries(streamIdToInputInfo).map(([id, x]) => [id, x.numRecords])),
      streamNames: Object.fromEntries(this.ssc.inputStreams().filter((s) => s.id in streamIdToInputInfo).map((s) => [s.id, s.inputName])),
      streamDescriptions: inputDescriptions(streamIdToInputInfo),
      submissionTime: batch.submissionTime,
      outputOperations: jobs.map((j) => ({ id: j.outputOpId, name: j.name, description: j.description })),
    });
    this.unfinished.add(time);
    this.queue.push(batch);
    this.pump();
  }

  /**
   * The context stopped: the batches it submitted and never completed (queued ones a stop
   * dropped, one a non-graceful stop gave up on) are no longer queued or processing. As in
   * Spark, where the stop detaches the Streaming tab and its metrics source and stops the
   * listener bus before an interrupted batch could report: listeners hear nothing of them,
   * and the driver's UI and metrics stop counting them as queued or processing (they stay
   * pending in the checkpoint for the next start).
   */
  stopped(): void {
    if (this.unfinished.size === 0) return;
    const batchTimes = [...this.unfinished].sort((a, b) => a - b);
    this.unfinished.clear();
    this.ssc.sc.streaming?.reportProgress?.({ type: 'batchesDropped', batchTimes });
  }

  /** Resolves once every batch up to `time` is done. */
  waitFor(time: number): Promise<void> {
    if (this.lastCompleted >= time && this.queue.every((b) => b.time > time)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ time, resolve }));
  }

  /** Resolves once the queued batches have run too and nothing is running. */
  private idleAfterQueue(): Promise<void> {
    if (this.running === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((r) => this.idle.push(r));
  }

  /** Drops the batches queued, not yet started. */
  dropQueued(): void {
    this.queue.length = 0;
  }

  /** Drops the queued batches; resolves when nothing is running. */
  drain(): Promise<void> {
    this.dropQueued();
    if (this.running === 0) return Promise.resolve();
    return new Promise((r) => this.idle.push(r));
  }

  /**
   * A non-graceful stop, as Spark's JobScheduler.stop(false): waits up to `waitMs` for the
   * running batches and the queued ones, which go on starting in order (Spark's
   * jobExecutor.shutdown() runs the jobs queued before it, then awaitTermination(2 s)); then
   * drops the batches still queued, cancels the running ones' actions (Spark's
   * jobExecutor.shutdownNow interrupts their threads) and waits up to `waitMs` more. A batch
   * dropped (here or by dropQueued) or abandoned so is not completed: its outcome is not
   * recorded, the metadata keeps it pending and the next start from the checkpoint runs it again.
   */
  async stopNow(waitMs: number): Promise<void> {
    this.stoppingNow = true;
    let idle = this.idleAfterQueue();
    let timer: NodeJS.Timeout | undefined;
    const waited = (): Promise<boolean> =>
      Promise.race([idle.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), waitMs)))]).finally(() => clearTimeout(timer));
    if (await waited()) return;
    idle = this.drain();
    this.abandoning = true;
    const cancelled = this.ssc.sc.cancelStreamingJobs();
    this.ssc.sc.log('warn', 'streaming context stopped while a batch was running; its jobs were cancelled and it stays pending for the next start', {
      component: 'job-scheduler',
      waitedMs: waitMs,
      cancelledActions: cancelled,
    });
    await waited();
  }

  private pump(): void {
    while (this.running < this.concurrency && this.queue.length > 0) {
      const batch = this.queue.shift()!;
      this.running++;
      void this.run(batch).finally(() => {
        this.running--;
        this.completed(batch.time);
        this.pump();
        if (this.running === 0) for (const r of this.idle.splice(0)) r();
      });
    }
  }

  private completed(time: number): void {
    this.lastCompleted = Math.max(this.lastCompleted, time);
    const oldestPending = Math.min(...this.queue.map((b) => b.time), Infinity);
    const done = this.waiters.filter((w) => w.time <= this.lastCompleted && w.time < oldestPending);
    this.waiters = this.waiters.filter((w) => !done.includes(w));
    for (const w of done) w.resolve();
  }

  private async run(batch: Batch): Promise<void> {
    if (batch.jobs.length === 0) return this.ssc.batchCompleted(this.emptyBatchInfo(batch), { reported: false });
    const clock = this.ssc.clock;
    const start = clock.now();
    const backend = this.ssc.sc.streaming;
    this.ssc.postToListeners('onBatchStarted', (l) =>
      l.onBatchStarted?.(
        sparkEvent(
          {
            batchTime: batch.time,
            numRecords: batch.numRecords,
            streamIdToInputInfo: batch.streamIdToInputInfo,
            submissionTime: batch.submissionTime,
            processingStartTime: start,
            schedulingDelay: start - batch.time,
          },
          'batchInfo',
        ),
      ),
    );
    backend?.reportProgress?.({ type: 'batchStarted', batchTime: batch.time, processingStartTime: start });
    let failure: BatchInfo['failure'];
    const outputOperationInfos: Record<number, CompletedOutputOperationInfo> = {};
    let failed = false;
    for (let i = 0; i < batch.jobs.length; i++) {
      const job = batch.jobs[i];
      const op = { batchTime: batch.time, index: i, id: job.outputOpId, name: job.name, description: job.description };
      const startTime = clock.now();
      this.ssc.postToListeners('onOutputOperationStarted', (l) => l.onOutputOperationStarted?.(sparkEvent({ ...op, startTime }, 'outputOperationInfo')));
      backend?.reportProgress?.({ type: 'outputOperationStarted', batchTime: batch.time, id: job.outputOpId, startTime });
      try {
        // Actions the output runs carry its batch time and id to the driver (Spark's job properties).
        // ...and run with a copy of the local properties the context saved at its start, as
        // Spark's JobHandler sets them on its job thread: the description names the output
        // operation and the batch; what the output sets stays its own.
        const properties = new Map(this.ssc.savedLocalProperties());
        properties.set(JOB_DESCRIPTION, `Streaming job from [output operation ${job.outputOpId}, batch time ${formatBatchTime(batch.time, this.ssc.batchIntervalMs)}]`);
        properties.set('spark.streaming.internal.batchTime', String(batch.time));
        properties.set('spark.streaming.internal.outputOpId', String(job.outputOpId));
        // Every marked RDD of the lineage is checkpointed, so state lineages stay cut (Spark's JobHandler, SPARK-6847).
        properties.set(CHECKPOINT_ALL_MARKED_ANCESTORS, 'true');
        await this.ssc.sc.runWithLocalProperties(properties, () => runInOutputOperation({ batchTime: batch.time, outputOpId: job.outputOpId }, () => job.run()));
        const endTime = clock.now();
        const done: CompletedOutputOperationInfo = { ...op, startTime, endTime, duration: endTime - startTime };
        outputOperationInfos[job.outputOpId] = done;
        this.ssc.postToListeners('onOutputOperationCompleted', (l) => l.onOutputOperationCompleted?.(sparkEvent(done, 'outputOperationInfo')));
        backend?.reportProgress?.({ type: 'outputOperationCompleted', batchTime: batch.time, id: job.outputOpId, endTime });
      } catch (err) {
        // Cancelled by a non-graceful stop: not a failure of the job, and no outcome. So is an
        // output refused by the stop before it gave up on the batch (an awaited commitAsync of
        // the stopped Kafka stream): the batch stays pending, and the next start runs it again.
        if (this.abandoning || (this.stoppingNow && (err as { code?: unknown } | null)?.code === 'SLUICE_CANCELLED')) return;
        const info = userErrorInfo(err);
        const opFailure = { message: info.message, stack: info.stack };
        failure ??= opFailure;
        const endTime = clock.now();
        const reason = failureReason(info);
        const done: CompletedOutputOperationInfo = { ...op, startTime, endTime, duration: endTime - startTime, failure: reason, failureReason: reason };
        outputOperationInfos[job.outputOpId] = done;
        this.ssc.postToListeners('onOutputOperationCompleted', (l) => l.onOutputOperationCompleted?.(sparkEvent(done, 'outputOperationInfo')));
        backend?.reportProgress?.({ type: 'outputOperationCompleted', batchTime: batch.time, id: job.outputOpId, endTime, failure: opFailure });
        // Not printed here: the failure stops the context and rejects awaitTermination, and
        // the job's failure is reported once, by whoever submitted it (the CLI), with this stack.
        this.ssc.sc.log('info', 'output operation failed; stopping the streaming context', { component: 'job-scheduler', batchTime: batch.time, outputOperation: i, reason: info.message });
        // awaitTermination throws the first failure at once; the batch's other outputs still
        // run (Spark runs each output operation as its own job, and a failed one does not
        // cancel the next: StreamingListenerSuite's "failed batch and multiple failed jobs"
        // reports a failure reason for each). The context stops once the batch has ended.
        this.ssc.failed(batchFailure(err, batch.time, { id: job.outputOpId, name: job.name }));
        failed = true;
      }
    }
    if (failed) void this.ssc.stop();
    // Ended after a non-graceful stop gave up on it: left pending, as one cancelled.
    if (this.abandoning) return;
    const end = clock.now();
    const info: BatchInfo = {
      batchTime: batch.time,
      numRecords: batch.numRecords,
      streamIdToInputInfo: batch.streamIdToInputInfo,
      submissionTime: batch.submissionTime,
      processingStartTime: start,
      processingEndTime: end,
      schedulingDelay: start - batch.time,
      processingDelay: end - start,
      totalDelay: end - batch.time,
      failure,
      outputOperationInfos,
    };
    this.unfinished.delete(batch.time);
    this.ssc.batchCompleted(info);
    backend?.reportBatch(info);
    this.ssc.postToListeners('onBatchCompleted', (l) => l.onBatchCompleted?.(sparkEvent(info, 'batchInfo')));
  }

  /** A batch with no jobs, ended as soon as it starts (known only to the context's cleanup and checkpoints). */
  private emptyBatchInfo(batch: Batch): BatchInfo {
    const now = this.ssc.clock.now();
    return {
      batchTime: batch.time,
      numRecords: batch.numRecords,
      streamIdToInputInfo: batch.streamIdToInputInfo,
      submissionTime: batch.submissionTime,
      processingStartTime: now,
      processingEndTime: now,
      schedulingDelay: now - batch.time,
      processingDelay: 0,
      totalDelay: now - batch.time,
      outputOperationInfos: {},
    };
  }
}

/** Each input stream's metadata `Description` (Spark's StreamInputInfo.metadataDescription), by stream id, where it has one. */
export function inputDescriptions(streamIdToInputInfo: Readonly<Record<number, StreamInputInfo>>): Record<number, string> {
  const out: Record<number, string> = {};
  for (const [id, x] of Object.entries(streamIdToInputInfo)) {
    const d = x.metadata?.['Description'];
    if (typeof d === 'string') out[Number(id)] = d;
  }
  return out;
}
