import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { DriverNode, type DriverOptions } from '@sluice/driver';
import { WORKER_MALLOC_ENV } from '@sluice/worker';
import { SluiceError, removeDeadScratchDirs } from '@sluice/core/internal';

/** What a worker process runs: the bundled command when it is fresh, else the modules (see cli-entry). */
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
}

/**
 * An embedded cluster for `sluice run`: the driver in this process and N worker
 * processes on loopback, sharing a fresh random secret. `stop()` ends the workers
 * (SIGTERM, then SIGKILL after 3 s), removes the scratch directories of workers that
 * died without removing their own (killed with -9), and then stops the driver.
 */
export class LocalCluster {
  readonly driver: DriverNode;
  readonly secret = crypto.randomBytes(16).toString('hex');
  private readonly children: ChildProcess[] = [];
  private driverListening = false;

  constructor(private readonly opts: LocalClusterOptions) {
    this.driver = new DriverNode({ security: { secret: this.secret }, log: opts.log, port: 0, ...opts.driver });
  }

  /**
   * The worker processes start first (`--driver -`) and load their code while the driver
   * starts; each is written the driver's address once it listens.
   */
  async start(): Promise<void> {
    for (let i = 0; i < this.opts.workers; i++) this.addWorker();
    await this.driver.start();
    this.driverListening = true;
    for (const child of this.children) this.tellDriverAddress(child);
    await this.waitForWorkers(this.opts.workers, 30_000);
  }

  /** Start one more worker process; returns it (tests kill it). */
  addWorker(): ChildProcess {
    const child = spawn(
      process.execPath,
      [...(this.opts.workerExecArgv ?? []), CLI_ENTRY, 'worker', '--driver', '-', '--cores', String(this.opts.coresPerWorker), '--log-level', this.opts.logLevel, '--exit-with-parent', ...(this.opts.workerArgs ?? [])],
      // stdin is a pipe from this process: when this process dies, however, the pipe closes
      // and the worker stops (--exit-with-parent), so no worker outlives its local cluster.
      { env: { ...WORKER_MALLOC_ENV, ...process.env, SLUICE_SECRET: this.secret, SLUICE_SECRET_FILE: '' }, stdio: ['pipe', 'inherit', this.opts.workerStderr ?? 'inherit'] },
    );
    // A worker that died has a closed stdin: writing its address then must not throw here.
    child.stdin?.on('error', () => undefined);
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
  }

  get workerProcesses(): readonly ChildProcess[] {
    return this.children;
  }

  /** Resolves once `n` workers are registered (on the registry's event, not by polling), else rejects after `timeoutMs`. */
  async waitForWorkers(n: number, timeoutMs: number): Promise<void> {
    const registry = this.driver.registry;
    if (registry.all().length >= n) return;
    await new Promise<void>((resolve, reject) => {
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
      };
      registry.addListener(listener);
    });
  }

  /** Stops the driver first, so workers leaving on purpose are not logged as lost; then the workers. */
  async stop(): Promise<void> {
    await this.driver.stop();
    await Promise.all(
      [...this.children].map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            const t = setTimeout(() => c.kill('SIGKILL'), 3000);
            c.once('exit', () => {
              clearTimeout(t);
              resolve();
            });
            c.kill('SIGTERM');
          }),
      ),
    );
    removeDeadScratchDirs(this.opts.log);
  }
}
