import type { RDD } from './rdd.js';

/**
 * The RDDs of a job persisted and not unpersisted, by id: Spark's SparkContext.persistentRdds,
 * whose values are weak too, so an RDD the program dropped (a streaming batch's, say) is not
 * kept alive by being listed here.
 */
export class PersistentRdds {
  private readonly byId = new Map<number, WeakRef<RDD<unknown>>>();
  private setsSincePrune = 0;

  set(rdd: RDD<unknown>): void {
    this.byId.set(rdd.id, new WeakRef(rdd));
    if (++this.setsSincePrune >= 1024) this.live();
  }

  delete(id: number): void {
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
