// kinesalite (with its LevelDB store, --path) stopped and started again on the same port
// while a Sluice job reads its stream: the readers report that they cannot reach the
// endpoint, keep retrying, and once it is back resume each shard after the last record they
// read; every record put before and after is counted exactly once.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { LocalCluster } from '@sluice/cli';
import { fixture, jsonLines, pollUntil, startCluster, startJob } from './job-runner.js';
import { Kinesalite } from './support/kinesalite.js';
import { client, createStream, emptySent, put } from './support/producer.js';

let kinesis: Kinesalite;
let cluster: LocalCluster;
let tmp: string;

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-kinesis-restart-'));
  kinesis = new Kinesalite();
  await kinesis.start();
  cluster = await startCluster(2);
});

after(async () => {
  await cluster?.stop();
  await kinesis?.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('kinesalite stopped and started again mid-stream: the stream resumes, every record counted once', { timeout: 120_000 }, async () => {
  const N = 20_000;
  const stream = 'restart';
  let c = client(kinesis.endpoint);
  await createStream(c, stream, 2);
  const sent = emptySent();
  const job = await startJob(cluster, fixture('kinesis-count-job.ts'), [
    JSON.stringify({ endpoint: kinesis.endpoint, stream, app: 'restart-app', readers: 2, checkpointDir: path.join(tmp, 'cp'), batchMs: 500, expectIds: N, checkpointInterval: 300 }),
  ]);
  await job.waitLine('STARTED', 30_000);
  await put(c, stream, 0, N / 2, 5, sent);
  const seen = (): number => jsonLines<{ ids: number[] }>(job.lines, 'BATCH ').reduce((n, b) => n + b.ids.length, 0);
  await pollUntil(() => seen() >= N / 4 || undefined, 60_000, `a quarter of ${N} records counted`);
  c.destroy();
  await kinesis.stop();
  const down = await job.waitLine('RECEIVER error ', 30_000, (l) => l.includes('cannot reach the endpoint'));
  assert.match(down, new RegExp(`Kinesis: cannot reach the endpoint ${kinesis.endpoint.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\(endpointUrl\\) for stream 'restart'`));
  const countedWhileDown = seen();
  await kinesis.start();
  c = client(kinesis.endpoint);
  await put(c, stream, N / 2, N / 2, 6, sent);
  const end = await job.finished(80_000);
  assert.ok(end.ok, `${end.failure}\n${end.lines.slice(-20).join('\n')}`);
  const batches = jsonLines<{ counts: Record<string, number>; ids: number[] }>(end.lines, 'BATCH ');
  const ids = batches.flatMap((b) => b.ids);
  const distinct = new Set(ids);
  assert.deepEqual(sent.ids.filter((id) => !distinct.has(id)).slice(0, 20), [], 'no record lost');
  assert.equal(ids.length, N, `each record counted once (${ids.length - distinct.size} twice)`);
  const counts = new Map<string, number>();
  for (const b of batches) for (const [k, n] of Object.entries(b.counts)) counts.set(k, (counts.get(k) ?? 0) + n);
  assert.deepEqual([...counts].sort(), [...sent.counts].sort());
  assert.ok(countedWhileDown < N, 'records were counted after the restart');
  c.destroy();
  console.log(`# ${countedWhileDown} of ${N} records counted when kinesalite stopped; the rest after it started again`);
});
