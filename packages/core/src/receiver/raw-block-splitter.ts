/** Bytes of a rawSocketStream block's length header. */
export const RAW_BLOCK_HEADER_BYTES = 4;

/**
 * Cuts a rawSocketStream byte stream into block payloads: each block is a 4-byte
 * big-endian length, then that many bytes. Chunks may split a header or a payload
 * anywhere. A length over `maxBlockBytes` throws (the stream is not in the format, or the
 * limit is too low), naming the block's index.
 */
export class RawBlockSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Payload length of the block being read; -1 while reading its header. */
  private need = -1;
  /** Blocks cut so far (the index of the next one). */
  blocks = 0;

  constructor(private readonly maxBlockBytes: number) {}

  /** The payloads completed by `chunk`, in order (empty ones included). */
  push(chunk: Buffer): Buffer[] {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    const out: Buffer[] = [];
    for (;;) {
      if (this.need < 0) {
        if (this.pendingBytes < RAW_BLOCK_HEADER_BYTES) break;
        this.need = this.take(RAW_BLOCK_HEADER_BYTES).readUInt32BE(0);
        if (this.need > this.maxBlockBytes) {
          throw new Error(
            `block ${this.blocks} announces ${this.need} bytes, over the ${this.maxBlockBytes}-byte limit: the stream is not in rawSocketStream's format ` +
              `(each block: a 4-byte big-endian length, then v8.serialize(array of records)), or raise the limit with { maxBlockBytes }`,
          );
        }
      }
      if (this.pendingBytes < this.need) break;
      out.push(this.take(this.need));
      this.need = -1;
      this.blocks++;
    }
    return out;
  }

  /** At the end of the stream: undefined, or how much of an unfinished block was read. */
  unfinished(): { readonly read: number; readonly of: number } | undefined {
    if (this.need < 0 && this.pendingBytes === 0) return undefined;
    return { read: this.pendingBytes, of: this.need >= 0 ? this.need : RAW_BLOCK_HEADER_BYTES };
  }

  private take(n: number): Buffer {
    const all = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.pendingBytes);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.pending = rest.length > 0 ? [rest] : [];
    this.pendingBytes = rest.length;
    return out;
  }
}
