// postgresRDD while its server stops answering: a real Debian PostgreSQL whose whole process
// tree (the postmaster and its backends) is frozen with SIGSTOP by the job's own row mapper as it
// maps a chosen row of partition 0 (fixture pg-rdd-pause-job.ts: after two FETCHes of 100 rows,
// so the partition's next FETCH and every other partition's statements wait on a silent
// server), then woken with SIGCONT; driver in this process + 2 worker processes. A stopped
// server still takes connections (the kernel's) and answers nothing: before 6 December 2026
// the read had no statement timeout (as Spark's JdbcRDD) and such a server held the job
// silently for as long as it stayed stopped. Now each statement waits queryTimeoutMs and a
// new connection at most that (10 s at most); the attempt fails naming the server and the
// timeout, drops its connection, and the task's next attempt reads its slice again.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import type { LocalCluster } from '@sluice/cli';
import { startPostgres, type PostgresServer } from '@sluice/test-servers';
import { resumeTree } from '@sluice/test-servers/pause-server';
import { fixture, pollUntil, startCluster, startJob, type JobEnd } from './job-runner.js';
import { pgQuery } from './pg-query.js';

const ROWS = 2000;
const A = { rows: ROWS, numPartitions: 4, fetchSize: 100, atRow: 250 };

let server: PostgresServer;
let cluster: LocalCluster;
let dir: string;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-pg-rdd-pause-'));
  server = await startPostgres();
  await query(`CREATE TABLE pause_rows (id bigint PRIMARY KEY)`);
  await query(`INSERT INTO pause_rows SELECT generate_series(1, ${ROWS})`);
  cluster = await startCluster(2);
});

after(async () => {
  await cluster?.stop();
  await server?.stop(); // wakes it first
  fs.rmSync(dir, { recursive: true, force: true });
});

const query = <T extends pg.QueryResultRow>(sql: string): Promise<T[]> => pgQuery<T>(server.url, sql);

let run = 0;
/** Runs the read, the server paused at row A.atRow; wakes it after `pauseMs`, at the first failed attempt, or once the job ended. */
async function pausedRead(o: { queryTimeoutMs?: number; pauseMs: number | 'until an attempt fails' | 'until the job ends' }): Promise<{ end: JobEnd; failed: string[]; paused: number }> {
  run++;
  const armFile = path.join(dir, `arm-${run}`);
  const firedFile = path.join(dir, `fired-${run}`);
  fs.writeFileSync(armFile, '');
  const pid = server.postmasterPid;
  const job = await startJob(cluster, fixture('pg-rdd-pause-job.ts'), [JSON.stringify({ url: server.url, pid, armFile, firedFile, ...A, ...(o.queryTimeoutMs === undefined ? {} : { queryTimeoutMs: o.queryTimeoutMs }) })]);
  let t0 = Date.now();
  let end: JobEnd;
  try {
    await pollUntil(() => fs.existsSync(firedFile) || undefined, 60_000, 'the row mapper paused the server', 20);
    t0 = Date.now();
    const pauseMs = o.pauseMs;
    if (pauseMs === 'until the job ends') end = await job.finished(120_000);
    else {
      if (pauseMs === 'until an attempt fails') await job.waitLine('TASK FAILED ', 60_000);
      else await new Promise((r) => setTimeout(r, pauseMs));
      resumeTree(pid);
      end = await job.finished(120_000);
    }
  } finally {
    resumeTree(pid);
  }
  const paused = Date.now() - t0;
  return { end, failed: end.lines.filter((l) => l.startsWith('TASK FAILED')), paused };
}

const ids = (end: JobEnd): number[] => JSON.parse(end.lines.find((l) => l.startsWith('IDS '))!.slice(4)) as number[];
const every = Array.from({ length: ROWS }, (_, i) => i + 1);

const SILENT = (ms: number) =>
  `postgresRDD partition \\d \\[\\d+, \\d+\\]: the Postgres server 127\\.0\\.0\\.1:${server.port}/postgres \\(connectionString postgres://sluice@127\\.0\\.0\\.1:${server.port}/postgres\\) did not answer (a statement of the read within queryTimeoutMs ${ms} ms|a new connection within ${ms} ms) .*it takes connections but is stopped or overloaded, or the query needs longer before its first rows; the partition's connection was dropped \\(the task's next attempt reads its slice again\\); check that the server answers \\(pg_isready, SELECT 1\\), or raise queryTimeoutMs \\(0: no limit\\)`;

test('the server paused 1 s mid-read, within queryTimeoutMs (120 s, the default): ridden out, every row once', { timeout: 120_000 }, async () => {
  const { end, failed, paused } = await pausedRead({ pauseMs: 1000 });
  assert.ok(end.ok, `${end.failure}\n${end.lines.slice(-6).join('\n')}`);
  assert.deepEqual(ids(end), every);
  assert.deepEqual(failed, []);
  console.log(`# paused ${paused} ms; every row once, no attempt failed`);
});

test('the server paused mid-read past queryTimeoutMs 3000, woken at the first failed attempt: the attempts name the silent server and the timeout, the retries read every row once', { timeout: 120_000 }, async () => {
  const { end, failed, paused } = await pausedRead({ queryTimeoutMs: 3000, pauseMs: 'until an attempt fails' });
  assert.ok(end.ok, `${end.failure}\n${failed.slice(0, 6).join('\n')}\n${end.lines.slice(-6).join('\n')}`);
  assert.deepEqual(ids(end), every);
  assert.ok(failed.length >= 1);
  for (const l of failed) assert.match(l, new RegExp(SILENT(3000)), 'a failed attempt names the silent server, the timeout and what to do');
  console.log(`# paused ${paused} ms; every row once; ${failed.length} attempts failed: ${failed[0]!.slice(0, 400)}`);
});

test('the server paused for good mid-read (queryTimeoutMs 1000): the job fails within a minute naming the partition, the server, the timeout and what to do; no connection left once it wakes', { timeout: 180_000 }, async () => {
  const { end, failed, paused } = await pausedRead({ queryTimeoutMs: 1000, pauseMs: 'until the job ends' });
  assert.equal(end.ok, false, end.lines.join('\n'));
  assert.match(end.failure!, new RegExp(`SLUICE_TASK_FAILED: .*${SILENT(1000)}`));
  // 4 attempts of at most 1 s (a statement) or 1 s (a handshake) each, and their launches: 10x loose.
  assert.ok(paused < 60_000, `failed within 60 s of the pause (${paused} ms)`);
  await pollUntil(async () => ((await query(`SELECT pid FROM pg_stat_activity WHERE application_name LIKE 'sluice-postgres-rdd%'`)).length === 0 ? true : undefined), 20_000, 'no postgresRDD connection left once the server woke');
  console.log(`# failed ${paused} ms into the pause, ${failed.length} attempts failed; ${end.failure!.slice(0, 500)}`);
});
