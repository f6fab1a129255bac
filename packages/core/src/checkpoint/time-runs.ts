import { SluiceError } from '../errors.js';

/**
 * Batch times written as runs of the batch interval: `[first, count]` stands for first,
 * first + interval, ..., first + (count - 1) * interval. A backlog of pending batches, or
 * a stream's batches with no input, are consecutive times: one run each however long, so
 * a metadata checkpoint's size does not grow with them.
 */
export type TimeRun = readonly [first: number, count: number];

/**
 * `times` (any order, no duplicates) as runs of `intervalMs`, oldest first. Linear when they
 * come in order (a Set or Map of batch times filled as batches are generated): a snapshot is
 * taken at each batch's generation and end, so under a backlog of n batches a sort would cost
 * O(n log n) of the driver program's thread twice a batch (10,000 pending: ~25 ms a snapshot).
 */
export function toTimeRuns(times: Iterable<number>, intervalMs: number): TimeRun[] {
  const sorted = [...times];
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i] < sorted[i - 1]) {
      sorted.sort((a, b) => a - b);
      break;
    }
  }
  const runs: [number, number][] = [];
  for (const t of sorted) {
    const last = runs[runs.length - 1];
    if (last && t === last[0] + last[1] * intervalMs) last[1]++;
    else runs.push([t, 1]);
  }
  return runs;
}

/**
 * An input's batches for its checkpoint data, in one pass: those that took something as
 * `[time, plain(items)]` oldest first, the others as runs of the interval.
 */
export function splitEmpty<I, P>(batches: ReadonlyMap<number, readonly I[]>, plain: (items: readonly I[]) => P[], intervalMs: number): { batches: [number, P[]][]; emptyBatches: TimeRun[] } {
  const taken: [number, P[]][] = [];
  const empty: number[] = [];
  for (const [t, items] of batches) {
    if (items.length > 0) taken.push([t, plain(items)]);
    else empty.push(t);
  }
  for (let i = 1; i < taken.length; i++) {
    if (taken[i][0] < taken[i - 1][0]) {
      taken.sort((a, b) => a[0] - b[0]);
      break;
    }
  }
  return { batches: taken, emptyBatches: toTimeRuns(empty, intervalMs) };
}

/** The times `runs` stand for, oldest first; `what` names the field in the error a malformed run gets. */
export function fromTimeRuns(runs: unknown, intervalMs: number, what: string): number[] {
  if (!Array.isArray(runs)) throw badRuns(what, runs);
  const times: number[] = [];
  for (const r of runs as unknown[]) {
    if (!Array.isArray(r) || r.length !== 2 || !Number.isSafeInteger(r[0]) || !Number.isSafeInteger(r[1]) || (r[1] as number) < 1) throw badRuns(what, r);
    for (let i = 0; i < (r[1] as number); i++) times.push((r[0] as number) + i * intervalMs);
  }
  return times;
}

function badRuns(what: string, got: unknown): SluiceError {
  return new SluiceError('SLUICE_CHECKPOINT', `the metadata checkpoint's ${what} is not a list of [first batch time, count] runs (got ${JSON.stringify(got)?.slice(0, 200)}); the checkpoint directory is damaged: move or delete it to start afresh`);
}
