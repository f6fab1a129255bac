/**
 * @sluice/core/internal — what only the driver, the workers and the CLI use.
 * Not part of the user API; may change without notice.
 */
export * from './context.js';
export * from './errors.js';
export * from './codec/codec.js';
export { fromWire, setRecordClassScope, toWire } from './codec/record-classes.js';
export * from './closure/index.js';
export * from './rdd/key.js';
export * from './rdd/partitioner.js';
export * from './rdd/plan.js';
export * from './rdd/rdd.js';
export * from './scheduler/task-spec.js';
export * from './scheduler/task-env.js';
export * from './scheduler/partition-computer.js';
export * from './scheduler/run-task.js';
export * from './shared/accumulator.js';
export * from './shared/broadcast.js';
export * from './rpc/proto.js';
export * from './rpc/security.js';
export * from './rpc/call-gate.js';
export type { ProtoGrpcType } from './rpc/generated/sluice.js';
export type * as wire from './rpc/wire.js';
export * from './util/clock.js';
export * from './util/user-error.js';
export * from './bundle/bundle-files.js';
import './dstream/window-dstreams.js';
import './dstream/state-dstreams.js';
export * from './streaming/streaming-backend.js';
export * from './streaming/streaming-context.js';
export * from './streaming/rate/pid-rate-estimator.js';
export * from './streaming/rate/rate-controller.js';
export * from './streaming/rate/max-records-per-partition.js';
export * from './streaming/falling-behind-detector.js';
export * from './receiver/receiver.js';
export * from './receiver/ship-receiver.js';
export * from './dstream/dstream.js';
export * from './scheduler/read-lines.js';
export * from './util/port-requests.js';
export * from './streaming/duration.js';
export * from './util/scratch-dir.js';
export * from './util/collect-garbage.js';
export * from './wal/wal-segment.js';
export * from './wal/received-block-log.js';
export * from './checkpoint/checkpoint-store.js';
export * from './checkpoint/checkpoint-store-registry.js';
export * from './checkpoint/checkpoint-location.js';
export * from './checkpoint/local-checkpoint-store.js';
