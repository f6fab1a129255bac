import type { CheckpointStore } from './checkpoint-store.js';
import { STATE_DIR } from './metadata-store.js';

const NAME = /^state\/(stream-(\d+)-(\d+))\//;

/**
 * Delete the RDD checkpoints under `state/` that recovery no longer needs: those no kept
 * metadata checkpoint refers to (`referenced`, keys relative to the checkpoint directory
 * such as `state/stream-3-1000`) and whose batch time is at most `upToTime` (a later one
 * may be being written). With `newestWritten` (while batches run), a stream's checkpoint
 * later than the newest one of it a metadata file records (or any of a stream with none
 * recorded yet) is kept too: it may be being written now for a batch already completed (a
 * stream computed only at a later batch, as one under a window of a longer slide is), and
 * is recorded once written. Returns the checkpoints deleted.
 */
export async function pruneStateCheckpoints(store: CheckpointStore, referenced: ReadonlySet<string>, upToTime: number, newestWritten?: ReadonlyMap<number, number>): Promise<string[]> {
  const dirs = new Set<string>();
  for (const o of await store.list(`${STATE_DIR}/`)) {
    const m = NAME.exec(o.key);
    if (!m || Number(m[3]) > upToTime || referenced.has(`${STATE_DIR}/${m[1]}`)) continue;
    if (newestWritten !== undefined && Number(m[3]) > (newestWritten.get(Number(m[2])) ?? -Infinity)) continue;
    dirs.add(m[1]);
  }
  const removed: string[] = [];
  for (const d of dirs) {
    await store.deletePrefix(`${STATE_DIR}/${d}/`);
    removed.push(d);
  }
  return removed;
}

/** The part objects of a checkpointed RDD (`dir` relative to the store) that are not there (a checkpoint is written part by part). */
export async function missingCheckpointParts(store: CheckpointStore, dir: string, numPartitions: number): Promise<string[]> {
  const present = new Set((await store.list(`${dir}/`)).map((o) => o.key.slice(dir.length + 1)));
  const missing: string[] = [];
  for (let i = 0; i < numPartitions; i++) if (!present.has(`part-${i}`)) missing.push(`part-${i}`);
  return missing;
}
