// Scala's forms of RDD methods, each against Spark's RDD.scala / PairRDDFunctions.scala (read, not
// copied), on a cluster of 2 worker processes (fixture spark-rdd-forms.ts, one job); expected values
// from plain loops over the same data here:
// - fold(zeroValue)(op), aggregate(zeroValue)(seqOp, combOp), treeAggregate(zeroValue)(seqOp,
//   combOp, depth = 2): curried; an empty RDD of n partitions folds to the zero op'd n + 1 times.
// - foldByKey(zeroValue)(func), foldByKey(zeroValue, numPartitions)(func), aggregateByKey(zeroValue,
//   partitioner)(seqOp, combOp): curried; the count or partitioner places the result.
// - reduceByKey(partitioner, func): the partitioner first.
// - combineByKey(createCombiner, mergeValue, mergeCombiners, partitioner, mapSideCombine = true):
//   with false, map sides do not combine, so mergeCombiners never runs.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { runSparkCases, type SparkCaseRun } from './spark-case-run.js';

let cases: SparkCaseRun;
before(async () => {
  cases = await runSparkCases('spark-rdd-forms.ts', []);
});

const numbers = Array.from({ length: 200 }, (_, i) => i + 1);
const words = ['spark', 'streaming', 'in', 'typescript', 'micro', 'batch', ''];
/** Per key x % 7, in key order: [key, f over its values]. */
function byKey<V>(f: (values: number[]) => V): [number, V][] {
  const m = new Map<number, number[]>();
  for (const x of numbers) m.set(x % 7, [...(m.get(x % 7) ?? []), x]);
  return [...m.entries()].sort((a, b) => a[0] - b[0]).map(([k, vs]) => [k, f(vs)]);
}
const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

test('curried fold, aggregate and treeAggregate give what the flat forms give (an empty RDD its zeros)', () => {
  const r = cases.one<{ fold: number; foldEmpty: number; aggregate: [number, number]; tree: number; treeDefault: number }>('actions');
  assert.equal(r.fold, sum(numbers));
  // Spark's fold: each of the 3 empty partitions gives its copy of the zero, folded into the zero on the driver.
  assert.equal(r.foldEmpty, 10 * (3 + 1));
  assert.deepEqual(r.aggregate, [sum(words.map((w) => w.length)), words.length]);
  assert.equal(r.tree, sum(numbers.map((x) => x * x)));
  assert.equal(r.treeDefault, Math.max(...numbers));
});

test('curried foldByKey and aggregateByKey, with and without a partition count or partitioner; reduceByKey(partitioner, func)', () => {
  const r = cases.one<Record<string, unknown>>('by-key');
  const sums = byKey(sum);
  assert.deepEqual(r.folded, sums);
  assert.deepEqual(r.foldedIn3, sums);
  assert.deepEqual(r.foldedPartitions, [8, 3]);
  assert.deepEqual(r.aggregated, byKey((vs) => [sum(vs), vs.length]));
  assert.deepEqual(r.aggregatedBy, byKey((vs) => Math.max(...vs)));
  assert.deepEqual(r.aggregatedByPartitioner, ['hash', 2]);
  assert.deepEqual(r.reducedBy, sums);
  assert.deepEqual(r.reducedByPartitioner, ['hash', 5]);
});

test("combineByKey's positional mapSideCombine: false never merges combiners, true (and the default) does; a bad fifth argument is refused", () => {
  type Run = { sums: [number, number][]; merges: number; partitions: number };
  const r = cases.one<{ off: Run; on: Run; unset: Run; errors: ({ code: string; message: string } | null)[] }>('combine-positional');
  const sums = byKey(sum);
  for (const run of [r.off, r.on, r.unset]) {
    assert.deepEqual(run.sums, sums);
    assert.equal(run.partitions, 2);
  }
  assert.equal(r.off.merges, 0);
  // 8 map partitions, each holding every key: each key's 8 combiners merge 7 times on the reduce side.
  assert.equal(r.on.merges, 7 * 7);
  assert.equal(r.unset.merges, 7 * 7);
  assert.equal(r.errors[0]?.code, 'SLUICE_BAD_ARGUMENT');
  assert.match(r.errors[0]?.message ?? '', /fifth argument is Spark's mapSideCombine, a boolean .* got string/);
  assert.equal(r.errors[1]?.code, 'SLUICE_BAD_ARGUMENT');
  assert.match(r.errors[1]?.message ?? '', /beside an options object/);
});
