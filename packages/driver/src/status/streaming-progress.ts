import type { BatchInfo, OutputOperationTag, ReceiverEvent, StreamingProgressEvent } from '@sluice/core/internal';
import { BoundedRing } from './bounded-ring.js';

export type BatchStatus = 'QUEUED' | 'PROCESSING' | 'COMPLETED';

/** One output operation of one batch (Spark's OutputOperationUIData). */
export interface OutputOpRecord {
  readonly id: number;
  readonly name: string;
  /** Where the program registered it (Spark's description, the call site's long form). */
  readonly description: string;
  startTime: number | undefined;
  endTime: number | undefined;
  failure: { readonly message: string; readonly stack: string } | undefined;
  /** The actions (Spark job ids) it ran. */
  readonly jobIds: number[];
}

/** One batch, queued, processing or completed (Spark's BatchUIData). */
export interface BatchRecord {
  readonly batchTime: number;
  readonly numRecords: number;
  readonly submissionTime: number;
  processingStartTime: number | undefined;
  processingEndTime: number | undefined;
  status: BatchStatus;
  readonly outputOps: OutputOpRecord[];
  /** Records of each input stream that counts them, once completed (Spark's streamIdToInputInfo). */
  streamRecords?: Readonly<Record<number, number>>;
  /** What each input stream that says so took, in words (Spark's StreamInputInfo.metadataDescription: a file stream's files, a Kafka stream's offset ranges). */
  streamDescriptions?: Readonly<Record<number, string>>;
}

/** One receiver (Spark's ReceiverInfo plus its records). */
export interface ReceiverRecord {
  readonly streamId: number;
  readonly name: string;
  workerId: string | undefined;
  active: boolean;
  lastErrorTime: number | undefined;
  lastErrorMessage: string | undefined;
  /** The stack of the last error's throwable, "" if it had none (Spark's ReceiverInfo.lastError). */
  lastError: string | undefined;
  /**
   * When its current placement reported records again after its last error (the first block
   * after it); undefined with no error, or none since. Sluice's own: Spark's receiver table
   * leaves a reportError's message and time standing while the receiver runs on, with only
   * its rate chart to tell that it recovered.
   */
  receivingAgainTime: number | undefined;
  /** Its error info is from a stop (Spark's deregisterReceiver): gone once it registers again. */
  stoppedError: boolean;
  /** Records of its stream handed to batches since the current attempt started. */
  numRecords: number;
}

/** Batches a streaming job's UI keeps by default (Spark's spark.streaming.ui.retainedBatches). */
export const DEFAULT_RETAINED_BATCHES = 1000;

/**
 * The batches and receivers of one streaming job, as its Streaming page and
 * `/api/v1/applications/{id}/streaming/...` show them: Spark's StreamingJobProgressListener.
 * Fed by the job thread's progress events, its completed batches, the receiver tracker's
 * events and the blocks each batch takes.
 *
 * Invariants: completed batches are kept in a ring of `retainedBatches` (the oldest go
 * first); a batch is in `active` (queued or processing) or in the ring, never both;
 * `attemptEnded` empties `active`; `attemptStarted` (a --supervise restart) empties the ring and
 * zeroes the counts, so every figure is the current attempt's.
 * Threading: driver main thread.
 */
export class StreamingProgress {
  private readonly active = new Map<number, BatchRecord>();
  private readonly completed: BoundedRing<BatchRecord>;
  private readonly receiverRecords = new Map<number, ReceiverRecord>();
  /** Each input stream's name, as its context or batches reported it (a job has a few input streams). */
  private readonly streamNames = new Map<number, string>();
  /** The input streams of the contexts started, receiver-based or not (Spark's StreamingJobProgressListener.streamIds). */
  private readonly inputStreamIds = new Set<number>();
  /** When the first StreamingContext started (Spark's onStreamingStarted time), else when the first batch was queued; undefined before. */
  startTime: number | undefined;
  /** When the attempt running the batches ended (undefined while one runs, and again once a later attempt starts). */
  endTime: number | undefined;
  /** The latest started StreamingContext's settings as Spark's properties (none before one started): the Environment page lists them. */
  contextProperties: readonly (readonly [string, string])[] = [];
  batchIntervalMs = 0;
  numTotalCompletedBatches = 0;
  numReceivedRecords = 0;
  numProcessedRecords = 0;

  constructor(readonly retainedBatches: number) {
    this.completed = new BoundedRing(retainedBatches);
  }

  onProgress(e: StreamingProgressEvent): void {
    switch (e.type) {
      case 'batchSubmitted':
        this.startTime ??= e.submissionTime;
        this.endTime = undefined;
        this.batchIntervalMs = e.batchIntervalMs;
        for (const [id, name] of Object.entries(e.streamNames ?? {})) this.streamNames.set(Number(id), name);
        this.active.set(e.batchTime, {
          batchTime: e.batchTime,
          numRecords: e.numRecords,
          submissionTime: e.submissionTime,
          processingStartTime: undefined,
          processingEndTime: undefined,
          status: 'QUEUED',
          ...(e.streamRecords && { streamRecords: e.streamRecords }),
          ...(e.streamDescriptions && { streamDescriptions: e.streamDescriptions }),
          outputOps: e.outputOperations.map((o) => ({ id: o.id, name: o.name, description: o.description, startTime: undefined, endTime: undefined, failure: undefined, jobIds: [] })),
        });
        return;
      case 'batchStarted': {
        const b = this.active.get(e.batchTime);
        if (!b || b.status === 'PROCESSING') return;
        // Counted received as the batch starts, as Spark's listener (totalReceivedRecords grows at onBatchStarted).
        this.numReceivedRecords += b.numRecords;
        b.status = 'PROCESSING';
        b.processingStartTime = e.processingStartTime;
        return;
      }
      case 'outputOperationStarted': {
        const op = this.active.get(e.batchTime)?.outputOps.find((o) => o.id === e.id);
        if (op) op.startTime = e.startTime;
        return;
      }
      case 'outputOperationCompleted': {
        const op = this.active.get(e.batchTime)?.outputOps.find((o) => o.id === e.id);
        if (!op) return;
        op.endTime = e.endTime;
        op.failure = e.failure;
        return;
      }
      case 'batchesDropped':
        for (const t of e.batchTimes) this.active.delete(t);
        return;
      case 'contextStarted':
        // Spark's StreamingJobProgressListener.startTime: when streaming started (onStreamingStarted), the first context's.
        if (e.startTime !== undefined) this.startTime ??= e.startTime;
        for (const [id, name] of e.inputStreams ?? []) {
          this.streamNames.set(id, name);
          this.inputStreamIds.add(id);
        }
        this.contextProperties = e.properties;
        this.endTime = undefined;
        return;
      default: {
        const never: never = e;
        void never;
      }
    }
  }

  onBatchCompleted(info: BatchInfo): void {
    const b: BatchRecord = this.active.get(info.batchTime) ?? {
      batchTime: info.batchTime,
      numRecords: info.numRecords,
      submissionTime: info.submissionTime,
      processingStartTime: undefined,
      processingEndTime: undefined,
      status: 'QUEUED',
      outputOps: [],
    };
    this.active.delete(info.batchTime);
    if (b.status !== 'PROCESSING') this.numReceivedRecords += info.numRecords;
    b.processingStartTime = info.processingStartTime;
    b.processingEndTime = info.processingEndTime;
    b.status = 'COMPLETED';
    b.streamRecords = Object.fromEntries(Object.entries(info.streamIdToInputInfo ?? {}).map(([id, x]) => [id, x.numRecords]));
    const descriptions = Object.entries(info.streamIdToInputInfo ?? {}).flatMap(([id, x]): [number, string][] => {
      const d = x.metadata?.['Description'];
      return typeof d === 'string' ? [[Number(id), d]] : [];
    });
    b.streamDescriptions = Object.fromEntries(descriptions);
    this.numTotalCompletedBatches++;
    this.numProcessedRecords += info.numRecords;
    this.completed.push(b);
  }

  /** An action started for an output operation of a batch. */
  attachJob(tag: OutputOperationTag, jobId: number): void {
    const b = this.active.get(tag.batchTime) ?? this.completed.findLast((x) => x.batchTime === tag.batchTime);
    b?.outputOps.find((o) => o.id === tag.outputOpId)?.jobIds.push(jobId);
  }

  onReceiverStarting(streamId: number, name: string): void {
    if (!this.receiverRecords.has(streamId)) {
      this.receiverRecords.set(streamId, { streamId, name, workerId: undefined, active: false, lastErrorTime: undefined, lastErrorMessage: undefined, lastError: undefined, receivingAgainTime: undefined, stoppedError: false, numRecords: 0 });
    }
  }

  onReceiverEvent(e: ReceiverEvent, now: number): void {
    this.onReceiverStarting(e.streamId, e.name);
    const r = this.receiverRecords.get(e.streamId)!;
    r.workerId = e.workerId;
    switch (e.type) {
      case 'started':
        // Registered again after a stop: Spark's registerReceiver makes a new ReceiverTrackingInfo,
        // with no error info (an error reported while running, or by restart, stays).
        if (r.stoppedError) {
          r.lastErrorTime = undefined;
          r.lastErrorMessage = undefined;
          r.lastError = undefined;
          r.receivingAgainTime = undefined;
          r.stoppedError = false;
        }
        r.active = true;
        return;
      case 'error':
        r.lastErrorTime = now;
        r.lastErrorMessage = e.message;
        r.lastError = e.stack;
        r.receivingAgainTime = undefined;
        return;
      case 'stopped':
        // Spark's deregisterReceiver: the stop's message and its error's stack become the
        // receiver's error info, its time only when there was an error (lastErrorTime -1).
        r.active = false;
        r.lastErrorMessage = e.reason;
        r.lastError = e.stack;
        r.lastErrorTime = e.stack === '' ? undefined : now;
        r.receivingAgainTime = undefined;
        r.stoppedError = true;
        return;
      default: {
        const never: never = e;
        void never;
      }
    }
  }

  /** The receiver of stream `streamId` reported a block of records (its current placement's) at `now`. */
  onReceiverRecords(streamId: number, now: number): void {
    const r = this.receiverRecords.get(streamId);
    if (r && r.lastErrorMessage !== undefined && r.receivingAgainTime === undefined) r.receivingAgainTime = now;
  }

  /** A batch took `numRecords` records of stream `streamId`. */
  onBlocksAllocated(streamId: number, numRecords: number): void {
    const r = this.receiverRecords.get(streamId);
    if (!r) return;
    r.numRecords += numRecords;
  }

  /** The attempt running the batches ended (at `at`): its queued and running batches will never complete. */
  /**
   * A later attempt of the job starts (a --supervise restart): its figures count from here, as
   * a restarted Spark driver's StreamingJobProgressListener starts afresh and as a job relaunched
   * by a restarted Sluice driver does (a new DriverJob). The receivers stay listed, inactive
   * until the new attempt starts them again.
   */
  attemptStarted(): void {
    this.active.clear();
    this.completed.clear();
    this.startTime = undefined;
    this.endTime = undefined;
    this.numTotalCompletedBatches = 0;
    this.numReceivedRecords = 0;
    this.numProcessedRecords = 0;
    for (const r of this.receiverRecords.values()) r.numRecords = 0;
  }

  attemptEnded(at: number): void {
    this.endTime = at;
    this.active.clear();
    for (const r of this.receiverRecords.values()) r.active = false;
  }

  /** Queued and processing batches, newest first (Spark's order). */
  activeBatches(): BatchRecord[] {
    return [...this.active.values()].sort((a, b) => b.batchTime - a.batchTime);
  }

  /** Retained completed batches, oldest first. */
  completedBatches(): BatchRecord[] {
    return this.completed.toArray();
  }

  batch(batchTime: number): BatchRecord | undefined {
    return this.active.get(batchTime) ?? this.completed.findLast((b) => b.batchTime === batchTime);
  }

  /**
   * An input stream's name as the Streaming UI shows it (Spark's StreamingPage: its receiver's name,
   * else the input stream's, else `Stream-{id}`).
   */
  streamName(streamId: number): string {
    return this.receiverRecords.get(streamId)?.name ?? this.streamNames.get(streamId) ?? `Stream-${streamId}`;
  }

  receivers(): ReceiverRecord[] {
    return [...this.receiverRecords.values()].sort((a, b) => a.streamId - b.streamId);
  }

  /**
   * The input streams REST streaming/receivers lists, by id (Spark's receivedRecordRateWithBatchTime
   * over streamIds): every input stream of the contexts started, those with a receiver and those
   * without (a queue, a file or a direct stream), and every receiver.
   */
  listedStreamIds(): number[] {
    return [...new Set([...this.inputStreamIds, ...this.receiverRecords.keys()])].sort((a, b) => a - b);
  }

  /** The receiver of stream `streamId`, if it has one. */
  receiver(streamId: number): ReceiverRecord | undefined {
    return this.receiverRecords.get(streamId);
  }

  /**
   * A receiver's records/s in each retained batch, queued, processing and completed, by batch
   * time, as Spark's REST eventRates (StreamingJobProgressListener.receivedRecordRateWithBatchTime
   * over retainedBatches): [batch time in ms, its stream's records in that batch (0 where it had
   * none) × 1000 / the batch interval].
   */
  receiverRates(r: { readonly streamId: number }): [number, number][] {
    if (this.batchIntervalMs <= 0) return [];
    return [...this.active.values(), ...this.completed.toArray()]
      .map((b): [number, number] => [b.batchTime, ((b.streamRecords?.[r.streamId] ?? 0) * 1000) / this.batchIntervalMs])
      .sort((a, b) => a[0] - b[0]);
  }

  /** A receiver's records/s as Spark's REST avgEventRate: the mean of its eventRates; undefined before a batch was submitted. */
  receiverRate(r: { readonly streamId: number }): number | undefined {
    const rates = this.receiverRates(r);
    return rates.length === 0 ? undefined : rates.reduce((a, [, x]) => a + x, 0) / rates.length;
  }

  /** Whether the job ever started a StreamingContext or ran a streaming batch. */
  get isStreaming(): boolean {
    return this.startTime !== undefined;
  }
}
