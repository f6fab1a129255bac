// The saveToPostgres cells of docs/fault-matrix.md's worker SIGKILL: a real Debian PostgreSQL,
// the driver in this process and 3 worker processes; the worker writing a partition kills itself
// with -9 from the sink's own onProgress (fixture pg-pause-job.ts with `kill`), so the moment is
// exact: mid-transaction (after its first INSERT of 100 rows: the dead connection's transaction
// is rolled back by the server) and just after its COMMIT (the marker row committed with the
// rows, the task's success never reported: the attempt run again elsewhere must find the marker
// and write nothing). Checked against the input (sink-input, from the seed): the table holds
// every record of every batch exactly once, one marker a (batch, partition).
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import type { LocalCluster } from '@sluice/cli';
import { startPostgres, type PostgresServer } from '@sluice/test-servers';
import { fixture, pollUntil, startJob, startKillableCluster } from './job-runner.js';
import { partitionRecords } from '@sluice/test-servers/sink-input';
import { batchesDone } from '@sluice/test-servers/sink-job';
import { pgQuery } from './pg-query.js';

let server: PostgresServer;
let cluster: LocalCluster;
let procs: Map<string, ChildProcess>;
let dir: string;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-pg-worker-kill-'));
  server = await startPostgres();
  await query('CREATE TABLE events (id bigint, word text, n integer)');
  // Three workers: each case kills one, and a task needs one left.
  ({ cluster, procs } = await startKillableCluster(3));
});

after(async () => {
  await cluster?.stop();
  await server?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const query = <T extends pg.QueryResultRow>(sql: string): Promise<T[]> => pgQuery<T>(server.url, sql);

const A = { batches: 6, perBatch: 2000, partitions: 4, words: 500, seed: 19, batchMs: 400 };
const key = (r: { id: string | number; word: string; n: number }) => `${r.id}|${r.word}|${r.n}`;
const live = (): number => [...procs.values()].filter((p) => p.exitCode === null && p.signalCode === null).length;

for (const c of [
  { stage: 'written', name: 'mid-transaction (after its first INSERT of 100 rows)' },
  { stage: 'committed', name: 'just after its COMMIT, before the task reports' },
] as const) {
  test(`the worker writing a partition killed -9 ${c.name}: every record once`, { timeout: 120_000 }, async () => {
    await query('TRUNCATE events');
    await query('DROP TABLE IF EXISTS sluice_output_markers');
    const armFile = path.join(dir, `arm-${c.stage}`);
    const firedFile = path.join(dir, `fired-${c.stage}`);
    const workersBefore = live();
    const job = await startJob(cluster, fixture('pg-pause-job.ts'), [JSON.stringify({ url: server.url, ...A, pid: 0, kill: true, armFile, firedFile, stage: c.stage, batchSize: 100 })]);
    await job.waitLine('BATCH ', 60_000, () => batchesDone(job.lines) >= 2);
    fs.writeFileSync(armFile, '');
    await pollUntil(() => fs.existsSync(firedFile) || undefined, 60_000, 'the sink killed its worker', 20);
    const end = await job.finished(90_000);
    assert.ok(end.ok, `${end.failure}\n${end.lines.slice(-10).join('\n')}`);
    assert.equal(live(), workersBefore - 1, 'one worker process died');
    assert.equal(batchesDone(end.lines), A.batches);
    const markers = await query<{ batch: string; partition: number }>("SELECT batch, partition FROM sluice_output_markers WHERE output_id = 'events'");
    assert.equal(markers.length, A.batches * A.partitions, 'one marker a (batch, partition)');
    const want: string[] = [];
    for (let b = 0; b < A.batches; b++) for (let p = 0; p < A.partitions; p++) for (const r of partitionRecords(A, b, p)) want.push(key(r));
    const rows = await query<{ id: string; word: string; n: number }>('SELECT id, word, n FROM events');
    assert.equal(rows.length, want.length, `every record once (${rows.length} rows for ${want.length} records)`);
    assert.deepEqual(rows.map(key).sort(), want.sort(), 'events holds exactly the input');
    console.log(`# killed at ${fs.readFileSync(firedFile, 'utf8')}; ${rows.length} rows, ${end.lines.filter((l) => l.startsWith('TASK FAILED')).length} task attempts failed`);
  });
}
