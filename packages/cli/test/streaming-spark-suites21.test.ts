// Spark Streaming's CheckpointSuite output cases ("recovery with saveAsHadoopFiles operation",
// "... saveAsNewAPIHadoopFiles operation", "... saveAsHadoopFile inside transform operation",
// SPARK-4835, "SPARK-28912: Fix MatchError in getCheckpointFiles"), MapWithStateRDDSuite
// "checkpointing empty state RDD", InputStreamsSuite "socket input stream - no block in a batch"
// and PySpark's test_listener.py test_batch_info_reports; the checkpoint cases run as
// testCheckpointedOperation runs a case: `sluice run` (a driver and 2 worker processes; fixture
// streaming-spark-suites21.ts) runs the first batches and stops, a second `sluice run`, a new
// driver program, recovers each case from its checkpoint directory (StreamingContext.getOrCreate)
// and runs the rest. Inputs and expected outputs are Spark's (CheckpointSuite.scala's map and
// reduceByKey lists); the saved files are compared with the same lists, a pair as Sluice's text
// output writes it (`String(element)`: `a,2`, where TextOutputFormat writes `a\t2`).
//
// As in checkpoint-spark-suite, Sluice's restart after a clean stop re-runs no completed batch
// (Spark's re-runs its checkpoint's batch); the SPARK-4835 case makes the batch that runs again
// by stopping the first run while batch 4's second output runs, its first output's directory
// written.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fixture, runCli, type CliResult } from './harness.js';

const B = 500;
type Pair = [string, number];
// CheckpointSuite's expected outputs of its map and reduceByKey input, batch by batch.
const EXPECTED: Pair[][] = [[['a', 2], ['b', 1]], [['', 2]], [], [['a', 2], ['b', 1]], [['', 2]], []];

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-sss21-'));
const block = path.join(root, 'block');
let first: CliResult;
let restarted: CliResult;
/** The directories saveInOutput had written when the first run ended. */
let writtenBeforeRestart: string[] = [];

before(async () => {
  const run = (phase: string): Promise<CliResult> => runCli(['run', '--workers', '2', fixture('streaming-spark-suites21.ts'), root, phase, block], { timeoutMs: 150_000 });
  fs.writeFileSync(block, '');
  try {
    first = await run('first');
  } finally {
    fs.rmSync(block, { force: true });
  }
  const dir = path.join(root, 'saveInOutput');
  writtenBeforeRestart = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.startsWith('result-')) : [];
  restarted = await run('restart');
});

after(() => {
  if (!process.env.SLUICE_TEST_KEEP) fs.rmSync(root, { recursive: true, force: true });
});

const lines = (r: CliResult, tag: string, name: string): string[] => r.stdout.split('\n').filter((l) => l.startsWith(`${tag} ${name} `)).map((l) => l.slice(tag.length + name.length + 2));
const outputs = (r: CliResult, name: string): [number, string[]][] => lines(r, 'D', name).map((l) => JSON.parse(l) as [number, Pair[]]).map(([i, b]) => [i, b.map((p) => JSON.stringify(p)).sort()]);
const expected = (from: number, to: number): [number, string[]][] => EXPECTED.slice(from, to).map((b, k) => [from + k + 1, b.map((p) => JSON.stringify(p)).sort()]);
function zeroTime(name: string): number {
  const z = lines(first, 'Z', name);
  assert.equal(z.length, 1, first.stdout);
  return Number(z[0]);
}
function ranClean(): void {
  for (const [phase, r] of [['first', first], ['restart', restarted]] as const) {
    assert.equal(r.code, 0, `the ${phase} run:\n${r.stderr.slice(-3000)}`);
    assert.deepEqual(r.stdout.split('\n').filter((l) => l.startsWith('E ')), [], `the ${phase} run's cases`);
  }
}
/** A saved directory's lines, sorted; it must hold _SUCCESS. */
function saved(dir: string): string[] {
  assert.ok(fs.existsSync(path.join(dir, '_SUCCESS')), `${dir}: ${fs.existsSync(dir) ? fs.readdirSync(dir).join(' ') : 'missing'}`);
  return fs
    .readdirSync(dir)
    .filter((f) => f.startsWith('part-'))
    .flatMap((f) => fs.readFileSync(path.join(dir, f), 'utf8').split('\n'))
    .filter((l) => l !== '')
    .sort();
}
const asText = (b: Pair[]): string[] => b.map((p) => String(p)).sort();

test('CheckpointSuite "recovery with saveAsHadoopFiles operation" and "... saveAsNewAPIHadoopFiles operation", as saveAsTextFiles(prefix, "result"): every batch\'s directory holds Spark\'s expected output, on both sides of the restart', () => {
  ranClean();
  assert.deepEqual(outputs(first, 'saveFiles'), expected(0, 3), 'before the restart');
  assert.deepEqual(outputs(restarted, 'saveFiles'), expected(3, 6), 'after the restart: from the batch after it');
  const z = zeroTime('saveFiles');
  const names = EXPECTED.map((_, i) => `out-${z + (i + 1) * B}.result`);
  const dir = path.join(root, 'saveFiles');
  assert.deepEqual(fs.readdirSync(dir).filter((f) => f !== 'checkpoint').sort(), [...names].sort(), 'prefix-<time>.suffix a batch, nothing else (no leftover)');
  assert.deepEqual(names.map((n) => saved(path.join(dir, n))), EXPECTED.map(asText));
});

test('CheckpointSuite "recovery with saveAsHadoopFile inside transform operation" (SPARK-4835): a batch run again after the restart writes its rdd.saveAsTextFile directory again, which its first run wrote, and goes on', () => {
  ranClean();
  assert.deepEqual(lines(first, 'S', 'saveInOutput'), [JSON.stringify({ stopped: true })], 'the first run stopped while batch 4 ran');
  assert.deepEqual(outputs(first, 'saveInOutput'), expected(0, 3), 'batches 1-3 completed, batch 4 did not');
  const z = zeroTime('saveInOutput');
  const names = EXPECTED.map((_, i) => `result-${z + (i + 1) * B}`);
  assert.deepEqual(writtenBeforeRestart.sort(), names.slice(0, 4).sort(), "batch 4's first output had written its directory before the stop");
  assert.deepEqual(outputs(restarted, 'saveInOutput'), expected(3, 6), "batch 4 run again (Spark's re-run of its checkpoint's batch), then 5 and 6");
  const dir = path.join(root, 'saveInOutput');
  assert.deepEqual(names.map((n) => saved(path.join(dir, n))), EXPECTED.map(asText));
  assert.deepEqual(fs.readdirSync(dir).filter((f) => f.startsWith('.')), [], 'no hidden leftover of a write');
});

test('MapWithStateRDDSuite "checkpointing empty state RDD": an empty mapWithState state is checkpointed, read back empty by the restart, and counts afresh after it', () => {
  ranClean();
  assert.deepEqual(outputs(first, 'emptyState'), [[1, []], [2, []], [3, []]], 'no state before the restart');
  const k = lines(first, 'K', 'emptyState');
  assert.equal(k.length, 1, first.stdout);
  assert.ok((JSON.parse(k[0]) as number[]).includes(3), `the empty state of batch 3 checkpointed: ${k[0]}`);
  assert.deepEqual(outputs(restarted, 'emptyState'), [[4, [JSON.stringify(['a', 1])]], [5, [JSON.stringify(['a', 2])]]], 'read back empty: a counts from 1');
});

test('InputStreamsSuite "socket input stream - no block in a batch": a batch of a socket stream that received nothing completes, its RDD of no partition (Spark\'s BlockRDD of no block, no write-ahead log)', () => {
  assert.equal(first.code, 0, first.stderr.slice(-3000));
  assert.deepEqual(lines(first, 'E', 'socketNoBlock'), []);
  assert.deepEqual(lines(first, 'N', 'socketNoBlock'), [JSON.stringify([1, 0, 0])]);
});

test('CheckpointSuite "SPARK-28912: Fix MatchError in getCheckpointFiles": a checkpoint directory named checkpoint-01 holding directories named as checkpoint files is no checkpoint; the one written later is read back', () => {
  assert.equal(first.code, 0, first.stderr.slice(-3000));
  assert.deepEqual(lines(first, 'E', 'checkpointNames'), []);
  // A running sum of 1, 2, 3: batch 3 (after the second getOrCreate) is 6 only if the sum was recovered.
  assert.deepEqual(outputs(first, 'checkpointNames'), [[1, ['["n",1]']], [2, ['["n",3]']], [3, ['["n",6]']]]);
});

test('PySpark test_listener.py test_batch_info_reports: onStreamingStarted once; each of 4 batches submitted, started and completed with the fields PySpark asserts (a delay not yet known absent, PySpark\'s -1; a queue stream\'s batches 0 records)', () => {
  assert.equal(first.code, 0, first.stderr.slice(-3000));
  assert.deepEqual(lines(first, 'E', 'listenerReports'), []);
  type Info = Record<string, unknown> & { outputOperationInfos?: Record<string, Record<string, unknown>> };
  const heard = JSON.parse(lines(first, 'I', 'listenerReports')[0] ?? '{}') as { out: number[][]; started: number[]; submitted: Info[]; started_: Info[]; completed: Info[] };
  assert.deepEqual(heard.out, [[1], [2], [3], [4]], "PySpark's expected");
  assert.equal(heard.started.length, 1);
  for (const [event, infos] of [['submitted', heard.submitted], ['started', heard.started_], ['completed', heard.completed]] as const) {
    assert.ok(infos.length >= 4, `${event}: ${infos.length}`);
    for (const info of infos) {
      assert.ok((info.batchTime as number) >= 0 && (info.submissionTime as number) >= 0, `${event}: ${JSON.stringify(info)}`);
      assert.equal(info.numRecords, 0, `${event}: a queue stream reports no input`);
      assert.equal(info.schedulingDelay === undefined, event === 'submitted', `${event}: schedulingDelay ${String(info.schedulingDelay)}`);
      if (info.schedulingDelay !== undefined) assert.ok((info.schedulingDelay as number) >= 0);
      for (const d of ['processingDelay', 'totalDelay']) {
        if (event === 'completed') assert.ok((info[d] as number) >= 0, `${event}: ${d}`);
        else assert.equal(info[d], undefined, `${event}: ${d} not known yet (PySpark's -1)`);
      }
    }
  }
  for (const info of heard.completed) {
    const ops = Object.values(info.outputOperationInfos ?? {});
    assert.equal(ops.length, 1, JSON.stringify(info));
    for (const op of ops) {
      assert.ok((op.batchTime as number) >= 0 && (op.id as number) >= 0 && (op.startTime as number) >= 0 && (op.endTime as number) >= 0, JSON.stringify(op));
      assert.match(op.name as string, /^foreachRDD at /);
      assert.equal(typeof op.description, 'string');
      assert.equal(op.failureReason, undefined);
    }
  }
});
