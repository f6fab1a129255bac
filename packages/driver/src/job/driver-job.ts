import { EventEmitter } from 'node:events';
import readline from 'node:readline';
import { Worker as Thread } from 'node:worker_threads';
import type { Logger } from 'pino';
import { TaskFailedError, isSluiceError, jobEnvironment, type BatchInfo, type Clock, type wire } from '@sluice/core/internal';
import { JobOutput } from './job-output.js';
import { ReceiverTracker } from '../streaming/receiver-tracker.js';
import type { WorkerRegistry } from '../cluster/worker-registry.js';
import type { DAGScheduler } from '../scheduler/dag-scheduler.js';
import type { ErrorInfo, JobThreadData, JobToMain, MainToJob } from './job-protocol.js';

const THREAD_ENTRY = new URL('./job-thread.js', import.meta.url);

export type JobStateName = 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface DriverJobEvents {
  /** A printed line and its number in the job's output (from 1). */
  output: [line: string, lineNumber: number];
  end: [state: JobStateName, error: ErrorInfo | undefined];
}

/**
 * One submitted job on the driver: its driver program runs in a thread of its own,
 * whose actions become DAG scheduler jobs and whose printed lines are re-emitted as
 * `output` events. When the program ends (or is cancelled) the job's state on the
 * driver and on every worker is released.
 *
 * Lifecycle: running -> succeeded | failed | cancelled (each end emitted once).
 */
export class DriverJob extends EventEmitter<DriverJobEvents> {
  state: JobStateName = 'running';
  error: ErrorInfo | undefined;
  readonly startedAt: number;
  endedAt: number | undefined;
  actionsRun = 0;
  /** Streaming figures, for `sluice jobs`. */
  streaming = false;
  batchesCompleted = 0;
  lastBatch: BatchInfo | undefined;
  private tracker: ReceiverTracker | undefined;
  /** Encoded broadcast values, by id, served to workers (GetBroadcast). */
  readonly broadcasts = new Map<number, Uint8Array>();
  /** The last lines the job printed, for clients that attach again (WatchJob). */
  readonly output = new JobOutput();
  /** How the job ended, once `end` was emitted. */
  outcome: { readonly state: JobStateName; readonly error: ErrorInfo | undefined } | undefined;
  private readonly thread: Thread;
  private readonly log: Logger;
  private outputOpen = 2;
  private pendingEnd: [JobStateName, ErrorInfo | undefined] | undefined;

  constructor(
    readonly id: string,
    readonly name: string,
    private readonly bundleSha: string,
    bundlePath: string,
    args: readonly string[],
    private readonly dag: DAGScheduler,
    private readonly registry: WorkerRegistry,
    private readonly clock: Clock,
    log: Logger,
    opts: { readonly taskTimeoutMs?: number } = {},
  ) {
    super();
    this.log = log.child({ jobId: id });
    this.startedAt = clock.now();
    this.dag.startJob(id, bundleSha, opts);
    const data: JobThreadData = { jobId: id, bundlePath, args, parallelism: Math.max(2, registry.totalCores()) };
    this.thread = new Thread(THREAD_ENTRY, { workerData: data, stdout: true, stderr: true, env: jobEnvironment() });
    for (const stream of [this.thread.stdout, this.thread.stderr]) {
      const rl = readline.createInterface({ input: stream, crlfDelay: Infinity });
      rl.on('line', (line) => this.emit('output', line, this.output.append(line)));
      rl.on('close', () => {
        this.outputOpen--;
        this.flushEnd();
      });
    }
    this.thread.on('message', (m: JobToMain) => this.onMessage(m));
    this.thread.on('error', (err) => this.finish('failed', { code: 'SLUICE_JOB_FAILED', message: `the driver program crashed: ${err.message}`, stack: err.stack ?? '' }));
    this.thread.on('exit', (code) => {
      if (this.state === 'running') this.finish('failed', { code: 'SLUICE_JOB_FAILED', message: `the driver program exited (code ${code}) before returning`, stack: '' });
    });
    this.log.info({ name, taskTimeoutMs: opts.taskTimeoutMs }, 'job started');
  }

  cancel(): void {
    this.finish('cancelled', { code: 'SLUICE_CANCELLED', message: `job ${this.id} was cancelled`, stack: '' });
  }

  /** `sluice stop`: a streaming job stops its StreamingContext (gracefully if asked); a batch job is cancelled. */
  requestStop(graceful: boolean): void {
    if (this.state !== 'running') return;
    if (this.streaming) {
      this.post({ type: 'stopRequested', graceful });
      // A driver program that does not end within 60 s of the request is cancelled.
      setTimeout(() => this.cancel(), 60_000).unref();
    } else this.cancel();
  }

  /** A worker's report of one of this job's receivers; false: stop that receiver. */
  receiverReport(rep: wire.ReceiverReport__Output): boolean {
    if (this.state !== 'running') return false;
    return this.tracker?.report(rep) ?? false;
  }

  /** Worker ids running this job's receivers. */
  receiverWorkers(): string[] {
    return this.tracker?.receiverWorkers() ?? [];
  }

  private receiverTracker(): ReceiverTracker {
    this.tracker ??= new ReceiverTracker(this.id, this.bundleSha, this.registry, (event) => this.post({ type: 'receiverEvent', event }), this.log.child({ component: 'receiver-tracker' }));
    return this.tracker;
  }

  private post(m: MainToJob): void {
    if (this.state === 'running') this.thread.postMessage(m);
  }

  private onMessage(m: JobToMain): void {
    // A thread still talking after its job ended (cancelled, failed) changes nothing.
    if (this.state !== 'running') return;
    switch (m.type) {
      case 'runJob':
        this.actionsRun++;
        this.dag.runJob(this.id, m.graph, m.action, m.partitions).then(
          (result) => this.post({ type: 'jobResult', reqId: m.reqId, result }),
          (err: unknown) => {
            const e = err as Error;
            this.post({
              type: 'jobError',
              reqId: m.reqId,
              code: isSluiceError(e) ? e.code : 'SLUICE_INTERNAL',
              message: e.message,
              stack: e instanceof TaskFailedError ? e.userStack : (e.stack ?? ''),
            });
          },
        );
        return;
      case 'removeRdd':
        this.dag.removeRddBlocks(this.id, m.rddId);
        void Promise.all(this.registry.all().map((w) => w.endpoint.removeRdd(this.id, m.rddId))).then(() => this.post({ type: 'ack', reqId: m.reqId }));
        return;
      case 'putBroadcast':
        this.broadcasts.set(m.id, m.value);
        return;
      case 'removeShuffles': {
        this.dag.removeShuffles(this.id, m.shuffleIds);
        const prefixes = m.shuffleIds.flatMap((s) => [`shuffle_${this.id}_${s}_`, `mapout_${this.id}_${s}_`]);
        for (const w of this.registry.all()) void w.endpoint.removeBlocks([], prefixes);
        return;
      }
      case 'startReceiver':
        this.streaming = true;
        this.receiverTracker().start(m.streamId, m.receiver, m.options, m.name);
        return;
      case 'stopReceivers':
        void (this.tracker?.stopAll() ?? Promise.resolve()).then(() => this.post({ type: 'ack', reqId: m.reqId }));
        return;
      case 'allocateBlocks': {
        const tracker = this.receiverTracker();
        const blocks = tracker.allocate(m.streamId);
        for (const b of blocks) for (const l of b.locations) this.dag.blockLocations.add(b.blockId, l.workerId);
        this.post({ type: 'blocks', reqId: m.reqId, blocks, liveWriters: tracker.liveWriters(m.streamId) });
        return;
      }
      case 'removeBlocks':
        this.tracker?.removeBlocks(m.blockIds, (id) => [...(this.dag.blockLocations.workersFor(id) ?? [])]);
        this.dag.blockLocations.removeIds(m.blockIds);
        return;
      case 'batch':
        this.streaming = true;
        this.batchesCompleted++;
        this.lastBatch = m.info;
        return;
      case 'log':
        this.log[m.level](m.fields, m.message);
        return;
      case 'done':
        this.finish('succeeded', undefined);
        return;
      case 'failed':
        this.finish('failed', { code: m.code, message: m.message, stack: m.stack });
        return;
      default: {
        const never: never = m;
        this.log.error({ msg: never }, 'unknown message from job thread');
      }
    }
  }

  private finish(state: JobStateName, error: ErrorInfo | undefined): void {
    if (this.state !== 'running') return;
    this.state = state;
    this.error = error;
    this.endedAt = this.clock.now();
    this.tracker?.close();
    this.tracker = undefined;
    this.broadcasts.clear();
    this.dag.endJob(this.id);
    for (const w of this.registry.all()) void w.endpoint.releaseJob(this.id);
    if (state === 'failed') this.log.warn({ code: error?.code, message: error?.message }, 'job failed');
    else this.log.info({ state }, 'job ended');
    this.pendingEnd = [state, error];
    if (state !== 'cancelled') {
      // The program returned or threw (or its thread is gone): let the thread exit by
      // itself so its last printed lines (often what explains a failure) arrive first.
      setTimeout(() => void this.thread.terminate(), 2000).unref();
    } else void this.thread.terminate();
    this.flushEnd();
  }

  /** Emit `end` once the thread's output streams have drained (or 1 s later at most). */
  private flushEnd(): void {
    if (!this.pendingEnd) return;
    const emitEnd = (): void => {
      if (!this.pendingEnd) return;
      const [s, e] = this.pendingEnd;
      this.pendingEnd = undefined;
      this.outcome = { state: s, error: e };
      this.emit('end', s, e);
    };
    if (this.outputOpen <= 0) emitEnd();
    else setTimeout(emitEnd, 1000).unref();
  }
}
