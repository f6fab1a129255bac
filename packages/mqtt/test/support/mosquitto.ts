// A real Debian mosquitto broker for the tests: a generated config (one loopback listener,
// anonymous or a password file made with mosquitto_passwd, persistence in a temp dir,
// no limit on queued or in-flight messages), started as a child process, stopped by PID.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../job-runner.js';
import { resume } from '@sluice/test-servers/pause';

function bin(name: string): string {
  for (const dir of ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin']) {
    const p = path.join(dir, name);
    if (fs.existsSync(p)) return p;
  }
  throw new Error(`${name} not found (apt-get install mosquitto; scripts/test.sh does)`);
}

export class Mosquitto {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-mosquitto-'));
  port = 0;
  private proc: ChildProcess | undefined;
  log = '';

  constructor(private readonly users?: Readonly<Record<string, string>>) {}

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  /** The running broker's process id (a test may SIGSTOP it: stop() sends SIGCONT first). */
  get pid(): number {
    if (this.proc?.pid === undefined) throw new Error('mosquitto is not running');
    return this.proc.pid;
  }

  async start(): Promise<void> {
    if (this.port === 0) this.port = await freePort();
    const conf = path.join(this.dir, 'mosquitto.conf');
    const lines = [
      `listener ${this.port} 127.0.0.1`,
      `persistence true`,
      `persistence_location ${this.dir}/`,
      `max_queued_messages 0`,
      `max_inflight_messages 0`,
      `queue_qos0_messages true`,
      `log_dest stderr`,
      `log_type error`,
      `log_type warning`,
    ];
    // Run as root, mosquitto drops to the user `mosquitto`, who cannot read this temp dir: stay.
    if (process.getuid?.() === 0) lines.push('user root');
    if (this.users) {
      const pw = path.join(this.dir, 'passwd');
      fs.writeFileSync(pw, '');
      for (const [u, p] of Object.entries(this.users)) execFileSync(bin('mosquitto_passwd'), ['-b', pw, u, p]);
      fs.chmodSync(pw, 0o600);
      lines.push('allow_anonymous false', `password_file ${pw}`);
    } else {
      lines.push('allow_anonymous true');
    }
    fs.writeFileSync(conf, lines.join('\n') + '\n');
    const proc = spawn(bin('mosquitto'), ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.proc = proc;
    proc.stderr!.on('data', (d: Buffer) => (this.log += d.toString()));
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`mosquitto exited with ${proc.exitCode}:\n${this.log}`);
      if (await canConnect(this.port)) return;
      if (Date.now() > deadline) throw new Error(`mosquitto did not listen on ${this.port} within 15 s:\n${this.log}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** SIGTERM (mosquitto saves its persistence file), waits for the exit. */
  async stop(): Promise<void> {
    const proc = this.proc;
    this.proc = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    resume(proc.pid!); // a paused broker would not act on SIGTERM
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
