import { SluiceError } from '../errors.js';
import { compareKeys, hashKey, nonNegativeMod } from './key.js';

/**
 * How pair records are spread over reduce partitions. Plain data, so it travels in
 * task payloads: a hash partitioner, or a range partitioner with sorted upper bounds
 * (found by sampling the keys, as Spark's RangePartitioner does).
 */
export type Partitioner =
  | { readonly kind: 'hash'; readonly numPartitions: number }
  | { readonly kind: 'range'; readonly numPartitions: number; readonly bounds: readonly unknown[]; readonly ascending: boolean };

export class HashPartitioner {
  static of(numPartitions: number): Partitioner {
    checkPartitions(numPartitions);
    return { kind: 'hash', numPartitions };
  }
}

export class RangePartitioner {
  /** Bounds are filled in by the scheduler from a sample of the keys before the job runs. */
  static of(numPartitions: number, ascending = true): Partitioner {
    checkPartitions(numPartitions);
    return { kind: 'range', numPartitions, bounds: [], ascending };
  }
}

function checkPartitions(n: number): void {
  if (!Number.isInteger(n) || n <= 0) {
    throw new SluiceError('SLUICE_BAD_ARGUMENT', `numPartitions must be a positive integer, got ${String(n)}`);
  }
}

export function partitionerEquals(a: Partitioner | undefined, b: Partitioner | undefined): boolean {
  if (!a || !b || a.kind !== b.kind || a.numPartitions !== b.numPartitions) return false;
  if (a.kind === 'range' && b.kind === 'range') {
    return a.ascending === b.ascending && a.bounds.length === b.bounds.length && a.bounds.every((x, i) => compareKeys(x, b.bounds[i]) === 0);
  }
  return true;
}

/** Returns a fast `key -> partition` function for a partitioner. */
export function partitionFunction(p: Partitioner): (key: unknown) => number {
  if (p.kind === 'hash') {
    const n = p.numPartitions;
    return (k) => nonNegativeMod(hashKey(k), n);
  }
  const bounds = p.bounds;
  const asc = p.ascending;
  const last = p.numPartitions - 1;
  return (k) => {
    let lo = 0;
    let hi = bounds.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareKeys(bounds[mid], k) < 0) lo = mid + 1;
      else hi = mid;
    }
    const idx = Math.min(lo, last);
    return asc ? idx : last - idx;
  };
}

/** Pick numPartitions-1 bounds from sampled keys (sorted ascending). */
export function rangeBounds(sample: unknown[], numPartitions: number): unknown[] {
  const sorted = [...sample].sort(compareKeys);
  const bounds: unknown[] = [];
  if (sorted.length === 0 || numPartitions <= 1) return bounds;
  for (let i = 1; i < numPartitions; i++) {
    const b = sorted[Math.min(sorted.length - 1, Math.floor((i * sorted.length) / numPartitions))];
    if (bounds.length === 0 || compareKeys(b, bounds[bounds.length - 1]) > 0) bounds.push(b);
  }
  return bounds;
}
