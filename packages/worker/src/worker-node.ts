import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import {
  CHANNEL_OPTIONS,
  CallGate,
  DEFAULT_SPILL_RECORDS,
  SluiceError,
  isSluiceError,
  THIS_BUILD,
  WORKER_MAX_REQUEST_BYTES,
  buildMismatch,
  channelCredentials,
  checkSecretStrength,
  loadProto,
  keepScratchDir,
  makeScratchDir,
  PLAINTEXT_HINT,
  PLAINTEXT_WARNING,
  isPlaintextExposed,
  isTooManyOpenFiles,
  listenFailure,
  materializeBundle,
  removeDeadScratchDirs,
  secretMetadata,
  serverCredentials,
  serverOptions,
  tooManyOpenFilesFix,
  unreachableReason,
  type SecurityConfig,
  type ThreadCode,
  type wire,
} from '@sluice/core/internal';
import { Executor } from './executor/executor.js';
import { AddedFileWriter } from './executor/added-file-writer.js';
import { JobFiles } from './executor/job-files.js';
import type { ReportStream, ReportStreamHandlers } from './receiver/receiver-reporter.js';
import { ProcessStats } from './process-stats.js';
import { workerService } from './rpc/worker-service.js';
import { ShuffleStreamHandler } from './rpc/shuffle-stream-handler.js';
import { IndexShuffleBlockResolver } from './shuffle/index-shuffle-block-resolver.js';
import { DEFAULT_PEER_CONNECT_TIMEOUT_MS, PEER_CONNECT_TIMEOUT_OPTION, ShuffleClient } from './shuffle/shuffle-client.js';
import { BlockManager } from './storage/block-manager.js';
import { BlockMigrator } from './storage/block-migrator.js';
import { MemoryReleaser } from './storage/memory-release.js';
import { DEFAULT_REGISTRATION_RETRY_INTERVAL_MS, RegistrationSchedule } from './registration-retry.js';
import { memoryUsage, residentSetBytes } from './memory-usage.js';
import { callFailureWords } from './rpc/call-error.js';

/**
 * A released job's garbage on the main thread (its blocks' Buffers, messages) collected at
 * once only from this much (bytes over what the last collection left): a collection forced
 * from JavaScript drops the maps of objects no longer alive and the optimized code of the
 * task path with them (MemoryReleaser.collectSoon), which a job that left little would make
 * the next job compile again for nothing; less than this waits for V8's own collections or the
 * releaser's 64 MB threshold.
 */
export const JOB_GARBAGE_MIN_BYTES = 8 * 1024 * 1024;

/** Default bound of a worker's in-memory blocks: a quarter of the machine's memory, at most 1 GiB. */
export function defaultMemoryLimit(): number {
  return Math.min(1 << 30, Math.floor(os.totalmem() / 4));
}

export interface WorkerOptions {
  /**
   * Driver address, HOST:PORT; or a promise of it (`sluice worker --driver -`, the address
   * read from standard input): the worker starts its task threads and listens meanwhile,
   * and registers once it has the address. A rejected promise fails `start()`.
   */
  readonly driver: string | Promise<string>;
  readonly cores: number;
  readonly security: SecurityConfig;
  readonly log: Logger;
  /** Interface to listen on (default 127.0.0.1) and port (default: any free port). */
  readonly bind?: string;
  readonly port?: number;
  /** Host other processes use to reach this worker (default: the bind address). */
  readonly advertiseHost?: string;
  readonly workerId?: string;
  /**
   * Where this worker makes its scratch directory (`sluice-worker-<id>-*`, for spilled
   * blocks and job bundles), as Spark's spark.local.dir: a parent the worker never removes
   * (default: the OS temp directory). The worker removes only its own directory on stop.
   */
  readonly localDir?: string;
  /** Bytes of blocks kept in memory before spilling (default defaultMemoryLimit(): a quarter of the machine's memory, at most 1 GiB). */
  readonly memoryLimit?: number;
  /** Calls one remote IP may have open at once (default DEFAULT_MAX_CALLS_PER_PEER). */
  readonly maxCallsPerPeer?: number;
  /**
   * Records a map task buffers before it writes its buckets out as shuffle segments: with
   * map-side combine, distinct keys held in the combine map (the map starts afresh after
   * each spill). Bounds a map task's memory. Default DEFAULT_SPILL_RECORDS (1,000,000).
   */
  readonly shuffleSpillRecords?: number;
  /**
   * Whether map tasks LZ4-compress their shuffle output (the v8-encoded frames of 256 bytes
   * and more that shrink), as Spark's spark.shuffle.compress with spark.io.compression.codec
   * lz4; a reader takes compressed and plain frames alike, so workers may differ. Default false.
   */
  readonly shuffleCompress?: boolean;
  /**
   * Whether map tasks follow each partition run of their output with a CRC-32 that readers
   * verify before decoding (Spark's spark.shuffle.checksum.enabled, default true;
   * shuffle-checksum.ts); this worker's fetches also require it of what they read. A
   * mismatch is fetched once more, then a fetch failure (the map output recomputed). Default true.
   */
  readonly shuffleChecksum?: boolean;
  /**
   * Threads each job's tasks run in on this worker (default `cores`). Below `cores`, the
   * tasks the driver launches beyond the threads wait on the worker, one in each busy
   * thread, so a thread goes from one tiny task to the next without a round trip to the
   * driver; it must be a positive integer not above `cores`.
   */
  readonly taskThreads?: number;
  /**
   * Synthetic tiny tasks each fresh spare task thread runs while no job is bound to it (default
   * 0: none): V8 then compiles and optimizes the task path before a job's first tasks, which a
   * worker's threads otherwise each do on them (bench/README, perf30). For a standing worker
   * that waits for jobs; on a worker whose job is about to come (`sluice run`'s) it only takes
   * CPU from the job's start. A thread stops its warm-up when a job takes it. A whole number
   * from 0 to 100,000.
   */
  readonly warmUpTasks?: number;
  /**
   * Whether a spare task thread taken by a job is replaced by a new one (default true, so
   * the next job's first tasks find one loaded). False for a worker that serves one job
   * (`sluice run`'s, --no-replace-spare-threads): the replacement would load Sluice
   * during that job's first stage and never be used.
   */
  readonly replaceSpareThreads?: boolean;
  /**
   * What task threads run (default: this package's task-thread module and the @sluice/core
   * package it imports); the `sluice` command passes its thread bundles when it runs its own.
   */
  readonly taskThreadCode?: ThreadCode;
  /**
   * Milliseconds this worker waits for another worker to connect and answer a shuffle or
   * block fetch before giving it up (a FetchFailed: the map outputs there are recomputed), as
   * Spark's spark.shuffle.io.connectionTimeout. Default DEFAULT_PEER_CONNECT_TIMEOUT_MS (30 s).
   */
  readonly peerConnectTimeoutMs?: number;
  /**
   * Called when the driver asks this worker to leave (`sluice workers decommission`, told
   * with a heartbeat's answer): the CLI then runs `decommission()` and exits as SIGTERM does.
   */
  readonly onDecommissionRequested?: () => void;
  /**
   * Called when a driver this worker registers with again (it restarted) is of another
   * Sluice build (SLUICE_VERSION_MISMATCH): the CLI logs it and exits 1. Without it the
   * worker logs it and stops. A first registration's mismatch is start()'s rejection instead.
   */
  readonly onBuildMismatch?: (err: SluiceError) => void;
  /**
   * Retries `start()` makes after a first registration that no driver answered, before it
   * fails with SLUICE_UNREACHABLE, as Spark's standalone Worker (spark.worker.maxRegistrationRetries,
   * 16 there: `sluice worker`'s default). Each failed attempt is logged with why and when the
   * next one is; registration-retry.ts says when. A refusal (another build, a wrong secret)
   * fails at once. Default 0: one attempt of 10 s (`sluice run`'s workers, whose driver is
   * already listening).
   */
  readonly registrationRetries?: number;
  /** Base interval between registration attempts, fuzzed by 0.5-1.5x, 6x after the first 6 retries (default 10 000 ms, Spark's). */
  readonly registrationRetryIntervalMs?: number;
}

/** How a worker's graceful decommission ended (`WorkerNode.decommission`). */
export interface DecommissionResult {
  /**
   * decommissioned: everything it held moved, exit 0; lost: the driver's deadline passed
   * (it was declared lost); disabled: the driver runs with --no-decommission; unreachable:
   * no driver answered (nothing to hand over); unknown: the driver does not know it.
   */
  readonly state: 'decommissioned' | 'lost' | 'disabled' | 'unreachable' | 'unknown';
  readonly message: string;
}

type State = 'new' | 'starting' | 'running' | 'stopping' | 'stopped';

/**
 * A Sluice worker process: serves the Worker gRPC service, registers with the driver
 * and heartbeats, and runs tasks through its Executor.
 *
 * Lifecycle: new -> starting -> running -> stopping -> stopped. `start()` rejects with a
 * SluiceError when the driver refuses the secret or cannot be reached at first
 * registration; after that, a lost driver is retried on every heartbeat.
 * `stop()` order: stop heartbeats, close task threads, shut the server, drop blocks.
 */
export class WorkerNode {
  readonly workerId: string;
  /** Names this run of the process (RegisterWorkerRequest.worker_instance): a worker started again under a fixed workerId is a new worker to the driver. */
  private readonly instance: string;
  private state: State = 'new';
  private readonly server: grpc.Server;
  /** Made from the driver's address: in the constructor, or in `start()` when the address comes later. */
  private driverClientOrUndefined: wire.DriverClient | undefined;
  /** The driver's address ('' until it is known). */
  private driverAddress = '';
  private readonly blocks: BlockManager;
  private readonly shuffle: ShuffleClient;
  private readonly shuffleStreams: ShuffleStreamHandler;
  private readonly executor: Executor;
  private readonly log: Logger;
  private readonly localDir: string;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  /** Heap, CPU and event-loop delay for the heartbeat (the driver exports them on /metrics). */
  private readonly processStats = new ProcessStats();
  /** When heartbeats started failing (undefined while they succeed): failures are logged once, then every 30 s. */
  private driverUnreachableSince: number | undefined;
  private lastUnreachableLog = 0;
  private reregistering = false;
  /** The next quick heartbeat while the driver is unreachable, and the delay it was set with. */
  private retryTimer: NodeJS.Timeout | undefined;
  /** The wait before the next registration attempt; stop() ends it. */
  private registrationWait: { timer: NodeJS.Timeout; done: () => void } | undefined;
  private retryDelayMs = 0;
  /** The driver instance this worker last registered with (RegisterWorkerResponse.driver_instance). */
  private driverInstance: string | undefined;
  private boundPort = 0;
  private readonly bundleFetches = new Map<string, Promise<string>>();
  private readonly memory: MemoryReleaser;
  /** Set once this worker is leaving gracefully: the decommission's outcome. */
  private leaving: Promise<DecommissionResult> | undefined;

  constructor(private readonly opts: WorkerOptions) {
    checkSecretStrength(opts.security.secret, 'the worker options (security.secret)');
    this.workerId = opts.workerId ?? `worker-${crypto.randomBytes(4).toString('hex')}`;
    this.instance = crypto.randomBytes(8).toString('hex');
    this.log = opts.log.child({ component: 'worker', workerId: this.workerId });
    // Predecessors killed with -9 could not remove their scratch directories: do it for them.
    const scratchRoot = opts.localDir ?? os.tmpdir();
    fs.mkdirSync(scratchRoot, { recursive: true });
    removeDeadScratchDirs(this.log, scratchRoot);
    this.localDir = makeScratchDir(this.workerId, scratchRoot);
    const blockDir = path.join(this.localDir, 'blocks');
    // Made again after a cleaner removed it, the scratch directory gets its owner file again.
    const makeBlockDirAgain = (): void => {
      keepScratchDir(this.localDir);
      fs.mkdirSync(blockDir, { recursive: true });
    };
    this.blocks = new BlockManager({ dir: blockDir, memoryLimit: opts.memoryLimit ?? defaultMemoryLimit(), log: opts.log.child({ workerId: this.workerId }), makeDirAgain: makeBlockDirAgain });
    // Buffers outside the blocks that became garbage (blocks removed, messages handled)
    // are released once they add up, not when V8's small heap of this thread next fills.
    // Line blocks moved in from receiver threads are not in `arrayBuffers` (they count where
    // they were made): all of them are added, so the ones dropped count (the held ones
    // are in the blocks' bytes). The replicas' reused memory kept free is not garbage either.
    this.memory = new MemoryReleaser(
      () => Math.max(0, memoryUsage().arrayBuffers + this.executor.movedInBytes - this.blocks.memoryBytes - this.blocks.pool.freeBytes),
      () => true,
    );
    // The replicas' memory kept free is garbage once dropped (idle 2 s after the last
    // join): up to 64 MB of mappings, resident until a full collection.
    this.blocks.pool.onDropped = () => this.memory.collectSoon();
    const mapOutputs = new IndexShuffleBlockResolver(this.blocks);
    this.shuffleStreams = new ShuffleStreamHandler(mapOutputs, opts.log.child({ component: 'shuffle-streams', workerId: this.workerId }));
    const peerTimeout = opts.peerConnectTimeoutMs ?? DEFAULT_PEER_CONNECT_TIMEOUT_MS;
    if (!Number.isInteger(peerTimeout) || peerTimeout < 1) {
      throw new SluiceError('SLUICE_BAD_ARGUMENT', `peerConnectTimeoutMs must be a whole number of milliseconds >= 1, got ${peerTimeout} (${PEER_CONNECT_TIMEOUT_OPTION}: e.g. '30s')`);
    }
    this.shuffle = new ShuffleClient(this.workerId, mapOutputs, opts.security, this.log, peerTimeout, opts.shuffleChecksum !== false);
    const spillRecords = opts.shuffleSpillRecords ?? DEFAULT_SPILL_RECORDS;
    if (!Number.isInteger(spillRecords) || spillRecords < 1) {
      throw new SluiceError('SLUICE_BAD_ARGUMENT', `shuffleSpillRecords (--shuffle-spill-records) must be a positive integer, got ${String(opts.shuffleSpillRecords)}; it is how many records a map task buffers before spilling (default ${DEFAULT_SPILL_RECORDS})`);
    }
    const taskThreads = opts.taskThreads ?? opts.cores;
    if (!Number.isInteger(taskThreads) || taskThreads < 1 || taskThreads > opts.cores) {
      throw new SluiceError('SLUICE_BAD_ARGUMENT', `taskThreads (--task-threads) must be an integer from 1 to the worker's cores (${opts.cores}), got ${String(opts.taskThreads)}; it is how many threads run a job's tasks here (default: the cores)`);
    }
    const warmUpTasks = opts.warmUpTasks ?? 0;
    if (!Number.isInteger(warmUpTasks) || warmUpTasks < 0 || warmUpTasks > MAX_WARM_UP_TASKS) {
      throw new SluiceError('SLUICE_BAD_ARGUMENT', `warmUpTasks (--warm-up-tasks) must be a whole number from 0 to ${MAX_WARM_UP_TASKS}, got ${String(opts.warmUpTasks)}; it is how many synthetic tiny tasks each spare task thread runs before a job takes it (default 0; 1000 warms the task path)`);
    }
    this.executor = new Executor(
      opts.cores,
      this.blocks,
      mapOutputs,
      this.shuffle,
      (jobId, sha, onDisk) => this.bundle(sha, onDisk),
      this.log,
      this.workerId,
      () => this.address,
      (jobId, id) => this.fetchBroadcast(jobId, id),
      { shuffleSpillRecords: spillRecords, shuffleCompress: opts.shuffleCompress === true, ...(opts.shuffleChecksum === false ? { shuffleChecksum: false } : {}), ...(warmUpTasks > 0 ? { warmUpTasks } : {}) },
      (handlers) => this.openReports(handlers),
      opts.log.child({ component: 'spare-task-threads', workerId: this.workerId }),
      taskThreads,
      opts.replaceSpareThreads ?? true,
      opts.taskThreadCode?.entry,
      // What the job left in this thread's heap (its blocks' Buffers, decoded stages) is
      // garbage now: collected at once when it is JOB_GARBAGE_MIN_BYTES or more, not when
      // the heap next grows by the threshold.
      () => this.memory.collectSoon(100, JOB_GARBAGE_MIN_BYTES),
      new JobFiles(
        path.join(this.localDir, 'files'),
        (jobId, name, into) => this.fetchAddedFile(jobId, name, into),
        opts.log.child({ component: 'job-files', workerId: this.workerId }),
        () => keepScratchDir(this.localDir),
      ),
      () => this.replicaPeers(),
      (sha) => this.dropBundle(sha),
    );
    const proto = loadProto();
    if (typeof opts.driver === 'string') this.connectDriver(opts.driver);
    // start() awaits the address once it listens, and fails with its rejection; until then
    // (a `--driver -` whose standard input ended at once) Node would report it unhandled and
    // end the process with a raw stack instead of the command's error.
    else opts.driver.catch(() => undefined);
    const gate = new CallGate({ secret: opts.security.secret, log: opts.log.child({ component: 'worker-rpc', workerId: this.workerId }), maxCallsPerPeer: opts.maxCallsPerPeer });
    this.server = new grpc.Server(serverOptions(WORKER_MAX_REQUEST_BYTES, [gate.interceptor]));
    const migrator = new BlockMigrator(this.blocks, this.shuffle, opts.log.child({ component: 'block-migrator', workerId: this.workerId }));
    this.server.addService(proto.sluice.v1.Worker.service, workerService(this.executor, this.blocks, this.shuffleStreams, migrator, this.log));
  }

  private connectDriver(address: string): void {
    this.driverAddress = address;
    this.driverClientOrUndefined = new (loadProto().sluice.v1.Driver)(address, channelCredentials(this.opts.security), DRIVER_CHANNEL_OPTIONS);
  }

  /** The driver's client; only used once `start()` has the address (every call to the driver follows registration). */
  private get driverClient(): wire.DriverClient {
    if (!this.driverClientOrUndefined) throw new Error('the worker has no driver address yet: start() first');
    return this.driverClientOrUndefined;
  }

  get address(): string {
    return `${this.host}:${this.boundPort}`;
  }

  /** The host others reach this worker at: --advertise-host ('auto': this machine's first non-loopback IPv4), else the bind address. */
  private get host(): string {
    const h = this.opts.advertiseHost ?? this.opts.bind ?? '127.0.0.1';
    if (h !== 'auto') return h;
    for (const addrs of Object.values(os.networkInterfaces())) {
      for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
    }
    return '127.0.0.1';
  }

  async start(): Promise<void> {
    if (this.state !== 'new') return;
    this.state = 'starting';
    // Task threads start loading now, so the first tasks sent after registering find them ready.
    this.executor.start();
    const bind = `${this.opts.bind ?? '127.0.0.1'}:${this.opts.port ?? 0}`;
    this.boundPort = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync(bind, serverCredentials(this.opts.security), (err, port) =>
        err
          ? reject(new SluiceError('SLUICE_IO', `worker cannot listen on ${bind}: ${listenFailure(err)}; ${isTooManyOpenFiles(err) ? tooManyOpenFilesFix('this worker process') : 'use --port to pick another port (0: any free port)'}`, { cause: err }))
          : resolve(port),
      ),
    );
    if (!this.driverClientOrUndefined) {
      const address = await this.opts.driver;
      if (this.state !== 'starting') return; // stopped while it waited for the address
      this.connectDriver(address);
    }
    const interval = await this.registerRetrying();
    // Stopped while it registered (`sluice run` whose job failed at once): stop() cleared the
    // timers and closes the driver's channel without them; the heartbeat timer and the
    // connection watch set below would outlive it, the watch re-arming on the closed channel
    // ('Channel has been shut down', thrown out of stop()).
    if (this.state !== 'starting') return;
    this.state = 'running';
    this.processStats.start();
    this.heartbeatTimer = setInterval(() => this.heartbeat(), interval);
    this.heartbeatTimer.unref();
    this.watchDriverConnection();
    this.memory.start();
    this.log.info({ address: this.address, driver: this.driverAddress, cores: this.opts.cores }, 'worker registered');
    if (isPlaintextExposed(this.opts.bind ?? '127.0.0.1', this.opts.security)) this.log.warn({ address: this.address, hint: PLAINTEXT_HINT }, PLAINTEXT_WARNING);
  }

  async stop(): Promise<void> {
    if (this.state === 'stopped' || this.state === 'stopping') return;
    this.state = 'stopping';
    clearInterval(this.heartbeatTimer);
    this.processStats.stop();
    clearTimeout(this.retryTimer);
    if (this.registrationWait) {
      clearTimeout(this.registrationWait.timer);
      this.registrationWait.done();
    }
    this.memory.stop();
    this.executor.close();
    this.shuffle.close();
    // Other workers' shuffle streams to this one stay open between fetches: end them, or the shutdown would wait for them.
    this.shuffleStreams.closeAll();
    await new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()));
    this.server.forceShutdown();
    this.driverClientOrUndefined?.close();
    // A block store that cannot be emptied (its directory refused, a file held) must not cut
    // the stop short: the scratch directory is still removed and the worker still stops.
    try {
      this.blocks.close();
    } catch (err) {
      this.log.warn({ err, dir: this.localDir }, `stopping: the block store could not be closed (${(err as Error).message}); removing the worker's scratch directory '${this.localDir}' anyway`);
    }
    try {
      fs.rmSync(this.localDir, { recursive: true, force: true });
    } catch (err) {
      this.log.warn({ err }, `stopping: the worker's scratch directory '${this.localDir}' could not be removed (${(err as Error).message}): remove it by hand; the next worker started on the same --local-dir removes a dead worker's directory too`);
    }
    this.state = 'stopped';
  }

  /**
   * Leave the cluster gracefully (SIGTERM, or the driver asked): Driver.DecommissionWorker
   * tells the driver, which places nothing new here, moves this worker's receivers, lets its
   * running tasks finish and has it copy its blocks to the workers that stay
   * (Worker.MigrateBlocks); this worker keeps heartbeating and serving meanwhile. Resolves
   * with how it ended; the caller then stops the worker (the CLI exits 0 after
   * `decommissioned`). A second call returns the same promise.
   */
  decommission(): Promise<DecommissionResult> {
    this.leaving ??= this.askToLeave();
    return this.leaving;
  }

  private askToLeave(): Promise<DecommissionResult> {
    if (this.state !== 'running') return Promise.resolve({ state: 'unreachable', message: 'the worker is not registered' });
    this.log.info('decommissioning: asking the driver to move what this worker holds');
    return new Promise((resolve) =>
      this.driverClient.DecommissionWorker(
        { worker_id: this.workerId, wait: true },
        secretMetadata(this.opts.security.secret),
        // The driver's own deadline (--decommission-timeout-ms) ends it first.
        { deadline: Date.now() + 60 * 60_000 },
        (err, res) => {
          if (err || !res) {
            const message = err ? driverError(err, this.driverAddress).message : 'no answer';
            // Usually the driver stopped first (a local cluster, compose down): nothing to hand over.
            this.log.info({ err: message }, 'decommission: no driver answers; stopping without handing anything over');
            return resolve({ state: 'unreachable', message });
          }
          if (!res.found) return resolve({ state: 'unknown', message: res.message });
          const state = res.state === 'decommissioned' || res.state === 'lost' || res.state === 'disabled' ? res.state : 'lost';
          const moved = {
            receivers: res.receivers_moved,
            inputBlocks: res.input_blocks_moved,
            rddBlocks: res.rdd_blocks_moved,
            mapOutputs: res.map_outputs_moved,
            bytes: Number(res.bytes_moved),
          };
          if (state === 'decommissioned') this.log.info({ moved, message: res.message }, 'decommissioned: everything this worker held was moved; exiting');
          else this.log.warn({ state, message: res.message }, 'decommission did not complete; leaving as a lost worker');
          resolve({ state, message: res.message });
        },
      ),
    );
  }

  /**
   * Register with the driver, trying again while none answers (opts.registrationRetries,
   * registration-retry.ts), as Spark's standalone Worker does with its master. Resolves with
   * the heartbeat interval; a stop() meanwhile resolves it early (start() then returns).
   */
  private async registerRetrying(): Promise<number> {
    const attempts = (this.opts.registrationRetries ?? 0) + 1;
    if (attempts <= 1) return this.register(FIRST_REGISTRATION_TIMEOUT_MS);
    const schedule = new RegistrationSchedule(attempts, this.opts.registrationRetryIntervalMs ?? DEFAULT_REGISTRATION_RETRY_INTERVAL_MS);
    const t0 = Date.now();
    for (let n = 1; ; n++) {
      const started = Date.now();
      const gap = schedule.intervalAfter(n);
      try {
        // An attempt waits for the driver (its channel reconnects every 250 ms) for half the interval, at most 10 s; then a pause.
        return await this.register(Math.min(FIRST_REGISTRATION_TIMEOUT_MS, Math.ceil(gap / 2)));
      } catch (err) {
        if (!isSluiceError(err) || err.code !== 'SLUICE_UNREACHABLE' || this.state !== 'starting') throw err;
        if (n >= attempts) {
          throw new SluiceError(
            'SLUICE_UNREACHABLE',
            `no Sluice driver answered this worker's ${attempts} registration attempts at ${this.driverAddress} over ${Math.round((Date.now() - t0) / 1000)} s; giving up (--max-registration-retries sets how many): ${err.message}`,
            { cause: err },
          );
        }
        const waitMs = Math.max(0, started + gap - Date.now());
        this.log.warn(
          { attempt: n, attempts, reason: err.message, nextInMs: waitMs, nextAt: new Date(Date.now() + waitMs).toISOString() },
          `registration with the driver failed (attempt ${n} of ${attempts}); trying again in ${(waitMs / 1000).toFixed(1)} s`,
        );
        await new Promise<void>((done) => {
          this.registrationWait = { timer: setTimeout(done, waitMs), done };
        });
        this.registrationWait = undefined;
        if (this.state !== 'starting') return 1000;
      }
    }
  }

  /**
   * Register with the driver. When it answers as another driver instance than the one
   * this worker registered with before (it restarted), everything the earlier instance's
   * jobs left here is dropped: those jobs are gone, and a job the new instance relaunches
   * runs as a new attempt that must not read them. When it answers as the same instance (it
   * had declared this worker lost), what the jobs it no longer runs (RegisterWorkerResponse
   * live_jobs) left here is dropped: their releases went to the workers it knew as they
   * ended. Only jobs known before the request was sent are dropped — the driver cannot have
   * sent work for a job since, as it learns of this worker from this very request.
   */
  private register(timeoutMs: number): Promise<number> {
    const known = this.executor.jobIds();
    return new Promise((resolve, reject) => {
      this.driverClient.RegisterWorker(
        {
          worker_id: this.workerId,
          host: this.host,
          port: this.boundPort,
          cores: this.opts.cores,
          storage: this.storage(),
          sluice_version: THIS_BUILD.sluiceVersion,
          protocol: THIS_BUILD.protocol,
          worker_instance: this.instance,
        },
        waitForReady(secretMetadata(this.opts.security.secret)),
        { deadline: Date.now() + timeoutMs },
        (err, res) => {
          if (err && (err.code === grpc.status.UNAVAILABLE || err.code === grpc.status.DEADLINE_EXCEEDED)) {
            // gRPC's details are its own ("Deadline exceeded after 10.006s,name resolution: ...,Waiting for LB pick"): say what the address has instead.
            void unreachableReason(this.driverAddress).then((why) =>
              reject(new SluiceError('SLUICE_UNREACHABLE', `no Sluice driver answers at ${this.driverAddress} (no answer to this worker's registration within ${timeoutMs} ms): ${why}`, { cause: err })),
            );
            return;
          }
          if (err) return reject(driverError(err, this.driverAddress));
          // The driver's answer says its build: one of another build (or an older one, which
          // says none, and does not refuse this worker itself) gets no work from this worker.
          const mismatch = buildMismatch(THIS_BUILD, { sluiceVersion: res?.sluice_version ?? '', protocol: res?.protocol ?? '' });
          if (mismatch !== undefined) return reject(new SluiceError('SLUICE_VERSION_MISMATCH', `the driver at ${this.driverAddress} is of another build: ${mismatch}`));
          const instance = res?.driver_instance ?? '';
          if (this.driverInstance !== undefined && instance !== this.driverInstance) {
            this.log.warn({ previousInstance: this.driverInstance, instance, jobs: [...known] }, 'the driver restarted; dropping what the jobs of its previous instance left here');
            for (const jobId of known) this.executor.releaseJob(jobId);
          } else if (this.driverInstance !== undefined) {
            // Registered again with the same driver (it declared this worker lost): a job that
            // ended meanwhile was released on the workers it knew then, not here.
            const live = new Set(res?.live_jobs ?? []);
            const ended = [...known].filter((jobId) => !live.has(jobId));
            if (ended.length > 0) {
              this.log.warn({ jobs: ended }, 'jobs ended while the driver did not know this worker; dropping what they left here');
              for (const jobId of ended) this.executor.releaseJob(jobId);
            }
          }
          this.driverInstance = instance;
          resolve(res?.heartbeat_interval_ms || 1000);
        },
      );
    });
  }

  /** What this worker holds, for the driver (`sluice workers`, tests). */
  private storage(): wire.WorkerStorage {
    const s = this.blocks.stats();
    return {
      input_blocks: s.inputBlocks,
      shuffle_blocks: s.shuffleBlocks,
      rdd_blocks: s.rddBlocks,
      memory_bytes: s.memoryBytes,
      disk_bytes: s.diskBytes,
      memory_limit_bytes: s.memoryLimitBytes,
      rss_bytes: residentSetBytes(),
      broadcast_blocks: this.executor.broadcastCount,
      decoded_block_bytes: this.blocks.decodedBlockBytes(),
    };
  }

  private heartbeat(): void {
    if (this.state !== 'running') return;
    const changes = this.blocks.rddChanges();
    this.driverClient.Heartbeat(
      {
        worker_id: this.workerId,
        running_task_ids: this.executor.runningTaskIds,
        storage: this.storage(),
        process: this.processStats.sample(),
        dropped_rdd_blocks: changes.dropped,
        spilled_rdd_blocks: changes.spilled,
      },
      secretMetadata(this.opts.security.secret),
      { deadline: Date.now() + 5000 },
      (err, res) => {
        if (err) {
          const now = Date.now();
          this.driverUnreachableSince ??= now;
          // A driver that stops on purpose (sluice run ending) or restarts within a couple
          // of seconds is not worth a warning: warn once it has been gone a while, then
          // every 30 s.
          if (now - this.driverUnreachableSince >= UNREACHABLE_WARN_AFTER_MS && now - this.lastUnreachableLog >= 30_000) {
            this.lastUnreachableLog = now;
            this.log.warn({ err: driverError(err, this.driverAddress).message, failingForMs: now - this.driverUnreachableSince }, 'heartbeat failed; retrying');
          }
          this.retrySoon(now - this.driverUnreachableSince);
          return;
        }
        if (this.driverUnreachableSince !== undefined) this.log.info({ afterMs: Date.now() - this.driverUnreachableSince }, 'driver reachable again');
        this.driverUnreachableSince = undefined;
        clearTimeout(this.retryTimer);
        this.retryTimer = undefined;
        this.retryDelayMs = 0;
        this.lastUnreachableLog = 0;
        this.blocks.told(changes);
        if (this.state !== 'running') return;
        if (res && res.lost_peers.length > 0) this.shuffle.peersLost(res.lost_peers);
        if (res?.decommission && this.leaving === undefined) {
          this.log.info('the driver asks this worker to leave (decommission)');
          if (this.opts.onDecommissionRequested) this.opts.onDecommissionRequested();
          else void this.decommission();
        }
        // A worker that is leaving does not come back: the driver released it.
        if (res && !res.known && !this.reregistering && this.leaving === undefined) {
          // One registration at a time: heartbeats answered together after a pause of the
          // driver must not register this worker once each.
          this.reregistering = true;
          // Its receivers run elsewhere now: stopped before this worker registers again.
          const receivers = this.executor.dropReceivers();
          this.log.warn({ receiversStopped: receivers }, 'driver does not know this worker (declared lost or restarted); registering again');
          this.register(5000)
            .catch((e: unknown) => {
              if (!(e instanceof SluiceError && e.code === 'SLUICE_VERSION_MISMATCH')) return this.log.warn({ err: e }, 're-registration failed');
              // A driver restarted from another build (an upgrade) never takes this worker: stop.
              if (this.opts.onBuildMismatch) return this.opts.onBuildMismatch(e);
              this.log.error({ err: e }, 'the driver is of another Sluice build; stopping');
              void this.stop();
            })
            .finally(() => (this.reregistering = false));
        }
      },
    );
  }

  /**
   * A connection to the driver that drops (the driver process died or restarts) is
   * noticed at once, not at the next heartbeat: a heartbeat goes out right away, and its
   * failure starts the quick retries.
   */
  private watchDriverConnection(): void {
    const channel = this.driverClient.getChannel();
    const watch = (): void => {
      if (this.state !== 'running') return;
      const was = channel.getConnectivityState(false);
      channel.watchConnectivityState(was, Infinity, (err) => {
        if (err || this.state !== 'running') return;
        if (was === grpc.connectivityState.READY && channel.getConnectivityState(false) !== grpc.connectivityState.READY) this.heartbeat();
        watch();
      });
    };
    watch();
  }

  /**
   * While the driver is unreachable, heartbeat again soon rather than on the next interval:
   * 50 ms growing by 1.5x to 250 ms for the first minute (a restarting driver is found, and
   * this worker registered with it, within a few hundred ms of it listening), then every
   * second. One retry is pending at a time; the regular interval heartbeats go on as well.
   */
  private retrySoon(failingForMs: number): void {
    if (this.retryTimer !== undefined || this.state !== 'running') return;
    const cap = failingForMs < QUICK_RETRY_FOR_MS ? QUICK_RETRY_MAX_MS : SLOW_RETRY_MS;
    this.retryDelayMs = Math.min(cap, this.retryDelayMs === 0 ? QUICK_RETRY_FIRST_MS : Math.ceil(this.retryDelayMs * 1.5));
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.heartbeat();
    }, this.retryDelayMs);
    this.retryTimer.unref();
  }

  /** One receiver's report stream to the driver (Driver.ReceiverReports); the ReceiverReporter opens another when it closes. */
  private openReports(handlers: ReportStreamHandlers): ReportStream {
    const call = this.driverClient.ReceiverReports(secretMetadata(this.opts.security.secret));
    let closed = false;
    const close = (err: Error): void => {
      if (closed) return;
      closed = true;
      handlers.closed(err);
    };
    call.on('data', (res: wire.ReceiverReportResponse__Output) => handlers.answer({ keep: res.keep, rateLimit: res.rate_limit, appliedSeq: Number(res.applied_seq) }));
    call.on('error', (err: grpc.ServiceError) => close(driverError(err, this.driverAddress)));
    call.on('end', () => close(new Error('the driver ended the report stream')));
    return {
      write: (report) => void call.write(report),
      end: () => call.end(),
      cancel: () => call.cancel(),
    };
  }

  /**
   * A job's bundle given ahead by the process that started this worker (`sluice run`'s local
   * cluster writes it on standard input as soon as it has bundled the job): written to local
   * disk now, so the job's first task here finds it instead of fetching it from the driver.
   * Refused (false) when its sha256 is not the one given, when this worker has or is fetching
   * that bundle already, or once it is stopping. The driver stays the source: a task whose
   * bundle was not given (or refused) fetches it as before.
   */
  offerBundle(sha256: string, code: Uint8Array, sourceMap: string): boolean {
    if (this.state === 'stopping' || this.state === 'stopped' || this.bundleFetches.has(sha256)) return false;
    const got = crypto.createHash('sha256').update(code).digest('hex');
    if (got !== sha256) {
      this.log.warn({ sha256, got }, 'a job bundle given by the parent process does not have the sha256 it was given with: not used (the driver serves it)');
      return false;
    }
    let file: string;
    try {
      file = materializeBundle(path.join(this.localDir, 'bundles'), sha256, code, sourceMap, this.opts.taskThreadCode?.coreDir);
    } catch (err) {
      this.log.warn({ err, sha256 }, 'cannot write a job bundle given by the parent process: not used (the driver serves it)');
      return false;
    }
    this.bundleFetches.set(sha256, Promise.resolve(file));
    this.log.debug({ sha256 }, 'job bundle given by the parent process');
    return true;
  }

  /**
   * The path of a job's bundle on local disk, fetched from the driver the first time (unless
   * given: offerBundle), and again when it is no longer there: removed from under the worker
   * (a cleaner of /tmp, where --local-dir is by default: Debian's systemd-tmpfiles removes
   * what was not used for 10 days), a task thread would fail importing it, every task of its
   * code here failing SLUICE_JOB_LOAD for as long as the worker runs. Looked for on disk only
   * when `onDisk` (a thread may load it: BundleSource).
   */
  private bundle(sha256: string, onDisk: boolean): Promise<string> {
    const had = this.bundleFetches.get(sha256);
    if (had) return onDisk ? had.then((file) => (fs.existsSync(file) ? file : this.bundleGone(sha256, had, file))) : had;
    return this.startBundleFetch(sha256);
  }

  private startBundleFetch(sha256: string): Promise<string> {
    const p = this.fetchBundle(sha256);
    this.bundleFetches.set(sha256, p);
    p.catch(() => this.bundleFetches.get(sha256) === p && this.bundleFetches.delete(sha256));
    return p;
  }

  /** Bundle `sha256`, which `had` put at `file`, is gone from disk: fetched again (once, by the first task to see it). */
  private bundleGone(sha256: string, had: Promise<string>, file: string): Promise<string> {
    const now = this.bundleFetches.get(sha256);
    if (now !== undefined && now !== had) return now;
    this.log.warn(
      { sha256, file, localDir: this.localDir },
      "a job bundle is gone from this worker's local directory (removed while the worker ran, as a /tmp cleaner such as systemd-tmpfiles does to files unused for days); fetching it again from the driver. Start the worker with --local-dir on a directory no cleaner empties",
    );
    // The scratch directory made again (by the fetch) carries its owner file as at start, so
    // that after a kill -9 of this worker the next Sluice process removes it.
    keepScratchDir(this.localDir);
    return this.startBundleFetch(sha256);
  }

  /**
   * Remove bundle `sha256`'s files (bundles/<sha256>/: the code and its source map) once no job
   * here uses it and it is older than the unused ones the executor keeps (Executor.bundleUnused),
   * so a standing worker's --local-dir does not grow by a bundle a job; a later job of the same
   * code fetches it again. Task threads that imported it keep it loaded (an import reads the
   * file once). Whether it was here.
   */
  private dropBundle(sha256: string): boolean {
    if (!this.bundleFetches.delete(sha256)) return false;
    try {
      fs.rmSync(path.join(this.localDir, 'bundles', sha256), { recursive: true, force: true });
    } catch (err) {
      this.log.warn({ err, sha256 }, 'cannot remove a job bundle no job uses any more');
    }
    return true;
  }

  /** The workers the driver has now, but those leaving (being decommissioned): where a received block's replica may go. */
  private replicaPeers(): Promise<wire.Peer__Output[]> {
    return new Promise((resolve, reject) => {
      this.driverClient.ListWorkers({}, secretMetadata(this.opts.security.secret), { deadline: Date.now() + 5000 }, (err: grpc.ServiceError | null, res?: { workers: wire.WorkerInfo__Output[] }) => {
        if (err || !res) reject(err ? driverError(err, this.driverAddress) : new Error('no answer'));
        else resolve(res.workers.filter((w) => w.decommission === '').map((w) => ({ worker_id: w.worker_id, address: w.address })));
      });
    });
  }

  private fetchBroadcast(jobId: string, id: number): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      const parts: Buffer[] = [];
      const call = this.driverClient.GetBroadcast({ job_id: jobId, broadcast_id: id }, secretMetadata(this.opts.security.secret));
      call.on('data', (c: { data: Buffer }) => parts.push(c.data));
      call.on('error', (err: grpc.ServiceError) => reject(driverError(err, this.driverAddress)));
      call.on('end', () => resolve(Buffer.concat(parts)));
    });
  }

  /** Job `jobId`'s added file `name` from the driver (Driver.GetFile), written at `into` as it comes. */
  private fetchAddedFile(jobId: string, name: string, into: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const writer = new AddedFileWriter(into);
      const call = this.driverClient.GetFile({ job_id: jobId, name }, secretMetadata(this.opts.security.secret));
      call.on('data', (c: wire.FileChunk__Output) => {
        try {
          writer.write(c);
        } catch (err) {
          call.cancel();
          writer.close();
          reject(err as Error);
        }
      });
      call.on('error', (err: grpc.ServiceError) => {
        writer.close();
        reject(driverError(err, this.driverAddress));
      });
      call.on('end', () => {
        try {
          resolve(writer.sha256());
        } catch (err) {
          reject(err as Error);
        }
      });
    });
  }

  private fetchBundle(sha256: string): Promise<string> {
    this.log.debug({ sha256 }, 'fetching a job bundle from the driver');
    return new Promise((resolve, reject) => {
      const parts: Buffer[] = [];
      const call = this.driverClient.GetBundle({ sha256 }, secretMetadata(this.opts.security.secret));
      call.on('data', (c: { data: Buffer }) => parts.push(c.data));
      call.on('error', (err: grpc.ServiceError) => reject(driverError(err, this.driverAddress)));
      call.on('end', () => {
        try {
          // Frame: 4-byte length of the source map, the map, then the bundle code.
          const all = Buffer.concat(parts);
          const mapLen = all.readUInt32BE(0);
          const map = all.subarray(4, 4 + mapLen).toString('utf8');
          const code = all.subarray(4 + mapLen);
          const got = crypto.createHash('sha256').update(code).digest('hex');
          if (got !== sha256) throw new SluiceError('SLUICE_JOB_LOAD', `bundle ${sha256} arrived corrupted (sha256 ${got})`);
          resolve(materializeBundle(path.join(this.localDir, 'bundles'), sha256, code, map, this.opts.taskThreadCode?.coreDir));
        } catch (err) {
          reject(err);
        }
      });
    });
  }
}

/** Quick heartbeat retries while the driver is unreachable (see WorkerNode.retrySoon). */
/** How long one registration waits for a driver to answer (the only one of `sluice run`'s workers). */
/** The most synthetic tasks a spare task thread's warm-up may run (WorkerOptions.warmUpTasks). */
const MAX_WARM_UP_TASKS = 100_000;
const FIRST_REGISTRATION_TIMEOUT_MS = 10_000;
const QUICK_RETRY_FIRST_MS = 50;
const QUICK_RETRY_MAX_MS = 250;
const QUICK_RETRY_FOR_MS = 60_000;
const SLOW_RETRY_MS = 1000;
/** How long the driver may be unreachable before a worker logs it at warn. */
const UNREACHABLE_WARN_AFTER_MS = 2000;

/**
 * The channel to the driver reconnects on the same quick schedule as the heartbeat
 * retries (a call fails at once while the channel waits out its backoff, whatever the
 * call's own retry); connecting to a port with nothing behind it costs next to nothing.
 */
const DRIVER_CHANNEL_OPTIONS = { ...CHANNEL_OPTIONS, 'grpc.initial_reconnect_backoff_ms': QUICK_RETRY_FIRST_MS, 'grpc.max_reconnect_backoff_ms': QUICK_RETRY_MAX_MS };

function waitForReady(md: grpc.Metadata): grpc.Metadata {
  md.setOptions({ waitForReady: true });
  return md;
}

/** A driver call's failure in words a user can act on. */
export function driverError(err: grpc.ServiceError, driver: string): SluiceError {
  if (err.code === grpc.status.UNAUTHENTICATED) {
    // checkSecret's details begin with 'refused: ' (a CLI command shows them after 'the driver at X').
    return new SluiceError('SLUICE_UNAUTHENTICATED', `the driver at ${driver} refused this worker: ${err.details.replace(/^refused: /, '')}`, { cause: err });
  }
  if (err.code === grpc.status.FAILED_PRECONDITION && /^refused worker /.test(err.details)) {
    // RegisterWorker's refusal of another build: its details name both builds.
    return new SluiceError('SLUICE_VERSION_MISMATCH', `the driver at ${driver} ${err.details}`, { cause: err });
  }
  if (err.code === grpc.status.UNAVAILABLE || err.code === grpc.status.DEADLINE_EXCEEDED) {
    const why = callFailureWords(err);
    return new SluiceError('SLUICE_UNREACHABLE', `no Sluice driver answers at ${driver} (${why}); check the address and that \`sluice driver\` is running`, {
      cause: err,
    });
  }
  return new SluiceError('SLUICE_INTERNAL', `driver call failed: ${err.details || err.message}`, { cause: err });
}
