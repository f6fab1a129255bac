import { Worker as Thread } from 'node:worker_threads';
import type { Logger } from 'pino';
import { jobEnvironment, type ExecutorEnv, type ThreadCode } from '@sluice/core/internal';
import type { MainToThread, ThreadData, ThreadToMain } from './thread-protocol.js';

/** The task threads' entry as tsc built it (the default; the `sluice` command may pass its bundle, ThreadCode). */
export const TASK_THREAD_ENTRY = new URL('./task-thread.js', import.meta.url);

/**
 * How long the worker must have run no task before a taken spare's replacement starts: not
 * while the job that took it starts its first tasks, nor between a stream's batches.
 */
export const SPARE_REPLENISH_DELAY_MS = 1000;

interface Spare {
  readonly thread: Thread;
  /** Set once the thread's own code (and Sluice's) is loaded; for a thread given back, once it answered `unbound` clean. */
  ready: boolean;
  /** The sha256 of the bundle of the job a thread given back served (it serves only jobs of that bundle); undefined: a fresh thread, for any job. */
  readonly bundle: string | undefined;
  readonly onMessage: (msg: ThreadToMain) => void;
  readonly onGone: () => void;
}

/**
 * Task threads started ahead of any job, so a job's first task on this worker does not
 * wait for a thread to start and load Sluice (most of a fresh job's first-task time, and
 * of the first batch of a job recovered after a driver restart).
 *
 * Invariants: a fresh spare holds no job's code or data — it has run only the thread entry
 * and received nothing but its ThreadData, which names no job. `take()` binds a spare to
 * one job (`bind` makes it import that job's bundle) and hands it over: the job's sandbox
 * owns it, and no other job gets it while it does. When the job is released its idle task
 * threads are given back (`giveBack`): each is unbound and kept only if it answers clean
 * (the job left no timer, socket, global, builtin change, environment variable or process
 * listener behind: ThreadBaseline), and only for a later job of the same bundle (same
 * sha256: the same code), which imports the bundle afresh (no module state carried); such
 * a thread runs warm (Sluice's code and the job's compiled by V8's optimizing tiers), where a
 * fresh one loads and compiles all of it again: most of a short job's CPU on a worker. Up
 * to `size` threads given back are kept (the oldest dropped first), apart from the `size`
 * fresh spares; a thread serves at most 64 jobs (task-thread.ts). A job of another bundle
 * takes a fresh spare or starts a thread. Spares get the job environment (no cluster
 * secret) when they are started, as every job thread does. Up to `size` fresh spares are kept; one taken is replaced
 * once the worker has run no task for SPARE_REPLENISH_DELAY_MS (`taskStarted` and
 * `taskEnded` tell the pool; a task running counts as busy, and so does a job bound to the
 * worker until it is released: the Executor counts it as one task): starting a thread and loading
 * Sluice costs 100-300 ms of CPU, which on a one-core worker delayed the batches a stream
 * ran about 1 s after its start (at 50 ms batches the slowest of a run: numbers 15-21).
 * A worker kept busy by a job (a stream's batches) keeps no spare until it is idle; a
 * second job submitted meanwhile starts its threads cold. No replacement at all when
 * `replace` is false (a worker that serves one job, `sluice run`'s: a replacement would
 * load Sluice during that job's first stage and never be used; a later thread of the job
 * starts cold). A spare that dies is dropped, and replaced only at the next `take()`
 * (never in a loop).
 *
 * Threading: the worker's main thread only.
 */
export class SpareTaskThreads {
  private readonly spares: Spare[] = [];
  private replenishTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Tasks running on this worker now (taskStarted minus taskEnded). */
  private activeTasks = 0;
  /** performance.now() of the last task start or end here. */
  private lastActivity = -Infinity;

  constructor(
    private readonly size: number,
    private readonly threadData: ThreadData,
    private readonly log: Logger,
    /** Whether a spare taken is replaced (see above). */
    private readonly replace: boolean = true,
    /** The entry every task thread starts from (WorkerOptions.taskThreadCode). */
    private readonly entry: URL = TASK_THREAD_ENTRY,
  ) {}

  /** Start the spares (idempotent). */
  start(): void {
    if (!this.closed) this.replenish();
  }

  /** How many spares there are now, how many of them are ready, and how many of those were given back by a job. */
  get counts(): { spares: number; ready: number; reused: number } {
    return { spares: this.spares.length, ready: this.spares.filter((s) => s.ready).length, reused: this.spares.filter((s) => s.ready && s.bundle !== undefined).length };
  }

  /**
   * A thread bound to `jobId`, which imports the bundle at `bundlePath`: a ready thread
   * given back by a job of the same bundle (`bundleSha256`) if there is one, else a ready
   * fresh spare, else one still starting, else a new thread. The caller owns it from now
   * on and must listen to its 'error' and 'exit' events at once. `env`, the job's executor
   * environment, is set in the thread's process.env while it serves the job.
   */
  take(jobId: string, bundleSha256: string, bundlePath: string, filesDir?: string, env?: ExecutorEnv): Thread {
    let i = this.spares.findIndex((s) => s.ready && s.bundle === bundleSha256);
    if (i < 0) i = this.spares.findIndex((s) => s.ready && s.bundle === undefined);
    if (i < 0) i = this.spares.findIndex((s) => s.bundle === undefined);
    const spare = i >= 0 ? this.spares.splice(i, 1)[0] : undefined;
    let thread: Thread;
    if (spare) {
      spare.thread.off('message', spare.onMessage);
      spare.thread.off('error', spare.onGone);
      spare.thread.off('exit', spare.onGone);
      thread = spare.thread;
      thread.ref();
    } else {
      thread = this.startThread();
    }
    this.log.debug({ jobId, spare: spare !== undefined, ready: spare?.ready ?? false, reused: spare?.bundle !== undefined }, 'task thread bound to a job');
    thread.postMessage({ type: 'bind', jobId, bundlePath, ...(filesDir !== undefined && { filesDir }), ...(env !== undefined && Object.keys(env).length > 0 && { env }) } satisfies MainToThread);
    this.scheduleReplenish();
    return thread;
  }

  /**
   * A thread `take()` handed to job `jobId` (of the bundle `bundleSha256`), idle, back from
   * the job's sandbox once the job was released: the caller has taken its listeners off.
   * Kept if it answers `unbind` clean, else terminated.
   */
  giveBack(thread: Thread, jobId: string, bundleSha256: string): void {
    const spare: Spare = {
      thread,
      ready: false,
      bundle: bundleSha256,
      onMessage: (msg) => {
        if (msg.type !== 'unbound') return;
        if (!msg.clean) {
          this.log.debug({ jobId, reason: msg.reason }, 'task thread not kept after its job');
          this.drop(spare);
          return;
        }
        spare.ready = true;
        this.log.debug({ jobId, ...this.counts }, 'task thread kept for a later job of its bundle');
      },
      onGone: () => this.drop(spare),
    };
    thread.on('message', spare.onMessage);
    thread.on('error', spare.onGone);
    thread.on('exit', spare.onGone);
    if (this.closed) return this.drop(spare);
    thread.unref();
    this.spares.push(spare);
    thread.postMessage({ type: 'unbind' } satisfies MainToThread);
    // Kept: `size` threads given back at most, the oldest dropped first.
    const givenBack = this.spares.filter((s) => s.bundle !== undefined);
    if (givenBack.length > this.size) this.drop(givenBack[0]);
  }

  /** A task started on this worker: no replacement starts while it runs (see above). */
  taskStarted(): void {
    this.activeTasks++;
    this.lastActivity = performance.now();
  }

  /** A task ended on this worker: a replacement waits SPARE_REPLENISH_DELAY_MS from now. */
  taskEnded(): void {
    this.activeTasks = Math.max(0, this.activeTasks - 1);
    this.lastActivity = performance.now();
  }

  /** Terminate the spares; `take()` starts threads of its own from now on. */
  close(): void {
    this.closed = true;
    clearTimeout(this.replenishTimer);
    this.replenishTimer = undefined;
    for (const s of [...this.spares]) this.drop(s);
  }

  /** A spare out of the pool, terminated. */
  private drop(spare: Spare): void {
    const i = this.spares.indexOf(spare);
    if (i >= 0) this.spares.splice(i, 1);
    spare.thread.off('message', spare.onMessage);
    spare.thread.off('error', spare.onGone);
    spare.thread.off('exit', spare.onGone);
    // 'error' is followed by 'exit'; listen on so neither is unhandled.
    spare.thread.on('error', () => undefined);
    void spare.thread.terminate();
  }

  private startThread(): Thread {
    return new Thread(this.entry, { workerData: this.threadData, env: jobEnvironment() });
  }

  private scheduleReplenish(delayMs: number = SPARE_REPLENISH_DELAY_MS): void {
    if (this.closed || this.replenishTimer || !this.replace) return;
    this.replenishTimer = setTimeout(() => {
      this.replenishTimer = undefined;
      const quietMs = performance.now() - this.lastActivity;
      // Busy (a task runs, or one ran within the delay): look again once it could be quiet.
      if (this.activeTasks > 0) this.scheduleReplenish();
      else if (quietMs < SPARE_REPLENISH_DELAY_MS) this.scheduleReplenish(SPARE_REPLENISH_DELAY_MS - quietMs);
      else this.replenish();
    }, delayMs);
    this.replenishTimer.unref();
  }

  private replenish(): void {
    while (!this.closed && this.spares.filter((s) => s.bundle === undefined).length < this.size) {
      const thread = this.startThread();
      this.log.debug({ spares: this.spares.length + 1, size: this.size }, 'spare task thread started');
      const spare: Spare = {
        thread,
        ready: false,
        bundle: undefined,
        onMessage: (msg) => {
          if (msg.type === 'warmedUp') {
            this.log.debug({ tasks: msg.tasks, ms: Math.round(msg.ms), ...(msg.error === undefined ? {} : { error: msg.error }) }, 'spare task thread warmed up');
            return;
          }
          if (msg.type !== 'ready') return;
          spare.ready = true;
          this.log.debug({ ...this.counts, fresh: this.spares.filter((s) => s.ready && s.bundle === undefined).length, size: this.size }, 'spare task thread ready');
        },
        onGone: () => {
          if (!this.spares.includes(spare)) return;
          this.log.warn('a spare task thread died before any job used it');
          this.drop(spare);
        },
      };
      thread.on('message', spare.onMessage);
      thread.on('error', spare.onGone);
      thread.on('exit', spare.onGone);
      // A spare alone keeps no process alive.
      thread.unref();
      this.spares.push(spare);
    }
  }
}
