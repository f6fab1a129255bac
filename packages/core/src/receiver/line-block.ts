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

/** Above this many bytes a block's lines are decoded one by one (a V8 string has a maximum length). */
const WHOLE_DECODE_MAX_BYTES = 64 * 1024 * 1024;

/**
 * One block from `parts` (whole '\n'-terminated lines, `bytes` in all), copied once into
 * an ArrayBuffer of its own, so it can be transferred to another thread without a copy.
 */
export function encodeLineBlock(parts: readonly Uint8Array[], bytes: number): Buffer {
  const out = Buffer.allocUnsafeSlow(LINE_BLOCK_MAGIC.length + bytes);
  LINE_BLOCK_MAGIC.copy(out, 0);
  let at = LINE_BLOCK_MAGIC.length;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function isLineBlock(data: Uint8Array): boolean {
  return data.length >= LINE_BLOCK_MAGIC.length && data[0] === 0x00 && data[1] === 0x53 && data[2] === 0x4c && data[3] === 0x31;
}

/**
 * The lines of a line block to `emit`, in order, without their '\n' (or '\r\n'); with
 * `take`, only the lines whose index lies in one of its [from, to) ranges.
 */
export function emitLines(data: Uint8Array, emit: (line: string) => void, take?: readonly (readonly [number, number])[]): void {
  const buf = Buffer.from(data.buffer, data.byteOffset + LINE_BLOCK_MAGIC.length, data.length - LINE_BLOCK_MAGIC.length);
  const wanted = take === undefined ? undefined : (i: number): boolean => take.some(([from, to]) => i >= from && i < to);
  let index = 0;
  if (buf.length <= WHOLE_DECODE_MAX_BYTES) {
    // One decode of the whole block, then cuts: each line a slice of one string.
    const text = buf.toString('utf8');
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      if (wanted === undefined || wanted(index)) emit(text.slice(start, end));
      index++;
      start = nl + 1;
    }
    return;
  }
  let start = 0;
  for (let nl = buf.indexOf(0x0a); nl !== -1; nl = buf.indexOf(0x0a, start)) {
    const end = nl > start && buf[nl - 1] === 0x0d ? nl - 1 : nl;
    if (wanted === undefined || wanted(index)) emit(buf.toString('utf8', start, end));
    index++;
    start = nl + 1;
  }
}
