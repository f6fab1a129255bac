import { SluiceError } from '../errors.js';

/**
 * The LZ4 block format (lz4's doc/lz4_Block_format.md), written from the specification:
 * a block is sequences, each a token (high nibble: literal count, low nibble: match length
 * - 4; 15 in either means more length bytes follow, each added, until one below 255), the
 * literals, then a match's 2-byte little-endian offset back into what was decoded (1 to
 * 65535; 0 is a corrupt block) and the match's extra length bytes. The last sequence is
 * literals only, and holds at least the block's last 5 bytes; no match starts in its last
 * 12 bytes.
 *
 * The compressor is the greedy single-probe one the format is known for: a hash table of
 * the last position each 4-byte word was seen at, a match taken when the word there is the
 * same and within 64 KiB, extended both ways, and a step that grows over input that keeps
 * missing (incompressible data is passed over fast). The decompressor checks every length,
 * literal run and match against both buffers before it copies: a damaged or hostile block
 * is refused with SLUICE_CORRUPT_DATA, never read or written out of bounds, and it always
 * ends (each sequence consumes at least its token).
 */

const MIN_MATCH = 4;
/** The last 5 bytes of a block are literals. */
const LAST_LITERALS = 5;
/** No match starts in the last 12 bytes of a block. */
const MF_LIMIT = 12;
const MAX_OFFSET = 65535;
const HASH_LOG = 13;
const HASH_SIZE = 1 << HASH_LOG;
/** Positions in `table` are stored plus `base`; a value below the current call's base is from an earlier call (empty). */
const table = new Int32Array(HASH_SIZE);
let base = 1;

/** The most bytes LZ4-compressing `n` bytes can take (incompressible input grows by about 0.4%). */
export function lz4CompressBound(n: number): number {
  return n + Math.floor(n / 255) + 16;
}

function read32(b: Uint8Array, i: number): number {
  return b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24);
}

function hash(word: number): number {
  return Math.imul(word, 2654435761) >>> (32 - HASH_LOG);
}

/**
 * src[start, end) as one LZ4 block written into dst at `at` (dst has at least
 * lz4CompressBound(end - start) bytes from `at`); returns where the block ends in dst.
 */
export function lz4CompressBlockInto(src: Uint8Array, start: number, end: number, dst: Uint8Array, at: number): number {
  const len = end - start;
  if (base + len + MAX_OFFSET + 1 >= 0x7fffffff) {
    table.fill(0);
    base = 1;
  }
  const b = base - start; // table value = position + b; a value below base is not this call's
  base += len + 1;
  let op = at;
  let anchor = start;
  if (len >= MF_LIMIT + 1) {
    const mfLimit = end - MF_LIMIT;
    const matchLimit = end - LAST_LITERALS;
    const floor = b + start; // the first value of this call
    let ip = start;
    let misses = 0;
    while (ip < mfLimit) {
      const word = read32(src, ip);
      const h = hash(word);
      const stored = table[h];
      table[h] = ip + b;
      const ref = stored - b;
      if (stored < floor || ip - ref > MAX_OFFSET || read32(src, ref) !== word) {
        ip += 1 + (misses++ >> 6);
        continue;
      }
      misses = 0;
      // Extend backwards over literals not yet written, then forwards.
      let mStart = ip;
      let rStart = ref;
      while (mStart > anchor && rStart > start && src[mStart - 1] === src[rStart - 1]) {
        mStart--;
        rStart--;
      }
      let mEnd = ip + MIN_MATCH;
      let rEnd = ref + MIN_MATCH;
      while (mEnd < matchLimit && src[mEnd] === src[rEnd]) {
        mEnd++;
        rEnd++;
      }
      op = writeSequence(src, anchor, mStart, mStart - rStart, mEnd - mStart, dst, op);
      anchor = mEnd;
      // The position two back, for the next matches' sake, then go on after the match.
      if (mEnd - 2 < mfLimit) table[hash(read32(src, mEnd - 2))] = mEnd - 2 + b;
      ip = mEnd;
    }
  }
  // The last literals.
  return writeLiterals(src, anchor, end, dst, op, 0);
}

/** One sequence: the literals src[from, to), then a match of `matchLen` bytes `offset` back. */
function writeSequence(src: Uint8Array, from: number, to: number, offset: number, matchLen: number, dst: Uint8Array, op: number): number {
  const ml = matchLen - MIN_MATCH;
  op = writeLiterals(src, from, to, dst, op, ml < 15 ? ml : 15);
  dst[op++] = offset & 0xff;
  dst[op++] = offset >>> 8;
  if (ml >= 15) op = writeLength(dst, op, ml - 15);
  return op;
}

/** A token with the literal count of src[from, to) and match nibble `low`, its length bytes and the literals. */
function writeLiterals(src: Uint8Array, from: number, to: number, dst: Uint8Array, op: number, low: number): number {
  const n = to - from;
  dst[op++] = ((n < 15 ? n : 15) << 4) | low;
  if (n >= 15) op = writeLength(dst, op, n - 15);
  if (n > 32) dst.set(src.subarray(from, to), op);
  else for (let i = 0; i < n; i++) dst[op + i] = src[from + i];
  return op + n;
}

function writeLength(dst: Uint8Array, op: number, rest: number): number {
  while (rest >= 255) {
    dst[op++] = 255;
    rest -= 255;
  }
  dst[op++] = rest;
  return op;
}

/** `data` as one LZ4 block, in a buffer of its own of exactly its size. */
export function lz4CompressBlock(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(lz4CompressBound(data.length));
  const n = lz4CompressBlockInto(data, 0, data.length, out, 0);
  return out.slice(0, n);
}

function corrupt(what: string): SluiceError {
  return new SluiceError('SLUICE_CORRUPT_DATA', `corrupt LZ4 block: ${what}`);
}

/**
 * Decodes the LZ4 block src[start, end) into dst from `at`, writing no further than
 * `limit`; a match may reach back to `windowStart` (the block's own start, or earlier
 * output of the same frame when its blocks are linked). Returns where the output ends.
 * Throws SLUICE_CORRUPT_DATA for a block that does not decode within those bounds.
 */
export function lz4DecompressBlockInto(src: Uint8Array, start: number, end: number, dst: Uint8Array, at: number, limit: number, windowStart = at): number {
  if (end > src.length || start > end) throw corrupt(`its bytes [${start}, ${end}) lie outside a buffer of ${src.length}`);
  if (limit > dst.length) limit = dst.length;
  let ip = start;
  let op = at;
  if (ip === end) throw corrupt('it is empty (even an empty block holds a token)');
  for (;;) {
    const token = src[ip++];
    let n = token >>> 4;
    if (n === 15) {
      let b: number;
      do {
        if (ip >= end) throw corrupt(`a literal length runs past the block's end (byte ${ip - start})`);
        b = src[ip++];
        n += b;
      } while (b === 255);
    }
    if (n > end - ip) throw corrupt(`${n} literals at byte ${ip - start} run past the block's ${end - start} bytes`);
    if (n > limit - op) throw corrupt(`${n} literals at byte ${ip - start} decode past the ${limit - at} bytes expected`);
    if (n > 32) {
      dst.set(src.subarray(ip, ip + n), op);
      op += n;
      ip += n;
    } else for (let i = 0; i < n; i++) dst[op++] = src[ip++];
    if (ip === end) return op; // the last sequence: literals only
    if (end - ip < 2) throw corrupt(`a match offset is cut by the block's end (byte ${ip - start})`);
    const offset = src[ip] | (src[ip + 1] << 8);
    ip += 2;
    if (offset === 0) throw corrupt(`a match offset of 0 at byte ${ip - 2 - start}`);
    if (offset > op - windowStart) throw corrupt(`a match offset of ${offset} at byte ${ip - 2 - start} reaches before the start of the output (${op - windowStart} bytes decoded)`);
    let m = token & 15;
    if (m === 15) {
      let b: number;
      do {
        if (ip >= end) throw corrupt(`a match length runs past the block's end (byte ${ip - start})`);
        b = src[ip++];
        m += b;
      } while (b === 255);
    }
    m += MIN_MATCH;
    if (m > limit - op) throw corrupt(`a match of ${m} bytes at byte ${ip - start} decodes past the ${limit - at} bytes expected`);
    let from = op - offset;
    if (offset >= m && m > 32) {
      dst.copyWithin(op, from, from + m);
      op += m;
    } else {
      // Overlapping (offset < length: a run repeated) or short: byte by byte, in order.
      const stop = op + m;
      while (op < stop) dst[op++] = dst[from++];
    }
  }
}

/** The LZ4 block `block`, which decodes to exactly `size` bytes (SLUICE_CORRUPT_DATA otherwise). */
export function lz4DecompressBlock(block: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(size);
  const n = lz4DecompressBlockInto(block, 0, block.length, out, 0, size);
  if (n !== size) throw corrupt(`it decodes to ${n} bytes, not the ${size} expected`);
  return out;
}
