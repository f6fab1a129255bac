import { Receiver } from '@sluice/core';
import mqtt, { type IPublishPacket, type MqttClient } from 'mqtt';
import type { ResolvedMQTTOptions } from './mqtt-options.js';

/** The mqtt client's internal packet writer, through which it sends a PUBACK (see deferAcks). */
interface PacketWriter {
  _sendPacket(packet: { cmd: string; messageId?: number; reasonCode?: number }, cb?: (err?: Error) => void, ...rest: unknown[]): void;
}

/**
 * The receiver behind MQTTUtils.createStream: one `mqtt` client on the worker that runs it.
 * With QoS 1 the PUBACK of each message is held back until the `store` of the block that
 * holds it resolved (the message is durable); a receiver that dies first never acknowledged
 * it, and the broker sends it again to the next connection with the same client id.
 */
export class MQTTReceiver<T> extends Receiver<T> {
  private client: MqttClient | undefined;
  private pending: { records: T[]; ids: number[] } | undefined;
  /** Bumped on every (re)connection: an acknowledgement belongs to the connection that got the message. */
  private generation = 0;
  private acking = false;
  private lastError = '';
  /** Stores under way, each acknowledging its messages once it resolves (onStop waits for them). */
  private readonly inflight = new Set<Promise<void>>();
  /** onStop began: messages that come now are not taken (nor acknowledged: the broker sends them again). */
  private closing = false;
  /** A message on a topic none of `topics` matches was reported (once a start). */
  private strayReported = false;
  /** Whether a topic name matches one of `topics`, for the names seen last (at most TOPICS_CACHED). */
  private readonly topicTaken = new Map<string, boolean>();

  constructor(
    readonly brokerUrl: string,
    readonly topics: readonly string[],
    readonly options: ResolvedMQTTOptions,
    readonly paired: boolean,
    /** Paired records keep the payload's bytes (a Buffer) instead of decoding it as UTF-8 (Bahir's createPairedByteArrayStream). */
    readonly bytes = false,
  ) {
    super();
    this.shownUrl = withoutPassword(brokerUrl);
  }

  /** brokerUrl as messages show it: a password it holds replaced by ***. */
  private readonly shownUrl: string;

  onStart(): void {
    const o = this.options;
    this.generation = 0;
    this.lastError = '';
    this.closing = false;
    this.strayReported = false;
    const client = mqtt.connect(this.brokerUrl, {
      clientId: o.clientId,
      username: o.username,
      password: o.password,
      clean: !o.persistentSession,
      keepalive: o.keepalive,
      connectTimeout: o.connectTimeoutMs,
      reconnectPeriod: o.reconnectPeriodMs,
      protocolVersion: 5,
      // Up to 65535 unacknowledged messages in flight (acknowledgements wait for a block),
      // and a session the broker keeps while the receiver is away.
      properties: { receiveMaximum: 65535, sessionExpiryInterval: o.persistentSession ? 0xffffffff : 0 },
      customHandleAcks: (topic: string, message: Buffer, packet: IPublishPacket, done: (error: Error | number, code?: number) => void) => {
        this.take(topic, message, packet.messageId);
        done(0);
      },
    });
    this.client = client;
    this.deferAcks(client);
    client.on('connect', () => {
      this.generation++;
      this.lastError = '';
      client.subscribe([...this.topics], { qos: this.options.qos }, (err, granted) => {
        const refused = granted?.find((g) => g.qos >= 128);
        if (err || refused) {
          this.report(`MQTT: broker ${this.shownUrl} refused the subscription to ${refused ? JSON.stringify(refused.topic) : JSON.stringify(this.topics)} (topics): ${err?.message ?? `reason code ${refused!.qos}`}; check the topic filters and the broker's ACL`, err);
        }
      });
    });
    // QoS 0 deliveries (a QoS 0 subscription, or a message published at QoS 0) are not
    // acknowledged; QoS 1 ones come through customHandleAcks.
    client.on('message', (topic, message, packet) => {
      if (packet.qos === 0) this.take(topic, message, undefined);
    });
    client.on('error', (err) => this.report(describeError(err, this.shownUrl, o, client.connected, this.brokerUrl), err));
  }

  /**
   * Messages taken and not yet stored are dropped unacknowledged (the broker sends them
   * again); the stores under way are waited for (at most STOP_WAIT_MS) so that what they
   * stored is acknowledged before the client disconnects. Before, the client went at once,
   * and the broker sent again every message whose block was stored but not yet
   * acknowledged: a graceful stop counted them twice, once in its last batches and once
   * in the next run's first.
   */
  async onStop(): Promise<void> {
    this.closing = true;
    this.pending = undefined;
    const client = this.client;
    if (this.inflight.size > 0) await settledWithin([...this.inflight], STOP_WAIT_MS);
    this.client = undefined;
    if (!client) return;
    // A clean end sends the acknowledgements queued before its DISCONNECT; a broker gone meanwhile is not waited for.
    const ended = new Promise<void>((resolve) => client.end(false, {}, () => resolve()));
    if (!(await settledWithin([ended], 2000))) client.end(true);
  }

  /** The client sends a PUBACK as soon as the message was handed over; hold it back: `ack` sends it once the message is durable. */
  private deferAcks(client: MqttClient): void {
    const writer = client as unknown as PacketWriter;
    const send = writer._sendPacket.bind(client);
    writer._sendPacket = (packet, cb, ...rest) => {
      if (packet.cmd === 'puback' && !this.acking) {
        cb?.();
        return;
      }
      send(packet, cb, ...rest);
    };
  }

  /**
   * Puts a message into the next block. One on a topic none of this stream's filters match
   * came through a subscription an earlier run made under the same client id, which the
   * broker keeps in the persistent session: it is left out of the stream, and its PUBACK
   * goes with the next block's (in order), so the broker forgets it.
   */
  private take(topic: string, message: Buffer, messageId: number | undefined): void {
    if (this.closing) return;
    if (!this.takes(topic)) {
      this.leaveOut(topic, messageId);
      return;
    }
    const payload = this.bytes ? Buffer.from(message) : message.toString('utf8');
    const record = (this.paired ? [topic, payload] : payload) as T;
    if (!this.pending) {
      this.pending = { records: [], ids: [] };
      setImmediate(() => this.flush());
    }
    this.pending.records.push(record);
    if (messageId !== undefined) this.pending.ids.push(messageId);
  }

  private takes(topic: string): boolean {
    let taken = this.topicTaken.get(topic);
    if (taken === undefined) {
      taken = this.topics.some((filter) => topicMatches(filter, topic));
      if (this.topicTaken.size >= TOPICS_CACHED) this.topicTaken.clear();
      this.topicTaken.set(topic, taken);
    }
    return taken;
  }

  private leaveOut(topic: string, messageId: number | undefined): void {
    if (messageId !== undefined) {
      if (!this.pending) {
        this.pending = { records: [], ids: [] };
        setImmediate(() => this.flush());
      }
      this.pending.ids.push(messageId);
    }
    if (this.strayReported) return;
    this.strayReported = true;
    const o = this.options;
    this.report(
      `MQTT: the broker at ${this.shownUrl} delivers messages on topic ${JSON.stringify(topic)}, which matches none of this stream's topic filters ${JSON.stringify(this.topics)} (topics): ` +
        `the persistent session of clientId ${JSON.stringify(o.clientId)} keeps the subscriptions an earlier run made with other filters. ` +
        `Such messages are acknowledged and left out of the stream (this is said once a receiver start); to end that subscription, unsubscribe its filter with a client of that clientId and no clean start while the job is stopped (a clean start ends the whole session, dropping what it holds for the job; a new clientId leaves the old session queueing messages for nobody)`,
      undefined,
    );
  }

  private flush(): void {
    const batch = this.pending;
    this.pending = undefined;
    if (!batch || (batch.records.length === 0 && batch.ids.length === 0) || this.isStopped()) return;
    const client = this.client;
    const generation = this.generation;
    // Messages left out only (leaveOut): acknowledged once the stores before them were, in order.
    const durable = batch.records.length > 0 ? this.store(batch.records) : Promise.allSettled([...this.inflight]).then(() => undefined);
    const stored: Promise<void> = durable.then(
      () => {
        // Durable: only now may the broker forget them. A connection that dropped since got
        // them again (the broker redelivers unacknowledged messages to the new one).
        if (!client || client !== this.client || generation !== this.generation || !client.connected) return;
        this.acking = true;
        try {
          for (const messageId of batch.ids) (client as unknown as PacketWriter)._sendPacket({ cmd: 'puback', messageId, reasonCode: 0 });
        } finally {
          this.acking = false;
        }
      },
      (err: unknown) => {
        // The store's own words (a full or unwritable write-ahead log, a replica refused) go in
        // the reason: it is what `sluice jobs` and the Streaming page show of the restart.
        const cause = err instanceof Error ? err.message : String(err);
        if (!this.isStopped()) this.restart(`MQTT: could not store ${batch.records.length} messages from ${this.shownUrl}; they were not acknowledged and the broker sends them again: ${cause}`, err);
      },
    ).finally(() => this.inflight.delete(stored));
    this.inflight.add(stored);
  }

  private report(message: string, err: unknown): void {
    if (message === this.lastError || this.isStopped()) return;
    this.lastError = message;
    this.reportError(message, err);
  }
}

/**
 * Whether an MQTT topic filter matches a topic name (MQTT 3.1.1 section 4.7, MQTT 5 4.7 and
 * 4.8.2): `+` is one level, `#` (last) this level and every one below, a wildcard first
 * never matches a topic starting with `$`, and a shared subscription `$share/GROUP/filter`
 * matches as its filter.
 */
export function topicMatches(filter: string, topic: string): boolean {
  let f = filter;
  if (f.startsWith('$share/')) {
    const slash = f.indexOf('/', '$share/'.length);
    if (slash < 0) return false;
    f = f.slice(slash + 1);
  }
  const fl = f.split('/');
  const tl = topic.split('/');
  if (topic.startsWith('$') && (fl[0] === '+' || fl[0] === '#')) return false;
  for (let i = 0; i < fl.length; i++) {
    if (fl[i] === '#') return true;
    if (i >= tl.length || (fl[i] !== '+' && fl[i] !== tl[i])) return false;
  }
  return fl.length === tl.length;
}

/** Topic names whose match against the stream's filters a receiver keeps (a split and compare per filter saved a message: ~2 us at 200 names). */
const TOPICS_CACHED = 4096;

/** How long onStop waits for the stores under way to be acknowledged. */
const STOP_WAIT_MS = 10_000;

/** Whether all of `promises` settled within `ms`. */
async function settledWithin(promises: readonly Promise<unknown>[], ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([Promise.allSettled(promises).then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The first words of mqtt-packet's errors for bytes that are no MQTT packet. */
const NOT_MQTT = /^(Invalid|Cannot parse|Malformed|Packet|Not supported|Unknown|Connect flag|Will )/;

/** The host of a broker URL, or the URL itself where it does not parse. */
function hostOf(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return url;
  }
}

/** `connected`: whether the client had its CONNACK on the connection the error came from. */
/** `url` with a password it holds replaced by *** (the user kept), for messages and logs. */
function withoutPassword(url: string): string {
  try {
    const u = new URL(url);
    if (u.password === '') return url;
    u.password = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}

/** The credentials the client sent and where each came from (the options win over brokerUrl's, as in mqtt.connect). */
function credentials(o: ResolvedMQTTOptions, brokerUrl: string): string {
  let user = '';
  let password = '';
  try {
    const u = new URL(brokerUrl);
    user = decodeURIComponent(u.username);
    password = u.password;
  } catch {
    // resolve() refused a URL that does not parse
  }
  const name = o.username !== undefined ? `username ${JSON.stringify(o.username)}` : user !== '' ? `username ${JSON.stringify(user)} (from brokerUrl)` : 'no username';
  const secret = o.password !== undefined ? 'password set' : password !== '' ? 'password set (in brokerUrl)' : 'no password';
  return `${name}, ${secret}`;
}

/** `connected`: whether the client had its CONNACK on the connection the error came from; `url` the broker as shown (no password), `brokerUrl` as given. */
function describeError(err: Error & { code?: string | number }, url: string, o: ResolvedMQTTOptions, connected: boolean, brokerUrl: string): string {
  const code = err.code;
  // Bytes that are no MQTT packet in answer to CONNECT: another service listens there (a web
  // server answers 'HTTP/1.1 400', whose 'H' reads as a PUBACK with bad flags).
  if (code === undefined && !connected && NOT_MQTT.test(err.message)) {
    return `MQTT: what answered at ${url} (brokerUrl) is not an MQTT broker: its answer to CONNECT is no MQTT packet (${err.message}); check the port (an MQTT broker listens on 1883, or 8883 for mqtts://), not that of a web server or another service (retrying every ${o.reconnectPeriodMs} ms)`;
  }
  // A host name that does not resolve: getaddrinfo's ENOTFOUND names the host but not what
  // failed, and 'check the host and port and that the broker runs' sends the user to the broker.
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    const host = (err as { hostname?: unknown }).hostname ?? hostOf(url);
    const why =
      code === 'ENOTFOUND'
        ? `the host name ${JSON.stringify(host)} does not resolve to an address (${err.message}: no DNS record or /etc/hosts entry for it); check its spelling, or give the broker's IP address`
        : `the host name ${JSON.stringify(host)} could not be resolved now (${err.message}: the DNS server did not answer); check this machine's DNS (/etc/resolv.conf), or give the broker's IP address`;
    return `MQTT: cannot reach the broker at ${url} (brokerUrl): ${why} (retrying every ${o.reconnectPeriodMs} ms)`;
  }
  if (code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' || code === 'ETIMEDOUT') {
    return `MQTT: cannot reach the broker at ${url} (brokerUrl): ${err.message}; check the host and port and that the broker runs (retrying every ${o.reconnectPeriodMs} ms)`;
  }
  // A broker that takes connections and answers nothing (stopped, overloaded): mqtt.js gives
  // up on a ping after the keepalive, and on a CONNECT after connectTimeout, then reconnects.
  if (err.message === 'Keepalive timeout' || err.message === 'connack timeout') {
    const wait = err.message === 'Keepalive timeout' ? `did not answer a ping within keepalive ${o.keepalive} s` : `accepted the connection and did not answer CONNECT within connectTimeoutMs ${o.connectTimeoutMs} ms`;
    return `MQTT: the broker at ${url} ${wait} (${err.message}): it is stopped or overloaded${err.message === 'connack timeout' ? ', or no MQTT broker (another service that waits for more bytes listens on that port: check the port)' : ''}; reconnecting every ${o.reconnectPeriodMs} ms (reconnectPeriodMs), the session's unacknowledged messages come again; check the broker, or raise keepalive and connectTimeoutMs for a slow one`;
  }
  // CONNACK reason codes: 4/5 (MQTT 3.1.1), 134 bad user name or password, 135 not authorized (MQTT 5).
  if (code === 134 || code === 135 || code === 4 || code === 5) {
    return `MQTT: the broker at ${url} refused the credentials (${credentials(o, brokerUrl)}): ${err.message}; check the ${o.username === undefined && o.password === undefined && new URL(brokerUrl).username !== '' ? 'user and password in brokerUrl' : 'username and password options'}`;
  }
  return `MQTT: broker ${url}: ${err.message}`;
}
