// saveToRedis while its server stops answering: a real Debian redis-server (append-only file,
// fsync always) frozen with SIGSTOP by the sink's own onProgress at a chosen point of one
// partition's write (the fixture redis-pause-job.ts), then woken with SIGCONT; driver in this
// process + worker processes. A stopped server still takes connections (the kernel completes
// the TCP handshake) and answers nothing: before 6 December 2026 the write waited for ever
// (ioredis has no command timeout by default), the job hung silently. Now each command and
// handshake waits commandTimeoutMs; a silent server that was reached before is waited for as
// one that went away (reconnectTimeoutMs), and the partition's marker (WATCH, MULTI/EXEC)
// keeps every retry from applying it twice.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { LocalCluster } from '@sluice/cli';
import { startRedis, type RedisServer } from '@sluice/test-servers';
import { fixture, pollUntil, startCluster, startJob } from './job-runner.js';
import { wordSums } from '@sluice/test-servers/sink-input';
import { batchesDone, firstBatchTime } from '@sluice/test-servers/sink-job';
import { withRedis } from './redis-client.js';

let server: RedisServer;
let cluster: LocalCluster;
let dir: string;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-redis-pause-'));
  server = await startRedis({ appendOnly: true });
  cluster = await startCluster(2);
});

after(async () => {
  await cluster?.stop();
  await server?.stop(); // SIGCONT first
  fs.rmSync(dir, { recursive: true, force: true });
});

const A = { batches: 10, perBatch: 2000, partitions: 4, words: 500, seed: 12, batchMs: 400 };
const MARKER = /^sluice:output:\{counter:wc\}:(\d+):(\d+)$/;

/** The counters equal the sums of exactly the partitions whose markers say applied, each once. */
async function check(first: number): Promise<{ parts: [number, number][] }> {
  return withRedis(server.url, async (r) => {
    const parts: [number, number][] = [];
    for (const m of (await r.keys('sluice:output:*')).sort()) {
      const g = MARKER.exec(m);
      assert.ok(g, `a marker of the output: ${m}`);
      assert.match((await r.get(m))!, /^applied \d+$/, `${m}: applied, not failed`);
      parts.push([(Number(g[1]) - first) / A.batchMs, Number(g[2])]);
    }
    const got = await r.hgetall('wc');
    assert.deepEqual(new Map(Object.entries(got).map(([k, v]) => [k, Number(v)])), wordSums(A, parts), `wc: each word summed over the ${parts.length} applied partitions, each once`);
    return { parts };
  });
}

let run = 0;
/** Runs the fixture; after batch 2 arms the pause; once the sink paused the server, waits `pauseMs` (or until the job ends) and sends SIGCONT. */
async function pausedRun(o: { stage: 'queued' | 'applied'; chunkSize: number; commandTimeoutMs: number; reconnectTimeoutMs?: number; pauseMs: number | 'until the job ends' }) {
  await withRedis(server.url, (r) => r.flushall());
  run++;
  const armFile = path.join(dir, `arm-${run}`);
  const firedFile = path.join(dir, `fired-${run}`);
  const { pauseMs, ...rest } = o;
  const job = await startJob(cluster, fixture('redis-pause-job.ts'), [JSON.stringify({ url: server.url, ...A, pid: server.pid, armFile, firedFile, ...rest })]);
  await job.waitLine('BATCH ', 60_000, () => batchesDone(job.lines) >= 2);
  fs.writeFileSync(armFile, '');
  await pollUntil(() => fs.existsSync(firedFile) || undefined, 60_000, 'the sink paused the server', 20);
  const t0 = Date.now();
  let end;
  if (pauseMs === 'until the job ends') {
    end = await job.finished(120_000);
    process.kill(server.pid, 'SIGCONT');
  } else {
    await new Promise((r) => setTimeout(r, pauseMs));
    process.kill(server.pid, 'SIGCONT');
    end = await job.finished(120_000);
  }
  const paused = Date.now() - t0;
  const at = fs.readFileSync(firedFile, 'utf8');
  const failed = end.lines.filter((l) => l.startsWith('TASK FAILED'));
  return { end, failed, at, paused };
}

for (const c of [
  { stage: 'queued', chunkSize: 100, name: 'mid-write (inside MULTI, after its first chunk of 100)' },
  { stage: 'applied', chunkSize: 1000, name: "between partitions (the next write's handshake and WATCH)" },
] as const) {
  test(`the server paused 6 s ${c.name}, commandTimeoutMs 1500: ridden out, every partition applied once`, { timeout: 180_000 }, async () => {
    const { end, failed, at, paused } = await pausedRun({ ...c, commandTimeoutMs: 1500, pauseMs: 6000 });
    assert.ok(end.ok, `${end.failure}\n${failed.slice(0, 6).join('\n')}\n${end.lines.slice(-6).join('\n')}`);
    assert.equal(batchesDone(end.lines), A.batches);
    const { parts } = await check(firstBatchTime(end.lines));
    assert.equal(parts.length, A.batches * A.partitions, 'one marker a (batch, partition)');
    for (const l of failed) assert.match(l, new RegExp(`did not answer within commandTimeoutMs 1500 ms .*redis-cli -h 127\\.0\\.0\\.1 -p ${server.port} ping\\), or raise commandTimeoutMs`), 'a failed attempt names the silent server, the timeout and what to do');
    console.log(`# paused at ${at} for ${paused} ms; all ${A.batches} batches applied once; ${failed.length} task attempts failed${failed.length ? `: ${failed[0]!.slice(0, 400)}` : ''}`);
  });
}

test('the server paused 1 s mid-write, shorter than commandTimeoutMs (10 s, the default): ridden out, every partition applied once', { timeout: 180_000 }, async () => {
  const { end, failed, at, paused } = await pausedRun({ stage: 'queued', chunkSize: 100, commandTimeoutMs: 10_000, pauseMs: 1000 });
  assert.ok(end.ok, `${end.failure}\n${failed.slice(0, 6).join('\n')}`);
  const { parts } = await check(firstBatchTime(end.lines));
  assert.equal(parts.length, A.batches * A.partitions, 'one marker a (batch, partition)');
  console.log(`# paused at ${at} for ${paused} ms; ${failed.length} task attempts failed`);
});

test('the server paused past every attempt (commandTimeoutMs 1000, reconnectTimeoutMs 2000): the job fails naming the server, the timeout, the wait and what to do; what was applied is whole partitions, each once', { timeout: 180_000 }, async () => {
  const { end, failed, paused } = await pausedRun({ stage: 'queued', chunkSize: 100, commandTimeoutMs: 1000, reconnectTimeoutMs: 2000, pauseMs: 'until the job ends' });
  assert.equal(end.ok, false, end.lines.join('\n'));
  assert.match(
    end.failure!,
    new RegExp(`SLUICE_TASK_FAILED: .*saveToRedis\\(kind 'counter', output 'counter:wc'\\) batch \\d+ partition \\d: the Redis server 127\\.0\\.0\\.1:${server.port} \\(url redis://127\\.0\\.0\\.1:${server.port}\\) did not answer within commandTimeoutMs 1000 ms .*it takes connections but is stopped, overloaded or busy with a long command; check that it answers \\(redis-cli -h 127\\.0\\.0\\.1 -p ${server.port} ping\\), or raise commandTimeoutMs \\(the write waited \\d+ ms for the server to answer again; reconnectTimeoutMs 2000\\)`),
  );
  assert.ok(paused < 60_000, `failed within 60 s of the pause (${paused} ms): 4 attempts of about 1 + 2 s`);
  const { parts } = await check(firstBatchTime(end.lines));
  assert.ok(parts.length >= 2 * A.partitions, `the batches before the pause were applied (${parts.length} partitions)`);
  console.log(`# failed ${paused} ms into the pause, ${failed.length} attempts failed; ${parts.length} partitions applied; ${end.failure!.slice(0, 500)}`);
});
