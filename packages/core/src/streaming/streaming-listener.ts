import type { BatchInfo } from './streaming-backend.js';

export interface ReceiverInfo {
  readonly streamId: number;
  readonly name: string;
  readonly workerId: string;
}

/**
 * Hooks into a running StreamingContext, as Spark's StreamingListener. Every method is
 * optional; they are called on the driver program's thread, in event order.
 */
export interface StreamingListener {
  onStreamingStarted?(time: number): void;
  onBatchSubmitted?(info: { readonly batchTime: number; readonly numRecords: number; readonly submissionTime: number }): void;
  onBatchStarted?(info: { readonly batchTime: number; readonly numRecords: number; readonly processingStartTime: number; readonly schedulingDelay: number }): void;
  onBatchCompleted?(info: BatchInfo): void;
  onOutputOperationCompleted?(info: { readonly batchTime: number; readonly index: number; readonly failure?: string }): void;
  onReceiverStarted?(info: ReceiverInfo): void;
  onReceiverError?(info: ReceiverInfo & { readonly message: string }): void;
  onReceiverStopped?(info: ReceiverInfo & { readonly reason: string }): void;
}
