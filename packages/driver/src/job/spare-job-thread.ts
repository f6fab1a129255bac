import { Worker as Thread } from 'node:worker_threads';
import type { Logger } from 'pino';
import { jobEnvironment, type ThreadCode } from '@sluice/core/internal';
import type { JobThreadData, MainToJob } from './job-protocol.js';

/** The driver-program thread's entry (job-thread.ts) as tsc built it (the default; the `sluice` command may pass its bundle, ThreadCode). */
export const JOB_THREAD_ENTRY = new URL('./job-thread.js', import.meta.url);

/** What a job thread is started with: a job's data, or (a spare) none yet. */
export type JobThreadStart = JobThreadData | { readonly spare: true };

/** Options every job thread is started with: its output piped to the driver, the job environment (no cluster secret). */
export function jobThreadOptions(workerData: JobThreadStart): ConstructorParameters<typeof Thread>[1] {
  return { workerData, stdout: true, stderr: true, env: jobEnvironment() };
}

/**
 * One driver-program thread started ahead of the first job (`sluice run` asks for it), so
 * the job does not wait for a thread to start and load Sluice: the thread loads its code
 * while the workers start, and its first message, `bind`, gives it the job's data; it then
 * imports the job's bundle as a thread started for that job does.
 *
 * Invariants: the spare has run only the thread entry and received nothing before `bind`,
 * which it gets once: `take()` hands it over for good (never a second time), and no spare
 * is started again — a later job (or attempt) starts a thread of its own. A spare that
 * dies before it is taken is dropped. A spare alone keeps no process alive.
 *
 * Threading: the driver's main thread only.
 */
export class SpareJobThread {
  private spare: { readonly thread: Thread; readonly onGone: () => void } | undefined;
  private used = false;

  constructor(
    private readonly log: Logger,
    /** The entry job threads start from (DriverOptions.jobThreadCode). */
    private readonly entry: URL = JOB_THREAD_ENTRY,
  ) {}

  /** Start the spare (once; later calls do nothing). */
  start(): void {
    if (this.used || this.spare) return;
    this.used = true;
    const thread = new Thread(this.entry, jobThreadOptions({ spare: true }));
    const onGone = (): void => {
      if (this.spare?.thread !== thread) return;
      this.spare = undefined;
      this.log.warn('the spare job thread died before a job used it');
      thread.on('error', () => undefined);
      void thread.terminate();
    };
    thread.on('error', onGone);
    thread.on('exit', onGone);
    thread.unref();
    this.spare = { thread, onGone };
  }

  /** A thread for the job `data` describes: the spare bound to it if there is one, else a new thread. */
  threadFor(data: JobThreadData): Thread {
    return this.take(data) ?? new Thread(this.entry, jobThreadOptions(data));
  }

  /** The spare, bound to the job `data` describes; undefined when there is none (start a thread). */
  take(data: JobThreadData): Thread | undefined {
    const s = this.spare;
    if (!s) return undefined;
    this.spare = undefined;
    s.thread.off('error', s.onGone);
    s.thread.off('exit', s.onGone);
    s.thread.ref();
    s.thread.postMessage({ type: 'bind', data } satisfies MainToJob);
    this.log.debug({ jobId: data.jobId }, 'spare job thread bound to a job');
    return s.thread;
  }

  /** Terminate the spare if it was not taken. */
  close(): void {
    this.used = true;
    const s = this.spare;
    this.spare = undefined;
    if (!s) return;
    s.thread.off('error', s.onGone);
    s.thread.off('exit', s.onGone);
    s.thread.on('error', () => undefined);
    void s.thread.terminate();
  }
}
