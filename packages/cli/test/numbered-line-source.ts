// A TCP test source of numbered lines for socket receivers (graceful-decommission.test,
// streaming-stateful-faults.test): line k is `n<k>` and three words drawn with a seeded
// PRNG, so a test computes the expected counts from what it sent.
import net from 'node:net';
import { mulberry32 } from './harness.js';

const VOCABULARY = Array.from({ length: 40 }, (_, i) => `w${i}`);

export interface SentLine {
  readonly words: readonly string[];
  /** Index in `conns` of the connection it was written to. */
  readonly conn: number;
  readonly at: number;
}

export interface SourceConnection {
  readonly socket: net.Socket;
  readonly openedAt: number;
  /** When its reader half-closed its side (a receiver stopping gracefully). */
  endedAt: number | undefined;
}

export interface NumberedLineSourceOptions {
  /** Lines to write in all (then nothing more; can be lowered while it runs). Default: no limit. */
  readonly limit?: number;
  /**
   * Write only to a connection whose reader has not half-closed: when the receiver stops
   * gracefully, the source stops writing to it and ends its own side (Node's default), so
   * every line it wrote was on the wire before its FIN. Otherwise lines go to the newest
   * connection until it is destroyed (a killed receiver's connection loses a tail).
   */
  readonly stopAtReaderEnd?: boolean;
}

/** Lines go to the newest connection (the receiver's, after a restart or a move). */
export class NumberedLineSource {
  readonly sent: SentLine[] = [];
  readonly lines: string[] = [];
  readonly conns: SourceConnection[] = [];
  limit: number;
  private readonly server = net.createServer((socket) => {
    const c: SourceConnection = { socket, openedAt: Date.now(), endedAt: undefined };
    this.conns.push(c);
    socket.on('end', () => (c.endedAt = Date.now()));
    socket.on('error', () => undefined);
  });
  private timer: NodeJS.Timeout | undefined;
  private readonly rand: () => number;
  private readonly stopAtReaderEnd: boolean;

  constructor(seed: number, opts: NumberedLineSourceOptions = {}) {
    this.rand = mulberry32(seed);
    this.limit = opts.limit ?? Infinity;
    this.stopAtReaderEnd = opts.stopAtReaderEnd ?? false;
  }

  async listen(): Promise<number> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return (this.server.address() as net.AddressInfo).port;
  }

  /** `linesPerTick` lines every `everyMs` to the newest connection. */
  start(linesPerTick: number, everyMs: number): void {
    this.timer = setInterval(() => {
      const conn = this.conns.length - 1;
      const c = this.conns[conn];
      if (!c || c.socket.destroyed) return;
      if (this.stopAtReaderEnd && (c.endedAt !== undefined || c.socket.writableEnded)) return;
      const out: string[] = [];
      for (let i = 0; i < linesPerTick && this.lines.length < this.limit; i++) {
        const words = [0, 1, 2].map(() => VOCABULARY[Math.floor(this.rand() * VOCABULARY.length)]);
        const line = `n${this.lines.length} ${words.join(' ')}`;
        this.lines.push(line);
        this.sent.push({ words, conn, at: Date.now() });
        out.push(line);
      }
      if (out.length > 0) c.socket.write(out.join('\n') + '\n');
    }, everyMs);
  }

  /** Every line up to the limit was written. */
  get done(): boolean {
    return this.lines.length >= this.limit;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  async close(): Promise<void> {
    this.stop();
    for (const c of this.conns) c.socket.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
