// Spark's delay scheduling, exactly, with real processes (`sluice run`, 2 one-core workers;
// fixtures/locality-levels.ts): TaskSchedulerImpl.resourceOffers offers every free core at
// PROCESS_LOCAL before any at a lower level; by default (spark.locality.wait.legacyResetOnTaskLaunch
// false) a pass that launched a task and refused no core for locality restarts the wait; and a
// task is launched only on a free core, never queued behind a long task on its busy worker.
// TaskInfo.taskLocality and executorId (the program's SparkListener) say where each task ran.
// Expected values come from the run's own setup: where each partition was cached and which
// worker the blocker took. No timing is asserted.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { CLI_BIN, fixture, freePort, jsonLine, jsonLines, pollUntil, runCli, type CliResult } from './harness.js';

const JOB = fixture('locality-levels.ts');

function show(r: CliResult): string {
  return `exit ${r.code}, timedOut ${r.timedOut}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

interface Start {
  readonly job: number;
  readonly index: number;
  readonly executorId: string;
  readonly taskLocality: string;
}

async function run(mode: string, conf: readonly string[], timeoutMs = 180_000): Promise<{ r: CliResult; lines: string[] }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-locality-levels-'));
  try {
    const r = await runCli(['run', '--workers', '2', '--cores', '1', ...conf.flatMap((c) => ['--conf', c]), JOB, dir, mode], { timeoutMs });
    assert.equal(r.timedOut, false, show(r));
    assert.equal(r.code, 0, show(r));
    return { r, lines: r.stdout.split('\n') };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('--conf spark.locality.wait=0: a task whose cached partition is on a free worker runs there, PROCESS_LOCAL, whichever free worker is offered first (every free core is offered at PROCESS_LOCAL before any at ANY)', { timeout: 240_000 }, async () => {
  const { r, lines } = await run('levels', ['spark.locality.wait=0']);
  const on = jsonLine<Record<string, string>>(lines, 'CACHED ')['0'];
  assert.ok(on, show(r));
  // Six jobs of one task each, both workers free at each submission: with the other worker
  // offered first half the time, a level-blind offer would have run about three of them ANY.
  assert.deepEqual(
    jsonLines<Start>(lines, 'TASK '),
    [2, 3, 4, 5, 6, 7].map((job) => ({ job, index: 0, executorId: on, taskLocality: 'PROCESS_LOCAL' })),
    show(r),
  );
});

/** The placement of `reset` and `tiny`: partition 0 cached on X (the blocker's), 1-3 on Y. */
function placement(r: CliResult, lines: string[]): { x: string; y: string; tasks: Start[] } {
  const cachedOn = jsonLine<Record<string, string>>(lines, 'CACHED ');
  const x = jsonLine<{ executorId: string }>(lines, 'BLOCKER ').executorId;
  assert.equal(cachedOn['0'], x, `the blocker (partition 0's task) ran where partition 0 is cached\n${show(r)}`);
  const y = cachedOn['1'];
  assert.ok(y !== x && cachedOn['2'] === y && cachedOn['3'] === y, show(r));
  assert.deepEqual(jsonLine<number[]>(lines, 'RESULT '), [20, 22, 24, 26], show(r));
  return { x, y, tasks: [...jsonLines<Start>(lines, 'TASK ')].sort((a, b) => a.index - b.index) };
}

test('--conf spark.locality.wait=6s: each local launch on the free worker restarts the wait (no core was refused), so partition 0 still waits for its busy worker after 3 x 2.5 s and runs there, PROCESS_LOCAL, once it frees', { timeout: 240_000 }, async () => {
  // Y runs its three 2.5 s tasks; X is released as the third ends, 7.5 s after the job's
  // submission (past a wait counted from it) and 2.5 s after the last local launch (within the
  // wait restarted then).
  const { r, lines } = await run('reset', ['spark.locality.wait=6s']);
  const { x, y, tasks } = placement(r, lines);
  assert.deepEqual(
    tasks,
    [
      { job: 3, index: 0, executorId: x, taskLocality: 'PROCESS_LOCAL' },
      { job: 3, index: 1, executorId: y, taskLocality: 'PROCESS_LOCAL' },
      { job: 3, index: 2, executorId: y, taskLocality: 'PROCESS_LOCAL' },
      { job: 3, index: 3, executorId: y, taskLocality: 'PROCESS_LOCAL' },
    ],
    show(r),
  );
});

test('--conf spark.locality.wait=300ms, tiny tasks: partition 0 is not queued behind the blocker on its worker (the job would never end); it runs on the free worker, ANY, once the wait is over', { timeout: 240_000 }, async () => {
  // The blocker is released only once the job ended: a task queued behind it would hang the job.
  const { r, lines } = await run('tiny', ['spark.locality.wait=300ms'], 90_000);
  const { y, tasks } = placement(r, lines);
  assert.deepEqual(
    tasks,
    [
      { job: 3, index: 0, executorId: y, taskLocality: 'ANY' },
      { job: 3, index: 1, executorId: y, taskLocality: 'PROCESS_LOCAL' },
      { job: 3, index: 2, executorId: y, taskLocality: 'PROCESS_LOCAL' },
      { job: 3, index: 3, executorId: y, taskLocality: 'PROCESS_LOCAL' },
    ],
    show(r),
  );
});

// spark.default.parallelism per job: spark-submit's --conf is the application's, so `sluice
// submit --conf spark.default.parallelism=N` is that job's sc.defaultParallelism, over the
// driver's own --conf; a job submitted without it keeps the driver's. Expected values: the
// --conf given (fixtures/default-parallelism.ts prints sc.defaultParallelism and parallelize's
// partitions without a count).
test("sluice submit --conf spark.default.parallelism=7 to a driver given 3: that job's sc.defaultParallelism is 7; a job submitted without it has the driver's 3", { timeout: 240_000 }, async () => {
  const env = { SLUICE_SECRET: crypto.randomBytes(16).toString('hex'), SLUICE_SECRET_FILE: '' };
  const port = await freePort();
  const driver = `127.0.0.1:${port}`;
  const start = (args: string[]): ChildProcess => spawn(process.execPath, [CLI_BIN, ...args], { env: { ...process.env, ...env }, stdio: 'ignore' });
  const procs = [start(['driver', '--port', String(port), '--web-port', '0', '--log-level', 'warn', '--conf', 'spark.default.parallelism=3'])];
  try {
    procs.push(start(['worker', '--driver', driver, '--cores', '2', '--log-level', 'warn']));
    await pollUntil(async () => (/worker-/.test((await runCli(['workers', '--driver', driver], { env, timeoutMs: 60_000 })).stdout) ? true : undefined), 120_000, 'the worker registered', 200);
    const parts = async (conf: string[]): Promise<{ defaultParallelism: number; parallelize: number }> => {
      const r = await runCli(['submit', '--driver', driver, ...conf, fixture('default-parallelism.ts')], { env, timeoutMs: 120_000 });
      assert.equal(r.code, 0, show(r));
      return jsonLine<{ defaultParallelism: number; parallelize: number }>(r.stdout.split('\n'), 'P ');
    };
    const own = await parts(['--conf', 'spark.default.parallelism=7']);
    assert.deepEqual([own.defaultParallelism, own.parallelize], [7, 7]);
    const drivers = await parts([]);
    assert.deepEqual([drivers.defaultParallelism, drivers.parallelize], [3, 3]);
    const bad = await runCli(['submit', '--driver', driver, '--conf', 'spark.default.parallelism=0', fixture('default-parallelism.ts')], { env, timeoutMs: 60_000 });
    assert.equal(bad.code, 1, show(bad));
    assert.match(bad.stderr, /--conf spark\.default\.parallelism=0: give a whole number of partitions, 1 or more/);
  } finally {
    for (const p of procs) p.kill('SIGKILL');
  }
});
