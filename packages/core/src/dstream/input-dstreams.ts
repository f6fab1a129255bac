import type { RDD } from '../rdd/rdd.js';
import { userCallSite } from '../closure/call-site.js';
import { shipReceiver } from '../receiver/ship-receiver.js';
import { setReceiverStreamId, type Receiver } from '../receiver/receiver.js';
import { SluiceError } from '../errors.js';
import { SystemClock } from '../util/clock.js';
import type { ReceivedBlock } from '../streaming/streaming-backend.js';
import { ReceivedBlockLog, type ReceivedBlockLogData } from '../wal/received-block-log.js';
import type { StreamingContext } from '../streaming/streaming-context.js';
import { DStream } from './dstream.js';
import { currentScope, RDDOperationScope } from '../rdd/rdd-operation-scope.js';
import { fromTimeRuns, splitEmpty, type TimeRun } from '../checkpoint/time-runs.js';

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
  /**
   * @internal Spark's InputDStream.baseScope: the operation that made it with the stream's id,
   * `socket text stream [0]`, or else its class's name in words, `queue stream [3]`.
   */
  protected override initialBaseScope(): string | undefined {
    const outer = currentScope();
    const words = this.constructor.name
      .replaceAll('InputDStream', 'Stream')
      .split(/(?=[A-Z])/)
      .filter((w) => w.length > 0)
      .join(' ')
      .toLowerCase();
    return new RDDOperationScope(`${outer ? outer.name : words} [${this.id}]`).toJson();
  }

  get dependencies(): readonly DStream<unknown>[] {
    return [];
  }

  get slideDuration(): number {
    return this.ssc.batchIntervalMs;
  }

  /** @internal Backpressure sets this input's rate (receiver streams and direct inputs; Spark's rateController). */
  get rateControlled(): boolean {
    return false;
  }

  /** @internal How the input is named in logs and flow status. */
  get inputName(): string {
    return this.constructor.name;
  }

  /** @internal Called once per batch before RDDs are generated. */
  async prepareBatch(_time: number): Promise<void> {}

  /** @internal Records in the batch at `time`, when the source knows (receivers and direct inputs do); undefined otherwise. */
  recordsAt(_time: number): number | undefined {
    return undefined;
  }

  /** @internal What the batch at `time` took, for its input info (Spark's StreamInputInfo.metadata); undefined when the source says nothing. */
  inputMetadataAt(_time: number): Readonly<Record<string, unknown>> | undefined {
    return undefined;
  }

  /**
   * @internal Whether the batch at `time` must not run before a metadata checkpoint records
   * what it took: a recovery from an older one would give that batch time other input (see
   * StreamingContext.generateBatch). False by default.
   */
  inputMustBeRecorded(_time: number): boolean {
    return false;
  }

  /**
   * @internal Whether some batch of this stream may have to wait for a metadata checkpoint
   * (inputMustBeRecorded): what a refused metadata write's warning says of the batches to come.
   */
  inputMayNeedRecord(): boolean {
    return false;
  }

  /** @internal */
  start(): void {}
  /**
   * Called once as the context stops, after the last batch's input was taken: a subclass (a
   * DirectInputDStream's, as DirectKafkaInputDStream closes its client) may release its source
   * here. No batch is generated after it, so neither `compute` nor a direct input's `nextRanges`
   * is called again (Spark's SPARK-22955: a graceful stop stops the inputs after the generator).
   */
  stop(): void {}

  /**
   * @internal What this input took for each batch time it remembers and its position, as
   * plain JSON (JSON.stringify must give it back unchanged); null when it keeps nothing
   * (the default: such an input is not replayable, e.g. queueStream).
   */
  checkpointData(): unknown {
    return null;
  }

  /**
   * @internal Called on recovery, before `start()`, with what `checkpointData()` returned, the
   * batch times recovery runs again (the checkpoint's pending ones; undefined: every restored
   * batch counts as one) and the windows reading this input (their streams' descriptions).
   */
  restoreCheckpointData(_data: unknown, _rerun?: ReadonlySet<number>, _windowsReading?: readonly string[]): void {}
}

/** queueStream: each batch takes the next RDD of a queue (or all queued ones). */
export class QueueInputDStream<T> extends InputDStream<T> {
  constructor(
    ssc: StreamingContext,
    private readonly queue: RDD<T>[],
    private readonly oneAtATime: boolean,
    /** The RDD of a batch when the queue is empty: null or undefined mean an empty RDD (as Spark's defaultRDD = null). */
    private readonly defaultRDD: RDD<T> | null | undefined,
  ) {
    super(ssc);
  }

  override fingerprint(): { readonly op: string; readonly params: Record<string, unknown> } {
    return { op: 'QueueInputDStream', params: { oneAtATime: this.oneAtATime } };
  }

  protected compute(): RDD<T> | undefined {
    // As Spark 2+'s QueueInputDStream: an empty RDD when no defaultRDD was given (null too), so outputs run.
    if (this.queue.length === 0) return this.defaultRDD ?? this.ssc.sc.emptyRDD<T>();
    if (this.oneAtATime) return this.queue.shift()!;
    const all = this.queue.splice(0);
    return this.ssc.sc.union(all);
  }
}

/** What a receiver stream's `checkpointData()` returns: plain JSON, restored by `restoreCheckpointData`. */
export interface ReceiverStreamCheckpoint {
  readonly kind: 'receiverStream';
  readonly name: string;
  /** The blocks each remembered batch took, with their places in the write-ahead log (the batches that took any). */
  readonly batches: [number, ReceivedBlock[]][];
  /**
   * The remembered batch times that took no block, as runs of the batch interval (a backlog
   * of empty batches is one run). Absent in checkpoints written before: `batches` held them.
   */
  readonly emptyBatches?: TimeRun[];
  /**
   * The remembered batch times restored without received blocks they had (lost with an
   * earlier run, the log off), so that a recovery from this checkpoint still knows their input
   * is not what it was (inputLostIn). Absent when there are none.
   */
  readonly lostBatches?: number[];
  readonly log: ReceivedBlockLogData;
}

/**
 * A stream fed by a Receiver running on a worker. At each batch the blocks its receiver
 * reported since the previous batch's time, up to this one's, become the partitions of the batch's RDD.
 *
 * With the write-ahead log on (StreamingContextOptions.writeAheadLog) every block is in
 * the log before it is reported, and a ReceivedBlockLog hands each logged block to exactly
 * one batch: reported blocks, and blocks of receiver placements that ended before
 * reporting them. Recovery: `checkpointData()` holds each remembered batch's blocks (with
 * their log places) and the log's marks; a restored batch takes exactly its blocks again
 * (read from the log when no worker holds them), and the first new batch takes every
 * logged block no batch took. Segments are deleted once their batches are forgotten.
 */
export class ReceiverInputDStream<T> extends InputDStream<T> {
  private readonly blocks = new Map<number, ReceivedBlock[]>();
  /** Batches restored from a checkpoint without some of their blocks (the log off): see inputLostIn. Forgotten with their blocks. */
  private readonly lostBatches = new Set<number>();
  private log: ReceivedBlockLog | undefined;
  private liveWriters: readonly string[] = [];
  /** Log reads and deletions, one at a time. */
  private logOps: Promise<unknown> = Promise.resolve();

  constructor(
    ssc: StreamingContext,
    private readonly receiver: Receiver<T>,
    readonly name: string,
  ) {
    super(ssc);
    setReceiverStreamId(receiver, this.id);
  }

  /** Where the job's code made this stream (ssc.receiverStream), for errors about its receiver. */
  private readonly callSite = userCallSite();

  override fingerprint(): { readonly op: string; readonly params: Record<string, unknown> } {
    return { op: 'ReceiverInputDStream', params: { name: this.name } };
  }

  override get rateControlled(): boolean {
    return true;
  }

  override get inputName(): string {
    return this.name;
  }

  private blockLog(): ReceivedBlockLog {
    this.log ??= new ReceivedBlockLog(this.id, this.ssc.receiverRunOptions(this.id).wal?.dir, (t) =>
      this.ssc.sc.log(
        'warn',
        `${this.name}: write-ahead log segment '${t.segment}' ends in a torn record: its last ${t.size - t.offset} bytes (from offset ${t.offset} of ${t.size}) are not a complete record and are skipped. ` +
          `Its writer (receiver placement ${t.writer}) died while appending a block there, before the block was acknowledged, so a reliable source sends those records again; nothing stored before it is affected. ` +
          'If the file was cut by other means (a copy or restore), the blocks in those bytes are lost: restore the segment from a backup to keep them.',
        { streamId: this.id, segment: t.segment, writer: t.writer, droppedBytes: t.size - t.offset, offset: t.offset, size: t.size },
      ),
      (d) => {
        const which = `${d.seqs ? `blocks ${d.seqs[0]} to ${d.seqs[1]} of receiver placement ${d.writer}` : `the blocks of receiver placement ${d.writer} there`}${d.positions ? ` (source positions ${d.positions[0]} to ${d.positions[1] - 1})` : ''}`;
        this.ssc.sc.log(
          'warn',
          `${this.name}: write-ahead log segment '${d.segment}' is damaged at offset ${d.offset} (${d.why}): its bytes ${d.offset} to ${d.end} hold no readable record and are skipped; ` +
            `the ${d.recordsAfter} complete record${d.recordsAfter === 1 ? '' : 's'} after them ${d.recordsAfter === 1 ? 'is' : 'are'} read. ` +
            (d.handedOut
              ? `Those bytes held ${which}, which went to batches before: nothing is lost unless a batch run again reads them.`
              : `Those bytes held ${which}, stored and acknowledged: their records are lost, as the source does not send acknowledged records again. The file was changed after it was written (a disk fault, a copy or restore): restore the segment from a backup to keep them.`),
          { streamId: this.id, segment: d.segment, writer: d.writer, offset: d.offset, end: d.end, lostBlocks: d.seqs, lostPositions: d.positions, recordsAfter: d.recordsAfter, handedOut: d.handedOut },
        );
      },
      this.ssc.receiverRunOptions(this.id).wal?.fenceKeepMs,
    );
    return this.log;
  }

  /** Checked with the graph at start(), before any receiver starts: a receiver that cannot travel fails there. */
  override validate(): void {
    super.validate();
    shipReceiver(this.receiver as Receiver<unknown>, this.name, this.callSite);
    this.preferredLocation();
  }

  override start(): void {
    const shipped = shipReceiver(this.receiver as Receiver<unknown>, this.name, this.callSite);
    const log = this.blockLog();
    const preferred = this.preferredLocation();
    const options = this.ssc.receiverRunOptions(this.id);
    // With the log on: this driver instance's incarnation, taken before its receiver is placed
    // (its placements are named with it), and every placement of an earlier one sealed at once,
    // before the log is read (prepareBatch waits on logOps).
    const incarnation = log.beginIncarnation((err) =>
      this.ssc.sc.log('warn', `${this.name}: ${err.message}. Until it can be, a receiver placement of the driver instance before this one, frozen across the restart and woken, is not fenced (its stores may count beside its replacement's)`, {
        streamId: this.id,
        code: err.code,
      }),
      (message) => this.ssc.sc.log('warn', `${this.name}: ${message}`, { streamId: this.id }),
    );
    if (incarnation !== undefined) {
      const sealed = this.logOps.then(() => log.sealOlderIncarnations());
      this.logOps = sealed.catch(() => undefined); // take() seals what this could not, and throws what it cannot
    }
    this.ssc.streamingBackend().startReceiver(this.id, shipped, {
      ...options,
      ...(options.wal && incarnation !== undefined ? { wal: { ...options.wal, incarnation } } : {}),
      ...(preferred === undefined ? {} : { preferredLocation: preferred }),
    });
  }

  /** @internal Whether its receiver names a preferredLocation (such receivers are placed first: StreamingContext.start). */
  get prefersLocation(): boolean {
    return this.preferredLocation() !== undefined;
  }

  /** The receiver's preferredLocation(), checked: absent, or a host or worker id. */
  private preferredLocation(): string | undefined {
    const r = this.receiver as Receiver<unknown>;
    const where = this.callSite === undefined ? this.name : `${this.name} at ${this.callSite}`;
    let p: unknown;
    try {
      p = typeof r.preferredLocation === 'function' ? r.preferredLocation() : undefined;
    } catch (err) {
      throw new SluiceError('SLUICE_BAD_ARGUMENT', `${where}: ${r.constructor.name}.preferredLocation() threw: ${(err as Error).message}`);
    }
    if (p === undefined || p === null) return undefined;
    if (typeof p !== 'string' || p.trim() === '') {
      throw new SluiceError('SLUICE_BAD_ARGUMENT', `${where}: ${r.constructor.name}.preferredLocation() must return a worker's host (as in \`sluice workers\`) or a worker id, or undefined for none; got ${typeof p === 'string' ? JSON.stringify(p) : String(p)}`);
    }
    return p.trim();
  }

  override async prepareBatch(time: number): Promise<void> {
    // A batch restored from a checkpoint takes exactly the blocks it took the first time.
    if (this.blocks.has(time)) return;
    // The blocks reported before the batch's time, however late this runs (the driver
    // shares the system clock; a manual clock's batches take every block reported so far).
    const allocation = await this.ssc.streamingBackend().allocateBlocks(this.id, this.ssc.clock instanceof SystemClock ? time : undefined);
    this.liveWriters = allocation.liveWriters;
    const log = this.blockLog();
    const taken = this.logOps.then(() => log.take(allocation.blocks, allocation.liveWriters, allocation.endedWriters ?? [], allocation.releasedWriters ?? []));
    this.logOps = taken.catch(() => undefined);
    this.blocks.set(time, await taken);
  }

  /**
   * With the log on, a batch runs only once a metadata checkpoint records it, blocks or none:
   * a recovery from an older checkpoint gives every logged block no recorded batch took to its
   * first batch (this batch time, or one before it), so a batch that ran unrecorded would run
   * again with other blocks, and an output that skips a batch time it committed
   * (saveToPostgres's markers) would leave out the records moved into it. An empty batch too:
   * run unrecorded, its time committed nothing, and the blocks logged after it (held in later
   * batches) went to that time in a recovery (metadata-full-wal-empty-batches: 560 of 1,100
   * lines lost before).
   */
  override inputMustBeRecorded(_time: number): boolean {
    return this.ssc.receiverRunOptions(this.id).wal?.dir !== undefined;
  }

  override inputMayNeedRecord(): boolean {
    return this.ssc.receiverRunOptions(this.id).wal?.dir !== undefined;
  }

  override recordsAt(time: number): number {
    return (this.blocks.get(time) ?? []).reduce((a, b) => a + (b.take ? b.take.reduce((n, [from, to]) => n + to - from, 0) : b.numRecords), 0);
  }

  protected compute(time: number): RDD<T> {
    // A block whose records were all counted before (sent again by the source) is kept for
    // its cleanup, not read.
    const blocks = (this.blocks.get(time) ?? []).filter((b) => !b.take || b.take.length > 0);
    return this.ssc.sc.blockRDD<T>(blocks);
  }

  override inputLostIn(fromExclusive: number, toInclusive: number): boolean {
    for (const t of this.lostBatches) if (t > fromExclusive && t <= toInclusive) return true;
    return false;
  }

  override clearOldRDDs(time: number): RDD<T>[] {
    const dropped = super.clearOldRDDs(time);
    const keep = Math.max(this.rememberMs, this.slideDuration);
    for (const t of this.lostBatches) if (t <= time - keep) this.lostBatches.delete(t);
    const gone: ReceivedBlock[] = [];
    for (const [t, bs] of [...this.blocks].sort((a, b) => a[0] - b[0])) {
      if (t <= time - keep) {
        this.blocks.delete(t);
        gone.push(...bs);
      }
    }
    if (gone.length > 0) {
      this.ssc.streamingBackend().removeBlocks(gone.map((b) => b.blockId));
      const log = this.blockLog();
      const live = this.liveWriters;
      // The segments go once every metadata file kept records these batches as completed: a
      // driver that dies before re-runs them from an older checkpoint (or one that falls back
      // from a damaged newest file to the one before it), reading their blocks from the log. Not in the log's queue meanwhile: the next batches' takes go on.
      void this.ssc.metadataWritten().then((ok) => {
        // Not durable (failed, or skipped for want of space): kept; a later clear deletes them
        // (the log's marks are per writer, so it covers these blocks too).
        if (!ok) return;
        this.logOps = this.logOps
          .then(() => log.clear(gone, live))
          .catch((err: unknown) => this.ssc.sc.log('warn', 'cannot delete old write-ahead log segments; retrying after the next batch', { streamId: this.id, err: (err as Error).message }));
      });
    }
    return dropped;
  }

  override checkpointData(): ReceiverStreamCheckpoint {
    return {
      kind: 'receiverStream',
      name: this.name,
      ...splitEmpty(this.blocks, (bs) => bs.map(plainBlock), this.ssc.batchIntervalMs),
      ...(this.lostBatches.size > 0 && { lostBatches: [...this.lostBatches].sort((a, b) => a - b) }),
      log: this.blockLog().data(),
    };
  }

  override restoreCheckpointData(data: unknown, rerun?: ReadonlySet<number>, windowsReading: readonly string[] = []): void {
    const d = data as Partial<ReceiverStreamCheckpoint> | null;
    if (!d || d.kind !== 'receiverStream' || !Array.isArray(d.batches) || typeof d.log !== 'object' || d.log === null) {
      throw new SluiceError(
        'SLUICE_CHECKPOINT',
        `${this.name}: the checkpoint holds no receiver-stream position for stream ${this.id} (got ${JSON.stringify(data)?.slice(0, 200)}); start from an empty checkpoint directory`,
      );
    }
    this.blocks.clear();
    this.lostBatches.clear();
    // Batches an earlier recovery restored without their blocks: their blocks are not in `batches`
    // any more, but a window that held their records before must still be reduced afresh.
    for (const t of d.lostBatches ?? []) if (Number.isSafeInteger(t)) this.lostBatches.add(t);
    // A block with a place in the log is read from there: what workers still hold belongs
    // to the earlier attempt, which a later one does not read (they drop it when they
    // register with the restarted driver anyway). So a block without one (the log off) is
    // lost: a restored batch runs without it, as Spark's ReceiverInputDStream.createBlockRDD
    // keeps only the blocks the block manager still has (with a warning). Kept, it failed
    // every attempt of the batch's tasks, and the recovered job with them.
    // Only the batches recovery runs again (the checkpoint's pending ones, as Spark's
    // JobGenerator.restart) lose data: a completed batch kept only for a window or the
    // remember duration had its records counted before the driver died.
    const lost = { blocks: 0, records: 0, batches: [] as number[] };
    const done = { blocks: 0, records: 0, batches: [] as number[] };
    for (const [t, bs] of d.batches) {
      const kept = bs.filter((b) => b.wal !== undefined);
      if (kept.length < bs.length) {
        const gone = bs.filter((b) => b.wal === undefined);
        const into = rerun === undefined || rerun.has(t) ? lost : done;
        into.blocks += gone.length;
        into.records += gone.reduce((n, b) => n + (b.take ? b.take.reduce((m, [from, to]) => m + to - from, 0) : b.numRecords), 0);
        into.batches.push(t);
        this.lostBatches.add(t);
      }
      this.blocks.set(t, kept.map((b) => ({ ...plainBlock(b), locations: [] })));
    }
    if (lost.blocks > 0) {
      this.ssc.sc.log(
        'warn',
        `${this.name}: received blocks of batches restored from the checkpoint are lost, and those batches run without them: the write-ahead log is off, so they were only in the memory of the earlier run's workers. Some blocks could not be recovered as they were not found in memory. To prevent such data loss, enable Write Ahead Log (StreamingContext option writeAheadLog)`,
        { streamId: this.id, lostBlocks: lost.blocks, lostRecords: lost.records, batchTimes: lost.batches.sort((a, b) => a - b) },
      );
    }
    if (done.blocks > 0) {
      const windows = windowsReading.length > 0 ? `${windowsReading.join(', ')} read${windowsReading.length === 1 ? 's' : ''} this stream: a window that still covers them computes without their records` : 'no window reads this stream';
      this.ssc.sc.log(
        windowsReading.length > 0 ? 'warn' : 'info',
        `${this.name}: batches that completed before the restart are restored without their received blocks (the write-ahead log is off): their records were processed and are not lost, but ${windows}; a state recomputed through them since its last checkpoint lacks them too. To keep them, enable Write Ahead Log (StreamingContext option writeAheadLog)`,
        { streamId: this.id, completedBlocks: done.blocks, completedRecords: done.records, batchTimes: done.batches.sort((a, b) => a - b), windows: windowsReading },
      );
    }
    for (const t of fromTimeRuns(d.emptyBatches ?? [], this.ssc.batchIntervalMs, `${this.name}'s empty batches`)) this.blocks.set(t, []);
    this.blockLog().restore(d.log);
  }
}

function plainBlock(b: ReceivedBlock): ReceivedBlock {
  return {
    blockId: b.blockId,
    streamId: b.streamId,
    numRecords: b.numRecords,
    locations: b.locations.map((l) => ({ workerId: l.workerId, address: l.address })),
    ...(b.wal ? { wal: { path: b.wal.path, offset: b.wal.offset, length: b.wal.length } } : {}),
    ...(b.firstPosition === undefined ? {} : { firstPosition: b.firstPosition }),
    ...(b.take ? { take: b.take.map(([f, t]): [number, number] => [f, t]) } : {}),
  };
}
