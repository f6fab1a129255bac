// Spark semantics on a real local cluster (a driver with a web port and 2 worker processes,
// started once for the file), and `sluice run` where a driver option is the point. What each
// case expects is Spark's, worked out here from Spark's sources, not from Sluice's code:
// - spark.speculation defaults to false (core/.../internal/config/package.scala: SPECULATION_ENABLED
//   createWithDefault(false)); turned on, a straggler gets a copy (TaskSetManager.checkSpeculatableTasks)
//   and the listener's TaskInfo.speculative marks it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fixture, jsonLine, runCli, startJob, withCluster } from './harness.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-sss10-'));
const SPECULATION = fixture('speculation-probe.ts');

interface Spec {
  values: number[];
  attempts: number;
  speculativeSucceeded: number;
}

/** A fresh directory under the file's scratch root. */
function dir(name: string): string {
  const d = path.join(tmp, name);
  fs.mkdirSync(d);
  return d;
}

test('Spark semantics, suite 10 (one cluster for the file)', { timeout: 300_000 }, async (t) => {
  try {
    await withCluster({ workers: 2, driver: { webPort: 0 } }, async (h) => {
      await t.test("speculation is off by default (spark.speculation=false): a straggler gets no copy; `sluice run --speculation` turns it on and the copy's task end is speculative", async () => {
        const expected = [0, 1, 2, 3].map((x) => x * 10);
        // The default driver: partition 0's first attempt waits 5 s for a copy, 5x the 1 s
        // minimum run time and far past 1.5x the median of the others (milliseconds).
        const off = dir('off');
        const offRun = startJob(h.cluster, SPECULATION, [off, '5000']).then((j) => j.done);
        // Turned on (a driver of its own): the first attempt waits for its copy (bounded 120 s).
        const on = dir('on');
        const onRun = runCli(['run', '--speculation', '--speculation-min-runtime', '500ms', SPECULATION, on, '120000'], { timeoutMs: 240_000 });
        const [o, r] = await Promise.all([offRun, onRun]);
        assert.ok(o.ok, String(o.failure));
        assert.deepEqual(jsonLine<Spec>(o.lines, 'SPEC '), { values: expected, attempts: 1, speculativeSucceeded: 0 });
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(jsonLine<Spec>(r.stdout.split('\n'), 'SPEC '), { values: expected, attempts: 2, speculativeSucceeded: 1 });
      });

      await t.test('a speculation setting without --speculation, or a quantile outside (0, 1], is refused naming the flag', async () => {
        const [without, badQuantile] = await Promise.all([
          runCli(['run', '--speculation-quantile', '0.5', SPECULATION, dir('refused'), '0'], { timeoutMs: 120_000 }),
          runCli(['run', '--speculation', '--speculation-quantile', '1.5', SPECULATION, dir('refused2'), '0'], { timeoutMs: 120_000 }),
        ]);
        assert.equal(without.code, 1, without.stderr);
        assert.match(without.stderr, /--speculation-quantile sets how speculation copies tasks, and speculation is off: add --speculation \(Spark's spark\.speculation=true\)/);
        assert.doesNotMatch(without.stdout, /SPEC/);
        assert.equal(badQuantile.code, 1, badQuantile.stderr);
        assert.match(badQuantile.stderr, /--speculation-quantile must be a fraction of a stage's tasks above 0 and at most 1 .*got '1\.5'/);
      });
    });
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
