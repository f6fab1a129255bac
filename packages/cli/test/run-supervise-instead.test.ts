// `sluice run --supervise` (spark-submit's habit) is refused saying what to do instead: a
// standing driver and `sluice submit --supervise`, or restarting `sluice run` from the shell.
// Until 2026-12-07 it said only "(an option of sluice submit)" above the command's whole help.
// The shell loop it prints is run here as printed (with `sluice` on PATH): a job that fails on
// its first run and succeeds on its second is run twice, and the loop ends.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { CLI_BIN, runCli } from './harness.js';

test('sluice run --supervise, --max-restarts and --supervise-backoff-ms say what to do instead, naming the job file, without the whole help', async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-run-supervise-'));
  try {
    const job = path.join(tmp, 'my job.ts');
    fs.writeFileSync(job, 'export default async function main(): Promise<void> {}\n');
    for (const option of [['--supervise'], ['--max-restarts', '3'], ['--supervise-backoff-ms', '1000,8000,60000']]) {
      const r = await runCli(['run', '--workers', '1', ...option, job], { cwd: tmp });
      const what = `${option.join(' ')}: exit ${r.code}\n${r.stderr}`;
      assert.equal(r.code, 1, what);
      assert.match(r.stderr, new RegExp(`^error: sluice run does not take ${option[0]} \\(an option of sluice (submit|driver)\\): sluice run's driver runs this job alone and ends with it`), what);
      const quoted = `'${job.replace(/'/g, `'\\''`)}'`;
      assert.ok(r.stderr.includes(`'sluice submit --driver 127.0.0.1:7077 --supervise ${quoted}'`), what);
      assert.ok(r.stderr.includes(`'sluice driver --port 7077 --state-dir DIR'`), what);
      assert.ok(r.stderr.includes(`'until sluice run ${quoted}; do sleep 2; done'`), what);
      assert.doesNotMatch(r.stderr, /Usage:|--speculation/, `${what}: the help is left out`);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test("the refusal's shell loop, run as printed, restarts a job that failed until it succeeds", { timeout: 300_000 }, async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-run-supervise-'));
  try {
    // `sluice` on PATH, as for a user who installed it.
    const bin = path.join(tmp, 'bin');
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, 'sluice'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(CLI_BIN)} "$@"\n`, { mode: 0o755 });
    const runs = path.join(tmp, 'runs.txt');
    // The job appends a line per run, fails its first run and sums on the cluster on its second.
    fs.writeFileSync(
      path.join(tmp, 'flaky.ts'),
      `import fs from 'node:fs';
import type { SluiceContext } from '@sluice/core';
export default async function flaky(sc: SluiceContext): Promise<void> {
  fs.appendFileSync(${JSON.stringify(runs)}, 'run\\n');
  if (fs.readFileSync(${JSON.stringify(runs)}, 'utf8').split('\\n').length === 2) throw new Error('first run fails');
  console.log('sum', await sc.parallelize([1, 2, 3, 4], 2).sum());
}
`,
    );
    const r = await runCli(['run', '--supervise', 'flaky.ts'], { cwd: tmp });
    const loop = /'(until sluice run [^']*; do sleep 2; done)'/.exec(r.stderr)?.[1];
    assert.equal(loop, 'until sluice run flaky.ts; do sleep 2; done', r.stderr);
    const ran = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn('bash', ['-c', loop], { cwd: tmp, env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}`, SLUICE_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const t = setTimeout(() => child.kill('SIGKILL'), 240_000);
      child.on('exit', (code) => {
        clearTimeout(t);
        resolve({ code, out });
      });
    });
    assert.equal(ran.code, 0, ran.out);
    assert.equal(fs.readFileSync(runs, 'utf8'), 'run\nrun\n', ran.out);
    assert.match(ran.out, /first run fails/);
    assert.match(ran.out, /^sum 10$/m);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
