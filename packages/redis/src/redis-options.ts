import { SluiceError, refuseUnknownOptions } from '@sluice/core';

export type RedisKind = 'counter' | 'hash' | 'sortedSet';

/** What the sink says on the worker as it writes a partition (tests use it to fail a task at that point). */
export interface RedisProgress {
  /** 'queued': `commands` of the partition were sent inside its MULTI (not applied yet); 'applied': EXEC applied them with the marker. */
  readonly stage: 'queued' | 'applied';
  readonly outputId: string;
  /** The batch time, or for an RDD without `batchTime` the id of that saveToRedis call. */
  readonly batch: string;
  readonly partition: number;
  readonly commands: number;
}

export interface SaveToRedisOptions<T> {
  /** `redis://[[user]:password@]host:port[/db]` (rediss:// for TLS). */
  readonly url: string;
  /**
   * 'counter': INCRBY key by `value` (HINCRBY key field with a `field`); 'hash': HSET key
   * field value; 'sortedSet': ZADD key score member (ZINCRBY with `increment: true`).
   */
  readonly kind: RedisKind;
  /** The Redis key: one for every record, or a function of the record. */
  readonly key: string | ((record: T) => string);
  /** counter: the hash field to HINCRBY (default: none, INCRBY the key). hash: the field (default: record[0] of a pair). */
  readonly field?: ((record: T) => string) | undefined;
  /** counter: the increment (default: record[1] of a pair, else 1; an integer uses INCRBY, another number INCRBYFLOAT). hash: the value (default: record[1]). */
  readonly value?: ((record: T) => number | string) | undefined;
  /** sortedSet: the member (default: record[0] of a pair). */
  readonly member?: ((record: T) => string) | undefined;
  /** sortedSet: the score (default: record[1] of a pair). */
  readonly score?: ((record: T) => number) | undefined;
  /** sortedSet: add the score to the member's (ZINCRBY) instead of setting it (ZADD). */
  readonly increment?: boolean | undefined;
  /**
   * Names this output in its marker keys `sluice:output:{outputId}:{batch}:{partition}`.
   * Default: `${kind}:${key}` for a string key; required with a key function. Keep it when
   * the job is restarted; two outputs writing at the same batch times need distinct ones.
   */
  readonly outputId?: string | undefined;
  /** Commands per round trip (default 1000). */
  readonly chunkSize?: number | undefined;
  /** How long a marker key lives, in seconds (default 86400): a re-run later than that applies again. */
  readonly markerTtlSeconds?: number | undefined;
  /**
   * Seconds each key the output writes lives after the last partition that wrote it
   * (EXPIRE in that partition's transaction), as spark-redis's `ttl`: per-batch keys
   * (`key: 'window:' + time`) then go away by themselves. Default 0: keys never expire.
   */
  readonly ttlSeconds?: number | undefined;
  /** For an RDD: the batch it belongs to (the time foreachRDD gets). Default: a new id per call. */
  readonly batchTime?: number | undefined;
  /** Called on the worker as the partition is written (see RedisProgress); an exception it throws fails the task. */
  readonly onProgress?: ((p: RedisProgress) => void | Promise<void>) | undefined;
  /**
   * How long a partition's write waits for a server that went away to take connections
   * again (it was reached before in this job thread, or by an earlier batch of this DStream
   * output, or it answers that it is loading its data) before its task fails (default
   * 30,000 ms; 0: fail at once). A server never reached fails the task at once.
   */
  readonly reconnectTimeoutMs?: number | undefined;
  /**
   * How long a command (and a connection's handshake) waits for the server's answer before
   * the connection is dropped (default 10,000 ms; 0: no limit, a server that stops answering
   * holds the write for ever). spark-redis's `timeout` (Jedis's socket timeout, 2,000 ms).
   * A server reached before that stops answering is then waited for as one that went away
   * (reconnectTimeoutMs); the partition's marker keeps a re-run from applying it twice.
   */
  readonly commandTimeoutMs?: number | undefined;
}

/** The settings without functions (functions travel to the workers as variables of their own). */
export interface RedisSinkParams {
  readonly url: string;
  readonly kind: RedisKind;
  /** The key when it is a string. */
  readonly key: string | undefined;
  readonly increment: boolean;
  readonly outputId: string;
  readonly chunkSize: number;
  readonly markerTtlSeconds: number;
  /** 0: written keys do not expire. */
  readonly ttlSeconds: number;
  readonly reconnectTimeoutMs: number;
  /** 0: no limit. */
  readonly commandTimeoutMs: number;
  /**
   * An earlier batch of this DStream output wrote through the server (set by the driver per
   * batch): a refused connection is then the server restarting, waited for, even in a job
   * thread that never reached it (a worker that joined since).
   */
  readonly reachedBefore?: boolean;
}

/** The record functions, defaults filled in. */
export interface RedisRecordFunctions<T> {
  readonly key: ((record: T) => string) | undefined;
  readonly field: ((record: T) => string) | undefined;
  readonly value: ((record: T) => number | string) | undefined;
  readonly member: ((record: T) => string) | undefined;
  readonly score: ((record: T) => number) | undefined;
  readonly onProgress: ((p: RedisProgress) => void | Promise<void>) | undefined;
}

const OP = 'saveToRedis';

// SaveToRedisOptions' keys, spelt out so the compiler says when the interface gains one.
const OPTION_KEYS: Record<keyof SaveToRedisOptions<unknown>, true> = {
  url: true,
  kind: true,
  key: true,
  field: true,
  value: true,
  member: true,
  score: true,
  increment: true,
  outputId: true,
  chunkSize: true,
  markerTtlSeconds: true,
  ttlSeconds: true,
  batchTime: true,
  onProgress: true,
  reconnectTimeoutMs: true,
  commandTimeoutMs: true,
};

const IN_URL = "url: 'redis://[[user]:password@]host:port[/db]'";
/** spark-redis's settings (its configuration keys, or their last part) a user may give as options, and where each is here. */
const SPARK_NAMES: Readonly<Record<string, string>> = {
  'spark.redis.host': IN_URL,
  'spark.redis.port': IN_URL,
  'spark.redis.auth': IN_URL,
  'spark.redis.db': IN_URL,
  host: IN_URL,
  port: IN_URL,
  auth: IN_URL,
  password: IN_URL,
  db: IN_URL,
  dbNum: IN_URL,
  'spark.redis.timeout': '{ commandTimeoutMs: N } (how long a command waits for an answer; reconnectTimeoutMs: how long a write waits for a server that went away)',
  ttl: '{ ttlSeconds: N } (each key the output writes expires N seconds after its last write)',
  timeout: '{ commandTimeoutMs: N } (how long a command waits for an answer; reconnectTimeoutMs: how long a write waits for a server that went away)',
};
const KINDS: readonly RedisKind[] = ['counter', 'hash', 'sortedSet'];

function bad(setting: string, got: unknown, fix: string): SluiceError {
  return new SluiceError('SLUICE_BAD_ARGUMENT', `${OP}: ${setting}: got ${got === undefined ? 'nothing' : JSON.stringify(got)}; ${fix}`);
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/^(rediss?:\/\/[^:/@]*):[^@]*@/i, '$1:***@');
}

export function redisSinkParams<T>(options: SaveToRedisOptions<T>): { params: RedisSinkParams; fns: RedisRecordFunctions<T> } {
  if (options === null || typeof options !== 'object') throw bad('options', options, "give { url, kind, key }");
  // A key the sink does not know would be taken and ignored (a misspelt option, spark-redis's host).
  refuseUnknownOptions(options, OPTION_KEYS, `${OP}(target, options)`, SPARK_NAMES);
  const { url, kind, key } = options;
  if (typeof url !== 'string' || !/^rediss?:\/\/./.test(url)) throw bad('url', typeof url === 'string' ? redactUrl(url) : url, "give 'redis://[:password@]host:6379[/db]'");
  // A port out of range failed only in each task's connect (Node's "Port should be >= 0 and < 65536").
  const port = /^rediss?:\/\/(?:[^@/?#]*@)?(?:\[[^\]]*\]|[^:/?#]*):([^/?#]*)/i.exec(url)?.[1];
  if (port !== undefined && port !== '' && !(/^\d{1,5}$/.test(port) && Number(port) >= 1 && Number(port) <= 65535)) {
    throw bad('url', redactUrl(url), `the port '${port}' is not a port; give a whole number from 1 to 65535 after the host ('redis://host:6379', Redis's default port)`);
  }
  // ioredis reads the path as the database index and takes anything else as database 0.
  const path = /^rediss?:\/\/[^/?#]*(\/[^?#]*)?/i.exec(url)?.[1] ?? '';
  if (!/^(\/(\d{1,9})?)?$/.test(path)) throw bad('url', redactUrl(url), `the path '${path}' is not a database index; give the index as a whole number after the port ('redis://host:6379/2'), or no path for database 0`);
  if (!KINDS.includes(kind)) throw bad('kind', kind, "give 'counter', 'hash' or 'sortedSet'");
  if (!(typeof key === 'string' && key !== '') && typeof key !== 'function') throw bad('key', typeof key === 'function' ? 'a function' : key, 'give a key name or a function from a record to its key');
  for (const f of ['field', 'value', 'member', 'score', 'onProgress'] as const) {
    if (options[f] !== undefined && typeof options[f] !== 'function') throw bad(f, options[f], 'give a function of the record, or nothing');
  }
  if (kind !== 'sortedSet' && (options.member !== undefined || options.score !== undefined || options.increment !== undefined)) {
    throw bad(options.member !== undefined ? 'member' : options.score !== undefined ? 'score' : 'increment', 'a setting', `it is for kind 'sortedSet', not '${kind}'; use field and value`);
  }
  if (kind === 'sortedSet' && (options.field !== undefined || options.value !== undefined)) {
    throw bad(options.field !== undefined ? 'field' : 'value', 'a setting', "kind 'sortedSet' takes member and score");
  }
  const outputId = options.outputId ?? (typeof key === 'string' ? `${kind}:${key}` : undefined);
  if (typeof outputId !== 'string' || outputId === '') throw bad('outputId', options.outputId, 'give a name for this output (required when key is a function), the same when the job is restarted');
  const chunkSize = options.chunkSize ?? 1000;
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 1) throw bad('chunkSize', options.chunkSize, 'give a whole number of commands >= 1');
  const markerTtlSeconds = options.markerTtlSeconds ?? 86_400;
  if (!Number.isSafeInteger(markerTtlSeconds) || markerTtlSeconds < 1) throw bad('markerTtlSeconds', options.markerTtlSeconds, 'give a whole number of seconds >= 1');
  const ttlSeconds = options.ttlSeconds ?? 0;
  if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds < 0) throw bad('ttlSeconds', options.ttlSeconds, 'give a whole number of seconds >= 0 (0: keys never expire)');
  const reconnectTimeoutMs = options.reconnectTimeoutMs ?? 30_000;
  if (!Number.isSafeInteger(reconnectTimeoutMs) || reconnectTimeoutMs < 0) throw bad('reconnectTimeoutMs', options.reconnectTimeoutMs, 'give a whole number of milliseconds >= 0');
  const commandTimeoutMs = options.commandTimeoutMs ?? 10_000;
  if (!Number.isSafeInteger(commandTimeoutMs) || commandTimeoutMs < 0) throw bad('commandTimeoutMs', options.commandTimeoutMs, 'give a whole number of milliseconds >= 0 (0: no limit)');
  return {
    params: { url, kind, key: typeof key === 'string' ? key : undefined, increment: options.increment === true, outputId, chunkSize, markerTtlSeconds, ttlSeconds, reconnectTimeoutMs, commandTimeoutMs },
    fns: {
      key: typeof key === 'function' ? key : undefined,
      field: options.field,
      value: options.value,
      member: options.member,
      score: options.score,
      onProgress: options.onProgress,
    },
  };
}
