// KinesisReceiverSuite "split into multiple processes if a limitation is set" as a program sees
// it (kinesalite, a driver and 2 worker processes): a backlog read by one GetRecords call is
// stored at receiverMaxRate (Spark's spark.streaming.receiver.maxRate), not in one batch. Spark's
// KinesisRecordProcessor stores what the KCL read in parts of the receiver's current limit and
// its BlockGenerator makes each record wait on the rate limiter (a Guava RateLimiter, which keeps
// at most 1 s of unused permits), so a batch holds at most the rate x (the batch interval + 1 s).
// Before 2026-12-07 Sluice took a store of many records at once and made the next store wait, so
// the whole read (here 2,000 records) came in one batch.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { LocalCluster } from '@sluice/cli';
import { fixture, jsonLines, startCluster, startJob } from './job-runner.js';
import { Kinesalite } from './support/kinesalite.js';
import { client, createStream, emptySent, put } from './support/producer.js';

let kinesis: Kinesalite;
let cluster: LocalCluster;
let tmp: string;

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-kinesis-rate-'));
  kinesis = new Kinesalite();
  await kinesis.start();
  cluster = await startCluster(2);
});

after(async () => {
  await cluster?.stop();
  await kinesis?.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
});

test("KinesisReceiverSuite 'split into multiple processes if a limitation is set': a backlog of 2,000 records read at once is stored at receiverMaxRate 400/s, at most 400 x (0.5 s + 1 s) = 600 a batch of 500 ms; every record once", { timeout: 180_000 }, async () => {
  const N = 2000;
  const RATE = 400;
  const BATCH_MS = 500;
  const stream = 'rate';
  const c = client(kinesis.endpoint);
  await createStream(c, stream, 1);
  const sent = emptySent();
  // The backlog is in the shard before the job starts: the reader's first GetRecords (up to 10,000) takes all of it.
  await put(c, stream, 0, N, 7, sent);
  const job = await startJob(cluster, fixture('kinesis-count-job.ts'), [
    JSON.stringify({ endpoint: kinesis.endpoint, stream, app: 'rate-app', readers: 1, checkpointDir: path.join(tmp, 'cp'), batchMs: BATCH_MS, expectIds: N, receiverMaxRate: RATE }),
  ]);
  const end = await job.finished(120_000);
  assert.ok(end.ok, `${end.failure}\n${end.lines.slice(-20).join('\n')}`);
  const batches = jsonLines<{ time: number; ids: number[] }>(end.lines, 'BATCH ');
  const sizes = batches.map((b) => b.ids.length);
  const bound = RATE * (BATCH_MS / 1000 + 1); // Spark's: the rate over the batch, plus Guava's 1 s of stored permits
  assert.ok(Math.max(...sizes) <= bound, `every batch at most ${bound} records (the rate's), got ${JSON.stringify(sizes.filter((n) => n > 0))}`);
  const ids = batches.flatMap((b) => b.ids);
  assert.equal(ids.length, N, 'each record counted once');
  assert.deepEqual([...new Set(ids)].sort((a, b) => a - b), [...sent.ids].sort((a, b) => a - b));
  // The records came over at least N / RATE s of batches (10 batches of 500 ms here), not at once.
  const withRecords = batches.filter((b) => b.ids.length > 0);
  assert.ok(withRecords.at(-1)!.time - withRecords[0]!.time >= ((N / RATE) * 1000) / 2, `spread over ${withRecords.at(-1)!.time - withRecords[0]!.time} ms of batches`);
  c.destroy();
  console.log(`# batch sizes: ${JSON.stringify(sizes.filter((n) => n > 0))}`);
});
