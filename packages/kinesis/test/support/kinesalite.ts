// kinesalite (npm), a real Kinesis API server, for the tests: started as a child process
// on a free loopback port with its LevelDB store in a temp dir (--path), so stopping and
// starting it again keeps every stream and record; stopped by PID. Its sequence-number
// arithmetic runs in BigInt (kinesalite-sequences.ts: the same numbers, checked at start).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { freePort } from '../job-runner.js';
import { resume } from '@sluice/test-servers/pause';

const require = createRequire(import.meta.url);

export class Kinesalite {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-kinesalite-'));
  port = 0;
  private proc: ChildProcess | undefined;
  log = '';

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (this.port === 0) this.port = await freePort();
    const cli = path.join(path.dirname(require.resolve('kinesalite/package.json')), 'cli.js');
    const sequences = fileURLToPath(new URL('./kinesalite-sequences.js', import.meta.url));
    const args = ['--import', sequences, cli, '--port', String(this.port), '--path', path.join(this.dir, 'db'), '--createStreamMs', '50', '--deleteStreamMs', '50', '--updateStreamMs', '50', '--shardLimit', '100'];
    const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    proc.stdout!.on('data', (d: Buffer) => (this.log += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (this.log += d.toString()));
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`kinesalite exited with ${proc.exitCode}:\n${this.log}`);
      if (await canConnect(this.port)) return;
      if (Date.now() > deadline) throw new Error(`kinesalite did not listen on ${this.port} within 15 s:\n${this.log}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** SIGTERM, then SIGKILL after 10 s; waits for the exit (LevelDB has written every acknowledged put to its log). */
  /** The running server's process id (a test may SIGSTOP it: stop() sends SIGCONT first). */
  get pid(): number {
    if (this.proc?.pid === undefined) throw new Error('kinesalite is not running');
    return this.proc.pid;
  }

  async stop(): Promise<void> {
    const proc = this.proc;
    this.proc = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    resume(proc.pid!); // a paused server would not act on SIGTERM
    process.kill(proc.pid!, 'SIGTERM');
    const timer = setTimeout(() => proc.pid && proc.exitCode === null && process.kill(proc.pid, 'SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }

  async dispose(): Promise<void> {
    await this.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
