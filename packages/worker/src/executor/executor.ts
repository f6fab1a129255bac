import fs from 'node:fs';
import type { Logger } from 'pino';
import {
  DEFAULT_RECEIVER_MAX_BUFFERED_RECORDS,
  concatOwned,
  isDiskFull,
  isTooManyOpenFiles,
  tooManyOpenFilesFix,
  isLineBlock,
  linePieces,
  parseReceivedBlockId,
  SluiceError,
  walRecordFenced,
  walWriterName,
  type ErrorCode,
  type BlockRead,
  type StorageLevel,
  type WalPlace,
  type wire,
  executorEnvOf,
  type ExecutorEnv,
} from '@sluice/core/internal';
import type { BlockManager } from '../storage/block-manager.js';
import type { ShuffleClient } from '../shuffle/shuffle-client.js';
import { ReplicaRefusals } from '../shuffle/replica-refusals.js';
import { refusedByPeer } from '../rpc/call-error.js';
import type { IndexShuffleBlockResolver } from '../shuffle/index-shuffle-block-resolver.js';
import { ReceiverReporter, type ReportStreamOpener } from '../receiver/receiver-reporter.js';
import { WriteAheadLogWriter } from '../receiver/write-ahead-log-writer.js';
import type { JobFiles } from './job-files.js';
import { JobSandbox, type SandboxHost, type TaskKilled } from './job-sandbox.js';
import { KillsBeforeLaunch } from './kills-before-launch.js';
import { SpareTaskThreads } from './spare-task-threads.js';
import type { MainToThread, ThreadData, ThreadOutcome, ThreadTaskMetrics } from './thread-protocol.js';

/** While received blocks find no peer for their replica, how often their count is logged. */
const UNREPLICATED_SUMMARY_MS = 30_000;

/**
 * A result task's encoded result above this travels as a block the driver reads in chunks
 * (Spark's IndirectTaskResult, spark.task.maxDirectResultSize) rather than in one message of the
 * task stream, whose messages are at most 256 MiB.
 */
export const DIRECT_RESULT_MAX_BYTES = 16 * 1024 * 1024;

/**
 * Bundles of released jobs a worker keeps on disk for a job submitted again with the same code
 * (each some KB: the code and its source map); an older one is removed (Executor.bundleUnused),
 * so a standing worker's --local-dir does not grow by a bundle a job.
 */
export const KEPT_UNUSED_BUNDLES = 4;

/**
 * Gets a job's bundle onto this worker's disk (fetching it from the driver once, until it is
 * dropped: BundleDrop). With `onDisk`, a bundle fetched before is checked to be still there
 * (and fetched again if a cleaner removed it): asked when a thread may load it, not for every
 * task (a stat each, some 2 us of a warm tiny task's 120).
 */
export type BundleSource = (jobId: string, sha256: string, onDisk: boolean) => Promise<string>;
/** Removes a bundle no job here uses from this worker's disk (a later job of it fetches it again); whether it was there. */
export type BundleDrop = (sha256: string) => boolean;
/** Fetches a broadcast variable's encoded value from the driver. */
export type BroadcastSource = (jobId: string, id: number) => Promise<Uint8Array>;

/** One task to run, with its stage's shared description (Worker.RunTasks). */
export interface TaskToRun {
  readonly taskId: string;
  readonly jobId: string;
  readonly bundleSha256: string;
  readonly stageId: number;
  /** The shuffle a map task writes; -1 for a result task. */
  readonly shuffleId: number;
  /** Names the stage's payload on this worker (task threads keep it decoded under this key). */
  readonly stageKey: string;
  /** Encoded TaskPayload shared by the stage's tasks. */
  readonly stagePayload: Uint8Array;
  readonly partition: number;
  /** Encoded TaskPart of this task; empty when it has none. */
  readonly taskData: Uint8Array;
  /** The files the job added (sc.addFile) that the stage's tasks may read: here before the task runs. */
  readonly files?: readonly wire.AddedFile__Output[];
  /** The job's executor environment (spark.executorEnv.*): its task threads' process.env has it over the worker's. */
  readonly executorEnv?: ExecutorEnv;
  /**
   * Aborted when the task stream that launched it closed (its driver is gone): a task still
   * waiting for its bundle then does not start (those already in the job's threads are
   * stopped by `killStream`).
   */
  readonly signal?: AbortSignal;
}

interface RunningTask {
  readonly jobId: string;
  readonly cached: string[];
  /** The bytes of each of `cached`, in its order. */
  readonly cachedBytes: number[];
  /** Bytes of older blocks the store spilled to disk to make room for what this task stored (its cached partitions, map output, large result): Spark's memoryBytesSpilled and diskBytesSpilled. */
  spilled: number;
}

/**
 * Runs tasks on a worker, as Spark's Executor: one JobSandbox (threads) per job, the
 * worker's BlockManager for cached partitions, its IndexShuffleBlockResolver for shuffle
 * map outputs, and a ShuffleClient for reduce-side fetches. A map task's output comes
 * with its outcome and is stored only when the task succeeds, so a failed or killed
 * attempt leaves nothing half-written.
 */
export class Executor {
  private readonly sandboxes = new Map<string, JobSandbox>();
  private readonly running = new Map<string, RunningTask>();
  /**
   * The cached partitions a running task attempt put here where none was, by block id, until
   * the attempt ends: one that fails takes them away again, so a retry computes the partition
   * (and makes its accumulator updates) instead of reading what the failed attempt left, as
   * Spark's RDD cache visibility tracking (SPARK-41497). A block another attempt put too stays.
   */
  private readonly createdBy = new Map<string, string>();
  /** Tasks launched here whose outcome is not yet returned (runningTaskIds). */
  private readonly received = new Set<string>();
  /** Kills that came before their task (KillTask and RunTasks are separate streams). */
  private readonly killedBeforeLaunch = new KillsBeforeLaunch();
  /** Broadcast values per job, fetched once (shared by the job's task threads). */
  private readonly broadcastCache = new Map<string, Map<number, Promise<Uint8Array>>>();
  /** Each job's receivers' reporters, closed when the job is released. */
  private readonly reporters = new Map<string, Set<ReceiverReporter>>();
  /** How each receiver running here is stopped as the driver's `keep: false` stops it (dropReceivers), by its reporter; removed at its stop. */
  private readonly receiverDrops = new Map<ReceiverReporter, () => void>();
  private completed = 0;
  /**
   * Tasks and receivers between asking for their bundle and having their job's sandbox here,
   * by bundle: a bundle is dropped only when no sandbox has it and none waits (so a task of a
   * job whose bundle another job just gave up never imports a removed file).
   */
  private readonly bundleWaits = new Map<string, number>();
  /** Bundles on disk that no job here uses, the last used last (bundleUnused): at most KEPT_UNUSED_BUNDLES. */
  private readonly unusedBundles: string[] = [];
  /**
   * Bytes of line blocks this thread took over from receiver threads (moved, not copied:
   * task-thread.ts). They count in the receiver thread's allocator, not in this thread's
   * `arrayBuffers` nor in V8's external memory here, so nothing else tells this thread's
   * collector that the blocks it drops are garbage: the worker's MemoryReleaser adds them.
   */
  movedInBytes = 0;
  /** Threads started ahead of jobs: a job's first tasks here need not wait for one to start. */
  private readonly spares: SpareTaskThreads;

  constructor(
    /** Tasks the driver runs here at once. */
    readonly cores: number,
    private readonly blocks: BlockManager,
    private readonly mapOutputs: IndexShuffleBlockResolver,
    private readonly shuffle: ShuffleClient,
    private readonly bundles: BundleSource,
    private readonly log: Logger,
    private readonly selfId: string,
    private readonly selfAddress: () => string,
    private readonly broadcastSource: BroadcastSource,
    /** What every task thread is started with: the records a map task buffers before spilling its buckets, whether it compresses them (WorkerOptions.shuffleSpillRecords, shuffleCompress). */
    threadData: ThreadData,
    /** Opens a receiver's report stream to the driver (Driver.ReceiverReports). */
    private readonly openReports: ReportStreamOpener,
    /** The spare task threads' logger (its own component, bound once). */
    sparesLog: Logger,
    /** Threads a job's tasks run in here (WorkerOptions.taskThreads; default `cores`). */
    private readonly taskThreads: number = cores,
    /** Whether a spare task thread a job took is replaced (WorkerOptions.replaceSpareThreads). */
    replaceSpares = true,
    /** The entry task threads start from (WorkerOptions.taskThreadCode; default the module). */
    threadEntry?: URL,
    /** Called once a job was released here (its threads stopped, its blocks dropped). */
    private readonly jobReleased: () => void = () => undefined,
    /** The jobs' added files here (sc.addFile); absent: a task naming one fails. */
    private readonly files?: JobFiles,
    /** The workers a received block may be replicated to now (the driver's ListWorkers, those not leaving); absent: the peers a receiver was placed with. */
    private readonly listPeers?: () => Promise<wire.Peer__Output[]>,
    /** Removes a bundle no job here uses, past the KEPT_UNUSED_BUNDLES kept (bundleUnused); absent: bundles stay on disk. */
    private readonly dropBundle?: BundleDrop,
  ) {
    // As many spares as threads a job runs tasks in: a new job's first stage here finds one per thread.
    this.spares = new SpareTaskThreads(taskThreads, threadData, sparesLog, replaceSpares, threadEntry);
    // A decoded copy the store dropped (its block removed or spilled, or for room) is dropped by its thread: the job's id is the block id's second part (rdd_<job>_<rdd>_<split>).
    blocks.onDecodedDropped((blockId, holder) => this.sandboxes.get(blockId.split('_')[1])?.forgetDecoded(holder, blockId));
  }

  /** Start the spare task threads (idempotent). */
  start(): void {
    this.spares.start();
  }

  /**
   * Tasks here, from the moment one is launched (before its bundle and its thread) to its
   * outcome: each heartbeat lists them, and the driver takes a task launched here that no
   * heartbeat lists, past a bound, as never arrived (its UnseenTasks).
   */
  get runningTaskIds(): string[] {
    return [...this.received];
  }

  get tasksCompleted(): number {
    return this.completed;
  }

  async launch(task: TaskToRun): Promise<wire.TaskOutcome> {
    this.received.add(task.taskId);
    try {
      return await this.launchHere(task);
    } finally {
      this.received.delete(task.taskId);
    }
  }

  private async launchHere(task: TaskToRun): Promise<wire.TaskOutcome> {
    // The task's logger is made only when something is logged (a child logger per task costs more than a tiny task).
    const log = (): Logger => this.log.child({ jobId: task.jobId, taskId: task.taskId, stageId: task.stageId, partition: task.partition });
    const launched = performance.now();
    // Killed before it came, or while it waited for the bundle: it does not start.
    if (this.killedBeforeLaunch.take(task.taskId)) return { killed: true };
    // The bundle stays on disk from here until the job's sandbox has it (bundleWaits).
    this.waitForBundle(task.bundleSha256, +1);
    let fresh: boolean;
    let sandbox: JobSandbox;
    let bundlePath: string;
    try {
      try {
        // Checked on disk only when this task may start a thread, which loads it: the threads
        // running already loaded it (an import reads the file once).
        const had = this.sandboxes.get(task.jobId);
        bundlePath = await this.bundles(task.jobId, task.bundleSha256, had === undefined || had.mayStartThread);
      } catch (err) {
        const message = `worker cannot get the job bundle: ${(err as Error).message}${isTooManyOpenFiles(err) ? `. ${tooManyOpenFilesFix('This worker process')}` : ''}`;
        log().error({ err, message }, 'cannot get job bundle');
        return { error: { code: isDiskFull(err) ? 'SLUICE_DISK_FULL' : 'SLUICE_JOB_LOAD', message, stack: '' } };
      }
      if (task.files !== undefined && task.files.length > 0) {
        try {
          if (!this.files) throw new Error('this worker keeps no added files');
          await this.files.ensure(task.jobId, task.files);
        } catch (err) {
          log().error({ err }, 'cannot get the files the job added');
          return { error: { code: isDiskFull(err) ? 'SLUICE_DISK_FULL' : 'SLUICE_JOB_LOAD', message: `worker cannot get the files the job added with sc.addFile: ${(err as Error).message}`, stack: '' } };
        }
      }
      if (this.killedBeforeLaunch.take(task.taskId) || task.signal?.aborted === true) return { killed: true };
      fresh = !this.sandboxes.has(task.jobId);
      sandbox = this.sandbox(task.jobId, task.bundleSha256, bundlePath, task.executorEnv);
    } finally {
      this.waitForBundle(task.bundleSha256, -1);
    }
    const running: RunningTask = { jobId: task.jobId, cached: [], cachedBytes: [], spilled: 0 };
    this.running.set(task.taskId, running);
    this.spares.taskStarted();
    if (this.log.isLevelEnabled('debug')) log().debug('task started');
    let outcome: ThreadOutcome | TaskKilled;
    const prepMs = performance.now() - launched;
    let given = 0;
    let ended: ThreadOutcome | TaskKilled | undefined;
    try {
      outcome = await sandbox.run(task.taskId, task.partition, task.stageKey, task.stagePayload, task.taskData, (at) => void (given = at));
      ended = outcome;
    } finally {
      this.running.delete(task.taskId);
      this.spares.taskEnded();
      this.settleCreated(task.taskId, running, ended === undefined || ended.kind === 'killed' || ended.kind === 'error' || ended.kind === 'fetchFailed');
    }
    this.completed++;
    // How long a job waits for its first task here (bundle, thread, the task): what a
    // recovered job's first batch waits for on each worker.
    if (fresh) log().info({ ms: Math.round(performance.now() - launched), outcome: outcome.kind }, 'first task of the job on this worker done');
    // Killed while its compute ran: what its thread had measured goes with it, as a failure's (Spark's TaskKilled carries them).
    if (outcome.kind === 'killed') return outcome.metrics === undefined ? { killed: true } : { killed: true, metrics: failedMetrics(outcome.metrics, running.spilled), shuffle_read_bytes: outcome.shuffleReadBytes ?? 0 };
    const threadMs = performance.now() - given;
    switch (outcome.kind) {
      case 'result': {
        if (outcome.value.byteLength <= DIRECT_RESULT_MAX_BYTES) return { result: outcome.value, stored_blocks: running.cached, stored_block_bytes: running.cachedBytes, shuffle_read_bytes: outcome.shuffleReadBytes, metrics: runMetrics(outcome.metrics, prepMs, threadMs, 0, running.spilled) };
        // Too large for the task stream's messages (Spark's IndirectTaskResult): kept here as a
        // block the driver reads in chunks with GetBlock and then removes (or the job's release does).
        const blockId = `taskresult_${task.jobId}_${task.taskId}`;
        try {
          this.putFor(running, () => this.blocks.put(blockId, [outcome.value], 'MEMORY_AND_DISK'));
        } catch (err) {
          // A full --local-dir: the attempt fails, as a map output's that cannot be stored.
          if (isDiskFull(err)) {
            log().warn({ err }, 'task result not stored: disk full');
            return { error: { code: 'SLUICE_DISK_FULL', message: (err as Error).message, stack: '' }, stored_blocks: running.cached, stored_block_bytes: running.cachedBytes };
          }
          throw err;
        }
        return { indirect_result: { block_id: blockId, size: outcome.value.byteLength }, stored_blocks: running.cached, stored_block_bytes: running.cachedBytes, shuffle_read_bytes: outcome.shuffleReadBytes, metrics: runMetrics(outcome.metrics, prepMs, threadMs, 0, running.spilled) };
      }
      case 'mapStatus': {
        // This attempt's output replaces any an earlier attempt of the same map task left here.
        const committing = performance.now();
        try {
          this.putFor(running, () => this.mapOutputs.commit(task.jobId, task.shuffleId, task.partition, outcome.index, outcome.data));
        } catch (err) {
          // A block that cannot spill (a full --local-dir) fails this attempt, as any task
          // failure: retried, and the job fails naming it only after the retries.
          if (!isDiskFull(err)) throw err;
          log().warn({ err }, 'map output not stored: disk full');
          return { error: { code: 'SLUICE_DISK_FULL', message: (err as Error).message, stack: '' }, stored_blocks: running.cached, stored_block_bytes: running.cachedBytes };
        }
        // The output's commit is the shuffle write's end, part of the run time (Spark's writer commits inside the task).
        const metrics = runMetrics(outcome.metrics, prepMs, threadMs, performance.now() - committing, running.spilled);
        return { map_status: { status: outcome.status }, accumulators: outcome.accumulators, stored_blocks: running.cached, stored_block_bytes: running.cachedBytes, shuffle_read_bytes: outcome.shuffleReadBytes, metrics };
      }
      case 'error': {
        log().info({ code: outcome.code, message: outcome.message }, 'task failed');
        // A thread that could not load the bundle (removed between the check above and the
        // thread's start): fetched again if it is gone, and then the threads that failed to load
        // it retired, so that the task's retries start threads that load it.
        if (outcome.code === 'SLUICE_JOB_LOAD') {
          const gone = !fs.existsSync(bundlePath);
          this.bundles(task.jobId, task.bundleSha256, true).then(
            () => gone && sandbox.retireLoadFailures(),
            () => undefined,
          );
        }
        const error = { code: outcome.code, message: outcome.message, stack: outcome.stack };
        if (outcome.metrics === undefined) return { error, stored_blocks: running.cached, stored_block_bytes: running.cachedBytes };
        return { error, stored_blocks: running.cached, stored_block_bytes: running.cachedBytes, metrics: failedMetrics(outcome.metrics, running.spilled), shuffle_read_bytes: outcome.shuffleReadBytes ?? 0 };
      }
      case 'fetchFailed':
        return {
          fetch_failed: { shuffle_id: outcome.shuffleId, map_partition: outcome.mapPartition, worker_id: outcome.workerId, message: outcome.message },
          stored_blocks: running.cached, stored_block_bytes: running.cachedBytes,
        };
      default: {
        const never: never = outcome;
        throw new Error(`unknown outcome ${JSON.stringify(never)}`);
      }
    }
  }

  /**
   * Run a receiver for a job. Each block it stores is kept here and, with the write-ahead
   * log on, appended to the log (fsynced) before it is reported; with it off, replicated
   * to the first reachable peer before it is reported. Either way losing one worker loses
   * no block. Its events reach the driver through a ReceiverReporter, which sends them again until
   * the driver acknowledges them: the receiver goes on whatever happens to the driver's connections.
   *
   * A block is durable — the receiver's `store` resolves — once it is logged (log on), or
   * once it is replicated and the driver has its report (log off).
   */
  async startReceiver(desc: wire.ReceiverDescription__Output): Promise<void> {
    let sandbox: JobSandbox;
    this.waitForBundle(desc.bundle_sha256, +1);
    try {
      // A receiver runs in a thread of its own, which loads the bundle.
      const bundlePath = await this.bundles(desc.job_id, desc.bundle_sha256, true);
      // The job's added files are here before the receiver starts, as before a task (SparkFiles.get in onStart).
      if (desc.files.length > 0) {
        if (!this.files) throw new SluiceError('SLUICE_JOB_LOAD', 'this worker keeps no added files');
        await this.files.ensure(desc.job_id, desc.files);
      }
      sandbox = this.sandbox(desc.job_id, desc.bundle_sha256, bundlePath, executorEnvOf(desc.executor_env));
    } finally {
      this.waitForBundle(desc.bundle_sha256, -1);
    }
    const log = this.log.child({ jobId: desc.job_id, streamId: desc.stream_id, receiverId: desc.receiver_id });
    let dropped = false;
    const drop = (): void => {
      if (dropped) return;
      // Blocks cut from now on are not stored: their records were not acknowledged, and
      // the receiver that replaces this one gets them from the source again.
      dropped = true;
      log.info('the driver no longer runs this receiver here; stopping it');
      this.sandboxes.get(desc.job_id)?.stopReceiver(desc.stream_id, desc.receiver_id);
    };
    const reporter = new ReceiverReporter(
      { job_id: desc.job_id, stream_id: desc.stream_id, receiver_id: desc.receiver_id, worker_id: this.selfId },
      this.openReports,
      drop,
      log,
      (rate) => {
        log.debug({ rate }, 'backpressure set the receiver rate');
        this.sandboxes.get(desc.job_id)?.updateReceiverRate(desc.stream_id, desc.receiver_id, rate);
      },
    );
    let reporters = this.reporters.get(desc.job_id);
    if (!reporters) this.reporters.set(desc.job_id, (reporters = new Set()));
    reporters.add(reporter);
    this.receiverDrops.set(reporter, drop);
    const jobReporters = reporters;
    const events = {
      started: () => reporter.report({ started: true }),
      block: (block: wire.ReceivedBlockInfo, onDelivered?: (err?: Error) => void) => reporter.report({ block }, onDelivered),
      error: (error: string, stack: string) => reporter.report({ error, error_stack: stack }),
      stopped: (stopped: string, stack: string) => {
        reporter.report({ stopped, error_stack: stack });
        jobReporters.delete(reporter);
        this.receiverDrops.delete(reporter);
      },
      restarting: (restarting: string, stack: string) => reporter.report({ restarting, error_stack: stack }),
    };
    let chain: Promise<void> = Promise.resolve();
    const inOrder = (f: () => Promise<void> | void): void => {
      chain = chain.then(f).catch((err: unknown) => log.error({ err }, 'receiver event failed'));
    };
    let peers = desc.peers.filter((p) => p.worker_id !== this.selfId);
    let next = Math.floor(Math.random() * Math.max(1, peers.length));
    // The peers are asked of the driver again, as Spark's BlockManager.getPeers: after a block
    // found no peer to take its replica (forceFetch: the peers died; a worker may have joined
    // since), at most once a second, and every minute (spark.storage.cachedPeersTtl), so a
    // worker that joined after the receiver was placed takes replicas too. Without it, once its
    // peers were lost every block was kept on this worker alone, and losing it lost them.
    let peersAskedAt = Date.now();
    let askingPeers: Promise<void> | undefined;
    const askPeers = (): Promise<void> => {
      if (askingPeers !== undefined || this.listPeers === undefined) return askingPeers ?? Promise.resolve();
      peersAskedAt = Date.now();
      askingPeers = this.listPeers()
        .then((ps) => {
          peers = ps.filter((p) => p.worker_id !== this.selfId);
        })
        .catch((err: unknown) => log.debug({ err }, 'cannot list the peers for received blocks; keeping the ones known'))
        .finally(() => (askingPeers = undefined));
      return askingPeers;
    };
    /** Peers that failed a replica, and until when they are skipped. */
    const badUntil = new Map<string, number>();
    const refusals = new ReplicaRefusals(log, 'a replica of a received block');
    // Blocks kept on this worker alone (no peer took the replica) since the last replicated
    // one: the first is logged, then a count every UNREPLICATED_SUMMARY_MS and once a replica
    // is taken again, not a warning a block (5 a second) while a peer stays registered but
    // takes none (frozen, its store refusing).
    let unreplicated = 0;
    let unreplicatedSince = 0;
    let unreplicatedSaidAt = 0;
    const writer = desc.writer || walWriterName(`${this.selfId}-${Date.now().toString(36)}`);
    const wal = desc.wal_dir
      ? new WriteAheadLogWriter({ dir: desc.wal_dir, writer, rollingIntervalMs: desc.wal_rolling_interval_ms || 60_000, maxSegmentBytes: desc.wal_max_segment_bytes || 64 << 20 })
      : undefined;
    const blockPrefix = `input_${desc.job_id}_${desc.stream_id}_${writer}`;
    const opts = {
      blockIntervalMs: desc.block_interval_ms,
      blockPrefix,
      maxBufferedRecords: desc.max_buffered_records || DEFAULT_RECEIVER_MAX_BUFFERED_RECORDS,
      ...(desc.max_rate > 0 ? { maxRate: desc.max_rate } : {}),
      ...(desc.initial_rate > 0 ? { initialRate: desc.initial_rate } : {}),
    };
    sandbox.startReceiver(desc.stream_id, desc.receiver_id, desc.receiver, opts, {
      block: (blockId, data, count, firstPosition, stored) => {
        if (isLineBlock(data)) this.movedInBytes += data.buffer.byteLength;
        // The receiver's store() waits for this answer: it is given once on every path (a
        // put that throws, e.g. a full --local-dir when older blocks spill, rejects it as
        // Spark's pushAndReportBlock throws into store()), never left unsettled.
        let answered = false;
        const answer = (error?: string, code?: ErrorCode): void => {
          if (answered) return;
          answered = true;
          stored(error, code);
        };
        inOrder(async () => {
          try {
            const position = firstPosition === undefined ? {} : { has_position: true, first_position: firstPosition };
            if (dropped) {
              answer('the driver no longer runs this receiver here');
              return;
            }
            const locations = [{ worker_id: this.selfId, address: this.selfAddress() }];
            if (wal) {
              const place = await wal.append(blockId, parseReceivedBlockId(blockId)?.seq ?? 0, count, data, firstPosition);
              // Replaced while it was cut off or frozen: the driver sealed this writer's log
              // without the record, so it is not stored (the source sends its records again
              // to the placement that replaced this one), and the receiver stops.
              if (await walRecordFenced(place, writer)) {
                if (!dropped) {
                  dropped = true;
                  log.warn({ blockId }, 'this receiver was replaced (its write-ahead log is sealed); stopping it');
                  this.sandboxes.get(desc.job_id)?.stopReceiver(desc.stream_id, desc.receiver_id);
                }
                answer('the receiver was replaced on another worker (its write-ahead log is sealed)', 'SLUICE_CANCELLED');
                return;
              }
              this.blocks.put(blockId, [data], 'MEMORY_AND_DISK');
              events.block({ block_id: blockId, num_records: count, locations, wal: place, ...position });
              answer();
              return;
            }
            this.blocks.put(blockId, [data], 'MEMORY_AND_DISK');
            // No peer known (placed as the only worker, or its peers were lost): the driver is
            // asked before this block is replicated, as Spark's replicate asks getPeers before
            // its first copy, so a worker that joined since takes this block's replica, not
            // only the next one's. Before, the ask went out after it: a receiver placed alone
            // kept its first block on its own worker however long a second had been there, and
            // a kill -9 of that worker failed the job on that block (user58, a rolling restart).
            if (peers.length === 0 && Date.now() - peersAskedAt >= 1000) await askPeers();
            for (let i = 0; i < peers.length; i++) {
              const peer = peers[(next + i) % peers.length];
              if ((badUntil.get(peer.worker_id) ?? 0) > Date.now()) continue;
              try {
                await this.shuffle.putRemoteBlock(peer.address, blockId, data);
                refusals.taken(peer.worker_id, blockId);
                locations.push(peer);
                next = (next + i + 1) % peers.length;
                break;
              } catch (err) {
                // A peer that answered with its store's failure (a full disk) is up: this block
                // tries the next peer, the next block tries it again (Spark's replicate drops a
                // failed peer for that block only), and it is said once, not per block. One
                // that did not answer is skipped for 30 s.
                if (refusedByPeer(err)) {
                  refusals.refused(peer.worker_id, blockId, err);
                  continue;
                }
                badUntil.set(peer.worker_id, Date.now() + 30_000);
                log.warn({ err, peer: peer.worker_id }, 'cannot replicate received block; skipping that worker for 30 s');
              }
            }
            if (locations.length === 1 && peers.length > 0) {
              const now = Date.now();
              if (unreplicated++ === 0) {
                unreplicatedSince = unreplicatedSaidAt = now;
                log.warn({ blockId }, `received block stored on one worker only: no peer accepted a replica (the next such blocks are counted, said every ${UNREPLICATED_SUMMARY_MS / 1000} s and once a replica is taken again)`);
              } else if (now - unreplicatedSaidAt >= UNREPLICATED_SUMMARY_MS) {
                unreplicatedSaidAt = now;
                log.warn({ blocks: unreplicated, forMs: now - unreplicatedSince, blockId }, `${unreplicated} received blocks stored on one worker only so far: no peer accepted a replica`);
              }
            } else if (locations.length > 1 && unreplicated > 0) {
              log.warn({ blocks: unreplicated, forMs: Date.now() - unreplicatedSince, blockId, peer: locations[1]!.worker_id }, `received blocks replicated again, after ${unreplicated} stored on one worker only`);
              unreplicated = 0;
            }
            const askedAgo = Date.now() - peersAskedAt;
            if ((locations.length === 1 && askedAgo >= 1000) || askedAgo >= 60_000) void askPeers();
            events.block({ block_id: blockId, num_records: count, locations, ...position }, (err) => answer(err?.message));
          } catch (err) {
            // Not logged, or not kept (the write-ahead log or the block store refused it):
            // the driver never hears of the block, the receiver's store() rejects.
            const message = (err as Error).message;
            log.error({ err, blockId }, 'cannot store received block; the receiver is told it was not stored');
            events.error(`block ${blockId} was not stored: ${message}`, '');
            answer(message, err instanceof SluiceError ? err.code : isDiskFull(err) ? 'SLUICE_DISK_FULL' : 'SLUICE_IO');
          }
        });
      },
      error: (message, stack) => inOrder(() => events.error(message, stack)),
      started: () => inOrder(() => events.started()),
      restarting: (reason, stack) => inOrder(() => events.restarting(reason, stack)),
      stopped: (reason, stack) =>
        inOrder(async () => {
          events.stopped(reason, stack);
          await wal?.close();
        }),
    });
  }

  /** No task of this stage comes again: its job's threads drop what they keep of it. */
  forgetStage(jobId: string, stageKey: string): void {
    this.sandboxes.get(jobId)?.forgetStage(stageKey);
  }

  stopReceiver(jobId: string, streamId: number, options: { readonly graceful?: boolean } = {}): boolean {
    return this.sandboxes.get(jobId)?.stopReceiver(streamId, undefined, options) ?? false;
  }

  /**
   * Store something for task `running` (`put`, one or more puts into the block store): the bytes
   * of older blocks the store spills to disk meanwhile to make room are the task's (Spark's
   * memoryBytesSpilled and diskBytesSpilled), a put that throws included.
   */
  private putFor<T>(running: RunningTask, put: () => T): T {
    const before = this.blocks.bytesSpilled;
    try {
      return put();
    } finally {
      running.spilled += this.blocks.bytesSpilled - before;
    }
  }

  /** A task attempt ended: the cached partitions it created here are kept, or removed when it failed (`createdBy`). */
  private settleCreated(taskId: string, running: RunningTask, failed: boolean): void {
    for (const blockId of running.cached) {
      if (this.createdBy.get(blockId) !== taskId) continue;
      this.createdBy.delete(blockId);
      if (failed) this.blocks.remove(blockId);
    }
  }

  removeBlocks(ids: readonly string[], prefixes: readonly string[] = []): number {
    let n = 0;
    for (const id of ids) if (this.blocks.remove(id)) n++;
    for (const p of prefixes) n += this.blocks.removeByPrefix(p);
    return n;
  }

  /**
   * Stop a task; false when it is not here (it ended, or its launch has not come yet: then
   * it will not start when it comes, KillsBeforeLaunch).
   */
  kill(taskId: string): boolean {
    for (const s of this.sandboxes.values()) if (s.kill(taskId)) return true;
    this.killedBeforeLaunch.add(taskId);
    return false;
  }

  /**
   * The task stream whose stages' keys start with `stageKeyPrefix` closed (the driver that
   * opened it died, or gave it up and counts its tasks lost): stop the tasks it launched
   * that still run or wait here, in every job, as Spark's executor does once its driver is
   * gone. Tasks of other streams (a restarted driver's) are untouched. How many were killed.
   */
  killStream(stageKeyPrefix: string): number {
    let n = 0;
    for (const s of this.sandboxes.values()) n += s.killStream(stageKeyPrefix);
    return n;
  }

  /**
   * The driver does not know this worker any more (it declared it lost, frozen or cut off, or
   * it restarted): it started every receiver that ran here on another worker. Each stops as
   * one answered `keep: false` does (blocks cut from now on not stored), at once, not at its
   * next block's report: a receiver storing nothing (a quiet source) never made one, and ran
   * on beside its replacement; an MQTT receiver woken after a freeze reconnected with the
   * session's client id before its first report was answered, taking the session back from
   * its replacement (the broker closes the older connection). Its reporter stays open: the
   * driver hears the stop, which ends the placement and lets its log's fence go (closed here,
   * the fence stayed). How many were stopped.
   */
  dropReceivers(): number {
    let n = 0;
    for (const [reporter, drop] of this.receiverDrops) {
      if (reporter.isClosed) continue;
      drop();
      n++;
    }
    return n;
  }

  /**
   * Forget a job: stop its threads (its idle task threads go back to the spares, to serve
   * a later job of the same bundle if they are clean) and drop its blocks (received input
   * and replicas held for peers included).
   */
  releaseJob(jobId: string): void {
    for (const r of this.reporters.get(jobId) ?? []) {
      r.close();
      this.receiverDrops.delete(r);
    }
    this.reporters.delete(jobId);
    const sandbox = this.sandboxes.get(jobId);
    sandbox?.close((thread) => this.spares.giveBack(thread, jobId, sandbox.bundleSha256));
    this.sandboxes.delete(jobId);
    if (sandbox) this.spares.taskEnded();
    this.broadcastCache.delete(jobId);
    this.files?.release(jobId);
    const n =
      this.blocks.removeByPrefix(`shuffle_${jobId}_`) +
      this.blocks.removeByPrefix(`rdd_${jobId}_`) +
      this.blocks.removeByPrefix(`input_${jobId}_`);
    // The replicas' memory just given back is for this job's next blocks: none come.
    this.blocks.pool.clear();
    // Its bundle is kept among the last unused ones (unless another job here has the same code or a task of one waits for it), the oldest of them removed.
    const removed = sandbox === undefined ? [] : this.bundleUnused(sandbox.bundleSha256);
    this.log.info({ jobId, blocks: n, ...(removed.length > 0 ? { bundlesRemoved: removed } : {}) }, 'job released');
    this.jobReleased();
  }

  /** A task or receiver starts (+1) or stops (-1) waiting between its bundle's fetch and its job's sandbox. */
  private waitForBundle(sha256: string, by: 1 | -1): void {
    const n = (this.bundleWaits.get(sha256) ?? 0) + by;
    if (n > 0) this.bundleWaits.set(sha256, n);
    else {
      this.bundleWaits.delete(sha256);
      // A task that never reached a sandbox (killed, its files not had) of a job already released here.
      this.bundleUnused(sha256);
    }
  }

  /** Whether a job's sandbox here has bundle `sha256`, or a task or receiver waits for it. */
  private bundleInUse(sha256: string): boolean {
    if (this.bundleWaits.has(sha256)) return true;
    for (const s of this.sandboxes.values()) if (s.bundleSha256 === sha256) return true;
    return false;
  }

  /**
   * Bundle `sha256` may be unused now: if so it joins the last KEPT_UNUSED_BUNDLES unused ones
   * (a job submitted again with the same code finds it here), and the oldest past them is
   * removed from disk unless in use again. The bundles removed.
   */
  private bundleUnused(sha256: string): string[] {
    if (this.dropBundle === undefined || this.bundleInUse(sha256)) return [];
    const at = this.unusedBundles.indexOf(sha256);
    if (at >= 0) this.unusedBundles.splice(at, 1);
    this.unusedBundles.push(sha256);
    const removed: string[] = [];
    while (this.unusedBundles.length > KEPT_UNUSED_BUNDLES) {
      const oldest = this.unusedBundles.shift()!;
      if (!this.bundleInUse(oldest) && this.dropBundle(oldest)) removed.push(oldest);
    }
    return removed;
  }

  /** Every job that has anything here: a sandbox, receivers, broadcasts or blocks. */
  jobIds(): Set<string> {
    return new Set([...this.sandboxes.keys(), ...this.reporters.keys(), ...this.broadcastCache.keys(), ...this.blocks.jobIds(), ...(this.files?.jobIds() ?? [])]);
  }

  removeRdd(jobId: string, rddId: number): number {
    return this.blocks.removeByPrefix(`rdd_${jobId}_${rddId}_`);
  }

  /**
   * Drop job `jobId`'s broadcast `id` (Broadcast.unpersist or destroy on the driver, as Spark's
   * RemoveBroadcast): the encoded value fetched here and the task threads' decoded copies; a
   * later task that needs it fetches it again. How many copies were dropped.
   */
  removeBroadcast(jobId: string, id: number): number {
    const cache = this.broadcastCache.get(jobId);
    const held = cache?.delete(id) === true ? 1 : 0;
    if (cache?.size === 0) this.broadcastCache.delete(jobId);
    return held + (this.sandboxes.get(jobId)?.forgetBroadcast(id) ?? 0);
  }

  /** Broadcast values held here, every job's (fetched and not removed): the heartbeat's broadcast_blocks. */
  get broadcastCount(): number {
    let n = 0;
    for (const cache of this.broadcastCache.values()) n += cache.size;
    return n;
  }

  close(): void {
    this.spares.close();
    for (const set of this.reporters.values()) for (const r of set) r.close();
    this.reporters.clear();
    this.receiverDrops.clear();
    for (const s of this.sandboxes.values()) s.close();
    this.sandboxes.clear();
  }

  get jobCount(): number {
    return this.sandboxes.size;
  }

  /**
   * Job `jobId`'s sandbox here, made at its first task or receiver; `env`, the job's executor
   * environment, is the one that came with that first one (a job's is the same in all).
   */
  private sandbox(jobId: string, bundleSha256: string, bundlePath: string, env: ExecutorEnv | undefined): JobSandbox {
    let s = this.sandboxes.get(jobId);
    if (!s) {
      const unused = this.unusedBundles.indexOf(bundleSha256);
      if (unused >= 0) this.unusedBundles.splice(unused, 1);
      // A job bound here counts as a task running until it is released (releaseJob): no spare
      // replacement starts while it holds threads here (SpareTaskThreads), which would start
      // and load a thread (100-300 ms of CPU) during its work. A stream's worker runs no task
      // between its warm-up job and its first batch (the receivers start) nor, at long
      // intervals, between batches; a receiver's worker none at all for as long as it runs.
      this.spares.taskStarted();
      const host: SandboxHost = {
        onCachePut: (taskId, blockId, data, level) => {
          const existed = this.blocks.has(blockId);
          const r = this.running.get(taskId);
          if (r === undefined) this.blocks.put(blockId, [data], level as StorageLevel);
          else this.putFor(r, () => this.blocks.put(blockId, [data], level as StorageLevel));
          if (existed) this.createdBy.delete(blockId);
          else this.createdBy.set(blockId, taskId);
          r?.cached.push(blockId);
          r?.cachedBytes.push(data.byteLength);
        },
        holdDecoded: (blockId, holder, bytes) => this.blocks.holdDecoded(blockId, holder, bytes),
        releaseDecoded: (blockId, holder) => this.blocks.releaseDecoded(blockId, holder),
        cacheGet: (blockId) => {
          // A copy of its own, moved to the task thread (the stored segments stay the store's).
          const segs = this.blocks.get(blockId);
          return segs === undefined ? undefined : concatOwned(segs);
        },
        broadcasts: async (ids) => {
          let cache = this.broadcastCache.get(jobId);
          if (!cache) this.broadcastCache.set(jobId, (cache = new Map()));
          const out: Record<number, Uint8Array> = {};
          for (const id of ids) {
            let p = cache.get(id);
            if (!p) {
              const fetched = this.broadcastSource(jobId, id);
              cache.set(id, (p = fetched));
              fetched.catch(() => cache.delete(id));
            }
            out[id] = await p;
          }
          return out;
        },
        blockGet: async (blockId, locations): Promise<BlockRead> => {
          // Borrowed: copied below within this turn (no await between), never kept.
          const here = this.blocks.borrow(blockId);
          const got = here ? { segments: here } : await this.shuffle.getRemoteBlock(blockId, locations);
          if ('misses' in got) return { misses: got.misses };
          // A copy of its own (the sandbox moves its buffer to the task thread): one copy
          // here instead of a structured clone's two (into the message, out of it in the thread).
          // A line block goes as pieces of whole lines (linePieces): small buffers from memory
          // malloc reuses, not one fresh buffer of the whole block, faulted in page by page.
          if (got.segments.length > 0 && isLineBlock(got.segments[0])) return { lines: linePieces(got.segments) };
          return { data: concatOwned(got.segments) };
        },
        fetch: async (msg): Promise<MainToThread> => {
          if (msg.count !== undefined && msg.count > 1) {
            const range = await this.shuffle.fetchRange(jobId, msg.shuffleId, msg.reducePartition, msg.count, msg.places, msg.maps);
            if (range.ok) return { type: 'fetchedRange', reqId: msg.reqId, framed: range.framed };
            return { type: 'fetchFailed', reqId: msg.reqId, shuffleId: msg.shuffleId, mapPartition: range.mapPartition, workerId: range.workerId, message: range.message };
          }
          const r = await this.shuffle.fetch(jobId, msg.shuffleId, msg.reducePartition, msg.places, msg.maps);
          if (r.ok) return { type: 'fetched', reqId: msg.reqId, framed: r.framed };
          return { type: 'fetchFailed', reqId: msg.reqId, shuffleId: msg.shuffleId, mapPartition: r.mapPartition, workerId: r.workerId, message: r.message };
        },
      };
      const filesDir = this.files?.dir(jobId);
      s = new JobSandbox(jobId, bundleSha256, () => this.spares.take(jobId, bundleSha256, bundlePath, filesDir, env), this.taskThreads, host, this.log.child({ jobId }));
      this.sandboxes.set(jobId, s);
    }
    return s;
  }
}

/**
 * A successful task's metrics with Spark's meanings, from what its thread measured and the
 * worker's clock: `prepMs`, getting the job's bundle and added files; `threadMs`, from the task's
 * posting to a thread to its outcome here; `commitMs`, the map output's commit after it (the
 * shuffle write's end, in the run time as Spark's writer commits inside the task).
 * Deserialization is the time with the thread not spent waiting behind its other tasks,
 * computing or encoding (the job's module loaded, the stage and task decoded), and the
 * preparation. A wait for a thread (tasks beyond the worker's threads, pipelined tiny tasks) is
 * neither: it is left to the scheduler delay.
 */
function runMetrics(m: ThreadTaskMetrics, prepMs: number, threadMs: number, commitMs: number, spilledBytes: number): wire.TaskRunMetrics {
  const [queuedMs, runMs, serializeMs, recordsRead, recordsWritten, fetchWaitMs, inputBytes, inputRecords, outputBytes, outputRecords] = m;
  return wholeAndNonZero({
    executor_deserialize_time: prepMs + Math.max(0, threadMs - queuedMs - runMs - serializeMs),
    executor_run_time: runMs + commitMs,
    result_serialization_time: serializeMs,
    shuffle_records_read: recordsRead,
    shuffle_records_written: recordsWritten,
    shuffle_fetch_wait_time: fetchWaitMs,
    input_bytes_read: inputBytes,
    input_records_read: inputRecords,
    output_bytes_written: outputBytes,
    output_records_written: outputRecords,
    bytes_spilled: spilledBytes,
  });
}

/**
 * A task's metrics that threw in its compute, or was killed while it ran, as Spark's executor
 * sends them with an ExceptionFailure or a TaskKilled (collectAccumulatorsAndResetStatusOnFailure):
 * its run time, from its compute's start to the throw or the kill, the shuffle reads it made, the input it
 * read and the output it wrote until then (Spark's outputMetrics of a killed attempt: what it wrote before the
 * kill), and what its cached partitions spilled (`spilledBytes`); no deserialization time (Spark sets it only
 * for a task that ends), no result serialized, no map output written.
 */
function failedMetrics(m: ThreadTaskMetrics, spilledBytes: number): wire.TaskRunMetrics {
  const [, runMs, , recordsRead, , fetchWaitMs, inputBytes, inputRecords, outputBytes, outputRecords] = m;
  return wholeAndNonZero({
    executor_deserialize_time: 0,
    executor_run_time: runMs,
    result_serialization_time: 0,
    shuffle_records_read: recordsRead,
    shuffle_records_written: 0,
    shuffle_fetch_wait_time: fetchWaitMs,
    input_bytes_read: inputBytes,
    input_records_read: inputRecords,
    output_bytes_written: outputBytes,
    output_records_written: outputRecords,
    bytes_spilled: spilledBytes,
  });
}

/**
 * The metrics in whole milliseconds (truncated, as the driver keeps them: Spark's nanoseconds
 * truncated; records are whole already) with each field that is 0 left out (proto3's default:
 * the driver reads it as 0). A tiny task's metrics then encode as an empty message, 2 bytes where
 * six doubles took 56, and the driver decodes nothing of them (perf28).
 */
function wholeAndNonZero(m: Required<{ [K in keyof wire.TaskRunMetrics]: number }>): wire.TaskRunMetrics {
  const out: { -readonly [K in keyof wire.TaskRunMetrics]: number } = {};
  const deserialize = Math.floor(m.executor_deserialize_time);
  if (deserialize !== 0) out.executor_deserialize_time = deserialize;
  const run = Math.floor(m.executor_run_time);
  if (run !== 0) out.executor_run_time = run;
  const serialize = Math.floor(m.result_serialization_time);
  if (serialize !== 0) out.result_serialization_time = serialize;
  if (m.shuffle_records_read !== 0) out.shuffle_records_read = m.shuffle_records_read;
  if (m.shuffle_records_written !== 0) out.shuffle_records_written = m.shuffle_records_written;
  const fetchWait = Math.floor(m.shuffle_fetch_wait_time);
  if (fetchWait !== 0) out.shuffle_fetch_wait_time = fetchWait;
  if (m.input_bytes_read !== 0) out.input_bytes_read = m.input_bytes_read;
  if (m.input_records_read !== 0) out.input_records_read = m.input_records_read;
  if (m.output_bytes_written !== 0) out.output_bytes_written = m.output_bytes_written;
  if (m.output_records_written !== 0) out.output_records_written = m.output_records_written;
  if (m.bytes_spilled !== 0) out.bytes_spilled = m.bytes_spilled;
  return out;
}
