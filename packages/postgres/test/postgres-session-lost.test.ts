// A partition's write whose session the server ends (pg_terminate_backend: SQLSTATE 57P01, as
// a server shutting down sends) right after each statement of the write in turn, in this
// process against a real Debian PostgreSQL. The termination is made to arrive in the same
// socket read as the statement's answer: the thread is held (a synchronous child process
// terminates the backend and waits for it to end) from the statement's sending until the
// server has answered it and ended the session, as a task thread busy computing another
// partition reads them. pg then hears the statement's answer, its query done, and then an
// error with no query to give it to: an 'error' event on the client, which, were no listener
// on the checked-out client then, would be an uncaught exception (in a job, a dead task
// thread: the fresh-clone CI's "left unhandled: terminating connection due to administrator
// command"). Each cut write must end as a retried task would see it: written once, or failed
// with the server's going away (SLUICE_UNREACHABLE, never "not queryable"), its connection
// dropped from the pool; the retry writes the partition once. And a postgresRDD partition's
// read cut the same way fails with the server's reason (not pg's "not queryable"), or ends
// with every row of its slice.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { SluiceError } from '@sluice/core';
import { startPostgres, type PostgresServer } from '@sluice/test-servers';
import { cachedPool, endCachedPools } from '../src/pool-cache.js';
import { postgresSinkParams, type SaveToPostgresOptions } from '../src/postgres-options.js';
import { writePostgresPartition } from '../src/postgres-partition-writer.js';
import { readPostgresSlice } from '../src/read-postgres-slice.js';
import { pgQuery } from './pg-query.js';

let server: PostgresServer;
const pgPath = createRequire(import.meta.url).resolve('pg');

before(async () => {
  server = await startPostgres();
  await pgQuery(server.url, 'CREATE TABLE events (id bigint, word text, n integer)');
  await pgQuery(server.url, 'CREATE TABLE word_last (word text PRIMARY KEY, total bigint NOT NULL)');
});

after(async () => {
  await endCachedPools();
  await server?.stop();
});

/**
 * Ends backend `pid` and returns once it has exited, holding this thread all the while (a
 * child process of its own: nothing of this thread's event loop runs meanwhile).
 */
function terminateBackendSync(pid: number): void {
  const script = `const pg = require(${JSON.stringify(pgPath)});
const c = new pg.Client({ connectionString: ${JSON.stringify(server.url)} });
c.connect().then(() => c.query('SELECT pg_terminate_backend($1, 10000) AS ok', [${pid}])).then((r) => { if (!r.rows[0].ok) process.exit(3); return c.end(); }).catch((e) => { console.error(e); process.exit(2); });`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, `terminating backend ${pid}: ${r.stderr}`);
}

interface Cut {
  /** The statements the write sent, in order (text, or the COPY's). */
  readonly statements: string[];
  /** The statement after which the session was ended, if the write got that far. */
  killedAfter?: string;
  /** The client whose session was ended. */
  killed?: pg.PoolClient;
  /** Every client the pool handed out while watched. */
  readonly acquired: pg.PoolClient[];
}

/**
 * Watches the pool's clients: the `cutAt`-th statement (1-based) sent on them is followed at
 * once by the end of its session (0: none).
 */
function watchPool(pool: pg.Pool, cutAt: number): { cut: Cut; stop: () => void } {
  const cut: Cut = { statements: [], acquired: [] };
  const wrapped = new Map<pg.PoolClient, pg.PoolClient['query']>();
  const onAcquire = (client: pg.PoolClient): void => {
    cut.acquired.push(client);
    if (wrapped.has(client)) return;
    const original = client.query;
    wrapped.set(client, original);
    client.query = function (this: pg.PoolClient, ...args: unknown[]) {
      const q = args[0] as string | { text?: string };
      cut.statements.push(typeof q === 'string' ? q : (q.text ?? 'COPY'));
      const result = (original as (...a: unknown[]) => unknown).apply(this, args);
      if (cut.statements.length === cutAt) {
        cut.killedAfter = cut.statements.at(-1);
        cut.killed = client;
        terminateBackendSync((client as unknown as { processID: number }).processID);
      }
      return result;
    } as pg.PoolClient['query'];
  };
  pool.on('acquire', onAcquire);
  return {
    cut,
    stop: () => {
      pool.removeListener('acquire', onAcquire);
      for (const [client, original] of wrapped) client.query = original;
    },
  };
}

/** The write of each case: its records are ids base..base+n-1, words w0..w9 (for the upsert, one row a word). */
function records(base: number, n: number): { id: number; word: string; n: number }[] {
  return Array.from({ length: n }, (_, i) => ({ id: base + i, word: `w${i % 10}`, n: i }));
}

const variants: { name: string; options: Omit<SaveToPostgresOptions, 'connectionString' | 'markerTable'>; n: number }[] = [
  { name: 'COPY', options: { table: 'events', columns: ['id', 'word', 'n'], method: 'copy', batchSize: 7 }, n: 20 },
  { name: 'INSERT', options: { table: 'events', columns: ['id', 'word', 'n'], method: 'insert', batchSize: 7 }, n: 20 },
  { name: 'COPY upsert', options: { table: 'word_last', columns: ['word', 'total'], conflictKey: ['word'], method: 'copy', batchSize: 4 }, n: 10 },
];

for (const [vi, v] of variants.entries()) {
  test(`${v.name}: the session ended right after each statement of a partition's write in turn (its answer and the end read together): never an unheard 'error', the write done once or failed as the server's going away, the broken connection dropped, the retry writes it once`, { timeout: 180_000 }, async () => {
    const unheard: unknown[] = [];
    const onUncaught = (e: unknown): void => void unheard.push(e);
    process.on('uncaughtException', onUncaught);
    try {
      let finished = false;
      for (let cutAt = 1; !finished; cutAt++) {
        assert.ok(cutAt < 40, 'the write ends within 40 statements');
        // A marker table of its own per case, so that every case runs the table checks too.
        const markerTable = `markers_${v.name.replace(/\W/g, '_').toLowerCase()}_${cutAt}`;
        const p = postgresSinkParams({ ...v.options, connectionString: server.url, markerTable, reconnectTimeoutMs: 20_000, queryTimeoutMs: 30_000 });
        const pool = cachedPool(p.connectionString, p.poolSize, p.queryTimeoutMs, p.idleInTransactionTimeoutMs);
        const base = (vi + 1) * 100_000 + cutAt * 1000;
        const rows = v.options.conflictKey ? records(base, v.n).map((r) => ({ word: `${r.word}_${base}`, total: r.id })) : records(base, v.n);
        const batch = String(base);
        const { cut, stop } = watchPool(pool, cutAt);
        let first: unknown;
        try {
          first = await writePostgresPartition(p, batch, 0, rows).then((r) => r, (e: unknown) => e);
        } finally {
          stop();
        }
        // Let pg read whatever the server sent after (the socket's end).
        await new Promise((r) => setTimeout(r, 50));
        assert.deepEqual(unheard.map(String), [], `cut after statement ${cutAt} (${cut.killedAfter}): an 'error' nobody heard`);
        if (cut.killed === undefined) finished = true;
        const where = `cut after statement ${cutAt} ${JSON.stringify(cut.killedAfter)} of ${JSON.stringify(cut.statements)}`;
        // Cut before the transaction was open (up to BEGIN's answer): nothing taken from the
        // partition yet, so the write waits for the server (a new session) and writes it.
        const begin = cut.statements.indexOf('BEGIN') + 1;
        if (cut.killed && cutAt <= begin) assert.ok(!(first instanceof Error), `${where}: failed, where it could open a transaction again: ${String(first)}`);
        if (first instanceof Error) {
          assert.ok(first instanceof SluiceError, `${where}: ${first.stack}`);
          assert.equal(first.code, 'SLUICE_UNREACHABLE', `${where}: ${first.message}`);
          assert.doesNotMatch(first.message, /not queryable/, where);
          assert.match(first.message, /terminating connection due to administrator command|Connection terminated unexpectedly|write EPIPE|ECONNRESET/, where);
        } else {
          assert.deepEqual(first, [rows.length, 0], `${where}: the write's result`);
        }
        // The retry (the task's next attempt): never the connection whose session ended.
        const retry = watchPool(pool, 0);
        let second: unknown;
        try {
          second = await writePostgresPartition(p, batch, 0, rows);
        } finally {
          retry.stop();
        }
        if (cut.killed) assert.ok(!retry.cut.acquired.includes(cut.killed), `${where}: the retry was handed the connection whose session ended`);
        assert.deepEqual(second, first instanceof Error ? [rows.length, 0] : [0, 1], `${where}: the retry writes what the first attempt did not commit`);
        // Written once: the rows, and the marker with their count.
        const want = rows.map((r) => JSON.stringify(Object.values(r).map(String))).sort();
        const got = v.options.conflictKey
          ? await pgQuery<{ word: string; total: string }>(server.url, `SELECT word, total FROM word_last WHERE word LIKE '%\\_${base}'`)
          : await pgQuery<{ id: string; word: string; n: number }>(server.url, `SELECT id, word, n FROM events WHERE id >= ${base} AND id < ${base + 1000}`);
        assert.deepEqual(got.map((r) => JSON.stringify(Object.values(r).map(String))).sort(), want, `${where}: the partition's rows once`);
        const markers = await pgQuery<{ rows: string }>(server.url, `SELECT rows FROM ${markerTable}`);
        assert.deepEqual(markers.map((m) => Number(m.rows)), [rows.length], `${where}: one marker with the rows`);
      }
    } finally {
      process.removeListener('uncaughtException', onUncaught);
    }
  });
}

test("a postgresRDD partition's read, its session ended right after each statement in turn (its answer and the end read together): never an unheard 'error', every row of the slice or a failure with the server's reason", { timeout: 180_000 }, async () => {
  await pgQuery(server.url, 'CREATE TABLE numbers AS SELECT g AS id FROM generate_series(1, 50) g');
  const p = { connectionString: server.url, sql: 'SELECT id FROM numbers WHERE $1 <= id AND id <= $2 ORDER BY id', fetchSize: 7, queryTimeoutMs: 30_000 };
  const want = Array.from({ length: 41 }, (_, i) => 5 + i);
  const unheard: unknown[] = [];
  const onUncaught = (e: unknown): void => void unheard.push(e);
  process.on('uncaughtException', onUncaught);
  const original = pg.Client.prototype.query;
  try {
    let finished = false;
    for (let cutAt = 1; !finished; cutAt++) {
      assert.ok(cutAt < 40, 'the read ends within 40 statements');
      const statements: string[] = [];
      let killed = false;
      pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
        const result = (original as (...a: unknown[]) => unknown).apply(this, args);
        if ((this as unknown as { connectionParameters: { application_name?: string } }).connectionParameters.application_name?.startsWith('sluice-postgres-rdd')) {
          const q = args[0] as string | { text?: string };
          statements.push(typeof q === 'string' ? q : (q.text ?? '?'));
          if (statements.length === cutAt) {
            killed = true;
            terminateBackendSync((this as unknown as { processID: number }).processID);
          }
        }
        return result;
      } as typeof original;
      const got: unknown[] = [];
      let failed: unknown;
      try {
        for await (const v of readPostgresSlice(p, { lower: '5', upper: '45' }, 0, (row) => Number(row[0]))) got.push(v);
      } catch (err) {
        failed = err;
      } finally {
        pg.Client.prototype.query = original;
      }
      await new Promise((r) => setTimeout(r, 50));
      const where = `cut after statement ${cutAt} of ${JSON.stringify(statements)}`;
      assert.deepEqual(unheard.map(String), [], `${where}: an 'error' nobody heard`);
      if (!killed) finished = true;
      if (failed === undefined) {
        assert.deepEqual(got, want, `${where}: the slice's rows`);
      } else {
        assert.ok(failed instanceof SluiceError, `${where}: ${(failed as Error).stack}`);
        assert.equal(failed.code, 'SLUICE_UNREACHABLE', `${where}: ${failed.message}`);
        assert.doesNotMatch(failed.message, /not queryable/, where);
        assert.match(failed.message, /terminating connection due to administrator command|Connection terminated unexpectedly/, where);
      }
    }
  } finally {
    pg.Client.prototype.query = original;
    process.removeListener('uncaughtException', onUncaught);
  }
});
