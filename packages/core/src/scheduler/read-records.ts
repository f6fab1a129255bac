import fs from 'node:fs';
import { SluiceError } from '../errors.js';
import type { StreamFileRead } from './read-lines.js';

/**
 * The fixed-length records of a binaryRecordsStream file: bytes [0, end) (the size its
 * listing saw), cut every `recordLength` bytes, each record its own Buffer. If the file
 * is gone the read fails naming it, or with `ignoreMissingFiles` gives no records and a
 * warning; a file that shrank below `end` fails naming it.
 */
export async function readFixedLengthRecords(file: string, end: number, recordLength: number, stream: StreamFileRead): Promise<Buffer[]> {
  const name = `binaryRecordsStream(${stream.directory})`;
  if (end % recordLength !== 0) {
    throw new SluiceError('SLUICE_BAD_RECORD', `${name}: '${file}' is ${end} bytes, not a multiple of the record length ${recordLength}; write whole records only`);
  }
  if (end === 0) return [];
  let data: Buffer;
  let fh: fs.promises.FileHandle;
  try {
    fh = await fs.promises.open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && stream.ignoreMissingFiles) {
      stream.warn?.('file stream: a file chosen for a batch is gone; skipped (ignoreMissingFiles)', { component: 'file-stream', directory: stream.directory, file });
      return [];
    }
    throw new SluiceError(
      'SLUICE_IO',
      `${name}: cannot open '${file}', chosen for this batch (${(err as Error).message}). ` +
        'Leave files in the directory until their batch has been processed, or skip missing files: { ignoreMissingFiles: true }',
      { cause: err },
    );
  }
  try {
    data = Buffer.allocUnsafe(end);
    let bytesRead = 0;
    while (bytesRead < end) {
      const r = await fh.read(data, bytesRead, end - bytesRead, bytesRead);
      if (r.bytesRead === 0) break;
      bytesRead += r.bytesRead;
    }
    if (bytesRead < end) {
      throw new SluiceError('SLUICE_IO', `${name}: '${file}' shrank from ${end} to ${bytesRead} bytes after it was chosen for this batch. Write files elsewhere and move them into the directory once complete.`);
    }
  } finally {
    await fh.close();
  }
  const out: Buffer[] = [];
  // A copy per record: a record does not hold the whole file's buffer alive.
  for (let off = 0; off < end; off += recordLength) out.push(Buffer.from(data.subarray(off, off + recordLength)));
  return out;
}

/**
 * The fixed-length records of a file of sc.binaryRecords: the whole file as it is when the
 * task reads it, cut every `recordLength` bytes. A file that cannot be read fails with
 * SLUICE_IO naming it; one whose size is not a multiple of `recordLength`, SLUICE_BAD_RECORD.
 */
export async function readRecordFile(file: string, recordLength: number): Promise<Buffer[]> {
  let data: Buffer;
  try {
    data = await fs.promises.readFile(file);
  } catch (err) {
    throw new SluiceError('SLUICE_IO', `sc.binaryRecords: cannot read '${file}' on this worker: ${(err as Error).message}. The path must be readable by every worker.`, { cause: err });
  }
  if (data.length % recordLength !== 0) {
    throw new SluiceError('SLUICE_BAD_RECORD', `sc.binaryRecords: '${file}' is ${data.length} bytes, not a multiple of the record length ${recordLength} (${data.length % recordLength} bytes left over)`);
  }
  const out: Buffer[] = [];
  for (let off = 0; off < data.length; off += recordLength) out.push(Buffer.from(data.subarray(off, off + recordLength)));
  return out;
}
