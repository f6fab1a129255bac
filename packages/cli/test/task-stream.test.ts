// The driver's one task stream per worker (Worker.RunTasks) on a real cluster over
// loopback: thousands of tiny tasks give exact results with one outcome per task; actions
// of the same shape running at once (and another job beside them) never get each
// other's stage description; a worker killed with tasks in flight on its stream (queued
// there beyond its slots by the driver's pipelining) loses them to other workers as
// "worker lost" (never as failures) and the result is exact; tasks queued there beyond
// the slots are not shown as running (`sluice jobs`, the REST API: at most the cores).
// The workers run 4 cores' tasks in 2 threads (--task-threads 2): each thread holds a
// running task and the next, given in one message, so every part here goes through the
// batched hop; a task that fails, a thread that exits and an error left unhandled in a
// thread each fail (at most) their own task, the tasks held behind it run elsewhere, and
// the other tasks of a stage aborted by a failing task are killed where they wait or run.
// A thread holding one stage's description while it is sent another's decodes each (two
// actions at once, one held live by a waiting task). Expected values are computed here
// from the fixture's input.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fixture, runCli, sleep, withCluster, within, type ClusterHandle, type JobRun } from './harness.js';

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

test('task streams: thousands of tiny tasks, concurrent actions and a second job, a worker killed with tasks in flight', { timeout: 300_000 }, async (t) => {
  // Speculation off: every task has one attempt unless a worker is lost, so the ends are exact.
  // Pipelining on whatever the tasks' run time under this machine's load: workers hold
  // tasks queued beyond their slots, so every subtest runs its tasks pipelined.
  await withCluster({ workers: 0, coresPerWorker: 4, workerArgs: ['--task-threads', '2'], logLevel: 'error', driver: { tasks: { speculation: false, pipelineMaxTaskMs: 60_000 }, workerTimeoutMs: 20_000, heartbeatIntervalMs: 500, webPort: 0 } }, async (h) => {
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

    await t.test("a thread holding a live stage is sent another's tasks: it decodes each stage, and the results are exact", async () => {
      // A's 24 tasks fill every slot and queue of the three workers in one pass (both threads
      // of each worker's sandbox start with A), and A's partition 0 waits until a task of B
      // has run: B's map stage and then its reduce stage run in threads that hold A's stage.
      const N = 24;
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'task-stream-'));
      ends = [];
      const run = await within(h.run(TINY, ['live-stages', String(N), dir]), 120_000, 'live-stages');
      assert.deepEqual(result<number[]>(run, 'live-a'), range(N).map((x) => 3 * x + 1));
      const sums = new Map<number, number>();
      for (const x of range(N)) sums.set(x % 7, (sums.get(x % 7) ?? 0) + x);
      assert.deepEqual(result<[number, number][]>(run, 'live-b'), [...sums].sort((p, q) => p[0] - q[0]));
      assert.deepEqual(ends.filter((e) => e.reason !== 'success').map((e) => `${e.partition} ${e.reason} ${e.error?.message ?? ''}`), [], 'no task failed');
      assert.equal(ends.length, N + N + 3, 'each task of A, of B\'s map stage and of its reduce stage ended once');
      fs.rmSync(dir, { recursive: true, force: true });
    });

    /** Ends of the last run by partition, as `reason` (and the error's message for failures). */
    const endsByPartition = (): Map<number, string[]> => {
      const m = new Map<number, string[]>();
      for (const e of ends) m.set(e.partition, [...(m.get(e.partition) ?? []), e.reason === 'success' ? 'success' : `${e.reason}: ${e.error?.message ?? ''}`]);
      return m;
    };
    const expectOnce = (mode: string, p: number, failure: RegExp): void => {
      const byPartition = endsByPartition();
      for (const x of range(N_ONCE)) {
        const got = byPartition.get(x) ?? [];
        if (x !== p) {
          assert.deepEqual(got, ['success'], `${mode}: partition ${x}, held in a thread beside the failing one or not, ran once and succeeded`);
          continue;
        }
        assert.equal(got.length, 2, `${mode}: partition ${p} failed once and ran again: ${JSON.stringify(got)}`);
        assert.match(got[0], failure);
        assert.equal(got[1], 'success');
      }
    };
    const N_ONCE = 120;

    await t.test('a task that throws in a batch fails only itself; it runs again and the result is exact', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'task-stream-'));
      ends = [];
      const run = await within(h.run(TINY, ['fail-once', String(N_ONCE), '37', dir]), 120_000, 'fail-once');
      assert.deepEqual(result<number[]>(run, 'fail-once'), range(N_ONCE).map((x) => 3 * x + 1));
      expectOnce('fail-once', 37, /^error: .*planned failure of partition 37/);
      fs.rmSync(dir, { recursive: true, force: true });
    });

    await t.test('a task thread that exits mid-batch fails its running task only; the task it held next runs elsewhere', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'task-stream-'));
      ends = [];
      const run = await within(h.run(TINY, ['exit-once', String(N_ONCE), '53', dir]), 120_000, 'exit-once');
      assert.deepEqual(result<number[]>(run, 'exit-once'), range(N_ONCE).map((x) => 3 * x + 1));
      expectOnce('exit-once', 53, /^error: .*the task thread died/);
      fs.rmSync(dir, { recursive: true, force: true });
    });

    await t.test('an error left unhandled in a thread retires it; no other task is blamed, each partition succeeds once', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'task-stream-'));
      ends = [];
      const run = await within(h.run(TINY, ['unhandled-once', String(N_ONCE), '71', dir]), 120_000, 'unhandled-once');
      assert.deepEqual(result<number[]>(run, 'unhandled-once'), range(N_ONCE).map((x) => 3 * x + 1));
      // The rejection fails partition 71's task if it surfaces while it runs, else (it
      // returned already) nothing: either way the thread retires, and no other task fails
      // or runs twice — the task it held next runs on a fresh thread.
      const byPartition = endsByPartition();
      for (const x of range(N_ONCE)) {
        if (x === 71 && byPartition.get(x)?.length === 2) {
          assert.match(byPartition.get(x)![0], /^error: .*left unhandled: planned unhandled rejection in partition 71/);
          assert.equal(byPartition.get(x)![1], 'success');
          continue;
        }
        assert.deepEqual(byPartition.get(x), ['success'], `partition ${x} ran once and succeeded`);
      }
      fs.rmSync(dir, { recursive: true, force: true });
    });

    await t.test("a stage aborted by a failing task: its other running tasks are killed and never finish; the job goes on", async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'task-stream-'));
      const SLEEP = 5000;
      ends = [];
      const run = await within(h.run(TINY, ['abort', '2', '0', dir, String(SLEEP)]), 120_000, 'abort');
      assert.match(result<string>(run, 'abort-error'), /planned failure of partition 0, every attempt/);
      const wrote = result<number[]>(run, 'abort-wrote');
      const abortEnds = endsByPartition();
      // Partition 1 sleeps 5 s: killed when partition 0 failed its last attempt (unless that took longer).
      const succeeded = (abortEnds.get(1) ?? []).slice(0, 1).includes('success');
      assert.deepEqual(wrote, succeeded ? [1] : [], `a killed task never finished (ends of partition 1: ${JSON.stringify(abortEnds.get(1))})`);
      assert.ok(!succeeded, `partition 1 was killed, not left to run (ends ${JSON.stringify(abortEnds.get(1))}); the abort took over ${SLEEP} ms`);
      assert.deepEqual(result<number[]>(run, 'tiny'), range(2).map((x) => 3 * x + 1), 'the job ran another action after the abort');
      fs.rmSync(dir, { recursive: true, force: true });
    });

    await t.test('tasks queued on a worker beyond its slots are not running: sluice jobs and the REST API show at most the cores as running', async () => {
      // FAST partitions return at once (so the set's tasks are tiny and get pipelined), the
      // others wait for a gate file: every slot ends up holding a gated task and every
      // worker more of them queued behind its slots, until the gate opens.
      const N = 60;
      const FAST = 12;
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'task-stream-'));
      const gate = path.join(dir, 'gate');
      const driver = h.cluster.driver;
      const cores = driver.registry.all().reduce((a, w) => a + w.cores, 0);
      assert.equal(cores, 12, 'three workers of 4 cores');
      const before = new Set(driver.jobs.keys());
      ends = [];
      const done = h.run(TINY, ['gated', String(N), String(FAST), gate]);
      try {
        let job: { id: string; runId: string } | undefined;
        // Settled: the FAST tasks done, every slot taken by a gated task and every worker holding queued ones.
        for (const deadline = Date.now() + 60_000; ; await sleep(50)) {
          assert.ok(Date.now() < deadline, `the gated tasks to fill every slot and queue (workers ${JSON.stringify(driver.registry.all().map((w) => [w.freeSlots, w.queuedTasks]))})`);
          job ??= [...driver.jobs.values()].find((j) => !before.has(j.id));
          const p = job && driver.dag.stageProgress(job.runId)[0];
          if (p?.completedTasks === FAST && driver.registry.all().every((w) => w.freeSlots === 0 && w.queuedTasks > 0)) break;
        }
        const queued = driver.registry.all().reduce((a, w) => a + w.queuedTasks, 0);
        assert.ok(queued > 0 && FAST + cores + queued < N, `tasks queued beyond the slots: ${queued}`);
        const [p] = driver.dag.stageProgress(job!.runId);
        assert.deepEqual([p.completedTasks, p.runningTasks, p.numTasks], [FAST, cores, N], `the stage: done, running (the cores, not the ${cores + queued} launched), tasks`);
        // `sluice jobs`: the job's running tasks and its stage as (done + running) / tasks.
        const env = { SLUICE_SECRET: h.cluster.secret, SLUICE_SECRET_FILE: '' };
        const r = await runCli(['jobs', '--driver', driver.address], { env, timeoutMs: 30_000 });
        assert.equal(r.code, 0, r.stderr);
        const header = r.stdout.split('\n')[0].split(/\s{2,}/);
        const row = r.stdout.split('\n').find((l) => l.startsWith(job!.id))?.split(/\s{2,}/);
        assert.ok(row, r.stdout);
        assert.equal(row[header.indexOf('TASKS')], String(cores), r.stdout);
        assert.match(row[header.indexOf('STAGES')], new RegExp(`^stage \\d+ \\(${FAST} \\+ ${cores}\\) / ${N}$`), r.stdout);
        // The REST API: the active stage's and the job's active tasks.
        const base = `http://127.0.0.1:${driver.webPort}/api/v1/applications/${job!.id}`;
        const stages = (await (await fetch(`${base}/stages?status=active`)).json()) as { numActiveTasks: number; numCompleteTasks: number }[];
        assert.deepEqual(stages.map((x) => [x.numCompleteTasks, x.numActiveTasks]), [[FAST, cores]]);
        const jobs = (await (await fetch(`${base}/jobs?status=running`)).json()) as { numActiveTasks: number }[];
        assert.deepEqual(jobs.map((x) => x.numActiveTasks), [cores]);
      } catch (err) {
        // The job ends before the next subtest starts (its task ends would count there).
        fs.writeFileSync(gate, '');
        await within(done, 120_000, 'the gated tasks');
        throw err;
      }
      fs.writeFileSync(gate, '');
      const run = await within(done, 120_000, 'the gated tasks');
      assert.equal(result<number>(run, 'gated'), range(N).reduce((s, x) => s + 3 * x + 1, 0));
      assert.deepEqual(ends.filter((e) => e.reason === 'success').map((e) => e.partition).sort((a, b) => a - b), range(N), 'each partition succeeded once');
      fs.rmSync(dir, { recursive: true, force: true });
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
