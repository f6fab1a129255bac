// The context cleaner with the driver program's thread collected every 5 ms (the test-only
// switch SLUICE_TEST_GC_EVERY_MS, set here before the cluster starts its job threads): on a real
// cluster (2 worker processes), what the program holds stays while the collector runs as often
// as it ever may: a shuffle's map outputs (its second action recomputes no map record) and a
// cached RDD's blocks (none recomputed), the broadcast its function captures; what it dropped is
// cleaned: a cached RDD unpersisted, a checkpointed RDD's checkpoint deleted, and when the program
// ends its rdds/ directory is left empty (the empty rdds/<attempt>/ stayed when the collector had
// deleted every checkpoint before the end). Expected values are computed here from the inputs.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fixture, jsonLine, withCluster } from './harness.js';

interface Seen {
  readonly first: [number, number][];
  readonly second: [number, number][];
  readonly mapped: number;
  readonly cachedFirst: number;
  readonly cachedSecond: number;
  readonly cachedMapped: number;
  readonly cachedId: number;
  readonly dropped: { readonly persisted: number; readonly checkpointed: number };
  readonly persistent: number[];
  readonly checkpointsBefore: string[];
  readonly checkpointsAfter: string[];
  readonly waitedMs: number;
}

test('under a collection every 5 ms, held shuffles, cached blocks and broadcasts stay; dropped cached RDDs and checkpoints are cleaned; rdds/ is empty at the end', { timeout: 120_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-cleaner-gc-'));
  const before = process.env.SLUICE_TEST_GC_EVERY_MS;
  process.env.SLUICE_TEST_GC_EVERY_MS = '5';
  try {
    const ckpt = path.join(dir, 'ckpt');
    await withCluster({ workers: 2, coresPerWorker: 1 }, async (h) => {
      const run = await h.run(fixture('cleaner-under-gc.ts'), [ckpt]);
      assert.ok(run.ok, `${JSON.stringify(run.failure)}\n${run.lines.join('\n')}`);
      const seen = jsonLine<Seen>(run.lines, 'CLEANER_GC ');
      console.log(`# the dropped cached RDD unpersisted and checkpoint deleted ${seen.waitedMs} ms after the program dropped them`);
      const n = 40;
      const sums = [0, 1, 2, 3].map((k) => [k, Array.from({ length: n }, (_, i) => i).filter((i) => i % 4 === k).reduce((a, b) => a + b, 0)]);
      assert.deepEqual(seen.first, sums);
      assert.deepEqual(seen.second, sums);
      assert.equal(seen.mapped, n, "the shuffle's map side ran once: the second action read the map outputs the collections left");
      const cachedSum = Array.from({ length: n }, (_, i) => i + 1000).reduce((a, b) => a + b, 0);
      assert.deepEqual([seen.cachedFirst, seen.cachedSecond, seen.cachedMapped], [cachedSum, cachedSum, n], 'the cached RDD was computed once; its broadcast was still there');
      assert.deepEqual(seen.persistent, [seen.cachedId], 'the dropped cached RDD was unpersisted; the held one is still persisted');
      assert.deepEqual(seen.checkpointsBefore, [`rdd-${seen.dropped.checkpointed}`], 'the dropped RDD was checkpointed');
      assert.deepEqual(seen.checkpointsAfter, [], "the dropped RDD's checkpoint was deleted once collected");
      const left = fs.existsSync(path.join(ckpt, 'rdds')) ? fs.readdirSync(path.join(ckpt, 'rdds')) : [];
      assert.deepEqual(left, [], 'rdds/ after the program ended');
    });
  } finally {
    if (before === undefined) delete process.env.SLUICE_TEST_GC_EVERY_MS;
    else process.env.SLUICE_TEST_GC_EVERY_MS = before;
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
