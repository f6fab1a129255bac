// Bad input to saveToPostgres gets a SluiceError naming the connector, the setting and the
// fix, and writes nothing: an unreachable server, a wrong password (not echoed), a missing
// table, a missing column, a key the table already holds, a user without the privilege to
// write (or to create the marker table), a bad option. A real Debian PostgreSQL requiring a password;
// driver in this process + 2 worker processes.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import type { LocalCluster } from '@sluice/cli';
import { SluiceContext, StreamingContext } from '@sluice/core';
import { freePort, startPostgres, type PostgresServer } from '@sluice/test-servers';
import { fixture, startCluster, startJob } from './job-runner.js';
import { postgresRDD, saveToPostgres, type PostgresRDDOptions, type PostgresResultRow, type SaveToPostgresOptions } from '../src/index.js';

let server: PostgresServer;
let cluster: LocalCluster;
let db: pg.Client;

before(async () => {
  server = await startPostgres({ password: 'right-secret' });
  db = new pg.Client({ connectionString: server.url });
  await db.connect();
  await db.query('CREATE TABLE events (id bigint, word text, n integer)');
  cluster = await startCluster(2);
});

after(async () => {
  await cluster?.stop();
  await db?.end();
  await server?.stop();
});

async function run(options: Record<string, unknown>): Promise<{ ok: boolean; failure: string | undefined; lines: string[] }> {
  const job = await startJob(cluster, fixture('pg-rdd-job.ts'), [JSON.stringify({ count: 100, table: 'events', columns: ['id', 'word', 'n'], connectionString: server.url, ...options })]);
  return job.finished(60_000);
}

async function nothingWritten(): Promise<void> {
  assert.equal((await db.query('SELECT * FROM events')).rowCount, 0, 'no row written');
  const markers = await db.query("SELECT to_regclass('sluice_output_markers') AS t");
  if (markers.rows[0].t) assert.equal((await db.query('SELECT * FROM sluice_output_markers')).rowCount, 0, 'no marker written');
}

test('control: the same job with good settings writes its 100 rows', { timeout: 60_000 }, async () => {
  const end = await run({});
  assert.ok(end.ok, end.failure);
  assert.deepEqual(JSON.parse(end.lines.find((l) => l.startsWith('SAVED '))!.slice(6)), { written: 100, skipped: 0 });
  assert.equal((await db.query('SELECT * FROM events')).rowCount, 100);
  await db.query('TRUNCATE events');
  await db.query('DROP TABLE sluice_output_markers');
});

test('an unreachable server: an error naming saveToPostgres, the address and connectionString (password hidden)', { timeout: 60_000 }, async () => {
  const port = await freePort();
  const end = await run({ connectionString: `postgres://sluice:right-secret@127.0.0.1:${port}/postgres` });
  assert.equal(end.ok, false);
  assert.match(end.failure!, new RegExp(`saveToPostgres\\(table 'events'.*cannot reach the Postgres server 127\\.0\\.0\\.1:${port}/postgres`));
  assert.match(end.failure!, /check the host and port in connectionString/);
  assert.doesNotMatch(end.failure!, /right-secret/, 'the password is not in the message');
  await nothingWritten();
});

test('a wrong password: an error naming the user and connectionString, without the password', { timeout: 60_000 }, async () => {
  const end = await run({ connectionString: server.url.replace('right-secret', 'wrong-secret') });
  assert.equal(end.ok, false);
  assert.match(end.failure!, /saveToPostgres\(table 'events'.*the Postgres server 127\.0\.0\.1:\d+\/postgres refused user 'sluice'/);
  assert.match(end.failure!, /password authentication failed/);
  assert.match(end.failure!, /fix the user or password in connectionString/);
  assert.doesNotMatch(end.failure!, /wrong-secret/);
  await nothingWritten();
});

test("a missing table: names the table setting", { timeout: 60_000 }, async () => {
  const end = await run({ table: 'no_such_table' });
  assert.equal(end.ok, false);
  assert.match(end.failure!, /saveToPostgres\(table 'no_such_table'.*table: 'no_such_table' does not exist in 127\.0\.0\.1:\d+\/postgres; create it/);
  await nothingWritten();
});

test("a missing column: names the columns setting and the table's columns", { timeout: 60_000 }, async () => {
  const end = await run({ columns: ['id', 'word', 'count'], count: 100 });
  assert.equal(end.ok, false);
  assert.match(end.failure!, /saveToPostgres\(table 'events'.*columns: 'count' is not a column of table 'events' \(it has 'id', 'word', 'n'\); fix the columns setting/);
  await nothingWritten();
});

test("a row whose key the table already holds (the user's own primary key): the record, the key, conflictKey to update, not transient; the failed partition writes nothing, and conflictKey then writes all", { timeout: 120_000 }, async () => {
  await db.query('CREATE TABLE keyed (id bigint PRIMARY KEY, word text, n integer)');
  // The fixture's 100 records (ids 0-99) in 2 partitions of 50: id 70 is record 20 of partition 1.
  await db.query("INSERT INTO keyed VALUES (70, 'before', 0)");
  const end = await run({ table: 'keyed' });
  assert.equal(end.ok, false);
  assert.match(end.failure!, /saveToPostgres\(table 'keyed', output 'keyed'\) batch \S+ partition 1: the Postgres server rejected a row of 'keyed' at record 20 of the partition: duplicate key value violates unique constraint "keyed_pkey" \(Key \(id\)=\(70\) already exists\.\); 'keyed' already holds a row with that key \(id = 70\)/);
  assert.match(end.failure!, /give conflictKey: \['id'\] to update such rows/);
  assert.match(end.failure!, /\(not transient: every attempt of the task fails the same way until this is fixed\)/);
  const ids = (await db.query<{ id: string }>('SELECT id FROM keyed WHERE id >= 50 ORDER BY id')).rows.map((r) => Number(r.id));
  assert.deepEqual(ids, [70], "no row of the failed partition but the table's own");
  assert.equal((await db.query("SELECT * FROM sluice_output_markers WHERE output_id = 'keyed' AND partition = 1")).rowCount, 0, 'no marker for it');
  const upsert = await run({ table: 'keyed', conflictKey: ['id'], outputId: 'keyed-upsert' });
  assert.ok(upsert.ok, upsert.failure);
  assert.equal((await db.query('SELECT * FROM keyed')).rowCount, 100);
  assert.notEqual((await db.query('SELECT word FROM keyed WHERE id = 70')).rows[0].word, 'before');
  await db.query('DROP TABLE keyed');
  await db.query('DROP TABLE sluice_output_markers');
});

test("a user that may not write the table fails at once naming the user, the table and the GRANT (a COPY refused at its start hung the task); one that may, with the marker table made for it, writes without CREATE on the schema; without that table, it is named", { timeout: 180_000 }, async () => {
  await db.query("CREATE ROLE writer LOGIN PASSWORD 'writer-secret'");
  const url = `postgres://writer:writer-secret@127.0.0.1:${server.port}/postgres`;
  const markers = 'CREATE TABLE sluice_output_markers (output_id text NOT NULL, batch text NOT NULL, partition integer NOT NULL, rows bigint, committed_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (output_id, batch, partition))';
  await db.query(markers);
  await db.query('GRANT SELECT, INSERT ON sluice_output_markers TO writer');
  const denied = await run({ connectionString: url });
  assert.equal(denied.ok, false);
  assert.match(denied.failure!, /saveToPostgres\(table 'events'.*user 'writer' of connectionString lacks a privilege on the Postgres server 127\.0\.0\.1:\d+\/postgres: permission denied for table events; GRANT it to writer \(saveToPostgres needs INSERT on its table/);
  assert.doesNotMatch(denied.failure!, /writer-secret/);
  await nothingWritten();
  await db.query('GRANT INSERT ON events TO writer');
  const ok = await run({ connectionString: url });
  assert.ok(ok.ok, ok.failure);
  assert.equal((await db.query('SELECT * FROM events')).rowCount, 100);
  await db.query('TRUNCATE events');
  await db.query('DROP TABLE sluice_output_markers');
  const noMarkers = await run({ connectionString: url });
  assert.equal(noMarkers.ok, false);
  assert.match(noMarkers.failure!, /markerTable: 'sluice_output_markers' \(where the sink records each partition it committed\) does not exist in 127\.0\.0\.1:\d+\/postgres, and user 'writer' may not create it \(permission denied for schema public\); create it once as a user who may \(CREATE TABLE "sluice_output_markers" \(output_id text/);
  assert.match(noMarkers.failure!, /GRANT SELECT, INSERT ON "sluice_output_markers" TO writer/);
  await nothingWritten();
  await db.query('REVOKE ALL ON events FROM writer');
  await db.query('DROP ROLE writer');
});

test('bad options fail at the call, before any task: method, conflictKey outside columns', { timeout: 60_000 }, async () => {
  const m = await run({ method: 'upsert' });
  assert.equal(m.ok, false);
  assert.match(m.failure!, /SLUICE_BAD_ARGUMENT: saveToPostgres: method: got "upsert"; give 'copy' or 'insert'/);
  const k = await run({ conflictKey: ['key'] });
  assert.equal(k.ok, false);
  assert.match(k.failure!, /saveToPostgres: conflictKey: got \["key"\]; 'key' must be among columns \["id","word","n"\]/);
  await nothingWritten();
});

test("an option saveToPostgres or postgresRDD does not know (a misspelt one, Spark's JDBC option) is refused at the call, naming it, Sluice's setting and the options", () => {
  // No job runs: the refusal comes from the call itself (saveToPostgres of an RDD and of a DStream, postgresRDD).
  const sc = new SluiceContext({ jobId: 'j', defaultParallelism: () => 2, runJob: () => Promise.reject(new Error('no cluster')), removeRdd: async () => undefined });
  const rdd = sc.parallelize([[1, 'a', 2]]);
  const stream = new StreamingContext(sc, 1000).queueStream([rdd]);
  const refused = (call: () => unknown, message: string): void =>
    assert.throws(call, (e: Error & { code?: string }) => e.code === 'SLUICE_BAD_ARGUMENT' && e.message === message, message);
  const sink = (extra: Record<string, unknown>): SaveToPostgresOptions => ({ connectionString: server.url, table: 'events', columns: ['id', 'word', 'n'], ...extra }) as SaveToPostgresOptions;
  const sinkOptions = 'connectionString, table, columns, conflictKey, method, outputId, batchSize, markerTable, poolSize, batchTime, onProgress, reconnectTimeoutMs, queryTimeoutMs, idleInTransactionTimeoutMs';
  refused(() => saveToPostgres(rdd, sink({ conflictKeys: ['id'] })), `saveToPostgres(target, options): unknown option 'conflictKeys'; the options are ${sinkOptions}`);
  refused(() => saveToPostgres(stream, sink({ batchsize: 500 })), `saveToPostgres(target, options): unknown option 'batchsize' (Spark's setting; in Sluice: { batchSize: 500 }); the options are ${sinkOptions}`);
  refused(() => saveToPostgres(stream, sink({ queryTimeout: 30 })), `saveToPostgres(target, options): unknown option 'queryTimeout' (Spark's setting; in Sluice: { queryTimeoutMs: 30 × 1000 } (milliseconds, where Spark takes seconds)); the options are ${sinkOptions}`);
  refused(
    () => saveToPostgres(stream, sink({ user: 'sluice' })),
    `saveToPostgres(target, options): unknown option 'user' (Spark's setting; in Sluice: { connectionString: 'postgres://user:password@host:5432/database' }); the options are ${sinkOptions}`,
  );
  const read = (extra: Record<string, unknown>): PostgresRDDOptions<PostgresResultRow> => ({ connectionString: server.url, sql: 'SELECT id FROM events WHERE ? <= id AND id <= ?', lowerBound: 1, upperBound: 10, numPartitions: 2, ...extra }) as PostgresRDDOptions<PostgresResultRow>;
  const readOptions = 'connectionString, sql, lowerBound, upperBound, numPartitions, mapRow, fetchSize, queryTimeoutMs';
  refused(() => postgresRDD(sc, read({ fetchsize: 100 })), `postgresRDD(sc, options): unknown option 'fetchsize' (Spark's setting; in Sluice: { fetchSize: 100 }); the options are ${readOptions}`);
  refused(() => postgresRDD(sc, read({ numPartition: 4 })), `postgresRDD(sc, options): unknown option 'numPartition'; the options are ${readOptions}`);
  refused(
    () => postgresRDD(sc, read({ password: 'secret' })),
    `postgresRDD(sc, options): unknown option 'password' (Spark's setting; in Sluice: { connectionString: 'postgres://user:password@host:5432/database' }); the options are ${readOptions}`,
  );
  // The known options are taken (nothing runs).
  saveToPostgres(stream, sink({ conflictKey: ['id'], method: 'insert', outputId: 'o', batchSize: 10, markerTable: 'm', poolSize: 1, reconnectTimeoutMs: 0, queryTimeoutMs: 0 }));
  postgresRDD(sc, { ...read({ fetchSize: 100 }), mapRow: (row) => row[0] });
});
