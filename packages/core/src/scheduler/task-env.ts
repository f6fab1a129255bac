import type { ShippedFunction } from '../closure/shipped-function.js';
import type { StorageLevel } from '../rdd/plan.js';
import type { MapOutputLocation } from './task-spec.js';

/**
 * What the task-side compute code needs from the worker it runs on. The worker
 * implements it over its block manager and shuffle fetcher; tests can fake it.
 */
export interface TaskEnv {
  readonly jobId: string;
  /** The task attempt's id (`<job>.s<stage>r<stage attempt>.p<partition>.a<attempt>`), what TaskContext reads its stage and attempt from; fakes may leave it out. */
  readonly taskId?: string;
  /** Revive a shipped function inside the job bundle's module scope (memoized per task). */
  revive(fn: ShippedFunction): Function;
  /**
   * One reduce partition's segments of the shuffle's map outputs, as buffers of whole
   * frames (MapOutputFile's layout: each frame a 4-byte length and an encoded record
   * array; any number of segments back to back in a buffer): of every map output
   * (`locations[m]` holds map m's), or only of `maps` when given (the map outputs whose
   * segment for this partition is empty are left out).
   */
  fetchShuffle(shuffleId: number, reducePartition: number, locations: readonly MapOutputLocation[], maps?: readonly number[]): Promise<Uint8Array[]>;
  /** The task decoded `records` records of fetched shuffle segments (Spark's shuffleReadMetrics.recordsRead); fakes may leave it out. */
  countShuffleRecordsRead?(records: number): void;
  /**
   * The task read `bytes` of an input file giving `records` records (Spark's inputMetrics:
   * textFile's lines, wholeTextFiles' and binaryFiles' files, binaryRecords' and objectFile's
   * records); fakes may leave it out. A receiver's blocks and parallelize's slices are not
   * counted, as Spark's BlockRDD and ParallelCollectionRDD count nothing.
   */
  countInput?(bytes: number, records: number): void;
  /** The task wrote `bytes` of a part file holding `records` records (Spark's outputMetrics: saveAsTextFile, saveAsObjectFile); fakes may leave it out. */
  countOutput?(bytes: number, records: number): void;
  /** An encoded cached partition stored on this worker, if any. */
  getCached(blockId: string): Promise<Uint8Array | undefined>;
  putCached(blockId: string, data: Uint8Array, level: StorageLevel): void;
  /**
   * For a cached partition of a deserialized level (MEMORY_ONLY, MEMORY_AND_DISK): its records
   * when this thread keeps them decoded (`keepDecoded`) while this worker's store holds its
   * block, shared by every read (never handed to user code as they are: treeCopy each); else
   * whether a read of its block now is to keep them (the worker's choice: a thread keeps a
   * partition it read from its block before, so one read once, as a stream's state, is not
   * kept). Fakes may leave it out (every read decodes the block).
   */
  decodedCached?(blockId: string): DecodedRead;
  /** Keep `records`, decoded from this worker's block `blockId` (got by `getCached`, `blockBytes` long), for later reads in this thread. */
  keepDecoded?(blockId: string, records: readonly unknown[], blockBytes: number): void;
  /** A stored block (received input, a cached partition) from this worker or else from one of `locations`. */
  getBlock(blockId: string, locations: readonly MapOutputLocation[]): Promise<BlockRead>;
  /** Log a warning on the worker through the task's logger (constant message, data in `fields`). */
  warn?(message: string, fields: Record<string, unknown>): void;
  /**
   * A process the task started (rdd.pipe's command) began or ended. The worker kills the ones
   * still running when it stops the task's thread (a killed task, a failed job), as Spark's
   * PipedRDD destroys its process when the task ends: a command that never reads its input
   * would outlive the task.
   */
  childProcess?(pid: number, exited: boolean): void;
}

/** What `decodedCached` says of a cached partition: its records kept decoded, or whether a read of its block is to keep them. */
export type DecodedRead = { readonly records: readonly unknown[]; readonly blockBytes: number; readonly keep?: undefined } | { readonly records?: undefined; readonly keep: boolean };

/**
 * What reading a stored block gave: its bytes; or, for a line block (line-block.ts), its
 * lines in pieces of whole lines (linePieces); or, when no place had it, what each place
 * said (`worker-1 (127.0.0.1:7001): does not hold it`), so an error can tell the truth.
 */
export type BlockRead =
  | { readonly data: Uint8Array; readonly lines?: undefined; readonly misses?: undefined }
  | { readonly lines: readonly Uint8Array[]; readonly data?: undefined; readonly misses?: undefined }
  | { readonly data?: undefined; readonly lines?: undefined; readonly misses: readonly string[] };

/** Thrown by compute code when a shuffle block cannot be fetched: the map output is lost. */
export class FetchFailedError extends Error {
  readonly shuffleId: number;
  readonly mapPartition: number;
  readonly workerId: string;

  constructor(shuffleId: number, mapPartition: number, workerId: string, message: string) {
    super(message);
    this.name = 'FetchFailedError';
    this.shuffleId = shuffleId;
    this.mapPartition = mapPartition;
    this.workerId = workerId;
  }
}
