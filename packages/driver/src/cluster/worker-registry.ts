import type { Logger } from 'pino';
import type { Clock } from '@sluice/core/internal';
import type { WorkerEndpoint } from '../rpc/worker-endpoint.js';

export interface WorkerInfo {
  readonly id: string;
  readonly address: string;
  readonly cores: number;
  readonly endpoint: WorkerEndpoint;
  /** Slots not running a task. */
  freeSlots: number;
  lastHeartbeat: number;
  tasksCompleted: number;
  /** What the worker held at its last heartbeat. */
  storage?: WorkerStorage;
}

/** A worker's block store and memory as its heartbeat reports them. */
export interface WorkerStorage {
  readonly inputBlocks: number;
  readonly shuffleBlocks: number;
  readonly rddBlocks: number;
  readonly memoryBytes: number;
  readonly diskBytes: number;
  readonly memoryLimitBytes: number;
  readonly rssBytes: number;
}

export interface RegistryListener {
  workerAdded(w: WorkerInfo): void;
  workerLost(w: WorkerInfo, reason: string): void;
}

/**
 * Cluster membership: who the workers are, how many free slots each has, and when
 * each was last heard from. A worker silent for `workerTimeoutMs` is declared lost;
 * so is one whose connection fails under a running task.
 *
 * Threading: driver main thread. Time comes from the injected Clock.
 */
export class WorkerRegistry {
  private readonly workers = new Map<string, WorkerInfo>();
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners: RegistryListener[] = [];

  constructor(
    private readonly clock: Clock,
    private readonly workerTimeoutMs: number,
    private readonly makeEndpoint: (address: string) => WorkerEndpoint,
    private readonly log: Logger,
  ) {}

  addListener(l: RegistryListener): void {
    this.listeners.push(l);
  }

  removeListener(l: RegistryListener): void {
    const i = this.listeners.indexOf(l);
    if (i >= 0) this.listeners.splice(i, 1);
  }

  start(checkEveryMs: number): void {
    this.timer ??= setInterval(() => this.expire(), checkEveryMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    for (const w of this.workers.values()) w.endpoint.close();
    this.workers.clear();
  }

  register(id: string, address: string, cores: number): WorkerInfo {
    const old = this.workers.get(id);
    if (old) this.remove(old, 're-registered');
    const w: WorkerInfo = { id, address, cores, endpoint: this.makeEndpoint(address), freeSlots: cores, lastHeartbeat: this.clock.now(), tasksCompleted: 0 };
    this.workers.set(id, w);
    this.log.info({ workerId: id, address, cores }, 'worker joined');
    for (const l of this.listeners) l.workerAdded(w);
    return w;
  }

  /** Returns false when the worker is not (or no longer) known. */
  heartbeat(id: string, storage?: WorkerStorage): boolean {
    const w = this.workers.get(id);
    if (!w) return false;
    w.lastHeartbeat = this.clock.now();
    if (storage) w.storage = storage;
    return true;
  }

  get(id: string): WorkerInfo | undefined {
    return this.workers.get(id);
  }

  all(): WorkerInfo[] {
    return [...this.workers.values()];
  }

  totalCores(): number {
    let n = 0;
    for (const w of this.workers.values()) n += w.cores;
    return n;
  }

  /** Declare a worker lost (missed heartbeats, or its connection failed). */
  markLost(id: string, reason: string): void {
    const w = this.workers.get(id);
    if (w) this.remove(w, reason);
  }

  private remove(w: WorkerInfo, reason: string): void {
    this.workers.delete(w.id);
    w.endpoint.close();
    this.log.warn({ workerId: w.id, address: w.address, reason }, 'worker lost');
    for (const l of this.listeners) l.workerLost(w, reason);
  }

  private expire(): void {
    const now = this.clock.now();
    for (const w of [...this.workers.values()]) {
      if (now - w.lastHeartbeat > this.workerTimeoutMs) this.remove(w, `no heartbeat for ${now - w.lastHeartbeat} ms`);
    }
  }
}
