import { SluiceError } from '../errors.js';

/**
 * Batch times written as runs of the batch interval: `[first, count]` stands for first,
 * first + interval, ..., first + (count - 1) * interval. A backlog of pending batches, or
 * a stream's batches with no input, are consecutive times: one run each however long, so
 * a metadata checkpoint's size does not grow with them.
 */
export type TimeRun = readonly [first: number, count: number];

/** `times` (any order, no duplicates) as runs of `intervalMs`, oldest first. */
export function toTimeRuns(times: Iterable<number>, intervalMs: number): TimeRun[] {
  const sorted = [...times].sort((a, b) => a - b);
  const runs: [number, number][] = [];
  for (const t of sorted) {
    const last = runs[runs.length - 1];
    if (last && t === last[0] + last[1] * intervalMs) last[1]++;
    else runs.push([t, 1]);
  }
  return runs;
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
