import net from 'node:net';
import { LineChunker, type LineRun } from './line-chunker.js';
import { Receiver } from './receiver.js';

/** Default longest line socketTextStream accepts, in bytes (64 MiB). */
export const DEFAULT_MAX_RECORD_LENGTH = 64 * 1024 * 1024;

/**
 * Reads a TCP server's byte stream, as Spark's SocketReceiver: connects to host:port,
 * feeds the bytes through `converter` and stores what comes out; for socketTextStream
 * (no converter) it cuts the bytes at line ends in linear time (LineChunker) and stores
 * the whole lines as bytes, decoded into UTF-8 strings by the tasks that read them. A refused or broken connection
 * restarts the receiver after 2 s and is reported to the driver; the stream goes on.
 *
 * A line longer than `maxRecordLength` bytes is skipped (never buffered whole) and
 * reported to the driver as a receiver error naming the source, the limit and how to
 * raise it; the lines after it are received as usual (as Hadoop's LineRecordReader
 * skips lines past its maximum length).
 */
export class SocketReceiver<T> extends Receiver<T> {
  private socket: net.Socket | undefined;
  /** Settles once the current connection's bytes are all read and stored. */
  private consumed: Promise<void> | undefined;
  /** The current connection's lines (socketTextStream): what it holds of a line not ended is lost if the connection fails. */
  private chunker: LineChunker | undefined;
  /** Bytes with no '\n' after them that the current connection's close made a line. */
  private lastLineUnended = 0;

  constructor(
    readonly host: string,
    readonly port: number,
    /** Turns the connection's bytes into records; undefined means UTF-8 lines. */
    readonly converter: ((input: AsyncIterable<Buffer>) => AsyncIterable<T> | Iterable<T>) | undefined,
    /** Longest line in bytes (its '\n' or '\r\n' not counted) for UTF-8 lines. */
    readonly maxRecordLength: number = DEFAULT_MAX_RECORD_LENGTH,
  ) {
    super();
  }

  onStart(): void {
    const where = `${this.host}:${this.port}`;
    const socket = net.connect({ host: this.host, port: this.port });
    this.socket = socket;
    this.chunker = undefined;
    // Events of a connection this receiver let go of (onStop) change nothing.
    const current = (): boolean => this.socket === socket && !this.isStopped();
    socket.on('error', (err) => {
      if (current()) this.restart(`socket receiver cannot read from ${where}: ${err.message}${this.unfinishedLost()}`, err);
    });
    socket.on('connect', () => {
      this.consumed = this.consume(socket).then(
        () => {
          if (!current()) return;
          const n = this.lastLineUnended;
          // Spark's socketTextStream (BufferedReader.readLine) takes such bytes for a last line too.
          this.restart(n > 0 ? `${where} closed the connection in the middle of a line: its last ${n} bytes, with no '\\n' after them, were stored as a line; reconnecting` : `${where} closed the connection; reconnecting`);
        },
        (err: Error) => {
          if (current()) this.restart(`socket receiver failed reading ${where}: ${err.message}${this.unfinishedLost()}`, err);
        },
      );
    });
  }

  /** What a failed connection lost of a line it had not ended, in words ('' when nothing). */
  private unfinishedLost(): string {
    const n = this.chunker?.unfinishedBytes ?? 0;
    return n > 0 ? `; the ${n} bytes of a line it had not ended (no '\\n' after them) are dropped: a socket source is not asked to send them again` : '';
  }

  private async consume(socket: net.Socket): Promise<void> {
    this.chunker = undefined;
    this.lastLineUnended = 0;
    if (this.converter) {
      const out = this.converter(socket);
      for await (const rec of out as AsyncIterable<T>) {
        if (this.storesRefused()) return;
        await this.storeWithBackpressure([rec]);
      }
      return;
    }
    const where = `${this.host}:${this.port}`;
    const chunker = (this.chunker = new LineChunker(this.maxRecordLength, (bytes, complete) =>
      this.reportError(
        `socketTextStream(${where}): skipped a line of ${complete ? '' : 'at least '}${bytes} bytes, over the maxRecordLength of ${this.maxRecordLength} bytes; ` +
          `end records with '\\n', or raise the limit: ssc.socketTextStream('${this.host}', ${this.port}, { maxRecordLength: <bytes> })`,
      ),
    ));
    // Lines are stored as the bytes that came in (no string per line here): the task
    // that reads a block decodes it (see line-block.ts).
    for await (const chunk of socket as AsyncIterable<Buffer>) {
      if (this.storesRefused()) return;
      const run = chunker.push(chunk);
      if (run.lines > 0) await this.storeLinesWithBackpressure(run);
    }
    this.lastLineUnended = chunker.unfinishedBytes;
    const last = chunker.end();
    if (last.lines > 0) void this.storeLines(last);
  }

  /** As storeWithBackpressure, for lines kept as bytes. */
  private async storeLinesWithBackpressure(run: LineRun): Promise<void> {
    void this.storeLines(run);
    if (this.bufferFull()) await this.untilAccepting();
  }

  /**
   * Store without waiting for durability (a socket cannot be asked to send again: what
   * the peer sent is received at most once) unless the buffer is full or the receiver's
   * rate is used up: then wait until the records are taken (a block became durable, or
   * the rate allows them), which stops reading the socket and so slows the peer down.
   */
  private async storeWithBackpressure(records: T[]): Promise<void> {
    void this.store(records);
    if (this.bufferFull()) await this.untilAccepting();
  }

  /**
   * Stop reading gracefully: close this side of the connection (a TCP half-close) and go on
   * reading until the peer closes its side, storing what arrives; the supervisor cuts the
   * last block after that (or after STOP_DRAIN_MS, when the peer keeps its side open). A
   * peer that ends its side on seeing ours — as a Node.js server does by default — so loses
   * nothing it wrote: what a receiver that moves to another worker (a decommission) or a
   * graceful stop leaves unread is what the peer never sent. A peer that keeps writing
   * after our half-close loses what was in flight when the connection is cut, as any
   * unreliable receiver may.
   */
  onStop(): Promise<void> | void {
    const socket = this.socket;
    const consumed = this.consumed;
    this.socket = undefined;
    this.consumed = undefined;
    if (!socket) return;
    if (!consumed || socket.connecting || socket.destroyed) {
      socket.destroy();
      return;
    }
    socket.end();
    // The supervisor waits 2 s at most (in a graceful stop, until this settles); a peer that
    // never closes its side is cut after 3 s either way.
    const cut = setTimeout(() => socket.destroy(), 3000);
    cut.unref();
    return consumed.finally(() => {
      clearTimeout(cut);
      socket.destroy();
    });
  }
}
