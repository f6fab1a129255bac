/**
 * Spark's storage level names, accepted for source compatibility. Sluice stores every
 * received block the same way whatever is named — replicated to a second worker before a
 * batch is acknowledged (or written ahead when the write-ahead log is on), in memory with
 * spill to disk — which is what Spark's default for Flume, MEMORY_AND_DISK_SER_2, gives.
 */
export type ReceiverStorageLevel =
  | 'MEMORY_ONLY'
  | 'MEMORY_ONLY_2'
  | 'MEMORY_ONLY_SER'
  | 'MEMORY_ONLY_SER_2'
  | 'MEMORY_AND_DISK'
  | 'MEMORY_AND_DISK_2'
  | 'MEMORY_AND_DISK_SER'
  | 'MEMORY_AND_DISK_SER_2'
  | 'DISK_ONLY'
  | 'DISK_ONLY_2';

export const STORAGE_LEVELS: readonly ReceiverStorageLevel[] = [
  'MEMORY_ONLY',
  'MEMORY_ONLY_2',
  'MEMORY_ONLY_SER',
  'MEMORY_ONLY_SER_2',
  'MEMORY_AND_DISK',
  'MEMORY_AND_DISK_2',
  'MEMORY_AND_DISK_SER',
  'MEMORY_AND_DISK_SER_2',
  'DISK_ONLY',
  'DISK_ONLY_2',
];

/** Options of FlumeUtils.createStream. */
export interface FlumeStreamOptions {
  /** See ReceiverStorageLevel: named for Spark compatibility; default MEMORY_AND_DISK_SER_2. */
  readonly storageLevel?: ReceiverStorageLevel | undefined;
  /**
   * The avro sink compresses (`compression-type = deflate`): inflate what arrives and
   * deflate the answers, as Flume's avro source does with `compression-type = deflate`.
   * Both ends must agree. Default false.
   */
  readonly enableDecompression?: boolean | undefined;
  /**
   * Largest request (one append or appendBatch, all its frames) in bytes; a frame that
   * would pass it is a malformed frame and its connection is closed. Default 64 MiB.
   */
  readonly maxBatchBytes?: number | undefined;
}

export interface ResolvedFlumeOptions {
  readonly storageLevel: ReceiverStorageLevel;
  readonly enableDecompression: boolean;
  readonly maxBatchBytes: number;
}

export const DEFAULT_MAX_BATCH_BYTES = 64 * 1024 * 1024;
