import type { Logger } from 'pino';
import type { Clock } from '@sluice/core/internal';
import type { WorkerEndpoint } from '../rpc/worker-endpoint.js';
import { probePort, type ProbeResult } from './probe-port.js';

export interface WorkerInfo {
  readonly id: string;
  readonly address: string;
  readonly cores: number;
  readonly endpoint: WorkerEndpoint;
  /** When it registered (clock ms): Spark's ExecutorSummary.addTime. */
  readonly addedAt: number;
  /** Slots not running a task. */
  freeSlots: number;
  /**
   * Tasks sent beyond its slots, waiting on the worker for one to free (the
   * TaskScheduler's pipelining of tiny tasks); 0 whenever `freeSlots` > 0.
   */
  queuedTasks: number;
  lastHeartbeat: number;
  tasksCompleted: number;
  /**
   * Set when a call to the worker failed on its connection while its port still accepts
   * connections (it may be paused); cleared by its next heartbeat. No task or receiver
   * is placed on it meanwhile.
   */
  unresponsiveSince: number | undefined;
  /**
   * Set while the worker is being decommissioned (it leaves gracefully): no task or
   * receiver is placed on it, and no received block is replicated to it.
   */
  decommissioning: boolean;
  /** Names the worker's process run (RegisterWorkerRequest.worker_instance; '' from an older worker): a new one under the same id is a new worker. */
  readonly instance: string;
  /** What the worker held at its registration or last heartbeat. */
  storage?: WorkerStorage;
  /** The worker process's heap, CPU and event-loop delay at its last heartbeat. */
  process?: WorkerProcessStats;
}

/** A worker process's own figures as its heartbeat reports them (wire.WorkerProcess). */
export interface WorkerProcessStats {
  readonly heapUsedBytes: number;
  readonly heapTotalBytes: number;
  readonly externalBytes: number;
  readonly cpuUserSeconds: number;
  readonly cpuSystemSeconds: number;
  /** Event-loop delay of the worker's main thread since its previous heartbeat (s). */
  readonly eventLoopLagMeanSeconds: number;
  readonly eventLoopLagP99Seconds: number;
  readonly eventLoopLagMaxSeconds: number;
}

/** A worker's block store and memory as its registration and heartbeats report them. */
export interface WorkerStorage {
  readonly inputBlocks: number;
  readonly shuffleBlocks: number;
  readonly rddBlocks: number;
  readonly memoryBytes: number;
  readonly diskBytes: number;
  readonly memoryLimitBytes: number;
  readonly rssBytes: number;
  /** Broadcast variables it holds (fetched for its tasks, not yet removed). */
  readonly broadcastBlocks: number;
  /** The cached blocks its task threads also keep decoded: each one's id to the copies' estimated heap bytes (counted in memoryBytes too). */
  readonly decodedBlockBytes: Readonly<Record<string, number>>;
}

/**
 * A worker no longer registered (Spark's dead executor, as allexecutors lists it with its
 * removeTime and removeReason): the last DEAD_WORKERS_RETAINED removed, as Spark's UI keeps
 * spark.ui.retainedDeadExecutors (100).
 */
export interface RemovedWorker {
  readonly id: string;
  readonly address: string;
  readonly cores: number;
  /** When it registered (clock ms). */
  readonly addedAt: number;
  /** When it was declared lost or left (clock ms). */
  readonly removedAt: number;
  readonly reason: string;
}

/** Spark's spark.ui.retainedDeadExecutors default. */
export const DEAD_WORKERS_RETAINED = 100;

export interface RegistryListener {
  workerAdded(w: WorkerInfo): void;
  workerLost(w: WorkerInfo, reason: string): void;
}

/** Where it is defined (a module of constants the command line can load alone). */
export { DEFAULT_WORKER_TIMEOUT_MS } from '../defaults.js';

/** When a suspect worker's port is probed, after its connection dropped or a call failed. */
const PROBE_DELAYS_MS = [20, 300, 2000] as const;

/** How long the workers are told of a worker declared lost (lostPeers). */
const LOST_PEER_NOTICE_MS = 60_000;

/**
 * Cluster membership: who the workers are, how many free slots each has, and when
 * each was last heard from. A worker silent for `workerTimeoutMs` is declared lost; so is
 * one whose port refuses connections after its connection dropped or a call to it failed
 * (the process is gone). A worker that registers again with the same id and address (it
 * was paused and took the driver's silence for a restart) keeps its entry, its map
 * outputs and its blocks. Time during which the driver itself did not run (its own GC
 * pause or SIGSTOP: the check timer fires far too late) does not count against workers.
 *
 * Threading: driver main thread. Time comes from the injected Clock.
 */
export class WorkerRegistry {
  private readonly workers = new Map<string, WorkerInfo>();
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners: RegistryListener[] = [];
  private checkEveryMs = 500;
  private lastCheck: number | undefined;
  /** Addresses of workers declared lost, and when (the last minute's). */
  private readonly lost = new Map<string, number>();
  /** The workers removed, oldest first, at most DEAD_WORKERS_RETAINED. */
  private readonly removedWorkers: RemovedWorker[] = [];

  constructor(
    private readonly clock: Clock,
    private readonly workerTimeoutMs: number,
    private readonly makeEndpoint: (address: string) => WorkerEndpoint,
    private readonly log: Logger,
    /** How a dropped worker is probed (tests replace it). */
    private readonly probe: (address: string) => Promise<ProbeResult> = probePort,
  ) {}

  addListener(l: RegistryListener): void {
    this.listeners.push(l);
  }

  removeListener(l: RegistryListener): void {
    const i = this.listeners.indexOf(l);
    if (i >= 0) this.listeners.splice(i, 1);
  }

  start(checkEveryMs: number): void {
    this.checkEveryMs = checkEveryMs;
    this.lastCheck = this.clock.now();
    this.timer ??= setInterval(() => this.expire(), checkEveryMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    for (const w of this.workers.values()) w.endpoint.close();
    this.workers.clear();
  }

  register(id: string, address: string, cores: number, storage?: WorkerStorage, instance = ''): WorkerInfo {
    const old = this.workers.get(id);
    // The same process (a worker of an older build says no instance: its address and cores tell).
    if (old && old.address === address && old.cores === cores && (old.instance === instance || old.instance === '' || instance === '')) {
      // Known: it was paused, or its heartbeats crossed with the driver's; nothing is lost.
      old.lastHeartbeat = this.clock.now();
      old.unresponsiveSince = undefined;
      if (storage) old.storage = storage;
      this.log.info({ workerId: id, address }, 'worker registered again; it keeps its blocks and map outputs');
      return old;
    }
    if (old) this.remove(old, old.instance !== instance && old.address === address ? 're-registered by a new process under the same id' : `re-registered at ${address} with ${cores} cores`);
    const w: WorkerInfo = { id, instance, address, cores, endpoint: this.makeEndpoint(address), addedAt: this.clock.now(), freeSlots: cores, queuedTasks: 0, lastHeartbeat: this.clock.now(), tasksCompleted: 0, unresponsiveSince: undefined, decommissioning: false, storage };
    this.workers.set(id, w);
    w.endpoint.onConnectionLost?.(() => this.suspect(w, 'its connection dropped'));
    this.log.info({ workerId: id, address, cores }, 'worker joined');
    for (const l of [...this.listeners]) l.workerAdded(w);
    return w;
  }

  /** Returns false when the worker is not (or no longer) known. */
  heartbeat(id: string, storage?: WorkerStorage, processStats?: WorkerProcessStats): boolean {
    const w = this.workers.get(id);
    if (!w) return false;
    w.lastHeartbeat = this.clock.now();
    w.unresponsiveSince = undefined;
    if (storage) w.storage = storage;
    if (processStats) w.process = processStats;
    return true;
  }

  get(id: string): WorkerInfo | undefined {
    return this.workers.get(id);
  }

  /** The workers removed (lost or decommissioned), oldest first: the last DEAD_WORKERS_RETAINED. */
  removed(): readonly RemovedWorker[] {
    return this.removedWorkers;
  }

  private remember(w: WorkerInfo, reason: string): void {
    this.removedWorkers.push({ id: w.id, address: w.address, cores: w.cores, addedAt: w.addedAt, removedAt: this.clock.now(), reason });
    if (this.removedWorkers.length > DEAD_WORKERS_RETAINED) this.removedWorkers.shift();
  }

  all(): WorkerInfo[] {
    return [...this.workers.values()];
  }

  /** Workers to place tasks and receivers on: not waiting to be heard from after a failed call, nor leaving. */
  responsive(): WorkerInfo[] {
    return this.all().filter((w) => w.unresponsiveSince === undefined && !w.decommissioning);
  }

  /** Workers not being decommissioned (what the cluster will have once they left). */
  staying(): WorkerInfo[] {
    return this.all().filter((w) => !w.decommissioning);
  }

  /**
   * Forget a worker that left gracefully (its decommission moved what it held): listeners
   * hear `workerLost` with the reason, so whatever they still keep for it goes, but it is
   * logged as a departure, not a loss.
   */
  release(id: string, reason: string): void {
    const w = this.workers.get(id);
    if (!w) return;
    this.workers.delete(w.id);
    this.remember(w, reason);
    w.endpoint.close();
    this.log.info({ workerId: w.id, address: w.address, reason }, 'worker decommissioned');
    for (const l of [...this.listeners]) l.workerLost(w, reason);
  }

  totalCores(): number {
    let n = 0;
    for (const w of this.workers.values()) n += w.cores;
    return n;
  }

  /** Declare a worker lost (missed heartbeats, or its process is gone). */
  markLost(id: string, reason: string): void {
    const w = this.workers.get(id);
    if (w) this.remove(w, reason);
  }

  /**
   * A call to the worker failed on its connection, or the connection dropped: probe its
   * port. Refused: the process is gone, declare it lost now. Otherwise it may be paused:
   * place nothing on it until it heartbeats again (or the timeout declares it lost).
   */
  suspect(w: WorkerInfo, reason: string): void {
    if (this.workers.get(w.id) !== w) return;
    if (w.unresponsiveSince === undefined) {
      // Once a spell (the launches of one failed task stream each end here): a blip on the
      // link to a live worker is otherwise seen only as its tasks run again.
      this.log.warn(
        { workerId: w.id, address: w.address, reason },
        `worker ${w.id} at ${w.address}: ${reason}; no task is placed on it until it is heard from again (its next heartbeat), and it is declared lost if its port refuses connections (its process is gone) or its heartbeats stop for the worker timeout`,
      );
      w.unresponsiveSince = this.clock.now();
    }
    // A dying process's kernel may close its connections before its listening socket,
    // so the first probe can still be accepted: probe again a little later.
    const probeAfter = (delays: readonly number[]): void => {
      if (delays.length === 0) return;
      const t = setTimeout(() => {
        if (this.workers.get(w.id) !== w) return;
        void this.probe(w.address).then((r) => {
          if (this.workers.get(w.id) !== w) return;
          if (r === 'refused') this.remove(w, `${reason}, and its port ${w.address} refuses connections: the worker process is gone`);
          else probeAfter(delays.slice(1));
        });
      }, delays[0]);
      t.unref();
    };
    probeAfter(PROBE_DELAYS_MS);
  }

  /**
   * Addresses of workers declared lost in the last minute that no registered worker has
   * now, for every worker's heartbeat answer: a fetch still waiting on one (a frozen peer
   * holds its connections open and answers nothing) is given up at once.
   */
  lostPeers(): string[] {
    const now = this.clock.now();
    const live = new Set([...this.workers.values()].map((w) => w.address));
    const out: string[] = [];
    for (const [address, at] of this.lost) {
      if (now - at > LOST_PEER_NOTICE_MS) this.lost.delete(address);
      else if (!live.has(address)) out.push(address);
    }
    return out;
  }

  private remove(w: WorkerInfo, reason: string): void {
    this.workers.delete(w.id);
    this.remember(w, reason);
    this.lost.set(w.address, this.clock.now());
    w.endpoint.close();
    this.log.warn({ workerId: w.id, address: w.address, reason }, 'worker lost');
    for (const l of [...this.listeners]) l.workerLost(w, reason);
  }

  private expire(): void {
    const now = this.clock.now();
    const gap = now - (this.lastCheck ?? now);
    this.lastCheck = now;
    const stalled = gap - this.checkEveryMs;
    if (stalled > Math.max(1000, 2 * this.checkEveryMs)) {
      // This timer fired `stalled` ms late: the driver itself did not run. Workers could
      // not be heard meanwhile; that time is not theirs to answer for.
      this.log.warn({ stalledMs: stalled }, 'the driver did not run for a while (paused?); workers get that time back');
      for (const w of this.workers.values()) w.lastHeartbeat = Math.min(now, w.lastHeartbeat + stalled);
    }
    for (const w of [...this.workers.values()]) {
      if (now - w.lastHeartbeat > this.workerTimeoutMs) this.remove(w, `no heartbeat for ${now - w.lastHeartbeat} ms`);
    }
  }
}
