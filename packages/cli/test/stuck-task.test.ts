import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, before, test } from 'node:test';
import { CLI_BIN, fixture, freePort, runCli, sleep } from './harness.js';

// A task that never returns: with --task-timeout it is killed (its worker thread
// terminated) and the job fails naming the stage, the partition and the timeout; without
// one, speculation (turned on: `sluice driver --speculation`) starts at most one copy of it and kills that copy once it proves as
// slow, so the other core stays free for other jobs. Driver and 2 workers x 1 core are
// real `sluice` processes, started once for the file.

const env = { SLUICE_SECRET: 'stuck-task-secret-0123456789abcdef' };
const procs: ChildProcess[] = [];
let driver = '';

/** What `sluice quick N` must print: 2 × (0 + 1 + ... + N-1), computed here. */
function expectedSum(n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += 2 * i;
  return s;
}

before(async () => {
  const port = await freePort();
  driver = `127.0.0.1:${port}`;
  const start = (args: string[]): void => void procs.push(spawn(process.execPath, [CLI_BIN, ...args], { env: { ...process.env, ...env }, stdio: 'ignore' }));
  start(['driver', '--port', String(port), '--web-port', '0', '--speculation', '--log-level', 'warn']);
  start(['worker', '--driver', driver, '--cores', '1', '--log-level', 'warn']);
  start(['worker', '--driver', driver, '--cores', '1', '--log-level', 'warn']);
  for (let i = 0; i < 150; i++) {
    const w = await runCli(['workers', '--driver', driver], { env, timeoutMs: 60_000 });
    if ((w.stdout.match(/worker-/g) ?? []).length === 2) return;
    await sleep(200);
  }
  throw new Error('the two workers did not register');
});

after(() => {
  for (const p of procs) p.kill('SIGKILL');
});

async function quickJobRuns(): Promise<void> {
  const n = 5000;
  const quick = await runCli(['submit', fixture('spin-task.ts'), '--driver', driver, '--', 'quick', String(n)], { env, timeoutMs: 60_000 });
  assert.equal(quick.timedOut, false, `the second job did not finish within 60 s:\n${quick.stderr}`);
  assert.equal(quick.code, 0, quick.stderr);
  assert.match(quick.stdout, new RegExp(`^SUM ${expectedSum(n)}$`, 'm'));
}

test('--task-timeout kills a task that never returns; the job fails naming stage, partition and timeout; the slot serves the next job', async () => {
  const r = await runCli(['submit', fixture('spin-task.ts'), '--driver', driver, '--task-timeout', '1500ms', '--', 'spin'], { env, timeoutMs: 60_000 });
  assert.equal(r.timedOut, false, `the job with a task timeout did not end:\n${r.stderr}`);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /failed \[SLUICE_TASK_TIMEOUT\]: Job aborted due to stage failure: Task 0 in stage \d+\.0 failed 4 times, most recent failure: Lost task \d+\.\d+ in stage \d+\.\d+ \(TID \S+\) \(worker \S+\): task \S+ \(stage \d+, partition 0\) ran past the job's task timeout of 1500 ms on worker worker-\w+ and was killed/);
  assert.doesNotMatch(r.stdout, /UNREACHABLE/);
  // The listener heard each of partition 0's 4 attempts end TaskTimeout, told why (its error, and
  // errorString the same: a failure of Sluice's own, Spark having no task timeout), not bare.
  const heard = r.stdout.split('\n').filter((l) => l.startsWith('TIMEOUT ')).map((l) => JSON.parse(l.slice('TIMEOUT '.length)) as { index: number; error: string | null; errorString: string | null });
  assert.equal(heard.length, 4, r.stdout);
  for (const h of heard) {
    assert.equal(h.index, 0);
    assert.match(h.error ?? '', /^task \S+ \(stage \d+, partition 0\) ran past the job's task timeout of 1500 ms on worker worker-\w+ and was killed; find why it does not return, or raise --task-timeout$/);
    assert.equal(h.errorString, h.error);
  }
  await quickJobRuns();
});

test('a bad --task-timeout is refused with a message naming the value', async () => {
  const r = await runCli(['submit', fixture('spin-task.ts'), '--driver', driver, '--task-timeout', 'soon', '--', 'quick', '10'], { env, timeoutMs: 30_000 });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /--task-timeout: 'soon' is not a duration/);
});

test('without a timeout, a stuck task shows in sluice jobs, its speculative copy does not hog the other core, and a second job runs', async () => {
  const submitted = await runCli(['submit', fixture('spin-task.ts'), '--driver', driver, '--detach', '--', 'spin'], { env, timeoutMs: 60_000 });
  assert.equal(submitted.code, 0, submitted.stderr);
  const jobId = /submitted \S+ as (\S+)/.exec(submitted.stderr)?.[1];
  assert.ok(jobId, submitted.stderr);
  try {
    // `sluice jobs` names the stuck task, and its run time grows.
    // Once the speculative copy proved as slow as the original (it runs past 1.5 x the
    // median of the finished tasks, at least 1 s), it is killed: one attempt runs.
    let row: string[] | undefined;
    const seen: string[] = [];
    const deadline = Date.now() + 40_000;
    while (Date.now() < deadline) {
      const jobs = await runCli(['jobs', '--driver', driver], { env, timeoutMs: 60_000 });
      row = jobs.stdout.split('\n').find((l) => l.startsWith(jobId!))?.split(/\s{2,}/);
      seen.push(`${row?.[7]} | ${row?.[8]}`);
      if (row && row[7] === '1' && Number(row[8].split(' ')[0]) >= 3) break;
      await sleep(250);
    }
    // JOB NAME STATE BATCHES LAST-PROCESSING LAST-TOTAL-DELAY LAST-RECORDS TASKS LONGEST-TASK
    assert.equal(row?.[2], 'running', `${row}`);
    assert.match(row?.[8] ?? '', /^\d+\.\d s: stage \d+ partition 0 on worker-\w+$/, `${row}`);
    assert.equal(row?.[7], '1', `TASKS | LONGEST TASK over time:\n${seen.join('\n')}`);
    assert.ok(Number(row![8].split(' ')[0]) >= 3, `${row}`);
    // The spinning task holds one core; the other serves a second job.
    await quickJobRuns();
  } finally {
    await runCli(['stop', jobId!, '--driver', driver], { env, timeoutMs: 60_000 });
  }
  const jobs = await runCli(['jobs', '--driver', driver], { env, timeoutMs: 60_000 });
  assert.match(jobs.stdout, new RegExp(`${jobId}\\s+spin-task\\.ts\\s+stopped`));
});
