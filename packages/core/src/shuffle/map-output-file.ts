import { SluiceError } from '../errors.js';
import { CHECKSUM_FRAME_BYTES, CHECKSUM_TAG } from './shuffle-checksum.js';

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
  readonly sizes: ArrayLike<number>;
}

export const FRAME_HEADER_BYTES = 4;
export const INDEX_ENTRY_BYTES = 8;

/**
 * One spill of a map task (encodeRun): every reduce partition's frames of it back to back
 * in reduce-partition order, partition r's at data[offsets[r], offsets[r + 1]).
 */
export interface MapOutputRun {
  readonly data: Uint8Array;
  /** R + 1 offsets into `data`. */
  readonly offsets: Float64Array;
}

/**
 * Collects a map task's output, one run per spill (each already laid out in partition
 * order, `addRun`) or frame by frame (`add`), and lays it out as one MapOutputFile:
 * partition r's segment is its frames of every run, in the order they were added. A task
 * that spilled once hands over its one run's buffer as the data, uncopied; several runs
 * are merged with one copy of each segment. The output's buffers are their own (no pool),
 * so they can be transferred to another thread without copying again.
 */
export class MapOutputWriter {
  private readonly runs: MapOutputRun[] = [];
  /** Frames given one by one (`add`) since the last run, by reduce partition; made a run when one is added or at the end. */
  private frames: Uint8Array[][] | undefined;
  private frameBytes = 0;

  constructor(readonly numReducePartitions: number) {
    if (!Number.isInteger(numReducePartitions) || numReducePartitions < 0) {
      throw new SluiceError('SLUICE_INTERNAL', `a map output needs a whole number of reduce partitions, got ${numReducePartitions}`);
    }
  }

  /** One encoded record array for reduce partition `reduce` (no checksum frame follows it: encodeRun's runs have them). */
  add(reduce: number, encoded: Uint8Array): void {
    if (!Number.isInteger(reduce) || reduce < 0 || reduce >= this.numReducePartitions) {
      throw new SluiceError('SLUICE_INTERNAL', `reduce partition ${reduce} is outside 0..${this.numReducePartitions - 1}`);
    }
    this.frames ??= Array.from({ length: this.numReducePartitions }, () => []);
    this.frames[reduce].push(encoded);
    this.frameBytes += FRAME_HEADER_BYTES + encoded.length;
  }

  /** One spill's frames, laid out by partition (encodeRun). */
  addRun(run: MapOutputRun): void {
    if (run.offsets.length !== this.numReducePartitions + 1) {
      throw new SluiceError('SLUICE_INTERNAL', `a run of a map output of ${this.numReducePartitions} reduce partitions has ${run.offsets.length} offsets, not ${this.numReducePartitions + 1}`);
    }
    this.closeFrames();
    this.runs.push(run);
  }

  finish(): MapOutputFile {
    this.closeFrames();
    const n = this.numReducePartitions;
    const runs = this.runs;
    const index = new Uint8Array((n + 1) * INDEX_ENTRY_BYTES);
    const words = indexWords(index);
    const sizes = new Float64Array(n);
    let data: Uint8Array;
    if (runs.length === 1 && runs[0].data.byteOffset === 0 && runs[0].data.buffer.byteLength === runs[0].data.length) {
      // One spill: its buffer is the data as it is.
      const { offsets } = runs[0];
      data = runs[0].data;
      for (let r = 0; r < n; r++) {
        writeIndexEntry(index, words, r, offsets[r]);
        sizes[r] = offsets[r + 1] - offsets[r];
      }
      writeIndexEntry(index, words, n, offsets[n]);
    } else {
      let total = 0;
      for (const run of runs) total += run.offsets[n] - run.offsets[0];
      data = new Uint8Array(total);
      let at = 0;
      for (let r = 0; r < n; r++) {
        const start = at;
        writeIndexEntry(index, words, r, start);
        for (const run of runs) {
          const from = run.offsets[r];
          const to = run.offsets[r + 1];
          if (to === from) continue;
          data.set(run.data.subarray(from, to), at);
          at += to - from;
        }
        sizes[r] = at - start;
      }
      writeIndexEntry(index, words, n, at);
    }
    return { index, data, sizes };
  }

  /** The frames given one by one so far, as a run of their own. */
  private closeFrames(): void {
    const frames = this.frames;
    if (frames === undefined) return;
    this.frames = undefined;
    const n = this.numReducePartitions;
    const data = new Uint8Array(this.frameBytes);
    this.frameBytes = 0;
    const offsets = new Float64Array(n + 1);
    let at = 0;
    for (let r = 0; r < n; r++) {
      offsets[r] = at;
      for (const f of frames[r]) {
        writeFrameHeader(data, at, f.length);
        data.set(f, at + FRAME_HEADER_BYTES);
        at += FRAME_HEADER_BYTES + f.length;
      }
    }
    offsets[n] = at;
    this.runs.push({ data, offsets });
  }
}

/** A frame's header: its length, 4 bytes little-endian, at `at`. */
export function writeFrameHeader(data: Uint8Array, at: number, length: number): void {
  data[at] = length & 0xff;
  data[at + 1] = (length >>> 8) & 0xff;
  data[at + 2] = (length >>> 16) & 0xff;
  data[at + 3] = (length >>> 24) & 0xff;
}

/** Whether this machine stores a Uint32Array's words little-endian, as an index's entries are. */
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/**
 * An index's bytes as 32-bit words, entry i being words 2i (its low half) and 2i + 1 (its
 * high half): two aligned loads or stores an entry instead of eight byte ones. Undefined
 * where that view would read other values than the bytes say (the index not 4-byte aligned
 * in its buffer, a big-endian machine): read and write it by bytes then (indexEntry).
 */
export function indexWords(index: Uint8Array): Uint32Array | undefined {
  if (!LITTLE_ENDIAN || index.byteOffset % 4 !== 0 || index.length % 4 !== 0) return undefined;
  return new Uint32Array(index.buffer, index.byteOffset, index.length / 4);
}

/** Entry `i` of an index through its words (indexWords): as indexEntry, two aligned loads, no bounds check (the caller checked the index's length). */
export function wordEntry(words: Uint32Array, i: number): number {
  const hi = words[2 * i + 1];
  return hi === 0 ? words[2 * i] : hi * 0x100000000 + words[2 * i];
}

/**
 * Index entry `i` (a u64, little-endian) set to `offset`, written as two 32-bit halves
 * without a BigInt: through `words` (indexWords of `index`) when there is that view.
 */
function writeIndexEntry(index: Uint8Array, words: Uint32Array | undefined, i: number, offset: number): void {
  const lo = offset % 0x100000000;
  const hi = Math.floor(offset / 0x100000000);
  if (words !== undefined) {
    words[2 * i] = lo;
    words[2 * i + 1] = hi;
    return;
  }
  const o = i * INDEX_ENTRY_BYTES;
  index[o] = lo & 0xff;
  index[o + 1] = (lo >>> 8) & 0xff;
  index[o + 2] = (lo >>> 16) & 0xff;
  index[o + 3] = (lo >>> 24) & 0xff;
  index[o + 4] = hi & 0xff;
  index[o + 5] = (hi >>> 8) & 0xff;
  index[o + 6] = (hi >>> 16) & 0xff;
  index[o + 7] = (hi >>> 24) & 0xff;
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
 * segments back to back), as views into `bytes` (no copy); checksum frames left out.
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
    // A checksum frame (shuffle-checksum.ts) holds no records.
    if (!(len === CHECKSUM_FRAME_BYTES - FRAME_HEADER_BYTES && bytes[from] === CHECKSUM_TAG)) out.push(bytes.subarray(from, from + len));
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
  const out = Buffer.allocUnsafeSlow(total); // not Node's pool, not zero-filled: every byte is written below
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
