import { SluiceError, refuseUnknownOptions } from '@sluice/core';
import { JDBC_CONNECTION_NAMES, redact } from './postgres-options.js';

/**
 * A row as the reader gets it from Postgres: the values of the query's columns in SELECT
 * order (Spark's JdbcRDD.resultSetToObjectArray), as pg parses them (int8 and numeric as
 * strings, int4 and float8 as numbers, timestamps as Dates, json as values).
 */
export type PostgresResultRow = unknown[];

export interface PostgresRDDOptions<T = PostgresResultRow> {
  /** `postgres://user:password@host:port/database`, as saveToPostgres takes it. Each partition opens its own connection with it. */
  readonly connectionString: string;
  /**
   * The query, with two placeholders bound to each partition's inclusive slice of the key
   * range: JDBC's `?` (each bound as a bigint, as Spark's setLong), e.g.
   * `SELECT title, author FROM books WHERE ? <= id AND id <= ?`; or `$1` and `$2` (typed by
   * Postgres from where they stand; a `?` beside them is then an operator, jsonb's).
   */
  readonly sql: string;
  /** The first placeholder's value in the first partition (inclusive): a safe integer or a bigint within int8. */
  readonly lowerBound: number | bigint;
  /** The second placeholder's value in the last partition (inclusive): a safe integer or a bigint within int8. */
  readonly upperBound: number | bigint;
  /** How many partitions (queries) the range is cut into, as Spark's JdbcRDD. */
  readonly numPartitions: number;
  /** One row into a record, on the worker (its column values in SELECT order, and the column names). Default: the row itself, an array. */
  readonly mapRow?: ((row: PostgresResultRow, columns: readonly string[]) => T) | undefined;
  /** Rows fetched from the server's cursor at a time (default 1000: Spark's JdbcRDD sets 100; 1000 read 1.3-1.9x faster in bench/postgres-read.js). */
  readonly fetchSize?: number | undefined;
  /**
   * How long each statement of a partition's read (the cursor's DECLARE, each FETCH) waits
   * for the server's answer, and a new connection for its handshake (at most 10 s), before
   * the attempt fails and the task reads its slice again (default 120,000 ms, as
   * saveToPostgres; 0: no limit, Spark's JDBC `queryTimeout` 0). A server that takes
   * connections and answers nothing (stopped, stalled) fails the job after the task's
   * attempts instead of holding it. A query that sorts or scans a large table before its
   * first row may need more: raise it.
   */
  readonly queryTimeoutMs?: number | undefined;
}

/** What a partition's task needs (plain JSON; mapRow ships on its own). */
export interface PostgresReadParams {
  readonly connectionString: string;
  /** The query with `$1` and `$2`. */
  readonly sql: string;
  readonly fetchSize: number;
  /** 0: no limit. */
  readonly queryTimeoutMs: number;
}

/** One partition's inclusive slice of the key range, as decimal strings (int8 does not fit a number). */
export interface PostgresSlice {
  readonly lower: string;
  readonly upper: string;
}

const OP = 'postgresRDD';

// PostgresRDDOptions' keys, spelt out so the compiler says when the interface gains one.
const OPTION_KEYS: Record<keyof PostgresRDDOptions<unknown>, true> = {
  connectionString: true,
  sql: true,
  lowerBound: true,
  upperBound: true,
  numPartitions: true,
  mapRow: true,
  fetchSize: true,
  queryTimeoutMs: true,
};

/** Spark's JDBC data source options a user may give as postgresRDD options, and the option each is here. */
const SPARK_NAMES: Readonly<Record<string, string>> = {
  ...JDBC_CONNECTION_NAMES,
  fetchsize: '{ fetchSize: N }',
  queryTimeout: '{ queryTimeoutMs: N × 1000 } (milliseconds, where Spark takes seconds)',
  query: '{ sql: N }, with two placeholders for the key range',
  dbtable: "{ sql: 'SELECT ... FROM table WHERE ? <= key AND key <= ?' }",
  partitionColumn: "the sql's two placeholders: { sql: 'SELECT ... WHERE ? <= key AND key <= ?' }",
};
const INT8_MIN = -(2n ** 63n);
const INT8_MAX = 2n ** 63n - 1n;

function bad(op: string, setting: string, got: string, fix: string): SluiceError {
  return new SluiceError('SLUICE_BAD_ARGUMENT', `${op}: ${setting}: got ${got}; ${fix}`);
}

const shown = (v: unknown): string => (v === undefined ? 'nothing' : typeof v === 'bigint' ? `${v}n` : JSON.stringify(v) ?? String(v));

/**
 * The `?` placeholders of `sql` outside string literals (E'' ones with their backslash
 * escapes, $tag$ ones), quoted names and comments, as
 * offsets; and which `$n` parameters it uses there (a `$` inside a name, `foo$1`, is neither).
 */
export function scanPlaceholders(sql: string): { questionMarks: number[]; dollars: Set<number> } {
  const questionMarks: number[] = [];
  const dollars = new Set<number>();
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if (c === "'" && /[Ee]/.test(sql[i - 1] ?? '') && !/[\w$]/.test(sql[i - 2] ?? '')) {
      // E'...': a backslash escapes the next character (E'it\'s').
      let j = i + 1;
      while (j < sql.length && sql[j] !== "'") j += sql[j] === '\\' ? 2 : 1;
      i = j + 1;
    } else if (c === "'" || c === '"') {
      const end = sql.indexOf(c, i + 1);
      i = end < 0 ? sql.length : end + 1; // a doubled quote is two literals back to back: same result
    } else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 2;
    } else if (c === '$' && /[\p{L}\p{N}_$]/u.test(sql[i - 1] ?? '')) {
      // Inside a name (Postgres allows $ after an identifier's first character: foo$1, a$b$):
      // neither a parameter nor a dollar quote.
      i++;
    } else if (c === '$') {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i));
      const param = /^\$(\d+)/.exec(sql.slice(i));
      if (tag) {
        const end = sql.indexOf(tag[0], i + tag[0].length);
        i = end < 0 ? sql.length : end + tag[0].length;
      } else if (param) {
        dollars.add(Number(param[1]));
        i += param[0].length;
      } else i++;
    } else {
      if (c === '?') questionMarks.push(i);
      i++;
    }
  }
  return { questionMarks, dollars };
}

/** The query for pg: two `?` become `$1::int8` and `$2::int8`; `$1` and `$2` stay. */
export function bindableSql(op: string, sql: unknown): string {
  if (typeof sql !== 'string' || sql.trim() === '') throw bad(op, 'sql', shown(sql), "give a query with two placeholders, e.g. 'SELECT data FROM foo WHERE ? <= id AND id <= ?'");
  const text = sql.replace(/[\s;]+$/, '');
  const { questionMarks, dollars } = scanPlaceholders(text);
  // $1 and $2 first: a ? beside them is Postgres' jsonb operator (JDBC has to escape it as ??).
  if (dollars.size === 2 && dollars.has(1) && dollars.has(2)) return text;
  if (questionMarks.length === 2 && dollars.size === 0) {
    const [a, b] = questionMarks as [number, number];
    return `${text.slice(0, a)}($1::int8)${text.slice(a + 1, b)}($2::int8)${text.slice(b + 1)}`;
  }
  const found = questionMarks.length > 0 || dollars.size === 0 ? `${questionMarks.length} '?' placeholder${questionMarks.length === 1 ? '' : 's'}` : `parameters ${[...dollars].sort((x, y) => x - y).map((d) => `$${d}`).join(', ')}`;
  throw bad(op, 'sql', JSON.stringify(text), `it has ${found}; give exactly two ('? <= id AND id <= ?', or $1 and $2), bound to each partition's lower and upper key`);
}

function int8(op: string, setting: string, v: unknown): bigint {
  const fix = 'give a whole number (a safe integer, or a bigint for a larger key) within int8 (-2^63 .. 2^63-1)';
  if (typeof v === 'bigint') {
    if (v < INT8_MIN || v > INT8_MAX) throw bad(op, setting, shown(v), fix);
    return v;
  }
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
  throw bad(op, setting, shown(v), fix);
}

/**
 * Spark's JdbcRDD.getPartitions: the inclusive range [lower, upper] of length
 * 1 + upper - lower cut into n slices, slice i from lower + floor(i·length / n) to
 * lower + floor((i+1)·length / n) - 1, in arbitrary precision (so bounds near 2^63 do not
 * overflow, Spark's "large id overflow"). A slice is empty (upper < lower) when n > length.
 */
export function partitionSlices(lower: bigint, upper: bigint, n: number): PostgresSlice[] {
  const length = 1n + upper - lower;
  const parts = BigInt(n);
  const out: PostgresSlice[] = [];
  for (let i = 0n; i < parts; i++) {
    const start = lower + (i * length) / parts;
    const end = lower + ((i + 1n) * length) / parts - 1n;
    out.push({ lower: String(start), upper: String(end) });
  }
  return out;
}

export interface CheckedRDDOptions {
  readonly params: PostgresReadParams;
  readonly slices: PostgresSlice[];
}

/** Checks the options at the call (nothing is read yet); a bad one throws SLUICE_BAD_ARGUMENT naming it. */
export function postgresRDDOptions(options: PostgresRDDOptions<unknown>, op = OP): CheckedRDDOptions {
  if (options === null || typeof options !== 'object') throw bad(op, 'options', shown(options), 'give { connectionString, sql, lowerBound, upperBound, numPartitions }');
  // A key the RDD does not know would be taken and ignored (a misspelt option, Spark's JDBC fetchsize).
  refuseUnknownOptions(options, OPTION_KEYS, `${op}(sc, options)`, SPARK_NAMES);
  const { connectionString } = options;
  if (typeof connectionString !== 'string' || !/^postgres(ql)?:\/\//.test(connectionString)) {
    throw bad(op, 'connectionString', typeof connectionString === 'string' ? JSON.stringify(redact(connectionString)) : shown(connectionString), "give 'postgres://user:password@host:5432/database'");
  }
  const sql = bindableSql(op, options.sql);
  const lower = int8(op, 'lowerBound', options.lowerBound);
  const upper = int8(op, 'upperBound', options.upperBound);
  if (upper < lower) throw bad(op, 'upperBound', `${upper} below lowerBound ${lower}`, 'the bounds are inclusive: give lowerBound <= upperBound');
  const n = options.numPartitions;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1) throw bad(op, 'numPartitions', shown(n), 'give a whole number of partitions >= 1');
  if (options.mapRow !== undefined && typeof options.mapRow !== 'function') throw bad(op, 'mapRow', typeof options.mapRow, 'give a function (row, columns) => record, or nothing for the row as an array');
  const fetchSize = options.fetchSize ?? 1000;
  if (!Number.isSafeInteger(fetchSize) || fetchSize < 1) throw bad(op, 'fetchSize', shown(options.fetchSize), 'give a whole number of rows >= 1');
  const queryTimeoutMs = options.queryTimeoutMs ?? 120_000;
  if (!Number.isSafeInteger(queryTimeoutMs) || queryTimeoutMs < 0) throw bad(op, 'queryTimeoutMs', shown(options.queryTimeoutMs), 'give a whole number of milliseconds >= 0 (0: no limit)');
  return { params: { connectionString, sql, fetchSize, queryTimeoutMs }, slices: partitionSlices(lower, upper, n) };
}
