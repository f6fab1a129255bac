import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { handleRequest, type Outcome } from './broker-handlers.js';
import { GroupCoordinator } from './group-coordinator.js';
import { PartitionLog } from './partition-log.js';
import { TransactionCoordinator } from './transaction-coordinator.js';
import { API_RANGES, ApiKey, ErrorCode, SCHEMAS } from './protocol/messages.js';
import { decodeRecords, type PlainRecord } from './protocol/record-batch.js';
import { decode, encode } from './protocol/schema.js';
import { WireReader, WireWriter } from './protocol/wire.js';

export interface KafkaTestClusterOptions {
  /** Broker ids 0..brokers-1, each its own listener (default 1). */
  readonly brokers?: number;
  /** Fixed ports, one per broker (default: free ports chosen at first start, kept on restart). */
  readonly ports?: readonly number[];
  /** Create an unknown topic a Metadata request names, as `auto.create.topics.enable` (default false). */
  readonly autoCreateTopics?: boolean;
  /** Partitions of an auto-created topic (default 1). */
  readonly defaultPartitions?: number;
  /** Largest record batch a produce may carry, as `message.max.bytes` (default 1 MiB). */
  readonly maxMessageBytes?: number;
  /** The address every broker listens on and advertises in Metadata (default '127.0.0.1'; '::1' for IPv6 loopback). */
  readonly host?: string;
}

export interface TopicState {
  readonly name: string;
  readonly id: string;
  readonly partitions: PartitionLog[];
  /** message.timestamp.type=LogAppendTime. */
  readonly logAppendTime: boolean;
}

export interface TopicOptions {
  /** message.timestamp.type=LogAppendTime: the broker stamps each batch it appends with its own clock. */
  readonly logAppendTime?: boolean;
}

/**
 * A Kafka cluster for tests, in this process: one TCP listener per broker id on loopback,
 * speaking Kafka's binary protocol (see protocol/messages.ts for the APIs and versions),
 * with topics, partitions, leaders, consumer-group offsets and idempotent producers kept
 * in memory, and transactions (see transaction-coordinator.ts). Not a product: no
 * replication, TLS or SASL. What it offers tests beyond Kafka: stop/start (the same
 * ports, state kept), per-broker stops, leader moves, partitions added, topics deleted,
 * slow fetches (`delayFetches`, with `fetchesInFlight`), slow ListOffsets (`delayNextListOffsets`),
 * records deleted from a log's start (as retention does: `log(t, p).deleteRecordsBefore`),
 * compaction (`log(t, p).compact`), LogAppendTime topics, and dropping produce responses
 * after the append (to make a client retry).
 *
 * Threading: one event loop; each connection's requests are answered in order.
 */
export class KafkaTestCluster {
  readonly topics = new Map<string, TopicState>();
  readonly groups = new GroupCoordinator();
  /** Transactional producers' state (KIP-98): epochs, open transactions, their offsets. */
  readonly txns = new TransactionCoordinator(this.groups, () => this.newProducerId());
  readonly clusterId = randomBytes(8).toString('hex');
  readonly maxMessageBytes: number;
  readonly autoCreateTopics: boolean;
  readonly defaultPartitions: number;
  /** The address the brokers listen on and advertise (KafkaTestClusterOptions.host). */
  readonly host: string;
  /** Requests answered, by API key (tests look at what a client did). */
  readonly requestCounts = new Map<number, number>();
  /** Requests answered, by broker id and API key (`${brokerId}:${apiKey}`). */
  readonly brokerRequestCounts = new Map<string, number>();
  /** TCP connections accepted, over all brokers and restarts (tests check clients are reused). */
  connectionsAccepted = 0;
  /** Fetch requests being answered now (a test kills a reader while it fetches). */
  fetchesInFlight = 0;
  /** The fetch offset of every Fetch asked of a partition (`topic/partition`), in arrival order: what a reader asked for, not only what it kept. */
  readonly fetchOffsets = new Map<string, bigint[]>();
  /** Fetches being answered now by the client's port (the remote port of their connection). */
  private readonly fetchingPorts = new Map<number, number>();
  private fetchDelayMs = 0;
  private readonly servers = new Map<number, net.Server>();
  private readonly sockets = new Map<number, Set<net.Socket>>();
  private readonly ports: number[];
  private nextProducerId = 1000n;
  private dropProduceResponses = 0;
  private listOffsetsDelays = { n: 0, ms: 0 };
  /** API keys whose requests are read and never answered (muteRequests). */
  private muted = new Set<number>();
  private nextLeader = 0;
  /** While paused (pause()): the answers not yet written, to be written at resume(). */
  private paused: (() => void)[] | undefined;
  /** Called with every request read, before it is answered (a test freezes its broker process at a chosen request). */
  onRequest: ((apiKey: number, request: Readonly<Record<string, unknown>>) => void) | undefined;

  private constructor(private readonly options: KafkaTestClusterOptions) {
    const n = options.brokers ?? 1;
    this.ports = options.ports ? [...options.ports] : new Array<number>(n).fill(0);
    this.maxMessageBytes = options.maxMessageBytes ?? 1024 * 1024;
    this.autoCreateTopics = options.autoCreateTopics ?? false;
    this.defaultPartitions = options.defaultPartitions ?? 1;
    this.host = options.host ?? '127.0.0.1';
  }

  static async start(options: KafkaTestClusterOptions = {}): Promise<KafkaTestCluster> {
    const c = new KafkaTestCluster(options);
    await c.start();
    return c;
  }

  get brokerIds(): number[] {
    return this.ports.map((_, i) => i);
  }

  /** `host:port` of every broker, for a client's bootstrap list (`[::1]:port` for an IPv6 host). */
  get bootstrap(): string[] {
    return this.ports.map((p) => (this.host.includes(':') ? `[${this.host}]:${p}` : `${this.host}:${p}`));
  }

  isUp(id: number): boolean {
    return this.servers.has(id);
  }

  portOf(id: number): number {
    return this.ports[id]!;
  }

  /** Starts every broker that is not running (on its old port after a stop). */
  async start(): Promise<void> {
    for (const id of this.brokerIds) await this.startBroker(id);
  }

  async startBroker(id: number): Promise<void> {
    if (this.servers.has(id)) return;
    const sockets = new Set<net.Socket>();
    const server = net.createServer((s) => {
      this.connectionsAccepted++;
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      this.serve(id, s);
      if (this.paused) s.pause();
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.ports[id], this.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.ports[id] = (server.address() as net.AddressInfo).port;
    this.servers.set(id, server);
    this.sockets.set(id, sockets);
  }

  /** Closes a broker's listener and every connection to it; its state is kept. */
  async stopBroker(id: number): Promise<void> {
    const server = this.servers.get(id);
    if (!server) return;
    this.servers.delete(id);
    for (const s of this.sockets.get(id) ?? []) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  }

  /** Stops every broker (state kept: `start()` again brings the same cluster back). */
  async stop(): Promise<void> {
    for (const id of this.brokerIds) await this.stopBroker(id);
  }

  /** Stops for good. */
  async close(): Promise<void> {
    await this.stop();
    this.groups.close();
  }

  createTopic(name: string, partitions: number, options: TopicOptions = {}): TopicState {
    if (this.topics.has(name)) throw new Error(`topic ${name} exists`);
    const t: TopicState = { name, id: randomBytes(16).toString('hex'), partitions: [], logAppendTime: options.logAppendTime ?? false };
    this.topics.set(name, t);
    this.addPartitions(name, partitions);
    return t;
  }

  /** Grows a topic to `total` partitions; leaders go round the brokers. */
  addPartitions(name: string, total: number): void {
    const t = this.topics.get(name);
    if (!t) throw new Error(`no topic ${name}`);
    while (t.partitions.length < total) t.partitions.push(new PartitionLog(name, t.partitions.length, this.nextLeader++ % this.ports.length, t.logAppendTime));
  }

  /** Deletes a topic and its records (DeleteTopics): clients get UNKNOWN_TOPIC_OR_PARTITION from then on. */
  deleteTopic(name: string): void {
    if (!this.topics.delete(name)) throw new Error(`no topic ${name}`);
  }

  /** Makes `broker` the partition's leader, with a new leader epoch. */
  moveLeader(topic: string, partition: number, broker: number): void {
    const log = this.log(topic, partition);
    if (!log) throw new Error(`no partition ${topic}/${partition}`);
    log.leader = broker;
    log.leaderEpoch++;
  }

  log(topic: string, partition: number): PartitionLog | undefined {
    return this.topics.get(topic)?.partitions[partition];
  }

  topicById(id: string): TopicState | undefined {
    for (const t of this.topics.values()) if (t.id === id) return t;
    return undefined;
  }

  /** Every record of a partition (uncompressed batches only), in offset order. */
  records(topic: string, partition: number): PlainRecord[] {
    return (this.log(topic, partition)?.allBatches() ?? []).flatMap((b) => decodeRecords(b));
  }

  /** Every Fetch is answered `ms` later from now on (0: at once): readers spend their time in fetches. */
  delayFetches(ms: number): void {
    this.fetchDelayMs = ms;
  }

  /** @internal for the handlers: answers a Fetch, after the delay, counted in fetchesInFlight. */
  async answerFetch<T>(answer: () => Promise<T>): Promise<T> {
    this.fetchesInFlight++;
    try {
      if (this.fetchDelayMs > 0) await new Promise((r) => setTimeout(r, this.fetchDelayMs));
      return await answer();
    } finally {
      this.fetchesInFlight--;
    }
  }

  /** @internal for the handlers: a Fetch asked for `partition` of `topic` from `offset` on. */
  noteFetch(topic: string, partition: number, offset: bigint): void {
    const key = `${topic}/${partition}`;
    let offsets = this.fetchOffsets.get(key);
    if (!offsets) this.fetchOffsets.set(key, (offsets = []));
    offsets.push(offset);
  }

  /** The client ports (their connections' remote ports) with a Fetch being answered now: which process is reading (a test kills that one). */
  fetchingClientPorts(): number[] {
    return [...this.fetchingPorts.keys()];
  }

  /** The next `n` ListOffsets requests are answered `ms` later, the offsets read then (a slow broker: what is written meanwhile is in the answer). */
  delayNextListOffsets(n: number, ms: number): void {
    this.listOffsetsDelays = { n, ms };
  }

  /** @internal for the handlers: answers a ListOffsets, after the delay if one is due. */
  async answerListOffsets<T>(answer: () => T): Promise<T> {
    if (this.listOffsetsDelays.n > 0) {
      this.listOffsetsDelays.n--;
      await new Promise((r) => setTimeout(r, this.listOffsetsDelays.ms));
    }
    return answer();
  }

  /**
   * From now on, requests of these API keys (e.g. ApiKey.Metadata) are read and never
   * answered, the connection left open: a broker that hangs on them. [] answers all again.
   */
  muteRequests(apiKeys: readonly number[]): void {
    this.muted = new Set(apiKeys);
  }

  /**
   * Stops answering, as a broker process frozen with SIGSTOP would, within this process (the
   * chaos probe's broker-pause; a test that can use a process of its own freezes
   * support/broker-process.ts): nothing more is read from any connection (new connections are
   * accepted, as the kernel would, and not read), and answers not yet written are held.
   * Requests read before the pause are still handled (their effects happen) and their answers
   * held. `resume()` writes the held answers, then reads on.
   */
  pause(): void {
    if (this.paused) return;
    this.paused = [];
    for (const set of this.sockets.values()) for (const s of set) s.pause();
  }

  resume(): void {
    const held = this.paused;
    if (!held) return;
    this.paused = undefined;
    for (const write of held) write();
    for (const set of this.sockets.values()) for (const s of set) s.resume();
  }

  /** The next `n` produce requests are appended but their connections are closed before the answer. */
  dropNextProduceResponses(n: number): void {
    this.dropProduceResponses += n;
  }

  /** @internal for the handlers */
  takeProduceDrop(): boolean {
    if (this.dropProduceResponses <= 0) return false;
    this.dropProduceResponses--;
    return true;
  }

  /** @internal */
  newProducerId(): bigint {
    return this.nextProducerId++;
  }

  private serve(brokerId: number, socket: net.Socket): void {
    socket.setNoDelay(true);
    let pending = Buffer.alloc(0);
    let chain = Promise.resolve();
    socket.on('data', (chunk) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= 4) {
        const size = pending.readInt32BE(0);
        if (pending.length < 4 + size) break;
        const frame = pending.subarray(4, 4 + size);
        pending = pending.subarray(4 + size);
        chain = chain.then(() => this.answer(brokerId, socket, frame)).catch(() => void socket.destroy());
      }
    });
    socket.on('error', () => undefined);
  }

  private async answer(brokerId: number, socket: net.Socket, frame: Buffer): Promise<void> {
    if (socket.destroyed) return;
    const r = new WireReader(frame);
    const apiKey = r.int16();
    const version = r.int16();
    const correlationId = r.int32();
    r.string(false); // client id
    const range = API_RANGES[apiKey];
    const schemas = SCHEMAS[apiKey];
    if (!range || !schemas) {
      socket.destroy();
      return;
    }
    if (version < range[0] || version > range[1]) {
      if (apiKey !== ApiKey.ApiVersions) {
        socket.destroy();
        return;
      }
      // An ApiVersions at a version we do not know: answer v0 with our ranges and UNSUPPORTED_VERSION.
      const w = new WireWriter().int32(correlationId);
      encode(schemas.response, w, 0, { errorCode: ErrorCode.UNSUPPORTED_VERSION, apiKeys: apiKeyList() });
      this.send(socket, w);
      return;
    }
    const flexible = version >= schemas.request.flexible;
    if (flexible) r.skipTags(); // request header v2
    const request = decode(schemas.request, r, version);
    this.requestCounts.set(apiKey, (this.requestCounts.get(apiKey) ?? 0) + 1);
    const key = `${brokerId}:${apiKey}`;
    this.brokerRequestCounts.set(key, (this.brokerRequestCounts.get(key) ?? 0) + 1);
    this.onRequest?.(apiKey, request);
    if (this.muted.has(apiKey)) return;
    const port = apiKey === ApiKey.Fetch ? socket.remotePort : undefined;
    if (port !== undefined) this.fetchingPorts.set(port, (this.fetchingPorts.get(port) ?? 0) + 1);
    let outcome: Outcome;
    try {
      outcome = await handleRequest(this, brokerId, apiKey, version, request);
    } finally {
      if (port !== undefined) {
        const n = this.fetchingPorts.get(port)! - 1;
        if (n === 0) this.fetchingPorts.delete(port);
        else this.fetchingPorts.set(port, n);
      }
    }
    if (outcome === 'drop') {
      socket.destroy();
      return;
    }
    if (outcome === 'none') return; // produce with acks=0
    const w = new WireWriter().int32(correlationId);
    // ApiVersions answers with response header v0 even in flexible versions.
    if (flexible && apiKey !== ApiKey.ApiVersions) w.noTags();
    encode(schemas.response, w, version, outcome);
    this.send(socket, w);
  }

  private send(socket: net.Socket, w: WireWriter): void {
    if (socket.destroyed) return;
    if (this.paused) {
      this.paused.push(() => this.send(socket, w));
      return;
    }
    const body = w.toBuffer();
    const size = Buffer.allocUnsafe(4);
    size.writeInt32BE(body.length);
    socket.write(Buffer.concat([size, body]));
  }
}

export function apiKeyList(): { apiKey: number; minVersion: number; maxVersion: number }[] {
  return Object.entries(API_RANGES).map(([k, [min, max]]) => ({ apiKey: Number(k), minVersion: min, maxVersion: max }));
}
