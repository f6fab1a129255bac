// Spark Streaming's ReceiverSuite, RateControllerSuite and CheckpointSuite's "recovery
// maintains rate controller", ported case by case and run through Sluice's public API on a
// real local cluster (a driver and 2 worker processes of 2 cores; fixture
// receiver-spark-suites.ts, one StreamingContext after the other in one job). Inputs and
// expected values are Spark's, from streaming/src/test/scala/org/apache/spark/streaming/
// {ReceiverSuite, scheduler/RateControllerSuite, CheckpointSuite}.scala:
//  - "receiver life cycle": started (isStarted, not isStopped); a single record, an array
//    and an iterator stored each reach the stream (Spark's store(T), store(ArrayBuffer),
//    store(Iterator)); an error reported reaches the driver; restart stops the receiver
//    (isStopped in onStop; listeners hear onReceiverStopped with ReceiverSupervisor's
//    "Restarting receiver with delay 100ms: restarting") and starts it again; stop stops it;
//  - "write ahead log - generating and cleaning": two receivers, the log rolled every
//    second, 500 ms batches, the second stream under a 3 s window: old segment files are
//    deleted while it runs, and at the end the first stream keeps at least its newest file,
//    the second at least its newest 3 (what its window still needs);
//  - ReceiverTrackerSuite "should restart receiver after stopping it": a receiver that stopped
//    itself while the context runs is started again;
//  - JobGeneratorSuite "SPARK-6222: Do not clear received block data too soon": with the
//    write-ahead log rolled every second and two batches at a time, a batch held up in its
//    output while the 17 after it are generated and completed still reads every record it
//    was given, and so does every other batch;
//  - "rate controller publishes updates after batches complete", and "recovery maintains
//    rate controller": a recovered context's input still gets rates from its estimator.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fixture, lineOf } from './harness.js';
import { runSparkCases, type SparkCaseRun } from './spark-case-run.js';

const FIXTURE = fixture('receiver-spark-suites.ts');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-receiver-spark-'));
let cases: SparkCaseRun;
const tagged = (tag: string, c: string): unknown[] => cases.tagged(tag, c);
const info = <T>(c: string): T => Object.assign({}, ...(tagged('X', c) as object[])) as T;

before(async () => {
  cases = await runSparkCases('receiver-spark-suites.ts', [tmp, process.env.SLUICE_CASES ?? ''], { workers: 2, coresPerWorker: 2 });
});

after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('receiver life cycle: a single record, an array and an iterator stored (1..6 each once), the error reported, restart and stop as Spark; stopped, it is started again (ReceiverTrackerSuite)', () => {
  const data = (tagged('D', 'life') as [number, number[]][]).flatMap(([, xs]) => xs);
  assert.deepEqual([...data].sort((a, b) => a - b), [1, 2, 3, 4, 5, 6], JSON.stringify(data));
  const { log } = info<{ log: string[] }>('life');
  assert.equal(log[4], 'start 3 isStarted=true isStopped=false', 'started again after its stop');
  assert.deepEqual(log.slice(0, 4), [
    'start 1 isStarted=true isStopped=false',
    'stop isStopped=true',
    'start 2 isStarted=true isStopped=false',
    'stop isStopped=true',
  ]);
  const events = tagged('L', 'life') as [string, number, string?, string?, string?][];
  // The receiver's own events: its restart('restarting', undefined, 100) is Spark's
  // restartReceiver, a stop (deregisterReceiver: onReceiverStopped with "Restarting receiver
  // with delay 100ms: restarting", no error, so lastError "") then a start (registerReceiver);
  // after its stop the driver starts it again (ReceiverTrackerSuite "should restart receiver
  // after stopping it") posting nothing between the stop and the start, as Spark's
  // ReceiverTracker (StreamingListenerSuite "receiver info reporting" counts one start, one
  // error and one stop of a receiver that reports an error and stops).
  assert.deepEqual(
    events.slice(0, 6).map((e) => e[0]),
    ['started', 'error', 'stopped', 'started', 'stopped', 'started'],
    JSON.stringify(events),
  );
  assert.match(String(events[1][2]), /Error/);
  assert.match(String(events[1][2]), /the exception/);
  assert.deepEqual(events[2].slice(2), ['Restarting receiver with delay 100ms: restarting', 'Restarting receiver with delay 100ms: restarting', '']);
  assert.match(String(events[4][2]), /test/);
  // stop('test', error): onReceiverStopped carries the message and the error's stack (Spark's
  // ReceiverInfo.lastErrorMessage and lastError after deregisterReceiver), and so does the
  // error the driver reports as it starts the receiver again.
  assert.equal(events[4][3], 'test');
  const stopStack = String(events[4][4]);
  assert.match(stopStack, /^RangeError: tape ended\n/, stopStack);
  assert.match(stopStack, new RegExp(`\\n\\s+at stopWithError \\(\\S*receiver-spark-suites\\.ts:${lineOf(FIXTURE, 'STOP-SITE')}:\\d+\\)`), stopStack);
});

test('a store() of a record no codec carries is refused (SLUICE_BAD_ARGUMENT, reported); the records stored beside it and after it arrive, the receiver goes on', () => {
  const data = (tagged('D', 'bad') as [number, number[]][]).flatMap(([, xs]) => xs);
  assert.deepEqual([...data].sort((a, b) => a - b), [1, 3, 4], JSON.stringify(data));
  const { log } = info<{ log: string[] }>('bad');
  assert.equal(log[0], 'start');
  assert.equal(log.filter((l) => l === 'start').length, 1, `not restarted: ${JSON.stringify(log)}`);
  assert.match(log[1], /^bad store rejected SLUICE_BAD_ARGUMENT Receiver\.store: a store\(\) of 2 record\(s\) was refused, none of them stored: /);
  const events = tagged('L', 'bad') as [string, number, string?][];
  assert.match(log[1], /a record must be plain data .* or an instance of a class defined at the top level of the job file/);
  // Reported, and the receiver ran on until the context stopped it.
  assert.deepEqual(events.map((e) => e[0]), ['started', 'error', 'stopped'], JSON.stringify(events));
  assert.match(String(events[1][2]), /a store\(\) of 2 record\(s\) was refused/);
});

test('write ahead log - generating and cleaning: old segments deleted while running; the newest 1 of the plain stream and 3 of the windowed one kept', () => {
  const { all, left } = info<{ all: string[][]; left: string[][] }>('wal');
  for (const i of [0, 1]) {
    assert.ok(all[i].length >= 7, `stream ${i}: ${all[i].length} segment files seen`);
    assert.ok(!left[i].includes(all[i][0]), `stream ${i}: its first segment was deleted`);
  }
  for (const f of all[0].slice(-1)) assert.ok(left[0].includes(f), `stream 0 keeps its newest segment ${f}: left ${left[0].join(', ')}`);
  for (const f of all[1].slice(-3)) assert.ok(left[1].includes(f), `stream 1 (3 s window) keeps its newest 3 segments, ${f}: left ${left[1].join(', ')}`);
});

test('rate controller publishes updates after batches complete, and recovery maintains the rate controller', () => {
  const runs = tagged('X', 'rate') as { run: number; atStart: number | null; rate: number | null; completedWithRecords: number }[];
  assert.deepEqual(runs.map((r) => r.run), [1, 2]);
  for (const r of runs) {
    assert.equal(r.atStart, null, `run ${r.run}: no rate before an estimate (no initialRate)`);
    assert.ok(r.rate !== null && r.rate >= 100, `run ${r.run}: a published rate, at least the default minRate 100: ${r.rate}`);
    assert.ok(r.completedWithRecords >= 2, `run ${r.run}: an estimate needs 2 batches with records: ${r.completedWithRecords}`);
  }
});

test('SPARK-6222: the blocks of a batch held up while the 17 after it complete are not cleared too soon: every batch reads its records', () => {
  const { readBeforeRelease, submitted, read } = info<{ readBeforeRelease: number; submitted: [number, number][]; read: [number, number, number | null, number | null][] }>('blockData');
  assert.equal(submitted.length, 20, JSON.stringify(submitted));
  assert.equal(readBeforeRelease, 19, 'every other batch completed while the held one waited (two at a time)');
  const held = submitted.find(([t]) => t === 1500);
  assert.ok(held && held[1] > 0, `the held batch was given records: ${JSON.stringify(held)}`);
  // Each batch read exactly the records it was given; together 0, 1, 2, ... with no gap.
  assert.deepEqual(read.map(([t, n]) => [t, n]), submitted);
  const ranges = read.filter(([, n]) => n > 0).map(([, n, lo, hi]) => [lo!, hi!, n]);
  for (const [lo, hi, n] of ranges) assert.equal(hi - lo + 1, n, JSON.stringify(ranges));
  for (let i = 1; i < ranges.length; i++) assert.equal(ranges[i][0], ranges[i - 1][1] + 1, JSON.stringify(ranges));
});
