import type { MapOutputLocation } from '@sluice/core/internal';

/** Spark's MapOutputTrackerMaster.SHUFFLE_PREF_MAP_THRESHOLD: with this many map outputs or more, reduce tasks prefer no worker. */
export const SHUFFLE_PREF_MAP_THRESHOLD = 1000;
/** Spark's SHUFFLE_PREF_REDUCE_THRESHOLD: with this many reduce partitions or more, reduce tasks prefer no worker. */
export const SHUFFLE_PREF_REDUCE_THRESHOLD = 1000;
/** Spark's REDUCER_PREF_LOCS_FRACTION: a worker holding at least this share of a reduce partition's input is preferred. */
export const REDUCER_PREF_LOCS_FRACTION = 0.2;

/**
 * The workers a reduce task of partition `reduce` prefers (reduce-side locality), as Spark's
 * ShuffledRDD.getPreferredLocations with spark.shuffle.reduceLocality.enabled:
 * MapOutputTrackerMaster.getPreferredLocationsForShuffle takes, when the shuffle has fewer than
 * SHUFFLE_PREF_MAP_THRESHOLD map outputs and fewer than SHUFFLE_PREF_REDUCE_THRESHOLD reduce
 * partitions, the locations holding at least REDUCER_PREF_LOCS_FRACTION of the partition's
 * bytes over all map outputs (getLocationsWithLargestOutputs; each map output's segment as its
 * MapStatus tells it, empty ones left out). `locations[m]` and `sizeOf(m)` are map output m's
 * worker and segment bytes (undefined: the output is lost, left out). Spark prefers the hosts
 * (NODE_LOCAL); Sluice's one level is the worker.
 */
export function largestOutputHolders(locations: readonly MapOutputLocation[], numReduces: number, sizeOf: (map: number) => number | undefined): string[] {
  if (locations.length >= SHUFFLE_PREF_MAP_THRESHOLD || numReduces >= SHUFFLE_PREF_REDUCE_THRESHOLD) return [];
  const bytes = new Map<string, number>();
  let total = 0;
  for (let m = 0; m < locations.length; m++) {
    const size = sizeOf(m);
    if (size === undefined || size <= 0) continue;
    const w = locations[m].workerId;
    bytes.set(w, (bytes.get(w) ?? 0) + size);
    total += size;
  }
  const out: string[] = [];
  for (const [w, b] of bytes) if (b / total >= REDUCER_PREF_LOCS_FRACTION) out.push(w);
  return out;
}
