// Spark semantics on a real local cluster (a driver and 2 worker processes, started once for
// the file; one job runs every case). What each case expects is Spark's, worked out here from
// Spark's sources, not from Sluice's code:
// - UnionDStream (ssc.union, dstream.union) and TransformedDStream (transformWith, and join,
//   which PairDStreamFunctions builds with transformWith) check their parents with the same
//   requires: require(parents.map(_.ssc).distinct.size == 1, "Some of the DStreams have different
//   contexts") then require(parents.map(_.slideDuration).distinct.size == 1, "Some of the DStreams
//   have different slide durations"), when the call is made. ssc.union of no stream fails in
//   UnionDStream's constructor at parents.head (NoSuchElementException, its text Scala's: "head of
//   empty array" in 2.13, "next on empty iterator" in 2.12) before its require "List of DStreams to
//   union is empty" can speak, so no Spark sentence is quoted for it.
// - BoundedDouble (partial/BoundedDouble.scala) is a class: toString "[%.3f, %.3f]".format(low,
//   high), Java's Formatter rounding the shortest digits half up (0.1235 -> 0.124, 2/3 -> 0.667)
//   and writing infinities as words; equals: another BoundedDouble with ==-equal mean, confidence,
//   low and high (a Double's ==: NaN equals nothing). A count (CountEvaluator) or a mean
//   (MeanEvaluator) with every partition merged is exact at confidence 1.0; GroupedCountEvaluator
//   gives a BoundedDouble per value.
// - StreamingContext.getOrCreate(checkpointPath, creatingFunc, hadoopConf, createOnError):
//   CheckpointReader.read lists the directory's checkpoint files (named checkpoint-<time>): none
//   (an empty directory, or one of other files only) is None, so creatingFunc makes the context;
//   every one unreadable throws SparkException(s"Failed to read checkpoint from directory
//   $checkpointPath") unless createOnError (ignoreReadError), which makes a new context instead.
// - ContextWaiter.waitForStopOrError(timeout) (awaitTerminationOrTimeout, awaitTermination): once
//   an error is reported (JobScheduler.reportError -> notifyError) it throws it, every call, the
//   error never cleared, a stop (notifyStop) included: so before the timeout, and after stop().
// - StreamingContext.start posts StreamingListenerStreamingStarted(System.currentTimeMillis()) once
//   its scheduler started: the wall clock's time, whatever clock the batches run on (a manual one).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertCasesDone, fixture, jsonLine, startJob, withCluster, type JobRun } from './harness.js';

const SUITE = fixture('streaming-spark-suites14.ts');

type Outcome = { code: string | null; error: string } | { value?: unknown };

const refusedWith = (o: Outcome | undefined, sentence: string, what: string): void => {
  assert.ok(o && 'error' in o, `${what}: refused (${JSON.stringify(o)})`);
  assert.equal(o.code, 'SLUICE_BAD_ARGUMENT', what);
  assert.ok(o.error.endsWith(` (Spark: "${sentence}")`), `${what}: ends with Spark's sentence: ${o.error}`);
};

test('Spark semantics, suite 14 (one job on a local cluster)', { timeout: 300_000 }, async (t) => {
  await withCluster({ workers: 2 }, async (h) => {
    const run: JobRun = await (await startJob(h.cluster, SUITE, [])).done;
    assertCasesDone(run);

    await t.test("UnionDStream / TransformedDStream: streams of different slides or contexts are refused with Spark's require sentences after Sluice's; ssc.union([]) keeps Sluice's words", () => {
      const u = jsonLine<Record<string, Outcome>>(run.lines, 'X union-words ');
      for (const k of ['sscUnionSlides', 'unionSlides', 'transformWithSlides', 'joinSlides']) refusedWith(u[k], 'Some of the DStreams have different slide durations', k);
      for (const k of ['sscUnionContexts', 'unionContexts']) refusedWith(u[k], 'Some of the DStreams have different contexts', k);
      // Sluice's own words before Spark's: what is wrong and the fix.
      // Each names the call the program made (ssc.union's named dstream.union before round 14).
      assert.match((u.sscUnionSlides as { error: string }).error, /^ssc\.union: some of the streams have different slide durations \(stream 0 \(QueueInputDStream\) every 1000 ms, stream 1 \(WindowedDStream\) every 2000 ms\)/);
      assert.match((u.unionSlides as { error: string }).error, /^dstream\.union: some of the streams/);
      assert.match((u.transformWithSlides as { error: string }).error, /^dstream\.transformWith: some of the streams/);
      assert.match((u.sscUnionContexts as { error: string }).error, /^ssc\.union: the streams belong to different StreamingContexts/);
      assert.match((u.unionContexts as { error: string }).error, /different StreamingContexts .*make every stream of the graph from one context/);
      const none = u.sscUnionNone as { code: string | null; error: string };
      assert.equal(none.code, 'SLUICE_BAD_ARGUMENT');
      assert.match(none.error, /^ssc\.union: /);
      assert.doesNotMatch(none.error, /\(Spark: /, 'Spark never reaches its require for no stream');
    });

    await t.test("BoundedDouble is a class with Spark's toString \"[%.3f, %.3f]\" and equals; the approximate actions give one", () => {
      const b = jsonLine<Record<string, unknown>>(run.lines, 'X bounded-double ');
      assert.equal(b.countIsClass, true);
      assert.equal(b.countText, '[8.000, 8.000]');
      assert.equal(b.countTemplate, '[8.000, 8.000]');
      assert.deepEqual(b.countJson, { mean: 8, confidence: 1, low: 8, high: 8 }, 'its fields as before');
      assert.equal(b.countEqualsSame, true);
      assert.equal(b.countEqualsOther, false, 'another confidence');
      assert.equal(b.countEqualsPlain, false, 'not a BoundedDouble');
      assert.equal(b.meanIsClass, true);
      assert.equal(b.meanText, '[4.500, 4.500]', 'the mean of 1..8');
      const byValue = (b.byValue as [string, boolean, string][]).sort((x, y) => x[0].localeCompare(y[0]));
      assert.deepEqual(byValue, [['a', true, '[2.000, 2.000]'], ['b', true, '[1.000, 1.000]']]);
      assert.equal(b.madeText, '[0.124, 0.667]');
      assert.equal(b.unboundedText, '[-Infinity, Infinity]');
      assert.equal(b.nanEqualsItself, false);
    });

    await t.test('awaitTerminationOrTimeout after an output failed: throws its error at once, every call, after stop() too; so does awaitTermination (ContextWaiter keeps the error)', () => {
      const a = jsonLine<Record<string, Outcome>>(run.lines, 'X await-after-error ');
      for (const k of ['first', 'second', 'afterStop', 'awaitTermination']) {
        const o = a[k];
        assert.ok(o && 'error' in o, `${k}: throws (${JSON.stringify(o)})`);
        assert.match(o.error, /output broke/, k);
      }
    });

    await t.test("onStreamingStarted's time is the wall clock's at the start, on a manual clock too (Spark's System.currentTimeMillis())", () => {
      const s = jsonLine<{ time: number | null; sparkTime: number | null; asNumber: { elapsed: number; iso: string; text: string } | null; before: number; after: number; manual: number }>(run.lines, 'X streaming-started ');
      assert.ok(s.time !== null && s.time >= s.before && s.time <= s.after, `onStreamingStarted(${s.time}) within ssc.start() (${s.before}..${s.after}), not the manual clock's ${s.manual}`);
      // Spark's StreamingListenerStreamingStarted(time): the same time as its `time` field; a
      // listener written for the number reads it as one (arithmetic, Date, a template).
      assert.equal(s.sparkTime, s.time);
      assert.deepEqual(s.asNumber, { elapsed: s.time - s.before, iso: new Date(s.time).toISOString(), text: String(s.time) });
    });

    await t.test("getOrCreate: every checkpoint unreadable fails with Spark's \"Failed to read checkpoint from directory <dir>\" after Sluice's words, a new context with createOnError; an empty directory or one of other files makes a new context", () => {
      const c = jsonLine<{ dir: string; strict: Outcome; lenient: string; empty: string; stray: string }>(run.lines, 'X checkpoint-read ');
      const strict = c.strict as { code: string | null; error: string };
      assert.equal(strict.code, 'SLUICE_CHECKPOINT');
      assert.match(strict.error, /^no usable metadata checkpoint in /);
      assert.ok(strict.error.endsWith(` (Spark: "Failed to read checkpoint from directory ${c.dir}")`), strict.error);
      assert.deepEqual([c.lenient, c.empty, c.stray], ['initialized', 'initialized', 'initialized']);
    });
  });
});
