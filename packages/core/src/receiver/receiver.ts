import { SluiceError } from '../errors.js';

/** What a receiver reaches on the worker that runs it (set by the worker, not by users). */
export interface ReceiverSupervisor {
  /** Resolves once the block holding `records` is durable; rejects when it cannot be made so. */
  store(records: unknown[]): Promise<void>;
  /** The receiver's buffer of records not yet durable is full: a store now waits for room. */
  isFull(): boolean;
  restart(reason: string, error?: unknown, delayMs?: number): void;
  reportError(message: string, error?: unknown): void;
  stop(reason: string): void;
  isStopped(): boolean;
}

/**
 * A custom input source, as Spark's Receiver: subclass it, implement onStart (begin
 * receiving on your own timers or sockets, never block) and onStop, and call store()
 * with what arrives. It runs as a long-running task on a worker; what it stores is cut
 * into blocks every block interval, replicated to a second worker, and becomes batch data.
 *
 * The instance travels to the worker: its own fields must be plain data (numbers,
 * strings, arrays, plain objects) or functions, and its class must be defined at the
 * top level of the job file.
 *
 * @example
 *   class Counter extends Receiver<number> {
 *     private timer?: NodeJS.Timeout;
 *     onStart() { let i = 0; this.timer = setInterval(() => this.store(i++), 10); }
 *     onStop() { clearInterval(this.timer); }
 *   }
 *   ssc.receiverStream(new Counter()).print();
 */
export abstract class Receiver<T> {
  /** @internal Set on the worker when the receiver starts. */
  supervisor: ReceiverSupervisor | undefined;

  abstract onStart(): void | Promise<void>;
  abstract onStop(): void | Promise<void>;

  private sup(): ReceiverSupervisor {
    if (!this.supervisor) throw new SluiceError('SLUICE_BAD_ARGUMENT', `${this.constructor.name}: store/restart can only be called once the receiver runs on a worker`);
    return this.supervisor;
  }

  /**
   * Store one record, or every record of an array. The promise resolves once they are
   * durable — written to the write-ahead log when it is on, else replicated to a second
   * worker and reported to the driver — and rejects if they cannot be made so (or the
   * receiver stopped first). A reliable receiver acknowledges its source only after it
   * resolves: `await this.store(batch); source.ack(batch)`.
   *
   * The receiver's buffer of records not yet durable is bounded
   * (StreamingContextOptions.receiverMaxBufferedRecords): while it is full a store waits,
   * so awaiting stores slows the source down. Calling store without awaiting it (fire and
   * forget, as an unreliable receiver does) is fine: its promise never reports an
   * unhandled rejection.
   */
  store(recordOrRecords: T | T[]): Promise<void> {
    let p: Promise<void>;
    if (this.supervisor?.isStopped()) {
      p = Promise.reject(new SluiceError('SLUICE_CANCELLED', `${this.constructor.name}: the receiver has stopped; the records were not stored`));
    } else {
      p = this.sup().store(Array.isArray(recordOrRecords) ? recordOrRecords : [recordOrRecords]);
    }
    // Marked handled: a caller that ignores the promise gets no unhandled rejection; one
    // that awaits it still sees the rejection.
    p.catch(() => undefined);
    return p;
  }

  /** @internal The buffer of records not yet durable is full (a store now waits). */
  bufferFull(): boolean {
    return this.supervisor?.isFull() ?? false;
  }

  /** Stop and start the receiver again after `delayMs` (default 2 s), reporting why. */
  restart(reason: string, error?: unknown, delayMs?: number): void {
    this.sup().restart(reason, error, delayMs);
  }

  /** Report a problem to the driver (StreamingListener.onReceiverError) without stopping. */
  reportError(message: string, error?: unknown): void {
    this.sup().reportError(message, error);
  }

  /** Stop receiving for good. */
  stop(reason: string): void {
    this.sup().stop(reason);
  }

  isStopped(): boolean {
    return this.supervisor?.isStopped() ?? true;
  }

  isStarted(): boolean {
    return this.supervisor !== undefined && !this.supervisor.isStopped();
  }
}
