import { SluiceError } from '../errors.js';

/**
 * The partitions sc.runJob / sc.submitJob are given, checked as Spark's DAGScheduler.submitJob
 * checks them: each a partition of the RDD ("Attempting to access a non-existent partition: p.
 * Total number of partitions: n"), else SLUICE_BAD_ARGUMENT where the method is called; absent:
 * every partition, in order.
 */
export function jobPartitions(method: string, numPartitions: number, partitions: readonly number[] | undefined): readonly number[] {
  if (partitions === undefined) return Array.from({ length: numPartitions }, (_, i) => i);
  if (!Array.isArray(partitions)) throw new SluiceError('SLUICE_BAD_ARGUMENT', `${method}: the partitions must be an array of partition indexes, got ${typeof partitions}`);
  for (const p of partitions as readonly unknown[]) {
    if (typeof p !== 'number' || !Number.isInteger(p) || p < 0 || p >= numPartitions) {
      throw new SluiceError('SLUICE_BAD_ARGUMENT', `${method}: Attempting to access a non-existent partition: ${typeof p === 'string' ? JSON.stringify(p) : String(p)}. Total number of partitions: ${numPartitions}; give indexes from 0 to ${numPartitions - 1}`);
    }
  }
  return [...partitions];
}
