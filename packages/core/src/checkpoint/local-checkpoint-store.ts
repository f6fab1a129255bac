import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { DiskFullError, isDiskFull, isNotWritable, notWritableFix, SluiceError } from '../errors.js';
import { checkKey } from './checkpoint-location.js';
import type { CheckpointObject, CheckpointStore } from './checkpoint-store.js';
import { makeDirectory } from '../util/make-directory.js';

/** Suffix of a file being written; such files are never listed as objects. */
const TMP_SUFFIX = '.sluice-tmp';

interface Walked {
  readonly files: { key: string; size: number; tmp: boolean }[];
  /** Directories under the walk's start and the start itself, deepest first, as keys. */
  readonly dirs: string[];
}

/**
 * A checkpoint store on a local or shared file system (NFS, a mounted volume): the
 * default, for plain paths and file:// locations. Keys are paths under the root
 * directory. A write goes to a temporary file in the same directory, is fsynced, and is
 * renamed over the key (and the directory fsynced), so a reader (or a process killed
 * half way) never sees a part; a temporary file left by a killed writer is removed by
 * `deletePrefix` and `removeTemporary`.
 *
 * For a cluster of several hosts the root must be a directory every host mounts at the
 * same path, as Spark needs a shared file system (or HDFS) for checkpoints.
 */
export class LocalCheckpointStore implements CheckpointStore {
  readonly location: string;

  constructor(root: string) {
    this.location = root;
  }

  describe(key: string): string {
    return path.join(this.location, ...key.split('/'));
  }

  async ensure(): Promise<void> {
    try {
      await makeDirectory(this.location);
      await fs.promises.access(this.location, fs.constants.W_OK);
    } catch (err) {
      throw new SluiceError('SLUICE_CHECKPOINT', `checkpoint directory '${this.location}' cannot be created or written: ${(err as Error).message}; choose a writable directory`, { cause: err });
    }
  }

  async write(key: string, data: Uint8Array | string): Promise<void> {
    checkKey(key, this.location);
    const file = this.describe(key);
    const tmp = `${file}.${process.pid}.${crypto.randomBytes(6).toString('hex')}${TMP_SUFFIX}`;
    try {
      await makeDirectory(path.dirname(file));
      const fh = await fs.promises.open(tmp, 'w');
      try {
        await fh.writeFile(data);
        await fh.sync();
      } catch (err) {
        // The write's error is the one to act on: a close that fails too (on NFS it reports the
        // same full disk or quota again, or EIO) must not replace it.
        await fh.close().catch(() => undefined);
        throw err;
      }
      await fh.close();
      await fs.promises.rename(tmp, file);
      await fsyncDir(path.dirname(file));
    } catch (err) {
      // The write's own error is what the user acts on: a temporary file that cannot be removed
      // either (the directory made read-only between open and rename) is left for removeTemporary.
      await fs.promises.rm(tmp, { force: true }).catch(() => undefined);
      if (isDiskFull(err)) {
        throw new DiskFullError({ path: file, what: `checkpoint file ${key}`, where: `process ${process.pid}`, fix: 'point the checkpoint directory (ssc.checkpoint(dir) / sc.setCheckpointDir(dir)) at a larger disk', cause: err });
      }
      const why = isNotWritable(err) ? `: ${notWritableFix(refusingDirectory(err, file), err)}` : '';
      throw new SluiceError('SLUICE_CHECKPOINT', `cannot write checkpoint file '${file}': ${(err as Error).message}${why}`, { cause: err });
    }
  }

  async read(key: string): Promise<Buffer | undefined> {
    checkKey(key, this.location);
    const file = this.describe(key);
    try {
      return await fs.promises.readFile(file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return undefined;
      throw new SluiceError('SLUICE_CHECKPOINT', `cannot read checkpoint file '${file}': ${(err as Error).message}`, { cause: err });
    }
  }

  async list(prefix: string): Promise<CheckpointObject[]> {
    const walked = await this.walk(prefix);
    return walked.files.filter((f) => !f.tmp && f.key.startsWith(prefix)).map(({ key, size }) => ({ key, size }));
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (const key of keys) {
      checkKey(key, this.location);
      await this.remove(this.describe(key));
    }
  }

  async deletePrefix(prefix: string): Promise<number> {
    if (prefix.endsWith('/')) {
      // A whole directory: count its objects, then remove it in one go.
      checkKey(prefix.slice(0, -1), this.location);
      const n = (await this.list(prefix)).length;
      const dir = this.describe(prefix.slice(0, -1));
      try {
        await fs.promises.rm(dir, { recursive: true, force: true });
      } catch (err) {
        throw this.ioError('delete', prefix.slice(0, -1), err);
      }
      return n;
    }
    const walked = await this.walk(prefix);
    let n = 0;
    for (const f of walked.files) {
      if (!f.key.startsWith(prefix)) continue;
      await this.remove(this.describe(f.key));
      if (!f.tmp) n++;
    }
    // Directories the prefix covers, now empty (deepest first).
    for (const d of walked.dirs) {
      if (!`${d}/`.startsWith(prefix) && !d.startsWith(prefix)) continue;
      try {
        await fs.promises.rmdir(this.describe(d));
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'ENOENT') throw this.ioError('delete', d, err);
      }
    }
    return n;
  }

  async removeTemporary(prefix: string): Promise<void> {
    for (const f of (await this.walk(prefix)).files) if (f.tmp && f.key.startsWith(prefix)) await this.remove(this.describe(f.key));
  }

  private async remove(file: string): Promise<void> {
    try {
      await fs.promises.rm(file, { force: true });
    } catch (err) {
      const why = isNotWritable(err) ? `: ${notWritableFix(refusingDirectory(err, file), err)}` : '';
      throw new SluiceError('SLUICE_CHECKPOINT', `cannot delete checkpoint file '${file}': ${(err as Error).message}${why}`, { cause: err });
    }
  }

  /** Files (and directories) under the directory part of `prefix`, recursively. */
  private async walk(prefix: string): Promise<Walked> {
    const cut = prefix.lastIndexOf('/');
    const startKey = cut < 0 ? '' : prefix.slice(0, cut);
    if (startKey !== '') checkKey(startKey, this.location);
    const files: Walked['files'] = [];
    const dirs: string[] = [];
    const visit = async (dirKey: string): Promise<void> => {
      const abs = dirKey === '' ? this.location : this.describe(dirKey);
      let entries: fs.Dirent[];
      try {
        entries = await fs.promises.readdir(abs, { withFileTypes: true });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') return;
        throw this.ioError('list', dirKey, err);
      }
      for (const e of entries) {
        const key = dirKey === '' ? e.name : `${dirKey}/${e.name}`;
        // Only descend where keys can still match the prefix.
        if (!key.startsWith(prefix) && !prefix.startsWith(`${key}/`)) continue;
        if (e.isDirectory()) {
          await visit(key);
          dirs.push(key);
        } else if (e.isFile()) {
          let size = 0;
          try {
            size = (await fs.promises.stat(path.join(abs, e.name))).size;
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // deleted meanwhile
            throw this.ioError('list', key, err);
          }
          const tmp = e.name.endsWith(TMP_SUFFIX);
          files.push({ key, size, tmp });
        }
      }
    };
    await visit(startKey);
    if (startKey !== '') dirs.push(startKey);
    files.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return { files, dirs };
  }

  private ioError(op: string, key: string, err: unknown): SluiceError {
    const where = key === '' ? this.location : this.describe(key);
    const why = op === 'delete' && isNotWritable(err) ? `: ${notWritableFix(refusingDirectory(err, where), err)}` : '';
    return new SluiceError('SLUICE_CHECKPOINT', `cannot ${op} checkpoint files under '${where}': ${(err as Error).message}${why}`, { cause: err });
  }
}

/**
 * The directory that refused a write or delete (`err`): the one holding the entry the call made,
 * opened, renamed or removed (a mkdir of `state/stream-2-1000` is refused by `state`), else
 * the one holding `file`.
 */
function refusingDirectory(err: unknown, file: string): string {
  return path.dirname((err as NodeJS.ErrnoException).path ?? file);
}

/** Make a rename in `dir` durable; best effort (some file systems cannot fsync a directory). */
async function fsyncDir(dir: string): Promise<void> {
  let fh: fs.promises.FileHandle | undefined;
  try {
    fh = await fs.promises.open(dir, 'r');
    await fh.sync();
  } catch {
    // the rename is still atomic
  } finally {
    await fh?.close();
  }
}
