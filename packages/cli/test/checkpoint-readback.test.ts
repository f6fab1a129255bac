// Checkpoints are read back: once an RDD (or a stateful stream's state) is checkpointed,
// the lineage before it is not needed any more. Each check makes that lineage
// unrecomputable (its source files deleted, its cached blocks dropped on the workers) and
// still expects the right result, computed here from the input.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fixture, jsonLine, jsonLines, mulberry32, removeBlocksOn, startJob, within, withCluster, type RunningJob } from './harness.js';
import type { LocalCluster } from '../src/local-cluster.js';

const BATCH_MS = 1000;
const TICKS = 8;
const DROP_AFTER = 4; // the state at batch 4 is checkpointed (every 2 batches)
type Outcome = { ok: true; value: string[] } | { ok: false; message: string };

const rand = mulberry32(3003);
const VOCAB = ['alpha', 'beta', 'gamma', 'delta', 'eps', 'zeta', 'eta'];
const sourceLines = Array.from({ length: 60 }, (_, i) => `line ${i} ${VOCAB[Math.floor(rand() * VOCAB.length)]}`);
/** The lines moved into the stream's directory before tick n (index n - 1). */
const tickLines = Array.from({ length: TICKS }, () => Array.from({ length: 3 + Math.floor(rand() * 4) }, () => Array.from({ length: 4 }, () => VOCAB[Math.floor(rand() * VOCAB.length)]).join(' ')));

const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-ckpt-readback-'));
const control = path.join(workDir, 'control');
const inDir = path.join(workDir, 'in');
let rddLine: { first: string[]; checkpointed: boolean; afterSourceGone: Outcome; controlWithoutCheckpoint: Outcome; afterCheckpointGone: Outcome } | undefined;
let states: { time: number; state: [string, number][] }[] = [];
let zero = 0;
let removedBlocks = -1;
let ckptPartsAtDrop = 0;
let setupError: unknown;

before(async () => {
  fs.mkdirSync(control);
  fs.mkdirSync(inDir);
  fs.writeFileSync(path.join(workDir, 'source.txt'), sourceLines.join('\n') + '\n');
  try {
    await withCluster({ workers: 2 }, async (h) => {
      const job: RunningJob = await startJob(h.cluster, fixture('checkpoint-readback.ts'), [workDir, control, String(BATCH_MS)]);
      rddLine = JSON.parse((await job.waitLine('RDD ', 90_000)).slice('RDD '.length)) as typeof rddLine;
      zero = Number((await job.waitLine('STARTED ', 30_000)).slice('STARTED '.length));
      const moved: string[] = [];
      for (let tick = 1; tick <= TICKS; tick++) {
        const name = `batch-${tick}.txt`;
        fs.writeFileSync(path.join(workDir, name), tickLines[tick - 1].join('\n') + '\n');
        // An old mtime: the file is settled, so the batch at this tick reads it.
        fs.utimesSync(path.join(workDir, name), 0, 0);
        fs.renameSync(path.join(workDir, name), path.join(inDir, name));
        moved.push(name);
        fs.writeFileSync(path.join(control, `tick-${tick}`), '');
        await job.waitLine(`TICKED ${zero + tick * BATCH_MS}`, 60_000);
        if (tick === DROP_AFTER) await dropLineage(h.cluster, job.id, moved);
      }
      fs.writeFileSync(path.join(control, 'stop'), '');
      const run = await within(job.done, 60_000, 'the job to stop');
      assert.equal(run.ok, true, JSON.stringify(run.failure));
      states = jsonLines(run.lines, 'STATE ');
    });
  } catch (err) {
    setupError = err;
  }
});

/**
 * After batch DROP_AFTER: delete every input file read so far and drop every cached RDD
 * block and every shuffle output of the job on every worker (without a checkpoint, the
 * state at batch 4 could be rebuilt from the earlier states' cached blocks or from the
 * map outputs of the earlier batches' shuffles; now from neither).
 */
async function dropLineage(cluster: LocalCluster, jobId: string, moved: readonly string[]): Promise<void> {
  const ckpt = path.join(workDir, 'stream-ckpt', 'state');
  ckptPartsAtDrop = fs.existsSync(ckpt) ? fs.readdirSync(ckpt).flatMap((d) => fs.readdirSync(path.join(ckpt, d)).filter((f) => f.startsWith('part-'))).length : 0;
  for (const f of moved) fs.rmSync(path.join(inDir, f));
  removedBlocks = 0;
  for (const w of cluster.driver.registry.all()) removedBlocks += await removeBlocksOn(w.address, cluster.secret, [`rdd_${jobId}_`, `shuffle_${jobId}_`]);
}

after(() => fs.rmSync(workDir, { recursive: true, force: true }));

function ready(): void {
  if (setupError !== undefined) throw setupError;
}

test('a checkpointed RDD is read back from its checkpoint once its source file and cached parent are gone', () => {
  ready();
  const r = rddLine!;
  const want = sourceLines.map((l) => `${l.length}:${l.toUpperCase()}`);
  assert.equal(r.checkpointed, true);
  assert.deepEqual(r.first, want);
  assert.deepEqual(r.afterSourceGone, { ok: true, value: want }, 'collected again after the source file was deleted and the cache unpersisted');
  // Controls: the deletion does make the lineage unrecomputable, and the result above came from the checkpoint files.
  assert.equal(r.controlWithoutCheckpoint.ok, false, 'the same chain without a checkpoint cannot be computed any more');
  assert.equal(r.afterCheckpointGone.ok, false, 'with its checkpoint files deleted too, the RDD cannot be computed');
  assert.match((r.afterCheckpointGone as { message: string }).message, /checkpoint/);
});

test('a stateful stream reads its state back from the checkpoint once earlier input files, cached state blocks and shuffle outputs are gone', () => {
  ready();
  assert.ok(ckptPartsAtDrop > 0, 'the state was checkpointed by the time the lineage was dropped');
  assert.ok(removedBlocks > 0, `the workers dropped the job's cached blocks and shuffle outputs (${removedBlocks})`);
  assert.deepEqual(
    states.map((s) => s.time),
    Array.from({ length: TICKS }, (_, i) => zero + (i + 1) * BATCH_MS),
  );
  const running = new Map<string, number>();
  states.forEach((s, i) => {
    for (const l of tickLines[i]) for (const w of l.split(' ')) running.set(w, (running.get(w) ?? 0) + 1);
    const want = [...running].sort((a, b) => a[0].localeCompare(b[0]));
    assert.deepEqual([...s.state].sort((a, b) => a[0].localeCompare(b[0])), want, `state at batch ${i + 1} (${s.time})`);
  });
});
