import type { RDD } from '../rdd/rdd.js';
import { shipReceiver } from '../receiver/ship-receiver.js';
import type { Receiver } from '../receiver/receiver.js';
import type { ReceivedBlock } from '../streaming/streaming-backend.js';
import type { StreamingContext } from '../streaming/streaming-context.js';
import { DStream } from './dstream.js';

/**
 * A stream read straight from a source at each batch time (or fed by a receiver).
 *
 * Recovery hooks (metadata checkpoints): `checkpointData()` returns, as plain JSON, what
 * this input took for each batch time it still remembers (files; blocks with their
 * write-ahead-log places; offset ranges) and its position in the source. A metadata
 * checkpoint stores it keyed by stream id; on recovery `restoreCheckpointData(data)` is
 * called with it before `start()`. Afterwards `prepareBatch(t)` for a batch time the data
 * covers must leave that batch's input exactly as restored (a re-run batch reads what
 * the first run read), and `compute(t)` must build the RDD from it.
 */
export abstract class InputDStream<T> extends DStream<T> {
  get dependencies(): readonly DStream<unknown>[] {
    return [];
  }

  get slideDuration(): number {
    return this.ssc.batchIntervalMs;
  }

  /** @internal Called once per batch before RDDs are generated. */
  async prepareBatch(_time: number): Promise<void> {}

  /** @internal Records in the batch at `time`, when the source knows (receivers do). */
  recordsAt(_time: number): number {
    return 0;
  }

  /** @internal */
  start(): void {}
  /** @internal */
  stop(): void {}

  /**
   * @internal What this input took for each batch time it remembers and its position, as
   * plain JSON (JSON.stringify must give it back unchanged); null when it keeps nothing
   * (the default: such an input is not replayable, e.g. queueStream).
   */
  checkpointData(): unknown {
    return null;
  }

  /** @internal Called on recovery, before `start()`, with what `checkpointData()` returned. */
  restoreCheckpointData(_data: unknown): void {}
}

/** queueStream: each batch takes the next RDD of a queue (or all queued ones). */
export class QueueInputDStream<T> extends InputDStream<T> {
  constructor(
    ssc: StreamingContext,
    private readonly queue: RDD<T>[],
    private readonly oneAtATime: boolean,
    private readonly defaultRDD: RDD<T> | undefined,
  ) {
    super(ssc);
  }

  override fingerprint(): { readonly op: string; readonly params: Record<string, unknown> } {
    return { op: 'QueueInputDStream', params: { oneAtATime: this.oneAtATime } };
  }

  protected compute(): RDD<T> {
    if (this.queue.length === 0) return this.defaultRDD ?? this.ssc.sc.emptyRDD<T>();
    if (this.oneAtATime) return this.queue.shift()!;
    const all = this.queue.splice(0);
    return this.ssc.sc.union(all);
  }
}

/**
 * A stream fed by a Receiver running on a worker. At each batch the blocks its receiver
 * stored since the previous batch become the partitions of the batch's RDD.
 */
export class ReceiverInputDStream<T> extends InputDStream<T> {
  private readonly blocks = new Map<number, ReceivedBlock[]>();

  constructor(
    ssc: StreamingContext,
    private readonly receiver: Receiver<T>,
    readonly name: string,
  ) {
    super(ssc);
  }

  override fingerprint(): { readonly op: string; readonly params: Record<string, unknown> } {
    return { op: 'ReceiverInputDStream', params: { name: this.name } };
  }

  override start(): void {
    const shipped = shipReceiver(this.receiver as Receiver<unknown>, this.name);
    this.ssc.streamingBackend().startReceiver(this.id, shipped, this.ssc.blockIntervalMs);
  }

  override async prepareBatch(time: number): Promise<void> {
    this.blocks.set(time, await this.ssc.streamingBackend().allocateBlocks(this.id));
  }

  override recordsAt(time: number): number {
    return (this.blocks.get(time) ?? []).reduce((a, b) => a + b.numRecords, 0);
  }

  protected compute(time: number): RDD<T> {
    const blocks = this.blocks.get(time) ?? [];
    return this.ssc.sc.blockRDD<T>(blocks);
  }

  override clearOldRDDs(time: number): RDD<T>[] {
    const dropped = super.clearOldRDDs(time);
    const keep = Math.max(this.rememberMs, this.slideDuration);
    const ids: string[] = [];
    for (const [t, bs] of this.blocks) {
      if (t <= time - keep) {
        this.blocks.delete(t);
        for (const b of bs) ids.push(b.blockId);
      }
    }
    if (ids.length > 0) this.ssc.streamingBackend().removeBlocks(ids);
    return dropped;
  }
}
