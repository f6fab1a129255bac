import type { TextSplit } from '../rdd/plan.js';
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
