// A `sluice run` held open on a gate file while a test reads its REST API and pages (io-metrics,
// task-metrics, killed-attempt-metrics, ui-dag-browser, ui-tabs-browser): its fixture, once its
// jobs are done, writes DIR/holding and goes on until DIR/release exists, so the driver, its
// workers and the web UI stay up for the test; then it ends, and must end with exit code 0.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startSluice, type Proc } from './cli-process.js';
import { freePort, pollUntil } from './harness.js';
import { randomSecret } from './sluice-processes.js';

export interface HeldRun extends Proc {
  /** The gate folder (a fresh temporary one, removed at the end), given to the fixture. */
  readonly dir: string;
  /** The run's --web-port, and its address. */
  readonly port: number;
  readonly root: string;
  /** The cluster secret the run was given (SLUICE_SECRET). */
  readonly secret: string;
  /** The words of the first stdout line that starts with `label` and a space; fails if there is none. */
  line(label: string): string[];
}

export interface HeldRunOptions {
  /** How long the run may take to hold (ms). */
  readonly holdMs: number;
  /** Held only once this holds too (e.g. a line printed after the file is written). */
  readonly ready?: (run: HeldRun) => boolean;
}

/**
 * `sluice run --web-port PORT <args(dir)>` with a random secret, in a temporary folder named
 * after `name` (`args` is called with it before the run starts: a test may write its input
 * there); once DIR/holding exists (and `ready`), `body` runs; then DIR/release is written and
 * the run must exit 0. The run is killed and the folder removed whatever happens.
 */
export async function withHeldRun(name: string, args: (dir: string) => string[], opts: HeldRunOptions, body: (run: HeldRun) => Promise<void>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `sluice-${name}-`));
  let proc: Proc | undefined;
  try {
    const port = await freePort();
    const secret = randomSecret();
    proc = startSluice(['run', '--web-port', String(port), ...args(dir)], { ...process.env, SLUICE_SECRET: secret, SLUICE_SECRET_FILE: '' });
    const p = proc;
    const run: HeldRun = Object.assign(p, {
      dir,
      port,
      root: `http://127.0.0.1:${port}`,
      secret,
      line: (label: string): string[] => {
        const l = p.stdout.find((x) => x.startsWith(`${label} `));
        assert.ok(l, `no ${label} line in:\n${p.stdout.join('\n')}`);
        return l.split(' ');
      },
    });
    const held = (): boolean => fs.existsSync(path.join(dir, 'holding')) && (opts.ready?.(run) ?? true);
    await pollUntil(() => (held() ? true : p.child.exitCode !== null ? assert.fail(`sluice run exited:\n${p.stderr}`) : undefined), opts.holdMs, 'the job to hold');
    await body(run);
    fs.writeFileSync(path.join(dir, 'release'), '');
    assert.equal(await p.exited, 0, p.stderr);
  } finally {
    if (proc && proc.child.exitCode === null) proc.child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
