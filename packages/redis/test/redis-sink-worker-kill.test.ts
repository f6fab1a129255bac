// The saveToRedis cells of docs/fault-matrix.md's worker SIGKILL: a real redis-server (an
// append-only file), the driver in this process and 3 worker processes; the worker writing a
// partition kills itself with -9 from the sink's own onProgress (fixture redis-pause-job.ts with
// `kill`), so the moment is exact: mid-write (after the first chunk of its MULTI: the dead
// connection's queued commands are discarded by the server) and just after its EXEC (the marker
// set with the counters, the task's success never reported: the attempt run again elsewhere must
// find the marker and apply nothing). Checked against the input (sink-input, from the seed): each
// counter equals its word's sum over every record of every batch, once; every marker applied.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { LocalCluster } from '@sluice/cli';
import { startRedis, type RedisServer } from '@sluice/test-servers';
import { fixture, pollUntil, startJob, startKillableCluster } from './job-runner.js';
import { wordSums } from '@sluice/test-servers/sink-input';
import { batchesDone } from '@sluice/test-servers/sink-job';
import { withRedis } from './redis-client.js';

let server: RedisServer;
let cluster: LocalCluster;
let procs: Map<string, ChildProcess>;
let dir: string;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-redis-worker-kill-'));
  server = await startRedis({ appendOnly: true });
  // Three workers: each case kills one, and a task needs one left.
  ({ cluster, procs } = await startKillableCluster(3));
});

after(async () => {
  await cluster?.stop();
  await server?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const A = { batches: 6, perBatch: 2000, partitions: 4, words: 500, seed: 21, batchMs: 400 };
const live = (): number => [...procs.values()].filter((p) => p.exitCode === null && p.signalCode === null).length;

for (const c of [
  { stage: 'queued', name: 'mid-write (after the first chunk of its MULTI)' },
  { stage: 'applied', name: 'just after its EXEC, before the task reports' },
] as const) {
  test(`the worker writing a partition killed -9 ${c.name}: every counter exact`, { timeout: 120_000 }, async () => {
    await withRedis(server.url, (r) => r.flushall());
    const armFile = path.join(dir, `arm-${c.stage}`);
    const firedFile = path.join(dir, `fired-${c.stage}`);
    const workersBefore = live();
    const job = await startJob(cluster, fixture('redis-pause-job.ts'), [JSON.stringify({ url: server.url, ...A, pid: 0, kill: true, armFile, firedFile, stage: c.stage, chunkSize: 100, commandTimeoutMs: 10_000 })]);
    await job.waitLine('BATCH ', 60_000, () => batchesDone(job.lines) >= 2);
    fs.writeFileSync(armFile, '');
    await pollUntil(() => fs.existsSync(firedFile) || undefined, 60_000, 'the sink killed its worker', 20);
    const end = await job.finished(90_000);
    assert.ok(end.ok, `${end.failure}\n${end.lines.slice(-10).join('\n')}`);
    assert.equal(live(), workersBefore - 1, 'one worker process died');
    assert.equal(batchesDone(end.lines), A.batches);
    const all: [number, number][] = [];
    for (let b = 0; b < A.batches; b++) for (let p = 0; p < A.partitions; p++) all.push([b, p]);
    await withRedis(server.url, async (r) => {
      const markers = await r.keys('sluice:output:*');
      assert.equal(markers.length, A.batches * A.partitions, 'one marker a (batch, partition)');
      for (const m of markers) assert.match((await r.get(m))!, /^applied \d+$/, `${m}: applied`);
      const got = await r.hgetall('wc');
      assert.deepEqual(new Map(Object.entries(got).map(([k, v]) => [k, Number(v)])), wordSums(A, all), 'wc: each word summed over every record, once');
    });
    console.log(`# killed at ${fs.readFileSync(firedFile, 'utf8')}; ${end.lines.filter((l) => l.startsWith('TASK FAILED')).length} task attempts failed`);
  });
}
