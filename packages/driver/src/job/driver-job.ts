import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import { RESUBMITTED_ERROR_STRING, TaskFailedError, executorLostErrorString, isCompressedBroadcast, isSluiceError, taskErrorStringWithStack, taskKilledErrorString, userErrorInfo, workerLostReason, type AddedFileRef, type BatchInfo, type ExecutorEnv, type Clock, type FallingBehind, type InputRate, type SchedulerEvent, type SchedulingMode, type wire } from '@sluice/core/internal';
import { RddCallSites } from './rdd-call-sites.js';
import { JobOutput } from './job-output.js';
import { ReceiverTracker, unknownReceiverAnswer, type ReceiverReportAnswer } from '../streaming/receiver-tracker.js';
import { BlockRemovals } from './block-removals.js';
import type { WorkerRegistry } from '../cluster/worker-registry.js';
import type { DAGScheduler } from '../scheduler/dag-scheduler.js';
import type { ExclusionChange } from '../scheduler/health-tracker.js';
import type { SchedulerListener } from '../scheduler/scheduler-listener.js';
import type { ErrorInfo, JobThreadData, JobToMain, MainToJob } from './job-protocol.js';
import { DEFAULT_RETAINED_BATCHES, StreamingProgress } from '../status/streaming-progress.js';
import { JobStageStatus } from '../status/job-stage-status.js';
import { answerStatus } from '../status/status-answers.js';
import { DashboardStore, MAX_DASHBOARDS_PER_JOB } from '../status/dashboard-store.js';
import { outputEndLine, startProgramThread, type SpareJobThreads } from './spare-job-threads.js';
import type { ProgramThread, ProgramThreadOwner } from './program-thread.js';
import { DEFAULT_SUPERVISE_BACKOFF, STOP_REQUEST_LIMIT_MS, formatWait, type SuperviseBackoff } from '../defaults.js';
import { repeatedAtStartWhy, taskConnectionCause } from './unrecoverable-failure.js';

export { DEFAULT_SUPERVISE_BACKOFF, type SuperviseBackoff };

type TaskEndSchedulerEvent = Extract<SchedulerEvent, { type: 'taskEnd' }>;

/**
 * How long the end of a running attempt killed here waits for its worker's answer (what it
 * measured) before it goes to the program's listener without it: a worker answers a kill at
 * once (it reads the task thread's counters and terminates it); one that does not (lost, its
 * connection cut) would otherwise keep the end from the program.
 */
const KILLED_END_HOLD_MS = 5000;

/**
 * How a job ends. `stopped`: `sluice stop` asked it to (gracefully or not) and its program
 * then ended without failing — as Spark's KILLED application state, never `succeeded`, so
 * `sluice jobs` tells a job that finished its work from one that was stopped. `cancelled`:
 * ended without being asked (the driver stopped).
 */
export type JobStateName = 'running' | 'succeeded' | 'failed' | 'cancelled' | 'stopped';

export interface DriverJobEvents {
  /** A printed line, its number in the job's output (from 1), and whether the program printed it on its standard error. */
  output: [line: string, lineNumber: number, stderr: boolean];
  end: [state: JobStateName, error: ErrorInfo | undefined];
  /** A supervised job failed and starts attempt `attempt` `delayMs` after the failure (its back-off, SuperviseBackoff). */
  restart: [attempt: number, reason: ErrorInfo, delayMs: number];
  /** The program set its checkpoint directory (sc.setCheckpointDir / ssc.checkpoint). */
  checkpointDir: [dir: string];
  /** A stop was asked for (`sluice stop`). */
  stopRequested: [];
  /** The job's state is final (emitted at once; `end` follows once its output drained). */
  finished: [state: JobStateName];
  /** A streaming batch completed (its output operations ran, or one threw). */
  batch: [info: BatchInfo];
  /** A batch took `records` records its receivers stored for stream `streamId`. */
  received: [streamId: number, records: number];
}

/** How a job is launched: what `sluice submit` sent, and what the driver keeps for a relaunch. */
export interface JobLaunchSpec {
  /** The id users see (`sluice jobs`, `sluice stop`); the same for every attempt. */
  readonly id: string;
  readonly name: string;
  readonly bundleSha: string;
  readonly bundlePath: string;
  readonly args: readonly string[];
  readonly taskTimeoutMs?: number;
  /** Default number of partitions the program sees; fixed at the first launch so a relaunch partitions as it did (default: the cluster's cores, at least 2). */
  readonly parallelism?: number;
  /** Whether `parallelism` is spark.default.parallelism (set on the driver), not the cluster's cores. */
  readonly parallelismSet?: boolean;
  /** Restart the program (a new attempt) when it fails, at most this many times (0: never). */
  readonly maxRestarts?: number;
  /** Submitted with --supervise (its restarts may be spent: maxRestarts counts those left). */
  readonly supervise?: boolean;
  /** The waits before those restarts (DriverOptions.superviseBackoff); DEFAULT_SUPERVISE_BACKOFF by default. */
  readonly superviseBackoff?: SuperviseBackoff;
  /** Absolute directory the job's relative paths resolve against (default: the driver's working directory). */
  readonly workingDir?: string;
  /** Level of the 'job failed' log line (default warn; `sluice run` reports the failure itself: info). */
  readonly failureLogLevel?: 'warn' | 'info';
  /** Number of the first attempt this DriverJob runs (a driver relaunching a job after a restart continues its count). */
  readonly firstAttempt?: number;
  /**
   * A graceful stop was asked for before this DriverJob (the previous driver's, relaunched to
   * finish it): the program's StreamingContext stops gracefully as soon as it starts.
   */
  readonly stopGracefully?: boolean;
  /** Where an attempt's thread comes from and a thread its program left clean goes back to (SpareJobThreads); undefined: a new thread of the modules' entry each attempt, terminated after it. */
  readonly threads?: Pick<SpareJobThreads, 'threadFor' | 'giveBack' | 'attemptEnded'>;
  /** What the program's sc.master says (DriverOptions.master, else the driver's address); default `local`. */
  readonly master?: string;
  /** Whether the program's broadcasts are LZ4-compressed (spark.broadcast.compress; DriverOptions.broadcastCompress). */
  readonly broadcastCompress?: boolean;
  /** Whether the program's RDD checkpoints are LZ4-compressed (spark.checkpoint.compress; DriverOptions.checkpointCompress). */
  readonly checkpointCompress?: boolean;
  /** What the program's sc.uiWebUrl says: the driver's web UI's URL; undefined when the UI is off. */
  readonly uiWebUrl?: string;
  /** Whether the program's persisted RDDs' blocks are LZ4-compressed (spark.rdd.compress; DriverOptions.rddCompress). */
  readonly rddCompress?: boolean;
  /** Whether the program cleans what it drops once collected (spark.cleaner.referenceTracking; DriverOptions.referenceTracking). */
  readonly referenceTracking?: boolean;
  /** How long a stop asked of the program may take before it is cancelled (spark.streaming.gracefulStopTimeout; DriverOptions.stopLimitMs); STOP_REQUEST_LIMIT_MS by default. */
  readonly stopLimitMs?: number;
  /** Where each attempt's files directory is made (sc.addFile's copies, served to workers); default a directory of the system's temporary one. */
  readonly filesRoot?: string;
  /** The job's executor environment (spark.executorEnv.*): every task and receiver thread of each attempt has it in its process.env. */
  readonly executorEnv?: ExecutorEnv;
}

/** What workers and the DAG scheduler call one attempt of a job: `<id>` for the first, `<id>.<n>` after. */
export function attemptRunId(jobId: string, attempt: number): string {
  return attempt <= 1 ? jobId : `${jobId}.${attempt}`;
}


/** One run of the job's driver program: its thread and what the cluster keeps for it. */
interface Attempt {
  readonly number: number;
  /** The id workers and the DAG scheduler see for this attempt (attemptRunId). */
  readonly runId: string;
  /** Where the attempt's program copies the files it adds (sc.addFile), served to workers from there; removed when the attempt ends. */
  readonly filesDir: string;
  readonly thread: ProgramThread;
  /** The attempt's output is all here (ProgramThreadOwner.drained). */
  drained: boolean;
  tracker: ReceiverTracker | undefined;
  /** Removals of the attempt's blocks on workers, a call per worker per BLOCK_REMOVAL_DELAY_MS. */
  readonly removals: BlockRemovals;
  /** Set once the attempt ended (its thread is let go). */
  over: boolean;
  /** Resolves once the thread has exited: nothing of this attempt runs any more (a thread given back never exits for it: only a failed attempt waits for this). */
  readonly exited: Promise<void>;
  /**
   * What cancels each action the attempt's program is running, by its runJob request id
   * (cancelJob). The attempt's own: a restarted attempt's thread numbers its requests from 1
   * again, so an earlier attempt's action ending late must neither remove nor be reached
   * through a later attempt's entry of the same number.
   */
  readonly actionAborts: Map<number, AbortController>;
  /** The attempt's program has a SparkListener: its jobs' scheduler events are forwarded to it. */
  listening: boolean;
  /** The job's batchesCompleted when the attempt started: more at its end, and it did not fail at its start. */
  readonly batchesBefore: number;
  /** When the attempt started (clock ms): a long run resets the restarts' back-off. */
  readonly startedAt: number;
}

/**
 * One submitted job on the driver: its driver program runs in a thread of its own (one
 * that ran an earlier job of the same bundle and was left clean, SpareJobThreads, or a
 * new one), whose actions become DAG scheduler jobs and whose printed lines are re-emitted
 * as `output` events (ProgramThread: only the lines before the job's end line). When the program ends (or is cancelled) the job's state on the
 * driver and on every worker is released.
 *
 * A job runs as one or more **attempts** under the same user-visible `id`: a supervised
 * job whose program fails is started again (`maxRestarts`), and a driver restarted on its
 * state dir relaunches a job with the next attempt number. Each attempt has its own run id
 * (attemptRunId) for everything workers hold — shuffle outputs, cached and received
 * blocks, job sandboxes, receivers, broadcasts — so no attempt reads what an earlier one
 * left; an attempt's state is released on the driver and the workers when it ends.
 *
 * Lifecycle: running -> succeeded | failed | cancelled | stopped (each end emitted once, after the
 * last attempt). Output lines are numbered across attempts.
 * Threading: driver main thread.
 */
export class DriverJob extends EventEmitter<DriverJobEvents> {
  state: JobStateName = 'running';
  error: ErrorInfo | undefined;
  readonly startedAt: number;
  /** What the program's sc.master says (the launch spec's master, else `local`). */
  get master(): string {
    return this.spec.master ?? 'local';
  }
  /** Whether `parallelism` is spark.default.parallelism as given (the job's --conf, else the driver's), not the cluster's cores. */
  get parallelismSet(): boolean {
    return this.spec.parallelismSet === true;
  }
  /** The job's executor environment (spark.executorEnv.*), or undefined. */
  get executorEnv(): ExecutorEnv | undefined {
    return this.spec.executorEnv;
  }
  endedAt: number | undefined;
  actionsRun = 0;
  /** Streaming figures, for `sluice jobs`. */
  streaming = false;
  batchesCompleted = 0;
  lastBatch: BatchInfo | undefined;
  /**
   * The last error a receiver of the job reported or met, and when (clock ms), for `sluice jobs`;
   * `receivingAgainAt`: when that receiver's stream reported records again after it (undefined: none since).
   */
  lastReceiverError: { readonly text: string; readonly at: number; readonly streamId: number; receivingAgainAt: number | undefined } | undefined;
  /** Batches (the last `retainedBatches` completed ones, and those queued or running) and receivers, for the Streaming UI. */
  readonly progress: StreamingProgress;
  /** The job's live dashboards (dstream.toDashboard), for the UI's Dashboard page and REST API; kept after it ends. */
  readonly dashboards = new DashboardStore();
  /** The actions and stages the job ran (the last few thousand), for the UI's job and stage pages. */
  readonly stages: JobStageStatus;
  /** Its RDDs' creation sites, formatted by its program's thread when a page or REST call asks (callSitesAsked). */
  readonly callSites = new RddCallSites();
  /** The formatCallSites requests waiting for the program's answer, by reqId. */
  private readonly callSiteRequests = new Map<number, (sites: readonly (readonly [number, string | null])[]) => void>();
  private nextCallSiteRequest = 1;
  /** How the current attempt's program schedules its jobs (sc.setSchedulerMode; FIFO until it says): the UI shows pools under FAIR. */
  schedulingMode: SchedulingMode = 'FIFO';
  /**
   * Set while the streaming job falls behind: its scheduling delay grew for N completed
   * batches in a row (StreamingContextOptions.fallingBehindBatches, default 10), until a
   * batch starts within one batch interval again. `sluice jobs` and the UI show it.
   */
  fallingBehind: FallingBehind | undefined;
  /** Each input's rate as backpressure set it last (empty with backpressure off), by stream id. */
  private readonly rates = new Map<number, InputRate>();
  /** Encoded broadcast values of the current attempt, by id, served to workers (GetBroadcast). */
  readonly broadcasts = new Map<number, Uint8Array>();
  /** Files the current attempt's program added (sc.addFile), by name, served to workers (GetFile) from its files directory. */
  readonly files = new Map<string, AddedFileRef>();
  /** The last lines the job printed, for clients that attach again (WatchJob). */
  readonly output = new JobOutput();
  /** How the job ended, once `end` was emitted. */
  outcome: { readonly state: JobStateName; readonly error: ErrorInfo | undefined } | undefined;
  /** Restarts a failure may still cause. */
  private restartsLeft: number;
  /** The checkpoint directory the program set last (sc.setCheckpointDir / ssc.checkpoint), for the advice of a supervised job's final failure. */
  private checkpointDir: string | undefined;
  /** A stop was asked for (`sluice stop`): a failure after it is not restarted, and an end without one is `stopped`. */
  private stopRequested = false;
  /** How the stop was asked for, once it was. */
  stopKind: 'graceful' | 'now' | undefined;
  /** Set when the stop passed its bound and the program was cancelled (stopOverdue): what the stopped job's error says. */
  private stopCutShort: ErrorInfo | undefined;
  private current: Attempt;
  /** A failed attempt is over and the next one is not started yet (its thread must exit first). */
  private betweenAttempts = false;
  private restartTimer: NodeJS.Timeout | undefined;
  /** When the next attempt starts (clock ms), while one waits for its back-off. */
  private restartAt: number | undefined;
  /** The wait before the next restart, unless the failed attempt ran long enough to reset it (SuperviseBackoff). */
  private nextBackoffMs: number;
  /** How the last attempt failed if it failed at its start (no batch completed; its run id read as the job's), else undefined (repeatedAtStartWhy). */
  private startFailure: { readonly code: string; readonly message: string } | undefined;
  private readonly log: Logger;
  /** The process's root logger, for this job's other components (their `component` is bound once). */
  private readonly rootLog: Logger;
  private pendingEnd: [JobStateName, ErrorInfo | undefined] | undefined;
  readonly id: string;
  readonly name: string;
  readonly parallelism: number;

  constructor(
    private readonly spec: JobLaunchSpec,
    private readonly dag: DAGScheduler,
    private readonly registry: WorkerRegistry,
    private readonly clock: Clock,
    rootLog: Logger,
    retainedBatches = DEFAULT_RETAINED_BATCHES,
  ) {
    super();
    this.progress = new StreamingProgress(retainedBatches);
    // Every batch runs one action per output operation or more: keep jobs for a few per batch.
    this.stages = new JobStageStatus(() => this.current.runId, Math.max(1000, 4 * retainedBatches), (jobId, props) => {
      if (props.outputOperation) this.progress.attachJob(props.outputOperation, jobId);
    }, () => clock.now());
    dag.addListener(this.stages);
    dag.addListener(this.forwarder);
    this.id = spec.id;
    this.name = spec.name;
    this.rootLog = rootLog;
    this.log = rootLog.child({ component: 'driver', jobId: spec.id });
    this.startedAt = clock.now();
    this.parallelism = spec.parallelism ?? Math.max(2, registry.totalCores());
    this.restartsLeft = spec.maxRestarts ?? 0;
    this.nextBackoffMs = (spec.superviseBackoff ?? DEFAULT_SUPERVISE_BACKOFF).firstMs;
    if (spec.stopGracefully === true) {
      this.stopRequested = true;
      this.stopKind = 'graceful';
      // Bounded as a stop asked of a running job is.
      setTimeout(() => this.stopOverdue(), this.spec.stopLimitMs ?? STOP_REQUEST_LIMIT_MS).unref();
    }
    this.current = this.launch(spec.firstAttempt ?? 1);
  }

  /** Restarts a failure may still cause. */
  get restartsRemaining(): number {
    return this.restartsLeft;
  }

  /** While the job waits to start its next attempt (a supervised restart's back-off): in how many ms it starts (at least 1). */
  get restartInMs(): number | undefined {
    return this.restartAt === undefined ? undefined : Math.max(1, this.restartAt - this.clock.now());
  }

  /** The current attempt's number (from 1). */
  get attempt(): number {
    return this.current.number;
  }

  /** The id workers see for the current attempt's tasks, blocks and receivers. */
  get runId(): string {
    return this.current.runId;
  }

  /** Where the current attempt's added files are on the driver (`files` names them). */
  /** The sha256 of the job's bundle (its code: every attempt's). */
  get bundleSha(): string {
    return this.spec.bundleSha;
  }

  get filesDir(): string {
    return this.current.filesDir;
  }

  private launch(number: number): Attempt {
    const runId = attemptRunId(this.spec.id, number);
    this.schedulingMode = 'FIFO';
    this.dag.startJob(runId, this.spec.bundleSha, { taskTimeoutMs: this.spec.taskTimeoutMs, ...(this.spec.executorEnv === undefined ? {} : { executorEnv: this.spec.executorEnv }) });
    const filesDir = path.join(this.spec.filesRoot ?? path.join(os.tmpdir(), `sluice-driver-files-${process.pid}`), runId);
    // A driver killed before it removed it left it (a relaunched job's attempt has a run id of its own, but a restarted driver's job ids start again).
    fs.rmSync(filesDir, { recursive: true, force: true });
    const data: JobThreadData = { jobId: this.spec.id, appName: this.spec.name, master: this.spec.master ?? 'local', ...(this.spec.uiWebUrl === undefined ? {} : { uiWebUrl: this.spec.uiWebUrl }), bundlePath: this.spec.bundlePath, args: this.spec.args, parallelism: this.parallelism, ...(this.spec.parallelismSet === true ? { parallelismSet: true } : {}), ...(this.spec.broadcastCompress === true ? { broadcastCompress: true } : {}), ...(this.spec.checkpointCompress === true ? { checkpointCompress: true } : {}), ...(this.spec.rddCompress === true ? { rddCompress: true } : {}), ...(this.spec.referenceTracking === false ? { referenceTracking: false } : {}), workingDir: this.spec.workingDir, filesDir, outputEnd: outputEndLine(runId), ...(this.stopKind === 'graceful' ? { stopRequested: 'graceful' as const } : {}) };
    let exitedNow = (): void => undefined;
    const exited = new Promise<void>((r) => (exitedNow = r));
    // The thread calls these only once `a` is set (its events come in later turns).
    let a: Attempt | undefined;
    const owner: ProgramThreadOwner = {
      message: (m) => {
        if (a === this.current && !a.over) this.onMessage(m);
      },
      line: (line, stderr) => this.emit('output', line, this.output.append(line, stderr), stderr),
      drained: () => {
        if (!a) return;
        a.drained = true;
        if (a === this.current) this.flushEnd();
      },
      error: (err) => {
        // Trimmed to the program's frames, as every other error of the program is (userErrorInfo):
        // an error Sluice threw in the program's call (Task not serializable in an rdd.foreach
        // not awaited) came with 30 of Sluice's frames around the user's one line.
        if (a === this.current) this.attemptEnded('failed', { code: 'SLUICE_JOB_FAILED', message: `the driver program crashed: ${err.message}`, stack: userErrorInfo(err).stack });
      },
      exit: (code) => {
        this.log.info({ attempt: number, runId }, 'job attempt thread exited');
        exitedNow();
        if (a === this.current && !a.over) this.attemptEnded('failed', { code: 'SLUICE_JOB_FAILED', message: `the driver program exited (code ${code}) before returning`, stack: '' });
      },
    };
    const thread = this.spec.threads?.threadFor(data, this.spec.bundleSha, owner) ?? startProgramThread(data, owner);
    a = { number, runId, filesDir, thread, drained: false, tracker: undefined, removals: new BlockRemovals(this.registry), over: false, exited, actionAborts: new Map(), listening: false, batchesBefore: this.batchesCompleted, startedAt: this.clock.now() };
    this.log.info({ name: this.spec.name, attempt: number, runId, taskTimeoutMs: this.spec.taskTimeoutMs }, number === 1 ? 'job started' : 'job attempt started');
    return a;
  }

  /** End the job now, whatever attempt runs (the driver stops, or a stop timed out); `why` follows the message's `was cancelled: `. */
  cancel(why?: string): void {
    this.attemptEnded('cancelled', { code: 'SLUICE_CANCELLED', message: `job ${this.id} was cancelled${why === undefined ? '' : `: ${why}`}`, stack: '' });
  }

  /**
   * A stop asked of the streaming program (`sluice stop`, a signal to `sluice run`, a graceful
   * stop relaunched to be finished) that did not end within the bound: the program is cancelled,
   * as Spark's StreamingContext.stop gives up after spark.streaming.gracefulStopTimeout, and the
   * job ends saying what that leaves and where it is, not only that it was cancelled.
   */
  private stopOverdue(): void {
    if (this.state !== 'running') return;
    const limitMs = this.spec.stopLimitMs ?? STOP_REQUEST_LIMIT_MS;
    const graceful = this.stopKind === 'graceful';
    const message =
      `${graceful ? `the graceful stop of job ${this.id}` : `the stop of job ${this.id}`} did not end within ${limitMs / 1000} s ` +
      `(--conf spark.streaming.gracefulStopTimeout on 'sluice driver' or 'sluice run'), so its program was cancelled` +
      (graceful ? ' with batches of what its receivers had stored not yet run' : '') +
      `: with a checkpoint directory, the batches not completed stay pending in it (received blocks in its write-ahead log) and run when the job is submitted again on it (StreamingContext.getOrCreate); ` +
      `without one (or with the log off) what they held is lost`;
    this.log.warn({ limitMs, graceful }, message);
    this.stopCutShort = { code: 'SLUICE_CANCELLED', message, stack: '' };
    this.attemptEnded('cancelled', this.stopCutShort);
  }

  /** `sluice stop`: a streaming job stops its StreamingContext (gracefully if asked); a batch job is cancelled. */
  requestStop(graceful: boolean): void {
    if (this.state !== 'running') return;
    this.stopRequested = true;
    this.stopKind = graceful ? 'graceful' : 'now';
    this.emit('stopRequested');
    if (this.betweenAttempts) return this.cancel(); // nothing runs to stop
    if (this.streaming) {
      this.post({ type: 'stopRequested', graceful });
      // A driver program that does not end within the bound of the request is cancelled.
      setTimeout(() => this.stopOverdue(), this.spec.stopLimitMs ?? STOP_REQUEST_LIMIT_MS).unref();
    } else this.cancel();
  }

  /** A worker's report of one of this job's receivers (of the current attempt); keep false: stop that receiver. */
  receiverReport(rep: wire.ReceiverReport__Output): ReceiverReportAnswer {
    if (this.state !== 'running' || rep.job_id !== this.current.runId) return unknownReceiverAnswer(rep);
    return this.current.tracker?.report(rep) ?? unknownReceiverAnswer(rep);
  }

  /** The inputs' rates backpressure set last (records/s), in stream order; empty with backpressure off. */
  inputRates(): InputRate[] {
    return [...this.rates.values()].sort((a, b) => a.streamId - b.streamId);
  }

  /** The address of a worker, if it is registered. */
  workerAddress(workerId: string): string | undefined {
    return this.registry.get(workerId)?.address;
  }

  /** Move this job's receivers off a decommissioning worker (ReceiverTracker.moveFrom); resolves with how many moved. */
  moveReceiversFrom(workerId: string): Promise<number> {
    if (this.state !== 'running') return Promise.resolve(0);
    return this.current.tracker?.moveFrom(workerId) ?? Promise.resolve(0);
  }

  /**
   * A worker excluded for every job or offered tasks again (spark.excludeOnFailure): told to the
   * running attempt's program while it has a SparkListener, as Spark's listener bus posts
   * SparkListenerExecutorExcluded and ...Unexcluded to every listener of the application; one
   * excluded for a stage attempt, to that stage's job only (SparkListenerExecutorExcludedForStage).
   */
  executorExclusion(e: ExclusionChange): void {
    const a = this.current;
    if (!a.listening || this.state !== 'running' || a.over) return;
    if (e.type === 'excludedForStage') {
      // A stage's: told to its own job's program only.
      if (e.runId === a.runId) this.postTo(a, { type: 'schedulerEvent', event: { type: 'executorExcludedForStage', executorId: e.workerId, time: e.time, taskFailures: e.taskFailures, stageId: e.stageId, stageAttempt: e.stageAttempt } });
      return;
    }
    this.postTo(a, {
      type: 'schedulerEvent',
      event: e.type === 'excluded' ? { type: 'executorExcluded', executorId: e.workerId, time: e.time, taskFailures: e.taskFailures } : { type: 'executorUnexcluded', executorId: e.workerId, time: e.time },
    });
  }

  /** Worker ids running this job's receivers. */
  receiverWorkers(): string[] {
    return this.current.tracker?.receiverWorkers() ?? [];
  }

  private receiverTracker(): ReceiverTracker {
    const a = this.current;
    a.tracker ??= new ReceiverTracker(a.runId, this.spec.bundleSha, this.registry, (event) => {
      this.progress.onReceiverEvent(event, this.clock.now());
      const error =
        event.type === 'error'
          ? event.message
          : event.type === 'stopped' && event.restarting
            ? `the receiver stopped by itself (${event.reason}${stackHead(event.stack)}); restarting the receiver`
            : event.type === 'stopped' && event.inPlace
              ? event.reason
              : undefined;
      if (error !== undefined) this.lastReceiverError = { text: `stream ${event.streamId} (${event.name}) on ${event.workerId}: ${error}`, at: this.clock.now(), streamId: event.streamId, receivingAgainAt: undefined };
      this.post({ type: 'receiverEvent', event });
    }, this.rootLog.child({ component: 'receiver-tracker', jobId: this.id, runId: a.runId }), this.clock, () => [...this.files.values()], (workerId) => this.dag.isWorkerExcluded(workerId), (streamId) => {
      const now = this.clock.now();
      this.progress.onReceiverRecords(streamId, now);
      const last = this.lastReceiverError;
      if (last?.streamId === streamId) last.receivingAgainAt ??= now;
    }, this.spec.executorEnv);
    return a.tracker;
  }

  /**
   * Forwards the DAG scheduler's events of the running attempt's jobs to its program while it
   * has a SparkListener. A job's start goes a microtask later, once the scheduler gave it its
   * stages (before any of them is submitted: that takes an await).
   */
  /**
   * Ends of running attempts killed here held for the program's listener until their worker
   * answers (onKilledTaskMeasured), by task id, with when they were held (clock ms): at most
   * KILLED_END_HOLD_MS, then sent as they are.
   */
  private readonly heldKilledEnds = new Map<string, { readonly event: TaskEndSchedulerEvent; readonly at: number }>();

  private holdKilledEnd(runId: string, event: TaskEndSchedulerEvent): void {
    const at = this.clock.now();
    this.heldKilledEnds.set(event.taskId, { event, at });
    void this.clock.waitUntil(at + KILLED_END_HOLD_MS).then(() => {
      if (this.heldKilledEnds.get(event.taskId)?.event !== event) return;
      this.heldKilledEnds.delete(event.taskId);
      if (this.forwarding(this.current, runId)) this.post({ type: 'schedulerEvent', event });
    });
  }

  private readonly forwarder: SchedulerListener = {
    onJobStart: (e) => {
      const a = this.current;
      if (!this.forwarding(a, e.runId)) return;
      queueMicrotask(() => {
        const stageIds = this.dag.actionStageIds(e.runId, e.jobId) ?? [];
        const { group, description, pool } = e.properties;
        this.postTo(a, { type: 'schedulerEvent', event: { type: 'jobStart', jobId: e.jobId, time: e.time, stageIds, ...(group !== undefined && { group }), ...(description !== undefined && { description }), ...(pool !== undefined && { pool }) } });
      });
    },
    onStageSubmitted: (e) => {
      if (this.forwarding(this.current, e.runId)) this.post({ type: 'schedulerEvent', event: { type: 'stageSubmitted', jobId: e.jobId, stageId: e.stageId, stageAttempt: e.stageAttempt, kind: e.kind, name: e.name, numTasks: e.numTasks, time: e.time, ...(e.pool !== undefined && { pool: e.pool }) } });
    },
    // Whether the program listens or not: its accumulators are merged task by task.
    onTaskAccumulators: (e) => {
      const a = this.current;
      if (a.runId === e.runId) this.postTo(a, { type: 'taskAccumulators', stageId: e.stageId, attempt: e.stageAttempt, taskId: e.taskId, updates: e.updates });
    },
    onTaskStart: (e) => {
      if (this.forwarding(this.current, e.runId)) this.post({ type: 'schedulerEvent', event: { type: 'taskStart', stageId: e.stageId, stageAttempt: e.stageAttempt, taskId: e.taskId, partition: e.partition, attempt: e.attempt, workerId: e.workerId, speculative: e.speculative, time: e.time, taskLocality: e.taskLocality } });
    },
    onTaskEnd: (e) => {
      if (!this.forwarding(this.current, e.runId)) return;
      const { runId: _runId, error, measuredLater, ...rest } = e;
      // Spark's ExceptionFailure: its className and toErrorString (class, message, stack) beside the message.
      const failure =
        error !== undefined
          ? { error: error.message, errorString: error.errorString ?? taskErrorStringWithStack(error.className, error.message, error.stack), ...(error.className !== undefined && { className: error.className }) }
          : // Spark's ExecutorLostFailure: the executor (the worker) exited unrelated to the running tasks.
            e.reason === 'worker_lost'
            ? { error: workerLostReason(e.workerId), errorString: executorLostErrorString(e.workerId) }
            : // Spark's Resubmitted.toErrorString (it has no message of its own).
              e.reason === 'resubmitted'
              ? { errorString: RESUBMITTED_ERROR_STRING }
              : // Spark's TaskKilled(reason).toErrorString.
                e.killReason !== undefined && { errorString: taskKilledErrorString(e.killReason) };
      const event: TaskEndSchedulerEvent = { type: 'taskEnd', ...rest, ...failure };
      if (measuredLater === true) this.holdKilledEnd(e.runId, event);
      else this.post({ type: 'schedulerEvent', event });
    },
    // A running attempt killed here: its end goes to the program with what its worker measured
    // until the kill, as Spark's TaskKilled carries the task's metrics (posted when its executor
    // reports it, so after the stage's or job's end at times).
    onKilledTaskMeasured: (e) => {
      const held = this.heldKilledEnds.get(e.taskId);
      if (held === undefined) return;
      this.heldKilledEnds.delete(e.taskId);
      if (!this.forwarding(this.current, e.runId)) return;
      const waited = Math.max(0, this.clock.now() - held.at);
      this.post({ type: 'schedulerEvent', event: e.metrics === undefined ? held.event : { ...held.event, metrics: e.metrics, shuffleReadBytes: e.shuffleReadBytes, durationMs: held.event.durationMs + waited } });
    },
    onStageCompleted: (e) => {
      if (this.forwarding(this.current, e.runId)) this.post({ type: 'schedulerEvent', event: { type: 'stageCompleted', stageId: e.stageId, stageAttempt: e.stageAttempt, time: e.time, ...(e.failure !== undefined && { failure: e.failure }) } });
    },
    onJobEnd: (e) => {
      if (this.forwarding(this.current, e.runId)) this.post({ type: 'schedulerEvent', event: { type: 'jobEnd', jobId: e.jobId, time: e.time, ...(e.failure !== undefined && { failure: e.failure }) } });
    },
  };

  private forwarding(a: Attempt, runId: string): boolean {
    return a.listening && a.runId === runId && this.state === 'running' && !a.over;
  }

  private post(m: MainToJob): void {
    this.postTo(this.current, m);
  }

  /**
   * An answer to a request of attempt `a`, sent once it is ready: dropped when `a` is no longer
   * the running attempt (its request numbers mean other requests to a restarted attempt's thread).
   */
  /**
   * Have the program's thread format the creation sites of the RDDs its actions sent that no page
   * asked yet (callSites), before a page or REST call about this job is answered; resolves after
   * at most `timeoutMs` (a synchronous action keeps the thread from answering: those pages show
   * no call site until the next ask), at once when the job no longer runs.
   */
  callSitesAsked(timeoutMs = 1000): Promise<void> {
    const a = this.current;
    return this.callSites.ask((ids) => {
      if (this.state !== 'running' || a.over) return Promise.resolve(undefined);
      const reqId = this.nextCallSiteRequest++;
      return new Promise((resolve) => {
        this.callSiteRequests.set(reqId, (sites) => {
          this.callSiteRequests.delete(reqId);
          resolve(sites);
        });
        this.postTo(a, { type: 'formatCallSites', reqId, rddIds: ids });
        // Dropped unanswered (the ask timed out): no longer waited for.
        setTimeout(() => this.callSiteRequests.delete(reqId), 60_000).unref();
      });
    }, timeoutMs);
  }

  private postTo(a: Attempt, m: MainToJob): void {
    if (this.state === 'running' && a === this.current && !a.over) a.thread.postMessage(m);
  }

  private onMessage(m: JobToMain): void {
    // A thread still talking after its job ended (cancelled, failed) changes nothing.
    if (this.state !== 'running') return;
    switch (m.type) {
      case 'runJob': {
        this.actionsRun++;
        if (m.graph.rddInfos !== undefined) this.callSites.seen(Object.keys(m.graph.rddInfos).map(Number));
        const a = this.current;
        const abort = new AbortController();
        a.actionAborts.set(m.reqId, abort);
        this.dag.runJob(a.runId, m.graph, m.action, m.partitions, { ...(m.outputOperation && { outputOperation: m.outputOperation }), ...(m.description !== undefined && { description: m.description }), ...(m.group !== undefined && { group: m.group }), ...(m.tags !== undefined && { tags: m.tags }), ...(m.pool !== undefined && { pool: m.pool }) }, m.partials ? (partition, value) => this.postTo(a, { type: 'jobPartial', reqId: m.reqId, partition, value }) : undefined, abort.signal, m.jobIds ? (jobId) => this.postTo(a, { type: 'jobStarted', reqId: m.reqId, jobId }) : undefined).finally(() => a.actionAborts.delete(m.reqId)).then(
          (result) => this.postTo(a, { type: 'jobResult', reqId: m.reqId, result }),
          (err: unknown) => {
            const e = err as Error;
            this.postTo(a, {
              type: 'jobError',
              reqId: m.reqId,
              code: isSluiceError(e) ? e.code : 'SLUICE_INTERNAL',
              message: e.message,
              stack: e instanceof TaskFailedError ? e.userStack : (e.stack ?? ''),
            });
          },
        );
        return;
      }
      case 'cancelJob':
        this.current.actionAborts.get(m.reqId)?.abort(m.reason);
        return;
      case 'cancelJobId':
        this.dag.cancelActionById(this.runId, m.jobId, m.reason);
        return;
      case 'cancelStage':
        this.dag.cancelStage(this.runId, m.stageId, m.reason);
        return;
      case 'killTaskAttempt':
        this.post({ type: 'taskKilled', reqId: m.reqId, killed: this.dag.killTaskAttempt(this.runId, m.taskId, m.reason) });
        return;
      case 'removeRdd': {
        const a = this.current;
        this.dag.removeRddBlocks(a.runId, m.rddId);
        void Promise.all(this.registry.all().map((w) => w.endpoint.removeRdd(a.runId, m.rddId))).then(() => this.postTo(a, { type: 'ack', reqId: m.reqId }));
        return;
      }
      case 'listen':
        this.current.listening = m.on;
        return;
      case 'status':
        this.post({ type: 'status', reqId: m.reqId, answer: answerStatus(m.query, this.stages, this.dag.runningTasks(this.runId), (jobId) => this.dag.actionStageIds(this.runId, jobId), () => this.dag.storedRdds(this.runId), (graph, partition) => this.dag.preferredLocationsOf(this.runId, graph, partition)) });
        return;
      case 'cachedPartitions':
        this.post({ type: 'partitions', reqId: m.reqId, partitions: this.dag.cachedPartitions(this.runId, m.rddId) });
        return;
      case 'putBroadcast':
        this.broadcasts.set(m.id, m.value);
        // As Spark's "Block broadcast_N stored as bytes in memory (estimated size ...)": what each worker fetches.
        this.log.info({ broadcastId: m.id, bytes: m.value.length, lz4: isCompressedBroadcast(m.value) }, 'broadcast stored');
        return;
      case 'addFile':
        this.files.set(m.ref.name, m.ref);
        this.dag.addFile(this.runId, m.ref);
        this.log.info({ name: m.ref.name, directory: m.ref.directory, sha256: m.ref.sha256 }, 'file added');
        return;
      case 'removeBroadcast': {
        // As Spark's BlockManagerMaster.removeBroadcast: every worker drops its copies; destroy also the driver's.
        const a = this.current;
        if (m.fromDriver) this.broadcasts.delete(m.id);
        void Promise.all(this.registry.all().map((w) => w.endpoint.removeBroadcast(a.runId, m.id))).then(() => this.postTo(a, { type: 'ack', reqId: m.reqId }));
        return;
      }
      case 'removeShuffles': {
        this.dag.removeShuffles(this.runId, m.shuffleIds);
        // Each map output is one block, shuffle_<run>_<shuffle>_<map>.
        const prefixes = m.shuffleIds.map((s) => `shuffle_${this.runId}_${s}_`);
        for (const w of this.registry.all()) this.current.removals.remove(w.id, [], prefixes);
        return;
      }
      case 'startReceiver':
        this.streaming = true;
        this.progress.onReceiverStarting(m.streamId, m.name);
        this.receiverTracker().start(m.streamId, m.receiver, m.options, m.name);
        return;
      case 'stopReceivers': {
        const a = this.current;
        void (a.tracker?.stopAll({ graceful: m.graceful === true }) ?? Promise.resolve()).then(() => this.postTo(a, { type: 'ack', reqId: m.reqId }));
        return;
      }
      case 'allocateBlocks': {
        const tracker = this.receiverTracker();
        const blocks = tracker.allocate(m.streamId, m.before);
        this.progress.onBlocksAllocated(m.streamId, blocks.reduce((n, b) => n + b.numRecords, 0));
        for (const b of blocks) for (const l of b.locations) this.dag.blockLocations.add(b.blockId, l.workerId);
        this.post({ type: 'blocks', reqId: m.reqId, blocks, liveWriters: tracker.liveWriters(m.streamId), endedWriters: tracker.endedWriters(m.streamId), releasedWriters: tracker.releasedWriters(m.streamId) });
        if (blocks.length > 0) this.emit('received', m.streamId, blocks.reduce((n: number, b) => n + Number(b.numRecords), 0));
        return;
      }
      case 'removeBlocks':
        // Where each block is now: its worker and its replica, or the copies a decommission made.
        for (const id of m.blockIds) for (const w of this.dag.blockLocations.workersFor(id) ?? []) this.current.removals.remove(w, [id]);
        this.dag.blockLocations.removeIds(m.blockIds);
        return;
      case 'batch':
        this.streaming = true;
        this.batchesCompleted++;
        this.lastBatch = m.info;
        this.progress.onBatchCompleted(m.info);
        this.emit('batch', m.info);
        return;
      case 'progress':
        this.streaming = true;
        this.progress.onProgress(m.event);
        return;
      case 'flow': {
        this.streaming = true;
        this.fallingBehind = m.status.fallingBehind ?? undefined;
        this.rates.clear();
        for (const r of m.status.rates) {
          this.rates.set(r.streamId, r);
          if (r.kind === 'receiver') this.current.tracker?.updateRate(r.streamId, r.rate);
        }
        return;
      }
      case 'dashboard':
        this.streaming = true;
        if (!this.dashboards.apply(m.event) && m.event.type === 'defined') {
          this.log.warn({ dashboard: m.event.definition.name, max: MAX_DASHBOARDS_PER_JOB }, 'too many dashboards: this one is not shown');
        }
        return;
      case 'log': {
        // The program's components (streaming-context, job-scheduler) name themselves; the
        // job id is bound here. Neither key may appear twice in a line.
        const { component, jobId: _jobId, ...fields } = m.fields;
        const log = typeof component === 'string' ? this.rootLog.child({ component, jobId: this.id }) : this.log;
        log[m.level](fields, m.message);
        return;
      }
      case 'scheduler':
        this.schedulingMode = m.config.mode;
        this.dag.setScheduler(this.current.runId, m.config);
        return;
      case 'checkpointDir':
        this.checkpointDir = m.dir;
        this.emit('checkpointDir', m.dir);
        return;
      case 'accumulables':
        this.stages.onAccumulables(m.values);
        return;
      case 'callSites':
        this.callSiteRequests.get(m.reqId)?.(m.sites);
        return;
      case 'done':
        if (!m.reusable) this.log.debug({ reason: m.notReusable }, 'the job thread serves no later job');
        this.attemptEnded('succeeded', undefined, m.reusable);
        return;
      case 'many': {
        // Once one of them ended the attempt, the rest change nothing (as the thread's own messages then).
        const a = this.current;
        for (const one of m.messages) {
          if (a !== this.current || a.over) return;
          this.onMessage(one);
        }
        return;
      }
      case 'failed':
        this.attemptEnded('failed', { code: m.code, message: m.message, stack: m.stack, ...(m.unrecoverable === undefined ? {} : { unrecoverable: m.unrecoverable }) });
        return;
      default: {
        const never: never = m;
        this.log.error({ message: never }, 'unknown message from job thread');
      }
    }
  }

  /**
   * The current attempt ended (or is ended: cancelled). Release what it holds on the
   * driver and the workers; then a supervised job that failed starts its next attempt,
   * and any other end is the job's.
   */
  private attemptEnded(state: JobStateName, error: ErrorInfo | undefined, reusable = false): void {
    if (this.state !== 'running') return;
    if (this.betweenAttempts) {
      // Only a cancel gets here: no attempt runs, and none will.
      clearTimeout(this.restartTimer);
      this.restartTimer = undefined;
      this.restartAt = undefined;
      this.betweenAttempts = false;
      return this.finish(state, error);
    }
    const a = this.current;
    if (a.over) return;
    a.over = true;
    this.progress.attemptEnded(this.clock.now());
    a.tracker?.close();
    a.tracker = undefined;
    a.removals.close();
    this.broadcasts.clear();
    this.files.clear();
    fs.rmSync(a.filesDir, { recursive: true, force: true });
    // The attempt's flow control is over with it (a next attempt reports its own).
    this.rates.clear();
    this.fallingBehind = undefined;
    this.dag.endJob(a.runId);
    for (const w of this.registry.all()) void w.endpoint.releaseJob(a.runId);
    if (state === 'succeeded' && reusable && this.spec.threads) {
      // The program returned leaving nothing behind: its thread may serve a later job of the bundle.
      this.spec.threads.giveBack(a.thread, a.runId, this.spec.bundleSha);
    } else if (state !== 'cancelled') {
      // The program returned or threw (or its thread is gone): let the thread exit by
      // itself so its last printed lines (often what explains a failure) arrive first.
      setTimeout(() => a.thread.terminate(), 2000).unref();
    } else a.thread.terminate();
    this.spec.threads?.attemptEnded();
    if (state === 'failed' && this.restartsLeft > 0 && !this.stopRequested && error?.unrecoverable !== undefined) {
      // A restart would fail the same way: stop now, saying why, with the restarts left unspent.
      this.log.warn({ attempt: a.number, restartsLeft: this.restartsLeft, code: error.code, reason: error.message, why: error.unrecoverable }, 'job failed in a way a restart does not fix; not restarting it (--supervise)');
      return this.finish(state, { ...error, message: `${error.message} (--supervise does not restart it: ${error.unrecoverable})` });
    }
    // A failure at the attempt's start (no batch completed), kept to compare the next attempt's with.
    const atStart = state === 'failed' && error !== undefined && this.batchesCompleted === a.batchesBefore ? { code: error.code, message: error.message.split(a.runId).join(this.id) } : undefined;
    const before = this.startFailure;
    this.startFailure = atStart;
    const repeated = atStart !== undefined && before !== undefined && atStart.code === before.code && atStart.message === before.message ? repeatedAtStartWhy(atStart.code, atStart.message) : undefined;
    if (state === 'failed' && this.restartsLeft > 0 && !this.stopRequested && repeated !== undefined) {
      this.log.warn({ attempt: a.number, restartsLeft: this.restartsLeft, code: error?.code, reason: error?.message, why: repeated }, 'job failed again at its start as before; not restarting it (--supervise)');
      return this.finish(state, { ...error!, message: `${error!.message} (--supervise stopped restarting it after attempt ${a.number}, ${this.restartsLeft} restart${this.restartsLeft === 1 ? '' : 's'} left unspent: ${repeated}; fix it and submit the job again)` });
    }
    if (state === 'failed' && this.restartsLeft > 0 && !this.stopRequested) {
      this.restartsLeft--;
      const next = a.number + 1;
      // Spark's DriverRunner back-off: doubling from the first wait, reset by a long run.
      const backoff = this.spec.superviseBackoff ?? DEFAULT_SUPERVISE_BACKOFF;
      const failedAt = this.clock.now();
      const delayMs = failedAt - a.startedAt >= backoff.resetAfterMs ? backoff.firstMs : this.nextBackoffMs;
      this.nextBackoffMs = Math.min(backoff.maxMs, delayMs * 2);
      this.restartAt = failedAt + delayMs;
      this.log.warn({ attempt: a.number, nextAttempt: next, restartsLeft: this.restartsLeft, delayMs, code: error?.code, reason: error?.message }, `job failed; restarting it in ${formatWait(delayMs)} (--supervise)`);
      this.emit('restart', next, error!, delayMs);
      this.betweenAttempts = true;
      // Only once the failed program's thread is gone (at most 2 s, see above): two attempts
      // must never run at once, both writing the job's checkpoints.
      void a.exited.then(() => {
        if (this.state !== 'running' || !this.betweenAttempts) return;
        this.restartTimer = setTimeout(() => {
          this.restartTimer = undefined;
          this.restartAt = undefined;
          this.betweenAttempts = false;
          if (this.state === 'running') {
            this.callSites.clear();
            // The figures `sluice jobs`, the Streaming page and the REST API show are the
            // current attempt's (README: "A relaunched job's figures count from its relaunch").
            this.batchesCompleted = 0;
            this.lastBatch = undefined;
            this.progress.attemptStarted();
            this.current = this.launch(next);
          }
        }, Math.max(0, failedAt + delayMs - this.clock.now()));
      });
      return;
    }
    if (state === 'failed' && error?.code === 'SLUICE_TASK_FAILED' && this.spec.supervise === true && this.restartsLeft === 0 && !this.stopRequested) {
      // Its restarts spent on a task that threw (a record its code cannot take, most often):
      // another restart meets the same record; the code must change, the checkpoint can stay.
      // A task that could not reach a server is another matter: a later attempt gets past it
      // once the server answers, and the code is not at fault.
      const again = this.checkpointDir === undefined || !this.streaming ? '' : ` with the same checkpoint directory (${this.checkpointDir}): it recovers from the last completed batch`;
      const unreached = taskConnectionCause(error.message);
      const advice =
        unreached === undefined
          ? `--supervise has no restart left, and restarts do not get past a task of the job's code that throws: fix the code and submit it again${again}`
          : `--supervise has no restart left: the last attempt's task could not reach a server (${unreached}), which a restart gets past once the server answers; check that it is up and reachable from the workers, then submit the job again${again}, or give it more restarts (--max-restarts)`;
      return this.finish(state, { ...error, message: `${error.message} (${advice})` });
    }
    this.finish(state, error);
  }

  private finish(ended: JobStateName, endError: ErrorInfo | undefined): void {
    this.dag.removeListener(this.stages);
    this.dag.removeListener(this.forwarder);
    // Asked to stop, and it did (or was cancelled when it did not in time): stopped, with no
    // error, but for a stop cut short by its bound, whose error says what it left (stopOverdue).
    const stopped = this.stopRequested && (ended === 'succeeded' || ended === 'cancelled');
    const state: JobStateName = stopped ? 'stopped' : ended;
    const error = stopped ? (ended === 'cancelled' ? this.stopCutShort : undefined) : endError;
    this.state = state;
    this.error = error;
    this.endedAt = this.clock.now();
    if (state === 'failed') this.log[this.spec.failureLogLevel ?? 'warn']({ code: error?.code, message: error?.message, attempt: this.attempt }, 'job failed');
    else this.log.info({ state, attempt: this.attempt }, 'job ended');
    this.pendingEnd = [state, error];
    this.emit('finished', state);
    this.flushEnd();
  }

  /** Emit `end` once the thread's output streams have drained (or 1 s later at most). */
  private flushEnd(): void {
    if (!this.pendingEnd) return;
    const emitEnd = (): void => {
      if (!this.pendingEnd) return;
      const [s, e] = this.pendingEnd;
      this.pendingEnd = undefined;
      this.outcome = { state: s, error: e };
      this.emit('end', s, e);
    };
    if (this.current.drained) emitEnd();
    else setTimeout(emitEnd, 1000).unref();
  }
}

/**
 * " - " and the first line of an error's stack (its name and message), "" without one: what
 * Spark's deregisterReceiver logs after the stop's message ("Deregistered receiver for stream
 * <id>: <message> - <error>"), so a failed start names its error, not only "Error starting receiver <id>".
 */
function stackHead(stack: string): string {
  const head = stack.split('\n', 1)[0];
  return head === '' ? '' : ` - ${head}`;
}

