/**
 * Bytes handed from a task's compute loop (synchronous pushes) to a writer that consumes
 * them as an async iterable, in chunks of at least `chunkBytes` (the last may be smaller),
 * so a part is written while its records are still being computed.
 *
 * Threading: one task; `push`/`end`/`fail` from the compute loop, iteration by one writer.
 * Memory: what the writer has not consumed yet stays buffered (the compute loop cannot wait).
 */
export class ChunkQueue implements AsyncIterable<Uint8Array> {
  private readonly chunkBytes: number;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private readonly ready: Buffer[] = [];
  private done = false;
  private error: unknown;
  private failed = false;
  private wake: (() => void) | undefined;

  constructor(chunkBytes: number) {
    this.chunkBytes = chunkBytes;
  }

  push(data: Buffer): void {
    this.pending.push(data);
    this.pendingBytes += data.length;
    if (this.pendingBytes >= this.chunkBytes) this.cut();
  }

  /** No more data. */
  end(): void {
    if (this.pendingBytes > 0) this.cut();
    this.done = true;
    this.signal();
  }

  /** The producer failed: the iteration throws `err` (after nothing more is read). */
  fail(err: unknown): void {
    this.failed = true;
    this.error = err;
    this.done = true;
    this.signal();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    for (;;) {
      if (this.failed) throw this.error;
      const next = this.ready.shift();
      if (next) {
        yield next;
        continue;
      }
      if (this.done) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  private cut(): void {
    this.ready.push(this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.pendingBytes));
    this.pending = [];
    this.pendingBytes = 0;
    this.signal();
  }

  private signal(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }
}
