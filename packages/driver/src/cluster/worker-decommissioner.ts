import type { Logger } from 'pino';
import { SluiceError, type Clock } from '@sluice/core/internal';
import { DEFAULT_DECOMMISSION_TIMEOUT_MS } from '../defaults.js';
import type { RegistryListener, WorkerInfo, WorkerRegistry } from './worker-registry.js';

/** How workers leave gracefully (Spark 3.1's spark.decommission.* and spark.storage.decommission.*). */
export interface DecommissionOptions {
  /** Off: a worker that asks to leave is told `disabled` and leaves as a lost one does (spark.decommission.enabled; default on). */
  readonly enabled: boolean;
  /** Copy received input and cached partitions to other workers (spark.storage.decommission.rddBlocks.enabled; default on). */
  readonly migrateRddBlocks: boolean;
  /** Copy shuffle map outputs to other workers (spark.storage.decommission.shuffleBlocks.enabled; default on). */
  readonly migrateShuffleBlocks: boolean;
  /**
   * A decommission not finished this long after it began declares the worker lost, as a
   * dead one (its running tasks re-run elsewhere, its map outputs are recomputed). Default
   * 30 s; an orchestrator's grace period (Kubernetes terminationGracePeriodSeconds, Swarm's
   * stop_grace_period) must be longer.
   */
  readonly timeoutMs: number;
}

export const DEFAULT_DECOMMISSION: DecommissionOptions = { enabled: true, migrateRddBlocks: true, migrateShuffleBlocks: true, timeoutMs: DEFAULT_DECOMMISSION_TIMEOUT_MS };

/** The options with defaults filled in, checked: a SluiceError naming the option, its value and the fix. */
export function decommissionOptions(o: Partial<DecommissionOptions> = {}): DecommissionOptions {
  const r = { ...DEFAULT_DECOMMISSION, ...o };
  if (!Number.isSafeInteger(r.timeoutMs) || r.timeoutMs < 1) {
    throw new SluiceError('SLUICE_BAD_ARGUMENT', `the driver option decommission.timeoutMs (sluice driver --decommission-timeout-ms) must be a whole number of milliseconds >= 1, got ${String(r.timeoutMs)}; for example 30000 (the default)`);
  }
  return r;
}

/** What one decommission moved, and how it ended. */
export interface DecommissionOutcome {
  /** decommissioned: everything moved, the worker may exit; lost: the deadline passed or the worker died; disabled: decommissioning is off. */
  readonly state: 'decommissioned' | 'lost' | 'disabled';
  readonly receiversMoved: number;
  readonly inputBlocksMoved: number;
  readonly rddBlocksMoved: number;
  readonly mapOutputsMoved: number;
  readonly bytesMoved: number;
  readonly message: string;
}

/** What a worker's MigrateBlocks answered, in domain terms. */
export interface MigrationResult {
  readonly blocks: readonly { readonly blockId: string; readonly workerId: string }[];
  readonly mapOutputs: readonly { readonly jobId: string; readonly shuffleId: number; readonly mapPartition: number; readonly workerId: string }[];
  readonly bytes: number;
  readonly failed: number;
}

/** What the decommissioner asks of the rest of the driver (the DriverNode wires it; tests fake it). */
export interface DecommissionHost {
  /** Move every receiver of every job off the worker; resolves with how many moved once each runs elsewhere. */
  moveReceivers(workerId: string): Promise<number>;
  /** Have the worker copy its blocks to `peers`; rejects when the call fails. */
  migrate(w: WorkerInfo, peers: readonly WorkerInfo[], kinds: { readonly rddBlocks: boolean; readonly shuffleBlocks: boolean }): Promise<MigrationResult>;
  /** Point the schedulers at the copies; returns how many map outputs and blocks were taken. */
  applyMigration(fromWorkerId: string, result: MigrationResult, peers: readonly WorkerInfo[]): { readonly mapOutputs: number; readonly blocks: number };
  /** Whether a running stage still reads from the worker (its description names it): it then stays until none does. */
  inUse?(workerId: string): boolean;
  /** Told of every decommission's end (metrics). */
  ended?(workerId: string, outcome: DecommissionOutcome): void;
}

/** Where one worker's decommission stands. */
export type DecommissionPhase = 'draining' | 'migrating' | 'releasing' | 'decommissioned' | 'lost';

interface Decommission {
  readonly worker: WorkerInfo;
  phase: DecommissionPhase;
  readonly startedAt: number;
  /** Receivers moved so far (undefined until every receiver of the worker runs elsewhere). */
  receiversMoved: number | undefined;
  deadline: NodeJS.Timeout | undefined;
  poll: NodeJS.Timeout | undefined;
  /** Releasing: how it will end once no running stage reads from it. */
  release: { readonly message: string; readonly counts: Partial<Omit<DecommissionOutcome, 'state' | 'message'>> } | undefined;
  readonly outcome: Promise<DecommissionOutcome>;
  resolve: (o: DecommissionOutcome) => void;
}

/** Every input of the state machine, handled in one place (`handle`). */
type DecommissionEvent =
  | { readonly type: 'receiversMoved'; readonly workerId: string; readonly count: number }
  | { readonly type: 'poll'; readonly workerId: string }
  | { readonly type: 'migrated'; readonly workerId: string; readonly result: MigrationResult | Error }
  | { readonly type: 'deadline'; readonly workerId: string }
  | { readonly type: 'workerLost'; readonly workerId: string; readonly reason: string };

/** Finished decommissions remembered (for a released worker that asks late). */
const RECENT_OUTCOMES = 1000;

/** How often a draining worker's running tasks are looked at. */
const POLL_MS = 50;

/**
 * Releases workers gracefully, as Spark 3.1's executor decommissioning: a worker that
 * got SIGTERM (an orchestrator scales down) or that `sluice workers decommission` names
 * goes through
 *
 *   draining ──(its receivers run elsewhere, its tasks ended)──> migrating
 *   migrating ──(MigrateBlocks answered, copies taken)──> releasing
 *   releasing ──(no running stage reads from it)──> decommissioned (registry.release)
 *   draining | migrating | releasing ──(deadline, or the worker died)──> lost (registry.markLost)
 *
 * While draining, the registry offers the worker to no task set and no receiver
 * (`decommissioning`); its receivers are stopped — each stores, replicates and reports
 * its current block first — and started on other workers at once; its running tasks
 * finish. Migrating, the worker copies its received, cached and shuffle blocks to the
 * workers that stay, and the schedulers are pointed at the copies, so nothing it held is
 * recomputed; stages submitted before the copies read from it until they end (their
 * description, sent to the workers once, names it), so it leaves after them. Past
 * `timeoutMs` it is declared lost, as today without decommissioning.
 *
 * Invariants: one decommission per worker at a time; every `request` for it gets the same
 * outcome; a finished decommission leaves no timer and no entry.
 * Threading: driver main thread; each event changes state synchronously, I/O completions
 * post new events.
 */
export class WorkerDecommissioner implements RegistryListener {
  private readonly running = new Map<string, Decommission>();
  /**
   * Outcomes of finished decommissions, by worker id (the last RECENT_OUTCOMES): a worker
   * released before it heard it was to leave (the CLI asked, and it held nothing) learns it
   * from its next heartbeat's answer and gets this outcome when it asks.
   */
  private readonly finished = new Map<string, DecommissionOutcome>();

  constructor(
    private readonly options: DecommissionOptions,
    private readonly registry: WorkerRegistry,
    private readonly host: DecommissionHost,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    registry.addListener(this);
  }

  /** Where a worker's decommission stands (undefined: none running), or how it ended (of the last few). */
  phase(workerId: string): DecommissionPhase | undefined {
    const d = this.running.get(workerId);
    if (d) return d.phase;
    const o = this.finished.get(workerId);
    return o?.state === 'decommissioned' || o?.state === 'lost' ? o.state : undefined;
  }

  /** Workers being decommissioned now. */
  get size(): number {
    return this.running.size;
  }

  /**
   * Begin (or join) a worker's decommission; the promise settles with its outcome.
   * Undefined when the registry does not know the worker.
   */
  request(workerId: string): Promise<DecommissionOutcome> | undefined {
    const existing = this.running.get(workerId);
    if (existing) return existing.outcome;
    const w = this.registry.get(workerId);
    if (!w) {
      const done = this.finished.get(workerId);
      return done ? Promise.resolve(done) : undefined;
    }
    if (!this.options.enabled) {
      return Promise.resolve(outcomeOf('disabled', 'decommissioning is off on this driver (--no-decommission): the worker leaves as a lost one', {}));
    }
    let resolve!: (o: DecommissionOutcome) => void;
    const outcome = new Promise<DecommissionOutcome>((r) => (resolve = r));
    const d: Decommission = { worker: w, phase: 'draining', startedAt: this.clock.now(), receiversMoved: undefined, deadline: undefined, poll: undefined, release: undefined, outcome, resolve };
    this.running.set(workerId, d);
    w.decommissioning = true;
    this.log.info({ workerId, timeoutMs: this.options.timeoutMs }, 'decommissioning worker: no new tasks or receivers; moving its receivers, waiting for its tasks');
    d.deadline = setTimeout(() => this.handle({ type: 'deadline', workerId }), this.options.timeoutMs);
    d.deadline.unref();
    this.host.moveReceivers(workerId).then(
      (count) => this.handle({ type: 'receiversMoved', workerId, count }),
      () => this.handle({ type: 'receiversMoved', workerId, count: 0 }),
    );
    this.handle({ type: 'poll', workerId });
    return outcome;
  }

  /** A worker registering (again) under an id that left before is a new worker: it is not told to leave. */
  workerAdded(w: WorkerInfo): void {
    this.finished.delete(w.id);
  }

  workerLost(w: WorkerInfo, reason: string): void {
    this.handle({ type: 'workerLost', workerId: w.id, reason });
  }

  /** End every decommission (the driver stops): their workers are left as they are. */
  stop(): void {
    for (const d of [...this.running.values()]) {
      this.running.delete(d.worker.id);
      clearTimeout(d.deadline);
      clearTimeout(d.poll);
      d.resolve(outcomeOf('lost', 'the driver stopped', { receiversMoved: d.receiversMoved ?? 0 }));
    }
    this.registry.removeListener(this);
  }

  private handle(e: DecommissionEvent): void {
    const d = this.running.get(e.workerId);
    if (!d) return;
    switch (e.type) {
      case 'receiversMoved':
        if (d.phase !== 'draining') return;
        d.receiversMoved = e.count;
        this.advance(d);
        return;
      case 'poll':
        d.poll = undefined;
        if (d.phase === 'releasing') {
          this.releaseWhenUnused(d);
          return;
        }
        if (d.phase !== 'draining') return;
        this.advance(d);
        if (d.phase === 'draining') {
          d.poll = setTimeout(() => this.handle({ type: 'poll', workerId: e.workerId }), POLL_MS);
          d.poll.unref();
        }
        return;
      case 'migrated': {
        if (d.phase !== 'migrating') return;
        if (e.result instanceof Error) {
          // Nothing was taken: its blocks go with it and are recomputed where needed, as after a loss.
          this.log.warn({ workerId: d.worker.id, err: e.result.message }, 'the decommissioning worker could not copy its blocks; what it holds will be recomputed');
          this.finish(d, 'decommissioned', `its blocks could not be copied (${e.result.message}); they are recomputed where needed`, { receiversMoved: d.receiversMoved ?? 0 });
          return;
        }
        const peers = this.registry.staying();
        const taken = this.host.applyMigration(d.worker.id, e.result, peers);
        const input = e.result.blocks.filter((b) => b.blockId.startsWith('input_')).length;
        const counts = {
          receiversMoved: d.receiversMoved ?? 0,
          inputBlocksMoved: input,
          rddBlocksMoved: e.result.blocks.length - input,
          mapOutputsMoved: taken.mapOutputs,
          bytesMoved: e.result.bytes,
        };
        const failed = e.result.failed > 0 ? `; ${e.result.failed} block(s) no worker accepted are recomputed where needed` : '';
        // The worker copies every map output it holds (its log says so: 'copied blocks to the workers
        // that stay', mapOutputs); the driver counts those it still reads there. The rest are outputs it
        // no longer tracks on that worker (user58 saw 'copied 77' beside 'moved 73').
        const untracked = e.result.mapOutputs.length - taken.mapOutputs;
        const maps = untracked > 0 ? `${counts.mapOutputsMoved} map output(s) (of ${e.result.mapOutputs.length} copied: ${untracked} the driver no longer tracked on this worker, of a shuffle already removed or replaced by another attempt's output, are not read)` : `${counts.mapOutputsMoved} map output(s)`;
        d.phase = 'releasing';
        d.release = {
          counts,
          message: `moved ${counts.receiversMoved} receiver(s), ${input} received block(s), ${counts.rddBlocksMoved} cached block(s), ${maps}, ${counts.bytesMoved} bytes${failed}`,
        };
        this.releaseWhenUnused(d);
        return;
      }
      case 'deadline':
        this.finish(d, 'lost', `not done within the decommission timeout of ${this.options.timeoutMs} ms (--decommission-timeout-ms); declared lost`, { receiversMoved: d.receiversMoved ?? 0 });
        return;
      case 'workerLost':
        // Released by this decommission (the registry removes it after `finish`) or lost meanwhile.
        this.finish(d, 'lost', `the worker was lost while decommissioning (${e.reason})`, { receiversMoved: d.receiversMoved ?? 0 });
        return;
      default: {
        const never: never = e;
        throw new Error(`unknown decommission event ${JSON.stringify(never)}`);
      }
    }
  }

  /** Draining: once its receivers run elsewhere and no task runs on it, copy its blocks. */
  private advance(d: Decommission): void {
    const w = d.worker;
    if (d.receiversMoved === undefined || w.freeSlots < w.cores) return;
    d.phase = 'migrating';
    clearTimeout(d.poll);
    d.poll = undefined;
    const peers = this.registry.staying().filter((p) => p.id !== w.id);
    const kinds = { rddBlocks: this.options.migrateRddBlocks, shuffleBlocks: this.options.migrateShuffleBlocks };
    if (peers.length === 0 || (!kinds.rddBlocks && !kinds.shuffleBlocks)) {
      const why = peers.length === 0 ? 'no other worker stays to take its blocks' : 'block migration is off (--no-decommission-blocks, --no-decommission-shuffle)';
      this.finish(d, 'decommissioned', `${why}: what it holds is recomputed where needed`, { receiversMoved: d.receiversMoved });
      return;
    }
    this.log.info({ workerId: w.id, peers: peers.map((p) => p.id) }, 'decommissioning worker drained; copying its blocks to the workers that stay');
    this.host.migrate(w, peers, kinds).then(
      (result) => this.handle({ type: 'migrated', workerId: w.id, result }),
      (err: unknown) => this.handle({ type: 'migrated', workerId: w.id, result: err instanceof Error ? err : new Error(String(err)) }),
    );
  }

  /** Releasing: stages submitted before its blocks were copied may still read from it; it leaves once none does. */
  private releaseWhenUnused(d: Decommission): void {
    if (this.host.inUse?.(d.worker.id)) {
      d.poll = setTimeout(() => this.handle({ type: 'poll', workerId: d.worker.id }), POLL_MS);
      d.poll.unref();
      return;
    }
    this.finish(d, 'decommissioned', d.release!.message, d.release!.counts);
  }

  private finish(d: Decommission, state: 'decommissioned' | 'lost', message: string, counts: Partial<Omit<DecommissionOutcome, 'state' | 'message'>>): void {
    if (this.running.get(d.worker.id) !== d) return;
    this.running.delete(d.worker.id);
    clearTimeout(d.deadline);
    clearTimeout(d.poll);
    d.phase = state;
    const outcome = outcomeOf(state, message, counts);
    const ms = this.clock.now() - d.startedAt;
    if (state === 'decommissioned') {
      this.log.info({ workerId: d.worker.id, ms, ...counts }, `worker decommissioned: ${message}`);
      this.registry.release(d.worker.id, `decommissioned: ${message}`);
    } else {
      this.log.warn({ workerId: d.worker.id, ms, reason: message }, 'worker decommission failed; treating it as lost');
      this.registry.markLost(d.worker.id, `decommission failed: ${message}`);
    }
    this.host.ended?.(d.worker.id, outcome);
    this.finished.set(d.worker.id, outcome);
    if (this.finished.size > RECENT_OUTCOMES) this.finished.delete(this.finished.keys().next().value!);
    d.resolve(outcome);
  }
}

function outcomeOf(state: DecommissionOutcome['state'], message: string, c: Partial<Omit<DecommissionOutcome, 'state' | 'message'>>): DecommissionOutcome {
  return {
    state,
    message,
    receiversMoved: c.receiversMoved ?? 0,
    inputBlocksMoved: c.inputBlocksMoved ?? 0,
    rddBlocksMoved: c.rddBlocksMoved ?? 0,
    mapOutputsMoved: c.mapOutputsMoved ?? 0,
    bytesMoved: c.bytesMoved ?? 0,
  };
}
