import type { MapOutputLocation } from '../scheduler/task-spec.js';
import type { ShippedReceiver } from '../receiver/ship-receiver.js';

/** A block of received records, stored on (and replicated to) workers. */
export interface ReceivedBlock {
  readonly blockId: string;
  readonly streamId: number;
  readonly numRecords: number;
  readonly locations: readonly MapOutputLocation[];
}

export type ReceiverEvent =
  | { readonly type: 'started'; readonly streamId: number; readonly workerId: string; readonly name: string }
  | { readonly type: 'error'; readonly streamId: number; readonly workerId: string; readonly name: string; readonly message: string }
  | { readonly type: 'stopped'; readonly streamId: number; readonly workerId: string; readonly name: string; readonly reason: string };

/** Figures of one finished batch, as StreamingListener.onBatchCompleted and `sluice jobs` show them. */
export interface BatchInfo {
  readonly batchTime: number;
  readonly numRecords: number;
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
}

/**
 * What a StreamingContext needs from the driver beyond running jobs: receivers placed
 * on workers (restarted elsewhere when their worker dies), the blocks they stored, and
 * a place to report batch figures.
 */
export interface StreamingBackend {
  startReceiver(streamId: number, receiver: ShippedReceiver, blockIntervalMs: number): void;
  /** Stop every receiver; resolves once each has stopped and reported its last block. */
  stopReceivers(): Promise<void>;
  /** Blocks reported for a stream since the previous call, in arrival order. */
  allocateBlocks(streamId: number): Promise<ReceivedBlock[]>;
  removeBlocks(blockIds: readonly string[]): void;
  onReceiverEvent(listener: (e: ReceiverEvent) => void): void;
  reportBatch(info: BatchInfo): void;
  /** The job is a streaming job; `sluice stop --graceful` calls the handler. */
  onStopRequested(handler: (graceful: boolean) => void): void;
}
