// Streaming cases beyond those other files port, run on a real local cluster (a driver and 2
// worker processes; fixture streaming-spark-suites18.ts, one StreamingContext after the other in
// one job). Expected values come from Spark's code for the case's inputs (each comment says
// which), never from Sluice's.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { runSparkCases, type SparkCaseRun } from './spark-case-run.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-sss18-'));
let cases: SparkCaseRun;

before(async () => {
  cases = await runSparkCases('streaming-spark-suites18.ts', [tmp, process.env.SLUICE_CASES ?? '']);
});

after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('dstream.slice on a context getOrCreate recovered, before start(): the state read back from its checkpoints (Spark\'s restored generatedRDDs), the same RDDs after start; a context never checkpointed still refuses', () => {
  const r = cases.one<{
    freshError: { code: string | null; message: string } | null;
    firstZero: number;
    stateBefore: string;
    zeroBefore: number;
    beforeIds: number[];
    beforeValues: [string, number][][];
    unaligned: number[];
    countedBefore: number;
    afterStart: number[];
    outputs: [number, [string, number][]][];
  }>('slice-before-start');
  // Spark: DStream.slice throws "... has not been initialized" while zeroTime is null (a
  // context never started nor read back from a checkpoint).
  assert.equal(r.freshError?.code, 'SLUICE_BAD_ARGUMENT');
  assert.match(r.freshError?.message ?? '', /has not started/);
  // Spark's recovered graph keeps the checkpoint's zeroTime: batches fall where they fell.
  assert.equal(r.stateBefore, 'initialized');
  // The clock started at 3,600,123 ms: batch 0 at 3,600,000 (a multiple of 500 ms).
  assert.equal(r.firstZero, 3_600_000);
  assert.equal(r.zeroBefore, r.firstZero);
  // 4 batches of "a" counted, checkpointed every 1 s (batches 2 and 4): the metadata of batch 4
  // lists both (the stream remembers 2 checkpoint intervals), read back as [a,2] and [a,4].
  assert.deepEqual(r.beforeValues, [[['a', 2]], [['a', 4]]]);
  // Aligned down to batches 2 and 4: the same two RDDs.
  assert.deepEqual(r.unaligned, r.beforeIds);
  // The same RDD objects once started (start seeds no second copy).
  assert.deepEqual(r.afterStart, r.beforeIds);
  // A stream that keeps no checkpoint has no RDD read back: none (Spark would compute its
  // RDDs for those times at once; docs/spark-suites.md).
  assert.equal(r.countedBefore, 0);
  // The count goes on from the state read back: batch 5 counts 5.
  assert.deepEqual(r.outputs, [1, 2, 3, 4, 5].map((i) => [i, [['a', i]]]));
});
