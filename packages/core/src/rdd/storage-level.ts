import { SluiceError } from '../errors.js';
import type { StorageLevel as PersistLevel } from './plan.js';

/**
 * The levels partitions are stored at: `'MEMORY_ONLY' | 'MEMORY_AND_DISK' | 'DISK_ONLY'` (and
 * `'NONE'`). `persist` takes any of Spark's (SparkStorageLevel) and stores its `_SER`, `_2` and
 * OFF_HEAP levels as one of these: partitions are always stored serialized and not replicated.
 */
export type StorageLevel = PersistLevel;

/**
 * Spark's StorageLevel constants, by Spark's names, so Spark's code ports as written:
 * `rdd.persist(StorageLevel.MEMORY_AND_DISK)`, a receiver's `super(StorageLevel.MEMORY_AND_DISK_2)`,
 * `ssc.socketTextStream(host, port, StorageLevel.MEMORY_AND_DISK_SER)`. Each is its name as a
 * string. `persist` (of an RDD or a DStream) takes any of them, storing a `_SER`, `_2` or OFF_HEAP
 * level as MEMORY_ONLY, MEMORY_AND_DISK or DISK_ONLY (since 2026-12-05; before, a type error and
 * SLUICE_BAD_ARGUMENT); a receiver takes any of them and
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

/**
 * How a persisted RDD's partitions are stored for one of Spark's levels: serialized always and
 * never replicated, so the `_SER` and `_2` variants (and OFF_HEAP, as MEMORY_ONLY) are stored as
 * MEMORY_ONLY, MEMORY_AND_DISK or DISK_ONLY; undefined for 'NONE' or a name that is no level.
 */
export function storedLevel(level: unknown): PersistLevel | undefined {
  if (typeof level !== 'string' || !Object.hasOwn(StorageLevel, level) || level === 'NONE') return undefined;
  if (level.startsWith('DISK_ONLY')) return 'DISK_ONLY';
  if (level.startsWith('MEMORY_AND_DISK')) return 'MEMORY_AND_DISK';
  return 'MEMORY_ONLY';
}

/** `level` when it is one of Spark's storage level names, else SLUICE_BAD_ARGUMENT naming `where`. */
export function sparkStorageLevel(level: unknown, where: string): SparkStorageLevel {
  if (typeof level === 'string' && Object.hasOwn(StorageLevel, level)) return level as SparkStorageLevel;
  throw new SluiceError(
    'SLUICE_BAD_ARGUMENT',
    `${where}: ${typeof level === 'string' ? `'${level}'` : String(level)} is not one of Spark's storage levels; give StorageLevel.MEMORY_AND_DISK_SER_2 (or another StorageLevel.* from @sluice/core)`,
  );
}
