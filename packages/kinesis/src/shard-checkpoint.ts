import { SluiceError, openCheckpointStore, type CheckpointStore } from '@sluice/core';
import type { ResolvedInitialPosition } from './initial-position.js';

/**
 * One shard's checkpoint, as Spark's KCL keeps a lease's checkpoint in DynamoDB: where its
 * reader resumes, and the stream position (Receiver.store's `position`) of the record there.
 *
 * A record's position is a function of the record: the first record read from a shard is
 * pinned (`at` its sequence number, ordinal 0) before anything of the shard is stored, and
 * every later checkpoint counts on from it; so a reader restarted from any checkpoint of
 * the shard gives each record the position it had before, and the driver counts each
 * position once (records stored again after a restart are left out of the batch).
 */
export interface ShardCheckpoint {
  /**
   * Claimed, nothing read yet: where the shard starts (the initial position, or
   * TRIM_HORIZON for a child of shards this application read). Its readers start there
   * until the first record pins the shard.
   */
  readonly from?: ResolvedInitialPosition;
  /** Resume at this sequence number (inclusive): the pin, before a record was safe. */
  readonly at?: string;
  /** Resume after this sequence number: every record up to it is safe. */
  readonly after?: string;
  /** Ordinal of the next record to read (the one `at`, or the one after `after`). */
  readonly next: number;
  /** The shard is closed (split or merged) and read to its end, every record of it safe. */
  readonly end?: boolean;
}

/** A shard checkpoint that does not parse (SLUICE_CHECKPOINT): its shard waits for the file to be fixed. */
export class DamagedShardCheckpointError extends SluiceError {
  constructor(message: string, options: { cause: unknown }) {
    super('SLUICE_CHECKPOINT', message, options);
    this.name = 'DamagedShardCheckpointError';
  }
}

/** What reading a shard from `initial` again means for the records read before its checkpoint was damaged. */
function deletionMeans(initial: ResolvedInitialPosition | undefined): string {
  switch (initial?.kind) {
    case 'TRIM_HORIZON':
      return "TRIM_HORIZON: every record of it Kinesis still keeps is read again, those the job read before included (counted twice by a job that is not idempotent)";
    case 'LATEST':
      return 'LATEST: only records put from then on are read; those put since the last checkpoint and not read yet are skipped';
    case 'AT_TIMESTAMP':
      return `{ atTimestamp: ${new Date(initial.timestampMs).toISOString()} }: the records from then on are read again, those the job read before included`;
    default:
      return 'again (TRIM_HORIZON reads the records read before again, LATEST skips those put since the last checkpoint)';
  }
}

/** Records per shard that positions can tell apart (2^40); shard numbers share 2^13 slots. */
const ORDINALS = 2 ** 40;
const SLOTS = 2 ** 13;

/** The shard's number (`shardId-000000000007` is 7). */
export function shardNumber(shardId: string): number {
  const m = /^shardId-(\d+)$/.exec(shardId);
  if (m) return Number(m[1]);
  let h = 0;
  for (let i = 0; i < shardId.length; i++) h = (Math.imul(h, 31) + shardId.charCodeAt(i)) >>> 0;
  return h;
}

/**
 * The stream position of the shard's record with `ordinal`: each shard number has its own
 * range (shard numbers 8192 apart share one; a stream is not resharded that often within
 * one job), ordinals up to 2^40 (35 years at Kinesis' 1,000 records/s a shard).
 */
export function shardPosition(shardId: string, ordinal: number): number {
  if (ordinal >= ORDINALS) {
    throw new SluiceError('SLUICE_INTERNAL', `Kinesis: shard ${shardId} has more than 2^40 records since its first checkpoint; positions would overlap`);
  }
  return (shardNumber(shardId) % SLOTS) * ORDINALS + ordinal;
}

/**
 * The checkpoints of one application's reading of one stream, in the job's checkpoint
 * store (`<checkpointDir>/kinesis/<checkpointAppName>/<streamName>/<shardId>.json`): the
 * driver and every worker reach it (a shared directory or S3), so a reader of a child
 * shard sees that its parents, read by other readers, are done.
 * Threading: any thread; writes are atomic (the store's contract).
 */
export class ShardCheckpoints {
  private readonly store: CheckpointStore;
  private readonly prefix: string;

  constructor(
    checkpointDir: string,
    private readonly appName: string,
    private readonly streamName: string,
    /** Where a shard with no checkpoint starts: what deleting a damaged one means (read's advice). */
    private readonly initial?: ResolvedInitialPosition,
  ) {
    this.store = openCheckpointStore(checkpointDir);
    this.prefix = `kinesis/${appName}/${streamName}/`;
  }

  describe(shardId: string): string {
    return this.store.describe(this.key(shardId));
  }

  private key(shardId: string): string {
    return `${this.prefix}${shardId}.json`;
  }

  async read(shardId: string): Promise<ShardCheckpoint | undefined> {
    const b = await this.store.read(this.key(shardId));
    if (!b) return undefined;
    try {
      const cp = JSON.parse(b.toString('utf8')) as ShardCheckpoint;
      if (!Number.isSafeInteger(cp.next)) throw new Error('no ordinal');
      return cp;
    } catch (err) {
      throw new DamagedShardCheckpointError(
        `Kinesis: the checkpoint of shard ${shardId} (stream '${this.streamName}', checkpointAppName '${this.appName}'), ${this.describe(shardId)}, is damaged (${(err as Error).message}): ` +
          `its reader does not know where to resume, so the shard is not read until the file is fixed (the stream's other shards are read meanwhile). ` +
          `Put back a copy of it if you have one (JSON: {"after":"<sequence number of the last record read>","next":<records read>}), or delete it: the shard is then read from initialPosition ${deletionMeans(this.initial)}`,
        { cause: err },
      );
    }
  }

  async write(shardId: string, cp: ShardCheckpoint): Promise<void> {
    await this.store.write(this.key(shardId), JSON.stringify(cp));
  }

  /**
   * Removes the temporary files a writer of this shard's checkpoint left when it was killed
   * mid-write (a reader's worker killed, or its task stopped when the driver went away): the
   * checkpoint is written over in place and its directory outlives the job, so nothing else
   * would. Its reader calls it as it takes the shard, before it writes.
   */
  async removeLeftovers(shardId: string): Promise<void> {
    await this.store.removeTemporary(`${this.key(shardId)}.`);
  }
}
