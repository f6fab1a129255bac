import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { SluiceError } from '@sluice/core';
import { cachedPool, lostSession } from './pool-cache.js';
import { failedInRecords, postgresFailure, serverOf, timedOut, userOf } from './postgres-failure.js';
import type { PostgresSinkParams } from './postgres-options.js';
import { copyField, quoteIdent, quoteQualified, toPostgresText } from './postgres-value.js';

/** What writing one partition did: rows written, and 1 if an earlier attempt had committed it (nothing written). */
export type PartitionResult = [written: number, skipped: number];

/** Tables this thread has checked (they exist, with the columns): checked once per pool. */
const checked = new Set<string>();

/** Postgres' limit of parameters in one statement. */
const MAX_PARAMS = 65_535;

/**
 * Writes one partition of one batch, Spark's "transactional output": in ONE transaction
 *  1. the marker row (outputId, batch, partition) is looked up (a plain read: it waits for
 *     nobody). If it exists, an earlier attempt of this partition committed: roll back, write
 *     nothing.
 *  2. the rows go in by COPY (into a temporary table first when there is a conflictKey,
 *     then INSERT ... SELECT ... ON CONFLICT DO UPDATE) or by multi-row INSERT statements;
 *  3. the marker row, with the row count, is inserted ON CONFLICT DO NOTHING: if another
 *     attempt committed it meanwhile (a speculative copy, or the retry of an attempt whose
 *     worker stopped and woke), roll back (its rows with it) and report the partition
 *     skipped; a concurrent attempt that inserted it and has not committed yet is waited for
 *     on the marker's unique index. Else the transaction commits.
 * The marker comes last so that an attempt frozen while it writes (its worker stopped:
 * SIGSTOP, a paused container) holds no lock another attempt of its partition waits on: its
 * retry writes the partition at once, and it, woken, finds the marker and rolls back. One
 * frozen between its marker and its COMMIT holds the marker until the server ends its idle
 * session (idleInTransactionTimeoutMs). Any failure before the commit rolls everything back,
 * so the partition's rows and its marker are in the table together or not at all. An empty
 * partition writes nothing.
 */
export async function writePostgresPartition(p: PostgresSinkParams, batch: string, partition: number, records: Iterable<unknown>): Promise<PartitionResult> {
  const where = `saveToPostgres(table '${p.table}', output '${p.outputId}') batch ${batch} partition ${partition}`;
  const it = records[Symbol.iterator]();
  const first = it.next();
  if (first.done) return [0, 0];
  const pool = cachedPool(p.connectionString, p.poolSize, p.queryTimeoutMs, p.idleInTransactionTimeoutMs);
  const client = await openTransaction(pool, p, where);
  // Its session ended between statements (the server shut down, 57P01, while the partition's
  // rows were computed or onProgress ran, or with a statement's answer) is heard by the pool's
  // listener (lostSession): the next statement fails, and so does the attempt, with that
  // cause (the task is retried, as Spark's JDBC sink's), and the connection is dropped.
  let broken: Error | undefined;
  let inTransaction = true;
  const state = { abandoned: false };
  try {
    const done = await client.query(`SELECT 1 FROM ${quoteQualified(p.markerTable)} WHERE output_id = $1 AND batch = $2 AND partition = $3`, [p.outputId, batch, partition]);
    if (done.rowCount !== 0) {
      await client.query('ROLLBACK');
      inTransaction = false;
      return [0, 1];
    }
    const rows = rowsOf(p, first.value, it, where);
    const written = p.method === 'copy' ? await copyRows(client, p, batch, partition, rows, state) : await insertRows(client, p, batch, partition, rows);
    const marker = await client.query(`INSERT INTO ${quoteQualified(p.markerTable)} (output_id, batch, partition, rows) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, [p.outputId, batch, partition, written]);
    if (marker.rowCount === 0) {
      await client.query('ROLLBACK');
      inTransaction = false;
      return [0, 1];
    }
    await client.query('COMMIT');
    inTransaction = false;
    await p.onProgress?.({ stage: 'committed', outputId: p.outputId, batch, partition, rows: written });
    return [written, 0];
  } catch (err) {
    const gone = lostSession(client);
    if (gone || state.abandoned || timedOut(err)) {
      // The session ended (the server rolled the transaction back), the connection is in the
      // middle of a COPY, or a statement went unanswered (a ROLLBACK would queue behind it):
      // drop it, which rolls the transaction back on the server.
      broken = gone ?? (err instanceof Error ? err : new Error(String(err)));
    } else if (inTransaction) {
      // Roll back on this connection; if that fails too the connection is dropped, which
      // rolls the transaction back on the server.
      await client.query('ROLLBACK').catch((e: Error) => (broken = e));
    }
    if (err instanceof SluiceError) throw err;
    if ((err as { code?: string }).code === '42703') throw await missingColumns(pool, p, where, err);
    // A statement after the session ended fails 'not queryable': say why it ended instead.
    throw postgresFailure(gone ?? err, where, p.connectionString, p.table, p.queryTimeoutMs, p.idleInTransactionTimeoutMs);
  } finally {
    // A connection whose session ended never goes back to the pool (a retry would meet it).
    client.release(broken ?? lostSession(client));
  }
}

/** Connection strings this job thread has written through: a refused connection to one is a server restarting, waited for. */
const reached = new Set<string>();

/**
 * A failure that says the server is going away or coming back: it is shutting down or
 * starting up (SQLSTATE class 57P: 57P01 an administrator's shutdown ended the session,
 * 57P03 it does not take connections yet), or it closed the connection; a refused
 * connection, or one that got no answer within queryTimeoutMs (a server paused or stalled),
 * counts when the server was reached before (`reachedBefore`).
 */
function restarting(err: unknown, reachedBefore: boolean): boolean {
  const e = (err ?? {}) as { code?: string; message?: string };
  if (e.code?.startsWith('57P') || /Connection terminated unexpectedly|terminating connection/i.test(e.message ?? '')) return true;
  return reachedBefore && (['ECONNREFUSED', 'ECONNRESET', 'EPIPE'].includes(e.code ?? '') || timedOut(err));
}

/**
 * A pooled connection with a transaction begun, the table checked first (checkTables). A
 * server that is restarting (see `restarting`) is waited for, trying again every 100 ms
 * growing to 2 s, up to reconnectTimeoutMs: the rows are not taken from the partition yet,
 * so a batch that comes while its database restarts is written once it is back. Past the
 * wait, or on any other failure, the task fails with the failure (postgresFailure).
 */
async function openTransaction(pool: pg.Pool, p: PostgresSinkParams, where: string): Promise<pg.PoolClient> {
  const started = Date.now();
  for (let delay = 100; ; delay = Math.min(delay * 2, 2000)) {
    let client: pg.PoolClient | undefined;
    try {
      client = await pool.connect();
      await checkTables(client, p, where);
      await client.query('BEGIN');
      // BEGIN's answer may have come with the session's end (read at once): no transaction.
      const gone = lostSession(client);
      if (gone) throw gone;
      reached.add(p.connectionString);
      return client;
    } catch (thrown) {
      // A statement after the session ended fails 'not queryable': the cause is why it ended.
      const gone = client && lostSession(client);
      const err: unknown = thrown instanceof SluiceError ? thrown : (gone ?? thrown);
      const waitMore = restarting(err, reached.has(p.connectionString) || p.reachedBefore === true);
      // A connection that failed is dropped (the pool opens a new one), any other given back.
      client?.release(gone ?? (waitMore ? (err as Error) : undefined));
      if (err instanceof SluiceError) throw err;
      const waited = Date.now() - started;
      if (!waitMore || waited + delay > p.reconnectTimeoutMs) {
        const f = postgresFailure(err, where, p.connectionString, p.table, p.queryTimeoutMs);
        const what = timedOut(err) ? 'answer again' : 'take connections again';
        throw waitMore && p.reconnectTimeoutMs > 0 ? new SluiceError(f.code, `${f.message} (the write waited ${waited} ms for the server to ${what}; reconnectTimeoutMs ${p.reconnectTimeoutMs})`, { cause: err }) : f;
      }
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

/** The records as rows of text values in column order; a record that does not fit is a SLUICE_BAD_RECORD naming it. */
function* rowsOf(p: PostgresSinkParams, first: unknown, rest: Iterator<unknown>, where: string): Generator<(string | null)[]> {
  let n = 0;
  for (let r: IteratorResult<unknown> = { done: false, value: first }; !r.done; r = rest.next(), n++) {
    yield rowOf(p, r.value, n, where);
  }
}

function rowOf(p: PostgresSinkParams, record: unknown, n: number, where: string): (string | null)[] {
  if (Array.isArray(record)) {
    if (record.length !== p.columns.length) {
      throw new SluiceError('SLUICE_BAD_RECORD', `${where}: record ${n} of the partition is an array of ${record.length} values for ${p.columns.length} columns ${JSON.stringify(p.columns)}; give one value per column`);
    }
    return record.map(toPostgresText);
  }
  if (record !== null && typeof record === 'object') {
    const obj = record as Record<string, unknown>;
    return p.columns.map((c) => {
      if (!(c in obj)) throw new SluiceError('SLUICE_BAD_RECORD', `${where}: record ${n} of the partition has no property '${c}' (columns ${JSON.stringify(p.columns)}; it has ${JSON.stringify(Object.keys(obj))}); give every column (null for NULL)`);
      return toPostgresText(obj[c]);
    });
  }
  throw new SluiceError('SLUICE_BAD_RECORD', `${where}: record ${n} of the partition is ${record === null ? 'null' : `a ${typeof record}`}; give an array (one value per column) or an object with the columns as properties`);
}

function updateClause(p: PostgresSinkParams): string {
  if (!p.conflictKey) return '';
  const rest = p.columns.filter((c) => !p.conflictKey!.includes(c));
  const action = rest.length === 0 ? 'DO NOTHING' : `DO UPDATE SET ${rest.map((c) => `${quoteIdent(c)} = EXCLUDED.${quoteIdent(c)}`).join(', ')}`;
  return ` ON CONFLICT (${p.conflictKey.map(quoteIdent).join(', ')}) ${action}`;
}

async function insertRows(client: pg.PoolClient, p: PostgresSinkParams, batch: string, partition: number, rows: Iterable<(string | null)[]>): Promise<number> {
  const perStatement = Math.max(1, Math.min(p.batchSize, Math.floor(MAX_PARAMS / p.columns.length)));
  const cols = p.columns.map(quoteIdent).join(', ');
  const head = `INSERT INTO ${quoteQualified(p.table)} (${cols}) VALUES `;
  const tail = updateClause(p);
  const statement = (n: number): string => {
    const tuples: string[] = [];
    for (let i = 0; i < n; i++) tuples.push('(' + p.columns.map((_, j) => `$${i * p.columns.length + j + 1}`).join(', ') + ')');
    return head + tuples.join(', ') + tail;
  };
  // A full chunk's statement is prepared once per connection (named), and reused.
  const fullText = statement(perStatement);
  const fullName = `sluice_ins_${hash(fullText)}`;
  let written = 0;
  let values: (string | null)[] = [];
  let count = 0;
  const flush = async (): Promise<void> => {
    if (count === 0) return;
    try {
      if (count === perStatement) await client.query({ name: fullName, text: fullText, values });
      else await client.query(statement(count), values);
    } catch (err) {
      failedInRecords(err, written, written + count - 1);
      throw err;
    }
    written += count;
    values = [];
    count = 0;
    await p.onProgress?.({ stage: 'written', outputId: p.outputId, batch, partition, rows: written });
  };
  for (const row of rows) {
    for (const v of row) values.push(v);
    if (++count === perStatement) await flush();
  }
  await flush();
  return written;
}

async function copyRows(client: pg.PoolClient, p: PostgresSinkParams, batch: string, partition: number, rows: Iterable<(string | null)[]>, state: { abandoned: boolean }): Promise<number> {
  const cols = p.columns.map(quoteIdent).join(', ');
  let target = quoteQualified(p.table);
  if (p.conflictKey) {
    // COPY cannot update: stage the rows in a temporary table dropped at commit (or rollback).
    target = 'sluice_copy_stage';
    await client.query(`CREATE TEMPORARY TABLE ${target} (LIKE ${quoteQualified(p.table)} INCLUDING DEFAULTS) ON COMMIT DROP`);
  }
  const stream = client.query(copyFrom(`COPY ${target} (${cols}) FROM STDIN`));
  const done = new Promise<void>((resolve, reject) => {
    stream.on('finish', resolve);
    stream.on('error', reject);
  });
  // A COPY the server refuses (a bad value) errors the stream while rows are still being written.
  let failed: unknown;
  done.catch((e: unknown) => (failed = e));
  // One refused at its start (no INSERT privilege on the table) errors the stream before the
  // server took any row: the write waiting for the COPY to open is never called back, so each
  // write also ends with the stream's error.
  const refused = new Promise<never>((_, reject) => done.catch(reject));
  refused.catch(() => undefined);
  const write = (chunk: string): Promise<void> =>
    Promise.race([
      refused,
      new Promise<void>((resolve, reject) => {
        if (failed) return reject(failed);
        stream.write(chunk, (err) => (err ? reject(failed ?? err) : resolve()));
      }),
    ]);
  let written = 0;
  let chunk = '';
  let count = 0;
  try {
    for (const row of rows) {
      chunk += row.map(copyField).join('\t') + '\n';
      if (++count === p.batchSize) {
        await write(chunk);
        written += count;
        chunk = '';
        count = 0;
        await p.onProgress?.({ stage: 'written', outputId: p.outputId, batch, partition, rows: written });
      }
    }
    if (count > 0) await write(chunk);
    written += count;
  } catch (err) {
    // Abandon the COPY: the connection may be in COPY mode, where it cannot run ROLLBACK; the
    // caller drops it, which ends the transaction on the server.
    state.abandoned = true;
    throw err;
  }
  stream.end();
  await done;
  if (count > 0) await p.onProgress?.({ stage: 'written', outputId: p.outputId, batch, partition, rows: written });
  if (p.conflictKey) await client.query(`INSERT INTO ${quoteQualified(p.table)} (${cols}) SELECT ${cols} FROM ${target}${updateClause(p)}`);
  return written;
}

/** The marker table's columns, as CREATE TABLE gives them. */
const MARKER_COLUMNS = 'output_id text NOT NULL, batch text NOT NULL, partition integer NOT NULL, rows bigint, committed_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (output_id, batch, partition)';

/** Checks once per thread and pool that the table exists with the columns, and creates the marker table if missing. */
async function checkTables(client: pg.PoolClient, p: PostgresSinkParams, where: string): Promise<void> {
  const key = JSON.stringify([p.connectionString, p.table, p.columns, p.markerTable]);
  if (checked.has(key)) return;
  const t = await client.query<{ oid: string | null }>('SELECT to_regclass($1)::oid AS oid', [quoteQualified(p.table)]);
  if (!t.rows[0]?.oid) {
    throw new SluiceError('SLUICE_BAD_ARGUMENT', `${where}: table: '${p.table}' does not exist in ${serverOf(p.connectionString)}; create it (CREATE TABLE ${quoteQualified(p.table)} (...)) or fix the table setting`);
  }
  const have = await tableColumns(client, t.rows[0].oid);
  const missing = p.columns.filter((c) => !have.includes(c));
  if (missing.length > 0) throw missingColumnsError(p, where, missing, have);
  // Created only when missing: CREATE TABLE IF NOT EXISTS needs the CREATE privilege on the
  // schema even when the table exists, which a user that may only write (its tables made by
  // someone else) does not have.
  const m = await client.query<{ oid: string | null }>('SELECT to_regclass($1)::oid AS oid', [quoteQualified(p.markerTable)]);
  if (!m.rows[0]?.oid) {
    try {
      await client.query(`CREATE TABLE IF NOT EXISTS ${quoteQualified(p.markerTable)} (${MARKER_COLUMNS})`);
    } catch (err) {
      // Two workers creating it at once: one wins, the other sees a duplicate; either way it exists.
      const code = (err as { code?: string }).code;
      if (code === '42501') {
        throw new SluiceError(
          'SLUICE_BAD_ARGUMENT',
          `${where}: markerTable: '${p.markerTable}' (where the sink records each partition it committed) does not exist in ${serverOf(p.connectionString)}, and user '${userOf(p.connectionString)}' may not create it (${(err as Error).message}); create it once as a user who may (CREATE TABLE ${quoteQualified(p.markerTable)} (${MARKER_COLUMNS})) and GRANT SELECT, INSERT ON ${quoteQualified(p.markerTable)} TO ${userOf(p.connectionString)}, or give a markerTable in a schema this user may create tables in`,
          { cause: err },
        );
      }
      if (code !== '23505' && code !== '42P07') throw err;
    }
  }
  checked.add(key);
}

async function tableColumns(client: pg.ClientBase, oid: string): Promise<string[]> {
  const r = await client.query<{ attname: string }>('SELECT attname FROM pg_attribute WHERE attrelid = $1 AND attnum > 0 AND NOT attisdropped ORDER BY attnum', [oid]);
  return r.rows.map((x) => x.attname);
}

function missingColumnsError(p: PostgresSinkParams, where: string, missing: readonly string[], have: readonly string[]): SluiceError {
  return new SluiceError(
    'SLUICE_BAD_ARGUMENT',
    `${where}: columns: ${missing.map((m) => `'${m}'`).join(', ')} ${missing.length === 1 ? 'is' : 'are'} not a column of table '${p.table}' (it has ${have.map((c) => `'${c}'`).join(', ')}); fix the columns setting (names are taken as written, case included)`,
  );
}

/** A column vanished after the check (the table was altered): say which, as the check would. */
async function missingColumns(pool: pg.Pool, p: PostgresSinkParams, where: string, err: unknown): Promise<SluiceError> {
  checked.clear();
  try {
    const t = await pool.query<{ oid: string | null }>('SELECT to_regclass($1)::oid AS oid', [quoteQualified(p.table)]);
    if (t.rows[0]?.oid) {
      const have = await tableColumns(pool as unknown as pg.ClientBase, t.rows[0].oid);
      const missing = p.columns.filter((c) => !have.includes(c));
      if (missing.length > 0) return missingColumnsError(p, where, missing, have);
    }
  } catch {
    // fall through to the server's own message
  }
  return postgresFailure(err, where, p.connectionString, p.table);
}

function hash(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16);
}
