import fs from 'node:fs';
import path from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import { addedFileEntries, type wire } from '@sluice/core/internal';

/** A file's bytes go in chunks of this many (a message of the stream each). */
export const ADDED_FILE_CHUNK_BYTES = 1 << 20;

/**
 * Driver.GetFile: send the added file `name` of `filesDir` (the job attempt's copy, made by
 * sc.addFile) as FileChunks: the entries of addedFileEntries in order, each file in chunks
 * read from disk as the stream drains (a file of any size, never all in memory).
 */
export async function serveAddedFile(call: grpc.ServerWritableStream<unknown, wire.FileChunk>, filesDir: string, name: string): Promise<void> {
  let cancelled = false;
  call.on('cancelled', () => (cancelled = true));
  const drained = (): Promise<void> => new Promise((resolve) => {
    const done = (): void => {
      call.off('drain', done);
      call.off('cancelled', done);
      resolve();
    };
    call.on('drain', done);
    call.on('cancelled', done);
  });
  const write = async (m: wire.FileChunk): Promise<void> => {
    if (!call.write(m)) await drained();
  };
  for (const e of addedFileEntries(path.join(filesDir, name))) {
    if (cancelled) return;
    if (e.directory) {
      await write({ path: e.rel, start: true, directory: true });
      continue;
    }
    const fh = await fs.promises.open(e.abs, 'r');
    try {
      let first = true;
      for (;;) {
        const buf = Buffer.allocUnsafe(ADDED_FILE_CHUNK_BYTES);
        const { bytesRead } = await fh.read(buf, 0, buf.length, null);
        if (bytesRead === 0 && !first) break;
        await write({ ...(first && { path: e.rel, start: true }), data: buf.subarray(0, bytesRead) });
        first = false;
        if (cancelled || bytesRead === 0) break;
      }
    } finally {
      await fh.close();
    }
  }
  call.end();
}
