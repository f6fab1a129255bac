// rdd.localCheckpoint() as Spark's (LocalRDDCheckpointData, LocalCheckpointRDD) on a
// cluster of 2 worker processes: the RDD is persisted with disk, its lineage cut once an
// action computed it (the partitions that action left out computed then), so later jobs
// read its cached blocks only; a block lost with its worker (kill -9) fails the job with
// an error that says so and points at checkpoint(), while a reliable checkpoint() of the
// same data survives the kill. Expected values are computed here with plain JS.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fixture, pollUntil, startJob, within, withCluster } from './harness.js';
import { ReportedOutcomes } from './reported-outcomes.js';
import { printed } from './spark-storage-levels.js';

const N = 5000;
const PARTS = 4;
const small = Array.from({ length: 30 }, (_, i) => (i * 37) % 101);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-local-ckpt-'));
const inputFile = path.join(tmp, 'inputs.json');
const gate = path.join(tmp, 'gate');
const ckpt = path.join(tmp, 'ckpt');
fs.writeFileSync(inputFile, JSON.stringify({ n: N, parts: PARTS, small }));

const reported = new ReportedOutcomes();
const got = <T>(name: string): T => reported.got<T>(name);
const failed = (name: string): { error: string; code: string | null } => reported.failed(name);
/** How many of the checkpointed RDD's blocks the killed worker held (1 to 4). */
let victimBlocks = 0;

before(async () => {
  await withCluster({ workers: 0, logLevel: 'error', driver: { workerTimeoutMs: 2000, heartbeatIntervalMs: 500 } }, async (h) => {
    // Workers started one at a time, so each registered id is known to belong to its process.
    const procs = new Map<string, ChildProcess>();
    for (let i = 0; i < 2; i++) {
      const known = new Set(h.cluster.driver.registry.all().map((w) => w.id));
      const child = h.cluster.addWorker();
      await h.cluster.waitForWorkers(known.size + 1, 30_000);
      procs.set(h.cluster.driver.registry.all().find((w) => !known.has(w.id))!.id, child);
    }
    const job = await startJob(h.cluster, fixture('rdd-local-checkpoint.ts'), [inputFile, gate, ckpt]);
    const mark = await job.waitLine('MARK ready ', 90_000);
    const rddId = Number(mark.slice('MARK ready '.length));
    // The worker holding most of the checkpointed RDD's blocks (each of the 4 is on one worker).
    const held = new Map<string, number>();
    for (const [blockId, workers] of h.cluster.driver.dag.blockLocations.entries()) {
      if (!new RegExp(`^rdd_.*_${rddId}_\\d+$`).test(blockId)) continue;
      for (const w of workers) held.set(w, (held.get(w) ?? 0) + 1);
    }
    const [victimId, blocks] = [...held].sort((a, b) => b[1] - a[1])[0] ?? ['', 0];
    victimBlocks = blocks;
    const victim = procs.get(victimId);
    assert.ok(victim, `a worker holds blocks of rdd ${rddId}: ${JSON.stringify([...held])}`);
    victim.kill('SIGKILL');
    await pollUntil(() => (h.cluster.driver.registry.get(victimId) === undefined ? true : undefined), 30_000, 'the driver to drop the killed worker');
    fs.writeFileSync(gate, '');
    reported.read(await within(job.done, 90_000, 'the job to end after the kill'));
  });
});

after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const values = Array.from({ length: N }, (_, x) => x * 3 + 1);

test('localCheckpoint: MEMORY_AND_DISK, lineage cut after the first action (first() computes one partition, the rest then), results as without it', () => {
  const r = got<{
    before: { level: string; checkpointed: boolean; locally: boolean; debug: string };
    first: number;
    after: { checkpointed: boolean; locally: boolean; file: string | null; debug: string };
    collected: number[];
    count: number;
    sums: [number, number][];
    childDebug: string;
    computed: number;
    rddId: number;
  }>('localCheckpoint');
  assert.deepEqual(r.before.level, printed('MEMORY_AND_DISK'));
  assert.equal(r.before.checkpointed, false);
  assert.equal(r.before.locally, true, 'isLocallyCheckpointed() once marked, before any action');
  // Before: the map over the range; after: the map over its own blocks, nothing below.
  assert.match(r.before.debug, /MapPartitionsRDD\[\d+\] at map .*\[MEMORY_AND_DISK\]\n\s+\|\s+ParallelCollectionRDD\[\d+\] at range at \S+ \[\]$/);
  assert.equal(r.first, values[0]);
  assert.equal(r.after.checkpointed, true);
  assert.equal(r.after.locally, true);
  assert.equal(r.after.file, null, 'getCheckpointFile() of a local checkpoint is undefined (Spark: None)');
  const afterLines = r.after.debug.split('\n');
  assert.equal(afterLines.length, 2, r.after.debug);
  assert.match(afterLines[0], new RegExp(`^\\(${PARTS}\\) MapPartitionsRDD\\[${r.rddId}\\] at map .*\\[MEMORY_AND_DISK\\]$`));
  assert.match(afterLines[1], /^\s+\|\s+LocalCheckpointRDD at localCheckpoint/);
  assert.deepEqual(r.collected, values);
  assert.equal(r.count, N);
  const sums = new Map<number, number>();
  for (const v of values) sums.set(v % 7, (sums.get(v % 7) ?? 0) + v);
  assert.deepEqual(r.sums, [...sums].sort((a, b) => a[0] - b[0]));
  assert.doesNotMatch(r.childDebug, /ParallelCollectionRDD/, 'a child of the checkpointed RDD does not reach the range');
  assert.match(r.childDebug, /LocalCheckpointRDD/);
  // Every element computed once: first()'s partition, the other three by the checkpoint's job, then only blocks read.
  assert.equal(r.computed, N);
});

test('localCheckpoint: disk added to the storage level, before or after persist(), as Spark\'s transformStorageLevel', () => {
  assert.deepEqual(got('levels'), { none: printed('MEMORY_AND_DISK'), memoryOnlyBefore: printed('MEMORY_AND_DISK'), memoryOnlyAfter: printed('MEMORY_AND_DISK'), diskOnly: printed('DISK_ONLY') });
});

test('localCheckpoint and checkpoint: checkpoint() after localCheckpoint() is ignored, localCheckpoint() after checkpoint() overrides it; nothing written', () => {
  const r = got<{ aCount: number; aFile: string | null; aDebug: string; aLocally: boolean; bSum: number; bFile: string | null; bDebug: string; bLocally: boolean; rdds: string[] }>('mixed');
  assert.equal(r.aLocally, true);
  assert.equal(r.bLocally, true);
  assert.equal(r.aCount, small.length);
  assert.equal(r.aFile, null);
  assert.match(r.aDebug, /LocalCheckpointRDD/);
  assert.equal(r.bSum, small.reduce((a, x) => a + x + 2, 0));
  assert.equal(r.bFile, null);
  assert.match(r.bDebug, /LocalCheckpointRDD/);
  assert.doesNotMatch(r.bDebug, /ReliableCheckpointRDD/);
  // The reliable checkpoint made later in the fixture was not written yet when this ran.
  assert.deepEqual(r.rdds, []);
});

test("isLocallyCheckpointed as PySpark's test_basic_localcheckpointing; false for an RDD checkpointed reliably before localCheckpoint()", () => {
  // flatMap(x => 1..x) over [1, 2, 3, 4], written out.
  const result = [1, 1, 2, 1, 2, 3, 1, 2, 3, 4];
  assert.deepEqual(got('pysparkBasic'), { unmarked: { checkpointed: false, locally: false }, marked: { checkpointed: true, locally: true }, result, again: result });
  assert.deepEqual(got('reliableThenLocal'), { checkpointed: true, locally: false });
});

test('localCheckpoint: an unpersisted locally checkpointed RDD cannot be recomputed: the job fails saying why', () => {
  const e = failed('unpersisted');
  assert.equal(e.code, 'SLUICE_CHECKPOINT');
  assert.match(e.error, /partition \d of rdd \d+ was locally checkpointed \(rdd\.localCheckpoint\(\)\) and its block rdd_\S+ is lost: the worker that held it is gone, or the RDD was unpersisted/);
  assert.match(e.error, /use rdd\.checkpoint\(\) after sc\.setCheckpointDir\(dir\)/);
});

test('localCheckpoint: a worker killed with -9 loses its blocks; the job fails with the clear error (no hang, no wrong result); checkpoint() survives', () => {
  assert.ok(victimBlocks >= 1);
  for (const name of ['afterKillLocal', 'afterKillChild']) {
    const e = failed(name);
    // The task's code, not SLUICE_TASK_FAILED: no retry could bring the block back.
    assert.equal(e.code, 'SLUICE_CHECKPOINT', name);
    assert.match(e.error, /^Job aborted due to stage failure: Task \d+ in stage \d+\.\d+ failed 4 times, most recent failure: Lost task \d+\.\d+ in stage \d+\.\d+ \(TID \S+\) \(worker \S+\): /, name);
    assert.match(e.error, /was locally checkpointed \(rdd\.localCheckpoint\(\)\) and its block rdd_\S+ is lost/, name);
    assert.match(e.error, /A local checkpoint does not survive the loss of a worker; use rdd\.checkpoint\(\)/, name);
  }
  assert.deepEqual(got('afterKillReliable'), { length: N, sum: (5 * N * (N - 1)) / 2 });
  // A reliable checkpoint's part file removed afterwards: SLUICE_CHECKPOINT too, naming the file.
  const lost = failed('reliableFileLost');
  assert.equal(lost.code, 'SLUICE_CHECKPOINT', lost.error);
  assert.match(lost.error, /cannot read checkpoint file '[^']*part-0[^']*': it does not exist/);
});
