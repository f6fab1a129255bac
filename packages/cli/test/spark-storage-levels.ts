// Spark's StorageLevel constants as Spark prints them (StorageLevel.toString and .description
// for the flags org.apache.spark.storage.StorageLevel gives each: useDisk, useMemory, useOffHeap,
// deserialized, replication), written out by hand from Spark's object StorageLevel, so the
// tests compare Sluice's levels with Spark's and not with Sluice's own code.

export type LevelName = keyof typeof SPARK_LEVELS;

/** name -> [useDisk, useMemory, useOffHeap, deserialized, replication, toString, description]. */
export const SPARK_LEVELS = {
  NONE: [false, false, false, false, 1, 'StorageLevel(1 replicas)', 'Serialized 1x Replicated'],
  DISK_ONLY: [true, false, false, false, 1, 'StorageLevel(disk, 1 replicas)', 'Disk Serialized 1x Replicated'],
  DISK_ONLY_2: [true, false, false, false, 2, 'StorageLevel(disk, 2 replicas)', 'Disk Serialized 2x Replicated'],
  DISK_ONLY_3: [true, false, false, false, 3, 'StorageLevel(disk, 3 replicas)', 'Disk Serialized 3x Replicated'],
  MEMORY_ONLY: [false, true, false, true, 1, 'StorageLevel(memory, deserialized, 1 replicas)', 'Memory Deserialized 1x Replicated'],
  MEMORY_ONLY_2: [false, true, false, true, 2, 'StorageLevel(memory, deserialized, 2 replicas)', 'Memory Deserialized 2x Replicated'],
  MEMORY_ONLY_SER: [false, true, false, false, 1, 'StorageLevel(memory, 1 replicas)', 'Memory Serialized 1x Replicated'],
  MEMORY_ONLY_SER_2: [false, true, false, false, 2, 'StorageLevel(memory, 2 replicas)', 'Memory Serialized 2x Replicated'],
  MEMORY_AND_DISK: [true, true, false, true, 1, 'StorageLevel(disk, memory, deserialized, 1 replicas)', 'Disk Memory Deserialized 1x Replicated'],
  MEMORY_AND_DISK_2: [true, true, false, true, 2, 'StorageLevel(disk, memory, deserialized, 2 replicas)', 'Disk Memory Deserialized 2x Replicated'],
  MEMORY_AND_DISK_SER: [true, true, false, false, 1, 'StorageLevel(disk, memory, 1 replicas)', 'Disk Memory Serialized 1x Replicated'],
  MEMORY_AND_DISK_SER_2: [true, true, false, false, 2, 'StorageLevel(disk, memory, 2 replicas)', 'Disk Memory Serialized 2x Replicated'],
  OFF_HEAP: [true, true, true, false, 1, 'StorageLevel(disk, memory, offheap, 1 replicas)', 'Disk Memory (off heap) Serialized 1x Replicated'],
} as const;

/** Spark's `String(level)` of the constant of that name. */
export function printed(name: LevelName): string {
  return SPARK_LEVELS[name][5];
}

/** The level's fields as a StorageLevel serializes to JSON (its five flags). */
export function flags(name: LevelName): { useDisk: boolean; useMemory: boolean; useOffHeap: boolean; deserialized: boolean; replication: number } {
  const [useDisk, useMemory, useOffHeap, deserialized, replication] = SPARK_LEVELS[name];
  return { useDisk, useMemory, useOffHeap, deserialized, replication };
}
