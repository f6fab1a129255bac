// postgresRDD (Spark's JdbcRDD) against a real Debian PostgreSQL, driver in this process +
// 2 worker processes: JdbcRDDSuite's two cases (ids 1..100 in 3 partitions, the sum of DATA;
// BIGINT ids read over bounds that overflow a long when multiplied), the partitions' key
// slices and row counts against Spark's split arithmetic (checked here by its properties,
// and each slice's rows counted by Postgres itself), the default row, a worker killed -9
// mid-read (every row still read once: its partition is read again elsewhere), each
// partition's connection closed at its end, and bad input (at the call, and as the job's
// failure naming the partition and the setting, the password never shown).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { after, before, test } from 'node:test';
import pg from 'pg';
import type { LocalCluster } from '@sluice/cli';
import { freePort, startPostgres, type PostgresServer } from '@sluice/test-servers';
import { fixture, pollUntil, startJob, startKillableCluster, type JobEnd } from './job-runner.js';

let server: PostgresServer;
let cluster: LocalCluster;
let procs: Map<string, ChildProcess>;
let db: pg.Client;
const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-pg-rdd-'));

const KILL_ROWS = 4000;

before(async () => {
  server = await startPostgres({ password: 'read-secret' });
  db = new pg.Client({ connectionString: server.url });
  await db.connect();
  // JdbcRDDSuite's tables: FOO (ID 1..100, DATA = 2·ID), BIGINT_TEST (ID = 10^17 + 4·10^15·i, DATA = i).
  await db.query('CREATE TABLE foo (id integer GENERATED ALWAYS AS IDENTITY, data integer)');
  await db.query('INSERT INTO foo (data) SELECT 2 * i FROM generate_series(1, 100) AS i');
  await db.query('CREATE TABLE bigint_test (id bigint NOT NULL, data integer)');
  await db.query('INSERT INTO bigint_test SELECT 100000000000000000 + 4000000000000000 * i, i FROM generate_series(1, 100) AS i');
  await db.query('CREATE TABLE kill_rows (id bigint PRIMARY KEY)');
  await db.query(`INSERT INTO kill_rows SELECT generate_series(1, ${KILL_ROWS})`);
  ({ cluster, procs } = await startKillableCluster(2));
});

after(async () => {
  await cluster?.stop();
  await db?.end();
  await server?.stop();
  fs.rmSync(logDir, { recursive: true, force: true });
});

interface Slice {
  lower: string;
  upper: string;
}

async function read(args: Record<string, unknown>, ms = 60_000): Promise<JobEnd> {
  const job = await startJob(cluster, fixture('pg-rdd-read-job.ts'), [JSON.stringify({ url: server.url, map: 'first', ...args })]);
  return job.finished(ms);
}

const line = <T>(end: JobEnd, prefix: string): T => JSON.parse(end.lines.find((l) => l.startsWith(prefix + ' '))!.slice(prefix.length + 1)) as T;

/** Spark's slices by their properties: the first starts at lower, each starts after the one before, the last ends at upper, sizes differ by at most one and never shrink. */
function checkSliceProperties(slices: Slice[], lower: bigint, upper: bigint, n: number): void {
  assert.equal(slices.length, n);
  assert.equal(BigInt(slices[0]!.lower), lower);
  assert.equal(BigInt(slices.at(-1)!.upper), upper);
  const sizes = slices.map((s) => BigInt(s.upper) - BigInt(s.lower) + 1n);
  for (let i = 1; i < n; i++) assert.equal(BigInt(slices[i]!.lower), BigInt(slices[i - 1]!.upper) + 1n, `slice ${i} starts after slice ${i - 1}`);
  assert.equal(sizes.reduce((a, b) => a + b, 0n), upper - lower + 1n);
  const min = sizes.reduce((a, b) => (b < a ? b : a));
  for (let i = 0; i < n; i++) {
    assert.ok(sizes[i] === min || sizes[i] === min + 1n, `slice ${i} has ${sizes[i]} keys, the smallest ${min}`);
    if (i > 0) assert.ok(sizes[i]! >= sizes[i - 1]!, 'floor(i·length/n) puts the longer slices last');
  }
}

/** How many rows of `table` each slice holds, counted by Postgres. */
async function rowsPerSlice(table: string, slices: Slice[]): Promise<number[]> {
  const out: number[] = [];
  for (const s of slices) out.push(Number((await db.query(`SELECT count(*) AS n FROM ${table} WHERE id BETWEEN $1::int8 AND $2::int8`, [s.lower, s.upper])).rows[0].n));
  return out;
}

test("JdbcRDDSuite 'basic functionality': FOO's ids 1..100 in 3 partitions, count 100, sum of DATA 10100; slices (1,33) (34,66) (67,100)", { timeout: 90_000 }, async () => {
  const end = await read({ sql: 'SELECT data FROM foo WHERE ? <= id AND id <= ?', lowerBound: 1, upperBound: 100, numPartitions: 3, spark: true });
  assert.ok(end.ok, `${end.failure}\n${end.lines.join('\n')}`);
  const expected = await db.query<{ n: string; s: string }>('SELECT count(*) AS n, sum(data) AS s FROM foo');
  assert.equal(Number(expected.rows[0]!.s), 10100);
  assert.equal(line<number>(end, 'COUNT'), Number(expected.rows[0]!.n));
  assert.equal(line<number>(end, 'SUM'), Number(expected.rows[0]!.s));
  const slices = line<Slice[]>(end, 'SLICES');
  // Spark's doc: bounds 1..20 in 2 partitions are (1, 10) and (11, 20); 1..100 in 3 are these.
  assert.deepEqual(slices, [{ lower: '1', upper: '33' }, { lower: '34', upper: '66' }, { lower: '67', upper: '100' }]);
  checkSliceProperties(slices, 1n, 100n, 3);
  assert.deepEqual(line<number[]>(end, 'PARTS'), await rowsPerSlice('foo', slices));
});

test("JdbcRDDSuite 'large id overflow': BIGINT ids over bounds 1131544775 .. 567279358897692673 in 20 partitions: count 100, sum 5050, each slice's rows", { timeout: 90_000 }, async () => {
  const lower = 1131544775n;
  const upper = 567279358897692673n;
  const end = await read({ sql: 'SELECT data FROM bigint_test WHERE ? <= id AND id <= ?', lowerBound: String(lower), upperBound: String(upper), numPartitions: 20 });
  assert.ok(end.ok, `${end.failure}\n${end.lines.join('\n')}`);
  // The rows within the bounds, from the ids as inserted.
  let n = 0;
  let sum = 0;
  for (let i = 1; i <= 100; i++) {
    const id = 100000000000000000n + 4000000000000000n * BigInt(i);
    if (id >= lower && id <= upper) (n++, (sum += i));
  }
  assert.deepEqual([n, sum], [100, 5050]);
  assert.equal(line<number>(end, 'COUNT'), n);
  assert.equal(line<number>(end, 'SUM'), sum);
  const slices = line<Slice[]>(end, 'SLICES');
  checkSliceProperties(slices, lower, upper, 20);
  // (i+1)·length does not fit a long for i >= 16: the last slices are where an overflow would show.
  assert.ok((19n * (upper - lower + 1n)) > 2n ** 63n);
  const parts = line<number[]>(end, 'PARTS');
  assert.deepEqual(parts, await rowsPerSlice('bigint_test', slices));
  assert.ok(parts.filter((p) => p > 0).length >= 10, `rows spread over the partitions: ${parts}`);
});

test('bounds at the ends of int8 (-2^63 .. 2^63-1) in 3 partitions: slices by Spark arithmetic, every row once, $1 and $2 accepted', { timeout: 90_000 }, async () => {
  const lower = -(2n ** 63n);
  const upper = 2n ** 63n - 1n;
  const end = await read({ sql: 'SELECT id FROM kill_rows WHERE id BETWEEN $1 AND $2 ORDER BY id', lowerBound: String(lower), upperBound: String(upper), numPartitions: 3, map: 'id' });
  assert.ok(end.ok, `${end.failure}\n${end.lines.join('\n')}`);
  const slices = line<Slice[]>(end, 'SLICES');
  checkSliceProperties(slices, lower, upper, 3);
  // 2^64 keys in 3: floor(2^64/3) = 6148914691236517205 each for the first two, one more last.
  assert.equal(BigInt(slices[0]!.upper) - lower + 1n, 6148914691236517205n);
  assert.deepEqual(line<number[]>(end, 'PARTS'), await rowsPerSlice('kill_rows', slices));
  assert.deepEqual(line<number[]>(end, 'IDS').sort((x, y) => x - y), Array.from({ length: KILL_ROWS }, (_, i) => i + 1));
});

test('without mapRow a row is the array of its column values in SELECT order (Spark\'s resultSetToObjectArray); with $1 and $2 a ? is an operator', { timeout: 60_000 }, async () => {
  const end = await read({ sql: "SELECT data, id, 'x?y' AS q FROM foo WHERE id >= ? AND id <= ? ORDER BY id", lowerBound: 7, upperBound: 9, numPartitions: 1, map: 'none' });
  assert.ok(end.ok, `${end.failure}\n${end.lines.join('\n')}`);
  assert.deepEqual(line<unknown[]>(end, 'FIRST'), [14, 7, 'x?y']);
  // A ? in an E'' literal past an escaped quote, in a $$ literal and in a comment is no placeholder.
  // Nor is a $ inside a name (Postgres allows it after the first character) a parameter or a quote.
  const lit = await read({ sql: "SELECT E'it\\'s ?' AS e, $$a ? b$$ AS d, id, 1 AS n$1, 2 AS a$b$ FROM foo /* ? */ WHERE ? <= id AND id <= ? -- ?\nORDER BY id", lowerBound: 7, upperBound: 9, numPartitions: 1, map: 'none' });
  assert.ok(lit.ok, `${lit.failure}\n${lit.lines.join('\n')}`);
  assert.deepEqual(line<unknown[]>(lit, 'FIRST'), ["it's ?", 'a ? b', 7, 1, 2]);
  // With $1 and $2, a ? is Postgres' jsonb operator ("has the key"), not a placeholder.
  const json = await read({ sql: `SELECT id, '{"a": 1}'::jsonb ? 'a' AS has_a FROM foo WHERE id BETWEEN $1 AND $2 ORDER BY id`, lowerBound: 7, upperBound: 9, numPartitions: 1, map: 'none' });
  assert.ok(json.ok, `${json.failure}\n${json.lines.join('\n')}`);
  assert.deepEqual(line<unknown[]>(json, 'FIRST'), [7, true]);
});

test('bad settings fail at the call, before any task: one placeholder, bounds reversed, numPartitions 0', { timeout: 60_000 }, async () => {
  const one = await read({ sql: 'SELECT data FROM foo WHERE id <= ?', lowerBound: 1, upperBound: 100, numPartitions: 3 });
  assert.equal(one.ok, false);
  assert.match(one.failure!, /SLUICE_BAD_ARGUMENT: postgresRDD: sql: got "SELECT data FROM foo WHERE id <= \?"; it has 1 '\?' placeholder; give exactly two/);
  const three = await read({ sql: "SELECT data FROM foo WHERE ? <= id AND id <= ? AND data <> ?", lowerBound: 1, upperBound: 100, numPartitions: 3, spark: true });
  assert.match(three.failure!, /SLUICE_BAD_ARGUMENT: JdbcRDD.create: sql: .*it has 3 '\?' placeholders/);
  const reversed = await read({ sql: 'SELECT data FROM foo WHERE ? <= id AND id <= ?', lowerBound: 100, upperBound: 1, numPartitions: 3 });
  assert.match(reversed.failure!, /SLUICE_BAD_ARGUMENT: postgresRDD: upperBound: got 1 below lowerBound 100; the bounds are inclusive/);
  const none = await read({ sql: 'SELECT data FROM foo WHERE ? <= id AND id <= ?', lowerBound: 1, upperBound: 100, numPartitions: 0 });
  assert.match(none.failure!, /SLUICE_BAD_ARGUMENT: postgresRDD: numPartitions: got 0; give a whole number of partitions >= 1/);
  for (const e of [one, three, reversed, none]) assert.ok(!e.lines.some((l) => l.startsWith('SLICES')), 'no RDD made');
});

test('an unreachable server, a wrong password, a missing table, a query failing mid-read: the job fails naming the partition and the setting; no password shown, no connection left', { timeout: 120_000 }, async () => {
  const sql = 'SELECT data FROM foo WHERE ? <= id AND id <= ?';
  const port = await freePort();
  const down = await read({ url: `postgres://sluice:read-secret@127.0.0.1:${port}/postgres`, sql, lowerBound: 1, upperBound: 100, numPartitions: 2 });
  assert.equal(down.ok, false);
  assert.match(down.failure!, new RegExp(`postgresRDD partition \\d \\[\\d+, \\d+\\]: cannot reach the Postgres server 127\\.0\\.0\\.1:${port}/postgres`));
  assert.match(down.failure!, /check the host and port in connectionString/);
  assert.doesNotMatch(down.failure!, /read-secret/);
  const wrong = await read({ url: server.url.replace('read-secret', 'wrong-secret'), sql, lowerBound: 1, upperBound: 100, numPartitions: 2 });
  assert.equal(wrong.ok, false);
  assert.match(wrong.failure!, /most recent failure: Lost task \d+\.\d+ in stage \d+\.\d+ \(TID \S+\) \(worker \S+\): postgresRDD partition \d .*the Postgres server 127\.0\.0\.1:\d+\/postgres refused user 'sluice'.*fix the user or password in connectionString/);
  assert.doesNotMatch(wrong.failure!, /wrong-secret/);
  const missing = await read({ sql: 'SELECT data FROM no_such_table WHERE ? <= id AND id <= ?', lowerBound: 1, upperBound: 100, numPartitions: 2 });
  assert.equal(missing.ok, false);
  assert.match(missing.failure!, /most recent failure: Lost task \d+\.\d+ in stage \d+\.\d+ \(TID \S+\) \(worker \S+\): postgresRDD partition \d \[\d+, \d+\]: sql: relation "no_such_table" does not exist in 127\.0\.0\.1:\d+\/postgres \(SQLSTATE 42P01\); fix the query/);
  // Row 1500 divides by zero: the second fetch of 1000 rows fails, after the first was read.
  const mid = await read({ sql: 'SELECT 1 / (id - 1500) FROM kill_rows WHERE ? <= id AND id <= ?', lowerBound: 1, upperBound: 2000, numPartitions: 1 });
  assert.equal(mid.ok, false);
  assert.match(mid.failure!, /most recent failure: Lost task \d+\.\d+ in stage \d+\.\d+ \(TID \S+\) \(worker \S+\): postgresRDD partition 0 \[1, 2000\]: sql: the query failed on a row: division by zero/);
  await pollUntil(async () => {
    const r = await db.query<{ n: string }>("SELECT count(*) AS n FROM pg_stat_activity WHERE application_name LIKE 'sluice-postgres-rdd%'");
    return Number(r.rows[0]!.n) === 0 || undefined;
  }, 20_000, 'no postgresRDD connection left after the failures');
});

test('a worker killed -9 mid-read: its partition is read again on the other worker, every row once; no connection left', { timeout: 120_000 }, async () => {
  fs.rmSync(path.join(logDir, 'read.log'), { force: true });
  const job = await startJob(cluster, fixture('pg-rdd-read-job.ts'), [
    JSON.stringify({ url: server.url, map: 'id', sql: 'SELECT id FROM kill_rows WHERE ? <= id AND id <= ?', lowerBound: 1, upperBound: KILL_ROWS, numPartitions: 8, logDir, slowMs: 1 }),
  ]);
  // The lines the tasks appended so far, each whole: an append seen cut short where it crosses a
  // page (a pid or a row id read in part) is left for the next read.
  const logLines = (): string[] => {
    const text = fs.existsSync(path.join(logDir, 'read.log')) ? fs.readFileSync(path.join(logDir, 'read.log'), 'utf8') : '';
    return text.slice(0, text.lastIndexOf('\n') + 1).split('\n').filter((l) => l.length > 0);
  };
  const byPid = new Map([...procs.values()].map((c) => [c.pid!, c]));
  // A worker that has read part of a partition (it logged a row, its partition is 500 rows of 1 ms).
  const victimPid = await pollUntil(() => logLines().map((l) => Number(l.split(' ')[0])).find((p) => byPid.has(p)), 60_000, 'a worker reading');
  const before = new Set(logLines().filter((l) => Number(l.split(' ')[0]) === victimPid).map((l) => Number(l.split(' ')[1])));
  byPid.get(victimPid)!.kill('SIGKILL');
  // Connections open at once while the job runs on: one per running task (2 workers of 1 core), each closed as its partition ends.
  let most = 0;
  let watching = true;
  const watcher = (async () => {
    while (watching) {
      const r = await db.query<{ n: string }>("SELECT count(*) AS n FROM pg_stat_activity WHERE application_name LIKE 'sluice-postgres-rdd%'");
      most = Math.max(most, Number(r.rows[0]!.n));
      await new Promise((res) => setTimeout(res, 20));
    }
  })();
  // Stopped whatever the job did: a watch left running keeps the file's process alive.
  const end = await job.finished(100_000).finally(() => (watching = false));
  await watcher;
  assert.ok(end.ok, `${end.failure}\n${end.lines.join('\n')}`);
  assert.ok(most >= 1 && most <= 2, `${most} postgresRDD connections open at once for 8 partitions read by 2 tasks at a time`);
  assert.deepEqual(line<number[]>(end, 'IDS').sort((x, y) => x - y), Array.from({ length: KILL_ROWS }, (_, i) => i + 1), 'every row once');
  assert.equal(line<number>(end, 'COUNT'), KILL_ROWS);
  assert.equal(line<number>(end, 'SUM'), (KILL_ROWS * (KILL_ROWS + 1)) / 2);
  // Rows the killed worker had read were read again by another process.
  const again = logLines().filter((l) => Number(l.split(' ')[0]) !== victimPid).map((l) => Number(l.split(' ')[1]));
  assert.ok(before.size > 0 && again.some((id) => before.has(id)), `a row the killed worker read (${[...before].slice(0, 5)}) was read again`);
  // Each partition's connection closed when it ended (the killed worker's with its process).
  await pollUntil(async () => {
    const r = await db.query<{ n: string }>("SELECT count(*) AS n FROM pg_stat_activity WHERE application_name LIKE 'sluice-postgres-rdd%'");
    return Number(r.rows[0]!.n) === 0 || undefined;
  }, 20_000, 'no postgresRDD connection left');
});
