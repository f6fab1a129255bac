import { SluiceError } from '../errors.js';
import { decodeRecords, encodeRecords } from './codec.js';

/**
 * A cached partition's records encoded in chunks (persist, cache): RECORD_CHUNK records a
 * chunk, each chunk encoded as encodeRecords would encode it alone, so a task that reads the
 * block back decodes one chunk at a time and hands its records on before decoding the next.
 * A partition decoded whole (one v8.deserialize of 200,000 parsed log lines) holds every
 * record alive until the last is emitted: the young generation's collections copy them all
 * and promote them, and the old generation's collections then free them; decoded a chunk at a
 * time, records a task does not keep die young. bench/batch-actions.js (14 actions over a
 * 150 MB cached RDD): the task threads spent more time in the collector than in decoding.
 *
 * Layout: CHUNKS_TAG, the chunk count (uint32 LE), then each chunk as its byte length (uint32
 * LE) and its bytes. A v8-encoded block starts with 0xFF (the serializer's version tag) and an
 * LZ4 frame with 0x04, so a block of at most RECORD_CHUNK records stays encodeRecords' bytes
 * and readCachedChunks reads both. Object identity shared between records of different
 * chunks is not kept (each chunk is a serialization of its own), as Spark's JavaSerializer
 * resets its stream's object table every spark.serializer.objectStreamReset (100) records.
 */
export const RECORD_CHUNK = 1024;

const CHUNKS_TAG = 0xc5;

/** `records` as a cached block: encodeRecords' bytes when one chunk holds them all, else the chunked layout above. */
export function encodeRecordChunks(records: readonly unknown[], chunk: number = RECORD_CHUNK): Buffer {
  if (records.length <= chunk) return encodeRecords(records);
  const parts: Buffer[] = [];
  let total = 5;
  for (let from = 0; from < records.length; from += chunk) {
    const part = encodeRecords(records.slice(from, from + chunk));
    parts.push(part);
    total += 4 + part.length;
  }
  const out = Buffer.allocUnsafeSlow(total);
  out[0] = CHUNKS_TAG;
  out.writeUInt32LE(parts.length, 1);
  let at = 5;
  for (const part of parts) {
    out.writeUInt32LE(part.length, at);
    out.set(part, at + 4);
    at += 4 + part.length;
  }
  return out;
}

/**
 * Calls `each` with every chunk's records in order (a block encodeRecords made is one chunk).
 * A chunk is decoded only after `each` returned for the one before it.
 */
export function readCachedChunks(bytes: Uint8Array, each: (records: unknown[]) => void): void {
  if (bytes.length === 0 || bytes[0] !== CHUNKS_TAG) {
    each(decodeRecords<unknown[]>(bytes));
    return;
  }
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bad = (what: string): SluiceError => new SluiceError('SLUICE_CORRUPT_DATA', `cached block of ${buf.length} bytes is damaged: ${what}; unpersist the RDD and cache it again`);
  if (buf.length < 5) throw bad('no chunk count');
  const count = buf.readUInt32LE(1);
  let at = 5;
  for (let i = 0; i < count; i++) {
    if (at + 4 > buf.length) throw bad(`chunk ${i + 1} of ${count} has no length (byte ${at})`);
    const len = buf.readUInt32LE(at);
    const end = at + 4 + len;
    if (end > buf.length) throw bad(`chunk ${i + 1} of ${count} runs past the end (${len} bytes at byte ${at})`);
    each(decodeRecords<unknown[]>(buf.subarray(at + 4, end)));
    at = end;
  }
  if (at !== buf.length) throw bad(`${buf.length - at} bytes after its ${count} chunks`);
}
