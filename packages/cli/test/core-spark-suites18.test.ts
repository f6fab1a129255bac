// Two core suites docs/spark-suites.md did not list, SparkContextInfoSuite and FutureActionSuite,
// run through Sluice's public API on a cluster of 2 worker processes (fixture
// core-spark-suites18.ts, one job). Expected values are Spark's assertions, or worked out from
// Spark's code for the case's inputs (each comment says which).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { before, test } from 'node:test';
import { fixture } from './harness.js';
import { runSparkCases, type SparkCaseRun } from './spark-case-run.js';

let cases: SparkCaseRun;

/** Spark's StorageLevel.MEMORY_ONLY: StorageLevel(false, true, false, true), one replica. */
const MEMORY_ONLY = { useDisk: false, useMemory: true, useOffHeap: false, deserialized: true, replication: 1 };

before(async () => {
  cases = await runSparkCases('core-spark-suites18.ts', [process.env.SLUICE_CASES ?? ''], { workers: 2 });
});

test('SparkContextInfoSuite "getPersistentRDDs only returns RDDs that are marked as cached"', () => {
  const r = cases.one<{ atStart: number[]; afterMake: number[]; id: number; after: number[]; same: boolean }>('persistent-cached-only');
  assert.deepEqual(r.atStart, []);
  assert.deepEqual(r.afterMake, []);
  assert.deepEqual(r.after, [r.id]);
  assert.equal(r.same, true);
});

test('SparkContextInfoSuite "getPersistentRDDs returns an immutable map": a map asked before a second cache() still has one RDD; changing a map given changes nothing', () => {
  const r = cases.one<{
    id1: number;
    id2: number;
    first: { ids: number[]; same: boolean; level: unknown };
    second: { ids: number[]; same: boolean[]; levels: unknown[] };
    firstAgain: { ids: number[]; same: boolean; level: unknown };
    afterDelete: number[];
  }>('persistent-immutable');
  assert.deepEqual(r.first, { ids: [r.id1], same: true, level: MEMORY_ONLY });
  assert.deepEqual(r.second, { ids: [r.id1, r.id2], same: [true, true], levels: [MEMORY_ONLY, MEMORY_ONLY] });
  assert.deepEqual(r.firstAgain, r.first);
  // Spark's map is immutable; Sluice's a copy: the delete did not unlist rdd1.
  assert.deepEqual(r.afterDelete, [r.id1, r.id2]);
});

test('SparkContextInfoSuite "getRDDStorageInfo only reports on RDDs that actually persist data": none before the first action, then the RDD, cached in memory, MEMORY_ONLY', () => {
  const r = cases.one<{ id: number; before: number[]; collected: number[]; infos: { id: number; numCachedPartitions: number; memSize: number; storageLevel: unknown }[] }>('storage-info-persisted');
  assert.deepEqual(r.before, []);
  assert.deepEqual(r.collected, [1, 2, 3, 4]);
  assert.equal(r.infos.length, 1, JSON.stringify(r.infos));
  const [info] = r.infos;
  // Spark's isCached: numCachedPartitions > 0 and bytes held; memSize > 0.
  assert.equal(info.id, r.id);
  assert.equal(info.numCachedPartitions, 2);
  assert.ok(info.memSize > 0, JSON.stringify(info));
  assert.deepEqual(info.storageLevel, MEMORY_ONLY);
});

test('SparkContextInfoSuite "call sites report correct locations": the RDD\'s creation site is `makeRDD at <the program\'s file>:<the line>`', () => {
  const r = cases.one<{ shown: string }>('call-site');
  const file = fixture('core-spark-suites18.ts');
  const line = fs.readFileSync(file, 'utf8').split('\n').findIndex((l) => l.includes('// site: makeRDD')) + 1;
  assert.ok(line > 0);
  const escaped = file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  assert.match(r.shown, new RegExp(` at makeRDD at ${escaped}:${line}:\\d+$`), r.shown);
});

test('FutureActionSuite "simple async action": countAsync gives 10, from one job', () => {
  assert.deepEqual(cases.one('simple-async'), { res: 10, jobIds: 1, done: true });
});

test('FutureActionSuite "complex async action": takeAsync(10) of 1..15 in 3 partitions gives 1..10, from two jobs', () => {
  // Spark's take: the first job scans partition 0 (5 elements); then min(max(1.5 * 10 * 1 / 5 - 1, 1),
  // 1 * 4) = 2 more partitions, a second job; 10 elements by then.
  assert.deepEqual(cases.one('complex-async'), { res: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], jobIds: 2, distinct: 2 });
});
