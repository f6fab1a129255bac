/**
 * Cuts a byte stream into UTF-8 lines in linear time: each chunk is scanned once for
 * '\n', the pieces of a line that spans chunks are kept as a list of Buffers, and each
 * line is decoded once, whole (so a multi-byte character split across chunks decodes
 * intact). A line ends at '\n'; a '\r' just before it is dropped, as Spark's
 * socketTextStream (a BufferedReader) does.
 *
 * A line longer than `maxLength` bytes (its terminator not counted) is never held whole:
 * once it is known to be too long its bytes are dropped up to the next '\n', and
 * `onTooLong` is called once for it with the bytes seen (a lower bound when the line was
 * cut off mid-way). Buffered memory is therefore bounded by maxLength + 1 plus one chunk.
 */
export class LineSplitter {
  private parts: Buffer[] = [];
  private pending = 0;
  /** Dropping the rest of a line already found too long, up to its '\n'. */
  private discarding = false;

  constructor(
    readonly maxLength: number,
    private readonly onTooLong: (bytesSeen: number, complete: boolean) => void,
  ) {}

  /** The complete lines `chunk` ends, in order. */
  push(chunk: Buffer): string[] {
    const lines: string[] = [];
    let start = 0;
    for (let nl = chunk.indexOf(0x0a, start); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
      if (this.discarding) this.discarding = false;
      else {
        const line = this.take(chunk, start, nl);
        if (line !== undefined) lines.push(line);
      }
      start = nl + 1;
    }
    if (start < chunk.length) this.keep(chunk.subarray(start));
    return lines;
  }

  /** At the end of the stream: the last line if it had no terminator. */
  end(): string | undefined {
    if (this.discarding || this.pending === 0) {
      this.reset();
      return undefined;
    }
    const buf = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.pending);
    this.reset();
    return this.decode(buf, 0, buf.length);
  }

  /** The line made of what is buffered plus chunk[start, nl), or undefined when it is too long. */
  private take(chunk: Buffer, start: number, nl: number): string | undefined {
    let length = this.pending + (nl - start);
    const lastByte = nl > start ? chunk[nl - 1] : this.parts.length > 0 ? this.parts[this.parts.length - 1].at(-1) : undefined;
    if (lastByte === 0x0d) length--;
    if (length > this.maxLength) {
      this.reset();
      this.onTooLong(length, true);
      return undefined;
    }
    if (this.pending === 0) return this.decode(chunk, start, start + length);
    this.parts.push(chunk.subarray(start, nl));
    const buf = Buffer.concat(this.parts, this.pending + (nl - start));
    this.reset();
    return this.decode(buf, 0, length);
  }

  private keep(piece: Buffer): void {
    if (this.discarding) return;
    this.parts.push(piece);
    this.pending += piece.length;
    // One byte of slack: a '\r' right before the '\n' does not count.
    if (this.pending > this.maxLength + 1) {
      const seen = this.pending;
      this.reset();
      this.discarding = true;
      this.onTooLong(seen, false);
    }
  }

  private decode(buf: Buffer, from: number, to: number): string {
    return buf.toString('utf8', from, to);
  }

  private reset(): void {
    this.parts = [];
    this.pending = 0;
  }
}
