// kill -9 of workers at chosen moments of a stateful stream (fixtures/stream-stateful.ts:
// updateStateByKey, mapWithState with a timeout, reduceByKeyAndWindow with an inverse, all
// checkpointed; a queueStream whose batch i always takes RDD i), on one cluster for the file
// (worker-fault-support.ts: a driver in this process, 3 worker processes, a 3 s worker timeout):
// - a worker killed while a state checkpoint is being written (the checkpoint job's stage has
//   just been submitted);
// - every worker killed mid-stream, and new workers started 3 s later: the stream resumes
//   where it was.
// Every batch's state, input sums, mapped values, state snapshots and windows must equal the
// computation done here from the fixture's input rules (stateful-outputs.ts): nothing lost,
// nothing counted twice.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addWorkers, exited } from './cluster-workers.js';
import { pollUntil, sleep } from './harness.js';
import { WORKER_TIMEOUT_MS, observe, reasons, runStateful, withFaultCluster } from './worker-fault-support.js';

test('kill -9 of workers during a stateful stream', { timeout: 200_000 }, async (t) => {
  await withFaultCluster(async (h, procs) => {
    const seen = observe(h);
    const registry = h.cluster.driver.registry;

    await t.test('kill -9 of a worker while a state checkpoint is being written: every output is exact', async () => {
      const [victimId, victim] = [...procs].find(([id]) => registry.get(id) !== undefined)!;
      let killedAt: number | undefined;
      await runStateful(h, 16, async (job) => {
        await job.waitLine('STATE {"i":3,', 60_000);
        seen.onStage = (e, name) => {
          if (killedAt !== undefined || !/checkpoint/i.test(name)) return;
          victim.kill('SIGKILL');
          killedAt = Date.now();
        };
        try {
          await pollUntil(() => killedAt, 30_000, 'a state checkpoint to be written');
        } finally {
          seen.onStage = () => undefined;
        }
        await exited(victim);
        procs.delete(victimId);
      });
      assert.ok(!registry.all().some((w) => w.id === victimId), 'the killed worker was declared lost');
      t.diagnostic(`ckpt kill: ${JSON.stringify(reasons(seen.taskEnds.filter((e) => e.at >= killedAt!)))}`);
    });

    await t.test('kill -9 of every worker mid-stream, new workers 3 s later: the stream resumes, every output is exact', async () => {
      await addWorkers(h, 3 - registry.all().length, procs);
      let restartedAt: number | undefined;
      await runStateful(h, 20, async (job) => {
        await job.waitLine('STATE {"i":4,', 60_000);
        const all = [...procs.values()];
        const killedIds = [...procs.keys()];
        for (const p of all) p.kill('SIGKILL');
        await Promise.all(all.map(exited));
        procs.clear();
        const killedAt = Date.now();
        while (registry.all().length > 0) {
          assert.ok(Date.now() - killedAt < 10 * WORKER_TIMEOUT_MS, `killed workers still registered ${Date.now() - killedAt} ms after the kill: ${JSON.stringify(registry.all().map((w) => w.id))}, killed ${JSON.stringify(killedIds)}`);
          await sleep(50);
        }
        await sleep(3000);
        const doneBefore = job.lines.filter((l) => l.startsWith('STATE ')).length;
        assert.ok(doneBefore < 20, 'the stream was still running when its last worker went');
        restartedAt = Date.now();
        await addWorkers(h, 2, procs);
        assert.ok(killedAt > 0);
      });
      assert.ok(restartedAt !== undefined);
    });
  });
});
