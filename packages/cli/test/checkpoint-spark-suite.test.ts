// Spark Streaming's CheckpointSuite, ported case by case and run through Sluice's public API
// on real processes (fixture checkpoint-spark-suite.ts): `sluice run` (a driver and 2 worker
// processes) runs each case's first batches and stops; a second `sluice run`, a new driver
// program, recovers every case from its checkpoint directory (StreamingContext.getOrCreate)
// and runs the rest. Inputs and expected outputs are Spark's, from
// streaming/src/test/scala/org/apache/spark/streaming/CheckpointSuite.scala, and so do not
// come from Sluice's code. As its testCheckpointedOperation runs a case: batch i of the input
// at time (i + 1) * batch, on a manual clock; `restartAt` batches, a stop, a restart from the
// checkpoint with the clock at the checkpoint's time, the remaining batches; each batch's
// collected output compared with Spark's expected list, regardless of order within a batch
// (Spark's useSet, here as multisets). MapWithStateSuite's "driver failure recovery" runs the
// same way, and its "checkpoint durations" on the first run's side.
//
// One deliberate difference: Spark re-runs the last batch before the restart (its restart
// generates checkpointTime.until(restartTime), the checkpoint's own time included, even when
// that batch completed; testCheckpointedOperation expects `expectedOutput.takeRight(n + 1)`).
// Sluice re-runs only batches generated and not completed (README "Recovery"): after a clean
// stop the restart's first batch is the next one. The expected lists below are Spark's; the
// check on the restart takes them from the batch after the restart, and says so.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fixture, runCli, type CliResult } from './harness.js';

const BATCH_MS = 500; // CheckpointSuite's batchDuration
type Pair = [string, number];

interface SparkCase {
  readonly spark: string;
  readonly input: string[][];
  readonly expected: Pair[][];
  readonly restartAt: number;
}

const n = 10;
const w = 4;
const CASES: Record<string, SparkCase> = {
  mapReduce: {
    spark: 'recovery with map and reduceByKey operations',
    input: [['a', 'a', 'b'], ['', ''], [], ['a', 'a', 'b'], ['', ''], []],
    expected: [[['a', 2], ['b', 1]], [['', 2]], [], [['a', 2], ['b', 1]], [['', 2]], []],
    restartAt: 3,
  },
  invertibleWindow: {
    spark: 'recovery with invertible reduceByKeyAndWindow operation',
    input: Array.from({ length: n }, () => ['a']),
    expected: [[['a', 1]], [['a', 2]], [['a', 3]], ...Array.from({ length: n - w + 1 }, (): Pair[] => [['a', 4]])],
    restartAt: 7,
  },
  updateState: {
    spark: 'recovery with updateStateByKey operation',
    input: Array.from({ length: 10 }, () => ['a']),
    expected: Array.from({ length: 10 }, (_, x): Pair[] => [['a', x + 1]]),
    restartAt: 7,
  },
  twoStates: {
    spark: 'SPARK-6847: stack overflow when updateStateByKey is followed by a checkpointed dstream',
    // Spark's CheckpointInputDStream: 1 in every batch; run 60 batches here (Spark: until the
    // first completes), the restart after 30. The first state after batch k is (1, k), the
    // second the sum of the first's: (1, k (k + 1) / 2).
    input: Array.from({ length: 60 }, () => [1] as unknown as string[]),
    expected: Array.from({ length: 60 }, (_, k): Pair[] => [[1 as unknown as string, ((k + 1) * (k + 2)) / 2]]),
    restartAt: 30,
  },
  mapWithState: {
    spark: 'mapWithState - driver failure recovery (MapWithStateSuite)',
    input: [[], ['a'], ['a', 'b'], ['a', 'b', 'c'], ['a', 'b'], ['a'], []],
    expected: [
      [],
      [['a', 1]],
      [['a', 2], ['b', 1]],
      [['a', 3], ['b', 2], ['c', 1]],
      [['a', 4], ['b', 3], ['c', 1]],
      [['a', 5], ['b', 3], ['c', 1]],
      [['a', 5], ['b', 3], ['c', 1]],
    ],
    restartAt: 3,
  },
  mwsTimeout: {
    spark: 'mapWithState - state timing out (MapWithStateSuite), across a restart',
    // Spark's input, cut to 8 batches; a restart after batch 3. c (last seen in batch 1) times
    // out at batch 5, b (batch 2) at 6, idle strictly longer than 3 batches: the times they were
    // last updated survive the recovery. a never times out.
    input: [['a', 'b', 'c'], ['a', 'b'], ['a'], [], [], ['a'], ['a'], ['a']],
    expected: [[], [], [], [], ['c'], ['b'], [], []] as unknown as Pair[][],
    restartAt: 3,
  },
  mwsTimeoutScans: {
    spark: "mapWithState's timeouts at its state checkpoints only (MapWithStateRDD's full scan), across a restart",
    // Not in Spark's suites; worked from MapWithStateRDD and InternalMapWithStateDStream: the state checkpointed every 3
    // batches, a 2-batch timeout, the restart after batch 5. Batch 3: b and c idle exactly 2 batches, kept. Batch 6
    // (after the restart, so the zero time and each key's last time come back from the checkpoint): b goes, c has a
    // value and its count goes on. Batch 9: a and c go. Batch 10: b afresh; batch 12: b idle exactly 2, kept.
    input: [['a', 'b', 'c'], ['a'], [], ['a'], [], ['c'], [], [], [], ['b'], [], []],
    expected: [
      [['a', 1], ['b', 1], ['c', 1]],
      [['a', 2]],
      [],
      [['a', 3]],
      [],
      [['c', 2], ['T:b', 1]],
      [],
      [],
      [['T:a', 3], ['T:c', 2]],
      [['b', 1]],
      [],
      [],
    ],
    restartAt: 5,
  },
};

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-ckpt-spark-'));
const inputsFile = path.join(root, 'inputs.json');
let first: CliResult;
let restarted: CliResult;

/** The D lines of a run: case -> [batch index, collected][] in the order printed. */
function outputs(r: CliResult): Map<string, [number, Pair[]][]> {
  const m = new Map<string, [number, Pair[]][]>();
  for (const l of r.stdout.split('\n')) {
    const x = /^D (\S+) (.*)$/.exec(l);
    if (!x) continue;
    if (!m.has(x[1])) m.set(x[1], []);
    m.get(x[1])!.push(JSON.parse(x[2]) as [number, Pair[]]);
  }
  return m;
}

const sorted = (b: Pair[]): string[] => b.map((p) => JSON.stringify(p)).sort();

/** The L lines of a run for one case: [batch index, lineage lines]. */
function lineage(r: CliResult, name: string): [number, number][] {
  return r.stdout
    .split('\n')
    .filter((l) => l.startsWith(`L ${name} `))
    .map((l) => JSON.parse(l.slice(`L ${name} `.length)) as [number, number]);
}

function errors(r: CliResult): string[] {
  return r.stdout.split('\n').filter((l) => l.startsWith('E '));
}

// Each `sluice run` here took 11-13 s at load 20 (a quiet machine: a few seconds): bounded at
// 150 s each (60 s and 50 s were 4-5x that), and the file runs with its own timeouts (600 s).
before(async () => {
  const cases = Object.fromEntries(Object.entries(CASES).map(([k, c]) => [k, { input: c.input, restartAt: c.restartAt }]));
  fs.writeFileSync(inputsFile, JSON.stringify({ batchMs: BATCH_MS, cases }));
  const run = (phase: string): Promise<CliResult> => runCli(['run', '--workers', '2', fixture('checkpoint-spark-suite.ts'), inputsFile, root, phase], { timeoutMs: 150_000 });
  first = await run('first');
  restarted = await run('restart');
});

after(() => {
  if (!process.env.SLUICE_TEST_KEEP) fs.rmSync(root, { recursive: true, force: true });
});

for (const [name, c] of Object.entries(CASES)) {
  test(`CheckpointSuite "${c.spark}": ${c.restartAt} batches, a restart from the checkpoint in a new driver program, ${c.input.length - c.restartAt} more`, () => {
    for (const [phase, r] of [['first', first], ['restart', restarted]] as const) {
      assert.equal(r.code, 0, `the ${phase} run:\n${r.stderr.slice(-3000)}`);
      assert.deepEqual(errors(r), [], `the ${phase} run's cases`);
    }
    const before = outputs(first).get(name) ?? [];
    assert.deepEqual(
      before.map(([i, b]) => [i, sorted(b)]),
      c.expected.slice(0, c.restartAt).map((b, i) => [i + 1, sorted(b)]),
      'before the restart: expectedOutput.take(initialNumBatches)',
    );
    const afterRestart = outputs(restarted).get(name) ?? [];
    // Spark's: expectedOutput.takeRight(total - initial + 1), its first the re-run of batch
    // `restartAt`; Sluice's restart after a clean stop re-runs no completed batch.
    const spark = c.expected.slice(c.restartAt - 1);
    assert.deepEqual(
      afterRestart.map(([i, b]) => [i, sorted(b)]),
      spark.slice(1).map((b, i) => [c.restartAt + 1 + i, sorted(b)]),
      'after the restart: Spark\'s expected outputs from the batch after the restart on',
    );
  });
}

// MapWithStateSuite "mapWithState - checkpoint durations": Spark's internal state stream is
// checkpointed every 10 batches by default (100 ms -> 1 s, 1 s -> 10 s, 10 s -> 100 s), or as
// mapWithStateStream.checkpoint(d) says (2 s, 2 s, 20 s). Seen here as the batch times of the
// state's checkpoint files over 20 (or 40, 4) batches: the multiples of that duration.
test('MapWithStateSuite "mapWithState - checkpoint durations": the state is checkpointed every 10 batches, or at the interval given', () => {
  assert.equal(first.code, 0, first.stderr.slice(-3000));
  const got = new Map(
    first.stdout
      .split('\n')
      .filter((l) => l.startsWith('K '))
      .map((l) => [l.split(' ')[1], JSON.parse(l.split(' ').slice(2).join(' ')) as number[]]),
  );
  assert.deepEqual(Object.fromEntries(got), {
    '100/none': [1000, 2000],
    '1000/none': [10_000, 20_000],
    '10000/none': [100_000, 200_000],
    '100/2000': [2000, 4000],
    '1000/2000': [2000, 4000],
    '10000/20000': [20_000, 40_000],
  });
});

// SPARK-6847's point: each state stream's checkpoint cuts its lineage, the first state's too
// (Spark's checkpointAllMarkedAncestors); a lineage that kept the first state's chain would
// grow a batch at a time until the stack overflows. Here: the longest lineage of the later
// batches (of each run) is no longer than that of the first 20 (two checkpoint intervals).
test('CheckpointSuite "SPARK-6847": two checkpointed updateStateByKey in a row: the lineage stays bounded on both sides of the restart', (t) => {
  for (const r of [first, restarted]) assert.equal(r.code, 0, r.stderr.slice(-3000));
  const before = lineage(first, 'twoStates');
  const after = lineage(restarted, 'twoStates');
  assert.deepEqual([before.length, after.length], [30, 30], 'every batch printed its lineage');
  t.diagnostic(`lineage lines by batch: ${before.map(([, x]) => x).join(' ')} | restart: ${after.map(([, x]) => x).join(' ')}`);
  const max = (xs: [number, number][]): number => Math.max(...xs.map(([, x]) => x));
  const early = max(before.filter(([i]) => i <= 20));
  assert.ok(max(before.filter(([i]) => i > 20)) <= early, `the lineage grew before the restart: ${JSON.stringify(before)}`);
  assert.ok(max(after) <= early, `the lineage grew after the restart: ${JSON.stringify(after)}`);
  // Spark's own check: both state RDDs of the batch are checkpointed. Here: both state
  // streams' newest checkpoints (<dir>/state/stream-<id>-<time>) are of the last batch.
  const newest = new Map<string, number>();
  for (const f of fs.readdirSync(path.join(root, 'twoStates', 'state'))) {
    const m = /^stream-(\d+)-(\d+)$/.exec(f);
    if (m) newest.set(m[1], Math.max(newest.get(m[1]) ?? 0, Number(m[2])));
  }
  assert.deepEqual([...newest.values()], [60 * BATCH_MS, 60 * BATCH_MS], `both state streams checkpointed at the last batch: ${JSON.stringify([...newest])}`);
});

// "recovery with file input stream": a running sum over a 30-batch window of batches holding
// 1, 2, 3, ... (Spark's files 1 to 9, one a batch); the map blocks on 3 and the first run is
// stopped (ssc.stop(), not graceful) while batch 3 runs; Spark asserts 2 batches completed
// with outputs 1, 3. The restart's clock jumps 3 batches (the driver was down), then batches
// 7 to 9 run; Spark expects the outputs, as a set, to be 1, 3, 6, 10, 15, 21, 28, 36, 45:
// batch 3 is run again (it was pending) and the batches of the down time run too. Here each
// batch's own output is checked, in order. Spark's stop(false) waits 2 s for the running
// batch, then interrupts it (JobScheduler.stop: jobExecutor.awaitTermination(2 s), then
// shutdownNow); Sluice's stop waited for it without end (this batch: forever).
test('CheckpointSuite "recovery with file input stream": a stop while batch 3 runs leaves it pending; the restart runs it, the down time\'s batches and the rest', { timeout: 360_000 }, async (t) => {
  const block = path.join(root, 'block');
  fs.writeFileSync(block, '');
  const run = (phase: string): Promise<CliResult> => runCli(['run', '--workers', '2', fixture('checkpoint-spark-suite.ts'), inputsFile, root, phase], { timeoutMs: 150_000 });
  let stopped: CliResult;
  try {
    stopped = await run('stopFirst');
  } finally {
    fs.rmSync(block, { force: true });
  }
  assert.equal(stopped.code, 0, stopped.stderr.slice(-3000));
  assert.deepEqual(errors(stopped), []);
  const s = /^S stopMidBatch (.*)$/m.exec(stopped.stdout);
  assert.ok(s, `the stop's line:\n${stopped.stdout}`);
  const stop = JSON.parse(s[1]) as { stopped: boolean; ms: number };
  assert.equal(stop.stopped, true, 'ssc.stop() returned while a batch was blocked (Spark: after 2 s, the batch interrupted)');
  const cancelled = stopped.stderr
    .split('\n')
    .filter((l) => l.includes('its jobs were cancelled and it stays pending for the next start'))
    .map((l) => (JSON.parse(l) as { cancelledActions: number }).cancelledActions);
  assert.deepEqual(cancelled, [1], "the stop cancelled the running batch's action (the driver's warning says so)");
  assert.deepEqual(outputs(stopped).get('stopMidBatch'), [[1, [1]], [2, [3]]], 'batches 1 and 2 completed, batch 3 did not');
  const again = await run('stopRestart');
  assert.equal(again.code, 0, again.stderr.slice(-3000));
  assert.deepEqual(errors(again), []);
  const sums = [3, 4, 5, 6, 7, 8, 9].map((i) => [i, [(i * (i + 1)) / 2]]);
  assert.deepEqual(outputs(again).get('stopMidBatch'), sums, 'batch 3 re-run, the down time\'s batches 4-6, then 7-9');
  const all = [...outputs(stopped).get('stopMidBatch')!, ...outputs(again).get('stopMidBatch')!].flatMap(([, b]) => b);
  assert.deepEqual(new Set(all), new Set([1, 3, 6, 10, 15, 21, 28, 36, 45]), "Spark's expected output set");
  t.diagnostic(`the stop returned after ${stop.ms} ms`);
});

// "DStream checkpoint invoke times": an input mapped by + 100 with three outputs; 3 batches,
// a restart, 2 more. Spark: outputs 101, 101, 101 on each side (after the restart the re-run
// of batch 3, then 4 and 5) and the input's DStreamCheckpointData.restore called once however
// many outputs read it (0 times before the restart). Here the restore is part of start(), so
// it is counted at the end of each run; after the restart batches 4 and 5 only.
test('CheckpointSuite "DStream checkpoint invoke times": an input read by three outputs is restored once', () => {
  const count = (r: CliResult): unknown => {
    const m = /^C restoreTimes (.*)$/m.exec(r.stdout);
    assert.ok(m, r.stdout);
    return (JSON.parse(m[1]) as { end: number }).end;
  };
  assert.equal(first.code, 0, first.stderr.slice(-3000));
  assert.equal(restarted.code, 0, restarted.stderr.slice(-3000));
  assert.deepEqual([count(first), count(restarted)], [0, 1], 'restored: never in the first run, once in the restart');
  assert.deepEqual(outputs(first).get('restoreTimes'), [[1, [101]], [2, [101]], [3, [101]]]);
  assert.deepEqual(outputs(restarted).get('restoreTimes'), [[4, [101]], [5, [101]]]);
});
