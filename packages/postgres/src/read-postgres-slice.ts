import pg from 'pg';
import { SluiceError } from '@sluice/core';
import { postgresFailure, serverOf, timedOut } from './postgres-failure.js';
import { redact } from './postgres-options.js';
import type { PostgresReadParams, PostgresResultRow, PostgresSlice } from './postgres-rdd-options.js';

/** A pg failure while reading: connection and credential failures as the sink says them; the query's own errors name `sql`. */
function readFailure(err: unknown, where: string, p: PostgresReadParams): SluiceError {
  if (err instanceof SluiceError) return err;
  const e = (err ?? {}) as { code?: string; message?: string };
  const code = e.code ?? '';
  const server = serverOf(p.connectionString);
  // 42xxx: the query does not parse or names what is not there (42P01 a table, 42703 a column).
  if (code.startsWith('42')) return new SluiceError('SLUICE_BAD_ARGUMENT', `${where}: sql: ${e.message} in ${server} (SQLSTATE ${code}); fix the query (${JSON.stringify(p.sql)})`, { cause: err });
  // 22xxx: a value the query computes fails (a division by zero, a cast) on some row.
  if (code.startsWith('22')) return new SluiceError('SLUICE_BAD_RECORD', `${where}: sql: the query failed on a row: ${e.message} (SQLSTATE ${code}); fix the query or the data`, { cause: err });
  if (timedOut(err) && p.queryTimeoutMs > 0) {
    const handshake = !/^Query read timeout/.test(e.message ?? '');
    return new SluiceError(
      'SLUICE_UNREACHABLE',
      `${where}: the Postgres server ${server} (connectionString ${redact(p.connectionString)}) did not answer ${handshake ? `a new connection within ${connectTimeoutMs(p)} ms` : `a statement of the read within queryTimeoutMs ${p.queryTimeoutMs} ms`} (${e.message}): it takes connections but is stopped or overloaded, or the query needs longer before its first rows; the partition's connection was dropped (the task's next attempt reads its slice again); check that the server answers (pg_isready, SELECT 1), or raise queryTimeoutMs (0: no limit)`,
      { cause: err },
    );
  }
  return postgresFailure(err, where, p.connectionString, '(postgresRDD)');
}

/** A new connection's handshake waits this long at most (pg's connectionTimeoutMillis): 10 s, or queryTimeoutMs when less. */
function connectTimeoutMs(p: PostgresReadParams): number {
  return p.queryTimeoutMs > 0 ? Math.min(10_000, p.queryTimeoutMs) : 10_000;
}

/** How often the server checks, while it runs the query, that this reader's socket is still open (client_connection_check_interval). */
const CONNECTION_CHECK_MS = 1000;

/**
 * Ask the server to notice a reader that is gone while it runs the query (Postgres 14+'s
 * client_connection_check_interval). A task that is killed (its job or job group cancelled,
 * its driver program ended, its worker killed) closes its socket with its thread or
 * process, but a backend busy in a FETCH reads nothing from it: without the check it runs on
 * until it next writes a full buffer of rows, which for a query that sorts or filters a big
 * table may be the query's end. An older server does not know the setting: the read goes on
 * without it.
 */
async function watchForClosedClient(client: pg.Client): Promise<void> {
  try {
    await client.query(`SET client_connection_check_interval = ${CONNECTION_CHECK_MS}`);
  } catch (err) {
    // 42704: an unrecognized configuration parameter (a server before 14).
    if ((err as { code?: string }).code !== '42704') throw err;
  }
}

/**
 * Reads one partition of a postgresRDD on a worker, Spark's JdbcRDD.compute: its own
 * connection (not a pool: a partition holds it from its first row to its last), the query
 * bound to the slice in a read-only cursor fetched `fetchSize` rows at a time, each row
 * mapped by `mapRow`. The connection is closed when the partition ends, when it fails, and
 * when the task stops taking rows (the generator's return); a killed task's socket closes
 * with its thread, a killed worker's with its process, and the server ends the backend
 * within CONNECTION_CHECK_MS even mid-query; the re-run of the partition reads the slice again.
 */
export async function* readPostgresSlice<T>(
  p: PostgresReadParams,
  slice: PostgresSlice,
  partition: number,
  mapRow: ((row: PostgresResultRow, columns: readonly string[]) => T) | undefined,
): AsyncGenerator<T | PostgresResultRow> {
  const where = `postgresRDD partition ${partition} [${slice.lower}, ${slice.upper}]`;
  // query_timeout: each statement waits at most queryTimeoutMs for its answer ('Query read
  // timeout'); the statement stays active, so end() below drops the socket rather than wait
  // for a goodbye a stopped server never sends.
  const client = new pg.Client({
    connectionString: p.connectionString,
    connectionTimeoutMillis: connectTimeoutMs(p),
    ...(p.queryTimeoutMs > 0 ? { query_timeout: p.queryTimeoutMs } : {}),
    application_name: `sluice-postgres-rdd ${partition}`,
  });
  // A session that ends between queries (the server shut down, 57P01; its goodbye read with a
  // statement's answer) is an 'error' event, heard here from the start: the next query fails
  // ('not queryable'), and the read with the reason it ended.
  let lost: Error | undefined;
  client.on('error', (err: Error) => void (lost ??= err));
  const failure = (err: unknown): SluiceError => readFailure(err instanceof SluiceError ? err : (lost ?? err), where, p);
  try {
    try {
      await client.connect();
    } catch (err) {
      throw readFailure(err, where, p);
    }
    let inCursor = false;
    try {
      await watchForClosedClient(client);
      await client.query('BEGIN READ ONLY');
      inCursor = true;
      await client.query({ text: `DECLARE sluice_postgres_rdd NO SCROLL CURSOR FOR ${p.sql}`, values: [slice.lower, slice.upper] });
    } catch (err) {
      throw failure(err);
    }
    let columns: string[] | undefined;
    for (;;) {
      let res: pg.QueryArrayResult<PostgresResultRow>;
      try {
        res = await client.query<PostgresResultRow>({ text: `FETCH ${p.fetchSize} FROM sluice_postgres_rdd`, rowMode: 'array' });
      } catch (err) {
        throw failure(err);
      }
      columns ??= res.fields.map((f) => f.name);
      for (const row of res.rows) yield mapRow ? mapRow(row, columns) : row;
      if (res.rows.length < p.fetchSize) break;
    }
    if (inCursor) await client.query('COMMIT').catch(() => undefined);
  } finally {
    await client.end().catch(() => undefined);
  }
}
