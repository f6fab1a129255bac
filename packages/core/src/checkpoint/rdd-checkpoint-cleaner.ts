import crypto from 'node:crypto';
import { collectGarbage } from '../util/collect-garbage.js';
import type { CheckpointStore } from './checkpoint-store.js';
import { openCheckpointStore } from './checkpoint-store-registry.js';

/** Where a checkpoint directory keeps the checkpoints of RDDs the job's code marked with `rdd.checkpoint()`. */
export const RDDS_DIR = 'rdds';

/** A forced collection once this many checkpoints were written since the last one... */
export const GC_EVERY_CHECKPOINTS = 8;
/** ...and at most once in this long. */
export const GC_MIN_INTERVAL_MS = 1000;

/** What the cleaner reports through (the context's driver log). */
export type CleanerLog = (message: string, fields: Record<string, unknown>) => void;

interface Written {
  readonly location: string;
  readonly key: string;
}

/**
 * The checkpoints of RDDs the job's own code marked (`rdd.checkpoint()`), as Spark's
 * ContextCleaner with `spark.cleaner.referenceTracking.cleanCheckpoints`: each is written
 * to `rdds/<attempt>/rdd-<id>` under the checkpoint directory — a random `attempt` per
 * SluiceContext, never the job id (which changes when a job is submitted again), so no
 * two runs of a job share a name — and deleted once nothing can read it again:
 *
 * - when its RDD is garbage collected (a FinalizationRegistry; a forgotten stream RDD, an
 *   RDD of a finished batch, one a later checkpoint cut from every lineage). So that this
 *   happens in a long stream whose heap never fills, a full collection is forced after
 *   every GC_EVERY_CHECKPOINTS writes (at most once a GC_MIN_INTERVAL_MS), as Spark runs a
 *   periodic GC for its cleaner;
 * - all of this context's, when the job's program ends (`removeAll`);
 * - those of earlier attempts, killed before they could clean up, when a streaming context
 *   that owns the directory starts (`removeEarlierAttempts`).
 *
 * Not on `unpersist()`: an unpersisted RDD is still usable, and its lineage was cut at the
 * checkpoint, so its files are all it is read from. Stream state checkpoints (`state/`)
 * are the MetadataCheckpointer's. Threading: the driver program's thread.
 */
export class RddCheckpointCleaner {
  /** This context's part of `rdds/`. */
  readonly attempt = crypto.randomBytes(6).toString('hex');
  /** Checkpoints written and not deleted yet, by full location. */
  private readonly live = new Map<string, Written>();
  /**
   * Every store location this context wrote a checkpoint to, deleted ones' too: removeAll
   * deletes `rdds/<attempt>/` there even when each checkpoint was already deleted as garbage
   * (it left the empty attempt directory behind when the collector had been quicker than the
   * program's end: rdd-checkpoints under SLUICE_TEST_GC_EVERY_MS).
   */
  private readonly locations = new Set<string>();
  private readonly registry = new FinalizationRegistry<string>((dir) => void this.remove(dir));
  private writtenSinceGc = 0;
  private lastGc = 0;

  constructor(private readonly log: CleanerLog) {}

  /** The key, relative to the checkpoint directory, of RDD `rddId`'s checkpoint. */
  keyFor(rddId: number): string {
    return `${RDDS_DIR}/${this.attempt}/rdd-${rddId}`;
  }

  /** `rdd`'s checkpoint was written at `key` of `store` (its full address `dir`): delete it once `rdd` is garbage. */
  written(rdd: object, store: CheckpointStore, key: string, dir: string): void {
    this.live.set(dir, { location: store.location, key });
    this.locations.add(store.location);
    this.registry.register(rdd, dir);
    if (++this.writtenSinceGc >= GC_EVERY_CHECKPOINTS && Date.now() - this.lastGc >= GC_MIN_INTERVAL_MS) {
      this.writtenSinceGc = 0;
      this.lastGc = Date.now();
      collectGarbage();
    }
  }

  /** How many of this context's checkpoints exist now. */
  get liveCount(): number {
    return this.live.size;
  }

  /** Delete every checkpoint this context wrote (the job's program ended). */
  async removeAll(): Promise<void> {
    const locations = [...this.locations];
    this.live.clear();
    this.locations.clear();
    for (const location of locations) {
      try {
        await openCheckpointStore(location).deletePrefix(`${RDDS_DIR}/${this.attempt}/`);
      } catch (err) {
        this.log('cannot delete the RDD checkpoints of the job', { location, err: (err as Error).message });
      }
    }
  }

  /** Delete what earlier attempts left under `rdds/` of `store` (a streaming context owning it starts). */
  async removeEarlierAttempts(store: CheckpointStore): Promise<string[]> {
    const attempts = new Set<string>();
    for (const o of await store.list(`${RDDS_DIR}/`)) {
      const attempt = o.key.split('/')[1];
      if (attempt && attempt !== this.attempt) attempts.add(attempt);
    }
    for (const a of attempts) await store.deletePrefix(`${RDDS_DIR}/${a}/`);
    return [...attempts];
  }

  private async remove(dir: string): Promise<void> {
    const w = this.live.get(dir);
    if (!w) return;
    this.live.delete(dir);
    try {
      await openCheckpointStore(w.location).deletePrefix(`${w.key}/`);
    } catch (err) {
      this.log('cannot delete the checkpoint of a garbage-collected RDD', { dir, err: (err as Error).message });
    }
  }
}
