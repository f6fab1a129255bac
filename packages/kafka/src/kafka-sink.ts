import { defaultPartitioner } from '@platformatic/kafka';
import { DStream, RDD, SluiceError, refuseUnknownOptions } from '@sluice/core';
import { cachedProducer, dropProducer } from './client-cache.js';
import { connectionParams, type ConnectionParams, type KafkaConnection } from './kafka-params.js';

/** What `toRecord` makes of each element: the Kafka record to write. */
export interface KafkaSinkRecord {
  readonly value: string | Buffer | null;
  readonly key?: string | Buffer | null | undefined;
  readonly headers?: Readonly<Record<string, string | Buffer>> | undefined;
  /** A partition of the topic; default: by key hash (or round robin without a key), as the producer does. */
  readonly partition?: number | undefined;
  /** Milliseconds since the epoch (default: now). */
  readonly timestamp?: number | undefined;
}

export interface SaveToKafkaOptions extends KafkaConnection {
  /** Records per produce request (default 1000). */
  readonly batchSize?: number | undefined;
  /** A record whose key and value are larger than this fails its batch, naming it (default 1 MiB, Kafka's message.max.bytes). */
  readonly maxRecordBytes?: number | undefined;
}

interface SinkParams {
  readonly conn: ConnectionParams;
  readonly topic: string;
  readonly batchSize: number;
  readonly maxRecordBytes: number;
}

const asBuffer = (v: string | Buffer | null | undefined): Buffer | undefined => (v === null || v === undefined ? undefined : typeof v === 'string' ? Buffer.from(v, 'utf8') : v);

/**
 * The messages of a client error and of the errors nested in it, with the brokers' error
 * names and messages (@platformatic/kafka nests a broker's answer two levels down:
 * 'Producing messages failed.' > 'Received response with error ...' > MESSAGE_TOO_LARGE).
 */
function errorMessages(err: unknown): string[] {
  const e = err as { message?: string; errors?: unknown[]; apiId?: string; serverErrorMessage?: string | null };
  const own = `${e?.message ?? String(err)}${e?.apiId ? ` (${e.apiId}${e.serverErrorMessage ? `: ${e.serverErrorMessage}` : ''})` : ''}`;
  return [own, ...(Array.isArray(e?.errors) ? e.errors.flatMap(errorMessages) : [])];
}

/**
 * Whether a client error is the broker not answering or not reachable (a request timed out,
 * a connection refused or closed) and nothing else: every error nested in it is a network
 * error (@platformatic/kafka gives its timeouts the network code, and does not retry them).
 */
function brokerUnreachable(err: unknown): boolean {
  const e = err as { code?: string; errors?: unknown[] };
  if (Array.isArray(e?.errors) && e.errors.length > 0) return e.errors.every(brokerUnreachable);
  return e?.code === 'PLT_KFK_NETWORK';
}

/**
 * Sends one request's records with the task's producer; a broker that did not answer (its
 * request timed out) or could not be reached is asked again with the same producer, the
 * records keeping their sequence numbers (the producer moves a partition's on only when an
 * answer comes), so a request the broker did append before it stopped answering is
 * acknowledged again, not written twice; for up to retryTimeoutMs, as Kafka's producer
 * retries within delivery.timeout.ms. Other errors are not retried.
 */
async function sendOnce(producer: ReturnType<typeof cachedProducer>, messages: Message[], retryTimeoutMs: number): Promise<void> {
  const deadline = Date.now() + retryTimeoutMs;
  let delay = 100;
  for (;;) {
    try {
      await producer.send({ messages: messages as { topic: string; partition: number }[] });
      return;
    } catch (err) {
      if (!brokerUnreachable(err) || Date.now() + delay > deadline) throw err;
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 1000);
    }
  }
}

/** Produce requests a task has in flight at most (Kafka's max.in.flight.requests.per.connection default). */
const MAX_IN_FLIGHT = 5;

/** Per topic, where the next request's records without key and partition go (this job thread's round robin, as the producer's own was). */
const nextKeyless = new Map<string, number>();

interface Message {
  readonly topic: string;
  readonly key: Buffer | undefined;
  readonly value: Buffer | undefined;
  readonly headers: Record<string, Buffer> | undefined;
  /** As given by toRecord, until the request is made: then the partition it goes to. */
  partition: number | undefined;
  readonly timestamp: bigint | undefined;
}

/**
 * Writes one RDD partition to Kafka with the worker's cached idempotent producer, in
 * produce requests of `batchSize` records: a request whose answer is lost is retried by
 * the producer and written once (sequence numbers). Returns [records written].
 *
 * Requests are pipelined: up to MAX_IN_FLIGHT at once, but never two touching the same
 * Kafka partition. @platformatic/kafka's idempotent producer puts a partition's next
 * sequence number in a request when it is made and moves it on only when the answer
 * comes, so two requests in flight to one partition would carry the same sequence numbers
 * and the broker would take the second for a retry of the first (acknowledged, not
 * written). One at a time per partition also keeps each partition's records in the task's
 * order. So that requests can overlap, each request's records without key and partition
 * go to one partition, the next request's to the next (Kafka's sticky partitioner,
 * KIP-480); keyed records go by the producer's hash of the key (murmur2) as before. The
 * task ends only when every request is answered: success once all were acknowledged; the
 * first failure fails it, after the other requests in flight have ended.
 */
export async function writePartition<T>(p: SinkParams, toRecord: (x: T) => KafkaSinkRecord, batchTime: number | null, index: number, it: Iterable<T>): Promise<number[]> {
  const where = `saveToKafka(topic '${p.topic}')${batchTime === null ? '' : ` batch ${batchTime}`} partition ${index}`;
  let written = 0;
  let pending: Message[] = [];
  /** The topic's partitions, from the producer's metadata at the first request. */
  let partitionCount = 0;
  const inFlight = new Set<{ readonly partitions: ReadonlySet<number>; readonly done: Promise<void> }>();
  /** The first request that failed, as the task's error. */
  let failure: SluiceError | undefined;
  const failed = (err: unknown, records: number): SluiceError => {
    dropProducer(p.conn, '');
    // A retried call carries each attempt's error (@platformatic/kafka): each message once.
    const msg = [...new Set(errorMessages(err))].join(': ');
    const hint = /unknown topic/i.test(msg)
      ? `; create the topic '${p.topic}' (or let the brokers create topics: auto.create.topics.enable)`
      : brokerUnreachable(err)
        ? `; the brokers did not answer (requestTimeoutMs ${p.conn.requestTimeoutMs} ms a request, a produce asked again for retryTimeoutMs ${p.conn.retryTimeoutMs} ms): check that they are up and reachable from the workers (a task run again writes its partition again)`
        : '';
    return new SluiceError('SLUICE_IO', `${where}: writing ${records} records to brokers ${p.conn.brokers.join(',')} failed after ${written} were written: ${msg}${hint}`, { cause: err });
  };
  const settled = (): Promise<unknown> => Promise.all([...inFlight].map((r) => r.done));
  const flush = async (): Promise<void> => {
    if (pending.length === 0) return;
    const messages = pending;
    pending = [];
    const producer = cachedProducer(p.conn, '');
    if (partitionCount === 0) {
      try {
        partitionCount = (await producer.metadata({ topics: [p.topic] })).topics.get(p.topic)?.partitionsCount ?? 0;
        if (partitionCount < 1) throw new Error(`no partitions of topic '${p.topic}' in the brokers' metadata`);
      } catch (err) {
        throw failed(err, messages.length);
      }
    }
    const partitions = new Set<number>();
    let keyless: number | undefined;
    for (const m of messages) {
      if (m.partition !== undefined) {
        // The producer takes a partition modulo the topic's partitions.
        partitions.add(m.partition % partitionCount);
        continue;
      }
      if (m.key !== undefined) {
        m.partition = defaultPartitioner(m as unknown as Parameters<typeof defaultPartitioner>[0], m.key) % partitionCount;
      } else {
        if (keyless === undefined) {
          const next = nextKeyless.get(p.topic) ?? 0;
          nextKeyless.set(p.topic, next + 1);
          keyless = next % partitionCount;
        }
        m.partition = keyless;
      }
      partitions.add(m.partition);
    }
    for (;;) {
      if (failure) throw failure;
      const busy = [...inFlight].filter((r) => [...r.partitions].some((x) => partitions.has(x)));
      if (busy.length === 0 && inFlight.size < MAX_IN_FLIGHT) break;
      await Promise.race((busy.length > 0 ? busy : [...inFlight]).map((r) => r.done));
    }
    const request = {
      partitions,
      done: sendOnce(producer, messages, p.conn.retryTimeoutMs).then(
        () => {
          written += messages.length;
        },
        (err: unknown) => {
          failure ??= failed(err, messages.length);
        },
      ),
    };
    inFlight.add(request);
    void request.done.then(() => inFlight.delete(request));
  };
  try {
    let n = 0;
    for (const x of it) {
      const r = toRecord(x);
      const key = asBuffer(r.key);
      const value = asBuffer(r.value);
      const size = (key?.length ?? 0) + (value?.length ?? 0);
      if (size > p.maxRecordBytes) {
        throw new SluiceError('SLUICE_BAD_RECORD', `${where}: record ${n} of the partition has ${size} bytes of key and value, more than maxRecordBytes ${p.maxRecordBytes}; split it or raise maxRecordBytes (and the topic's max.message.bytes)`);
      }
      pending.push({
        topic: p.topic,
        key,
        value,
        headers: r.headers ? Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, asBuffer(v)!])) : undefined,
        partition: r.partition,
        timestamp: r.timestamp === undefined ? undefined : BigInt(r.timestamp),
      });
      n++;
      if (pending.length >= p.batchSize) await flush();
    }
    await flush();
    await settled();
  } catch (err) {
    // Nothing of the task's goes on after it failed.
    await settled();
    throw err;
  }
  if (failure) throw failure;
  return [written];
}

// SaveToKafkaOptions' keys, spelt out so the compiler says when the interface gains one.
const SINK_OPTION_KEYS: Record<keyof SaveToKafkaOptions, true> = {
  brokers: true,
  clientId: true,
  ssl: true,
  sasl: true,
  retryTimeoutMs: true,
  requestTimeoutMs: true,
  batchSize: true,
  maxRecordBytes: true,
};

/** Kafka's producer properties (and Spark's Kafka sink options) a user may give as options, and the setting each is here. */
export const KAFKA_PRODUCER_NAMES: Readonly<Record<string, string>> = {
  'bootstrap.servers': '{ brokers: [N] }',
  'kafka.bootstrap.servers': '{ brokers: [N] }',
  'client.id': '{ clientId: N }',
  'request.timeout.ms': '{ requestTimeoutMs: N }',
  'batch.size': '{ batchSize: ... } (records per produce request, where Kafka counts batch.size in bytes)',
  'max.request.size': '{ maxRecordBytes: N } (the most bytes of key and value a record may have)',
  acks: "nothing to set: the sink's producer is idempotent and waits for every in-sync replica (acks all)",
  'enable.idempotence': "nothing to set: the sink's producer is always idempotent",
  topic: "the topic is saveToKafka's second argument, saveToKafka(target, 'topic', toRecord, options)",
};

function sinkParams(topic: string, options: SaveToKafkaOptions): SinkParams {
  // A key the sink does not know would be taken and ignored (a misspelt batchSize, a producer property).
  refuseUnknownOptions(options, SINK_OPTION_KEYS, 'saveToKafka(target, topic, toRecord, options)', KAFKA_PRODUCER_NAMES);
  if (typeof topic !== 'string' || topic === '') throw new SluiceError('SLUICE_BAD_ARGUMENT', `saveToKafka: topic: got ${JSON.stringify(topic)}; give the name of the topic to write to`);
  const batchSize = options.batchSize ?? 1000;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new SluiceError('SLUICE_BAD_ARGUMENT', `saveToKafka: batchSize: got ${JSON.stringify(options.batchSize)}; give a whole number of records >= 1`);
  const maxRecordBytes = options.maxRecordBytes ?? 1024 * 1024;
  return { conn: connectionParams('saveToKafka', options), topic, batchSize, maxRecordBytes };
}

function saveRDD<T>(rdd: RDD<T>, p: SinkParams, toRecord: (x: T) => KafkaSinkRecord, batchTime: number | null): Promise<number> {
  const write = (index: number, it: IterableIterator<T>) => writePartition(p, toRecord, batchTime, index, it) as unknown as Iterable<number>;
  return rdd
    .mapPartitionsWithIndex(write)
    .collect()
    .then((counts) => counts.reduce((a, b) => a + b, 0));
}

/**
 * Writes every element of an RDD (resolves with the number written), or of every batch
 * of a DStream (an output operation, as saveAsTextFiles), to `topic`: `toRecord` makes
 * each element a record. Each task writes its partition with the worker's idempotent
 * producer; a failure fails the task with the batch time and partition in its message.
 * Delivery is at least once across task retries (a re-run task writes its partition
 * again); a producer's own retries write once.
 */
export function saveToKafka<T>(target: RDD<T>, topic: string, toRecord: (x: T) => KafkaSinkRecord, options: SaveToKafkaOptions): Promise<number>;
export function saveToKafka<T>(target: DStream<T>, topic: string, toRecord: (x: T) => KafkaSinkRecord, options: SaveToKafkaOptions): void;
export function saveToKafka<T>(target: RDD<T> | DStream<T>, topic: string, toRecord: (x: T) => KafkaSinkRecord, options: SaveToKafkaOptions): Promise<number> | void {
  if (typeof toRecord !== 'function') throw new SluiceError('SLUICE_BAD_ARGUMENT', `saveToKafka: toRecord: got ${typeof toRecord}; give a function from an element to { key?, value, headers?, partition? }`);
  const p = sinkParams(topic, options);
  if (target instanceof RDD) return saveRDD(target, p, toRecord, null);
  if (target instanceof DStream) {
    target.foreachRDD(async (rdd, time) => {
      await saveRDD(rdd, p, toRecord, time);
    });
    return;
  }
  throw new SluiceError('SLUICE_BAD_ARGUMENT', 'saveToKafka: target: give an RDD or a DStream');
}
