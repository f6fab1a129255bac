import { SluiceError } from '../errors.js';
import type { StorageLevel as PersistLevel } from './plan.js';

/**
 * The levels `persist` takes: `'MEMORY_ONLY' | 'MEMORY_AND_DISK' | 'DISK_ONLY'` (and `'NONE'`).
 * Partitions are always stored serialized and not replicated, so Spark's `_SER` and `_2`
 * levels have no counterpart there.
 */
export type StorageLevel = PersistLevel;

/**
 * Spark's StorageLevel constants, by Spark's names, so Spark's code ports as written:
 * `rdd.persist(StorageLevel.MEMORY_AND_DISK)`, a receiver's `super(StorageLevel.MEMORY_AND_DISK_2)`,
 * `ssc.socketTextStream(host, port, StorageLevel.MEMORY_AND_DISK_SER)`. Each is its name as a
 * string. `persist` takes the levels of the `StorageLevel` type only (a `_SER` or `_2` level is a
 * type error there, and SLUICE_BAD_ARGUMENT from JavaScript); a receiver takes any of them and
 * stores its blocks as Sluice always does (serialized, replicated to a second worker or written
 * to the write-ahead log). Since 2026-12-05 (before, `StorageLevel` was a type only).
 */
export const StorageLevel = {
  NONE: 'NONE',
  DISK_ONLY: 'DISK_ONLY',
  DISK_ONLY_2: 'DISK_ONLY_2',
  DISK_ONLY_3: 'DISK_ONLY_3',
  MEMORY_ONLY: 'MEMORY_ONLY',
  MEMORY_ONLY_2: 'MEMORY_ONLY_2',
  MEMORY_ONLY_SER: 'MEMORY_ONLY_SER',
  MEMORY_ONLY_SER_2: 'MEMORY_ONLY_SER_2',
  MEMORY_AND_DISK: 'MEMORY_AND_DISK',
  MEMORY_AND_DISK_2: 'MEMORY_AND_DISK_2',
  MEMORY_AND_DISK_SER: 'MEMORY_AND_DISK_SER',
  MEMORY_AND_DISK_SER_2: 'MEMORY_AND_DISK_SER_2',
  OFF_HEAP: 'OFF_HEAP',
} as const;

/** Any of Spark's storage levels by name: what a receiver or a socket stream is given. */
export type SparkStorageLevel = (typeof StorageLevel)[keyof typeof StorageLevel];

/** `level` when it is one of Spark's storage level names, else SLUICE_BAD_ARGUMENT naming `where`. */
export function sparkStorageLevel(level: unknown, where: string): SparkStorageLevel {
  if (typeof level === 'string' && Object.hasOwn(StorageLevel, level)) return level as SparkStorageLevel;
  throw new SluiceError(
    'SLUICE_BAD_ARGUMENT',
    `${where}: ${typeof level === 'string' ? `'${level}'` : String(level)} is not one of Spark's storage levels; give StorageLevel.MEMORY_AND_DISK_SER_2 (or another StorageLevel.* from @sluice/core)`,
  );
}
