import net from 'node:net';
import { SluiceError, refuseUnknownOptions } from '@sluice/core';

/** TLS to the brokers (Node's tls.connect options that travel as plain data). */
export interface KafkaSsl {
  readonly ca?: string | readonly string[] | undefined;
  readonly cert?: string | undefined;
  readonly key?: string | undefined;
  readonly passphrase?: string | undefined;
  readonly servername?: string | undefined;
  readonly rejectUnauthorized?: boolean | undefined;
}

/** SASL authentication. */
export interface KafkaSasl {
  readonly mechanism: 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
  readonly username: string;
  readonly password: string;
}

/** How to reach a cluster; plain data, shipped to workers with the tasks that read or write. */
export interface KafkaConnection {
  /** Bootstrap brokers, `host:port`; an IPv6 address in brackets, `[::1]:9092`. */
  readonly brokers: readonly string[];
  /** Client id the brokers see (default 'sluice'). */
  readonly clientId?: string | undefined;
  /** TLS: true for the system's CAs, or options. */
  readonly ssl?: boolean | KafkaSsl | undefined;
  readonly sasl?: KafkaSasl | undefined;
  /**
   * How long a read, a write or the driver's offset lookups retry a broker that is down,
   * restarting or no longer the partition's leader before failing (default 30000 ms).
   */
  readonly retryTimeoutMs?: number | undefined;
  /**
   * How long one request to a broker (metadata, offsets, a fetch, a produce) waits for its
   * answer before it fails (Kafka's request.timeout.ms; default 30000 ms). A broker that
   * accepts connections but does not answer (hung, paused, overloaded) fails a call after
   * this (times the client's 3 retries), not after the default's 30 s each.
   */
  readonly requestTimeoutMs?: number | undefined;
}

/** Where partitions without a committed offset in the group start ('none': nowhere, an error, as auto.offset.reset=none). */
export type StartingOffsets = 'latest' | 'earliest' | 'none' | { readonly [topic: string]: { readonly [partition: number]: number } };

export interface DirectStreamOptions extends KafkaConnection {
  /** Topics to read; or `topicPattern`. */
  readonly topics?: readonly string[] | undefined;
  /** Every topic whose name matches (checked at each batch: new topics are picked up). */
  readonly topicPattern?: RegExp | string | undefined;
  /** Exactly these partitions (Spark's ConsumerStrategies.Assign): partitions added to their topics are not read. Or `topics` / `topicPattern`. */
  readonly assign?: readonly { readonly topic: string; readonly partition: number }[] | undefined;
  /** The consumer group whose committed offsets the stream starts from and `commitAsync` writes. */
  readonly groupId: string;
  /**
   * Partitions with no committed offset in the group start here: 'latest' (default, as
   * Kafka's auto.offset.reset), 'earliest', 'none' (the stream fails at its first batch
   * naming them, as auto.offset.reset=none), or per topic and partition (these win over
   * committed offsets, as Spark's ConsumerStrategies offsets do). A partition that
   * appears while the stream runs starts at its earliest offset.
   */
  readonly startingOffsets?: StartingOffsets | undefined;
  /**
   * Where partitions with neither a committed offset nor one given in `startingOffsets`
   * start, when `startingOffsets` gives offsets per partition (Spark's auto.offset.reset
   * beside the strategies' offsets, e.g. Subscribe(topics, { auto.offset.reset: earliest },
   * offsets)): 'latest' (default), 'earliest', or 'none' (the stream fails at its first
   * batch naming them). With `startingOffsets` a string, that string is the reset and
   * this option may only repeat it.
   */
  readonly autoOffsetReset?: 'latest' | 'earliest' | 'none' | undefined;
  /**
   * At most this many records per partition per second of batch interval (Spark's
   * spark.streaming.kafka.maxRatePerPartition; 0, Spark's default, is no limit); or a function
   * giving each partition its own (Spark's PerPartitionConfig), called on the driver at each
   * batch, answering a number >= 0. As Spark's, a partition answered 0 has no rate of its own:
   * under backpressure its share is not capped; without, it is unlimited when every partition
   * answers 0, else it takes minRatePerPartition records a batch.
   */
  readonly maxRatePerPartition?: (number | ((topic: string, partition: number) => number)) | undefined;
  /**
   * When the batch is rate-limited (maxRatePerPartition or backpressure), each partition
   * still gets at least this many records per batch if it has them (Spark's
   * spark.streaming.kafka.minRatePerPartition; default 1).
   */
  readonly minRatePerPartition?: number | undefined;
}

/** What a worker needs to connect (normalized, plain JSON). */
export interface ConnectionParams {
  readonly brokers: string[];
  readonly clientId: string;
  readonly ssl: KafkaSsl | null;
  readonly sasl: KafkaSasl | null;
  readonly retryTimeoutMs: number;
  readonly requestTimeoutMs: number;
}

/** A request's timeout when the user gives none (Kafka's request.timeout.ms default, and @platformatic/kafka's). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

function bad(what: string, value: unknown, fix: string): never {
  throw new SluiceError('SLUICE_BAD_ARGUMENT', `${what}: got ${JSON.stringify(value)}; ${fix}`);
}

/**
 * The fix for a broker address that is not `host:port`, in the forms users bring from Kafka's
 * own settings: a listener with its scheme (`PLAINTEXT://host:9092`, `kafka://...`), a host
 * without its port, Kafka's comma-separated bootstrap.servers in one string.
 */
function brokerFix(b: unknown): string {
  const plain = "write it as 'host:port', e.g. 'localhost:9092' (an IPv6 address in brackets: '[::1]:9092')";
  if (typeof b !== 'string') return plain;
  // An IPv6 address without brackets: alone, or with a port after it (whose colon cannot be told
  // from the address's own when the rest is an address too: both readings are named).
  if (net.isIPv6(b)) {
    const cut = b.lastIndexOf(':');
    const head = b.slice(0, cut);
    const asPort = /^\d+$/.test(b.slice(cut + 1)) && net.isIPv6(head) ? ` (or '[${head}]:${b.slice(cut + 1)}' if ${b.slice(cut + 1)} is the port)` : '';
    return `an IPv6 address goes in brackets before its port: '[${b}]:9092'${asPort}`;
  }
  const v6port = /^(.*):(\d+)$/.exec(b);
  if (v6port && !v6port[1]!.startsWith('[') && net.isIPv6(v6port[1]!)) return `an IPv6 address goes in brackets before its port: '[${v6port[1]}]:${v6port[2]}'`;
  const port = brokerPort(b);
  if (port !== undefined && !(port >= 1 && port <= 65535)) return `a port is a number from 1 to 65535 (Kafka's default is 9092)`;
  const list = b.split(',').map((x) => x.trim()).filter((x) => x !== '');
  if (list.length > 1) return `give each broker as its own element: brokers: [${list.map((x) => `'${x}'`).join(', ')}] (Kafka's bootstrap.servers is one comma-separated string; brokers is a list)`;
  const scheme = /^([a-z][a-z0-9+.-]*):\/\/([^/\s]+)\/?$/i.exec(b);
  if (scheme) return `write it without the scheme, as 'host:port': '${scheme[2]}'${/:\d+$/.test(scheme[2]!) ? '' : ` with its port (Kafka's default is 9092)`} (the security protocol is the ssl and sasl options, not part of the address)`;
  if (/^[\w.-]+$/.test(b)) return `add the broker's port: '${b}:9092' (Kafka's default port is 9092)`;
  return plain;
}

/** The port of `host:port` or `[v6]:port`, undefined for another form. */
function brokerPort(b: string): number | undefined {
  const m = /^(?:\[[^\]\s]+\]|[^:\s\[\]]+):(\d+)$/.exec(b);
  return m ? Number(m[1]) : undefined;
}

/**
 * A broker address as the client library takes it: `host:port`, or `[v6]:port` for an IPv6
 * address (whose colons @platformatic/kafka's own `host:port` split would cut), or undefined
 * when it is neither, or its port is not 1 to 65535.
 */
export function parseBrokerAddress(b: unknown): { readonly host: string; readonly port: number } | undefined {
  if (typeof b !== 'string') return undefined;
  const m = /^(?:\[([^\]\s]+)\]|([^:\s\[\]]+)):(\d+)$/.exec(b);
  if (!m) return undefined;
  const host = m[1] ?? m[2]!;
  const port = Number(m[3]);
  if (m[1] !== undefined && !net.isIPv6(host)) return undefined;
  return port >= 1 && port <= 65535 ? { host, port } : undefined;
}

export function connectionParams(op: string, c: KafkaConnection): ConnectionParams {
  if (!Array.isArray(c.brokers) || c.brokers.length === 0) bad(`${op}: brokers`, c.brokers, "give at least one broker as 'host:port'");
  for (const b of c.brokers) if (parseBrokerAddress(b) === undefined) bad(`${op}: broker address`, b, brokerFix(b));
  if (c.clientId !== undefined && (typeof c.clientId !== 'string' || c.clientId === '')) bad(`${op}: clientId`, c.clientId, 'give a non-empty string');
  if (c.retryTimeoutMs !== undefined && !(Number.isFinite(c.retryTimeoutMs) && c.retryTimeoutMs >= 0)) bad(`${op}: retryTimeoutMs`, c.retryTimeoutMs, 'give a number of milliseconds >= 0');
  if (c.requestTimeoutMs !== undefined && !(Number.isFinite(c.requestTimeoutMs) && c.requestTimeoutMs > 0)) bad(`${op}: requestTimeoutMs`, c.requestTimeoutMs, 'give a number of milliseconds > 0, or leave it out for 30000');
  if (c.sasl !== undefined && !['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'].includes(c.sasl.mechanism)) bad(`${op}: sasl.mechanism`, c.sasl.mechanism, "use 'PLAIN', 'SCRAM-SHA-256' or 'SCRAM-SHA-512'");
  return {
    brokers: [...c.brokers],
    clientId: c.clientId ?? 'sluice',
    ssl: c.ssl === true ? {} : c.ssl ? { ...c.ssl } : null,
    sasl: c.sasl ? { ...c.sasl } : null,
    retryTimeoutMs: c.retryTimeoutMs ?? 30_000,
    requestTimeoutMs: c.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
  };
}

// DirectStreamOptions' keys, spelt out so the compiler says when the interface gains one.
const STREAM_OPTION_KEYS: Record<keyof DirectStreamOptions, true> = {
  brokers: true,
  clientId: true,
  ssl: true,
  sasl: true,
  retryTimeoutMs: true,
  requestTimeoutMs: true,
  topics: true,
  topicPattern: true,
  assign: true,
  groupId: true,
  startingOffsets: true,
  autoOffsetReset: true,
  maxRatePerPartition: true,
  minRatePerPartition: true,
};

/** Spark's names (its configuration keys, Kafka's consumer properties) a user may give as options, and the option each is here. */
const SPARK_STREAM_OPTIONS: Readonly<Record<string, string>> = {
  'spark.streaming.kafka.maxRatePerPartition': '{ maxRatePerPartition: N }',
  'spark.streaming.kafka.minRatePerPartition': '{ minRatePerPartition: N }',
  'spark.streaming.kafka.maxRetries': '{ retryTimeoutMs: MS } (how long offset lookups retry a broker, not how many times)',
  'bootstrap.servers': '{ brokers: [N] }',
  'group.id': '{ groupId: N }',
  'auto.offset.reset': '{ autoOffsetReset: N }',
  'client.id': '{ clientId: N }',
  'request.timeout.ms': '{ requestTimeoutMs: N }',
};

export function validateStreamOptions(o: DirectStreamOptions): void {
  const op = 'KafkaUtils.createDirectStream';
  // A key the stream does not know would be taken and ignored (a Spark key, a misspelling).
  refuseUnknownOptions(o, STREAM_OPTION_KEYS, op, SPARK_STREAM_OPTIONS);
  if (typeof o.groupId !== 'string' || o.groupId === '') bad(`${op}: groupId`, o.groupId, 'give the consumer group the stream commits to');
  const given = [o.topics !== undefined, o.topicPattern !== undefined, o.assign !== undefined].filter(Boolean).length;
  if (given !== 1) bad(`${op}: topics / topicPattern / assign`, { topics: o.topics, topicPattern: o.topicPattern === undefined ? undefined : String(o.topicPattern), assign: o.assign }, 'give exactly one of them');
  const hasTopics = o.topics !== undefined;
  if (o.assign !== undefined) {
    const ok = Array.isArray(o.assign) && o.assign.length > 0 && o.assign.every((a) => typeof a?.topic === 'string' && a.topic !== '' && Number.isSafeInteger(a.partition) && a.partition >= 0);
    if (!ok) bad(`${op}: assign`, o.assign, "give a non-empty list of { topic, partition } with partition >= 0, e.g. [{ topic: 'events', partition: 0 }]");
    const keys = o.assign.map((a) => `${a.topic}/${a.partition}`);
    const dup = keys.find((k, i) => keys.indexOf(k) !== i);
    if (dup !== undefined) bad(`${op}: assign`, dup, 'name each partition once');
  }
  if (hasTopics && (!Array.isArray(o.topics) || o.topics.length === 0 || o.topics.some((t) => typeof t !== 'string' || t === ''))) bad(`${op}: topics`, o.topics, 'give a non-empty list of topic names');
  const maxRate = o.maxRatePerPartition;
  if (maxRate !== undefined && typeof maxRate !== 'function' && !(Number.isFinite(maxRate) && maxRate >= 0)) bad(`${op}: maxRatePerPartition`, maxRate, 'give records per second > 0, a function (topic, partition) => records per second, or 0 or leave it out for no limit');
  if (o.minRatePerPartition !== undefined && !(Number.isSafeInteger(o.minRatePerPartition) && o.minRatePerPartition >= 1)) bad(`${op}: minRatePerPartition`, o.minRatePerPartition, 'give a whole number of records per partition per batch >= 1, or leave it out for 1');
  const so = o.startingOffsets;
  const reset = o.autoOffsetReset;
  if (reset !== undefined && reset !== 'latest' && reset !== 'earliest' && reset !== 'none') bad(`${op}: autoOffsetReset`, reset, "use 'latest', 'earliest' or 'none'");
  if (reset !== undefined && typeof so === 'string' && so !== reset) {
    bad(`${op}: autoOffsetReset`, reset, `startingOffsets '${so}' already says where partitions without a committed offset start; leave autoOffsetReset out, or give startingOffsets per partition ({ topic: { partition: offset } }) with autoOffsetReset for the rest`);
  }
  if (so !== undefined && so !== 'latest' && so !== 'earliest' && so !== 'none') {
    if (typeof so !== 'object' || so === null) bad(`${op}: startingOffsets`, so, "use 'latest', 'earliest', 'none' or { topic: { partition: offset } }");
    for (const [t, parts] of Object.entries(so)) {
      for (const [p, off] of Object.entries(parts)) {
        if (!/^\d+$/.test(p) || !Number.isSafeInteger(off) || off < 0) bad(`${op}: startingOffsets['${t}'][${p}]`, off, 'give a partition number and an offset >= 0');
      }
    }
  }
}

/** A platformatic client's connection options. */
export function clientOptions(c: ConnectionParams) {
  return {
    clientId: c.clientId,
    // As { host, port }: the library splits a string at its first ':', which cuts an IPv6 address.
    bootstrapBrokers: c.brokers.map((b) => parseBrokerAddress(b)!),
    ...(c.ssl ? { tls: { ...c.ssl, ca: c.ssl.ca as string | string[] | undefined } } : {}),
    ...(c.sasl ? { sasl: { mechanism: c.sasl.mechanism, username: c.sasl.username, password: c.sasl.password } } : {}),
    retries: 3,
    retryDelay: 100,
    connectTimeout: 5000,
    // The connection pool takes it from the client's options (the library's default is
    // 30 s whatever `timeout` says: `timeout` is what the broker is told to wait).
    requestTimeout: c.requestTimeoutMs,
  };
}
