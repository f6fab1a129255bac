import fs from 'node:fs';
import path from 'node:path';
import { SluiceError } from '../errors.js';
import { describeJobPath, resolveJobPath } from '../job-working-directory.js';
import { fileSystemFor } from './file-system-registry.js';

/**
 * The files sc.wholeTextFiles / sc.binaryFiles read, and how they are grouped into
 * partitions, as Spark's WholeTextFileInputFormat / StreamFileInputFormat combine them:
 * `location` is a file, a directory (its files, hidden and `_`-prefixed ones skipped, not
 * its subdirectories) or a glob whose last component holds `*` or `?` (`dir/*.json`).
 * Files are taken in name order and packed into at most `minPartitions` groups, a group
 * closed once it holds its share (total bytes / minPartitions) of the bytes; a file is
 * never split. No file (an empty directory, a glob matching nothing): one empty group.
 */
export function planWholeFiles(location: string, minPartitions: number, operation: string): { files: string[][]; name: string } {
  if (typeof location !== 'string' || location === '') throw new SluiceError('SLUICE_BAD_ARGUMENT', `${operation}: path must be a non-empty string, got ${JSON.stringify(location)}`);
  if (!Number.isInteger(minPartitions) || minPartitions < 1) throw new SluiceError('SLUICE_BAD_ARGUMENT', `${operation}: minPartitions must be a positive integer, got ${String(minPartitions)}`);
  if (fileSystemFor(location, operation)) throw new SluiceError('SLUICE_BAD_ARGUMENT', `${operation}('${location}'): whole files are read from a path on a file system only; read lines with sc.textFile there`);
  const abs = resolveJobPath(location);
  const base = path.basename(abs);
  let names: string[];
  try {
    if (/[*?]/.test(base)) {
      const dir = path.dirname(abs);
      const re = new RegExp(`^${base.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
      names = listFiles(dir).filter((f) => re.test(path.basename(f)));
    } else {
      names = fs.statSync(abs).isDirectory() ? listFiles(abs) : [abs];
    }
  } catch (err) {
    throw new SluiceError('SLUICE_IO', `${operation}: cannot read ${describeJobPath(location, abs)}: ${(err as Error).message}`, { cause: err });
  }
  const sized = names.map((file) => {
    try {
      return { file, size: fs.statSync(file).size };
    } catch (err) {
      throw new SluiceError('SLUICE_IO', `${operation}: cannot read '${file}': ${(err as Error).message}`, { cause: err });
    }
  });
  const total = sized.reduce((a, f) => a + f.size, 0);
  const share = Math.max(1, Math.ceil(total / minPartitions));
  const groups: string[][] = [];
  let group: string[] = [];
  let bytes = 0;
  for (const { file, size } of sized) {
    // Close the group once it has its share, while groups are left to fill.
    if (group.length > 0 && bytes >= share && groups.length < minPartitions - 1) {
      groups.push(group);
      group = [];
      bytes = 0;
    }
    group.push(file);
    bytes += size;
  }
  groups.push(group);
  return { files: groups, name: abs };
}

/** A directory's plain files (hidden and `_`-prefixed ones skipped), in name order. */
function listFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((d) => !d.name.startsWith('.') && !d.name.startsWith('_') && (d.isFile() || (d.isSymbolicLink() && fs.statSync(path.join(dir, d.name)).isFile())))
    .map((d) => path.join(dir, d.name))
    .sort();
}
