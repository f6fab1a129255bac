import fs from 'node:fs';
import { Readable } from 'node:stream';
import { isSluiceError, SluiceError } from '../errors.js';
import { decompressor, type ReadCodec } from '../io/compression-codec.js';
import type { RangeReader } from '../io/file-system.js';
import { fileSystemFor } from '../io/file-system-registry.js';
import type { StreamFileSplit } from '../rdd/plan.js';
import { emitLineRange, LINE_PIECE_BYTES } from '../receiver/line-block.js';

/** How a file stream's file is read: exactly [0, end), the size its listing saw. */
export interface StreamFileRead extends StreamFileSplit {
  readonly warn?: (message: string, fields: Record<string, unknown>) => void;
}

/** Bytes read at a time from a local file by textFile: a partition's lines are cut as they come, not held as one string. */
export const LINE_CHUNK_BYTES = 1024 * 1024;

/** Bytes a read past a split's end asks for (it only finishes the split's last line). */
const PAST_END_BYTES = 64 * 1024;

export interface ReadLinesOptions {
  /** A file stream's file: read exactly [0, end) at once (it must not have shrunk) before any line is emitted. */
  readonly stream?: StreamFileRead;
  /** Asked before each read: a promise to wait for first (the lines' consumer is full: rdd.pipe's stdin), or undefined. */
  readonly pause?: () => Promise<void> | undefined;
  /** The registered FileSystem's settings for a `scheme://` file. */
  readonly fsSettings?: unknown;
  /**
   * Bytes a read asks for: LINE_CHUNK_BYTES for a local file; the whole split for a file
   * on a registered FileSystem (each read there is a request: s3's is a ranged GET).
   * A line longer than that is carried over reads.
   */
  readonly chunkBytes?: number;
  /**
   * Bytes of whole lines decoded into one string (LINE_PIECE_BYTES, 64 KiB, as a received
   * line block's): a string of 128 KiB or more is a V8 large object, on pages of its own and
   * freed only by a full collection; decoding and splitting 100 MB of 100-byte lines cost
   * 1,150 ms of CPU in 1 MiB strings, 650 ms in 64 KiB ones. A longer line is decoded alone.
   */
  readonly decodeBytes?: number;
  /** Told the bytes of each read of the file as it is made (Spark's inputMetrics.bytesRead; a compressed file's compressed bytes). */
  readonly onRead?: (bytes: number) => void;
}

/**
 * Lines whose first byte lies in [start, end) of a file: a split that starts inside a
 * line leaves it to the split before, and the last line is read past `end` to its end.
 * A file stream's file (`stream`) is read exactly up to `end`; if it is gone, the read
 * fails naming the file, or with `ignoreMissingFiles` gives no lines and a warning.
 * A `scheme://` file is read through its registered FileSystem, given `fsSettings`.
 */
export async function readLines(file: string, start: number, end: number, stream?: StreamFileRead, fsSettings?: unknown): Promise<string[]> {
  const lines: string[] = [];
  await emitFileLines(file, start, end, (line) => void lines.push(line), { stream, fsSettings });
  return lines;
}

/**
 * readLines' lines handed to `emit` one by one as they are cut: the file is read
 * `chunkBytes` at a time into one buffer, and each read's complete lines are decoded
 * (a '\n' byte is never inside a UTF-8 character, so a cut there never splits one) and
 * emitted before the next read — as a hand-written loop over the file reads it, with
 * neither the partition's text nor its array of lines held at once. A partial line is
 * kept as bytes at the buffer's start for the next read. Whatever `emit` throws (take's
 * stop, a user function's error) goes through, and the file is closed.
 */
export async function emitFileLines(file: string, start: number, end: number, emit: (line: string) => void, opts: ReadLinesOptions = {}): Promise<void> {
  if (end <= start) return;
  const { stream } = opts;
  const decodeBytes = Math.max(1, opts.decodeBytes ?? LINE_PIECE_BYTES);
  const opened = await openForLines(file, stream, opts.fsSettings);
  if (opened === undefined) return;
  const { fh, remote } = opened;
  try {
    const from = start > 0 ? start - 1 : 0;
    // A stream's file is read whole first: its shrinking fails the read before any line is given.
    let buf = Buffer.allocUnsafe(stream ? end - from : Math.max(1, Math.min(opts.chunkBytes ?? (remote ? Infinity : LINE_CHUNK_BYTES), end - from)));
    let held = 0; // bytes of an unfinished line at buf[0, held)
    let pos = from; // the file offset of the next read
    // Bytes up to the first '\n' belong to a line that began before `start` (unless `start` is a line start).
    let skipping = start > 0;
    for (;;) {
      if (held === buf.length) {
        const grown = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(grown, 0, 0, held);
        buf = grown;
      }
      // Past `end`, reads only finish the line begun before it (a file stream's file ends at `end`).
      const pastEnd = pos >= end;
      const want = Math.min(buf.length - held, pastEnd ? PAST_END_BYTES : end - pos);
      const full = opts.pause?.();
      if (full !== undefined) await full;
      const n = await readFull(fh, buf, held, want, pos);
      opts.onRead?.(n);
      if (stream && n < want) throw shrank(stream, file, end, pos + n);
      if (n === 0) break;
      pos += n;
      const avail = held + n;
      let cut = 0; // buf[0, cut) is done with
      if (skipping) {
        const nl = buf.indexOf(10, held);
        if (nl < 0 || nl >= avail) {
          held = 0;
          if (pos >= end) break; // the line begun before `start` runs to `end` or past it: none starts here
          continue;
        }
        cut = nl + 1;
        skipping = false;
      }
      if (pastEnd) {
        const nl = buf.indexOf(10, held);
        if (nl >= 0 && nl < avail) {
          emitLineRange(buf, cut, nl + 1, emit, decodeBytes);
          held = 0;
          break;
        }
      } else {
        const last = buf.lastIndexOf(10, avail - 1);
        if (last >= cut) {
          emitLineRange(buf, cut, last + 1, emit, decodeBytes);
          cut = last + 1;
        }
      }
      if (cut > 0) buf.copy(buf, 0, cut, avail);
      held = avail - cut;
      if (n < want || (pos >= end && (stream || held === 0))) break;
    }
    if (held > 0 && !skipping) {
      // The file's last line, with no '\n' after it.
      const line = buf.toString('utf8', 0, held);
      emit(line.charCodeAt(line.length - 1) === 13 ? line.slice(0, -1) : line);
    }
  } finally {
    await fh.close();
  }
}

/** Reads until `length` bytes are in or the file ends (one read may return less than asked for, past 2 GB on Linux). */
async function readFull(fh: RangeReader, buf: Buffer, offset: number, length: number, position: number): Promise<number> {
  let got = 0;
  while (got < length) {
    const r = await fh.read(buf, offset + got, length - got, position + got);
    if (r.bytesRead === 0) break;
    got += r.bytesRead;
  }
  return got;
}

/** The file opened (`remote`: through a registered FileSystem), or undefined for a stream's missing file skipped with `ignoreMissingFiles` (warned). */
async function openForLines(file: string, stream: StreamFileRead | undefined, fsSettings: unknown): Promise<{ fh: RangeReader; remote: boolean } | undefined> {
  try {
    const fsys = fileSystemFor(file, 'textFile');
    return fsys ? { fh: await fsys.open(file, fsSettings), remote: true } : { fh: await fs.promises.open(file, 'r'), remote: false };
  } catch (err) {
    if (isSluiceError(err)) throw err;
    if (stream && (err as NodeJS.ErrnoException).code === 'ENOENT') {
      if (stream.ignoreMissingFiles) {
        stream.warn?.('file stream: a file chosen for a batch is gone; skipped (ignoreMissingFiles)', { component: 'file-stream', directory: stream.directory, file });
        return undefined;
      }
      throw new SluiceError(
        'SLUICE_IO',
        `textFileStream(${stream.directory}): '${file}' was chosen for this batch but is gone (${(err as Error).message}). ` +
          'Leave files in the directory until their batch has been processed, or skip missing files: ssc.textFileStream(dir, { ignoreMissingFiles: true })',
        { cause: err },
      );
    }
    throw new SluiceError('SLUICE_IO', `textFile: cannot open '${file}' on this worker: ${(err as Error).message}. The path must be readable by every worker.`, {
      cause: err,
    });
  }
}

/**
 * The lines of a compressed local file (`.gz`, `.deflate`), decompressed as it is read and
 * handed to `emit` as they are cut, as emitFileLines does a plain file's; the file is one
 * split, read whole. A file that is not a whole stream of its codec (cut short, corrupt)
 * fails with SLUICE_IO naming it, as Spark's read fails with the codec's EOFException.
 * A file stream's file (`stream`) is opened as emitFileLines opens one (gone: skipped with
 * `ignoreMissingFiles`, else failing naming the stream) and read exactly up to `end`, the
 * size its listing saw (required with `stream`), as Hadoop's TextInputFormat reads a file stream's
 * `.gz` through its codec.
 */
export async function emitCompressedLines(
  file: string,
  codec: ReadCodec,
  emit: (line: string) => void,
  opts: Pick<ReadLinesOptions, 'pause' | 'decodeBytes' | 'stream' | 'onRead'> & { readonly end?: number } = {},
): Promise<void> {
  const decodeBytes = Math.max(1, opts.decodeBytes ?? LINE_PIECE_BYTES);
  const { stream } = opts;
  let input: Readable;
  let opened: RangeReader | undefined;
  if (stream) {
    if (opts.end === undefined) throw new SluiceError('SLUICE_INTERNAL', `textFileStream(${stream.directory}): '${file}' is read without the size its listing saw`);
    opened = (await openForLines(file, stream, undefined))?.fh;
    if (opened === undefined) return;
    input = Readable.from(streamFileBytes(opened, file, opts.end, stream));
  } else {
    input = fs.createReadStream(file);
  }
  const inflate = decompressor(codec);
  input.on('error', (err) => inflate.destroy(err));
  const onRead = opts.onRead;
  if (onRead !== undefined) input.on('data', (chunk: Buffer) => onRead(chunk.length));
  input.pipe(inflate);
  let held: Buffer | undefined; // an unfinished line's bytes
  try {
    for await (const chunk of inflate as AsyncIterable<Buffer>) {
      const full = opts.pause?.();
      if (full !== undefined) await full;
      const buf = held ? Buffer.concat([held, chunk]) : chunk;
      const last = buf.lastIndexOf(10);
      if (last < 0) {
        held = buf;
        continue;
      }
      emitLineRange(buf, 0, last + 1, emit, decodeBytes);
      held = last + 1 < buf.length ? buf.subarray(last + 1) : undefined;
    }
  } catch (err) {
    if (isSluiceError(err)) throw err;
    const e = err as NodeJS.ErrnoException;
    const unread = e.code === 'ENOENT' || e.code === 'EACCES';
    const why = unread ? `cannot read '${file}'` : `'${file}' is not a whole ${codec} stream`;
    // A cut-short or corrupt file: what to do, for a file stream (whose files must arrive
    // whole, as Spark's guide says: moved in once written) and for a path read once.
    const fix = unread
      ? ''
      : stream
        ? ' (cut short or corrupt: write each file elsewhere and move it into the directory once whole; replace this one with a whole file, or remove it, before the batch runs again)'
        : ' (cut short or corrupt: replace it with a whole file, or leave it out of the path)';
    throw new SluiceError('SLUICE_IO', `${stream ? `textFileStream(${stream.directory})` : 'textFile'}: ${why}: ${e.message}${fix}`, { cause: err });
  } finally {
    input.destroy();
    inflate.destroy();
    await opened?.close();
  }
  if (held !== undefined && held.length > 0) {
    const line = held.toString('utf8');
    emit(line.charCodeAt(line.length - 1) === 13 ? line.slice(0, -1) : line);
  }
}

/** A file stream's compressed file's bytes [0, end), LINE_CHUNK_BYTES a read; shorter than `end`: SLUICE_IO (shrank). */
async function* streamFileBytes(fh: RangeReader, file: string, end: number, stream: StreamFileRead): AsyncGenerator<Buffer> {
  for (let pos = 0; pos < end; ) {
    const buf = Buffer.allocUnsafe(Math.min(LINE_CHUNK_BYTES, end - pos));
    const n = await readFull(fh, buf, 0, buf.length, pos);
    if (n < buf.length) throw shrank(stream, file, end, pos + n);
    pos += n;
    yield buf;
  }
}

/** A file stream's file read shorter than the size its listing chose it at. */
function shrank(stream: StreamFileRead, file: string, end: number, size: number): SluiceError {
  return new SluiceError(
    'SLUICE_IO',
    `textFileStream(${stream.directory}): '${file}' shrank from ${end} to ${size} bytes after it was chosen for this batch. ` +
      'Write files elsewhere and move them into the directory once complete.',
  );
}
