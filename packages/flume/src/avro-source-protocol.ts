import crypto from 'node:crypto';
import avro from 'avsc';

/**
 * Flume's `AvroSourceProtocol` (flume-ng-sdk's flume.avdl) as an Avro protocol
 * declaration: what a Flume `avro` sink (NettyAvroRpcClient) calls on an `avro` source.
 * Written out from the IDL: `append(AvroFlumeEvent)` and `appendBatch(array<AvroFlumeEvent>)`,
 * each answering a `Status`.
 */
export const AVRO_SOURCE_PROTOCOL = {
  protocol: 'AvroSourceProtocol',
  namespace: 'org.apache.flume.source.avro',
  types: [
    { type: 'enum', name: 'Status', symbols: ['OK', 'FAILED', 'UNKNOWN'] },
    {
      type: 'record',
      name: 'AvroFlumeEvent',
      fields: [
        { name: 'headers', type: { type: 'map', values: 'string' } },
        { name: 'body', type: 'bytes' },
      ],
    },
  ],
  messages: {
    append: { request: [{ name: 'event', type: 'AvroFlumeEvent' }], response: 'Status' },
    appendBatch: { request: [{ name: 'events', type: { type: 'array', items: 'AvroFlumeEvent' } }], response: 'Status' },
  },
} as const;

/** The protocol's text as this receiver sends it in a handshake (HandshakeResponse.serverProtocol). */
export const AVRO_SOURCE_PROTOCOL_TEXT = JSON.stringify(AVRO_SOURCE_PROTOCOL);

/** As Avro's Protocol.getMD5(): the MD5 of the protocol's text. */
export const AVRO_SOURCE_PROTOCOL_MD5: Buffer = crypto.createHash('md5').update(AVRO_SOURCE_PROTOCOL_TEXT, 'utf8').digest();

/** The two messages Flume's avro sink calls. */
export type FlumeMessageName = 'append' | 'appendBatch';
export const FLUME_MESSAGES: readonly FlumeMessageName[] = ['append', 'appendBatch'];

export type FlumeStatus = 'OK' | 'FAILED' | 'UNKNOWN';

/** An AvroFlumeEvent as avsc reads it. */
export interface AvroFlumeEvent {
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

/** The Avro IPC handshake records (Avro's share/schemas/org/apache/avro/ipc). */
export const HANDSHAKE_REQUEST = avro.Type.forSchema({
  type: 'record',
  name: 'HandshakeRequest',
  namespace: 'org.apache.avro.ipc',
  fields: [
    { name: 'clientHash', type: { type: 'fixed', name: 'MD5', size: 16 } },
    { name: 'clientProtocol', type: ['null', 'string'] },
    { name: 'serverHash', type: 'MD5' },
    { name: 'meta', type: ['null', { type: 'map', values: 'bytes' }] },
  ],
});

export const HANDSHAKE_RESPONSE = avro.Type.forSchema({
  type: 'record',
  name: 'HandshakeResponse',
  namespace: 'org.apache.avro.ipc',
  fields: [
    { name: 'match', type: { type: 'enum', name: 'HandshakeMatch', symbols: ['BOTH', 'CLIENT', 'NONE'] } },
    { name: 'serverProtocol', type: ['null', 'string'] },
    { name: 'serverHash', type: ['null', { type: 'fixed', name: 'MD5', size: 16 }] },
    { name: 'meta', type: ['null', { type: 'map', values: 'bytes' }] },
  ],
});

export interface HandshakeRequest {
  readonly clientHash: Buffer;
  readonly clientProtocol: string | null;
  readonly serverHash: Buffer;
  readonly meta: Record<string, Buffer> | null;
}

export type HandshakeMatch = 'BOTH' | 'CLIENT' | 'NONE';

/** Per-call metadata (map<bytes>) before the message name of a request and the payload of a response. */
export const CALL_META = avro.Type.forSchema({ type: 'map', values: 'bytes' });
export const MESSAGE_NAME = avro.Type.forSchema('string');
export const ERROR_FLAG = avro.Type.forSchema('boolean');
/** Avro's system errors: a union of string (Protocol.SYSTEM_ERRORS). */
export const SYSTEM_ERROR = avro.Type.forSchema(['string']);

export const LOCAL_SERVICE = avro.Service.forProtocol(AVRO_SOURCE_PROTOCOL as unknown as avro.Schema);
