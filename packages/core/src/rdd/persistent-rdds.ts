import type { ContextCleaner } from '../context-cleaner.js';
import type { RDD } from './rdd.js';

/**
 * The RDDs of a job persisted and not unpersisted, by id: Spark's SparkContext.persistentRdds,
 * whose values are weak too, so an RDD the program dropped (a streaming batch's, say) is not
 * kept alive by being listed here. Each is watched by the context cleaner (absent with
 * spark.cleaner.referenceTracking false), which unpersists it once it is garbage collected.
 */
export class PersistentRdds {
  private readonly byId = new Map<number, WeakRef<RDD<unknown>>>();
  private setsSincePrune = 0;

  constructor(private readonly cleaner?: ContextCleaner) {}

  set(rdd: RDD<unknown>): void {
    // Watched once (persist and localCheckpoint may both list it): one clean-up when collected.
    if (this.byId.get(rdd.id)?.deref() === rdd) return;
    this.byId.set(rdd.id, new WeakRef(rdd));
    this.cleaner?.watchRdd(rdd, rdd.id);
    if (++this.setsSincePrune >= 1024) this.live();
  }

  delete(id: number): void {
    const rdd = this.byId.get(id)?.deref();
    if (rdd !== undefined) this.cleaner?.forget(rdd);
    this.byId.delete(id);
  }

  /** The RDDs still persisted and alive, by id (the dead ones dropped). */
  live(): Map<number, RDD<unknown>> {
    this.setsSincePrune = 0;
    const out = new Map<number, RDD<unknown>>();
    for (const [id, ref] of this.byId) {
      const rdd = ref.deref();
      if (rdd === undefined) this.byId.delete(id);
      else out.set(id, rdd);
    }
    return out;
  }
}
