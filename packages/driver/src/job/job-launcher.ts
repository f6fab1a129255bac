import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { EXECUTOR_ENV_PREFIX, SluiceError, executorEnvProblem, materializeBundle, type Clock, type ExecutorEnv } from '@sluice/core/internal';
import type { WorkerRegistry } from '../cluster/worker-registry.js';
import type { DAGScheduler } from '../scheduler/dag-scheduler.js';
import type { DriverStateStore, PersistedJob } from '../state/driver-state-store.js';
import { DriverJob, type JobLaunchSpec, type SuperviseBackoff } from './driver-job.js';
import type { JobNumbering } from './missing-job.js';
import { DEFAULT_MAX_RESTARTS, DEFAULT_RETAINED_JOBS } from '../defaults.js';

export interface SubmitRequest {
  readonly name: string;
  readonly code: Uint8Array;
  readonly sourceMap: string;
  readonly args?: readonly string[];
  /** Task attempts running longer are killed and count as failed (default: no limit). */
  readonly taskTimeoutMs?: number;
  /** Restart the program when it fails, at most `maxRestarts` times (default DEFAULT_MAX_RESTARTS) — Spark's --supervise. */
  readonly supervise?: boolean;
  readonly maxRestarts?: number;
  /** Absolute directory the job's relative paths resolve against (where `sluice submit` ran; default: the driver's). */
  readonly workingDir?: string;
  /** `sluice submit --conf spark.default.parallelism`: this job's, over the driver's (DriverOptions.defaultParallelism). */
  readonly defaultParallelism?: number;
  /** The program reads input from its client (`sluice shell --driver`): not registered in the state dir, as a restarted driver has no client to relaunch it for. */
  readonly interactive?: boolean;
  /** `--conf spark.executorEnv.NAME=value`: set in the process.env of this job's task and receiver threads on every worker, and no other job's. */
  readonly executorEnv?: ExecutorEnv;
}

/** Where it is defined (a module of constants the command line can load alone). */
export { DEFAULT_MAX_RESTARTS } from '../defaults.js';

export interface JobLauncherDeps {
  readonly dag: DAGScheduler;
  readonly registry: WorkerRegistry;
  readonly clock: Clock;
  readonly log: Logger;
  /** The process's root logger: each job makes its own component loggers from it (no key bound twice). */
  readonly rootLog: Logger;
  /** Where bundles are written to be imported (the driver's scratch directory). */
  readonly bundleRoot: string;
  /** Where each job attempt's added files are kept (the driver's scratch directory); default a temporary directory. */
  readonly filesRoot?: string;
  /** The --state-dir registry, if the driver has one. */
  readonly stateStore: DriverStateStore | undefined;
  /** spark.default.parallelism, when the driver was given it (DriverOptions.defaultParallelism). */
  readonly defaultParallelism?: number;
  /** False once the driver stops: jobs it cancels then stay in the registry for the next driver. */
  readonly driverRunning: () => boolean;
  /** Completed batches each streaming job's UI keeps (DEFAULT_RETAINED_BATCHES when absent). */
  readonly retainedBatches?: number;
  /** Level of each job's 'job failed' line (DriverOptions.jobFailureLogLevel). */
  readonly jobFailureLogLevel?: 'warn' | 'info';
  /** Called with each job as it starts (before any of its events), e.g. to count its batches. */
  readonly jobStarted?: (job: DriverJob) => void;
  /** Finished jobs kept before the oldest is forgotten (DriverOptions.retainedJobs; DEFAULT_RETAINED_JOBS when absent). */
  readonly retainedJobs?: number;
  /** Called with each finished job as it is forgotten (past retainedJobs), e.g. to drop its metric series. */
  readonly jobForgotten?: (job: DriverJob) => void;
  /** Where each attempt's driver-program thread comes from (a kept one of the bundle, the one started ahead: DriverOptions.spareJobThread) and goes back to. */
  readonly threads?: JobLaunchSpec['threads'];
  /** The @sluice/core those threads run, which the bundles link to (DriverOptions.jobThreadCode; default the package). */
  readonly coreDir?: string;
  /** What each job's sc.master says, asked as it starts (DriverOptions.master, else the driver's address). */
  readonly master?: () => string;
  /** Whether each job's broadcasts are LZ4-compressed (DriverOptions.broadcastCompress). */
  readonly broadcastCompress?: boolean;
  /** Whether each job's RDD checkpoints are LZ4-compressed (DriverOptions.checkpointCompress). */
  readonly checkpointCompress?: boolean;
  /** The driver's web UI's URL (sc.uiWebUrl), asked as each job starts; undefined when the UI is off. */
  readonly uiWebUrl?: () => string | undefined;
  /** Whether each job's persisted RDDs' blocks are LZ4-compressed (DriverOptions.rddCompress). */
  readonly rddCompress?: boolean;
  /** Whether each job's program cleans what it drops (DriverOptions.referenceTracking). */
  readonly referenceTracking?: boolean;
  /** How long a stop asked of a job's program may take before it is cancelled (DriverOptions.stopLimitMs). */
  readonly stopLimitMs?: number;
  /** The waits before a supervised job's restarts (DriverOptions.superviseBackoff). */
  readonly superviseBackoff?: SuperviseBackoff;
}

/**
 * Starts the driver's jobs — submitted ones, and with a --state-dir the ones a previous
 * driver ran (`relaunchAll`, each as its next attempt under the same id) — keeps them by
 * id and their bundles by sha256, and keeps the state dir's registry in step with them:
 * a job is registered before it starts, updated when its attempt, checkpoint directory
 * or stop request changes, and removed once its state is final (unless the driver itself
 * is stopping: then it stays, to be relaunched). Of the finished jobs it keeps the last
 * `retainedJobs` (Spark's spark.deploy.retainedApplications), each with what its UI shows;
 * an older one is forgotten, and its bundle with it when no kept job has the same.
 *
 * Invariants: every job in `jobs` that is running, not being stopped and not interactive is in
 * the registry; at most `retainedJobs` jobs in `jobs` are finished; `bundles` holds the bundle of
 * every job in `jobs`.
 * Threading: driver main thread.
 */
export class JobLauncher {
  /** Jobs by their user-visible id (all attempts of a job are one entry). */
  readonly jobs = new Map<string, DriverJob>();
  private readonly bundles = new Map<string, { code: Buffer; sourceMap: string; path: string }>();
  /** Ids of the finished jobs in `jobs`, in the order they finished. */
  private readonly finished: string[] = [];
  /** How many jobs finished on this driver (relaunched ones too), for missing-job.ts' note. */
  private endedHere = 0;
  private jobCounter = 0;
  /** The earlier driver's jobs relaunched (from the --state-dir) at start. */
  private readonly relaunched = new Set<string>();
  /** When this launcher's driver started (its clock). */
  private readonly startedAt: number;

  constructor(private readonly deps: JobLauncherDeps) {
    this.startedAt = deps.clock.now();
  }

  /** What the job numbers say of the jobs this driver does not have (missing-job.ts). */
  numbering(): JobNumbering {
    const store = this.deps.stateStore;
    return {
      kept: this.jobs.keys(),
      relaunched: this.relaunched,
      nextNumber: store ? store.nextNumber : this.jobCounter + 1,
      startedAt: this.startedAt,
      stateDir: store?.dir,
      earlierBelow: store?.earlierJobNumbers?.below,
      earlierFrom: store?.earlierJobNumbers?.from,
      endedHere: this.endedHere,
      retainedJobs: this.deps.retainedJobs ?? DEFAULT_RETAINED_JOBS,
    };
  }

  /** A kept bundle, for workers (GetBundle). */
  bundle(sha: string): { code: Buffer; sourceMap: string; path: string } | undefined {
    return this.bundles.get(sha);
  }

  /** The job whose current attempt workers know as `runId` (DriverJob.runId). */
  jobByRunId(runId: string): DriverJob | undefined {
    for (const j of this.jobs.values()) if (j.runId === runId) return j;
    return undefined;
  }

  submit(req: SubmitRequest): DriverJob {
    if (req.maxRestarts !== undefined && (!Number.isInteger(req.maxRestarts) || req.maxRestarts < 0)) {
      throw new SluiceError('SLUICE_BAD_ARGUMENT', `maxRestarts (--max-restarts) must be a non-negative integer, got ${String(req.maxRestarts)}`);
    }
    const executorEnv = req.executorEnv === undefined || Object.keys(req.executorEnv).length === 0 ? undefined : req.executorEnv;
    for (const [name, value] of Object.entries(executorEnv ?? {})) {
      const problem = executorEnvProblem(name, value);
      if (problem !== undefined) throw new SluiceError('SLUICE_BAD_ARGUMENT', `--conf ${EXECUTOR_ENV_PREFIX}${name.slice(0, 100)}: ${problem}`);
    }
    const store = this.deps.stateStore;
    const sha = crypto.createHash('sha256').update(req.code).digest('hex');
    const b = this.keepBundle(sha, req.code, req.sourceMap);
    const number = store ? store.takeJobNumber() : ++this.jobCounter;
    const id = `job-${String(number).padStart(4, '0')}-${crypto.randomBytes(3).toString('hex')}`;
    const maxRestarts = req.supervise ? (req.maxRestarts ?? DEFAULT_MAX_RESTARTS) : 0;
    // spark-submit's --conf spark.default.parallelism is the application's; else the driver's.
    const setParallelism = req.defaultParallelism ?? this.deps.defaultParallelism;
    const parallelism = setParallelism ?? Math.max(2, this.deps.registry.totalCores());
    const parallelismSet = setParallelism !== undefined;
    const args = req.args ?? [];
    const workingDir = req.workingDir !== undefined && path.isAbsolute(req.workingDir) ? req.workingDir : undefined;
    // Registered before it starts: a driver killed from here on relaunches it (an interactive
    // one is not: its input came from a client's stream, which a restarted driver does not have).
    if (req.interactive === true) store?.numberTaken();
    else store?.add(
      { id, name: req.name, bundleSha: sha, args, taskTimeoutMs: req.taskTimeoutMs, parallelism, ...(parallelismSet ? { parallelismSet } : {}), supervise: req.supervise === true, restartsLeft: maxRestarts, attempt: 1, state: 'running', workingDir, ...(executorEnv === undefined ? {} : { executorEnv }) },
      req.code,
      req.sourceMap,
    );
    return this.start({ id, name: req.name, bundleSha: sha, bundlePath: b.path, args, taskTimeoutMs: req.taskTimeoutMs, maxRestarts, ...(req.supervise === true ? { supervise: true } : {}), parallelism, parallelismSet, workingDir, ...(executorEnv === undefined ? {} : { executorEnv }) });
  }

  /** At start with a state dir: launch again, under the same ids, the jobs a previous driver ran and did not stop. */
  relaunchAll(): void {
    const store = this.deps.stateStore;
    if (!store) return;
    for (const p of store.registered) {
      if (p.state === 'stopping' && p.stop !== 'graceful') {
        this.deps.log.info({ jobId: p.id }, 'not relaunching a job that was being stopped');
        store.remove(p.id);
        continue;
      }
      if (p.state === 'stopping') {
        // Its graceful stop promised that every batch of what its receivers stored runs: those
        // still pending are in its checkpoint (their blocks in its write-ahead log), and run
        // only if it is started again; Spark's driver recovers them from the checkpoint alike.
        this.deps.log.warn(
          { jobId: p.id, name: p.name, checkpointDir: p.checkpointDir },
          `job ${p.id} was being stopped gracefully (sluice stop --graceful) when the previous driver ended: relaunching it to finish its graceful stop: it recovers from its checkpoint, runs the batches its receivers had stored, and stops`,
        );
      }
      this.relaunch(store, p);
    }
  }

  private relaunch(store: DriverStateStore, p: PersistedJob): void {
    let bundle: { code: Buffer; sourceMap: string };
    try {
      bundle = store.readBundle(p.bundleSha);
    } catch (err) {
      this.deps.log.error({ jobId: p.id, err }, 'cannot relaunch a registered job: its bundle is gone; forgetting it');
      store.remove(p.id);
      return;
    }
    const b = this.keepBundle(p.bundleSha, bundle.code, bundle.sourceMap);
    const attempt = p.attempt + 1;
    store.update(p.id, { attempt });
    this.deps.log.info({ jobId: p.id, name: p.name, attempt, checkpointDir: p.checkpointDir }, 'relaunching a job of the previous driver');
    this.relaunched.add(p.id);
    this.start({ id: p.id, name: p.name, bundleSha: p.bundleSha, bundlePath: b.path, args: p.args, taskTimeoutMs: p.taskTimeoutMs, parallelism: p.parallelism, parallelismSet: p.parallelismSet === true, maxRestarts: p.restartsLeft, ...(p.supervise ? { supervise: true } : {}), firstAttempt: attempt, workingDir: p.workingDir, ...(p.executorEnv === undefined ? {} : { executorEnv: p.executorEnv }), ...(p.state === 'stopping' && p.stop === 'graceful' ? { stopGracefully: true } : {}) });
  }

  /** Keep a bundle by sha256 for workers (GetBundle) and the job thread. */
  private keepBundle(sha: string, code: Uint8Array, sourceMap: string): { code: Buffer; sourceMap: string; path: string } {
    let b = this.bundles.get(sha);
    if (!b) {
      const file = materializeBundle(this.deps.bundleRoot, sha, code, sourceMap, this.deps.coreDir);
      b = { code: Buffer.from(code), sourceMap, path: file };
      this.bundles.set(sha, b);
    }
    return b;
  }

  /** A job just finished: kept, and the oldest finished one forgotten past `retainedJobs`. */
  private keepFinished(job: DriverJob): void {
    if (this.jobs.get(job.id) !== job) return;
    this.endedHere++;
    this.finished.push(job.id);
    while (this.finished.length > (this.deps.retainedJobs ?? DEFAULT_RETAINED_JOBS)) {
      const old = this.jobs.get(this.finished.shift()!);
      if (old === undefined || old.state === 'running') continue;
      this.jobs.delete(old.id);
      this.deps.jobForgotten?.(old);
      const sha = old.bundleSha;
      const b = this.bundles.get(sha);
      if (b === undefined || [...this.jobs.values()].some((j) => j.bundleSha === sha)) continue;
      this.bundles.delete(sha);
      // Its file goes too: a job submitted again with the same code writes it afresh (keepBundle).
      fs.rmSync(path.dirname(b.path), { recursive: true, force: true });
    }
  }

  private start(spec: JobLaunchSpec): DriverJob {
    const { dag, registry, clock, rootLog, stateStore: store } = this.deps;
    const job = new DriverJob({ ...spec, failureLogLevel: this.deps.jobFailureLogLevel, threads: this.deps.threads, master: this.deps.master?.(), uiWebUrl: this.deps.uiWebUrl?.(), filesRoot: this.deps.filesRoot, ...(this.deps.broadcastCompress === true ? { broadcastCompress: true } : {}), ...(this.deps.checkpointCompress === true ? { checkpointCompress: true } : {}), ...(this.deps.rddCompress === true ? { rddCompress: true } : {}), ...(this.deps.referenceTracking === false ? { referenceTracking: false } : {}), ...(this.deps.stopLimitMs === undefined ? {} : { stopLimitMs: this.deps.stopLimitMs }), ...(this.deps.superviseBackoff === undefined ? {} : { superviseBackoff: this.deps.superviseBackoff }) }, dag, registry, clock, rootLog, this.deps.retainedBatches);
    this.jobs.set(spec.id, job);
    this.deps.jobStarted?.(job);
    job.once('finished', () => this.keepFinished(job));
    if (store) {
      job.on('restart', (attempt) => store.update(spec.id, { attempt, restartsLeft: job.restartsRemaining }));
      job.on('checkpointDir', (dir) => store.update(spec.id, { checkpointDir: dir }));
      job.on('stopRequested', () => store.update(spec.id, { state: 'stopping', ...(job.stopKind === 'graceful' ? { stop: 'graceful' as const } : {}) }));
      // A job cancelled because the driver stops stays registered for the next one.
      job.once('finished', () => {
        if (this.deps.driverRunning()) store.remove(spec.id);
      });
    }
    return job;
  }
}
