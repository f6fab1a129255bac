import { ErrorCode } from './protocol/messages.js';
import { CONTROL, decodeRecords, encodeControlBatch, rewriteBatch, splitBatches, TRANSACTIONAL, withBaseOffset, withLogAppendTime, type PlainRecord, type StoredBatch } from './protocol/record-batch.js';

/** What an idempotent producer last wrote to one partition (Kafka keeps the last 5 batches). */
interface ProducerState {
  epoch: number;
  lastSequence: number;
  readonly recent: { firstSequence: number; lastSequence: number; baseOffset: bigint }[];
}

export interface AppendResult {
  readonly errorCode: number;
  readonly baseOffset: bigint;
}

/**
 * One partition's log in memory: batches with their assigned offsets, the leader and its
 * epoch, and idempotent producers' sequence numbers (a retried batch is acknowledged
 * with its first offset and not written twice; a gap is OUT_OF_ORDER_SEQUENCE_NUMBER).
 * Fetches waiting for data are woken by appends.
 */
export class PartitionLog {
  private readonly batches: { base: bigint; last: bigint; bytes: Buffer }[] = [];
  private readonly producers = new Map<bigint, ProducerState>();
  private waiters = new Set<() => void>();
  /** Producers with a transaction open on this partition: producer id -> its first offset here. */
  private readonly openTxns = new Map<bigint, bigint>();
  /** Aborted transactions: first data offset and the offset of the abort marker. */
  private readonly abortedTxns: { producerId: bigint; first: bigint; last: bigint }[] = [];
  endOffset = 0n;
  leaderEpoch = 0;
  /** The log start offset: records below it were deleted (retention, DeleteRecords). */
  private logStart = 0n;

  constructor(
    readonly topic: string,
    readonly partition: number,
    public leader: number,
    /** message.timestamp.type=LogAppendTime: the broker stamps each batch with its own clock. */
    readonly logAppendTime = false,
  ) {}

  get startOffset(): bigint {
    return this.logStart;
  }

  /** Deletes the records below `offset`, as retention or DeleteRecords do (the log start moves there). */
  deleteRecordsBefore(offset: bigint): void {
    if (offset > this.endOffset) throw new Error(`deleteRecordsBefore(${offset}): past the end ${this.endOffset}`);
    if (offset <= this.logStart) return;
    this.logStart = offset;
    while (this.batches.length > 0 && this.batches[0]!.last < offset) this.batches.shift();
  }

  /**
   * Compaction as the log cleaner does it: each batch keeps its header (base offset, last
   * offset delta, producer fields) and only the records `keep` accepts, at their own
   * offsets, so the log has gaps; a batch left with no record is removed.
   */
  compact(keep: (r: PlainRecord) => boolean): void {
    const kept: { base: bigint; last: bigint; bytes: Buffer }[] = [];
    for (const b of this.batches) {
      const bytes = rewriteBatch(b.bytes, keep);
      if (bytes) kept.push({ ...b, bytes });
    }
    this.batches.splice(0, this.batches.length, ...kept);
  }

  append(batch: StoredBatch): AppendResult {
    if (this.logAppendTime) batch = withLogAppendTime(batch, BigInt(Date.now()));
    const h = batch.header;
    if (h.producerId >= 0n && h.baseSequence >= 0) {
      let p = this.producers.get(h.producerId);
      if (p && h.producerEpoch < p.epoch) return { errorCode: ErrorCode.INVALID_PRODUCER_EPOCH, baseOffset: -1n };
      if (p && h.producerEpoch > p.epoch) p = undefined;
      const expected = p ? p.lastSequence + 1 : 0;
      const dup = p?.recent.find((r) => r.firstSequence === h.baseSequence);
      if (dup) return { errorCode: ErrorCode.NONE, baseOffset: dup.baseOffset };
      if (h.baseSequence !== expected) return { errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, baseOffset: -1n };
      const state = p ?? { epoch: h.producerEpoch, lastSequence: -1, recent: [] };
      state.lastSequence = h.baseSequence + h.lastOffsetDelta;
      state.recent.push({ firstSequence: h.baseSequence, lastSequence: state.lastSequence, baseOffset: this.endOffset });
      if (state.recent.length > 5) state.recent.shift();
      this.producers.set(h.producerId, state);
    }
    const base = this.endOffset;
    if ((h.attributes & TRANSACTIONAL) !== 0 && (h.attributes & CONTROL) === 0 && !this.openTxns.has(h.producerId)) this.openTxns.set(h.producerId, base);
    this.batches.push({ base, last: base + BigInt(h.lastOffsetDelta), bytes: withBaseOffset(batch.bytes, base, this.leaderEpoch) });
    this.endOffset = base + BigInt(h.lastOffsetDelta) + 1n;
    const waiters = this.waiters;
    this.waiters = new Set();
    for (const w of waiters) w();
    return { errorCode: ErrorCode.NONE, baseOffset: base };
  }

  /**
   * The last stable offset: the first offset of the oldest transaction still open here
   * (read_committed consumers see nothing from it on), or the end of the log.
   */
  get lastStableOffset(): bigint {
    let lso = this.endOffset;
    for (const first of this.openTxns.values()) if (first < lso) lso = first;
    return lso;
  }

  /** Whether `producerId` has a transaction open on this partition. */
  hasOpenTxn(producerId: bigint): boolean {
    return this.openTxns.has(producerId);
  }

  /**
   * Ends `producerId`'s transaction here with a commit or abort marker (a control batch,
   * one offset), as the transaction coordinator does at EndTxn. An abort is remembered
   * so read_committed fetches can list it.
   */
  writeMarker(producerId: bigint, producerEpoch: number, commit: boolean): void {
    const first = this.openTxns.get(producerId);
    this.openTxns.delete(producerId);
    const at = this.endOffset;
    this.append(splitBatches(encodeControlBatch(producerId, producerEpoch, commit, BigInt(Date.now())))[0]!);
    if (!commit && first !== undefined) this.abortedTxns.push({ producerId, first, last: at });
  }

  /** Producers with a transaction open here (tests watch for a transaction in flight). */
  openProducers(): bigint[] {
    return [...this.openTxns.keys()];
  }

  /** How many transactions were aborted here after writing data. */
  get abortedCount(): number {
    return this.abortedTxns.length;
  }

  /** Every transaction aborted here after writing data: its producer, its first offset and its abort marker's offset. */
  abortedTransactions(): readonly { readonly producerId: bigint; readonly first: bigint; readonly last: bigint }[] {
    return [...this.abortedTxns];
  }

  /** Aborted transactions overlapping offsets [from, to), as a read_committed Fetch lists them. */
  abortedBetween(from: bigint, to: bigint): { producerId: bigint; firstOffset: bigint }[] {
    return this.abortedTxns.filter((a) => a.last >= from && a.first < to).map((a) => ({ producerId: a.producerId, firstOffset: a.first }));
  }

  /** Whole batches from the one holding `from`, up to maxBytes (at least one batch), ending below `limit`. */
  read(from: bigint, maxBytes: number, limit: bigint = this.endOffset): Buffer {
    let lo = 0;
    let hi = this.batches.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.batches[mid]!.last < from) lo = mid + 1;
      else hi = mid;
    }
    const out: Buffer[] = [];
    let size = 0;
    for (let i = lo; i < this.batches.length; i++) {
      if (this.batches[i]!.last >= limit) break;
      const b = this.batches[i]!.bytes;
      if (out.length > 0 && size + b.length > maxBytes) break;
      out.push(b);
      size += b.length;
    }
    return Buffer.concat(out, size);
  }

  /**
   * ListOffsets by timestamp, as Kafka's: the first record below `limit` whose timestamp is
   * at least `ts` (the first batch whose max timestamp is, then the record in it), or
   * undefined when there is none.
   */
  offsetForTimestamp(ts: bigint, limit: bigint): { offset: bigint; timestamp: bigint } | undefined {
    for (const b of this.batches) {
      if (b.base >= limit) break;
      if ((b.bytes.readInt16BE(21) & CONTROL) !== 0) continue;
      const maxTimestamp = b.bytes.readBigInt64BE(35);
      if (maxTimestamp < ts) continue;
      if ((b.bytes.readInt16BE(21) & 0x7) !== 0) return { offset: b.base, timestamp: maxTimestamp };
      const r = decodeRecords(b.bytes).find((x) => x.timestamp >= ts && x.offset < limit);
      if (r) return { offset: r.offset, timestamp: r.timestamp };
    }
    return undefined;
  }

  /** Every stored batch, in offset order (for tests). */
  allBatches(): readonly Buffer[] {
    return this.batches.map((b) => b.bytes);
  }

  /** Calls `fn` once, at the next append. Returns a cancel function. */
  onAppend(fn: () => void): () => void {
    this.waiters.add(fn);
    return () => this.waiters.delete(fn);
  }
}
