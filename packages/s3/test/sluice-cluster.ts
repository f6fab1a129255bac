// Real `sluice driver`, `sluice worker` and `sluice submit` processes on loopback for the
// S3 checkpoint tests (the driver too is its own process, so a test can kill it with -9).
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@sluice/test-servers';

export { freePort };

/** packages/s3 (tests run from packages/s3/dist/test). */
const S3_DIR = fileURLToPath(new URL('../../', import.meta.url));
/** The `sluice` command of the workspace's @sluice/cli (a devDependency). */
export const SLUICE_BIN = path.join(S3_DIR, 'node_modules', '@sluice', 'cli', 'bin', 'sluice.js');

/** Source path of a fixture job (fixtures stay .ts: the CLI bundles them). */
export function fixture(name: string): string {
  return path.join(S3_DIR, 'test', 'fixtures', name);
}

export interface SluiceProcess {
  readonly child: ChildProcess;
  /** stderr lines (pino JSON for servers) so far. */
  readonly logLines: string[];
  /** SIGTERM, SIGKILL after 3 s; resolves once it exited. */
  stop(): Promise<void>;
  /** kill -9; resolves once it exited. */
  kill9(): Promise<void>;
}

export function randomSecret(): string {
  return crypto.randomBytes(16).toString('hex');
}

function spawnSluice(args: readonly string[], env: NodeJS.ProcessEnv, ready: RegExp, cwd: string): Promise<SluiceProcess> {
  const child = spawn(process.execPath, [SLUICE_BIN, ...args], { cwd, env: { ...process.env, SLUICE_SECRET_FILE: '', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  const logLines: string[] = [];
  let partial = '';
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const proc: SluiceProcess = {
    child,
    logLines,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const t = setTimeout(() => child.kill('SIGKILL'), 3000);
        child.kill('SIGTERM');
        await closed;
        clearTimeout(t);
      }
      await closed;
    },
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await closed;
    },
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void proc.stop();
      reject(new Error(`sluice ${args[0]} did not start in 30 s:\n${logLines.join('\n')}`));
    }, 30_000);
    child.stderr!.on('data', (d: Buffer) => {
      const parts = (partial + d.toString()).split('\n');
      partial = parts.pop()!;
      for (const l of parts) {
        logLines.push(l);
        if (ready.test(l)) {
          clearTimeout(timer);
          resolve(proc);
        }
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`sluice ${args[0]} exited (${code}) before it was ready:\n${logLines.join('\n')}`));
    });
  });
}

export interface Cluster {
  readonly secret: string;
  /** The working directory of every process of the cluster (a fresh temp directory): a relative path would land here. */
  readonly cwd: string;
  readonly driverAddress: string;
  driver: SluiceProcess;
  readonly workers: SluiceProcess[];
  /** Start a driver again on the same port (after the old one died), with `extraArgs`; resolves once every worker registered with it again. */
  restartDriver(extraArgs?: readonly string[]): Promise<void>;
  stop(): Promise<void>;
}

/** A driver and `workers` single-core workers, each its own process, with `env` (the S3 variables). */
export async function startCluster(workers: number, env: NodeJS.ProcessEnv): Promise<Cluster> {
  const secret = randomSecret();
  const port = await freePort();
  const driverAddress = `127.0.0.1:${port}`;
  const full = { ...env, SLUICE_SECRET: secret };
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-s3-cwd-'));
  const startDriver = (extraArgs: readonly string[] = []): Promise<SluiceProcess> =>
    spawnSluice(['driver', '--port', String(port), '--web-port', '0', '--log-level', 'info', ...extraArgs], full, /driver listening/, cwd);
  const cluster: Cluster = {
    secret,
    cwd,
    driverAddress,
    driver: await startDriver(),
    workers: [],
    async restartDriver(extraArgs = []) {
      cluster.driver = await startDriver(extraArgs);
      const deadline = Date.now() + 30_000;
      while (cluster.driver.logLines.filter((l) => l.includes('"worker joined"')).length < cluster.workers.length) {
        if (Date.now() > deadline) throw new Error(`fewer than ${cluster.workers.length} workers joined the restarted driver in 30 s:\n${cluster.driver.logLines.join('\n')}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop() {
      await Promise.all([cluster.driver.stop(), ...cluster.workers.map((w) => w.stop())]);
      fs.rmSync(cwd, { recursive: true, force: true });
    },
  };
  try {
    for (let i = 0; i < workers; i++) cluster.workers.push(await spawnSluice(['worker', '--driver', driverAddress, '--cores', '1', '--log-level', 'info'], full, /worker registered/, cwd));
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}

export interface Submitted {
  readonly child: ChildProcess;
  /** Job output lines so far (the submit's stdout). */
  readonly lines: string[];
  /** The submit's stderr so far. */
  stderr(): string;
  /** Resolves with the line once a line starting with `prefix` was printed. */
  waitLine(prefix: string, timeoutMs: number): Promise<string>;
  /** Resolves when the submit exits. */
  readonly done: Promise<{ code: number | null; stdout: string[]; stderr: string }>;
}

/**
 * The submit's end, or after `ms` the submit killed (SIGKILL) and a rejection saying `late` (what
 * did not come in time) with its output so far.
 */
export async function doneWithin(job: Submitted, ms: number, late: string): Promise<{ code: number | null; stdout: string[]; stderr: string }> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    job.done,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        job.child.kill('SIGKILL');
        reject(new Error(`${late}:\n${job.lines.join('\n')}\n${job.stderr()}`));
      }, ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** `sluice submit file -- args` against the cluster (`--detach`: returns once submitted), its output streamed into `lines`. */
export function submit(cluster: Cluster, file: string, args: readonly string[], options: { detach?: boolean } = {}): Submitted {
  const child = spawn(process.execPath, [SLUICE_BIN, 'submit', file, '--driver', cluster.driverAddress, ...(options.detach ? ['--detach'] : []), '--', ...args], {
    cwd: cluster.cwd,
    env: { ...process.env, SLUICE_SECRET_FILE: '', SLUICE_SECRET: cluster.secret },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let err = '';
  let partial = '';
  const waiters: { prefix: string; resolve: (l: string) => void }[] = [];
  child.stdout!.on('data', (d: Buffer) => {
    const parts = (partial + d.toString()).split('\n');
    partial = parts.pop()!;
    for (const l of parts) {
      lines.push(l);
      for (const w of [...waiters]) {
        if (l.startsWith(w.prefix)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(l);
        }
      }
    }
  });
  child.stderr!.on('data', (d: Buffer) => void (err += d.toString()));
  const done = new Promise<{ code: number | null; stdout: string[]; stderr: string }>((resolve) => child.once('close', (code) => resolve({ code, stdout: lines, stderr: err })));
  return {
    child,
    lines,
    stderr: () => err,
    done,
    waitLine(prefix, timeoutMs) {
      const seen = lines.find((l) => l.startsWith(prefix));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const w = { prefix, resolve: (l: string) => (clearTimeout(timer), resolve(l)) };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1);
          reject(new Error(`no line starting with '${prefix}' within ${timeoutMs} ms; output:\n${lines.join('\n')}\nstderr:\n${err}`));
        }, timeoutMs);
        waiters.push(w);
        void done.then(() => {
          if (waiters.includes(w)) {
            clearTimeout(timer);
            waiters.splice(waiters.indexOf(w), 1);
            reject(new Error(`the submit exited before a line starting with '${prefix}'; output:\n${lines.join('\n')}\nstderr:\n${err}`));
          }
        });
      });
    },
  };
}
