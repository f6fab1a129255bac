import zlib from 'node:zlib';

/**
 * The checksum of a map output's partition run (Spark 3.2+'s spark.shuffle.checksum.enabled,
 * a checksum per partition of each map output; ShuffleChecksumHelper): each reduce
 * partition's frames of one spill of a map task (encodeRun) are followed by a checksum frame,
 * the CRC-32 (zlib's, as Spark's CRC32) of every byte since the previous checksum frame,
 * frame headers included. A reader verifies it before any record is decoded
 * (shuffleFramesProblem), whether the frames are compact, v8, LZ4 or a mix, read from this
 * worker's disk or fetched from a peer. LZ4 frames (spark.shuffle.compress) are covered too:
 * their block checksums are of the bytes as stored, so a flipped bit in a block's size (its
 * top bit says the block is stored uncompressed) passes them and decodes wrong.
 *
 * A checksum frame: its 4-byte length (always CHECKSUM_FRAME_BYTES - 4), the tag 0x43, the
 * format version (CHECKSUM_VERSION: 1 is CRC-32), the CRC as a u32, little-endian. A reader
 * refuses a version it does not know, naming it. One checksum a map output's partition run,
 * not one a frame: a 2,000 x 2,000 shuffle's map task writes one frame a partition, so this
 * is one CRC of a short run per (map, reduce) pair, never more.
 */
export const CHECKSUM_TAG = 0x43;

/** The checksum frames' format written here and the one this reader knows: 1, CRC-32. */
export const CHECKSUM_VERSION = 1;

/** A checksum frame's bytes, its 4-byte length included. */
export const CHECKSUM_FRAME_BYTES = 10;

/** The one algorithm written (Spark's spark.shuffle.checksum.algorithm takes ADLER32, CRC32 and CRC32C). */
export const CHECKSUM_ALGORITHM = 'CRC32';

/** CRC-32 tables for slicing by 4: T0 the byte-at-a-time table, Tk[n] = T0 of n followed by k zero bytes. */
const T0 = new Int32Array(256);
const T1 = new Int32Array(256);
const T2 = new Int32Array(256);
const T3 = new Int32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  T0[n] = c;
}
for (let n = 0; n < 256; n++) {
  T1[n] = T0[T0[n] & 0xff] ^ (T0[n] >>> 8);
  T2[n] = T0[T1[n] & 0xff] ^ (T1[n] >>> 8);
  T3[n] = T0[T2[n] & 0xff] ^ (T2[n] >>> 8);
}

/** Runs shorter than this are summed in JS (a native call costs more than the loop); longer ones by zlib. */
const NATIVE_MIN_BYTES = 128;

/** The CRC-32 of bytes[from, to) (zlib's crc32: the same value for the same bytes whatever their length). */
export function crc32(bytes: Uint8Array, from: number, to: number): number {
  if (to - from >= NATIVE_MIN_BYTES) return zlib.crc32(bytes.subarray(from, to)) >>> 0;
  // Four bytes a step (slicing by 4), then the rest one by one.
  let c = -1;
  let i = from;
  for (const end4 = to - 3; i < end4; i += 4) {
    c ^= bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24);
    c = T3[c & 0xff] ^ T2[(c >>> 8) & 0xff] ^ T1[(c >>> 16) & 0xff] ^ T0[c >>> 24];
  }
  for (; i < to; i++) c = T0[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

/** A checksum frame at buf[at] over buf[from, at); returns where it ends. */
export function writeChecksumFrame(buf: Uint8Array, at: number, from: number): number {
  const crc = crc32(buf, from, at);
  buf[at] = CHECKSUM_FRAME_BYTES - 4;
  buf[at + 1] = 0;
  buf[at + 2] = 0;
  buf[at + 3] = 0;
  buf[at + 4] = CHECKSUM_TAG;
  buf[at + 5] = CHECKSUM_VERSION;
  buf[at + 6] = crc & 0xff;
  buf[at + 7] = (crc >>> 8) & 0xff;
  buf[at + 8] = (crc >>> 16) & 0xff;
  buf[at + 9] = crc >>> 24;
  return at + CHECKSUM_FRAME_BYTES;
}

/**
 * What is wrong with the checksum frame whose content is bytes[from, end) that closes the
 * run bytes[runStart, header) (`header`: where the checksum frame's length is), or undefined
 * when it matches.
 */
export function checksumFrameProblem(bytes: Uint8Array, runStart: number, header: number, from: number, end: number): string | undefined {
  if (end - from !== CHECKSUM_FRAME_BYTES - 4) return `the checksum frame at byte ${header} is ${end - from} bytes, not ${CHECKSUM_FRAME_BYTES - 4}`;
  const version = bytes[from + 1];
  if (version !== CHECKSUM_VERSION) {
    return `the checksum frame at byte ${header} is of format version ${version}, and this Sluice reads version ${CHECKSUM_VERSION} (CRC-32): run the same Sluice version on every worker`;
  }
  const stored = (bytes[from + 2] | (bytes[from + 3] << 8) | (bytes[from + 4] << 16)) + bytes[from + 5] * 0x1000000;
  const crc = crc32(bytes, runStart, header);
  if (crc !== stored) return `bytes ${runStart}-${header} do not match their checksum (CRC-32 ${crc.toString(16)}, written ${stored.toString(16)})`;
  return undefined;
}
