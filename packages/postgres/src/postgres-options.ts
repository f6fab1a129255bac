import { SluiceError, refuseUnknownOptions } from '@sluice/core';

/** What the sink says on the worker as it writes a partition (tests use it to fail a task at that point). */
export interface PostgresProgress {
  /** 'written': `rows` of the partition were sent inside its open transaction (not visible yet); 'committed': the partition's rows and marker are committed. */
  readonly stage: 'written' | 'committed';
  readonly outputId: string;
  /** The batch time, or for an RDD without `batchTime` the id of that saveToPostgres call. */
  readonly batch: string;
  readonly partition: number;
  readonly rows: number;
}

export interface SaveToPostgresOptions {
  /** `postgres://user:password@host:port/database` (any option pg takes in a connection string). */
  readonly connectionString: string;
  /** The table to write (`name` or `schema.name`, taken as written: quoted). It must exist. */
  readonly table: string;
  /** The table's columns each record fills: an array record by position, an object record by property name. */
  readonly columns: readonly string[];
  /** Columns of a unique index: a row whose key exists updates the other columns (INSERT ... ON CONFLICT (key) DO UPDATE). Without it rows are appended. */
  readonly conflictKey?: readonly string[] | undefined;
  /** 'copy' (default, measured faster: see the README) streams rows with COPY FROM STDIN; 'insert' sends multi-row INSERT statements. */
  readonly method?: 'copy' | 'insert' | undefined;
  /**
   * Names this output in the marker table: (outputId, batch, partition) is written once.
   * Default: the table name. Two jobs, or two outputs of one job, writing the same table at
   * the same batch times must each give their own; keep it when the job is restarted.
   */
  readonly outputId?: string | undefined;
  /** Rows per INSERT statement or per COPY chunk (default 1000). */
  readonly batchSize?: number | undefined;
  /** The table of markers (created if missing; default `sluice_output_markers`). */
  readonly markerTable?: string | undefined;
  /** Connections per pool (one pool per job thread of a worker, per connection string; default 2). */
  readonly poolSize?: number | undefined;
  /** For an RDD: the batch it belongs to (the time foreachRDD gets), so a re-run of that batch writes once. Default: a new id per call (task retries within the call write once). */
  readonly batchTime?: number | undefined;
  /** Called on the worker as the partition is written (see PostgresProgress); an exception it throws fails the task, as any failure at that point would. */
  readonly onProgress?: ((p: PostgresProgress) => void | Promise<void>) | undefined;
  /**
   * How long a partition's write waits for a server that went away to take connections
   * again (it was reached before in this job thread, or by an earlier batch of this DStream
   * output, or it answers that it is shutting down or starting up) before its task fails
   * (default 30,000 ms; 0: fail at once). A server never reached fails the task at once.
   */
  readonly reconnectTimeoutMs?: number | undefined;
  /**
   * How long each statement of the write (and a connection's handshake, up to 10 s) waits for
   * the server's answer before the attempt fails and its connection is dropped, which rolls
   * its transaction back (default 120,000 ms; 0: no limit, Spark's JDBC `queryTimeout`
   * default, where a server that stops answering holds the write for ever). A server reached
   * before that stops answering is then waited for as one that went away (reconnectTimeoutMs).
   */
  readonly queryTimeoutMs?: number | undefined;
  /**
   * How long the server keeps a partition's transaction open while its session sends nothing
   * (PostgreSQL's idle_in_transaction_session_timeout, set for the sink's sessions) before it
   * ends the session, which rolls the transaction back (default 60,000 ms; 0: no limit, the
   * server's own setting). A worker stopped mid-write (SIGSTOP, a paused container or VM, a
   * host that froze) keeps its connection open, and its transaction holds the partition's
   * marker row: the attempt run again elsewhere waits on that row until this ends it, so a
   * frozen worker delays its partition by at most about this long. Raise it when computing
   * `batchSize` records of a partition (or onProgress) takes longer: the attempt then fails
   * naming this option.
   */
  readonly idleInTransactionTimeoutMs?: number | undefined;
}

export interface PostgresSinkParams {
  readonly connectionString: string;
  readonly table: string;
  readonly columns: readonly string[];
  readonly conflictKey: readonly string[] | undefined;
  readonly method: 'copy' | 'insert';
  readonly outputId: string;
  readonly batchSize: number;
  readonly markerTable: string;
  readonly poolSize: number;
  readonly onProgress: ((p: PostgresProgress) => void | Promise<void>) | undefined;
  readonly reconnectTimeoutMs: number;
  /** 0: no limit. */
  readonly queryTimeoutMs: number;
  /** 0: no limit (the server's setting). */
  readonly idleInTransactionTimeoutMs: number;
  /**
   * An earlier batch of this DStream output wrote through the server (set by the driver per
   * batch): a refused connection is then the server restarting, waited for, even in a job
   * thread that never reached it (a worker that joined since).
   */
  readonly reachedBefore?: boolean;
}

const OP = 'saveToPostgres';

// SaveToPostgresOptions' keys, spelt out so the compiler says when the interface gains one.
const OPTION_KEYS: Record<keyof SaveToPostgresOptions, true> = {
  connectionString: true,
  table: true,
  columns: true,
  conflictKey: true,
  method: true,
  outputId: true,
  batchSize: true,
  markerTable: true,
  poolSize: true,
  batchTime: true,
  onProgress: true,
  reconnectTimeoutMs: true,
  queryTimeoutMs: true,
  idleInTransactionTimeoutMs: true,
};

const CONNECTION = "{ connectionString: 'postgres://user:password@host:5432/database' }";
/** Spark's JDBC connection options, which saveToPostgres and postgresRDD alike have as the connection string. */
export const JDBC_CONNECTION_NAMES: Readonly<Record<string, string>> = {
  url: CONNECTION,
  user: CONNECTION,
  password: CONNECTION,
  driver: 'nothing to set: the pg client is built in',
};
/** Spark's JDBC data source options a user may give as saveToPostgres options, and the option each is here. */
const SPARK_NAMES: Readonly<Record<string, string>> = {
  ...JDBC_CONNECTION_NAMES,
  dbtable: '{ table: N }',
  batchsize: '{ batchSize: N }',
  queryTimeout: '{ queryTimeoutMs: N × 1000 } (milliseconds, where Spark takes seconds)',
  numPartitions: "the RDD's partitions: a partition is written by one connection (rdd.coalesce(N) for fewer)",
};

function bad(setting: string, got: unknown, fix: string): SluiceError {
  return new SluiceError('SLUICE_BAD_ARGUMENT', `${OP}: ${setting}: got ${got === undefined ? 'nothing' : JSON.stringify(got)}; ${fix}`);
}

const isName = (s: unknown): s is string => typeof s === 'string' && s.trim() !== '';

/** The connection string without its password, for messages. */
export function redact(connectionString: string): string {
  return connectionString.replace(/^([a-z]+:\/\/[^:/@]*):[^@]*@/i, '$1:***@');
}

export function postgresSinkParams(options: SaveToPostgresOptions): PostgresSinkParams {
  if (options === null || typeof options !== 'object') throw bad('options', options, 'give { connectionString, table, columns }');
  // A key the sink does not know would be taken and ignored (a misspelt option, Spark's JDBC dbtable).
  refuseUnknownOptions(options, OPTION_KEYS, `${OP}(target, options)`, SPARK_NAMES);
  const { connectionString, table, columns, conflictKey } = options;
  if (!isName(connectionString) || !/^postgres(ql)?:\/\//.test(connectionString)) throw bad('connectionString', connectionString === undefined ? undefined : redact(String(connectionString)), "give 'postgres://user:password@host:5432/database'");
  if (!isName(table)) throw bad('table', table, 'give the name of an existing table');
  if (!Array.isArray(columns) || columns.length === 0 || !columns.every(isName)) throw bad('columns', columns, "give the table's columns the records fill, e.g. ['word', 'n']");
  if (new Set(columns).size !== columns.length) throw bad('columns', columns, 'name each column once');
  if (conflictKey !== undefined) {
    if (!Array.isArray(conflictKey) || conflictKey.length === 0 || !conflictKey.every(isName)) throw bad('conflictKey', conflictKey, "give the columns of a unique index, e.g. ['word']");
    const missing = conflictKey.filter((k) => !columns.includes(k));
    if (missing.length > 0) throw bad('conflictKey', conflictKey, `${missing.map((m) => `'${m}'`).join(', ')} must be among columns ${JSON.stringify(columns)}`);
  }
  const method = options.method ?? 'copy';
  if (method !== 'copy' && method !== 'insert') throw bad('method', options.method, "give 'copy' or 'insert'");
  const outputId = options.outputId ?? table;
  if (!isName(outputId)) throw bad('outputId', options.outputId, 'give a name for this output, the same when the job is restarted');
  const batchSize = options.batchSize ?? 1000;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw bad('batchSize', options.batchSize, 'give a whole number of rows >= 1');
  const markerTable = options.markerTable ?? 'sluice_output_markers';
  if (!isName(markerTable)) throw bad('markerTable', options.markerTable, 'give a table name (it is created if missing)');
  const poolSize = options.poolSize ?? 2;
  if (!Number.isSafeInteger(poolSize) || poolSize < 1) throw bad('poolSize', options.poolSize, 'give a whole number of connections >= 1');
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') throw bad('onProgress', typeof options.onProgress, 'give a function or nothing');
  const reconnectTimeoutMs = options.reconnectTimeoutMs ?? 30_000;
  if (!Number.isSafeInteger(reconnectTimeoutMs) || reconnectTimeoutMs < 0) throw bad('reconnectTimeoutMs', options.reconnectTimeoutMs, 'give a whole number of milliseconds >= 0');
  const queryTimeoutMs = options.queryTimeoutMs ?? 120_000;
  if (!Number.isSafeInteger(queryTimeoutMs) || queryTimeoutMs < 0) throw bad('queryTimeoutMs', options.queryTimeoutMs, 'give a whole number of milliseconds >= 0 (0: no limit)');
  const idleInTransactionTimeoutMs = options.idleInTransactionTimeoutMs ?? 60_000;
  if (!Number.isSafeInteger(idleInTransactionTimeoutMs) || idleInTransactionTimeoutMs < 0) throw bad('idleInTransactionTimeoutMs', options.idleInTransactionTimeoutMs, 'give a whole number of milliseconds >= 0 (0: no limit)');
  return { connectionString, table, columns: [...columns], conflictKey: conflictKey ? [...conflictKey] : undefined, method, outputId, batchSize, markerTable, poolSize, onProgress: options.onProgress, reconnectTimeoutMs, queryTimeoutMs, idleInTransactionTimeoutMs };
}
