import net from 'node:net';
import type avro from 'avsc';
import { CALL_META, ERROR_FLAG, HANDSHAKE_REQUEST, HANDSHAKE_RESPONSE, MESSAGE_NAME, SYSTEM_ERROR, type HandshakeMatch } from './avro-source-protocol.js';
import { NettyFrameDecoder, encodeNettyPack } from './netty-transport-codec.js';

/** Largest response pack accepted (a batch of events). */
const MAX_RESPONSE_BYTES = 256 * 1024 * 1024;

interface HandshakeResponse {
  readonly match: HandshakeMatch;
  readonly serverProtocol: string | null;
  readonly serverHash: Buffer | null;
}

/**
 * The calling half of Avro RPC over Avro's Netty transport, as Avro's Requestor over a
 * NettyTransceiver: one connection, one call at a time. Until the connection is
 * established a request opens with a HandshakeRequest (this client's protocol MD5, the
 * server's MD5 if known, else a guess: the client's own); a server that does not know the
 * client's protocol answers NONE and the same call is sent again with the protocol's text.
 * After the handshake: call metadata, the message name and its parameters; the response is
 * call metadata, an error flag, then the answer or a system error string.
 *
 * Threading: the receiver's thread; `call` must not be called again before it settled.
 */
export class AvroRequestor {
  private socket: net.Socket | undefined;
  private decoder = new NettyFrameDecoder(MAX_RESPONSE_BYTES);
  private serial = 0;
  private established = false;
  private serverHash: Buffer;
  private waiting: { resolve: (payload: Buffer) => void; reject: (err: Error) => void; timer: NodeJS.Timeout } | undefined;
  private failure: Error | undefined;

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly protocolText: string,
    private readonly protocolHash: Buffer,
    private readonly timeoutMs: number,
  ) {
    this.serverHash = protocolHash;
  }

  get where(): string {
    return `${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.port}`;
  }

  get connected(): boolean {
    return this.socket !== undefined && this.failure === undefined;
  }

  async connect(): Promise<void> {
    const socket = net.connect({ host: this.host, port: this.port });
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`no connection within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    this.socket = socket;
    this.failure = undefined;
    this.established = false;
    this.decoder = new NettyFrameDecoder(MAX_RESPONSE_BYTES);
    // Events of an earlier socket of this requestor are not this connection's.
    socket.on('data', (d: Buffer) => {
      if (this.socket !== socket) return;
      try {
        for (const pack of this.decoder.push(d)) this.answer(pack.payload);
      } catch (err) {
        this.fail(err as Error);
      }
    });
    socket.on('error', (err) => {
      if (this.socket === socket) this.fail(err);
    });
    socket.on('close', () => {
      if (this.socket === socket) this.fail(new Error('the connection was closed'));
    });
  }

  close(): void {
    this.fail(new Error('closed'));
  }

  /** Calls `message` with its encoded parameters; resolves with the encoded answer. */
  async call(message: string, params: Buffer): Promise<Buffer> {
    for (let attempt = 0; ; attempt++) {
      const withProtocol = attempt > 0;
      const parts: Buffer[] = [];
      if (!this.established) {
        parts.push(HANDSHAKE_REQUEST.toBuffer({ clientHash: this.protocolHash, clientProtocol: withProtocol ? this.protocolText : null, serverHash: this.serverHash, meta: null }));
      }
      parts.push(CALL_META.toBuffer({}), MESSAGE_NAME.toBuffer(message), params);
      let payload = await this.send(Buffer.concat(parts));
      if (!this.established) {
        const { value, offset } = HANDSHAKE_RESPONSE.decode(payload, 0) as { value: HandshakeResponse; offset: number };
        if (offset < 0) throw new Error('the answer does not begin with an Avro HandshakeResponse');
        if (value.serverHash) this.serverHash = value.serverHash;
        if (value.match === 'NONE') {
          if (withProtocol) throw new Error('the server does not accept this client protocol (handshake NONE twice)');
          continue;
        }
        this.established = true;
        payload = payload.subarray(offset);
      }
      const meta = CALL_META.decode(payload, 0);
      const flag = ERROR_FLAG.decode(payload, meta.offset) as { value: boolean; offset: number };
      if (meta.offset < 0 || flag.offset < 0) throw new Error('the answer is not an Avro call response');
      const rest = payload.subarray(flag.offset);
      if (flag.value) {
        const err = SYSTEM_ERROR.decode(rest, 0) as { value: string; offset: number };
        throw new Error(`the server answered ${message} with an error: ${err.offset < 0 ? '(undecodable)' : err.value}`);
      }
      return rest;
    }
  }

  /** Decodes `type` from `bytes` in full, or throws naming what. */
  static read<T>(type: avro.Type, bytes: Buffer, what: string): T {
    const { value, offset } = type.decode(bytes, 0) as { value: T; offset: number };
    if (offset < 0) throw new Error(`the answer is not a ${what}`);
    return value;
  }

  private send(request: Buffer): Promise<Buffer> {
    const socket = this.socket;
    if (!socket || this.failure) return Promise.reject(this.failure ?? new Error('not connected'));
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
      this.waiting = { resolve, reject, timer };
      socket.write(encodeNettyPack(++this.serial, chunks(request)));
    });
  }

  private answer(payload: Buffer): void {
    const w = this.waiting;
    this.waiting = undefined;
    if (!w) return;
    clearTimeout(w.timer);
    w.resolve(payload);
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    const w = this.waiting;
    this.waiting = undefined;
    if (w) {
      clearTimeout(w.timer);
      w.reject(err);
    }
    this.socket?.destroy();
    this.socket = undefined;
  }
}

/** As Avro's ByteBufferOutputStream: 8192-byte buffers, one frame each. */
function chunks(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += 8192) out.push(bytes.subarray(i, i + 8192));
  return out.length > 0 ? out : [Buffer.alloc(0)];
}
