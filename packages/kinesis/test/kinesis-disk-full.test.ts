// The Kinesis row's disk-full cell of docs/fault-matrix.md: the one local file a connector's
// input writes is the Kinesis readers' shard checkpoint (`<checkpointDir>/kinesis/<app>/<stream>/
// <shardId>.json`, in the job's checkpoint store). The checkpoint directory is on a 16 MiB tmpfs
// mounted for the file, filled until the kernel answers ENOSPC and kept full while records go on
// being put (log off, so the shard checkpoints are the receiver's only writes; the driver's
// metadata checkpoints meet the full disk too, a warning each, and the stream goes on). Each
// refused shard checkpoint is a receiver error naming the shard and the checkpoint's path; the
// readers go on reading from memory (a checkpoint only bounds what a restarted reader reads
// again), so nothing is lost; the checkpoints stand still while full and move again once space
// is back. Checked against what kinesalite accepted: every record in exactly one batch, each
// key's count exact. Mounting needs root: outside CI the test skips without it; under CI it fails.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { LocalCluster } from '@sluice/cli';
import { holdDiskFull, mountTmpfs, unmountTmpfs } from '@sluice/test-servers/disk';
import { fixture, jsonLines, pollUntil, startCluster, startJob } from './job-runner.js';
import { Kinesalite } from './support/kinesalite.js';
import { assertCountedExactlyOnce, type CountBatch } from './support/count-batches.js';
import { client, createStream, emptySent, put } from './support/producer.js';

let kinesis: Kinesalite;
let cluster: LocalCluster;
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-kinesis-disk-full-'));
const disk = path.join(root, 'disk');
let mounted = false;

before(async () => {
  kinesis = new Kinesalite();
  await kinesis.start();
  cluster = await startCluster(2);
});

after(async () => {
  await cluster?.stop();
  await kinesis?.dispose();
  if (mounted) unmountTmpfs(disk);
  fs.rmSync(root, { recursive: true, force: true });
});

test('a full disk under the Kinesis shard checkpoints: each refused write reported naming the shard and the path, the readers go on, nothing lost; space back, the checkpoints move again', { timeout: 180_000 }, async (t) => {
  const cannot = mountTmpfs(disk);
  if (cannot) {
    t.skip(cannot);
    return;
  }
  mounted = true;
  const stream = 'full';
  const app = 'full-app';
  const PER_PHASE = 1500;
  const N = 3 * PER_PHASE;
  const checkpointDir = path.join(disk, 'ckpt');
  const c = client(kinesis.endpoint);
  await createStream(c, stream, 2);
  const job = await startJob(cluster, fixture('kinesis-count-job.ts'), [
    JSON.stringify({ endpoint: kinesis.endpoint, stream, app, readers: 1, checkpointDir, batchMs: 500, expectIds: N, checkpointInterval: 200, handler: true }),
  ]);
  const sent = emptySent();
  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
  const batches = (): CountBatch[] => jsonLines<CountBatch>(job.lines, 'BATCH ');
  const seen = (): number => batches().reduce((n, b) => n + b.ids.length, 0);
  const shardDir = path.join(checkpointDir, 'kinesis', app, stream);
  const checkpoints = (): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const f of fs.existsSync(shardDir) ? fs.readdirSync(shardDir).filter((n) => n.endsWith('.json')) : []) out[f] = fs.readFileSync(path.join(shardDir, f), 'utf8');
    return out;
  };
  let full: { stop(): void } | undefined;
  const filler = path.join(disk, 'filler');
  try {
    await job.waitLine('RECEIVER started ', 30_000);
    // Phase 1, with room: both shards checkpointed.
    await put(c, stream, 0, PER_PHASE, 23, sent, { batch: 100, onBatch: () => sleep(20) });
    await pollUntil(() => (seen() >= PER_PHASE && Object.keys(checkpoints()).length === 2 ? true : undefined), 60_000, 'phase 1 counted and both shards checkpointed');
    await sleep(1000); // the last checkpoints of phase 1 written (every 200 ms)
    full = holdDiskFull(filler);
    const fullAt = Date.now();
    const before = checkpoints();
    // Phase 2, the disk full.
    await put(c, stream, PER_PHASE, PER_PHASE, 29, sent, { batch: 100, onBatch: () => sleep(20) });
    await pollUntil(() => (seen() >= 2 * PER_PHASE ? true : undefined), 60_000, 'phase 2 counted with the disk full');
    const errors = jsonLines<{ message: string; streamId: number }>(job.lines, 'RECEIVER error ');
    const refused = errors.filter((e) => e.message.includes('cannot write the checkpoint of shard'));
    assert.ok(refused.length > 0, `the refused shard checkpoints were reported: ${JSON.stringify(errors)}`);
    for (const e of refused) {
      assert.match(e.message, /shard (shardId-\d+) \(/, 'the error names the shard');
      const shard = /shard (shardId-\d+) \(/.exec(e.message)![1]!;
      assert.ok(e.message.includes(path.join(fs.realpathSync(shardDir), `${shard}.json`)) || e.message.includes(path.join(shardDir, `${shard}.json`)), `the error names the checkpoint's path: ${e.message}`);
      assert.match(e.message, /ENOSPC|no space|disk is full|full/i, `the error says the disk is full: ${e.message}`);
    }
    assert.deepEqual(checkpoints(), before, 'the shard checkpoints stood still while the disk was full');
    t.diagnostic(`disk full ${Date.now() - fullAt} ms: ${refused.length} shard checkpoint errors reported, e.g. ${refused[0]!.message}`);
    full!.stop();
    full = undefined;
    fs.rmSync(filler);
    // Phase 3, space back: the checkpoints move again.
    await put(c, stream, 2 * PER_PHASE, PER_PHASE, 31, sent, { batch: 100, onBatch: () => sleep(20) });
    await pollUntil(() => (Object.entries(checkpoints()).every(([f, cp]) => before[f] !== cp) ? true : undefined), 30_000, 'both shard checkpoints written again with space back');
    const end = await job.finished(60_000);
    assert.ok(end.ok, `${end.failure}\n${end.lines.slice(-20).join('\n')}`);
    assert.equal(sent.ids.length, N);
    assertCountedExactlyOnce(end.lines, sent, N);
    assert.equal(jsonLines<unknown>(end.lines, 'RECEIVER started ').length, 1, 'the receiver never restarted');
  } finally {
    full?.stop();
    job.cancel();
    c.destroy();
  }
});
