import { SluiceError } from '../errors.js';
import { lz4CompressBlockInto, lz4CompressBound, lz4DecompressBlockInto } from './lz4-block.js';
import { xxh32 } from './xxh32.js';

/**
 * The LZ4 frame format (lz4's doc/lz4_Frame_format.md) around LZ4 blocks: what the `lz4`
 * command writes and reads. A frame is the magic number 0x184D2204, a descriptor (FLG, BD,
 * the content size when FLG says so, a dictionary id when it says so, and a header checksum:
 * the second byte of XXH32 of the descriptor), data blocks (a 4-byte little-endian size whose
 * top bit marks a block stored uncompressed, the data, and an XXH32 of the data when FLG has
 * block checksums), an end mark of 4 zero bytes, and an XXH32 of the content when FLG says.
 *
 * Written here: independent blocks of up to 4 MiB (BD 7), the content size, block checksums
 * (a damaged block is found before it is decoded) and the content checksum; a block that
 * does not shrink is stored as it is. Read: any frame of version 01 without a dictionary
 * (linked blocks, any block size, with or without each checksum), and frames back to back,
 * as the `lz4` command does. Every checksum present is verified: a damaged frame is refused
 * with SLUICE_CORRUPT_DATA and never yields other bytes.
 */
export const LZ4_FRAME_MAGIC = 0x184d2204;

const FLG_VERSION = 0x40;
const FLG_BLOCK_INDEPENDENT = 0x20;
const FLG_BLOCK_CHECKSUM = 0x10;
const FLG_CONTENT_SIZE = 0x08;
const FLG_CONTENT_CHECKSUM = 0x04;
const FLG_DICT_ID = 0x01;
const BLOCK_MAX_SIZES = [0, 0, 0, 0, 64 << 10, 256 << 10, 1 << 20, 4 << 20];
const WRITE_BLOCK_SIZE = 4 << 20;
const UNCOMPRESSED = 0x80000000;

export interface Lz4FrameOptions {
  /** An XXH32 after each block (default true). */
  readonly blockChecksum?: boolean;
  /** An XXH32 of the whole content at the end (default true). */
  readonly contentChecksum?: boolean;
}

function writeU32(b: Uint8Array, at: number, v: number): void {
  b[at] = v & 0xff;
  b[at + 1] = (v >>> 8) & 0xff;
  b[at + 2] = (v >>> 16) & 0xff;
  b[at + 3] = (v >>> 24) & 0xff;
}

function readU32(b: Uint8Array, at: number): number {
  return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16)) + b[at + 3] * 0x1000000;
}

/** The most bytes lz4Frame of `n` bytes takes. */
export function lz4FrameBound(n: number): number {
  const blocks = Math.max(1, Math.ceil(n / WRITE_BLOCK_SIZE));
  return 15 + lz4CompressBound(n) + blocks * 24 + 8;
}

/** `data` as one LZ4 frame, in a buffer of its own of exactly its size. */
export function lz4Frame(data: Uint8Array, opts: Lz4FrameOptions = {}): Uint8Array {
  const blockSum = opts.blockChecksum ?? true;
  const contentSum = opts.contentChecksum ?? true;
  const n = data.length;
  const out = new Uint8Array(lz4FrameBound(n));
  writeU32(out, 0, LZ4_FRAME_MAGIC);
  out[4] = FLG_VERSION | FLG_BLOCK_INDEPENDENT | FLG_CONTENT_SIZE | (blockSum ? FLG_BLOCK_CHECKSUM : 0) | (contentSum ? FLG_CONTENT_CHECKSUM : 0);
  out[5] = 7 << 4;
  writeU32(out, 6, n % 0x100000000);
  writeU32(out, 10, Math.floor(n / 0x100000000));
  out[14] = (xxh32(out, 4, 14) >>> 8) & 0xff;
  let op = 15;
  for (let from = 0; from < n; from += WRITE_BLOCK_SIZE) {
    const to = Math.min(n, from + WRITE_BLOCK_SIZE);
    const size = to - from;
    // Compressed straight into the frame (lz4FrameBound leaves each block its bound); a block that does not shrink is stored instead.
    const dataAt = op + 4;
    let packed = lz4CompressBlockInto(data, from, to, out, dataAt) - dataAt;
    if (packed >= size) {
      out.set(data.subarray(from, to), dataAt);
      writeU32(out, op, (size | UNCOMPRESSED) >>> 0);
      packed = size;
    } else writeU32(out, op, packed);
    op = dataAt + packed;
    if (blockSum) {
      writeU32(out, op, xxh32(out, dataAt, op));
      op += 4;
    }
  }
  writeU32(out, op, 0);
  op += 4;
  if (contentSum) {
    writeU32(out, op, xxh32(data));
    op += 4;
  }
  return out.slice(0, op);
}

function corrupt(what: string, cause?: unknown): SluiceError {
  return new SluiceError('SLUICE_CORRUPT_DATA', `corrupt LZ4 frame: ${what}`, cause === undefined ? undefined : { cause });
}

/** Whether `b` starts with an LZ4 frame's magic number. */
export function isLz4Frame(b: Uint8Array, at = 0): boolean {
  return b.length - at >= 4 && readU32(b, at) === LZ4_FRAME_MAGIC;
}

/**
 * The content of the LZ4 frame(s) in `b` (frames back to back are decoded in turn, their
 * contents concatenated), verifying every checksum present. Throws SLUICE_CORRUPT_DATA,
 * naming what is wrong and where, for anything that is not such frames intact; a frame
 * using a feature not read here (a dictionary, another version) is refused naming it.
 */
export function lz4Unframe(b: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  let ip = 0;
  do {
    const r = unframeOne(b, ip);
    parts.push(r.content);
    ip = r.end;
  } while (ip < b.length);
  if (parts.length === 1) return parts[0];
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

/**
 * What is wrong with the one LZ4 frame b[start, end), or undefined when its header checksum,
 * block sizes and block checksums (those it has) are right, read without decoding it (XXH32
 * of the compressed bytes only): a cheap check of a frame written with block checksums.
 */
export function lz4FrameProblem(b: Uint8Array, start: number, end: number): string | undefined {
  if (end - start < 7) return `${end - start} bytes are too few for an LZ4 frame`;
  if (readU32(b, start) !== LZ4_FRAME_MAGIC) return 'no LZ4 magic number';
  const flg = b[start + 4];
  const bd = b[start + 5];
  if ((flg & 0xc0) !== FLG_VERSION || flg & 0x03 || bd & 0x8f) return 'an LZ4 frame descriptor not written here';
  const blockMax = BLOCK_MAX_SIZES[(bd >>> 4) & 7];
  if (blockMax === 0) return 'an LZ4 block maximum size code not one of 4 to 7';
  let ip = start + 6 + (flg & FLG_CONTENT_SIZE ? 8 : 0);
  if (end - ip < 1) return 'a cut LZ4 frame header';
  if (((xxh32(b, start + 4, ip) >>> 8) & 0xff) !== b[ip]) return 'its header checksum does not match';
  ip++;
  const blockSum = (flg & FLG_BLOCK_CHECKSUM) !== 0;
  for (;;) {
    if (end - ip < 4) return 'no end mark';
    const word = readU32(b, ip);
    ip += 4;
    if (word === 0) break;
    const size = word >= UNCOMPRESSED ? word - UNCOMPRESSED : word;
    if (size > blockMax || size + (blockSum ? 4 : 0) > end - ip) return `a block of ${size} bytes runs past the frame`;
    if (blockSum && xxh32(b, ip, ip + size) !== readU32(b, ip + size)) return `the block at byte ${ip - 4 - start} does not match its checksum`;
    ip += size + (blockSum ? 4 : 0);
  }
  const rest = end - ip - (flg & FLG_CONTENT_CHECKSUM ? 4 : 0);
  return rest === 0 ? undefined : `${rest} bytes ${rest < 0 ? 'missing' : 'left over'} after its end mark`;
}

function unframeOne(b: Uint8Array, start: number): { content: Uint8Array; end: number } {
  const end = b.length;
  if (end - start < 7) throw corrupt(`${end - start} bytes at byte ${start} are too few for a frame header`);
  const magic = readU32(b, start);
  if (magic !== LZ4_FRAME_MAGIC) throw corrupt(`byte ${start} holds 0x${magic.toString(16)}, not the magic number 0x184d2204`);
  const flg = b[start + 4];
  const bd = b[start + 5];
  if ((flg & 0xc0) !== FLG_VERSION) throw corrupt(`frame version ${flg >>> 6} is not 1, the only one there is`);
  if (flg & 0x02 || bd & 0x8f) throw corrupt('reserved bits of its descriptor are set');
  if (flg & FLG_DICT_ID) throw corrupt('it needs a dictionary (FLG.DictID), which is not read here');
  const blockMax = BLOCK_MAX_SIZES[(bd >>> 4) & 7];
  if (blockMax === 0) throw corrupt(`block maximum size code ${(bd >>> 4) & 7} is not one of 4 to 7`);
  let ip = start + 6;
  let contentSize = -1;
  if (flg & FLG_CONTENT_SIZE) {
    if (end - ip < 9) throw corrupt('the frame header is cut');
    contentSize = readU32(b, ip) + readU32(b, ip + 4) * 0x100000000;
    if (contentSize > Number.MAX_SAFE_INTEGER) throw corrupt(`a content size of ${contentSize} bytes`);
    ip += 8;
  }
  if (end - ip < 1) throw corrupt('the frame header is cut');
  if (((xxh32(b, start + 4, ip) >>> 8) & 0xff) !== b[ip]) throw corrupt('its header checksum does not match its descriptor');
  ip++;
  const blockSum = (flg & FLG_BLOCK_CHECKSUM) !== 0;
  const linked = (flg & FLG_BLOCK_INDEPENDENT) === 0;
  // The output: its exact size when the frame says it, else grown as blocks come.
  let out = new Uint8Array(contentSize >= 0 ? contentSize : Math.min(blockMax, Math.max(64, 4 * (end - ip))));
  let op = 0;
  for (;;) {
    if (end - ip < 4) throw corrupt(`it ends at byte ${end} with no end mark`);
    const word = readU32(b, ip);
    ip += 4;
    if (word === 0) break;
    const stored = word >= UNCOMPRESSED;
    const size = stored ? word - UNCOMPRESSED : word;
    if (size > blockMax) throw corrupt(`a block of ${size} bytes at byte ${ip - 4} exceeds the frame's ${blockMax}-byte blocks`);
    if (size > end - ip || (blockSum && size + 4 > end - ip)) throw corrupt(`a block of ${size} bytes at byte ${ip - 4} runs past the frame's end at ${end}`);
    if (blockSum && xxh32(b, ip, ip + size) !== readU32(b, ip + size)) throw corrupt(`the block at byte ${ip - 4} does not match its checksum`);
    if (contentSize < 0 && out.length - op < blockMax) {
      const grown = new Uint8Array(Math.max(2 * out.length, op + blockMax));
      grown.set(out.subarray(0, op));
      out = grown;
    }
    if (stored) {
      if (size > out.length - op) throw corrupt(`the content runs past the ${contentSize} bytes its header gives`);
      out.set(b.subarray(ip, ip + size), op);
      op += size;
    } else {
      const limit = Math.min(out.length, op + blockMax);
      op = lz4DecompressBlockInto(b, ip, ip + size, out, op, limit, linked ? Math.max(0, op - 65536) : op);
    }
    ip += size + (blockSum ? 4 : 0);
  }
  if (contentSize >= 0 && op !== contentSize) throw corrupt(`it holds ${op} bytes, not the ${contentSize} its header gives`);
  const content = op === out.length ? out : out.slice(0, op);
  if (flg & FLG_CONTENT_CHECKSUM) {
    if (end - ip < 4) throw corrupt('its content checksum is cut');
    if (xxh32(content) !== readU32(b, ip)) throw corrupt('its content does not match its checksum');
    ip += 4;
  }
  return { content, end: ip };
}
