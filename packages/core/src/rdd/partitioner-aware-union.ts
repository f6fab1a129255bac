import type { SluiceContext } from '../context.js';
import { partitionerEquals } from './partitioner.js';
import { RDD } from './rdd.js';

/**
 * sc.union / rdd.union of RDDs that all have the same partitioner (Sluice's
 * partitionerEquals: same kind, partition count, bounds or function), as Spark's
 * PartitionerAwareUnionRDD: partition i is every input's partition i, in input order (inputs without partitions left out), and
 * the result keeps the partitioner, so a reduceByKey or join with it after the union runs
 * without a shuffle. Undefined when an input has no partitioner or another one: the caller
 * builds the plain union (partitions concatenated, no partitioner).
 */
export function partitionerAwareUnion<T>(context: SluiceContext, rdds: readonly RDD<T>[]): RDD<T> | undefined {
  // As Spark, inputs without partitions (an empty RDD) do not count.
  const inputs = rdds.filter((r) => r.numPartitions > 0);
  const partitioner = inputs[0]?.partitioner;
  if (partitioner === undefined || !inputs.every((r) => partitionerEquals(r.partitioner, partitioner))) return undefined;
  if (!inputs.every((r) => r.numPartitions === partitioner.numPartitions)) return undefined;
  return new RDD<T>(
    context,
    partitioner.numPartitions,
    { kind: 'partitionerAwareUnion' },
    inputs.map((r) => ({ type: 'narrow', rdd: r as RDD<unknown> })),
    partitioner,
  );
}

/**
 * Where a partitioner-aware union's partition i prefers to run, as Spark's
 * PartitionerAwareUnionRDD.getPreferredLocations: the workers that hold the most of its
 * inputs' partitions i (`holders`: for each input, the workers holding its partition i),
 * or none when no input's partition is held anywhere.
 */
export function mostCommonHolders(holders: readonly (readonly string[])[]): string[] {
  const counts = new Map<string, number>();
  for (const ws of holders) for (const w of new Set(ws)) counts.set(w, (counts.get(w) ?? 0) + 1);
  let max = 0;
  for (const c of counts.values()) if (c > max) max = c;
  return [...counts].filter(([, c]) => c === max).map(([w]) => w);
}
