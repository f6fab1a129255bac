import { decodeRecords, encodeRecords } from '../codec/codec.js';
import { SluiceError } from '../errors.js';
import { isLz4Frame, lz4Frame, lz4FrameProblem, lz4Unframe } from '../io/lz4-frame.js';
import { FRAME_HEADER_BYTES, writeFrameHeader, type MapOutputRun } from './map-output-file.js';
import { isMapMark } from './map-order.js';
import { CHECKSUM_FRAME_BYTES, CHECKSUM_TAG, checksumFrameProblem, writeChecksumFrame } from './shuffle-checksum.js';

/**
 * How a map task encodes one bucket of records (a frame of its MapOutputFile) and how a
 * reduce task decodes it. A bucket goes through the record codec (v8 serialize, whose
 * encodings all start with its version tag 0xFF) unless it is a few [key, value] pairs of
 * numbers and strings: those are written in a compact form of their own, first byte PAIRS.
 * v8 serialize costs a few microseconds a call whatever the size (a serializer object, a
 * header, a buffer), and a shuffle of many partitions with few records each makes a call
 * per map task and reduce partition (4,000,000 one-record buckets in a 2,000 x 2,000
 * shuffle); the compact form costs a fraction of that. Large buckets keep v8, which is
 * faster per record than code written in JS.
 *
 * PAIRS: the tag byte, a u32 record count, then for each record its key and its value,
 * each one of: 0x04 and an int32 (a number that is a 32-bit integer, not -0: keys and
 * counts mostly are; 5 bytes, written and read as bytes); 0x01 and a float64 (every other
 * number, -0 and NaN included); 0x02, a u32 length and the string's code units as one byte
 * each (every code unit below 256); 0x03, a u32 length and its UTF-16 code units (any
 * string, lone surrogates included). Little-endian.
 */
export const PAIRS_TAG = 0x50;
/**
 * With shuffle compression on (Spark's spark.shuffle.compress, spark.io.compression.codec
 * lz4), a v8-encoded frame of at least this many bytes is written as an LZ4 frame of it
 * (io/lz4-frame.ts; its block checksums let a reader find a damaged one before decoding it)
 * when that is smaller: such a frame starts with the LZ4 magic number (byte 0x04), never a
 * v8 or compact frame's first byte. Compact frames (16 pairs at most) are left as they are.
 */
export const COMPRESS_MIN_BYTES = 256;

/** Buckets of at most this many records may use the compact form. */
export const COMPACT_MAX_RECORDS = 16;

const NUMBER = 0x01;
const ONE_BYTE = 0x02;
const TWO_BYTE = 0x03;
const INT32 = 0x04;
const NOT_ONE_BYTE = /[^\u0000-\u00ff]/;

/** Whether `x` is written as an INT32 element: a 32-bit integer, and not -0 (which an int32 would read back as 0). */
function isInt32(x: number): boolean {
  return (x | 0) === x && (x !== 0 || 1 / x > 0);
}

function elementBytes(x: unknown): number {
  if (typeof x === 'number') return isInt32(x) ? 5 : 9;
  if (typeof x === 'string') return 5 + (NOT_ONE_BYTE.test(x) ? 2 * x.length : x.length);
  return -1;
}

/** The compact encoding's size of records[from, to), or -1 when that bucket does not fit it. */
function compactBytes(records: readonly unknown[], from = 0, to = records.length): number {
  if (to - from > COMPACT_MAX_RECORDS) return -1;
  let n = 5;
  for (let i = from; i < to; i++) {
    const r = records[i];
    if (!Array.isArray(r) || r.length !== 2 || Object.getPrototypeOf(r) !== Array.prototype) return -1;
    const k = elementBytes(r[0]);
    const v = elementBytes(r[1]);
    if (k < 0 || v < 0) return -1;
    n += k + v;
  }
  return n;
}

function writeElement(buf: Buffer, at: number, x: number | string): number {
  if (typeof x === 'number') {
    if (isInt32(x)) {
      buf[at] = INT32;
      buf[at + 1] = x;
      buf[at + 2] = x >> 8;
      buf[at + 3] = x >> 16;
      buf[at + 4] = x >> 24;
      return at + 5;
    }
    buf[at] = NUMBER;
    buf.writeDoubleLE(x, at + 1);
    return at + 9;
  }
  if (NOT_ONE_BYTE.test(x)) {
    buf[at] = TWO_BYTE;
    buf.writeUInt32LE(x.length, at + 1);
    return at + 5 + buf.write(x, at + 5, 'utf16le');
  }
  buf[at] = ONE_BYTE;
  buf.writeUInt32LE(x.length, at + 1);
  return at + 5 + buf.write(x, at + 5, 'latin1');
}

/** One bucket of a map task's output, encoded. */
export function encodeShuffleFrame(records: readonly unknown[]): Uint8Array {
  const size = compactBytes(records);
  if (size < 0) return encodeRecords(records);
  const buf = Buffer.allocUnsafe(size);
  writePairs(buf, 0, records, 0, records.length);
  return buf;
}

/** The compact frame of records[from, to) written at buf[at]; returns where it ends. */
function writePairs(buf: Buffer, at: number, records: readonly unknown[], from: number, to: number): number {
  buf[at] = PAIRS_TAG;
  buf.writeUInt32LE(to - from, at + 1);
  at += 5;
  for (let i = from; i < to; i++) {
    const r = records[i] as [number | string, number | string];
    at = writeElement(buf, at, r[0]);
    at = writeElement(buf, at, r[1]);
  }
  return at;
}

/**
 * One spill of a map task laid out as a run of its MapOutputFile: `records[i]` (i < count)
 * goes to reduce partition `partitions[i]`; each partition's records, in their order here,
 * become one frame (as encodeShuffleFrame would encode them), and the frames are written
 * straight into one buffer of its own in partition order: no array per partition, no
 * buffer per frame (a 2,000-partition shuffle's map task writes 2,000 frames a spill).
 * With `checksum` (spark.shuffle.checksum.enabled), each partition's frame is followed by a
 * checksum frame over it (shuffle-checksum.ts).
 */
export function encodeRun(records: readonly unknown[], partitions: ArrayLike<number>, count: number, numPartitions: number, compress = false, checksum = false): MapOutputRun {
  const n = numPartitions;
  // Records in partition order (a counting sort: stable, so each partition keeps their order).
  const bounds = new Int32Array(n + 1);
  for (let i = 0; i < count; i++) bounds[partitions[i] + 1]++;
  for (let r = 0; r < n; r++) bounds[r + 1] += bounds[r];
  let sorted: unknown[];
  if (n === 1) sorted = count === records.length ? (records as unknown[]) : records.slice(0, count);
  else {
    sorted = new Array<unknown>(count);
    const next = bounds.slice(0, n);
    for (let i = 0; i < count; i++) sorted[next[partitions[i]]++] = records[i];
  }
  // Each non-empty partition's frame size (v8-encoded frames made now), then one buffer.
  const sizes = new Int32Array(n);
  let v8: (Uint8Array | undefined)[] | undefined;
  let total = 0;
  for (let r = 0; r < n; r++) {
    const from = bounds[r];
    const to = bounds[r + 1];
    if (from === to) continue;
    let size = compactBytes(sorted, from, to);
    if (size < 0) {
      let enc: Uint8Array = encodeRecords(sorted.slice(from, to));
      if (compress && enc.length >= COMPRESS_MIN_BYTES) {
        const packed = lz4Frame(enc, { contentChecksum: false });
        if (packed.length < enc.length) enc = packed;
      }
      (v8 ??= [])[r] = enc;
      size = enc.length;
    }
    sizes[r] = size;
    total += FRAME_HEADER_BYTES + size + (checksum ? CHECKSUM_FRAME_BYTES : 0);
  }
  const data = Buffer.allocUnsafeSlow(total);
  const offsets = new Float64Array(n + 1);
  let at = 0;
  for (let r = 0; r < n; r++) {
    offsets[r] = at;
    const size = sizes[r];
    if (size === 0) continue;
    writeFrameHeader(data, at, size);
    at += FRAME_HEADER_BYTES;
    const enc = v8?.[r];
    if (enc !== undefined) data.set(enc, at);
    else writePairs(data, at, sorted, bounds[r], bounds[r + 1]);
    at += size;
    if (checksum) at = writeChecksumFrame(data, at, offsets[r]);
  }
  offsets[n] = at;
  return { data, offsets };
}

/** The records of one frame, whichever way it was encoded. */
export function decodeShuffleFrame<T = unknown>(bytes: Uint8Array): T[] {
  if (isLz4Frame(bytes)) return decodeShuffleFrame<T>(lz4Unframe(bytes));
  if (bytes[0] !== PAIRS_TAG) return decodeRecords<T[]>(bytes);
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: T[] = [];
  decodePairs(buf, 0, buf.length, out);
  return out;
}

/**
 * Every record of a buffer of whole frames (a 4-byte little-endian length, then the frame:
 * MapOutputFile's layout, one segment or several back to back, map marks between them:
 * map-order.ts), pushed onto `out` in order; bytes[start, stop) only when given (a run of
 * segments: mapOrderRuns).
 * Compact frames are decoded where they lie, through one Buffer over the whole buffer: no
 * view or Buffer per frame (a reduce task of a 2,000 x 2,000 shuffle reads 2,000 frames).
 */
export function decodeShuffleFrames<T = unknown>(bytes: Uint8Array, out: T[], start = 0, stop = bytes.length): void {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const total = stop;
  let at = start;
  while (at < total) {
    if (at + 4 > total) throw new SluiceError('SLUICE_INTERNAL', `truncated shuffle segment: a frame header at byte ${at} of ${total}`);
    const len = buf.readUInt32LE(at);
    const from = at + 4;
    const end = from + len;
    if (end > total) throw new SluiceError('SLUICE_INTERNAL', `truncated shuffle segment: a frame of ${len} bytes at byte ${at} of ${total}`);
    if (len > 0 && buf[from] === PAIRS_TAG) decodePairs(buf, from, end, out);
    else if ((len > 0 && buf[from] === CHECKSUM_TAG) || isMapMark(buf, from, len)) {
      // A checksum frame (shuffle-checksum.ts; the fetch verified it) or a map mark (map-order.ts): no records.
    } else if (len >= 4 && buf[from] === 0x04 && isLz4Frame(buf, from)) {
      const recs = decodeShuffleFrame<T>(lz4Unframe(buf.subarray(from, end)));
      for (let i = 0; i < recs.length; i++) out.push(recs[i]);
    } else {
      const recs = decodeRecords<T[]>(buf.subarray(from, end));
      for (let i = 0; i < recs.length; i++) out.push(recs[i]);
    }
    at = end;
  }
}

/**
 * What is wrong with a buffer of whole frames (as decodeShuffleFrames reads), or undefined
 * when nothing is: frames that run past its end, a compressed frame whose header or blocks
 * do not match their checksums (read without decoding), and with `checksums`
 * (spark.shuffle.checksum.enabled) a run of frames whose checksum frame does not match it
 * (shuffle-checksum.ts) or frames that have none. A reader calls it on what a worker sent
 * before handing it to a task, so a damaged map output is a fetch failure (recomputed from
 * lineage) and never other records. A problem starting with UNCHECKED is of frames without
 * a checksum (written with checksums off, or a checksum frame's own tag damaged).
 */
export function shuffleFramesProblem(bytes: Uint8Array, checksums = false): string | undefined {
  const total = bytes.length;
  let at = 0;
  // Where the frames not yet covered by a checksum start.
  let run = 0;
  while (at < total) {
    if (at + 4 > total) return `a frame header at byte ${at} of ${total} is cut`;
    const len = (bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16)) + bytes[at + 3] * 0x1000000;
    const from = at + 4;
    const end = from + len;
    if (end > total) return `a frame of ${len} bytes at byte ${at} runs past the segments' ${total} bytes`;
    if (len >= 4 && bytes[from] === 0x04 && isLz4Frame(bytes, from)) {
      const problem = lz4FrameProblem(bytes, from, end);
      if (problem !== undefined) return `the compressed frame at byte ${at}: ${problem}`;
    } else if (isMapMark(bytes, from, len)) {
      // A map mark (map-order.ts) starts a map output's segment: what came before it is covered.
      if (checksums && run < at) return uncovered(run, at);
      run = end;
    } else if (len > 0 && bytes[from] === CHECKSUM_TAG) {
      if (checksums) {
        const problem = checksumFrameProblem(bytes, run, at, from, end);
        if (problem !== undefined) return problem;
      }
      run = end;
    }
    at = end;
  }
  if (checksums && run < total) return uncovered(run, total);
  return undefined;
}

/** The problem of frames at bytes[from, to) that no checksum follows. */
function uncovered(from: number, to: number): string {
  return `${UNCHECKED} (bytes ${from}-${to}): written by a worker with checksums off ('sluice worker --no-shuffle-checksum', spark.shuffle.checksum.enabled false) or by an older Sluice, or a checksum frame is damaged; give every worker the same setting and Sluice version`;
}

/** How a problem of frames that carry no checksum starts (shuffleFramesProblem). */
export const UNCHECKED = 'frames carry no checksum';

/** The records of the compact frame at buf[start, end), pushed onto `out`. */
function decodePairs<T>(buf: Buffer, start: number, end: number, out: T[]): void {
  const count = buf.readUInt32LE(start + 1);
  let at = start + 5;
  const element = (): number | string => {
    const tag = buf[at];
    if (tag === INT32) {
      const x = buf[at + 1] | (buf[at + 2] << 8) | (buf[at + 3] << 16) | (buf[at + 4] << 24);
      at += 5;
      return x;
    }
    if (tag === NUMBER) {
      const x = buf.readDoubleLE(at + 1);
      at += 9;
      return x;
    }
    const len = buf.readUInt32LE(at + 1);
    const from = at + 5;
    if (tag === ONE_BYTE) {
      at = from + len;
      return buf.toString('latin1', from, at);
    }
    if (tag !== TWO_BYTE) throw new SluiceError('SLUICE_INTERNAL', `corrupt shuffle frame: element tag ${tag} at byte ${at}`);
    at = from + 2 * len;
    return buf.toString('utf16le', from, at);
  };
  for (let i = 0; i < count; i++) {
    const k = element();
    out.push([k, element()] as T);
  }
  if (at !== end) throw new SluiceError('SLUICE_INTERNAL', `corrupt shuffle frame: ${count} records end at byte ${at - start} of a ${end - start}-byte frame`);
}
