import { RateLimiter } from './rate-limiter.js';
import { RecurringTimer } from './recurring-timer.js';
import { SluiceError, encodeLineBlock, encodeRecords, userErrorInfo, type ErrorCode, type LineRun, type Receiver, type ReceiverSupervisor } from '@sluice/core/internal';

export interface SupervisorSink {
  block(blockId: string, data: Uint8Array, count: number, firstPosition: number | undefined): void;
  /** A problem the receiver reported (or its restart): the message, and the stack of the error it gave ("" if none; Spark's lastError). */
  error(message: string, stack: string): void;
  started(): void;
  /** The receiver stopped: why, and the stack of the error it gave stop() ("" if none; Spark's lastError). */
  stopped(reason: string, stack: string): void;
  /**
   * The receiver stopped for a restart in place (its onStop returned): the stop's message
   * ("Restarting receiver with delay <ms>ms: <reason>") and the stack of the error it gave
   * restart() ("" if none); `started` follows after the delay.
   */
  restarting(reason: string, stack: string): void;
}

/** Longest a receiver's onStop may drain its source before its last block is cut (a socket's peer closing its side). */
export const STOP_DRAIN_MS = 2000;

interface Ack {
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

/** What one store gave: records, or whole text lines kept as their bytes (storeLines). */
type Stored = unknown[] | LineRun;

function countOf(s: Stored): number {
  return Array.isArray(s) ? s.length : s.lines;
}

/**
 * Runs one receiver in a task thread, as Spark's ReceiverSupervisorImpl with its
 * BlockGenerator: records the receiver stores are buffered and cut into a block every
 * block interval, at absolute times (RecurringTimer), half an interval past each multiple
 * of it. Batches fall at multiples of the batch interval (usually a multiple of the block
 * interval) and take the blocks reported before them: a cut half an interval from every
 * batch boundary leaves its block that long to be stored, replicated and reported, and a
 * batch that takes its blocks up to that late still gets the same ones, so each batch gets
 * batch / block interval blocks (5 at 1 s and 200 ms). Cuts on the multiples raced their
 * batch (batches of 4 then 6, more often); a setInterval drifted by each late tick and cut
 * fewer blocks than one an interval. `restart` stops and starts the receiver again after a
 * delay, reporting the stop (as Spark's restartReceiver); `stop` flushes the last block (with the stores still waiting) and reports the stop.
 *
 * Reliable store: `store` resolves once the block holding its records is durable (the
 * worker's main thread answers `onStored`: logged, or replicated and reported), and
 * rejects when it cannot be. The buffer is bounded: records stored but not yet durable
 * are at most `maxBuffered` (one store may pass it); a store that fills it cuts the
 * current block at once (see `take`), and a store that finds it full waits, its records
 * not yet taken, until blocks become durable.
 *
 * Rate: records are taken at most at the limiter's rate (receiverMaxRate, and the rate
 * backpressure sets with `updateRate`, as Spark's BlockGenerator waits on its RateLimiter);
 * a store over the rate waits, its records not yet taken. `whenAccepting()` resolves once
 * no store waits (for room or for the rate), so a receiver reading a socket stops reading
 * until then and TCP slows its peer down.
 *
 * Lines stored as bytes (storeLines, socketTextStream) are buffered as those bytes and
 * make a line block (line-block.ts): one copy at the cut, no codec call. A block holds
 * records or lines, never both: a store of the other kind cuts one.
 *
 * Invariants: `held` counts the records (lines) of the current buffer, the blocks in
 * flight and nothing else; each store's promise settles once. Threading: the receiver's thread.
 */
export class ReceiverSupervisorImpl implements ReceiverSupervisor {
  private buffer: unknown[] = [];
  /**
   * Lines of the current buffer kept as bytes (a line block), when it holds lines: copied
   * in as they are stored, so the socket's chunks die young (held until the block is cut
   * they outlived young-generation collections, and their freed memory stayed in the
   * process after an overload). Kept and reused from block to block.
   */
  private lineBuf: Buffer = Buffer.alloc(0);
  private lineBytes = 0;
  private lineCount = 0;
  private bufferAcks: Ack[] = [];
  /** The records of each of bufferAcks' stores, in order (a block that cannot be encoded is split by them). */
  private bufferCounts: number[] = [];
  /** Source position of buffer[0] when the stores gave positions (a block holds consecutive positions only). */
  private bufferPosition: number | undefined;
  /** Blocks sent to the main thread and not yet durable. */
  private readonly inFlight = new Map<string, { readonly count: number; readonly acks: Ack[] }>();
  /** Stores that found the buffer full, waiting for room. */
  private readonly waiting: { readonly records: Stored; readonly ack: Ack; readonly position: number | undefined }[] = [];
  private held = 0;
  private seq = 0;
  private stopped = false;
  /** Set once stop() began (the receiver may still be draining). */
  private stopDone: Promise<void> | undefined;
  private restarting = false;
  /** stop() began: from its onStop on, the receiver counts as stopped (Spark's isStopped), though stores are taken until `stopped`. */
  private stopBegun = false;
  private readonly blockTimer: RecurringTimer;
  /** Set while the first waiting store waits for the rate limiter. */
  private rateTimer: NodeJS.Timeout | undefined;
  private readonly limiter: RateLimiter;
  /** The receiver's input stream (Receiver.streamId). */
  readonly streamId: number | undefined;
  /** Callers of whenAccepting(), resolved once no store waits. */
  private accepting: (() => void)[] = [];

  constructor(
    private readonly receiver: Receiver<unknown>,
    private readonly blockPrefix: string,
    blockIntervalMs: number,
    private readonly maxBuffered: number,
    private readonly sink: SupervisorSink,
    /**
     * Records/s: `maxRate` bounds every rate; `initialRate` holds until the first updateRate
     * (both unbounded when absent). `streamId`: the receiver's stream, named in a failed
     * start's stop ("Error starting receiver <streamId>").
     */
    options: { readonly maxRate?: number; readonly initialRate?: number; readonly streamId?: number } = {},
  ) {
    receiver.supervisor = this;
    this.streamId = options.streamId;
    this.limiter = new RateLimiter(options.maxRate ?? Infinity, options.initialRate ?? Infinity, blockIntervalMs);
    this.blockTimer = new RecurringTimer(blockIntervalMs, Math.floor(blockIntervalMs / 2), () => this.flush());
  }

  /** Backpressure's new rate for this receiver (records/s); receiverMaxRate still bounds it. */
  updateRate(rate: number): void {
    this.limiter.setRate(rate);
    clearTimeout(this.rateTimer);
    this.rateTimer = undefined;
    this.drain();
  }

  /** Records per second the receiver takes in now (Infinity: unbounded). */
  get rate(): number {
    return this.limiter.rate;
  }

  whenAccepting(): Promise<void> {
    if (this.waiting.length === 0 || this.stopped) return Promise.resolve();
    return new Promise((r) => this.accepting.push(r));
  }

  start(): void {
    this.blockTimer.start();
    this.startReceiver();
  }

  /**
   * As Spark's ReceiverSupervisor.startReceiver: the receiver is registered with the tracker
   * first (`started`: its registerReceiver posts onReceiverStarted, the receiver active, its
   * error info cleared), and only then does its onStart run. Before 2026-12-05 `started` was
   * reported once onStart returned (its promise resolved), so an onStart that never resolved
   * was never reported started.
   */
  private startReceiver(): void {
    this.sink.started();
    try {
      const r = this.receiver.onStart();
      if (r instanceof Promise) r.catch((err: unknown) => this.startFailed(err));
    } catch (err) {
      this.startFailed(err);
    }
  }

  /**
   * onStart threw (or its promise rejected): as Spark's startReceiver, the receiver is stopped
   * ("Error starting receiver <streamId>", the error's stack as lastError: its onStop runs,
   * onReceiverStopped is posted) and, as any receiver that stops while its context runs, the
   * driver places it again (Spark's ReceiverTracker launches its job again). Before
   * 2026-12-05 it was restarted in place ("Restarting receiver with delay 2000ms: onStart
   * failed: <message>").
   */
  private startFailed(err: unknown): void {
    if (this.stopped || this.stopDone) return;
    void this.stop(`Error starting receiver${this.streamId === undefined ? '' : ` ${this.streamId}`}`, err);
  }

  store(records: unknown[], position?: number): Promise<void> {
    return this.storeAny(records, position);
  }

  storeLines(run: LineRun): Promise<void> {
    return this.storeAny(run, undefined);
  }

  private storeAny(records: Stored, position: number | undefined): Promise<void> {
    if (this.stopped) return Promise.reject(new SluiceError('SLUICE_CANCELLED', `the receiver has stopped; ${countOf(records)} record(s) were not stored`));
    // A store with source positions larger than the rate's burst (one block interval's worth)
    // goes in parts of that size, each waiting for the rate, as Spark's KinesisRecordProcessor
    // splits what the KCL read into stores of the current limit, each record waiting on the
    // rate limiter: so a batch holds about the rate's records, not a whole read of a backlog.
    // Positions count each part's records once whatever happens to the others; a store
    // without positions stays whole (a reliable source sends it all again if it fails).
    const burst = this.limiter.burst;
    if (position !== undefined && Array.isArray(records) && records.length > burst) {
      const size = Math.max(1, Math.floor(burst));
      const parts: Promise<void>[] = [];
      for (let i = 0; i < records.length; i += size) parts.push(this.storeAny(records.slice(i, i + size), position + i));
      return Promise.all(parts).then(() => undefined);
    }
    return new Promise<void>((resolve, reject) => {
      const ack = { resolve, reject };
      if (this.waiting.length === 0 && this.hasRoom() && this.limiter.tryAcquire(countOf(records)) === 0) this.take(records, ack, position);
      else {
        this.waiting.push({ records, ack, position });
        this.drain();
      }
    });
  }

  isFull(): boolean {
    return !this.hasRoom() || this.waiting.length > 0;
  }

  /** Records stored and not yet durable (the current buffer and blocks in flight). */
  get heldRecords(): number {
    return this.held;
  }

  /** The main thread's answer for a block: durable, or `error` (a store() of it rejects with `code`, SLUICE_IO if none is given). */
  onStored(blockId: string, error?: string, code: ErrorCode = 'SLUICE_IO'): void {
    const b = this.inFlight.get(blockId);
    if (!b) return;
    this.inFlight.delete(blockId);
    this.held -= b.count;
    for (const a of b.acks) {
      if (error === undefined) a.resolve();
      else a.reject(new SluiceError(code, `block ${blockId} was not stored: ${error}`));
    }
    this.drain();
  }

  /** Take waiting stores while there is room and the rate allows; else wait for either. */
  private drain(): void {
    while (this.waiting.length > 0 && this.hasRoom() && !this.stopped) {
      if (this.rateTimer !== undefined) return;
      const wait = this.limiter.tryAcquire(countOf(this.waiting[0].records));
      if (wait > 0) {
        this.rateTimer = setTimeout(() => {
          this.rateTimer = undefined;
          this.drain();
        }, wait);
        return;
      }
      const w = this.waiting.shift()!;
      this.take(w.records, w.ack, w.position);
    }
    if (this.waiting.length === 0) for (const r of this.accepting.splice(0)) r();
  }

  private hasRoom(): boolean {
    return this.held === 0 || this.held < this.maxBuffered;
  }

  /**
   * A store that fills the bound cuts the current block at once instead of at the next tick:
   * only blocks in flight give room back, so a full block waiting for the timer held the
   * receiver for nothing (with the default bound and 200 ms blocks it took at most 100,000
   * records a tick, 500,000 a second, and every late durable answer lost a tick's records).
   * Spark's BlockGenerator bounds blocks queued, not records, and keeps taking into its
   * current one; here the records held stay bounded and the block goes on its way.
   */
  private take(records: Stored, ack: Ack, position: number | undefined): void {
    this.takeInto(records, ack, position);
    if (this.held >= this.maxBuffered && (this.lineCount > 0 || this.buffer.length > 0)) this.flush();
  }

  private takeInto(records: Stored, ack: Ack, position: number | undefined): void {
    if (!Array.isArray(records)) {
      // Lines as bytes: a block of records is cut first (a block holds one kind).
      if (this.buffer.length > 0) this.flush();
      this.reserveLines(records.bytes);
      for (const p of records.parts) {
        this.lineBuf.set(p, this.lineBytes);
        this.lineBytes += p.length;
      }
      this.lineCount += records.lines;
      this.held += records.lines;
      this.bufferAcks.push(ack);
      this.bufferCounts.push(records.lines);
      return;
    }
    if (this.lineCount > 0) this.flush();
    // A block's records are at consecutive positions, or have none: cut one here otherwise.
    if (this.buffer.length > 0 && (position === undefined ? this.bufferPosition !== undefined : this.bufferPosition === undefined || position !== this.bufferPosition + this.buffer.length)) {
      this.flush();
    }
    if (this.buffer.length === 0) this.bufferPosition = position;
    for (const r of records) this.buffer.push(r);
    this.held += records.length;
    this.bufferAcks.push(ack);
    this.bufferCounts.push(records.length);
  }

  /** Room in lineBuf for `more` bytes past what it holds (grown by doubling, from 1 MiB). */
  private reserveLines(more: number): void {
    const need = this.lineBytes + more;
    if (need <= this.lineBuf.length) return;
    const grown = Buffer.allocUnsafeSlow(Math.max(need, 2 * this.lineBuf.length, 1 << 20));
    this.lineBuf.copy(grown, 0, 0, this.lineBytes);
    this.lineBuf = grown;
  }

  private flush(): void {
    if (this.lineCount > 0) {
      const data = encodeLineBlock([this.lineBuf.subarray(0, this.lineBytes)], this.lineBytes);
      const count = this.lineCount;
      const acks = this.bufferAcks;
      this.lineBytes = 0;
      // A buffer grown by an unusually large block is not kept for good.
      if (this.lineBuf.length > 16 << 20) this.lineBuf = Buffer.alloc(0);
      this.lineCount = 0;
      this.bufferAcks = [];
      this.bufferCounts = [];
      const blockId = `${this.blockPrefix}_${this.seq++}`;
      this.inFlight.set(blockId, { count, acks });
      this.sink.block(blockId, data, count, undefined);
      return;
    }
    if (this.buffer.length === 0) {
      // A store of no records is durable at once.
      for (const a of this.bufferAcks.splice(0)) a.resolve();
      this.bufferCounts = [];
      return;
    }
    const records = this.buffer;
    const acks = this.bufferAcks;
    const counts = this.bufferCounts;
    const position = this.bufferPosition;
    this.buffer = [];
    this.bufferAcks = [];
    this.bufferCounts = [];
    this.bufferPosition = undefined;
    let data: Buffer;
    try {
      data = encodeRecords(records);
    } catch {
      this.flushRefusing(records, acks, counts, position);
      return;
    }
    const blockId = `${this.blockPrefix}_${this.seq++}`;
    this.inFlight.set(blockId, { count: records.length, acks });
    this.sink.block(blockId, data, records.length, position);
  }

  /**
   * A block whose records cannot all be encoded (a function, an object of no class, ...): each
   * store() holding such a record is refused (its promise rejects with SLUICE_BAD_ARGUMENT and
   * the codec's reason, which is also reported as the receiver's error); the other stores'
   * records go on, a block each. The receiver keeps running (before, the error escaped the
   * block timer and retired the receiver with every record of the block).
   */
  private flushRefusing(records: unknown[], acks: Ack[], counts: number[], position: number | undefined): void {
    let offset = 0;
    for (let i = 0; i < acks.length; i++) {
      const part = records.slice(offset, offset + counts[i]);
      const at = position === undefined ? undefined : position + offset;
      offset += counts[i];
      let data: Buffer;
      try {
        data = encodeRecords(part);
      } catch (err) {
        this.held -= part.length;
        const reason =
          `a store() of ${part.length} record(s) was refused, none of them stored: ${userErrorInfo(err).message}; ` +
          'a record must be plain data (numbers, strings, arrays, plain objects, Map, Set, Date, typed arrays, Buffers) or an instance of a class defined at the top level of the job file';
        acks[i].reject(new SluiceError('SLUICE_BAD_ARGUMENT', `Receiver.store: ${reason}`));
        this.sink.error(reason, userErrorInfo(err).stack);
        continue;
      }
      if (part.length === 0) {
        acks[i].resolve();
        continue;
      }
      const blockId = `${this.blockPrefix}_${this.seq++}`;
      this.inFlight.set(blockId, { count: part.length, acks: [acks[i]] });
      this.sink.block(blockId, data, part.length, at);
    }
    // Room was freed; not drained here, as flush may run inside take() (records keep their order).
    queueMicrotask(() => this.drain());
  }

  /**
   * As Spark's ReceiverSupervisor.restartReceiver: the receiver's onStop runs (a promise it
   * returns is waited for, STOP_DRAIN_MS at most), then the stop is reported with Spark's
   * message and the error's stack (its ReceiverTracker.deregisterReceiver: onReceiverStopped,
   * the receiver inactive), and `delayMs` later onStart runs again (registerReceiver:
   * onReceiverStarted, its error info cleared). No error is reported: Spark posts none.
   * A stop that begins meanwhile wins: nothing is reported of the restart, nothing started.
   */
  restart(reason: string, error?: unknown, delayMs = 2000): void {
    if (this.stopped || this.restarting || this.stopDone) return;
    this.restarting = true;
    const stack = error === undefined ? '' : userErrorInfo(error).stack;
    const stoppedForRestart = (): void => {
      if (this.stopped || this.stopDone) return;
      this.cutBeforeError();
      this.sink.restarting(`Restarting receiver with delay ${delayMs}ms: ${reason}`, stack);
      setTimeout(() => {
        this.restarting = false;
        if (!this.stopped && !this.stopDone) this.startReceiver();
      }, delayMs).unref();
    };
    const draining = this.callStop();
    if (!draining) return stoppedForRestart();
    let t: NodeJS.Timeout | undefined;
    void Promise.race([draining, new Promise<void>((r) => (t = setTimeout(r, STOP_DRAIN_MS)))]).then(() => {
      clearTimeout(t);
      stoppedForRestart();
    });
  }

  reportError(message: string, error?: unknown): void {
    this.report(message, error);
  }

  /**
   * The records stored so far go out as a block before an error (or a restart) is reported:
   * reports keep their order to the driver, so a block it hears of after the error holds only
   * records stored after it, which is how the driver tells a receiver receiving again after an
   * outage (the Streaming page's "receiving again since", `sluice jobs`). Without the cut, the
   * block of the records stored just before the error went out up to a block interval after
   * it and counted as a recovery that did not happen.
   */
  private cutBeforeError(): void {
    if (this.buffer.length > 0 || this.lineCount > 0) this.flush();
  }

  /**
   * The message and the error's stack, "" without one (Spark's lastErrorMessage and lastError).
   * The error's own message is added after the message (as Sluice has always shown it) unless
   * the message says it already: the connectors' messages quote it inside their advice (MQTT's
   * "... does not resolve to an address (getaddrinfo ENOTFOUND host: ...); check ..."), which
   * ended with the error's text a second time until 2026-12-06.
   */
  private report(message: string, error: unknown): void {
    this.cutBeforeError();
    if (error === undefined) return this.sink.error(message, '');
    const info = userErrorInfo(error);
    const said = info.message === '' || message.includes(info.message);
    this.sink.error(said ? message : `${message}: ${info.message}`, info.stack);
  }

  /**
   * Stop the receiver: its onStop runs first, and while a promise it returns is pending (a
   * socket receiver reading what its peer sent before closing; at most STOP_DRAIN_MS, or, in
   * a graceful stop of the StreamingContext, however long it takes, as Spark's
   * ReceiverTracker.stop(graceful) waits for its receivers) what it stores is still taken.
   * Then the stores still waiting and the current buffer become the last block, so stopping
   * loses no received record; then `stopped` is reported.
   */
  stop(reason: string, error?: unknown, options: { readonly graceful?: boolean } = {}): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.stopDone) return this.stopDone;
    this.stopBegun = true;
    const finish = (): void => {
      // Stores still waiting (for room or for the rate) are in memory already: they go into
      // the last blocks rather than being dropped, cut at maxBuffered records each. Not by
      // take(), which cuts a block whenever the records held (blocks in flight included)
      // reach the bound: past it, each waiting store became a block of its own (a receiver
      // storing without awaiting under receiverMaxRate left 390,000 one-record blocks to its
      // worker, a core busy for half a minute after the stop).
      for (const w of this.waiting.splice(0)) {
        this.takeInto(w.records, w.ack, w.position);
        if (this.buffer.length + this.lineCount >= this.maxBuffered) this.flush();
      }
      this.flush();
      this.stopped = true;
      for (const r of this.accepting.splice(0)) r();
      this.blockTimer.stop();
      clearTimeout(this.rateTimer);
      this.sink.stopped(reason, error === undefined ? '' : userErrorInfo(error).stack);
    };
    const draining = this.callStop();
    if (!draining) {
      finish();
      return Promise.resolve();
    }
    let t: NodeJS.Timeout | undefined;
    const limit = options.graceful === true ? draining : new Promise<void>((r) => (t = setTimeout(r, STOP_DRAIN_MS)));
    this.stopDone = Promise.race([draining, limit]).then(() => {
      clearTimeout(t);
      finish();
    });
    return this.stopDone;
  }

  isStopped(): boolean {
    return this.stopped;
  }

  isStopping(): boolean {
    return this.stopped || this.restarting || this.stopBegun;
  }

  /** Run the receiver's onStop; returns its promise (settled either way) when it returned one. */
  private callStop(): Promise<void> | undefined {
    try {
      const r = this.receiver.onStop();
      if (r instanceof Promise) return r.catch((err: unknown) => this.report('onStop failed', err));
    } catch (err) {
      this.report('onStop failed', err);
    }
    return undefined;
  }
}
