// saveToPostgres while its server stops answering: a real Debian PostgreSQL whose whole
// process tree (the postmaster and its backends) is frozen with SIGSTOP by the sink's own
// onProgress at a chosen point of one partition's write (fixture pg-pause-job.ts), then woken
// with SIGCONT; driver in this process + 2 worker processes. A stopped server still takes
// connections (the kernel's) and answers nothing: before 6 December 2026 the write had no
// timeout (as Spark's JDBC, whose queryTimeout is 0 by default) and a server paused for good
// held the streaming job silently. Now each statement waits queryTimeoutMs; the attempt's
// connection is dropped (its transaction rolls back), a silent server reached before is
// waited for as one that went away (reconnectTimeoutMs), and the marker row keeps each
// partition's rows in the table once.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import type { LocalCluster } from '@sluice/cli';
import { startPostgres, type PostgresServer } from '@sluice/test-servers';
import { resumeTree } from '@sluice/test-servers/pause-server';
import { fixture, pollUntil, startCluster, startJob } from './job-runner.js';
import { partitionRecords } from '@sluice/test-servers/sink-input';
import { batchesDone, firstBatchTime } from '@sluice/test-servers/sink-job';
import { pgQuery } from './pg-query.js';

let server: PostgresServer;
let cluster: LocalCluster;
let dir: string;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-pg-pause-'));
  server = await startPostgres();
  await query('CREATE TABLE events (id bigint, word text, n integer)');
  cluster = await startCluster(2);
});

after(async () => {
  await cluster?.stop();
  await server?.stop(); // wakes it first
  fs.rmSync(dir, { recursive: true, force: true });
});

const query = <T extends pg.QueryResultRow>(sql: string): Promise<T[]> => pgQuery<T>(server.url, sql);

const A = { batches: 10, perBatch: 2000, partitions: 4, words: 500, seed: 9, batchMs: 400 };
const key = (r: { id: string | number; word: string; n: number }) => `${r.id}|${r.word}|${r.n}`;

/** events holds exactly the records of the partitions whose markers committed, each once; returns those (batch index, partition). */
async function check(first: number): Promise<[number, number][]> {
  const markers = await query<{ batch: string; partition: number; rows: string }>("SELECT batch, partition, rows FROM sluice_output_markers WHERE output_id = 'events'");
  const parts = markers.map((m) => [(Number(m.batch) - first) / A.batchMs, m.partition] as [number, number]);
  const want: string[] = [];
  for (const [b, p] of parts) {
    for (const r of partitionRecords(A, b, p)) want.push(key(r));
  }
  const rows = await query<{ id: string; word: string; n: number }>('SELECT id, word, n FROM events');
  assert.deepEqual(rows.map(key).sort(), want.sort(), `events: the records of the ${parts.length} committed partitions, each once, nothing else`);
  return parts;
}

let run = 0;
async function pausedRun(o: { stage: 'written' | 'committed'; batchSize: number; queryTimeoutMs?: number; reconnectTimeoutMs?: number; pauseMs: number | 'until the job ends' }) {
  await query('TRUNCATE events');
  await query('DROP TABLE IF EXISTS sluice_output_markers');
  run++;
  const armFile = path.join(dir, `arm-${run}`);
  const firedFile = path.join(dir, `fired-${run}`);
  const { pauseMs, ...rest } = o;
  const pid = server.postmasterPid;
  const job = await startJob(cluster, fixture('pg-pause-job.ts'), [JSON.stringify({ url: server.url, ...A, pid, armFile, firedFile, ...rest })]);
  await job.waitLine('BATCH ', 60_000, () => batchesDone(job.lines) >= 2);
  fs.writeFileSync(armFile, '');
  await pollUntil(() => fs.existsSync(firedFile) || undefined, 60_000, 'the sink paused the server', 20);
  const t0 = Date.now();
  let end;
  if (pauseMs === 'until the job ends') {
    try {
      end = await job.finished(120_000);
    } finally {
      resumeTree(pid);
    }
  } else {
    await new Promise((r) => setTimeout(r, pauseMs));
    resumeTree(pid);
    end = await job.finished(120_000);
  }
  const paused = Date.now() - t0;
  const failed = end.lines.filter((l) => l.startsWith('TASK FAILED'));
  return { end, failed, at: fs.readFileSync(firedFile, 'utf8'), paused };
}

const SILENT = (ms: number) => `the Postgres server 127\\.0\\.0\\.1:${server.port}/postgres \\(connectionString postgres://sluice@127\\.0\\.0\\.1:${server.port}/postgres\\) did not answer (a statement within queryTimeoutMs ${ms} ms|a new connection within ${ms} ms) .*it takes connections but is stopped, overloaded or waiting on a lock; the attempt's transaction was rolled back \\(its connection dropped\\); check that it answers \\(pg_isready, SELECT 1\\), or raise queryTimeoutMs`;

for (const c of [
  { stage: 'written', name: 'mid-transaction (after its first INSERT of 100 rows)' },
  { stage: 'committed', name: "between partitions (the next write's BEGIN or connection)" },
] as const) {
  test(`the server paused 6 s ${c.name}, queryTimeoutMs 1500: ridden out, every record once`, { timeout: 180_000 }, async () => {
    const { end, failed, at, paused } = await pausedRun({ stage: c.stage, batchSize: 100, queryTimeoutMs: 1500, pauseMs: 6000 });
    assert.ok(end.ok, `${end.failure}\n${failed.slice(0, 6).join('\n')}\n${end.lines.slice(-6).join('\n')}`);
    assert.equal(batchesDone(end.lines), A.batches);
    const parts = await check(firstBatchTime(end.lines));
    assert.equal(parts.length, A.batches * A.partitions, 'one marker a (batch, partition)');
    for (const l of failed) assert.match(l, new RegExp(SILENT(1500)), 'a failed attempt names the silent server, the timeout and what to do');
    console.log(`# paused at ${at} for ${paused} ms; all ${A.batches} batches written once; ${failed.length} task attempts failed${failed.length ? `: ${failed[0]!.slice(0, 500)}` : ''}`);
  });
}

test('the server paused 1 s mid-transaction, within queryTimeoutMs (120 s, the default): ridden out, every record once', { timeout: 180_000 }, async () => {
  const { end, failed, at, paused } = await pausedRun({ stage: 'written', batchSize: 100, pauseMs: 1000 });
  assert.ok(end.ok, `${end.failure}\n${failed.slice(0, 6).join('\n')}`);
  assert.equal((await check(firstBatchTime(end.lines))).length, A.batches * A.partitions);
  console.log(`# paused at ${at} for ${paused} ms; ${failed.length} task attempts failed`);
});

test('the server paused past every attempt (queryTimeoutMs 1000, reconnectTimeoutMs 2000): the job fails naming the server, the timeout, the wait and what to do; the table holds exactly the committed partitions', { timeout: 180_000 }, async () => {
  const { end, failed, paused } = await pausedRun({ stage: 'written', batchSize: 100, queryTimeoutMs: 1000, reconnectTimeoutMs: 2000, pauseMs: 'until the job ends' });
  assert.equal(end.ok, false, end.lines.join('\n'));
  assert.match(end.failure!, new RegExp(`SLUICE_TASK_FAILED: .*saveToPostgres\\(table 'events', output 'events'\\) batch \\d+ partition \\d: ${SILENT(1000)} \\(the write waited \\d+ ms for the server to answer again; reconnectTimeoutMs 2000\\)`));
  assert.ok(paused < 60_000, `failed within 60 s of the pause (${paused} ms)`);
  const parts = await check(firstBatchTime(end.lines));
  assert.ok(parts.length >= 2 * A.partitions, `the batches before the pause were written (${parts.length} partitions)`);
  console.log(`# failed ${paused} ms into the pause, ${failed.length} attempts failed; ${parts.length} partitions committed; ${end.failure!.slice(0, 600)}`);
});
