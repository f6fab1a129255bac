import fs from 'node:fs';
import { SluiceError } from '../errors.js';

/**
 * Lines whose first byte lies in [start, end) of a file: a split that starts inside a
 * line leaves it to the split before, and the last line is read past `end` to its end.
 */
export async function readLines(file: string, start: number, end: number): Promise<string[]> {
  if (end <= start) return [];
  let fh: fs.promises.FileHandle;
  try {
    fh = await fs.promises.open(file, 'r');
  } catch (err) {
    throw new SluiceError('SLUICE_IO', `textFile: cannot open '${file}' on this worker: ${(err as Error).message}. The path must be readable by every worker.`, {
      cause: err,
    });
  }
  try {
    const from = start > 0 ? start - 1 : 0;
    const parts: Buffer[] = [];
    const main = Buffer.allocUnsafe(end - from);
    const { bytesRead } = await fh.read(main, 0, main.length, from);
    parts.push(main.subarray(0, bytesRead));
    let pos = from + bytesRead;
    // Finish the line that runs past `end`.
    if (bytesRead > 0 && main[bytesRead - 1] !== 10) {
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
