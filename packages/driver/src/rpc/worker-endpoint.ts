import * as grpc from '@grpc/grpc-js';
import { CHANNEL_OPTIONS, WORKER_MAX_REQUEST_BYTES, channelCredentials, loadProto, secretMetadata, type SecurityConfig, type wire } from '@sluice/core/internal';

/** The result of asking a worker to run a task: its outcome, or the worker is gone. */
export type LaunchResult = { readonly ok: true; readonly outcome: wire.TaskOutcome__Output } | { readonly ok: false; readonly workerLost: boolean; readonly message: string };

/**
 * The driver's view of one worker's Worker service. Scheduling code talks to this
 * interface, never to gRPC, so it can run against a fake cluster in tests.
 */
export interface WorkerEndpoint {
  launchTask(desc: wire.TaskDescription): Promise<LaunchResult>;
  /**
   * Run several tasks in as few calls as fit (Worker.LaunchTasks): one result per task, in
   * the order given, each settling when its own task ends. Absent: one launchTask each.
   */
  launchTasks?(descs: readonly wire.TaskDescription[]): Promise<LaunchResult>[];
  killTask(taskId: string): void;
  releaseJob(jobId: string): Promise<void>;
  removeRdd(jobId: string, rddId: number): Promise<void>;
  /** Remove blocks by id, and every block whose id starts with one of `prefixes`. */
  removeBlocks(blockIds: readonly string[], prefixes?: readonly string[]): Promise<void>;
  /** Start a receiver; resolves once its thread runs (its events come through Driver.ReportReceiver). */
  startReceiver(desc: wire.ReceiverDescription): Promise<{ readonly ok: true } | { readonly ok: false; readonly message: string }>;
  stopReceiver(jobId: string, streamId: number): Promise<void>;
  /** Call `cb` whenever an established connection to the worker drops. */
  onConnectionLost?(cb: () => void): void;
  close(): void;
}

/** Bytes of task payloads one LaunchTasks call carries at most (a worker reads requests of up to WORKER_MAX_REQUEST_BYTES). */
const BATCH_MAX_BYTES = 16 * 1024 * 1024;

/** A task too big for a worker to read, as its failed launch; undefined when it fits. */
function oversized(desc: wire.TaskDescription): LaunchResult | undefined {
  const size = desc.payload?.length ?? 0;
  // Leave room for the other fields: a worker reads requests of at most WORKER_MAX_REQUEST_BYTES.
  if (size <= WORKER_MAX_REQUEST_BYTES - 64 * 1024) return undefined;
  const mib = (n: number): string => `${(n / 2 ** 20).toFixed(1)} MiB`;
  return {
    ok: false,
    workerLost: false,
    message:
      `the task for partition ${desc.partition ?? 0} of stage ${desc.stage_id ?? 0} is ${mib(size)} encoded, more than the ${mib(WORKER_MAX_REQUEST_BYTES)} a worker accepts ` +
      '(a task carries the data given to sc.parallelize and the variables its functions capture); ' +
      'read large inputs from files (sc.textFile), share large read-only values with sc.broadcast, or parallelize into more partitions',
  };
}

/** A task call that failed on its connection: the worker is lost when it cannot be reached (or the call was cut). */
function callFailed(err: grpc.ServiceError): LaunchResult {
  const lost = err.code === grpc.status.UNAVAILABLE || err.code === grpc.status.CANCELLED || err.code === grpc.status.DEADLINE_EXCEEDED;
  return { ok: false, workerLost: lost, message: err.details || err.message };
}

export class GrpcWorkerEndpoint implements WorkerEndpoint {
  private readonly client: wire.WorkerClient;
  private closed = false;
  /** False once the worker answered a LaunchTasks call with UNIMPLEMENTED (an older worker). */
  private batchCalls = true;

  constructor(
    address: string,
    private readonly security: SecurityConfig,
  ) {
    this.client = new (loadProto().sluice.v1.Worker)(address, channelCredentials(security), CHANNEL_OPTIONS);
  }

  private md(): grpc.Metadata {
    return secretMetadata(this.security.secret);
  }

  launchTask(desc: wire.TaskDescription): Promise<LaunchResult> {
    const tooBig = oversized(desc);
    if (tooBig) return Promise.resolve(tooBig);
    return new Promise((resolve) => {
      this.client.LaunchTask(desc, this.md(), (err, outcome) => {
        if (err) resolve(callFailed(err));
        else resolve({ ok: true, outcome: outcome! });
      });
    });
  }

  launchTasks(descs: readonly wire.TaskDescription[]): Promise<LaunchResult>[] {
    const results: Promise<LaunchResult>[] = [];
    let batch: { desc: wire.TaskDescription; resolve: (r: LaunchResult) => void }[] = [];
    let batchBytes = 0;
    const flush = (): void => {
      if (batch.length === 1) void this.launchTask(batch[0].desc).then(batch[0].resolve);
      else if (batch.length > 1) this.launchBatch(batch);
      batch = [];
      batchBytes = 0;
    };
    for (const desc of descs) {
      const tooBig = oversized(desc);
      if (tooBig) {
        results.push(Promise.resolve(tooBig));
        continue;
      }
      const size = (desc.payload?.length ?? 0) + 1024;
      // A call stays well under what a worker reads (WORKER_MAX_REQUEST_BYTES): big tasks go in calls of their own.
      if (batchBytes + size > BATCH_MAX_BYTES) flush();
      results.push(new Promise<LaunchResult>((resolve) => batch.push({ desc, resolve })));
      batchBytes += size;
    }
    flush();
    return results;
  }

  /** One LaunchTasks call; a worker that does not know it (an older one) gets one LaunchTask per task instead. */
  private launchBatch(batch: readonly { desc: wire.TaskDescription; resolve: (r: LaunchResult) => void }[]): void {
    if (!this.batchCalls) {
      for (const b of batch) void this.launchTask(b.desc).then(b.resolve);
      return;
    }
    const pending = new Map(batch.map((b) => [b.desc.task_id ?? '', b]));
    let received = 0;
    const call = this.client.LaunchTasks({ tasks: batch.map((b) => b.desc) }, this.md());
    call.on('data', (o: wire.TaskOutcome__Output) => {
      received++;
      const b = pending.get(o.task_id);
      if (!b) return;
      pending.delete(o.task_id);
      b.resolve({ ok: true, outcome: o });
    });
    call.on('error', (err: grpc.ServiceError) => {
      if (err.code === grpc.status.UNIMPLEMENTED && received === 0) {
        this.batchCalls = false;
        for (const b of pending.values()) void this.launchTask(b.desc).then(b.resolve);
        pending.clear();
        return;
      }
      const r = callFailed(err);
      for (const b of pending.values()) b.resolve(r);
      pending.clear();
    });
    call.on('end', () => {
      for (const b of pending.values()) b.resolve({ ok: false, workerLost: false, message: 'the worker ended the LaunchTasks call without the outcome of this task' });
      pending.clear();
    });
  }

  killTask(taskId: string): void {
    this.client.KillTask({ task_id: taskId }, this.md(), { deadline: Date.now() + 5000 }, () => undefined);
  }

  releaseJob(jobId: string): Promise<void> {
    return new Promise((resolve) => this.client.ReleaseJob({ job_id: jobId }, this.md(), { deadline: Date.now() + 5000 }, () => resolve()));
  }

  removeRdd(jobId: string, rddId: number): Promise<void> {
    return new Promise((resolve) => this.client.RemoveRdd({ job_id: jobId, rdd_id: rddId }, this.md(), { deadline: Date.now() + 5000 }, () => resolve()));
  }

  removeBlocks(blockIds: readonly string[], prefixes: readonly string[] = []): Promise<void> {
    return new Promise((resolve) =>
      this.client.RemoveBlocks({ block_ids: [...blockIds], prefixes: [...prefixes] }, this.md(), { deadline: Date.now() + 5000 }, () => resolve()),
    );
  }

  startReceiver(desc: wire.ReceiverDescription): Promise<{ readonly ok: true } | { readonly ok: false; readonly message: string }> {
    return new Promise((resolve) =>
      this.client.StartReceiver(desc, this.md(), { deadline: Date.now() + 30_000 }, (err) => resolve(err ? { ok: false, message: err.details || err.message } : { ok: true })),
    );
  }

  /**
   * Connect now (not at the first call) and watch the connection: each time it drops from
   * READY, `cb` runs (the registry then probes the worker's port). A killed worker is
   * noticed at once even when no call is open to it.
   */
  onConnectionLost(cb: () => void): void {
    const channel = this.client.getChannel();
    const watch = (): void => {
      if (this.closed) return;
      const state = channel.getConnectivityState(true);
      channel.watchConnectivityState(state, Infinity, () => {
        if (this.closed) return;
        if (state === grpc.connectivityState.READY && channel.getConnectivityState(false) !== grpc.connectivityState.READY) cb();
        watch();
      });
    };
    watch();
  }

  stopReceiver(jobId: string, streamId: number): Promise<void> {
    return new Promise((resolve) => this.client.StopReceiver({ job_id: jobId, stream_id: streamId }, this.md(), { deadline: Date.now() + 5000 }, () => resolve()));
  }

  close(): void {
    this.closed = true;
    this.client.close();
  }
}
