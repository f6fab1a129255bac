import type { FileStreamOptions } from '../dstream/file-input-dstream.js';
import { refuseUnknownOptions } from '../util/refuse-unknown-options.js';
import type { SocketTextStreamOptions } from './streaming-context.js';

// Each input's option keys, spelt out so the compiler says when an options interface gains one.
const SOCKET_TEXT_KEYS: Record<keyof SocketTextStreamOptions, true> = { maxRecordLength: true };
const RAW_SOCKET_KEYS: Record<'maxBlockBytes', true> = { maxBlockBytes: true };
const FILE_STREAM_KEYS: Record<keyof FileStreamOptions, true> = { filter: true, newFilesOnly: true, ignoreMissingFiles: true, minRememberDuration: true };
const NEW_FILES_KEYS: Record<'ignoreMissingFiles' | 'minRememberDuration', true> = { ignoreMissingFiles: true, minRememberDuration: true };

const RECEIVER_MAX_RATE = '{ receiverMaxRate: N } on the StreamingContext (records per second per receiver)';
const BLOCK_INTERVAL = '{ blockInterval: N } on the StreamingContext';
/** Spark's settings a user may give as a receiver input's option, and where each is here. */
const RECEIVER_SPARK_NAMES: Readonly<Record<string, string>> = {
  'spark.streaming.receiver.maxRate': RECEIVER_MAX_RATE,
  maxRate: RECEIVER_MAX_RATE,
  receiverMaxRate: RECEIVER_MAX_RATE,
  'spark.streaming.blockInterval': BLOCK_INTERVAL,
  blockInterval: BLOCK_INTERVAL,
  storageLevel: "the third argument as Spark's: ssc.socketTextStream(host, port, 'MEMORY_AND_DISK_SER_2') (blocks are stored as always)",
};
/** Spark's settings a user may give as a file stream's option, and where each is here. */
const FILE_SPARK_NAMES: Readonly<Record<string, string>> = {
  'spark.streaming.fileStream.minRememberDuration': '{ minRememberDuration: N }',
  'spark.files.ignoreMissingFiles': '{ ignoreMissingFiles: N }',
};
/** What textFileStream and binaryRecordsStream do not take, and where it is. */
const NEW_FILES_SPARK_NAMES: Readonly<Record<string, string>> = {
  ...FILE_SPARK_NAMES,
  filter: 'ssc.fileStream(directory, { filter: N }), as Spark\'s fileStream[K, V, F](directory, filter, newFilesOnly)',
  newFilesOnly: 'ssc.fileStream(directory, { newFilesOnly: N }), as Spark\'s fileStream[K, V, F](directory, filter, newFilesOnly)',
};

/** The options of socketTextStream (its options object, not a storage level), checked for keys it does not know. */
export function checkSocketTextStreamOptions(name: string, options: object): void {
  refuseUnknownOptions(options, SOCKET_TEXT_KEYS, name, RECEIVER_SPARK_NAMES);
}

/** The options of rawSocketStream, checked for keys it does not know. */
export function checkRawSocketStreamOptions(name: string, options: object): void {
  refuseUnknownOptions(options, RAW_SOCKET_KEYS, name, RECEIVER_SPARK_NAMES);
}

/** The options of fileStream, checked for keys it does not know. */
export function checkFileStreamOptions(name: string, options: object): void {
  refuseUnknownOptions(options, FILE_STREAM_KEYS, name, FILE_SPARK_NAMES);
}

/** The options of textFileStream and binaryRecordsStream (no filter, no newFilesOnly: those are fileStream's), checked for keys they do not know. */
export function checkNewFilesStreamOptions(name: string, options: object): void {
  refuseUnknownOptions(options, NEW_FILES_KEYS, name, NEW_FILES_SPARK_NAMES);
}
