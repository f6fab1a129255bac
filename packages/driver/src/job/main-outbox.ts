import type { JobToMain } from './job-protocol.js';

/** What the outbox writes to: the job thread's port to the driver's main thread. */
export interface OutboxPort {
  postMessage(message: JobToMain): void;
}

/**
 * The job thread's messages to the driver's main thread. A streaming batch sends several
 * notifications that need no answer — its progress (submitted, started, each output
 * operation's start and end), its figures, the blocks and shuffles it no longer needs —
 * and at 50 ms batches a message each cost both threads a wake-up and a structured-clone
 * round every few milliseconds. Notifications (`post`) wait here until the end of the
 * turn (a `setImmediate`) and go as one `many` message; a message that must go now
 * (`send`: a request, the program's end, a warning) takes whatever waits with it, in
 * front of it.
 *
 * Invariant: the main thread gets every message once, in the order `post` and `send`
 * were called (a request never overtakes a notification made before it: a broadcast's
 * value reaches the main thread before the action that reads it).
 * Threading: the job thread.
 */
export class MainOutbox {
  private queued: JobToMain[] = [];
  private flushScheduled = false;

  constructor(private readonly port: OutboxPort) {}

  /** A notification: sent with the others of this turn. */
  post(m: JobToMain): void {
    this.queued.push(m);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  /** A message that goes now, after whatever waits. */
  send(m: JobToMain): void {
    this.queued.push(m);
    this.flush();
  }

  /**
   * Write what waits: one message as it is, several as one `many`. A message the structured clone
   * refuses (a job whose parallelized data holds a function) does not take the others with it:
   * they go one by one, in order, and the first refusal is thrown to the caller.
   */
  flush(): void {
    const q = this.queued;
    if (q.length === 0) return;
    this.queued = [];
    if (q.length === 1) {
      this.port.postMessage(q[0]);
      return;
    }
    try {
      this.port.postMessage({ type: 'many', messages: q });
    } catch {
      let refused: { err: unknown } | undefined;
      for (const m of q) {
        try {
          this.port.postMessage(m);
        } catch (err) {
          refused ??= { err };
        }
      }
      if (refused) throw refused.err;
    }
  }
}
