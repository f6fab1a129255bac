import readline from 'node:readline';
import type { Worker as Thread } from 'node:worker_threads';
import type { JobThreadData, JobToMain, MainToJob } from './job-protocol.js';

/** The job a driver-program thread runs now: where its messages, output lines and end go. */
export interface ProgramThreadOwner {
  message(m: JobToMain): void;
  /** A line the job printed on stdout or stderr. */
  /** A line the program printed; `stderr`: on its standard error (console.error, console.warn), else its standard output. */
  line(text: string, stderr: boolean): void;
  /** The job's output is all here: its `outputEnd` line came on both streams, or they closed. */
  drained(): void;
  error(err: Error): void;
  exit(code: number): void;
}

/** How long a thread given back may take to print its job's `outputEnd` before it is terminated instead of kept. */
export const DRAIN_TIMEOUT_MS = 5000;

/**
 * One driver-program thread (job-thread.ts) over its life, which may span several jobs of
 * one bundle (SpareJobThreads): it reads the thread's stdout and stderr as lines for the
 * whole life and hands each message, line, error and exit to the job that owns the thread
 * now. A job's output ends where its `outputEnd` line (JobThreadData) comes on a stream:
 * the thread prints it when the program returned, after everything the program printed,
 * on the same stream, so what comes before it is that job's and nothing of it is left for
 * the next. A partial line before it (printed without a newline) is the job's last line.
 *
 * Invariants: at most one owner at a time; a new owner only once the one before was given
 * back (`giveBack`) and its output drained; a line that comes after a job's end while no
 * other job owns the thread still goes to that job, and the thread is then not kept
 * (`tainted`). Threading: the driver's main thread.
 */
export class ProgramThread {
  private owner: ProgramThreadOwner | undefined;
  /** The owner before (the last job whose output this was), while no job owns the thread. */
  private previous: ProgramThreadOwner | undefined;
  private outputEnd: string | undefined;
  /** Per stream (stdout, stderr): the owner's output ended on it (its end line came, or the stream closed). */
  private readonly ended = [false, false];
  /** The thread printed after its job's end, or its output did not drain in time: it serves no later job. */
  tainted = false;
  /** The thread exited. */
  gone = false;
  /** While given back: called once the job's output drained (the thread may then be kept), or the thread is unfit. */
  private onDrained: ((fit: boolean) => void) | undefined;
  private drainTimer: NodeJS.Timeout | undefined;
  /** Called when the thread errs or exits while no job owns it. */
  onIdleGone: (() => void) | undefined;

  constructor(readonly thread: Thread) {
    [thread.stdout, thread.stderr].forEach((stream, i) => {
      const rl = readline.createInterface({ input: stream, crlfDelay: Infinity });
      rl.on('line', (line) => this.line(i, line));
      rl.on('close', () => this.streamEnded(i));
    });
    thread.on('message', (m: JobToMain) => this.owner?.message(m));
    thread.on('error', (err) => {
      if (this.owner) this.owner.error(err);
      else this.onIdleGone?.();
    });
    thread.on('exit', (code) => {
      this.gone = true;
      this.finishDrain(false);
      if (this.owner) this.owner.exit(code);
      else this.onIdleGone?.();
    });
  }

  /** Make the job `data` describes the owner; `post`: send the thread its `bind` (a thread started for the job has its data). */
  bind(data: JobThreadData, owner: ProgramThreadOwner, post: boolean): void {
    this.owner = owner;
    this.previous = undefined;
    this.outputEnd = data.outputEnd;
    this.ended.fill(false);
    if (post) this.thread.postMessage({ type: 'bind', data } satisfies MainToJob);
  }

  postMessage(m: MainToJob): void {
    this.thread.postMessage(m);
  }

  /**
   * The owner's program returned and the thread said it may serve a later job: once the
   * job's output drained, `keep` is called with whether the thread is fit to (not tainted,
   * not gone, drained within DRAIN_TIMEOUT_MS); the owner gets nothing from then on.
   */
  giveBack(keep: (fit: boolean) => void): void {
    this.onDrained = keep;
    if (this.ended.every(Boolean)) return this.finishDrain(!this.tainted && !this.gone);
    this.drainTimer = setTimeout(() => {
      this.tainted = true;
      this.finishDrain(false);
    }, DRAIN_TIMEOUT_MS);
    this.drainTimer.unref();
  }

  /** Terminate the thread (its owner, if any, gets its exit). */
  terminate(): void {
    this.thread.on('error', () => undefined);
    void this.thread.terminate();
  }

  private line(stream: number, text: string): void {
    const end = this.outputEnd;
    if (end !== undefined && !this.ended[stream] && text.endsWith(end)) {
      // The owner's last partial line, if it printed one, then the end of its output here.
      if (text.length > end.length) this.owner?.line(text.slice(0, -end.length), stream === 1);
      this.streamEnded(stream);
      return;
    }
    if (this.ended[stream]) this.tainted = true;
    (this.owner ?? this.previous)?.line(text, stream === 1);
  }

  private streamEnded(stream: number): void {
    if (this.ended[stream]) return;
    this.ended[stream] = true;
    if (!this.ended.every(Boolean)) return;
    this.owner?.drained();
    if (this.onDrained) this.finishDrain(!this.tainted && !this.gone);
  }

  /** The given-back owner is let go: `keep` hears whether the thread is fit. */
  private finishDrain(fit: boolean): void {
    const keep = this.onDrained;
    if (!keep) return;
    this.onDrained = undefined;
    clearTimeout(this.drainTimer);
    this.drainTimer = undefined;
    this.previous = this.owner;
    this.owner = undefined;
    keep(fit);
  }
}
