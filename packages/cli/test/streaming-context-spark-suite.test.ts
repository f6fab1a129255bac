// Spark Streaming's StreamingContextSuite and StreamingListenerSuite, the cases no other
// file runs, with DStreamClosureSuite, MapWithStateSuite's "state - get, exists, update,
// remove", BasicOperationsSuite's "rdd cleanup - input blocks and persisted RDDs" and
// RateLimiterSuite's maxRate cap end to end, ported case by case and run through Sluice's public API on a real local cluster
// (a driver and 2 worker processes; fixture streaming-context-spark-suite.ts, one
// StreamingContext after the other in one job). What each case expects is Spark's, from
// streaming/src/test/scala/org/apache/spark/streaming/{StreamingContextSuite,
// StreamingListenerSuite}.scala, not from Sluice's code. Spark's addInputStream (batch i
// holds 1..i) is a queue stream here.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { runSparkCases, type SparkCaseRun } from './spark-case-run.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-ssc-spark-'));
let cases: SparkCaseRun;
const tagged = (tag: string, c: string): Record<string, unknown>[] => cases.tagged(tag, c);
const one = (c: string): Record<string, unknown> => cases.one(c);

before(async () => {
  cases = await runSparkCases('streaming-context-spark-suite.ts', [tmp]);
});

after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('StreamingContextSuite "start failure should stop internal components": the failed start leaves the context stopped, not active', () => {
  const r = one('startFailure');
  assert.equal((r.start as { ok: boolean }).ok, false);
  assert.equal((r.start as { code: string }).code, 'SLUICE_CHECKPOINT');
  assert.equal(r.state, 'stopped');
  assert.equal(r.active, false);
});

test('StreamingContextSuite "stop multiple times": stopped after each, no error', () => {
  assert.deepEqual(one('stopTwice'), { first: { ok: true, value: null }, s1: 'stopped', second: { ok: true, value: null }, s2: 'stopped' });
});

test('StreamingContextSuite "awaitTermination": start() does not block; awaitTermination returns only once the context is stopped', () => {
  const r = one('awaitTermination');
  // The upper bounds tell 'returned at its own time' from 'waited for the stop' (which no one
  // asks for there), with room for a driver starved for seconds under load (they were 2, 5, 10 s).
  assert.ok((r.startMs as number) < 20_000, `start took ${String(r.startMs)} ms`);
  assert.equal(r.timedOut, false);
  assert.ok((r.timedOutMs as number) >= 450 && (r.timedOutMs as number) < 60_000, `awaitTerminationOrTimeout(500) took ${String(r.timedOutMs)} ms`);
  assert.equal(r.returnedWhileRunning, false, 'awaitTermination() returned while the context ran');
  assert.ok((r.stoppedAfterMs as number) >= 450 && (r.stoppedAfterMs as number) < 60_000, `returned ${String(r.stoppedAfterMs)} ms after the stop was scheduled`);
  assert.equal(r.state, 'stopped');
});

test('StreamingContextSuite "awaitTerminationOrTimeout": false while running, true once stopped', () => {
  assert.deepEqual(one('awaitTerminationOrTimeout'), { running: false, stopped: true });
});

test('StreamingContextSuite "awaitTermination after stop": returns at once', () => {
  assert.deepEqual(one('awaitAfterStop'), { wait: { ok: true, value: null }, orTimeout: { ok: true, value: true } });
});

test('StreamingContextSuite "awaitTermination with error in task": it throws the task\'s error', () => {
  const r = one('errorInTask');
  assert.equal(r.ok, false);
  assert.match(String(r.message), /map task/);
});

test('awaitTermination throws as soon as an output fails, as Spark\'s ContextWaiter: the same batch\'s next output is still running when the program hears of it', () => {
  const r = one('errorAtOnce');
  assert.equal(r.ok, false);
  assert.match(String(r.message), /the first output fails/);
  assert.equal(r.heardWhileRunning, true, 'awaitTermination threw only after the batch ended');
});

test('StreamingContextSuite "awaitTermination with error in job generation": it throws the transform\'s own error (its class kept)', () => {
  const r = one('errorInJobGeneration');
  assert.equal(r.ok, false);
  assert.equal(r.name, 'TestException');
  assert.match(String(r.message), /transform/);
});

test('StreamingContextSuite "stop gracefully": every record the receiver stored is processed (Spark: counter == runningCount + 1), 3 rounds', () => {
  const rounds = tagged('X', 'stopGracefully');
  assert.equal(rounds.length, 3);
  for (const r of rounds) {
    assert.ok((r.runningCount as number) > 0, JSON.stringify(r));
    assert.equal(r.counter, (r.runningCount as number) + 1, `round ${String(r.round)}: records stored ${String((r.counter as number) - 1)}, processed ${String(r.runningCount)}`);
  }
});

test('StreamingContextSuite "stop slow receiver gracefully": the stop waits for onStop, and the 12 records stored meanwhile are all processed', () => {
  const r = one('stopSlowReceiver');
  assert.equal(r.started, true);
  assert.ok((r.before as number) < 12, `all records were processed before the stop: ${JSON.stringify(r)}`);
  assert.equal(r.runningCount, 12, JSON.stringify(r));
});

test('StreamingContextSuite "stop gracefully even if a receiver misses StopReceiver": a graceful stop right after start ends', () => {
  const r = one('stopAtOnce');
  assert.equal(r.ok, true);
  assert.equal(r.state, 'stopped');
  assert.ok((r.stopMs as number) < 30_000, `the stop took ${String(r.stopMs)} ms`);
});

test('StreamingContextSuite "start should set local properties of streaming jobs correctly"', () => {
  const r = one('localProperties');
  // In the streaming jobs: no job group, a streaming description, not interrupted on
  // cancel, and the custom property as it was at start() (not as set after).
  const found = r.found as Record<string, string | null>;
  assert.equal(found.group, null);
  assert.match(String(found.description), /^Streaming job from \[output operation 0, batch time \d\d:\d\d:\d\d\.\d{3}\]$/);
  assert.equal(found.interrupt, 'false');
  assert.equal(found.custom, 'value1');
  // The program's own properties are untouched.
  assert.deepEqual(r.here, { group: 'non-streaming', description: 'non-streaming', interrupt: 'true', custom: 'value2' });
});

test('StreamingListenerSuite "onBatchCompleted with successful batch": no failure reason', () => {
  const r = one('listenerSuccess');
  assert.deepEqual(r.reasons, {});
  assert.equal(r.completed, true);
  assert.deepEqual(r.awaited, { ok: true, value: false });
});

test('StreamingListenerSuite "onBatchCompleted with failed batch and one failed job": reason of output 0; awaitTermination throws', () => {
  const r = one('listenerOneFailed');
  assert.deepEqual(Object.keys(r.reasons as object), ['0']);
  assert.match((r.reasons as Record<string, string>)['0'], /This is a failed job/);
  assert.equal((r.awaited as { ok: boolean }).ok, false);
  assert.match(String((r.awaited as { message: string }).message), /This is a failed job/);
});

test('StreamingListenerSuite "onBatchCompleted with failed batch and multiple failed jobs": the second output still runs, each reason reported', () => {
  const r = one('listenerTwoFailed');
  const reasons = r.reasons as Record<string, string>;
  assert.deepEqual(Object.keys(reasons).sort(), ['0', '1']);
  assert.match(reasons['0'], /This is a failed job/);
  assert.match(reasons['1'], /This is another failed job/);
  assert.equal((r.awaited as { ok: boolean }).ok, false);
});

test('a listener that throws is skipped, as by Spark\'s listener bus: start() and the batches go on, the other listeners hear every event', () => {
  const r = one('throwingListener');
  assert.deepEqual(r.start, { ok: true, value: null });
  assert.ok((r.batches as number) >= 3, JSON.stringify(r));
  assert.ok((r.completed as number) >= 3, JSON.stringify(r));
  assert.equal(r.first, 'streamingStarted');
});

test('StreamingListenerSuite "don\'t call ssc.stop in listener": ssc.stop() inside a listener throws there, the context goes on and the program stops it', () => {
  const r = one('stopInListener') as { refused: { ok: boolean; code?: string; message?: string } | null; batches: number; stateBefore: string; stateAfter: string };
  assert.equal(r.refused?.ok, false, JSON.stringify(r));
  assert.equal(r.refused?.code, 'SLUICE_BAD_ARGUMENT');
  assert.match(r.refused?.message ?? '', /Cannot stop StreamingContext within listener bus thread/);
  assert.ok(r.batches >= 3, `batches ran after the refused stop: ${JSON.stringify(r)}`);
  assert.equal(r.stateBefore, 'active');
  assert.equal(r.stateAfter, 'stopped');
});

test('StreamingContextSuite "queueStream doesn\'t support checkpointing": the first run writes metadata checkpoints; getOrCreate from them fails with Spark\'s message', () => {
  const r = one('queueCheckpoint') as { written: number; again: { ok: boolean; code?: string; message?: string } };
  assert.ok(r.written > 1, JSON.stringify(r));
  assert.equal(r.again.ok, false, JSON.stringify(r));
  assert.equal(r.again.code, 'SLUICE_CHECKPOINT');
  assert.ok(r.again.message?.includes("queueStream doesn't support checkpointing. Please don't use queueStream when checkpointing is enabled."), r.again.message);
});

test('DStreamClosureSuite "user provided closures are actually cleaned": every operator refuses a closure that cannot ship at its call; a missing function is refused there too', () => {
  const r = one('closures') as Record<string, { ok: boolean; code?: string; message?: string }>;
  const shipping = [
    'map',
    'flatMap',
    'filter',
    'mapPartitions',
    'reduce',
    'reduceByKey',
    'combineByKey',
    'mapValues',
    'flatMapValues',
    'updateStateByKey',
    'mapWithState',
    'reduceByKeyAndWindow',
    'reduceByKeyAndWindow.invFunc',
    'reduceByKeyAndWindow.filterFunc',
    'reduceByWindow',
    'reduceByWindow.invFunc',
  ];
  for (const op of shipping) {
    assert.equal(r[op].ok, false, `${op} took a closure capturing a socket`);
    assert.equal(r[op].code, 'SLUICE_TASK_NOT_SERIALIZABLE', op);
    assert.match(String(r[op].message), new RegExp(`^Task not serializable: dstream\\.${op.split('.')[0]} at .*streaming-context-spark-suite\\.ts:\\d+:\\d+ captures 'bad → conn' \\(a Socket\\)`), op);
  }
  // Run on the driver: nothing to ship (Spark cleans them without a serializability check).
  for (const op of ['transform', 'transformWith', 'foreachRDD']) assert.deepEqual(r[op], { ok: true }, op);
  for (const op of ['map.undefined', 'combineByKey.mergeValueUndefined', 'reduceByKeyAndWindow.undefined']) {
    assert.equal(r[op].code, 'SLUICE_BAD_ARGUMENT', op);
    assert.match(String(r[op].message), /^dstream\.\w+ at .*streaming-context-spark-suite\.ts:\d+:\d+: expected a function, got undefined/, op);
  }
  // Spark's StateSpecImpl requires the function.
  assert.equal(r['StateSpec.function.undefined'].code, 'SLUICE_BAD_ARGUMENT');
  assert.match(String(r['StateSpec.function.undefined'].message), /StateSpec\.function: expected the mapping function/);
  assert.equal(r['StateSpec.initialState.array'].code, 'SLUICE_BAD_ARGUMENT');
  assert.match(String(r['StateSpec.initialState.array'].message), /StateSpec\.initialState: expected an RDD/);
});

test('MapWithStateSuite "state - get, exists, update, remove": no state, then updated, then removed, as Spark\'s State', () => {
  const { got, snapshots } = one('stateRules') as { got: Record<string, unknown>[]; snapshots: unknown[] };
  const bad = { code: 'SLUICE_BAD_ARGUMENT' };
  assert.deepEqual(got, [
    // value 1: no state (get throws), updated twice.
    { exists: false, option: null, get: bad, timingOut: false, updated: { exists: true, get: 10 }, updatedAgain: 11 },
    // value 2: state 11, removed; then update and a second remove throw.
    { exists: true, option: 11, get: { value: 11 }, timingOut: false, removed: { exists: false, option: null, get: bad }, updateAfterRemove: bad, removeAgain: bad },
    // value 3: the removal held.
    { exists: false, option: null, get: bad, timingOut: false },
  ]);
  assert.deepEqual(snapshots, [[['a', 11]], [], []]);
});

test('BasicOperationsSuite "rdd cleanup - input blocks and persisted RDDs": the latest persisted RDD is kept, the earliest unpersisted', () => {
  const { seen, ids } = one('persistedCleanup') as { seen: string[]; ids: [number, boolean][] };
  assert.deepEqual(seen, ['1.', '2.', '3.', '4.', '5.', '6.']);
  assert.equal(ids.length, 6);
  assert.equal(ids[0][1], false, 'the earliest mapped RDD is still persisted');
  assert.equal(ids[5][1], true, 'the latest mapped RDD is not persisted');
});

test('RateLimiterSuite "rate limiter stays below maxRate despite large updates": a receiver storing as fast as it can, under backpressure, takes no more than receiverMaxRate', () => {
  const { counts, spanMs } = one('maxRate') as { counts: number[]; spanMs: number };
  assert.ok(counts.filter((n) => n > 0).length >= 6, JSON.stringify(counts));
  // 200 records/s over the span from start() to the last batch's output (every record counted
  // was admitted in it), with the bucket's burst of one 200 ms block interval (40) and a store
  // that takes it into debt; unlimited, the receiver stores tens of thousands a second ("stop
  // gracefully" above).
  const total = counts.reduce((a, b) => a + b, 0);
  assert.ok(total <= (200 * spanMs) / 1000 + 40 + 1, `${total} records in ${spanMs} ms, over ${counts.length} batches: ${JSON.stringify(counts)}`);
});
