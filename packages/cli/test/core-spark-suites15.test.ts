// Spark core's cases docs/spark-suites.md found unported, run through Sluice's public API on a
// cluster of 2 worker processes (fixture core-spark-suites15.ts, one job). Expected values are
// Spark's assertions, or worked out here by hand from the case's inputs with Spark's rules (each
// comment says which), never taken from Sluice:
// - AccumulatorSuite "SPARK-41497: accumulators should be reported in the case of task retry with
//   rdd cache": one partition cached MEMORY_ONLY_2 whose computation adds 100, read by a filter
//   whose first attempt fails: the retry's count is 10 and the accumulator 100 (the failed
//   attempt's update dropped, the retry's kept); a second count reads the cache: still 100. On 2
//   workers, as Spark's test (local-cluster[2, 1, 1024]): the retry avoids the worker its attempt
//   failed on; and a failed attempt's cached partitions are removed from its worker (since
//   2026-12-14), so a retry where one failed computes again: the third attempt, after one failure
//   on each worker, runs where a failed one cached the partition (before: 0, and 0 on one worker).
// - RDDSuite "treeAggregate with ops modifying first args": -1000 at every depth 1-9.
// - RDDSuite "SPARK-40276: takeOrdered with empty RDDs": empty arrays.
// - RDDSuite "SparkContext.union creates UnionRDD if at least one RDD has no partitioner" and
//   "... PartitionAwareUnionRDD if all RDDs have partitioners": the first has no partitioner and
//   the partitions of both inputs; the second keeps the inputs' partitioner and count.
// - RDDSuite "SPARK-32384: repartitionAndSortWithinPartitions without shuffle": an RDD already
//   placed by the partitioner asked for is sorted in place (a OneToOneDependency, the partitioner
//   kept); another partitioner shuffles.
// - PairRDDFunctionsSuite "cogroup with empty RDD", "cogroup with groupByed RDD having 0
//   partitions" (SPARK-9326): Spark asserts a non-empty result; here the whole of it, each key of
//   the left side with its values and an empty group.
// - ShuffleSuite "metrics for shuffle without aggregation", "... with aggregation": 10,000 records
//   written and read either way (a map-side combine writes each key's 100 ones as one record).
// - DistributedSuite "groupByKey where map output sizes exceed maxMbInFlight": 16 groups, 2,000 values
//   in all, each value's 10,000 bytes intact.
// - StreamingContextSuite "stop only streaming context", "stop(stopSparkContext=true) after
//   stop(stopSparkContext=false)": after stop(false) the SparkContext runs a job (100 elements);
//   stop(true) of the stopped context then stops the SparkContext, and a job is refused. Run last.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { runSparkCases, type SparkCaseRun } from './spark-case-run.js';

let cases: SparkCaseRun;

before(async () => {
  cases = await runSparkCases('core-spark-suites15.ts', [process.env.SLUICE_CASES ?? ''], { workers: 2 });
});

type Pair = [number, number];
interface HashP {
  kind: string;
  numPartitions: number;
}

test('AccumulatorSuite "SPARK-41497: accumulators should be reported in the case of task retry with rdd cache": 100 after the retry, 100 after reading the cache', () => {
  assert.deepEqual(cases.one('acc-retry-cache'), {
    ...{ first: 10, afterFirst: 100, second: 10, afterSecond: 100 },
    ...{ lateFirst: 10, lateAfterFirst: 100, lateSecond: 10, lateAfterSecond: 100 },
    ...{ twiceFirst: 10, twiceAfterFirst: 100, twiceSecond: 10, twiceAfterSecond: 100 },
  });
});

test('RDDSuite "treeAggregate with ops modifying first args": -1000 at depths 1 to 9', () => {
  // sum of -1000 until 1000 = -1000.
  assert.deepEqual(cases.one('tree-aggregate-mutating'), Array(9).fill(-1000));
});

test('RDDSuite "SPARK-40276: takeOrdered with empty RDDs"', () => {
  assert.deepEqual(cases.one('take-ordered-empty'), { empty: [], filtered: [] });
});

test('RDDSuite "SparkContext.union creates UnionRDD if at least one RDD has no partitioner", "... PartitionAwareUnionRDD if all RDDs have partitioners"', () => {
  type U = { partitioner: HashP | null; parts: number; data: unknown[] };
  const r = cases.one<{ noPParts: number; mixed: U; mixedFirst: U; aware: U }>('union-kinds');
  assert.equal(r.mixed.partitioner, null);
  assert.equal(r.mixed.parts, r.noPParts + 1, 'a UnionRDD has the partitions of its inputs, in order');
  assert.deepEqual(r.mixed.data, [
    [2, true],
    [1, true],
  ]);
  assert.equal(r.mixedFirst.partitioner, null, 'the partitioned input first, the other of as many partitions: a plain union all the same');
  assert.equal(r.mixedFirst.parts, 2);
  assert.deepEqual(r.mixedFirst.data, [
    [1, true],
    [2, true],
  ]);
  assert.deepEqual([r.aware.partitioner?.kind, r.aware.partitioner?.numPartitions], ['hash', 1]);
  assert.equal(r.aware.parts, 1);
  assert.deepEqual(r.aware.data, [
    [1, true],
    [1, true],
  ]);
});

test('RDDSuite "SPARK-32384: repartitionAndSortWithinPartitions without shuffle": an RDD placed by the same partitioner is sorted in place, its partitioner kept', () => {
  const r = cases.one<Record<string, unknown>>('sort-within-no-shuffle');
  const hash2 = (p: unknown): unknown[] => [(p as HashP | null)?.kind, (p as HashP | null)?.numPartitions];
  assert.deepEqual(hash2(r.aggedPartitioner), ['hash', 2]);
  assert.deepEqual(hash2(r.partitioner), ['hash', 2]);
  assert.deepEqual(r.deps, ['OneToOne'], 'no shuffle: one OneToOneDependency');
  assert.deepEqual(r.descDeps, ['OneToOne']);
  // Sums by key: 0 -> 5 + 8, 1 -> 3, 2 -> 6, 3 -> 8 + 8; Spark's HashPartitioner puts an Int key k in k mod n.
  const sums: Pair[] = [
    [0, 13],
    [1, 3],
    [2, 6],
    [3, 16],
  ];
  const placed = (n: number, dir: 1 | -1): Pair[][] => Array.from({ length: n }, (_, i) => sums.filter(([k]) => k % n === i).sort((a, b) => dir * (a[0] - b[0])));
  assert.deepEqual(r.glom, placed(2, 1));
  assert.deepEqual(r.descGlom, placed(2, -1));
  assert.deepEqual(r.otherDeps, ['Shuffle'], 'another partitioner: a shuffle');
  assert.deepEqual(hash2(r.otherPartitioner), ['hash', 3]);
  assert.deepEqual(r.otherGlom, placed(3, 1));
});

test('PairRDDFunctionsSuite "cogroup with empty RDD", "cogroup with groupByed RDD having 0 partitions" (SPARK-9326)', () => {
  const r = cases.one<{ withEmpty: [number, [number[], unknown[]]][]; withGrouped: [number, [number[], unknown[]]][] }>('cogroup-empty');
  const expected = [
    [1, [[1, 2], []]],
    [2, [[1], []]],
    [3, [[1], []]],
  ];
  const byKey = (xs: [number, [number[], unknown[]]][]): unknown[] => [...xs].sort((a, b) => a[0] - b[0]).map(([k, [l, rr]]) => [k, [[...l].sort((a, b) => a - b), rr]]);
  assert.deepEqual(byKey(r.withEmpty), expected);
  assert.deepEqual(byKey(r.withGrouped), expected);
});

test('ShuffleSuite "metrics for shuffle without aggregation", "... with aggregation": the tasks read and wrote 10,000 shuffle records each way', () => {
  const r = cases.one<Record<string, { read: number; written: number; ends: number }>>('shuffle-records');
  // 4 map tasks and 4 reduce tasks a job; the keys 1..10,000 are distinct, each of the second job's in one map partition 100 times.
  assert.deepEqual(r.without, { read: 10000, written: 10000, ends: 8 });
  assert.deepEqual(r.withAgg, { read: 10000, written: 10000, ends: 8 });
});

test('DistributedSuite "groupByKey where map output sizes exceed maxMbInFlight": about 20 MB grouped into 16 keys, every value there', () => {
  const groups = cases.one<[number, number, number][]>('group-by-key-big-outputs');
  // x % 16 for x in 1..2000: key k gets 125 values (2000 / 16).
  assert.deepEqual(
    [...groups].sort((a, b) => a[0] - b[0]),
    Array.from({ length: 16 }, (_, k) => [k, 125, 125 * 10000]),
  );
});

test('StreamingContextSuite "stop only streaming context", "stop(stopSparkContext=true) after stop(stopSparkContext=false)": the SparkContext outlives stop(false); a later stop(true) stops it', () => {
  const r = cases.one<{ states: string[]; afterFalse: number; afterTrue: { code?: string | null; error?: string; value?: number } }>('stop-spark-context-later');
  assert.deepEqual(r.states, ['active', 'stopped', 'stopped']);
  assert.equal(r.afterFalse, 100);
  assert.equal(r.afterTrue.value, undefined, `a job after stop(true) ran: ${JSON.stringify(r.afterTrue)}`);
  assert.match(r.afterTrue.error ?? '', /Cannot call methods on a stopped SparkContext/);
});
