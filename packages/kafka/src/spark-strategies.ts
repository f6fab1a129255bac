import { SluiceError } from '@sluice/core';
import type { DirectStreamOptions, KafkaConnection } from './kafka-params.js';
import { partitionKey } from './kafka-placement.js';

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
  readonly 'group.id'?: string | undefined;
  readonly 'auto.offset.reset'?: 'latest' | 'earliest' | 'none' | undefined;
  /** Only false: the stream commits only through commitAsync (Spark forces it false too). */
  readonly 'enable.auto.commit'?: false | undefined;
  /** Only ByteArrayDeserializer: records carry Buffers; decode them with keyString / valueString / decodeRecords. */
  readonly 'key.deserializer'?: typeof ByteArrayDeserializer | undefined;
  readonly 'value.deserializer'?: typeof ByteArrayDeserializer | undefined;
  readonly 'client.id'?: string | undefined;
  readonly 'request.timeout.ms'?: number | undefined;
  /** 'PLAINTEXT' or 'SSL' (then the system's CAs; give PEM through the `ssl` field of the options form for more). */
  readonly 'security.protocol'?: 'PLAINTEXT' | 'SSL' | undefined;
  /** Only 'read_committed': what the stream always reads. */
  readonly 'isolation.level'?: 'read_committed' | undefined;
  /** Group-membership settings (session.timeout.ms, heartbeat.interval.ms, max.poll.interval.ms, auto.commit.interval.ms, partition.assignment.strategy, group.instance.id): taken, without effect, as the stream never joins its group. */
  readonly 'session.timeout.ms'?: number | undefined;
  readonly 'heartbeat.interval.ms'?: number | undefined;
  readonly 'max.poll.interval.ms'?: number | undefined;
  readonly 'auto.commit.interval.ms'?: number | undefined;
  readonly 'partition.assignment.strategy'?: string | undefined;
  readonly 'group.instance.id'?: string | undefined;
}

/** Starting offsets per partition: a Map (Spark's Map[TopicPartition, Long]), [partition, offset] pairs, or { topic: { partition: offset } }. */
export type PartitionOffsets = ReadonlyMap<TopicPartition, number> | Iterable<readonly [TopicPartition, number]> | { readonly [topic: string]: { readonly [partition: number]: number } };

/** What `ConsumerStrategies.*` make: the stream's options, as createDirectStream's options form takes them. */
export interface ConsumerStrategy {
  readonly kind: 'ConsumerStrategy';
  readonly options: DirectStreamOptions;
}

/** Spark's LocationStrategy (made by LocationStrategies). */
export interface LocationStrategy {
  readonly kind: 'LocationStrategy';
  readonly name: 'PreferConsistent' | 'PreferBrokers' | 'PreferFixed';
  /** PreferFixed's map: a topic-partition (partitionKey) to the host, worker address or worker id it prefers. */
  readonly hostMap?: ReadonlyMap<string, string> | undefined;
}

/** PreferFixed's map: a Map of TopicPartition to host (Spark's), [TopicPartition, host] pairs, or { topic: { partition: host } }. */
export type PartitionHosts = ReadonlyMap<TopicPartition, string> | Iterable<readonly [TopicPartition, string]> | { readonly [topic: string]: { readonly [partition: number]: string } };

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

/** A per-partition value (an offset, a host) given as a Map of TopicPartition, pairs, or { topic: { partition: value } }, as the last form. */
function perPartition<V>(op: string, given: ReadonlyMap<TopicPartition, V> | Iterable<readonly [TopicPartition, V]> | { readonly [topic: string]: { readonly [partition: number]: V } }, what: string): { [topic: string]: { [partition: number]: V } } {
  const out: { [topic: string]: { [partition: number]: V } } = {};
  const entries: Iterable<readonly [TopicPartition, V]> | undefined =
    given instanceof Map ? given.entries() : typeof (given as Iterable<unknown>)[Symbol.iterator] === 'function' ? (given as Iterable<readonly [TopicPartition, V]>) : undefined;
  if (entries === undefined) {
    for (const [t, parts] of Object.entries(given as { [topic: string]: { [partition: number]: V } })) out[t] = { ...parts };
    return out;
  }
  for (const entry of entries) {
    const [tp, value] = Array.isArray(entry) ? entry : [undefined, undefined];
    if (typeof tp?.topic !== 'string' || !Number.isSafeInteger(tp.partition)) bad(`${op}: ${what === 'offset' ? 'offsets' : 'hostMap'}`, entry, `give a Map of new TopicPartition(topic, partition) to ${what}, or [TopicPartition, ${what}] pairs`);
    (out[tp.topic] ??= {})[tp.partition] = value as V;
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
      : { ...conn, ...which, groupId, startingOffsets: perPartition(op, offsets, 'offset'), autoOffsetReset: reset };
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
 * Spark's LocationStrategies, as Spark's KafkaRDD.getPreferredLocations applies them: a
 * partition's task prefers the worker at floorMod(TopicPartition.hashCode, count) of the
 * workers taking tasks when its batch is scheduled (sorted by host, then id, descending), so
 * its cached consumer is used again while the workers stay the same and a worker that joins
 * takes its share of partitions at the next batch (PreferConsistent). PreferFixed(hostMap)
 * picks so among the workers on the host the map names for a partition (or the worker whose
 * id or address it names; every worker when none matches or the partition is not in the map).
 * PreferBrokers narrows it to the workers on the partition leader's host, as the stream's
 * metadata at each batch names it (Spark's getBrokers; a workers' host that is no broker's:
 * every worker, as PreferConsistent); refused for createRDD, which has no consumer (as Spark's).
 */
export const LocationStrategies = {
  PreferConsistent: { kind: 'LocationStrategy', name: 'PreferConsistent' } as LocationStrategy,
  PreferBrokers: { kind: 'LocationStrategy', name: 'PreferBrokers' } as LocationStrategy,
  PreferFixed(hostMap: PartitionHosts): LocationStrategy {
    const op = 'LocationStrategies.PreferFixed';
    if (typeof hostMap !== 'object' || hostMap === null) bad(`${op}: hostMap`, hostMap, "give a Map of new TopicPartition(topic, partition) to a host (or a Sluice worker's id or address), [TopicPartition, host] pairs, or { topic: { partition: host } }");
    const map = new Map<string, string>();
    for (const [topic, parts] of Object.entries(perPartition(op, hostMap, 'host'))) {
      for (const [partition, host] of Object.entries(parts)) {
        if (typeof host !== 'string' || host === '') bad(`${op}: the host of ${topic}-${partition}`, host, "give a host name or address (a worker's host), a worker's address host:port, or a worker's id");
        if (!Number.isSafeInteger(Number(partition)) || Number(partition) < 0) bad(`${op}: partition of topic ${topic}`, partition, 'give a partition number, 0 or more');
        map.set(partitionKey(topic, Number(partition)), host);
      }
    }
    return { kind: 'LocationStrategy', name: 'PreferFixed', hostMap: map };
  },
};

/** True for a LocationStrategy value (what createDirectStream / createRDD take in Spark's argument order). */
export function isLocationStrategy(v: unknown): v is LocationStrategy {
  return typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'LocationStrategy';
}
