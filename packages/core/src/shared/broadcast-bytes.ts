import { decodeRecords } from '../codec/codec.js';
import { isLz4Frame, lz4Frame, lz4Unframe } from '../io/lz4-frame.js';

/**
 * A broadcast value's bytes as the driver keeps and serves them (Spark's spark.broadcast.compress
 * with spark.io.compression.codec lz4, as TorrentBroadcast compresses its blocks): the record
 * codec's encoding (v8 serialize, first byte 0xFF), or with `compress` an LZ4 frame of it (block
 * and content checksums; first byte 0x04) when that is smaller. A worker takes either.
 */
export function broadcastBytes(encoded: Uint8Array, compress: boolean): Uint8Array {
  if (!compress) return encoded;
  const framed = lz4Frame(encoded);
  return framed.length < encoded.length ? framed : encoded;
}

/**
 * The value of a broadcast's bytes (broadcastBytes' either form). A damaged LZ4 frame is
 * SLUICE_CORRUPT_DATA (its checksums do not match), never another value.
 */
export function broadcastValue(bytes: Uint8Array): unknown {
  return decodeRecords(isLz4Frame(bytes) ? lz4Unframe(bytes) : bytes);
}

/** Whether a broadcast's bytes are the LZ4-compressed form. */
export function isCompressedBroadcast(bytes: Uint8Array): boolean {
  return isLz4Frame(bytes);
}
