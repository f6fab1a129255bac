// Avro's Netty transport framing (lang/java/ipc-netty NettyTransportCodec), both halves.
/** One NettyDataPack: a request (or response) and the serial that pairs the two. */
export interface NettyDataPack {
  readonly serial: number;
  /** The frames' bytes, concatenated (Avro reads them as one stream). */
  readonly payload: Buffer;
  readonly frames: number;
}

/** Why bytes are not an Avro Netty pack; `detail` completes "malformed Avro frame (...)". */
export class FrameError extends Error {
  constructor(readonly detail: string) {
    super(detail);
    this.name = 'FrameError';
  }
}

/** Most frames one pack may have (Avro's NettyFrameDecoder bounds it by memory instead). */
export const MAX_FRAMES_PER_PACK = 1 << 20;

const enum State {
  PackHeader,
  FrameLength,
  FrameBody,
}

/**
 * The receiving half of Avro's Netty transport (NettyTransportCodec.NettyFrameDecoder):
 * a pack is `serial` int32, `count` int32, then `count` frames of int32 length + bytes,
 * all big-endian. Bytes are pushed as they arrive; complete packs come out.
 *
 * Bounds, checked before anything is buffered: a frame length or a pack's total beyond
 * `maxPackBytes`, a negative length, more than MAX_FRAMES_PER_PACK frames. A violation
 * throws FrameError; the decoder is then unusable (the connection is closed).
 *
 * Threading: one connection's data callbacks.
 */
export class NettyFrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private state = State.PackHeader;
  private serial = 0;
  private frameCount = 0;
  private frameLength = 0;
  private frames: Buffer[] = [];
  private packBytes = 0;

  constructor(private readonly maxPackBytes: number) {}

  /** Bytes not yet part of a complete pack. */
  get pending(): number {
    return this.buffered;
  }

  push(data: Buffer): NettyDataPack[] {
    if (data.length > 0) {
      this.chunks.push(data);
      this.buffered += data.length;
    }
    const out: NettyDataPack[] = [];
    for (;;) {
      if (this.state === State.PackHeader) {
        if (this.buffered < 8) break;
        const h = this.take(8);
        this.serial = h.readInt32BE(0);
        this.frameCount = h.readInt32BE(4);
        if (this.frameCount < 0 || this.frameCount > MAX_FRAMES_PER_PACK) {
          throw new FrameError(`frame count ${this.frameCount} is not within 0..${MAX_FRAMES_PER_PACK}`);
        }
        this.frames = [];
        this.packBytes = 0;
        if (this.frameCount === 0) {
          out.push(this.complete());
          continue;
        }
        this.state = State.FrameLength;
      } else if (this.state === State.FrameLength) {
        if (this.buffered < 4) break;
        this.frameLength = this.take(4).readInt32BE(0);
        if (this.frameLength < 0) throw new FrameError(`frame length ${this.frameLength} is negative`);
        if (this.frameLength > this.maxPackBytes - this.packBytes) {
          throw new FrameError(`frame length ${this.frameLength} exceeds maxBatchBytes ${this.maxPackBytes}${this.packBytes > 0 ? ` with the ${this.packBytes} bytes of the pack's earlier frames` : ''}`);
        }
        this.state = State.FrameBody;
      } else {
        if (this.buffered < this.frameLength) break;
        this.frames.push(this.take(this.frameLength));
        this.packBytes += this.frameLength;
        if (this.frames.length === this.frameCount) out.push(this.complete());
        else this.state = State.FrameLength;
      }
    }
    return out;
  }

  private complete(): NettyDataPack {
    const pack = { serial: this.serial, payload: this.frames.length === 1 ? this.frames[0]! : Buffer.concat(this.frames), frames: this.frameCount };
    this.frames = [];
    this.state = State.PackHeader;
    return pack;
  }

  /** The next `n` buffered bytes (n <= buffered). */
  private take(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    const first = this.chunks[0]!;
    let out: Buffer;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      out = Buffer.allocUnsafe(n);
      let off = 0;
      while (off < n) {
        const c = this.chunks[0]!;
        const k = Math.min(c.length, n - off);
        c.copy(out, off, 0, k);
        off += k;
        if (k === c.length) this.chunks.shift();
        else this.chunks[0] = c.subarray(k);
      }
    }
    this.buffered -= n;
    return out;
  }
}

/** The sending half (NettyFrameEncoder): `serial`, the frame count, each frame length-prefixed. */
export function encodeNettyPack(serial: number, frames: readonly Buffer[]): Buffer {
  let size = 8;
  for (const f of frames) size += 4 + f.length;
  const out = Buffer.allocUnsafe(size);
  out.writeInt32BE(serial | 0, 0);
  out.writeInt32BE(frames.length, 4);
  let off = 8;
  for (const f of frames) {
    out.writeInt32BE(f.length, off);
    f.copy(out, off + 4);
    off += 4 + f.length;
  }
  return out;
}
