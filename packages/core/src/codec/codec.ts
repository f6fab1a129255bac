import v8 from 'node:v8';
import { copiesFresh, freshCopy } from '../util/fresh-copy.js';
import { fromWire, toWire } from './record-classes.js';

/**
 * The record codec: every record batch, task payload and block crosses process
 * boundaries as v8 structured-clone bytes. It keeps Map, Set, Date, bigint, typed
 * arrays and nested tuples intact, and is native code on both sides.
 *
 * bench/codec.js weighs it against msgpackr (with the options that keep those types)
 * and JSON: v8 is fastest on text lines, the bulk of received input and text files;
 * JSON is faster on [key, value] pairs and msgpackr on small objects, but JSON loses
 * Map, Set, Date, bigint and undefined, and after map-side combining shuffles carry few
 * pairs, so one codec that keeps every type, v8, is the choice (README has figures).
 */
export function encode(value: unknown): Buffer {
  return v8.serialize(value);
}

export function decode<T = unknown>(bytes: Uint8Array): T {
  return v8.deserialize(bytes) as T;
}

/** Records (a batch, a block, a shuffle segment): instances of the job's classes keep their class (see record-classes.ts). */
export function encodeRecords(records: unknown): Buffer {
  return v8.serialize(toWire(records));
}

export function decodeRecords<T = unknown>(bytes: Uint8Array): T {
  return fromWire<T>(v8.deserialize(bytes));
}

/**
 * Fresh deep copies of `value` (a zero value of fold, aggregate, foldByKey, aggregateByKey), as
 * Spark copies one through its serializer: instances of the job's classes keep their class,
 * which structuredClone would drop. A primitive is its own copy. The value is encoded once (what
 * cannot travel fails here, as it would in a task) and decoded once; when that decode holds
 * only data freshCopy copies as the codec would (copiesFresh), each copy is a walk of it, about
 * eight times cheaper than a decode (aggregateByKey takes one for every new key of a task).
 */
export function copier<T>(value: T): () => T {
  if (typeof value !== 'object' || value === null) return () => value;
  const bytes = encodeRecords(value);
  // Decoded once here: a value still in its wire form (a plan's zero decoded where no job
  // bundle is loaded, its class instances tagged) becomes what this thread's decode makes.
  const snapshot = decodeRecords<T>(bytes);
  if (!copiesFresh(snapshot)) return () => decodeRecords<T>(bytes);
  return () => freshCopy(snapshot) as T;
}

/** Split a buffer into chunks of at most `size` bytes, for streaming over gRPC. */
export function* chunks(buf: Uint8Array, size = 1 << 20): Generator<Uint8Array> {
  if (buf.length === 0) {
    yield buf;
    return;
  }
  for (let off = 0; off < buf.length; off += size) yield buf.subarray(off, Math.min(buf.length, off + size));
}
