import { ErrorCode } from './protocol/messages.js';
import { withBaseOffset, type StoredBatch } from './protocol/record-batch.js';

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
  endOffset = 0n;
  leaderEpoch = 0;

  constructor(
    readonly topic: string,
    readonly partition: number,
    public leader: number,
  ) {}

  get startOffset(): bigint {
    return 0n;
  }

  append(batch: StoredBatch): AppendResult {
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
    this.batches.push({ base, last: base + BigInt(h.lastOffsetDelta), bytes: withBaseOffset(batch.bytes, base, this.leaderEpoch) });
    this.endOffset = base + BigInt(h.lastOffsetDelta) + 1n;
    const waiters = this.waiters;
    this.waiters = new Set();
    for (const w of waiters) w();
    return { errorCode: ErrorCode.NONE, baseOffset: base };
  }

  /** Whole batches from the one holding `from`, up to maxBytes (at least one batch). */
  read(from: bigint, maxBytes: number): Buffer {
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
      const b = this.batches[i]!.bytes;
      if (out.length > 0 && size + b.length > maxBytes) break;
      out.push(b);
      size += b.length;
    }
    return Buffer.concat(out, size);
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
