import { Transform, type TransformCallback } from 'node:stream';
import seekBzip from 'seek-bzip';

/** The 48-bit mark that ends a bzip2 stream (the square root of pi's digits), before the stream's 32-bit CRC. */
const END_OF_STREAM = 0x177245385090n;

/**
 * Whether `data` ends as a bzip2 stream ends: the end-of-stream mark and the CRC, then 0-7 zero
 * bits to the byte. A file cut short after a block ends there with the block's last bits
 * instead; seek-bzip would return the blocks before it as the whole file when the cut falls on
 * a byte, so the end is checked here first.
 */
export function endsAsBzip2(data: Uint8Array): boolean {
  if (data.length < 14) return false; // "BZh9" and the 10 bytes of an empty stream's end
  let tail = 0n;
  for (const b of data.subarray(data.length - 11)) tail = (tail << 8n) | BigInt(b);
  for (let pad = 0; pad < 8; pad++) {
    if ((tail & ((1n << BigInt(pad)) - 1n)) !== 0n) continue;
    if (((tail >> BigInt(pad + 32)) & 0xffffffffffffn) === END_OF_STREAM) return true;
  }
  return false;
}

/** A bzip2 file decoded, every stream of a concatenated one (Hadoop's BZip2Codec reads them all); throws naming what is wrong. */
export function bunzip2(data: Uint8Array): Buffer {
  if (!endsAsBzip2(data)) throw new Error(data.length >= 4 && Buffer.from(data.subarray(0, 3)).toString('latin1') === 'BZh' ? 'the file is cut short (no bzip2 end-of-stream mark at its end)' : 'not bzip2 data (no BZh header and end-of-stream mark)');
  return seekBzip.decode(data, undefined, true);
}

/**
 * A stream that decodes a bzip2 file: its bytes are gathered and decoded at their end (seek-bzip
 * decodes whole buffers; a `.bz2` file is one split, read whole, as Hadoop's).
 */
export function createBunzip2(): Transform {
  const chunks: Buffer[] = [];
  return new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
      chunks.push(chunk);
      done();
    },
    flush(done: TransformCallback): void {
      let out: Buffer;
      try {
        out = bunzip2(Buffer.concat(chunks));
      } catch (err) {
        done(err as Error);
        return;
      }
      chunks.length = 0;
      done(null, out);
    },
  });
}
