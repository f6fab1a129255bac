import { SluiceError } from '../errors.js';

/**
 * The consolidated output of one shuffle map task, as Spark's sort-based shuffle writes it
 * (IndexShuffleBlockResolver: one data file and one index file per map task):
 *
 * - `data`: every reduce partition's segment back to back, in reduce-partition order.
 *   A segment is zero or more frames, each a 4-byte little-endian length and that many
 *   bytes of encoded records (one record array per spill of the map task).
 * - `index`: R + 1 offsets into `data`, 8-byte unsigned little-endian each; reduce
 *   partition r's segment is data[offsets[r], offsets[r + 1]) (empty when they are equal).
 *
 * A reduce task reads its segment of every map output with two index entries and one
 * range read, from memory or from the spilled file alike; an empty segment is known from
 * the index (and from the map task's sizes, which the driver keeps) without reading data.
 */
export interface MapOutputFile {
  readonly index: Uint8Array;
  readonly data: Uint8Array;
  /** Bytes of each reduce partition's segment (frame headers included): offsets[r + 1] - offsets[r]. */
  readonly sizes: number[];
}

export const FRAME_HEADER_BYTES = 4;
export const INDEX_ENTRY_BYTES = 8;

/**
 * Collects a map task's encoded record arrays by reduce partition (several per partition
 * when the task spilled) and lays them out as one MapOutputFile. `finish` copies each
 * frame once into a buffer of its own (no pool), so the output can be transferred to
 * another thread without copying again.
 */
export class MapOutputWriter {
  private readonly frames: Uint8Array[][];
  private dataBytes = 0;

  constructor(readonly numReducePartitions: number) {
    if (!Number.isInteger(numReducePartitions) || numReducePartitions < 0) {
      throw new SluiceError('SLUICE_INTERNAL', `a map output needs a whole number of reduce partitions, got ${numReducePartitions}`);
    }
    this.frames = Array.from({ length: numReducePartitions }, () => []);
  }

  /** One encoded record array for reduce partition `reduce`. */
  add(reduce: number, encoded: Uint8Array): void {
    const list = this.frames[reduce];
    if (list === undefined) throw new SluiceError('SLUICE_INTERNAL', `reduce partition ${reduce} is outside 0..${this.numReducePartitions - 1}`);
    list.push(encoded);
    this.dataBytes += FRAME_HEADER_BYTES + encoded.length;
  }

  finish(): MapOutputFile {
    const n = this.numReducePartitions;
    const data = new Uint8Array(this.dataBytes);
    const dataView = new DataView(data.buffer);
    const index = new Uint8Array((n + 1) * INDEX_ENTRY_BYTES);
    const indexView = new DataView(index.buffer);
    const sizes = new Array<number>(n);
    let at = 0;
    for (let r = 0; r < n; r++) {
      const start = at;
      indexView.setBigUint64(r * INDEX_ENTRY_BYTES, BigInt(start), true);
      for (const f of this.frames[r]) {
        dataView.setUint32(at, f.length, true);
        data.set(f, at + FRAME_HEADER_BYTES);
        at += FRAME_HEADER_BYTES + f.length;
      }
      sizes[r] = at - start;
    }
    indexView.setBigUint64(n * INDEX_ENTRY_BYTES, BigInt(at), true);
    return { index, data, sizes };
  }
}

/** How many reduce partitions an index covers. */
export function indexPartitions(index: Uint8Array): number {
  if (index.length < INDEX_ENTRY_BYTES || index.length % INDEX_ENTRY_BYTES !== 0) {
    throw new SluiceError('SLUICE_INTERNAL', `a map output index is a multiple of ${INDEX_ENTRY_BYTES} bytes and at least one entry, got ${index.length} bytes`);
  }
  return index.length / INDEX_ENTRY_BYTES - 1;
}

/**
 * The offset stored at entry `i` of an index (or of part of one: two entries read from a
 * file). Read as two 32-bit halves, without a BigInt: it runs once per map output and
 * reduce partition read (4,000,000 times in a 2,000 x 2,000 shuffle).
 */
export function indexEntry(index: Uint8Array, i: number): number {
  const o = i * INDEX_ENTRY_BYTES;
  if (o < 0 || o + INDEX_ENTRY_BYTES > index.length) throw new SluiceError('SLUICE_INTERNAL', `a map output index of ${index.length} bytes has no entry ${i}`);
  const lo = (index[o] | (index[o + 1] << 8) | (index[o + 2] << 16)) + index[o + 3] * 0x1000000;
  const hi = (index[o + 4] | (index[o + 5] << 8) | (index[o + 6] << 16)) + index[o + 7] * 0x1000000;
  return hi * 0x100000000 + lo;
}

/** Where reduce partition `reduce`'s segment lies in the data: [start, end). */
export function segmentRange(index: Uint8Array, reduce: number): { readonly start: number; readonly end: number } {
  const n = indexPartitions(index);
  if (!Number.isInteger(reduce) || reduce < 0 || reduce >= n) {
    throw new SluiceError('SLUICE_INTERNAL', `reduce partition ${reduce} is outside the map output's 0..${n - 1}`);
  }
  const start = indexEntry(index, reduce);
  const end = indexEntry(index, reduce + 1);
  if (end < start) throw new SluiceError('SLUICE_INTERNAL', `corrupt map output index: partition ${reduce} ends at ${end}, before its start ${start}`);
  return { start, end };
}

/**
 * The encoded record arrays in bytes made of whole frames (one segment, or several
 * segments back to back), as views into `bytes` (no copy).
 */
export function splitFrames(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  while (at < bytes.length) {
    if (at + FRAME_HEADER_BYTES > bytes.length) throw new SluiceError('SLUICE_INTERNAL', `truncated shuffle segment: a frame header at byte ${at} of ${bytes.length}`);
    const len = view.getUint32(at, true);
    const from = at + FRAME_HEADER_BYTES;
    if (from + len > bytes.length) throw new SluiceError('SLUICE_INTERNAL', `truncated shuffle segment: a frame of ${len} bytes at byte ${at} of ${bytes.length}`);
    out.push(bytes.subarray(from, from + len));
    at = from + len;
  }
  return out;
}

/** The block id of one map task's consolidated output (its index and data, in that order). */
export function mapOutputBlockId(jobId: string, shuffleId: number, mapPartition: number): string {
  return `shuffle_${jobId}_${shuffleId}_${mapPartition}`;
}

/**
 * A copy of the bytes of `parts` in one buffer backed by an ArrayBuffer of its own, safe
 * to transfer to another thread (a Node Buffer may share its ArrayBuffer with others, a
 * view into a stored block is the block's).
 */
export function concatOwned(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
