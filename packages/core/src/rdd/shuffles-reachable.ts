import type { RDD } from './rdd.js';

/**
 * The shuffle ids in the lineage of `roots`, down to checkpointed RDDs (whose lineage is cut):
 * the shuffles a later job over those RDDs may still read. What is reachable only from RDDs
 * nobody will compute again can have its map outputs removed.
 */
export function shufflesReachable(roots: readonly RDD<unknown>[]): Set<number> {
  const ids = new Set<number>();
  const seen = new Set<RDD<unknown>>();
  const visit = (r: RDD<unknown>): void => {
    if (seen.has(r) || r.checkpointDir !== undefined) return;
    seen.add(r);
    for (const d of r.deps) {
      if (d.type === 'shuffle') ids.add(d.spec.shuffleId);
      visit(d.rdd);
    }
  };
  for (const r of roots) visit(r);
  return ids;
}
