import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import {
  CallGate,
  DRIVER_MAX_REQUEST_BYTES,
  THIS_BUILD,
  buildMismatch,
  SluiceError,
  SystemClock,
  checkSecretStrength,
  chunks,
  loadProto,
  makeScratchDir,
  PLAINTEXT_HINT,
  PLAINTEXT_WARNING,
  isPlaintextExposed,
  listenFailure,
  removeDeadScratchDirs,
  serverCredentials,
  serverOptions,
  type Clock,
  type FallingBehind,
  type SecurityConfig,
  type ThreadCode,
  type wire,
} from '@sluice/core/internal';
import { DEFAULT_WORKER_TIMEOUT_MS, WorkerRegistry, type WorkerStorage } from './cluster/worker-registry.js';
import { WorkerDecommissioner, decommissionOptions, type DecommissionOptions, type DecommissionOutcome } from './cluster/worker-decommissioner.js';
import type { DriverJob, JobStateName, SuperviseBackoff } from './job/driver-job.js';
import { JobLauncher, type SubmitRequest } from './job/job-launcher.js';
import { JobConsole, type ConsoleIn } from './job/job-console.js';
import { unknownReceiverAnswer, type ReceiverReportAnswer } from './streaming/receiver-tracker.js';
import { DriverStateStore } from './state/driver-state-store.js';
import { earlierJobsNote, missingJobReason } from './job/missing-job.js';
import type { ErrorInfo } from './job/job-protocol.js';
import { GrpcWorkerEndpoint, type WorkerEndpoint } from './rpc/worker-endpoint.js';
import { serveAddedFile } from './rpc/serve-added-file.js';
import { DAGScheduler, MAX_CONSECUTIVE_STAGE_ATTEMPTS } from './scheduler/dag-scheduler.js';
import { TaskScheduler } from './scheduler/task-scheduler.js';
import { excludeOnFailureProblem, type ExcludeOnFailureConf } from './scheduler/exclude-on-failure.js';
import type { ExclusionChange } from './scheduler/health-tracker.js';
import type { MetricsSources, PrometheusMetrics } from './web/prometheus-metrics.js';
import { WorkerAllocationManager, workerAllocationOptions, type AllocationStream, type WorkerAllocationOptions } from './streaming/worker-allocation-manager.js';
import { StatusServer } from './web/status-server.js';
import { SpareJobThreads } from './job/spare-job-threads.js';
import { describeRunningTask, type RunningTaskInfo, type TaskSetOptions } from './scheduler/task-set-manager.js';

export interface DriverOptions {
  readonly security: SecurityConfig;
  readonly log: Logger;
  /** Interface to listen on (default 127.0.0.1) and port (default 7077; 0 for any free port). */
  readonly bind?: string;
  readonly port?: number;
  readonly heartbeatIntervalMs?: number;
  /** A worker silent this long is declared lost (default DEFAULT_WORKER_TIMEOUT_MS, 60 s: see there why). */
  readonly workerTimeoutMs?: number;
  /**
   * A task launched on a worker this long ago that the worker's heartbeats since never
   * reported, nor finished, did not reach it (a link dead from the driver to it while its
   * heartbeats arrive): it is failed as lost there and the worker's connection tested
   * (TaskScheduler, UnseenTasks). Counted in heartbeats as well: at least this long's worth
   * of them must have arrived. In Spark's style, spark.sluice.unseenTaskTimeout; default
   * the worker timeout, and at least 4 heartbeat intervals.
   */
  readonly unseenTaskTimeoutMs?: number;
  /**
   * A stage none of whose tasks launched this long after its submission is logged at warn, and
   * again each time as long again passes, as Spark's spark.starvation.timeout ("Initial job has
   * not accepted any resources; ..."), saying why (no worker registered, none answering, every
   * core taken). Default 15 s; 0: never.
   */
  readonly starvationTimeoutMs?: number;
  readonly tasks?: Partial<TaskSetOptions>;
  /**
   * Spark's spark.default.parallelism (`--conf` on `sluice driver` and `sluice run`): every job's
   * sc.defaultParallelism, and the partitions of its keyed operations given no count or partitioner
   * (Spark's Partitioner.defaultPartitioner when the setting is set). Unset: the cluster's cores
   * when the job was submitted, at least 2, and those operations keep their largest input's count.
   */
  readonly defaultParallelism?: number;
  /**
   * Spark's spark.broadcast.compress (`--conf` on `sluice driver`, `sluice run` and `sluice shell`):
   * each job's broadcast values are kept and sent to workers as LZ4 frames (when that is
   * smaller). Default true, as Spark's (README's Tuning table has the figures).
   */
  readonly broadcastCompress?: boolean;
  /**
   * Spark's spark.checkpoint.compress (`--conf` on `sluice driver`, `sluice run` and `sluice shell`):
   * each job's RDD checkpoints (a stream's state checkpoints among them) are written as LZ4 frames
   * (when that is smaller). Default false, as Spark's; readers take both forms.
   */
  readonly checkpointCompress?: boolean;
  /**
   * Spark's spark.rdd.compress (`--conf` on `sluice driver`, `sluice run` and `sluice shell`): each
   * job's persisted RDDs keep their blocks as LZ4 frames (when that is smaller). Default false, as Spark's.
   */
  readonly rddCompress?: boolean;
  /**
   * Spark's spark.cleaner.referenceTracking (`--conf` on `sluice driver`, `sluice run` and
   * `sluice shell`): false and nothing a job's program drops is cleaned until the job ends
   * (shuffles, persisted RDDs, broadcasts; Spark's ContextCleaner off). Default true, as Spark's.
   */
  readonly referenceTracking?: boolean;
  /**
   * Spark's spark.streaming.gracefulStopTimeout (`--conf` on `sluice driver` and `sluice run`): how
   * long a stop asked of a streaming job's program may take before the driver cancels it
   * (STOP_REQUEST_LIMIT_MS, 60 s, by default).
   */
  readonly stopLimitMs?: number;
  /** The waits before a supervised job's restarts (`sluice driver --supervise-backoff`); DEFAULT_SUPERVISE_BACKOFF by default. */
  readonly superviseBackoff?: SuperviseBackoff;
  readonly clock?: Clock;
  readonly localDir?: string;
  /** Port of the web UI and /metrics (default: none; the CLI's default is 4040). */
  readonly webPort?: number;
  /**
   * Start one driver-program thread when the driver starts, for the first job to take
   * (SpareJobThreads): `sluice run` sets it, so its job's thread loads Sluice while the
   * workers start. Default false.
   */
  readonly spareJobThread?: boolean;
  /** What each job's sc.master says (Spark's master URL): `sluice run` gives `local[N]`; default the driver's address, HOST:PORT. */
  readonly master?: string;
  /**
   * Start that thread again each time a job took it, once no job attempt runs on the driver
   * (SpareJobThreads' `replace`): `sluice driver` sets it, so each job of a new bundle finds
   * a thread with Sluice loaded. Default false (`sluice run`'s driver serves one job).
   */
  readonly replaceSpareJobThread?: boolean;
  /**
   * What driver-program threads run (default: this package's job-thread module and the
   * @sluice/core package it imports); the `sluice` command passes its thread bundles when it
   * runs its own.
   */
  readonly jobThreadCode?: ThreadCode;
  /** Calls one remote IP may have open at once (default DEFAULT_MAX_CALLS_PER_PEER). */
  readonly maxCallsPerPeer?: number;
  /**
   * Directory where the driver keeps the registry of its jobs (`sluice driver --state-dir`):
   * a driver started again on it relaunches every job that was running and not stopped,
   * under the same id. Default: none (jobs die with the driver).
   */
  readonly stateDir?: string;
  /**
   * Completed batches each streaming job's UI and REST API keep, in a ring (Spark's
   * spark.streaming.ui.retainedBatches; default DEFAULT_RETAINED_BATCHES, 1,000).
   */
  readonly retainedBatches?: number;
  /**
   * Finished jobs kept for `sluice jobs`, the UI and REST API, each with its kept actions,
   * stages and batches (Spark's spark.deploy.retainedApplications; default
   * DEFAULT_RETAINED_JOBS, 200): past it the oldest finished job is forgotten, its bundle and
   * metric series with it. Running jobs are always kept.
   */
  readonly retainedJobs?: number;
  /**
   * Level of the driver's 'job failed' line (default warn). `sluice run` prints a failure
   * itself, on the same stderr as this log, and passes info so it is reported once.
   */
  readonly jobFailureLogLevel?: 'warn' | 'info';
  /**
   * How `sluice_desired_workers` (the workers the running streams need, for an autoscaler)
   * is computed: Spark's spark.streaming.dynamicAllocation.* (defaults DEFAULT_WORKER_ALLOCATION).
   */
  readonly workerAllocation?: Partial<WorkerAllocationOptions>;
  /**
   * How workers leave gracefully (SIGTERM to a worker, `sluice workers decommission`):
   * Spark 3.1's spark.decommission.* (defaults DEFAULT_DECOMMISSION: on, blocks and map
   * outputs copied, 30 s deadline).
   */
  readonly decommission?: Partial<DecommissionOptions>;
  /** For tests: how the driver reaches a worker. */
  readonly makeEndpoint?: (address: string) => WorkerEndpoint;
}

export const DEFAULT_TASK_OPTIONS: TaskSetOptions = {
  maxFailures: 4,
  // Spark's spark.speculation: off unless asked for (`--speculation`), since a task with side
  // effects would run twice; quantile and multiplier Spark's defaults, the minimum run time 1 s.
  speculation: false,
  speculationMultiplier: 1.5,
  speculationQuantile: 0.75,
  speculationMinMs: 1000,
  localityWaitMs: 500,
  taskTimeoutMs: 0,
  // Spark's spark.driver.maxResultSize default.
  maxResultSizeBytes: 1024 * 1024 * 1024,
  // Tiny tasks (recent ones under 50 ms launch to outcome) are pipelined: see TaskScheduler.
  pipelineMaxTaskMs: 50,
  // Spark's spark.stage.maxConsecutiveAttempts default.
  maxConsecutiveStageAttempts: MAX_CONSECUTIVE_STAGE_ATTEMPTS,
  // Spark's spark.shuffle.reduceLocality.enabled default.
  reduceLocality: true,
};

type State = 'new' | 'running' | 'stopped';

/** The writing half of a SubmitJob or WatchJob call. */
interface JobEventSink {
  write(e: wire.JobEvent): boolean;
  end(): void;
  on(event: 'cancelled' | 'error', listener: () => void): unknown;
}

/** A job's running tasks for `sluice jobs`: how many, and the longest-running one. */
/** `sluice jobs`' warning for a job that falls behind. */
export function describeFallingBehind(f: FallingBehind): string {
  return `falling behind: scheduling delay grew for ${f.batches} batches in a row, now ${f.schedulingDelayMs} ms (since batch ${f.since})`;
}

/** The web UI's certificate: the gRPC server's (--tls-cert, --tls-key), or none (plain HTTP). */
function webTls(security: SecurityConfig): { cert: string; key: string } | undefined {
  const t = security.tls;
  return t?.cert && t.key ? { cert: t.cert, key: t.key } : undefined;
}

/** A worker's block store as it reports it (registration, heartbeats); undefined when it sent none. */
function workerStorage(s: wire.WorkerStorage__Output | null | undefined): WorkerStorage | undefined {
  if (!s) return undefined;
  return {
    inputBlocks: s.input_blocks,
    shuffleBlocks: s.shuffle_blocks,
    rddBlocks: s.rdd_blocks,
    memoryBytes: s.memory_bytes,
    diskBytes: s.disk_bytes,
    memoryLimitBytes: s.memory_limit_bytes,
    rssBytes: s.rss_bytes,
    broadcastBlocks: s.broadcast_blocks,
    decodedBlockBytes: s.decoded_block_bytes ?? {},
  };
}

function runningTasksInfo(tasks: readonly RunningTaskInfo[]): Pick<wire.JobInfo, 'running_tasks' | 'longest_task' | 'longest_task_ms'> {
  const t = tasks[0];
  return {
    running_tasks: tasks.length,
    longest_task: t ? describeRunningTask(t) : '',
    longest_task_ms: t?.runningMs ?? 0,
  };
}

/** How often a worker of another build that keeps registering is logged (driver-node's refusedWorkers). */
const REFUSAL_LOG_INTERVAL_MS = 60_000;

/**
 * The Sluice driver process: cluster membership, job submission, the DAG and task
 * schedulers, and the Driver gRPC service workers and the CLI call.
 *
 * `stop()` order: cancel running jobs, stop the schedulers and membership timers (all
 * before its first await), stop the web UI, shut down the gRPC server, remove the bundle
 * directory.
 */
export class DriverNode {
  private state: State = 'new';
  private readonly server: grpc.Server;
  readonly registry: WorkerRegistry;
  readonly taskScheduler: TaskScheduler;
  readonly dag: DAGScheduler;
  /** Submits, relaunches and keeps the jobs (and their bundles, and the --state-dir registry). */
  private readonly launcher: JobLauncher;
  /** Driver-program threads waiting for a job: the one started ahead, and those kept after a job for a later one of its bundle. */
  private readonly spareJobThreads: SpareJobThreads;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly localDir: string;
  private boundPort = 0;
  private readonly web: StatusServer;
  /**
   * What `/metrics` serves (prom-client, a registry per driver): made by start() when the
   * driver serves a web port, the only way to read it; undefined without one (`sluice run`'s
   * default), whose process then never loads prom-client, makes no series and runs none of
   * its default collectors (a GC observer, an event-loop delay monitor).
   */
  metrics: PrometheusMetrics | undefined;
  /** What the metrics read at scrape time (start() gives it to them). */
  private readonly metricsSources: MetricsSources;
  /** The job registry in --state-dir (undefined without one). */
  private readonly stateStore: DriverStateStore | undefined;
  /** Releases workers gracefully (Driver.DecommissionWorker, SIGTERM on a worker). */
  readonly decommissioner: WorkerDecommissioner;
  /** Receivers' open report streams (Driver.ReceiverReports), ended by stop(). */
  private readonly reportStreams = new Set<grpc.ServerDuplexStream<wire.ReceiverReport__Output, wire.ReceiverReportResponse>>();

  /** Jobs by their user-visible id (all attempts of a job are one entry). */
  get jobs(): ReadonlyMap<string, DriverJob> {
    return this.launcher.jobs;
  }
  /** Port of the web UI, once started (undefined when off). */
  webPort: number | undefined;
  /** Names this run of the driver process: workers that saw another drop that one's jobs (RegisterWorkerResponse.driver_instance). */
  readonly instanceId = crypto.randomBytes(8).toString('hex');
  /**
   * Workers of another build refused lately: id -> when the refusal was last logged and how
   * many since. A worker of a build before the check does not stop when refused: it registers
   * again at every heartbeat, so each is logged once a minute, not once a second.
   */
  private readonly refusedWorkers = new Map<string, { loggedAt: number; since: number }>();

  constructor(private readonly opts: DriverOptions) {
    checkSecretStrength(opts.security.secret, 'the driver options (security.secret)');
    if (opts.retainedBatches !== undefined && (!Number.isSafeInteger(opts.retainedBatches) || opts.retainedBatches < 1)) {
      throw new SluiceError('SLUICE_BAD_ARGUMENT', `the driver option retainedBatches (sluice driver --retained-batches) must be a whole number of batches >= 1, got ${String(opts.retainedBatches)}; for example 1000 (the default)`);
    }
    if (opts.retainedJobs !== undefined && (!Number.isSafeInteger(opts.retainedJobs) || opts.retainedJobs < 1)) {
      throw new SluiceError('SLUICE_BAD_ARGUMENT', `the driver option retainedJobs (sluice driver --retained-jobs) must be a whole number of finished jobs >= 1, got ${String(opts.retainedJobs)}; for example 200 (the default)`);
    }
    this.log = opts.log.child({ component: 'driver' });
    this.clock = opts.clock ?? new SystemClock();
    // Predecessors killed with -9 could not remove their scratch directories: do it for them.
    removeDeadScratchDirs(this.log);
    // A state dir that cannot be used fails here, before anything listens.
    this.stateStore = opts.stateDir !== undefined ? new DriverStateStore(opts.stateDir, opts.log) : undefined;
    this.localDir = opts.localDir ?? makeScratchDir('driver');
    const makeEndpoint = opts.makeEndpoint ?? ((address: string) => new GrpcWorkerEndpoint(address, opts.security));
    this.registry = new WorkerRegistry(this.clock, opts.workerTimeoutMs ?? DEFAULT_WORKER_TIMEOUT_MS, makeEndpoint, opts.log.child({ component: 'worker-registry' }));
    const heartbeatIntervalMs = opts.heartbeatIntervalMs ?? 1000;
    const unseenTaskTimeoutMs = opts.unseenTaskTimeoutMs ?? Math.max(opts.workerTimeoutMs ?? DEFAULT_WORKER_TIMEOUT_MS, 4 * heartbeatIntervalMs);
    if (!Number.isFinite(unseenTaskTimeoutMs) || unseenTaskTimeoutMs < 2 * heartbeatIntervalMs) {
      throw new SluiceError(
        'SLUICE_BAD_ARGUMENT',
        `the unseen-task timeout (--unseen-task-timeout-ms) is ${unseenTaskTimeoutMs} ms: it must be at least 2 heartbeat intervals (${2 * heartbeatIntervalMs} ms), or a task on its way to a worker could be taken for lost; leave it out for the default (the worker timeout)`,
      );
    }
    const exclude = opts.tasks?.excludeOnFailure;
    const excludeProblem = exclude === undefined ? undefined : excludeOnFailureProblem(exclude, opts.tasks?.maxFailures ?? DEFAULT_TASK_OPTIONS.maxFailures);
    if (excludeProblem !== undefined) throw new SluiceError('SLUICE_BAD_ARGUMENT', excludeProblem);
    this.taskScheduler = new TaskScheduler(this.registry, opts.log.child({ component: 'task-scheduler' }), { heartbeatIntervalMs, unseenTaskTimeoutMs, now: () => this.clock.now(), ...(opts.starvationTimeoutMs !== undefined && { starvationTimeoutMs: opts.starvationTimeoutMs }), ...(exclude !== undefined && { excludeOnFailure: exclude, onExclusion: (e: ExclusionChange) => this.exclusionChanged(e, exclude), healthLog: opts.log.child({ component: 'health-tracker' }) }) });
    this.dag = new DAGScheduler(this.registry, this.taskScheduler, { ...DEFAULT_TASK_OPTIONS, ...opts.tasks }, this.clock, opts.log.child({ component: 'dag-scheduler' }));
    const allocation = new WorkerAllocationManager(workerAllocationOptions(opts.workerAllocation), this.clock);
    this.metricsSources = {
      workers: this.registry,
      jobs: () => this.jobs.values(),
      jobByRunId: (runId) => this.launcher.jobByRunId(runId),
      desiredWorkers: () => allocation.desired(this.registry.staying().length, this.runningStreams()),
    };
    this.decommissioner = new WorkerDecommissioner(
      decommissionOptions(opts.decommission),
      this.registry,
      {
        moveReceivers: async (workerId) => {
          const moved = await Promise.all([...this.jobs.values()].map((j) => j.moveReceiversFrom(workerId)));
          return moved.reduce((a, b) => a + b, 0);
        },
        migrate: (w, peers, kinds) => {
          if (!w.endpoint.migrateBlocks) return Promise.reject(new Error('this worker endpoint cannot migrate blocks'));
          return w.endpoint.migrateBlocks(peers.map((p) => ({ workerId: p.id, address: p.address })), kinds);
        },
        applyMigration: (from, result, peers) => {
          const address = new Map(peers.map((p) => [p.id, p.address]));
          return this.dag.applyMigration(
            from,
            result.mapOutputs.flatMap((m) => {
              const a = address.get(m.workerId);
              return a === undefined ? [] : [{ jobId: m.jobId, shuffleId: m.shuffleId, mapPartition: m.mapPartition, to: { workerId: m.workerId, address: a } }];
            }),
            result.blocks,
          );
        },
        inUse: (workerId) => this.dag.readsFrom(workerId),
        ended: (_workerId, outcome) => this.metrics?.decommissionEnded(outcome),
      },
      this.clock,
      opts.log.child({ component: 'decommissioner' }),
    );
    this.spareJobThreads = new SpareJobThreads(opts.log.child({ component: 'spare-job-thread' }), opts.jobThreadCode?.entry, opts.replaceSpareJobThread === true);
    this.launcher = new JobLauncher({
      dag: this.dag,
      registry: this.registry,
      clock: this.clock,
      log: this.log,
      rootLog: opts.log,
      bundleRoot: path.join(this.localDir, 'bundles'),
      filesRoot: path.join(this.localDir, 'files'),
      stateStore: this.stateStore,
      defaultParallelism: opts.defaultParallelism,
      broadcastCompress: opts.broadcastCompress !== false,
      ...(opts.checkpointCompress === true ? { checkpointCompress: true } : {}),
      ...(opts.rddCompress === true ? { rddCompress: true } : {}),
      ...(opts.referenceTracking === false ? { referenceTracking: false } : {}),
      ...(opts.stopLimitMs === undefined ? {} : { stopLimitMs: opts.stopLimitMs }),
      ...(opts.superviseBackoff === undefined ? {} : { superviseBackoff: opts.superviseBackoff }),
      driverRunning: () => this.state === 'running',
      retainedBatches: opts.retainedBatches,
      jobFailureLogLevel: opts.jobFailureLogLevel,
      jobStarted: (job) => this.metrics?.watchJob(job),
      retainedJobs: opts.retainedJobs,
      jobForgotten: (job) => this.metrics?.forgetJob(job),
      threads: this.spareJobThreads,
      coreDir: opts.jobThreadCode?.coreDir,
      master: () => opts.master ?? this.address,
      uiWebUrl: () => (this.webPort === undefined ? undefined : `${webTls(opts.security) ? 'https' : 'http'}://${opts.bind ?? '127.0.0.1'}:${this.webPort}`),
    });
    this.web = new StatusServer(this, this.log);
    const proto = loadProto();
    const gate = new CallGate({ secret: opts.security.secret, log: opts.log.child({ component: 'driver-rpc' }), maxCallsPerPeer: opts.maxCallsPerPeer, clock: this.clock });
    this.server = new grpc.Server(serverOptions(DRIVER_MAX_REQUEST_BYTES, [gate.interceptor]));
    this.server.addService(proto.sluice.v1.Driver.service, this.service());
  }

  /** Why this driver has no job `id` (missing-job.ts): for the clients and pages that name one it does not have. */
  missingJob(id: string): string {
    return missingJobReason(id, this.launcher.numbering());
  }

  /** After a restart on a --state-dir: the earlier driver's jobs this one does not have, and why (missing-job.ts). */
  earlierJobsNote(): string | undefined {
    return earlierJobsNote(this.launcher.numbering());
  }

  /** The driver's clock (what every time the UI shows is read from). */
  now(): number {
    return this.clock.now();
  }

  /** The options this driver was started with (the REST API's `environment` lists them as Spark's properties). */
  get options(): DriverOptions {
    return this.opts;
  }

  get port(): number {
    return this.boundPort;
  }

  /** The running streaming jobs' batch interval and completed batches (the retained ones), for the worker allocation. */
  private runningStreams(): AllocationStream[] {
    const out: AllocationStream[] = [];
    for (const j of this.jobs.values()) {
      if (j.state !== 'running' || !j.streaming) continue;
      const completed = j.progress
        .completedBatches()
        .flatMap((b) => (b.processingStartTime === undefined || b.processingEndTime === undefined ? [] : [{ processingEndTime: b.processingEndTime, processingDelay: b.processingEndTime - b.processingStartTime }]));
      out.push({ batchIntervalMs: j.progress.batchIntervalMs, completed });
    }
    return out;
  }

  get address(): string {
    return `${this.opts.bind ?? '127.0.0.1'}:${this.boundPort}`;
  }

  async start(): Promise<void> {
    if (this.state !== 'new') return;
    if (this.opts.spareJobThread) this.spareJobThreads.start();
    // Before any job runs (relaunchAll below), so every event is counted.
    if (this.opts.webPort !== undefined) await this.startMetrics();
    const bind = `${this.opts.bind ?? '127.0.0.1'}:${this.opts.port ?? 7077}`;
    try {
      this.boundPort = await new Promise<number>((resolve, reject) =>
        this.server.bindAsync(bind, serverCredentials(this.opts.security), (err, port) =>
          err ? reject(new SluiceError('SLUICE_IO', `driver cannot listen on ${bind}: ${listenFailure(err)}. Is another driver running? Use --port to pick another port.`, { cause: err })) : resolve(port),
        ),
      );
    } catch (err) {
      // Nothing started: leave no scratch directory behind (nor the state dir's lock).
      this.state = 'stopped';
      this.spareJobThreads.close();
      this.stateStore?.close();
      // The failure to start is what the user acts on (another driver on the port): a scratch
      // directory that cannot be removed too (removed or replaced meanwhile) must not replace it.
      try {
        fs.rmSync(this.localDir, { recursive: true, force: true });
      } catch (rmErr) {
        this.log.warn({ err: rmErr, dir: this.localDir }, "the driver's scratch directory could not be removed after its failed start: remove it by hand");
      }
      throw err;
    }
    // Relaunched before any call is served, so a client attaching again finds its job.
    this.launcher.relaunchAll();
    const hb = this.opts.heartbeatIntervalMs ?? 1000;
    this.registry.start(Math.max(50, Math.floor(hb / 2)));
    this.taskScheduler.start();
    if (this.opts.webPort !== undefined) this.webPort = await this.web.start(this.opts.bind ?? '127.0.0.1', this.opts.webPort, webTls(this.opts.security));
    this.state = 'running';
    this.log.info({ address: this.address }, 'driver listening');
    if (isPlaintextExposed(this.opts.bind ?? '127.0.0.1', this.opts.security)) this.log.warn({ address: this.address, hint: PLAINTEXT_HINT }, PLAINTEXT_WARNING);
  }

  /** Load prom-client and make the metrics, fed by the schedulers' events from now on. */
  private async startMetrics(): Promise<void> {
    const { PrometheusMetrics } = await import('./web/prometheus-metrics.js');
    this.metrics = new PrometheusMetrics(this.metricsSources);
    this.dag.addListener(this.metrics);
  }

  async stop(): Promise<void> {
    if (this.state !== 'running') {
      this.state = 'stopped';
      return;
    }
    this.state = 'stopped';
    // Jobs cancelled because the driver stops stay in the state dir's registry: the next
    // driver on it relaunches them (only a job that ends by itself or is stopped leaves it).
    // Each says so to its attached clients (a `sluice submit`, a `sluice shell`): whether a
    // driver started again relaunches it.
    for (const j of this.jobs.values()) j.cancel(stoppingDriverNote(j.id, this.stateStore));
    this.spareJobThreads.close();
    this.stateStore?.close();
    // Synchronously, before the first await: a caller that ends the workers right after
    // calling stop() (LocalCluster) finds no registry left to mark them lost.
    this.decommissioner.stop();
    this.taskScheduler.stop();
    this.registry.stop();
    await this.web.stop();
    // Receivers' report streams stay open between reports: end them, or the shutdown would wait for them.
    for (const call of this.reportStreams) call.end();
    this.reportStreams.clear();
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, 2000);
      this.server.tryShutdown(() => {
        clearTimeout(t);
        resolve();
      });
    });
    // As a worker's stop: a scratch directory that cannot be removed does not fail the stop.
    try {
      fs.rmSync(this.localDir, { recursive: true, force: true });
    } catch (err) {
      this.log.warn({ err, dir: this.localDir }, "stopping: the driver's scratch directory could not be removed: remove it by hand");
    }
  }

  /** Start a job from a bundle built by the CLI. */
  submit(req: SubmitRequest): DriverJob {
    if (this.state !== 'running') throw new SluiceError('SLUICE_INTERNAL', 'the driver is not running');
    return this.launcher.submit(req);
  }

  /** The running stages of a job's current attempt (`sluice jobs`, console progress bars). */
  stageProgress(jobId: string): wire.StageProgress__Output[] {
    const job = this.jobs.get(jobId);
    if (!job) return [];
    return this.dag.stageProgress(job.runId).map((s) => ({
      stage_id: s.stageId,
      stage_attempt: s.stageAttempt,
      num_tasks: s.numTasks,
      completed_tasks: s.completedTasks,
      running_tasks: s.runningTasks,
      failed_attempts: s.failedAttempts,
      submitted_ms_ago: s.submittedMsAgo,
    }));
  }

  /**
   * A worker excluded for every job (spark.excludeOnFailure) or offered tasks again: told to each
   * running job's program listening (Spark's SparkListenerExecutorExcluded, ...Unexcluded); with
   * killExcludedExecutors, an excluded worker is released as `sluice workers decommission`
   * releases it (its receivers moved to workers not excluded, its blocks and map outputs copied,
   * then it exits 0; one under a supervisor comes back under a new id, as Spark's killed executor
   * is replaced by a new one). Spark kills it outright (its map outputs then recomputed) unless
   * .killExcludedExecutors.decommission; Sluice's driver has no other way to make a worker leave.
   * Decommissioning off (--no-decommission): it is not released, as Spark's HealthTracker without
   * an allocation client, with a warning.
   */
  private exclusionChanged(e: ExclusionChange, conf: ExcludeOnFailureConf): void {
    for (const j of this.jobs.values()) j.executorExclusion(e);
    if (e.type !== 'excluded' || !conf.killExcludedExecutors) return;
    const log = this.opts.log.child({ component: 'health-tracker' });
    log.warn({ workerId: e.workerId }, `Killing excluded executor id ${e.workerId} since spark.excludeOnFailure.killExcludedExecutors is set: releasing the worker as 'sluice workers decommission' does`);
    void this.decommissioner.request(e.workerId)?.then((o) => {
      if (o.state === 'disabled') log.warn({ workerId: e.workerId }, `Not attempting to kill excluded executor id ${e.workerId}: decommissioning is off on this driver (--no-decommission); it stays excluded and running (stop it yourself, or run the driver without --no-decommission)`);
      else log.info({ workerId: e.workerId, state: o.state, message: o.message }, 'excluded worker released (spark.excludeOnFailure.killExcludedExecutors)');
    });
  }

  /**
   * Begin (or join) a worker's graceful decommission (Driver.DecommissionWorker, the REST
   * API, SIGTERM on the worker); undefined when no such worker is registered.
   */
  decommission(workerId: string): Promise<DecommissionOutcome> | undefined {
    return this.decommissioner.request(workerId);
  }

  /**
   * Where a registered worker's graceful decommission stands while one runs: 'draining',
   * 'migrating' or 'releasing' (`sluice workers`, `/api/v1/workers`, the UI's workers table);
   * undefined when none runs.
   */
  decommissionState(workerId: string): 'draining' | 'migrating' | 'releasing' | undefined {
    const p = this.decommissioner.phase(workerId);
    return p === 'draining' || p === 'migrating' || p === 'releasing' ? p : undefined;
  }

  /** Whether `given` is the cluster secret (compared in constant time): the REST API's POSTs need it. */
  isClusterSecret(given: string): boolean {
    const a = Buffer.from(given, 'utf8');
    const b = Buffer.from(this.opts.security.secret, 'utf8');
    return a.length === b.length && crypto.timingSafeEqual(a, b);
  }

  /**
   * A worker's report of a receiver (Driver.ReceiverReports); keep false tells it to stop
   * that receiver; rateLimit is its backpressure rate; appliedSeq the last of its events applied.
   */
  receiverReport(rep: wire.ReceiverReport__Output): ReceiverReportAnswer {
    return this.launcher.jobByRunId(rep.job_id)?.receiverReport(rep) ?? unknownReceiverAnswer(rep);
  }

  /**
   * Stream a job's output to a client: its id, the kept lines after `afterLine`, then live
   * lines, then how it ended (at once if it has ended). Used by SubmitJob and by WatchJob
   * (a client attaching again after its stream broke).
   */
  private streamJob(call: JobEventSink, job: DriverJob, afterLine: number): void {
    const writeEnd = (state: JobStateName, error: ErrorInfo | undefined): void => {
      if (state === 'succeeded') call.write({ done: true });
      else if (state === 'stopped') call.write({ stopped: job.stopKind ?? 'now' });
      else call.write({ failure: { code: error?.code ?? 'SLUICE_JOB_FAILED', message: error?.message ?? state, stack: error?.stack ?? '' } });
      call.end();
    };
    call.write({ job_id: job.id, output_epoch: this.instanceId });
    for (const [line, output, stderr] of job.output.since(afterLine)) call.write({ output, line, output_stderr: stderr });
    if (job.outcome) return writeEnd(job.outcome.state, job.outcome.error);
    const onOutput = (output: string, line: number, stderr: boolean): void => void call.write({ output, line, output_stderr: stderr });
    // A supervised attempt failed and the next starts: the attached client says so (what `sluice jobs` shows as ATTEMPT).
    const onRestart = (next: number, reason: ErrorInfo, delayMs: number): void =>
      void call.write({ restart: { failed_attempt: next - 1, next_attempt: next, max_attempts: next + job.restartsRemaining, code: reason.code, message: reason.message, failed_at_ms: this.clock.now(), delay_ms: delayMs } });
    const onEnd = (state: JobStateName, error: ErrorInfo | undefined): void => {
      detach();
      writeEnd(state, error);
    };
    const detach = (): void => {
      job.off('output', onOutput);
      job.off('restart', onRestart);
      job.off('end', onEnd);
    };
    job.on('output', onOutput);
    job.on('restart', onRestart);
    job.once('end', onEnd);
    // The client went away (or its connection dropped): stop writing; it may attach again.
    call.on('cancelled', detach);
    call.on('error', detach);
  }

  private service(): wire.DriverHandlers {
    return {
      RegisterWorker: (call, callback) => {
        const r = call.request;
        if (!r.worker_id || !r.port || !r.cores) {
          return callback({ code: grpc.status.INVALID_ARGUMENT, details: 'RegisterWorker needs worker_id, port and cores > 0' });
        }
        // A worker of another build (or an older one, which says none) is refused, not taken.
        const mismatch = buildMismatch({ sluiceVersion: r.sluice_version, protocol: r.protocol }, THIS_BUILD);
        if (mismatch !== undefined) {
          const address = `${r.host || '127.0.0.1'}:${r.port}`;
          const now = this.clock.now();
          const seen = this.refusedWorkers.get(r.worker_id);
          if (seen !== undefined && now - seen.loggedAt < REFUSAL_LOG_INTERVAL_MS) seen.since++;
          else {
            for (const [id, e] of this.refusedWorkers) if (now - e.loggedAt >= REFUSAL_LOG_INTERVAL_MS) this.refusedWorkers.delete(id);
            this.refusedWorkers.set(r.worker_id, { loggedAt: now, since: 0 });
            const again = seen === undefined ? {} : { refusedSinceLastLogged: seen.since };
            this.log.warn({ workerId: r.worker_id, address, workerVersion: r.sluice_version, workerProtocol: r.protocol, ...THIS_BUILD, ...again }, 'worker refused: another Sluice build');
          }
          return callback({ code: grpc.status.FAILED_PRECONDITION, details: `refused worker ${r.worker_id} at ${address}: ${mismatch}` });
        }
        this.registry.register(r.worker_id, `${r.host || '127.0.0.1'}:${r.port}`, r.cores, workerStorage(r.storage), r.worker_instance);
        callback(null, {
          heartbeat_interval_ms: this.opts.heartbeatIntervalMs ?? 1000,
          driver_instance: this.instanceId,
          sluice_version: THIS_BUILD.sluiceVersion,
          protocol: THIS_BUILD.protocol,
          // Answered with the registration itself: a job ended before it is not in the list, and
          // its release (sent to the workers registered as it ended) never reached this worker.
          live_jobs: this.dag.liveJobs(),
        });
      },
      Heartbeat: (call, callback) => {
        const storage = workerStorage(call.request.storage);
        const p = call.request.process;
        const processStats = p && {
          heapUsedBytes: Number(p.heap_used_bytes),
          heapTotalBytes: Number(p.heap_total_bytes),
          externalBytes: Number(p.external_bytes),
          cpuUserSeconds: p.cpu_user_seconds,
          cpuSystemSeconds: p.cpu_system_seconds,
          eventLoopLagMeanSeconds: p.event_loop_lag_mean_seconds,
          eventLoopLagP99Seconds: p.event_loop_lag_p99_seconds,
          eventLoopLagMaxSeconds: p.event_loop_lag_max_seconds,
        };
        const known = this.registry.heartbeat(call.request.worker_id, storage ?? undefined, processStats ?? undefined);
        if (known) {
          this.taskScheduler.heartbeat(call.request.worker_id, call.request.running_task_ids);
          // Cached partitions the worker spilled to its disk or dropped since its last beat.
          for (const b of call.request.spilled_rdd_blocks) this.dag.blockLocations.spilledAt(b, call.request.worker_id);
          for (const b of call.request.dropped_rdd_blocks) this.dag.blockLocations.removeAt(b, call.request.worker_id);
        }
        callback(null, {
          known,
          decommission: this.decommissioner.phase(call.request.worker_id) !== undefined,
          lost_peers: this.registry.lostPeers(),
        });
      },
      ListWorkers: (_call, callback) => {
        const now = this.clock.now();
        const receivers = new Map<string, number>();
        for (const j of this.jobs.values()) for (const w of j.receiverWorkers()) receivers.set(w, (receivers.get(w) ?? 0) + 1);
        callback(null, {
          workers: this.registry.all().map((w) => ({
            worker_id: w.id,
            address: w.address,
            cores: w.cores,
            running_tasks: w.cores - w.freeSlots,
            tasks_completed: w.tasksCompleted,
            last_heartbeat_ms_ago: Math.max(0, now - w.lastHeartbeat),
            receivers: receivers.get(w.id) ?? 0,
            storage: w.storage && {
              input_blocks: w.storage.inputBlocks,
              shuffle_blocks: w.storage.shuffleBlocks,
              rdd_blocks: w.storage.rddBlocks,
              memory_bytes: w.storage.memoryBytes,
              disk_bytes: w.storage.diskBytes,
              memory_limit_bytes: w.storage.memoryLimitBytes,
              rss_bytes: w.storage.rssBytes,
              broadcast_blocks: w.storage.broadcastBlocks,
            },
            decommission: this.decommissionState(w.id) ?? '',
          })),
        });
      },
      ListJobs: (call, callback) => {
        const now = this.clock.now();
        const only = call.request.job_id;
        const jobs = only ? [this.jobs.get(only)].filter((j) => j !== undefined) : [...this.jobs.values()];
        callback(null, {
          jobs: jobs.map((j) => ({
            job_id: j.id,
            name: j.name,
            state: j.state,
            streaming: j.streaming,
            batches_completed: j.batchesCompleted,
            last_processing_time_ms: j.lastBatch?.processingDelay ?? 0,
            last_total_delay_ms: j.lastBatch?.totalDelay ?? 0,
            last_batch_records: j.lastBatch?.numRecords ?? 0,
            started_ms_ago: Math.max(0, now - j.startedAt),
            error: j.error ? `${j.error.message}${j.error.stack ? `\n${j.error.stack}` : ''}` : '',
            ...runningTasksInfo(this.dag.runningTasks(j.runId)),
            attempt: j.attempt,
            last_receiver_error: j.lastReceiverError?.text ?? '',
            last_receiver_error_ms_ago: j.lastReceiverError ? Math.max(0, now - j.lastReceiverError.at) : 0,
            last_receiver_error_receiving_again: j.lastReceiverError?.receivingAgainAt !== undefined,
            last_receiver_error_receiving_again_ms_ago: j.lastReceiverError?.receivingAgainAt !== undefined ? Math.max(0, now - j.lastReceiverError.receivingAgainAt) : 0,
            stages: j.state === 'running' ? this.stageProgress(j.id) : [],
            falling_behind: j.fallingBehind ? describeFallingBehind(j.fallingBehind) : '',
            restart_in_ms: j.restartInMs ?? 0,
          })),
          earlier_jobs: only ? '' : (this.earlierJobsNote() ?? ''),
        });
      },
      StopJob: (call, callback) => {
        const job = this.jobs.get(call.request.job_id);
        if (!job) return callback(null, { found: false, missing: this.missingJob(call.request.job_id) });
        job.requestStop(call.request.graceful);
        callback(null, { found: true });
      },
      GetBroadcast: (call) => {
        const value = this.launcher.jobByRunId(call.request.job_id)?.broadcasts.get(call.request.broadcast_id);
        if (!value) {
          call.emit('error', { code: grpc.status.NOT_FOUND, details: `job ${call.request.job_id} has no broadcast ${call.request.broadcast_id} (the job ended?)` });
          return;
        }
        for (const c of chunks(value)) call.write({ data: c });
        call.end();
      },
      GetFile: (call) => {
        const job = this.launcher.jobByRunId(call.request.job_id);
        const ref = job?.files.get(call.request.name);
        if (!job || !ref) {
          call.emit('error', { code: grpc.status.NOT_FOUND, details: `job ${call.request.job_id} has no added file '${call.request.name}' (the job ended?)` });
          return;
        }
        serveAddedFile(call, job.filesDir, ref.name).catch((err: Error) => {
          this.log.warn({ err, jobId: call.request.job_id, name: ref.name }, 'cannot send an added file');
          call.emit('error', { code: grpc.status.INTERNAL, details: `cannot send the added file '${ref.name}' of job ${call.request.job_id}: ${err.message}` });
        });
      },
      GetBundle: (call) => {
        const b = this.launcher.bundle(call.request.sha256);
        if (!b) {
          call.emit('error', { code: grpc.status.NOT_FOUND, details: `no bundle ${call.request.sha256} on this driver` });
          return;
        }
        const map = Buffer.from(b.sourceMap, 'utf8');
        const head = Buffer.alloc(4);
        head.writeUInt32BE(map.length, 0);
        for (const c of chunks(Buffer.concat([head, map, b.code]))) call.write({ data: c });
        call.end();
      },
      SubmitJob: (call) => {
        let header: wire.JobHeader__Output | undefined;
        const parts: Buffer[] = [];
        const mapParts: Buffer[] = [];
        /** An interactive job's console, once the job started (JobHeader.interactive). */
        let jobConsole: JobConsole | undefined;
        let launched = false;
        const launch = (): void => {
          launched = true;
          if (!header) {
            call.emit('error', { code: grpc.status.INVALID_ARGUMENT, details: 'SubmitJob: the first message must be the job header' });
            return;
          }
          const code = Buffer.concat(parts);
          const sha = crypto.createHash('sha256').update(code).digest('hex');
          if (sha !== header.bundle_sha256) {
            call.emit('error', { code: grpc.status.DATA_LOSS, details: `bundle arrived corrupted: sha256 ${sha}, header says ${header.bundle_sha256}` });
            return;
          }
          const interactive = header.interactive === true;
          const shellConsole = interactive ? new JobConsole((m) => void call.write({ console: m.type === 'out' ? { data: m.data } : m.type === 'ready' ? { ready: true } : { exit: true } })) : undefined;
          let job: DriverJob;
          try {
            const sourceMap = mapParts.length > 0 ? Buffer.concat(mapParts).toString('utf8') : header.source_map;
            job = this.submit({
              name: header.name,
              code,
              sourceMap,
              args: shellConsole ? [shellConsole.name, ...header.args] : header.args,
              taskTimeoutMs: Number(header.task_timeout_ms ?? 0) || undefined,
              supervise: header.supervise,
              maxRestarts: header.supervise && header.max_restarts > 0 ? header.max_restarts : undefined,
              workingDir: header.working_dir || undefined,
              defaultParallelism: header.default_parallelism > 0 ? header.default_parallelism : undefined,
              ...(interactive ? { interactive } : {}),
              ...(Object.keys(header.executor_env ?? {}).length > 0 ? { executorEnv: { ...header.executor_env } } : {}),
            });
          } catch (err) {
            shellConsole?.close();
            call.emit('error', { code: grpc.status.FAILED_PRECONDITION, details: (err as Error).message });
            return;
          }
          if (shellConsole) {
            jobConsole = shellConsole;
            job.once('end', () => shellConsole.close());
            // The client is gone (killed, its connection lost): nothing can type at the shell
            // any more, so its job ends rather than wait, holding an action's tasks, for ever.
            const lost = (): void => {
              shellConsole.close();
              if (job.state !== 'running') return;
              this.log.info({ jobId: job.id }, 'interactive job stopped: its client is gone');
              job.requestStop(false);
            };
            call.on('cancelled', lost);
            call.on('error', lost);
          }
          this.streamJob(call, job, 0);
        };
        call.on('data', (m: wire.SubmitJobRequest__Output) => {
          if (m.header) header = m.header;
          else if (m.bundle_chunk) parts.push(m.bundle_chunk);
          else if (m.source_map_chunk) mapParts.push(m.source_map_chunk);
          else if (m.part === 'start' && header?.interactive === true && !launched) launch();
          else if (m.part === 'console_input' && m.console_input) jobConsole?.send(consoleIn(m.console_input));
        });
        call.on('error', () => undefined);
        call.on('end', () => {
          // An interactive job's client sends no more input: its console's input ended.
          if (launched) jobConsole?.send({ type: 'end' });
          else launch();
        });
      },
      WatchJob: (call) => {
        const job = this.jobs.get(call.request.job_id);
        if (!job) {
          call.emit('error', { code: grpc.status.NOT_FOUND, details: this.missingJob(call.request.job_id) });
          return;
        }
        // Lines numbered by another driver instance (before a restart) say nothing about ours.
        this.streamJob(call, job, call.request.output_epoch === this.instanceId ? Number(call.request.after_line) : 0);
      },
      DecommissionWorker: (call, callback) => {
        const id = call.request.worker_id;
        const outcome = this.decommission(id);
        if (!outcome) {
          return callback(null, { found: false, state: '', message: `this driver has no worker '${id}'; \`sluice workers\` lists them` });
        }
        if (!call.request.wait) {
          const phase = this.decommissioner.phase(id);
          if (phase !== undefined) return callback(null, { found: true, state: phase, message: `decommissioning worker ${id}` });
        }
        void outcome.then((o) =>
          callback(null, {
            found: true,
            state: o.state,
            receivers_moved: o.receiversMoved,
            input_blocks_moved: o.inputBlocksMoved,
            rdd_blocks_moved: o.rddBlocksMoved,
            map_outputs_moved: o.mapOutputsMoved,
            bytes_moved: o.bytesMoved,
            message: o.message,
          }),
        );
      },
      ReceiverReports: (call) => {
        // One receiver placement's reports, answered one by one in order (ReceiverReporter).
        this.reportStreams.add(call);
        const forget = (): void => void this.reportStreams.delete(call);
        call.on('data', (rep: wire.ReceiverReport__Output) => {
          let answer: ReceiverReportAnswer;
          try {
            answer = this.receiverReport(rep);
          } catch (err) {
            // The worker opens another stream and sends the report again.
            this.log.error({ err, jobId: rep.job_id, receiverId: rep.receiver_id }, 'cannot apply a receiver report');
            forget();
            call.emit('error', { code: grpc.status.INTERNAL, details: `the driver could not apply the report: ${(err as Error).message}` });
            return;
          }
          call.write({ keep: answer.keep, rate_limit: answer.rateLimit, applied_seq: answer.appliedSeq });
        });
        call.on('end', () => {
          forget();
          call.end();
        });
        call.on('error', forget);
        call.on('cancelled', forget);
      },
    };
  }
}

/** A client's ConsoleInput as the console's message (an empty one: no input). */
function consoleIn(m: wire.ConsoleInput__Output): ConsoleIn {
  if (m.kind === 'end') return { type: 'end' };
  if (m.kind === 'interrupt') return { type: 'interrupt' };
  if (m.kind === 'columns') return { type: 'resize', columns: m.columns ?? 80 };
  return { type: 'in', data: m.data ?? '' };
}

/** Why a job is cancelled when its driver stops, and what becomes of it (DriverNode.stop). */
function stoppingDriverNote(id: string, store: DriverStateStore | undefined): string {
  if (store === undefined) return 'the driver is stopping';
  if (!store.relaunches(id)) return 'the driver is stopping; a driver started again does not relaunch this job (a sluice shell\'s, or one being stopped)';
  return `the driver is stopping; the job stays registered in its --state-dir ${store.dir}, so a driver started again there relaunches it under this id (\`sluice attach ${id}\` follows it then)`;
}
