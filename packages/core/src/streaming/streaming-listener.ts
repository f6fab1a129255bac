import type { BatchInfo, StreamInputInfo } from './streaming-backend.js';

/**
 * A receiver as its listeners see it, as Spark's ReceiverInfo (since 2026-12-05 with Spark's
 * `location`, `active`, `lastErrorMessage`, `lastError` and `lastErrorTime` at every event).
 */
export interface ReceiverInfo {
  readonly streamId: number;
  readonly name: string;
  /** The worker it runs (ran) on (Spark's executorId). */
  readonly workerId: string;
  /** The host of that worker, as its address names it (Spark's location); "" if unknown. Since 2026-12-05. */
  readonly location: string;
  /** Registered and not stopped since: true at onReceiverStarted, false at onReceiverStopped, an error keeps what it was. */
  readonly active: boolean;
  /** Its last error's message: "" at onReceiverStarted (Spark's registerReceiver clears it), the error's at onReceiverError, the stop's at onReceiverStopped. */
  readonly lastErrorMessage: string;
  /** The stack of the error it last gave ("" when none; "" at onReceiverStarted). */
  readonly lastError: string;
  /** When its last error came (the context's clock, in ms), -1 without one: -1 at onReceiverStarted and at a stop given no error. */
  readonly lastErrorTime: number;
}

/** One output operation of one batch, as Spark's OutputOperationInfo. */
export interface OutputOperationInfo {
  readonly batchTime: number;
  /** Its place among the batch's output jobs (outputs with no RDD for the batch have none). */
  readonly index: number;
  /** Its place among the context's output operations, in registration order (Spark's id). */
  readonly id: number;
  /**
   * The operation and where the program called it, as Spark's name (the call site's short form):
   * `foreachRDD at /jobs/job.ts:12:5`, `print at ...`, `saveAsTextFiles at ...` (since 5 December 2026;
   * before, the operation alone).
   */
  readonly name: string;
  /**
   * Where the program registered it, as Spark's description (the call site's long form): the
   * stack from the program's call of print / foreachRDD / ... on, a frame a line
   * (`main (/jobs/job.ts:12:5)`), its first line the call itself.
   */
  readonly description: string;
  readonly startTime: number;
}

/** An output operation of a batch once it ended: Spark's OutputOperationInfo with its endTime and failureReason. */
export interface CompletedOutputOperationInfo extends OutputOperationInfo {
  readonly endTime: number;
  /** endTime - startTime, in ms (Spark's OutputOperationInfo.duration). */
  readonly duration: number;
  /** When it threw: its error's message, then its stack's frames and causes (Spark's failureReason, Utils.exceptionString). */
  readonly failure?: string;
  /** The same as `failure`, under Spark's name (OutputOperationInfo.failureReason). */
  readonly failureReason?: string;
}

/** What onBatchSubmitted gives. */
export interface SubmittedBatchInfo {
  readonly batchTime: number;
  readonly numRecords: number;
  readonly streamIdToInputInfo: Readonly<Record<number, StreamInputInfo>>;
  readonly submissionTime: number;
}

/** What onBatchStarted gives. */
export interface StartedBatchInfo extends SubmittedBatchInfo {
  readonly processingStartTime: number;
  readonly schedulingDelay: number;
}

/**
 * A listener event: the info itself, and the info again under the field name of Spark's event
 * class (StreamingListenerBatchCompleted.batchInfo, ...OutputOperationCompleted.outputOperationInfo,
 * ...ReceiverStarted.receiverInfo), so a listener ported from Spark, `batchCompleted.batchInfo.numRecords`,
 * reads what `info.numRecords` reads. Since 2026-12-05 (before, the info alone).
 */
export type SparkEvent<I, K extends string> = I & { readonly [P in K]: I };

/** The event for `info`: its fields, and `info` under Spark's field name `field`. */
export function sparkEvent<I extends object, K extends string>(info: I, field: K): SparkEvent<I, K> {
  return { ...info, [field]: info } as SparkEvent<I, K>;
}

/**
 * Spark's StreamingListenerStreamingStarted(time) and the number it holds at once: the start
 * time in ms as a Number object with Spark's `time` field, so a listener written as Spark's
 * (`(e) => e.time`) and one written for the number (`(t) => t - before`, `new Date(t)`,
 * `${t}`, JSON) both read it. It is an object: compare it by value (`+t === x`, `t.time === x`),
 * not with `===` on itself, and `typeof` says 'object'.
 */
export type StreamingListenerStreamingStarted = number & { readonly time: number };

/** The onStreamingStarted event for a start at `time` (ms). */
export function streamingStarted(time: number): StreamingListenerStreamingStarted {
  // A Number with an own `time`: arithmetic, Date, templates and JSON see the number.
  return Object.assign(new Number(time), { time }) as unknown as StreamingListenerStreamingStarted;
}

/**
 * Hooks into a running StreamingContext, as Spark's StreamingListener. Every method is
 * optional; they are called on the driver program's thread, in event order.
 */
export interface StreamingListener {
  /**
   * The context started (Spark's onStreamingStarted): the wall clock's time, in ms, a manual
   * clock's context's too, as Spark's System.currentTimeMillis(); both the number and Spark's
   * event with it as `time` (StreamingListenerStreamingStarted).
   */
  onStreamingStarted?(streamingStarted: StreamingListenerStreamingStarted): void;
  /** A batch's jobs were submitted; `info.batchInfo` is `info` (Spark's StreamingListenerBatchSubmitted.batchInfo), as for every batch event. */
  onBatchSubmitted?(info: SparkEvent<SubmittedBatchInfo, 'batchInfo'>): void;
  /** `submissionTime` as onBatchSubmitted's (Spark's BatchInfo carries it at every event). */
  onBatchStarted?(info: SparkEvent<StartedBatchInfo, 'batchInfo'>): void;
  onBatchCompleted?(info: SparkEvent<BatchInfo, 'batchInfo'>): void;
  /** An output operation of a batch starts (Spark's onOutputOperationStarted); `info.outputOperationInfo` is `info`. */
  onOutputOperationStarted?(info: SparkEvent<OutputOperationInfo, 'outputOperationInfo'>): void;
  /** ...and ends, as CompletedOutputOperationInfo (Spark's onOutputOperationCompleted). */
  onOutputOperationCompleted?(info: SparkEvent<CompletedOutputOperationInfo, 'outputOperationInfo'>): void;
  /**
   * A receiver was registered (Spark's onReceiverStarted): as Spark's ReceiverSupervisor, before
   * its onStart runs (an onStart that throws is then stopped: onReceiverStopped with "Error
   * starting receiver <streamId>" and the error's stack, and it is placed again).
   */
  onReceiverStarted?(info: SparkEvent<ReceiverInfo, 'receiverInfo'>): void;
  /**
   * A receiver reported an error (Spark's onReceiverError): `message` and `lastErrorMessage`
   * what it said (with its error's message), `lastError` the stack of the error it gave
   * reportError ("" if it gave none), as Spark's ReceiverInfo. Also a receiver lost with its
   * worker (the driver places it again).
   */
  onReceiverError?(info: SparkEvent<ReceiverInfo, 'receiverInfo'> & { readonly message: string }): void;
  /**
   * A receiver stopped (Spark's onReceiverStopped): `reason` and `lastErrorMessage` why (the
   * message it gave stop(), or the driver's; for a restart(reason, error, delayMs), Spark's
   * "Restarting receiver with delay <delayMs>ms: <reason>", onReceiverStarted following after
   * the delay), `lastError` the stack of the error it gave stop / restart ("" if none), as
   * Spark's ReceiverInfo after deregisterReceiver.
   */
  onReceiverStopped?(info: SparkEvent<ReceiverInfo, 'receiverInfo'> & { readonly reason: string }): void;
}
