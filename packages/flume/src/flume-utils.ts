import { SluiceError, StorageLevel, refuseUnknownOptions, type DStream, type StreamingContext } from '@sluice/core';
import type { SparkFlumeEvent } from './flume-event.js';
import { DEFAULT_MAX_BATCH_BYTES, STORAGE_LEVELS, type FlumeStreamOptions, type ReceiverStorageLevel, type ResolvedFlumeOptions } from './flume-options.js';
import { FlumeReceiver } from './flume-receiver.js';
import { FlumePollingReceiver, type ResolvedPollingOptions } from './flume-polling-receiver.js';

function bad(where: string, setting: string, value: unknown, fix: string): SluiceError {
  return new SluiceError('SLUICE_BAD_ARGUMENT', `${where}: ${setting} ${JSON.stringify(value) ?? String(value)} is not valid: ${fix}`);
}

// Each options interface's keys, spelt out so the compiler says when one gains a key.
const STREAM_KEYS: Record<keyof FlumeStreamOptions, true> = { storageLevel: true, enableDecompression: true, maxBatchBytes: true };
const POLLING_KEYS: Record<keyof FlumePollingOptions, true> = { storageLevel: true, maxBatchSize: true, parallelism: true, timeoutMs: true, retryWaitMs: true };

const RECEIVER_MAX_RATE = '{ receiverMaxRate: N } on the StreamingContext (records per second per receiver)';
/** Spark's receiver settings a user may give as a Flume stream's option, and where each is here. */
const SPARK_NAMES: Readonly<Record<string, string>> = {
  'spark.streaming.receiver.maxRate': RECEIVER_MAX_RATE,
  maxRate: RECEIVER_MAX_RATE,
  receiverMaxRate: RECEIVER_MAX_RATE,
  'spark.streaming.blockInterval': '{ blockInterval: N } on the StreamingContext',
  blockInterval: '{ blockInterval: N } on the StreamingContext',
};

function resolve(hostname: string, port: number, o: FlumeStreamOptions): ResolvedFlumeOptions {
  const where = `FlumeUtils.createStream(${String(hostname)}:${String(port)})`;
  // A key the stream does not know would be taken and ignored (a misspelt option, a Spark setting).
  refuseUnknownOptions(o, STREAM_KEYS, where, SPARK_NAMES);
  if (typeof hostname !== 'string' || hostname.length === 0) throw bad(where, 'hostname', hostname, 'give the address to listen on, e.g. "0.0.0.0" (every interface of the worker)');
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw bad(where, 'port', port, 'give the port the avro sink sends to, 1..65535 (Flume examples use 41414)');
  const storageLevel = o.storageLevel ?? 'MEMORY_AND_DISK_SER_2';
  if (!STORAGE_LEVELS.includes(storageLevel)) throw bad(where, 'storageLevel', storageLevel, `use one of Spark's names (${STORAGE_LEVELS.join(', ')})`);
  const enableDecompression = o.enableDecompression ?? false;
  if (typeof enableDecompression !== 'boolean') throw bad(where, 'enableDecompression', enableDecompression, 'give true when the avro sink has compression-type = deflate, else false');
  const maxBatchBytes = o.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES;
  if (!Number.isSafeInteger(maxBatchBytes) || maxBatchBytes < 64 || maxBatchBytes > 0x7fffffff) {
    throw bad(where, 'maxBatchBytes', maxBatchBytes, 'give a whole number of bytes from 64 to 2^31 - 1 (default 64 MiB)');
  }
  return { storageLevel, enableDecompression, maxBatchBytes };
}

/**
 * The stream of events an avro sink pushes to `hostname:port` (see FlumeUtils). Options, or
 * Spark's positional form: createStream(ssc, hostname, port, storageLevel, enableDecompression).
 */
function createStream(ssc: StreamingContext, hostname: string, port: number, options?: FlumeStreamOptions): DStream<SparkFlumeEvent>;
function createStream(ssc: StreamingContext, hostname: string, port: number, storageLevel: ReceiverStorageLevel | StorageLevel, enableDecompression?: boolean): DStream<SparkFlumeEvent>;
function createStream(ssc: StreamingContext, hostname: string, port: number, given: FlumeStreamOptions | ReceiverStorageLevel | StorageLevel = {}, enableDecompression?: boolean): DStream<SparkFlumeEvent> {
  const options = levelName(given);
  if (typeof options !== 'string' && enableDecompression !== undefined) {
    throw bad(`FlumeUtils.createStream(${String(hostname)}:${String(port)})`, 'enableDecompression', enableDecompression, 'with an options object give it there ({ enableDecompression: true }), or pass the storage level name before it as Spark does');
  }
  const o: FlumeStreamOptions = typeof options === 'string' ? { storageLevel: options, ...(enableDecompression === undefined ? {} : { enableDecompression }) } : options;
  const resolved = resolve(hostname, port, o);
  // Spark's FlumeInputDStream: its base scope is its class in words, `flume stream [n]`.
  return ssc.withNamedScope('flume stream', () => ssc.receiverStream(new FlumeReceiver(hostname, port, resolved), `FlumeUtils.createStream(${hostname}:${port})`));
}

/** Options of FlumeUtils.createPollingStream. */
export interface FlumePollingOptions {
  /** See ReceiverStorageLevel: named for Spark compatibility; default MEMORY_AND_DISK_SER_2. */
  readonly storageLevel?: ReceiverStorageLevel | undefined;
  /** Events asked for by one getEventBatch (Spark's maxBatchSize; default 1000). */
  readonly maxBatchSize?: number | undefined;
  /** Fetches at a time over all the sinks (Spark's parallelism; default 5). */
  readonly parallelism?: number | undefined;
  /** A call or connection attempt taking longer drops the connection (default 30000 ms). */
  readonly timeoutMs?: number | undefined;
  /** Wait after a failure, and after an answer with no events (default 200 ms). */
  readonly retryWaitMs?: number | undefined;
}

/** A SparkSink's address: 'host:port' or { host, port } (Spark's InetSocketAddress). */
export type SparkSinkAddress = string | { readonly host: string; readonly port: number };

function resolvePolling(addresses: readonly SparkSinkAddress[], o: FlumePollingOptions): ResolvedPollingOptions {
  const where = 'FlumeUtils.createPollingStream';
  refuseUnknownOptions(o, POLLING_KEYS, where, SPARK_NAMES);
  if (!Array.isArray(addresses) || addresses.length === 0) throw bad(where, 'addresses', addresses, "give the SparkSinks' addresses, e.g. ['agent-1:9999'] or [{ host: 'agent-1', port: 9999 }]");
  const resolved = addresses.map((a) => {
    const m = typeof a === 'string' ? /^(.+):(\d+)$/.exec(a) : null;
    const host = typeof a === 'string' ? m?.[1] : a?.host;
    const port = typeof a === 'string' ? Number(m?.[2]) : a?.port;
    if (typeof host !== 'string' || host === '' || !Number.isInteger(port) || port! < 1 || port! > 65535) {
      throw bad(where, 'address', a, "write it as 'host:port' or { host, port } with a port 1..65535 (the SparkSink's port setting)");
    }
    return { host: host.replace(/^\[(.*)\]$/, '$1'), port: port! };
  });
  const storageLevel = o.storageLevel ?? 'MEMORY_AND_DISK_SER_2';
  if (!STORAGE_LEVELS.includes(storageLevel)) throw bad(where, 'storageLevel', storageLevel, `use one of Spark's names (${STORAGE_LEVELS.join(', ')})`);
  const whole = (name: string, v: unknown, dflt: number, min: number): number => {
    const n = v ?? dflt;
    if (!Number.isSafeInteger(n) || (n as number) < min) throw bad(where, name, v, `give a whole number >= ${min}`);
    return n as number;
  };
  return {
    addresses: resolved,
    maxBatchSize: whole('maxBatchSize', o.maxBatchSize, 1000, 1),
    parallelism: whole('parallelism', o.parallelism, 5, 1),
    timeoutMs: whole('timeoutMs', o.timeoutMs, 30_000, 1),
    retryWaitMs: whole('retryWaitMs', o.retryWaitMs, 200, 0),
  };
}

/**
 * The events pulled from SparkSinks in Flume agents (Spark's pull-based approach). Options,
 * or Spark's positional form: createPollingStream(ssc, addresses, storageLevel, maxBatchSize,
 * parallelism), or (ssc, hostname, port, storageLevel) for one sink.
 */
function createPollingStream(ssc: StreamingContext, addresses: readonly SparkSinkAddress[], options?: FlumePollingOptions): DStream<SparkFlumeEvent>;
function createPollingStream(ssc: StreamingContext, addresses: readonly SparkSinkAddress[], storageLevel: ReceiverStorageLevel | StorageLevel, maxBatchSize?: number, parallelism?: number): DStream<SparkFlumeEvent>;
function createPollingStream(ssc: StreamingContext, hostname: string, port: number, storageLevel?: ReceiverStorageLevel | StorageLevel): DStream<SparkFlumeEvent>;
function createPollingStream(
  ssc: StreamingContext,
  addresses: readonly SparkSinkAddress[] | string,
  givenThird?: FlumePollingOptions | ReceiverStorageLevel | StorageLevel | number,
  givenFourth?: number | ReceiverStorageLevel | StorageLevel,
  fifth?: number,
): DStream<SparkFlumeEvent> {
  const third = levelName(givenThird);
  const fourth = levelName(givenFourth);
  let list: readonly SparkSinkAddress[];
  let o: FlumePollingOptions;
  if (typeof addresses === 'string') {
    list = [{ host: addresses, port: third as number }];
    o = fourth === undefined ? {} : { storageLevel: fourth as ReceiverStorageLevel };
  } else {
    list = addresses;
    o = typeof third === 'string' ? { storageLevel: third, ...(fourth === undefined ? {} : { maxBatchSize: fourth as number }), ...(fifth === undefined ? {} : { parallelism: fifth }) } : ((third as FlumePollingOptions | undefined) ?? {});
  }
  const resolved = resolvePolling(list, o);
  // Spark's FlumePollingInputDStream: `flume polling stream [n]`.
  return ssc.withNamedScope('flume polling stream', () => ssc.receiverStream(new FlumePollingReceiver(resolved), `FlumeUtils.createPollingStream(${resolved.addresses.map((a) => `${a.host}:${a.port}`).join(',')})`));
}

/**
 * Flume input, as Spark's FlumeUtils (the push-based approach): a receiver on a worker
 * serves Flume's Avro source protocol on `hostname:port`, and a Flume agent's `avro` sink
 * pushes events to it. Each event keeps its headers and body (SparkFlumeEvent).
 *
 * Reliable: a sink's append/appendBatch is answered OK only once its events are durable
 * (replicated to a second worker, or written ahead); the sink sends again what got no
 * OK, so nothing is lost when a worker dies, and an event can come twice (at least
 * once: put an id in a header and dedupe by it where exact counts matter).
 *
 * Spark's pull-based approach: createPollingStream pulls from SparkSinks (Spark's
 * spark-streaming-flume-sink jar in the agent), acknowledging each batch once it is durable.
 */
export const FlumeUtils = {
  createStream,
  createPollingStream,
};

/**
 * A StorageLevel given where Spark's positional forms take one (`StorageLevel.MEMORY_AND_DISK_2`)
 * as its name, which the options take; anything else as given.
 */
function levelName<T>(x: T | StorageLevel): T | ReceiverStorageLevel {
  if (!(x instanceof StorageLevel)) return x;
  return STORAGE_LEVELS.find((n) => StorageLevel[n].equals(x)) ?? (String(x) as ReceiverStorageLevel);
}
