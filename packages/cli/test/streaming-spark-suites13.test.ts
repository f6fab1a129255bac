// Spark semantics on a real local cluster (a driver and 2 worker processes, started once for
// the file; one job runs every case). What each case expects is Spark's, worked out here from
// Spark's sources, not from Sluice's code:
// - ApproximateActionListener.awaitResult: finishTime = startTime + timeout (a Long, any value);
//   it returns new PartialResult(evaluator.currentResult(), true) once every task finished, else,
//   once the clock reaches finishTime, the current result, not final (the job goes on and sets
//   the final value). So a negative timeout gives at once what the tasks finished by then gave
//   (none here: each waits 300 ms), and 2^32 ms (~50 days) waits for the job. With no task merged,
//   CountEvaluator.currentResult is BoundedDouble(0, 0.0, 0, +Infinity) and SumEvaluator's
//   BoundedDouble(0, 0.0, -Infinity, +Infinity); with every task merged (outputsMerged ==
//   totalOutputs, 0 == 0 for an RDD with no partition) the exact value at confidence 1.0.
// - PartialResult.toString: finalValue match { Some(value) => "(final: " + value + ")"; None =>
//   "(partial: " + initialValue + ")" }, finalValue set when the result was final or, later, by
//   setFinalValue once the job ended; BoundedDouble.toString "[%.3f, %.3f]".format(low, high)
//   (Java's Formatter: Infinity spelled out); GroupedCountEvaluator's Map as Scala's, "Map(a -> ...)".
// - RDD.countApprox and countByValueApprox: require(0.0 <= confidence && confidence <= 1.0,
//   s"confidence ($confidence) must be in [0,1]"), the Double as Scala prints it (1.5, 2.0).
// - Spark's requires, each an IllegalArgumentException when the call is made (SparkException in
//   the task for zip's elements): RDD.treeAggregate / treeReduce, s"Depth must be greater than or
//   equal to 1 but got $depth."; RDD.coalesce (repartition calls it), s"Number of partitions
//   ($numPartitions) must be positive."; ZippedPartitionsBaseRDD.getPartitions, s"Can't zip RDDs
//   with unequal numbers of partitions: ${rdds.map(_.partitions.length)}" (a List of every RDD's
//   count, this one first); RDD.zip's iterator, "Can only zip RDDs with same number of elements in
//   each partition"; ParallelCollectionRDD.slice, "Positive number of partitions required";
//   SparkContext.range, "step cannot be 0"; countApproxDistinct(p, sp) and its ByKey form, in
//   order, s"p ($p) must be >= 4", s"sp ($sp) must be <= 32", s"p ($p) cannot be greater than sp
//   ($sp)"; countApproxDistinct(relativeSD), s"accuracy ($relativeSD) must be greater than
//   0.000017", the Double as Java prints it (1.0E-5, 0.0).
// - StatCounter.toString: "(count: %d, mean: %f, stdev: %f, max: %f, min: %f)".format(...), Java's
//   Formatter rounding the Double's shortest digits half up (0.1234565 -> 0.123457; its binary
//   value is 0.12345649999..., which JavaScript's toFixed(6) rounds down) and writing NaN and
//   ±Infinity as words.
// - DStream.validateAtStart (at ssc.start()): a stream that must checkpoint (a stateful one) gets a
//   default interval, then require(checkpointDuration == null ||
//   context.sparkContext.checkpointDir.isDefined, "The checkpoint directory has not been set.
//   Please set it by StreamingContext.checkpoint()."), as for a stream given dstream.checkpoint().
//   Then, with a directory: s"The checkpoint interval for ${getClass.getSimpleName} has been set to
//   $checkpointDuration which is lower than its slide time ($slideDuration). Please set it to at
//   least $slideDuration.", then s"... has been set to  $checkpointDuration which not a multiple of
//   its slide time ($slideDuration). Please set it to a multiple of $slideDuration." (Spark's double
//   space and 'which not'), a Duration printed '500 ms'.
// - DStream.persist / checkpoint: if (isInitialized) throw new UnsupportedOperationException("Cannot
//   change storage level of a DStream after streaming context has started") / ("Cannot change
//   checkpoint interval of a DStream after streaming context has started"); isInitialized
//   (zeroTime set at start) stays true once stopped. DStreamGraph.remember has no such check (a
//   remember after start is taken, to no effect), so no Spark sentence is quoted for it.
// - RDD.checkpoint: if (context.checkpointDir.isEmpty) throw new SparkException("Checkpoint
//   directory has not been set in the SparkContext"). RDD.persist of another level than the one
//   assigned: UnsupportedOperationException("Cannot change storage level of an RDD after it was
//   already assigned a level").
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertCasesDone, fixture, jsonLine, startJob, withCluster, type JobRun } from './harness.js';

const SUITE = fixture('streaming-spark-suites13.ts');

type Bounded = { mean: number; confidence: number; low: number | string; high: number | string };
type Partial = { initial: Bounded; isFinal: boolean; text: string; final?: Bounded; textAfter?: string };
type Outcome = { code: string | null; error: string } | { value?: unknown };

test('Spark semantics, suite 13 (one job on a local cluster)', { timeout: 300_000 }, async (t) => {
  await withCluster({ workers: 2 }, async (h) => {
    const run: JobRun = await (await startJob(h.cluster, SUITE, [])).done;
    assertCasesDone(run);

    await t.test("ApproximateActionListener.awaitResult: a negative timeout gives the partial result at once, 2^32 ms waits for the job; countApprox's confidence require in Spark's words", () => {
      const a = jsonLine<Record<string, Partial | Outcome>>(run.lines, 'X approx-timeouts ');
      const numbers = [1, 2, 3, 4, 5, 6, 7, 8];
      const exact = (v: number): Bounded => ({ mean: v, confidence: 1, low: v, high: v });
      // Nothing merged when the timeout has already passed: Spark's evaluators' empty results.
      // toString: partial with the initial bounds at %.3f, then, once the job ended, final with the final value's.
      assert.deepEqual(a.countNegative, { initial: { mean: 0, confidence: 0, low: 0, high: 'Infinity' }, isFinal: false, text: '(partial: [0.000, Infinity])', final: exact(numbers.length), textAfter: '(final: [8.000, 8.000])' });
      const sum = numbers.reduce((s, x) => s + x, 0);
      assert.deepEqual(a.sumNegative, { initial: { mean: 0, confidence: 0, low: '-Infinity', high: 'Infinity' }, isFinal: false, text: '(partial: [-Infinity, Infinity])', final: exact(sum), textAfter: `(final: [${sum}.000, ${sum}.000])` });
      // 2^32 ms is far past the job: the exact count, final.
      assert.deepEqual(a.countLong, { initial: exact(numbers.length), isFinal: true, text: '(final: [8.000, 8.000])' });
      // No partition: every (none) task finished, so final even at a negative timeout.
      assert.deepEqual(a.countNoPartition, { initial: exact(0), isFinal: true, text: '(final: [0.000, 0.000])' });
      // Final at once: the mean of 1..8 (4.5) and a Map of one value counted twice.
      assert.equal(a.meanText, '(final: [4.500, 4.500])');
      assert.equal(a.byValueText, '(final: Map(a -> [2.000, 2.000]))');
      const refused = (what: string, sentence: string): void => {
        const o = a[what] as Outcome;
        assert.ok('error' in o, `${what} was accepted: ${JSON.stringify(o)}`);
        assert.equal(o.code, 'SLUICE_BAD_ARGUMENT', `${what}: ${o.error}`);
        assert.ok(o.error.includes(sentence), `${what}: '${o.error}' lacks '${sentence}'`);
      };
      refused('badConfidence', 'rdd.countApprox: confidence (1.5) must be in [0,1]');
      refused('badConfidenceByValue', 'rdd.countByValueApprox: confidence (2.0) must be in [0,1]');
      // A Scala Long is never NaN: Sluice refuses it, naming the action.
      refused('badTimeout', 'rdd.countApprox: timeoutMs must be a finite number of milliseconds');
    });

    await t.test("Spark's require sentences follow Sluice's refusal: tree depth, coalesce/repartition counts, zip's partitions and elements, parallelize's slices, range's step, countApproxDistinct's p, sp and accuracy", () => {
      const w = jsonLine<Record<string, Outcome>>(run.lines, 'X require-words ');
      const refused = (what: string, code: string, sentence: string | undefined): void => {
        const o = w[what];
        assert.ok(o !== undefined && 'error' in o, `${what} was accepted: ${JSON.stringify(o)}`);
        assert.equal(o.code, code, `${what}: ${o.error}`);
        if (sentence === undefined) assert.ok(!o.error.includes('(Spark: '), `${what}: '${o.error}' quotes Spark for a value Spark's Int cannot hold`);
        else assert.ok(o.error.includes(`(Spark: "${sentence}")`), `${what}: '${o.error}' lacks Spark's '${sentence}'`);
      };
      const bad = 'SLUICE_BAD_ARGUMENT';
      refused('treeAggregate', bad, 'Depth must be greater than or equal to 1 but got 0.');
      refused('treeReduce', bad, 'Depth must be greater than or equal to 1 but got -1.');
      refused('coalesce', bad, 'Number of partitions (0) must be positive.');
      refused('repartition', bad, 'Number of partitions (-2) must be positive.');
      refused('zipPartitions', bad, "Can't zip RDDs with unequal numbers of partitions: List(2, 3)");
      refused('zipPartitions3', bad, "Can't zip RDDs with unequal numbers of partitions: List(2, 2, 3)");
      refused('zip', bad, "Can't zip RDDs with unequal numbers of partitions: List(2, 3)");
      refused('zipElements', 'SLUICE_TASK_FAILED', 'Can only zip RDDs with same number of elements in each partition');
      refused('parallelize', bad, 'Positive number of partitions required');
      refused('range', bad, 'step cannot be 0');
      refused('approxDistinctP', bad, 'p (3) must be >= 4');
      refused('approxDistinctSp', bad, 'sp (33) must be <= 32');
      refused('approxDistinctPOverSp', bad, 'p (10) cannot be greater than sp (5)');
      refused('approxDistinctAccuracy', bad, 'accuracy (1.0E-5) must be greater than 0.000017');
      refused('approxDistinctByKey', bad, 'accuracy (0.0) must be greater than 0.000017');
      // 2.5 and 0.5 are no Scala Int: Sluice's words alone.
      refused('coalesceFraction', bad, undefined);
      refused('depthFraction', bad, undefined);
    });

    await t.test("StatCounter.toString as Spark's: Java's %f of the mean, stdev, max and min", () => {
      const [one, none] = jsonLine<[string, string]>(run.lines, 'X stats-text ');
      assert.equal(one, '(count: 1, mean: 0.123457, stdev: 0.000000, max: 0.123457, min: 0.123457)');
      assert.equal(none, '(count: 0, mean: 0.000000, stdev: NaN, max: -Infinity, min: Infinity)');
    });

    await t.test("RDD.checkpoint with no directory, and RDD.persist of another level, quote Spark's sentences", () => {
      const r = jsonLine<{ checkpoint: Outcome; persistAgain: Outcome }>(run.lines, 'X rdd-checkpoint ');
      for (const [o, code, sentence] of [
        [r.checkpoint, 'SLUICE_CHECKPOINT', 'Checkpoint directory has not been set in the SparkContext'],
        [r.persistAgain, 'SLUICE_BAD_ARGUMENT', 'Cannot change storage level of an RDD after it was already assigned a level'],
      ] as const) {
        assert.ok('error' in o, `accepted: ${JSON.stringify(o)}`);
        assert.equal(o.code, code, o.error);
        assert.ok(o.error.includes(`(Spark: "${sentence}")`), o.error);
      }
    });

    await t.test("DStream.persist and checkpoint after start (and after stop) quote Spark's own sentences, not validateAtInit's; ssc.remember after start quotes none", () => {
      const c = jsonLine<Record<string, Outcome>>(run.lines, 'X change-after-start ');
      const refused = (what: string, sentence: string | undefined): void => {
        const o = c[what];
        assert.ok(o !== undefined && 'error' in o, `${what} was accepted: ${JSON.stringify(o)}`);
        assert.equal(o.code, 'SLUICE_BAD_ARGUMENT', `${what}: ${o.error}`);
        if (sentence === undefined) assert.ok(!o.error.includes('as Spark says'), `${what}: '${o.error}' claims a Spark sentence`);
        else assert.ok(o.error.includes(`${sentence} (as Spark says)`), `${what}: '${o.error}' lacks Spark's '${sentence}'`);
        assert.ok(!o.error.includes('Adding new inputs'), `${what}: '${o.error}' quotes validateAtInit`);
      };
      refused('persist', 'Cannot change storage level of a DStream after streaming context has started');
      refused('checkpoint', 'Cannot change checkpoint interval of a DStream after streaming context has started');
      refused('persistAfterStop', 'Cannot change storage level of a DStream after streaming context has started');
      refused('remember', undefined);
    });

    await t.test("DStream.validateAtStart: start() with no checkpoint directory and a stateful or checkpointed stream, or a checkpoint interval below or not a multiple of the slide, quotes Spark's sentence", () => {
      const c = jsonLine<Record<string, Outcome>>(run.lines, 'X checkpoint-words ');
      for (const what of ['stateful', 'checkpointed']) {
        const o = c[what];
        assert.ok(o !== undefined && 'error' in o, `${what} started: ${JSON.stringify(o)}`);
        assert.equal(o.code, 'SLUICE_CHECKPOINT', `${what}: ${o.error}`);
        assert.ok(o.error.includes('(Spark: "The checkpoint directory has not been set. Please set it by StreamingContext.checkpoint().")'), `${what}: ${o.error}`);
      }
      const interval = (what: string, sentence: string): void => {
        const o = c[what];
        assert.ok(o !== undefined && 'error' in o, `${what} started: ${JSON.stringify(o)}`);
        assert.equal(o.code, 'SLUICE_BAD_ARGUMENT', `${what}: ${o.error}`);
        assert.ok(o.error.includes(`(Spark: "${sentence}")`), `${what}: '${o.error}' lacks Spark's '${sentence}'`);
      };
      interval('belowSlide', 'The checkpoint interval for QueueInputDStream has been set to 500 ms which is lower than its slide time (1000 ms). Please set it to at least 1000 ms.');
      interval('notMultiple', 'The checkpoint interval for QueueInputDStream has been set to  1500 ms which not a multiple of its slide time (1000 ms). Please set it to a multiple of 1000 ms.');
    });
  });
});
