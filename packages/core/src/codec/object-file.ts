import { SluiceError } from '../errors.js';
import { decodeRecords, encodeRecords } from './codec.js';

/**
 * The format of the part files saveAsObjectFile writes and sc.objectFile reads (Spark
 * writes SequenceFiles of Java-serialized records; Sluice writes its record codec):
 * the 12 bytes `SLUICEOBJ1\n\0`, then the records of one partition as one array encoded
 * with the record codec (v8 serialize, job classes tagged; see codec.ts). So records
 * round-trip with every type the codec carries (Map, Set, Date, bigint, typed arrays,
 * instances of the job's top-level classes).
 */
export const OBJECT_FILE_MAGIC = Buffer.from('SLUICEOBJ1\n\0', 'latin1');

export function encodeObjectFile(records: readonly unknown[]): Buffer {
  return Buffer.concat([OBJECT_FILE_MAGIC, encodeRecords(records)]);
}

/** The records of one part file; `file` names it in the error when it is not one. */
export function decodeObjectFile(bytes: Buffer, file: string): unknown[] {
  if (bytes.length < OBJECT_FILE_MAGIC.length || !bytes.subarray(0, OBJECT_FILE_MAGIC.length).equals(OBJECT_FILE_MAGIC)) {
    throw new SluiceError(
      'SLUICE_BAD_RECORD',
      `sc.objectFile: '${file}' is not an object file (it does not start with ${JSON.stringify(OBJECT_FILE_MAGIC.toString('latin1'))}); read files written by rdd.saveAsObjectFile or dstream.saveAsObjectFiles`,
    );
  }
  let records: unknown;
  try {
    records = decodeRecords(bytes.subarray(OBJECT_FILE_MAGIC.length));
  } catch (err) {
    throw new SluiceError('SLUICE_BAD_RECORD', `sc.objectFile: '${file}' is damaged: ${(err as Error).message}`, { cause: err });
  }
  if (!Array.isArray(records)) throw new SluiceError('SLUICE_BAD_RECORD', `sc.objectFile: '${file}' holds no array of records`);
  return records;
}
