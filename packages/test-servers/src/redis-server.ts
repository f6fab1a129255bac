// A throwaway Redis for tests: Debian's redis-server on 127.0.0.1 at a free port, its
// working directory a temp dir, no persistence (no RDB snapshots, no AOF) unless `appendOnly`
// (an append-only file, fsync always, so a restart keeps every write), optionally a password
// (requirepass). `stop()` sends SIGTERM to its PID, waits for the exit (SIGKILL after 10 s)
// and removes the directory; `restart(downMs, until?)` stops it the same way, waits and starts
// it again on the same port and directory. `pid` is its process's, for a test that pauses it
// (SIGSTOP: it takes connections, the kernel's, and answers nothing until SIGCONT).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '@sluice/test-disk/free-port';

export interface RedisServerOptions {
  /** requirepass: clients must AUTH with this password. */
  readonly password?: string;
  /** appendonly yes, appendfsync always: what was written survives restart(). */
  readonly appendOnly?: boolean;
}

export interface RedisServer {
  /** redis://[:password@]127.0.0.1:PORT */
  readonly url: string;
  readonly port: number;
  /** The redis-server process's id (a test may SIGSTOP it: stop() and restart() SIGCONT it first). */
  readonly pid: number;
  /** SIGTERM, `downMs` (and until `until` settles, if given) with nothing listening on the port, then started again (data kept with appendOnly). */
  restart(downMs: number, until?: Promise<unknown>): Promise<void>;
  stop(): Promise<void>;
}

function bin(): string {
  for (const dir of ['/usr/bin', '/usr/sbin', '/usr/local/bin']) {
    const p = path.join(dir, 'redis-server');
    if (fs.existsSync(p)) return p;
  }
  throw new Error("redis-server not found: install Debian's redis-server package (apt-get install redis-server; scripts/test.sh does)");
}

export async function startRedis(options: RedisServerOptions = {}): Promise<RedisServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-redis-'));
  const port = await freePort();
  const persist = options.appendOnly === true ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', ...persist, '--daemonize', 'no', '--loglevel', 'notice'];
  if (options.password !== undefined) args.push('--requirepass', options.password);
  let child: ChildProcess;
  try {
    child = await spawnReady(args);
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const stopServer = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      process.kill(child.pid!, 'SIGCONT'); // a paused server would not act on SIGTERM
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      process.kill(child.pid!, 'SIGTERM');
      const timer = setTimeout(() => child.exitCode === null && child.signalCode === null && process.kill(child.pid!, 'SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
  };
  const secret = options.password === undefined ? '' : `:${encodeURIComponent(options.password)}@`;
  return {
    url: `redis://${secret}127.0.0.1:${port}`,
    port,
    get pid() {
      return child.pid!;
    },
    async restart(downMs: number, until?: Promise<unknown>) {
      await stopServer();
      await new Promise((r) => setTimeout(r, downMs));
      await until?.catch(() => undefined);
      child = await spawnReady(args);
    },
    async stop() {
      await stopServer();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Spawns redis-server and resolves once it says it accepts connections (SIGKILL and a throw after 15 s). */
async function spawnReady(args: string[]): Promise<ChildProcess> {
  const child: ChildProcess = spawn(bin(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const deadline = Date.now() + 15_000;
  while (!/Ready to accept connections/i.test(log)) {
    if (child.exitCode !== null) throw new Error(`redis-server exited (${child.exitCode}):\n${log}`);
    if (Date.now() > deadline) {
      process.kill(child.pid!, 'SIGKILL');
      throw new Error(`redis-server not ready within 15 s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return child;
}
