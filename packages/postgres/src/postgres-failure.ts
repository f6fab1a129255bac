import { SluiceError } from '@sluice/core';
import { redact } from './postgres-options.js';

/** What a failed pg call says: the server's SQLSTATE or the socket's errno. */
interface PgError {
  readonly code?: string;
  readonly message?: string;
  readonly column?: string;
  readonly constraint?: string;
  readonly detail?: string;
  /** The server's context: for a COPY, `COPY t, line 2, column n: "x"` (line 1 the first row sent). */
  readonly where?: string;
}

/** Which records of the partition a failed multi-row INSERT carried (the server does not say which row), by error. */
const insertedRecords = new WeakMap<object, readonly [number, number]>();

/** Notes that `err` came from the INSERT of the partition's records `first`..`last` (0-based), for postgresFailure's message. */
export function failedInRecords(err: unknown, first: number, last: number): void {
  if (typeof err === 'object' && err !== null) insertedRecords.set(err, [first, last]);
}

/**
 * Where in the partition a row the server rejected is: `record N of the partition, column c`
 * (0-based, as the records' own checks count them) from a COPY's context line, or the range a
 * multi-row INSERT carried; "" if unknown.
 */
function rejectedRecord(err: unknown, e: PgError): string {
  const copy = /^COPY [^\n]*?, line (\d+)(?:, column ([^:\n]+))?/.exec(e.where ?? '');
  if (copy) return ` at record ${Number(copy[1]) - 1} of the partition${copy[2] ? `, column '${copy[2]}'` : ''}`;
  const range = typeof err === 'object' && err !== null ? insertedRecords.get(err) : undefined;
  if (range) return range[0] === range[1] ? ` at record ${range[0]} of the partition` : ` in records ${range[0]}..${range[1]} of the partition (one INSERT of batchSize rows; method 'copy' names the record)`;
  return '';
}

/** host:port/database of a connection string, for messages. */
export function serverOf(connectionString: string): string {
  try {
    const u = new URL(connectionString);
    return `${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return redact(connectionString);
  }
}

/** The user of a connection string, for messages. */
export function userOf(connectionString: string): string {
  try {
    return decodeURIComponent(new URL(connectionString).username) || '(default)';
  } catch {
    return '(unknown)';
  }
}

/**
 * What a failure every attempt of the task meets again adds to its message: the task is
 * retried as any (--task-max-failures, Spark's spark.task.maxFailures), and the last
 * attempt's message is the job's, so it says that retrying was not going to help.
 */
const NOT_TRANSIENT = 'not transient: every attempt of the task fails the same way until this is fixed';

/**
 * The advice for a unique violation (23505) from the table's own key: its columns and values
 * from the server's detail (`Key (id)=(3) already exists.`), and conflictKey to update the rows.
 */
function uniqueAdvice(e: PgError, table: string): string {
  const key = /^Key \((.*)\)=\((.*)\) already exists/.exec(e.detail ?? '');
  const cols = key ? key[1]!.split(', ').map((c) => `'${c.replace(/^"(.*)"$/, '$1')}'`).join(', ') : undefined;
  return `; '${table}' already holds a row with that key${key ? ` (${key[1]} = ${key[2]})` : ''} (written before this save, by another output, or twice in its records): give conflictKey${cols ? `: [${cols}]` : ' (the columns of that unique index)'} to update such rows (INSERT ... ON CONFLICT DO UPDATE), or leave them out of the records`;
}

/** No answer within queryTimeoutMs: a query (pg's query_timeout), or a connection's handshake (the pool's connectionTimeoutMillis). */
export function timedOut(err: unknown): boolean {
  return /^Query read timeout|^Connection terminated due to connection timeout|^timeout expired/.test((err as { message?: string } | null)?.message ?? '');
}

/**
 * A pg failure as a SluiceError naming the connector, the setting to fix and `where`
 * (the output, batch and partition). Connection failures and refused credentials name
 * connectionString; a missing table names `table`; the rest is the server's own word.
 */
export function postgresFailure(err: unknown, where: string, connectionString: string, table: string, queryTimeoutMs?: number, idleInTransactionTimeoutMs?: number): SluiceError {
  if (err instanceof SluiceError) return err;
  const e = (err ?? {}) as PgError;
  const msg = e.message ?? String(err);
  const server = serverOf(connectionString);
  if (timedOut(err) && queryTimeoutMs !== undefined && queryTimeoutMs > 0) {
    const handshake = !/^Query read timeout/.test(msg);
    return new SluiceError(
      'SLUICE_UNREACHABLE',
      `${where}: the Postgres server ${server} (connectionString ${redact(connectionString)}) did not answer ${handshake ? `a new connection within ${Math.min(10_000, queryTimeoutMs)} ms` : `a statement within queryTimeoutMs ${queryTimeoutMs} ms`} (${msg}): it takes connections but is stopped, overloaded or waiting on a lock; the attempt's transaction was rolled back (its connection dropped); check that it answers (pg_isready, SELECT 1), or raise queryTimeoutMs`,
      { cause: err },
    );
  }
  const user = userOf(connectionString);
  const code = e.code ?? '';
  if (['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'ECONNRESET', 'EPIPE', 'EAI_AGAIN'].includes(code) || /timeout exceeded when trying to connect|Connection terminated unexpectedly/i.test(msg)) {
    return new SluiceError('SLUICE_UNREACHABLE', `${where}: cannot reach the Postgres server ${server} (connectionString ${redact(connectionString)}): ${msg}; check the host and port in connectionString and that the server runs`, { cause: err });
  }
  if (code === '25P03') {
    return new SluiceError(
      'SLUICE_IO',
      `${where}: the Postgres server ${server} ended this attempt's session, its transaction rolled back, after the transaction sent nothing for idleInTransactionTimeoutMs${idleInTransactionTimeoutMs ? ` ${idleInTransactionTimeoutMs} ms` : ''} (${msg}): its worker was stopped (SIGSTOP, a paused container or host), or computing the partition's next batchSize records or onProgress took that long; nothing of it was committed. If the records take that long to compute, raise idleInTransactionTimeoutMs (0: the server's own setting)`,
      { cause: err },
    );
  }
  if (code.startsWith('57P')) {
    return new SluiceError('SLUICE_UNREACHABLE', `${where}: the Postgres server ${server} is shutting down or starting up: ${msg} (SQLSTATE ${code}); run it again once the server takes connections`, { cause: err });
  }
  if (code === '28P01' || code === '28000') {
    return new SluiceError('SLUICE_UNAUTHENTICATED', `${where}: the Postgres server ${server} refused user '${user}': ${msg}; fix the user or password in connectionString (${NOT_TRANSIENT})`, { cause: err });
  }
  if (code === '3D000') return new SluiceError('SLUICE_BAD_ARGUMENT', `${where}: ${msg} on the Postgres server ${server}; fix the database in connectionString`, { cause: err });
  if (code === '42P01') return new SluiceError('SLUICE_BAD_ARGUMENT', `${where}: table: '${table}' does not exist in ${server}; create it or fix the table setting (${msg})`, { cause: err });
  if (code === '42P10') return new SluiceError('SLUICE_BAD_ARGUMENT', `${where}: conflictKey: ${msg}; give the columns of a unique index or primary key of '${table}'`, { cause: err });
  if (code === '21000') return new SluiceError('SLUICE_BAD_RECORD', `${where}: two rows of one partition have the same conflictKey (${msg}); reduce by the key before saving`, { cause: err });
  if (code.startsWith('22') || code.startsWith('23')) {
    const advice = code === '23505' ? uniqueAdvice(e, table) : '';
    return new SluiceError('SLUICE_BAD_RECORD', `${where}: the Postgres server rejected a row of '${table}'${rejectedRecord(err, e)}: ${msg}${e.detail ? ` (${e.detail})` : ''}${advice} (${NOT_TRANSIENT})`, { cause: err });
  }
  if (code === '42501') {
    return new SluiceError(
      'SLUICE_BAD_ARGUMENT',
      `${where}: user '${user}' of connectionString lacks a privilege on the Postgres server ${server}: ${msg}; GRANT it to ${user} (saveToPostgres needs INSERT on its table, with conflictKey also SELECT and UPDATE; SELECT and INSERT on its markerTable), or connect as a user who has it (${NOT_TRANSIENT})`,
      { cause: err },
    );
  }
  return new SluiceError('SLUICE_IO', `${where}: Postgres ${server}: ${msg}${code ? ` (SQLSTATE ${code})` : ''}`, { cause: err });
}
