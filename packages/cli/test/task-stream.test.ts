// The driver's one task stream per worker (Worker.RunTasks) on a real cluster over
// loopback: thousands of tiny tasks give exact results with one outcome per task; actions
// of the same shape running at once (and another job beside them) never get each
// other's stage description; a worker killed with tasks in flight on its stream (queued
// there beyond its slots by the driver's pipelining) loses them to other workers as
// "worker lost" (never as failures) and the result is exact.
// Expected values are computed here from the fixture's input.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { test } from 'node:test';
import { fixture, withCluster, within, type ClusterHandle, type JobRun } from './harness.js';

const TINY = fixture('tiny-tasks.ts');

type TaskEnd = Parameters<NonNullable<Parameters<ClusterHandle['cluster']['driver']['dag']['addListener']>[0]['onTaskEnd']>>[0];

function result<T>(run: JobRun, name: string): T {
  assert.equal(run.ok, true, `job failed: ${JSON.stringify(run.failure)}\n${run.lines.join('\n')}`);
  const prefix = `RESULT ${name} `;
  const line = run.lines.find((l) => l.startsWith(prefix));
  assert.ok(line !== undefined, `no line '${prefix}' in:\n${run.lines.join('\n')}`);
  return JSON.parse(line.slice(prefix.length)) as T;
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

test('task streams: thousands of tiny tasks, concurrent actions and a second job, a worker killed with tasks in flight', { timeout: 180_000 }, async (t) => {
  // Speculation off: every task has one attempt unless a worker is lost, so the ends are exact.
  // Pipelining on whatever the tasks' run time under this machine's load: workers hold
  // tasks queued beyond their slots, so every subtest runs its tasks pipelined.
  await withCluster({ workers: 0, coresPerWorker: 2, logLevel: 'error', driver: { tasks: { speculation: false, pipelineMaxTaskMs: 60_000 }, workerTimeoutMs: 20_000, heartbeatIntervalMs: 500 } }, async (h) => {
    // Workers started one at a time, so each registered id is known to belong to its process.
    const procs = new Map<string, ChildProcess>();
    for (let i = 0; i < 3; i++) {
      const known = new Set(h.cluster.driver.registry.all().map((w) => w.id));
      const child = h.cluster.addWorker();
      await h.cluster.waitForWorkers(known.size + 1, 30_000);
      procs.set(h.cluster.driver.registry.all().find((w) => !known.has(w.id))!.id, child);
    }
    let ends: TaskEnd[] = [];
    let onEnd: ((e: TaskEnd) => void) | undefined;
    h.cluster.driver.dag.addListener({
      onTaskEnd: (e) => {
        ends.push(e);
        onEnd?.(e);
      },
    });

    await t.test('1,500 one-record tasks: each partition exact and ended once, as a success', async () => {
      const N = 1500;
      ends = [];
      const run = await within(h.run(TINY, ['tiny', String(N)]), 120_000, 'the tiny tasks');
      assert.deepEqual(result<number[]>(run, 'tiny'), range(N).map((x) => 3 * x + 1));
      const reasons = new Map<string, number>();
      for (const e of ends) reasons.set(e.reason, (reasons.get(e.reason) ?? 0) + 1);
      assert.deepEqual([...reasons], [['success', N]], 'every task ended once, successfully');
      assert.deepEqual(
        ends.map((e) => e.partition).sort((a, b) => a - b),
        range(N),
        'one end for each partition',
      );
    });

    await t.test('four actions of the same shape at once, and a second job beside them: each gets its own functions', async () => {
      const N = 200;
      const [a, b] = await within(Promise.all([h.run(TINY, ['concurrent', String(N)]), h.run(TINY, ['tiny', String(N)])]), 120_000, 'the two jobs');
      assert.deepEqual(result<number[]>(a, 'times'), range(N).map((x) => x * 7));
      assert.deepEqual(result<number[]>(a, 'plus'), range(N).map((x) => x + 1000));
      assert.deepEqual(result<number[]>(a, 'squares'), range(N).map((x) => x * x));
      assert.deepEqual(result<number[]>(a, 'evens'), range(N).filter((x) => x % 2 === 0));
      assert.deepEqual(result<number[]>(b, 'tiny'), range(N).map((x) => 3 * x + 1));
    });

    await t.test('kill -9 of a worker with tasks in flight on its stream: they end as worker_lost, run elsewhere, the sum is exact', async () => {
      const N = 400;
      const MS = 10;
      ends = [];
      let victim: string | undefined;
      let victimExit: Promise<void> | undefined;
      let queuedAtKill = 0;
      // Once 100 tasks succeeded, kill a worker holding tasks queued beyond its slots (pipelined).
      onEnd = () => {
        if (victim !== undefined || ends.filter((e) => e.reason === 'success').length < 100) return;
        const running = h.cluster.driver.registry.all().map((w) => ({ id: w.id, queued: w.queuedTasks }));
        const busiest = running.sort((x, y) => y.queued - x.queued)[0];
        if (busiest.queued === 0) return;
        victim = busiest.id;
        queuedAtKill = busiest.queued;
        const p = procs.get(victim)!;
        victimExit = new Promise((r) => p.once('exit', () => r()));
        p.kill('SIGKILL');
      };
      try {
        const run = await within(h.run(TINY, ['slow', String(N), String(MS)]), 150_000, 'the job with a worker killed');
        assert.equal(result<number>(run, 'slow'), range(N).reduce((s, x) => s + x * x, 0));
      } finally {
        onEnd = undefined;
      }
      assert.ok(victim !== undefined, 'a worker was killed');
      assert.ok(queuedAtKill > 0, 'it held queued tasks');
      await victimExit;
      const lost = ends.filter((e) => e.workerId === victim && e.reason === 'worker_lost');
      assert.ok(lost.length > 0, `tasks in flight on the killed worker ended as worker_lost (ends there: ${JSON.stringify(ends.filter((e) => e.workerId === victim).map((e) => e.reason).slice(-10))})`);
      assert.deepEqual(
        ends.filter((e) => e.reason !== 'success' && e.reason !== 'worker_lost').map((e) => `${e.partition} ${e.reason} ${e.error?.message ?? ''}`),
        [],
        'no task failed or was killed: a lost worker is not the task\'s fault',
      );
      const successes = ends.filter((e) => e.reason === 'success').map((e) => e.partition);
      assert.deepEqual(successes.sort((a, b) => a - b), range(N), 'each partition succeeded once');
      // Every lost task ran again elsewhere.
      for (const e of lost) assert.ok(ends.some((s) => s.partition === e.partition && s.reason === 'success' && s.workerId !== victim), `partition ${e.partition} ran again on another worker`);
    });
  });
});
