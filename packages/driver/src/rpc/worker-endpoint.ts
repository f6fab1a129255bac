import * as grpc from '@grpc/grpc-js';
import { CHANNEL_OPTIONS, WORKER_MAX_REQUEST_BYTES, channelCredentials, loadProto, secretMetadata, type AddedFileRef, type ExecutorEnv, type MapOutputLocation, type SecurityConfig, type wire } from '@sluice/core/internal';
import type { MigrationResult } from '../cluster/worker-decommissioner.js';
import { InFlightLimit } from './in-flight-limit.js';
import { TaskStream } from './task-stream.js';

/** The result of asking a worker to run a task: its outcome, or the worker is gone. */
/**
 * How a launch ended: the worker's outcome (with `gettingResultMs`, the driver's reading of a
 * result the worker kept as a block: Spark's gettingResultTime), or the worker not reached.
 */
export type LaunchResult = { readonly ok: true; readonly outcome: wire.TaskOutcome__Output; readonly gettingResultMs?: number } | { readonly ok: false; readonly workerLost: boolean; readonly message: string };

/** One stage attempt as its tasks need it on a worker: encoded once, sent once per worker connection. */
export interface StageDescription {
  /** Names this stage attempt for as long as the driver process runs (never reused). */
  readonly key: string;
  readonly jobId: string;
  readonly bundleSha256: string;
  readonly stageId: number;
  /** The shuffle a map task writes; -1 for a result task. */
  readonly shuffleId: number;
  /** Encoded TaskPayload: the plan (parallelize data left out), the action or shuffle, map output locations. */
  readonly payload: Uint8Array;
  /** The files the job added (sc.addFile) when the stage attempt's first task launched; absent: none. */
  readonly files?: readonly AddedFileRef[];
  /** The job's executor environment (spark.executorEnv.*); absent: none. */
  readonly executorEnv?: ExecutorEnv;
}

/** One task attempt: its stage, and the little it carries of its own. */
export interface TaskDescription {
  readonly taskId: string;
  readonly partition: number;
  readonly attempt: number;
  readonly stage: StageDescription;
  /** Encoded TaskPart (its parallelize slices, cached block locations); empty when it needs none. */
  readonly taskData: Uint8Array;
}

/**
 * The driver's view of one worker's Worker service. Scheduling code talks to this
 * interface, never to gRPC, so it can run against a fake cluster in tests.
 */
export interface WorkerEndpoint {
  launchTask(desc: TaskDescription): Promise<LaunchResult>;
  /** The stage attempt's task set ended: the worker may drop what it keeps of it. */
  forgetStage(stageKey: string): void;
  killTask(taskId: string): void;
  releaseJob(jobId: string): Promise<void>;
  removeRdd(jobId: string, rddId: number): Promise<void>;
  /** Drop job `jobId`'s broadcast `id` from the worker (its fetched value and its threads' copies). */
  removeBroadcast(jobId: string, id: number): Promise<void>;
  /** Remove blocks by id, and every block whose id starts with one of `prefixes`. */
  removeBlocks(blockIds: readonly string[], prefixes?: readonly string[]): Promise<void>;
  /** Start a receiver; resolves once its thread runs (its events come through Driver.ReceiverReports). */
  startReceiver(desc: wire.ReceiverDescription): Promise<{ readonly ok: true } | { readonly ok: false; readonly message: string }>;
  stopReceiver(jobId: string, streamId: number, options?: { readonly graceful?: boolean }): Promise<void>;
  /**
   * Decommissioning: have the worker copy its blocks to `peers` (Worker.MigrateBlocks);
   * rejects when the call fails. Optional: a fake cluster may not move blocks.
   */
  migrateBlocks?(peers: readonly MapOutputLocation[], kinds: { readonly rddBlocks: boolean; readonly shuffleBlocks: boolean }): Promise<MigrationResult>;
  /** Call `cb` whenever an established connection to the worker drops. */
  onConnectionLost?(cb: () => void): void;
  /**
   * What the driver sends the worker does not reach it (UnseenTasks): give the task stream
   * up (its launches resolve as lost with the worker, `reason` their message), connect
   * anew, and make one call over the new connection. Resolves with whether the worker
   * answered it within `timeoutMs`. Optional: a fake cluster's links do not break.
   */
  reconnect?(reason: string, timeoutMs: number): Promise<boolean>;
  close(): void;
}

/** Housekeeping calls open at once to one worker: far under its per-peer limit (256), with room for the task stream's and fetches' calls. */
export const HOUSEKEEPING_CALLS = 32;

export class GrpcWorkerEndpoint implements WorkerEndpoint {
  /** Replaced by reconnect(): a new channel, on a connection of its own. */
  private client: wire.WorkerClient;
  private readonly tasks: TaskStream;
  private closed = false;
  private connectionLost: (() => void) | undefined;
  /** The housekeeping calls (removals, kills): a burst waits here rather than pass the worker's per-peer call limit. */
  private readonly housekeeping = new InFlightLimit(HOUSEKEEPING_CALLS);

  constructor(
    private readonly address: string,
    private readonly security: SecurityConfig,
  ) {
    this.client = new (loadProto().sluice.v1.Worker)(address, channelCredentials(security), CHANNEL_OPTIONS);
    this.tasks = new TaskStream(
      () => this.client.RunTasks(this.md()),
      // A closed endpoint's worker is gone from the cluster, its blocks with it.
      (ids, prefixes) => {
        if (!this.closed) void this.removeBlocksCall(ids, prefixes);
      },
    );
  }

  private md(): grpc.Metadata {
    return secretMetadata(this.security.secret);
  }

  launchTask(desc: TaskDescription): Promise<LaunchResult> {
    const size = desc.stage.payload.length + desc.taskData.length;
    // Leave room for the other fields: a worker reads requests of at most WORKER_MAX_REQUEST_BYTES.
    if (size > WORKER_MAX_REQUEST_BYTES - 64 * 1024) {
      const mib = (n: number): string => `${(n / 2 ** 20).toFixed(1)} MiB`;
      return Promise.resolve({
        ok: false,
        workerLost: false,
        message:
          `the task for partition ${desc.partition} of stage ${desc.stage.stageId} is ${mib(size)} encoded, more than the ${mib(WORKER_MAX_REQUEST_BYTES)} a worker accepts ` +
          '(a task carries the data given to sc.parallelize and the variables its functions capture); ' +
          'read large inputs from files (sc.textFile), share large read-only values with sc.broadcast, or parallelize into more partitions',
      });
    }
    return this.tasks.launch(desc).then((res) => (res.ok && res.outcome.outcome === 'indirect_result' ? this.readIndirectResult(res.outcome) : res));
  }

  /**
   * A result the worker kept as a block (too large for one message: Spark's IndirectTaskResult):
   * read in chunks with GetBlock, then removed there; the outcome as if it had come whole. A
   * block that cannot be read fails the attempt (retried as any failure).
   */
  private readIndirectResult(o: wire.TaskOutcome__Output): Promise<LaunchResult> {
    const { block_id: blockId, size } = o.indirect_result!;
    const from = performance.now();
    return new Promise<LaunchResult>((resolve) => {
      const parts: Buffer[] = [];
      let missing = false;
      const call = this.client.GetBlock({ block_id: blockId }, this.md(), { deadline: Date.now() + 10 * 60_000 });
      call.on('data', (c: wire.BlockChunk__Output) => {
        if (c.missing) missing = true;
        else if (c.data.length > 0) parts.push(c.data);
      });
      call.on('error', (err: grpc.ServiceError) => resolve({ ok: false, workerLost: false, message: `could not read the task's result (block ${blockId}, ${size} bytes) from the worker: ${err.details || err.message}` }));
      call.on('end', () => {
        void this.removeBlocks([blockId]);
        const result = Buffer.concat(parts);
        if (missing || result.length !== Number(size)) {
          resolve({ ok: false, workerLost: false, message: `the task's result (block ${blockId}) was ${missing ? 'gone' : `${result.length} of ${size} bytes`} on the worker` });
          return;
        }
        resolve({ ok: true, outcome: { ...o, outcome: 'result', result, indirect_result: null }, gettingResultMs: performance.now() - from });
      });
    });
  }

  forgetStage(stageKey: string): void {
    this.tasks.forget(stageKey);
  }

  /**
   * A housekeeping call once the limit lets it start; none once the endpoint is closed: its
   * channel is, and grpc-js throws 'Channel has been shut down' at a call on it, so calls of a
   * burst still waiting at close() (a driver stopping with blocks to remove) would each reject,
   * unhandled where nobody awaits them (killTask, the task stream's removals).
   */
  private housekeep(call: (client: wire.WorkerClient, done: () => void) => void): Promise<void> {
    return this.housekeeping.run(
      () =>
        new Promise<void>((resolve) => {
          if (this.closed) resolve();
          else call(this.client, () => resolve());
        }),
    );
  }

  killTask(taskId: string): void {
    void this.housekeep((client, done) => client.KillTask({ task_id: taskId }, this.md(), { deadline: Date.now() + 5000 }, done));
  }

  releaseJob(jobId: string): Promise<void> {
    return new Promise((resolve) => this.client.ReleaseJob({ job_id: jobId }, this.md(), { deadline: Date.now() + 5000 }, () => resolve()));
  }

  removeRdd(jobId: string, rddId: number): Promise<void> {
    return this.housekeep((client, done) => client.RemoveRdd({ job_id: jobId, rdd_id: rddId }, this.md(), { deadline: Date.now() + 5000 }, done));
  }

  removeBroadcast(jobId: string, id: number): Promise<void> {
    return this.housekeep((client, done) => client.RemoveBroadcast({ job_id: jobId, broadcast_id: id }, this.md(), { deadline: Date.now() + 5000 }, done));
  }

  /** On the task stream while it is open (TaskStream.removeBlocks), else a RemoveBlocks call. */
  removeBlocks(blockIds: readonly string[], prefixes: readonly string[] = []): Promise<void> {
    if (this.tasks.removeBlocks(blockIds, prefixes)) return Promise.resolve();
    return this.removeBlocksCall(blockIds, prefixes);
  }

  private removeBlocksCall(blockIds: readonly string[], prefixes: readonly string[]): Promise<void> {
    return this.housekeep((client, done) => client.RemoveBlocks({ block_ids: [...blockIds], prefixes: [...prefixes] }, this.md(), { deadline: Date.now() + 5000 }, done));
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
    this.connectionLost = cb;
    this.watchConnection(cb);
  }

  reconnect(reason: string, timeoutMs: number): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    this.tasks.reset(reason);
    const old = this.client;
    // A channel of its own subchannel pool: channels to one address with the same options
    // share their connection, and the old one is what does not deliver.
    this.client = new (loadProto().sluice.v1.Worker)(this.address, channelCredentials(this.security), { ...CHANNEL_OPTIONS, 'grpc.use_local_subchannel_pool': 1 });
    old.close();
    if (this.connectionLost) this.watchConnection(this.connectionLost);
    return new Promise((resolve) => this.client.RemoveBlocks({ block_ids: [], prefixes: [] }, this.md(), { deadline: Date.now() + timeoutMs }, (err) => resolve(!err)));
  }

  private watchConnection(cb: () => void): void {
    const client = this.client;
    const channel = client.getChannel();
    const watch = (): void => {
      // Closed, or replaced by reconnect(): the new channel is watched instead.
      if (this.closed || this.client !== client) return;
      const state = channel.getConnectivityState(true);
      channel.watchConnectivityState(state, Infinity, () => {
        if (this.closed || this.client !== client) return;
        if (state === grpc.connectivityState.READY && channel.getConnectivityState(false) !== grpc.connectivityState.READY) cb();
        watch();
      });
    };
    watch();
  }

  migrateBlocks(peers: readonly MapOutputLocation[], kinds: { readonly rddBlocks: boolean; readonly shuffleBlocks: boolean }): Promise<MigrationResult> {
    return new Promise((resolve, reject) =>
      this.client.MigrateBlocks(
        { peers: peers.map((p) => ({ worker_id: p.workerId, address: p.address })), rdd_blocks: kinds.rddBlocks, shuffle_blocks: kinds.shuffleBlocks },
        this.md(),
        // Bounded by the decommission's own deadline too; this one only stops a call that hangs.
        { deadline: Date.now() + 10 * 60_000 },
        (err, res) => {
          if (err || !res) return reject(new Error(err?.details || err?.message || 'no answer'));
          resolve({
            blocks: res.blocks.map((b: wire.MovedBlock__Output) => ({ blockId: b.block_id, workerId: b.worker_id })),
            mapOutputs: res.map_outputs.map((m: wire.MovedMapOutput__Output) => ({ jobId: m.job_id, shuffleId: m.shuffle_id, mapPartition: m.map_partition, workerId: m.worker_id })),
            bytes: Number(res.bytes),
            failed: res.failed,
          });
        },
      ),
    );
  }

  stopReceiver(jobId: string, streamId: number, options: { readonly graceful?: boolean } = {}): Promise<void> {
    return new Promise((resolve) =>
      this.client.StopReceiver({ job_id: jobId, stream_id: streamId, graceful: options.graceful === true }, this.md(), { deadline: Date.now() + 5000 }, () => resolve()),
    );
  }

  close(): void {
    this.closed = true;
    this.tasks.close();
    this.client.close();
  }
}
