import type { MapOutputLocation } from '../scheduler/task-spec.js';

/**
 * Where a shuffle's map outputs live, as a task thread hands it to its worker's main thread
 * with each fetch: the distinct workers once, and for each map output the index of its
 * worker. A typed array is cloned as one copy of its bytes; the locations themselves (one
 * object per map output, 2,000 in a 2,000-map shuffle) would be walked object by object on
 * both sides of every reduce task's fetch.
 */
export interface MapOutputPlaces {
  readonly workers: readonly MapOutputLocation[];
  /** owner[m]: the index in `workers` of map output m's worker. */
  readonly owner: Int32Array;
}

const cache = new WeakMap<readonly MapOutputLocation[], MapOutputPlaces>();

/** The places of `locations` (locations[m]: map output m's), made once per locations array. */
export function placesOf(locations: readonly MapOutputLocation[]): MapOutputPlaces {
  const known = cache.get(locations);
  if (known !== undefined) return known;
  const workers: MapOutputLocation[] = [];
  const index = new Map<string, number>();
  const owner = new Int32Array(locations.length);
  for (let m = 0; m < locations.length; m++) {
    const loc = locations[m];
    const key = `${loc.workerId}\0${loc.address}`;
    let i = index.get(key);
    if (i === undefined) {
      index.set(key, (i = workers.length));
      workers.push({ workerId: loc.workerId, address: loc.address });
    }
    owner[m] = i;
  }
  const places = { workers, owner };
  cache.set(locations, places);
  return places;
}
