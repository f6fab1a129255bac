// A worker frozen (SIGSTOP) inside a reduce task past the driver's worker timeout (3 s), then
// woken (SIGCONT) while that task's re-run still runs on another worker: real processes (the
// driver in this process, 3 worker processes of 1 core). The frozen worker is declared lost and
// its task re-run; woken, it kills that task (its task stream closed) and registers again. No late
// success counts: the action's accumulators (a foreach adding each group's size and sum) equal the
// failure-free figures computed here, every partition of the result stages has one successful
// task end, and a second action on the cluster the woken worker rejoined is exact.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { pause, resume } from '@sluice/test-disk/pause';
import { fixture, pollUntil, sleep, withCluster } from './harness.js';

const N = 6_000;

test('a worker frozen inside a reduce task past its timeout, woken while the re-run runs: declared lost, it rejoins and no late result counts; the accumulators and a second action exact', { timeout: 240_000 }, async (t) => {
  const ctl = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-late-result-'));
  let records = 0;
  let sum = 0;
  for (let i = 0; i < N; i++) (records++, (sum += i));
  const second = Array.from({ length: 6 }, (_, k) => [k, N / 6]);
  try {
    await withCluster({ workers: 3, coresPerWorker: 1, driver: { workerTimeoutMs: 3_000 } }, async (h) => {
      const driver = h.cluster.driver;
      // Successful task ends of result stages, by stage and partition (a lost worker's map outputs
      // are computed again, as Spark's: map stages may have two).
      const resultStages = new Set<number>();
      const successes = new Map<string, number>();
      driver.dag.addListener({
        onStageSubmitted: (e) => {
          if (e.kind === 'result') resultStages.add(e.stageId);
        },
        onTaskEnd: (e) => {
          const key = `${e.stageId}.${e.partition}`;
          if (e.reason === 'success' && resultStages.has(e.stageId)) successes.set(key, (successes.get(key) ?? 0) + 1);
        },
      });
      const running = h.run(fixture('late-result.ts'), [ctl, String(N)]);
      const pid = Number(await pollUntil(() => (fs.existsSync(path.join(ctl, 'frozen')) ? fs.readFileSync(path.join(ctl, 'frozen'), 'utf8') || undefined : undefined), 120_000, 'the key-0 task to start'));
      const victim = h.cluster.workerProcesses.find((c) => c.pid === pid);
      assert.ok(victim, `worker process ${pid} not among the cluster's`);
      pause(victim);
      try {
        await pollUntil(() => (driver.registry.all().length === 2 ? true : undefined), 60_000, 'the frozen worker declared lost');
        fs.writeFileSync(path.join(ctl, 'go'), '');
      } finally {
        resume(victim);
      }
      // Woken: it ends its task late (late-done) and registers again; only then may the re-run end.
      // Its task thread and its main thread wake together: the main thread, finding its task
      // stream closed, may terminate the thread before it sees 'go' (a loaded machine: the
      // fresh-clone CI at load 35), and then no late result is made at all. Either way nothing
      // late may count; the test says which it saw.
      await pollUntil(() => (driver.registry.all().length === 3 ? true : undefined), 60_000, 'the woken worker registered again');
      const lateDone = path.join(ctl, 'late-done');
      const late = await pollUntil(() => (fs.existsSync(lateDone) ? true : undefined), 5_000, 'the woken worker to end its task').catch(() => false);
      t.diagnostic(late ? 'the woken worker ended its task late (a late success, not counted)' : 'the woken worker\'s task was terminated before it ended: no late result made in this run');
      await sleep(1_000);
      fs.writeFileSync(path.join(ctl, 'rerun-go'), '');
      const run = await running;
      assert.ok(run.ok, JSON.stringify(run.failure));
      assert.deepEqual(run.lines.filter((l) => l.startsWith('ACC ')), [`ACC ${records} ${sum}`]);
      assert.deepEqual(run.lines.filter((l) => l.startsWith('SECOND ')), [`SECOND ${JSON.stringify(second)}`]);
      assert.deepEqual([...successes.values()], [1, 1, 1, 1, 1, 1], `one successful end per result stage partition (3 each action): ${JSON.stringify([...successes])}`);
    });
  } finally {
    fs.rmSync(ctl, { recursive: true, force: true });
  }
});
