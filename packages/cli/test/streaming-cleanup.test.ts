import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { blocksOn, fixture, startJob, within, withCluster } from './harness.js';

const MAPS = 3; // the fixture's queued RDDs have 3 partitions
const BATCHES = 20;

test('a long stream keeps bounded shuffle state: outputs of forgotten batches are dropped on the driver and the workers, and their persisted RDDs forgotten', { timeout: 420_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-cleanup-'));
  const stopFile = path.join(dir, 'stop');
  try {
    await withCluster({ workers: 2 }, async (h) => {
      const job = await startJob(h.cluster, fixture('stream-cleanup.ts'), [stopFile]);
      const line = await job.waitLine('TOTAL ', 240_000);
      assert.equal(line, `TOTAL ${BATCHES * 200}`);
      // 20 batches each made one shuffle; only the last one or two may still be held.
      const driverShuffles = h.cluster.driver.dag.mapOutputs.size;
      assert.ok(driverShuffles <= 3, `the driver still tracks ${driverShuffles} shuffles`);
      // Each batch's reduced RDD was persisted; those the stream forgot were unpersisted, and
      // the DAG scheduler forgets them too (it kept every one: 20 after 20 batches).
      const tables = h.cluster.driver.dag.jobTableSizes(job.id);
      assert.ok(tables !== undefined && tables.persisted >= 1 && tables.persisted <= 3, `the driver lists ${tables?.persisted} persisted RDDs of the job`);

      // The workers: every map output (one block per map task) a shuffle id of this job
      // could have (ids are numbered from 0 per job; 3x the batches covers them all).
      const shuffleIds = Array.from({ length: BATCHES * 3 }, (_, s) => s);
      const trackedNow = (): Set<number> => new Set(shuffleIds.filter((s) => (h.cluster.driver.dag.mapOutputs.locations(job.id, s)?.length ?? 0) > 0));
      const ids = shuffleIds.flatMap((s) => Array.from({ length: MAPS }, (_, m) => `shuffle_${job.id}_${s}_${m}`));
      const heldShuffles = async (): Promise<Set<number>> => {
        const held = new Set<number>();
        for (const w of h.cluster.driver.registry.all()) {
          for (const id of (await blocksOn(w.address, h.cluster.secret, ids)).keys()) held.add(Number(id.split('_')[2]));
        }
        return held;
      };
      // Positive control: the shuffles the driver still tracks are on the workers, so the
      // look-up does find shuffle blocks when they are there.
      // The last batch's completion may still be dropping the batch before it as TOTAL is
      // printed, so the control takes the shuffles the driver tracked both before and after
      // the look-up (nothing is registered again once dropped): those were never dropped.
      const before = trackedNow();
      let held = await heldShuffles();
      const after = trackedNow();
      const tracked = new Set([...before].filter((s) => after.has(s)));
      assert.ok(tracked.size > 0, 'the driver still tracks the last batch’s shuffle');
      for (const s of tracked) assert.ok(held.has(s), `shuffle ${s}, tracked by the driver, is on a worker`);
      // The driver tells the workers asynchronously: allow 60 s for the last removals to land
      // (under a quiet machine they land in well under 1 s; 5 s could lapse at load 30-40).
      const deadline = Date.now() + 60_000;
      let leaked = [...held].filter((s) => !trackedNow().has(s));
      while (leaked.length > 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        held = await heldShuffles();
        leaked = [...held].filter((s) => !trackedNow().has(s));
      }
      assert.deepEqual(leaked, [], `the workers still hold blocks of ${leaked.length} shuffles the driver dropped (of ${BATCHES})`);

      fs.writeFileSync(stopFile, '');
      const run = await within(job.done, 120_000, 'the job to end');
      assert.equal(run.ok, true, JSON.stringify(run.failure));
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
