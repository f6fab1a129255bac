// Two cases docs/spark-suites.md listed as not ported, CheckpointSuite (core) "cache checkpoint
// preferred location" and DStreamScopeSuite "dstream without scope", run through Sluice's public
// API on a cluster of 2 worker processes (fixture core-spark-suites17.ts, one job). Expected
// values are Spark's assertions, or worked out from Spark's code for the case's inputs (each
// comment says which); where a task ran comes from the listener's task ends, never from the
// preferredLocations under test.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { runSparkCases, type SparkCaseRun } from './spark-case-run.js';

let cases: SparkCaseRun;

before(async () => {
  cases = await runSparkCases('core-spark-suites17.ts', [process.env.SLUICE_CASES ?? ''], { workers: 2 });
});

interface TaskEnd {
  stageId: number;
  index: number;
  executorId: string;
  locality: string;
  ok: boolean;
}

interface Scope {
  id: string;
  name: string;
  parent?: Scope;
}

const ONE_TO_20 = Array.from({ length: 20 }, (_, i) => i + 1);

test('CheckpointSuite (core) "cache checkpoint preferred location": a checkpointed RDD answers its partition\'s place the same each time asked; checkpointed alone none (a local file has no host), cached too the worker holding the block, where the next action\'s task runs', () => {
  const r = cases.one<{
    plainCollected: number[];
    plainPrefs: string[][];
    before: string[];
    collected: number[];
    checkpointed: boolean;
    lineage: string;
    computedOn: TaskEnd;
    asked: string[][];
    mappedPrefs: string[];
    sum: number;
    count: number;
    max: number;
    nextTasks: TaskEnd[];
    afterUnpersist: string[];
  }>('cache-checkpoint-location');
  // Spark: ReliableCheckpointRDD's place is the checkpoint file's first block's hosts less
  // "localhost", so none for a file of the local file system.
  assert.deepEqual(r.plainCollected, ONE_TO_20);
  assert.deepEqual(r.plainPrefs, [[], []]);
  // Spark's assertions: collect gives 1 to 20 and the RDD's first parent is its checkpoint.
  assert.deepEqual(r.collected, ONE_TO_20);
  assert.equal(r.checkpointed, true);
  assert.match(r.lineage.split('\n')[1] ?? '', /ReliableCheckpointRDD/, r.lineage);
  // Not yet computed, no block is cached anywhere.
  assert.deepEqual(r.before, []);
  // DAGScheduler.getPreferredLocs looks at the cache first: the worker the collect's task ran on
  // (and cached the partition on), the same answer each time asked (Spark's case: the answer is
  // the remembered one), a map's the same (a narrow dependency).
  assert.equal(r.computedOn.ok, true);
  assert.equal(r.computedOn.index, 0);
  assert.match(r.computedOn.executorId, /^worker-/);
  assert.deepEqual(r.asked, [[r.computedOn.executorId], [r.computedOn.executorId], [r.computedOn.executorId]]);
  assert.deepEqual(r.mappedPrefs, [r.computedOn.executorId]);
  // The next three actions over it (2 * (1 + ... + 20), 20, 2 * 20): each one task, on that
  // worker (by chance 1 in 8), process-local.
  assert.deepEqual([r.sum, r.count, r.max], [2 * 210, 20, 40]);
  assert.equal(r.nextTasks.length, 3);
  for (const t of r.nextTasks) {
    assert.deepEqual([t.executorId, t.locality, t.ok], [r.computedOn.executorId, 'PROCESS_LOCAL', true]);
    assert.ok(t.stageId > r.computedOn.stageId, JSON.stringify(r.nextTasks));
  }
  // Unpersisted, the checkpoint's place again: none.
  assert.deepEqual(r.afterUnpersist, []);
});

test('DStreamScopeSuite "dstream without scope": a DStream subclass made outside any operation has no base scope and its batches\' RDDs none; RDDs made in its compute have their own operations\' scopes, no stream\'s', () => {
  const r = cases.one<{
    baseScope: string | null;
    mappingBase: string | null;
    perBatch: { time: number; scope: Scope | null; sliced: Scope | null; partitions: number; mapping: Scope | null; mappingValues: number[] }[];
    emptyAfter: Scope | null;
    parallelizeAfter: Scope | null;
  }>('dstream-without-scope');
  // Spark's assertions: baseScope === None, getOrCompute(Time(1000 | 2000 | 3000)).get.scope === None.
  assert.equal(r.baseScope, null);
  assert.equal(r.mappingBase, null);
  assert.deepEqual(r.perBatch.map((b) => b.time), [1000, 2000, 3000]);
  for (const b of r.perBatch) {
    assert.equal(b.scope, null, `batch ${b.time}`);
    assert.equal(b.sliced, null, `batch ${b.time} by slice`);
    assert.equal(b.partitions, 0);
    // Spark's createRDDWithLocalProperties sets no scope when makeScope gives none, so the
    // map's withScope makes its own: "map", no parent.
    assert.equal(b.mapping?.name, 'map', JSON.stringify(b.mapping));
    assert.equal(b.mapping?.parent, undefined);
    assert.deepEqual(b.mappingValues, [b.time + 1]);
  }
  // Spark's afterEach (assertPropertiesNotSet): no scope left set after the batches.
  assert.equal(r.emptyAfter, null);
  assert.equal(r.parallelizeAfter?.name, 'parallelize');
  assert.equal(r.parallelizeAfter?.parent, undefined);
});
