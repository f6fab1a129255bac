// saveToPostgres while its database restarts (real Debian PostgreSQL stopped with pg_ctl
// stop -m fast, its sessions ended, then started again on the same port; driver in this
// process + 2 worker processes): a queue stream of 20 batches of 2,000 records every 400 ms,
// saved by COPY and by an upsert. The server goes down right after a batch's outputs, or
// while a write holds its connection mid-transaction.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import type { LocalCluster } from '@sluice/cli';
import { startPostgres, type PostgresServer } from '@sluice/test-servers';
import { fixture, startCluster, startJob, startKillableCluster } from './job-runner.js';
import { batchRecords, type SinkRecord } from '@sluice/test-servers/sink-input';
import { batchesDone, firstBatchTime } from '@sluice/test-servers/sink-job';
import { pgQuery } from './pg-query.js';

let server: PostgresServer;
let cluster: LocalCluster;

before(async () => {
  server = await startPostgres();
  const db = new pg.Client({ connectionString: server.url });
  await db.connect();
  await db.query('CREATE TABLE events (id bigint, word text, n integer)');
  await db.query('CREATE TABLE word_last (word text PRIMARY KEY, total bigint NOT NULL)');
  await db.end();
  cluster = await startCluster(2);
});

after(async () => {
  await cluster?.stop();
  await server?.stop();
});

const key = (r: { id: string | number; word: string; n: number }) => `${r.id}|${r.word}|${r.n}`;

const query = <T extends pg.QueryResultRow>(sql: string): Promise<T[]> => pgQuery<T>(server.url, sql);

const A = { batches: 20, perBatch: 2000, partitions: 4, words: 500, seed: 7, batchMs: 400 };

/** The input of batches [0, n) and what the two outputs must hold after them: every record once; each word's sum in the last batch that has it. */
function expected(n: number): { rows: string[]; lastSum: Map<string, number>; distinctPerBatch: number } {
  const rows: string[] = [];
  const lastSum = new Map<string, number>();
  let distinctPerBatch = 0;
  for (let b = 0; b < n; b++) {
    const batch = batchRecords(A.seed, b, A.perBatch, A.words);
    for (const r of batch) rows.push(key(r));
    const sums = new Map<string, number>();
    for (const r of batch) sums.set(r.word, (sums.get(r.word) ?? 0) + r.n);
    for (const [w, v] of sums) lastSum.set(w, v);
    distinctPerBatch += sums.size;
  }
  return { rows: rows.sort(), lastSum, distinctPerBatch };
}

/** What the two tables and the markers hold against the first `n` batches of the input. */
async function checkTables(n: number): Promise<void> {
  const want = expected(n);
  const rows = await query<{ id: string; word: string; n: number }>('SELECT id, word, n FROM events');
  assert.deepEqual(rows.map(key).sort(), want.rows, `events: every record of batches 0..${n - 1} once, nothing else`);
  const last = await query<{ word: string; total: string }>('SELECT word, total FROM word_last');
  assert.deepEqual(new Map(last.map((r) => [r.word, Number(r.total)])), want.lastSum, 'word_last: each word its last batch sum');
  const markers = await query<{ output_id: string; n: string; rows: string }>('SELECT output_id, count(*) AS n, sum(rows) AS rows FROM sluice_output_markers GROUP BY output_id ORDER BY output_id');
  assert.deepEqual(
    Object.fromEntries(markers.map((m) => [m.output_id, [Number(m.n), Number(m.rows)]])),
    { events: [n * A.partitions, n * A.perBatch], word_last: [n * A.partitions, want.distinctPerBatch] },
    'one marker a (output, batch, partition), with its rows',
  );
}

test('the database restarted (down 2 s) after batch 3 of 20: the sink waits for it, every batch written once', { timeout: 120_000 }, async () => {
  const job = await startJob(cluster, fixture('pg-sink-restart-job.ts'), [JSON.stringify({ url: server.url, ...A })]);
  await job.waitLine('BATCH ', 60_000, () => batchesDone(job.lines) >= 3);
  const t0 = Date.now();
  await server.restart(2000);
  const down = Date.now() - t0;
  const end = await job.finished(100_000);
  assert.ok(end.ok, `${end.failure}\n${end.lines.slice(-10).join('\n')}`);
  assert.equal(batchesDone(end.lines), A.batches);
  assert.ok(end.lines.includes('DONE'));
  await checkTables(A.batches);
  console.log(`down ${down} ms (stop, 2 s, start); all ${A.batches} batches written once`);
});

test('the database down longer than reconnectTimeoutMs (1 s, the server down until the job ended): the job fails naming the server and the wait; what was written is whole batches, each once', { timeout: 120_000 }, async () => {
  await query('TRUNCATE events, word_last');
  await query('DROP TABLE IF EXISTS sluice_output_markers');
  const job = await startJob(cluster, fixture('pg-sink-restart-job.ts'), [JSON.stringify({ url: server.url, ...A, reconnectTimeoutMs: 1000 })]);
  await job.waitLine('BATCH ', 60_000, () => batchesDone(job.lines) >= 3);
  // Down until the job has ended (its tasks' attempts each waiting 1 s for the server), not
  // for a set 10 s: 4-6 s of that was waiting on a quiet machine, and on a loaded one the
  // attempts could outlast it, the server back for the last of them.
  const ended = job.finished(100_000);
  const restarted = server.restart(1000, ended);
  const end = await ended;
  await restarted;
  assert.equal(end.ok, false, end.lines.join('\n'));
  const port = new URL(server.url).port;
  assert.match(end.failure!, new RegExp(`SLUICE_TASK_FAILED: .*saveToPostgres\\(table '(events|word_last)', output '(events|word_last)'\\) batch \\d+ partition \\d: cannot reach the Postgres server 127\\.0\\.0\\.1:${port}/postgres .*check the host and port in connectionString and that the server runs \\(the write waited \\d+ ms for the server to take connections again; reconnectTimeoutMs 1000\\)`));
  assert.ok(end.lines.some((l) => l.startsWith('FAILED SLUICE_TASK_FAILED')), end.lines.join('\n'));
  // The attempt gave up near reconnectTimeoutMs, not at some longer wait of its own (10x loose).
  const waited = Number(/the write waited (\d+) ms/.exec(end.failure!)![1]);
  assert.ok(waited < 10 * 1000, `the write waited ${waited} ms, reconnectTimeoutMs 1000`);
  // What was written is whole partitions, each once: the events table holds exactly the
  // records of the (batch, partition) writes that committed (their markers), a batch being
  // the queue's i-th RDD at the first batch's time + i intervals, a partition parallelize's slice.
  const first = firstBatchTime(end.lines);
  const markers = await query<{ batch: string; partition: number; rows: string }>("SELECT batch, partition, rows FROM sluice_output_markers WHERE output_id = 'events'");
  const want: string[] = [];
  for (const m of markers) {
    const b = (Number(m.batch) - first) / A.batchMs;
    const records = batchRecords(A.seed, b, A.perBatch, A.words);
    const slice = records.slice(Math.floor((m.partition * records.length) / A.partitions), Math.floor(((m.partition + 1) * records.length) / A.partitions));
    assert.equal(Number(m.rows), slice.length, `batch ${b} partition ${m.partition}'s marker counts its rows`);
    for (const r of slice) want.push(key(r));
  }
  const rows = await query<{ id: string; word: string; n: number }>('SELECT id, word, n FROM events');
  assert.deepEqual(rows.map(key).sort(), want.sort(), 'events: the records of the committed partitions, each once');
  const done = batchesDone(end.lines);
  const n = new Set(markers.map((m) => m.batch)).size;
  assert.ok(n >= 3 && markers.length >= 3 * A.partitions, `the 3 batches before the stop were written (${markers.length} partitions of ${n} batches)`);
  console.log(`${done} batches reported done, ${markers.length} partitions of ${n} batches in events; failure: ${end.failure!.slice(0, 400)}`);
});

test('the database restarted (down 2 s) while partitions are mid-write (their connections checked out, in a transaction, between statements): no task thread dies of it, every batch written once', { timeout: 120_000 }, async () => {
  await query('TRUNCATE events, word_last');
  await query('DROP TABLE IF EXISTS sluice_output_markers');
  const holdDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-pg-hold-'));
  try {
    const job = await startJob(cluster, fixture('pg-sink-restart-job.ts'), [JSON.stringify({ url: server.url, ...A, holdDir })]);
    await job.waitLine('BATCH ', 60_000, () => batchesDone(job.lines) >= 3);
    fs.writeFileSync(path.join(holdDir, 'go'), '');
    const held = (): string[] => fs.readdirSync(holdDir).filter((f) => f.startsWith('held-'));
    const deadline = Date.now() + 60_000;
    while (held().length === 0) {
      assert.ok(Date.now() < deadline, 'a write held within 60 s');
      await new Promise((r) => setTimeout(r, 20));
    }
    // the server stops while that write holds its connection (1.5 s), its session ended (57P01)
    await server.restart(2000);
    fs.rmSync(path.join(holdDir, 'go'));
    const end = await job.finished(100_000);
    const failed = end.lines.filter((l) => l.startsWith('TASK FAILED'));
    assert.ok(end.ok, `${end.failure}\n${failed.slice(0, 6).join('\n')}`);
    assert.ok(failed.every((l) => !/left unhandled/.test(l)), `a task failed of an error its job thread did not handle (the thread retired, its retry on a fresh one):\n${failed.join('\n')}`);
    await checkTables(A.batches);
    console.log(`${held().length} writes held; ${failed.length} task attempts failed (the cut writes, rolled back): ${failed.slice(0, 3).join(' | ')}`);
  } finally {
    fs.rmSync(holdDir, { recursive: true, force: true });
  }
});

test('the database restarted (down 6 s) as a worker joins: the new worker\'s job threads, which never reached it, wait for it too (an earlier batch did): every batch written once', { timeout: 120_000 }, async () => {
  await query('TRUNCATE events, word_last');
  await query('DROP TABLE IF EXISTS sluice_output_markers');
  // a cluster of its own: one worker (1 core) to start with, one more once the server is down
  const { cluster: own } = await startKillableCluster(1);
  try {
    const job = await startJob(own, fixture('pg-sink-restart-job.ts'), [JSON.stringify({ url: server.url, ...A })]);
    await job.waitLine('BATCH ', 60_000, () => batchesDone(job.lines) >= 3);
    const restarted = server.restart(6000);
    // the server is down (refusing connections), then the second worker registers and takes tasks
    const deadline = Date.now() + 10_000;
    for (;;) {
      const refused = await query('SELECT 1').then(() => false, () => true);
      if (refused) break;
      assert.ok(Date.now() < deadline, 'the server stopped within 10 s');
      await new Promise((r) => setTimeout(r, 50));
    }
    const down = Date.now();
    own.addWorker();
    await own.waitForWorkers(2, 30_000);
    const joined = Date.now() - down;
    await restarted;
    const back = Date.now() - down;
    const end = await job.finished(100_000);
    const failed = end.lines.filter((l) => l.startsWith('TASK FAILED'));
    assert.ok(end.ok, `${end.failure}\n${failed.slice(0, 6).join('\n')}`);
    // a refused connection is waited for on every thread: no attempt spent on it (the job has
    // 4 for a task; with more new threads than that, the job would end)
    const refused = failed.filter((l) => /ECONNREFUSED/.test(l));
    assert.deepEqual(refused, [], `task attempts failed at once on the refused connection (${failed.length} failed in all)`);
    await checkTables(A.batches);
    console.log(`the second worker registered ${joined} ms into the outage, the server back at ${back} ms; all ${A.batches} batches written once; ${failed.length} task attempts failed`);
  } finally {
    await own.stop();
  }
});
