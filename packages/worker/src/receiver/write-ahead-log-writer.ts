import fs from 'node:fs';
import path from 'node:path';
import { DiskFullError, SluiceError, encodeWalRecord, isDiskFull, isNotWritable, makeDirectory, notWritableFix, segmentFileName, type WalPlace } from '@sluice/core/internal';

export interface WriteAheadLogWriterOptions {
  /** The stream's log directory, `<checkpointDir>/receivedData/<streamId>`. */
  readonly dir: string;
  /** This receiver placement's name in segment files (see walWriterName). */
  readonly writer: string;
  /** A segment is closed and a new one begun once it is this old... */
  readonly rollingIntervalMs: number;
  /** ...or this large. */
  readonly maxSegmentBytes: number;
}

/**
 * Appends one receiver placement's blocks to the write-ahead log, as Spark's
 * FileBasedWriteAheadLogWriter: each block is one record (length, CRC, block id, data)
 * written and fsynced before `append` resolves, so a block is reported (and its source
 * acknowledged) only once it survives the worker. Segments roll by age and size; a new
 * segment's directory entry is fsynced too.
 *
 * Invariants: appends run one at a time in call order (a segment holds blocks in sequence
 * order, and a segment is never appended to after the next one exists: the driver relies
 * on both to know which blocks a closed segment holds). Threading: worker main thread.
 */
export class WriteAheadLogWriter {
  private fh: fs.promises.FileHandle | undefined;
  private file = '';
  private size = 0;
  private openedAt = 0;
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(private readonly opts: WriteAheadLogWriterOptions) {}

  /** Append block `seq`; resolves with its place once it is on disk. */
  append(blockId: string, seq: number, numRecords: number, data: Uint8Array, firstPosition?: number): Promise<WalPlace> {
    const p = this.chain.then(() => this.write(blockId, seq, numRecords, data, firstPosition));
    this.chain = p.catch(() => undefined);
    return p;
  }

  /** Close the open segment (after pending appends). */
  async close(): Promise<void> {
    this.closed = true;
    await this.chain;
    await this.fh?.close().catch(() => undefined);
    this.fh = undefined;
  }

  private async write(blockId: string, seq: number, numRecords: number, data: Uint8Array, firstPosition: number | undefined): Promise<WalPlace> {
    if (this.closed) throw new SluiceError('SLUICE_IO', `write-ahead log writer ${this.opts.writer} is closed; block ${blockId} was not logged`);
    const record = encodeWalRecord(blockId, numRecords, data, firstPosition);
    /** Where this record begins in the open segment, once it has one. */
    let offset = -1;
    try {
      if (!this.fh || this.size >= this.opts.maxSegmentBytes || Date.now() - this.openedAt >= this.opts.rollingIntervalMs) await this.roll(seq);
      offset = this.size;
      // A write may be short (a disk that fills up takes what fits): write the rest, which
      // then fails with ENOSPC; a record acknowledged half-written would be lost.
      for (let at = 0; at < record.length; ) {
        const { bytesWritten } = await this.fh!.write(record, at, record.length - at, offset + at);
        if (bytesWritten <= 0) throw new SluiceError('SLUICE_IO', `a write to '${this.file}' took none of ${record.length - at} bytes`);
        at += bytesWritten;
      }
      await this.fh!.datasync();
      this.size += record.length;
      return { path: this.file, offset, length: record.length };
    } catch (err) {
      // Later blocks go to a fresh segment; what this record left is cut off first.
      await this.abandon(offset);
      if (isDiskFull(err)) {
        throw new DiskFullError({ path: this.file || this.opts.dir, what: `received block ${blockId} (write-ahead log)`, where: `receiver ${this.opts.writer} on worker process ${process.pid}; the block is not acknowledged`, fix: 'point the checkpoint directory (ssc.checkpoint(dir)), which holds the log, at a larger disk', cause: err });
      }
      // Refused for permission: the directory that refused (the one holding the segment or directory the call made), the user and the fix.
      const fix = isNotWritable(err)
        ? `; the block is not acknowledged: ${notWritableFix(path.dirname((err as NodeJS.ErrnoException).path ?? path.join(this.opts.dir, '-')), err)}`
        : '. Check that the checkpoint directory is writable and has free space.';
      throw new SluiceError(
        'SLUICE_IO',
        `cannot write block ${blockId} to the write-ahead log in '${this.opts.dir}': ${(err as Error).message}${fix}`,
        { cause: err },
      );
    }
  }

  /**
   * Closes the open segment after an append that failed at `offset` (-1: before it had one).
   * A disk that fills up takes part of a record (a short write, up to its page's end on tmpfs)
   * before refusing the rest: that part is cut off (a truncate needs no space), and a segment
   * left holding nothing is removed, so the log ends at its last acknowledged block. Left there,
   * a recovery read it as a torn record and warned that the writer died while appending, which
   * it had not. Best effort: a cut that fails leaves the torn record to that warning.
   */
  private async abandon(offset: number): Promise<void> {
    const fh = this.fh;
    this.fh = undefined;
    if (!fh) return;
    if (offset >= 0) {
      try {
        await fh.truncate(offset);
        await fh.datasync();
      } catch {
        // left as a torn record
      }
    }
    await fh.close().catch(() => undefined);
    if (offset === 0) await fs.promises.rm(this.file, { force: true }).catch(() => undefined);
  }

  private async roll(firstSeq: number): Promise<void> {
    await this.fh?.close();
    await makeDirectory(this.opts.dir);
    this.file = path.join(this.opts.dir, segmentFileName(this.opts.writer, firstSeq));
    this.fh = await fs.promises.open(this.file, 'wx');
    this.size = 0;
    this.openedAt = Date.now();
    // The new file's directory entry must survive a crash too.
    const d = await fs.promises.open(this.opts.dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  }
}
