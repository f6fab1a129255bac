// Spark's RawTextSender (org.apache.spark.streaming.util), ported: serves one block of text
// lines, already serialized, again and again on every connection, at a bounded byte rate, for
// `ssc.rawSocketStream` to read. The block is the lines in order, wrapping round, until their
// UTF-8 bytes (plus one a line, its newline in the file) reach `blockSize`; Spark serializes
// them with Kryo, this with the record codec (`encodeRawBlock`: a 4-byte length, then a v8
// array), the framing rawSocketStream reads. Where Spark's sends forever, `blocks` may bound
// what each connection gets.
import net from 'node:net';
import { encodeRawBlock } from '@sluice/core';

export interface RawTextSender {
  readonly port: number;
  /** The lines of the block every connection is sent. */
  readonly blockLines: readonly string[];
  close(): Promise<void>;
}

/** Lines in order, wrapping round, until their bytes (plus one a line) reach `blockSize`. */
export function blockOf(lines: readonly string[], blockSize: number): string[] {
  if (lines.length === 0) throw new Error('raw-text-sender: the text has no line to send');
  const block: string[] = [];
  let bytes = 0;
  for (let i = 0; bytes < blockSize; i = (i + 1) % lines.length) {
    block.push(lines[i]!);
    bytes += Buffer.byteLength(lines[i]!) + 1;
  }
  return block;
}

export function startRawTextSender(opts: { lines: readonly string[]; blockSize: number; bytesPerSec: number; blocks?: number; host?: string; port?: number }): Promise<RawTextSender> {
  const blockLines = blockOf(opts.lines, opts.blockSize);
  const block = encodeRawBlock(blockLines);
  const sockets = new Set<net.Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => socket.destroy());
    socket.on('close', () => sockets.delete(socket));
    let sent = 0;
    const next = (): void => {
      if (socket.destroyed || (opts.blocks !== undefined && sent >= opts.blocks)) return;
      sent++;
      const drained = socket.write(block);
      // Spark's RateLimitedOutputStream: no faster than bytesPerSec on average.
      const wait = (1000 * block.length) / opts.bytesPerSec;
      const go = (): void => {
        const t = setTimeout(() => {
          timers.delete(t);
          next();
        }, wait);
        timers.add(t);
      };
      if (drained) go();
      else socket.once('drain', go);
    };
    next();
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      resolve({
        port: (server.address() as net.AddressInfo).port,
        blockLines,
        close: () =>
          new Promise<void>((r) => {
            for (const t of timers) clearTimeout(t);
            for (const s of sockets) s.destroy();
            server.close(() => r());
          }),
      });
    });
  });
}
