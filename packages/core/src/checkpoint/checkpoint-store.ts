/**
 * Where checkpoints live: a small object-store view of a checkpoint directory, so RDD
 * checkpoints, metadata checkpoints and their cleanup work the same on a local or shared
 * file system and on S3-compatible object storage (as Spark's checkpoints go through
 * Hadoop's FileSystem, whatever the scheme).
 *
 * A store is rooted at a location (an absolute path, or `scheme://...`) and addresses
 * objects by keys relative to it: '/'-separated, never starting with '/', never holding
 * '.' or '..' segments. Every method may be called from any thread that loaded the job
 * (the driver program's thread, a worker's task threads) and from several at once.
 *
 * Invariants a store keeps:
 * - `write` is atomic: a reader sees the previous object or the whole new one, never a
 *   part, even if the writer dies half way (a file is written under a temporary name and
 *   renamed; an object-store PUT is atomic by itself). Temporary files are never listed.
 * - Errors are SluiceErrors (SLUICE_CHECKPOINT) naming the location and the fix.
 */
export interface CheckpointStore {
  /** The root, normalized: an absolute path or `scheme://...` without a trailing '/'. */
  readonly location: string;
  /** `key`'s full address, for messages and logs. */
  describe(key: string): string;
  /**
   * Check that the root can be written (creating a local directory): a clear error
   * naming the location (and, for object storage, the bucket and endpoint) otherwise.
   */
  ensure(): Promise<void>;
  /** Write the whole object atomically, replacing any object of that key. */
  write(key: string, data: Uint8Array | string): Promise<void>;
  /** The whole object, or undefined when there is none. */
  read(key: string): Promise<Buffer | undefined>;
  /** Every object whose key starts with `prefix` ('' for all), sorted by key. */
  list(prefix: string): Promise<CheckpointObject[]>;
  /** Delete these objects (missing ones are no error). */
  delete(keys: readonly string[]): Promise<void>;
  /** Delete every object whose key starts with `prefix`; returns how many were deleted. */
  deletePrefix(prefix: string): Promise<number>;
  /**
   * Delete what writers killed half way left under `prefix` (temporary files), where
   * nobody writes now; nothing to do on stores whose writes leave nothing (S3).
   */
  removeTemporary(prefix: string): Promise<void>;
}

/** One object of a store, as `list` returns it. */
export interface CheckpointObject {
  readonly key: string;
  readonly size: number;
}
