import type { Logger } from 'pino';
import crypto from 'node:crypto';
import { walWriterName, walWriterWithIncarnation, type AddedFileRef, type Clock, type ExecutorEnv, type ReceivedBlock, type ReceiverEvent, type ReceiverRunOptions, type wire } from '@sluice/core/internal';
import type { RegistryListener, WorkerInfo, WorkerRegistry } from '../cluster/worker-registry.js';

interface TrackedReceiver {
  readonly streamId: number;
  readonly name: string;
  readonly receiver: Uint8Array;
  readonly options: ReceiverRunOptions;
  workerId: string | undefined;
  /** The current placement's name in block ids and log segments. */
  writer: string | undefined;
  /** Names the current placement; reports of an earlier one carry another id. */
  receiverId: string | undefined;
  placements: number;
  /** Placed on `workerId` and not known to have stopped. */
  running: boolean;
  /** The host of the worker it was placed on last (its events' location once that worker is gone). */
  host: string | undefined;
  /** Set by stopAll: a `stopped` report is then expected, not a failure. */
  stopping: boolean;
  stopped: Promise<void>;
  resolveStopped: () => void;
  lastFailedWorker: string | undefined;
  restartTimer: NodeJS.Timeout | undefined;
  /** The rate backpressure set last (records/s), sent with every answer to its reports; 0: none. */
  rate: number;
  /**
   * Set while the receiver moves off a decommissioning worker (`moveFrom`): its `stopped`
   * report (after its last block's) places it on another worker at once, not as a failure.
   */
  moved: (() => void) | undefined;
}

/** The driver's answer to one report of a receiver (Driver.ReceiverReports). */
export interface ReceiverReportAnswer {
  /** False: the job has no such receiver running there any more; the worker stops it. */
  readonly keep: boolean;
  /** The receiver's backpressure rate, records/s (0: none). */
  readonly rateLimit: number;
  /** Every event of the placement numbered up to this one is applied. */
  readonly appliedSeq: number;
}

/**
 * The answer to a report of a receiver the driver does not run (any more: a job ended, or a
 * placement of a previous driver instance reporting to the restarted one): stop it; nothing of
 * it is applied, and the answer says so (every event before the report's first), so the
 * worker's reporter fails what waits on those events (a reliable receiver's store() rejects
 * and its source sends the records again) instead of taking them as delivered.
 */
export function unknownReceiverAnswer(rep: wire.ReceiverReport__Output): ReceiverReportAnswer {
  return { keep: false, rateLimit: 0, appliedSeq: Number(rep.first_seq) - 1 };
}

/** How long a receiver waits before it is placed again after its worker failed. */
const RESTART_DELAY_MS = 1000;

/**
 * Places one streaming job's receivers on workers and keeps them running, as Spark's
 * ReceiverTracker: receivers are spread over the workers (fewest receivers first; on a worker
 * at the receiver's preferredLocation when one is live; never on a worker spark.excludeOnFailure
 * excludes for every job), a receiver whose worker is declared lost (or that stops by itself) is started again on
 * another worker, and the blocks each receiver reports are held until the batch they
 * belong to takes them (`allocate`): a batch at time T takes the blocks reported before T
 * (the driver's clock), however late its driver program asks for them.
 *
 * Receivers report to the driver (`report`, from Driver.ReceiverReports) over a stream
 * each worker opens per receiver placement, and send again what the driver did not
 * acknowledge on a new stream: a paused driver or a dropped connection delays their
 * blocks and loses none, and does not stop them. Each report names the receiver's
 * placement and numbers its events, so an event sent twice is applied once (the answer
 * says up to which number) and a placement the driver replaced is told to stop
 * (`keep: false`); the blocks it stored are still taken (they are stored and replicated).
 *
 * Invariants: every reported block is handed to exactly one batch, and a placement's blocks
 * to batches in the order they were reported; `close()` clears all.
 * Threading: driver main thread.
 */
export class ReceiverTracker implements RegistryListener {
  private readonly receivers = new Map<number, TrackedReceiver>();
  /**
   * Backpressure's rates for streams whose receiver has not started yet (a job recovered from
   * its checkpoint estimates from its recovered batches before its receivers start): each
   * receiver starts at its stream's, not at the initial rate.
   */
  private readonly earlyRates = new Map<number, number>();
  /** Placements made so far, every stream's: numbers each placement's receiver id. */
  private placed = 0;
  /** Per stream: blocks reported and not yet taken by a batch, in arrival order, each with when it arrived (clock ms). */
  private readonly unallocated = new Map<number, { readonly block: ReceivedBlock; readonly at: number }[]>();
  /** Per placement (receiver id): the last event sequence number applied. */
  private readonly applied = new Map<string, number>();
  /** Per stream: writers of placements that ended, oldest first (at most 1,000). */
  private readonly ended = new Map<number, Set<string>>();
  /**
   * Per stream: writers of placements known to have stopped, oldest first (at most 1,000): each
   * reported its stop, failed to start, or was answered `keep: false` (its worker then drops
   * it). The log keeps an ended writer's fence until it is here: a placement whose worker was
   * declared lost may be frozen, not dead, and woken after any time.
   */
  private readonly released = new Map<number, Set<string>>();
  /** Each placement not yet released (receiver id): its stream and writer (at most 10,000, oldest dropped). */
  private readonly placementWriters = new Map<string, { readonly streamId: number; readonly writer: string }>();
  private closed = false;

  constructor(
    private readonly jobId: string,
    private readonly bundleSha: string,
    private readonly registry: WorkerRegistry,
    private readonly onEvent: (e: ReceiverEvent) => void,
    private readonly log: Logger,
    private readonly clock: Clock,
    /** The files the job added so far (sc.addFile), named in each placement: a receiver reads them as a task does. */
    private readonly files: () => readonly AddedFileRef[] = () => [],
    /** Whether spark.excludeOnFailure excludes a worker for every job now: no receiver is placed on it. */
    private readonly excluded: (workerId: string) => boolean = () => false,
    /**
     * A block of records (at least one) reported by a receiver's current placement, as it
     * arrives: a receiver's records after its last error (the worker cuts a block before it
     * reports an error, so such a block holds records stored after it).
     */
    private readonly onRecords: (streamId: number, numRecords: number) => void = () => undefined,
    /** The job's executor environment (spark.executorEnv.*), named in each placement: the receiver's thread has it in its process.env. */
    private readonly executorEnv: ExecutorEnv | undefined = undefined,
  ) {
    registry.addListener(this);
  }

  start(streamId: number, receiver: Uint8Array, options: ReceiverRunOptions, name: string): void {
    let resolveStopped!: () => void;
    const stopped = new Promise<void>((r) => (resolveStopped = r));
    const r: TrackedReceiver = {
      streamId,
      name,
      receiver,
      options,
      workerId: undefined,
      writer: undefined,
      receiverId: undefined,
      placements: 0,
      running: false,
      host: undefined,
      stopping: false,
      stopped,
      resolveStopped,
      lastFailedWorker: undefined,
      restartTimer: undefined,
      rate: this.earlyRates.get(streamId) ?? 0,
      moved: undefined,
    };
    this.earlyRates.delete(streamId);
    this.receivers.set(streamId, r);
    this.unallocated.set(streamId, []);
    this.place(r);
  }

  /**
   * The blocks of a stream's batch at time `before`: those reported before it (the driver's
   * clock), in arrival order; every one reported so far when `before` is not given (a
   * manual clock's batch times are not the driver's). As Spark's
   * ReceivedBlockTracker.allocateBlocksToBatch, but Spark takes whatever has arrived when
   * the batch is generated: a driver program busy for 3 s then generated the next batch
   * with 3 s of blocks and the ones after it with none (blocks per batch of 14, 0, 0 with
   * 5 due). Taken by time, a batch generated late gets its own blocks and the batches
   * after it theirs. Only a prefix of the arrivals is taken, so a placement's blocks reach
   * batches in their order (the block log's high-water marks count on it), even if the
   * clock steps back.
   */
  allocate(streamId: number, before?: number): ReceivedBlock[] {
    const queue = this.unallocated.get(streamId) ?? [];
    let n = 0;
    if (before === undefined) n = queue.length;
    else while (n < queue.length && queue[n].at < before) n++;
    return queue.splice(0, n).map((e) => e.block);
  }

  /**
   * The stream's writers whose placement ended (its worker lost, it stopped, it moved): the
   * log seals each before reading it. The last 1,000 a stream.
   */
  endedWriters(streamId: number): string[] {
    return [...(this.ended.get(streamId) ?? [])];
  }

  /** The stream's writers whose placement is known to have stopped (the last 1,000): the log may delete their fences. */
  releasedWriters(streamId: number): string[] {
    return [...(this.released.get(streamId) ?? [])];
  }

  /** The stream's writer that runs now (its blocks come as reports), if any. */
  liveWriters(streamId: number): string[] {
    const r = this.receivers.get(streamId);
    return r?.running && r.writer ? [r.writer] : [];
  }

  /**
   * Backpressure's new rate for a stream's receiver (records/s), as Spark's
   * ReceiverTracker.sendRateUpdate: it goes with the answer to the receiver's next report
   * (at the latest one block interval later while it receives), and a receiver placed
   * again starts at it; so does one that starts after it (Spark's drops a rate for a
   * receiver not yet registered, and its receiver then starts at the initial rate).
   */
  updateRate(streamId: number, rate: number): void {
    if (!(rate > 0)) return;
    const r = this.receivers.get(streamId);
    if (r) r.rate = rate;
    else this.earlyRates.set(streamId, rate);
  }

  /** The rate backpressure set last for a stream's receiver (records/s), if any. */
  rateOf(streamId: number): number | undefined {
    const r = this.receivers.get(streamId)?.rate;
    return r ? r : undefined;
  }

  /**
   * A worker's report of what a receiver did. Returns whether that placement should go
   * on (false: the job has no such receiver running there any more; the worker stops it),
   * the receiver's backpressure rate (0: none) and the last of the placement's events
   * applied (the worker sends the ones after it again if its stream breaks).
   */
  report(rep: wire.ReceiverReport__Output): ReceiverReportAnswer {
    const r = this.receivers.get(rep.stream_id);
    if (!r || this.closed) return unknownReceiverAnswer(rep);
    const current = r.receiverId === rep.receiver_id;
    let last = this.applied.get(rep.receiver_id) ?? 0;
    const first = Number(rep.first_seq);
    // Events after a gap wait: the answer says what is applied, and the worker sends the rest again.
    for (let i = Math.max(0, last + 1 - first); i < rep.events.length && first + i === last + 1; i++) {
      last++;
      this.apply(r, rep.worker_id, rep.events[i], current);
    }
    this.applied.set(rep.receiver_id, last);
    const keep = current && r.running;
    // Told to stop, its worker drops the placement: nothing more of it reaches the log.
    if (!keep) this.release(rep.receiver_id);
    return { keep, rateLimit: r.rate, appliedSeq: last };
  }

  /**
   * Stop every receiver; resolves when each reported its last block (or 15 s passed). With
   * `graceful` (a graceful stop of the StreamingContext), each receiver's onStop is waited for
   * however long it takes, as Spark's ReceiverTracker.stop(graceful), with a warning every 10 s
   * naming those still stopping (a receiver on a worker that is lost counts as stopped).
   */
  async stopAll(options: { readonly graceful?: boolean } = {}): Promise<void> {
    const graceful = options.graceful === true;
    const waits: Promise<void>[] = [];
    for (const r of this.receivers.values()) {
      if (r.stopping) {
        waits.push(r.stopped);
        continue;
      }
      r.stopping = true;
      clearTimeout(r.restartTimer);
      const w = r.workerId ? this.registry.get(r.workerId) : undefined;
      if (w && r.running) {
        void w.endpoint.stopReceiver(this.jobId, r.streamId, { graceful });
        waits.push(r.stopped);
      } else r.resolveStopped();
    }
    if (!graceful) {
      await Promise.race([Promise.all(waits), new Promise((res) => setTimeout(res, 15_000).unref())]);
      return;
    }
    const warn = setInterval(() => {
      const left = [...this.receivers.values()].filter((r) => r.stopping && r.running).map((r) => ({ streamId: r.streamId, name: r.name, workerId: r.workerId }));
      this.log.warn({ receivers: left }, "graceful stop: still waiting for these receivers' onStop to return");
    }, 10_000);
    warn.unref();
    try {
      await Promise.all(waits);
    } finally {
      clearInterval(warn);
    }
  }

  /**
   * Move every receiver running on a worker that is being decommissioned: each is stopped
   * there (it stores its current block, replicated, and reports it before its stop) and,
   * once its stop is reported, started at once on another worker (the registry no longer
   * offers the leaving one). Resolves with how many moved, once each is placed again (or
   * its worker was lost meanwhile: then it restarts as after any loss).
   */
  moveFrom(workerId: string): Promise<number> {
    const waits: Promise<boolean>[] = [];
    for (const r of this.receivers.values()) {
      if (r.workerId !== workerId || !r.running || r.stopping || r.moved) continue;
      const w = this.registry.get(workerId);
      if (!w) continue;
      waits.push(new Promise<boolean>((resolve) => (r.moved = () => resolve(r.workerId !== workerId && r.running))));
      this.log.info({ streamId: r.streamId, workerId, name: r.name }, 'moving receiver off a decommissioning worker');
      void w.endpoint.stopReceiver(this.jobId, r.streamId);
    }
    return Promise.all(waits).then((moved) => moved.filter(Boolean).length);
  }

  close(): void {
    this.closed = true;
    this.registry.removeListener(this);
    for (const r of this.receivers.values()) {
      clearTimeout(r.restartTimer);
      r.running = false;
      r.resolveStopped();
      this.endMove(r);
    }
    this.receivers.clear();
    this.earlyRates.clear();
    this.unallocated.clear();
    this.applied.clear();
    this.ended.clear();
    this.released.clear();
    this.placementWriters.clear();
  }

  /** Worker ids running this job's receivers (one entry per receiver). */
  receiverWorkers(): string[] {
    return [...this.receivers.values()].filter((r) => r.running && r.workerId).map((r) => r.workerId!);
  }

  get size(): number {
    return this.receivers.size + this.unallocated.size + this.applied.size + this.ended.size + this.released.size + this.placementWriters.size;
  }

  workerAdded(): void {
    // A receiver waiting for any worker is placed on the next restart tick.
  }

  workerLost(w: WorkerInfo): void {
    for (const r of this.receivers.values()) {
      if (r.workerId === w.id && r.running) {
        r.running = false;
        if (r.stopping) r.resolveStopped();
        else this.failed(r, w.id, `worker ${w.id} was lost`);
        this.endMove(r);
      }
    }
  }

  private place(r: TrackedReceiver): void {
    if (this.closed || r.stopping) return;
    // As Spark's, whose receivers run as tasks: a worker excluded for every job
    // (spark.excludeOnFailure) is offered none, so a receiver started or restarted goes to
    // another; one already running there stays until it stops or its worker goes.
    const live = this.registry.responsive();
    const workers = live.filter((w) => !this.excluded(w.id));
    if (workers.length === 0) {
      if (live.length === 0) this.log.warn({ streamId: r.streamId }, 'no worker to run the receiver on; retrying');
      else this.log.warn({ streamId: r.streamId, excluded: live.map((w) => w.id) }, 'every live worker is excluded (spark.excludeOnFailure): the receiver waits until one is not (spark.excludeOnFailure.timeout) or another joins; retrying');
      r.restartTimer = setTimeout(() => this.place(r), RESTART_DELAY_MS);
      return;
    }
    const load = new Map<string, number>(workers.map((w) => [w.id, 0]));
    for (const o of this.receivers.values()) if (o.workerId && o.running) load.set(o.workerId, (load.get(o.workerId) ?? 0) + 1);
    // Receiver.preferredLocation, as Spark's ReceiverSchedulingPolicy: a live worker there when
    // there is one (another than the one it just failed on, if there is another there), else
    // anywhere, as Spark's for a host with no executor.
    const preferred = r.options.preferredLocation;
    const there = preferred === undefined ? [] : workers.filter((w) => w.id === preferred || hostOf(w.address) === preferred);
    if (preferred !== undefined && there.length === 0) this.log.info({ streamId: r.streamId, preferredLocation: preferred, workers: workers.map((w) => w.address) }, "no live worker at the receiver's preferred location; placing it on another");
    const notFailed = (ws: WorkerInfo[]): WorkerInfo[] => (ws.length > 1 ? ws.filter((w) => w.id !== r.lastFailedWorker) : ws);
    const candidates = notFailed(there.length > 0 ? there : workers);
    const w = [...candidates].sort((a, b) => (load.get(a.id) ?? 0) - (load.get(b.id) ?? 0))[0];
    // Not to a worker that is leaving: its blocks would have to move again.
    const peers = this.registry
      .staying()
      .filter((p) => p.id !== w.id)
      .map((p) => ({ worker_id: p.id, address: p.address }));
    // Unique within the job's tracker, not only per stream: a later StreamingContext of the
    // same job numbers its streams from 0 again, and a placement id the tracker already
    // applied reports of would have the new receiver's reports taken as applied (dropped).
    const receiverId = `${r.streamId}.${++this.placed}`;
    ++r.placements;
    // Unique across driver restarts: a restarted driver tells this placement's log from its own.
    // With the log on, named with the driver instance's incarnation in it: a placement of an
    // earlier instance, which this one cannot know, is fenced by that alone (wal-seal.ts).
    const named = walWriterName(`w${Date.now().toString(36)}-${crypto.randomBytes(3).toString('hex')}-${r.streamId}-${r.placements}`);
    const incarnation = r.options.wal?.incarnation;
    const writer = incarnation === undefined ? named : walWriterWithIncarnation(named, incarnation);
    const desc: wire.ReceiverDescription = {
      job_id: this.jobId,
      bundle_sha256: this.bundleSha,
      stream_id: r.streamId,
      receiver: r.receiver,
      block_interval_ms: r.options.blockIntervalMs,
      peers,
      name: r.name,
      receiver_id: receiverId,
      wal_dir: r.options.wal?.dir ?? '',
      wal_rolling_interval_ms: r.options.wal?.rollingIntervalMs ?? 0,
      wal_max_segment_bytes: r.options.wal?.maxSegmentBytes ?? 0,
      max_buffered_records: r.options.maxBufferedRecords,
      writer,
      max_rate: r.options.maxRate ?? 0,
      // Placed again: it starts at the rate backpressure set last, not at the initial rate.
      initial_rate: r.rate || (r.options.initialRate ?? 0),
      files: [...this.files()],
      executor_env: { ...this.executorEnv },
    };
    if (r.writer) this.writerEnded(r.streamId, r.writer);
    r.workerId = w.id;
    r.host = hostOf(w.address);
    r.writer = writer;
    r.receiverId = receiverId;
    r.running = true;
    this.placementWriters.set(receiverId, { streamId: r.streamId, writer });
    if (this.placementWriters.size > 10_000) this.placementWriters.delete(this.placementWriters.keys().next().value!);
    this.log.info({ streamId: r.streamId, workerId: w.id, name: r.name, receiverId }, 'starting receiver');
    void w.endpoint.startReceiver(desc).then((res) => {
      if (res.ok) return;
      this.release(receiverId); // Never started: it writes nothing.
      if (r.receiverId !== receiverId || !r.running) return;
      r.running = false;
      if (r.stopping || this.closed) r.resolveStopped();
      else this.failed(r, w.id, `the worker could not start the receiver: ${res.message}`);
    });
  }

  private writerEnded(streamId: number, writer: string): void {
    let set = this.ended.get(streamId);
    if (!set) this.ended.set(streamId, (set = new Set()));
    set.add(writer);
    if (set.size > 1000) set.delete(set.values().next().value!);
  }

  /** The placement `receiverId` is known to have stopped (or to stop now): its writer is released. */
  private release(receiverId: string): void {
    const p = this.placementWriters.get(receiverId);
    if (!p) return;
    this.placementWriters.delete(receiverId);
    let set = this.released.get(p.streamId);
    if (!set) this.released.set(p.streamId, (set = new Set()));
    set.add(p.writer);
    if (set.size > 1000) set.delete(set.values().next().value!);
  }

  private endMove(r: TrackedReceiver): void {
    const done = r.moved;
    r.moved = undefined;
    done?.();
  }

  /**
   * Places the receiver again after RESTART_DELAY_MS. `post`: whether listeners hear of it as
   * an error (onReceiverError); a receiver that stopped itself has just posted its
   * onReceiverStopped, and Spark's ReceiverTracker restarts it posting nothing more (its
   * StreamingListenerSuite "receiver info reporting" counts one error, one stop, one start).
   */
  private failed(r: TrackedReceiver, workerId: string, message: string, post = true): void {
    r.lastFailedWorker = workerId;
    this.log.warn({ streamId: r.streamId, workerId, reason: message }, 'receiver lost; restarting it');
    if (post) this.onEvent({ type: 'error', streamId: r.streamId, workerId, location: this.locationOf(r, workerId), name: r.name, message: `${message}; restarting the receiver`, stack: '' });
    clearTimeout(r.restartTimer);
    r.restartTimer = setTimeout(() => this.place(r), RESTART_DELAY_MS);
  }

  /** The host of the worker an event of `r` comes from (Spark's ReceiverInfo.location): the registry's, or where `r` was placed last; "" if unknown. */
  private locationOf(r: TrackedReceiver, workerId: string): string {
    const w = this.registry.get(workerId);
    return w ? hostOf(w.address) : r.workerId === workerId ? (r.host ?? '') : '';
  }

  private apply(r: TrackedReceiver, workerId: string, e: wire.ReceiverEvent__Output, current: boolean): void {
    switch (e.event) {
      case 'started':
        if (current) this.onEvent({ type: 'started', streamId: r.streamId, workerId, location: this.locationOf(r, workerId), name: r.name });
        return;
      case 'block': {
        // Taken from any placement: the block is stored and replicated, so it is data.
        const b = e.block!;
        const block: ReceivedBlock = {
          blockId: b.block_id,
          streamId: r.streamId,
          numRecords: b.num_records,
          locations: b.locations.map((l: wire.Peer__Output) => ({ workerId: l.worker_id, address: l.address })),
          ...(b.wal ? { wal: { path: b.wal.path, offset: Number(b.wal.offset), length: Number(b.wal.length) } } : {}),
          ...(b.has_position ? { firstPosition: b.first_position } : {}),
        };
        this.unallocated.get(r.streamId)?.push({ block, at: this.clock.now() });
        if (current && block.numRecords > 0) this.onRecords(r.streamId, block.numRecords);
        return;
      }
      case 'error':
        if (!current) return;
        this.log.warn({ streamId: r.streamId, workerId, name: r.name, reason: e.error ?? '' }, 'receiver reported an error');
        this.onEvent({ type: 'error', streamId: r.streamId, workerId, location: this.locationOf(r, workerId), name: r.name, message: e.error ?? '', stack: e.error_stack ?? '' });
        return;
      case 'restarting':
        // Receiver.restart, as Spark's restartReceiver: the receiver stopped (deregisterReceiver:
        // onReceiverStopped, inactive) and starts again where it runs; the placement goes on.
        if (!current) return;
        this.log.warn({ streamId: r.streamId, workerId, name: r.name, reason: e.restarting ?? '' }, 'receiver restarting');
        this.onEvent({ type: 'stopped', streamId: r.streamId, workerId, location: this.locationOf(r, workerId), name: r.name, reason: e.restarting ?? '', stack: e.error_stack ?? '', inPlace: true });
        return;
      case 'stopped': {
        if (!current) return;
        this.release(r.receiverId!);
        // It stopped by itself while its context runs (not stopped by the driver, not moved off a
        // decommissioning worker): placed again, and the stopped event says so.
        const restarting = r.running && !r.stopping && !this.closed && !r.moved;
        this.onEvent({ type: 'stopped', streamId: r.streamId, workerId, location: this.locationOf(r, workerId), name: r.name, reason: e.stopped ?? '', stack: e.error_stack ?? '', ...(restarting ? { restarting } : {}) });
        if (!r.running) return;
        r.running = false;
        // The warning names the error too (" - " and its stack's first line, as Spark's
        // "Deregistered receiver for stream <id>: <message> - <error>"): a failed start's stop
        // message alone ("Error starting receiver 0") says nothing of what failed or where.
        if (restarting) this.failed(r, workerId, `the receiver stopped by itself (${e.stopped ?? ''}${errorHead(e.error_stack ?? '')})`, false);
        else if (r.stopping || this.closed) r.resolveStopped();
        else {
          // Moved: its last block was reported before this (reports keep their order): place it anew now.
          this.log.info({ streamId: r.streamId, from: workerId, name: r.name }, 'receiver stopped on its decommissioning worker; starting it on another');
          clearTimeout(r.restartTimer);
          this.place(r);
          this.endMove(r);
        }
        return;
      }
      default:
        return;
    }
  }
}

/** The host of a worker's advertised address (`host:port`, `[v6]:port`), as Receiver.preferredLocation names it. */
function hostOf(address: string): string {
  const i = address.lastIndexOf(':');
  const host = i < 0 ? address : address.slice(0, i);
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** " - " and the first line of an error's stack (its name and message), "" without one. */
function errorHead(stack: string): string {
  const head = stack.split('\n', 1)[0];
  return head === '' ? '' : ` - ${head}`;
}
