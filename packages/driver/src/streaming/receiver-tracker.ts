import type { Logger } from 'pino';
import type { ReceivedBlock, ReceiverEvent, wire } from '@sluice/core/internal';
import type { RegistryListener, WorkerInfo, WorkerRegistry } from '../cluster/worker-registry.js';

interface TrackedReceiver {
  readonly streamId: number;
  readonly name: string;
  readonly receiver: Uint8Array;
  readonly blockIntervalMs: number;
  workerId: string | undefined;
  call: { cancel(): void } | undefined;
  /** Set by stopAll: an ending stream is then expected, not a failure. */
  stopping: boolean;
  stopped: Promise<void>;
  resolveStopped: () => void;
  lastFailedWorker: string | undefined;
  restartTimer: NodeJS.Timeout | undefined;
}

/** How long a receiver waits before it is placed again after its worker failed. */
const RESTART_DELAY_MS = 1000;

/**
 * Places one streaming job's receivers on workers and keeps them running, as Spark's
 * ReceiverTracker: receivers are spread over the workers (fewest receivers first), a
 * receiver whose worker dies (its stream breaks, or the worker is declared lost) is
 * started again on another worker, and the blocks each receiver reports are held until
 * the next batch takes them (`allocate`).
 *
 * Invariants: every reported block is handed to exactly one batch; `close()` clears all.
 * Threading: driver main thread.
 */
export class ReceiverTracker implements RegistryListener {
  private readonly receivers = new Map<number, TrackedReceiver>();
  private readonly unallocated = new Map<number, ReceivedBlock[]>();
  private closed = false;

  constructor(
    private readonly jobId: string,
    private readonly bundleSha: string,
    private readonly registry: WorkerRegistry,
    private readonly onEvent: (e: ReceiverEvent) => void,
    private readonly log: Logger,
  ) {
    registry.addListener(this);
  }

  start(streamId: number, receiver: Uint8Array, blockIntervalMs: number, name: string): void {
    let resolveStopped!: () => void;
    const stopped = new Promise<void>((r) => (resolveStopped = r));
    const r: TrackedReceiver = {
      streamId,
      name,
      receiver,
      blockIntervalMs,
      workerId: undefined,
      call: undefined,
      stopping: false,
      stopped,
      resolveStopped,
      lastFailedWorker: undefined,
      restartTimer: undefined,
    };
    this.receivers.set(streamId, r);
    this.unallocated.set(streamId, []);
    this.place(r);
  }

  /** Blocks reported for a stream since the last call. */
  allocate(streamId: number): ReceivedBlock[] {
    const blocks = this.unallocated.get(streamId) ?? [];
    this.unallocated.set(streamId, []);
    return blocks;
  }

  /** Stop every receiver; resolves when each reported its last block (or 15 s passed). */
  async stopAll(): Promise<void> {
    const waits: Promise<void>[] = [];
    for (const r of this.receivers.values()) {
      if (r.stopping) {
        waits.push(r.stopped);
        continue;
      }
      r.stopping = true;
      clearTimeout(r.restartTimer);
      const w = r.workerId ? this.registry.get(r.workerId) : undefined;
      if (w && r.call) {
        void w.endpoint.stopReceiver(this.jobId, r.streamId);
        waits.push(r.stopped);
      } else r.resolveStopped();
    }
    await Promise.race([Promise.all(waits), new Promise((res) => setTimeout(res, 15_000).unref())]);
  }

  removeBlocks(ids: readonly string[], locationsOf: (id: string) => readonly string[]): void {
    const byWorker = new Map<string, string[]>();
    for (const id of ids) {
      for (const w of locationsOf(id)) {
        const list = byWorker.get(w) ?? [];
        list.push(id);
        byWorker.set(w, list);
      }
    }
    for (const [w, list] of byWorker) void this.registry.get(w)?.endpoint.removeBlocks(list);
  }

  close(): void {
    this.closed = true;
    this.registry.removeListener(this);
    for (const r of this.receivers.values()) {
      clearTimeout(r.restartTimer);
      r.call?.cancel();
      r.resolveStopped();
    }
    this.receivers.clear();
    this.unallocated.clear();
  }

  /** Worker ids running this job's receivers (one entry per receiver). */
  receiverWorkers(): string[] {
    return [...this.receivers.values()].filter((r) => r.call && r.workerId).map((r) => r.workerId!);
  }

  get size(): number {
    return this.receivers.size + this.unallocated.size;
  }

  workerAdded(): void {
    // A receiver waiting for any worker is placed on the next restart tick.
  }

  workerLost(w: WorkerInfo): void {
    for (const r of this.receivers.values()) {
      if (r.workerId === w.id && r.call) {
        const call = r.call;
        r.call = undefined;
        call.cancel();
        this.failed(r, w.id, `worker ${w.id} was lost`);
      }
    }
  }

  private place(r: TrackedReceiver): void {
    if (this.closed || r.stopping) return;
    const workers = this.registry.all();
    if (workers.length === 0) {
      this.log.warn({ streamId: r.streamId }, 'no worker to run the receiver on; retrying');
      r.restartTimer = setTimeout(() => this.place(r), RESTART_DELAY_MS);
      return;
    }
    const load = new Map<string, number>(workers.map((w) => [w.id, 0]));
    for (const o of this.receivers.values()) if (o.workerId && o.call) load.set(o.workerId, (load.get(o.workerId) ?? 0) + 1);
    const candidates = workers.length > 1 ? workers.filter((w) => w.id !== r.lastFailedWorker) : workers;
    const w = [...candidates].sort((a, b) => (load.get(a.id) ?? 0) - (load.get(b.id) ?? 0))[0];
    const peers = workers.filter((p) => p.id !== w.id).map((p) => ({ worker_id: p.id, address: p.address }));
    const desc: wire.ReceiverDescription = {
      job_id: this.jobId,
      bundle_sha256: this.bundleSha,
      stream_id: r.streamId,
      receiver: r.receiver,
      block_interval_ms: r.blockIntervalMs,
      peers,
      name: r.name,
    };
    r.workerId = w.id;
    this.log.info({ streamId: r.streamId, workerId: w.id, name: r.name }, 'starting receiver');
    let ended = false;
    const call = w.endpoint.startReceiver(
      desc,
      (e) => this.onReceiverEvent(r, w.id, e),
      (error) => {
        if (ended) return;
        ended = true;
        if (r.call !== call) return; // Superseded (worker declared lost, receiver placed again).
        r.call = undefined;
        if (r.stopping || this.closed) r.resolveStopped();
        else this.failed(r, w.id, error ? `receiver stream broke: ${error}` : 'the receiver stopped by itself');
      },
    );
    r.call = call;
  }

  private failed(r: TrackedReceiver, workerId: string, message: string): void {
    r.lastFailedWorker = workerId;
    this.log.warn({ streamId: r.streamId, workerId, reason: message }, 'receiver lost; restarting it');
    this.onEvent({ type: 'error', streamId: r.streamId, workerId, name: r.name, message: `${message}; restarting the receiver` });
    clearTimeout(r.restartTimer);
    r.restartTimer = setTimeout(() => this.place(r), RESTART_DELAY_MS);
  }

  private onReceiverEvent(r: TrackedReceiver, workerId: string, e: wire.ReceiverEvent__Output): void {
    switch (e.event) {
      case 'started':
        this.onEvent({ type: 'started', streamId: r.streamId, workerId, name: r.name });
        return;
      case 'block': {
        const b = e.block!;
        this.unallocated.get(r.streamId)?.push({
          blockId: b.block_id,
          streamId: r.streamId,
          numRecords: b.num_records,
          locations: b.locations.map((l: wire.Peer__Output) => ({ workerId: l.worker_id, address: l.address })),
        });
        return;
      }
      case 'error':
        this.log.warn({ streamId: r.streamId, workerId, name: r.name, reason: e.error ?? '' }, 'receiver reported an error');
        this.onEvent({ type: 'error', streamId: r.streamId, workerId, name: r.name, message: e.error ?? '' });
        return;
      case 'stopped':
        this.onEvent({ type: 'stopped', streamId: r.streamId, workerId, name: r.name, reason: e.stopped ?? '' });
        return;
      default:
        return;
    }
  }
}
