// PySpark's streaming tests (python/pyspark/streaming/tests/: test_dstream.py's BasicOperationTests
// and WindowFunctionTests, test_context.py's StreamingContextTests, each named by its test),
// PartitioningSuite "defaultPartitioner when defaultParallelism is set", and when a sort's
// sampling job runs (over sampleByKeyExact, and in the program's own code while a
// StreamingContext runs) and what repartitionAndSortWithinPartitions() places by, as Spark's and
// PySpark's code give them. Run on a real local cluster (a driver and 2 worker processes;
// fixture streaming-spark-suites20.ts), twice: spark.default.parallelism unset, then set to 4
// for the partitioner cases. Expected values are PySpark's tests' own (the `expected` of each)
// or worked out here from Spark's code for the inputs, never from Sluice's.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { runSparkCases, type SparkCaseRun } from './spark-case-run.js';
import { PAIRS } from './fixtures/streaming-spark-suites20.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-sss20-'));
const tmp4 = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-sss20p-'));
let cases: SparkCaseRun;
let cases4: SparkCaseRun;
const PARTITIONER_CASES = ['repartition-and-sort', 'default-partitioner'];

before(async () => {
  cases = await runSparkCases('streaming-spark-suites20.ts', [tmp, process.env.SLUICE_CASES ?? '']);
  cases4 = await runSparkCases('streaming-spark-suites20.ts', [tmp4, PARTITIONER_CASES.join(',')], { workers: 2, driver: { defaultParallelism: 4 } });
});

after(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.rmSync(tmp4, { recursive: true, force: true });
});

type Key = number | string;
const byKey = (a: [Key, unknown], b: [Key, unknown]): number => (String(a[0]) < String(b[0]) ? -1 : String(a[0]) > String(b[0]) ? 1 : 0);
/** PySpark's _sort_result_based_on_key: each batch's pairs sorted by key. */
const sorted = <T extends [Key, unknown]>(batches: T[][]): T[][] => batches.map((b) => [...b].sort(byKey));
const range = (a: number, b: number): number[] => Array.from({ length: b - a }, (_, i) => a + i);

test('PySpark BasicOperationTests test_map (str), test_flatMap, test_filter, test_count, test_reduce: each batch\'s output as PySpark\'s expected', () => {
  const input = [range(1, 5), range(5, 9), range(9, 13)];
  assert.deepEqual(cases.one('pyspark-map'), input.map((x) => x.map(String)));
  assert.deepEqual(cases.one('pyspark-flatMap'), input.map((x) => x.flatMap((y) => [y, y * 2])));
  assert.deepEqual(cases.one('pyspark-filter'), input.map((x) => x.filter((y) => y % 2 === 0)));
  assert.deepEqual(cases.one('pyspark-count'), [[5], [10], [20]]);
  assert.deepEqual(cases.one('pyspark-reduce'), input.map((x) => [x.reduce((a, b) => a + b)]));
});

test('PySpark BasicOperationTests test_reduceByKey, test_mapValues, test_groupByKey (sorted by key, as PySpark\'s sort=True) and test_flatMapValues (in order)', () => {
  assert.deepEqual(sorted(cases.one<[Key, number][][]>('pyspark-reduceByKey')), sorted<[Key, number]>([[['a', 2], ['b', 2]], [['', 4]], [[1, 2], [2, 2], [3, 1]]]));
  assert.deepEqual(
    sorted(cases.one<[Key, number][][]>('pyspark-mapValues')),
    sorted<[Key, number]>([[['a', 12], ['b', 12], ['c', 11], ['d', 11]], [[0, 14], [1, 11], [2, 12], [3, 13]], [[1, 11], [2, 11], [3, 11], [4, 11]]]),
  );
  assert.deepEqual(cases.one('pyspark-flatMapValues'), [
    [['a', 2], ['a', 12], ['b', 2], ['b', 12], ['c', 1], ['c', 11], ['d', 1], ['d', 11]],
    [[0, 4], [0, 14], [1, 1], [1, 11], [2, 1], [2, 11], [3, 1], [3, 11]],
    [[1, 1], [1, 11], [2, 1], [2, 11], [3, 1], [3, 11], [4, 1], [4, 11]],
  ]);
  assert.deepEqual(
    sorted(cases.one<[Key, number[]][][]>('pyspark-groupByKey')),
    sorted<[Key, number[]]>([[[1, [1]], [2, [1]], [3, [1]], [4, [1]]], [[1, [1, 1, 1]], [2, [1, 1]], [3, [1]]], [['a', [1, 1]], ['b', [1]], ['', [1, 1, 1]]]]),
  );
});

test('PySpark BasicOperationTests test_glom, test_mapPartitions (2 partitions a batch): each partition\'s elements, each partition\'s sum', () => {
  assert.deepEqual(cases.one('pyspark-glom'), [[[1, 2], [3, 4]], [[5, 6], [7, 8]], [[9, 10], [11, 12]]]);
  assert.deepEqual(cases.one('pyspark-mapPartitions'), [[3, 7], [11, 15], [19, 23]]);
});

test('PySpark BasicOperationTests test_countByValue and test_combineByKey (str, then a + str(b)), "" a key like any other', () => {
  assert.deepEqual(sorted(cases.one<[Key, number][][]>('pyspark-countByValue')), sorted<[Key, number]>([[[1, 2], [2, 2], [3, 2], [4, 2]], [[5, 2], [6, 2], [7, 1], [8, 1]], [['a', 2], ['b', 1], ['', 1]]]));
  assert.deepEqual(
    sorted(cases.one<[Key, string][][]>('pyspark-combineByKey')),
    sorted<[Key, string]>([[[1, '1'], [2, '1'], [3, '1'], [4, '1']], [[1, '111'], [2, '11'], [3, '1']], [['a', '11'], ['b', '1'], ['', '111']]]),
  );
});

test('PySpark BasicOperationTests test_repartition: repartition(1).glom() of 2 partitions, one partition of the batch\'s 4 elements', () => {
  const r = cases.one<number[][][]>('pyspark-repartition');
  // PySpark's expected [[[1, 2, 3, 4]], [[5, 6, 7, 8]]] is local mode's order (map outputs read in
  // map order); across processes Spark's fetch order is not fixed, so the elements are compared sorted.
  assert.deepEqual(r.map((b) => b.map((p) => [...p].sort((x, y) => x - y))), [[[1, 2, 3, 4]], [[5, 6, 7, 8]]]);
});

test('PySpark BasicOperationTests test_union (the second stream out of input after 2 batches), test_cogroup, test_join, test_left_outer_join, test_right_outer_join, test_full_outer_join', () => {
  assert.deepEqual(cases.one('pyspark-union'), [range(0, 6), range(0, 6), range(0, 6)]);
  assert.deepEqual(
    sorted(cases.one<[Key, unknown][][]>('pyspark-cogroup')),
    sorted<[Key, unknown]>([
      [[1, [[1], [2]]], [2, [[1], []]], [3, [[1], []]]],
      [[1, [[1, 1, 1], []]], [2, [[1], []]], [4, [[], [1]]]],
      [['a', [[1, 1], [1, 1]]], ['b', [[1], [1]]], ['', [[1, 1], [1, 2]]]],
    ]),
  );
  // PySpark's None is JavaScript's undefined, printed as null.
  const j = cases.one<Record<string, [Key, unknown][]>>('pyspark-joins');
  assert.deepEqual(j.join, [['b', [2, 3]]]);
  assert.deepEqual([...j.leftOuterJoin].sort(byKey), [['a', [1, null]], ['b', [2, 3]]]);
  assert.deepEqual([...j.rightOuterJoin].sort(byKey), [['b', [2, 3]], ['c', [null, 4]]]);
  assert.deepEqual([...j.fullOuterJoin].sort(byKey), [['a', [1, null]], ['b', [2, 3]], ['c', [null, 4]]]);
});

test('PySpark BasicOperationTests test_update_state_by_key and test_update_state_by_key_initial_rdd: the state a list of every value seen, from the initial RDD\'s [0, 1]', () => {
  assert.deepEqual(cases.one('pyspark-update-state-by-key'), [[0], [0, 1], [0, 1, 2], [0, 1, 2, 3], [0, 1, 2, 3, 4]].map((v) => [['k', v]]));
  assert.deepEqual(cases.one('pyspark-update-state-by-key-initial-rdd'), [[0, 1, 2], [0, 1, 2, 3], [0, 1, 2, 3, 4]].map((v) => [['k', v]]));
});

test('PySpark BasicOperationTests test_slice: remember(4 s), batches [1] [2] [3] [4] a second apart; slices from the first batch\'s time +0..0, +1..2, +1..4, +0..4, taken by the program after batch 4 and in batch 5\'s output', () => {
  const r = cases.one<{ afterBatch4: number[][]; inOutput: number[][] }>('pyspark-slice');
  assert.deepEqual(r.afterBatch4, [[1], [2, 3], [2, 3, 4], [1, 2, 3, 4]]);
  // Spark's JobGenerator forgets batch T's old RDDs (times <= T - 4 s) once T completes, so in
  // batch 5's output (5 s) batch 4's clearing (times <= 0) is the last: batch 1 (1 s) is still there.
  assert.deepEqual(r.inOutput, [[1], [2, 3], [2, 3, 4], [1, 2, 3, 4]]);
});

test('PySpark StreamingContextTests (test_context.py) test_queue_stream, test_union (ssc.union of two streams of the same RDDs), test_transform (ssc.transform of three streams: rdd2, rdd3, rdd1), test_transform_pairrdd (SPARK-17756: a cartesian in transform)', () => {
  const growing = [[0], [0, 1], [0, 1, 2]];
  assert.deepEqual(cases.one('pyspark-ctx-queue-stream'), growing);
  assert.deepEqual(cases.one('pyspark-ctx-union'), growing.map((x) => [...x, ...x]));
  assert.deepEqual(cases.one('pyspark-ctx-transform'), [2, 3, 1]);
  assert.deepEqual(cases.one('pyspark-ctx-transform-pairrdd'), [[1, 1], [2, 2], [3, 3]]);
});

test('PySpark WindowFunctionTests test_window, test_count_by_window (1.5 s, 0.5 s) and test_count_by_window_large (2.5 s): the counts of each window', () => {
  assert.deepEqual(cases.one('pyspark-window'), [[1], [3], [6], [9], [12], [9], [5]]);
  assert.deepEqual(cases.one('pyspark-count-by-window'), [[1], [3], [6], [9], [12], [9], [5]]);
  assert.deepEqual(cases.one('pyspark-count-by-window-large'), [[1], [3], [6], [10], [15], [20], [18], [15], [11], [6]]);
});

test('PySpark WindowFunctionTests test_count_by_value_and_window (2.5 s, 0.5 s): counts of each value in the window, a value gone from it dropped', () => {
  const expected: [number, number][][] = [
    [[0, 1]],
    [[0, 2], [1, 1]],
    [[0, 3], [1, 2], [2, 1]],
    [[0, 4], [1, 3], [2, 2], [3, 1]],
    [[0, 5], [1, 4], [2, 3], [3, 2], [4, 1]],
    [[0, 5], [1, 5], [2, 4], [3, 3], [4, 2], [5, 1]],
    [[0, 4], [1, 4], [2, 4], [3, 3], [4, 2], [5, 1]],
    [[0, 3], [1, 3], [2, 3], [3, 3], [4, 2], [5, 1]],
    [[0, 2], [1, 2], [2, 2], [3, 2], [4, 2], [5, 1]],
    [[0, 1], [1, 1], [2, 1], [3, 1], [4, 1], [5, 1]],
  ];
  assert.deepEqual(sorted(cases.one<[number, number][][]>('pyspark-count-by-value-and-window')), expected);
});

test('PySpark WindowFunctionTests test_group_by_key_and_window (1.5 s, 0.5 s): each window\'s values of "a", in batch order', () => {
  assert.deepEqual(cases.one('pyspark-group-by-key-and-window'), [[0], [0, 1], [0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4], [4]].map((v) => [['a', v]]));
});

test('PySpark WindowFunctionTests test_reduce_by_key_and_window_with_none_invFunc: reduceByKeyAndWindow(add, None, 5 s, 1 s), PySpark\'s None inverse function, reduces the window whole', () => {
  assert.deepEqual(cases.one('pyspark-reduce-by-key-and-window-none-inv'), [[2], [4], [6], [6], [6], [6]]);
});

test('PySpark WindowFunctionTests test_reduce_by_invalid_window: a window (0.1 s) or slide (0.1 s) that is not a multiple of the batch interval (0.5 s) is refused when the window is made', () => {
  const errors = cases.one<(string | null)[]>('pyspark-invalid-window');
  assert.equal(errors.length, 2);
  for (const e of errors) assert.match(String(e), /^SLUICE_BAD_ARGUMENT .*multiple/);
});

test('sampleByKeyExact counts its keys when called, as Spark\'s getAcceptanceResults runs its job in sampleByKeyExact, so a sortByKey over it samples at once and the reduceByKey after it reuses the RangePartitioner (2 stages)', () => {
  const r = cases.one<{ afterSample: number[]; before: number[]; after: number[]; kind: string | null; sums: [string, number][] }>('exact-sample-sort');
  // Spark: the acceptance pass (a reduce over a narrow chain: 1 stage) at sampleByKeyExact, the
  // RangePartitioner's sketch (1 stage) at sortByKey; then the collect: the sort's map stage and
  // the result, the reduce a mapPartitions over the RangePartitioner the default partitioner takes.
  assert.deepEqual(r.afterSample, [1]);
  assert.deepEqual(r.before, [1, 1]);
  assert.deepEqual(r.after, [2]);
  assert.equal(r.kind, 'range');
  // Every fraction 1: every pair kept (ceil(n * 1) of each key).
  const sums = new Map<string, number>();
  for (const [k, v] of PAIRS) sums.set(String(k), (sums.get(String(k)) ?? 0) + v);
  assert.deepEqual(r.sums, [...sums].sort((a, b) => (a[0] < b[0] ? -1 : 1)));
});

test('a sortByKey in the program\'s own code while a StreamingContext runs samples when called, as Spark\'s on the program\'s thread, so the reduceByKey after it reuses the RangePartitioner (2 stages); the stream\'s next batch runs after it', () => {
  const r = cases.one<{ before: number[]; after: number[]; kind: string | null; partitions: number; sums: [number, number][]; batches: number[] }>('sort-while-streaming');
  assert.deepEqual(r.before, [1]);
  assert.deepEqual(r.after, [2]);
  assert.equal(r.kind, 'range');
  // RangePartitioner.determineBounds of the 40 keys (each of 0-9 four times, each weighing 1), 3 partitions: bounds 3 and 6.
  assert.equal(r.partitions, 3);
  const sums = new Map<number, number>();
  for (const [k, v] of PAIRS) sums.set(k, (sums.get(k) ?? 0) + v);
  assert.deepEqual(r.sums, [...sums].sort((a, b) => a[0] - b[0]));
  assert.deepEqual(r.batches, [3]);
});

type RepartitionResult = { partitioner: { kind: string; numPartitions: number } | null; keys: number[][]; stages: number[] };

/** PySpark's partitionBy(n, portable_hash) of PAIRS' keys: an int's hash is itself, so key k in partition k mod n; each partition ascending. */
function hashPlaced(n: number): number[][] {
  return Array.from({ length: n }, (_, i) => PAIRS.map(([k]) => k).filter((k) => k % n === i).sort((a, b) => a - b));
}

test('repartitionAndSortWithinPartitions() with no partitioner, spark.default.parallelism unset: as PySpark\'s, partitionBy(the RDD\'s count, portable_hash), so an RDD hash-partitioned by its count is sorted where it is and one placed by a custom partitioner is shuffled by hash', () => {
  const r = cases.one<Record<string, RepartitionResult>>('repartition-and-sort');
  // hash3, hash4: Partitioner(n, portable_hash) equals the RDD's: no shuffle (partitionBy's map stage and the result).
  assert.deepEqual(r.hash3, { partitioner: { kind: 'hash', numPartitions: 3 }, keys: hashPlaced(3), stages: [2] });
  assert.deepEqual(r.hash4, { partitioner: { kind: 'hash', numPartitions: 4 }, keys: hashPlaced(4), stages: [2] });
  // custom3: unequal to Partitioner(3, portable_hash): shuffled again by hash (3 stages).
  assert.deepEqual(r.custom3, { partitioner: { kind: 'hash', numPartitions: 3 }, keys: hashPlaced(3), stages: [3] });
});

test('repartitionAndSortWithinPartitions() with no partitioner, spark.default.parallelism 4: as PySpark\'s _defaultReducePartitions, a hash partitioner of 4, so an RDD hash-partitioned by 3 (or a custom 3) is shuffled into 4 and one by 4 is sorted where it is', () => {
  const r = cases4.one<Record<string, RepartitionResult>>('repartition-and-sort');
  assert.deepEqual(r.hash3, { partitioner: { kind: 'hash', numPartitions: 4 }, keys: hashPlaced(4), stages: [3] });
  assert.deepEqual(r.hash4, { partitioner: { kind: 'hash', numPartitions: 4 }, keys: hashPlaced(4), stages: [2] });
  assert.deepEqual(r.custom3, { partitioner: { kind: 'hash', numPartitions: 4 }, keys: hashPlaced(4), stages: [3] });
});

test('PartitioningSuite "defaultPartitioner when defaultParallelism is set" (4), as a join (a cogroup of three) takes it; and the same RDDs with it unset, by Spark\'s rule (the largest input\'s count)', () => {
  const set = cases4.one<Record<string, number>>('default-partitioner');
  // Spark's assertions: rdd2's, rdd3's (x3), rdd4's, sc.defaultParallelism (x2).
  assert.deepEqual(set, { defaultParallelism: 4, p1: 10, p2: 100, p3: 100, p4: 100, p5: 9, p6: 4, p7: 4 });
  // Unset, Partitioner.defaultPartitioner's default count is the largest input's (150): rdd2's 10
  // and rdd6's 3 are neither eligible (10x under 150) nor at least 150; rdd3's 100 is eligible.
  const unset = cases.one<Record<string, number>>('default-partitioner');
  assert.deepEqual({ ...unset, defaultParallelism: 0 }, { defaultParallelism: 0, p1: 150, p2: 100, p3: 100, p4: 100, p5: 9, p6: 11, p7: 150 });
});
