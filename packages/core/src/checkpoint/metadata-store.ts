import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { SluiceError } from '../errors.js';
import type { StreamingMetadata } from './streaming-metadata.js';

/** Subdirectory of the checkpoint directory holding metadata checkpoints. */
export const METADATA_DIR = 'metadata';
/** Subdirectory of the checkpoint directory holding stateful streams' RDD checkpoints. */
export const STATE_DIR = 'state';

const MAGIC = 'SLUICE-METADATA';
const FILE = /^checkpoint-(\d{12})$/;

/** Why one metadata file could not be used. */
export interface UnreadableMetadata {
  readonly file: string;
  readonly reason: string;
}

export interface ReadMetadata {
  readonly file: string;
  readonly metadata: StreamingMetadata;
  /** Newer files that were corrupt or truncated, skipped. */
  readonly skipped: readonly UnreadableMetadata[];
}

/**
 * The metadata checkpoints of one checkpoint directory: `metadata/checkpoint-<seq>`, one
 * file per write, numbered in the order written. Each file is a header line
 * (`SLUICE-METADATA 1 <sha256> <bytes>`) and the metadata as JSON; it is written to a
 * temporary file, fsynced, renamed into place and the directory fsynced, so a crash leaves
 * either the whole file or none, and a file damaged later fails its checksum.
 *
 * Invariants: the last `keep` files are kept (the newest and its fallbacks); older ones are
 * deleted after each write. Reading takes the newest file that is whole, skipping (and
 * reporting) damaged ones.
 * Threading: the driver program's thread; I/O is synchronous (small files, once per batch
 * generation and completion).
 */
export class MetadataStore {
  readonly dir: string;
  private nextSeq: number;

  constructor(
    readonly checkpointDir: string,
    private readonly keep = 3,
  ) {
    this.dir = path.join(checkpointDir, METADATA_DIR);
    this.nextSeq = this.files().reduce((m, f) => Math.max(m, seqOf(f) + 1), 1);
  }

  /** Metadata files, newest first (temporary files excluded). */
  files(): string[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new SluiceError('SLUICE_CHECKPOINT', `cannot list metadata checkpoints in '${this.dir}': ${(err as Error).message}`, { cause: err });
    }
    return names
      .filter((n) => FILE.test(n))
      .sort()
      .reverse()
      .map((n) => path.join(this.dir, n));
  }

  /** Write `metadata` as the newest checkpoint (atomically, durably), then delete files past the last `keep`. Returns its path. */
  write(metadata: StreamingMetadata): string {
    const body = Buffer.from(JSON.stringify(metadata));
    const sum = crypto.createHash('sha256').update(body).digest('hex');
    const data = Buffer.concat([Buffer.from(`${MAGIC} 1 ${sum} ${body.length}\n`), body]);
    const file = path.join(this.dir, `checkpoint-${String(this.nextSeq++).padStart(12, '0')}`);
    const tmp = `${file}.${process.pid}.tmp`;
    try {
      fs.mkdirSync(this.dir, { recursive: true });
      const fd = fs.openSync(tmp, 'w');
      try {
        fs.writeSync(fd, data);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(tmp, file);
      fsyncDir(this.dir);
    } catch (err) {
      fs.rmSync(tmp, { force: true });
      throw new SluiceError('SLUICE_CHECKPOINT', `cannot write metadata checkpoint '${file}': ${(err as Error).message}; check that the checkpoint directory is writable and has space`, { cause: err });
    }
    for (const old of this.files().slice(this.keep)) fs.rmSync(old, { force: true });
    return file;
  }

  /**
   * The newest whole metadata checkpoint, or undefined when there is none. Damaged files
   * (checksum or length wrong, not JSON) are skipped and reported in `skipped`; when every
   * file is damaged, a SluiceError names them and how to start afresh.
   */
  readLatest(): ReadMetadata | undefined {
    const files = this.files();
    const skipped: UnreadableMetadata[] = [];
    for (const file of files) {
      const r = readMetadataFile(file);
      if ('metadata' in r) return { file, metadata: r.metadata, skipped };
      skipped.push({ file, reason: r.reason });
    }
    if (skipped.length === 0) return undefined;
    throw new SluiceError(
      'SLUICE_CHECKPOINT',
      `no usable metadata checkpoint in '${this.dir}': ${skipped.map((s) => `${path.basename(s.file)} (${s.reason})`).join('; ')}. ` +
        `To start afresh (the stream's state and input positions are then lost), move or delete the checkpoint directory '${this.checkpointDir}' or give getOrCreate another one`,
    );
  }

  /** Every whole metadata checkpoint kept (what the newest and its fallbacks refer to must stay on disk). */
  readAll(): StreamingMetadata[] {
    const out: StreamingMetadata[] = [];
    for (const f of this.files()) {
      const r = readMetadataFile(f);
      if ('metadata' in r) out.push(r.metadata);
    }
    return out;
  }

  /** Delete temporary files a killed writer left behind. */
  removeTemporaryFiles(): void {
    let names: string[] = [];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      return;
    }
    for (const n of names) if (n.endsWith('.tmp')) fs.rmSync(path.join(this.dir, n), { force: true });
  }
}

function seqOf(file: string): number {
  return Number(FILE.exec(path.basename(file))![1]);
}

/** Parse one metadata file, checking its header, length and checksum. */
export function readMetadataFile(file: string): { metadata: StreamingMetadata } | { reason: string } {
  let data: Buffer;
  try {
    data = fs.readFileSync(file);
  } catch (err) {
    return { reason: `unreadable: ${(err as Error).message}` };
  }
  const nl = data.indexOf(0x0a);
  const header = (nl < 0 ? data : data.subarray(0, nl)).toString('latin1').split(' ');
  if (nl < 0 || header.length !== 4 || header[0] !== MAGIC || header[1] !== '1') return { reason: 'no metadata header (truncated or not a Sluice checkpoint)' };
  const body = data.subarray(nl + 1);
  if (body.length !== Number(header[3])) return { reason: `truncated: ${body.length} of ${header[3]} bytes` };
  if (crypto.createHash('sha256').update(body).digest('hex') !== header[2]) return { reason: 'checksum mismatch (corrupt)' };
  try {
    const metadata = JSON.parse(body.toString('utf8')) as StreamingMetadata;
    if (metadata.version !== 1) return { reason: `unknown version ${String(metadata.version)}` };
    return { metadata };
  } catch (err) {
    return { reason: `not JSON: ${(err as Error).message}` };
  }
}

function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Some filesystems cannot fsync a directory; the rename is still atomic.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
