// A worker SIGKILLed while a 2,000-partition shuffle's reduce tasks fetch (as the first reduce
// task reading map outputs it holds is launched, or WIDE_AFTER ms after), three times on one
// cluster (a replacement worker each time; worker-fault-support's: driver in this process, 3
// one-core workers, 3-s worker timeout): each job gives every key summed once (computed here),
// and the many reduce tasks that lose their fetches cost the stage one failed attempt, not one
// each (Spark's DAGScheduler: fetch failures of one stage attempt resubmit once). faults37's
// probe of a wide shuffle (docs/fault-matrix.md): nothing found; kept as a guard.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixture, jsonLine, startJob, within } from './harness.js';
import { addWorkers } from './cluster-workers.js';
import { faultOnFetch, reasons, observe, show, shuffleFreezeSums, withFaultCluster } from './worker-fault-support.js';

const ROUNDS = Number(process.env.WIDE_ROUNDS ?? '3');
const REDUCES = Number(process.env.WIDE_REDUCES ?? '2000');
/** Kill this many ms after the first reduce task's launch (0: at it). */
const AFTER = Number(process.env.WIDE_AFTER ?? '0');

test(`a worker killed as a ${REDUCES}-partition shuffle's reduce tasks start fetching: every key summed once`, { timeout: 600_000 }, async (t) => {
  await withFaultCluster(async (h, procs) => {
    const seen = observe(h);
    const stageFailures: { at: number; failure: string }[] = [];
    h.cluster.driver.dag.addListener({ onStageCompleted: (e) => e.failure !== undefined && stageFailures.push({ at: Date.now(), failure: e.failure }) });
    const wrapped = new WeakSet<object>();
    for (let round = 0; round < ROUNDS; round++) {
      const arming = { arm: undefined };
      const killed = faultOnFetch(h, (id) => procs.has(id), wrapped, arming, (id) => {
        const p = procs.get(id)!;
        procs.delete(id);
        setTimeout(() => p.kill('SIGKILL'), AFTER);
      });
      const n = 400_000;
      const t0 = Date.now();
      const job = await startJob(h.cluster, fixture('shuffle-freeze.ts'), [String(n), '6', String(REDUCES), '300']);
      const k = await within(killed, 120_000, 'a reduce task launched');
      const run = await within(job.done, 300_000, 'the job to end');
      t.diagnostic(`round ${round}: killed ${k.victimId} ${k.at - t0} ms in; ended ${Date.now() - t0} ms; ok ${run.ok}; stage failures ${stageFailures.length}: ${stageFailures.map((f) => f.failure.slice(0, 160)).join(' | ')}; task ends ${JSON.stringify(reasons(seen.taskEnds.filter((e) => e.at >= k.at)))}`);
      assert.equal(run.ok, true, show(run));
      assert.deepEqual(jsonLine<[number, number][]>(run.lines, 'RESULT '), shuffleFreezeSums(n));
      // 1 in every run seen (9 kills); a few more would still be bounded, one per task would not
      assert.ok(stageFailures.length >= 1 && stageFailures.length <= 3, `stage attempts failed: ${stageFailures.length}`);
      stageFailures.length = 0;
      await addWorkers(h, 1, procs); // a replacement for the next round
    }
  });
});
