import type { BatchInfo, StreamInputInfo } from './streaming-backend.js';

export interface ReceiverInfo {
  readonly streamId: number;
  readonly name: string;
  readonly workerId: string;
}

/** One output operation of one batch, as Spark's OutputOperationInfo. */
export interface OutputOperationInfo {
  readonly batchTime: number;
  /** Its place among the batch's output jobs (outputs with no RDD for the batch have none). */
  readonly index: number;
  /** Its place among the context's output operations, in registration order (Spark's id). */
  readonly id: number;
  /** 'print', 'foreachRDD', 'saveAsTextFiles', ... */
  readonly name: string;
  readonly startTime: number;
}

/**
 * Hooks into a running StreamingContext, as Spark's StreamingListener. Every method is
 * optional; they are called on the driver program's thread, in event order.
 */
export interface StreamingListener {
  onStreamingStarted?(time: number): void;
  onBatchSubmitted?(info: {
    readonly batchTime: number;
    readonly numRecords: number;
    readonly streamIdToInputInfo: Readonly<Record<number, StreamInputInfo>>;
    readonly submissionTime: number;
  }): void;
  onBatchStarted?(info: {
    readonly batchTime: number;
    readonly numRecords: number;
    readonly streamIdToInputInfo: Readonly<Record<number, StreamInputInfo>>;
    readonly processingStartTime: number;
    readonly schedulingDelay: number;
  }): void;
  onBatchCompleted?(info: BatchInfo): void;
  /** An output operation of a batch starts (Spark's onOutputOperationStarted). */
  onOutputOperationStarted?(info: OutputOperationInfo): void;
  /** ...and ends; `failure` is its error's message when it threw (Spark's failureReason). */
  onOutputOperationCompleted?(info: OutputOperationInfo & { readonly endTime: number; readonly failure?: string }): void;
  onReceiverStarted?(info: ReceiverInfo): void;
  onReceiverError?(info: ReceiverInfo & { readonly message: string }): void;
  onReceiverStopped?(info: ReceiverInfo & { readonly reason: string }): void;
}
