// kinesalite paused (SIGSTOP: it takes connections, the kernel's, and answers nothing) while
// a Sluice job reads its stream, 25 s, past the readers' request timeout (20 s), then woken
// (SIGCONT): the readers' calls time out and are reported as an endpoint that took the
// connection and did not answer within the request timeout (before faults40 as one "they cannot
// reach", which sends the user to the URL and the network), they keep retrying, and once it
// answers again resume each shard after the last record they read; every record put before and
// after is counted exactly once.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { LocalCluster } from '@sluice/cli';
import { fixture, jsonLines, pollUntil, startCluster, startJob } from './job-runner.js';
import { Kinesalite } from './support/kinesalite.js';
import { client, createStream, emptySent, put } from './support/producer.js';
import { pause, resume } from '@sluice/test-servers/pause';

let kinesis: Kinesalite;
let cluster: LocalCluster;
let tmp: string;

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-kinesis-pause-'));
  kinesis = new Kinesalite();
  await kinesis.start();
  cluster = await startCluster(2);
});

after(async () => {
  await cluster?.stop();
  await kinesis?.dispose(); // SIGCONT first
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('kinesalite paused 25 s mid-stream, past the 20 s request timeout: reported, retried, resumed; every record counted once', { timeout: 180_000 }, async () => {
  const N = 20_000;
  const stream = 'pause';
  const c = client(kinesis.endpoint);
  await createStream(c, stream, 2);
  const sent = emptySent();
  const job = await startJob(cluster, fixture('kinesis-count-job.ts'), [
    JSON.stringify({ endpoint: kinesis.endpoint, stream, app: 'pause-app', readers: 2, checkpointDir: path.join(tmp, 'cp'), batchMs: 500, expectIds: N, checkpointInterval: 300 }),
  ]);
  await job.waitLine('STARTED', 30_000);
  await put(c, stream, 0, N / 2, 5, sent);
  const seen = (): number => jsonLines<{ ids: number[] }>(job.lines, 'BATCH ').reduce((n, b) => n + b.ids.length, 0);
  await pollUntil(() => seen() >= N / 4 || undefined, 60_000, `a quarter of ${N} records counted`);
  const pid = kinesis.pid;
  pause(pid);
  const t0 = Date.now();
  let reported: string;
  try {
    reported = await job.waitLine('RECEIVER error ', 90_000, (l) => l.includes('(endpointUrl)'));
    await new Promise((r) => setTimeout(r, Math.max(0, 25_000 - (Date.now() - t0))));
  } finally {
    resume(pid);
  }
  const paused = Date.now() - t0;
  const countedWhilePaused = seen();
  // Reached, then silent: not "cannot reach" (kinesis-bad-input's refused endpoint says that).
  assert.match(reported, new RegExp(`Kinesis: the endpoint ${kinesis.endpoint.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\(endpointUrl\\) took the connection but did not answer a call for stream 'pause' within 20000 ms \\(the readers' request timeout\\): .*requestTimeout.*; Kinesis, or a proxy before it, is stopped or overloaded: check that it answers \\(retrying every \\d+ ms\\)`));
  await put(c, stream, N / 2, N / 2, 6, sent);
  const end = await job.finished(90_000);
  assert.ok(end.ok, `${end.failure}\n${end.lines.slice(-20).join('\n')}`);
  const batches = jsonLines<{ counts: Record<string, number>; ids: number[] }>(end.lines, 'BATCH ');
  const ids = batches.flatMap((b) => b.ids);
  const distinct = new Set(ids);
  assert.deepEqual(sent.ids.filter((id) => !distinct.has(id)).slice(0, 20), [], 'no record lost');
  assert.equal(ids.length, N, `each record counted once (${ids.length - distinct.size} twice)`);
  const counts = new Map<string, number>();
  for (const b of batches) for (const [k, n] of Object.entries(b.counts)) counts.set(k, (counts.get(k) ?? 0) + n);
  assert.deepEqual([...counts].sort(), [...sent.counts].sort());
  c.destroy();
  console.log(`# ${countedWhilePaused} of ${N} counted when paused ${paused} ms; reported: ${reported.slice(0, 400)}`);
});
