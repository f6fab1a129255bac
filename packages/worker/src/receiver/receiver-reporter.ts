import type { Logger } from 'pino';
import type { wire } from '@sluice/core/internal';

/** Sends one report to the driver; resolves with its answer, rejects when the driver did not answer. */
export type ReportSender = (report: wire.ReceiverReport) => Promise<{ readonly keep: boolean; readonly rateLimit?: number }>;

/** Events sent in one report at most. */
const MAX_EVENTS_PER_REPORT = 500;
const MIN_BACKOFF_MS = 100;
/** Retries are at most this far apart, so a driver that comes back hears within 2 s. */
const MAX_BACKOFF_MS = 2000;

type State = 'open' | 'closed';

/**
 * Delivers what one receiver does (blocks stored and replicated, errors, start, stop) to
 * the driver with Driver.ReportReceiver, as Spark's ReceiverSupervisor reports blocks to
 * the ReceiverTracker: in order, each once, and retried with backoff (100 ms doubling to
 * 2 s) for as long as the driver does not answer — a GC pause, a stalled VM or a dropped
 * connection of the driver delays the blocks but loses none. The receiver keeps running
 * meanwhile; its blocks wait here (ids and locations only: the data is in the
 * BlockManager and its replica).
 *
 * Invariants: events are numbered from 1 in the order `report` got them; a report is
 * resent with the same numbers until answered, so the driver applies each event once.
 * The driver answering `keep: false` (job ended, receiver placed elsewhere) closes the
 * reporter and calls `onDropped`. An answer with a backpressure rate (`rateLimit` > 0)
 * other than the last one calls `onRate`: the driver's rates reach receivers this way, at
 * the latest with their next block's report. Threading: worker main thread.
 */
export class ReceiverReporter {
  private state: State = 'open';
  private readonly queue: wire.ReceiverEvent[] = [];
  /** Called once queue[i] is delivered (or with an error once it never will be). */
  private readonly delivered: (((err?: Error) => void) | undefined)[] = [];
  /** Sequence number of queue[0]. */
  private nextSeq = 1;
  private sending = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private backoffMs = MIN_BACKOFF_MS;
  private failingSince: number | undefined;
  private lastFailureLog = 0;

  constructor(
    private readonly header: { readonly job_id: string; readonly stream_id: number; readonly receiver_id: string; readonly worker_id: string },
    private readonly send: ReportSender,
    private readonly onDropped: () => void,
    private readonly log: Logger,
    private readonly onRate: (rate: number) => void = () => undefined,
  ) {}

  private lastRate = 0;

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
    this.state = 'closed';
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.queue.length = 0;
    const err = new Error('the driver no longer runs this receiver here');
    for (const d of this.delivered.splice(0)) d?.(err);
  }

  private pump(): void {
    if (this.state === 'closed' || this.sending || this.retryTimer || this.queue.length === 0) return;
    this.sending = true;
    const events = this.queue.slice(0, MAX_EVENTS_PER_REPORT);
    const firstSeq = this.nextSeq;
    this.send({ ...this.header, first_seq: firstSeq, events }).then(
      (answer) => {
        this.sending = false;
        if (this.state === 'closed') return;
        this.queue.splice(0, events.length);
        for (const d of this.delivered.splice(0, events.length)) d?.();
        this.nextSeq = firstSeq + events.length;
        this.backoffMs = MIN_BACKOFF_MS;
        if (this.failingSince !== undefined) {
          this.log.info({ afterMs: Date.now() - this.failingSince, delivered: events.length, pending: this.queue.length }, 'driver takes receiver reports again');
          this.failingSince = undefined;
          this.lastFailureLog = 0;
        }
        if (answer.keep && answer.rateLimit !== undefined && answer.rateLimit > 0 && answer.rateLimit !== this.lastRate) {
          this.lastRate = answer.rateLimit;
          this.onRate(answer.rateLimit);
        }
        if (!answer.keep) {
          this.close();
          this.onDropped();
          return;
        }
        // The receiver's last event is delivered: nothing more will come.
        if (events[events.length - 1].stopped !== undefined && this.queue.length === 0) {
          this.close();
          return;
        }
        this.pump();
      },
      (err: Error) => {
        this.sending = false;
        if (this.state === 'closed') return;
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
      },
    );
  }
}
