// Streaming cases of Spark's semantics a user's code meets differently or not yet asked (a sort
// in a transform's or foreachRDD's function: its sampling job and the stages after it), and the
// two core cases found with them (the sampling job's job group; repartitionAndSortWithinPartitions
// over a sorted RDD), run on a real local cluster (a driver and 2 worker processes; fixture
// streaming-spark-suites19.ts, one StreamingContext after the other in one job). Expected values
// are worked out here from Spark's code for the cases' inputs (each comment says which), never
// from Sluice's.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { runSparkCases, type SparkCaseRun } from './spark-case-run.js';
import { SORT_BATCHES } from './fixtures/streaming-spark-suites19.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-sss19-'));
let cases: SparkCaseRun;

before(async () => {
  cases = await runSparkCases('streaming-spark-suites19.ts', [tmp, process.env.SLUICE_CASES ?? '']);
});

after(() => fs.rmSync(tmp, { recursive: true, force: true }));

type Pair = [number, number];
type Job = { jobId: number; stages: number; description: string | null; group: string | null };

/**
 * Spark's RangePartitioner bounds for one batch of SORT_BATCHES into `partitions`: each of its 2
 * input partitions (20 pairs) is sampled whole (sampleSizePerPartition = ceil(3 * 20 * partitions
 * / 2) >= 20), each key weighing 1 (n / sample.length); then RangePartitioner.determineBounds:
 * the keys in order, a bound at the key whose cumulative weight first reaches the next multiple
 * of sum / partitions, greater than the bound before.
 */
function sparkBounds(batch: Pair[], partitions: number): number[] {
  const keys = batch.map(([k]) => k).sort((a, b) => a - b);
  const step = keys.length / partitions;
  const bounds: number[] = [];
  let cum = 0;
  let target = step;
  for (const k of keys) {
    cum += 1;
    if (cum >= target && bounds.length < partitions - 1 && (bounds.length === 0 || k > bounds[bounds.length - 1])) {
      bounds.push(k);
      target += step;
    }
  }
  return bounds;
}

/** The keys 0-9 laid out by range bounds: partition i holds keys <= bounds[i] (and > the one before). */
function laidOut(bounds: number[]): number[][] {
  const parts: number[][] = Array.from({ length: bounds.length + 1 }, () => []);
  for (let k = 0; k < 10; k++) {
    let i = 0;
    while (i < bounds.length && k > bounds[i]) i++;
    parts[i].push(k);
  }
  return parts;
}

const batchDescription = (i: number): string => `Streaming job from [output operation 0, batch time 00:00:0${i}]`;

test('transform(rdd => rdd.sortByKey(true, 3).reduceByKey(f)): as Spark\'s, the sort samples its bounds as the batch is generated (a job of 1 stage outside the batch\'s output) and the reduce reuses its RangePartitioner (the output\'s job 2 stages, each key where the sort put it)', () => {
  const r = cases.one<{ out: { time: number; kind: string | null; partitions: number; keys: number[][]; sums: Pair[] }[]; jobs: Job[] }>('sort-in-transform');
  assert.equal(r.out.length, 3);
  for (const [i, b] of r.out.entries()) {
    // Spark: RangePartitioner's rangeBounds are computed in its constructor (sortByKey), the
    // sketch's collect a job of its own, run in JobGenerator.generateJobs (TransformedDStream's
    // compute calls the function there). Partitioner.defaultPartitioner takes the sorted RDD's
    // RangePartitioner (the only input, so eligible), and combineByKey over an RDD placed by it
    // is a mapPartitions: the output's job has the sort's map stage and its result stage.
    const bounds = sparkBounds(SORT_BATCHES[i], 3);
    assert.deepEqual(bounds, [3, 6], 'the model, worked by hand: 40 keys, step 13.3, the 14th (3) and 27th (6)');
    assert.equal(b.kind, 'range', `batch ${i + 1}`);
    assert.equal(b.partitions, bounds.length + 1);
    assert.deepEqual(b.keys, laidOut(bounds), `batch ${i + 1}: each partition's keys, in order`);
    const sums = new Map<number, number>();
    for (const [k, v] of SORT_BATCHES[i]) sums.set(k, (sums.get(k) ?? 0) + v);
    assert.deepEqual(b.sums, [...sums].sort((x, y) => x[0] - y[0]));
  }
  assert.deepEqual(
    r.jobs.map((j) => [j.stages, j.description]),
    [1, 2, 3].flatMap((i) => [[1, null], [2, batchDescription(i)]]),
    JSON.stringify(r.jobs),
  );
});

test('transform(rdd => rdd.sortByKey(true, 3).join(other)), other of 2 partitions and no partitioner: Spark\'s defaultPartitioner takes the sort\'s RangePartitioner, so other is shuffled by the sampled bounds (3 stages) and every key is joined', () => {
  const r = cases.one<{ out: { time: number; kind: string | null; partitions: number; rows: [number, [number, string]][] }[]; jobs: Job[] }>('sort-join-in-transform');
  assert.equal(r.out.length, 2);
  for (const [i, b] of r.out.entries()) {
    const expected = SORT_BATCHES[i].map(([k, v]): [number, [number, string]] => [k, [v, `o${k}`]]).sort((x, y) => x[0] - y[0] || x[1][0] - y[1][0]);
    assert.deepEqual(b.rows, expected, `batch ${i + 1}`);
    assert.equal(b.kind, 'range');
    assert.equal(b.partitions, 3);
  }
  // The sort's map stage, other's map stage (by the RangePartitioner), the result: 3.
  assert.deepEqual(r.jobs.map((j) => [j.stages, j.description]), [1, 2].flatMap((i) => [[1, null], [3, batchDescription(i)]]), JSON.stringify(r.jobs));
});

test('the same sort and reduce inside foreachRDD\'s function: as Spark\'s JobHandler, the sample runs as the sort is called, a job of the batch\'s output (its description), and the reduce reuses the RangePartitioner (2 stages)', () => {
  const r = cases.one<{ out: { time: number; kind: string | null; keys: number[][] }[]; jobs: Job[] }>('sort-in-output');
  assert.equal(r.out.length, 2);
  for (const [i, b] of r.out.entries()) {
    assert.equal(b.kind, 'range');
    assert.deepEqual(b.keys, laidOut(sparkBounds(SORT_BATCHES[i], 3)), `batch ${i + 1}`);
  }
  assert.deepEqual(r.jobs.map((j) => [j.stages, j.description]), [1, 2].flatMap((i) => [[1, batchDescription(i)], [2, batchDescription(i)]]), JSON.stringify(r.jobs));
});

test('a sortByKey in a job group (sc.setJobGroup) outside any StreamingContext: its sampling job, run as the sort is called, is in the group with its description, as Spark\'s (the calling thread\'s local properties)', () => {
  const r = cases.one<{ jobs: Job[]; partitions: number }>('sort-job-group');
  assert.deepEqual(r.jobs.map((j) => [j.stages, j.group, j.description]), [[1, 'sorting', 'sorting the keys']]);
  assert.equal(r.partitions, 3);
});

test('repartitionAndSortWithinPartitions() with no partitioner over a sortByKey\'s RDD: as PySpark\'s, a hash partitioner of the RDD\'s partition count (partitionBy(n, portable_hash), never the sort\'s RangePartitioner), each partition sorted as asked', () => {
  const r = cases.one<{ partitioner: { kind: string; numPartitions: number } | null; sortedPartitions: number; keys: number[][] }>('sorted-repartition-and-sort');
  // PySpark: numPartitions None -> _defaultReducePartitions() (the RDD's count, spark.default.parallelism
  // unset), then partitionBy(numPartitions, portable_hash): a hash partitioner, unequal to the sort's
  // range one, so the pairs are shuffled. Keys placed as Spark's HashPartitioner places an int: k mod n.
  assert.equal(r.sortedPartitions, 3);
  assert.deepEqual(r.partitioner, { kind: 'hash', numPartitions: 3 });
  const expected = [0, 1, 2].map((i) => SORT_BATCHES[0].map(([k]) => k).filter((k) => k % 3 === i).sort((a, b) => b - a));
  assert.deepEqual(r.keys, expected);
});

test('zipWithIndex() counts its partitions when called, as Spark\'s ZippedWithIndexRDD, so a sortByKey over it samples at once and the reduceByKey after it reuses the RangePartitioner (2 stages)', () => {
  const r = cases.one<{ before: number[]; after: number[]; kind: string | null; sums: Pair[] }>('zip-sort-reduce');
  // Spark: ZippedWithIndexRDD's startIndices run a job in its constructor (2 partitions: one
  // stage), RangePartitioner's sketch another; then the collect: the sort's map stage and the result.
  assert.deepEqual(r.before, [1, 1]);
  assert.deepEqual(r.after, [2]);
  assert.equal(r.kind, 'range');
  // Each key's indices summed: the keys of SORT_BATCHES[0] in order, each at its position.
  const sums = new Map<number, number>();
  SORT_BATCHES[0].forEach(([k], i) => sums.set(k, (sums.get(k) ?? 0) + i));
  assert.deepEqual(r.sums, [...sums].sort((a, b) => a[0] - b[0]));
});
