import { Admin, Consumer } from '@platformatic/kafka';
import { DirectInputDStream, SluiceError, type DirectPlacement, type DirectReader, type DirectSource, type StreamingContext } from '@sluice/core';
import { kafkaPlacement, leaderHosts } from './kafka-placement.js';
import { LocationStrategies, type LocationStrategy } from './spark-strategies.js';
import { clientOptions, connectionParams, validateStreamOptions, type ConnectionParams, type DirectStreamOptions } from './kafka-params.js';
import type { KafkaRecord } from './kafka-record.js';
import { KafkaRDD, rangeCount, type OffsetRange } from './offset-range.js';
import { READ_COMMITTED, readOffsetRange } from './read-offset-range.js';

/**
 * What recovery needs besides the batches' ranges: where each partition's next batch starts,
 * and which of those positions are startingOffsets still ahead of the log (waited for, not a
 * log that shrank; absent in checkpoints written before it was kept: none waits).
 */
interface KafkaPosition {
  readonly offsets: [string, number, number][];
  readonly waiting?: [string, number][];
  /** The topics the program named (topics, or assign's): absent with topicPattern, and in checkpoints written before. */
  readonly topics?: string[];
  /** The bootstrap brokers (absent in checkpoints written before). */
  readonly brokers?: string[];
}

const tpKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/**
 * Spark's DirectKafkaInputDStream: no receiver. At start() the driver fixes where each
 * partition starts (given offsets, the group's commits, else 'latest' as of start() or
 * 'earliest'); at each batch it asks the
 * brokers for every subscribed partition's latest offset and fixes one range per
 * topic-partition, [where the previous batch stopped, latest) capped at
 * maxRatePerPartition x interval (with backpressure: the stream's estimated rate split
 * over the partitions by lag, each share capped at maxRatePerPartition, as Spark's
 * maxMessagesPerPartition); each non-empty range is one partition of the batch's
 * KafkaRDD, read by a task with the worker's cached consumer (a partition's task prefers
 * the worker its TopicPartition hash picks among the workers taking tasks, as Spark's
 * LocationStrategies.PreferConsistent: the same one while the workers stay the same, and a
 * worker that joins gets its share at the next batch; PreferFixed narrows it to a host,
 * PreferBrokers to the partition leader's host). Partitions added to a topic and topics matching the
 * pattern are picked up at the next batch; with `assign`, exactly the partitions named
 * are read (Spark's Assign). A broker down or restarting is retried for
 * `retryTimeoutMs` on both sides. Isolation is read_committed: a range ends at the
 * partition's last stable offset, and records of aborted transactions are not read. `commitAsync(ranges)` commits to the group after the
 * output succeeded; the ranges of every remembered batch and the positions go into the
 * metadata checkpoint, so a recovered batch reads the same records.
 *
 * Invariants: the ranges of consecutive batches of a partition are adjacent (until of
 * one = from of the next); a range never goes past the latest offset the driver saw.
 * Threading: the driver program's thread (nextRanges runs in batch order).
 */
export class DirectKafkaInputDStream extends DirectInputDStream<KafkaRecord, OffsetRange> implements CanCommitOffsets {
  protected readonly reader: DirectReader<OffsetRange, KafkaRecord>;
  private readonly conn: ConnectionParams;
  private readonly pattern: RegExp | undefined;
  /** The next offset each known partition's next batch starts at. */
  private readonly position = new Map<string, { topic: string; partition: number; offset: number }>();
  private client: Consumer | undefined;
  private admin: Admin | undefined;
  /** Whether the brokers ever answered: before that, errors fail at once (a wrong address). */
  private connected = false;
  private commits: Promise<void> = Promise.resolve();
  /** stop() was called: commits from now on are refused, and the clients close once the earlier ones are done. */
  private stopped = false;
  /** The partitions' start positions, asked for at start(); the first batch awaits it (and fails with its error). */
  private starting: Promise<void> | undefined;
  /** When start() was called (ms, this host's clock): 'latest' is the log's end then. */
  private startedAt: number | undefined;
  /**
   * Partitions started at an offset given in startingOffsets, until a batch saw their log
   * reach it: one given past the log's end waits for it (no range; a warning once), where a
   * position past the end otherwise fails the stream. The value: whether it was warned of.
   */
  private readonly aheadOfLog = new Map<string, boolean>();
  /** PreferBrokers: each partition's leader's host, as the metadata of the last batch said (Spark's getBrokers). */
  private leaders = new Map<string, string>();
  /** topicPattern: whether the last listing matched no topic and that was warned of (once until one matches). */
  private patternUnmatchedWarned = false;

  constructor(
    ssc: StreamingContext,
    private readonly options: DirectStreamOptions,
    /** Where each partition's task prefers to run (Spark's LocationStrategy; PreferConsistent by default). */
    private readonly locationStrategy: LocationStrategy = LocationStrategies.PreferConsistent,
  ) {
    super(ssc, 'KafkaUtils.createDirectStream');
    validateStreamOptions(options);
    this.conn = connectionParams('KafkaUtils.createDirectStream', options);
    this.pattern = options.topicPattern === undefined ? undefined : new RegExp(options.topicPattern);
    const conn = this.conn;
    this.reader = (range: OffsetRange) => readOffsetRange(conn, range);
  }

  /** Backpressure bounds its batches (nextRanges uses maxRecordsPerRange). */
  override get rateControlled(): boolean {
    return true;
  }

  /** Spark's KafkaRDD.getPreferredLocations: the partition's hash over the workers taking tasks, among PreferFixed's host (PreferBrokers': its leader's) when it names one. */
  protected override preferredPlacement(r: OffsetRange): DirectPlacement {
    return kafkaPlacement(r.topic, r.partition, this.locationStrategy.name === 'PreferBrokers' ? this.leaders : this.locationStrategy.hostMap);
  }

  protected override recordsIn(r: OffsetRange): number {
    return rangeCount(r);
  }

  protected override createRDD(ranges: readonly OffsetRange[], source: DirectSource): KafkaRDD<KafkaRecord> {
    return new KafkaRDD<KafkaRecord>(this.ssc.sc, ranges, source);
  }

  /**
   * Fixes where each partition starts now, as Spark's DirectKafkaInputDStream.start() sets
   * its consumer's positions: with 'latest', records written after the context started and
   * before its first batch (the cluster's warm-up runs in between) are read, not skipped.
   * A stream recovered from a checkpoint has its positions already.
   */
  override start(): void {
    if (this.position.size > 0 || this.starting !== undefined) return;
    this.startedAt = Date.now();
    this.starting = this.partitions().then((parts) => {
      const all: { topic: string; partition: number }[] = [];
      for (const [topic, ids] of parts) for (const partition of ids) all.push({ topic, partition });
      return all.length > 0 ? this.startPartitions(all, true) : undefined;
    });
    // Its error fails the context at once (as Spark's start() throws from ssc.start()), not at
    // the first batch after the warm-up job; the first batch, if it comes first, fails with it too.
    this.starting.catch((err: unknown) => this.ssc.inputStartFailed(err instanceof Error ? err : new Error(String(err))));
  }

  override stop(): void {
    this.stopped = true;
    // Commits asked for before the stop still run, with the client they find: it closes after them.
    void this.commits.finally(() => {
      const client = this.client;
      const admin = this.admin;
      this.client = undefined;
      this.admin = undefined;
      return Promise.all([client?.close(true), admin?.close()]).catch(() => undefined);
    });
  }

  private get consumer(): Consumer {
    this.client ??= new Consumer({ ...clientOptions(this.conn), groupId: this.options.groupId });
    return this.client;
  }

  /** Runs a broker call, retrying transient failures for retryTimeoutMs once the brokers have answered. */
  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    const firstTry = Date.now();
    const deadline = firstTry + this.conn.retryTimeoutMs;
    let delay = 100;
    let failures = 0;
    for (;;) {
      try {
        const v = await fn();
        this.connected = true;
        if (failures > 0) {
          this.ssc.sc.log('warn', `kafka direct stream: the brokers answer again (${what}) after ${Date.now() - firstTry} ms; the stream goes on`, { component: 'kafka-direct-stream', what, brokers: this.conn.brokers.join(','), failedForMs: Date.now() - firstTry, failures });
        }
        return v;
      } catch (err) {
        if (err instanceof SluiceError) throw err;
        const msg = describe(err);
        const unknownTopic = /Unknown topic/i.test(msg);
        // Before the stream has read anything, an unknown topic is a wrong name; later, a
        // topic it has read may be unknown for a moment (metadata propagating), or deleted.
        if (unknownTopic && this.position.size === 0) {
          const have = await this.topicsOnBrokers();
          throw new SluiceError('SLUICE_BAD_ARGUMENT', `KafkaUtils.createDirectStream: ${msg.replace(/\.$/, '')} on brokers ${this.conn.brokers.join(',')}${have}; create the topic or fix its name`, { cause: err });
        }
        if (!this.connected) {
          throw new SluiceError('SLUICE_UNREACHABLE', `KafkaUtils.createDirectStream: cannot reach Kafka brokers ${this.conn.brokers.join(',')} (${what}): ${msg}${socketCauses(err)}; check the broker addresses and that the brokers are up`, { cause: err });
        }
        if (Date.now() > deadline) {
          const gone = unknownTopic ? /Unknown topic (\S+)/i.exec(msg)?.[1]?.replace(/\.$/, '') : undefined;
          const read = [...this.position.values()].filter((p) => p.topic === gone).map((p) => `${p.topic}/${p.partition}@${p.offset}`);
          if (gone !== undefined && read.length > 0) {
            throw new SluiceError(
              'SLUICE_IO',
              `KafkaUtils.createDirectStream: topic '${gone}' is no longer on the brokers (deleted?); the stream had read it up to ${read.join(', ')} and has not read what was written after; recreate the topic and start from a new checkpoint directory, or take it out of topics (unknown for ${this.conn.retryTimeoutMs} ms on brokers ${this.conn.brokers.join(',')})`,
              { cause: err },
            );
          }
          throw new SluiceError(
            'SLUICE_IO',
            `KafkaUtils.createDirectStream: ${what} failed for ${this.conn.retryTimeoutMs} ms on brokers ${this.conn.brokers.join(',')}: ${msg}; check that the brokers are up and reachable from the driver, then run the job again (with a checkpoint it goes on from its last batch: StreamingContext.getOrCreate), or raise retryTimeoutMs to wait longer`,
            { cause: err },
          );
        }
        failures++;
        const leftMs = Math.max(0, deadline - Date.now());
        this.ssc.sc.log(
          'warn',
          `kafka direct stream: ${what} failed on brokers ${this.conn.brokers.join(',')} (${msg}); retrying for ${leftMs} ms more (retryTimeoutMs ${this.conn.retryTimeoutMs}), then the job fails: check that the brokers are up and reachable from the driver`,
          { component: 'kafka-direct-stream', what, brokers: this.conn.brokers.join(','), err: msg, delayMs: delay, retryingForMs: leftMs },
        );
        this.client?.clearMetadata();
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 2000);
      }
    }
  }

  /** " (they have N: a, b, ...)", the topics the brokers list (sorted, at most 10 named), to set beside a topic name they do not know; empty when they cannot be listed. */
  private async topicsOnBrokers(): Promise<string> {
    try {
      this.admin ??= new Admin(clientOptions(this.conn));
      return theyHave(await this.admin.listTopics({ includeInternals: false }));
    } catch {
      return '';
    }
  }

  /** The stream's topics and, for each, the partitions it reads: every partition (topics, topicPattern) or the assigned ones (assign). */
  private async partitions(): Promise<Map<string, number[]>> {
    let topics: string[];
    const assign = this.options.assign;
    if (this.pattern) {
      this.admin ??= new Admin(clientOptions(this.conn));
      const all = await this.call('listing topics', () => this.admin!.listTopics({ includeInternals: false }));
      topics = all.filter((t) => this.pattern!.test(t)).sort();
      if (topics.length === 0) {
        // Spark's SubscribePattern reads nothing without a word; a pattern with a typo looked
        // like a topic nobody writes to. Said once, and again only after a topic had matched.
        if (!this.patternUnmatchedWarned) {
          this.patternUnmatchedWarned = true;
          this.ssc.sc.log(
            'warn',
            `kafka direct stream: topicPattern ${String(this.pattern)} matches no topic on brokers ${this.conn.brokers.join(',')}${theyHave(all)}; the stream reads nothing until a matching topic is created: check the pattern (tested against each topic name) and the brokers`,
            { component: 'kafka-direct-stream', topicPattern: String(this.pattern), brokers: this.conn.brokers.join(','), topics: all.length },
          );
        }
        return new Map();
      }
      this.patternUnmatchedWarned = false;
    } else if (assign) {
      topics = [...new Set(assign.map((a) => a.topic))];
    } else {
      topics = [...this.options.topics!];
    }
    const md = await this.call('reading metadata', () => this.consumer.metadata({ topics, forceUpdate: true }));
    if (this.locationStrategy.name === 'PreferBrokers') this.leaders = leaderHosts(md, topics);
    const out = new Map<string, number[]>();
    for (const t of topics) {
      const count = md.topics.get(t)?.partitionsCount ?? 0;
      if (!assign) {
        out.set(t, Array.from({ length: count }, (_, p) => p));
        continue;
      }
      // Spark's Assign: exactly these partitions; partitions added to the topic are not read.
      const mine = assign.filter((a) => a.topic === t).map((a) => a.partition);
      const missing = mine.filter((p) => p >= count);
      if (missing.length > 0) {
        throw new SluiceError('SLUICE_BAD_ARGUMENT', `KafkaUtils.createDirectStream: assign names ${missing.map((p) => `${t}/${p}`).join(', ')}, but topic '${t}' has ${count} partitions (0-${count - 1}) on brokers ${this.conn.brokers.join(',')}; fix the partition numbers`);
      }
      out.set(t, mine);
    }
    return out;
  }

  private async listOffsets(topics: string[], earliest: boolean): Promise<Map<string, bigint[]>> {
    if (topics.length === 0) return new Map();
    return this.call(earliest ? 'listing earliest offsets' : 'listing latest offsets', () => this.consumer.listOffsets({ topics, timestamp: earliest ? -2n : -1n, isolationLevel: READ_COMMITTED }));
  }

  /** Start offsets of partitions the stream does not know yet. */
  private async startPartitions(fresh: { topic: string; partition: number }[], firstBatch: boolean): Promise<void> {
    const byTopic = new Map<string, number[]>();
    for (const f of fresh) byTopic.set(f.topic, [...(byTopic.get(f.topic) ?? []), f.partition]);
    const committed = await this.call('reading committed offsets', () =>
      this.consumer.listCommittedOffsets({ topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })) }),
    );
    const so = this.options.startingOffsets ?? 'latest';
    // Spark's auto.offset.reset: the string itself, or beside offsets given per partition autoOffsetReset.
    const reset = typeof so === 'string' ? so : (this.options.autoOffsetReset ?? 'latest');
    const explicitOf = (topic: string, partition: number) => (typeof so === 'object' ? so[topic]?.[partition] : undefined);
    const committedOf = (topic: string, partition: number) => committed.get(topic)?.[partition] ?? -1n;
    if (firstBatch && reset === 'none') {
      const unset = fresh.filter((f) => explicitOf(f.topic, f.partition) === undefined && committedOf(f.topic, f.partition) < 0n).map((f) => `${f.topic}/${f.partition}`);
      if (unset.length > 0) {
        throw new SluiceError(
          'SLUICE_BAD_ARGUMENT',
          `KafkaUtils.createDirectStream: ${typeof so === 'string' ? "startingOffsets 'none'" : "autoOffsetReset 'none'"} (auto.offset.reset=none) and group '${this.options.groupId}' has no committed offset ${typeof so === 'string' ? '' : '(nor one in startingOffsets) '}for ${unset.length === 1 ? 'partition' : 'partitions'} ${unset.join(', ')}; commit offsets for them, give them in startingOffsets, or use 'earliest' or 'latest'`,
        );
      }
    }
    const fallbackEarliest = !firstBatch || reset === 'earliest';
    const bound = await this.listOffsets([...byTopic.keys()], fallbackEarliest);
    // 'latest' as of start(): the answer came some round trips later, so records written
    // meanwhile (a producer told the context started) are found by their timestamps: the
    // first at or after the start, when it lies before the end the brokers gave.
    const startedAt = this.startedAt;
    const since = !fallbackEarliest && startedAt !== undefined ? await this.call('listing offsets by time', () => this.consumer.listOffsets({ topics: [...byTopic.keys()], timestamp: BigInt(startedAt), isolationLevel: READ_COMMITTED })) : undefined;
    for (const { topic, partition } of fresh) {
      const explicit = explicitOf(topic, partition);
      const c = committedOf(topic, partition);
      const end = bound.get(topic)?.[partition] ?? 0n;
      const atStart = since?.get(topic)?.[partition] ?? -1n;
      const start = explicit !== undefined ? BigInt(explicit) : c >= 0n ? c : atStart >= 0n && atStart < end ? atStart : end;
      this.position.set(tpKey(topic, partition), { topic, partition, offset: Number(start) });
      if (explicit !== undefined) this.aheadOfLog.set(tpKey(topic, partition), false);
      if (!firstBatch) this.ssc.sc.log('info', 'kafka direct stream: new partition', { component: 'kafka-direct-stream', topic, partition, fromOffset: Number(start) });
    }
  }

  protected async nextRanges(time: number): Promise<readonly OffsetRange[]> {
    const starting = this.starting;
    let firstBatch = this.position.size === 0 && !this.connected;
    if (starting !== undefined) {
      this.starting = undefined;
      await starting;
      firstBatch = false;
    }
    const parts = await this.partitions();
    const fresh: { topic: string; partition: number }[] = [];
    for (const [topic, ids] of parts) for (const p of ids) if (!this.position.has(tpKey(topic, p))) fresh.push({ topic, partition: p });
    if (fresh.length > 0) await this.startPartitions(fresh, firstBatch);
    const latest = await this.listOffsets([...parts.keys()], false);
    const known = [...this.position.values()].filter((p) => parts.has(p.topic)).sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
    const ends: { p: (typeof known)[number]; last: number }[] = [];
    for (const p of known) {
      const end = latest.get(p.topic)?.[p.partition];
      if (end === undefined) continue;
      const last = Number(end);
      const key = tpKey(p.topic, p.partition);
      if (last < p.offset && this.aheadOfLog.has(key)) {
        if (this.aheadOfLog.get(key) === false) {
          this.aheadOfLog.set(key, true);
          this.ssc.sc.log('warn', 'kafka direct stream: startingOffsets is past the partition\'s end; waiting for the log to reach it', { component: 'kafka-direct-stream', topic: p.topic, partition: p.partition, startingOffset: p.offset, endOffset: last });
        }
        continue;
      }
      this.aheadOfLog.delete(key);
      if (last < p.offset) {
        throw new SluiceError(
          'SLUICE_IO',
          `Kafka ${p.topic}/${p.partition}: the partition ends at offset ${last}, before ${p.offset} where batch ${time} starts (topic deleted and made again, or offsets from another cluster); start the stream from a fresh group or set startingOffsets`,
        );
      }
      ends.push({ p, last });
    }
    // Spark's maxMessagesPerPartition: backpressure's rate split over the partitions by
    // lag, each capped at maxRatePerPartition (or that cap alone without backpressure),
    // times the interval, at least minRatePerPartition records.
    const minRecords = this.options.minRatePerPartition ?? 1;
    const caps = this.maxRecordsPerRange(
      ends.map((e) => e.last - e.p.offset),
      this.maxRates(ends.map((e) => e.p)),
    )?.map((c) => Math.max(c, minRecords));
    const ranges: OffsetRange[] = [];
    ends.forEach(({ p, last }, i) => {
      const until = Math.min(last, p.offset + (caps?.[i] ?? Infinity));
      if (until > p.offset) ranges.push({ topic: p.topic, partition: p.partition, fromOffset: p.offset, untilOffset: until });
      p.offset = until;
    });
    return ranges;
  }

  /**
   * What the batch at `time` read, as Spark's DirectKafkaInputDStream reports it: `offsets` (its
   * ranges) and a `Description`, a line for each range with records ("topic: t\tpartition: p\t
   * offsets: a to b"), which the batch page shows under Input Metadata.
   */
  override inputMetadataAt(time: number): Readonly<Record<string, unknown>> | undefined {
    const ranges = this.rangesAt(time);
    if (ranges === undefined) return undefined;
    const description = ranges
      .filter((r) => r.fromOffset !== r.untilOffset)
      .map((r) => `topic: ${r.topic}\tpartition: ${r.partition}\toffsets: ${r.fromOffset} to ${r.untilOffset}`)
      .join('\n');
    return { offsets: ranges.map((r) => ({ ...r })), Description: description };
  }

  /** maxRatePerPartition: the one rate, or (Spark's PerPartitionConfig) each partition's from the function. */
  private maxRates(parts: readonly { topic: string; partition: number }[]): number | number[] | undefined {
    const m = this.options.maxRatePerPartition;
    if (typeof m !== 'function') return m;
    return parts.map(({ topic, partition }) => {
      let r: unknown;
      try {
        r = m(topic, partition);
      } catch (err) {
        throw new SluiceError('SLUICE_BAD_ARGUMENT', `KafkaUtils.createDirectStream: maxRatePerPartition threw for ${topic}/${partition}: ${describe(err)}`, { cause: err });
      }
      if (typeof r !== 'number' || !Number.isFinite(r) || r < 0) {
        throw new SluiceError('SLUICE_BAD_ARGUMENT', `KafkaUtils.createDirectStream: maxRatePerPartition(${JSON.stringify(topic)}, ${partition}) answered ${JSON.stringify(r) ?? String(r)}; answer records per second > 0 for every partition (0: no rate of its own, as Spark's PerPartitionConfig)`);
      }
      return r;
    });
  }

  protected override positionData(): KafkaPosition {
    return {
      offsets: [...this.position.values()].map((p) => [p.topic, p.partition, p.offset]),
      waiting: [...this.aheadOfLog.keys()].map((k) => this.position.get(k)).filter((p) => p !== undefined).map((p) => [p.topic, p.partition]),
      topics: this.namedTopics(),
      brokers: [...this.conn.brokers],
    };
  }

  /** The topics the program named (topics, or those of assign), sorted; undefined with topicPattern. */
  private namedTopics(): string[] | undefined {
    if (this.pattern !== undefined) return undefined;
    const named = this.options.topics ?? (this.options.assign ?? []).map((a) => a.topic);
    return [...new Set(named)].sort();
  }

  /**
   * On recovery, a program changed to read other topics or other brokers than the one that
   * wrote the checkpoint is told, once, what is read now: the graph is the new code's (Spark
   * would restore the old stream, and its topics, from the checkpoint).
   */
  private warnChangedSource(d: Partial<KafkaPosition>): void {
    const now = this.namedTopics();
    const was = d.topics ?? (now === undefined ? undefined : [...new Set((d.offsets ?? []).map(([t]) => t))].sort());
    const notes: string[] = [];
    if (now !== undefined && was !== undefined) {
      const dropped = was.filter((t) => !now.includes(t));
      const added = now.filter((t) => !was.includes(t));
      if (dropped.length > 0) {
        const at = (d.offsets ?? []).filter(([t]) => dropped.includes(t)).map(([t, p, o]) => `${t}/${p}@${o}`);
        notes.push(`${dropped.length === 1 ? 'topic' : 'topics'} ${dropped.join(', ')} ${dropped.length === 1 ? 'is' : 'are'} no longer read${at.length > 0 ? ` (read up to ${at.slice(0, 10).join(', ')}${at.length > 10 ? ', ...' : ''})` : ''}`);
      }
      if (added.length > 0) notes.push(`${added.length === 1 ? 'topic' : 'topics'} ${added.join(', ')} ${added.length === 1 ? 'is' : 'are'} read from the group's committed offsets, else from the earliest (as a partition that appears while the stream runs)`);
    }
    const wasBrokers = d.brokers;
    if (wasBrokers !== undefined && [...wasBrokers].sort().join(',') !== [...this.conn.brokers].sort().join(',')) {
      notes.push(`the brokers are ${this.conn.brokers.join(',')} where they were ${wasBrokers.join(',')}: the checkpoint's offsets are taken as offsets of the same topics there (right for the same cluster under another address, wrong for another cluster: then start from an empty checkpoint directory)`);
    }
    if (notes.length === 0) return;
    this.ssc.sc.log(
      'warn',
      `KafkaUtils.createDirectStream (stream ${this.id}): recovering from a checkpoint written while the program read ${was === undefined ? 'other input' : `topics ${was.join(', ')}`}${wasBrokers === undefined ? '' : ` on ${wasBrokers.join(',')}`}; it now reads ${now === undefined ? `topicPattern ${String(this.pattern)}` : `topics ${now.join(', ')}`} on ${this.conn.brokers.join(',')}, and recovery goes on with these: ${notes.join('; ')}. ` +
        "The batches the checkpoint had pending re-run with their recorded ranges. To keep reading as before, give the program its old topics and brokers back (Spark would restore the old stream from the checkpoint); to start afresh, use an empty checkpoint directory",
      { component: 'kafka-direct-stream', streamId: this.id, checkpointTopics: was, topics: now, checkpointBrokers: wasBrokers, brokers: this.conn.brokers },
    );
  }

  protected override restorePosition(position: unknown): void {
    const d = position as Partial<KafkaPosition> | null;
    if (!d || !Array.isArray(d.offsets)) {
      throw new SluiceError('SLUICE_CHECKPOINT', `KafkaUtils.createDirectStream: the checkpoint holds no Kafka offsets for stream ${this.id} (got ${JSON.stringify(position)?.slice(0, 200)}); start from an empty checkpoint directory`);
    }
    this.warnChangedSource(d);
    this.position.clear();
    for (const [topic, partition, offset] of d.offsets) this.position.set(tpKey(topic, partition), { topic, partition, offset });
    // A partition still waiting for the log to reach its startingOffsets waits again (and
    // warns again) after the recovery, rather than being taken for a log that shrank.
    this.aheadOfLog.clear();
    for (const [topic, partition] of d.waiting ?? []) if (this.position.has(tpKey(topic, partition))) this.aheadOfLog.set(tpKey(topic, partition), false);
    this.connected = this.position.size > 0;
  }

  /**
   * Commits each range's untilOffset to the group (Spark's CanCommitOffsets.commitAsync):
   * call it after the batch's output succeeded. Commits run in call order; the promise
   * settles when this one is done (a failure is logged and rejects it). After the stream
   * stopped it commits nothing and opens no connection: it rejects with SLUICE_CANCELLED
   * (Spark drops a commit queued after the stop without a word; here the promise is the
   * only answer, and it must not say committed). It need not be awaited: a rejection nobody
   * waits for is logged as a warning and does not stop the driver program.
   *
   * `callback`, as Spark's OffsetCommitCallback, is called once the commit settled: with the
   * offsets committed (each range's untilOffset) and no error, or with the error and the
   * offsets that were not committed; with no ranges it is not called (Spark sends no commit
   * then). A callback that throws is logged.
   */
  commitAsync(ranges: readonly OffsetRange[], callback?: OffsetCommitCallback): Promise<void> {
    if (callback !== undefined && typeof callback !== 'function') {
      throw new SluiceError('SLUICE_BAD_ARGUMENT', `KafkaUtils.createDirectStream: commitAsync's callback: got ${typeof callback}; give a function (offsets, error) => void, or leave it out and await the promise`);
    }
    const done = this.commit(ranges);
    // As Spark's: nothing to commit, no commit and no callback.
    if (callback && ranges.length > 0) {
      const offsets = ranges.map((r) => ({ topic: r.topic, partition: r.partition, offset: r.untilOffset }));
      const call = (err: Error | undefined) => {
        try {
          callback(offsets, err);
        } catch (e) {
          this.ssc.sc.log('warn', 'kafka direct stream: the commitAsync callback threw', { component: 'kafka-direct-stream', err: describe(e) });
        }
      };
      done.then(() => call(undefined), (err: unknown) => call(err instanceof Error ? err : new Error(String(err))));
    }
    return done;
  }

  private commit(ranges: readonly OffsetRange[]): Promise<void> {
    if (this.stopped) {
      const what = ranges.map((r) => `${r.topic}/${r.partition}@${r.untilOffset}`).join(', ') || 'no ranges';
      const err = new SluiceError(
        'SLUICE_CANCELLED',
        `KafkaUtils.createDirectStream: commitAsync after the stream stopped: offsets ${what} of group '${this.options.groupId}' were not committed; commit in the batch's foreachRDD (awaited), before ssc.stop(): a stream started again from this group reads from its last commit (a non-graceful stop while the batch ran leaves the batch pending: the next start runs it again)`,
      );
      this.ssc.sc.log('warn', err.message, { component: 'kafka-direct-stream', groupId: this.options.groupId });
      return handled(Promise.reject(err));
    }
    const offsets = ranges.map((r) => ({ topic: r.topic, partition: r.partition, offset: BigInt(r.untilOffset), leaderEpoch: -1 }));
    const done = this.commits.then(async () => {
      if (offsets.length === 0) return;
      try {
        await this.call('committing offsets', () => this.consumer.commit({ offsets }));
      } catch (err) {
        this.ssc.sc.log('warn', 'kafka direct stream: commit failed', { component: 'kafka-direct-stream', groupId: this.options.groupId, err: describe(err) });
        throw err;
      }
    });
    this.commits = done.catch(() => undefined);
    return handled(done);
  }
}

/**
 * A commit's promise, marked handled: a caller that awaits it still sees its rejection, and
 * one that does not (Spark's examples call commitAsync without waiting) does not crash the
 * driver program with an unhandled rejection; the failure is logged (Spark's commitAsync
 * reports a failed commit to its callback, never by throwing).
 */
function handled(p: Promise<void>): Promise<void> {
  p.catch(() => undefined);
  return p;
}

/** Spark's CanCommitOffsets: what the direct stream is, so `(stream as CanCommitOffsets).commitAsync(offsetRanges)` ports Spark's cast. */
export interface CanCommitOffsets {
  commitAsync(ranges: readonly OffsetRange[], callback?: OffsetCommitCallback): Promise<void>;
}

/** Spark's OffsetCommitCallback.onComplete: the offsets of a commitAsync once it settled, and its error if it failed. */
export type OffsetCommitCallback = (offsets: readonly { readonly topic: string; readonly partition: number; readonly offset: number }[], error: Error | undefined) => void;

function describe(err: unknown): string {
  const e = err as { message?: string; errors?: { message?: string }[] };
  // @platformatic/kafka's retried calls carry each attempt's error: name each message once.
  const inner = e.errors?.map((x) => x.message).filter(Boolean) ?? [];
  return [...new Set([e.message ?? String(err), ...inner].map((m) => m!.replace(/\.$/, '')))].join(': ');
}

/**
 * " (getaddrinfo ENOTFOUND kafka-1.invalid; connect ECONNREFUSED 127.0.0.1:9092)": the socket
 * errors under a failed call, each once, "" if none. @platformatic/kafka nests them three deep
 * (the retried call's errors, each "Cannot connect to any broker" with each broker's "Connection
 * to HOST:PORT failed" caused by the socket's error), so describe() alone never said whether a
 * host name did not resolve or nothing listened on the port.
 */
function socketCauses(err: unknown): string {
  const found = new Set<string>();
  const seen = new Set<unknown>();
  const walk = (e: unknown, depth: number): void => {
    if (typeof e !== 'object' || e === null || seen.has(e) || depth > 6) return;
    seen.add(e);
    const x = e as { code?: unknown; message?: unknown; errors?: unknown; cause?: unknown };
    if (typeof x.code === 'string' && /^E[A-Z_]+$/.test(x.code) && typeof x.message === 'string' && x.message.includes(x.code)) found.add(x.message);
    if (Array.isArray(x.errors)) for (const c of x.errors) walk(c, depth + 1);
    walk(x.cause, depth + 1);
  };
  walk(err, 0);
  return found.size === 0 ? '' : ` (${[...found].slice(0, 4).join('; ')})`;
}

/** " (they have N: a, b, ...)" of the topics a broker listed, sorted, at most 10 named; " (they have none)". */
function theyHave(topics: readonly string[]): string {
  const sorted = [...topics].sort();
  return sorted.length === 0 ? ' (they have none)' : ` (they have ${sorted.length}: ${sorted.slice(0, 10).join(', ')}${sorted.length > 10 ? ', ...' : ''})`;
}
