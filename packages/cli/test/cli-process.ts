// A `sluice` CLI process whose stdout lines and stderr a test reads as they come
// (driver-pause.test, driver-pause-checkpoint.test), and a wait on a condition.
import { spawn, type ChildProcess } from 'node:child_process';
import { CLI_BIN, sleep } from './harness.js';

export interface Proc {
  readonly child: ChildProcess;
  readonly stdout: string[];
  stderr: string;
  readonly exited: Promise<number | null>;
}

/**
 * Spawn `sluice <args>` with `env`; `detached`: in a process group of its own (its pid's), which a
 * test may kill whole; `stdinOpen`: its stdin a pipe left open (a `sluice shell` whose stdin is
 * /dev/null reads its end at once and ends its job, succeeded), else /dev/null.
 */
export function startSluice(args: string[], env: NodeJS.ProcessEnv, opts: { detached?: boolean; stdinOpen?: boolean } = {}): Proc {
  const child = spawn(process.execPath, [CLI_BIN, ...args], { env, stdio: [opts.stdinOpen === true ? 'pipe' : 'ignore', 'pipe', 'pipe'], detached: opts.detached === true });
  const p: Proc = { child, stdout: [], stderr: '', exited: new Promise((r) => child.once('exit', (code) => r(code))) };
  let rest = '';
  child.stdout!.on('data', (d: Buffer) => {
    const parts = (rest + d.toString()).split('\n');
    rest = parts.pop()!;
    p.stdout.push(...parts);
  });
  child.stderr!.on('data', (d: Buffer) => (p.stderr += d.toString()));
  return p;
}

/** Stop `p` as Ctrl-C does (SIGINT), SIGKILL if it has not exited 20 s later; nothing if it has exited already. */
export async function stopSluice(p: Proc): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill('SIGINT');
  const t = setTimeout(() => p.child.kill('SIGKILL'), 20_000);
  await p.exited;
  clearTimeout(t);
}

/** Resolves once `cond` holds (looked at every `everyMs`); throws after `ms`. */
export async function until(what: string, ms: number, cond: () => boolean | Promise<boolean>, everyMs = 100): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}
