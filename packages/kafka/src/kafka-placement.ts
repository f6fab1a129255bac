import { javaStringHashCode, type DirectPlacement } from '@sluice/core';

/**
 * Kafka's TopicPartition.hashCode (31 * (31 + partition) + topic.hashCode(), in 32-bit
 * arithmetic): what Spark's KafkaRDD hashes to pick a partition's executor, so a partition
 * prefers the same worker index Spark's would among as many executors.
 */
export function topicPartitionHash(topic: string, partition: number): number {
  return (Math.imul(31, (31 + partition) | 0) + javaStringHashCode(topic)) | 0;
}

/** A per-partition table's key (PreferFixed's host map). */
export const partitionKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

/**
 * Where a topic-partition's range would rather be read, as Spark's KafkaRDD with a
 * LocationStrategy: its hash over the workers taking tasks now (PreferConsistent), among the
 * workers on the host (or the worker) PreferFixed's map names for it when any is.
 */
export function kafkaPlacement(topic: string, partition: number, fixedHosts?: ReadonlyMap<string, string>): DirectPlacement {
  const host = fixedHosts?.get(partitionKey(topic, partition));
  return host === undefined ? { hash: topicPartitionHash(topic, partition) } : { hash: topicPartitionHash(topic, partition), hosts: [host] };
}

/** What leaderHosts reads of a Kafka client's metadata (partitions indexed by number, brokers by id). */
export interface LeaderMetadata {
  readonly brokers: ReadonlyMap<number, { readonly host: string }>;
  readonly topics: ReadonlyMap<string, { readonly partitions: readonly ({ readonly leader: number } | undefined)[] }>;
}

/**
 * PreferBrokers' map, as Spark's DirectKafkaInputDStream.getBrokers: each partition of `topics`
 * to its leader's host (partitions without a known leader left out: they hash over all workers).
 */
export function leaderHosts(md: LeaderMetadata, topics: Iterable<string>): Map<string, string> {
  const out = new Map<string, string>();
  for (const topic of topics) {
    md.topics.get(topic)?.partitions.forEach((p, partition) => {
      const host = p === undefined ? undefined : md.brokers.get(p.leader)?.host;
      if (host !== undefined) out.set(partitionKey(topic, partition), host);
    });
  }
  return out;
}
