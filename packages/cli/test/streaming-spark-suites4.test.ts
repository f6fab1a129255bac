// Spark Streaming's RecurringTimerSuite and InputInfoTrackerSuite as they show through the
// public API (numRecords and metadata per batch), textFileStream over compressed files and JobScheduler.stop(false)'s queued
// batches, run on a real local cluster (a
// driver and 2 worker processes; fixture streaming-spark-suites4.ts, one StreamingContext
// after the other in one job). What each case expects is Spark's, from
// streaming/src/test/scala/org/apache/spark/streaming/{util/RecurringTimerSuite,
// scheduler/InputInfoTrackerSuite}.scala and Hadoop's TextInputFormat, computed here from
// the inputs, not from Sluice's code.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { runSparkCases, type SparkCaseRun } from './spark-case-run.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-sss4-'));
let cases: SparkCaseRun;
const one = (c: string): Record<string, unknown> => cases.one(c);

before(async () => {
  cases = await runSparkCases('streaming-spark-suites4.ts', [tmp]);
});

after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('RecurringTimerSuite "basic", "SPARK-10224": batch times are exact multiples of the interval, each once, none skipped; a context started after a stop starts on a multiple again, later', () => {
  const { batchMs, rounds } = one('recurringTimer') as { batchMs: number; rounds: number[][] };
  assert.equal(rounds.length, 2);
  for (const times of rounds) {
    assert.ok(times.length >= 6, JSON.stringify(times));
    for (const t of times) assert.equal(t % batchMs, 0, `batch time ${t} is not a multiple of ${batchMs}: ${JSON.stringify(times)}`);
    for (let i = 1; i < times.length; i++) assert.equal(times[i] - times[i - 1], batchMs, `batches ${times[i - 1]} then ${times[i]}: ${JSON.stringify(times)}`);
  }
  assert.ok(rounds[1][0] > rounds[0].at(-1)!, `the second context's first batch ${rounds[1][0]} is not after the first's last ${rounds[0].at(-1)}`);
});

test('InputInfoTrackerSuite "test report and get InputInfo": per batch, each input stream\'s numRecords is what it gave the batch, the batch\'s numRecords their sum; every record counted once', () => {
  type Info = { batchTime: number; numRecords: number; streamIdToInputInfo?: Record<string, { inputStreamId: number; numRecords: number }> };
  const r = one('inputInfo') as { ids: { a: number; b: number }; counted: Record<string, { a: number; b: number }>; infos: Info[] };
  assert.notEqual(r.ids.a, r.ids.b);
  let a = 0;
  let b = 0;
  for (const info of r.infos) {
    const c = r.counted[String(info.batchTime)];
    assert.ok(c !== undefined, `batch ${info.batchTime} completed but its output did not run`);
    const byId = info.streamIdToInputInfo ?? {};
    assert.deepEqual(Object.keys(byId).sort(), [String(r.ids.a), String(r.ids.b)].sort(), JSON.stringify(info));
    assert.deepEqual(byId[String(r.ids.a)], { inputStreamId: r.ids.a, numRecords: c.a }, `batch ${info.batchTime}`);
    assert.deepEqual(byId[String(r.ids.b)], { inputStreamId: r.ids.b, numRecords: c.b }, `batch ${info.batchTime}`);
    assert.equal(info.numRecords, c.a + c.b, `batch ${info.batchTime}`);
    a += c.a;
    b += c.b;
  }
  assert.deepEqual({ a, b }, { a: 300, b: 200 });
  assert.ok(r.infos.filter((i) => i.numRecords > 0).length >= 2, `the records came in more than one batch: ${JSON.stringify(r.infos.map((i) => i.numRecords))}`);
});

test('textFileStream over compressed files, as Spark\'s TextInputFormat: a .gz file (two gzip members) and a .deflate file give their lines, beside a plain file; each line once', () => {
  const { got } = one('compressedFiles') as { got: string[] };
  const expected = ['plain 0', 'plain 1', ...Array.from({ length: 2000 }, (_, i) => `gz ${i}`), ...Array.from({ length: 300 }, (_, i) => `deflate ${i}`)];
  assert.deepEqual([...got].sort(), expected.sort());
});

test('InputInfoTrackerSuite\'s metadata, as Spark\'s FileInputDStream reports it: each batch\'s input info of a file stream holds its new files (`files`, and `Description` their names a line each) with numRecords 0; every file dropped in once', () => {
  type Info = { numRecords: number; streamIdToInputInfo?: Record<string, { inputStreamId: number; numRecords: number; metadata?: { files: string[]; Description: string } }> };
  const r = one('compressedFiles') as { streamId: number; watched: string; infos: Info[] };
  assert.ok(r.infos.length > 0);
  const files: string[] = [];
  for (const info of r.infos) {
    const mine = info.streamIdToInputInfo?.[String(r.streamId)];
    assert.ok(mine?.metadata !== undefined, JSON.stringify(info));
    assert.equal(mine.inputStreamId, r.streamId);
    assert.equal(mine.numRecords, 0);
    assert.equal(info.numRecords, 0);
    assert.equal(mine.metadata.Description, mine.metadata.files.join('\n'));
    files.push(...mine.metadata.files);
  }
  assert.deepEqual(files.sort(), ['plain.txt', 'two-members.gz', 'z.deflate'].map((f) => path.join(r.watched, f)).sort());
});

test('textFileStream with ignoreMissingFiles: a .gz file gone when its batch reads it is skipped as a plain file is, and the stream goes on to the next .gz file', () => {
  const r = one('compressedMissing') as { deleted: boolean; got: string[]; awaited: { ok: boolean; value?: unknown } };
  assert.equal(r.deleted, true);
  assert.deepEqual([...r.got].sort(), ['kept 0', 'kept 1', 'kept 2']);
  assert.deepEqual(r.awaited, { ok: true, value: false }, 'no batch failed');
});

test('textFileStream: a .gz file cut short fails its batch naming the file (Spark: the codec\'s EOFException); awaitTermination throws it', () => {
  const { awaited, watched } = one('corruptGzip') as { awaited: { ok: boolean; code?: string; message?: string }; watched: string };
  assert.equal(awaited.ok, false, JSON.stringify(awaited));
  // The task's SLUICE_IO, after its retries, fails the job (Spark: the task's exception in the SparkException that aborts the job).
  assert.equal(awaited.code, 'SLUICE_TASK_FAILED', JSON.stringify(awaited));
  assert.ok(awaited.message?.includes(`textFileStream(${watched}): '${watched}/cut-short.gz' is not a whole gzip stream`), awaited.message);
});

test('JobScheduler.stop(false): a non-graceful stop runs the batches already queued (Spark\'s job executor runs its queued jobs within the 2 s it waits), in order, each heard completed; none generated after', () => {
  const r = one('stopWithQueue') as { first: number | null; queuedAtStop: number[]; ran: number[]; completed: number[]; state: string };
  assert.ok(r.first !== null && r.queuedAtStop.length >= 3, JSON.stringify(r));
  // The batches submitted before the stop, after the held one: each a batch interval after the last.
  assert.deepEqual(r.ran, [r.first, ...r.queuedAtStop]);
  assert.deepEqual(r.completed, [r.first, ...r.queuedAtStop]);
  assert.equal(r.state, 'stopped');
});
