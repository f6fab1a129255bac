// Spark (Streaming) semantics on a real local cluster (a driver and 2 worker processes, started
// once for the file; one job runs every case). What each case expects is Spark's, worked out
// here from Spark's sources, not from Sluice's code:
// - ContextWaiter.waitForStopOrError(timeout): awaitTerminationOrTimeout on a context never
//   started waits out its timeout and returns false, or true once stop() was called meanwhile
//   (StreamingContext.stop on an INITIALIZED context marks it STOPPED and notifies the waiter).
//   awaitTermination() with no timeout would wait for a stop() from another thread, which a
//   job's program has not: Sluice refuses it (SLUICE_NOT_STARTED, README). A negative timeout
//   waits with none (waitForStopOrError: `if (timeout < 0) ... condition.await()`), so on a
//   started context it returns true at the stop, and is refused before start as
//   awaitTermination() is; a timeout of 2^32 ms (Scala's Long) waits, not 1 ms (Node's timer cap).
// - QueueInputDStream.compute: oneAtATime false takes every RDD queued (a UnionRDD of them)
//   and empties the queue; an empty queue gives defaultRDD, or sc.emptyRDD when defaultRDD is
//   null (Spark 2+: Some(emptyRDD), so outputs run at every batch); the queue is read at each
//   batch, so an RDD pushed after the start is taken by the next batch.
// - StreamingListener (JobScheduler.handleJobStart / handleJobCompletion, JobSet.toBatchInfo,
//   BatchInfo): per batch onBatchSubmitted, onBatchStarted (posted at its first output's
//   start), then each output operation started and completed in turn, then onBatchCompleted.
//   Submitted: submissionTime, no processing times or delays (None); started: submissionTime,
//   processingStartTime and schedulingDelay; completed: all, totalDelay = schedulingDelay +
//   processingDelay. numRecords 0 for a queue stream (QueueInputDStream reports no input
//   info). A failed output operation's OutputOperationInfo.failureReason is its error's
//   message first (Utils.exceptionString), in onOutputOperationCompleted and in the batch's
//   outputOperationInfos; the other output's is None; awaitTermination throws the error.
// - TransformedDStream.compute: "Transform function must not return null. Return
//   SparkContext.emptyRDD() instead ..." and, a parent with no RDD, "Couldn't generate RDD from
//   parent at time <t> ms"; UnionDStream.compute: "Could not generate RDD from a parent for
//   unifying at time <t> ms" (Time's toString is '<ms> ms'); each a SparkException from job
//   generation, which awaitTermination throws.
// - DStreamGraph.remember: require(rememberDuration == null, s"Remember duration already set as
//   $rememberDuration. Cannot set it again."), Duration's toString '<ms> ms'.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixture, jsonLine, startJob, withCluster, type JobRun } from './harness.js';

const SUITE = fixture('streaming-spark-suites11.ts');

type Outcome = { code: string | null; error: string } | { value?: unknown };

test('Spark Streaming semantics, suite 11 (one job on a local cluster)', { timeout: 300_000 }, async (t) => {
  await withCluster({ workers: 2 }, async (h) => {
    const run: JobRun = await (await startJob(h.cluster, SUITE, [])).done;
    assert.ok(run.ok, String(run.failure));
    assert.equal(run.lines.at(-1), 'DONE', run.lines.join('\n'));
    assert.deepEqual(run.lines.filter((l) => l.startsWith('E ')), [], 'no case threw');

    await t.test('StreamingContextSuite "awaitTermination" on a context never started: awaitTerminationOrTimeout waits out its timeout (false) or until stop() (true); awaitTermination() is refused', () => {
      const a = jsonLine<{ timedOut: boolean; waitedFull: boolean; awaitTermination: Outcome; stoppedMeanwhile: boolean; state: string }>(run.lines, 'X await-unstarted ');
      assert.equal(a.timedOut, false, 'awaitTerminationOrTimeout(300) before start()');
      assert.equal(a.waitedFull, true, 'it waited its 300 ms');
      assert.ok('error' in a.awaitTermination, `awaitTermination() before start() returned: ${JSON.stringify(a.awaitTermination)}`);
      assert.equal(a.awaitTermination.code, 'SLUICE_NOT_STARTED');
      assert.match(a.awaitTermination.error, /call ssc\.start\(\) before ssc\.awaitTermination\(\)/);
      assert.equal(a.stoppedMeanwhile, true, 'awaitTerminationOrTimeout(120 s) with stop() called 100 ms later');
      assert.equal(a.state, 'stopped');
    });

    await t.test('awaitTerminationOrTimeout(-1) waits with no timeout (refused before start, as awaitTermination()); 2^32 ms is waited, not cut to Node\'s 1 ms; a timeout that is not a number is refused', () => {
      const a = jsonLine<Record<string, Outcome>>(run.lines, 'X await-timeouts ');
      const failed = (o: Outcome | undefined, code: string, re: RegExp, what: string): void => {
        assert.ok(o !== undefined && 'error' in o, `${what} returned: ${JSON.stringify(o)}`);
        assert.equal(o.code, code, `${what}: ${o.error}`);
        assert.match(o.error, re, what);
      };
      failed(a.negativeUnstarted, 'SLUICE_NOT_STARTED', /call ssc\.start\(\) before ssc\.awaitTerminationOrTimeout\(\)/, 'awaitTerminationOrTimeout(-1) before start');
      failed(a.notANumber, 'SLUICE_BAD_ARGUMENT', /^ssc\.awaitTerminationOrTimeout: the timeout must be a number of ms, got "soon"/, "awaitTerminationOrTimeout('soon')");
      assert.deepEqual(a.negative, { value: true }, 'awaitTerminationOrTimeout(-1) on a started context stopped 200 ms later');
      assert.deepEqual(a.beyondTimer, { value: true }, 'awaitTerminationOrTimeout(2^32) on a started context stopped 200 ms later');
    });

    await t.test('queueStream: oneAtATime false unions the queue, then defaultRDD while it is empty; a pushed RDD is taken; defaultRDD null gives empty batches whose outputs run', () => {
      const q = jsonLine<{ all: [number, number[]][]; nulls: [number, number][] }>(run.lines, 'X queue-default ');
      // Batch 1 takes [1, 2] and [3] together; 2 finds the queue empty ([9]); [4] is pushed after batch 2; 4 is empty again.
      assert.deepEqual(q.all, [
        [1000, [1, 2, 3]],
        [2000, [9]],
        [3000, [4]],
        [4000, [9]],
      ]);
      // [5] once, then an empty RDD at each batch (0 records), the output running each time.
      assert.deepEqual(q.nulls, [
        [1000, 1],
        [2000, 0],
        [3000, 0],
        [4000, 0],
      ]);
    });

    await t.test('StreamingListenerSuite "batch info reporting", "output operation reporting": event order, the BatchInfo fields each event has, and a failed output\'s failureReason', () => {
      const l = jsonLine<{ events: unknown[]; ended: Outcome }>(run.lines, 'X listener ');
      const SUBMITTED = ['submissionTime'];
      const STARTED = ['submissionTime', 'processingStartTime', 'schedulingDelay'];
      const COMPLETED = ['submissionTime', 'processingStartTime', 'processingEndTime', 'schedulingDelay', 'processingDelay', 'totalDelay'];
      const FAILURE = 'output 1 fails in batch 2';
      const batch = (t: number, failure: string | null): unknown[] => [
        ['batchSubmitted', t, SUBMITTED],
        ['batchStarted', t, STARTED],
        ['outputStarted', t, 0],
        ['outputCompleted', t, 0, null, true],
        ['outputStarted', t, 1],
        ['outputCompleted', t, 1, failure, true],
        // numRecords 0, totalDelay = schedulingDelay + processingDelay, each output's failureReason.
        ['batchCompleted', t, COMPLETED, 0, true, [[0, null], [1, failure]]],
      ];
      assert.deepEqual(l.events, [...batch(1000, null), ...batch(2000, FAILURE)]);
      assert.ok('error' in l.ended, `awaitTermination returned: ${JSON.stringify(l.ended)}`);
      assert.equal(l.ended.error.split('\n')[0], FAILURE);
    });

    await t.test('BasicOperationsSuite "transform with NULL", "transform with input stream return None", "union with input stream return None": the errors carry Spark\'s sentences', () => {
      const n = jsonLine<Record<string, Outcome>>(run.lines, 'X no-rdd ');
      const refusedWith = (o: Outcome | undefined, what: string, ...patterns: RegExp[]): void => {
        assert.ok(o !== undefined && 'error' in o, `${what}: awaitTermination returned ${JSON.stringify(o)}`);
        assert.equal(o.code, 'SLUICE_BAD_ARGUMENT', `${what}: ${o.error}`);
        for (const p of patterns) assert.match(o.error, p, what);
      };
      refusedWith(n.transformNull, 'transform returning null', /^dstream\.transform: the function returned null for batch time 1000, not an RDD/, /Transform function must not return null/);
      refusedWith(n.transformNoParent, 'transform of an input with no RDD', /^dstream\.transform: stream \d+ \(NoRddInput\) has no RDD for batch time 1000/, /Couldn't generate RDD from parent at time 1000 ms/);
      refusedWith(n.unionNoParent, 'union with an input with no RDD', /^dstream\.union: stream \d+ \(NoRddInput\) has no RDD for batch time 1000/, /Could not generate RDD from a parent for unifying at time 1000 ms/);
    });

    await t.test('ssc.remember a second time is refused with DStreamGraph.remember\'s sentence, naming the duration set first', () => {
      const r = jsonLine<Outcome>(run.lines, 'X remember-twice ');
      assert.ok('error' in r, `the second remember was accepted: ${JSON.stringify(r)}`);
      assert.equal(r.code, 'SLUICE_BAD_ARGUMENT');
      assert.ok(r.error.includes('Remember duration already set as 4000 ms. Cannot set it again.'), r.error);
    });
  });
});
