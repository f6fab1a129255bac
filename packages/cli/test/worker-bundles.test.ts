// A standing cluster running job after job: a worker keeps the bundles of its last 4 released
// jobs' codes in its --local-dir and removes older ones, never one a job of the same bundle may
// still load; the driver keeps as many finished jobs as `--conf spark.deploy.retainedApplications`
// (Spark's name for `--retained-jobs`) says, and a --retained-jobs flag wins over it.
// Real processes: a `sluice driver`, a `sluice worker --local-dir`, `sluice submit`.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { type Proc, startSluice, until, stopSluice } from './cli-process.js';
import { fixture, freePort, runCli } from './harness.js';

/** Unused bundles a worker keeps (the worker's KEPT_UNUSED_BUNDLES). */
const KEPT = 4;

const env = { ...process.env, SLUICE_SECRET_FILE: '', SLUICE_SECRET: crypto.randomBytes(16).toString('hex') };

/** Every file under `dir` (a symbolic link counts as one), by path relative to it. */
function filesUnder(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[]).filter((d) => !d.isDirectory()).map((d) => path.relative(dir, path.join(d.parentPath, d.name)));
}

/** The bundles a worker's scratch dir under `localDir` holds: bundles/<sha256>/ directories. */
function bundlesUnder(localDir: string): string[] {
  const scratch = fs.readdirSync(localDir).filter((f) => f.startsWith('sluice-worker-'));
  assert.equal(scratch.length, 1, String(scratch));
  const dir = path.join(localDir, scratch[0], 'bundles');
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => /^[0-9a-f]{64}$/.test(f)) : [];
}

const released = (worker: Proc): number => (worker.stderr.match(/"msg":"job released"/g) ?? []).length;

test('a standing worker keeps the bundles of its last 4 released codes, removing older ones but never one a running job uses; the driver keeps spark.deploy.retainedApplications finished jobs', { timeout: 240_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-worker-bundles-'));
  const localDir = path.join(dir, 'local');
  fs.mkdirSync(localDir);
  const addr = `127.0.0.1:${await freePort()}`;
  const procs: Proc[] = [];
  try {
    const driver = startSluice(['driver', '--port', addr.split(':')[1], '--web-port', '0', '--log-level', 'warn', '--conf', 'spark.deploy.retainedApplications=2'], env);
    procs.push(driver);
    const worker = startSluice(['worker', '--driver', addr, '--cores', '2', '--local-dir', localDir, '--log-level', 'info'], env);
    procs.push(worker);
    await until('the worker registered', 120_000, () => worker.stderr.includes('worker registered') || worker.child.exitCode !== null || driver.child.exitCode !== null);
    assert.ok(worker.stderr.includes('worker registered'), `${driver.stderr}\n${worker.stderr}`);

    // Two jobs of one bundle: the long one still loads it (a second task thread) after the
    // quick one was released and 6 jobs of other bundles made the worker remove older ones.
    const go = path.join(dir, 'go');
    const long = startSluice(['submit', '--driver', addr, '--no-progress', fixture('bundle-shared.ts'), go], env);
    procs.push(long);
    await until('the long job started', 120_000, () => long.stdout.includes('STARTED') || long.child.exitCode !== null);
    assert.deepEqual(long.stdout, ['STARTED'], long.stderr);
    const quick = await runCli(['submit', '--driver', addr, '--no-progress', fixture('bundle-shared.ts'), 'quick'], { env, timeoutMs: 120_000 });
    assert.equal(quick.code, 0, quick.stderr);
    assert.equal(quick.stdout.trim(), 'SUM 10');
    await until('the quick job released on the worker', 60_000, () => released(worker) === 1);
    assert.equal(bundlesUnder(localDir).length, 1, "the long job's bundle (the same) stays");

    // Jobs of 6 other bundles one after another: the last KEPT stay besides the long job's, in
    // use; the local dir holds as many files after the 6th as after the 4th.
    const ids: string[] = [];
    const files: number[] = [];
    for (let k = 1; k <= 6; k++) {
      const job = path.join(dir, `job-${k}.ts`);
      fs.writeFileSync(job, `export default async function (sc: any): Promise<void> {\n  console.log((await sc.parallelize([1, 2, 3], 2).map((x: number) => x * ${k}).collect()).join(','));\n}\n`);
      const r = await runCli(['submit', '--driver', addr, '--no-progress', job], { env, timeoutMs: 120_000 });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), [1, 2, 3].map((x) => x * k).join(','));
      ids.push(/submitted \S+ as (job-\S+)/.exec(r.stderr)?.[1] ?? '');
      await until(`job ${k} released`, 60_000, () => released(worker) === 1 + k);
      assert.equal(bundlesUnder(localDir).length, Math.min(k, KEPT) + 1, `after job ${k}`);
      files.push(filesUnder(localDir).length);
    }
    assert.deepEqual(files.slice(KEPT - 1), Array(6 - KEPT + 1).fill(files[KEPT - 1]), `files after each job: ${files.join(' ')}`);
    fs.writeFileSync(go, '');
    assert.equal(await long.exited, 0, long.stderr);
    assert.deepEqual(long.stdout, ['STARTED', 'SUM 10'], long.stderr);
    await until('the long job released', 60_000, () => released(worker) === 8);
    assert.equal(bundlesUnder(localDir).length, KEPT, 'no job runs: the last 4 codes kept');

    // spark.deploy.retainedApplications=2: the last two finished jobs (job 6, then the long one) are kept, no other.
    const longId = /submitted \S+ as (job-\S+)/.exec(long.stderr)?.[1];
    const listed = await runCli(['jobs', '--driver', addr], { env, timeoutMs: 30_000 });
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(
      listed.stdout.split('\n').slice(1).filter(Boolean).map((l) => l.split(/\s+/)[0]).sort(),
      [ids[5], longId].sort(),
      listed.stdout,
    );

    // --retained-jobs on the command line wins over the property (which, taken, would be refused: 0).
    const flagged = startSluice(['driver', '--port', String(await freePort()), '--web-port', '0', '--log-level', 'info', '--retained-jobs', '3', '--conf', 'spark.deploy.retainedApplications=0', '--conf', 'spark.logConf=true'], env);
    procs.push(flagged);
    await until('the second driver listening', 60_000, () => flagged.stderr.includes('driver listening') || flagged.child.exitCode !== null);
    assert.ok(flagged.stderr.includes('driver listening'), flagged.stderr);
    assert.match(flagged.stderr, /spark\.deploy\.retainedApplications 0 \(--conf\): --retained-jobs 0 \(the command line's --retained-jobs wins\)/);
  } finally {
    for (const p of procs.reverse()) await stopSluice(p);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
