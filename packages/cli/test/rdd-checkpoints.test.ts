// Checkpoints of RDDs the job's own code marks (`rdd.checkpoint()`) in a streaming job,
// on a real cluster: they go to <checkpointDir>/rdds/<attempt>/rdd-N (never named after
// the job id), are deleted once their RDDs are garbage, so a long run does not pile them
// up, and all of them when the program ends; what an earlier run left there is deleted
// when the stream starts.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fixture, jsonLines, withCluster } from './harness.js';

interface Batch {
  i: number;
  doubled: number;
  squares: number;
  again: number;
  attempts: string[];
  dirs: number;
}

const BATCHES = 50;
/** Two checkpoints a batch are written: 100 in all; garbage ones are deleted as the run goes. */
const BOUND = 30;

test('a long stream that checkpoints its own RDDs keeps a bounded rdds/ directory, emptied when the program ends', { timeout: 180_000 }, async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-rdd-ckpt-'));
  try {
    const ckpt = path.join(root, 'ckpt');
    // What a run killed before its program ended would leave.
    const leftover = path.join(ckpt, 'rdds', '0123456789ab', 'rdd-7');
    fs.mkdirSync(leftover, { recursive: true });
    fs.writeFileSync(path.join(leftover, 'part-0'), 'x');
    await withCluster({ workers: 2 }, async (h) => {
      const run = await h.run(fixture('stream-rdd-checkpoints.ts'), [ckpt, String(BATCHES)]);
      assert.ok(run.ok, `${JSON.stringify(run.failure)}\n${run.lines.join('\n')}`);
      const batches = jsonLines<Batch>(run.lines, 'BATCH ');
      assert.deepEqual(
        batches.map((b) => b.i),
        Array.from({ length: BATCHES }, (_, i) => i),
      );
      for (const b of batches) {
        const xs = Array.from({ length: 10 }, (_, j) => 2 * (b.i * 10 + j));
        assert.equal(b.doubled, xs.reduce((a, x) => a + x, 0), `batch ${b.i}: the checkpointed stream RDD`);
        assert.equal(b.squares, xs.reduce((a, x) => a + x * x, 0), `batch ${b.i}: the RDD checkpointed in foreachRDD`);
        assert.equal(b.again, b.squares, `batch ${b.i}: read back from its checkpoint`);
        assert.equal(b.attempts.length, 1, `batch ${b.i}: attempts under rdds/: ${b.attempts.join(', ')}`);
        assert.match(b.attempts[0], /^[0-9a-f]{12}$/);
        assert.ok(!b.attempts[0].includes(String(run.jobId)) && b.attempts[0] !== '0123456789ab', `batch ${b.i}: ${b.attempts[0]}`);
      }
      assert.ok(batches[0].dirs >= 1, 'checkpoints are written under rdds/<attempt>/');
      const most = Math.max(...batches.map((b) => b.dirs));
      console.log(`# rdds/ held at most ${most} RDD checkpoints over ${BATCHES} batches (${2 * BATCHES} written); at the last batch ${batches.at(-1)!.dirs}`);
      assert.ok(most <= BOUND, `rdds/ held ${most} RDD checkpoints at once: ${batches.map((b) => b.dirs).join(' ')}`);
      // The program ended: none is left, and the earlier run's leftover is gone too.
      const left = fs.existsSync(path.join(ckpt, 'rdds')) ? fs.readdirSync(path.join(ckpt, 'rdds')) : [];
      assert.deepEqual(left, [], 'rdds/ after the program ended');
      assert.deepEqual(
        fs.readdirSync(ckpt).filter((n) => !['metadata', 'state', 'rdds'].includes(n)),
        [],
        'nothing else in the checkpoint directory',
      );
    });
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
