/**
 * A received block of text lines kept as the bytes that came in, as Spark's receivers
 * can store a block's serialized bytes (Receiver.store(ByteBuffer)) instead of records:
 * a 4-byte magic, then whole UTF-8 lines, each ending with '\n' (a '\r' before it is
 * kept here and dropped when the lines are read, as socketTextStream's reader does).
 *
 * socketTextStream's receiver cuts its connection's bytes at line ends and stores such
 * blocks: no string and no codec call per line on the receiving worker, the block goes
 * to the main thread, the block store, the write-ahead log and the replica as the same
 * bytes, and the task that reads the block decodes it once and cuts the lines then.
 *
 * A block of records is v8 structured-clone bytes, whose first byte is 0xFF (the version
 * tag): the magic's first byte, 0x00, never starts one, so a reader tells them apart.
 */
export const LINE_BLOCK_MAGIC = Buffer.from([0x00, 0x53, 0x4c, 0x31]); // "\0SL1"

/**
 * Bytes of lines decoded into one string, and copied into one buffer for a task thread:
 * a string or buffer this size is allocated from memory the runtime reuses (V8's young
 * generation, malloc's heap), where one of a whole 6 MB block is fresh memory, mapped and
 * faulted in page by page each time (measured: decoding a 6 MB block whole cost 24-28 ms of
 * CPU on the shared machine, in 64 KiB pieces 4-9 ms; copying it whole for a task thread 9 ms,
 * in pieces under 1 ms). A line longer than this is one piece of its own.
 */
export const LINE_PIECE_BYTES = 64 * 1024;

/**
 * Bytes left free in front of a block encodeLineBlock makes, in the same ArrayBuffer: the
 * worker writes the header of the block's replica message (a PutBlock BlockChunk: the
 * block id, `last`, the data's tag and length) there and sends block and header as one
 * pre-encoded message, with no copy of the block into a message of its own
 * (replicaMessageInPlace). 256 bytes hold the header of any block id up to 240 bytes.
 */
export const LINE_BLOCK_HEADROOM = 256;

/**
 * The block of `bytes` bytes of `parts` (whole lines), in an ArrayBuffer of its own that
 * holds LINE_BLOCK_HEADROOM free bytes and then the block: the Buffer returned is the
 * block alone (byteOffset LINE_BLOCK_HEADROOM), and it ends where its ArrayBuffer does.
 */
export function encodeLineBlock(parts: readonly Uint8Array[], bytes: number): Buffer {
  const whole = Buffer.allocUnsafeSlow(LINE_BLOCK_HEADROOM + LINE_BLOCK_MAGIC.length + bytes);
  const out = whole.subarray(LINE_BLOCK_HEADROOM);
  LINE_BLOCK_MAGIC.copy(out, 0);
  let at = LINE_BLOCK_MAGIC.length;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Whether `data` is a line block as encodeLineBlock made it: its headroom free in front of
 * it, and nothing after it, in an ArrayBuffer (not shared) of its own. Moved to another
 * thread (its ArrayBuffer transferred) or cloned, it still is.
 */
export function hasLineBlockHeadroom(data: Uint8Array): boolean {
  return isLineBlock(data) && data.buffer instanceof ArrayBuffer && data.byteOffset === LINE_BLOCK_HEADROOM && data.byteOffset + data.byteLength === data.buffer.byteLength;
}

export function isLineBlock(data: Uint8Array): boolean {
  return data.length >= LINE_BLOCK_MAGIC.length && data[0] === 0x00 && data[1] === 0x53 && data[2] === 0x4c && data[3] === 0x31;
}

/**
 * The lines of a line block stored as `segments` (its bytes back to back: one segment, or
 * the parts a replica came in), copied into pieces of whole lines for a task thread: each
 * piece an ArrayBuffer of its own (safe to transfer), at most LINE_PIECE_BYTES unless one
 * line is longer, the magic left out. Read them with emitLinePieces.
 */
export function linePieces(segments: readonly Uint8Array[]): Uint8Array[] {
  const whole = segments.length === 1 ? segments[0] : Buffer.concat(segments);
  const buf = Buffer.from(whole.buffer, whole.byteOffset + LINE_BLOCK_MAGIC.length, whole.length - LINE_BLOCK_MAGIC.length);
  const pieces: Uint8Array[] = [];
  for (let at = 0; at < buf.length; ) {
    const stop = pieceEnd(buf, at);
    const piece = Buffer.allocUnsafeSlow(stop - at); // every byte written below
    buf.copy(piece, 0, at, stop);
    pieces.push(piece);
    at = stop;
  }
  return pieces;
}

/** Where the piece of whole lines of buf[at, end) starting at `at` ends: after the last '\n' within `pieceBytes`, or after the first one past it. */
function pieceEnd(buf: Buffer, at: number, end: number = buf.length, pieceBytes: number = LINE_PIECE_BYTES): number {
  if (end - at <= pieceBytes) return end;
  const nl = buf.lastIndexOf(0x0a, at + pieceBytes - 1);
  if (nl >= at) return nl + 1;
  const next = buf.indexOf(0x0a, at + pieceBytes);
  return next === -1 ? end : next + 1;
}

/** Which lines to emit: all, or those whose index lies in one of `take`'s [from, to) ranges. */
export type Wanted = ((index: number) => boolean) | undefined;

function wantedOf(take: readonly (readonly [number, number])[] | undefined): Wanted {
  return take === undefined ? undefined : (i: number): boolean => take.some(([from, to]) => i >= from && i < to);
}

/**
 * The lines of `bytes[from, to)` (whole lines) to `emit`, numbered from `index`; returns the
 * next line's index. One decode of the range, then cuts: each line a slice of one string.
 */
function emitRange(bytes: Buffer, from: number, to: number, index: number, emit: (line: string) => void, wanted: Wanted): number {
  const text = bytes.toString('utf8', from, to);
  let start = 0;
  for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
    const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
    if (wanted === undefined || wanted(index)) emit(text.slice(start, end));
    index++;
    start = nl + 1;
  }
  return index;
}

/**
 * The lines of a line block to `emit`, in order, without their '\n' (or '\r\n'); with
 * `take`, only the lines whose index lies in one of its [from, to) ranges. Decoded in
 * pieces of whole lines (LINE_PIECE_BYTES), never as one string of the whole block.
 */
export function emitLines(data: Uint8Array, emit: (line: string) => void, take?: readonly (readonly [number, number])[]): void {
  const buf = Buffer.from(data.buffer, data.byteOffset + LINE_BLOCK_MAGIC.length, data.length - LINE_BLOCK_MAGIC.length);
  emitLineRange(buf, 0, buf.length, emit, LINE_PIECE_BYTES, wantedOf(take));
}

/**
 * The lines of `bytes[from, to)` — whole lines, the last ending just before `to` — to
 * `emit` without their '\n' (or '\r\n'), decoded in pieces of whole lines of at most
 * `pieceBytes` (a longer line is a piece of its own): emitLines' cut, which textFile's
 * reader (scheduler/read-lines.ts) uses for each read too.
 */
export function emitLineRange(bytes: Buffer, from: number, to: number, emit: (line: string) => void, pieceBytes: number = LINE_PIECE_BYTES, wanted?: Wanted): void {
  let index = 0;
  for (let at = from; at < to; ) {
    const stop = pieceEnd(bytes, at, to, pieceBytes);
    index = emitRange(bytes, at, stop, index, emit, wanted);
    at = stop;
  }
}

/** The lines of a line block given as linePieces made them, as emitLines gives them. */
export function emitLinePieces(pieces: readonly Uint8Array[], emit: (line: string) => void, take?: readonly (readonly [number, number])[]): void {
  const wanted = wantedOf(take);
  let index = 0;
  for (const p of pieces) {
    const buf = Buffer.from(p.buffer, p.byteOffset, p.length);
    index = emitRange(buf, 0, buf.length, index, emit, wanted);
  }
}
