// The S3 endpoint stops answering under a checkpointed stream: s3rver (a real S3 API server
// from npm, a process of its own) paused with SIGSTOP — it takes connections (the kernel's)
// and answers nothing — 8 s after the stream's third batch, shorter than socketTimeoutMs
// (20 s, the default), then woken with SIGCONT. The stream's state checkpoints and metadata
// checkpoints to s3:// wait for it (written by the workers' task threads and the driver);
// every batch's state is the running totals of the input (counted in the test). Passes as is:
// the clients' socket timeout bounds a pause longer than it (s3-checkpoint-store.test.ts, a
// front that never answers).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startS3rver, type S3rverProcess } from './s3rver-process.js';
import { fixture, startCluster, submit, type Cluster } from './sluice-cluster.js';
import { expectedStates } from './stateful-expected.js';
import { pause, resume } from '@sluice/test-servers/pause';

const BUCKET = 'sluice-pause';
const BATCHES = 10;
const SEED = 4343;

let s3: S3rverProcess | undefined;
let cluster: Cluster | undefined;

before(async () => {
  s3 = await startS3rver([BUCKET]);
  cluster = await startCluster(2, s3.env);
});

after(async () => {
  if (s3?.child.pid) resume(s3.child.pid);
  await cluster?.stop();
  await s3?.stop();
});

test('s3rver paused 8 s mid-stream (state and metadata checkpoints to s3://), within socketTimeoutMs: ridden out, every batch state exact', { timeout: 180_000 }, async () => {
  const gate = path.join(os.tmpdir(), `sluice-s3-pause-gate-${process.pid}-${Date.now()}`);
  const job = submit(cluster!, fixture('s3-stateful.ts'), [`s3://${BUCKET}/run`, String(BATCHES), String(SEED), gate]);
  let paused = 0;
  try {
    await job.waitLine('RDD ', 120_000);
    fs.writeFileSync(gate, '');
    await job.waitLine('STATE {"i":2,', 120_000);
    const pid = s3!.child.pid!;
    pause(pid);
    const t0 = Date.now();
    try {
      await new Promise((r) => setTimeout(r, 8000));
    } finally {
      resume(pid);
    }
    paused = Date.now() - t0;
  } finally {
    fs.writeFileSync(gate, '');
  }
  const result = await job.done;
  fs.rmSync(gate, { force: true });
  assert.equal(result.code, 0, `the job failed:\n${result.stderr}\n${result.stdout.join('\n')}`);
  const want = expectedStates(SEED, BATCHES);
  const states = result.stdout.filter((l) => l.startsWith('STATE ')).map((l) => JSON.parse(l.slice(6)) as { i: number; state: [string, number][] });
  assert.deepEqual(states.map((s) => s.i), Array.from({ length: BATCHES }, (_, i) => i));
  for (const s of states) assert.deepEqual(s.state, want[s.i], `state after batch ${s.i}`);
  const keys = (await s3!.list(BUCKET, 'run/stream/')).map((o) => o.key);
  assert.ok(keys.some((k) => /^run\/stream\/metadata\/checkpoint-\d+$/.test(k)), `metadata checkpoints in the bucket: ${keys.join(', ')}`);
  console.log(`# paused ${paused} ms after batch 2; all ${BATCHES} states exact; ${keys.length} checkpoint objects`);
});
