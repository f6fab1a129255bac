// A `sluice worker` started before its driver keeps trying to register, as Spark's
// standalone Worker does with its master (Worker.scala: 6 attempts ~10 s apart, then up to
// 16 retries in all ~60 s apart): each failed attempt is logged with why and when the next is, and
// once the driver listens the worker registers and runs the job's tasks. Given a bound
// (--max-registration-retries), it gives up after that many retries with SLUICE_UNREACHABLE.
// Real processes: `sluice worker`, then `sluice driver` on the port it was given, `sluice submit`.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { test } from 'node:test';
import { type Proc, startSluice, until, stopSluice } from './cli-process.js';
import { fixture, freePort, runCli, sleep } from './harness.js';

const env = { ...process.env, SLUICE_SECRET_FILE: '', SLUICE_SECRET: crypto.randomBytes(16).toString('hex') };
const show = (p: Proc | { stderr: string }): string => p.stderr.slice(-3000);

/** The word counts wordcount-check.ts must print for `n` lines, from its input alone. */
function expectedCounts(n: number): [string, number][] {
  const W = ['a', 'b', 'c', 'd', 'e'];
  const want = new Map<string, number>();
  for (let i = 0; i < n; i++) for (const w of [W[i % 5], W[(i * 3) % 5]]) want.set(w, (want.get(w) ?? 0) + 1);
  return [...want].sort();
}

test('a worker started before its driver keeps trying to register, logging each failed attempt, then registers and runs the tasks', { timeout: 240_000 }, async () => {
  const port = await freePort();
  const addr = `127.0.0.1:${port}`;
  const procs: Proc[] = [];
  try {
    // The default bound (the first attempt and 16 retries); a short interval so the test need not wait ~10 s an attempt.
    const t0 = Date.now();
    const worker = startSluice(['worker', '--driver', addr, '--registration-retry-interval', '1s', '--log-level', 'info'], env);
    procs.push(worker);
    await until('a failed registration attempt logged', 120_000, () => /registration with the driver failed \(attempt 1 of 17\)/.test(worker.stderr) || worker.child.exitCode !== null);
    assert.equal(worker.child.exitCode, null, `the worker is still trying: ${show(worker)}`);
    // Why, and when the next attempt is.
    const first = worker.stderr.split('\n').find((l) => l.includes('attempt 1 of 17'))!;
    assert.ok(first.includes(`nothing listens on port ${port} of 127.0.0.1`), first);
    const line = JSON.parse(first) as { nextAt?: string; nextInMs?: number; msg: string };
    assert.match(line.msg, /trying again in \d+\.\d s/, first);
    assert.ok(typeof line.nextInMs === 'number' && line.nextInMs >= 0, first);
    assert.ok(line.nextAt !== undefined && Number.isFinite(Date.parse(line.nextAt)), first);
    // The driver comes 3 s or more after the worker, on the port the worker was given.
    const left = 3000 - (Date.now() - t0);
    if (left > 0) await sleep(left);
    const driver = startSluice(['driver', '--port', String(port), '--web-port', '0', '--log-level', 'warn'], env);
    procs.push(driver);
    await until('the worker to register', 120_000, () => /"msg":"worker registered"/.test(worker.stderr) || worker.child.exitCode !== null || driver.child.exitCode !== null);
    assert.equal(worker.child.exitCode, null, show(worker));
    assert.doesNotMatch(worker.stderr, /SLUICE_UNREACHABLE/, show(worker));
    // It is the cluster's only worker: the job's tasks ran there.
    const workers = await runCli(['workers', '--driver', addr], { env, timeoutMs: 60_000 });
    assert.equal(workers.code, 0, workers.stderr);
    assert.equal((workers.stdout.match(/worker-/g) ?? []).length, 1, workers.stdout);
    const submit = await runCli(['submit', '--driver', addr, fixture('wordcount-check.ts'), '1000'], { env, timeoutMs: 180_000 });
    assert.equal(submit.code, 0, submit.stderr.slice(-3000));
    const result = submit.stdout.split('\n').find((l) => l.startsWith('RESULT '));
    assert.ok(result, submit.stdout);
    assert.deepEqual(JSON.parse(result.slice('RESULT '.length)), expectedCounts(1000));
  } finally {
    for (const p of procs.reverse()) await stopSluice(p);
  }
});

test('a worker whose driver never answers gives up after --max-registration-retries retries, with SLUICE_UNREACHABLE saying why', { timeout: 120_000 }, async () => {
  const port = await freePort();
  const addr = `127.0.0.1:${port}`;
  const r = await runCli(['worker', '--driver', addr, '--max-registration-retries', '3', '--registration-retry-interval', '300ms'], { env, timeoutMs: 100_000 });
  assert.equal(r.timedOut, false, show(r));
  assert.equal(r.code, 1, show(r));
  // Attempts 1 to 3 logged as failed with the next one to come; the fourth (the third retry) ends it.
  for (const n of [1, 2, 3]) assert.match(r.stderr, new RegExp(`registration with the driver failed \\(attempt ${n} of 4\\); trying again in`), show(r));
  assert.doesNotMatch(r.stderr, /attempt 4 of 4/, show(r));
  assert.match(r.stderr, new RegExp(`SLUICE_UNREACHABLE.*no Sluice driver answered this worker's 4 registration attempts at 127\\.0\\.0\\.1:${port}`), show(r));
  assert.ok(r.stderr.includes(`nothing listens on port ${port} of 127.0.0.1 (connection refused)`), show(r));
  assert.match(r.stderr, /--max-registration-retries/, show(r));
});
