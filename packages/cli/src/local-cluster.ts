import type { ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { DriverNode, type DriverOptions } from '@sluice/driver';
import { SluiceError, removeDeadScratchDirs } from '@sluice/core/internal';
import { bundleLine, type GivenBundle } from './local-bundle-line.js';
import { localWorkerEntry, localWorkerGcArgs, prestartMatches, spawnLocalWorker, type LocalWorkerSpec, type PrestartedWorkers } from './local-worker-process.js';

/** What a worker process runs: the bundled command when it is fresh, else the modules (see cli-entry; started from its CommonJS build when cli-entry chose that). */
const CLI_ENTRY = fileURLToPath(new URL('./cli-entry.js', import.meta.url));

export interface LocalClusterOptions {
  readonly workers: number;
  readonly coresPerWorker: number;
  readonly logLevel: string;
  readonly log: Logger;
  readonly driver?: Partial<DriverOptions>;
  /** Extra `sluice worker` options for every worker process (e.g. ['--shuffle-spill-records', '100']). */
  readonly workerArgs?: readonly string[];
  /** Where worker processes log: this process's stderr (default), or a pipe tests read (`workerProcesses[i].stderr`). */
  readonly workerStderr?: 'inherit' | 'pipe';
  /** Node options for each worker process, before the script (e.g. ['--cpu-prof', '--cpu-prof-dir=DIR'] to profile them). */
  readonly workerExecArgv?: readonly string[];
  /**
   * Worker processes cli-entry started for this command before its code loaded
   * (local-worker-process.ts): adopted when they were started as this cluster would start
   * its own (count, cores, log level, worker arguments; no execArgv), else ended.
   */
  readonly prestarted?: PrestartedWorkers;
}

/**
 * An embedded cluster for `sluice run`: the driver in this process and N worker
 * processes on loopback, sharing a fresh random secret. `stop()` stops the driver and
 * ends the workers (their standard input closed, SIGKILL after 3 s) together, then removes
 * the scratch directories of workers that died without removing their own (killed with -9).
 * A `start()` that fails (a worker process that exits before registering fails it at once)
 * stops what it started before it rejects: nothing is left listening or running, so a
 * caller whose start failed, which holds no cluster to stop, can still exit.
 */
export class LocalCluster {
  readonly driver: DriverNode;
  readonly secret: string;
  private readonly children: ChildProcess[] = [];
  private driverListening = false;
  private readonly spec: LocalWorkerSpec;
  /** The job's bundle as the line that gives it to a worker after the address (giveBundle). */
  private bundleLine: string | undefined;
  /** Prestarted workers this cluster took over (undefined: none, or they did not match). */
  private adopted: PrestartedWorkers | undefined;

  constructor(private readonly opts: LocalClusterOptions) {
    this.spec = { cores: opts.coresPerWorker, logLevel: opts.logLevel, workerArgs: opts.workerArgs ?? [] };
    const p = opts.prestarted;
    if (p && !opts.workerExecArgv?.length && opts.workerStderr !== 'pipe' && prestartMatches(p, opts.workers, this.spec)) this.adopted = p;
    else if (p) for (const c of p.children) c.stdin?.end();
    this.secret = this.adopted?.secret ?? crypto.randomBytes(16).toString('hex');
    // sc.master: Spark's local[N], N the local workers' cores in all.
    this.driver = new DriverNode({ security: { secret: this.secret }, log: opts.log, port: 0, master: `local[${opts.workers * opts.coresPerWorker}]`, ...opts.driver });
    // Tracked from now, so stop() ends them even if start() is never called.
    for (const c of this.adopted?.children ?? []) this.track(c);
  }

  /** Whether this cluster runs workers cli-entry prestarted (tests ask). */
  get usesPrestartedWorkers(): boolean {
    return this.adopted !== undefined;
  }

  /**
   * The worker processes start first (`--driver -`) and load their code while the driver
   * starts; each is written the driver's address once it listens.
   */
  async start(): Promise<void> {
    if (!this.adopted) for (let i = 0; i < this.opts.workers; i++) this.addWorker();
    // A worker process that exits before the workers all registered (a bad option, a build
    // it cannot load) fails the start at once, not after the 30 s wait.
    const workerExited = new AbortController();
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (this.driver.registry.all().length >= this.opts.workers) return;
      workerExited.abort(new SluiceError('SLUICE_NO_WORKERS', `a local worker process exited (${signal ?? `code ${code}`}) before ${this.opts.workers} workers registered (${this.driver.registry.all().length} did); its standard error above says why`));
    };
    const starting = [...this.children];
    for (const c of starting) c.once('exit', onExit);
    try {
      await this.driver.start();
      this.driverListening = true;
      for (const child of this.children) this.tellDriverAddress(child);
      await this.waitForWorkers(this.opts.workers, 30_000, workerExited.signal);
    } catch (err) {
      await this.stop();
      throw err;
    } finally {
      for (const c of starting) c.removeListener('exit', onExit);
    }
  }

  /** Start one more worker process; returns it (tests kill it). */
  addWorker(extraArgs: readonly string[] = []): ChildProcess {
    const execArgv = [...localWorkerGcArgs(this.opts.workers, this.spec.cores), ...(this.opts.workerExecArgv ?? [])];
    const spec = extraArgs.length === 0 ? this.spec : { ...this.spec, workerArgs: [...this.spec.workerArgs, ...extraArgs] };
    return this.track(spawnLocalWorker(localWorkerEntry(CLI_ENTRY), spec, this.secret, { execArgv, stderr: this.opts.workerStderr }));
  }

  private track(child: ChildProcess): ChildProcess {
    // One that died already (a prestarted worker that failed at once) is not waited for.
    if (child.exitCode !== null || child.signalCode !== null) return child;
    this.children.push(child);
    if (this.driverListening) this.tellDriverAddress(child);
    child.on('exit', () => {
      const i = this.children.indexOf(child);
      if (i >= 0) this.children.splice(i, 1);
    });
    return child;
  }

  private tellDriverAddress(child: ChildProcess): void {
    child.stdin?.write(`${this.driver.address}\n`);
    if (this.bundleLine !== undefined) child.stdin?.write(this.bundleLine);
  }

  /**
   * Give every worker process (those started later too) the job's bundle on its standard
   * input, after the driver's address: it is on their disks before the job's first task
   * comes, which then does not wait for a fetch from the driver (which still serves it to
   * any worker that did not take it). One bundle: `sluice run` runs one job.
   */
  giveBundle(bundle: GivenBundle): void {
    this.bundleLine = bundleLine(bundle);
    if (this.driverListening) for (const child of this.children) child.stdin?.write(this.bundleLine);
  }

  get workerProcesses(): readonly ChildProcess[] {
    return this.children;
  }

  /** Resolves once `n` workers are registered (on the registry's event, not by polling), else rejects after `timeoutMs`, or with `signal`'s reason once it aborts. */
  async waitForWorkers(n: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const registry = this.driver.registry;
    if (registry.all().length >= n) return;
    signal?.throwIfAborted();
    await new Promise<void>((resolve, reject) => {
      const aborted = (): void => {
        done();
        reject(signal!.reason);
      };
      const listener = {
        workerAdded: (): void => {
          if (registry.all().length < n) return;
          done();
          resolve();
        },
        workerLost: (): void => undefined,
      };
      const timer = setTimeout(() => {
        done();
        reject(new SluiceError('SLUICE_NO_WORKERS', `only ${registry.all().length} of ${n} local workers registered within ${timeoutMs} ms; see the worker logs above`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        registry.removeListener(listener);
        signal?.removeEventListener('abort', aborted);
      };
      registry.addListener(listener);
      signal?.addEventListener('abort', aborted, { once: true });
    });
  }

  /**
   * Stops the driver and the workers together: the driver's membership ends synchronously
   * in `driver.stop()` (so workers leaving are not logged as lost), then each worker's
   * standard input is closed — with --exit-with-parent it stops at once, without the
   * decommission a SIGTERM would begin (it would ask a driver that is going away to move
   * blocks nobody will read) — and is killed if it has not exited 3 s later.
   */
  async stop(): Promise<void> {
    const driverStopped = this.driver.stop();
    await Promise.all([
      driverStopped,
      ...[...this.children].map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            const t = setTimeout(() => c.kill('SIGKILL'), 3000);
            c.once('exit', () => {
              clearTimeout(t);
              resolve();
            });
            c.stdin?.end();
          }),
      ),
    ]);
    removeDeadScratchDirs(this.opts.log);
  }
}
