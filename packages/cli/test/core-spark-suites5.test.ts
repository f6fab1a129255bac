// RangePartitioner's bounds as a Spark user sees them through sortByKey / sortBy (core's Partitioner.scala:
// RangePartitioner and its determineBounds), on a cluster of 2 worker processes. The inputs are small enough that
// Spark samples every key (its reservoir keeps a whole partition of up to ceil(3 x 20 x partitions / input
// partitions) keys), so every candidate weighs 1 and Spark's bounds are exact: the expected partitions are computed
// here by Spark's determineBounds written out in plain JS (a bound where the cumulative weight goes past, `>`, each
// multiple of total / partitions; partitions the count asked for), never by Sluice. One cluster for the file.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { runSparkCases, type SparkCaseRun } from './spark-case-run.js';

let cases: SparkCaseRun;

before(async () => {
  cases = await runSparkCases('core-spark-suites5.ts', []);
});

const range = (from: number, until: number): number[] => Array.from({ length: Math.max(0, until - from) }, (_, i) => from + i);

/** Spark's RangePartitioner.determineBounds over keys of weight 1 (numbers). */
function sparkBounds(keys: readonly number[], partitions: number): number[] {
  const ordered = [...keys].sort((a, b) => a - b);
  const step = ordered.length / partitions;
  const bounds: number[] = [];
  let cum = 0;
  let target = step;
  for (let i = 0; i < ordered.length && bounds.length < partitions - 1; i++) {
    cum += 1;
    if (cum > target && (bounds.length === 0 || ordered[i] > bounds[bounds.length - 1])) {
      bounds.push(ordered[i]);
      target += step;
    }
  }
  return bounds;
}

/** What sortByKey gives in Spark: bounds + 1 partitions, key k in the count of bounds below it (reversed descending), each sorted. */
function sparkSorted(keys: readonly number[], partitions: number, ascending: boolean): { partitions: number; keys: number[][] } {
  const bounds = partitions <= 1 || keys.length === 0 ? [] : sparkBounds(keys, partitions);
  const out: number[][] = Array.from({ length: bounds.length + 1 }, () => []);
  for (const k of keys) {
    const p = bounds.filter((b) => k > b).length;
    out[ascending ? p : bounds.length - p].push(k);
  }
  for (const p of out) p.sort((a, b) => (ascending ? a - b : b - a));
  return { partitions: out.length, keys: out };
}

test('RangePartitioner.determineBounds: duplicate keys sorted descending into 5, a share reached exactly at a key is closed by the next (Spark\'s cumWeight > target)', () => {
  const keys = range(0, 200).map((i) => i % 17);
  const want = sparkSorted(keys, 5, false);
  // Spark's bounds here are [3, 6, 10, 13]: the third share (120) is reached at the last 9 and passed at the first 10.
  assert.deepEqual(sparkBounds(keys, 5), [3, 6, 10, 13]);
  assert.deepEqual(want.keys.map((p) => p.length), [33, 35, 48, 36, 48]);
  assert.deepEqual(cases.one('sortByKey-desc-dups'), want);
});

test('RangePartitioner.determineBounds: the same ascending, and 100 distinct keys into 4 (bounds 25, 50, 75)', () => {
  assert.deepEqual(cases.one('sortByKey-asc-dups'), sparkSorted(range(0, 200).map((i) => i % 17), 5, true));
  const want = sparkSorted(range(0, 100).map((i) => (i * 37) % 100), 4, true);
  assert.deepEqual(want.keys.map((p) => p.length), [26, 25, 25, 24]);
  assert.deepEqual(cases.one('sortByKey-100-into-4'), want);
});

test('RangePartitioner with fewer keys than partitions: 2 keys into 4 give 3 partitions (bounds at both keys, the last empty); 1 element into 3 gives 2', () => {
  assert.deepEqual(cases.one('sortByKey-2-keys-4-partitions'), { partitions: 3, keys: [[1], [2], []] });
  assert.deepEqual(sparkSorted([2, 1], 4, true), { partitions: 3, keys: [[1], [2], []] });
  assert.deepEqual(cases.one('sortBy-1-element-3-partitions'), { partitions: 2, keys: [[7], []] });
  assert.deepEqual(sparkSorted([7], 3, true), { partitions: 2, keys: [[7], []] });
});
