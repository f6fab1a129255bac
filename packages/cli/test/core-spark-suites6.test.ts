// Where Sluice differed from Spark's core semantics (probed through `sluice run` against Spark's code and
// suites), on a cluster of 2 worker processes: repartitionAndSortWithinPartitions' `ascending` and partition
// count as PySpark's signature (Scala's takes only a partitioner; PySpark is the precedent of a dynamic
// language), and SparkContext.union of no RDD. Expected values are computed here from the inputs, never by
// Sluice. One cluster for the file.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fixture as fixturePath } from './harness.js';
import { runSparkCases, type SparkCaseRun } from './spark-case-run.js';

let cases: SparkCaseRun;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-core-spark-suites6-'));

before(async () => {
  cases = await runSparkCases('core-spark-suites6.ts', [tmp]);
});

after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const range = (from: number, until: number): number[] => Array.from({ length: Math.max(0, until - from) }, (_, i) => from + i);
/** The fixture's keys: (i * 7) % 40 for i in [0, 40), each of 0..39 once. */
const keys = range(0, 40).map((i) => (i * 7) % 40);
const asc = (xs: readonly number[]): number[] => [...xs].sort((a, b) => a - b);
const desc = (xs: readonly number[]): number[] => [...xs].sort((a, b) => b - a);

test('repartitionAndSortWithinPartitions(partitioner, false): placed by the partitioner, each partition sorted descending (PySpark\'s ascending); ascending by default', () => {
  const byMod = (order: (xs: readonly number[]) => number[]): number[][] => range(0, 3).map((p) => order(keys.filter((k) => k % 3 === p)));
  assert.deepEqual(cases.one('rasw-custom-descending'), { partitions: 3, keys: byMod(desc) });
  assert.deepEqual(cases.one('rasw-custom-ascending'), { partitions: 3, keys: byMod(asc) });
});

test('repartitionAndSortWithinPartitions(n, false): n hash partitions (PySpark\'s numPartitions), each descending, placed as partitionBy places them', () => {
  const { sorted, placed } = cases.one<{ sorted: { partitions: number; keys: number[][] }; placed: number[][] }>('rasw-count-descending');
  assert.equal(sorted.partitions, 4);
  assert.deepEqual(asc(sorted.keys.flat()), asc(keys), 'every pair once');
  for (const p of sorted.keys) assert.deepEqual(p, desc(p), 'each partition descending');
  assert.deepEqual(sorted.keys.map(asc), placed);
  assert.ok(sorted.keys.filter((p) => p.length > 0).length > 1, 'spread over more than one partition');
});

test('repartitionAndSortWithinPartitions(RangePartitioner.of(4), false): the ranges ascending (the partitioner\'s), each partition descending', () => {
  // 40 distinct keys, every one sampled (weight 1): Spark's determineBounds closes a share of 10 where the
  // cumulative count first goes past it, and getPartition puts a key in the first partition whose bound is >= it.
  const ordered = asc(keys);
  const bounds: number[] = [];
  for (let i = 0, target = 10; i < ordered.length && bounds.length < 3; i++) {
    if (i + 1 > target) {
      bounds.push(ordered[i]);
      target += 10;
    }
  }
  assert.deepEqual(bounds, [10, 20, 30]);
  const want = range(0, 4).map((p) => desc(keys.filter((k) => bounds.filter((b) => k > b).length === p)));
  assert.deepEqual(cases.one('rasw-range-descending'), { partitions: 4, keys: want });
});

test('repartitionAndSortWithinPartitions refuses what it does not take: a third argument (PySpark\'s keyfunc), a function or a string for ascending', () => {
  const r = cases.one<Record<string, { code: string | null; message: string }>>('rasw-refused');
  for (const [name, e] of Object.entries(r)) assert.equal(e.code, 'SLUICE_BAD_ARGUMENT', `${name}: ${e.message}`);
  assert.match(r.keyfunc.message, /takes \(partitioner, ascending\), got 3 arguments.*map the pairs/);
  assert.match(r.partitionFunc.message, /ascending must be true or false, got a function.*CustomPartitioner\.of/);
  assert.match(r.ascendingString.message, /ascending must be true or false, got false/);
});

test('SparkContext.union of no RDD: an RDD with no partition and no element, as Spark\'s union of an empty Seq; it unions with others', () => {
  assert.deepEqual(cases.one('union-of-none'), { partitions: 0, count: 0, collect: [], withOther: [1, 2] });
});

test('RDD.toString as Spark\'s: [name ]Class[id] at creation site, no storage level; toDebugString\'s line adds [level]', () => {
  const r = cases.one<{ namedId: number; plainId: number; named: string; plain: string; namedDebug: string }>('rdd-toString');
  // The creation site: parallelize at the fixture's line that called it (Spark's `parallelize at File.scala:12`).
  const lines = fs.readFileSync(fixturePath('core-spark-suites6.ts'), 'utf8').split('\n');
  const at = (marker: string): string => `${fixturePath('core-spark-suites6.ts')}:${lines.findIndex((l) => l.includes(marker)) + 1}:`;
  const col = (s: string, marker: string): string => s.replace(new RegExp(`(${at(marker).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')})\\d+`), '$1COL');
  assert.equal(col(r.named, '// toString: named'), `numbers ParallelCollectionRDD[${r.namedId}] at parallelize at ${at('// toString: named')}COL`);
  assert.equal(col(r.plain, '// toString: plain'), `ParallelCollectionRDD[${r.plainId}] at parallelize at ${at('// toString: plain')}COL`);
  assert.equal(col(r.namedDebug, '// toString: named'), `(2) numbers ParallelCollectionRDD[${r.namedId}] at parallelize at ${at('// toString: named')}COL [MEMORY_ONLY]`);
});

test('CheckpointSuite "checkpointAllMarkedAncestors" (reliable and local): by default only the marked RDD nearest the action is checkpointed; with the local property "true" its marked parent too', () => {
  const values = range(1, 11).map((x) => x + 1);
  const sum = range(1, 11).reduce((a, b) => a + b, 0);
  for (const kind of ['reliable', 'local']) {
    for (const all of [false, true]) {
      const c = `marked-ancestors-${kind}-${String(all)}`;
      assert.deepEqual(
        cases.one(c),
        {
          count: 10,
          after: { rdd1: all, rdd2: true, rdd1File: all && kind === 'reliable' },
          // Not checkpointed by rdd2's job, rdd1 is by its own action later (Spark: doCheckpoint not yet called on it).
          rdd1Later: true,
          rdd2Values: values,
          rdd1Sum: sum,
        },
        c,
      );
    }
  }
});

test('distinct() of an RDD with no partition: empty, no error (Spark\'s distinct(0) over a HashPartitioner(0))', () => {
  assert.deepEqual(cases.one('distinct-no-partition'), { count: 0, collect: [] });
});

test('subtract and subtractByKey of an RDD with no partition: empty, no error; subtracting one leaves the other whole', () => {
  assert.deepEqual(cases.one('subtract-no-partition'), { subtract: [], subtractByKey: [], fromNonEmpty: [1, 2, 3] });
});

test('AccumulatorV2.toString as Spark\'s: Class(id: n, name: Some(x) or None, value: v), a double as Scala prints it, a collection as a Java list; a copy "Un-registered Accumulator: Class"', () => {
  const r = cases.one<{ ids: number[]; rows: string; total: string; seen: string; copy: string }>('accumulator-toString');
  const [rows, total, seen] = r.ids;
  assert.equal(r.rows, `LongAccumulator(id: ${rows}, name: Some(rows), value: 3)`);
  // Scala prints a whole Double with '.0': 1.5 + 2.5 + 2 is 6.0.
  const sum = 1.5 + 2.5 + 2;
  assert.equal(r.total, `DoubleAccumulator(id: ${total}, name: None, value: ${Number.isInteger(sum) ? `${sum}.0` : String(sum)})`);
  assert.equal(r.seen, `CollectionAccumulator(id: ${seen}, name: Some(seen), value: [a, z])`);
  assert.equal(r.copy, 'Un-registered Accumulator: LongAccumulator');
});
