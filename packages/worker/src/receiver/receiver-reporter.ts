import type { Logger } from 'pino';
import type { wire } from '@sluice/core/internal';

/** The driver's answer to one report. */
export interface ReportAnswer {
  /** False: the driver no longer runs this receiver here; it stops. */
  readonly keep: boolean;
  /** The receiver's backpressure rate, records/s (0 or absent: none set). */
  readonly rateLimit?: number;
  /** Every event numbered up to this one is applied by the driver. */
  readonly appliedSeq: number;
}

/** What an open report stream tells the reporter. */
export interface ReportStreamHandlers {
  answer(a: ReportAnswer): void;
  /** The stream ended or failed (a driver gone, restarted, or the call cancelled): no more answers come on it. */
  closed(err: Error): void;
}

/** One open report stream to the driver (Driver.ReceiverReports). */
export interface ReportStream {
  write(report: wire.ReceiverReport): void;
  /** Half-close: the reporter is done with it. */
  end(): void;
  /** Give up on it (no answer in time); `closed` is not awaited. */
  cancel(): void;
}

/** Opens a report stream; its answers and its end come through `handlers`. */
export type ReportStreamOpener = (handlers: ReportStreamHandlers) => ReportStream;

/** Events sent in one report at most. */
const MAX_EVENTS_PER_REPORT = 500;
const MIN_BACKOFF_MS = 100;
/** Attempts are at most this far apart, so a driver that comes back hears within 2 s. */
const MAX_BACKOFF_MS = 2000;
/** A stream with events unanswered this long is given up and opened again (a dropped connection nobody noticed). */
export const REPORT_ANSWER_TIMEOUT_MS = 5000;

type State = 'open' | 'closed';

/**
 * Delivers what one receiver does (blocks stored and replicated, errors, start, stop) to
 * the driver over one Driver.ReceiverReports stream, as Spark's ReceiverSupervisor
 * reports blocks to the ReceiverTracker: in order, each once. A report goes on the stream
 * at once — it does not wait for the answer to the one before — and each answer says up
 * to which event the driver has applied. A stream that fails, ends, or leaves events
 * unanswered for 5 s is opened again with backoff (100 ms doubling to 2 s) and carries
 * every event not yet acknowledged again, for as long as the driver does not answer: a GC
 * pause, a stalled VM or a dropped connection of the driver delays the blocks but loses
 * none. The receiver keeps running meanwhile; its blocks wait here (ids and locations
 * only: the data is in the BlockManager and its replica).
 *
 * Invariants: events are numbered from 1 in the order `report` got them; `queue[0]` is
 * numbered `firstSeq` and every event before it is acknowledged; on the current stream the
 * events up to `sentSeq` are written, and a new stream starts again from `firstSeq`, so
 * the driver (which applies each number once) sees every event at least once and applies
 * it once. The driver answering `keep: false` (job ended, receiver placed elsewhere)
 * closes the reporter and calls `onDropped`. An answer with a backpressure rate
 * (`rateLimit` > 0) other than the last one calls `onRate`: the driver's rates reach
 * receivers this way, at the latest with their next block's answer.
 * Threading: worker main thread.
 */
export class ReceiverReporter {
  private state: State = 'open';
  private readonly queue: wire.ReceiverEvent[] = [];
  /** Called once queue[i] is delivered (or with an error once it never will be). */
  private readonly delivered: (((err?: Error) => void) | undefined)[] = [];
  /** Sequence number of queue[0]. */
  private firstSeq = 1;
  /** The last sequence number written on the current stream. */
  private sentSeq = 0;
  private stream: ReportStream | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private answerTimer: NodeJS.Timeout | undefined;
  private backoffMs = MIN_BACKOFF_MS;
  private failingSince: number | undefined;
  private lastFailureLog = 0;
  private lastRate = 0;

  constructor(
    private readonly header: { readonly job_id: string; readonly stream_id: number; readonly receiver_id: string; readonly worker_id: string },
    private readonly open: ReportStreamOpener,
    private readonly onDropped: () => void,
    private readonly log: Logger,
    private readonly onRate: (rate: number) => void = () => undefined,
    private readonly answerTimeoutMs = REPORT_ANSWER_TIMEOUT_MS,
  ) {}

  /** Queue an event for the driver; `onDelivered` is called once the driver has it, or with an error once it never will. */
  report(e: wire.ReceiverEvent, onDelivered?: (err?: Error) => void): void {
    if (this.state === 'closed') {
      onDelivered?.(new Error('the receiver no longer reports to the driver'));
      return;
    }
    this.queue.push(e);
    this.delivered.push(onDelivered);
    this.pump();
  }

  /** Events not yet acknowledged by the driver. */
  get pending(): number {
    return this.queue.length;
  }

  get isClosed(): boolean {
    return this.state === 'closed';
  }

  close(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    clearTimeout(this.answerTimer);
    this.answerTimer = undefined;
    const s = this.stream;
    this.stream = undefined;
    s?.end();
    this.queue.length = 0;
    const err = new Error('the driver no longer runs this receiver here');
    for (const d of this.delivered.splice(0)) d?.(err);
  }

  /** Write the events not yet on the current stream (opening one if none is open). */
  private pump(): void {
    if (this.state === 'closed' || this.retryTimer) return;
    const lastSeq = this.firstSeq + this.queue.length - 1;
    if (this.sentSeq >= lastSeq) return;
    if (!this.stream) {
      const handlers: ReportStreamHandlers = {
        answer: (a) => {
          if (this.stream === s) this.onAnswer(a);
        },
        closed: (err) => {
          if (this.stream === s) this.onClosed(err);
        },
      };
      const s: ReportStream = this.open(handlers);
      this.stream = s;
      this.sentSeq = this.firstSeq - 1;
    }
    const stream = this.stream;
    while (this.sentSeq < lastSeq && this.stream === stream) {
      const from = this.sentSeq + 1 - this.firstSeq;
      const events = this.queue.slice(from, from + MAX_EVENTS_PER_REPORT);
      this.sentSeq += events.length;
      stream.write({ ...this.header, first_seq: this.firstSeq + from, events });
    }
    this.answerTimer ??= setTimeout(() => this.answerTimedOut(), this.answerTimeoutMs);
  }

  private onAnswer(a: ReportAnswer): void {
    const n = Math.min(this.queue.length, a.appliedSeq - this.firstSeq + 1);
    let stoppedDelivered = false;
    if (n > 0) {
      const done = this.queue.splice(0, n);
      stoppedDelivered = done[done.length - 1].stopped !== undefined;
      this.firstSeq += n;
      for (const d of this.delivered.splice(0, n)) d?.();
      this.backoffMs = MIN_BACKOFF_MS;
      if (this.failingSince !== undefined) {
        this.log.info({ afterMs: Date.now() - this.failingSince, pending: this.queue.length }, 'driver takes receiver reports again');
        this.failingSince = undefined;
        this.lastFailureLog = 0;
      }
      // Progress: the timeout runs again for what is still unanswered.
      clearTimeout(this.answerTimer);
      this.answerTimer = this.firstSeq <= this.sentSeq ? setTimeout(() => this.answerTimedOut(), this.answerTimeoutMs) : undefined;
    }
    if (a.keep && a.rateLimit !== undefined && a.rateLimit > 0 && a.rateLimit !== this.lastRate) {
      this.lastRate = a.rateLimit;
      this.onRate(a.rateLimit);
    }
    if (!a.keep) {
      this.close();
      this.onDropped();
      return;
    }
    // The receiver's last event is delivered: nothing more will come.
    if (stoppedDelivered && this.queue.length === 0) this.close();
  }

  private answerTimedOut(): void {
    this.answerTimer = undefined;
    const s = this.stream;
    if (!s || this.firstSeq > this.sentSeq) return;
    s.cancel();
    this.onClosed(new Error(`the driver did not answer receiver reports for ${this.answerTimeoutMs} ms`));
  }

  /** The stream is gone: what it did not get acknowledged goes again on a new one, after a backoff. */
  private onClosed(err: Error): void {
    this.stream = undefined;
    clearTimeout(this.answerTimer);
    this.answerTimer = undefined;
    this.sentSeq = this.firstSeq - 1;
    if (this.state === 'closed' || this.queue.length === 0) return; // a new stream opens with the next event
    const now = Date.now();
    this.failingSince ??= now;
    if (now - this.lastFailureLog >= 30_000) {
      this.lastFailureLog = now;
      this.log.warn({ err: err.message, pending: this.queue.length, failingForMs: now - this.failingSince }, 'cannot report to the driver; the receiver keeps its blocks and retries');
    }
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.pump();
    }, this.backoffMs);
    this.backoffMs = Math.min(MAX_BACKOFF_MS, this.backoffMs * 2);
  }
}
