import { SluiceError } from '@sluice/core';
import type { DirectStreamOptions, KafkaConnection } from './kafka-params.js';

/**
 * Spark's kafkaParams, LocationStrategies and ConsumerStrategies (spark-streaming-kafka-0-10),
 * so the integration guide's code ports as written:
 *
 *   const stream = KafkaUtils.createDirectStream(ssc, LocationStrategies.PreferConsistent,
 *     ConsumerStrategies.Subscribe(['topicA', 'topicB'], kafkaParams));
 *
 * A ConsumerStrategy is plain data: the DirectStreamOptions its kafkaParams and topics say.
 * Only the consumer settings that mean something here are taken; any other key is refused
 * naming it (Kafka's consumer would log it as unknown and go on, which would hide a setting
 * that does nothing).
 */

/** Kafka's ByteArrayDeserializer: records' keys and values are Buffers (decode with keyString / valueString / decodeRecords). */
export const ByteArrayDeserializer = 'org.apache.kafka.common.serialization.ByteArrayDeserializer';

/** A topic's partition, as Kafka's TopicPartition (for Assign and starting offsets). */
export class TopicPartition {
  constructor(
    readonly topic: string,
    readonly partition: number,
  ) {}
  toString(): string {
    return `${this.topic}-${this.partition}`;
  }
}

/** The consumer settings Spark's samples give, as Kafka's consumer names them (a Map of them is taken too, as Java's Map<String, Object>). */
export interface KafkaParams {
  /** `host:port[,host:port...]`, or a list. */
  readonly 'bootstrap.servers': string | readonly string[];
  readonly 'group.id'?: string;
  readonly 'auto.offset.reset'?: 'latest' | 'earliest' | 'none';
  /** Only false: the stream commits only through commitAsync (Spark forces it false too). */
  readonly 'enable.auto.commit'?: false;
  /** Only ByteArrayDeserializer: records carry Buffers; decode them with keyString / valueString / decodeRecords. */
  readonly 'key.deserializer'?: typeof ByteArrayDeserializer;
  readonly 'value.deserializer'?: typeof ByteArrayDeserializer;
  readonly 'client.id'?: string;
  readonly 'request.timeout.ms'?: number;
  /** 'PLAINTEXT' or 'SSL' (then the system's CAs; give PEM through the `ssl` field of the options form for more). */
  readonly 'security.protocol'?: 'PLAINTEXT' | 'SSL';
  /** Only 'read_committed': what the stream always reads. */
  readonly 'isolation.level'?: 'read_committed';
  /** Group-membership settings (session.timeout.ms, heartbeat.interval.ms, max.poll.interval.ms, auto.commit.interval.ms, partition.assignment.strategy, group.instance.id): taken, without effect, as the stream never joins its group. */
  readonly 'session.timeout.ms'?: number;
  readonly 'heartbeat.interval.ms'?: number;
  readonly 'max.poll.interval.ms'?: number;
  readonly 'auto.commit.interval.ms'?: number;
  readonly 'partition.assignment.strategy'?: string;
  readonly 'group.instance.id'?: string;
}

/** Starting offsets per partition: a Map (Spark's Map[TopicPartition, Long]), [partition, offset] pairs, or { topic: { partition: offset } }. */
export type PartitionOffsets = ReadonlyMap<TopicPartition, number> | Iterable<readonly [TopicPartition, number]> | { readonly [topic: string]: { readonly [partition: number]: number } };

/** What `ConsumerStrategies.*` make: the stream's options, as createDirectStream's options form takes them. */
export interface ConsumerStrategy {
  readonly kind: 'ConsumerStrategy';
  readonly options: DirectStreamOptions;
}

/** Spark's LocationStrategy. */
export interface LocationStrategy {
  readonly kind: 'LocationStrategy';
  readonly name: 'PreferConsistent' | 'PreferBrokers';
}

function bad(what: string, value: unknown, fix: string): never {
  throw new SluiceError('SLUICE_BAD_ARGUMENT', `${what}: got ${JSON.stringify(value)}; ${fix}`);
}

const KNOWN = ['bootstrap.servers', 'group.id', 'auto.offset.reset', 'enable.auto.commit', 'key.deserializer', 'value.deserializer', 'client.id', 'request.timeout.ms', 'security.protocol', 'isolation.level'];

/**
 * Settings of a consumer's group membership, taken and without effect: the stream never joins
 * its group (the driver fixes each batch's partitions and commits with OffsetCommit alone), so
 * there is no session to keep alive, no poll interval to exceed and no assignment to make.
 * The guide's advice to raise heartbeat.interval.ms and session.timeout.ms for batches over
 * 30 s does not apply.
 */
const GROUP_MEMBERSHIP = ['session.timeout.ms', 'heartbeat.interval.ms', 'max.poll.interval.ms', 'auto.commit.interval.ms', 'partition.assignment.strategy', 'group.instance.id'];

/** kafkaParams as the options' connection fields (and group and reset), refusing what Sluice cannot honour. */
export function connectionOfParams(op: string, given: KafkaParams | ReadonlyMap<string, unknown>): KafkaConnection & { groupId?: string; autoOffsetReset?: 'latest' | 'earliest' | 'none' } {
  // A Map is Java's Map<String, Object> kafkaParams (and Scala's Map[String, Object]) as written: its entries are the settings.
  const params = (given instanceof Map ? Object.fromEntries(given) : given) as KafkaParams;
  if (typeof params !== 'object' || params === null) bad(`${op}: kafkaParams`, params, "give an object of Kafka consumer settings, e.g. { 'bootstrap.servers': 'localhost:9092', 'group.id': 'g' }");
  for (const key of Object.keys(params)) {
    if (!KNOWN.includes(key) && !GROUP_MEMBERSHIP.includes(key)) {
      bad(`${op}: kafkaParams['${key}']`, (params as unknown as Record<string, unknown>)[key], `Sluice takes ${KNOWN.join(', ')} (and, without effect, the group-membership settings ${GROUP_MEMBERSHIP.join(', ')}); for other settings use createDirectStream's options form (README, "Kafka": ssl and sasl with PEM and credentials, retryTimeoutMs, maxRatePerPartition)`);
    }
  }
  const servers = params['bootstrap.servers'];
  const brokers = typeof servers === 'string' ? servers.split(',').map((s) => s.trim()).filter((s) => s !== '') : servers;
  if (params['enable.auto.commit'] !== undefined && params['enable.auto.commit'] !== false) {
    bad(`${op}: kafkaParams['enable.auto.commit']`, params['enable.auto.commit'], "leave it out or give false: the stream commits only what you commit with stream.commitAsync(offsetRanges) after your output (Spark forces it false too)");
  }
  for (const k of ['key.deserializer', 'value.deserializer'] as const) {
    const d = params[k] as unknown;
    if (d !== undefined && d !== ByteArrayDeserializer) {
      bad(`${op}: kafkaParams['${k}']`, typeof d === 'function' ? d.name : d, 'records carry keys and values as Buffers (Kafka\'s ByteArrayDeserializer, exported as ByteArrayDeserializer): leave it out or give ByteArrayDeserializer, and decode with keyString(record) / valueString(record), or decodeRecords(stream, decode) for your own deserializer');
    }
  }
  const reset = params['auto.offset.reset'];
  if (reset !== undefined && reset !== 'latest' && reset !== 'earliest' && reset !== 'none') bad(`${op}: kafkaParams['auto.offset.reset']`, reset, "use 'latest', 'earliest' or 'none'");
  const isolation = params['isolation.level'];
  if (isolation !== undefined && isolation !== 'read_committed') bad(`${op}: kafkaParams['isolation.level']`, isolation, "leave it out or give 'read_committed': the stream always reads committed records only (records of aborted transactions are dropped)");
  const protocol = params['security.protocol'];
  if (protocol !== undefined && protocol !== 'PLAINTEXT' && protocol !== 'SSL') bad(`${op}: kafkaParams['security.protocol']`, protocol, "use 'PLAINTEXT' or 'SSL'; for SASL use the options form's sasl field");
  const out: KafkaConnection & { groupId?: string; autoOffsetReset?: 'latest' | 'earliest' | 'none' } = {
    brokers: brokers as readonly string[],
    ...(params['client.id'] !== undefined ? { clientId: params['client.id'] } : {}),
    ...(params['request.timeout.ms'] !== undefined ? { requestTimeoutMs: params['request.timeout.ms'] } : {}),
    ...(protocol === 'SSL' ? { ssl: true } : {}),
    ...(params['group.id'] !== undefined ? { groupId: params['group.id'] } : {}),
    ...(reset !== undefined ? { autoOffsetReset: reset } : {}),
  };
  return out;
}

function offsetsObject(op: string, offsets: PartitionOffsets): { [topic: string]: { [partition: number]: number } } {
  const out: { [topic: string]: { [partition: number]: number } } = {};
  const entries: Iterable<readonly [TopicPartition, number]> | undefined =
    offsets instanceof Map ? offsets.entries() : typeof (offsets as Iterable<unknown>)[Symbol.iterator] === 'function' ? (offsets as Iterable<readonly [TopicPartition, number]>) : undefined;
  if (entries === undefined) {
    for (const [t, parts] of Object.entries(offsets as { [topic: string]: { [partition: number]: number } })) out[t] = { ...parts };
    return out;
  }
  for (const entry of entries) {
    const [tp, offset] = Array.isArray(entry) ? entry : [undefined, undefined];
    if (typeof tp?.topic !== 'string' || !Number.isSafeInteger(tp.partition)) bad(`${op}: offsets`, entry, 'give a Map of new TopicPartition(topic, partition) to offset, or [TopicPartition, offset] pairs');
    (out[tp.topic] ??= {})[tp.partition] = offset as number;
  }
  return out;
}

function strategy(op: string, which: Pick<DirectStreamOptions, 'topics' | 'topicPattern' | 'assign'>, params: KafkaParams | ReadonlyMap<string, unknown>, offsets: PartitionOffsets | undefined): ConsumerStrategy {
  const { groupId, autoOffsetReset, ...conn } = connectionOfParams(op, params);
  if (groupId === undefined) bad(`${op}: kafkaParams['group.id']`, undefined, "give the consumer group the stream starts from and commits to (Spark's samples: a separate group.id for each stream)");
  const reset = autoOffsetReset ?? 'latest';
  const options: DirectStreamOptions =
    offsets === undefined
      ? { ...conn, ...which, groupId, startingOffsets: reset }
      : { ...conn, ...which, groupId, startingOffsets: offsetsObject(op, offsets), autoOffsetReset: reset };
  return { kind: 'ConsumerStrategy', options };
}

/** Spark's ConsumerStrategies: which partitions a direct stream reads, with the consumer's kafkaParams and, optionally, where partitions start. */
export const ConsumerStrategies = {
  /** Every partition of these topics (and partitions added to them). Offsets given win over the group's commits, as Spark's. */
  Subscribe(topics: Iterable<string>, kafkaParams: KafkaParams | ReadonlyMap<string, unknown>, offsets?: PartitionOffsets): ConsumerStrategy {
    return strategy('ConsumerStrategies.Subscribe', { topics: [...topics] }, kafkaParams, offsets);
  },
  /** Every partition of the topics whose name matches (checked at each batch). */
  SubscribePattern(pattern: RegExp | string, kafkaParams: KafkaParams | ReadonlyMap<string, unknown>, offsets?: PartitionOffsets): ConsumerStrategy {
    return strategy('ConsumerStrategies.SubscribePattern', { topicPattern: pattern }, kafkaParams, offsets);
  },
  /** Exactly these partitions. */
  Assign(topicPartitions: Iterable<TopicPartition | { readonly topic: string; readonly partition: number }>, kafkaParams: KafkaParams | ReadonlyMap<string, unknown>, offsets?: PartitionOffsets): ConsumerStrategy {
    return strategy('ConsumerStrategies.Assign', { assign: [...topicPartitions].map((tp) => ({ topic: tp?.topic, partition: tp?.partition })) }, kafkaParams, offsets);
  },
};

/**
 * Spark's LocationStrategies. Both accepted ones mean the same here: a partition's task
 * prefers the worker that read it before (its consumer is cached there), as PreferConsistent;
 * PreferBrokers (Spark: the partition leader's host) falls back to it, Sluice workers not
 * being placed by broker host. PreferFixed is refused: Sluice has no host map of workers.
 */
export const LocationStrategies = {
  PreferConsistent: { kind: 'LocationStrategy', name: 'PreferConsistent' } as LocationStrategy,
  PreferBrokers: { kind: 'LocationStrategy', name: 'PreferBrokers' } as LocationStrategy,
  PreferFixed(hostMap: unknown): never {
    throw new SluiceError(
      'SLUICE_BAD_ARGUMENT',
      `LocationStrategies.PreferFixed: got a host map (${JSON.stringify(hostMap instanceof Map ? [...hostMap.entries()].map(([k, v]) => [String(k), v]) : hostMap)}); Sluice does not place tasks by host: use LocationStrategies.PreferConsistent (a partition's task prefers the worker that read it before)`,
    );
  },
};

/** True for a LocationStrategy value (what createDirectStream / createRDD take in Spark's argument order). */
export function isLocationStrategy(v: unknown): v is LocationStrategy {
  return typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'LocationStrategy';
}
