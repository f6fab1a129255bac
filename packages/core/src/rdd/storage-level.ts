import { SluiceError } from '../errors.js';
import type { StorageLevel as PersistLevel } from './plan.js';

/** Spark's storage level names, `StorageLevel.fromString`'s: what `persist` and a receiver also take as a string. */
export type SparkStorageLevel =
  | 'NONE'
  | 'DISK_ONLY'
  | 'DISK_ONLY_2'
  | 'DISK_ONLY_3'
  | 'MEMORY_ONLY'
  | 'MEMORY_ONLY_2'
  | 'MEMORY_ONLY_SER'
  | 'MEMORY_ONLY_SER_2'
  | 'MEMORY_AND_DISK'
  | 'MEMORY_AND_DISK_2'
  | 'MEMORY_AND_DISK_SER'
  | 'MEMORY_AND_DISK_SER_2'
  | 'OFF_HEAP';

/**
 * Spark's StorageLevel (org.apache.spark.storage.StorageLevel): whether to keep a partition in
 * memory, on disk, off the heap, deserialized, and in how many copies. The constants are Spark's,
 * `StorageLevel.MEMORY_ONLY` ... `StorageLevel.OFF_HEAP`, with Spark's flags, so Spark's code
 * ports as written: `rdd.persist(StorageLevel.MEMORY_AND_DISK)`, a receiver's
 * `super(StorageLevel.MEMORY_AND_DISK_2)`, `rdd.getStorageLevel() === StorageLevel.NONE` (the
 * constants are the only instances `getStorageLevel` gives, as Spark's cached levels, so `===`
 * is Spark's `==`; `equals` compares the flags), `String(level)` Spark's
 * `StorageLevel(memory, deserialized, 1 replicas)` and `level.description` Spark's
 * `Memory Deserialized 1x Replicated`. Wherever a level is taken its name is taken too
 * ('MEMORY_ONLY'). Sluice stores a persisted RDD's partitions serialized and once, whatever the
 * level: MEMORY_ONLY, MEMORY_AND_DISK or DISK_ONLY (see `RDD.persist`); at a deserialized level
 * in memory (MEMORY_ONLY, MEMORY_AND_DISK and their _2) a worker's task thread that reads a
 * partition also keeps its records decoded for later reads (since 2026-12-07). Since 2026-12-06
 * (before, each constant was its name as a string, and `getStorageLevel()` gave the name).
 */
export class StorageLevel {
  static readonly NONE = new StorageLevel(false, false, false, false);
  static readonly DISK_ONLY = new StorageLevel(true, false, false, false);
  static readonly DISK_ONLY_2 = new StorageLevel(true, false, false, false, 2);
  static readonly DISK_ONLY_3 = new StorageLevel(true, false, false, false, 3);
  static readonly MEMORY_ONLY = new StorageLevel(false, true, false, true);
  static readonly MEMORY_ONLY_2 = new StorageLevel(false, true, false, true, 2);
  static readonly MEMORY_ONLY_SER = new StorageLevel(false, true, false, false);
  static readonly MEMORY_ONLY_SER_2 = new StorageLevel(false, true, false, false, 2);
  static readonly MEMORY_AND_DISK = new StorageLevel(true, true, false, true);
  static readonly MEMORY_AND_DISK_2 = new StorageLevel(true, true, false, true, 2);
  static readonly MEMORY_AND_DISK_SER = new StorageLevel(true, true, false, false);
  static readonly MEMORY_AND_DISK_SER_2 = new StorageLevel(true, true, false, false, 2);
  static readonly OFF_HEAP = new StorageLevel(true, true, true, false, 1);

  /** Spark's StorageLevel.fromString: the constant of that name, else SLUICE_BAD_ARGUMENT (Spark's "Invalid StorageLevel: X"). */
  static fromString(name: string): StorageLevel {
    const level = typeof name === 'string' && Object.hasOwn(LEVEL_NAMES, name) ? StorageLevel[name as SparkStorageLevel] : undefined;
    if (level === undefined) throw new SluiceError('SLUICE_BAD_ARGUMENT', `StorageLevel.fromString: Invalid StorageLevel: ${String(name)}; give one of ${Object.keys(LEVEL_NAMES).join(', ')}`);
    return level;
  }

  /** As Spark's StorageLevel(useDisk, useMemory, useOffHeap, deserialized, replication): the constant with these flags when there is one. */
  constructor(
    readonly useDisk: boolean,
    readonly useMemory: boolean,
    readonly useOffHeap: boolean,
    readonly deserialized: boolean,
    readonly replication: number = 1,
  ) {
    if (!Number.isInteger(replication) || replication < 0 || replication >= 40) {
      throw new SluiceError('SLUICE_BAD_ARGUMENT', `new StorageLevel: replication must be a whole number under 40, as Spark's, got ${String(replication)}`);
    }
    if (useOffHeap && deserialized) throw new SluiceError('SLUICE_BAD_ARGUMENT', "new StorageLevel: Off-heap storage level does not support deserialized storage (Spark's require)");
  }

  /** Spark's isValid: memory, disk or off-heap, and at least one copy. */
  get isValid(): boolean {
    return (this.useMemory || this.useDisk || this.useOffHeap) && this.replication > 0;
  }

  /** Spark's description: `Disk Memory Serialized 1x Replicated`, `Memory Deserialized 1x Replicated`, ... */
  get description(): string {
    const memory = this.useMemory ? (this.useOffHeap ? 'Memory (off heap) ' : 'Memory ') : '';
    return `${this.useDisk ? 'Disk ' : ''}${memory}${this.deserialized ? 'Deserialized' : 'Serialized'} ${this.replication}x Replicated`;
  }

  /** Spark's equals: the same five flags. */
  equals(other: unknown): boolean {
    return (
      isStorageLevel(other) &&
      other.useDisk === this.useDisk &&
      other.useMemory === this.useMemory &&
      other.useOffHeap === this.useOffHeap &&
      other.deserialized === this.deserialized &&
      other.replication === this.replication
    );
  }

  /** Spark's toString: `StorageLevel(disk, memory, offheap, deserialized, 1 replicas)` with the flags set. */
  toString(): string {
    const words = [this.useDisk && 'disk', this.useMemory && 'memory', this.useOffHeap && 'offheap', this.deserialized && 'deserialized'].filter((w): w is string => w !== false);
    return `StorageLevel(${[...words, `${this.replication} replicas`].join(', ')})`;
  }
}

/**
 * Brands StorageLevel instances of every copy of this module in the process: a job's code may
 * reach a StorageLevel class other than the one the RDD or DStream it calls was built with (a
 * second instance of @sluice/core, as a bundle linked to another core copy would load), and a
 * level is a value: any copy's is taken as the constant with its flags, never refused by
 * `instanceof` (which failed a stream's updateStateByKey persist once, 'unknown storage level
 * StorageLevel(memory, deserialized, 1 replicas)').
 * That second core was found and is fixed where it came from (scripts/bundle-cli.mjs: the
 * `sluice` command's thread bundles rebuilt under a running thread, whose next job's bundle
 * then loaded the new build's core; test thread-bundle-rebuilt). The brand stays as a defence
 * only: a job split across two cores is wrong in more than its levels (`instanceof
 * SluiceContext`, RDD, DStream and SluiceError, and each copy's module state), which nothing
 * here mends.
 */
const STORAGE_LEVEL_BRAND = Symbol.for('sluice.StorageLevel');
Object.defineProperty(StorageLevel.prototype, STORAGE_LEVEL_BRAND, { value: true });

/** A StorageLevel's flags (of any copy of the class). */
type LevelFlags = Pick<StorageLevel, 'useDisk' | 'useMemory' | 'useOffHeap' | 'deserialized' | 'replication'>;

/**
 * Whether `x` is a StorageLevel of this or another copy of this module (branded), or of a class
 * named StorageLevel with a level's five flags (one rebuilt from its text, without the brand).
 */
function isStorageLevel(x: unknown): x is LevelFlags {
  if (x instanceof StorageLevel) return true;
  if (typeof x !== 'object' || x === null) return false;
  if ((x as { readonly [STORAGE_LEVEL_BRAND]?: unknown })[STORAGE_LEVEL_BRAND] === true) return true;
  const f = x as Partial<Record<keyof LevelFlags, unknown>>;
  const bool = (v: unknown): boolean => typeof v === 'boolean';
  return (x.constructor as { readonly name?: unknown } | undefined)?.name === 'StorageLevel' && bool(f.useDisk) && bool(f.useMemory) && bool(f.useOffHeap) && bool(f.deserialized) && typeof f.replication === 'number';
}

const LEVEL_NAMES: Readonly<Record<SparkStorageLevel, true>> = {
  NONE: true,
  DISK_ONLY: true,
  DISK_ONLY_2: true,
  DISK_ONLY_3: true,
  MEMORY_ONLY: true,
  MEMORY_ONLY_2: true,
  MEMORY_ONLY_SER: true,
  MEMORY_ONLY_SER_2: true,
  MEMORY_AND_DISK: true,
  MEMORY_AND_DISK_2: true,
  MEMORY_AND_DISK_SER: true,
  MEMORY_AND_DISK_SER_2: true,
  OFF_HEAP: true,
};

/**
 * A level as given (a StorageLevel, or one of Spark's names) as Spark's cached instance: the
 * constant of that name or with those flags, the level itself for flags no constant has;
 * undefined for anything else.
 */
export function toStorageLevel(level: unknown): StorageLevel | undefined {
  if (typeof level === 'string') return Object.hasOwn(LEVEL_NAMES, level) ? StorageLevel[level as SparkStorageLevel] : undefined;
  if (!isStorageLevel(level)) return undefined;
  for (const name of Object.keys(LEVEL_NAMES) as SparkStorageLevel[]) if (StorageLevel[name].equals(level)) return StorageLevel[name];
  // Flags no constant has: this copy's instance of them.
  return level instanceof StorageLevel ? level : new StorageLevel(level.useDisk, level.useMemory, level.useOffHeap, level.deserialized, level.replication);
}

/** A StorageLevel's fields as they travel (plain data) as the StorageLevel again: the constant with those flags when there is one; anything else as it is. */
export function revivedStorageLevel(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return v;
  if (isStorageLevel(v)) return toStorageLevel(v);
  const f = v as Partial<Record<'useDisk' | 'useMemory' | 'useOffHeap' | 'deserialized' | 'replication', unknown>>;
  const bool = (x: unknown): x is boolean => typeof x === 'boolean';
  if (!bool(f.useDisk) || !bool(f.useMemory) || !bool(f.useOffHeap) || !bool(f.deserialized) || typeof f.replication !== 'number') return v;
  return toStorageLevel(new StorageLevel(f.useDisk, f.useMemory, f.useOffHeap, f.deserialized, f.replication));
}

/** The constant's name of a level as given (a name, a StorageLevel with a constant's flags), else undefined. */
export function storageLevelName(level: unknown): SparkStorageLevel | undefined {
  const l = toStorageLevel(level);
  if (l === undefined) return undefined;
  return (Object.keys(LEVEL_NAMES) as SparkStorageLevel[]).find((n) => StorageLevel[n] === l);
}

/**
 * How a persisted RDD's partitions are stored at one of Spark's levels (a StorageLevel or its
 * name): serialized always and never replicated, so memory and disk is MEMORY_AND_DISK, disk
 * alone DISK_ONLY, memory alone MEMORY_ONLY (the `_SER`, `_2` variants as their plain level), and
 * off-heap in the worker's memory as MEMORY_ONLY (OFF_HEAP, as before it was an object); undefined for NONE, an invalid
 * level or a name that is no level.
 */
export function storedLevel(level: unknown): PersistLevel | undefined {
  const l = toStorageLevel(level);
  if (l === undefined || !l.isValid) return undefined;
  if (l.useOffHeap) return 'MEMORY_ONLY';
  if (l.useDisk) return l.useMemory ? 'MEMORY_AND_DISK' : 'DISK_ONLY';
  return 'MEMORY_ONLY';
}

/** `level` (a StorageLevel or one of Spark's names) as Spark's instance, else SLUICE_BAD_ARGUMENT naming `where`. */
export function sparkStorageLevel(level: unknown, where: string): StorageLevel {
  const l = toStorageLevel(level);
  if (l !== undefined) return l;
  throw new SluiceError(
    'SLUICE_BAD_ARGUMENT',
    `${where}: ${typeof level === 'string' ? `'${level}'` : String(level)} is not one of Spark's storage levels; give StorageLevel.MEMORY_AND_DISK_SER_2 (or another StorageLevel.* from @sluice/core)`,
  );
}
