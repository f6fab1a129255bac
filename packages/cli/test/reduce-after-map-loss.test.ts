// A worker holding map outputs is killed (SIGKILL) while the reduce tasks reading them, on the
// other workers, have fetched everything they read: the reduce stage finishes without running
// again and the map function is not run again, as Spark's DAGScheduler.handleExecutorLost leaves
// a stage reading a lost executor's outputs running (only a task that then fails to fetch
// reports FetchFailed). Real processes: a driver in this process, 3 one-core worker processes
// (worker-fault-support.ts). The fixture writes a file a run of the map function and of the
// reduce function; the test counts them and computes the sums itself.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fixture, jsonLine, pollUntil, startJob, within } from './harness.js';
import { membership, observe, reasons, show, tmpDir, withFaultCluster } from './worker-fault-support.js';

const N = 70_000;

/** The fixture's sums of i over 0 .. N - 1 by i % 7, computed here. */
function expectedSums(): [number, number][] {
  const sums = new Map<number, number>();
  for (let i = 0; i < N; i++) sums.set(i % 7, (sums.get(i % 7) ?? 0) + i);
  return [...sums].sort((a, b) => a[0] - b[0]);
}

const pidsOf = (dir: string, prefix: string): number[] =>
  fs
    .readdirSync(dir)
    .filter((f) => f.startsWith(prefix))
    .map((f) => Number(fs.readFileSync(path.join(dir, f), 'utf8')));

test('a worker holding map outputs killed after the reduce tasks fetched them: the reduce stage finishes without a re-run, the map function ran once a partition', { timeout: 240_000 }, async (t) => {
  await withFaultCluster(async (h, procs) => {
    const seen = observe(h);
    const { lost } = membership(h);
    const stageFailures: string[] = [];
    h.cluster.driver.dag.addListener({ onStageCompleted: (e) => void (e.failure !== undefined && stageFailures.push(e.failure)) });
    const dir = tmpDir('reduce-after-map-loss');
    const job = await startJob(h.cluster, fixture('reduce-after-map-loss.ts'), [dir, String(N)]);
    try {
      await pollUntil(() => pidsOf(dir, 'reduce-').length >= 2 || undefined, 120_000, 'both reduce tasks to have read their inputs');
      const mapPids = pidsOf(dir, 'map-');
      const reducePids = pidsOf(dir, 'reduce-');
      assert.equal(new Set(mapPids).size, 3, `the three map tasks ran on three workers: ${JSON.stringify(mapPids)}`);
      // The worker that holds a map output and runs no reduce task.
      const [victimId, victim] = [...procs].find(([, p]) => mapPids.includes(p.pid!) && !reducePids.includes(p.pid!))!;
      const killedAt = Date.now();
      victim.kill('SIGKILL');
      await pollUntil(() => lost.some((l) => l.id === victimId) || undefined, 60_000, `the driver to declare worker ${victimId} lost`);
      fs.writeFileSync(path.join(dir, 'go'), '');
      const run = await within(job.done, 120_000, 'the job to end');
      assert.equal(run.ok, true, show(run));
      assert.deepEqual(jsonLine<[number, number][]>(run.lines, 'RESULT '), expectedSums(), 'every key summed once');
      t.diagnostic(`task ends after the kill: ${JSON.stringify(reasons(seen.taskEnds.filter((e) => e.at >= killedAt)))}`);
      assert.equal(pidsOf(dir, 'map-').length, 3, 'the map function ran once a partition: the map stage did not run again');
      assert.equal(pidsOf(dir, 'reduce-').length, 2, 'each reduce task ran once');
      assert.deepEqual(stageFailures, [], 'no stage attempt failed');
      assert.equal(seen.taskEnds.filter((e) => e.reason === 'killed').length, 0, 'no task was killed');
    } finally {
      if (!job.ended) {
        fs.writeFileSync(path.join(dir, 'go'), '');
        h.cluster.driver.jobs.get(job.id)?.cancel();
        await within(job.done, 30_000, 'the cancelled job to end').catch(() => undefined);
      }
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
