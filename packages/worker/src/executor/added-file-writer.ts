import fs from 'node:fs';
import path from 'node:path';
import { AddedFileHash, SluiceError, type wire } from '@sluice/core/internal';

/**
 * Writes an added file as Driver.GetFile sends it (FileChunks: a chunk with `start` begins
 * the next file, or names a directory) at `into`: the added file itself, or the directory
 * that holds the added directory's content, hashing it as it comes (`sha256`, to compare
 * with the driver's). A path that would lead out of `into` is refused.
 */
export class AddedFileWriter {
  private fd: number | undefined;
  private readonly hash = new AddedFileHash();

  constructor(private readonly into: string) {}

  write(c: wire.FileChunk__Output): void {
    if (c.start) {
      this.close();
      const target = this.target(c.path);
      this.hash.entry(c.path, c.directory);
      if (c.directory) {
        fs.mkdirSync(target, { recursive: true });
        return;
      }
      fs.mkdirSync(path.dirname(target), { recursive: true });
      this.fd = fs.openSync(target, 'w');
    }
    if (this.fd === undefined) throw new SluiceError('SLUICE_INTERNAL', 'an added file\'s chunk came before its start (a driver bug)');
    if (c.data.length > 0) {
      fs.writeSync(this.fd, c.data);
      this.hash.data(c.data);
    }
  }

  /** The sha256 of what was written (AddedFileHash), once it all was. */
  sha256(): string {
    this.close();
    return this.hash.digest();
  }

  /** Close the file being written (idempotent). */
  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }

  private target(rel: string): string {
    if (rel === '') return this.into;
    const parts = rel.split('/');
    if (path.isAbsolute(rel) || parts.some((p) => p === '' || p === '.' || p === '..')) throw new SluiceError('SLUICE_INTERNAL', `an added file's entry '${rel}' leads out of its directory (a driver bug)`);
    return path.join(this.into, ...parts);
  }
}
