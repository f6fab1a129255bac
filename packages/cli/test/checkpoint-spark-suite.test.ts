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
// (Spark's useSet, here as multisets).
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

function errors(r: CliResult): string[] {
  return r.stdout.split('\n').filter((l) => l.startsWith('E '));
}

before(async () => {
  const cases = Object.fromEntries(Object.entries(CASES).map(([k, c]) => [k, { input: c.input, restartAt: c.restartAt }]));
  fs.writeFileSync(inputsFile, JSON.stringify({ batchMs: BATCH_MS, cases }));
  const run = (phase: string): Promise<CliResult> => runCli(['run', '--workers', '2', fixture('checkpoint-spark-suite.ts'), inputsFile, root, phase], { timeoutMs: 60_000 });
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
