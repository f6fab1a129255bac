import avro from 'avsc';
import {
  AVRO_SOURCE_PROTOCOL_MD5,
  AVRO_SOURCE_PROTOCOL_TEXT,
  CALL_META,
  ERROR_FLAG,
  FLUME_MESSAGES,
  HANDSHAKE_REQUEST,
  HANDSHAKE_RESPONSE,
  LOCAL_SERVICE,
  MESSAGE_NAME,
  SYSTEM_ERROR,
  type AvroFlumeEvent,
  type FlumeMessageName,
  type FlumeStatus,
  type HandshakeMatch,
  type HandshakeRequest,
} from './avro-source-protocol.js';

/** A protocol a client declared in a handshake, and how to read its requests as Flume's. */
export interface RemoteProtocol {
  readonly name: string;
  /** Per message the client may call: a resolver from its request schema to ours (undefined: the same schema). */
  readonly requests: ReadonlyMap<FlumeMessageName, avro.Resolver | undefined>;
}

/** Bytes that are not a request of Flume's Avro protocol; the connection is closed. `reply` goes out first when set. */
export class ProtocolError extends Error {
  constructor(
    /** `malformed Avro request` or `wrong Avro handshake`. */
    readonly kind: 'malformed Avro request' | 'wrong Avro handshake',
    readonly detail: string,
    readonly reply?: readonly Buffer[],
  ) {
    super(`${kind} (${detail})`);
    this.name = 'ProtocolError';
  }
}

export type ResponderResult =
  /** Answer at once: a handshake the client must repeat with its protocol (NONE), a ping, or an Avro system error (`warning` says what). */
  | { readonly kind: 'reply'; readonly frames: readonly Buffer[]; readonly warning?: string }
  /** A call: store `events`, then answer `head` followed by statusBytes(status). */
  | { readonly kind: 'call'; readonly message: FlumeMessageName; readonly events: AvroFlumeEvent[]; readonly head: Buffer };

/** Client protocols known by hash, shared by a receiver's connections (as Avro's Responder.protocols), bounded. */
export class ProtocolCache {
  private readonly byHash = new Map<string, RemoteProtocol>();

  constructor(private readonly max = 64) {
    this.byHash.set(AVRO_SOURCE_PROTOCOL_MD5.toString('hex'), { name: LOCAL_SERVICE.name, requests: new Map(FLUME_MESSAGES.map((m) => [m, undefined])) });
  }

  get(hash: Buffer): RemoteProtocol | undefined {
    return this.byHash.get(hash.toString('hex'));
  }

  set(hash: Buffer, p: RemoteProtocol): void {
    if (this.byHash.size >= this.max) {
      // Keep the local protocol (the first entry); drop the oldest client one.
      const oldest = [...this.byHash.keys()][1];
      if (oldest !== undefined) this.byHash.delete(oldest);
    }
    this.byHash.set(hash.toString('hex'), p);
  }
}

const STATUS_TYPE = LOCAL_SERVICE.message('append').responseType as avro.Type;
const STATUS_BYTES = new Map<FlumeStatus, Buffer>((['OK', 'FAILED', 'UNKNOWN'] as const).map((s) => [s, STATUS_TYPE.toBuffer(s)]));
const EMPTY_META = CALL_META.toBuffer({});
const NO_ERROR = ERROR_FLAG.toBuffer(false);
const WITH_ERROR = ERROR_FLAG.toBuffer(true);

/** The response payload of a call's Status. */
export function statusBytes(status: FlumeStatus): Buffer {
  return STATUS_BYTES.get(status)!;
}

/**
 * The server half of Avro IPC for Flume's AvroSourceProtocol, one per connection, as
 * Avro's Responder.respond with a connection (NettyServer): the first request that
 * matches carries a HandshakeRequest (client and server protocol MD5s, the client's
 * protocol text when it was told NONE); once matched, requests are call metadata, the
 * message name and its parameters; a response is the HandshakeResponse (first time
 * only), call metadata, an error flag and the Status (or a system error string).
 *
 * Unlike Avro's Responder it is strict: trailing bytes after a request, a protocol that
 * cannot be read as Flume's and undecodable values are ProtocolErrors (the connection is
 * closed), not calls with whatever could be read.
 *
 * Threading: the connection's data callbacks; `respond` is synchronous.
 */
export class AvroResponder {
  private remote: RemoteProtocol | undefined;

  constructor(private readonly protocols: ProtocolCache) {}

  respond(payload: Buffer): ResponderResult {
    let pos = 0;
    let handshake = Buffer.alloc(0);
    let remote = this.remote;
    if (!remote) {
      const req = read<HandshakeRequest>(HANDSHAKE_REQUEST, payload, pos, 'HandshakeRequest', 'wrong Avro handshake');
      pos = req.offset;
      const h = req.value;
      remote = this.protocols.get(h.clientHash);
      if (!remote && h.clientProtocol !== null) {
        remote = parseRemote(h.clientProtocol, h.clientHash, serverReply('NONE'));
        this.protocols.set(h.clientHash, remote);
      }
      const match: HandshakeMatch = remote ? (h.serverHash.equals(AVRO_SOURCE_PROTOCOL_MD5) ? 'BOTH' : 'CLIENT') : 'NONE';
      handshake = serverReply(match);
      // NONE: the client sends the same request again, with its protocol's text.
      if (!remote) return { kind: 'reply', frames: [handshake] };
      this.remote = remote;
    }
    const meta = read<Record<string, Buffer>>(CALL_META, payload, pos, 'call metadata', 'malformed Avro request');
    pos = meta.offset;
    const name = read<string>(MESSAGE_NAME, payload, pos, 'message name', 'malformed Avro request');
    pos = name.offset;
    // An empty name is a handshake ping (Requestor.getRemote): the handshake answers it.
    if (name.value === '') return { kind: 'reply', frames: [handshake] };
    const message = name.value as FlumeMessageName;
    if (!FLUME_MESSAGES.includes(message) || !remote.requests.has(message)) {
      const known = FLUME_MESSAGES.includes(message);
      const text = known ? `No such remote message: ${message}` : `No message named ${name.value} in AvroSourceProtocol`;
      return {
        kind: 'reply',
        frames: [Buffer.concat([handshake, EMPTY_META, WITH_ERROR, SYSTEM_ERROR.toBuffer(text)])],
        warning: `call of ${JSON.stringify(name.value)}, which is not a message of Flume's AvroSourceProtocol (append, appendBatch); answered with an Avro system error`,
      };
    }
    const local = LOCAL_SERVICE.message(message).requestType as avro.Type;
    const resolver = remote.requests.get(message);
    const request = read<{ event?: AvroFlumeEvent; events?: AvroFlumeEvent[] }>(local, payload, pos, `${message} parameters`, 'malformed Avro request', resolver);
    if (request.offset !== payload.length) {
      throw new ProtocolError('malformed Avro request', `${payload.length - request.offset} bytes after the ${message} parameters`);
    }
    const raw = message === 'append' ? [request.value.event!] : request.value.events!;
    const events = raw.map((e) => ({ headers: { ...e.headers }, body: e.body }));
    return { kind: 'call', message, events, head: Buffer.concat([handshake, EMPTY_META, NO_ERROR]) };
  }
}

function serverReply(match: HandshakeMatch): Buffer {
  return HANDSHAKE_RESPONSE.toBuffer({
    match,
    serverProtocol: match === 'BOTH' ? null : AVRO_SOURCE_PROTOCOL_TEXT,
    serverHash: match === 'BOTH' ? null : AVRO_SOURCE_PROTOCOL_MD5,
    meta: null,
  });
}

function read<T>(type: avro.Type, buf: Buffer, pos: number, what: string, kind: ProtocolError['kind'], resolver?: avro.Resolver): { value: T; offset: number } {
  let r: { value: unknown; offset: number };
  try {
    r = type.decode(buf, pos, resolver);
  } catch (err) {
    throw new ProtocolError(kind, `cannot read the ${what} at byte ${pos} of ${buf.length}: ${(err as Error).message}`);
  }
  if (r.offset < 0) throw new ProtocolError(kind, `the request ends inside the ${what} (${buf.length} bytes, from byte ${pos})`);
  return { value: r.value as T, offset: r.offset };
}

/** A client's declared protocol, accepted only when Flume's messages can be read from it. */
function parseRemote(text: string, hash: Buffer, reply: Buffer): RemoteProtocol {
  const wrong = (detail: string): ProtocolError => new ProtocolError('wrong Avro handshake', `client protocol ${hash.toString('hex')}: ${detail}`, [reply]);
  let svc: avro.Service;
  try {
    svc = avro.Service.forProtocol(JSON.parse(text));
  } catch (err) {
    throw wrong(`its text is not an Avro protocol: ${(err as Error).message}`);
  }
  const requests = new Map<FlumeMessageName, avro.Resolver | undefined>();
  const problems: string[] = [];
  for (const m of FLUME_MESSAGES) {
    const theirs = svc.message(m) as { requestType: avro.Type; responseType: avro.Type } | undefined;
    if (!theirs) continue;
    const ours = LOCAL_SERVICE.message(m) as { requestType: avro.Type; responseType: avro.Type };
    try {
      const resolver = ours.requestType.createResolver(theirs.requestType);
      // The client reads our Status with its response schema.
      theirs.responseType.createResolver(ours.responseType);
      requests.set(m, resolver);
    } catch (err) {
      problems.push(`${m}: ${(err as Error).message}`);
    }
  }
  if (requests.size === 0) {
    throw wrong(`${svc.name} is not Flume's AvroSourceProtocol: ${problems.length > 0 ? problems.join('; ') : 'it has neither append nor appendBatch'}`);
  }
  return { name: svc.name, requests };
}
