import fs from 'node:fs';
import path from 'node:path';
import { STATE_DIR } from './metadata-store.js';

const NAME = /^stream-(\d+)-(\d+)$/;

/**
 * Delete the RDD checkpoints under `<checkpointDir>/state/` that recovery no longer needs:
 * those no kept metadata checkpoint refers to (`referenced`, paths relative to the
 * checkpoint directory) and whose batch time is at most `upToTime` (a later one may be
 * being written). Returns the directories deleted.
 */
export function pruneStateCheckpoints(checkpointDir: string, referenced: ReadonlySet<string>, upToTime: number): string[] {
  const root = path.join(checkpointDir, STATE_DIR);
  let names: string[];
  try {
    names = fs.readdirSync(root);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const n of names) {
    const m = NAME.exec(n);
    if (!m || Number(m[2]) > upToTime || referenced.has(`${STATE_DIR}/${n}`)) continue;
    try {
      fs.rmSync(path.join(root, n), { recursive: true, force: true });
      removed.push(n);
    } catch {
      // A directory still being written by a late task: the next pruning gets it.
    }
  }
  return removed;
}

/** Whether every part file of a checkpointed RDD is there (a checkpoint is written part by part). */
export function missingCheckpointParts(dir: string, numPartitions: number): string[] {
  const missing: string[] = [];
  for (let i = 0; i < numPartitions; i++) if (!fs.existsSync(path.join(dir, `part-${i}`))) missing.push(`part-${i}`);
  return missing;
}
