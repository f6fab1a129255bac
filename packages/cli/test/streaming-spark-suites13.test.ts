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
// - RDD.countApprox and countByValueApprox: require(0.0 <= confidence && confidence <= 1.0,
//   s"confidence ($confidence) must be in [0,1]"), the Double as Scala prints it (1.5, 2.0).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertCasesDone, fixture, jsonLine, startJob, withCluster, type JobRun } from './harness.js';

const SUITE = fixture('streaming-spark-suites13.ts');

type Bounded = { mean: number; confidence: number; low: number | string; high: number | string };
type Partial = { initial: Bounded; isFinal: boolean; final?: Bounded };
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
      assert.deepEqual(a.countNegative, { initial: { mean: 0, confidence: 0, low: 0, high: 'Infinity' }, isFinal: false, final: exact(numbers.length) });
      assert.deepEqual(a.sumNegative, { initial: { mean: 0, confidence: 0, low: '-Infinity', high: 'Infinity' }, isFinal: false, final: exact(numbers.reduce((s, x) => s + x, 0)) });
      // 2^32 ms is far past the job: the exact count, final.
      assert.deepEqual(a.countLong, { initial: exact(numbers.length), isFinal: true });
      // No partition: every (none) task finished, so final even at a negative timeout.
      assert.deepEqual(a.countNoPartition, { initial: exact(0), isFinal: true });
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
  });
});
