// fixtures/kinesis-count-job.ts's output read back (each batch a `BATCH {time, counts, ids}`
// line), and the check of the tests that count exactly (kinesis-count, kinesis-disk-full,
// kinesis-worker-pause): against what kinesalite accepted (producer.ts's Sent), no record
// lost, each counted once, each key's count exact.
import assert from 'node:assert/strict';
import { jsonLines } from '../job-runner.js';
import type { Sent } from './producer.js';

/** A batch as the count fixture prints it. */
export interface CountBatch {
  readonly time: number;
  readonly counts: Record<string, number>;
  readonly ids: number[];
}

/** The job's batches, every id they counted and the per key counts summed over them. */
export function countTotals(lines: readonly string[]): { counts: Map<string, number>; ids: number[]; batches: CountBatch[] } {
  const batches = jsonLines<CountBatch>(lines, 'BATCH ');
  const counts = new Map<string, number>();
  for (const b of batches) for (const [k, n] of Object.entries(b.counts)) counts.set(k, (counts.get(k) ?? 0) + n);
  return { counts, ids: batches.flatMap((b) => b.ids), batches };
}

/** Every record `sent` counted, `n` ids counted in all (none twice), each key's count what was put; returns the ids counted. */
export function assertCountedExactlyOnce(lines: readonly string[], sent: Sent, n: number): number[] {
  const { counts, ids } = countTotals(lines);
  const distinct = new Set(ids);
  const missing = sent.ids.filter((id) => !distinct.has(id));
  assert.deepEqual(missing.slice(0, 20), [], `no record lost (${missing.length} missing)`);
  assert.equal(ids.length, n, `each record counted once (${ids.length - distinct.size} counted twice)`);
  assert.deepEqual([...counts].sort(), [...sent.counts].sort(), 'per key counts equal what was put');
  return ids;
}
