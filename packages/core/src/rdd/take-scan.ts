/**
 * How many partitions take(n) (and takeAsync) reads in its next job, as Spark's RDD.take: one
 * at first (spark.rdd.limit.initialNumPartitions' default); after a scan that found nothing, 4
 * times the partitions scanned so far (spark.rdd.limit.scaleUpFactor's default); else the
 * partitions the elements still wanted need at the rate found so far, plus half, at most 4
 * times those scanned. The caller caps it at the partitions left.
 */
export function takePartitionsToTry(scanned: number, found: number, left: number): number {
  if (scanned === 0) return 1;
  if (found === 0) return scanned * 4;
  return Math.min(Math.ceil((1.5 * left * scanned) / found), scanned * 4);
}
