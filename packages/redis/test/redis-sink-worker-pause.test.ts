// The saveToRedis cell of docs/fault-matrix.md's worker SIGSTOP: a real redis-server (an
// append-only file), the driver in this process (worker timeout 3 s) and 3 worker processes; the
// worker writing a partition stops itself with SIGSTOP from the sink's own onProgress (fixture
// redis-pause-job.ts with `freeze`) inside its MULTI, after the first chunk of 100 commands: its
// connection stays open with the transaction queued and the partition's marker WATCHed. Redis
// has no locks: the attempt run again elsewhere WATCHes the marker, finds none, and applies the
// partition with its marker in one EXEC, as soon as the driver declared the worker lost. Then the
// frozen worker is woken while the job still runs: its attempt goes on, queues the rest and
// EXECs, which WATCH must make apply nothing (the marker changed since its WATCH). Checked against
// the input (sink-input, from the seed): each counter equals its word's sum over every record of
// every batch, once; every marker applied. The woken EXEC made certain in this process: the file's
// second case.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startRedis, type RedisServer } from '@sluice/test-servers';
import { WORKER_TIMEOUT_MS, armSinkFreeze, resume, workerPauseCluster } from '@sluice/test-servers/worker-pause';
import { fixture, pollUntil, startJob } from './job-runner.js';
import { wordSums } from '@sluice/test-servers/sink-input';
import { batchesDone } from '@sluice/test-servers/sink-job';
import { withRedis } from './redis-client.js';
import { closeRedisClients } from '../src/client-cache.js';
import { redisSinkParams } from '../src/redis-options.js';
import { writeRedisPartition, type PartitionResult } from '../src/redis-partition-writer.js';

let server: RedisServer;
let dir: string;
const frozen = workerPauseCluster(3);

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-redis-worker-pause-'));
  server = await startRedis({ appendOnly: true });
});

after(async () => {
  await server?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const A = { batches: 10, perBatch: 2000, partitions: 4, words: 500, seed: 31, batchMs: 400 };
const CHUNK = 100;

interface Fired {
  readonly batch: string;
  readonly partition: number;
  readonly commands: number;
  readonly pid: number;
  readonly at: number;
}

test("the worker writing a partition frozen (SIGSTOP) inside its MULTI: the retry applies it; woken, its EXEC applies nothing; every counter exact", { timeout: 120_000 }, async () => {
  const armFile = path.join(dir, 'arm');
  const firedFile = path.join(dir, 'fired');
  const wokenFile = `${firedFile}.woken`;
  const job = await startJob(frozen.cluster, fixture('redis-pause-job.ts'), [
    JSON.stringify({ url: server.url, ...A, pid: 0, freeze: true, armFile, firedFile, stage: 'queued', chunkSize: CHUNK, commandTimeoutMs: 10_000 }),
  ]);
  await job.waitLine('BATCH ', 60_000, () => batchesDone(job.lines) >= 2);
  const { fired, victim } = await armSinkFreeze<Fired>(frozen, armFile, firedFile);
  const marker = `sluice:output:{counter:wc}:${fired.batch}:${fired.partition}`;
  const markerValue = (): Promise<string | null> => withRedis(server.url, (r) => r.get(marker));
  assert.equal(await markerValue(), null, 'the frozen attempt applied nothing yet');
  await pollUntil(async () => ((await markerValue()) !== null ? true : undefined), 60_000, `batch ${fired.batch} partition ${fired.partition} applied by another attempt while its first one is frozen`, 100);
  const stallMs = Date.now() - fired.at;
  assert.ok(stallMs < 10 * WORKER_TIMEOUT_MS, `the partition applied elsewhere ${stallMs} ms after the freeze`);
  const perPartition = A.perBatch / A.partitions;
  assert.equal(await markerValue(), `applied ${perPartition}`, 'the retry applied the whole partition');
  resume(victim);
  const end = await job.finished(90_000);
  assert.ok(end.ok, `${end.failure}\n${end.lines.slice(-10).join('\n')}`);
  assert.equal(batchesDone(end.lines), A.batches);
  // The woken attempt queues the partition's last chunk and EXECs (or its thread was ended by its worker, finding its task stream closed).
  const woken = (): string[] => (fs.existsSync(wokenFile) ? fs.readFileSync(wokenFile, 'utf8').trim().split('\n') : []);
  await pollUntil(() => (woken().some((l) => l.includes(`"commands":${perPartition}`)) ? true : undefined), 5000, 'the woken attempt queued its last chunk', 50).catch(() => undefined);
  await new Promise((r) => setTimeout(r, 1000)); // its EXEC answered
  assert.ok(!woken().some((l) => l.includes('"stage":"applied"')), `the woken attempt's EXEC applied nothing: ${woken().join(' | ')}`);
  const all: [number, number][] = [];
  for (let b = 0; b < A.batches; b++) for (let p = 0; p < A.partitions; p++) all.push([b, p]);
  await withRedis(server.url, async (r) => {
    const markers = await r.keys('sluice:output:*');
    assert.equal(markers.length, A.batches * A.partitions, 'one marker a (batch, partition)');
    for (const m of markers) assert.match((await r.get(m))!, /^applied \d+$/, `${m}: applied`);
    const got = await r.hgetall('wc');
    assert.deepEqual(new Map(Object.entries(got).map(([k, v]) => [k, Number(v)])), wordSums(A, all), 'wc: each word summed over every record, once');
  });
  console.log(`# froze at ${JSON.stringify(fired)}; applied elsewhere ${stallMs} ms after; ${end.lines.filter((l) => l.startsWith('TASK FAILED')).length} task attempts failed; after the wake: ${woken().join(' | ') || 'nothing (its thread ended)'}`);
});

// The woken attempt's EXEC, made certain: in the worker process above its thread may be ended
// by its worker (its task stream closed) before it gets there. Here, in this process, attempt A's
// onProgress after its first chunk (its MULTI open, the marker WATCHed) runs attempt B of the same
// partition to its end, as the retry elsewhere did while A was frozen; then A goes on, queues the
// rest and EXECs: WATCH (the marker B set) must make it apply nothing.
test("an attempt woken inside its MULTI after another applied its partition: its EXEC applies nothing (WATCH), every counter once", { timeout: 60_000 }, async () => {
  const records = Array.from({ length: 350 }, (_, i) => ({ word: `w${i % 40}`, n: i + 1 }));
  const sums = new Map<string, number>();
  for (const r of records) sums.set(r.word, (sums.get(r.word) ?? 0) + r.n);
  const options = { url: server.url, kind: 'counter', key: 'woken', field: (r: { word: string }) => r.word, value: (r: { n: number }) => r.n, chunkSize: CHUNK } as const;
  const b = redisSinkParams<{ word: string; n: number }>(options);
  let second: PartitionResult | undefined;
  const a = redisSinkParams<{ word: string; n: number }>({
    ...options,
    onProgress: async (e) => {
      if (e.stage === 'queued' && e.commands === CHUNK && second === undefined) second = await writeRedisPartition(b.params, b.fns, 'b1', 0, records);
    },
  });
  try {
    const first = await writeRedisPartition(a.params, a.fns, 'b1', 0, records);
    assert.deepEqual(second, [records.length, 0], 'the second attempt applied the partition');
    assert.deepEqual(first, [0, 1], "the first attempt's EXEC applied nothing: the partition was applied meanwhile");
    await withRedis(server.url, async (r) => {
      assert.equal(await r.get('sluice:output:{counter:woken}:b1:0'), `applied ${records.length}`);
      const got = await r.hgetall('woken');
      assert.deepEqual(new Map(Object.entries(got).map(([k, v]) => [k, Number(v)])), sums, 'each counter once');
    });
  } finally {
    await closeRedisClients();
  }
});
