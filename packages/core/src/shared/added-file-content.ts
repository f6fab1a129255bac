import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** A file the job added with sc.addFile, as the driver serves it and a stage's tasks name it. */
export interface AddedFileRef {
  /** Its base name: what SparkFiles.get takes, and its name in the files directory. */
  readonly name: string;
  /** sha256 of its content (addedFileSha256). */
  readonly sha256: string;
  readonly directory: boolean;
}

/** One entry of an added file's content: the file itself (`rel` ''), or a file or directory under an added directory. */
export interface AddedFileEntry {
  /** '/'-separated path under the added file ('' for the added file itself). */
  readonly rel: string;
  readonly abs: string;
  readonly directory: boolean;
}

/**
 * The entries of an added file or directory in the one order the driver sends them and
 * the worker hashes them: depth first, names sorted, a directory before what it holds.
 * Links are followed (their targets are copied).
 */
export function addedFileEntries(p: string): AddedFileEntry[] {
  const out: AddedFileEntry[] = [];
  const visit = (abs: string, rel: string): void => {
    const st = fs.statSync(abs);
    if (!st.isDirectory()) {
      out.push({ rel, abs, directory: false });
      return;
    }
    out.push({ rel, abs, directory: true });
    for (const n of fs.readdirSync(abs).sort()) visit(path.join(abs, n), rel === '' ? n : `${rel}/${n}`);
  };
  visit(p, '');
  return out;
}

/**
 * sha256 over an added file's entries as they come, in addedFileEntries' order: each one's
 * kind and path, and a file's bytes followed by their count. The driver hashes its copy
 * (addedFileSha256); a worker hashes what it receives as it writes it, so it never reads
 * the file again.
 */
export class AddedFileHash {
  private readonly h = crypto.createHash('sha256');
  /** Bytes of the file being hashed; undefined between files. */
  private fileBytes: bigint | undefined;

  /** The next entry begins. */
  entry(rel: string, directory: boolean): void {
    this.endFile();
    this.h.update(`${directory ? 'd' : 'f'}${rel}\0`);
    if (!directory) this.fileBytes = 0n;
  }

  /** Bytes of the current file. */
  data(b: Uint8Array): void {
    if (this.fileBytes === undefined) throw new Error('AddedFileHash: data outside a file');
    this.h.update(b);
    this.fileBytes += BigInt(b.byteLength);
  }

  digest(): string {
    this.endFile();
    return this.h.digest('hex');
  }

  private endFile(): void {
    if (this.fileBytes === undefined) return;
    const n = Buffer.alloc(8);
    n.writeBigUInt64BE(this.fileBytes);
    this.h.update(n);
    this.fileBytes = undefined;
  }
}

/** AddedFileHash's digest of the added file or directory at `p`, read from disk. */
export function addedFileSha256(p: string): string {
  const h = new AddedFileHash();
  const buf = Buffer.allocUnsafe(1 << 20);
  for (const e of addedFileEntries(p)) {
    h.entry(e.rel, e.directory);
    if (e.directory) continue;
    const fd = fs.openSync(e.abs, 'r');
    try {
      for (let n = fs.readSync(fd, buf); n > 0; n = fs.readSync(fd, buf)) h.data(buf.subarray(0, n));
    } finally {
      fs.closeSync(fd);
    }
  }
  return h.digest();
}
