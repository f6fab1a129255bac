import crypto from 'node:crypto';
import { Worker as Thread } from 'node:worker_threads';
import type { Logger } from 'pino';
import { jobEnvironment } from '@sluice/core/internal';
import type { JobThreadData } from './job-protocol.js';
import { ProgramThread, type ProgramThreadOwner } from './program-thread.js';

/** The driver-program thread's entry (job-thread.ts) as tsc built it (the default; the `sluice` command may pass its bundle, ThreadCode). */
export const JOB_THREAD_ENTRY = new URL('./job-thread.js', import.meta.url);

/** What a job thread is started with: a job's data, or (a spare) none yet. */
export type JobThreadStart = JobThreadData | { readonly spare: true };

/** Options every job thread is started with: its output piped to the driver, the job environment (no cluster secret). */
export function jobThreadOptions(workerData: JobThreadStart): ConstructorParameters<typeof Thread>[1] {
  return { workerData, stdout: true, stderr: true, env: jobEnvironment() };
}

/** A thread started for the job `data` describes (from `entry`), owned by `owner`. */
export function startProgramThread(data: JobThreadData, owner: ProgramThreadOwner, entry: URL = JOB_THREAD_ENTRY): ProgramThread {
  const t = new ProgramThread(new Thread(entry, jobThreadOptions(data)));
  t.bind(data, owner, false);
  return t;
}

/** Driver-program threads kept idle after their jobs, for later jobs of their bundles (the oldest dropped first). */
export const MAX_KEPT_JOB_THREADS = 2;

/** The line that ends a job's output in its thread (JobThreadData.outputEnd): unique to the job. */
export function outputEndLine(jobId: string): string {
  return `\u0000sluice: end of the output of ${jobId} ${crypto.randomBytes(8).toString('hex')}`;
}

/**
 * The driver's driver-program threads that wait for a job: one started ahead of the first
 * job (`start`: `sluice run` asks for it, so the job does not wait for a thread to start and
 * load Sluice: the thread loads its code while the workers start), and threads given back
 * by jobs whose program returned leaving nothing behind (`giveBack`, job-thread.ts), kept
 * for a later job **of the same bundle sha256 only** (the same code: what the first job
 * could leave, the second would make itself), which imports the bundle under a new URL (a
 * module instance of its own). A kept thread runs warm: Node's and Sluice's code loaded and
 * compiled, where a new thread loads and compiles it all again (~200 ms of the driver's CPU
 * a job, most of a short job's driver-side cost).
 *
 * With `replace` (a standing `sluice driver`, which serves job after job; since 2026-12-05) a
 * spare taken is replaced once no job attempt runs on the driver (`attemptEnded` told of each
 * attempt's end): a later job of another bundle then finds a thread with Sluice loaded instead
 * of starting one (bench/jobs-in-a-row.js: a job's span in the driver 822 -> 660 ms; bench/
 * README, "The cost of one task", fourteenth round). Never while an attempt runs: the load
 * would take CPU from its first tasks (a stream keeps its attempt running, so a driver serving
 * one gets no spare until it ends).
 *
 * Invariants: a thread serves one job at a time — `threadFor` hands a thread over for good
 * (the job's DriverJob owns it until it gives it back or it ends); the spare has run only
 * the thread entry and received nothing before its `bind`; without `replace` it is started
 * once (a later job starts a thread of its own or takes a kept one), with it again each time
 * no attempt runs and there is none. A thread is kept only if its job's output
 * drained (its end line came on both streams: ProgramThread) and nothing came after it;
 * at most MAX_KEPT_JOB_THREADS are kept, each serving at most MAX_JOBS_PER_THREAD jobs
 * (BundleImports, in the thread). A kept thread or the spare that dies is dropped; neither
 * keeps the process alive.
 *
 * Threading: the driver's main thread only.
 */
export class SpareJobThreads {
  private spare: ProgramThread | undefined;
  private used = false;
  private closed = false;
  private readonly kept: { readonly thread: ProgramThread; readonly bundleSha: string }[] = [];
  /** Job attempts given a thread (threadFor) that have not ended (attemptEnded). */
  private runningAttempts = 0;

  constructor(
    private readonly log: Logger,
    /** The entry job threads start from (DriverOptions.jobThreadCode). */
    private readonly entry: URL = JOB_THREAD_ENTRY,
    /** Whether a spare taken is replaced once no attempt runs (see above). */
    private readonly replace = false,
  ) {}

  /** Start the spare (once without `replace`; later calls do nothing). */
  start(): void {
    if (this.used || this.spare || this.closed) return;
    this.startSpare();
  }

  /** A job attempt given a thread by `threadFor` ended (whatever became of its thread): with `replace`, the spare is started again once none runs. */
  attemptEnded(): void {
    this.runningAttempts = Math.max(0, this.runningAttempts - 1);
    if (this.replace && this.runningAttempts === 0 && this.used && !this.spare && !this.closed) this.startSpare();
  }

  private startSpare(): void {
    this.used = true;
    this.log.debug('spare job thread started');
    const spare = new ProgramThread(new Thread(this.entry, jobThreadOptions({ spare: true })));
    spare.onIdleGone = () => {
      if (this.spare !== spare) return;
      this.spare = undefined;
      this.log.warn('the spare job thread died before a job used it');
      spare.terminate();
    };
    spare.thread.unref();
    this.spare = spare;
  }

  /** Threads kept for later jobs now. */
  get keptCount(): number {
    return this.kept.length;
  }

  /**
   * A thread for the job `data` describes (of the bundle `bundleSha`), owned by `owner`: a
   * thread kept after a job of the same bundle, else the spare, else a new one.
   */
  threadFor(data: JobThreadData, bundleSha: string, owner: ProgramThreadOwner): ProgramThread {
    const i = this.kept.findIndex((k) => k.bundleSha === bundleSha && !k.thread.tainted && !k.thread.gone);
    this.runningAttempts++;
    const taken = i >= 0 ? this.kept.splice(i, 1)[0].thread : this.spare;
    if (taken === this.spare) this.spare = undefined;
    if (!taken) return startProgramThread(data, owner, this.entry);
    taken.onIdleGone = undefined;
    taken.thread.ref();
    taken.bind(data, owner, true);
    this.log.debug({ jobId: data.jobId, reused: i >= 0, kept: this.kept.length }, i >= 0 ? 'kept job thread bound to a job of its bundle' : 'spare job thread bound to a job');
    return taken;
  }

  /**
   * The job `jobId` (of the bundle `bundleSha`) that owned `thread` ended, and its program
   * said the thread may serve a later job: keep it once the job's output drained, if it is
   * still fit; else terminate it.
   */
  giveBack(thread: ProgramThread, jobId: string, bundleSha: string): void {
    // Its job is over: the thread alone keeps no process alive, kept or not.
    thread.thread.unref();
    thread.giveBack((fit) => {
      if (!fit || this.closed) {
        this.log.debug({ jobId, tainted: thread.tainted, gone: thread.gone }, 'job thread not kept after its job');
        return thread.terminate();
      }
      thread.onIdleGone = () => this.drop(thread);
      this.kept.push({ thread, bundleSha });
      if (this.kept.length > MAX_KEPT_JOB_THREADS) this.drop(this.kept[0].thread);
      this.log.debug({ jobId, kept: this.kept.length }, 'job thread kept for a later job of its bundle');
    });
  }

  /** Terminate the spare and the kept threads; jobs start threads of their own from now on. */
  close(): void {
    this.used = true;
    this.closed = true;
    const s = this.spare;
    this.spare = undefined;
    s?.terminate();
    for (const k of [...this.kept]) this.drop(k.thread);
  }

  private drop(thread: ProgramThread): void {
    const i = this.kept.findIndex((k) => k.thread === thread);
    if (i >= 0) this.kept.splice(i, 1);
    thread.onIdleGone = undefined;
    thread.terminate();
  }
}
