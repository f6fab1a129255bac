// RDDSuite "SPARK-40211: customize initialNumPartitions for take", with Spark's defaults
// (spark.rdd.limit.initialNumPartitions 1, spark.rdd.limit.scaleUpFactor 4; Sluice offers neither
// setting): take(n) and takeAsync(n) read partitions in rounds, a job a round, as RDD.take's loop
// chooses them. Run on a local cluster (a driver and 2 worker processes; fixture
// core-spark-suites20.ts); the task counts expected are worked out here from Spark's loop for each
// case's partitions, never from Sluice's code.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { runSparkCases, type SparkCaseRun } from './spark-case-run.js';

let cases: SparkCaseRun;

before(async () => {
  cases = await runSparkCases('core-spark-suites20.ts', [process.env.SLUICE_CASES ?? '']);
});

/**
 * Spark's RDD.take loop (RDD.scala), over partitions holding `sizes[i]` elements: the partitions
 * each round's job reads.
 */
function sparkTakeRounds(sizes: number[], num: number, initial = 1, scaleUpFactor = 4): number[] {
  const rounds: number[] = [];
  let buf = 0;
  let partsScanned = 0;
  while (buf < num && partsScanned < sizes.length) {
    let numPartsToTry = initial;
    const left = num - buf;
    if (partsScanned > 0) {
      if (buf === 0) numPartsToTry = partsScanned * scaleUpFactor;
      else numPartsToTry = Math.min(Math.ceil((1.5 * left * partsScanned) / buf), partsScanned * scaleUpFactor);
    }
    const until = Math.min(partsScanned + numPartsToTry, sizes.length);
    for (let p = partsScanned; p < until; p++) buf += Math.min(sizes[p], num - buf);
    rounds.push(until - partsScanned);
    partsScanned = until;
  }
  return rounds;
}

// ParallelCollectionRDD.slice of 0 to 100 in 100 partitions: [i * 101 / 100, (i + 1) * 101 / 100).
const SIZES_101_IN_100 = Array.from({ length: 100 }, (_, i) => Math.floor(((i + 1) * 101) / 100) - Math.floor((i * 101) / 100));

test('RDDSuite "SPARK-40211: customize initialNumPartitions for take" (the default): take(50) of 0 to 100 in 100 partitions runs more than one job, each reading the partitions Spark\'s take reads (1, 4, 20, 38)', () => {
  assert.deepEqual(sparkTakeRounds(SIZES_101_IN_100, 50), [1, 4, 20, 38], "Spark's loop, worked by hand: 74 capped at 4, 68 at 20, then 38");
  for (const c of ['take-50-of-100-partitions', 'take-async-50-of-100-partitions']) {
    const got = cases.one<{ result: number[]; jobs: number; tasks: number[] }>(c);
    assert.deepEqual(got.result, Array.from({ length: 50 }, (_, i) => i), c);
    assert.ok(got.jobs > 1, `${c}: Spark's assertion, more than one job`);
    assert.deepEqual(got.tasks, sparkTakeRounds(SIZES_101_IN_100, 50), `${c}: each job's tasks`);
  }
});

test('RDD.take over empty partitions: each round reads 4 times the partitions scanned before it (1, 4, 20, then the 5 left of 30); with elements only at the end, the rounds stop where they are found', () => {
  const empty = cases.one<{ result: number[]; jobs: number; tasks: number[] }>('take-1-of-30-empty');
  assert.deepEqual(sparkTakeRounds(new Array<number>(30).fill(0), 1), [1, 4, 20, 5]);
  assert.deepEqual(empty, { result: [], jobs: 4, tasks: [1, 4, 20, 5] });
  const late = cases.one<{ result: number[]; jobs: number; tasks: number[] }>('take-2-late');
  const sizes = Array.from({ length: 10 }, (_, i) => (i >= 8 ? 1 : 0));
  assert.deepEqual(sparkTakeRounds(sizes, 2), [1, 4, 5]);
  assert.deepEqual(late, { result: [8, 9], jobs: 3, tasks: [1, 4, 5] });
});
