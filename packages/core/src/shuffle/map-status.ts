import { SluiceError } from '../errors.js';

/**
 * What a shuffle map task reports about its output, as Spark's MapStatus: the bytes of its
 * segment for each reduce partition, compactly, so that the driver keeps and decodes one
 * small buffer per map output instead of R numbers (a 2,000 x 2,000 shuffle is 4,000,000
 * sizes; as protobuf `repeated uint64` each one was a Long object on both ends).
 *
 * Two encodings, chosen by the number of reduce partitions R, as Spark's:
 * - COMPRESSED (R <= HIGHLY_COMPRESSED_ABOVE; CompressedMapStatus): one byte a partition,
 *   the size on a log scale (`compressSize`: 0 only for an empty segment, else
 *   ceil(log_1.1(size)), at least 1): within 10% (sizes above 1.1^255, 35 GB, read as 35 GB).
 * - HIGHLY_COMPRESSED (R above it; HighlyCompressedMapStatus): a bitmap of the empty
 *   segments, the log-scale size of each huge segment (at least HUGE_FACTOR times the
 *   average of the non-empty ones) with its partition, and the average size of the other
 *   non-empty ones, which is what each of them reads as.
 * Both also hold the exact total bytes (the shuffle-write metric).
 *
 * The invariant that matters: a segment reads as empty (`isEmpty`, the bitmap) exactly when
 * it is empty, in both encodings. A reduce task skips the map outputs whose segment reads
 * empty, so a non-empty one read as empty would lose records.
 *
 * Layout, little-endian: u8 encoding tag, u32 R, f64 total bytes, then COMPRESSED: R bytes;
 * HIGHLY_COMPRESSED: f64 average, u32 huge count H, ceil(R / 8) bytes of bitmap (bit r % 8
 * of byte r >> 3 set: segment r empty), H times (u32 partition, u8 compressed size).
 */
export const MAP_STATUS_COMPRESSED = 1;
export const MAP_STATUS_HIGHLY_COMPRESSED = 2;
/** Above this many reduce partitions a map status keeps a bitmap and an average (Spark: 2,000). */
export const HIGHLY_COMPRESSED_ABOVE = 2000;
/** In a highly compressed status, a segment at least this many times the average keeps its own size. */
export const HUGE_FACTOR = 5;

const LOG_BASE = Math.log(1.1);
const HEADER = 13;

/** One byte for a segment's size: 0 only for 0 bytes; at least 1 for any other size. */
export function compressSize(size: number): number {
  if (size <= 0) return 0;
  if (size <= 1) return 1;
  return Math.min(255, Math.max(1, Math.ceil(Math.log(size) / LOG_BASE)));
}

/** decompressSize of every byte, made once: the driver reads M x R sizes of a stage (Math.pow each was ~140 ns). */
const DECOMPRESSED = Float64Array.from({ length: 256 }, (_, b) => (b === 0 ? 0 : Math.round(Math.pow(1.1, b))));

/** What a compressed size reads as: 0 for 0, else 1.1^b bytes (rounded). */
export function decompressSize(b: number): number {
  return DECOMPRESSED[b & 255];
}

/** Encode a map task's segment sizes (bytes per reduce partition). */
export function encodeMapStatus(sizes: ArrayLike<number>): Uint8Array {
  const n = sizes.length;
  let total = 0;
  let nonEmpty = 0;
  for (let r = 0; r < n; r++) {
    const s = sizes[r];
    if (!(s >= 0)) throw new SluiceError('SLUICE_INTERNAL', `a map output's segment ${r} has size ${s}`);
    total += s;
    if (s > 0) nonEmpty++;
  }
  if (n <= HIGHLY_COMPRESSED_ABOVE) {
    const out = new Uint8Array(HEADER + n);
    writeHeader(out, MAP_STATUS_COMPRESSED, n, total);
    for (let r = 0; r < n; r++) out[HEADER + r] = compressSize(sizes[r]);
    return out;
  }
  const avgAll = nonEmpty === 0 ? 0 : total / nonEmpty;
  const huge: number[] = [];
  let rest = 0;
  let restCount = 0;
  for (let r = 0; r < n; r++) {
    const s = sizes[r];
    if (s === 0) continue;
    if (s >= HUGE_FACTOR * avgAll && s > 1) huge.push(r);
    else {
      rest += s;
      restCount++;
    }
  }
  const bitmapBytes = (n + 7) >> 3;
  const out = new Uint8Array(HEADER + 12 + bitmapBytes + 5 * huge.length);
  const view = writeHeader(out, MAP_STATUS_HIGHLY_COMPRESSED, n, total);
  // The average of the non-huge, non-empty segments; at least 1 so none reads as empty.
  view.setFloat64(HEADER, restCount === 0 ? 0 : Math.max(1, rest / restCount), true);
  view.setUint32(HEADER + 8, huge.length, true);
  const bitmapAt = HEADER + 12;
  for (let r = 0; r < n; r++) if (sizes[r] === 0) out[bitmapAt + (r >> 3)] |= 1 << (r & 7);
  let at = bitmapAt + bitmapBytes;
  for (const r of huge) {
    view.setUint32(at, r, true);
    out[at + 4] = compressSize(sizes[r]);
    at += 5;
  }
  return out;
}

function writeHeader(out: Uint8Array, tag: number, n: number, total: number): DataView {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  out[0] = tag;
  view.setUint32(1, n, true);
  view.setFloat64(5, total, true);
  return view;
}

/** A decoded map status: what the driver keeps per map output. */
export class MapStatus {
  private constructor(
    private readonly bytes: Uint8Array,
    readonly numPartitions: number,
    /** Exact bytes of the whole output (every segment, frame headers included). */
    readonly totalBytes: number,
    private readonly average: number,
    private readonly huge: ReadonlyMap<number, number> | undefined,
    /** Bit r set: segment r is empty; undefined when no segment is. */
    private readonly empties: Uint8Array | undefined,
  ) {}

  /** The status of an output whose sizes are known exactly (tests, and outputs moved or made in the driver). */
  static of(sizes: readonly number[]): MapStatus {
    return MapStatus.decode(encodeMapStatus(sizes));
  }

  static decode(bytes: Uint8Array): MapStatus {
    if (bytes.length < HEADER) throw new SluiceError('SLUICE_INTERNAL', `a map status of ${bytes.length} bytes is shorter than its ${HEADER}-byte header`);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const tag = bytes[0];
    const n = view.getUint32(1, true);
    const total = view.getFloat64(5, true);
    if (tag === MAP_STATUS_COMPRESSED) {
      if (bytes.length !== HEADER + n) throw new SluiceError('SLUICE_INTERNAL', `a compressed map status of ${n} partitions has ${bytes.length} bytes, not ${HEADER + n}`);
      let empties: Uint8Array | undefined;
      for (let r = 0; r < n; r++) {
        if (bytes[HEADER + r] !== 0) continue;
        empties ??= new Uint8Array((n + 7) >> 3);
        empties[r >> 3] |= 1 << (r & 7);
      }
      // Copied: `bytes` may be a view into a large received message.
      return new MapStatus(bytes.slice(HEADER), n, total, 0, undefined, empties);
    }
    if (tag !== MAP_STATUS_HIGHLY_COMPRESSED) throw new SluiceError('SLUICE_INTERNAL', `unknown map status encoding ${tag}`);
    const average = view.getFloat64(HEADER, true);
    const hugeCount = view.getUint32(HEADER + 8, true);
    const bitmapBytes = (n + 7) >> 3;
    const bitmapAt = HEADER + 12;
    if (bytes.length !== bitmapAt + bitmapBytes + 5 * hugeCount) throw new SluiceError('SLUICE_INTERNAL', `a highly compressed map status of ${n} partitions and ${hugeCount} huge ones has ${bytes.length} bytes`);
    const bitmap = bytes.subarray(bitmapAt, bitmapAt + bitmapBytes);
    let anyEmpty = false;
    for (let i = 0; i < bitmapBytes; i++) if (bitmap[i] !== 0) anyEmpty = true;
    const huge = new Map<number, number>();
    for (let i = 0, at = bitmapAt + bitmapBytes; i < hugeCount; i++, at += 5) huge.set(view.getUint32(at, true), bytes[at + 4]);
    return new MapStatus(new Uint8Array(0), n, total, average, huge, anyEmpty ? bitmap.slice() : undefined);
  }

  /** Whether segment `reduce` is empty: exact (no non-empty segment reads as empty). */
  isEmpty(reduce: number): boolean {
    return this.empties !== undefined && bitmapHas(this.empties, reduce);
  }

  /** The empty segments as a bitmap (bit r % 8 of byte r >> 3), or undefined when none is empty. */
  emptyBitmap(): Uint8Array | undefined {
    return this.empties;
  }

  /**
   * Adds every segment's bytes, as `size` reads them, to `out` (out[r] += size(r) for each r
   * below both lengths): a stage's bytes a reduce partition in one pass a map output.
   */
  addSizesTo(out: Float64Array): void {
    const n = Math.min(out.length, this.numPartitions);
    if (this.huge === undefined) {
      const bytes = this.bytes;
      for (let r = 0; r < n; r++) out[r] += DECOMPRESSED[bytes[r]];
      return;
    }
    const { empties, huge, average } = this;
    const anyHuge = huge.size > 0;
    for (let r = 0; r < n; r++) {
      if (empties !== undefined && (empties[r >> 3] & (1 << (r & 7))) !== 0) continue;
      const h = anyHuge ? huge.get(r) : undefined;
      out[r] += h === undefined ? average : DECOMPRESSED[h];
    }
  }

  /** Approximately the bytes of segment `reduce` (within 10%, or the average; 0 exactly when empty). */
  size(reduce: number): number {
    if (reduce < 0 || reduce >= this.numPartitions) return 0;
    if (this.huge === undefined) return decompressSize(this.bytes[reduce]);
    if (this.isEmpty(reduce)) return 0;
    const h = this.huge.get(reduce);
    return h === undefined ? this.average : decompressSize(h);
  }
}

/**
 * The map outputs (ascending) whose segment of some partition of reduce .. reduce + count - 1
 * is not empty (`empties` as mapsWithData takes them): what a task over that range reads.
 */
export function mapsWithDataIn(empties: readonly (Uint8Array | null)[], reduce: number, count: number): Int32Array {
  const out: number[] = [];
  for (let m = 0; m < empties.length; m++) {
    const e = empties[m];
    if (e === null) {
      out.push(m);
      continue;
    }
    for (let r = reduce; r < reduce + count; r++) {
      if (!bitmapHas(e, r)) {
        out.push(m);
        break;
      }
    }
  }
  return Int32Array.from(out);
}

/** Whether bit `i` of `bitmap` is set (bitmaps as MapStatus.emptyBitmap makes them). */
export function bitmapHas(bitmap: Uint8Array, i: number): boolean {
  return (bitmap[i >> 3] & (1 << (i & 7))) !== 0;
}

/**
 * The map outputs a reduce task over partition `reduce` must fetch: those whose segment
 * for it is not empty, given each one's empty-segment bitmap (null: none empty).
 */
export function mapsWithData(empties: readonly (Uint8Array | null)[], reduce: number): number[] {
  const out: number[] = [];
  for (let m = 0; m < empties.length; m++) {
    const b = empties[m];
    if (b === null || b === undefined || !bitmapHas(b, reduce)) out.push(m);
  }
  return out;
}

/** The exact total bytes an encoded map status records, without decoding the rest. */
export function mapStatusTotalBytes(bytes: Uint8Array): number {
  if (bytes.length < HEADER) return 0;
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getFloat64(5, true);
}
