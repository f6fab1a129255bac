// saveToRedis against a real Debian redis-server, driver in this process + 2 worker
// processes: 100,000 records in 10 batches of a queue stream, written five ways (HINCRBY
// of each record; of each batch's sums per word: INCRBY with a key function, ZINCRBY, and
// a failure-free HINCRBY; HSET of each batch's max per word). Each faulty
// output's task fails once after a partial write (commands queued inside MULTI) and once
// after its EXEC; the retries must leave every key exactly as the input says (computed
// here) and as the failure-free output. Also: connections reused across batches and gone
// after the job, and an RDD saved twice under one batchTime is applied once.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import type { LocalCluster } from '@sluice/cli';
import { startRedis, type RedisServer } from '@sluice/test-servers';
import { fixture, startCluster, startJob } from './job-runner.js';
import { batchRecords, type SinkRecord } from '@sluice/test-servers/sink-input';

let server: RedisServer;
let cluster: LocalCluster;
let redis: Redis;
const flagDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-redis-flags-'));

before(async () => {
  server = await startRedis({ password: 'sink-secret' });
  redis = new Redis(server.url);
  cluster = await startCluster(2);
});

after(async () => {
  await cluster?.stop();
  redis?.disconnect();
  await server?.stop();
  fs.rmSync(flagDir, { recursive: true, force: true });
});

const sortedEntries = (m: Map<string, number> | Record<string, string | number>): [string, number][] =>
  (m instanceof Map ? [...m] : Object.entries(m).map(([k, v]) => [k, Number(v)] as [string, number])).sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));

test('100,000 records through saveToRedis on 2 workers, with task failures after a partial write and after EXEC: every key exact', { timeout: 120_000 }, async () => {
  const a = { url: server.url, batches: 10, perBatch: 10_000, partitions: 4, words: 3000, seed: 21, batchMs: 600, faults: true, flagDir };
  const input: SinkRecord[] = [];
  for (let b = 0; b < a.batches; b++) input.push(...batchRecords(a.seed, b, a.perBatch, a.words));
  assert.equal(input.length, 100_000);
  const sums = new Map<string, number>();
  for (const r of input) sums.set(r.word, (sums.get(r.word) ?? 0) + r.n);
  // HSET lastmax: each word's max n within the last batch that has it.
  const lastMax = new Map<string, number>();
  for (let b = 0; b < a.batches; b++) {
    const m = new Map<string, number>();
    for (const r of input.slice(b * a.perBatch, (b + 1) * a.perBatch)) m.set(r.word, Math.max(m.get(r.word) ?? 0, r.n));
    for (const [w, n] of m) lastMax.set(w, n);
  }

  const t0 = Date.now();
  const job = await startJob(cluster, fixture('redis-sink-job.ts'), [JSON.stringify(a)]);
  const clientIds = new Set<string>();
  let watching = true;
  const watcher = (async () => {
    while (watching) {
      const list = (await redis.client('LIST')) as string;
      for (const line of list.split('\n')) if (/ name=sluice-redis /.test(line)) clientIds.add(/id=(\d+)/.exec(line)![1]!);
      await new Promise((res) => setTimeout(res, 25));
    }
  })();
  // Stopped whatever the job did: a watch left running keeps the file's process alive.
  const end = await job.finished(100_000).finally(() => (watching = false));
  await watcher;
  assert.ok(end.ok, `${end.failure}\n${end.lines.slice(-20).join('\n')}`);
  const batchEnds = end.lines.filter((l) => l.startsWith('BATCH ')).map((l) => Number(l.split(' ')[2]));
  assert.equal(batchEnds.length, a.batches);
  console.log(`# job ${Date.now() - t0} ms; batches done at +${batchEnds.map((t) => t - t0).join(', +')} ms`);

  assert.deepEqual(fs.readdirSync(flagDir).sort(), ['hincrby-applied', 'hincrby-queued', 'hset-applied', 'hset-queued', 'incrby-applied', 'incrby-queued', 'zincrby-applied', 'zincrby-queued']);
  const partial = JSON.parse(fs.readFileSync(path.join(flagDir, 'hincrby-queued'), 'utf8')) as { commands: number };
  assert.ok(partial.commands > 0 && partial.commands < a.perBatch / a.partitions, 'the fault came after part of the partition was sent');

  const expected = sortedEntries(sums);
  assert.deepEqual(sortedEntries(await redis.hgetall('wc-clean')), expected, 'the failure-free output is the input');
  assert.deepEqual(sortedEntries(await redis.hgetall('wc')), expected, 'HINCRBY with faults: each record counted once');
  const totalKeys = await redis.keys('total:*');
  const totals = new Map<string, number>();
  const values = await redis.mget(totalKeys);
  totalKeys.forEach((k, i) => totals.set(k.slice('total:'.length), Number(values[i])));
  assert.deepEqual(sortedEntries(totals), expected, 'INCRBY with faults: each record counted once');
  const scores = await redis.zrange('scores', 0, -1, 'WITHSCORES');
  const zs = new Map<string, number>();
  for (let i = 0; i < scores.length; i += 2) zs.set(scores[i]!, Number(scores[i + 1]));
  assert.deepEqual(sortedEntries(zs), expected, 'ZINCRBY with faults: each record counted once');
  assert.deepEqual(sortedEntries(await redis.hgetall('lastmax')), sortedEntries(lastMax), 'HSET with faults: each word has its last batch max');

  // One marker per non-empty (output, batch, partition), with a TTL.
  const markers = await redis.keys('sluice:output:*');
  const perOutput = new Map<string, number>();
  for (const m of markers) {
    const out = /^sluice:output:\{(.*)\}:/.exec(m)![1]!;
    perOutput.set(out, (perOutput.get(out) ?? 0) + 1);
  }
  for (const out of ['counter:wc', 'totals', 'hash:lastmax', 'sortedSet:scores', 'counter:wc-clean']) assert.equal(perOutput.get(out), a.batches * a.partitions, out);
  const ttl = await redis.ttl(markers[0]!);
  assert.ok(ttl > 86_000 && ttl <= 86_400, `marker TTL ${ttl}`);

  // An RDD saved twice with batchTime 42: the second call finds the 3 markers.
  assert.deepEqual(JSON.parse(end.lines.find((l) => l.startsWith('RDD '))!.slice(4)), [
    { applied: 3000, skipped: 0 },
    { applied: 0, skipped: 3 },
  ]);
  const rddSums = new Map<string, number>();
  for (const r of batchRecords(a.seed, 1000, 3000, a.words)) rddSums.set(r.word, (rddSums.get(r.word) ?? 0) + r.n);
  assert.deepEqual(sortedEntries(await redis.hgetall('rddcount')), sortedEntries(rddSums));

  assert.ok(clientIds.size >= 1 && clientIds.size <= 8, `the sink opened ${clientIds.size} connections`);
  console.log(`# the sink used ${clientIds.size} connections for ${5 * a.batches * a.partitions} partition writes`);
  const deadline = Date.now() + 90_000; // a second or so on a quiet machine; 20 s could lapse under load
  for (;;) {
    const list = (await redis.client('LIST')) as string;
    const open = list.split('\n').filter((l) => / name=sluice-redis /.test(l)).length;
    if (open === 0) break;
    assert.ok(Date.now() < deadline, `${open} sink connections still open 90 s after the job ended`);
    await new Promise((res) => setTimeout(res, 100));
  }
});
