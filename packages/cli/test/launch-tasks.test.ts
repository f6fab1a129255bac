import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fixture, jsonLine, withCluster } from './harness.js';

// Many tasks per call (Worker.LaunchTasks): driver + 2 worker processes x 4 cores, so a
// scheduling pass gives each worker up to 4 tasks in one call. One task of such a call
// fails its first attempt (a user error): it alone is retried, the others' results stand,
// and the results equal what this test computes from the input. A map stage and a reduce
// stage (a shuffle) run the same way.

test('tasks launched several per call: one failing among them is retried alone; results are exact', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-launch-tasks-'));
  try {
    const marker = path.join(dir, 'failed-once');
    const n = 400;
    const parts = 16;
    const failAt = 137;
    await withCluster({ workers: 2, coresPerWorker: 4 }, async ({ run }) => {
      const r = await run(fixture('batch-launch.ts'), [marker, String(failAt), String(n), String(parts)]);
      assert.ok(r.ok, `the job failed: ${r.failure?.message}`);
      assert.ok(fs.existsSync(marker), 'the task of record 137 failed once (it made the marker)');
      let sum = 0;
      for (let x = 0; x < n; x++) sum += x * 3;
      assert.equal(Number(r.lines.find((l) => l.startsWith('SUM '))?.slice(4)), sum);
      const expected = new Map<number, number>();
      for (let x = 0; x < n; x++) expected.set(x % 7, (expected.get(x % 7) ?? 0) + 1);
      assert.deepEqual(jsonLine<[number, number][]>(r.lines, 'COUNTS '), [...expected.entries()].sort((a, b) => a[0] - b[0]));
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
