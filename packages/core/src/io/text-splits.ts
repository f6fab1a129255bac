import type { TextSplit } from '../rdd/plan.js';
import { codecOfFile } from './compression-codec.js';
import type { FileStatus } from './file-system.js';

/**
 * `files` cut into exactly `numPartitions` partitions of (nearly) equal byte counts, in
 * order: partition i takes bytes [i·total/n, (i+1)·total/n) of the files laid end to end,
 * as one split per file it touches. A line belongs to the split holding its first byte
 * (readLines), so every line is read once whatever the cut.
 */
export function planTextSplits(files: readonly FileStatus[], numPartitions: number): { splits: TextSplit[]; groups: number[][] } {
  const total = files.reduce((a, f) => a + f.size, 0);
  const splits: TextSplit[] = [];
  const groups: number[][] = [];
  let fileIndex = 0;
  let fileStart = 0; // global offset of files[fileIndex]
  for (let p = 0; p < numPartitions; p++) {
    const lo = Math.floor((p * total) / numPartitions);
    const hi = Math.floor(((p + 1) * total) / numPartitions);
    const group: number[] = [];
    while (fileIndex < files.length && fileStart + files[fileIndex].size <= lo) fileStart += files[fileIndex++].size;
    let i = fileIndex;
    let start = fileStart;
    while (i < files.length && start < hi) {
      const f = files[i];
      const from = Math.max(lo, start) - start;
      const to = Math.min(hi, start + f.size) - start;
      if (to > from) {
        group.push(splits.length);
        splits.push({ file: f.file, start: from, end: to });
      }
      start += f.size;
      i++;
    }
    groups.push(group);
  }
  return { splits, groups };
}

/** Hadoop's FileInputFormat.SPLIT_SLOP: a file's last split may be up to 10% larger than the split size. */
const SPLIT_SLOP = 1.1;
/** The block size of Hadoop's local file system (`fs.local.block.size`, 32 MiB): no split is larger, as none spans blocks. */
export const LOCAL_BLOCK_SIZE = 32 << 20;

/**
 * The splits of local files as Hadoop's (old API) FileInputFormat.getSplits makes them for
 * Spark's textFile: a goal of total bytes / minPartitions (integer division), a split size of
 * that goal capped at the block size (at least 1 byte), each file cut into splits of that size
 * from its start while what is left is more than 1.1 split sizes, the rest one last split; an
 * empty file is one empty split. So there are at least minPartitions splits, more where files
 * end mid-split or are larger than a block. A compressed file (`.gz`, `.deflate`) is one split,
 * as Hadoop's for a codec that cannot be split.
 */
export function hadoopTextSplits(files: readonly { file: string; size: number }[], minPartitions: number): TextSplit[] {
  const total = files.reduce((a, f) => a + f.size, 0);
  const goal = Math.floor(total / Math.max(1, minPartitions));
  const splitSize = Math.max(1, Math.min(goal, LOCAL_BLOCK_SIZE));
  const splits: TextSplit[] = [];
  for (const f of files) {
    if (f.size === 0) {
      splits.push({ file: f.file, start: 0, end: 0 });
      continue;
    }
    // A compressed file cannot be split: one split, read whole through its codec.
    const codec = codecOfFile(f.file);
    if (codec !== undefined) {
      splits.push({ file: f.file, start: 0, end: f.size, codec });
      continue;
    }
    let left = f.size;
    while (left / splitSize > SPLIT_SLOP) {
      const start = f.size - left;
      splits.push({ file: f.file, start, end: start + splitSize });
      left -= splitSize;
    }
    if (left > 0) splits.push({ file: f.file, start: f.size - left, end: f.size });
  }
  return splits;
}
