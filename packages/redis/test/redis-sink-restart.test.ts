// saveToRedis while its server restarts (a real Debian redis-server with an append-only file,
// fsync always, stopped with SIGTERM and started again on the same port; driver in this
// process + worker processes): a queue stream of 16 batches of 2,000 records every 400 ms,
// HINCRBY wc <word> <n> of every record. The server goes down after batch 3; the sink waits
// for a server its output reached (reconnectTimeoutMs), and applies every partition once.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { LocalCluster } from '@sluice/cli';
import { startRedis, type RedisServer } from '@sluice/test-servers';
import { fixture, pollUntil, startCluster, startJob, startKillableCluster } from './job-runner.js';
import { wordSums } from '@sluice/test-servers/sink-input';
import { batchesDone, firstBatchTime } from '@sluice/test-servers/sink-job';
import { withRedis } from './redis-client.js';

let server: RedisServer;
let cluster: LocalCluster;

before(async () => {
  server = await startRedis({ appendOnly: true });
  cluster = await startCluster(2);
});

after(async () => {
  await cluster?.stop();
  await server?.stop();
});

const A = { batches: 16, perBatch: 2000, partitions: 4, words: 500, seed: 11, batchMs: 400 };
const MARKER = /^sluice:output:\{counter:wc\}:(\d+):(\d+)$/;

/** wc and the markers: the counters equal the sums of exactly the partitions whose markers say applied (batch index from the first batch's time). */
async function check(first: number): Promise<{ parts: [number, number][] }> {
  return withRedis(server.url, async (r) => {
    const markers = (await r.keys('sluice:output:*')).sort();
    const parts: [number, number][] = [];
    for (const m of markers) {
      const g = MARKER.exec(m);
      assert.ok(g, `a marker of the output: ${m}`);
      const v = await r.get(m);
      assert.match(v!, /^applied \d+$/, `${m}: applied, not failed`);
      parts.push([(Number(g[1]) - first) / A.batchMs, Number(g[2])]);
    }
    const got = await r.hgetall('wc');
    const want = wordSums(A, parts);
    assert.deepEqual(new Map(Object.entries(got).map(([k, v]) => [k, Number(v)])), want, `wc: each word summed over the ${parts.length} applied partitions, each once`);
    return { parts };
  });
}

test('the server restarted (down 2 s) after batch 3 of 16: the sink waits for it, every partition applied once', { timeout: 120_000 }, async () => {
  const job = await startJob(cluster, fixture('redis-restart-job.ts'), [JSON.stringify({ url: server.url, ...A })]);
  await job.waitLine('BATCH ', 60_000, () => batchesDone(job.lines) >= 3);
  const t0 = Date.now();
  await server.restart(2000);
  const down = Date.now() - t0;
  const end = await job.finished(100_000);
  const failed = end.lines.filter((l) => l.startsWith('TASK FAILED'));
  assert.ok(end.ok, `${end.failure}\n${failed.slice(0, 6).join('\n')}\n${end.lines.slice(-6).join('\n')}`);
  assert.equal(batchesDone(end.lines), A.batches);
  const { parts } = await check(firstBatchTime(end.lines));
  assert.equal(parts.length, A.batches * A.partitions, 'one marker a (batch, partition)');
  console.log(`down ${down} ms (SIGTERM, 2 s, start); all ${A.batches} batches applied once; ${failed.length} task attempts failed${failed.length ? `: ${failed.slice(0, 2).join(' | ')}` : ''}`);
});

test('the server down longer than reconnectTimeoutMs (1 s, down 8 s): the job fails naming the server and the wait; what was applied is whole partitions, each once', { timeout: 120_000 }, async () => {
  await withRedis(server.url, (r) => r.flushall());
  const job = await startJob(cluster, fixture('redis-restart-job.ts'), [JSON.stringify({ url: server.url, ...A, reconnectTimeoutMs: 1000 })]);
  await job.waitLine('BATCH ', 60_000, () => batchesDone(job.lines) >= 3);
  const restarted = server.restart(8000);
  const end = await job.finished(100_000);
  await restarted;
  assert.equal(end.ok, false, end.lines.join('\n'));
  assert.match(end.failure!, new RegExp(`SLUICE_TASK_FAILED: .*saveToRedis\\(kind 'counter', output 'counter:wc'\\) batch \\d+ partition \\d: cannot reach the Redis server 127\\.0\\.0\\.1:${server.port} .*check the host and port in url and that the server runs \\(the write waited \\d+ ms for the server to take connections again; reconnectTimeoutMs 1000\\)`));
  assert.ok(end.lines.some((l) => l.startsWith('FAILED SLUICE_TASK_FAILED')), end.lines.join('\n'));
  const { parts } = await check(firstBatchTime(end.lines));
  assert.ok(parts.length >= 3 * A.partitions, `the 3 batches before the stop were applied (${parts.length} partitions)`);
  console.log(`${batchesDone(end.lines)} batches reported done, ${parts.length} partitions applied; failure: ${end.failure!.slice(0, 300)}`);
});

test("the server restarted (down 6 s) as a worker joins: the new worker's job threads, which never reached it, wait for it too (an earlier batch did): every partition once", { timeout: 120_000 }, async () => {
  await withRedis(server.url, (r) => r.flushall());
  // a cluster of its own: one worker (1 core) to start with, one more once the server is down
  const { cluster: own } = await startKillableCluster(1);
  try {
    const job = await startJob(own, fixture('redis-restart-job.ts'), [JSON.stringify({ url: server.url, ...A })]);
    await job.waitLine('BATCH ', 60_000, () => batchesDone(job.lines) >= 3);
    const restarted = server.restart(6000);
    // the server is down (refusing connections), then the second worker registers and takes tasks
    await pollUntil(() => withRedis(server.url, (r) => r.ping()).then(() => undefined, () => true), 10_000, 'the server stopped within 10 s', 50);
    const down = Date.now();
    own.addWorker();
    await own.waitForWorkers(2, 30_000);
    const joined = Date.now() - down;
    await restarted;
    const back = Date.now() - down;
    const end = await job.finished(100_000);
    const failed = end.lines.filter((l) => l.startsWith('TASK FAILED'));
    assert.ok(end.ok, `${end.failure}\n${failed.slice(0, 6).join('\n')}`);
    // a refused connection is waited for on every thread: no attempt spent on it
    const refused = failed.filter((l) => /ECONNREFUSED|cannot reach/.test(l));
    assert.deepEqual(refused, [], `task attempts failed at once on the refused connection (${failed.length} failed in all)`);
    const { parts } = await check(firstBatchTime(end.lines));
    assert.equal(parts.length, A.batches * A.partitions, 'one marker a (batch, partition)');
    console.log(`the second worker registered ${joined} ms into the outage, the server back at ${back} ms; all ${A.batches} batches applied once; ${failed.length} task attempts failed`);
  } finally {
    await own.stop();
  }
});
