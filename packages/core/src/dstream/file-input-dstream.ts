import fs from 'node:fs';
import path from 'node:path';
import { SluiceError } from '../errors.js';
import { codecOfFile } from '../io/compression-codec.js';
import { expandGlob, isGlob, namesIn, visible } from '../io/input-paths.js';
import type { TextSplit } from '../rdd/plan.js';
import { RDD } from '../rdd/rdd.js';
import { toMillis, type Duration } from '../streaming/duration.js';
import type { StreamingContext } from '../streaming/streaming-context.js';
import { InputDStream } from './input-dstreams.js';
import { fromTimeRuns, splitEmpty, type TimeRun } from '../checkpoint/time-runs.js';
import { makeDirectorySync } from '../util/make-directory.js';

export interface FileStreamOptions {
  /** Only files whose full path this accepts (called on the driver at each listing). */
  readonly filter?: ((file: string) => boolean) | undefined;
  /** Ignore the files already in the directory at start (default true). */
  readonly newFilesOnly?: boolean | undefined;
  /**
   * A file chosen for a batch but gone when its task reads it is skipped with a warning
   * in the worker's log, and the batch succeeds with the other files (default false: the
   * batch fails, naming the file, as Spark's `spark.files.ignoreMissingFiles` default).
   */
  readonly ignoreMissingFiles?: boolean | undefined;
  /**
   * The remember window, as Spark's `spark.streaming.fileStream.minRememberDuration`
   * (default 60 s; rounded up to whole batch intervals, so at least one): files modified
   * longer ago than this before a batch's time are ignored, and forgotten once read, so
   * what the stream remembers (and checkpoints) stays bounded however many files the
   * directory holds. A file must therefore be moved into the directory within this window
   * of its modification time.
   */
  readonly minRememberDuration?: Duration | undefined;
}

/** Spark's default minRememberDuration. */
export const DEFAULT_FILE_STREAM_REMEMBER_MS = 60_000;

/** A file's size and modification time as one listing saw them. */
interface Stamp {
  readonly size: number;
  readonly mtimeMs: number;
}

/** A file one batch took, up to `size` bytes. */
interface TakenFile {
  readonly file: string;
  readonly size: number;
}

/** What `checkpointData()` returns: plain JSON, restored by `restoreCheckpointData`. */
interface FileStreamCheckpoint {
  readonly kind: 'fileStream';
  readonly directory: string;
  /** Which batch took which files, for every batch time the stream remembers that took any. */
  readonly batches: [number, TakenFile[]][];
  /**
   * The remembered batch times that took no file, as runs of the batch interval (a backlog
   * of empty batches is one run). Absent in checkpoints written before: `batches` held them.
   */
  readonly emptyBatches?: TimeRun[];
  /** Files already read (never read again), as they were when chosen, within the remember window. */
  readonly read: [string, Stamp & { readonly batchTime: number }][];
  /**
   * Files ignored because they were there at the first start (newFilesOnly), within the
   * remember window, with their modification times (a bare name: a checkpoint written
   * before the window existed).
   */
  readonly preexisting: (string | [string, number])[];
  /** New files not settled yet, as the last listing saw them. */
  readonly unsettled: [string, Stamp][];
}

/**
 * textFileStream / fileStream, as Spark's FileInputDStream: at each batch the driver
 * lists the directory, and the new files become that batch's data, each read once, up to
 * the size the listing saw. Hidden and `_` files are skipped.
 *
 * The directory may be a glob, as Spark's (`logs/*` + `/`, `in/2026-{11,12}-*`): at each batch
 * the glob is matched again and the new files of every directory it matches are the
 * batch's, so a directory created later (the next day's) is read from its creation on;
 * matches that are files, and the directories' sub-directories, are not read. A glob's
 * directories are not created; a plain directory is created at start when missing.
 *
 * Spark asks that files be moved in atomically. Beyond that, a file still being written
 * is not read part-way: a new file is taken only once it is settled, that is, modified
 * more than one batch interval before the batch time, or unchanged (size and mtime) since
 * the previous listing; until then it is skipped and logged. A file that changes after it
 * was read (an append) keeps only what was read, as in Spark, and the change is logged as
 * a warning. A name that leaves the directory is forgotten: a file moved in later under
 * that name is new. A file deleted after its batch was cut fails the batch (naming the
 * file) unless `ignoreMissingFiles` is set.
 *
 * The remember window (`minRememberDuration`, as Spark's FileInputDStream): a file
 * modified at or before `batch time - window` is ignored, as Spark assumes such a file was
 * considered already. So the files read, the pre-existing and the unsettled ones are
 * remembered only while their modification time is inside the window; what the stream
 * keeps grows with the files arriving in a window, not with the directory. A file that
 * appears with a modification time already outside the window (copied with its times
 * kept) is ignored, with a warning when it first appears; one changed after it was read
 * and forgotten is read again whole (Spark leaves that undefined). Unlike Spark, a file
 * whose time is after the batch time is not skipped for that alone (the settled rule
 * above decides), since manual clocks and recovered batches run behind file times.
 *
 * Recovery: `checkpointData()` holds which batch took which files (for every batch the
 * stream remembers), the files already read, the pre-existing files and the unsettled
 * ones, all within the window. Restored, a batch time it covers gets exactly its files
 * again (no new listing), files read before the failure are never read again, and files
 * that arrived while the driver was down are new to the next batch generated.
 *
 * Threading: the driver program's thread (prepareBatch and compute run in batch order).
 */
export class FileInputDStream<T = string> extends InputDStream<T> {
  /** Files in the directory at start, ignored with newFilesOnly: their modification times. */
  private readonly preexisting = new Map<string, number>();
  /** Files read, as they were when chosen (updated when a change is reported). */
  private readonly read = new Map<string, Stamp & { readonly batchTime: number }>();
  /** New files not settled yet, as the last listing saw them. */
  private readonly unsettled = new Map<string, Stamp>();
  /** Files each batch took, kept as long as the stream remembers that batch's RDD. */
  private readonly batches = new Map<number, TakenFile[]>();
  /** Set by restoreCheckpointData: start() then keeps the restored pre-existing files. */
  private restored = false;
  private readonly fileFilter: (file: string) => boolean;
  private readonly newFilesOnly: boolean;
  private readonly ignoreMissingFiles: boolean;
  /** The remember window, whole batch intervals. */
  readonly rememberWindowMs: number;
  /** The names of the last listing (undefined before the first since start): files ignored by age are reported when new. */
  private lastListing: Set<string> | undefined;
  /** Whether `directory` is a glob naming directories rather than one directory. */
  private readonly glob: boolean;

  constructor(
    ssc: StreamingContext,
    readonly directory: string,
    options: FileStreamOptions,
    /** binaryRecordsStream: each file is cut into records of this many bytes (else: lines of text). */
    readonly recordLength?: number,
  ) {
    super(ssc);
    this.fileFilter = options.filter ?? (() => true);
    this.newFilesOnly = options.newFilesOnly ?? true;
    this.ignoreMissingFiles = options.ignoreMissingFiles ?? false;
    const min = options.minRememberDuration === undefined ? DEFAULT_FILE_STREAM_REMEMBER_MS : toMillis(options.minRememberDuration, `textFileStream(${directory}) minRememberDuration`);
    const interval = ssc.batchIntervalMs;
    this.rememberWindowMs = Math.ceil(min / interval) * interval;
    this.glob = isGlob(directory);
  }

  override fingerprint(): { readonly op: string; readonly params: Record<string, unknown> } {
    return {
      op: 'FileInputDStream',
      params: { directory: this.directory, newFilesOnly: this.newFilesOnly, ignoreMissingFiles: this.ignoreMissingFiles, ...(this.recordLength === undefined ? {} : { recordLength: this.recordLength }) },
    };
  }

  override start(): void {
    try {
      // A directory that is not there is made, empty (Spark warns every batch instead): said once,
      // as a mistyped path would otherwise read nothing in silence.
      if (!this.glob && makeDirectorySync(this.directory) !== undefined) {
        this.ssc.sc.log('warn', `file stream: the directory '${this.directory}' did not exist; it was made, empty: files moved into it are read from the next batch on (check the path if you expected files there)`, {
          component: 'file-stream',
          directory: this.directory,
        });
      }
      if (this.newFilesOnly && !this.restored) {
        for (const f of this.list()) this.preexisting.set(f, fs.statSync(f, { throwIfNoEntry: false })?.mtimeMs ?? 0);
      }
    } catch (err) {
      throw new SluiceError('SLUICE_IO', `textFileStream: cannot read directory '${this.directory}': ${(err as Error).message}`, { cause: err });
    }
  }

  /** The entries of the watched directory, or of every directory its glob matches now (one gone meanwhile passed over). */
  private list(): string[] {
    const dirs = this.glob ? expandGlob(this.directory) : [this.directory];
    // A glob's match that is a file, or a directory gone since the glob was matched, lists nothing; the watched directory itself must be readable.
    const read = (dir: string): string[] => (this.glob ? namesIn(dir) : fs.readdirSync(dir));
    return dirs
      .flatMap((dir) => read(dir).filter(visible).map((n) => path.join(dir, n)))
      .filter((f) => this.fileFilter(f))
      .sort();
  }

  override async prepareBatch(time: number): Promise<void> {
    // A batch restored from a checkpoint reads exactly the files it took the first time.
    if (this.batches.has(time)) return;
    const listed = this.list();
    const present = new Set(listed);
    // Files modified at or before the ignore threshold are ignored: forget them.
    const threshold = time - this.rememberWindowMs;
    for (const [f, mtimeMs] of this.preexisting) if (!present.has(f) || mtimeMs <= threshold) this.preexisting.delete(f);
    for (const known of [this.read, this.unsettled]) for (const [f, s] of known) if (!present.has(f) || s.mtimeMs <= threshold) known.delete(f);
    const lastListing = this.lastListing;
    this.lastListing = present;
    const taken: TakenFile[] = [];
    for (const file of listed) {
      // An entry gone since the listing (or a dangling link, or a directory) is no file yet.
      const st = fs.statSync(file, { throwIfNoEntry: false });
      const pre = this.preexisting.get(file);
      if (pre !== undefined) {
        // A file there at start is ignored as it was; written again since (a later
        // modification time), it is new, as Spark takes any file modified after the start.
        if (st === undefined || st.mtimeMs === pre) continue;
        this.preexisting.delete(file);
      }
      if (!st?.isFile()) {
        this.unsettled.delete(file);
        continue;
      }
      const now: Stamp = { size: st.size, mtimeMs: st.mtimeMs };
      const before = this.read.get(file);
      if (before) {
        if (before.size !== now.size || before.mtimeMs !== now.mtimeMs) {
          this.ssc.sc.log('warn', 'file stream: a file changed after it was read; only what was read counts (move complete files into the directory)', {
            component: 'file-stream',
            directory: this.directory,
            file,
            readInBatch: before.batchTime,
            sizeRead: before.size,
            sizeNow: now.size,
            batchTime: time,
          });
          this.read.set(file, { ...now, batchTime: before.batchTime });
        }
        continue;
      }
      if (now.mtimeMs <= threshold) {
        if (lastListing && !lastListing.has(file)) {
          this.ssc.sc.log('warn', 'file stream: ignoring a new file modified before the remember window (move files in within minRememberDuration of their modification time, or raise it)', {
            component: 'file-stream',
            directory: this.directory,
            file,
            mtimeMs: now.mtimeMs,
            ignoredUpTo: threshold,
            minRememberDurationMs: this.rememberWindowMs,
            batchTime: time,
          });
        }
        continue;
      }
      if (!this.settled(file, now, time)) {
        this.unsettled.set(file, now);
        this.ssc.sc.log('info', 'file stream: skipping a file modified within the last batch interval until it is unchanged', {
          component: 'file-stream',
          directory: this.directory,
          file,
          size: now.size,
          mtimeMs: now.mtimeMs,
          batchTime: time,
        });
        continue;
      }
      if (this.recordLength !== undefined && now.size % this.recordLength !== 0) {
        throw new SluiceError(
          'SLUICE_BAD_RECORD',
          `binaryRecordsStream(${this.directory}): '${file}' is ${now.size} bytes, not a multiple of the record length ${this.recordLength} ` +
            `(${now.size % this.recordLength} bytes left over); write whole records only, and move the file out of the directory (it is read once it is settled, so fix it elsewhere and move it back in under a new name)`,
        );
      }
      this.unsettled.delete(file);
      this.read.set(file, { ...now, batchTime: time });
      taken.push({ file, size: now.size });
    }
    this.batches.set(time, taken);
  }

  /**
   * Modified more than one batch interval before `time`, or unchanged since the previous
   * listing. An empty file is taken only by age: it is most likely just being created.
   */
  private settled(file: string, now: Stamp, time: number): boolean {
    if (now.mtimeMs <= time - this.ssc.batchIntervalMs) return true;
    const last = this.unsettled.get(file);
    return now.size > 0 && last !== undefined && last.size === now.size && last.mtimeMs === now.mtimeMs;
  }

  /** The batch's new files, as Spark's FileInputDStream reports them: `files` and a `Description` of their names a line each. */
  /**
   * Every batch runs only once a metadata checkpoint records its files: a recovery from an older
   * checkpoint makes that batch time again with every file no recorded batch read (its own, those
   * of later batches that ran unrecorded too, and new ones), so a batch that ran unrecorded would
   * run again with other files, and an output that skips a batch time it committed
   * (saveToPostgres's markers) would miss some and write others twice. An empty batch too: made
   * again, it may take files.
   */
  override inputMustBeRecorded(_time: number): boolean {
    return true;
  }

  override inputMayNeedRecord(): boolean {
    return true;
  }

  override inputMetadataAt(time: number): Readonly<Record<string, unknown>> | undefined {
    const files = this.batches.get(time)?.map((f) => f.file);
    return files && { files, Description: files.join('\n') };
  }

  protected compute(time: number): RDD<T> {
    const files = this.batches.get(time) ?? [];
    const sc = this.ssc.sc;
    const splits: TextSplit[] = files
      .filter((f) => f.size > 0)
      .map((f) => ({ file: f.file, start: 0, end: f.size, stream: { directory: this.directory, ignoreMissingFiles: this.ignoreMissingFiles } }));
    if (splits.length === 0) return sc.emptyRDD<T>();
    if (this.recordLength !== undefined) return new RDD<T>(sc, splits.length, { kind: 'binaryRecords', splits, recordLength: this.recordLength }, []);
    // A compressed file's lines are what its codec gives, as sc.textFile's (Hadoop's TextInputFormat picks the codec by the name).
    const withCodecs = splits.map((s) => {
      const codec = codecOfFile(s.file);
      return codec === undefined ? s : { ...s, codec };
    });
    return new RDD<T>(sc, splits.length, { kind: 'textFile', splits: withCodecs }, []);
  }

  override clearOldRDDs(time: number): RDD<T>[] {
    const dropped = super.clearOldRDDs(time);
    const keep = Math.max(this.rememberMs, this.slideDuration);
    for (const t of this.batches.keys()) if (t <= time - keep) this.batches.delete(t);
    return dropped;
  }

  override checkpointData(): FileStreamCheckpoint {
    return {
      kind: 'fileStream',
      directory: this.directory,
      ...splitEmpty(this.batches, (files) => files.map((f) => ({ file: f.file, size: f.size })), this.ssc.batchIntervalMs),
      read: [...this.read].map(([f, s]) => [f, { size: s.size, mtimeMs: s.mtimeMs, batchTime: s.batchTime }]),
      preexisting: [...this.preexisting],
      unsettled: [...this.unsettled].map(([f, s]) => [f, { size: s.size, mtimeMs: s.mtimeMs }]),
    };
  }

  override restoreCheckpointData(data: unknown): void {
    const d = data as Partial<FileStreamCheckpoint> | null;
    if (!d || d.kind !== 'fileStream' || !Array.isArray(d.batches) || !Array.isArray(d.read) || !Array.isArray(d.preexisting) || !Array.isArray(d.unsettled)) {
      throw new SluiceError('SLUICE_CHECKPOINT', `textFileStream(${this.directory}): the checkpoint holds no file-stream position for stream ${this.id} (got ${JSON.stringify(data)?.slice(0, 200)}); start from an empty checkpoint directory`);
    }
    if (d.directory !== this.directory) {
      throw new SluiceError('SLUICE_CHECKPOINT', `textFileStream: stream ${this.id} reads '${this.directory}' but its checkpoint was taken reading '${String(d.directory)}'; start from an empty checkpoint directory or read the same directory`);
    }
    this.batches.clear();
    this.read.clear();
    this.preexisting.clear();
    this.unsettled.clear();
    for (const [t, files] of d.batches) this.batches.set(t, files.map((f) => ({ file: f.file, size: f.size })));
    for (const t of fromTimeRuns(d.emptyBatches ?? [], this.ssc.batchIntervalMs, `file stream ${this.id}'s empty batches`)) this.batches.set(t, []);
    for (const [f, s] of d.read) this.read.set(f, { size: s.size, mtimeMs: s.mtimeMs, batchTime: s.batchTime });
    for (const e of d.preexisting) {
      if (Array.isArray(e)) this.preexisting.set(e[0], e[1]);
      else this.preexisting.set(e, fs.statSync(e, { throwIfNoEntry: false })?.mtimeMs ?? 0);
    }
    for (const [f, s] of d.unsettled) this.unsettled.set(f, { size: s.size, mtimeMs: s.mtimeMs });
    this.restored = true;
  }
}
