// The tests' own Flume avro sink: speaks Flume's AvroSourceProtocol over Avro's Netty
// transport byte for byte as NettyAvroRpcClient does (Avro's Requestor over a
// NettyTransceiver), written from the protocol's definition and Avro's IPC spec — it
// shares no code with the receiver (its schemas are parsed here from IDL text).
//
//  - A request is a NettyDataPack: serial (int32, from 1, +1 per pack), frame count
//    (int32), frames each int32 length + bytes, big-endian. The frames are Avro's
//    ByteBufferOutputStream buffers (8192 bytes each): first those of the handshake (until
//    connected), the call metadata and the message name, then those of the parameters.
//  - Until the connection is established the request opens with a HandshakeRequest:
//    clientHash = MD5 of this client's protocol text, clientProtocol null (its text once
//    told NONE), serverHash = the server's hash if learned, else a guess (the client's).
//  - The response (same serial): HandshakeResponse (until established), call metadata,
//    an error flag, then the Status (or a system error string). NONE: the same call is
//    sent again with the protocol text; BOTH or CLIENT: established.
//  - With `deflate` the whole stream both ways is zlib (Netty's JZlibEncoder/Decoder
//    that NettyAvroRpcClient adds for compression-type = deflate), flushed per pack.
//
// As AvroSink does with its RpcClient, `send` keeps a batch until it got OK: after FAILED,
// an error, a timeout or a lost connection it reconnects and sends the same batch again.
import crypto from 'node:crypto';
import net from 'node:net';
import zlib from 'node:zlib';
import avro from 'avsc';

export const FLUME_IDL = `
@namespace("org.apache.flume.source.avro")
protocol AvroSourceProtocol {
  enum Status { OK, FAILED, UNKNOWN }
  record AvroFlumeEvent {
    map<string> headers;
    bytes body;
  }
  Status append(AvroFlumeEvent event);
  Status appendBatch(array<AvroFlumeEvent> events);
}
`;

export interface FlumeEvent {
  headers: Record<string, string>;
  body: Buffer;
}

export type Status = 'OK' | 'FAILED' | 'UNKNOWN';

const MD5 = { type: 'fixed', name: 'MD5', size: 16 } as const;
export const HandshakeRequestType = avro.Type.forSchema({
  type: 'record',
  name: 'HandshakeRequest',
  namespace: 'org.apache.avro.ipc',
  fields: [
    { name: 'clientHash', type: MD5 },
    { name: 'clientProtocol', type: ['null', 'string'] },
    { name: 'serverHash', type: 'MD5' },
    { name: 'meta', type: ['null', { type: 'map', values: 'bytes' }] },
  ],
} as avro.Schema);
export const HandshakeResponseType = avro.Type.forSchema({
  type: 'record',
  name: 'HandshakeResponse',
  namespace: 'org.apache.avro.ipc',
  fields: [
    { name: 'match', type: { type: 'enum', name: 'HandshakeMatch', symbols: ['BOTH', 'CLIENT', 'NONE'] } },
    { name: 'serverProtocol', type: ['null', 'string'] },
    { name: 'serverHash', type: ['null', MD5] },
    { name: 'meta', type: ['null', { type: 'map', values: 'bytes' }] },
  ],
} as avro.Schema);
const MetaType = avro.Type.forSchema({ type: 'map', values: 'bytes' });
const StringType = avro.Type.forSchema('string');
const BooleanType = avro.Type.forSchema('boolean');

const protocol = avro.readProtocol(FLUME_IDL) as { types: avro.Schema[] };
const registry: Record<string, avro.Type> = {};
for (const t of protocol.types) avro.Type.forSchema(t, { registry, namespace: 'org.apache.flume.source.avro' } as never);
const StatusType = registry['org.apache.flume.source.avro.Status']!;
const EventType = registry['org.apache.flume.source.avro.AvroFlumeEvent']!;
const EventArrayType = avro.Type.forSchema({ type: 'array', items: 'org.apache.flume.source.avro.AvroFlumeEvent' }, { registry } as never);

/** This client's protocol text (as Java's Protocol.toString) and its MD5 (Protocol.getMD5). */
export const CLIENT_PROTOCOL_TEXT = JSON.stringify(protocol);
export const CLIENT_PROTOCOL_HASH = crypto.createHash('md5').update(CLIENT_PROTOCOL_TEXT).digest();

/** Avro's ByteBufferOutputStream: bytes cut into 8192-byte buffers. */
export function javaBuffers(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += 8192) out.push(bytes.subarray(i, i + 8192));
  if (out.length === 0) out.push(Buffer.alloc(0));
  return out;
}

/** NettyFrameEncoder: serial, frame count, each frame length-prefixed. */
export function nettyPack(serial: number, frames: readonly Buffer[]): Buffer {
  const parts: Buffer[] = [];
  const head = Buffer.alloc(8);
  head.writeInt32BE(serial, 0);
  head.writeInt32BE(frames.length, 4);
  parts.push(head);
  for (const f of frames) {
    const len = Buffer.alloc(4);
    len.writeInt32BE(f.length, 0);
    parts.push(len, f);
  }
  return Buffer.concat(parts);
}

/** Reads NettyDataPacks from a byte stream (NettyFrameDecoder), frames concatenated. */
class PackReader {
  private buf = Buffer.alloc(0);
  push(d: Buffer): { serial: number; payload: Buffer }[] {
    this.buf = Buffer.concat([this.buf, d]);
    const out: { serial: number; payload: Buffer }[] = [];
    for (;;) {
      if (this.buf.length < 8) return out;
      const serial = this.buf.readInt32BE(0);
      const count = this.buf.readInt32BE(4);
      let off = 8;
      const frames: Buffer[] = [];
      for (let i = 0; i < count; i++) {
        if (this.buf.length < off + 4) return out;
        const len = this.buf.readInt32BE(off);
        if (this.buf.length < off + 4 + len) return out;
        frames.push(this.buf.subarray(off + 4, off + 4 + len));
        off += 4 + len;
      }
      out.push({ serial, payload: Buffer.concat(frames) });
      this.buf = this.buf.subarray(off);
    }
  }
}

export interface ClientOptions {
  readonly host: string;
  readonly port: number;
  readonly deflate?: boolean;
  /** Flume's request-timeout (default 20 s). */
  readonly requestTimeoutMs?: number;
}

interface Pending {
  readonly withHandshake: boolean;
  readonly resolve: (r: { status?: Status; retry?: boolean; error?: string }) => void;
  readonly reject: (e: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * `connect()` again while it is refused (ECONNREFUSED), every 50 ms for `ms` at most: a receiver
 * is reported started before its onStart binds its port (as Spark's, whose FlumeStreamSuite
 * connects inside eventually()). A refused connect reaches no receiver, so it reports nothing.
 */
export async function whenListening<T>(connect: () => Promise<T>, ms = 30_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      return await connect();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ECONNREFUSED' || Date.now() > until) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** One NettyAvroRpcClient connection (not reconnecting by itself). */
export class FlumeAvroConnection {
  private socket: net.Socket | undefined;
  private deflater: zlib.Deflate | undefined;
  private serial = 0;
  private established = false;
  private sendLocalText = false;
  /** What Avro's Requestor keeps in REMOTE_HASHES for the server (shared by a client's connections). */
  serverHash: Buffer | undefined;
  /** Every HandshakeResponse, in order. */
  readonly handshakes: { match: string; serverProtocol: string | null }[] = [];
  /** Their matches. */
  readonly matches: string[] = [];
  private readonly pending = new Map<number, Pending>();
  private closedError: Error | undefined;

  constructor(private readonly o: ClientOptions) {}

  async connect(): Promise<void> {
    const socket = net.connect({ host: this.o.host, port: this.o.port });
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    this.socket = socket;
    const reader = new PackReader();
    const onData = (d: Buffer): void => {
      for (const p of reader.push(d)) this.onPack(p.serial, p.payload);
    };
    if (this.o.deflate) {
      this.deflater = zlib.createDeflate({ level: 6 });
      this.deflater.on('data', (d: Buffer) => socket.write(d));
      const inflater = zlib.createInflate();
      socket.on('data', (d: Buffer) => inflater.write(d));
      inflater.on('data', onData);
      inflater.on('error', (e) => this.fail(e));
    } else {
      socket.on('data', onData);
    }
    socket.on('error', (e) => this.fail(e));
    socket.on('close', () => this.fail(new Error('connection closed by the server')));
  }

  get closed(): boolean {
    return this.closedError !== undefined;
  }

  /** Resolves when the server closed the connection. */
  whenClosed(): Promise<void> {
    if (this.closedError) return Promise.resolve();
    return new Promise((r) => this.socket?.once('close', () => r()));
  }

  close(): void {
    this.socket?.destroy();
  }

  /** Write raw bytes (for malformed input). */
  writeRaw(bytes: Buffer): void {
    this.write(bytes);
  }

  append(event: FlumeEvent): Promise<Status> {
    return this.call('append', EventType.toBuffer(event));
  }

  appendBatch(events: readonly FlumeEvent[]): Promise<Status> {
    return this.call('appendBatch', EventArrayType.toBuffer(events));
  }

  private async call(message: string, params: Buffer): Promise<Status> {
    for (;;) {
      const r = await this.request(message, params);
      if (r.retry) continue; // NONE: the same call again, now with the protocol text
      if (r.error !== undefined) throw new Error(`system error from the server: ${r.error}`);
      return r.status!;
    }
  }

  private request(message: string, params: Buffer): Promise<{ status?: Status; retry?: boolean; error?: string }> {
    if (this.closedError) return Promise.reject(this.closedError);
    const head: Buffer[] = [];
    const withHandshake = !this.established;
    if (withHandshake) {
      head.push(
        HandshakeRequestType.toBuffer({
          clientHash: CLIENT_PROTOCOL_HASH,
          clientProtocol: this.sendLocalText ? CLIENT_PROTOCOL_TEXT : null,
          serverHash: this.serverHash ?? CLIENT_PROTOCOL_HASH,
          meta: null,
        }),
      );
    }
    head.push(MetaType.toBuffer({}), StringType.toBuffer(message));
    const frames = [...javaBuffers(Buffer.concat(head)), ...javaBuffers(params)];
    const serial = ++this.serial;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(serial);
        reject(new Error(`RPC request timed out after ${this.o.requestTimeoutMs ?? 20_000} ms`));
      }, this.o.requestTimeoutMs ?? 20_000);
      this.pending.set(serial, { withHandshake, resolve, reject, timer });
      this.write(nettyPack(serial, frames));
    });
  }

  private write(bytes: Buffer): void {
    if (this.deflater) {
      this.deflater.write(bytes);
      this.deflater.flush(zlib.constants.Z_SYNC_FLUSH);
    } else {
      this.socket!.write(bytes);
    }
  }

  private onPack(serial: number, payload: Buffer): void {
    const p = this.pending.get(serial);
    if (!p) return;
    this.pending.delete(serial);
    clearTimeout(p.timer);
    try {
      let pos = 0;
      if (p.withHandshake && !this.established) {
        const h = HandshakeResponseType.decode(payload, pos);
        pos = h.offset;
        const hs = h.value as { match: string; serverProtocol: string | null; serverHash: Buffer | null };
        this.handshakes.push({ match: hs.match, serverProtocol: hs.serverProtocol });
        this.matches.push(hs.match);
        if (hs.serverHash) this.serverHash = hs.serverHash;
        if (hs.match === 'NONE') {
          this.sendLocalText = true;
          p.resolve({ retry: true });
          return;
        }
        this.established = true;
        this.sendLocalText = false;
      }
      const meta = MetaType.decode(payload, pos);
      pos = meta.offset;
      const flag = BooleanType.decode(payload, pos);
      pos = flag.offset;
      if (flag.value) {
        p.resolve({ error: (avro.Type.forSchema(['string']).decode(payload, pos).value as string) });
        return;
      }
      p.resolve({ status: StatusType.decode(payload, pos).value as Status });
    } catch (e) {
      p.reject(e as Error);
    }
  }

  private fail(e: Error): void {
    if (this.closedError) return;
    this.closedError = e;
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(e);
    }
    this.pending.clear();
    this.socket?.destroy();
  }
}

export interface SinkStats {
  /** Batches sent again after no OK (FAILED, error, timeout, lost connection). */
  resent: number;
  /** Connections opened. */
  connections: number;
  failures: string[];
}

/**
 * An avro sink: sends each batch (appendBatch, or append for a batch of one when
 * `singleAsAppend`) until it is answered OK, reconnecting as needed; a new connection
 * reuses the server hash learned before (Avro's REMOTE_HASHES).
 */
export class FlumeSink {
  private conn: FlumeAvroConnection | undefined;
  private serverHash: Buffer | undefined;
  readonly stats: SinkStats = { resent: 0, connections: 0, failures: [] };

  constructor(
    private readonly o: ClientOptions & { readonly singleAsAppend?: boolean; readonly retryDelayMs?: number; readonly giveUpAfterMs?: number },
  ) {}

  async send(batch: readonly FlumeEvent[]): Promise<void> {
    const deadline = Date.now() + (this.o.giveUpAfterMs ?? 60_000);
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) this.stats.resent++;
      try {
        if (!this.conn || this.conn.closed) {
          this.conn = new FlumeAvroConnection(this.o);
          this.conn.serverHash = this.serverHash;
          // Until this sink's first connection a refused connect is waited out (the receiver
          // not listening yet), not counted; later a refusal is a failure, the batch sent again.
          const conn = this.conn;
          if (this.stats.connections === 0) await whenListening(() => conn.connect(), Math.max(0, deadline - Date.now()));
          else await conn.connect();
          this.stats.connections++;
        }
        const status = batch.length === 1 && this.o.singleAsAppend ? await this.conn.append(batch[0]!) : await this.conn.appendBatch(batch);
        this.serverHash = this.conn.serverHash;
        if (status === 'OK') return;
        this.stats.failures.push(`status ${status}`);
      } catch (e) {
        this.stats.failures.push((e as Error).message);
        this.conn?.close();
        this.conn = undefined;
      }
      if (Date.now() > deadline) throw new Error(`the batch got no OK within ${this.o.giveUpAfterMs ?? 60_000} ms: ${this.stats.failures.slice(-3).join('; ')}`);
      await new Promise((r) => setTimeout(r, this.o.retryDelayMs ?? 200));
    }
  }

  close(): void {
    this.conn?.close();
  }
}
