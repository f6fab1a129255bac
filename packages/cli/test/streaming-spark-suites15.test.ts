// Spark semantics on a real local cluster (a driver and 2 worker processes, started once for
// the file; one job runs every case, fixture streaming-spark-suites15.ts). What each case
// expects is Spark's, worked out here from Spark's sources, not from Sluice's code:
// - ReceiverSupervisor.startReceiver: `if (onReceiverStart()) { receiverState = Started;
//   receiver.onStart() }`, onReceiverStart being ReceiverSupervisorImpl's RegisterReceiver ask,
//   on which ReceiverTracker.registerReceiver posts StreamingListenerReceiverStarted with a new
//   ReceiverTrackingInfo (ACTIVE, no errorInfo: ReceiverInfo(active = true, lastErrorMessage "",
//   lastError "", lastErrorTime -1), its location the executor's host). So listeners hear
//   onReceiverStarted before onStart runs, and an onStart that waits for it is not left waiting.
// - An onStart that throws: `case NonFatal(t) => stop("Error starting receiver " + streamId,
//   Some(t))`: stopReceiver (the state is Started) runs receiver.onStop() then
//   DeregisterReceiver(streamId, message, the error's stack trace), on which deregisterReceiver
//   posts StreamingListenerReceiverStopped with ReceiverInfo(active = false, lastErrorMessage
//   the message, lastError the stack, lastErrorTime the clock's time as there is an error); the
//   receiver's job then ends and ReceiverTracker launches it again (RestartReceiver), whose
//   registerReceiver posts onReceiverStarted with the error info cleared. A stop given no error
//   (the context's) has lastErrorTime -1.
// - A window length or slide that is no multiple of the slide of the stream it reads: Spark's
//   WindowedDStream throws "The window duration of windowed DStream (<ms> ms) must be a
//   multiple of the slide duration of parent DStream (<ms> ms)" (or "The slide duration ..."),
//   its ReducedWindowedDStream requires "The window duration of ReducedWindowedDStream (<ms>
//   ms) must be multiple of the slide duration of parent DStream (<ms> ms)" (no "a"), Duration
//   printing as "<ms> ms". window, reduceByWindow and reduceByKeyAndWindow without an inverse
//   and groupByKeyAndWindow build a WindowedDStream; countByWindow, countByValueAndWindow and
//   the inverse forms a ReducedWindowedDStream (PairDStreamFunctions, DStream.scala). The
//   parent is the stream the call reads: a 2 s window's windows are checked against 2000 ms.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fixture, lineOf } from './harness.js';
import { runSparkCases, type SparkCaseRun } from './spark-case-run.js';

const FIXTURE = fixture('streaming-spark-suites15.ts');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-spark15-'));
let cases: SparkCaseRun;

/** [kind, streamId, active, lastErrorMessage, lastError, lastErrorTime, reason?] */
type Heard = [string, number, boolean, string, string, number, string?];

before(async () => {
  cases = await runSparkCases('streaming-spark-suites15.ts', [tmp, process.env.SLUICE_CASES ?? ''], { workers: 2 });
});

after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('ReceiverSupervisor.startReceiver: onReceiverStarted (active, no error info) is heard before the receiver\'s onStart returns', () => {
  const { got } = cases.one<{ got: unknown[] }>('start-order');
  assert.deepEqual(got, [1, 2, 3, 'marker seen in onStart']);
  const heard = cases.tagged<Heard>('L', 'start-order');
  assert.deepEqual(heard[0], ['started', 0, true, '', '', -1]);
  // The context's stop: no error, so lastErrorTime -1.
  assert.deepEqual(heard.slice(1).map((h) => [h[0], h[2], h[4], h[5]]), [['stopped', false, '', -1]], JSON.stringify(heard));
});

test('an onStart that throws: registered, then stop("Error starting receiver 0", error) (its onStop runs, onReceiverStopped inactive with the stack and a time), then launched again (onReceiverStarted, error info cleared)', () => {
  const x = cases.one<{ got: number[]; log: string[]; before: number; after: number }>('start-fails');
  assert.deepEqual([...x.got].sort(), [4, 5]);
  // isStarted in onStart (receiverState = Started before onStart), and stopReceiver's onStop after the failed start.
  assert.deepEqual(x.log, ['start 1 isStarted=true', 'stop', 'start 2 isStarted=true', 'stop']);
  const heard = cases.tagged<Heard>('L', 'start-fails');
  assert.deepEqual(heard.map((h) => h[0]), ['started', 'stopped', 'started', 'stopped'], JSON.stringify(heard));
  assert.deepEqual(heard[0], ['started', 0, true, '', '', -1]);
  const [, streamId, active, message, stack, time, reason] = heard[1];
  assert.deepEqual([streamId, active, message, reason], [0, false, 'Error starting receiver 0', 'Error starting receiver 0']);
  assert.match(stack, /^RangeError: no tape loaded\n/, stack);
  assert.match(stack, new RegExp(`\\n\\s+at FailingStartReceiver\\.onStart \\(\\S*streaming-spark-suites15\\.ts:${lineOf(FIXTURE, 'ONSTART-THROW')}:\\d+\\)`), stack);
  assert.ok(time >= x.before && time <= x.after, `lastErrorTime ${time} is the clock's time during the run (${x.before}..${x.after})`);
  assert.deepEqual(heard[2], ['started', 0, true, '', '', -1]);
  assert.deepEqual([heard[3][2], heard[3][4], heard[3][5]], [false, '', -1]);
  // ReceiverInfo.location: the host of the executor the receiver ran on. The local cluster's
  // workers all listen on 127.0.0.1 (loopback unless told otherwise), so each event's is that.
  const where = [...cases.tagged<[string, string, string]>('W', 'start-fails'), ...cases.tagged<[string, string, string]>('W', 'start-order')];
  assert.equal(where.length, 6, JSON.stringify(where));
  for (const [kind, workerId, location] of where) assert.deepEqual([kind, workerId.length > 0, location], [kind, true, '127.0.0.1']);
});

test("window-family calls: a length or slide no multiple of the parent's slide ends with the sentence of Spark's WindowedDStream or ReducedWindowedDStream", () => {
  const x = cases.one<Record<string, { code?: string | null; error?: string }>>('window-sentences');
  const expect = (k: string, sluice: string, spark: string): void => {
    assert.equal(x[k]?.code, 'SLUICE_BAD_ARGUMENT', `${k}: ${JSON.stringify(x[k])}`);
    assert.equal(x[k]?.error, `${sluice} (Spark: "${spark}")`, k);
  };
  expect('windowOfWindow', 'dstream.window: window length (3000 ms) must be a multiple of the slide of the windowed stream it reads (2000 ms)', 'The window duration of windowed DStream (3000 ms) must be a multiple of the slide duration of parent DStream (2000 ms)');
  expect('countByWindowOfWindow', 'dstream.countByWindow: window slide (3000 ms) must be a multiple of the slide of the windowed stream it reads (2000 ms)', 'The slide duration of ReducedWindowedDStream (3000 ms) must be multiple of the slide duration of parent DStream (2000 ms)');
  expect('reduceByWindow', 'dstream.reduceByWindow: window length (2500 ms) must be a multiple of the batch interval (1000 ms)', 'The window duration of windowed DStream (2500 ms) must be a multiple of the slide duration of parent DStream (1000 ms)');
  expect('reduceByWindowInv', 'dstream.reduceByWindow: window slide (1500 ms) must be a multiple of the batch interval (1000 ms)', 'The slide duration of ReducedWindowedDStream (1500 ms) must be multiple of the slide duration of parent DStream (1000 ms)');
  expect('reduceByKeyAndWindowInv', 'dstream.reduceByKeyAndWindow: window slide (1500 ms) must be a multiple of the batch interval (1000 ms)', 'The slide duration of ReducedWindowedDStream (1500 ms) must be multiple of the slide duration of parent DStream (1000 ms)');
  expect('reduceByKeyAndWindow', 'dstream.reduceByKeyAndWindow: window slide (1500 ms) must be a multiple of the batch interval (1000 ms)', 'The slide duration of windowed DStream (1500 ms) must be a multiple of the slide duration of parent DStream (1000 ms)');
  expect('groupByKeyAndWindow', 'dstream.groupByKeyAndWindow: window length (2500 ms) must be a multiple of the batch interval (1000 ms)', 'The window duration of windowed DStream (2500 ms) must be a multiple of the slide duration of parent DStream (1000 ms)');
  expect('countByValueAndWindow', 'dstream.countByValueAndWindow: window length (2500 ms) must be a multiple of the batch interval (1000 ms)', 'The window duration of ReducedWindowedDStream (2500 ms) must be multiple of the slide duration of parent DStream (1000 ms)');
  // PySpark's countByValueAndWindow(30, 10), in seconds there, ported as is: 30 ms here, and the message says how to write seconds.
  expect('pysparkSeconds', "dstream.countByValueAndWindow: window length (30 ms) must be a multiple of the batch interval (1000 ms); a number is milliseconds: for 30 seconds (PySpark's 30) write Seconds(30) or '30s'", 'The window duration of ReducedWindowedDStream (30 ms) must be multiple of the slide duration of parent DStream (1000 ms)');
});
