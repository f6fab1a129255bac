import { GetRecordsCommand, GetShardIteratorCommand, type KinesisClient, type _Record } from '@aws-sdk/client-kinesis';
import { KinesisRecord } from './kinesis-record.js';
import type { KinesisReaderConfig } from './kinesis-reader-config.js';
import { DROPPED_RETRIES, classify, describeFailure } from './kinesis-client.js';
import { shardPosition, type ShardCheckpoint } from './shard-checkpoint.js';
import type { ResolvedInitialPosition } from './initial-position.js';

/** What a shard reader reaches of its receiver run. */
export interface ShardReaderHost<T> {
  readonly client: KinesisClient;
  readonly config: KinesisReaderConfig;
  /** Receiver.store with the position of records[0]. */
  store(records: T[], position: number): Promise<void>;
  /** The messageHandler (the payload by default). */
  map(record: KinesisRecord): T;
  report(message: string, err: unknown): void;
  succeeded(): void;
  /** The run cannot go on (a store failed, the messageHandler threw): restart the receiver. */
  fail(message: string, err: unknown): void;
  /** Write the shard's checkpoint (per shard in call order). */
  writeCheckpoint(shardId: string, cp: ShardCheckpoint): Promise<void>;
  sleep(ms: number): Promise<void>;
  isStopped(): boolean;
}

/** Stores of a shard not yet durable before the reader waits for the oldest. */
const MAX_STORES_IN_FLIGHT = 3;

/**
 * Reads one shard from its start point to its end (or until the run stops), as a KCL
 * record processor: GetRecords in a loop; each response's records stored with the position
 * of the first (`shardPosition`); the last record whose store resolved (and every one
 * before it) is the shard's safe point, written as its checkpoint every checkpoint
 * interval, and with `end` once a closed shard was read to its end and all of it is safe.
 *
 * Invariants: nothing of the shard is stored before its pin is written (so positions
 * depend on the record only); the safe point only moves forward, in store order.
 * Threading: the receiver's thread; one GetRecords at a time.
 */
export class ShardReader<T> {
  /** Ordinal of the next record read. */
  private next: number;
  /** Sequence number of the last record handed to store (resume after it on a new iterator). */
  private lastRead: string | undefined;
  private pinned: boolean;
  private iterator: string | undefined;
  /** Stores not yet durable, oldest first. */
  private readonly inFlight: Promise<void>[] = [];
  /** Resolves once every store so far is durable (rejects if one failed). */
  private chain: Promise<void> = Promise.resolve();
  /** The latest safe point, and the one last written. */
  private safe: { after: string; next: number } | undefined;
  private written: string | undefined;
  private ended = false;
  /** A KPL-aggregated record of this shard was reported (once per reader). */
  private aggregatedReported = false;
  /** Calls in a row that failed on a connection the endpoint dropped and were tried again at once, unreported (DROPPED_RETRIES). */
  private droppedRetries = 0;

  constructor(
    readonly shardId: string,
    private readonly start: ShardCheckpoint,
    private readonly host: ShardReaderHost<T>,
  ) {
    this.next = start.next;
    this.pinned = start.at !== undefined || start.after !== undefined;
    this.written = start.after;
  }

  /** Read until the shard's end (resolves true) or the run stops (false). */
  async run(): Promise<boolean> {
    const h = this.host;
    const c = h.config;
    while (!h.isStopped()) {
      try {
        this.iterator ??= await this.getIterator();
        const out = await h.client.send(new GetRecordsCommand({ ShardIterator: this.iterator, Limit: c.maxRecordsPerRead }));
        h.succeeded();
        this.droppedRetries = 0;
        const records = out.Records ?? [];
        // As Spark's KinesisRecordProcessor: records that come once the receiver stopped are not stored.
        if (h.isStopped()) return false;
        if (records.length > 0) await this.take(records);
        if (h.isStopped()) return false;
        if (!out.NextShardIterator) {
          await this.finish();
          return true;
        }
        this.iterator = out.NextShardIterator;
        // As the KCL's idleTimeBetweenReadsInMillis: Kinesis allows 5 GetRecords a second per shard.
        await h.sleep(c.idleTimeBetweenReadsMs);
      } catch (err) {
        if (h.isStopped()) return false;
        this.iterator = undefined;
        const kind = classify(err);
        if (kind === 'expired-iterator') continue;
        if (kind === 'dropped' && this.droppedRetries < DROPPED_RETRIES) {
          // A keep-alive connection the endpoint closed as the call went out: tried again at
          // once on another, reported only when the calls keep failing (see DROPPED_RETRIES).
          this.droppedRetries++;
          continue;
        }
        this.droppedRetries = 0;
        if (kind !== 'throttled') h.report(describeFailure(err, c, c.retryWaitMs), err);
        await h.sleep(c.retryWaitMs);
      }
    }
    return false;
  }

  private async getIterator(): Promise<string> {
    const c = this.host.config;
    const base = { StreamName: c.streamName, ShardId: this.shardId };
    let input: ConstructorParameters<typeof GetShardIteratorCommand>[0];
    const after = this.lastRead ?? this.start.after;
    if (after !== undefined) input = { ...base, ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: after };
    else if (this.start.at !== undefined) input = { ...base, ShardIteratorType: 'AT_SEQUENCE_NUMBER', StartingSequenceNumber: this.start.at };
    else input = { ...base, ...iteratorFor(this.start.from ?? c.initialPosition) };
    const out = await this.host.client.send(new GetShardIteratorCommand(input));
    return out.ShardIterator!;
  }

  private async take(records: _Record[]): Promise<void> {
    const h = this.host;
    if (!this.pinned) {
      // The first record read is where this shard's positions start: pinned before any is stored.
      await h.writeCheckpoint(this.shardId, { at: records[0]!.SequenceNumber!, next: this.next });
      this.pinned = true;
    }
    const mapped: T[] = [];
    for (const r of records) {
      try {
        mapped.push(h.map(toKinesisRecord(r, this.shardId)));
      } catch (err) {
        // Nothing of the response is stored: the restarted receiver reads the shard again from
        // its checkpoint and meets the record again, so the shard stops here until the handler
        // takes it. Say which record, the handler's error, and the way out.
        h.fail(
          `Kinesis: the messageHandler threw on record ${r.SequenceNumber} (partition key ${JSON.stringify(r.PartitionKey ?? '')}) of shard ${this.shardId} of stream '${h.config.streamName}': ${(err as Error)?.message ?? String(err)}; ` +
            `the receiver restarts and reads the shard again from its checkpoint, so the shard stops at this record until the handler takes it: return a value for every record in buildWithMessageHandler (catch the error, return null and filter the nulls out) and submit the job again on the same checkpoint directory`,
          err,
        );
        throw err;
      }
    }
    if (!this.aggregatedReported) {
      const aggregated = records.find((r) => isKplAggregated(r.Data));
      if (aggregated) {
        this.aggregatedReported = true;
        h.report(
          `Kinesis: record ${aggregated.SequenceNumber} of shard ${this.shardId} of stream '${h.config.streamName}' is aggregated by the Kinesis Producer Library (it starts with the KPL's magic bytes f3899ac2): Sluice gives such records as written, one record each, where Spark's KCL de-aggregates them; turn aggregation off in the producer (KPL AggregationEnabled=false) or split them in buildWithMessageHandler`,
          undefined,
        );
      }
    }
    const position = shardPosition(this.shardId, this.next);
    const stored = h.store(mapped, position);
    this.next += records.length;
    this.lastRead = records[records.length - 1]!.SequenceNumber!;
    const point = { after: this.lastRead, next: this.next };
    this.chain = this.chain.then(() => stored).then(() => {
      this.safe = point;
    });
    this.chain.catch((err: unknown) => h.fail(`Kinesis: could not store ${records.length} records of shard ${this.shardId}; the reader starts again from its checkpoint`, err));
    this.inFlight.push(stored);
    if (this.inFlight.length >= MAX_STORES_IN_FLIGHT) await this.inFlight.shift()!.catch(() => undefined);
  }

  /** A closed shard read to its end: once all of it is safe, its checkpoint says so. */
  private async finish(): Promise<void> {
    await this.chain;
    const cp: ShardCheckpoint = { ...(this.safe ? { after: this.safe.after } : this.start.after ? { after: this.start.after } : {}), next: this.next, end: true };
    // Ended before the write is queued: a periodic checkpoint() queued after it would
    // otherwise overwrite `end`, and the shard's children would wait for it forever.
    this.ended = true;
    await this.host.writeCheckpoint(this.shardId, cp);
  }

  /** Write the safe point if it moved since the last write (every checkpoint interval, and at stop). */
  async checkpoint(): Promise<void> {
    const s = this.safe;
    if (this.ended || !s || s.after === this.written) return;
    this.written = s.after;
    await this.host.writeCheckpoint(this.shardId, { after: s.after, next: s.next });
  }
}

function iteratorFor(p: ResolvedInitialPosition): { ShardIteratorType: 'LATEST' | 'TRIM_HORIZON' | 'AT_TIMESTAMP'; Timestamp?: Date } {
  return p.kind === 'AT_TIMESTAMP' ? { ShardIteratorType: 'AT_TIMESTAMP', Timestamp: new Date(p.timestampMs) } : { ShardIteratorType: p.kind };
}

function toKinesisRecord(r: _Record, shardId: string): KinesisRecord {
  const d = r.Data ?? new Uint8Array(0);
  return new KinesisRecord(Buffer.from(d.buffer, d.byteOffset, d.byteLength), r.PartitionKey ?? '', r.SequenceNumber ?? '', r.ApproximateArrivalTimestamp, shardId);
}

/** The Kinesis Producer Library's aggregated-record magic (then a protobuf AggregatedRecord and its MD5). */
const KPL_MAGIC = [0xf3, 0x89, 0x9a, 0xc2] as const;

/** Whether a record's payload is a KPL aggregate: its magic, then at least the 16-byte MD5. */
function isKplAggregated(d: Uint8Array | undefined): boolean {
  return d !== undefined && d.byteLength > KPL_MAGIC.length + 16 && KPL_MAGIC.every((b, i) => d[i] === b);
}
