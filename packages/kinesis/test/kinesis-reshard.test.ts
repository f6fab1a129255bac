// Resharding followed against kinesalite: a 2-shard stream read by 2 KinesisInputDStreams
// (readers deliberately slow: 100 records a read, 200 ms apart) while shard 0 is split —
// with records of it not yet read — and then its two children are merged again, records put
// before, between and after. Every record is counted exactly
// once, and no record of a child shard is counted in a batch before the last record of
// each of its parents (a child is read only once its parents were read to the end; the
// merge's parents are read by different readers).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { LocalCluster } from '@sluice/cli';
import { fixture, jsonLines, startCluster, startJob } from './job-runner.js';
import { Kinesalite } from './support/kinesalite.js';
import { client, createStream, emptySent, merge, put, shards, split } from './support/producer.js';

interface Batch {
  readonly time: number;
  readonly counts: Record<string, number>;
  readonly ids: number[];
  readonly shards: Record<string, number[]>;
}

let kinesis: Kinesalite;
let cluster: LocalCluster;
let tmp: string;

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-kinesis-reshard-'));
  kinesis = new Kinesalite();
  await kinesis.start();
  cluster = await startCluster(2);
});

after(async () => {
  await cluster?.stop();
  await kinesis?.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('a split and a merge mid-stream: children read after their parents, every record counted once', { timeout: 120_000 }, async () => {
  const PART = 2000;
  const N = 3 * PART;
  const stream = 'reshard';
  const c = client(kinesis.endpoint);
  await createStream(c, stream, 2);
  const sent = emptySent();
  await put(c, stream, 0, PART, 1, sent);
  const job = await startJob(cluster, fixture('kinesis-count-job.ts'), [
    JSON.stringify({ endpoint: kinesis.endpoint, stream, app: 'reshard-app', readers: 2, checkpointDir: path.join(tmp, 'cp'), batchMs: 500, expectIds: N, checkpointInterval: 300, handler: true, maxRecordsPerRead: 100 }),
  ]);
  // The first part is there before the readers start: shard 0 still has unread records when
  // it is split right after they started, and its children get records at once.
  await job.waitLine('STARTED', 30_000);
  await split(c, stream, 'shardId-000000000000');
  await put(c, stream, PART, PART, 2, sent);
  const afterSplit = await shards(c, stream);
  const children = afterSplit.filter((s) => s.ParentShardId === 'shardId-000000000000').map((s) => s.ShardId!).sort();
  assert.equal(children.length, 2, `the split made two children: ${JSON.stringify(afterSplit)}`);
  await merge(c, stream, children[0]!, children[1]!);
  await put(c, stream, 2 * PART, PART, 3, sent);
  const all = await shards(c, stream);
  const merged = all.find((s) => s.ParentShardId === children[0] && s.AdjacentParentShardId === children[1]);
  assert.ok(merged, `the merge made a child of both: ${JSON.stringify(all)}`);
  const end = await job.finished(90_000).catch((err: Error) => {
    const cps = path.join(tmp, 'cp', 'kinesis', 'reshard-app', stream);
    const files = fs.existsSync(cps) ? fs.readdirSync(cps).map((f) => `${f}: ${fs.readFileSync(path.join(cps, f), 'utf8')}`) : [];
    fs.writeFileSync(path.join(os.tmpdir(), 'kinesis-reshard-failed.log'), [...files, JSON.stringify(all), ...job.lines].join('\n'));
    throw err;
  });
  assert.ok(end.ok, `${end.failure}\n${end.lines.slice(-20).join('\n')}`);
  const batches = jsonLines<Batch>(end.lines, 'BATCH ');
  const ids = batches.flatMap((b) => b.ids);
  const distinct = new Set(ids);
  assert.deepEqual(sent.ids.filter((id) => !distinct.has(id)).slice(0, 20), [], 'no record lost');
  assert.equal(ids.length, N, `each record counted once (${ids.length - distinct.size} twice)`);
  const counts = new Map<string, number>();
  for (const b of batches) for (const [k, n] of Object.entries(b.counts)) counts.set(k, (counts.get(k) ?? 0) + n);
  assert.deepEqual([...counts].sort(), [...sent.counts].sort());
  // Per shard: the first and last batch that counted one of its records.
  const span = new Map<string, { first: number; last: number; n: number }>();
  for (const b of batches) {
    for (const [s, list] of Object.entries(b.shards)) {
      const x = span.get(s) ?? { first: b.time, last: b.time, n: 0 };
      span.set(s, { first: Math.min(x.first, b.time), last: Math.max(x.last, b.time), n: x.n + list.length });
    }
  }
  for (const s of all) {
    for (const parent of [s.ParentShardId, s.AdjacentParentShardId]) {
      if (!parent || !span.has(parent) || !span.has(s.ShardId!)) continue;
      assert.ok(span.get(s.ShardId!)!.first >= span.get(parent)!.last, `${s.ShardId} was read only after its parent ${parent} was read to the end: ${JSON.stringify(Object.fromEntries(span))}`);
    }
  }
  for (const s of [...children, merged.ShardId!]) assert.ok((span.get(s)?.n ?? 0) > 0, `records were read from ${s}: ${JSON.stringify(Object.fromEntries(span))}`);
  c.destroy();
  console.log(`# per shard (first batch, last batch, records): ${JSON.stringify(Object.fromEntries(span))}`);
});
