import { sparkStorageLevel, StorageLevel, type SparkStorageLevel } from '../rdd/storage-level.js';
import { SluiceError } from '../errors.js';
import type { LineRun } from './line-chunker.js';

/** What a receiver reaches on the worker that runs it (set by the worker, not by users). */
export interface ReceiverSupervisor {
  /** Resolves once the block holding `records` is durable; rejects when it cannot be made so. `position`: the source position of records[0]. */
  store(records: unknown[], position?: number): Promise<void>;
  /** Like store, for `lines` whole text lines given as their bytes (each ending with '\n'; see line-block.ts): kept as bytes, decoded where they are read. */
  storeLines(run: LineRun): Promise<void>;
  /** The receiver's buffer of records not yet durable is full, or its rate is used up: a store now waits. */
  isFull(): boolean;
  /** Resolves once no store waits for room or for the rate (every record stored so far is taken). */
  whenAccepting(): Promise<void>;
  restart(reason: string, error?: unknown, delayMs?: number): void;
  reportError(message: string, error?: unknown): void;
  /** Stop for good; `error` (optional) is what made the receiver stop: its stack reaches the driver as the receiver's lastError. */
  stop(reason: string, error?: unknown): void;
  /** Stopped for good: stores are refused. */
  isStopped(): boolean;
  /** A stop or a restart began (onStop runs or ran, and no new onStart yet). */
  isStopping(): boolean;
  /** The id of the receiver's input stream (Receiver.streamId), when the worker was told it. */
  readonly streamId?: number | undefined;
}

/** The stream each receiver given to `receiverStream` feeds, on the driver program (Spark's setReceiverId). */
const streamIds = new WeakMap<object, number>();

/** @internal Record the input stream a receiver feeds (ssc.receiverStream), as Spark's Receiver.setReceiverId. */
export function setReceiverStreamId(receiver: Receiver<unknown>, streamId: number): void {
  streamIds.set(receiver, streamId);
}

/** Spark's BlockGenerator.addData refusal once its receiver stopped (a store() after the stop). */
const STOPPED_SENTENCE = 'Cannot add data as BlockGenerator has not been started or has been stopped';

/** The records a store() call names: an array's, an iterator's (read to its end), or the one record. */
function recordsOf<T>(x: T | readonly T[] | Iterator<T>): unknown[] {
  if (Array.isArray(x)) return x;
  // Not a record: an iterator holds functions and its state, which no record codec carries.
  if (typeof x === 'object' && x !== null && typeof (x as Partial<Iterator<T>>).next === 'function') {
    const it = x as Iterator<T>;
    const out: T[] = [];
    for (let r = it.next(); !r.done; r = it.next()) out.push(r.value);
    return out;
  }
  return [x];
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
  /**
   * The storage level given to the constructor, as Spark's `Receiver[T](storageLevel)`:
   * `super(StorageLevel.MEMORY_AND_DISK_2)` ports as written (since 2026-12-05; before, the
   * constructor took nothing). Kept for the program to read; received blocks are stored as
   * Sluice always stores them (serialized; replicated to a second worker, or written to the
   * write-ahead log), whatever the level. Default Spark's usual MEMORY_AND_DISK_SER_2. A
   * StorageLevel (Spark's), the constructor taking a level's name too ('MEMORY_ONLY' gives
   * StorageLevel.MEMORY_ONLY); since 2026-12-06 (before, the name as a string).
   */
  readonly storageLevel: StorageLevel;

  constructor(storageLevel: StorageLevel | SparkStorageLevel = StorageLevel.MEMORY_AND_DISK_SER_2) {
    this.storageLevel = sparkStorageLevel(storageLevel, `new ${new.target.name}(storageLevel)`);
  }

  abstract onStart(): void | Promise<void>;
  abstract onStop(): void | Promise<void>;

  /**
   * Where this receiver should run, as Spark's Receiver.preferredLocation: a worker's host as it
   * advertises it (the host of its address in `sluice workers`, e.g. `10.0.1.7` or a compose
   * service's address) or a worker id. Override it to keep a receiver beside its source. The
   * driver places the receiver, and places it again after a failure, on a live worker there
   * (the one running the fewest receivers); when none is there it runs elsewhere, as Spark's
   * does for an unknown host, and stays where it runs. Called on the driver program when the
   * context starts. Default: none (receivers are spread over the workers).
   */
  preferredLocation(): string | undefined {
    return undefined;
  }

  private sup(): ReceiverSupervisor {
    if (!this.supervisor) throw new SluiceError('SLUICE_BAD_ARGUMENT', `${this.constructor.name}: store/restart can only be called once the receiver runs on a worker`);
    return this.supervisor;
  }

  /**
   * Store one record, or every record of an array or of an iterator (a generator, `map.values()`,
   * anything with a `next()`), as Spark's store(T), store(ArrayBuffer[T]) and
   * store(Iterator[T]); an iterator is read to its end at the call. The promise resolves once they are
   * durable — written to the write-ahead log when it is on, else replicated to a second
   * worker and reported to the driver — and rejects if they cannot be made so (or the
   * receiver stopped first). A reliable receiver acknowledges its source only after it
   * resolves: `await this.store(batch); source.ack(batch)`.
   *
   * The receiver's buffer of records not yet durable is bounded
   * (StreamingContextOptions.receiverMaxBufferedRecords), and so is its rate
   * (receiverMaxRate, and the rate backpressure sets): while the buffer is full or the
   * rate used up a store waits, so awaiting stores slows the source down. Calling store without awaiting it (fire and
   * forget, as an unreliable receiver does) is fine: its promise never reports an
   * unhandled rejection.
   *
   * `options.position`: the source's position of the first record (an offset, a sequence
   * number), the others following at consecutive positions. With positions, each position
   * of the stream is counted once however often the source sends it: a receiver that
   * died after its records became durable but before it acknowledged them gets them again
   * from the source, and they are not counted twice (exactly once, not at least once).
   * Spark's store(records, metadata) has no counterpart for its metadata, which Spark keeps
   * with the block and reads nowhere: a program that passes one (not typed so) has it ignored.
   * Spark's store(ByteBuffer) neither: a Buffer is one record (a Uint8Array once it crosses
   * threads); decode serialized records in the receiver and store them.
   */
  store(recordOrRecords: T | readonly T[] | Iterator<T>, options: { readonly position?: number | undefined } = {}): Promise<void> {
    let p: Promise<void>;
    // Spark's store(records, metadata) takes any metadata, which it keeps with the block and
    // reads nowhere: a program ported with one (a string, a number, null) stores as Spark's
    // does; only an object's `position` is Sluice's.
    const position = typeof options === 'object' && options !== null ? options.position : undefined;
    if (this.supervisor?.isStopped()) {
      p = Promise.reject(new SluiceError('SLUICE_CANCELLED', `${this.constructor.name}: the receiver has stopped; the records were not stored (Spark: "${STOPPED_SENTENCE}")`));
    } else if (position !== undefined && !Number.isSafeInteger(position)) {
      p = Promise.reject(new SluiceError('SLUICE_BAD_ARGUMENT', `${this.constructor.name}.store: position must be a whole number (the source position of the first record), got ${String(position)}`));
    } else {
      p = this.sup().store(recordsOf<T>(recordOrRecords), position);
    }
    // Marked handled: a caller that ignores the promise gets no unhandled rejection; one
    // that awaits it still sees the rejection.
    p.catch(() => undefined);
    return p;
  }

  /**
   * @internal Store whole text lines as the bytes they came in (socketTextStream): they
   * count as `run.lines` records and become String records where the block is read.
   * Same durability, bounds and rate as store().
   */
  storeLines(run: LineRun): Promise<void> {
    const p = this.supervisor?.isStopped()
      ? Promise.reject(new SluiceError('SLUICE_CANCELLED', `${this.constructor.name}: the receiver has stopped; the lines were not stored (Spark: "${STOPPED_SENTENCE}")`))
      : this.sup().storeLines(run);
    p.catch(() => undefined);
    return p;
  }

  /** @internal The buffer of records not yet durable is full, or the rate is used up (a store now waits). */
  bufferFull(): boolean {
    return this.supervisor?.isFull() ?? false;
  }

  /** @internal Resolves once no store waits for room or for the rate. */
  untilAccepting(): Promise<void> {
    return this.supervisor?.whenAccepting() ?? Promise.resolve();
  }

  /**
   * Stop the receiver (its onStop runs) and start it again where it runs after `delayMs`
   * (default 2 s, Spark's spark.streaming.receiverRestartDelay), as Spark's restart: listeners
   * hear onReceiverStopped ("Restarting receiver with delay <delayMs>ms: <reason>", lastError
   * the stack of `error`), then onReceiverStarted. What it stored before is kept.
   */
  restart(reason: string, error?: unknown, delayMs?: number): void {
    this.sup().restart(reason, error, delayMs);
  }

  /** Report a problem to the driver (StreamingListener.onReceiverError) without stopping. */
  reportError(message: string, error?: unknown): void {
    this.sup().reportError(message, error);
  }

  /**
   * Stop receiving for good, as Spark's stop(message) / stop(message, error): `reason` becomes
   * the receiver's lastErrorMessage (REST /streaming/receivers, the listener's
   * onReceiverStopped) and the stack of `error`, when given, its lastError.
   */
  stop(reason: string, error?: unknown): void {
    this.sup().stop(reason, error);
  }

  /**
   * Whether the receiver is stopped, as Spark's: true from the moment a stop or a restart
   * begins, so in onStop too (a loop `while (!this.isStopped())` that onStop waits for ends),
   * until onStart runs again after a restart. Stores made while onStop drains its source are
   * still taken.
   */
  isStopped(): boolean {
    return this.supervisor === undefined || this.supervisor.isStopped() || this.supervisor.isStopping();
  }

  /** Whether the receiver runs (Spark's isStarted): started and no stop or restart begun; the opposite of isStopped(). */
  isStarted(): boolean {
    return !this.isStopped();
  }

  /**
   * The id of the input stream this receiver feeds, as Spark's `Receiver.streamId`: the
   * stream's `id` (`ssc.receiverStream(r).id`), the `streamId` of its listener events and of
   * REST's `streaming/receivers`. Known once the receiver is given to `receiverStream` (on the
   * driver program) and wherever it runs (in onStart, on its worker); -1 before, as Spark's.
   */
  get streamId(): number {
    return this.supervisor?.streamId ?? streamIds.get(this) ?? -1;
  }

  /** @internal Stores are refused from now on (the stop is over; while onStop drains they are still taken). */
  storesRefused(): boolean {
    return this.supervisor?.isStopped() ?? true;
  }
}
