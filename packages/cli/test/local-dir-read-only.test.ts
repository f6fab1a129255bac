// A worker's --local-dir made read-only (`chmod 555` on its blocks directory) while its shuffles
// spill there, the worker not root (`sluice worker` as nobody through setpriv, --memory 1 so that
// map outputs spill): each spill refused names the directory, the user and what to do (found:
// 'Free disk space or set --local-dir to a larger disk', for a disk with room), and the job
// finishes on the other worker, every round exact. Needs root and setpriv; skipped otherwise.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { NOBODY, cannotRunAsNobody, nobodysDirs } from './as-nobody.js';
import { CLI_BIN, fixture, pollUntil, within } from './harness.js';
import { randomSecret, startDriverProcess, startWorkerProcess } from './sluice-processes.js';

const cannot = cannotRunAsNobody('a worker');
const ROUNDS = 4;
const N = 1_000_000;
const KEYS = 200_000;

test("a non-root worker's --local-dir made read-only while its shuffles spill: the refusal names it, the user and the fix; the job finishes on the other worker, every round exact", { timeout: 240_000, skip: cannot }, async () => {
  const secret = randomSecret();
  const {
    root,
    dirs: [local],
  } = nobodysDirs('sluice-local-ro-', ['local']);
  const driver = await startDriverProcess(secret);
  let other: Awaited<ReturnType<typeof startWorkerProcess>> | undefined;
  let sick: ChildProcess | undefined;
  let job: ChildProcess | undefined;
  let blocks: string | undefined;
  try {
    other = await startWorkerProcess(driver.address, secret);
    let log = '';
    sick = spawn('setpriv', [...NOBODY, process.execPath, CLI_BIN, 'worker', '--driver', driver.address, '--cores', '1', '--memory', '1', '--local-dir', local, '--log-level', 'info'], {
      env: { ...process.env, HOME: root, SLUICE_SECRET: secret, SLUICE_SECRET_FILE: '' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    sick.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    await pollUntil(() => (log.includes('worker registered') ? true : undefined), 60_000, 'the nobody worker to register');
    let out = '';
    let err = '';
    job = spawn(process.execPath, [CLI_BIN, 'submit', '--driver', driver.address, fixture('shuffle-rounds.ts'), String(ROUNDS), String(N), String(KEYS)], {
      env: { ...process.env, SLUICE_SECRET: secret, SLUICE_SECRET_FILE: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    job.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    job.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const exit = new Promise<number | null>((r) => job!.once('exit', (code) => r(code)));
    const scratch = await pollUntil(() => fs.readdirSync(local).find((n) => n.startsWith('sluice-worker-')), 30_000, 'its scratch directory');
    blocks = path.join(local, scratch, 'blocks');
    await pollUntil(() => (fs.existsSync(blocks!) && fs.readdirSync(blocks!).some((f) => f.endsWith('.seg')) ? true : job!.exitCode !== null ? assert.fail(`the job ended before a spill:\n${out}\n${err}`) : undefined), 90_000, 'a block spilled');
    fs.chmodSync(blocks, 0o555);
    assert.notEqual(spawnSync('setpriv', [...NOBODY, 'touch', path.join(blocks, 'probe')]).status, 0, 'nobody cannot write the blocks directory');
    const code = await within(exit, 180_000, 'the job to end');
    assert.equal(code, 0, `${out}\n${err}`);
    let weighted = 0;
    for (let i = 0; i < N; i++) weighted += i % KEYS;
    assert.deepEqual(out.split('\n').filter((l) => l.startsWith('ROUND ')), Array.from({ length: ROUNDS }, (_, r) => `ROUND ${r} ${N} ${KEYS} ${weighted}`));
    assert.ok(log.includes(`cannot spill block `), log.slice(-3000));
    assert.ok(
      log.includes(`'${blocks}' is not writable by user nobody (uid 65534), as which this process runs: make it writable by that user (chown nobody '${blocks}', or chmod u+w), or start the worker with --local-dir elsewhere`),
      log.split('\n').filter((l) => l.includes('cannot spill')).slice(0, 2).join('\n') || log.slice(-3000),
    );
  } finally {
    if (job && job.exitCode === null) job.kill('SIGKILL');
    if (blocks && fs.existsSync(blocks)) fs.chmodSync(blocks, 0o755);
    if (sick && sick.exitCode === null && sick.signalCode === null) {
      const closed = new Promise((r) => sick!.once('close', r));
      sick.kill('SIGTERM');
      await within(closed, 30_000, 'the nobody worker to stop').catch(() => sick!.kill('SIGKILL'));
    }
    await other?.stop();
    await driver.stop();
    fs.rmSync(root, { recursive: true, force: true });
  }
});
