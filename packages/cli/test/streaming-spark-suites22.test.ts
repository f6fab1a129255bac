// PySpark's test_context.py StreamingContextTests test_text_file_stream and
// test_binary_records_stream (python/pyspark/streaming/tests/test_context.py), run as PySpark
// runs them (0.1 s batches on the system clock, two files written into the directory a second
// apart, the first two non-empty outputs kept) on a real local cluster: a driver and 2 worker
// processes (fixture streaming-spark-suites22.ts). Expected values are the tests' own.
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
