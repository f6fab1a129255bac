// The differences from Spark docs/spark-suites.md listed after core-spark-suites15 (shuffles of
// RDDs with no partitions, window(...).checkpoint), CheckpointSuite (core) SPARK-31484 and
// StreamingContextSuite SPARK-22955, run through Sluice's public API on a cluster of 2 worker
// processes (fixture core-spark-suites16.ts, one job). Expected values are Spark's assertions, or
// worked out by hand from Spark's code for the case's inputs (each comment says which), never
// taken from Sluice.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { runSparkCases, type SparkCaseRun } from './spark-case-run.js';

let cases: SparkCaseRun;

before(async () => {
  cases = await runSparkCases('core-spark-suites16.ts', [process.env.SLUICE_CASES ?? ''], { workers: 2 });
});

interface Settled {
  ok: boolean;
  code?: string | null;
  message?: string;
  error?: string;
  value?: unknown;
}

test('shuffles of an RDD with no partitions have none, as Spark\'s HashPartitioner(0); a sort has one; a cogroup with one keeps every key (SPARK-9326)', () => {
  const r = cases.one<{ parts: Record<string, number>; values: Record<string, unknown>; intoNone: Settled; given: Settled; hashOfNone: Settled }>('empty-shuffles');
  // Spark's Partitioner.defaultPartitioner: no input has a partitioner of partitions, and
  // spark.default.parallelism is not set, so HashPartitioner(rdds.map(_.partitions.length).max) = 0;
  // distinct(partitions.length), subtract's HashPartitioner(partitions.length) and
  // subtractByKey's self.partitioner.getOrElse(new HashPartitioner(partitions.length)): 0 too.
  // sortBy: RangePartitioner of an empty RDD, one partition (PartitioningSuite "RangePartitioner
  // should return a single partition for empty RDDs" asserts 1). The cogroup takes the largest
  // input's count, rdd1's 2 (its HashPartitioner(0) is skipped: SPARK-9326's fix).
  assert.deepEqual(r.parts, {
    groupBy: 0,
    groupByKey: 0,
    reduceByKey: 0,
    reduceByKeyAgain: 0,
    join: 0,
    distinct: 0,
    subtract: 0,
    subtractByKey: 0,
    subtractOfGrouped: 0,
    sortBy: 1,
    cogroupWithNonEmpty: 2,
  });
  // PairRDDFunctionsSuite "cogroup with groupByed RDD having 0 partitions": Spark asserts a
  // non-empty result; here the whole of it, each key of rdd1 with its values and an empty group.
  assert.deepEqual(r.values, {
    groupBy: [],
    count: 0,
    lookup: [],
    join: [],
    distinct: [],
    subtract: [],
    subtractByKey: [],
    sortBy: [],
    cogroup: [
      [1, [[1, 2], []]],
      [2, [[1], []]],
      [3, [[1], []]],
    ],
  });
  // Pairs that have records placed by the partitioner of none: Spark's shuffle has no reduce task
  // to read them (its map task divides by zero on the first record); refused where it is made.
  assert.equal(r.intoNone.code, 'SLUICE_BAD_ARGUMENT');
  assert.match(r.intoNone.error ?? '', /^partitionBy: the partitioner given has 0 partitions .* and RDD \d+ has 2, whose records it cannot place: give a partition count of 1 or more/);
  // A count of 0 the program gives is refused, as before (Spark's would divide by zero on a record).
  assert.match(r.given.error ?? '', /rdd\.reduceByKey: numPartitions must be a positive integer, got 0/);
  assert.match(r.hashOfNone.error ?? '', /HashPartitioner\.of: numPartitions must be a positive integer, got 0/);
});

test('CheckpointSuite "SPARK-31484: checkpoint should not fail in retry": 1 to 200 after a first attempt failed past 100, checkpointed, and read back whole', () => {
  const r = cases.one<{ collected: number[]; checkpointed: boolean; again: number[]; lineage: boolean }>('checkpoint-retry');
  const expected = Array.from({ length: 200 }, (_, i) => i + 1);
  // Spark asserts rdd.collect() === (1 to 200) and that the RDD's parent is a ReliableCheckpointRDD.
  assert.deepEqual(r.collected, expected);
  assert.equal(r.checkpointed, true);
  assert.equal(r.lineage, true);
  assert.deepEqual(r.again, expected);
});

test('window(...).checkpoint(interval) is refused at start with Spark\'s words (DStream.validateAtStart: storage level not set); the stream under it or one over it may be checkpointed', () => {
  const r = cases.one<Record<string, Settled>>('window-checkpoint');
  // WindowedDStream.persist persists its parent, so its own storage level stays NONE after
  // checkpoint()'s persist(), and validateAtStart's require fails.
  const spark = 'WindowedDStream has been marked for checkpointing but the storage level has not been set to enable persisting. Please use DStream.persist() to set the storage level to use memory for better checkpointing performance.';
  for (const name of ['window', 'windowSlid']) {
    assert.equal(r[name].ok, false, name);
    assert.equal(r[name].code, 'SLUICE_BAD_ARGUMENT', name);
    assert.ok(r[name].message?.includes(spark), `${name}: ${r[name].message}`);
    assert.match(r[name].message ?? '', /\(WindowedDStream\) is checkpointed every \d+ ms .* a window cannot be checkpointed, as in Spark\. Checkpoint the stream the window is over, or a stream computed from the window/);
  }
  assert.deepEqual(r.mapOfWindow, { ok: true, value: null });
  assert.deepEqual(r.parentOfWindow, { ok: true, value: null });
});

test('StreamingContextSuite "SPARK-22955 graceful shutdown shouldn\'t lead to job generation error": an input whose compute throws after its stop(), batches generated without pause, stops gracefully with no error', () => {
  const r = cases.one<{ atFirstTimer: number; ranThree: boolean; stop: Settled; terminated: Settled; stops: number; callsAfterStop: number; state: string }>('graceful-stop-input');
  // The driver's timers run while the 5,000 batches set due are generated (Spark generates them
  // on a thread of its own): the first one after setTime, long before the last is generated.
  assert.ok(r.atFirstTimer < 2500, `${r.atFirstTimer} of 5,000 due batches generated before a timer ran`);
  // Spark's case: ssc.stop(stopGracefully = true) then awaitTermination() throw nothing.
  assert.equal(r.ranThree, true);
  assert.deepEqual(r.stop, { ok: true, value: null });
  assert.deepEqual(r.terminated, { ok: true, value: null });
  assert.equal(r.callsAfterStop, 0);
  assert.equal(r.stops, 1);
  assert.equal(r.state, 'stopped');
});
