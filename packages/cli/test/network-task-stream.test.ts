// The link from the driver to a worker, not the worker, at fault while tasks run there, during
// a stateful stream (fixtures/stream-stateful.ts: updateStateByKey, mapWithState with a
// timeout, reduceByKeyAndWindow with an inverse, checkpointed), on real processes: a driver in
// this process, 2 worker processes, and a third whose every inbound connection (the driver's
// task stream, the other workers' shuffle fetches) goes through a TCP proxy in this test
// (tcp-proxy.ts, network-fault-support.ts); its own links to the driver (registration,
// heartbeats) are untouched. The worker timeout, and with it the unseen-task timeout, is 15 s
// (Spark's spark.network.timeout is 120 s); heartbeats every 500 ms.
// - Reset: 3 times, the moment a task runs on it, every connection to it is reset and new ones
//   let through at once (a blip). The launches in flight there end as lost with the call and
//   run again, the driver warns once a blip naming the worker, its address and what failed
//   (its connection dropped, or a task call), and the worker is not declared lost: it takes
//   tasks again after its next heartbeat.
// - Slow: every chunk either way delayed 5 s for 6 s, under the timeout: no worker lost, no
//   task failed (speculation, on in these files, may copy a slow task; a copy that loses is
//   killed), no task taken for lost on its way.
// Either way no partition of a stage attempt succeeds twice, and every batch's state, sums,
// snapshots and windows equal the computation done here (stateful-outputs.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pollUntil, sleep } from './harness.js';
import { addProxiedWorker } from './network-fault-support.js';
import { driverWarnings, membership, observe, reasons, runStateful, withFaultCluster } from './worker-fault-support.js';

const WORKER_TIMEOUT_MS = 15_000;
const RESETS = 3;
const SLOW_MS = 5000;
const SLOW_FOR_MS = 6000;

test('the link to a worker reset while its tasks run, then slowed 5 s: nothing lost, every task run once, every batch exact', { timeout: 240_000 }, async (t) => {
  await withFaultCluster(
    async (h, procs) => {
      const seen = observe(h);
      const { lost } = membership(h);
      const w = await addProxiedWorker(h, procs);
      try {
        const resets: number[] = [];
        let slowFrom = 0;
        let slowTo = 0;
        await runStateful(h, 24, async (job) => {
          await job.waitLine('STATE {"i":3,', 60_000);
          const runId = h.cluster.driver.jobs.get(job.id)!.runId!;
          for (let k = 0; k < RESETS; k++) {
            await pollUntil(() => (h.cluster.driver.dag.runningTasks(runId).some((x) => x.workerId === w.id) ? true : undefined), 30_000, `a task running on the proxied worker (reset ${k + 1})`, 1);
            resets.push(w.resetToWorker().at);
            // Its next heartbeat makes it placeable again; then a task there to reset under.
            await sleep(1000);
          }
          await pollUntil(() => seen.taskEnds.find((e) => e.workerId === w.id && e.reason === 'success' && e.at > resets.at(-1)!), 30_000, 'a task done on the proxied worker after the last reset');
          slowFrom = w.slowToWorker(SLOW_MS).at;
          await sleep(SLOW_FOR_MS);
          w.heal();
          slowTo = Date.now();
        }, () => w.log.slice(-40).join('\n'));

        assert.deepEqual(lost, [], 'no worker was declared lost');
        assert.ok(h.cluster.driver.registry.get(w.id) !== undefined, 'the proxied worker is registered');
        const ends = seen.taskEnds.filter((e) => e.at >= resets[0]);
        t.diagnostic(`resets ${JSON.stringify(reasons(ends.filter((e) => e.at < slowFrom)))}; slow ${JSON.stringify(reasons(ends.filter((e) => e.at >= slowFrom)))}`);
        // The resets: launches in flight there ended as lost and ran again; each blip warned once at most.
        const resetLost = ends.filter((e) => e.at < slowFrom && e.workerId === w.id && e.reason === 'worker_lost');
        assert.ok(resetLost.length >= 1, 'a task in flight on the reset link ended as lost with it');
        for (const e of resetLost) {
          const again = seen.taskEnds.find((x) => x.stageId === e.stageId && x.partition === e.partition && x.reason === 'success' && x.at >= e.at);
          assert.ok(again !== undefined, `stage ${e.stageId} partition ${e.partition}, lost with the call, succeeded after`);
        }
        const warned = driverWarnings(h).filter((l) => l.includes(`worker ${w.id} at `) && l.includes('no task is placed on it until'));
        assert.ok(warned.length >= 1 && warned.length <= RESETS, `the driver warned once a reset (${warned.length}):\n${driverWarnings(h).join('\n')}`);
        for (const l of warned) assert.match(l, new RegExp(`"msg":"worker ${w.id} at 127\\.0\\.0\\.2:\\d+: (its connection dropped|a task call failed \\([^)]+\\)); no task is placed on it until it is heard from again \\(its next heartbeat\\), and it is declared lost if its port refuses connections`));
        // The slow link: nothing failed, nothing went unseen.
        const slow = seen.taskEnds.filter((e) => e.at >= slowFrom);
        assert.deepEqual(slow.filter((e) => e.reason !== 'success' && e.reason !== 'killed'), [], 'no task failed on the slow link');
        assert.ok(!driverWarnings(h).some((l) => l.includes('were in none of its')), 'no task taken for unseen on the slow link');
        assert.ok(slow.some((e) => e.workerId === w.id && e.at <= slowTo + SLOW_MS), 'the slow worker ended tasks during the slow spell');
        // No partition of a stage attempt succeeded twice.
        const successes = new Map<string, number>();
        for (const e of seen.taskEnds.filter((x) => x.reason === 'success')) {
          const key = `${e.runId}/${e.stageId}.${e.stageAttempt}/${e.partition}`;
          successes.set(key, (successes.get(key) ?? 0) + 1);
        }
        assert.deepEqual([...successes].filter(([, n]) => n > 1), [], 'each partition of a stage attempt succeeded once');
      } finally {
        await w.stop();
      }
    },
    2,
    WORKER_TIMEOUT_MS,
  );
});
