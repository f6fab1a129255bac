/**
 * @sluice/core — the Sluice programming model.
 *
 * @example
 *   // wordcount.ts — run with `sluice run wordcount.ts --workers 2`
 *   import type { SluiceContext } from '@sluice/core';
 *
 *   export default async function (sc: SluiceContext) {
 *     const counts = await sc.parallelize(['a b', 'b c'])
 *       .flatMap((line) => line.split(' '))
 *       .map((w) => [w, 1] as [string, number])
 *       .reduceByKey((a, b) => a + b)
 *       .collect();
 *     console.log(counts);
 *   }
 */
export { SluiceContext } from './context.js';
export { RDD, type Pair, type PipeOptions } from './rdd/rdd.js';
export { RDDOperationScope } from './rdd/rdd-operation-scope.js';
export type { CombineByKeyOptions } from './rdd/pair-rdd-functions.js';
export { StatCounter } from './rdd/stat-counter.js';
export { PartialResult, BoundedDouble } from './rdd/partial-result.js';
export { FutureAction } from './rdd/future-action.js';
export { Dependency, NarrowDependency, OneToOneDependency, PartitionsDependency, RangeDependency, ShuffleDependency } from './rdd/dependency.js';
export type { StatusTracker, SparkJobInfo, SparkStageInfo, JobExecutionStatus } from './scheduler/status-tracker.js';
export type { SparkListener, SparkListenerJobStart, SparkListenerJobEnd, SparkListenerTaskStart, SparkListenerTaskEnd, SparkListenerExecutorExcluded, SparkListenerExecutorExcludedForStage, SparkListenerExecutorUnexcluded, StageInfo, AccumulableInfo, TaskMetrics, ShuffleReadMetrics, ShuffleWriteMetrics, InputMetrics, OutputMetrics } from './scheduler/spark-listener.js';
export { PartitionPruningRDD } from './rdd/partition-pruning-rdd.js';
export { HashPartitioner, RangePartitioner, CustomPartitioner, type Partitioner, type PartitionArg } from './rdd/partitioner.js';
export { StorageLevel, type SparkStorageLevel } from './rdd/storage-level.js';
export { Accumulator, DoubleAccumulator, LongAccumulator } from './shared/accumulator.js';
export { AccumulatorV2 } from './shared/accumulator-v2.js';
export { Broadcast } from './shared/broadcast.js';
export { SparkFiles } from './shared/spark-files.js';
export { refuseUnknownOptions } from './util/refuse-unknown-options.js';
export { SluiceError, NotSerializableError, TaskFailedError, DiskFullError, ErrorCodes, type ErrorCode } from './errors.js';
// Streaming. The derived-stream modules register themselves with DStream when loaded.
import './dstream/window-dstreams.js';
import './dstream/state-dstreams.js';
export { StreamingContext, type GetOrCreateOptions, type StopOptions, type StreamingContextOptions, type BackpressureOptions, type SocketTextStreamOptions, type StreamingState, type WriteAheadLogOptions } from './streaming/streaming-context.js';
export type { FileStreamOptions } from './dstream/file-input-dstream.js';
export { DStream, type PairKey, type PairValue } from './dstream/dstream.js';
export type { DashboardKind, DashboardOptions } from './dashboard/dashboard-options.js';
export type { ForeachRDDOptions, OutputCheckpointState } from './dstream/output-checkpoint-state.js';
export { SinkServerReached } from './dstream/sink-server-reached.js';
export { DirectInputDStream } from './dstream/direct-input-dstream.js';
export { DirectInputRDD, type DirectReader, type DirectReadContext, type DirectSource } from './rdd/direct-input-rdd.js';
export { javaStringHashCode, type DirectPlacement } from './rdd/direct-placement.js';
export { StateSpec } from './dstream/state-spec.js';
export { StateHandle as State } from './dstream/state-handle.js';
export type { MapWithStateDStream } from './dstream/state-dstreams.js';
export { Receiver } from './receiver/receiver.js';
export { TaskContext } from './scheduler/task-context.js';
export type { Schedulable, SchedulingMode, SchedulerModeOptions } from './scheduler/scheduler-pools.js';
export type { RDDInfo } from './rdd/rdd-info.js';
export { encodeRawBlock } from './receiver/raw-socket-receiver.js';
export type { StreamingListener, StreamingListenerStreamingStarted, ReceiverInfo, OutputOperationInfo, CompletedOutputOperationInfo, SubmittedBatchInfo, StartedBatchInfo, SparkEvent } from './streaming/streaming-listener.js';
export type { BatchInfo, FlowStatus, InputRate, StreamInputInfo } from './streaming/streaming-backend.js';
export type { PIDSettings } from './streaming/rate/pid-rate-estimator.js';
export type { FallingBehind } from './streaming/falling-behind-detector.js';
export type { Duration, DurationUnit } from './streaming/duration.js';
export { Milliseconds, Seconds, Minutes, Durations } from './streaming/duration.js';
export { UIUtils, type TimeUnit } from './streaming/ui-utils.js';
export { ManualClock, type Clock } from './util/clock.js';
// Checkpoint storage: connectors (such as @sluice/s3) register a scheme.
export type { CheckpointStore, CheckpointObject } from './checkpoint/checkpoint-store.js';
export { registerCheckpointStore, openCheckpointStore, type CheckpointStoreFactory } from './checkpoint/checkpoint-store-registry.js';
export { joinCheckpointLocation } from './checkpoint/checkpoint-location.js';
// File systems for text files: connectors (such as @sluice/s3) register a scheme.
export type { FileSystem, FileStatus, RangeReader, SaveOptions } from './io/file-system.js';
export type { CompressionCodec, CompressionCodecName } from './io/compression-codec.js';
export { registerFileSystem } from './io/file-system-registry.js';
