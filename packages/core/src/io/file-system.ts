/**
 * A file system for a URI scheme (`s3://...`), so that sc.textFile, rdd.saveAsTextFile
 * and dstream.saveAsTextFiles read and write it as they read and write local paths (as
 * Spark's file APIs go through Hadoop's FileSystem and OutputCommitter, whatever the
 * scheme). A connector registers one with `registerFileSystem` when it is imported; plain
 * paths and `file://` are core's own and need none.
 *
 * A save runs in three steps, as Hadoop's OutputCommitter: `setupSave` on the driver,
 * `writePart` in each task attempt (whose result, plain data, goes back to the driver),
 * then `commitSave` on the driver once every task succeeded (or `abortSave` if the job
 * failed). The file system decides what a reader can see at each step; it must never
 * show a part written by an attempt that was not committed.
 *
 * Every method may be called from any thread that loaded the job (the driver program's
 * thread, a worker's task threads) and from several at once. Errors are SluiceErrors that
 * name the package, the location and the setting to fix.
 */
export interface FileSystem {
  /**
   * Throw a SluiceError (SLUICE_BAD_ARGUMENT) if `location` is malformed for this scheme;
   * `operation` ('sc.textFile', 'saveAsTextFile', ...) names the call in the message.
   * Called where the user calls, before anything runs.
   */
  check(location: string, operation: string): void;
  /**
   * Driver: the settings this file system has in the driver program (plain data), sent
   * with every task that reads or writes through it and given back to `open` and
   * `writePart` there, as Spark ships its Hadoop configuration with tasks: what the job
   * set on the driver (an endpoint from its arguments, say) reaches the workers.
   */
  settings?(): unknown;
  /**
   * Driver: the files `sc.textFile(location)` reads, in the order their lines come, with
   * their sizes. `location` names one file, or a directory of them; what a directory
   * yields (hidden files, outputs still being written) is the file system's to say.
   */
  listTextFiles(location: string): Promise<readonly FileStatus[]>;
  /** Worker: `file` (as listTextFiles named it) opened for reads at byte positions; `settings` as `settings()` gave them on the driver. */
  open(file: string, settings: unknown): Promise<RangeReader>;
  /** Driver, before any task: check `dir` can be written; without `replace`, that it does not exist. */
  setupSave(dir: string, options: SaveOptions): Promise<void>;
  /**
   * Task: write part `name` (`part-00000`) of the save into `dir` from `chunks` (the part's
   * bytes, in order, produced while the task computes them; the iteration throws if the
   * task fails). `attempt` is unique to this task attempt. Returns what `commitSave` needs
   * to commit this part (plain data). A failed write cleans up what it can. `settings` as
   * `settings()` gave them on the driver.
   */
  writePart(dir: string, name: string, chunks: AsyncIterable<Uint8Array>, attempt: string, settings: unknown): Promise<unknown>;
  /**
   * Driver, once every task succeeded: make the parts the tasks returned (one a
   * partition, in order) the contents of `dir`, replacing what was there with `replace`.
   * Returns fields for the driver's log line about the save.
   */
  commitSave(dir: string, parts: readonly unknown[], options: SaveOptions): Promise<Record<string, unknown>>;
  /** Driver, after the job failed: remove what the save's task attempts wrote. */
  abortSave(dir: string, options: SaveOptions): Promise<void>;
}

/** A file as FileSystem.listTextFiles names it. */
export interface FileStatus {
  /** Its full location (`s3://bucket/key`). */
  readonly file: string;
  readonly size: number;
}

/** Reads of one file at byte positions (the shape of node's FileHandle.read). */
export interface RangeReader {
  /** Read up to `length` bytes at `position` into `buffer` at `offset`; fewer at the end of the file, 0 past it. */
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  close(): Promise<void>;
}

export interface SaveOptions {
  /** 'saveAsTextFile', for messages. */
  readonly operation: string;
  /** Replace an existing `dir` (saveAsTextFiles: a re-run batch writes its directory again). */
  readonly replace: boolean;
}
