import { Worker as Thread } from 'node:worker_threads';
import type { Logger } from 'pino';
import { jobEnvironment, type ThreadCode } from '@sluice/core/internal';
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
  /** Set once the thread's own code (and Sluice's) is loaded. */
  ready: boolean;
  readonly onMessage: (msg: ThreadToMain) => void;
  readonly onGone: () => void;
}

/**
 * Task threads started ahead of any job, so a job's first task on this worker does not
 * wait for a thread to start and load Sluice (most of a fresh job's first-task time, and
 * of the first batch of a job recovered after a driver restart).
 *
 * Invariants: a spare holds no job's code or data — it has run only the thread entry and
 * received nothing but its ThreadData, which names no job. `take()` binds a spare to one
 * job (its first message, `bind`, makes it import that job's bundle) and hands it over for
 * good: a thread is never given back, so it never serves a second job; the job's sandbox
 * terminates it. Spares get the job environment (no cluster secret) when they are
 * started, as every job thread does. Up to `size` spares are kept; one taken is replaced
 * once the worker has run no task for SPARE_REPLENISH_DELAY_MS (`taskStarted` and
 * `taskEnded` tell the pool; a task running counts as busy): starting a thread and loading
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

  /** How many spares there are now, and how many of them are ready. */
  get counts(): { spares: number; ready: number } {
    return { spares: this.spares.length, ready: this.spares.filter((s) => s.ready).length };
  }

  /**
   * A thread bound to `jobId`, which imports the bundle at `bundlePath`: a ready spare if
   * there is one, else one still starting, else a new thread. The caller owns it from now
   * on and must listen to its 'error' and 'exit' events at once.
   */
  take(jobId: string, bundlePath: string): Thread {
    const i = this.spares.findIndex((s) => s.ready);
    const spare = this.spares.splice(i >= 0 ? i : 0, 1)[0];
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
    this.log.debug({ jobId, spare: spare !== undefined, ready: spare?.ready ?? false }, 'task thread bound to a job');
    thread.postMessage({ type: 'bind', jobId, bundlePath } satisfies MainToThread);
    this.scheduleReplenish();
    return thread;
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
    for (const s of this.spares.splice(0)) {
      s.thread.off('error', s.onGone);
      s.thread.off('exit', s.onGone);
      s.thread.on('error', () => undefined);
      void s.thread.terminate();
    }
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
    while (!this.closed && this.spares.length < this.size) {
      const thread = this.startThread();
      this.log.debug({ spares: this.spares.length + 1, size: this.size }, 'spare task thread started');
      const spare: Spare = {
        thread,
        ready: false,
        onMessage: (msg) => {
          if (msg.type !== 'ready') return;
          spare.ready = true;
          this.log.debug({ ...this.counts, size: this.size }, 'spare task thread ready');
        },
        onGone: () => {
          const i = this.spares.indexOf(spare);
          if (i < 0) return;
          this.spares.splice(i, 1);
          this.log.warn('a spare task thread died before any job used it');
          // 'error' is followed by 'exit'; listen on so neither is unhandled.
          thread.on('error', () => undefined);
          void thread.terminate();
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
