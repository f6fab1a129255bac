// A big postgresRDD read stopped while its partitions' connections read (real Debian
// PostgreSQL, driver in this process + 2 worker processes): each partition's backend must be
// gone from pg_stat_activity soon after (a loose 15 s bound; the figures are printed), not
// when its query would have ended. The reads are slow two ways: on the server (a scan of
// 100 million keys a partition keeping one in a million by md5: a FETCH computes for over a
// minute and writes nothing meanwhile, so a closed socket goes unseen unless the server
// checks for it, client_connection_check_interval), or on the worker (mapRow busy 1 ms a
// row, the backend idle in its transaction between fetches). Stopped by cancelJobGroup, by
// the driver program returning with the action running, by cancelling the job (`sluice
// kill`), and by killing a worker -9 mid-FETCH.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { after, before, test } from 'node:test';
import pg from 'pg';
import type { LocalCluster } from '@sluice/cli';
import { startPostgres, type PostgresServer } from '@sluice/test-servers';
import { fixture, pollUntil, startJob, startKillableCluster, type RunningJob } from './job-runner.js';

let server: PostgresServer;
let cluster: LocalCluster;
let procs: Map<string, ChildProcess>;
let db: pg.Client;
const base = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-pg-cancel-'));

/** Keys of the read: 100 million a partition (the server's scan of one takes over a minute). */
const ROWS = 400_000_000;
const PARTITIONS = 4;
// generate_series in the select list streams its keys (ProjectSet); in FROM it would first
// write all 100 million of them to a temporary file.
/** One key in about a million is kept: a FETCH of 1000 rows computes md5 over the whole slice, writing nothing until its end. */
const SERVER_SLOW_SQL = "SELECT id FROM (SELECT generate_series($1::int8, $2::int8) AS id) AS keys WHERE md5(id::text) LIKE '00000%'";
const PLAIN_SQL = 'SELECT generate_series($1::int8, $2::int8) AS id';
/** Loose: the backends must go within this of the stop (a finished read would take minutes). */
const GONE_MS = 15_000;

before(async () => {
  server = await startPostgres();
  db = new pg.Client({ connectionString: server.url });
  await db.connect();
  ({ cluster, procs } = await startKillableCluster(2));
});

after(async () => {
  await cluster?.stop();
  await db?.end();
  await server?.stop();
  fs.rmSync(base, { recursive: true, force: true });
});

interface Backend {
  pid: number;
  state: string;
  query: string;
}

/** The postgresRDD readers' backends (the reader names its connections 'sluice-postgres-rdd <partition>'). */
async function readers(): Promise<Backend[]> {
  const r = await db.query<Backend>("SELECT pid, state, query FROM pg_stat_activity WHERE application_name LIKE 'sluice-postgres-rdd%'");
  return r.rows;
}

interface Case {
  readonly mode: 'group' | 'return' | 'hang';
  readonly sql: string;
  readonly slowMs?: number;
  /** The backends' state when the test stops the read: 'active' (mid-FETCH) or 'idle in transaction'. */
  readonly readingState: string;
}

/** Starts the read and waits until both workers' partitions have a backend in `readingState`. */
async function startRead(c: Case): Promise<{ job: RunningJob; dir: string; backends: Backend[] }> {
  const dir = fs.mkdtempSync(path.join(base, `${c.mode}-`));
  const job = await startJob(cluster, fixture('pg-rdd-cancel-job.ts'), [
    JSON.stringify({ url: server.url, sql: c.sql, rows: ROWS, partitions: PARTITIONS, dir, mode: c.mode, ...(c.slowMs === undefined ? {} : { slowMs: c.slowMs }) }),
  ]);
  await job.waitLine('STARTED', 60_000);
  // One partition a worker at a time (2 workers of 1 core): both reading.
  // Each seen in that state at least once (a slow worker's backend is busy now and then in a FETCH).
  const reading = new Set<number>();
  let seen: Backend[] = [];
  const backends = await pollUntil(async () => {
    seen = await readers();
    // 'active' in a FETCH, not in the BEGIN or DECLARE before it.
    for (const b of seen) if (b.state === c.readingState && (b.state !== 'active' || b.query.startsWith('FETCH'))) reading.add(b.pid);
    return seen.length === 2 && seen.every((b) => reading.has(b.pid)) ? seen : undefined;
  }, 60_000, `two postgresRDD backends ${c.readingState}`).catch((e: Error) => {
    // A job left reading would keep its backends for the next test.
    job.cancel();
    throw new Error(`${e.message}; last seen ${JSON.stringify(seen)}\n${job.lines.join('\n')}`);
  });
  return { job, dir, backends };
}

/** Waits until none of `backends` (nor any other reader) is left; returns how long that took. */
async function goneWithin(backends: Backend[], since: number, what: string): Promise<number> {
  await pollUntil(async () => {
    const left = await readers();
    return left.length === 0 || undefined;
  }, GONE_MS, `${what}: the postgresRDD backends ${backends.map((b) => b.pid).join(', ')} gone`);
  return Date.now() - since;
}

test('cancelJobGroup while every partition\'s backend is mid-FETCH of a slow query: the action fails SLUICE_CANCELLED and the backends are gone while the program still runs', { timeout: 120_000 }, async () => {
  const { job, dir, backends } = await startRead({ mode: 'group', sql: SERVER_SLOW_SQL, readingState: 'active' });
  const since = Date.now();
  fs.writeFileSync(path.join(dir, 'go'), '');
  await job.waitLine('CANCELLED', 30_000);
  assert.ok(job.lines.includes('GROUP_CANCELLED 1'), job.lines.join('\n'));
  assert.ok(job.lines.includes('CANCELLED SLUICE_CANCELLED'), job.lines.join('\n'));
  const ms = await goneWithin(backends, since, 'cancelJobGroup mid-FETCH');
  console.log(`cancelJobGroup mid-FETCH: backends gone ${ms} ms after the cancel`);
  fs.writeFileSync(path.join(dir, 'end'), '');
  const end = await job.finished(30_000);
  assert.ok(end.ok, `${end.failure}\n${end.lines.join('\n')}`);
});

test('cancelJobGroup while the workers are slow (mapRow busy 1 ms a row, the backends idle in their transactions): the backends are gone', { timeout: 120_000 }, async () => {
  const { job, dir, backends } = await startRead({ mode: 'group', sql: PLAIN_SQL, slowMs: 1, readingState: 'idle in transaction' });
  const since = Date.now();
  fs.writeFileSync(path.join(dir, 'go'), '');
  await job.waitLine('CANCELLED', 30_000);
  assert.ok(job.lines.includes('CANCELLED SLUICE_CANCELLED'), job.lines.join('\n'));
  const ms = await goneWithin(backends, since, 'cancelJobGroup, slow workers');
  console.log(`cancelJobGroup, slow workers: backends gone ${ms} ms after the cancel`);
  fs.writeFileSync(path.join(dir, 'end'), '');
  assert.ok((await job.finished(30_000)).ok);
});

test('the driver program returns with the read running (mid-FETCH): the job ends and the backends are gone', { timeout: 120_000 }, async () => {
  const { job, dir, backends } = await startRead({ mode: 'return', sql: SERVER_SLOW_SQL, readingState: 'active' });
  const since = Date.now();
  fs.writeFileSync(path.join(dir, 'go'), '');
  const end = await job.finished(30_000);
  assert.ok(end.lines.includes('RETURNING'), end.lines.join('\n'));
  assert.ok(!end.lines.some((l) => l.startsWith('COUNTED')), 'the read did not finish');
  const ms = await goneWithin(backends, since, 'program returned');
  console.log(`program returned mid-FETCH: job ${end.ok ? 'succeeded' : end.failure}; backends gone ${ms} ms after`);
});

test('the job cancelled (sluice kill) mid-FETCH: it ends cancelled and the backends are gone', { timeout: 120_000 }, async () => {
  const { job, dir, backends } = await startRead({ mode: 'hang', sql: SERVER_SLOW_SQL, readingState: 'active' });
  const since = Date.now();
  fs.writeFileSync(path.join(dir, 'go'), '');
  job.cancel();
  const end = await job.finished(30_000);
  assert.equal(end.ok, false);
  const ms = await goneWithin(backends, since, 'job cancelled');
  console.log(`job cancelled mid-FETCH (${end.failure}): backends gone ${ms} ms after`);
});

test('a worker killed -9 mid-FETCH of a slow query: its backend is gone though the server is busy in the query', { timeout: 120_000 }, async () => {
  const { job, dir, backends } = await startRead({ mode: 'hang', sql: SERVER_SLOW_SQL, readingState: 'active' });
  fs.writeFileSync(path.join(dir, 'go'), '');
  const [id, victim] = [...procs.entries()][0]!;
  const before = new Set(backends.map((b) => b.pid));
  const since = Date.now();
  victim.kill('SIGKILL');
  procs.delete(id);
  // The killed worker's backend goes; the other worker's reads go on (the job is cancelled after).
  const ms = await pollUntil(async () => {
    const left = (await readers()).filter((b) => before.has(b.pid));
    return left.length <= 1 ? Date.now() - since : undefined;
  }, GONE_MS, "the killed worker's backend gone");
  console.log(`worker killed mid-FETCH: its backend gone ${ms} ms after`);
  job.cancel();
  await job.finished(30_000).catch(() => undefined);
  await goneWithin(backends, Date.now(), 'after the kill test');
});
