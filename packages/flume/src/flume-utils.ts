import { SluiceError, type DStream, type StreamingContext } from '@sluice/core';
import type { SparkFlumeEvent } from './flume-event.js';
import { DEFAULT_MAX_BATCH_BYTES, STORAGE_LEVELS, type FlumeStreamOptions, type ReceiverStorageLevel, type ResolvedFlumeOptions } from './flume-options.js';
import { FlumeReceiver } from './flume-receiver.js';

function bad(where: string, setting: string, value: unknown, fix: string): SluiceError {
  return new SluiceError('SLUICE_BAD_ARGUMENT', `${where}: ${setting} ${JSON.stringify(value) ?? String(value)} is not valid: ${fix}`);
}

function resolve(hostname: string, port: number, o: FlumeStreamOptions): ResolvedFlumeOptions {
  const where = `FlumeUtils.createStream(${String(hostname)}:${String(port)})`;
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
function createStream(ssc: StreamingContext, hostname: string, port: number, storageLevel: ReceiverStorageLevel, enableDecompression?: boolean): DStream<SparkFlumeEvent>;
function createStream(ssc: StreamingContext, hostname: string, port: number, options: FlumeStreamOptions | ReceiverStorageLevel = {}, enableDecompression?: boolean): DStream<SparkFlumeEvent> {
  if (typeof options !== 'string' && enableDecompression !== undefined) {
    throw bad(`FlumeUtils.createStream(${String(hostname)}:${String(port)})`, 'enableDecompression', enableDecompression, 'with an options object give it there ({ enableDecompression: true }), or pass the storage level name before it as Spark does');
  }
  const o: FlumeStreamOptions = typeof options === 'string' ? { storageLevel: options, ...(enableDecompression === undefined ? {} : { enableDecompression }) } : options;
  const resolved = resolve(hostname, port, o);
  return ssc.receiverStream(new FlumeReceiver(hostname, port, resolved), `FlumeUtils.createStream(${hostname}:${port})`);
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
 * Spark's pull-based approach (FlumeUtils.createPollingStream with the SparkSink jar in
 * the agent) is not provided.
 */
export const FlumeUtils = {
  createStream,
};
