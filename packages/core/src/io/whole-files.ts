import fs from 'node:fs';
import { SluiceError } from '../errors.js';
import { fileSystemFor } from './file-system-registry.js';
import { listInputFiles } from './input-paths.js';

/**
 * The files sc.wholeTextFiles / sc.binaryFiles read, and how they are grouped into
 * partitions, as Spark's WholeTextFileInputFormat / StreamFileInputFormat combine them:
 * `location` is what listInputFiles reads (comma-separated files, directories, globs).
 * Files are taken in that order and packed into at most `minPartitions` groups, a group
 * closed once it holds its share (total bytes / minPartitions) of the bytes; a file is
 * never split. No file (an empty directory, a glob matching nothing): one empty group.
 */
export function planWholeFiles(location: string, minPartitions: number, operation: string): { files: string[][]; name: string } {
  if (typeof location !== 'string' || location === '') throw new SluiceError('SLUICE_BAD_ARGUMENT', `${operation}: path must be a non-empty string, got ${JSON.stringify(location)}`);
  if (!Number.isInteger(minPartitions) || minPartitions < 1) throw new SluiceError('SLUICE_BAD_ARGUMENT', `${operation}: minPartitions must be a positive integer, got ${String(minPartitions)}`);
  if (fileSystemFor(location, operation)) throw new SluiceError('SLUICE_BAD_ARGUMENT', `${operation}('${location}'): whole files are read from a path on a file system only; read lines with sc.textFile there`);
  const { files: names, name } = listInputFiles(location, operation);
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
  return { files: groups, name };
}
