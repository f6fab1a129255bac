// Spark semantics on a real local cluster (a driver and 2 worker processes, started once for
// the file; one job runs every case, fixture streaming-spark-suites15.ts). What each case
// expects is Spark's, worked out here from Spark's sources, not from Sluice's code:
// - ReceiverSupervisor.startReceiver: `if (onReceiverStart()) { receiverState = Started;
//   receiver.onStart() }`, onReceiverStart being ReceiverSupervisorImpl's RegisterReceiver ask,
//   on which ReceiverTracker.registerReceiver posts StreamingListenerReceiverStarted with a new
//   ReceiverTrackingInfo (ACTIVE, no errorInfo: ReceiverInfo(active = true, lastErrorMessage "",
//   lastError "", lastErrorTime -1)). So listeners hear onReceiverStarted before onStart runs,
//   and an onStart that waits for it is not left waiting.
// - An onStart that throws: `case NonFatal(t) => stop("Error starting receiver " + streamId,
//   Some(t))`: stopReceiver (the state is Started) runs receiver.onStop() then
//   DeregisterReceiver(streamId, message, the error's stack trace), on which deregisterReceiver
//   posts StreamingListenerReceiverStopped with ReceiverInfo(active = false, lastErrorMessage
//   the message, lastError the stack, lastErrorTime the clock's time as there is an error); the
//   receiver's job then ends and ReceiverTracker launches it again (RestartReceiver), whose
//   registerReceiver posts onReceiverStarted with the error info cleared. A stop given no error
//   (the context's) has lastErrorTime -1.
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
});
