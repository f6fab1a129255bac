// Spark's spark.executorEnv.NAME=value on `sluice submit` (and `sluice run`): the job's tasks
// (and the commands they start) see NAME, over the worker's own value of it; another job on the
// same workers at the same time does not, nor does a later job that gets the first one's task
// threads back, nor the job's program (the driver's side, as Spark's). Real processes: a
// `sluice driver`, 2 `sluice worker` processes started with SLUICE_T_SHARED=worker, `sluice submit`.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { type Proc, startSluice, until, stopSluice } from './cli-process.js';
import { fixture, freePort, runCli } from './harness.js';

const env = { ...process.env, SLUICE_SECRET_FILE: '', SLUICE_SECRET: crypto.randomBytes(16).toString('hex') };
const FIXTURE = fixture('executor-env.ts');
const show = (p: Proc | { stderr: string }): string => p.stderr.slice(-3000);

interface Round {
  readonly tasks: [string | null, string | null][];
  readonly piped: string[];
}
const rounds = (lines: readonly string[]): Round[] => lines.filter((l) => l.startsWith('ROUND ')).map((l) => JSON.parse(l.replace(/^ROUND \d+ /, '')) as Round);
const program = (lines: readonly string[]): unknown => JSON.parse(lines.find((l) => l.startsWith('PROGRAM '))?.slice('PROGRAM '.length) ?? 'null');
const jobIdOf = (p: Proc): string | undefined => /submitted \S+ as (job-\S+)/.exec(p.stderr)?.[1];

test('a job submitted with --conf spark.executorEnv.X=v: its tasks see X on every worker, a job beside it and a later one on the same threads do not, the workers keep their own', { timeout: 240_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-executor-env-'));
  const addr = `127.0.0.1:${await freePort()}`;
  const procs: Proc[] = [];
  try {
    const webPort = await freePort();
    const driver = startSluice(['driver', '--port', addr.split(':')[1], '--web-port', String(webPort), '--log-level', 'warn'], env);
    procs.push(driver);
    // Debug: a worker logs whether each task thread a job gave back is kept for a later job.
    const workers = [0, 1].map(() => startSluice(['worker', '--driver', addr, '--cores', '2', '--log-level', 'debug'], { ...env, SLUICE_T_SHARED: 'worker' }));
    procs.push(...workers);
    await until('2 workers registered', 120_000, async () => {
      const r = await runCli(['workers', '--driver', addr], { env, timeoutMs: 30_000 });
      return (r.stdout.match(/worker-/g) ?? []).length === 2;
    });

    // A (with its environment) and B (without) run at the same time, on the same workers, from the same bundle.
    const stopA = path.join(dir, 'stop-a');
    const stopB = path.join(dir, 'stop-b');
    const a = startSluice(['submit', '--driver', addr, '--no-progress', '--conf', 'spark.executorEnv.SLUICE_T_JOB=alpha', '--conf', 'spark.executorEnv.SLUICE_T_SHARED=job', '--conf', 'spark.executorEnv.SLUICE_T_TOKEN=hunter2', FIXTURE, '0', stopA], env);
    procs.push(a);
    const b = startSluice(['submit', '--driver', addr, '--no-progress', FIXTURE, '0', stopB], env);
    procs.push(b);
    const ended = (p: Proc): boolean => p.child.exitCode !== null;
    await until('both jobs running rounds', 120_000, () => (rounds(a.stdout).length > 0 && rounds(b.stdout).length > 0) || ended(a) || ended(b));
    // Two more rounds of each from here: each of them ran while the other job ran too.
    const [na, nb] = [rounds(a.stdout).length, rounds(b.stdout).length];
    await until('two more rounds of each job', 120_000, () => (rounds(a.stdout).length >= na + 2 && rounds(b.stdout).length >= nb + 2) || ended(a) || ended(b));
    const jobA = jobIdOf(a);
    assert.ok(jobA !== undefined, show(a));
    // The REST API's environment lists A's, as Spark's Environment tab, a token's value redacted as Spark's; B's none.
    const props = async (job: string): Promise<[string, string][]> => {
      const res = await fetch(`http://127.0.0.1:${webPort}/api/v1/applications/${job}/environment`);
      assert.equal(res.status, 200);
      return ((await res.json()) as { sparkProperties: [string, string][] }).sparkProperties.filter(([k]) => k.startsWith('spark.executorEnv.'));
    };
    assert.deepEqual(await props(jobA), [['spark.executorEnv.SLUICE_T_JOB', 'alpha'], ['spark.executorEnv.SLUICE_T_SHARED', 'job'], ['spark.executorEnv.SLUICE_T_TOKEN', '*********(redacted)']]);
    const jobB = jobIdOf(b);
    assert.ok(jobB !== undefined, show(b));
    assert.deepEqual(await props(jobB), []);
    fs.writeFileSync(stopA, '');
    assert.equal(await a.exited, 0, show(a));
    // A's task threads, given back once A ended: each one kept for a later job of its bundle (A's
    // environment was put back), none dropped for what A's environment changed.
    const threadLines = (): string[] => workers.flatMap((w) => w.stderr.split('\n')).filter((l) => l.includes(`"jobId":"${jobA}"`) && /task thread (not )?kept/.test(l));
    await until("A's task threads given back", 60_000, () => threadLines().length > 0);
    fs.writeFileSync(stopB, '');
    assert.equal(await b.exited, 0, show(b));

    assert.ok(rounds(a.stdout).length >= 2, a.stdout.join('\n'));
    for (const r of rounds(a.stdout)) assert.deepEqual(r, { tasks: [['alpha', 'job']], piped: ['alpha'] }, a.stdout.join('\n'));
    for (const r of rounds(b.stdout)) assert.deepEqual(r, { tasks: [[null, 'worker']], piped: ['unset'] }, b.stdout.join('\n'));
    // The job's program runs on the driver, whose environment it has (Spark's executorEnv is the executors').
    assert.deepEqual(program(a.stdout), [null, null]);
    assert.doesNotMatch(threadLines().join('\n'), /not kept/, threadLines().join('\n'));
    assert.match(threadLines().join('\n'), /task thread kept for a later job of its bundle/);

    // C, of the same bundle, after both: on threads A and B gave back, it sees the workers' environment.
    const c = await runCli(['submit', '--driver', addr, '--no-progress', FIXTURE, '2'], { env, timeoutMs: 120_000 });
    assert.equal(c.code, 0, show(c));
    const cLines = c.stdout.split('\n');
    assert.equal(rounds(cLines).length, 2, c.stdout);
    for (const r of rounds(cLines)) assert.deepEqual(r, { tasks: [[null, 'worker']], piped: ['unset'] }, c.stdout);
    for (const w of workers) assert.equal(w.child.exitCode, null, show(w));
  } finally {
    for (const p of procs.reverse()) await stopSluice(p);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('what a task thread cannot honour as one job\'s environment is refused before anything runs, naming why and where to set it', { timeout: 120_000 }, async () => {
  const r = await runCli(['submit', '--driver', '127.0.0.1:1', '--conf', 'spark.executorEnv.TZ=Asia/Tokyo', '--conf', 'spark.executorEnv.NODE_OPTIONS=--max-old-space-size=512', '--conf', 'spark.executorEnv.1BAD=x', FIXTURE], { env, timeoutMs: 60_000 });
  assert.equal(r.code, 1, show(r));
  assert.match(r.stderr, /SLUICE_BAD_ARGUMENT\].*--conf sets 3 properties that sluice submit does not take, or not with that value; nothing ran/, show(r));
  assert.match(r.stderr, /--conf spark\.executorEnv\.TZ: TZ cannot be one job's: the time zone is the whole worker process's .*'TZ=\.\.\. sluice worker'/, show(r));
  assert.match(r.stderr, /--conf spark\.executorEnv\.NODE_OPTIONS: NODE_OPTIONS cannot be one job's: Node reads it once, when the worker process starts/, show(r));
  assert.match(r.stderr, /--conf spark\.executorEnv\.1BAD: '1BAD' is not an environment variable name/, show(r));
  // A standing driver's --conf is every job's: it takes no one job's environment, and says where it goes.
  const d = await runCli(['driver', '--conf', 'spark.executorEnv.REGION=eu-west-1'], { env, timeoutMs: 60_000 });
  assert.equal(d.code, 1, show(d));
  assert.match(d.stderr, /--conf spark\.executorEnv\.REGION=eu-west-1: a setting of sluice run and sluice submit .*'--conf spark\.executorEnv\.REGION=eu-west-1' on 'sluice run' or 'sluice submit' .*'REGION=eu-west-1 sluice worker \.\.\.'/, show(d));
});

test('sluice run --conf spark.executorEnv.X=v (and its properties file\'s line): the job\'s tasks and receivers see X over the environment sluice run gave its workers', { timeout: 120_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-executor-env-run-'));
  try {
    const props = path.join(dir, 'spark-defaults.conf');
    fs.writeFileSync(props, 'spark.executorEnv.SLUICE_T_SHARED from-file\n');
    const r = await runCli(['run', '--workers', '2', '--no-progress', '--properties-file', props, '--conf', 'spark.executorEnv.SLUICE_T_JOB=ralpha', FIXTURE, '1'], { env: { ...env, SLUICE_T_SHARED: 'run' }, timeoutMs: 100_000 });
    assert.equal(r.code, 0, show(r));
    const lines = r.stdout.split('\n');
    assert.deepEqual(rounds(lines), [{ tasks: [['ralpha', 'from-file']], piped: ['ralpha'] }], r.stdout);
    // sluice run's program has sluice run's environment, not the executors'.
    assert.deepEqual(program(lines), [null, 'run']);
    // A receiver runs in a task thread of the job too: what it stores was made with the job's environment.
    const rec = await runCli(['run', '--workers', '1', '--no-progress', '--conf', 'spark.executorEnv.SLUICE_T_JOB=received', fixture('executor-env-receiver.ts')], { env, timeoutMs: 100_000 });
    assert.equal(rec.code, 0, show(rec));
    assert.ok(rec.stdout.split('\n').includes('RECEIVED ["received"]'), `${rec.stdout}\n${show(rec)}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
