import fs from 'node:fs';
import path from 'node:path';
import { SluiceError } from '../errors.js';
import type { RDD } from '../rdd/rdd.js';
import { shipReceiver } from '../receiver/ship-receiver.js';
import type { Receiver } from '../receiver/receiver.js';
import type { ReceivedBlock } from '../streaming/streaming-backend.js';
import type { StreamingContext } from '../streaming/streaming-context.js';
import { DStream } from './dstream.js';

/** A stream read straight from a source at each batch time, without receivers. */
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

  protected compute(): RDD<T> {
    if (this.queue.length === 0) return this.defaultRDD ?? this.ssc.sc.emptyRDD<T>();
    if (this.oneAtATime) return this.queue.shift()!;
    const all = this.queue.splice(0);
    return this.ssc.sc.union(all);
  }
}

/**
 * textFileStream / fileStream, as Spark's FileInputDStream: at each batch the driver
 * lists the directory; files that appeared since the last batch (moved in atomically)
 * become that batch's data. Each file is read exactly once; hidden and `_` files skipped.
 */
export class FileInputDStream extends InputDStream<string> {
  private readonly seen = new Set<string>();
  private readonly batches = new Map<number, string[]>();

  constructor(
    ssc: StreamingContext,
    readonly directory: string,
    private readonly fileFilter: (file: string) => boolean,
    private readonly newFilesOnly: boolean,
  ) {
    super(ssc);
  }

  override start(): void {
    try {
      fs.mkdirSync(this.directory, { recursive: true });
      if (this.newFilesOnly) for (const f of this.list()) this.seen.add(f);
    } catch (err) {
      throw new SluiceError('SLUICE_IO', `textFileStream: cannot read directory '${this.directory}': ${(err as Error).message}`, { cause: err });
    }
  }

  private list(): string[] {
    return fs
      .readdirSync(this.directory)
      .filter((n) => !n.startsWith('.') && !n.startsWith('_'))
      .map((n) => path.join(this.directory, n))
      // An entry gone since the listing (or a dangling link) is no file yet: skip it.
      .filter((f) => this.fileFilter(f) && fs.statSync(f, { throwIfNoEntry: false })?.isFile() === true)
      .sort();
  }

  override async prepareBatch(time: number): Promise<void> {
    const fresh = this.list().filter((f) => !this.seen.has(f));
    for (const f of fresh) this.seen.add(f);
    this.batches.set(time, fresh);
  }

  protected compute(time: number): RDD<string> {
    const files = this.batches.get(time) ?? [];
    this.batches.delete(time);
    const sc = this.ssc.sc;
    if (files.length === 0) return sc.emptyRDD<string>();
    return sc.union(files.map((f) => sc.textFile(f, 1)));
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
