// No error in one job may kill a worker, on a real multi-process cluster over loopback:
// tasks that leave unhandled rejections and timer exceptions behind, a reduce task handed
// a map-output location with an empty address, and the driver never handing out such a
// location when a worker dies while a stage waits for its second parent shuffle.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { test } from 'node:test';
import { decode, encode, type TaskPayload, type wire } from '@sluice/core/internal';
import { fixture, jsonLine, lineOf, withCluster, within, type ClusterHandle, type JobRun } from './harness.js';

type Endpoint = ReturnType<ClusterHandle['cluster']['driver']['registry']['all']>[number]['endpoint'];
type LaunchResult = Awaited<ReturnType<Endpoint['launchTask']>>;
type TaskDescription = Parameters<Endpoint['launchTask']>[0];
type Launch = (desc: TaskDescription) => Promise<LaunchResult>;
/** Sees (and may change) every task the driver sends to a worker, and its result. */
type LaunchHook = (workerId: string, desc: TaskDescription, launch: Launch) => Promise<LaunchResult>;

/** Route every task launch of the registered workers through `hook()` (read at each launch). */
function interceptLaunches(h: ClusterHandle, hook: () => LaunchHook | undefined): void {
  for (const w of h.cluster.driver.registry.all()) {
    const endpoint = w.endpoint;
    const launch = endpoint.launchTask.bind(endpoint);
    endpoint.launchTask = (desc) => {
      const f = hook();
      return f ? f(w.id, desc, launch) : launch(desc);
    };
  }
}

const show = (run: JobRun): string => `${JSON.stringify(run.failure)}\n${run.lines.join('\n')}`;

function exited(c: ChildProcess): Promise<void> {
  return c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise((r) => c.once('exit', () => r()));
}

/** What wordcount-check.ts prints for `n`, computed here. */
function expectedWordCount(n: number): [string, number][] {
  const words = ['a', 'b', 'c', 'd', 'e'];
  const m = new Map<string, number>();
  for (let i = 0; i < n; i++) for (const w of [words[i % 5], words[(i * 3) % 5]]) m.set(w, (m.get(w) ?? 0) + 1);
  return [...m].sort();
}

/** What two-shuffles-join.ts prints for `n`, computed here. */
function expectedJoin(n: number): [number, [number, number]][] {
  const sums = new Map<number, number>();
  const counts = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    sums.set(i % 10, (sums.get(i % 10) ?? 0) + i);
    counts.set(i % 10, (counts.get(i % 10) ?? 0) + 1);
  }
  return [...sums.keys()].sort((a, b) => a - b).map((k) => [k, [sums.get(k)!, counts.get(k)!]]);
}

test('errors in one job never kill a worker', { timeout: 150_000 }, async (t) => {
  await withCluster({ workers: 3, logLevel: 'fatal', driver: { workerTimeoutMs: 5000, heartbeatIntervalMs: 500 } }, async (h) => {
    let hook: LaunchHook | undefined;
    interceptLaunches(h, () => hook);
    const procs = [...h.cluster.workerProcesses];
    const ids = h.cluster.driver.registry.all().map((w) => w.id).sort();
    const allAlive = (): void => {
      for (const c of procs) assert.ok(c.exitCode === null && c.signalCode === null, `worker pid ${c.pid} exited (code ${c.exitCode}, signal ${c.signalCode})`);
      assert.deepEqual(h.cluster.driver.registry.all().map((w) => w.id).sort(), ids, 'the same workers are registered');
    };

    await t.test('tasks that leave a rejection and a throwing timer behind: the job succeeds, every worker lives on', async () => {
      const run = await within(h.run(fixture('leaves-rejection.ts'), ['after']), 60_000, 'the job');
      assert.equal(run.ok, true, show(run));
      assert.deepEqual(jsonLine<number[]>(run.lines, 'RESULT '), [2, 4, 6, 8, 10, 12, 14, 16]);
      // Give the left-behind timers time to fire in the task threads.
      await new Promise((r) => setTimeout(r, 200));
      allAlive();
    });

    await t.test('a task whose unhandled rejection fires while it runs fails with the user message; every worker lives on; the next job runs', async () => {
      const run = await within(h.run(fixture('leaves-rejection.ts'), ['during']), 60_000, 'the job');
      assert.equal(run.ok, false, show(run));
      assert.equal(run.failure?.code, 'SLUICE_TASK_FAILED', show(run));
      assert.match(run.failure?.message ?? '', /left unhandled: rejection left behind by partition \d/);
      const file = fixture('leaves-rejection.ts');
      const line = lineOf(file, 'rejection left behind by partition');
      assert.ok(run.failure?.stack.includes(`${file}:${line}:`), `the stack names ${file}:${line}:\n${run.failure?.stack}`);
      allAlive();
      const next = await within(h.run(fixture('wordcount-check.ts'), ['1000']), 60_000, 'the next job');
      assert.equal(next.ok, true, show(next));
      assert.deepEqual(jsonLine<[string, number][]>(next.lines, 'RESULT '), expectedWordCount(1000));
    });

    await t.test('a reduce task handed a map-output location with an empty address: a fetch failure, not a crash; the job is right', async () => {
      // Corrupt the first reduce task the way a driver bug would: the address of a map output
      // on another worker (a local one is read without dialling) becomes ''.
      let corrupted: { workerId: string; outcome?: string } | undefined;
      hook = async (workerId, desc, launch) => {
        const payload = decode<TaskPayload>(desc.stage.payload);
        const shuffle = Object.keys(payload.mapOutputs)[0];
        const locs = shuffle === undefined ? [] : payload.mapOutputs[Number(shuffle)];
        const remote = locs.findIndex((l) => l.workerId !== workerId);
        if (corrupted || remote < 0) return launch(desc);
        const bad: TaskPayload = { ...payload, mapOutputs: { ...payload.mapOutputs, [shuffle]: locs.map((l, i) => (i === remote ? { ...l, address: '' } : l)) } };
        corrupted = { workerId };
        // The stage's description under a key of its own: the worker holds the right one for the stage's other tasks.
        const res = await launch({ ...desc, stage: { ...desc.stage, key: `${desc.stage.key}-corrupted`, payload: encode(bad) } });
        corrupted.outcome = res.ok ? res.outcome.outcome : `call failed: ${res.message}`;
        return res;
      };
      try {
        const run = await within(h.run(fixture('wordcount-check.ts'), ['2000']), 60_000, 'the job');
        assert.equal(run.ok, true, show(run));
        assert.deepEqual(jsonLine<[string, number][]>(run.lines, 'RESULT '), expectedWordCount(2000));
        assert.ok(corrupted, 'a reduce task was corrupted');
        assert.equal(corrupted.outcome, 'fetch_failed', `the worker given the empty address reported a fetch failure (${JSON.stringify(corrupted)})`);
      } finally {
        hook = undefined;
      }
      allAlive();
    });

    await t.test('a worker lost while a stage waits for its second parent shuffle: no task is handed a missing location; the join is right', async () => {
      const N = 3000;
      const FAST_MAPS = 6;
      const holes: string[] = [];
      const mapSuccesses = new Map<number, Map<number, string>>(); // shuffle -> map partition -> worker
      const running = new Map<string, { workerId: string; shuffleId: number }>();
      let killed: { workerId: string; fastShuffle: number; at: number } | undefined;
      const fastReruns: number[] = [];
      let victimExit: Promise<void> | undefined;
      const maybeKill = (): void => {
        if (killed) return;
        const fast = [...mapSuccesses].find(([, m]) => m.size === FAST_MAPS);
        if (!fast) return;
        const slowRunning = [...running.values()].filter((r) => r.shuffleId >= 0 && r.shuffleId !== fast[0]);
        if (slowRunning.length === 0) return;
        // A worker holding fast outputs, running a slow map task if one does (its broken call is noticed at once).
        const holders = new Set(fast[1].values());
        const victimId = slowRunning.find((r) => holders.has(r.workerId))?.workerId ?? [...holders][0];
        const victim = procs[ids.indexOf(victimId)];
        killed = { workerId: victimId, fastShuffle: fast[0], at: Date.now() };
        victim.kill('SIGKILL');
        victimExit = exited(victim);
      };
      hook = async (workerId, desc, launch) => {
        const payload = decode<TaskPayload>(desc.stage.payload);
        for (const [s, locs] of Object.entries(payload.mapOutputs)) {
          locs.forEach((l, m) => {
            if (!l || !l.workerId || !l.address) holes.push(`task ${desc.taskId}: shuffle ${s} map ${m} at ${JSON.stringify(l)}`);
          });
        }
        const shuffleId = desc.stage.shuffleId;
        if (killed && shuffleId === killed.fastShuffle) fastReruns.push(desc.partition);
        running.set(desc.taskId, { workerId, shuffleId });
        const res = await launch(desc);
        running.delete(desc.taskId);
        if (res.ok && res.outcome.outcome === 'map_status') {
          let m = mapSuccesses.get(shuffleId);
          if (!m) mapSuccesses.set(shuffleId, (m = new Map()));
          m.set(desc.partition, workerId);
          maybeKill();
        }
        return res;
      };
      try {
        const run = await within(h.run(fixture('two-shuffles-join.ts'), [String(N), '3000', String(FAST_MAPS)]), 90_000, 'the join');
        assert.equal(run.ok, true, show(run));
        assert.ok(killed, 'a worker holding the fast shuffle was killed while the slow one ran');
        assert.deepEqual(jsonLine<[number, [number, number]][]>(run.lines, 'RESULT '), expectedJoin(N));
        assert.deepEqual(holes, [], 'every map-output location handed to a task names a worker and its address');
        assert.ok(fastReruns.length > 0, 'the fast shuffle map outputs lost with the worker were recomputed');
        await within(victimExit!, 60_000, 'the killed worker to exit');
        console.log(`# killed ${killed.workerId} ${Date.now() - killed.at} ms before the end; fast map tasks re-run: ${fastReruns.join(',')}`);
      } finally {
        hook = undefined;
      }
    });
  });
});
