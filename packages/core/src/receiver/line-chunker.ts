/** Whole lines cut from a byte stream: their bytes (each line ending with '\n') and how many. */
export interface LineRun {
  readonly parts: Uint8Array[];
  readonly bytes: number;
  readonly lines: number;
}

/**
 * Cuts a byte stream at line ends without decoding it: each chunk is scanned once for
 * '\n' (native indexOf), and what a chunk holds of whole lines is passed on as pieces of
 * that chunk (no copy, no string), with the number of lines; the piece of a line that
 * runs into the next chunk is kept until its end comes. The lines are decoded later, whole,
 * where they are read (see line-block.ts), so a multi-byte character split across chunks
 * arrives intact. A line ends at '\n'; a '\r' before it is not counted in its length.
 *
 * A line longer than `maxLength` bytes (its terminator not counted) is never held whole:
 * once it is known to be too long its bytes are dropped up to the next '\n', and
 * `onTooLong` is called once for it with the bytes seen (a lower bound when the line was
 * cut off mid-way). Buffered memory is therefore bounded by maxLength + 1 plus one chunk.
 */
export class LineChunker {
  private parts: Uint8Array[] = [];
  private pending = 0;
  /** Dropping the rest of a line already found too long, up to its '\n'. */
  private discarding = false;

  constructor(
    readonly maxLength: number,
    private readonly onTooLong: (bytesSeen: number, complete: boolean) => void,
  ) {}

  /** Bytes of the line begun and not ended yet (none while a line too long is dropped). */
  get unfinishedBytes(): number {
    return this.discarding ? 0 : this.pending;
  }

  /** The whole lines `chunk` ends, in order (the pieces of one started in earlier chunks first). */
  push(chunk: Buffer): LineRun {
    const parts: Uint8Array[] = [];
    let bytes = 0;
    let lines = 0;
    /** Start of the run of whole lines of this chunk not yet in `parts`. */
    let run = 0;
    let start = 0;
    for (let nl = chunk.indexOf(0x0a, start); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
      if (this.discarding) {
        this.discarding = false;
        run = nl + 1;
      } else {
        let length = this.pending + (nl - start);
        const lastByte = nl > start ? chunk[nl - 1] : this.pending > 0 ? this.lastPendingByte() : undefined;
        if (lastByte === 0x0d) length--;
        if (length > this.maxLength) {
          if (start > run) {
            parts.push(chunk.subarray(run, start));
            bytes += start - run;
          }
          this.reset();
          this.onTooLong(length, true);
          run = nl + 1;
        } else {
          if (this.pending > 0) {
            // The line began in earlier chunks: its pieces go first (run is 0 here).
            for (const p of this.parts) parts.push(p);
            bytes += this.pending;
            this.reset();
          }
          lines++;
        }
      }
      start = nl + 1;
    }
    if (start > run) {
      parts.push(chunk.subarray(run, start));
      bytes += start - run;
    }
    if (start < chunk.length) this.keep(chunk.subarray(start));
    return { parts, bytes, lines };
  }

  /** At the end of the stream: the last line, if it had no terminator, given one. */
  end(): LineRun {
    if (this.discarding || this.pending === 0) {
      this.reset();
      this.discarding = false;
      return { parts: [], bytes: 0, lines: 0 };
    }
    const parts = [...this.parts, Buffer.from([0x0a])];
    const bytes = this.pending + 1;
    this.reset();
    return { parts, bytes, lines: 1 };
  }

  private lastPendingByte(): number | undefined {
    const last = this.parts[this.parts.length - 1];
    return last === undefined ? undefined : last[last.length - 1];
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

  private reset(): void {
    this.parts = [];
    this.pending = 0;
  }
}
