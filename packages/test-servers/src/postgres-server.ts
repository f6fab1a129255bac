// A throwaway PostgreSQL server for tests: Debian's postgresql binaries
// (/usr/lib/postgresql/<version>/bin), a fresh data directory in a temp dir, listening on
// 127.0.0.1 at a free port. Without a password, trust authentication; with one, the user
// `sluice` must give it over TCP (scram-sha-256). As root, initdb and the server run as the
// `postgres` user (PostgreSQL refuses root). `stop()` stops the postmaster by the PID in its
// data directory (pg_ctl stop -m fast) and removes the directory; `restart(downMs)` stops it
// the same way, keeps the data, and starts it again on the same port.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '@sluice/test-disk/free-port';
import { resumeTree } from './pause-server.js';

export interface PostgresServerOptions {
  /** Require this password of the user `sluice` (scram-sha-256); default: trust. */
  readonly password?: string;
}

export interface PostgresServer {
  /** postgres://sluice[:password]@127.0.0.1:PORT/postgres */
  readonly url: string;
  readonly port: number;
  readonly user: string;
  /** The postmaster's process id (from postmaster.pid): pauseTree/resumeTree (pause-server.ts) freeze and wake the whole server; stop() and restart() wake it first. */
  readonly postmasterPid: number;
  /**
   * Stop the server as an administrator would (pg_ctl stop -m fast: its sessions are ended,
   * 57P01), keep its data, and start it again on the same port after `downMs`; resolves
   * once it accepts connections again. `until`: down also until it settles.
   */
  restart(downMs: number, until?: Promise<unknown>): Promise<void>;
  stop(): Promise<void>;
}

function binDir(): string {
  const base = '/usr/lib/postgresql';
  const versions = fs.existsSync(base) ? fs.readdirSync(base).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) if (fs.existsSync(path.join(base, v, 'bin', 'initdb'))) return path.join(base, v, 'bin');
  throw new Error("no PostgreSQL server binaries under /usr/lib/postgresql: install Debian's postgresql package (apt-get install postgresql; scripts/test.sh does)");
}

export async function startPostgres(options: PostgresServerOptions = {}): Promise<PostgresServer> {
  const bin = binDir();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-pg-'));
  const data = path.join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  const auth = ['--auth=trust'];
  if (options.password !== undefined) {
    const pwfile = path.join(dir, 'pwfile');
    fs.writeFileSync(pwfile, options.password + '\n', { mode: 0o600 });
    auth.splice(0, 1, '--auth-local=trust', '--auth-host=scram-sha-256', `--pwfile=${pwfile}`);
  }
  if (asRoot) spawnSync('chown', ['-R', 'postgres:postgres', dir]);
  const wrap = (cmd: string, args: string[]): [string, string[]] => (asRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args]);
  const [c1, a1] = wrap(path.join(bin, 'initdb'), ['-D', data, '-U', 'sluice', ...auth, '--no-sync', '-E', 'UTF8']);
  const init = spawnSync(c1, a1, { encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`initdb failed (${init.status}): ${init.stderr}`);
  const port = await freePort();
  let child = await startServer(wrap(path.join(bin, 'postgres'), ['-D', data, '-p', String(port), '-h', '127.0.0.1', '-k', dir, '-F']));
  const stopServer = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      // A paused server would not stop; as root, runuser stops itself when its child (the
      // postmaster) is stopped, and would not reap it: wake the whole tree from the spawned process.
      resumeTree(child.pid!);
      const closed = new Promise((r) => child.once('close', r));
      const [c3, a3] = wrap(path.join(bin, 'pg_ctl'), ['stop', '-D', data, '-m', 'fast', '-w']);
      spawnSync(c3, a3, { encoding: 'utf8' });
      await closed;
    }
  };
  const postmasterPid = (): number => Number(fs.readFileSync(path.join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const secret = options.password === undefined ? '' : `:${encodeURIComponent(options.password)}`;
  return {
    url: `postgres://sluice${secret}@127.0.0.1:${port}/postgres`,
    port,
    user: 'sluice',
    get postmasterPid() {
      return postmasterPid();
    },
    async restart(downMs: number, until?: Promise<unknown>) {
      await stopServer();
      await new Promise((r) => setTimeout(r, downMs));
      await until?.catch(() => undefined);
      child = await startServer(wrap(path.join(bin, 'postgres'), ['-D', data, '-p', String(port), '-h', '127.0.0.1', '-k', dir, '-F']));
    },
    async stop() {
      await stopServer();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Spawns the postmaster and resolves once it logs that it accepts connections. */
async function startServer([cmd, args]: [string, string[]]): Promise<ChildProcess> {
  const child: ChildProcess = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const deadline = Date.now() + 30_000;
  while (!/ready to accept connections/.test(log)) {
    if (child.exitCode !== null) throw new Error(`postgres exited (${child.exitCode}):\n${log}`);
    if (Date.now() > deadline) throw new Error(`postgres not ready within 30 s:\n${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return child;
}
