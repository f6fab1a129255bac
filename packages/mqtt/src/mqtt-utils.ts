import { SluiceError, refuseUnknownOptions, type DStream, type StreamingContext } from '@sluice/core';
import type { MQTTStreamOptions, ResolvedMQTTOptions } from './mqtt-options.js';
import { MQTTReceiver } from './mqtt-receiver.js';

const SCHEMES = ['mqtt:', 'mqtts:', 'tcp:', 'ssl:', 'ws:', 'wss:'];

function bad(setting: string, value: unknown, fix: string): SluiceError {
  return new SluiceError('SLUICE_BAD_ARGUMENT', `MQTT: ${setting} ${JSON.stringify(value)} is not valid: ${fix}`);
}

// MQTTStreamOptions' keys, spelt out so the compiler says when the interface gains one.
const OPTION_KEYS: Record<keyof MQTTStreamOptions, true> = {
  qos: true,
  clientId: true,
  username: true,
  password: true,
  persistentSession: true,
  keepalive: true,
  connectTimeoutMs: true,
  reconnectPeriodMs: true,
};

const RECEIVER_MAX_RATE = '{ receiverMaxRate: N } on the StreamingContext (records per second per receiver)';
/** Bahir's MQTTUtils parameters and Spark's rate settings a user may give as options, and the setting each is here. */
const SPARK_NAMES: Readonly<Record<string, string>> = {
  cleanSession: '{ persistentSession: false } for a clean session (persistentSession is its opposite; default true)',
  connectionTimeout: '{ connectTimeoutMs: ... } (milliseconds, where Bahir takes seconds)',
  keepAliveInterval: '{ keepalive: N } (seconds)',
  storageLevel: "nothing to set: a receiver's block is replicated to a second worker (or written to the write-ahead log when that is on)",
  'spark.streaming.receiver.maxRate': RECEIVER_MAX_RATE,
  maxRate: RECEIVER_MAX_RATE,
  'spark.streaming.kafka.maxRatePerPartition': RECEIVER_MAX_RATE,
  maxRatePerPartition: RECEIVER_MAX_RATE,
};

/**
 * What makes `filter` no MQTT topic filter (MQTT 3.1.1 section 4.7.1, MQTT 5 4.8.2 for
 * `$share/GROUP/filter`), or undefined when it is one.
 */
function filterProblem(filter: string): string | undefined {
  let f = filter;
  if (f.startsWith('$share/')) {
    const [, group = '', ...rest] = f.split('/');
    f = rest.join('/');
    if (group === '' || /[+#]/.test(group) || f === '') return "a shared subscription is $share/GROUP/FILTER: a group name without '+' or '#', then a filter";
  }
  if (f.includes('\u0000')) return 'a topic filter holds no NUL character';
  const levels = f.split('/');
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i]!;
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) {
      return `'#' must be a whole level and the last one ("sensors/#"), not ${JSON.stringify(level)}${level === '#' ? ' with levels after it' : ''}`;
    }
    if (level.includes('+') && level !== '+') return `'+' must be a whole level ("sensors/+/temp"), not ${JSON.stringify(level)}`;
  }
  return undefined;
}

function resolve(brokerUrl: string, topics: readonly string[], o: MQTTStreamOptions): ResolvedMQTTOptions {
  // A key the stream does not know would be taken and ignored (a misspelt qos, a Spark setting).
  refuseUnknownOptions(o, OPTION_KEYS, 'MQTTUtils.createStream(ssc, brokerUrl, topics, options)', SPARK_NAMES);
  // 'localhost:1883' parses as a URL of scheme 'localhost:'; '127.0.0.1:1883' and 'broker' as none.
  const hostPort = typeof brokerUrl === 'string' ? /^([A-Za-z0-9_.-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?$/.exec(brokerUrl) : null;
  if (hostPort) {
    const at = `${hostPort[1]}${hostPort[2] ?? ':1883'}`;
    throw bad('brokerUrl', brokerUrl, `it has no scheme; write mqtt://${at} (or tcp://${at}, as Spark's MQTTUtils and Paho take it; mqtts:// or ssl:// for TLS, ws:// or wss:// for MQTT over WebSocket)`);
  }
  let url: URL;
  try {
    url = new URL(brokerUrl);
  } catch {
    // The URL parser refuses a port past 65535 as it does a URL that is none.
    const port = typeof brokerUrl === 'string' ? /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/?#]*@)?(?:\[[^\]]*\]|[^:/?#]*):(\d+)(?:[/?#]|$)/i.exec(brokerUrl)?.[1] : undefined;
    if (port !== undefined) throw bad('brokerUrl', brokerUrl, `the port ${port} is out of range: give a port from 1 to 65535 (an MQTT broker listens on 1883, or 8883 for mqtts://)`);
    throw bad('brokerUrl', brokerUrl, 'give a URL such as mqtt://host:1883');
  }
  if (!SCHEMES.includes(url.protocol)) throw bad('brokerUrl', brokerUrl, `the scheme must be one of ${SCHEMES.join(', ')}`);
  if (!Array.isArray(topics) || topics.length === 0 || topics.some((t) => typeof t !== 'string' || t.length === 0)) {
    throw bad('topics', topics, 'give one or more topic filters, e.g. ["sensors/#"]');
  }
  for (const filter of topics) {
    const why = filterProblem(filter);
    // mqtt.js refuses such a filter at subscribe time, where the receiver could only report it and subscribe to nothing.
    if (why) throw bad('topic filter', filter, `${why}; a subscription to it is refused, so the stream would receive nothing`);
  }
  const qos = o.qos ?? 1;
  if (qos !== 0 && qos !== 1) throw bad('qos', qos, 'use 0 (at most once) or 1 (at least once, reliable)');
  const clientId = o.clientId ?? `sluice-${topics.join(',')}`.slice(0, 64);
  if (typeof clientId !== 'string' || clientId.length === 0) throw bad('clientId', clientId, 'give a non-empty string');
  for (const [k, v] of [['keepalive', o.keepalive], ['connectTimeoutMs', o.connectTimeoutMs], ['reconnectPeriodMs', o.reconnectPeriodMs]] as const) {
    if (v !== undefined && !(Number.isFinite(v) && v >= 0)) throw bad(k, v, 'give a number >= 0');
  }
  return {
    qos,
    clientId,
    username: o.username,
    password: o.password,
    persistentSession: o.persistentSession ?? true,
    keepalive: o.keepalive ?? 30,
    connectTimeoutMs: o.connectTimeoutMs ?? 10_000,
    reconnectPeriodMs: o.reconnectPeriodMs ?? 1000,
  };
}

/**
 * The stream's name (the UI's, the logs', the checkpoint's): the call, the broker (without a
 * user or password the URL may hold) and the topics, so that a program recovering from a
 * checkpoint written while it read other topics or another broker is told (the receiver's
 * class alone named none of them, and the new topics were read without a word).
 */
function streamName(call: string, brokerUrl: string, topics: readonly string[]): string {
  let broker = brokerUrl;
  try {
    const u = new URL(brokerUrl);
    if (u.username !== '' || u.password !== '') {
      u.username = '';
      u.password = '';
      broker = u.toString().replace(/\/$/, '');
    }
  } catch {
    // Not a URL: resolve() refuses it before the name is needed.
  }
  return `MQTTUtils.${call}(${broker}, [${topics.join(', ')}])`;
}

/**
 * MQTT input, as Spark's MQTTUtils. A receiver on the `mqtt` client subscribes to `topics`
 * on `brokerUrl`. With qos 1 (the default) it is reliable: a message is acknowledged to the
 * broker only once `store` made it durable (replicated to a second worker, or written to the
 * write-ahead log when that is on), and the session is persistent (fixed client id,
 * clean: false), so messages a killed worker had not stored are redelivered to the restarted
 * receiver. Delivery is at least once: a message stored but not yet acknowledged when the
 * worker died comes again (exact results need dedupe by a message id, or idempotent output).
 *
 * Each stream's base scope is Spark's InputDStream name for Bahir's class, its name split
 * before each capital letter: MQTTInputDStream is `m q t t stream [n]`, MQTTPairedInputDStream
 * `m q t t paired stream [n]`, MQTTPairedByteArrayInputDStream `m q t t paired byte array stream [n]`.
 */
export const MQTTUtils = {
  /** The payloads, as UTF-8 strings (as Spark's MQTTUtils.createStream). */
  createStream(ssc: StreamingContext, brokerUrl: string, topics: string | readonly string[], options: MQTTStreamOptions = {}): DStream<string> {
    const list = typeof topics === 'string' ? [topics] : [...topics];
    return ssc.withNamedScope('m q t t stream', () => ssc.receiverStream(new MQTTReceiver<string>(brokerUrl, list, resolve(brokerUrl, list, options), false), streamName('createStream', brokerUrl, list)));
  },
  /** `[topic, payload]` pairs (as Spark's MQTTUtils.createPairedStream). */
  createPairedStream(ssc: StreamingContext, brokerUrl: string, topics: string | readonly string[], options: MQTTStreamOptions = {}): DStream<[string, string]> {
    const list = typeof topics === 'string' ? [topics] : [...topics];
    return ssc.withNamedScope('m q t t paired stream', () => ssc.receiverStream(new MQTTReceiver<[string, string]>(brokerUrl, list, resolve(brokerUrl, list, options), true), streamName('createPairedStream', brokerUrl, list)));
  },
  /** `[topic, payload]` pairs with the payload's bytes as a Buffer, not decoded (as Bahir's MQTTUtils.createPairedByteArrayStream): for payloads that are not text. */
  createPairedByteArrayStream(ssc: StreamingContext, brokerUrl: string, topics: string | readonly string[], options: MQTTStreamOptions = {}): DStream<[string, Buffer]> {
    const list = typeof topics === 'string' ? [topics] : [...topics];
    return ssc.withNamedScope('m q t t paired byte array stream', () => ssc.receiverStream(new MQTTReceiver<[string, Buffer]>(brokerUrl, list, resolve(brokerUrl, list, options), true, true), streamName('createPairedByteArrayStream', brokerUrl, list)));
  },
};
