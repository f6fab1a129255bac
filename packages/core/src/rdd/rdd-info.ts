import type { StorageLevel } from './storage-level.js';

/**
 * Spark's RDDInfo as sc.getRDDStorageInfo gives it: a persisted RDD with cached partitions, its
 * id, name (`setName`'s, else its class's, `MapPartitionsRDD`), partitions, how many of them the
 * workers hold, its storage level (the one `persist` was given) and the bytes its cached blocks
 * take in the workers' memory and on their disks.
 */
export interface RDDInfo {
  readonly id: number;
  readonly name: string;
  readonly numPartitions: number;
  readonly numCachedPartitions: number;
  readonly storageLevel: StorageLevel;
  readonly memSize: number;
  readonly diskSize: number;
}

/** @internal A cached RDD as the driver knows it (the backend's status answer): RDDInfo but the level as stored. */
export interface StoredRddInfo {
  readonly id: number;
  readonly name: string;
  readonly numPartitions: number;
  readonly numCachedPartitions: number;
  readonly storage: 'MEMORY_ONLY' | 'MEMORY_AND_DISK' | 'DISK_ONLY';
  readonly memSize: number;
  readonly diskSize: number;
}
