import type { GroupCoordinator } from './group-coordinator.js';
import type { PartitionLog } from './partition-log.js';
import { ErrorCode } from './protocol/messages.js';

interface TxnState {
  readonly producerId: bigint;
  epoch: number;
  /** Partitions added to the open transaction (AddPartitionsToTxn). */
  readonly partitions: Set<PartitionLog>;
  /** Groups added (AddOffsetsToTxn). */
  readonly groups: Set<string>;
  /** Offsets written in the transaction (TxnOffsetCommit), made visible at commit: group -> topic/partition -> offset. */
  readonly offsets: Map<string, Map<string, { topic: string; partition: number; offset: bigint }>>;
}

/**
 * Kafka's transaction coordinator, small: one state per transactional id (producer id,
 * epoch, the partitions and groups of the open transaction, its pending offsets).
 * Semantics follow KIP-98 as the Java broker and franz-go's kfake implement them:
 * - InitProducerId with a transactional id gives the id's producer id and a new epoch;
 *   a transaction the id had open is aborted first (abort markers), so an older producer
 *   with the same id is fenced: its requests with the old epoch get PRODUCER_FENCED.
 * - EndTxn writes a commit or abort marker to every partition of the transaction; at a
 *   commit the transaction's offsets become the groups' committed offsets, at an abort
 *   they are dropped.
 * Left out: transaction timeouts (an open transaction stays open until its id is
 * re-initialised or it ends), two-phase PREPARE states, coordinator moves.
 */
export class TransactionCoordinator {
  private readonly txns = new Map<string, TxnState>();

  constructor(
    private readonly groups: GroupCoordinator,
    private readonly newProducerId: () => bigint,
  ) {}

  initProducerId(transactionalId: string): { errorCode: number; producerId: bigint; producerEpoch: number } {
    const t = this.txns.get(transactionalId);
    if (!t) {
      const fresh: TxnState = { producerId: this.newProducerId(), epoch: 0, partitions: new Set(), groups: new Set(), offsets: new Map() };
      this.txns.set(transactionalId, fresh);
      return { errorCode: 0, producerId: fresh.producerId, producerEpoch: 0 };
    }
    t.epoch++;
    this.end(t, false);
    return { errorCode: 0, producerId: t.producerId, producerEpoch: t.epoch };
  }

  /** The state of `transactionalId` if producerId/epoch are current, or an error code. */
  private check(transactionalId: string, producerId: bigint, epoch: number): TxnState | number {
    const t = this.txns.get(transactionalId);
    if (!t || t.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (epoch !== t.epoch) return ErrorCode.PRODUCER_FENCED;
    return t;
  }

  addPartitions(transactionalId: string, producerId: bigint, epoch: number, logs: (PartitionLog | undefined)[]): number[] {
    const t = this.check(transactionalId, producerId, epoch);
    return logs.map((log) => {
      if (typeof t === 'number') return t;
      if (!log) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      t.partitions.add(log);
      return 0;
    });
  }

  addOffsets(transactionalId: string, producerId: bigint, epoch: number, groupId: string): number {
    const t = this.check(transactionalId, producerId, epoch);
    if (typeof t === 'number') return t;
    t.groups.add(groupId);
    return 0;
  }

  txnOffsetCommit(transactionalId: string, producerId: bigint, epoch: number, groupId: string, topic: string, partition: number, offset: bigint): number {
    const t = this.check(transactionalId, producerId, epoch);
    if (typeof t === 'number') return t;
    if (!t.groups.has(groupId)) return ErrorCode.INVALID_TXN_STATE;
    let g = t.offsets.get(groupId);
    if (!g) t.offsets.set(groupId, (g = new Map()));
    g.set(`${topic}/${partition}`, { topic, partition, offset });
    return 0;
  }

  endTxn(transactionalId: string, producerId: bigint, epoch: number, commit: boolean): number {
    const t = this.check(transactionalId, producerId, epoch);
    if (typeof t === 'number') return t;
    this.end(t, commit);
    return 0;
  }

  private end(t: TxnState, commit: boolean): void {
    for (const log of t.partitions) if (log.hasOpenTxn(t.producerId) || commit) log.writeMarker(t.producerId, t.epoch, commit);
    if (commit) for (const [group, offsets] of t.offsets) for (const o of offsets.values()) this.groups.commit(group, o.topic, o.partition, o.offset);
    t.partitions.clear();
    t.groups.clear();
    t.offsets.clear();
  }
}
