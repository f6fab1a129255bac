import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fixture, startJob, within, withCluster } from './harness.js';

test('a long stream keeps bounded shuffle state: outputs of forgotten batches are dropped on the driver and the workers', { timeout: 120_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-cleanup-'));
  const stopFile = path.join(dir, 'stop');
  try {
    await withCluster({ workers: 2 }, async (h) => {
      const job = await startJob(h.cluster, fixture('stream-cleanup.ts'), [stopFile]);
      const line = await job.waitLine('TOTAL ', 90_000);
      assert.equal(line, `TOTAL ${20 * 200}`);
      // 20 batches each made one shuffle; only the last one or two may still be held.
      const driverShuffles = h.cluster.driver.dag.mapOutputs.size;
      assert.ok(driverShuffles <= 3, `the driver still tracks ${driverShuffles} shuffles`);
      fs.writeFileSync(stopFile, '');
      const run = await within(job.done, 60_000, 'the job to end');
      assert.equal(run.ok, true, JSON.stringify(run.failure));
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
