// saveToPostgres against a real Debian PostgreSQL, driver in this process + 2 worker
// processes: 100,000 records in 10 batches of a queue stream, written four ways (COPY of
// objects, multi-row INSERT of arrays, a failure-free COPY, an upsert on a conflictKey).
// Each faulty output's task fails once after a partial write inside its transaction and
// once after its commit; the retries must leave each table exactly equal to what the input
// says (computed here from the input) and to the failure-free output. Also: one pool per
// job thread reused across all batches, no sink connection left after the job, and an RDD
// saved twice under one batchTime is written once.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import type { LocalCluster } from '@sluice/cli';
import { startPostgres, type PostgresServer } from '@sluice/test-servers';
import { fixture, startCluster, startJob } from './job-runner.js';
import { batchRecords, type SinkRecord } from '@sluice/test-servers/sink-input';

let server: PostgresServer;
let cluster: LocalCluster;
let db: pg.Client;
const flagDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-pg-flags-'));

before(async () => {
  server = await startPostgres({ password: 'sink-secret' });
  db = new pg.Client({ connectionString: server.url });
  await db.connect();
  for (const t of ['events_copy', 'events_insert', 'events_clean', 'rdd_events']) await db.query(`CREATE TABLE ${t} (id bigint, word text, n integer)`);
  await db.query('CREATE TABLE word_last (word text PRIMARY KEY, total bigint NOT NULL)');
  cluster = await startCluster(2);
});

after(async () => {
  await cluster?.stop();
  await db?.end();
  await server?.stop();
  fs.rmSync(flagDir, { recursive: true, force: true });
});

const key = (r: { id: string | number; word: string; n: number }) => `${r.id}|${r.word}|${r.n}`;

async function tableRows(table: string): Promise<string[]> {
  const r = await db.query<{ id: string; word: string; n: number }>(`SELECT id, word, n FROM ${table}`);
  return r.rows.map(key).sort();
}

test('100,000 records through saveToPostgres on 2 workers, with task failures after a partial write and after a commit: every table exact', { timeout: 120_000 }, async () => {
  const a = { url: server.url, batches: 10, perBatch: 10_000, partitions: 4, words: 3000, seed: 12, batchMs: 600, faults: true, flagDir };
  const input: SinkRecord[][] = [];
  for (let b = 0; b < a.batches; b++) input.push(batchRecords(a.seed, b, a.perBatch, a.words));
  const expectedRows = input.flat().map(key).sort();
  assert.equal(expectedRows.length, 100_000);
  // Each word's sum within the last batch that has it (the upsert replaces the earlier batches' sums).
  const lastSum = new Map<string, number>();
  for (const batch of input) {
    const sums = new Map<string, number>();
    for (const r of batch) sums.set(r.word, (sums.get(r.word) ?? 0) + r.n);
    for (const [w, s] of sums) lastSum.set(w, s);
  }

  const job = await startJob(cluster, fixture('pg-sink-job.ts'), [JSON.stringify(a)]);
  // Watch the sink's connections while the job runs: one pool per job thread, reused.
  const pids = new Set<number>();
  let watching = true;
  const watcher = (async () => {
    while (watching) {
      const r = await db.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE application_name = 'sluice-postgres'");
      for (const x of r.rows) pids.add(x.pid);
      await new Promise((res) => setTimeout(res, 25));
    }
  })();
  // Stopped whatever the job did: a watch left running keeps the file's process alive.
  const end = await job.finished(100_000).finally(() => (watching = false));
  await watcher;
  assert.ok(end.ok, `${end.failure}\n${end.lines.slice(-20).join('\n')}`);
  assert.equal(end.lines.filter((l) => l.startsWith('BATCH ')).length, a.batches);

  // Every fault fired (so the retries really ran).
  assert.deepEqual(fs.readdirSync(flagDir).sort(), ['copy-committed', 'copy-written', 'insert-committed', 'insert-written', 'upsert-committed', 'upsert-written']);
  const partial = JSON.parse(fs.readFileSync(path.join(flagDir, 'copy-written'), 'utf8')) as { rows: number };
  assert.ok(partial.rows > 0 && partial.rows < a.perBatch / a.partitions, 'the COPY fault came after part of the partition was sent');

  const clean = await tableRows('events_clean');
  assert.deepEqual(clean, expectedRows, 'the failure-free output is the input');
  assert.deepEqual(await tableRows('events_copy'), expectedRows, 'COPY with faults: each record once');
  assert.deepEqual(await tableRows('events_insert'), expectedRows, 'INSERT with faults: each record once');
  const last = await db.query<{ word: string; total: string }>('SELECT word, total FROM word_last');
  assert.deepEqual(new Map(last.rows.map((r) => [r.word, Number(r.total)])), lastSum, 'upsert with faults: each word has its last batch sum');

  // One marker per non-empty (output, batch, partition), with its row count.
  const markers = await db.query<{ output_id: string; n: string; rows: string }>('SELECT output_id, count(*) AS n, sum(rows) AS rows FROM sluice_output_markers GROUP BY output_id ORDER BY output_id');
  const byOutput = Object.fromEntries(markers.rows.map((m) => [m.output_id, [Number(m.n), Number(m.rows)]]));
  assert.deepEqual(byOutput.events_copy, [a.batches * a.partitions, 100_000]);
  assert.deepEqual(byOutput.events_insert, [a.batches * a.partitions, 100_000]);
  assert.deepEqual(byOutput.events_clean, [a.batches * a.partitions, 100_000]);
  const distinctPerBatch = input.reduce((n, batch) => n + new Set(batch.map((r) => r.word)).size, 0);
  assert.deepEqual(byOutput.word_last, [a.batches * a.partitions, distinctPerBatch]);

  // An RDD saved twice with batchTime 42: the second call finds the 3 markers.
  const rddLine = end.lines.find((l) => l.startsWith('RDD '))!;
  assert.deepEqual(JSON.parse(rddLine.slice(4)), [
    { written: 3000, skipped: 0 },
    { written: 0, skipped: 3 },
  ]);
  assert.deepEqual(await tableRows('rdd_events'), batchRecords(a.seed, 1000, 3000, a.words).map(key).sort());

  // 160 partition writes of the stream: 2 job threads (plus a thread or connection replaced after a failure).
  assert.ok(pids.size >= 1 && pids.size <= 6, `the sink opened ${pids.size} connections`);
  console.log(`# the sink used ${pids.size} connections for ${4 * a.batches * a.partitions} partition writes`);
  // The job's threads ended: their connections with them.
  const deadline = Date.now() + 90_000; // a second or so on a quiet machine; 20 s could lapse under load
  for (;;) {
    const r = await db.query<{ n: string }>("SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'sluice-postgres'");
    if (Number(r.rows[0]!.n) === 0) break;
    assert.ok(Date.now() < deadline, `${r.rows[0]!.n} sink connections still open 90 s after the job ended`);
    await new Promise((res) => setTimeout(res, 100));
  }
});
