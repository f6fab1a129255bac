import type { FallingBehind } from './falling-behind-detector.js';
import type { CompletedOutputOperationInfo } from './streaming-listener.js';
import type { MapOutputLocation } from '../scheduler/task-spec.js';
import type { ShippedReceiver } from '../receiver/ship-receiver.js';
import type { WalPlace } from '../wal/wal-segment.js';
import type { DashboardEvent } from '../dashboard/dashboard-event.js';

/**
 * A block of received records, stored on a worker and either replicated to a second one
 * or written to the write-ahead log (`wal`). A block on no live worker is read from its
 * place in the log.
 */
export interface ReceivedBlock {
  readonly blockId: string;
  readonly streamId: number;
  readonly numRecords: number;
  readonly locations: readonly MapOutputLocation[];
  readonly wal?: WalPlace;
  /** The source position of the first record (the others follow consecutively), when the receiver gave positions. */
  readonly firstPosition?: number;
  /** The record index ranges [from, to) of the block a batch reads (absent: all): positions already counted are left out. */
  readonly take?: readonly (readonly [number, number])[];
}

/** How a receiver runs on its worker. */
export interface ReceiverRunOptions {
  readonly blockIntervalMs: number;
  /** Records stored but not yet durable that the receiver may hold; store() waits while it is full. */
  readonly maxBufferedRecords: number;
  /**
   * The most records per second the receiver takes in (StreamingContextOptions.receiverMaxRate,
   * Spark's spark.streaming.receiver.maxRate); absent: no bound. Rates set by backpressure
   * never exceed it.
   */
  readonly maxRate?: number;
  /** The rate the receiver starts at under backpressure (backpressure.initialRate); absent: unbounded until the first estimate. */
  readonly initialRate?: number;
  /** The write-ahead log, when it is on. */
  readonly wal?: {
    readonly dir: string;
    readonly rollingIntervalMs: number;
    readonly maxSegmentBytes: number;
    readonly fenceKeepMs?: number;
    /** The driver instance's incarnation in the log (wal-seal.ts): the receiver's placements are named with it. */
    readonly incarnation?: number;
  };
  /** Receiver.preferredLocation(): a worker's advertised host, or a worker id, to place the receiver on when one is there. */
  readonly preferredLocation?: string;
}

/** The blocks reported for a stream since the previous allocation, and which log writers still run. */
export interface BlockAllocation {
  readonly blocks: ReceivedBlock[];
  /**
   * Writers (receiver placements, as named in block ids and log segments) of the stream
   * that run now: their blocks arrive as reports. A writer not listed ended (its worker
   * was lost, it stopped, or it belongs to an earlier driver): its log is read for blocks
   * it wrote but never reported.
   */
  readonly liveWriters: readonly string[];
  /**
   * Writers of the stream whose placement this driver replaced or stopped: each is sealed
   * before its log is read (wal-seal.ts), so one that goes on after it was replaced (a
   * frozen worker woken) adds nothing.
   */
  readonly endedWriters?: readonly string[];
  /**
   * Ended writers whose placement is known to have stopped (it reported its stop, or the driver
   * answered one of its reports with a stop): nothing more of them can reach the log, so their
   * fence may go (writeAheadLog.fenceKeep after). An ended writer not listed may still run.
   */
  readonly releasedWriters?: readonly string[];
}

export type ReceiverEvent =
  | { readonly type: 'started'; readonly streamId: number; readonly workerId: string; readonly location?: string; readonly name: string }
  | {
      readonly type: 'error';
      readonly streamId: number;
      readonly workerId: string;
      /** The host of that worker (Spark's ReceiverInfo.location). */
      readonly location?: string;
      readonly name: string;
      readonly message: string;
      /** The stack of the error the receiver gave reportError / restart, "" if none (Spark's ReceiverInfo.lastError). */
      readonly stack: string;
    }
  | {
      readonly type: 'stopped';
      readonly streamId: number;
      readonly workerId: string;
      /** The host of that worker (Spark's ReceiverInfo.location). */
      readonly location?: string;
      readonly name: string;
      readonly reason: string;
      /** The stack of the error the receiver gave stop(reason, error), "" if none (Spark's ReceiverInfo.lastError). */
      readonly stack: string;
      /** It stopped by itself while its context runs: the driver places it again (no onReceiverError is posted for that, as in Spark). */
      readonly restarting?: boolean;
      /**
       * It stopped for a restart where it runs (Receiver.restart, Spark's restartReceiver;
       * `reason` is Spark's "Restarting receiver with delay <ms>ms: <reason>"): it starts again
       * on the same worker after its delay, and a `started` event follows.
       */
      readonly inPlace?: boolean;
    };

/** One input stream's rate under backpressure. */
export interface InputRate {
  readonly streamId: number;
  readonly name: string;
  /** 'receiver': sent to its receiver's rate limiter; 'direct': bounds the records of its next batches. */
  readonly kind: 'receiver' | 'direct';
  /** Records per second, as the PID estimator set it last. */
  readonly rate: number;
}

/** A streaming job's flow control as it stands: its inputs' rates and whether it falls behind. */
export interface FlowStatus {
  /** Inputs under backpressure that have an estimate (empty with backpressure off). */
  readonly rates: readonly InputRate[];
  /** Set while the scheduling delay has grown for the configured number of batches in a row, until the job catches up. */
  readonly fallingBehind: FallingBehind | null;
}

/** Figures of one finished batch, as StreamingListener.onBatchCompleted and `sluice jobs` show them. */
/** What one input stream took for a batch, as Spark's StreamInputInfo. */
export interface StreamInputInfo {
  readonly inputStreamId: number;
  readonly numRecords: number;
  /**
   * What the input took, where it says (Spark's StreamInputInfo.metadata): a file stream's
   * `files` (the batch's new files) and `Description` (their names a line each), with
   * numRecords 0, as Spark's FileInputDStream reports them.
   */
  readonly metadata?: Readonly<Record<string, unknown>>;
}

export interface BatchInfo {
  readonly batchTime: number;
  readonly numRecords: number;
  /** Per input stream that counts its records (receivers, direct inputs), as Spark's BatchInfo.streamIdToInputInfo. */
  readonly streamIdToInputInfo?: Readonly<Record<number, StreamInputInfo>>;
  readonly submissionTime: number;
  readonly processingStartTime: number;
  readonly processingEndTime: number;
  /** processingStart - batchTime */
  readonly schedulingDelay: number;
  /** processingEnd - processingStart */
  readonly processingDelay: number;
  /** processingEnd - batchTime */
  readonly totalDelay: number;
  readonly failure?: { readonly message: string; readonly stack: string };
  /**
   * The batch's output operations that ran, by output operation id, each as the listener's
   * onOutputOperationCompleted heard it (Spark's BatchInfo.outputOperationInfos). Always there
   * in what the StreamingContext reports; optional for BatchInfos made by hand.
   */
  readonly outputOperationInfos?: Readonly<Record<number, CompletedOutputOperationInfo>>;
}

/**
 * A batch's progress before it completes, as the driver's Streaming UI and REST API
 * show it (its completion is `reportBatch`): Spark's onBatchSubmitted, onBatchStarted,
 * onOutputOperationStarted and onOutputOperationCompleted.
 */
export type StreamingProgressEvent =
  | {
      readonly type: 'batchSubmitted';
      readonly batchTime: number;
      readonly batchIntervalMs: number;
      readonly numRecords: number;
      /** Its records by input stream id (Spark's BatchInfo.streamIdToInputInfo numRecords), where known. */
      readonly streamRecords?: Readonly<Record<number, number>>;
      /** The name of each input stream in streamRecords (a receiver stream's, else its class's: Spark's InputDStream.name), for the UI. */
      readonly streamNames?: Readonly<Record<number, string>>;
      /** What each input stream that says so took, in words (its StreamInputInfo.metadata `Description`, Spark's metadataDescription), for the batch page's Input Metadata. */
      readonly streamDescriptions?: Readonly<Record<number, string>>;
      readonly submissionTime: number;
      /** The batch's output operations, in the order they run. */
      readonly outputOperations: readonly { readonly id: number; readonly name: string; readonly description: string }[];
    }
  | { readonly type: 'batchStarted'; readonly batchTime: number; readonly processingStartTime: number }
  | { readonly type: 'outputOperationStarted'; readonly batchTime: number; readonly id: number; readonly startTime: number }
  | {
      readonly type: 'outputOperationCompleted';
      readonly batchTime: number;
      readonly id: number;
      readonly endTime: number;
      readonly failure?: { readonly message: string; readonly stack: string };
    }
  /** The context stopped with these batches submitted and never completed: they are neither queued nor processing any more. */
  | { readonly type: 'batchesDropped'; readonly batchTimes: readonly number[] }
  /**
   * A context started, at `startTime` (ms, the wall clock's: its onStreamingStarted time), with
   * its `inputStreams` and these settings as Spark's properties
   * (streamingProperties), for the Environment page.
   */
  | {
      readonly type: 'contextStarted';
      readonly startTime?: number;
      /** Every input stream of its graph, receiver-based or not: [id, name] (Spark's DStreamGraph.getInputStreamNameAndID). */
      readonly inputStreams?: readonly (readonly [number, string])[];
      readonly properties: readonly (readonly [string, string])[];
    };

/**
 * What a StreamingContext needs from the driver beyond running jobs: receivers placed
 * on workers (restarted elsewhere when their worker dies), the blocks they stored, and
 * a place to report batch figures.
 */
export interface StreamingBackend {
  startReceiver(streamId: number, receiver: ShippedReceiver, options: ReceiverRunOptions): void;
  /**
   * Stop every receiver; resolves once each has stopped and reported its last block. With
   * `graceful` (a graceful stop of the context) each receiver's onStop is waited for however
   * long it takes, what it stores meanwhile kept, as Spark's; else onStop gets a bounded time.
   */
  stopReceivers(options?: { readonly graceful?: boolean }): Promise<void>;
  /**
   * Blocks reported for a stream and not yet allocated, in arrival order: those reported
   * before `before` (a batch's time on the system clock, which the driver shares), or all
   * of them when it is absent.
   */
  allocateBlocks(streamId: number, before?: number): Promise<BlockAllocation>;
  removeBlocks(blockIds: readonly string[]): void;
  onReceiverEvent(listener: (e: ReceiverEvent) => void): void;
  reportBatch(info: BatchInfo): void;
  /** A batch was queued, started, or one of its output operations started or ended. */
  reportProgress?(event: StreamingProgressEvent): void;
  /** Flow control changed (a rate was estimated, the job fell behind or caught up); receivers' rates go to their rate limiters. */
  reportFlow?(status: FlowStatus): void;
  /** A dashboard was defined (dstream.toDashboard) or has a batch's result, for the driver's web UI. */
  reportDashboard?(event: DashboardEvent): void;
  /** The job is a streaming job; `sluice stop --graceful` calls the handler. */
  onStopRequested(handler: (graceful: boolean) => void): void;
}
