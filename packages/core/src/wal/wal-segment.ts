import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { SluiceError } from '../errors.js';

/**
 * The receiver write-ahead log's on-disk format, shared by the worker that writes it,
 * the task that reads a block back and the driver that scans it (Spark's
 * FileBasedWriteAheadLog). A stream's log is the directory
 * `<checkpointDir>/receivedData/<streamId>/`; each receiver placement (a writer) appends
 * to its own segments `<writer>.<firstSeq>.wal`, rolled by size and age, where firstSeq
 * is the sequence number of the segment's first block. A segment is a run of records:
 *
 *   u32 MAGIC | u32 bodyLength | u32 crc32(body) | body
 *   body = u16 idLength | blockId (UTF-8) | u32 numRecords | f64 firstPosition | encoded records
 *
 * firstPosition is the source position of the block's first record when the receiver gave
 * one (`store(records, { position })`; its records are at consecutive positions), else NaN.
 *
 * A block's place in the log (`WalPlace`) is its record's segment, offset and length.
 * A record is written and fsynced before its block is reported: a complete record is a
 * stored block; a torn record can only be the last one of a segment whose writer died (a
 * writer whose append fails, a full disk taking part of it, cuts that part off).
 */
export const WAL_MAGIC = 0x534c574c; // 'SLWL'
const HEADER = 12;

/** Where a block is in the write-ahead log: its record's segment file, offset and length. */
export interface WalPlace {
  readonly path: string;
  readonly offset: number;
  readonly length: number;
}

/** The log directory of one input stream. */
export function walDirectory(checkpointDir: string, streamId: number): string {
  return path.join(checkpointDir, 'receivedData', String(streamId));
}

/** A writer's name in segment files and block ids: letters, digits and '-' only. */
export function walWriterName(raw: string): string {
  return raw.replace(/[^A-Za-z0-9-]/g, '-');
}

export function segmentFileName(writer: string, firstSeq: number): string {
  return `${writer}.${String(firstSeq).padStart(12, '0')}.wal`;
}

/** The writer and first block sequence number a segment's file name holds; undefined for other files. */
export function parseSegmentFileName(name: string): { readonly writer: string; readonly firstSeq: number } | undefined {
  const m = /^([A-Za-z0-9-]+)\.(\d{12})\.wal$/.exec(name);
  return m ? { writer: m[1], firstSeq: Number(m[2]) } : undefined;
}

/**
 * A received block's id: `input_<jobId>_<streamId>_<writer>_<seq>`. The writer (one
 * receiver placement) and the block's sequence number in it are read back from the id.
 */
export function receivedBlockId(prefix: string, seq: number): string {
  return `${prefix}_${seq}`;
}

export function parseReceivedBlockId(blockId: string): { readonly writer: string; readonly seq: number } | undefined {
  const last = blockId.lastIndexOf('_');
  const prev = blockId.lastIndexOf('_', last - 1);
  if (last < 0 || prev < 0) return undefined;
  const seq = Number(blockId.slice(last + 1));
  if (!Number.isSafeInteger(seq)) return undefined;
  return { writer: blockId.slice(prev + 1, last), seq };
}

/** One block as a log record. */
export function encodeWalRecord(blockId: string, numRecords: number, data: Uint8Array, firstPosition?: number): Buffer {
  const id = Buffer.from(blockId, 'utf8');
  const body = Buffer.allocUnsafe(2 + id.length + 12 + data.length);
  body.writeUInt16BE(id.length, 0);
  id.copy(body, 2);
  body.writeUInt32BE(numRecords, 2 + id.length);
  body.writeDoubleBE(firstPosition ?? NaN, 2 + id.length + 4);
  body.set(data, 2 + id.length + 12);
  const head = Buffer.allocUnsafe(HEADER);
  head.writeUInt32BE(WAL_MAGIC, 0);
  head.writeUInt32BE(body.length, 4);
  head.writeUInt32BE(zlib.crc32(body), 8);
  return Buffer.concat([head, body]);
}

function corrupt(place: WalPlace, why: string): SluiceError {
  return new SluiceError(
    'SLUICE_CHECKPOINT',
    `write-ahead log segment '${place.path}' is corrupt at offset ${place.offset} (${why}); the block stored there cannot be read back. ` +
      'The file was changed or truncated after it was written: restore it from a backup and submit the job again on the same checkpoint directory (the batches not completed run again from it, nothing lost); ' +
      'or, with no backup, move the checkpoint directory away and submit the job again to start afresh (every stream\'s state starts over, and the received data no batch completed is lost).',
  );
}

/** Read one block back from its place in the log, checking its length and CRC. */
export async function readWalRecord(place: WalPlace): Promise<{ readonly blockId: string; readonly numRecords: number; readonly firstPosition?: number; readonly data: Buffer }> {
  let buf: Buffer;
  try {
    const fh = await fs.promises.open(place.path, 'r');
    try {
      buf = Buffer.allocUnsafe(place.length);
      const { bytesRead } = await fh.read(buf, 0, place.length, place.offset);
      if (bytesRead < place.length) throw corrupt(place, `the record of ${place.length} bytes ends after ${bytesRead} bytes`);
    } finally {
      await fh.close();
    }
  } catch (err) {
    if (err instanceof SluiceError) throw err;
    throw new SluiceError(
      'SLUICE_CHECKPOINT',
      `cannot read write-ahead log segment '${place.path}': ${(err as Error).message}. The checkpoint directory must be readable by every worker (a shared directory when workers run on several hosts).`,
      { cause: err },
    );
  }
  return decodeRecord(buf, place);
}

function decodeRecord(buf: Buffer, place: WalPlace): { blockId: string; numRecords: number; firstPosition?: number; data: Buffer } {
  if (buf.length < HEADER || buf.readUInt32BE(0) !== WAL_MAGIC) throw corrupt(place, 'no record starts there');
  const bodyLength = buf.readUInt32BE(4);
  if (HEADER + bodyLength !== buf.length) throw corrupt(place, `record length ${HEADER + bodyLength} differs from ${buf.length}`);
  const body = buf.subarray(HEADER);
  const crc = zlib.crc32(body);
  if (crc !== buf.readUInt32BE(8)) throw corrupt(place, `CRC ${crc.toString(16)} differs from the stored ${buf.readUInt32BE(8).toString(16)}`);
  const idLength = body.readUInt16BE(0);
  const blockId = body.toString('utf8', 2, 2 + idLength);
  const numRecords = body.readUInt32BE(2 + idLength);
  const position = body.readDoubleBE(2 + idLength + 4);
  return { blockId, numRecords, ...(Number.isNaN(position) ? {} : { firstPosition: position }), data: body.subarray(2 + idLength + 12) };
}

/** A block found by scanning a segment. */
export interface ScannedBlock {
  readonly blockId: string;
  readonly numRecords: number;
  readonly firstPosition?: number;
  readonly place: WalPlace;
}

/** Bytes of a segment that hold no readable record, with complete records after them. */
export interface DamagedWalSpan {
  /** Where the damage begins: the start of the first record that cannot be read. */
  readonly offset: number;
  /** Where the next complete record begins (the file's size when none follows). */
  readonly end: number;
  /** What is wrong at `offset`. */
  readonly why: string;
}

/**
 * The complete records of a segment from `fromOffset` on, each record's CRC checked, and the
 * offset after the last complete one. A record cut short at the end (its writer died while
 * writing it, before it was acknowledged) ends the scan: a torn tail, `size` (the file's
 * size when scanned) greater than endOffset. A record that cannot be read where later ones
 * can (its header or bytes changed after it was written: no magic number, a length past the
 * end, a CRC that differs) is damage: the scan finds the next record that starts with the
 * magic number, fits the file and passes its CRC, goes on from there and reports the bytes
 * between in `damaged`; damage with no complete record after it runs to the end of the file
 * (endOffset is then the size).
 */
export async function scanWalSegment(
  file: string,
  fromOffset: number,
): Promise<{ readonly blocks: ScannedBlock[]; readonly endOffset: number; readonly size: number; readonly damaged: DamagedWalSpan[] }> {
  const blocks: ScannedBlock[] = [];
  const damaged: DamagedWalSpan[] = [];
  let fh: fs.promises.FileHandle;
  try {
    fh = await fs.promises.open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { blocks, endOffset: fromOffset, size: fromOffset, damaged };
    throw new SluiceError('SLUICE_CHECKPOINT', `cannot read write-ahead log segment '${file}': ${(err as Error).message}`, { cause: err });
  }
  let size: number;
  let buf: Buffer;
  try {
    size = (await fh.stat()).size;
    buf = Buffer.allocUnsafe(Math.max(0, size - fromOffset));
    const { bytesRead } = await fh.read(buf, 0, buf.length, fromOffset);
    buf = buf.subarray(0, bytesRead);
    size = fromOffset + bytesRead;
  } finally {
    await fh.close();
  }
  let at = 0;
  while (at + HEADER <= buf.length) {
    const problem = recordProblem(buf, at);
    if (problem === undefined) {
      const length = HEADER + buf.readUInt32BE(at + 4);
      const idLength = buf.readUInt16BE(at + HEADER);
      const blockId = buf.toString('utf8', at + HEADER + 2, at + HEADER + 2 + idLength);
      const numRecords = buf.readUInt32BE(at + HEADER + 2 + idLength);
      const position = buf.readDoubleBE(at + HEADER + 2 + idLength + 4);
      blocks.push({ blockId, numRecords, ...(Number.isNaN(position) ? {} : { firstPosition: position }), place: { path: file, offset: fromOffset + at, length } });
      at += length;
      continue;
    }
    const next = nextRecord(buf, at + 1);
    if (next === undefined) {
      // Nothing readable after it: a torn tail when its length runs past the end, as a writer killed while appending leaves it.
      if (problem.torn) return { blocks, endOffset: fromOffset + at, size, damaged };
      damaged.push({ offset: fromOffset + at, end: size, why: problem.why });
      return { blocks, endOffset: size, size, damaged };
    }
    damaged.push({ offset: fromOffset + at, end: fromOffset + next, why: problem.why });
    at = next;
  }
  // Fewer than a header's bytes left: a torn tail too.
  return { blocks, endOffset: fromOffset + at, size, damaged };
}

/** Why the record at `at` of `buf` cannot be read (torn: its length runs past the end), or undefined when it is whole. */
function recordProblem(buf: Buffer, at: number): { why: string; torn: boolean } | undefined {
  if (buf.readUInt32BE(at) !== WAL_MAGIC) return { why: 'no record starts there', torn: false };
  const length = HEADER + buf.readUInt32BE(at + 4);
  if (at + length > buf.length) return { why: `a record of ${length} bytes runs past the end of the file`, torn: true };
  if (length < HEADER + 2 + 12 || length < HEADER + 2 + buf.readUInt16BE(at + HEADER) + 12) return { why: 'the record is too short for its block id', torn: false };
  const crc = zlib.crc32(buf.subarray(at + HEADER, at + length));
  if (crc !== buf.readUInt32BE(at + 8)) return { why: `CRC ${crc.toString(16)} differs from the stored ${buf.readUInt32BE(at + 8).toString(16)}`, torn: false };
  return undefined;
}

const MAGIC_BYTES = Buffer.from([0x53, 0x4c, 0x57, 0x4c]);

/** The first offset from `from` where a whole record (magic, in bounds, CRC) starts, or undefined. */
function nextRecord(buf: Buffer, from: number): number | undefined {
  for (let at = buf.indexOf(MAGIC_BYTES, from); at >= 0 && at + HEADER <= buf.length; at = buf.indexOf(MAGIC_BYTES, at + 1)) {
    if (recordProblem(buf, at) === undefined) return at;
  }
  return undefined;
}
