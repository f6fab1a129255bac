// `sluice driver` / `sluice worker` / `sluice submit` as separate processes, for tests that
// kill a driver and start it again (the CLI tests' sluice-processes.ts, in small).
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@sluice/test-servers';

export { freePort };

const CLI_BIN = path.join(fileURLToPath(new URL('../../../', import.meta.url)), 'cli', 'bin', 'sluice.js');

export interface SluiceProcess {
  readonly child: ChildProcess;
  readonly logLines: string[];
  stop(): Promise<void>;
  kill9(): Promise<void>;
}

export const randomSecret = (): string => crypto.randomBytes(16).toString('hex');

export async function pollUntil<T>(f: () => T | undefined, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Spawns `sluice <args>`; resolves once a stderr line matches `ready`. */
export async function spawnSluice(args: readonly string[], secret: string, ready: RegExp): Promise<SluiceProcess> {
  const child = spawn(process.execPath, [CLI_BIN, ...args], { env: { ...process.env, SLUICE_SECRET: secret, SLUICE_SECRET_FILE: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const logLines: string[] = [];
  let partial = '';
  let isReady = false;
  child.stderr!.on('data', (d: Buffer) => {
    const parts = (partial + d.toString()).split('\n');
    partial = parts.pop()!;
    for (const l of parts) {
      logLines.push(l);
      if (ready.test(l)) isReady = true;
    }
  });
  child.stdout!.on('data', (d: Buffer) => logLines.push(...d.toString().split('\n').filter(Boolean)));
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const alive = () => child.exitCode === null && child.signalCode === null;
  const stop = async (): Promise<void> => {
    if (alive()) {
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      child.kill('SIGTERM');
      await closed;
      clearTimeout(t);
    }
    await closed;
  };
  const kill9 = async (): Promise<void> => {
    if (alive()) child.kill('SIGKILL');
    await closed;
  };
  try {
    await pollUntil(() => (isReady ? true : alive() ? undefined : (() => { throw new Error(`sluice ${args[0]} exited before it was ready:\n${logLines.join('\n')}`); })()), 60_000, `sluice ${args[0]} to start`);
  } catch (err) {
    // 60 s: `sluice run` recovering from a checkpoint passed 30 s at load 35 (CI beside four
    // engineers' work); a process that never gets ready fails here with its log.
    await stop();
    throw new Error(`${(err as Error).message}; its log (the last 40 lines):\n${logLines.slice(-40).join('\n')}`, { cause: err });
  }
  return { child, logLines, stop, kill9 };
}

export function startDriver(port: number, secret: string): Promise<SluiceProcess> {
  return spawnSluice(['driver', '--port', String(port), '--web-port', '0', '--log-level', 'info'], secret, /driver listening/);
}

export function startWorker(driver: string, secret: string): Promise<SluiceProcess> {
  return spawnSluice(['worker', '--driver', driver, '--cores', '1', '--log-level', 'info'], secret, /worker registered/);
}

/** `sluice submit --detach`: returns once the job was accepted. */
export async function submitDetached(driver: string, secret: string, file: string, args: readonly string[]): Promise<void> {
  const p = spawn(process.execPath, [CLI_BIN, 'submit', file, '--driver', driver, '--detach', '--', ...args], { env: { ...process.env, SLUICE_SECRET: secret, SLUICE_SECRET_FILE: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  p.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  p.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => p.once('close', resolve));
  if (code !== 0) throw new Error(`sluice submit failed (${code}):\n${out}`);
}
