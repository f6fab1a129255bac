// PySpark's test_context.py StreamingContextTests test_text_file_stream and
// test_binary_records_stream (python/pyspark/streaming/tests/test_context.py), run as PySpark
// runs them (0.1 s batches on the system clock, two files written into the directory a second
// apart, the first two non-empty outputs kept) on a real local cluster: a driver and 2 worker
// processes (fixture streaming-spark-suites22.ts); and the rest of StreamingContextTests
// (stop, getActive, getActiveOrCreate, awaitTerminationOrTimeout). Expected values are the tests' own.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { runSparkCases, type SparkCaseRun } from './spark-case-run.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-sss22-'));
let cases: SparkCaseRun;

before(async () => {
  cases = await runSparkCases('streaming-spark-suites22.ts', [tmp, process.env.SLUICE_CASES ?? '']);
});

after(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

const range10 = Array.from({ length: 10 }, (_, i) => i);

test('PySpark StreamingContextTests test_text_file_stream: textFileStream(d).map(int), files "a" and "b" of the lines 0-9 written a second apart: two outputs, each [0..9]', () => {
  assert.deepEqual(cases.one('pyspark-text-file-stream'), [range10, range10]);
});

test('PySpark StreamingContextTests test_binary_records_stream: binaryRecordsStream(d, 10) unpacked as struct.unpack("10b"), files "a" and "b" of the bytes 0-9: two outputs, each one record [0..9]', () => {
  // PySpark asserts each output's first record ([list(v[0]) for v in result]); a file of 10 bytes is that one record alone.
  assert.deepEqual(cases.one('pyspark-binary-records-stream'), [[range10], [range10]]);
});

test('PySpark StreamingContextTests test_stop_only_streaming_context and test_stop_multiple_times: after stop(False) the SparkContext runs a job (5 partitions glommed); a second stop(False) is harmless', () => {
  assert.equal(cases.one<number>('pyspark-ctx-stop-only-streaming-context'), 5);
  assert.equal(cases.one<string>('pyspark-ctx-stop-multiple-times'), 'stopped');
});

test('PySpark StreamingContextTests test_get_active: none before start, the context once started, none after stop(False)', () => {
  assert.deepEqual(cases.one('pyspark-ctx-get-active'), [true, true, true]);
});

test('PySpark StreamingContextTests test_get_active_or_create: getActiveOrCreate(None, setupFunc) (here null) calls setupFunc when no context is active, returns the active one without calling it, and calls it again once that one stopped', () => {
  // [no active context, setupFunc called, the active one returned, setupFunc not called, setupFunc called after the stop, a new context]
  assert.deepEqual(cases.one('pyspark-ctx-get-active-or-create'), [true, true, true, true, true, true]);
});

test('PySpark StreamingContextTests test_await_termination_or_timeout: false while running, true once stopped', () => {
  assert.deepEqual(cases.one('pyspark-ctx-await-termination-or-timeout'), [false, true]);
});

test('PySpark CheckpointTests test_get_or_create_and_get_active_or_create: getOrCreate and getActiveOrCreate recover from the checkpoint when there is one (the running counts go on: every count n after file n of the lines 0-9, files 1 to 4), make a new context when there is none, return the active context without setup, keep the SparkContext', () => {
  // PySpark asserts setupCalled false where it recovered. Deliberately different (README, getOrCreate):
  // Sluice's create runs in both cases (the code is the graph), so what PySpark's setupCalled tells is `recovered` here.
  const recovered = { setupCalled: true, recovered: true };
  const created = { setupCalled: true, recovered: false };
  assert.deepEqual(cases.one('pyspark-get-or-create-and-get-active-or-create'), {
    first: created,
    check1: 1,
    check2: 2,
    recovery: recovered,
    check3: 3,
    secondRecovery: recovered,
    sameSparkContext: true,
    activeOrCreate: recovered,
    check4: 4,
    activeReturned: true,
    createdWhileActive: false,
    secondActiveOrCreate: recovered,
    sameSparkContextActive: true,
    withoutCheckpoint: created,
  });
});

test('ReceivedBlockTrackerSuite "disable write ahead log when checkpoint directory is not set": a receiver write-ahead log with no checkpoint directory is refused when the context starts, naming ssc.checkpoint(dir)', () => {
  // Spark's tracker turns its log off, and its ReceiverSupervisorImpl then fails the receiver with
  // "Cannot enable receiver write-ahead log without checkpoint directory set. Please use
  // streamingContext.checkpoint() to set the checkpoint directory."; Sluice refuses at start().
  const r = cases.one<{ refused: boolean; code: string; message: string; state: string }>('receiver-wal-no-checkpoint');
  assert.equal(r.refused, true, JSON.stringify(r));
  assert.equal(r.code, 'SLUICE_CHECKPOINT');
  assert.match(r.message, /write-ahead log .* needs a checkpoint directory .*call ssc\.checkpoint\(dir\) before start\(\)/);
  assert.notEqual(r.state, 'active');
});
