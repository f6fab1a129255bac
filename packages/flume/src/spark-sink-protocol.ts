import crypto from 'node:crypto';
import avro from 'avsc';

/**
 * Spark's SparkFlumeProtocol (spark-streaming-flume-sink's sparkflume.avdl) as an Avro
 * protocol declaration: what Spark's polling receiver calls on the SparkSink running in a
 * Flume agent. `getEventBatch(n)` takes up to n events from the sink's channel in a
 * transaction named by the batch's `sequenceNumber` (or answers an `errorMsg`, e.g. when
 * the channel had no events); `ack` commits that transaction, `nack` rolls it back (the
 * events go back to the channel).
 */
export const SPARK_FLUME_PROTOCOL = {
  protocol: 'SparkFlumeProtocol',
  namespace: 'org.apache.spark.streaming.flume.sink',
  types: [
    {
      type: 'record',
      name: 'SparkSinkEvent',
      fields: [
        { name: 'headers', type: { type: 'map', values: 'string' } },
        { name: 'body', type: 'bytes' },
      ],
    },
    {
      type: 'record',
      name: 'EventBatch',
      fields: [
        { name: 'errorMsg', type: 'string', default: '' },
        { name: 'sequenceNumber', type: 'string' },
        { name: 'events', type: { type: 'array', items: 'SparkSinkEvent' } },
      ],
    },
  ],
  messages: {
    getEventBatch: { request: [{ name: 'n', type: 'int' }], response: 'EventBatch' },
    ack: { request: [{ name: 'sequenceNumber', type: 'string' }], response: 'null' },
    nack: { request: [{ name: 'sequenceNumber', type: 'string' }], response: 'null' },
  },
} as const;

/** The protocol's text as this client sends it in a handshake (HandshakeRequest.clientProtocol). */
export const SPARK_FLUME_PROTOCOL_TEXT = JSON.stringify(SPARK_FLUME_PROTOCOL);

/** As Avro's Protocol.getMD5(): the MD5 of the protocol's text. */
export const SPARK_FLUME_PROTOCOL_MD5: Buffer = crypto.createHash('md5').update(SPARK_FLUME_PROTOCOL_TEXT, 'utf8').digest();

/** A batch as getEventBatch answers it. */
export interface EventBatch {
  readonly errorMsg: string;
  readonly sequenceNumber: string;
  readonly events: readonly { readonly headers: Record<string, string>; readonly body: Buffer }[];
}

const registry: Record<string, avro.Type> = {};
for (const t of SPARK_FLUME_PROTOCOL.types) avro.Type.forSchema(t as unknown as avro.Schema, { registry, namespace: SPARK_FLUME_PROTOCOL.namespace } as never);

/** getEventBatch's answer. */
export const EVENT_BATCH = registry[`${SPARK_FLUME_PROTOCOL.namespace}.EventBatch`]!;
/** getEventBatch's parameter (n). */
export const INT = avro.Type.forSchema('int');
/** ack's and nack's parameter (sequenceNumber). */
export const STRING = avro.Type.forSchema('string');
