/**
 * How many records each partition of a direct input may take in one batch, as Spark's
 * DirectKafkaInputDStream.maxMessagesPerPartition:
 *
 *  - with a rate from backpressure (records/s for the whole stream), each partition gets
 *    the share of it that its lag (records waiting) is of the total lag, capped at
 *    `maxRatePerPartition`;
 *  - without one, each partition gets `maxRatePerPartition`;
 *  - `maxRatePerPartition` is one rate for all, or one per partition in the order of `lags`
 *    (Spark's PerPartitionConfig); 0 is no rate of its own: under backpressure the partition's
 *    share is not capped; without, no limit when no partition has a rate, else (Spark's
 *    effective rate 0) `minRatePerPartition` records a batch;
 *  - a partition's rate × the batch interval, rounded down, and at least
 *    `minRatePerPartition` (default 1, Spark's spark.streaming.kafka.minRatePerPartition).
 *
 * Returns one limit per partition, in the order of `lags`, or undefined for no limit
 * (no rate and no maxRatePerPartition, or every partition without lag).
 */
export function maxRecordsPerPartition(
  lags: readonly number[],
  batchIntervalMs: number,
  options: { readonly rate?: number; readonly maxRatePerPartition?: number | readonly number[]; readonly minRatePerPartition?: number } = {},
): number[] | undefined {
  const m = options.maxRatePerPartition;
  const maxOf = (i: number): number | undefined => {
    const r = typeof m === 'number' ? m : m?.[i];
    return r !== undefined && r > 0 ? r : undefined;
  };
  let perPartition: number[];
  if (options.rate !== undefined && options.rate > 0) {
    const totalLag = lags.reduce((a, l) => a + Math.max(0, l), 0);
    if (totalLag === 0) return undefined;
    perPartition = lags.map((l, i) => {
      const share = (Math.max(0, l) / totalLag) * options.rate!;
      const maxPer = maxOf(i);
      return maxPer === undefined ? share : Math.min(share, maxPer);
    });
  } else {
    if (lags.every((_, i) => maxOf(i) === undefined)) return undefined;
    // A partition without a rate of its own beside limited ones: Spark's rate 0 for it, so
    // the floor below (minRatePerPartition) is what it takes a batch.
    perPartition = lags.map((_, i) => maxOf(i) ?? 0);
  }
  if (!(perPartition.reduce((a, r) => a + r, 0) > 0)) return undefined;
  const secs = batchIntervalMs / 1000;
  const min = options.minRatePerPartition ?? 1;
  return perPartition.map((r) => Math.max(Math.floor(secs * r), min));
}
