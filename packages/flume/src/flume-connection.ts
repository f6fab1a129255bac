import type net from 'node:net';
import zlib from 'node:zlib';
import { AvroResponder, ProtocolError, statusBytes, type ProtocolCache } from './avro-responder.js';
import type { SparkFlumeEvent } from './flume-event.js';
import type { ResolvedFlumeOptions } from './flume-options.js';
import { FrameError, NettyFrameDecoder, encodeNettyPack } from './netty-transport-codec.js';

/** What a connection needs from the receiver that accepted it. */
export interface ConnectionHost {
  /** `flume receiver on HOST:PORT`, the start of every message. */
  readonly where: string;
  readonly options: ResolvedFlumeOptions;
  readonly protocols: ProtocolCache;
  /** Resolves once the events are durable (Receiver.store). */
  store(events: SparkFlumeEvent[]): Promise<void>;
  /** The receiver's buffer is full or its rate used up (a store now waits). */
  bufferFull(): boolean;
  untilAccepting(): Promise<void>;
  report(message: string): void;
  closed(c: FlumeConnection): void;
}

/**
 * One avro sink's connection: Netty packs in (inflated first with enableDecompression),
 * Avro IPC through an AvroResponder, each call's events stored and the call answered
 * `OK` only once `store` resolved (FAILED if it rejected), with the request's serial.
 *
 * Bad bytes (a malformed frame or request, a wrong handshake, a stream that does not
 * inflate) are reported naming the receiver, the peer and the setting, and close this
 * connection only; nothing it sent was acknowledged unless it was stored.
 *
 * Backpressure: while the receiver's buffer is full the socket is paused, so TCP slows
 * the sink down. Threading: the receiver's thread (socket callbacks).
 */
export class FlumeConnection {
  readonly peer: string;
  private readonly decoder: NettyFrameDecoder;
  private readonly responder: AvroResponder;
  private readonly inflate: zlib.Inflate | undefined;
  private readonly deflate: zlib.Deflate | undefined;
  private closed = false;
  private firstBytes = true;
  /** The stream looked like zlib when the receiver does not inflate: said in the error. */
  private looksDeflated = false;

  constructor(
    private readonly socket: net.Socket,
    private readonly host: ConnectionHost,
  ) {
    this.peer = peerName(socket);
    this.decoder = new NettyFrameDecoder(host.options.maxBatchBytes);
    this.responder = new AvroResponder(host.protocols);
    socket.setNoDelay(true);
    if (host.options.enableDecompression) {
      this.inflate = zlib.createInflate();
      this.deflate = zlib.createDeflate({ level: 6 });
      this.deflate.on('data', (d: Buffer) => {
        if (!this.closed) socket.write(d);
      });
      this.deflate.on('error', () => this.close());
      this.inflate.on('data', (d: Buffer) => this.onBytes(d));
      this.inflate.on('error', (err) => {
        this.fail(`cannot inflate the stream from ${this.peer} (${err.message}); enableDecompression is true, so the avro sink must use compression-type = deflate`);
      });
      socket.on('data', (d: Buffer) => this.inflate!.write(d));
    } else {
      socket.on('data', (d: Buffer) => this.onBytes(d));
    }
    // A sink that went away: its unanswered calls are sent again on its next connection.
    socket.on('error', () => this.close());
    socket.on('close', () => this.close());
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    this.inflate?.destroy();
    this.deflate?.destroy();
    this.host.closed(this);
  }

  private fail(message: string): void {
    if (this.closed) return;
    this.host.report(`${this.host.where}: ${message}; closed that connection (its unanswered calls were not acknowledged)`);
    this.close();
  }

  private onBytes(data: Buffer): void {
    if (this.closed) return;
    if (this.firstBytes && data.length >= 2) {
      this.firstBytes = false;
      this.looksDeflated = !this.inflate && (data[0]! & 0x0f) === 8 && ((data[0]! << 8) | data[1]!) % 31 === 0;
    }
    let packs;
    try {
      packs = this.decoder.push(data);
    } catch (err) {
      if (!(err instanceof FrameError)) throw err;
      const hint = this.looksDeflated
        ? '; the bytes look like a zlib stream: the avro sink uses compression-type = deflate, so set enableDecompression: true'
        : '; check that the sender is a Flume avro sink (Avro NettyTransceiver) and that maxBatchBytes fits its batch-size';
      this.fail(`malformed Avro frame from ${this.peer} (${err.detail})${hint}`);
      return;
    }
    for (const pack of packs) {
      if (this.closed) return;
      this.handle(pack.serial, pack.payload);
    }
  }

  private handle(serial: number, payload: Buffer): void {
    let result;
    try {
      result = this.responder.respond(payload);
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      if (err.reply) this.send(serial, err.reply);
      const hint = err.kind === 'wrong Avro handshake' ? "; the client must speak Flume's AvroSourceProtocol (a Flume avro sink or RpcClient)" : '';
      this.fail(`${err.kind} from ${this.peer} (${err.detail})${hint}`);
      return;
    }
    if (result.kind === 'reply') {
      this.send(serial, result.frames);
      if (result.warning) this.host.report(`${this.host.where}: ${result.warning} (from ${this.peer})`);
      return;
    }
    const { head, events } = result;
    if (events.length === 0) {
      this.send(serial, [head, statusBytes('OK')]);
      return;
    }
    this.host.store(events).then(
      () => this.send(serial, [head, statusBytes('OK')]),
      (err: unknown) => {
        // Not durable: FAILED makes the sink roll its transaction back and send the batch again.
        this.send(serial, [head, statusBytes('FAILED')]);
        this.host.report(`${this.host.where}: could not store ${events.length} events from ${this.peer} (${err instanceof Error ? err.message : String(err)}); answered FAILED, the sink sends them again`);
      },
    );
    if (this.host.bufferFull()) {
      this.socket.pause();
      void this.host.untilAccepting().then(() => {
        if (!this.closed) this.socket.resume();
      });
    }
  }

  private send(serial: number, frames: readonly Buffer[]): void {
    if (this.closed) return;
    const bytes = encodeNettyPack(serial, [Buffer.concat(frames)]);
    if (this.deflate) {
      this.deflate.write(bytes);
      this.deflate.flush(zlib.constants.Z_SYNC_FLUSH);
    } else {
      this.socket.write(bytes);
    }
  }
}

function peerName(s: net.Socket): string {
  const a = (s.remoteAddress ?? '?').replace(/^::ffff:/, '');
  return a.includes(':') ? `[${a}]:${s.remotePort}` : `${a}:${s.remotePort}`;
}
