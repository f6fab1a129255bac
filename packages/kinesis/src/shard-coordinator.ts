import { ListShardsCommand, type KinesisClient, type Shard } from '@aws-sdk/client-kinesis';
import type { KinesisReaderConfig } from './kinesis-reader-config.js';
import { DROPPED_RETRIES, classify, describeFailure } from './kinesis-client.js';
import { DamagedShardCheckpointError, ShardCheckpoints, shardNumber, type ShardCheckpoint } from './shard-checkpoint.js';
import { ShardReader, type ShardReaderHost } from './shard-reader.js';
import type { KinesisRecord } from './kinesis-record.js';

/** Where a receiver sits among the readers of its stream and application. */
export interface ReaderPlacement {
  /** This receiver reads the shards whose number modulo `readers` is `readerIndex`. */
  readonly readerIndex: number;
  readonly readers: number;
  readonly checkpointDir: string;
}

/** What the coordinator reaches of its receiver. */
export interface CoordinatorHost<T> {
  store(records: T[], position: number): Promise<void>;
  map(record: KinesisRecord): T;
  reportError(message: string, err: unknown): void;
  restart(message: string, err: unknown): void;
}

/**
 * One run of a KinesisReceiver (onStart to onStop), as the KCL's worker without its lease
 * table: every `shardSyncIntervalMs` it lists the stream's shards and starts a ShardReader
 * for each shard this receiver owns (shard number modulo the readers of the stream) that
 * is ready — a shard with a checkpoint resumes after it; a new shard whose parents this
 * application read waits until each parent's checkpoint says it was read to the end, then
 * starts at its beginning (TRIM_HORIZON), so a split or merge loses and doubles nothing;
 * other new shards start at the initial position. Every `checkpointIntervalMs` it writes
 * each reader's safe point.
 *
 * Invariants: at most one reader per shard in a run; a shard is claimed (its checkpoint
 * written) before its reader starts, so children see that a parent is being read.
 * Threading: the receiver's thread; `stop()` ends the loops at their next await.
 */
export class ShardCoordinator<T> implements ShardReaderHost<T> {
  private stopped = false;
  private readonly readers = new Map<string, ShardReader<T>>();
  /** Shards of this receiver read to their end (or, under LATEST, closed before it read them). */
  private readonly done = new Set<string>();
  private readonly checkpoints: ShardCheckpoints;
  /** Shards whose checkpoint's leftover temporary files this coordinator removed (once each). */
  private readonly cleaned = new Set<string>();
  /** Per shard, the checkpoint writes in call order. */
  private readonly writes = new Map<string, Promise<void>>();
  private readonly sleepers = new Set<() => void>();
  private checkpointTimer: NodeJS.Timeout | undefined;
  private lastError = '';

  constructor(
    readonly client: KinesisClient,
    readonly config: KinesisReaderConfig,
    private readonly placement: ReaderPlacement,
    private readonly receiver: CoordinatorHost<T>,
  ) {
    this.checkpoints = new ShardCheckpoints(placement.checkpointDir, config.checkpointAppName, config.streamName, config.initialPosition);
  }

  start(): void {
    this.checkpointTimer = setInterval(() => this.checkpointAll(), this.config.checkpointIntervalMs);
    void this.syncLoop();
  }

  /** Stop reading; the safe points reached are written (not awaited by the receiver). */
  stop(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.stopped = true;
    clearInterval(this.checkpointTimer);
    for (const wake of this.sleepers) wake();
    this.sleepers.clear();
    const last = this.checkpointAll();
    this.client.destroy();
    return last;
  }

  isStopped(): boolean {
    return this.stopped;
  }

  store(records: T[], position: number): Promise<void> {
    return this.receiver.store(records, position);
  }

  map(record: KinesisRecord): T {
    return this.receiver.map(record);
  }

  report(message: string, err: unknown): void {
    if (this.stopped || message === this.lastError) return;
    this.lastError = message;
    this.receiver.reportError(message, err);
  }

  succeeded(): void {
    this.lastError = '';
  }

  fail(message: string, err: unknown): void {
    if (this.stopped) return;
    this.receiver.restart(message, err);
  }

  writeCheckpoint(shardId: string, cp: ShardCheckpoint): Promise<void> {
    const prev = this.writes.get(shardId) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(() => this.checkpoints.write(shardId, cp));
    this.writes.set(shardId, next);
    return next;
  }

  sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }

  private checkpointAll(): Promise<void> {
    const writes = [...this.readers.values()].map((r) =>
      r.checkpoint().catch((err: unknown) => this.report(`Kinesis: cannot write the checkpoint of shard ${r.shardId} (${this.checkpoints.describe(r.shardId)}): ${(err as Error).message}`, err)),
    );
    return Promise.all(writes).then(() => undefined);
  }

  private async syncLoop(): Promise<void> {
    let droppedRetries = 0;
    while (!this.stopped) {
      try {
        const shards = await this.listShards();
        this.succeeded();
        droppedRetries = 0;
        await this.assign(shards);
      } catch (err) {
        if (this.stopped) return;
        // A keep-alive connection the endpoint closed as the call went out: tried again at once, unreported (DROPPED_RETRIES, as ShardReader.run).
        if (classify(err) === 'dropped' && droppedRetries < DROPPED_RETRIES) {
          droppedRetries++;
          continue;
        }
        droppedRetries = 0;
        this.report(describeFailure(err, this.config, this.config.shardSyncIntervalMs), err);
      }
      await this.sleep(this.config.shardSyncIntervalMs);
    }
  }

  private async listShards(): Promise<Shard[]> {
    const shards: Shard[] = [];
    let token: string | undefined;
    do {
      const out = await this.client.send(new ListShardsCommand(token ? { NextToken: token } : { StreamName: this.config.streamName }));
      shards.push(...(out.Shards ?? []));
      token = out.NextToken;
    } while (token && !this.stopped);
    return shards;
  }

  /** Start a reader for each shard of this receiver that is ready. */
  private async assign(shards: readonly Shard[]): Promise<void> {
    const listed = new Set(shards.map((s) => s.ShardId!));
    const { readerIndex, readers } = this.placement;
    for (const s of shards) {
      const id = s.ShardId!;
      if (this.stopped) return;
      if (shardNumber(id) % readers !== readerIndex || this.readers.has(id) || this.done.has(id)) continue;
      if (!this.cleaned.has(id)) {
        this.cleaned.add(id);
        await this.checkpoints.removeLeftovers(id).catch((err: unknown) => this.report(`Kinesis: cannot remove what a killed writer left of the checkpoint of shard ${id} (${this.checkpoints.describe(id)}): ${(err as Error).message}`, err));
      }
      let start: ShardCheckpoint | 'wait' | 'done';
      try {
        start = await this.startPoint(s, listed);
      } catch (err) {
        // A damaged checkpoint holds back its shard (and the shard's children) alone: the
        // shards after it in the list are still read. Reported; tried again at the next sync.
        if (!(err instanceof DamagedShardCheckpointError)) throw err;
        this.report(`${err.message} (checked again every ${this.config.shardSyncIntervalMs} ms)`, err);
        continue;
      }
      if (start === 'wait') continue;
      if (start === 'done') {
        this.done.add(id);
        continue;
      }
      if (!start.at && !start.after) await this.writeCheckpoint(id, start); // claimed: children wait for it
      if (this.stopped) return;
      const reader = new ShardReader<T>(id, start, this);
      this.readers.set(id, reader);
      void reader.run().then((ended) => {
        if (!ended) return;
        this.readers.delete(id);
        this.done.add(id);
        // A child may be ready now.
        for (const wake of this.sleepers) wake();
      });
    }
  }

  /** Where the shard's reader starts; 'wait' while a parent is being read, 'done' when there is nothing to read. */
  private async startPoint(s: Shard, listed: ReadonlySet<string>): Promise<ShardCheckpoint | 'wait' | 'done'> {
    const own = await this.checkpoints.read(s.ShardId!);
    if (own?.end) return 'done';
    if (own) return own;
    const parents = [s.ParentShardId, s.AdjacentParentShardId].filter((p): p is string => p !== undefined && p !== null);
    const parentCheckpoints = await Promise.all(parents.map((p) => this.checkpoints.read(p)));
    if (parentCheckpoints.some((cp) => cp !== undefined && !cp.end)) return 'wait';
    if (parentCheckpoints.some((cp) => cp?.end)) {
      // Still-listed parents this application has not claimed yet come first as well.
      if (parents.some((p, i) => parentCheckpoints[i] === undefined && listed.has(p) && this.config.initialPosition.kind !== 'LATEST')) return 'wait';
      return { from: { kind: 'TRIM_HORIZON' }, next: 0 };
    }
    const initial = this.config.initialPosition;
    if (initial.kind === 'LATEST') {
      // A shard closed before this application read it holds nothing new.
      return s.SequenceNumberRange?.EndingSequenceNumber ? 'done' : { from: initial, next: 0 };
    }
    // TRIM_HORIZON, AT_TIMESTAMP: parents still kept by Kinesis are read first.
    if (parents.some((p) => listed.has(p))) return 'wait';
    return { from: initial, next: 0 };
  }
}
