// Spark Streaming's InputStreamsSuite and StreamingListenerSuite, ported case by case and run
// through Sluice's public API on a real local cluster (a driver and 2 worker processes of 2
// cores; fixture input-spark-suites.ts, one StreamingContext after the other in one job, as
// Spark's cases each make theirs on one SparkContext). Inputs and expected values are
// Spark's, from streaming/src/test/scala/org/apache/spark/streaming/{InputStreamsSuite,
// StreamingListenerSuite}.scala, not from Sluice's code:
//  - "socket input stream": lines 1..5 sent to socketTextStream come out each once, in
//    order; the listener's records received and processed are 5;
//  - StreamingListenerSuite "batch info reporting" and "output operation reporting" on that
//    run: each batch submitted, started and completed once, in that order, with the batch's
//    numRecords and per-stream input info; its outputs started and completed with ids 0, 1,
//    2 in turn; "receiver info reporting": a receiver that reports an error and stops itself
//    gives started, error ("report error", "report exception") and stopped, stream 0;
//  - "multi-thread receiver": 10 producers storing 1,000 records each, counted 10,000;
//  - Receiver.restart: records stored before it kept, onStart run again; its listener events
//    are Spark's, stopped ("Restarting receiver with delay 100ms: test restart") then started;
//  - the union of two socket streams: every line of both once, each source's in order;
//  - testFileStream(newFilesOnly = true / false), "binary records stream", "Modified files
//    are correctly detected." and "file input stream - wildcard" on a manual clock set as Spark
//    sets it, and a directory with a sub-directory (its files are not the stream's).
// Two deliberate differences, as README "The file stream" says: a new file is read once
// settled (modified over a batch interval before the batch, or unchanged since the last
// listing), so a file dated half a batch before a batch is read by the next one: the file
// cases run one batch more than Spark's and check the same files, each once. And newFilesOnly
// ignores the files in the directory at start (until written again), not every file dated
// before the start: a file dated earlier and moved in later is read (Spark: ignored).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { runSparkCases, type SparkCaseRun } from './spark-case-run.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-input-spark-'));
let cases: SparkCaseRun;
const tagged = (tag: string, c: string): unknown[][] => cases.tagged<unknown[]>(tag, c);
const outputs = (c: string): [number, unknown[]][] => tagged('D', c) as [number, unknown[]][];
const flat = (c: string): unknown[] => outputs(c).flatMap(([, xs]) => xs);
const sorted = (xs: unknown[]): unknown[] => [...xs].map(String).sort();
const info = (c: string): Record<string, unknown> => Object.assign({}, ...(tagged('X', c) as unknown as Record<string, unknown>[])) as Record<string, unknown>;

before(async () => {
  cases = await runSparkCases('input-spark-suites.ts', [tmp], { workers: 2, coresPerWorker: 2 });
});

after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('socket input stream: lines 1..5 each once, in order; the listener counts 5 records received and processed', () => {
  assert.deepEqual(flat('socket'), ['1', '2', '3', '4', '5']);
  const done = tagged('L', 'socket').filter((e) => e[0] === 'completed');
  assert.equal(done.reduce((a, e) => a + (e[2] as number), 0), 5, 'numRecords over the completed batches');
});

test('StreamingListener: each batch submitted, started, its outputs 0, 1, 2 started and completed, then completed, with its numRecords', () => {
  const events = tagged('L', 'socket').filter((e) => !String(e[0]).startsWith('receiver'));
  const times = [...new Set(events.map((e) => e[1] as number))];
  assert.ok(times.length >= 5, `batches: ${times.length}`);
  assert.deepEqual(times, [...times].sort((a, b) => a - b), 'batches in time order');
  const collected = new Map(outputs('socket').map(([t, xs]) => [t, xs.length]));
  for (const t of times) {
    const mine = events.filter((e) => e[1] === t);
    assert.deepEqual(
      mine.map((e) => (e[0] === 'opStarted' || e[0] === 'opCompleted' ? `${String(e[0])}${String(e[2])}` : e[0])),
      ['submitted', 'started', 'opStarted0', 'opCompleted0', 'opStarted1', 'opCompleted1', 'opStarted2', 'opCompleted2', 'completed'],
      `batch ${t}`,
    );
    const n = collected.get(t);
    assert.equal(mine[0][2], n, `batch ${t} submitted with its records`);
    assert.deepEqual(mine[0][3], { 0: n }, `batch ${t}: stream 0's records`);
    assert.equal(mine[1][2], n);
    assert.equal(mine[1][3], true, 'schedulingDelay >= 0');
    assert.equal(mine[8][2], n);
    assert.equal(mine[8][3], true, 'processingDelay, totalDelay >= 0');
    assert.equal(mine[8][4], null, 'no failure');
    for (const e of mine.filter((x) => x[0] === 'opCompleted')) assert.equal(e[3], null);
  }
});

test('StreamingListener: a receiver started and stopped once, stream 0, and no event of a later context reaches a stopped one', () => {
  assert.equal(info('socket').streamId, 0);
  const rec = tagged('L', 'socket').filter((e) => String(e[0]).startsWith('receiver'));
  assert.deepEqual(
    rec.map((e) => [e[0], e[1]]),
    [
      ['receiverStarted', 0],
      ['receiverStopped', 0],
    ],
  );
  const all = tagged('L', 'socket');
  assert.ok(all.findIndex((e) => e[0] === 'receiverStarted') < all.findIndex((e) => e[0] === 'completed' && (e[2] as number) > 0), 'started before its first records');
});

test('StreamingListener receiver info reporting: started, error (report error, report exception), stopped, stream 0', () => {
  assert.equal(info('receiverInfo').streamId, 0);
  const rec = tagged('L', 'receiverInfo').filter((e) => String(e[0]).startsWith('receiver'));
  assert.ok(rec.length >= 3, JSON.stringify(rec));
  assert.deepEqual(rec.slice(0, 3).map((e) => [e[0], e[1]]), [
    ['receiverStarted', 0],
    ['receiverError', 0],
    ['receiverStopped', 0],
  ]);
  assert.match(String(rec[1][2]), /report error/);
  assert.match(String(rec[1][2]), /report exception/);
  assert.match(String(rec[2][2]), /test stop error/);
});

test('multi-thread receiver: 10 producers of 1,000 records each, 10,000 counted', () => {
  const { count, sum } = info('multiThread');
  assert.equal(count, 10_000);
  let expected = 0;
  for (let p = 1; p <= 10; p++) for (let i = 1; i <= 1000; i++) expected += p * 1000 + i;
  assert.equal(sum, expected);
});

test('union of two socket streams: every line of both once, each source in order', () => {
  const xs = flat('union') as string[];
  assert.deepEqual(sorted(xs), sorted([1, 2, 3, 4, 5].flatMap((i) => [`a${i}`, `b${i}`])));
  for (const s of ['a', 'b']) assert.deepEqual(xs.filter((x) => x.startsWith(s)), [1, 2, 3, 4, 5].map((i) => `${s}${i}`));
});

test('file input stream, newFilesOnly = true: files 1..5, each once; the file there before is not read', () => {
  assert.deepEqual(sorted(flat('newFilesOnly')), ['1', '2', '3', '4', '5']);
});

test('file input stream, newFilesOnly = false: files 0..5, each once', () => {
  assert.deepEqual(sorted(flat('allFiles')), ['0', '1', '2', '3', '4', '5']);
});

test('binary records stream: file i gives its 5 bytes + i as 1-byte records, a batch each (file 0 rewritten after the start is new)', () => {
  const batches = outputs('binary').map(([, xs]) => xs as Record<string, number>[]).map((xs) => xs.map((b) => Object.values(b)));
  assert.deepEqual(batches[0], [], 'the first batch: no file settled yet (README)');
  assert.deepEqual(
    batches.slice(1),
    [0, 1, 2].map((i) => [1, 2, 3, 4, 5].map((b) => [b + i])),
  );
});

test('modified files: a directory renamed under the watched glob has its file read once; one dated before the start and moved in with it is read too (deliberate: README)', () => {
  const xs = flat('modified');
  assert.deepEqual(sorted(xs), ['existing', 'renamed']);
});

test('a directory with a sub-directory: the sub-directory is not read, the directory file is', () => {
  assert.deepEqual(flat('subdir'), ['top']);
});

test('file input stream - wildcard: the files of every directory the glob matches, each once, a directory made after the start included; the files beside them are not read', () => {
  const batches = outputs('wildcard');
  assert.deepEqual(sorted(flat('wildcard')), sorted([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11].map(String)));
  assert.deepEqual(
    batches.map(([, xs]) => xs).filter((xs) => xs.length > 0),
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11].map((i) => [String(i)]),
    'one file a batch, in the order written',
  );
});

test('Receiver.restart: records stored before the restart are kept, onStart runs again, and the restart is reported as a stop then a start, as in Spark', () => {
  assert.deepEqual(sorted(flat('restart')), ['1', '2', '3', '4', '5', '6'], JSON.stringify(tagged('L', 'restart').filter((e) => String(e[0]).startsWith('receiver'))));
  const rec = tagged('L', 'restart').filter((e) => String(e[0]).startsWith('receiver'));
  // Spark's restartReceiver: stopReceiver (onReceiverStopped with its sentence), then startReceiver.
  assert.deepEqual(rec.map((e) => e[0]), ['receiverStarted', 'receiverStopped', 'receiverStarted', 'receiverStopped'], JSON.stringify(rec));
  assert.equal(rec[1][2], 'Restarting receiver with delay 100ms: test restart');
});
