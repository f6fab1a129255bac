// The sink tests' input (@sluice/postgres, @sluice/redis), made from a seed: batch b's
// records are { id, word, n } with ids b*perBatch .. (b+1)*perBatch-1, words from a
// vocabulary of `words`, n in [1, 100). The fixture job and the test both call it, so the
// test's expected contents are computed from the input, never from the sink. Fixture jobs
// import it as `@sluice/test-servers/sink-input` (bundled into the job: it imports nothing
// but the PRNG).
import { mulberry32 } from './prng.js';

export interface SinkRecord {
  readonly id: number;
  readonly word: string;
  readonly n: number;
}

export function batchRecords(seed: number, batch: number, perBatch: number, words: number): SinkRecord[] {
  const rand = mulberry32((seed ^ Math.imul(batch + 1, 0x9e3779b1)) >>> 0);
  const out: SinkRecord[] = [];
  for (let i = 0; i < perBatch; i++) {
    const w = Math.floor(rand() * words);
    // A few words need escaping in COPY's text format and in SQL.
    const word = w % 97 === 0 ? `w${w}\t"quote'\\` : w % 89 === 0 ? `wörd ${w}\n` : `w${w}`;
    out.push({ id: batch * perBatch + i, word, n: 1 + Math.floor(rand() * 99) });
  }
  return out;
}

/**
 * Partition `partition` of batch `batch`'s records, as the fixture jobs' sc.parallelize(records,
 * partitions) slices them (Spark's ParallelCollectionRDD.slice: records
 * [floor(i * n / p), floor((i + 1) * n / p)) in partition i): what a sink's partition wrote.
 */
export function partitionRecords(input: { readonly seed: number; readonly perBatch: number; readonly words: number; readonly partitions: number }, batch: number, partition: number): SinkRecord[] {
  const records = batchRecords(input.seed, batch, input.perBatch, input.words);
  return records.slice(Math.floor((partition * records.length) / input.partitions), Math.floor(((partition + 1) * records.length) / input.partitions));
}

/** The sums of n by word over the given (batch, partition) slices of the input (partitionRecords'): a counter sink's expected contents. */
export function wordSums(input: { readonly seed: number; readonly perBatch: number; readonly words: number; readonly partitions: number }, parts: readonly (readonly [batch: number, partition: number])[]): Map<string, number> {
  const sums = new Map<string, number>();
  for (const [b, p] of parts) for (const r of partitionRecords(input, b, p)) sums.set(r.word, (sums.get(r.word) ?? 0) + r.n);
  return sums;
}
