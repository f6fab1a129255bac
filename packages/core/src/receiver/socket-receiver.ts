import net from 'node:net';
import { Receiver } from './receiver.js';

/**
 * Reads a TCP server's byte stream, as Spark's SocketReceiver: connects to host:port,
 * feeds the bytes through `converter` (for socketTextStream: UTF-8 lines) and stores
 * what comes out. A refused or broken connection restarts the receiver after 2 s and is
 * reported to the driver; the stream goes on.
 */
export class SocketReceiver<T> extends Receiver<T> {
  private socket: net.Socket | undefined;

  constructor(
    readonly host: string,
    readonly port: number,
    /** Turns the connection's bytes into records; undefined means UTF-8 lines. */
    readonly converter: ((input: AsyncIterable<Buffer>) => AsyncIterable<T> | Iterable<T>) | undefined,
  ) {
    super();
  }

  onStart(): void {
    const where = `${this.host}:${this.port}`;
    const socket = net.connect({ host: this.host, port: this.port });
    this.socket = socket;
    socket.on('error', (err) => this.restart(`socket receiver cannot read from ${where}: ${err.message}`, err));
    socket.on('connect', () => {
      void this.consume(socket).then(
        () => {
          if (!this.isStopped()) this.restart(`${where} closed the connection; reconnecting`);
        },
        (err: Error) => this.restart(`socket receiver failed reading ${where}: ${err.message}`, err),
      );
    });
  }

  private async consume(socket: net.Socket): Promise<void> {
    if (this.converter) {
      const out = this.converter(socket);
      for await (const rec of out as AsyncIterable<T>) {
        if (this.isStopped()) return;
        this.store(rec);
      }
      return;
    }
    let rest = '';
    socket.setEncoding('utf8');
    for await (const chunk of socket as AsyncIterable<string>) {
      if (this.isStopped()) return;
      const parts = (rest + chunk).split('\n');
      rest = parts.pop() ?? '';
      const lines = parts.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
      if (lines.length > 0) this.store(lines as T[]);
    }
    if (rest) this.store(rest as T);
  }

  onStop(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }
}
