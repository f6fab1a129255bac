import fs from 'node:fs';
import { isSluiceError, SluiceError } from '../errors.js';
import type { RangeReader } from '../io/file-system.js';
import { fileSystemFor } from '../io/file-system-registry.js';
import type { StreamFileSplit } from '../rdd/plan.js';

/** How a file stream's file is read: exactly [0, end), the size its listing saw. */
export interface StreamFileRead extends StreamFileSplit {
  readonly warn?: (message: string, fields: Record<string, unknown>) => void;
}

/**
 * Lines whose first byte lies in [start, end) of a file: a split that starts inside a
 * line leaves it to the split before, and the last line is read past `end` to its end.
 * A file stream's file (`stream`) is read exactly up to `end`; if it is gone, the read
 * fails naming the file, or with `ignoreMissingFiles` gives no lines and a warning.
 * A `scheme://` file is read through its registered FileSystem, given `fsSettings`.
 */
export async function readLines(file: string, start: number, end: number, stream?: StreamFileRead, fsSettings?: unknown): Promise<string[]> {
  if (end <= start) return [];
  let fh: RangeReader;
  try {
    const fsys = fileSystemFor(file, 'textFile');
    fh = fsys ? await fsys.open(file, fsSettings) : await fs.promises.open(file, 'r');
  } catch (err) {
    if (isSluiceError(err)) throw err;
    if (stream && (err as NodeJS.ErrnoException).code === 'ENOENT') {
      if (stream.ignoreMissingFiles) {
        stream.warn?.('file stream: a file chosen for a batch is gone; skipped (ignoreMissingFiles)', { component: 'file-stream', directory: stream.directory, file });
        return [];
      }
      throw new SluiceError(
        'SLUICE_IO',
        `textFileStream(${stream.directory}): '${file}' was chosen for this batch but is gone (${(err as Error).message}). ` +
          'Leave files in the directory until their batch has been processed, or skip missing files: ssc.textFileStream(dir, { ignoreMissingFiles: true })',
        { cause: err },
      );
    }
    throw new SluiceError('SLUICE_IO', `textFile: cannot open '${file}' on this worker: ${(err as Error).message}. The path must be readable by every worker.`, {
      cause: err,
    });
  }
  try {
    const from = start > 0 ? start - 1 : 0;
    const parts: Buffer[] = [];
    const main = Buffer.allocUnsafe(end - from);
    let bytesRead = 0;
    // One read may return less than asked for (past 2 GB on Linux): read until full or EOF.
    while (bytesRead < main.length) {
      const r = await fh.read(main, bytesRead, main.length - bytesRead, from + bytesRead);
      if (r.bytesRead === 0) break;
      bytesRead += r.bytesRead;
    }
    parts.push(main.subarray(0, bytesRead));
    let pos = from + bytesRead;
    if (stream && bytesRead < main.length) {
      throw new SluiceError(
        'SLUICE_IO',
        `textFileStream(${stream.directory}): '${file}' shrank from ${end} to ${pos} bytes after it was chosen for this batch. ` +
          'Write files elsewhere and move them into the directory once complete.',
      );
    }
    // Finish the line that runs past `end` (a stream's file ends at `end`: what follows came later).
    if (!stream && bytesRead > 0 && main[bytesRead - 1] !== 10) {
      for (;;) {
        const more = Buffer.allocUnsafe(64 * 1024);
        const r = await fh.read(more, 0, more.length, pos);
        if (r.bytesRead === 0) break;
        const nl = more.subarray(0, r.bytesRead).indexOf(10);
        if (nl >= 0) {
          parts.push(more.subarray(0, nl + 1));
          break;
        }
        parts.push(more.subarray(0, r.bytesRead));
        pos += r.bytesRead;
      }
    }
    let buf = parts.length === 1 ? parts[0] : Buffer.concat(parts);
    if (start > 0) {
      // Skip the line that began before `start` (unless `start` is a line start).
      const nl = buf.indexOf(10);
      buf = nl < 0 ? buf.subarray(buf.length) : buf.subarray(nl + 1);
    }
    if (buf.length === 0) return [];
    const text = buf.toString('utf8');
    const lines = text.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    for (let i = 0; i < lines.length; i++) {
      const l = lines[i];
      if (l.length > 0 && l.charCodeAt(l.length - 1) === 13) lines[i] = l.slice(0, -1);
    }
    return lines;
  } finally {
    await fh.close();
  }
}
