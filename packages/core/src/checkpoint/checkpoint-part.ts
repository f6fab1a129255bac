import zlib from 'node:zlib';
import { decodeRecords, encodeRecords } from '../codec/codec.js';
import { isLz4Frame, lz4Frame, lz4Unframe } from '../io/lz4-frame.js';

/**
 * The bytes of one checkpointed partition (`part-<n>` of an RDD checkpoint, a stream's state
 * checkpoint among them): a header and the partition's records in the record codec,
 *
 *   u32 MAGIC | u32 crc32(body) | f64 bodyLength | body
 *
 * so a reader tells a whole part from one that was truncated or changed after it was
 * written (a disk or a copy gone wrong: the store's writes are atomic) instead of
 * deserializing garbage, or worse, other records. Parts written before the header existed
 * (no magic: v8's serialization begins with 0xff) are read as they are.
 *
 * With spark.checkpoint.compress (lz4, Spark's spark.io.compression.codec) the body is an LZ4
 * frame of the records' encoding (first byte 0x04, never v8's 0xff) when that is smaller; the
 * header's CRC and length are the stored body's. A reader takes either body, whatever the
 * setting, so checkpoints written with it on and off recover alike.
 */
const MAGIC = 0x534c4350; // 'SLCP'
const HEADER = 16;

/** A partition's records as a checkpoint part. */
export function encodeCheckpointPart(records: readonly unknown[], compress = false): Buffer {
  const encoded = encodeRecords(records);
  const framed = compress ? lz4Frame(encoded) : undefined;
  const body = framed !== undefined && framed.length < encoded.length ? framed : encoded;
  const head = Buffer.allocUnsafe(HEADER);
  head.writeUInt32BE(MAGIC, 0);
  head.writeUInt32BE(zlib.crc32(body), 4);
  head.writeDoubleBE(body.length, 8);
  return Buffer.concat([head, body]);
}

/** Why `data` is not a whole checkpoint part (truncated, changed), or undefined when it is. */
export function checkpointPartDamage(data: Uint8Array): string | undefined {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (buf.length < 4 || buf.readUInt32BE(0) !== MAGIC) return undefined; // an older part, without the header
  if (buf.length < HEADER) return `truncated: ${buf.length} bytes, shorter than its header`;
  const length = buf.readDoubleBE(8);
  if (buf.length - HEADER !== length) return `truncated or extended: ${buf.length - HEADER} bytes of records where ${length} were written`;
  const crc = zlib.crc32(buf.subarray(HEADER));
  if (crc !== buf.readUInt32BE(4)) return `changed after it was written: CRC ${crc.toString(16)} differs from the stored ${buf.readUInt32BE(4).toString(16)}`;
  return undefined;
}

/** The records of a whole checkpoint part; throws an Error saying what is wrong with a damaged one. */
export function decodeCheckpointPart(data: Uint8Array): unknown[] {
  const damage = checkpointPartDamage(data);
  if (damage !== undefined) throw new Error(`the file is damaged (${damage})`);
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const body = buf.length >= 4 && buf.readUInt32BE(0) === MAGIC ? buf.subarray(HEADER) : buf;
  try {
    return decodeRecords<unknown[]>(isLz4Frame(body) ? lz4Unframe(body) : body);
  } catch (err) {
    throw new Error(`the file is damaged (its records cannot be decoded: ${(err as Error).message})`, { cause: err });
  }
}
