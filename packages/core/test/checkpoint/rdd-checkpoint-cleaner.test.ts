// The cleaner of the checkpoints of RDDs a program marked (rdd-checkpoint-cleaner.ts, Spark's
// ContextCleaner with spark.cleaner.referenceTracking.cleanCheckpoints) on its own, over a local
// checkpoint directory: a checkpoint whose RDD was collected is deleted, one whose RDD is still
// reachable is kept, and when the program ends (removeAll) its rdds/<attempt>/ directory is gone
// whether or not the collector had already deleted every checkpoint in it; another attempt's stays.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { joinCheckpointLocation } from '../../src/checkpoint/checkpoint-location.js';
import { LocalCheckpointStore } from '../../src/checkpoint/local-checkpoint-store.js';
import { RDDS_DIR, RddCheckpointCleaner } from '../../src/checkpoint/rdd-checkpoint-cleaner.js';
import { collectGarbage } from '../../src/util/collect-garbage.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-rdd-ckpt-cleaner-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

/** Collect and let the finalizers run, until `done()` (bounded: 200 rounds). */
async function collectUntil(done: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !done(); i++) {
    collectGarbage();
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Write RDD `rddId`'s one-part checkpoint as the context would and tell the cleaner `rdd` reads it. */
async function checkpoint(cleaner: RddCheckpointCleaner, store: LocalCheckpointStore, rdd: object, rddId: number): Promise<string> {
  const key = cleaner.keyFor(rddId);
  await store.write(`${key}/part-00000`, `rdd ${rddId}`);
  cleaner.written(rdd, store, key, joinCheckpointLocation(store.location, key));
  return path.join(store.location, ...key.split('/'));
}

test("a collected RDD's checkpoint is deleted, a reachable one's kept; the program's end leaves no rdds/<attempt>/ even when the collector deleted all of it", async () => {
  for (const keepOne of [true, false]) {
    const store = new LocalCheckpointStore(path.join(root, keepOne ? 'kept' : 'all-collected'));
    await store.ensure();
    const other = path.join(store.location, RDDS_DIR, 'aaaaaaaaaaaa', 'rdd-3');
    fs.mkdirSync(other, { recursive: true });
    const warned: string[] = [];
    const cleaner = new RddCheckpointCleaner((message) => warned.push(message));
    const kept = { id: 1 };
    const keptDir = keepOne ? await checkpoint(cleaner, store, kept, 1) : undefined;
    // Made and dropped inside: nothing reaches the RDD object once this returns.
    const goneDir = await (async () => checkpoint(cleaner, store, { id: 2 }, 2))();
    await collectUntil(() => !fs.existsSync(goneDir));
    assert.equal(fs.existsSync(goneDir), false, "the collected RDD's checkpoint is deleted");
    if (keptDir !== undefined) assert.ok(fs.existsSync(path.join(keptDir, 'part-00000')), "the reachable RDD's checkpoint is kept");
    assert.equal(cleaner.liveCount, keepOne ? 1 : 0);
    await cleaner.removeAll();
    assert.deepEqual(fs.readdirSync(path.join(store.location, RDDS_DIR)), ['aaaaaaaaaaaa'], `rdds/ after the program's end (${keepOne ? 'one checkpoint left to it' : 'all deleted as garbage before'}): only the other attempt's`);
    assert.ok(fs.existsSync(other), "another attempt's checkpoints are not this context's to delete");
    assert.deepEqual(warned, []);
    assert.equal(kept.id, 1);
  }
});
