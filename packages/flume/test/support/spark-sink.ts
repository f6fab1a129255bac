// The tests' own SparkSink (Spark's spark-streaming-flume-sink, which runs inside a Flume
// agent): an Avro server for SparkFlumeProtocol over Avro's Netty transport, written from
// the protocol's IDL and Avro's IPC spec, sharing no code with the polling receiver (its
// schemas are parsed here from the IDL text). It holds a channel of events, as the agent's
// channel: getEventBatch(n) takes up to n of them in a transaction named by a sequence
// number (an errorMsg answer, as SparkSink's, when none came within 100 ms); ack commits it,
// nack or the transaction timeout puts its events back at the channel's head, in order.
// restart(downMs) is an agent restarted (the chaos probe's --flume --polling): every
// connection cut, the port closed for downMs, every open transaction rolled back (as a file
// channel does when its agent starts again), then the same port served again.
// pause()/resume() is the agent stopped (SIGSTOP) in this process (the chaos probe's
// flume-agents-pause): nothing read, answered or timed out while paused, connections kept.
import crypto from 'node:crypto';
import net from 'node:net';
import avro from 'avsc';
import { HandshakeRequestType, HandshakeResponseType, javaBuffers, nettyPack, type FlumeEvent } from './flume-avro-client.js';

const IDL = `
@namespace("org.apache.spark.streaming.flume.sink")
protocol SparkFlumeProtocol {
  record SparkSinkEvent {
    map<string> headers;
    bytes body;
  }
  record EventBatch {
    string errorMsg = "";
    string sequenceNumber;
    array<SparkSinkEvent> events;
  }
  EventBatch getEventBatch (int n);
  void ack (string sequenceNumber);
  void nack (string sequenceNumber);
}
`;

const protocol = avro.readProtocol(IDL) as { types: avro.Schema[] };
const registry: Record<string, avro.Type> = {};
for (const t of protocol.types) avro.Type.forSchema(t, { registry, namespace: 'org.apache.spark.streaming.flume.sink' } as never);
const EventBatchType = registry['org.apache.spark.streaming.flume.sink.EventBatch']!;
const MetaType = avro.Type.forSchema({ type: 'map', values: 'bytes' });
const StringType = avro.Type.forSchema('string');
const IntType = avro.Type.forSchema('int');
const BooleanType = avro.Type.forSchema('boolean');
const TEXT = JSON.stringify(protocol);
const HASH = crypto.createHash('md5').update(TEXT).digest();

export interface SparkSinkStats {
  batches: number;
  /** Most events given in one batch. */
  largest: number;
  acks: number;
  nacks: number;
  timeouts: number;
  /** Transactions rolled back by restart(). */
  restartRollbacks: number;
  handshakes: string[];
}

export class TestSparkSink {
  private server: net.Server | undefined;
  private readonly channel: FlumeEvent[] = [];
  private readonly open = new Map<string, { events: FlumeEvent[]; timer: NodeJS.Timeout | undefined; deadline: number }>();
  /** While paused: resolves at resume(); and when it paused. */
  private paused: { readonly until: Promise<void>; readonly resume: () => void; readonly at: number } | undefined;
  private readonly knownClients = new Set<string>();
  private readonly sockets = new Set<net.Socket>();
  private next = 0;
  readonly stats: SparkSinkStats = { batches: 0, largest: 0, acks: 0, nacks: 0, timeouts: 0, restartRollbacks: 0, handshakes: [] };
  port = 0;

  constructor(
    private readonly name: string,
    private readonly transactionTimeoutMs = 5000,
    /** Each getEventBatch answers after this long (a slow channel), so a test can act mid-stream. */
    private readonly delayMs = 0,
  ) {}

  /** Events waiting in the channel, and transactions not yet committed. */
  get pending(): { channel: number; transactions: number } {
    return { channel: this.channel.length, transactions: this.open.size };
  }

  /** The sequence numbers of the transactions not yet committed. */
  openSequences(): string[] {
    return [...this.open.keys()];
  }

  /** Whether transaction `seq` was committed (acked): neither open nor rolled back into the channel. */
  readonly committed = new Set<string>();

  put(events: readonly FlumeEvent[]): void {
    this.channel.push(...events);
  }

  async start(): Promise<void> {
    const server = net.createServer((socket) => {
      if (this.paused) socket.pause();
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      this.serve(socket);
    });
    await new Promise<void>((r) => server.listen(this.port, '127.0.0.1', r));
    this.server = server;
    this.port = (server.address() as net.AddressInfo).port;
  }

  /** Cuts every connection (reset); the port stays open, the transactions stay open (their acks may come on a new connection). */
  resetConnections(): void {
    for (const s of this.sockets) s.destroy();
  }

  /** The agent restarted: connections cut, the port closed for `downMs`, open transactions rolled back into the channel, then served again on the same port. */
  async restart(downMs: number): Promise<void> {
    const server = this.server;
    this.server = undefined;
    const closed = new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    this.resetConnections();
    await closed;
    for (const seq of [...this.open.keys()]) {
      this.stats.restartRollbacks++;
      this.end(seq, false);
    }
    await new Promise((r) => setTimeout(r, downMs));
    await this.start();
  }

  /** The agent stopped: no byte read or written, no transaction timing out, until resume(). */
  pause(): void {
    if (this.paused) return;
    let resume: () => void = () => undefined;
    const until = new Promise<void>((r) => (resume = r));
    this.paused = { until, resume, at: Date.now() };
    for (const s of this.sockets) s.pause();
    for (const t of this.open.values()) {
      clearTimeout(t.timer);
      t.timer = undefined;
    }
  }

  /** The agent woken: the transactions' timeouts go on with the time they had left. */
  resume(): void {
    const p = this.paused;
    if (!p) return;
    this.paused = undefined;
    const stoppedMs = Date.now() - p.at;
    for (const [seq, t] of this.open) {
      t.deadline += stoppedMs;
      t.timer = this.timeoutOf(seq, t.deadline - Date.now());
    }
    for (const s of this.sockets) s.resume();
    p.resume();
  }

  close(): void {
    this.server?.close();
    this.resetConnections();
    for (const t of this.open.values()) clearTimeout(t.timer);
  }

  private serve(socket: net.Socket): void {
    let buf = Buffer.alloc(0);
    let established = false;
    let queue = Promise.resolve();
    socket.on('error', () => undefined);
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        if (buf.length < 8) return;
        const serial = buf.readInt32BE(0);
        const count = buf.readInt32BE(4);
        let off = 8;
        const frames: Buffer[] = [];
        for (let i = 0; i < count; i++) {
          if (buf.length < off + 4) return;
          const len = buf.readInt32BE(off);
          if (buf.length < off + 4 + len) return;
          frames.push(buf.subarray(off + 4, off + 4 + len));
          off += 4 + len;
        }
        buf = buf.subarray(off);
        const payload = Buffer.concat(frames);
        // One call at a time per connection, answered in order.
        queue = queue.then(async () => {
          await this.awake();
          let pos = 0;
          let handshake: Buffer | undefined;
          if (!established) {
            const req = HandshakeRequestType.decode(payload, 0) as { value: { clientHash: Buffer; clientProtocol: string | null; serverHash: Buffer }; offset: number };
            pos = req.offset;
            const client = req.value.clientHash.toString('hex');
            let match: 'BOTH' | 'CLIENT' | 'NONE';
            if (req.value.clientProtocol !== null) {
              const theirs = avro.Service.forProtocol(JSON.parse(req.value.clientProtocol) as never);
              if (!theirs.message('getEventBatch') || !theirs.message('ack') || !theirs.message('nack')) throw new Error('not a SparkFlumeProtocol client');
              this.knownClients.add(client);
            }
            if (!this.knownClients.has(client) && !req.value.clientHash.equals(HASH)) match = 'NONE';
            else match = req.value.serverHash.equals(HASH) ? 'BOTH' : 'CLIENT';
            this.stats.handshakes.push(match);
            handshake = HandshakeResponseType.toBuffer({ match, serverProtocol: match === 'BOTH' ? null : TEXT, serverHash: match === 'BOTH' ? null : HASH, meta: null });
            if (match === 'NONE') {
              socket.write(nettyPack(serial, javaBuffers(handshake)));
              return;
            }
            established = true;
          }
          const meta = MetaType.decode(payload, pos);
          const name = StringType.decode(payload, meta.offset) as { value: string; offset: number };
          let answer: Buffer;
          if (name.value === 'getEventBatch') answer = EventBatchType.toBuffer(await this.getEventBatch((IntType.decode(payload, name.offset) as { value: number }).value));
          else if (name.value === 'ack' || name.value === 'nack') {
            this.end((StringType.decode(payload, name.offset) as { value: string }).value, name.value === 'ack');
            answer = Buffer.alloc(0);
          } else throw new Error(`unknown message ${name.value}`);
          const out = Buffer.concat([...(handshake ? [handshake] : []), MetaType.toBuffer({}), BooleanType.toBuffer(false), answer]);
          await this.awake();
          socket.write(nettyPack(serial, javaBuffers(out)));
        }).catch(() => {
          socket.destroy();
        });
      }
    });
  }

  private async getEventBatch(n: number): Promise<{ errorMsg: string; sequenceNumber: string; events: FlumeEvent[] }> {
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    for (let waited = 0; this.channel.length === 0 && waited < 100; waited += 10) await new Promise((r) => setTimeout(r, 10));
    await this.awake();
    if (this.channel.length === 0) return { errorMsg: 'Tried several times, but did not get any events from the channel!', sequenceNumber: '', events: [] };
    const events = this.channel.splice(0, n);
    const seq = `${this.name}-${++this.next}`;
    this.stats.batches++;
    this.stats.largest = Math.max(this.stats.largest, events.length);
    this.open.set(seq, { events, timer: this.timeoutOf(seq, this.transactionTimeoutMs), deadline: Date.now() + this.transactionTimeoutMs });
    return { errorMsg: '', sequenceNumber: seq, events };
  }

  /** Resolves once not paused. */
  private async awake(): Promise<void> {
    while (this.paused) await this.paused.until;
  }

  private timeoutOf(seq: string, ms: number): NodeJS.Timeout {
    return setTimeout(() => {
      this.stats.timeouts++;
      this.end(seq, false);
    }, Math.max(0, ms));
  }

  /** Commit (ack) or roll back (nack, timeout) a transaction: rolled-back events go back to the channel's head. */
  private end(seq: string, commit: boolean): void {
    const t = this.open.get(seq);
    if (!t) return;
    this.open.delete(seq);
    clearTimeout(t.timer);
    if (commit) {
      this.stats.acks++;
      this.committed.add(seq);
    }
    else {
      this.stats.nacks++;
      this.channel.unshift(...t.events);
    }
  }
}
