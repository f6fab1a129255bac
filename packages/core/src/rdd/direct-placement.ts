/**
 * Where a direct input's partition would rather be read, as Spark's KafkaRDD states it
 * (getPreferredLocations with LocationStrategies.PreferConsistent / PreferFixed): the driver
 * sorts the workers that take tasks (by host, then worker id, both descending, as Spark sorts
 * its executors), keeps those named in `hosts` (a worker's id, its address `host:port`, or its
 * host; all of them when `hosts` is absent or names none), and prefers the one at
 * `floorMod(hash, count)`. The hash depends only on what the partition reads (a topic-partition),
 * so the same key prefers the same worker batch after batch while the workers stay the same
 * (its cached client is used again), and a worker that joins takes its share at the next batch.
 */
export interface DirectPlacement {
  /** A 32-bit hash of what the partition reads (Kafka: TopicPartition.hashCode, as Spark's). */
  readonly hash: number;
  /** Preferred hosts, worker ids or addresses (Spark's PreferFixed host); the partition falls back to every worker when none matches. */
  readonly hosts?: readonly string[];
}

/**
 * Java's String.hashCode (s[0]*31^(n-1) + ... + s[n-1] over UTF-16 code units, in 32-bit
 * arithmetic), so a placement hashed from a name matches the JVM's (Kafka's TopicPartition
 * hashes its topic so).
 */
export function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}
