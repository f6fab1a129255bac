import type { Logger } from 'pino';
import {
  MapStatus,
  SluiceError,
  TaskFailedError,
  blockIdForRdd,
  decode,
  decodeSmall,
  encode,
  encodeSmall,
  fetchFailedErrorString,
  stageSharedPlan,
  taskErrorClass,
  taskErrorString,
  type ActionSpec,
  type Clock,
  type JobRunResult,
  type LineageGraph,
  type MapOutputLocation,
  type Plan,
  type PlanNode,
  type SchedulerConfig,
  type ShuffleSpec,
  type TaskPart,
  type TaskPayload,
  type TaskResultValue,
  type wire,
  type AddedFileRef,
  type ExecutorEnv,
} from '@sluice/core/internal';
import type { RegistryListener, WorkerInfo, WorkerRegistry } from '../cluster/worker-registry.js';
import type { StageDescription } from '../rpc/worker-endpoint.js';
import { BlockLocations } from './block-locations.js';
import { coalescePartitions, type PartitionRange } from './coalesced-partitions.js';
import { MapOutputTracker } from './map-output-tracker.js';
import { placedWorker, placementOrder } from './consistent-placement.js';
import { preferredLocations, type PlaceLookup } from './preferred-locations.js';
import { largestOutputHolders } from './reduce-locality.js';
import { partitionsTouched, sameStageRddInfos, shuffleBytesOf, shuffleDependencies, shufflesRead, stagePlan, stageRddInfos, taskSlicer, type ShuffleDependencyInfo } from './stage-plan.js';
import type { TaskScheduler } from './task-scheduler.js';
import { TaskSetManager, taskSetOptions, type RunningTaskInfo, type StageCallbacks, type StageProgress, type TaskSetEnd, type TaskSetOptions } from './task-set-manager.js';
import { actionName, type JobProperties, type JobStageInfo, type SchedulerListener, type StageRddInfo, type TaskAccumulatorsEvent, type TaskEndEvent } from './scheduler-listener.js';

interface JobState {
  readonly jobId: string;
  readonly bundleSha: string;
  /** The job's executor environment (spark.executorEnv.*), named in each stage attempt sent to the workers; undefined: none. */
  readonly executorEnv: ExecutorEnv | undefined;
  /** Every shuffle seen in this job's lineages, by shuffle id. */
  readonly shuffles: Map<number, ShuffleDependencyInfo>;
  /** Shuffle map stages being (re)computed, so concurrent actions share one run. */
  readonly ensuring: Map<number, Promise<void>>;
  /** Stage ids given to shuffles, stable across re-runs. */
  readonly shuffleStageIds: Map<number, number>;
  /**
   * A shuffle map stage's next attempt number, by stage id: one more each time it is submitted
   * (Spark's Stage.nextAttemptId), across the actions that run it.
   */
  readonly nextStageAttempt: Map<number, number>;
  /** Each stage's latest attempt submitted, by stage id (Spark's stage.latestInfo.attemptNumber): a zombie's fetch failure counts only while it is the latest. */
  readonly latestAttempt: Map<number, number>;
  readonly taskSets: Set<TaskSetManager>;
  /** Task attempts running longer are killed (0: no limit); `sluice submit --task-timeout`. */
  readonly taskTimeoutMs: number;
  cancelled: SluiceError | undefined;
  /** The actions running now, by action id: what cancelling one stops. */
  readonly actions: Map<number, ActionState>;
  /** The persisted RDDs its actions' lineages named, by RDD id (the latest lineage's view). */
  readonly persisted: Map<number, PersistedRdd>;
  /** The files its program added (sc.addFile), in the order added: each stage attempt names those added before its first task launched. */
  readonly files: AddedFileRef[];
  /**
   * Each shuffle's map stage's RDDs (StageInfo.rddInfos) as last named, by shuffle id: one array
   * for every action start and stage attempt that names the stage while its RDDs stay the same,
   * so the UI's kept jobs and stages share it (a stream's action names every stage of its lineage:
   * a copy each made the kept jobs 40 KB apiece). Goes with the shuffle (removeShuffles).
   */
  readonly mapStageRdds: Map<number, readonly StageRddInfo[]>;
  /**
   * By worker id, the epoch (MapOutputTracker.epoch) of the task set whose fetch failure last
   * forgot every map output of this job on that worker, as Spark's DAGScheduler keeps
   * shuffleFileLostEpoch and executorFailureEpoch: a fetch failure from a task set of that epoch or
   * older forgets no more there, and a map task's success there from such a set is not taken.
   */
  readonly fetchFailedEpoch: Map<string, number>;
}

/** A persisted RDD as an action's lineage named it. */
export interface PersistedRdd {
  readonly rddId: number;
  readonly name: string;
  readonly numPartitions: number;
  readonly storage: PlanNode['storage'];
}

/** A persisted RDD's cached blocks on live workers (REST storage/rdd: Spark's LiveRDD). */
export interface StoredRdd extends PersistedRdd {
  /**
   * By partition, ascending: the block's bytes (0 when unknown), the live workers holding it and
   * those of them holding it on their disk, spilled from memory.
   */
  readonly blocks: readonly { readonly partition: number; readonly bytes: number; readonly workerIds: readonly string[]; readonly spilledAt: readonly string[] }[];
}

/** What a running task set was submitted for. */
interface TaskSetOwner {
  /** The action that submitted it (a map stage's: the action that started it). */
  readonly actionId: number;
  readonly stageId: number;
  /** Whether it is a result stage; a map stage's shuffle otherwise. */
  readonly result: boolean;
  readonly shuffleId: number | undefined;
  /** Settles once its completion was told to the listeners (set as it is submitted). */
  done: Promise<unknown> | undefined;
}

/** An action running: set `cancelled` and call `cancel` to stop it (DAGScheduler.cancelAction). */
interface ActionState {
  cancelled: SluiceError | undefined;
  /** The scheduler pool it was started in (spark.scheduler.pool): its task sets' under FAIR scheduling. */
  pool: string | undefined;
  /** The stages it runs or waits on (its result stage, the map stages of the shuffles it reads and theirs): what cancelStage finds it by. */
  readonly stages: Set<number>;
  /** Rejects with `cancelled` once set; what the action's waits race (never settles otherwise). */
  readonly stopped: Promise<never>;
  readonly cancel: (err: SluiceError) => void;
}

function actionState(): ActionState {
  let reject!: (err: SluiceError) => void;
  const stopped = new Promise<never>((_, r) => (reject = r));
  stopped.catch(() => undefined);
  const state: ActionState = {
    cancelled: undefined,
    pool: undefined,
    stages: new Set(),
    stopped,
    cancel: (err) => {
      state.cancelled ??= err;
      reject(err);
    },
  };
  return state;
}

/** The job id in a block id (`<kind>_<jobId>_...`; job ids hold no '_'). */
function jobOfBlock(blockId: string): string {
  return blockId.split('_')[1] ?? '';
}

/** Actions whose tasks may cover several partitions (resultRanges): a value a partition, no side effect. */
const RANGED_ACTIONS: ReadonlySet<ActionSpec['kind']> = new Set(['collect', 'count', 'take', 'reduce', 'fold', 'aggregate', 'countByValue', 'top', 'sampleKeys']);

/**
 * Task error codes the job's error keeps, where a retry could not have helped and the code says
 * what to do (a checkpoint's data lost or unreadable: SLUICE_CHECKPOINT, as a script tells it
 * from a failing user function; a result that cannot be sent: SLUICE_TASK_NOT_SERIALIZABLE);
 * every other task failure is SLUICE_TASK_FAILED, as before.
 */
const KEPT_TASK_CODES: ReadonlySet<string> = new Set(['SLUICE_RESULT_TOO_LARGE', 'SLUICE_TASK_TIMEOUT', 'SLUICE_DISK_FULL', 'SLUICE_CHECKPOINT']);

/** Spark's StageInfo.name for a shuffle's map stage: its map side's creation site. */
function mapStageName(info: ShuffleDependencyInfo, stageId: number): string {
  return info.graph.creationSites?.[info.mapSide] ?? `shuffle map stage ${stageId}`;
}

/** Spark's TaskKilled reason for a result stage's attempts still running as its job succeeds (DAGScheduler's killAllTaskAttempts). */
const JOB_FINISHED = 'Stage finished';

/**
 * Spark's spark.stage.maxConsecutiveAttempts default: a stage whose attempts fail on a fetch
 * this many times in a row (none succeeding between) aborts its job, as Spark's
 * DAGScheduler.handleTaskCompletion on FetchFailed (Stage.failedAttemptIds); the driver's
 * TaskSetOptions.maxConsecutiveStageAttempts (--stage-max-consecutive-attempts) overrides it.
 */
export const MAX_CONSECUTIVE_STAGE_ATTEMPTS = 4;

/** Rounds of waiting for a stage's parent stages, their outputs lost meanwhile, before an action gives up (Sluice's own). */
const MAX_PARENT_ROUNDS = 8;

/** Spark's TaskSetManager.TASK_SIZE_TO_WARN_KIB: a task encoded larger than this is warned about (once a task set). */
export const TASK_SIZE_TO_WARN_KIB = 1000;

/**
 * The MapStatus a map task's outcome reports; one that is absent or unreadable (a worker
 * bug) counts as data in every segment: fetching an empty segment costs a request, skipping
 * a full one would lose records.
 */
function mapStatusOf(outcome: wire.TaskOutcome__Output, numReducePartitions: number): MapStatus {
  const bytes = outcome.map_status?.status;
  if (bytes !== undefined && bytes.length > 0) {
    try {
      const s = MapStatus.decode(bytes);
      if (s.numPartitions === numReducePartitions) return s;
    } catch {
      // Unknown sizes, below.
    }
  }
  return MapStatus.of(new Array<number>(numReducePartitions).fill(1));
}

/**
 * Turns actions into stages and stages into task sets, as Spark's DAGScheduler.
 *
 * An action's lineage is cut at shuffle dependencies: each shuffle is a map stage,
 * computed once per job and reused by later actions while its outputs live; the
 * action's own partitions are the result stage. Parent stages that do not depend on
 * each other run at the same time. A fetch failure forgets the lost map outputs and
 * re-runs only the missing map tasks of the stage that made them, then the reduce
 * tasks still missing. A lost worker takes its map outputs and cached blocks with it.
 *
 * Invariants: a partition's result is recorded once (first successful attempt); every
 * per-job map (shuffles, map outputs, block locations) is cleared by `endJob`.
 * Listeners (metrics, each job's status for the UI) hear every action, stage attempt and
 * task attempt (SchedulerListener), synchronously, in order.
 * Threading: driver main thread; awaits only between task sets, never inside a state change.
 */
export class DAGScheduler implements RegistryListener {
  private readonly jobs = new Map<string, JobState>();
  readonly mapOutputs = new MapOutputTracker();
  readonly blockLocations = new BlockLocations();
  private nextStageId = 0;
  /** Numbers actions (Spark's job ids). */
  private nextActionId = 0;
  /** Numbers task sets: part of each stage attempt's key on the workers, never reused by this driver. */
  private nextTaskSetSeq = 0;
  /** For each running task set that reads shuffles: where each map output it reads lives. */
  private readonly shuffleSources = new Map<TaskSetManager, { shuffleId: number; mapPartition: number; workerId: string }[]>();
  /** The action each running task set was submitted for (a map stage's: the action that started it), its stage, and its completion. */
  private readonly taskSetOwners = new Map<TaskSetManager, TaskSetOwner>();
  /**
   * For each running task set: the workers its stage description names as holders of the
   * map outputs and received blocks it reads (encoded once, so fixed for the task set). A
   * decommissioned worker leaves only once no running task set names it (`readsFrom`).
   */
  private readonly taskSetWorkers = new Map<TaskSetManager, ReadonlySet<string>>();
  /** Told of every action, stage attempt and task attempt (metrics, the jobs' status for the UI). */
  private readonly listeners: SchedulerListener[] = [];

  constructor(
    private readonly registry: WorkerRegistry,
    private readonly taskScheduler: TaskScheduler,
    private readonly options: TaskSetOptions,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    registry.addListener(this);
  }

  addListener(l: SchedulerListener): void {
    this.listeners.push(l);
  }

  removeListener(l: SchedulerListener): void {
    const i = this.listeners.indexOf(l);
    if (i >= 0) this.listeners.splice(i, 1);
  }

  get listenerCount(): number {
    return this.listeners.length;
  }

  startJob(jobId: string, bundleSha: string, opts: { readonly taskTimeoutMs?: number; readonly executorEnv?: ExecutorEnv } = {}): void {
    this.jobs.set(jobId, {
      jobId,
      bundleSha,
      executorEnv: opts.executorEnv,
      shuffles: new Map(),
      ensuring: new Map(),
      shuffleStageIds: new Map(),
      nextStageAttempt: new Map(),
      latestAttempt: new Map(),
      taskSets: new Set(),
      taskTimeoutMs: opts.taskTimeoutMs ?? this.options.taskTimeoutMs,
      cancelled: undefined,
      actions: new Map(),
      persisted: new Map(),
      files: [],
      mapStageRdds: new Map(),
      fetchFailedEpoch: new Map(),
    });
  }

  /**
   * Job (run) `jobId`'s program added a file (sc.addFile): the stage attempts whose first task
   * launches from now on name it, and workers fetch it before running their tasks (Spark's
   * TaskSetManager takes the added files when it is made; here, when its first task launches).
   */
  addFile(jobId: string, ref: AddedFileRef): void {
    this.jobs.get(jobId)?.files.push(ref);
  }

  /** Job (run) `jobId`'s program chose how its task sets share the cluster (sc.setSchedulerMode). */
  setScheduler(jobId: string, config: SchedulerConfig): void {
    if (this.jobs.has(jobId)) this.taskScheduler.setScheduler(jobId, config);
  }

  /** Forget everything about a job; its running task sets are aborted. */
  endJob(jobId: string): void {
    this.taskScheduler.forgetApplication(jobId);
    const job = this.jobs.get(jobId);
    if (job) {
      job.cancelled = new SluiceError('SLUICE_CANCELLED', `job ${jobId} ended`);
      for (const t of job.taskSets) t.abort({ kind: 'failed', code: 'SLUICE_CANCELLED', message: 'job ended', stack: '', partition: -1, attempts: 0 });
    }
    this.jobs.delete(jobId);
    this.mapOutputs.clearJob(jobId);
    this.blockLocations.removeByPrefix(`rdd_${jobId}_`);
    this.blockLocations.removeByPrefix(`input_${jobId}_`);
  }

  /** The jobs (run ids) started and not yet ended: a worker registering again drops what it holds of any other (RegisterWorkerResponse.live_jobs). */
  liveJobs(): string[] {
    return [...this.jobs.keys()];
  }

  /** A job's stage attempts running now, by stage id: what a console progress bar shows. */
  stageProgress(jobId: string): StageProgress[] {
    const job = this.jobs.get(jobId);
    if (!job) return [];
    return [...job.taskSets]
      .filter((t) => !t.isEnded)
      .map((t) => t.progress())
      .sort((a, b) => a.stageId - b.stageId);
  }

  /**
   * Whether spark.excludeOnFailure excludes `workerId` for every job now (the TaskScheduler's
   * HealthTracker; never when it is off): receivers are not placed on it, as Spark's receivers,
   * run as tasks, are not offered an excluded executor.
   */
  isWorkerExcluded(workerId: string): boolean {
    return this.taskScheduler.excludedWorkers().has(workerId);
  }

  /** The stages running action `actionId` of a job ran or waits on so far (undefined once it ended): sc.statusTracker's job info. */
  actionStageIds(jobId: string, actionId: number): number[] | undefined {
    const state = this.jobs.get(jobId)?.actions.get(actionId);
    return state && [...state.stages];
  }

  /**
   * Spark's killTaskAttempt for job `jobId`'s running attempt `taskId`: killed with `reason` (a
   * TaskKilled, not counted as a failure) and its task queued again. Whether it was running.
   */
  killTaskAttempt(jobId: string, taskId: string, reason: string): boolean {
    const job = this.jobs.get(jobId);
    if (!job) return false;
    for (const t of job.taskSets) if (t.killRunningAttempt(taskId, reason)) return true;
    return false;
  }

  /** A job's running task attempts, longest first. */
  runningTasks(jobId: string): RunningTaskInfo[] {
    const job = this.jobs.get(jobId);
    if (!job) return [];
    return [...job.taskSets].flatMap((t) => t.runningTasks()).sort((a, b) => b.runningMs - a.runningMs);
  }

  get activeJobs(): number {
    return this.jobs.size;
  }

  workerAdded(): void {}

  workerLost(w: WorkerInfo): void {
    this.failReadersOf(w.id);
    const n = this.mapOutputs.removeWorker(w.id);
    this.blockLocations.removeWorker(w.id);
    if (n > 0) this.log.warn({ workerId: w.id, mapOutputs: n }, 'map outputs lost with worker; they will be recomputed');
  }

  /**
   * Tells the task sets reading map outputs held by `workerId` (just declared lost) that those
   * are gone (TaskSetManager.mapOutputsLost), as Spark's DAGScheduler.handleExecutorLost
   * unregisters a lost executor's outputs (removeExecutorAndUnregisterOutputs) and leaves the
   * stages reading them running: their running tasks go on (one that fetched everything it reads
   * from that worker finishes, its work kept; one still fetching from it fails as a fetch failure
   * once a heartbeat answer names the worker lost, ShuffleClient.peersLost), and a task that would
   * launch without them ends its set as a fetch failure instead (a zombie: the map outputs run
   * again, then the partitions still missing). Returns how many sets read from it.
   */
  failReadersOf(workerId: string): number {
    let n = 0;
    for (const [tsm, sources] of this.shuffleSources) {
      const lost = sources.find((s) => s.workerId === workerId);
      if (!lost) continue;
      tsm.mapOutputsLost({ kind: 'fetchFailed', shuffleId: lost.shuffleId, mapPartition: lost.mapPartition, workerId, message: `worker ${workerId} holding map outputs was lost` });
      n++;
    }
    return n;
  }

  /**
   * A decommissioning worker copied its blocks to other workers (Worker.MigrateBlocks):
   * its map outputs now live on the copies — for later stages and for the tasks running
   * task sets launch from now on — and its received and cached blocks are found on the
   * copies too. Returns how many map outputs and blocks were taken.
   */
  applyMigration(
    fromWorkerId: string,
    mapOutputs: readonly { readonly jobId: string; readonly shuffleId: number; readonly mapPartition: number; readonly to: MapOutputLocation }[],
    blocks: readonly { readonly blockId: string; readonly workerId: string }[],
  ): { mapOutputs: number; blocks: number } {
    let moved = 0;
    for (const m of mapOutputs) if (this.mapOutputs.updateLocation(m.jobId, m.shuffleId, m.mapPartition, fromWorkerId, m.to)) moved++;
    let known = 0;
    for (const b of blocks) {
      if (!this.jobs.has(jobOfBlock(b.blockId))) continue;
      this.blockLocations.add(b.blockId, b.workerId);
      known++;
    }
    return { mapOutputs: moved, blocks: known };
  }

  /**
   * Whether a running task set reads map outputs or received blocks from this worker (its
   * stage description, sent to workers once, names it). A decommissioning worker stays
   * until none does: task sets submitted after its blocks were copied read the copies.
   */
  readsFrom(workerId: string): boolean {
    for (const ws of this.taskSetWorkers.values()) if (ws.has(workerId)) return true;
    return false;
  }

  /**
   * A plan whose received-input blocks name the workers that hold them now: those the plan
   * names that are registered and staying, then copies made since (a decommissioning
   * worker's blocks, Worker.MigrateBlocks); the plan itself when nothing changed.
   */
  /**
   * Spark's TaskSetManager warning for a task whose encoded size is past TASK_SIZE_TO_WARN_KIB
   * (its message, then what makes a task large here and what to do); whether it warned.
   */
  private warnLargeTask(jobId: string, stageId: number, bytes: number): boolean {
    if (bytes <= TASK_SIZE_TO_WARN_KIB * 1024) return false;
    const kib = Math.floor(bytes / 1024);
    this.log.warn(
      { jobId, stageId, taskBytes: bytes },
      `Stage ${stageId} contains a task of very large size (${kib} KiB). The maximum recommended task size is ${TASK_SIZE_TO_WARN_KIB} KiB. ` +
        'A task carries the data given to sc.parallelize and the variables its functions capture, to every task: ' +
        'share a large read-only value with sc.broadcast(value) (sent to each worker once), read large inputs from files (sc.textFile), or parallelize into more partitions',
    );
    return true;
  }

  private withMovedBlocks(plan: Plan): Plan {
    let changed = false;
    const nodes: Record<number, Plan['nodes'][number]> = {};
    for (const [id, n] of Object.entries(plan.nodes)) {
      if (n.op.kind !== 'blocks') {
        nodes[Number(id)] = n;
        continue;
      }
      const blocks = n.op.blocks.map((b) => {
        const extra = [...(this.blockLocations.workersFor(b.blockId) ?? [])].filter((w) => !b.locations.some((l) => l.workerId === w));
        // Registered and staying: a decommissioning worker's blocks were copied (or are being).
        const live = b.locations.filter((l) => {
          const w = this.registry.get(l.workerId);
          return w !== undefined && !w.decommissioning;
        });
        const added = extra.flatMap((w) => {
          const info = this.registry.get(w);
          return info && !info.decommissioning ? [{ workerId: w, address: info.address }] : [];
        });
        if (added.length === 0 && live.length === b.locations.length) return b;
        changed = true;
        const locations = [...live, ...added];
        // None staying: the plan's own (a decommissioning worker still serves them until it
        // leaves), registered first. A lost one is tried last, and not at all for a block the
        // write-ahead log holds: reading the log beats waiting out a silent peer's timeout
        // on a worker declared lost while frozen (as Spark's WriteAheadLogBackedBlockRDD
        // reads the log when no live block manager has the block).
        const registered = b.locations.filter((l) => this.registry.get(l.workerId));
        const unregistered = b.wal ? [] : b.locations.filter((l) => !this.registry.get(l.workerId));
        return { ...b, locations: locations.length > 0 ? locations : registered.concat(unregistered) };
      });
      nodes[Number(id)] = { ...n, op: { ...n.op, blocks } };
    }
    return changed ? { nodes, root: plan.root } : plan;
  }

  /** Forget shuffles no RDD of the job can reach any more (their map outputs go too). */
  removeShuffles(jobId: string, shuffleIds: readonly number[]): void {
    const job = this.jobs.get(jobId);
    for (const id of shuffleIds) {
      if (job && job.ensuring.has(id)) continue; // Being computed for a running action.
      job?.shuffles.delete(id);
      const sid = job?.shuffleStageIds.get(id);
      if (sid !== undefined) job?.nextStageAttempt.delete(sid);
      if (sid !== undefined) job?.latestAttempt.delete(sid);
      job?.shuffleStageIds.delete(id);
      job?.mapStageRdds.delete(id);
      this.mapOutputs.removeShuffle(jobId, id);
    }
  }

  /** RDD `rddId` of the job was unpersisted: its blocks' locations go, and so does its entry among the job's persisted RDDs (Spark's AppStatusListener.onUnpersistRDD). */
  removeRddBlocks(jobId: string, rddId: number): void {
    this.blockLocations.removeByPrefix(`rdd_${jobId}_${rddId}_`);
    this.jobs.get(jobId)?.persisted.delete(rddId);
  }

  /**
   * How many entries the job's tables hold now (undefined for a job not running): what a
   * stream that runs for days must keep bounded, read by tests and bench/memory.js.
   */
  jobTableSizes(jobId: string): { readonly shuffles: number; readonly shuffleStageIds: number; readonly persisted: number; readonly mapStageRdds: number } | undefined {
    const job = this.jobs.get(jobId);
    return job && { shuffles: job.shuffles.size, shuffleStageIds: job.shuffleStageIds.size, persisted: job.persisted.size, mapStageRdds: job.mapStageRdds.size };
  }

  /**
   * The job's persisted RDDs that have cached blocks on live workers, by RDD id ascending, each
   * with its blocks (Spark's AppStatusListener keeps a LiveRDD while it has blocks; unpersist
   * removes them).
   */
  storedRdds(jobId: string): StoredRdd[] {
    const job = this.jobs.get(jobId);
    if (!job) return [];
    const byRdd = new Map<number, { partition: number; bytes: number; workerIds: string[]; spilledAt: string[] }[]>();
    const prefix = `rdd_${jobId}_`;
    for (const [blockId, workers] of this.blockLocations.entries()) {
      if (!blockId.startsWith(prefix)) continue;
      const live = [...workers].filter((w) => this.registry.get(w) !== undefined).sort();
      if (live.length === 0) continue;
      const [rdd, partition] = blockId.slice(prefix.length).split('_').map(Number);
      let list = byRdd.get(rdd);
      if (!list) byRdd.set(rdd, (list = []));
      list.push({ partition, bytes: this.blockLocations.sizeOf(blockId) ?? 0, workerIds: live, spilledAt: live.filter((w) => this.blockLocations.isSpilledAt(blockId, w)) });
    }
    const out: StoredRdd[] = [];
    for (const [rddId, blocks] of [...byRdd].sort((a, b) => a[0] - b[0])) {
      const p = job.persisted.get(rddId);
      if (p === undefined) continue;
      out.push({ ...p, blocks: blocks.sort((a, b) => a.partition - b.partition) });
    }
    return out;
  }

  /** The partitions of an RDD whose cached block a live worker holds (LocalRDDCheckpointData's check before it truncates the lineage). */
  cachedPartitions(jobId: string, rddId: number): number[] {
    const prefix = `rdd_${jobId}_${rddId}_`;
    const out: number[] = [];
    for (const [blockId, workers] of this.blockLocations.entries()) {
      if (blockId.startsWith(prefix) && [...workers].some((w) => this.registry.get(w) !== undefined)) out.push(Number(blockId.slice(prefix.length)));
    }
    return out.sort((a, b) => a - b);
  }

  /** Run one action: a value per requested partition, in the order asked. */
  /** `onResult`: each partition's value (as the task returned it, wire-encoded) as its task ends, for the approximate actions. */
  /** `signal`: aborting it cancels the action (cancelAction): its promise rejects with SLUICE_CANCELLED. */
  /** `onStart`: called with the action's id (Spark's job id: the listeners', cancelActionById's) as it starts. */
  async runJob(jobId: string, graph: LineageGraph, action: ActionSpec, partitions: readonly number[], properties: JobProperties = {}, onResult?: (partition: number, value: unknown) => void, signal?: AbortSignal, onStart?: (actionId: number) => void): Promise<JobRunResult> {
    const job = this.jobs.get(jobId);
    if (!job) throw new SluiceError('SLUICE_INTERNAL', `unknown job ${jobId}`);
    const actionId = this.nextActionId++;
    onStart?.(actionId);
    for (const [id, info] of shuffleDependencies(graph)) job.shuffles.set(id, info);
    const plan = stagePlan(graph, graph.root);
    // Spark's numbering (DAGScheduler.createResultStage calls getOrCreateParentStages first): the map
    // stages of the shuffles the action reads, each after its own parents, take their ids before its result stage.
    for (const shuffleId of shufflesRead(plan)) this.numberMapStage(job, shuffleId);
    const stageId = this.nextStageId++;
    const name = actionName(action, graph.callSite);
    // The result stage's RDDs: one array for the start and every attempt of the stage.
    const resultRdds = stageRddInfos(graph, graph.root);
    const stageInfos = [...this.mapStageInfos(job, plan), { stageId, attempt: 0, kind: 'result' as const, name, numTasks: partitions.length, rdds: resultRdds, parentIds: this.parentStageIds(job, plan) }];
    const start = { runId: jobId, jobId: actionId, time: this.clock.now(), name, action: action.kind, numPartitions: partitions.length, properties, stageInfos };
    for (const l of this.listeners) l.onJobStart?.(start);
    const state = actionState();
    state.pool = properties.pool;
    job.actions.set(actionId, state);
    // The reason the program's cancel gave (a job group's, tags', all jobs'), as a string: Spark's handleJobCancellation reason.
    const onAbort = (): void => this.cancelAction(job, actionId, typeof signal?.reason === 'string' ? signal.reason : undefined);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (signal?.aborted) onAbort();
      const out = await this.runAction(job, actionId, stageId, plan, graph, resultRdds, action, partitions, onResult);
      // Spark's "Job N is finished. Cancelling potential speculative or zombie tasks for this
      // job": the result stage's attempts still running (a zombie's) are killed, "Stage finished".
      for (const t of [...job.taskSets]) {
        const owner = this.taskSetOwners.get(t);
        if (owner?.result && owner.actionId === actionId) t.killRunning(JOB_FINISHED);
      }
      for (const l of this.listeners) l.onJobEnd?.({ runId: jobId, jobId: actionId, time: this.clock.now(), stageIds: [...state.stages] });
      return out;
    } catch (err) {
      await this.failIndependentStages(job, actionId, (err as Error).message);
      for (const l of this.listeners) l.onJobEnd?.({ runId: jobId, jobId: actionId, time: this.clock.now(), failure: (err as Error).message, stageIds: [...state.stages] });
      throw err;
    } finally {
      job.actions.delete(actionId);
      job.latestAttempt.delete(stageId);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Spark's sc.cancelJob(jobId[, reason]): cancel action `actionId` of job (run) `jobId` as
   * cancelAction does, if it is running. Returns whether it was.
   */
  cancelActionById(jobId: string, actionId: number, reason?: string): boolean {
    const job = this.jobs.get(jobId);
    const state = job?.actions.get(actionId);
    if (!job || !state || state.cancelled) return false;
    this.cancelActions(job, [actionId], reason === undefined ? undefined : `: ${reason}`);
    return true;
  }

  /**
   * Spark's sc.cancelStage(stageId[, reason]): cancel, as cancelAction does, every running
   * action of job (run) `jobId` that runs or waits on stage `stageId` (its result stage, or a
   * map stage of a shuffle it reads). Returns how many.
   */
  cancelStage(jobId: string, stageId: number, reason?: string): number {
    const job = this.jobs.get(jobId);
    if (!job) return 0;
    const ids = [...job.actions].filter(([, s]) => !s.cancelled && s.stages.has(stageId)).map(([id]) => id);
    if (ids.length > 0) this.cancelActions(job, ids, ` because stage ${stageId} was cancelled${reason === undefined ? '' : ` (${reason})`}`);
    return ids.length;
  }

  /**
   * Cancel one running action (Spark's cancelJob, what FutureAction.cancel() asks): it fails
   * with SLUICE_CANCELLED at once; its result stage's tasks are killed, and so are the map
   * stages' when no other action of the job is running; as it ends, those of its map stages no
   * other running action waits on are ended too (failIndependentStages), where one that another
   * waits on runs on, its outputs kept. An action that ended already is left alone.
   */
  private cancelAction(job: JobState, actionId: number, reason?: string): void {
    if (job.actions.get(actionId)?.cancelled === undefined) this.cancelActions(job, [actionId], reason === undefined ? '' : `: ${reason}`);
  }

  /**
   * Cancel `actionIds` (running, of `job`), `why` ending their error's message; then kill the
   * tasks of every cancelled action's result stage, and of its map stages once every running
   * action of the job is cancelled (none is left waiting for them).
   */
  private cancelActions(job: JobState, actionIds: readonly number[], why = ''): void {
    for (const actionId of actionIds) job.actions.get(actionId)?.cancel(new SluiceError('SLUICE_CANCELLED', `action ${actionId} of job ${job.jobId} was cancelled${why}`));
    const alone = [...job.actions.values()].every((s) => s.cancelled !== undefined);
    for (const t of job.taskSets) {
      const owner = this.taskSetOwners.get(t);
      if (owner && job.actions.get(owner.actionId)?.cancelled !== undefined && (owner.result || alone)) t.abort({ kind: 'failed', code: 'SLUICE_CANCELLED', message: 'action cancelled', stack: '', partition: -1, attempts: 0 });
    }
    this.log.info({ jobId: job.jobId, actionIds, why }, 'action cancelled');
  }

  /**
   * Action `actionId` failed with `message`: end the task sets still running for it that no
   * other running action of the job waits on (a map stage beside the one that failed, say),
   * their tasks killed, each stage completed with the action's failure, before the action's end
   * is told; as Spark's DAGScheduler.failJobAndIndependentStages cancels the running stages only
   * that job uses (markStageAsFinished(stage, Some(failureReason))) before it posts JobEnd. A
   * map stage so ended is no longer shared: an action that needs it later runs it again.
   */
  private async failIndependentStages(job: JobState, actionId: number, message: string): Promise<void> {
    const mine = job.actions.get(actionId)?.stages;
    if (mine === undefined || job.cancelled) return;
    const others = [...job.actions].filter(([id, s]) => id !== actionId && s.cancelled === undefined).map(([, s]) => s.stages);
    const ended: Promise<unknown>[] = [];
    for (const t of [...job.taskSets]) {
      const owner = this.taskSetOwners.get(t);
      if (owner === undefined || !mine.has(owner.stageId) || others.some((st) => st.has(owner.stageId))) continue;
      if (owner.shuffleId !== undefined) job.ensuring.delete(owner.shuffleId);
      t.abort({ kind: 'failed', code: 'SLUICE_CANCELLED', message, stack: '', partition: -1, attempts: 0 });
      if (owner.done) ended.push(owner.done.catch(() => undefined));
    }
    if (ended.length > 0) {
      this.log.info({ jobId: job.jobId, actionId, taskSets: ended.length }, 'action failed; its other running stages were ended');
      await Promise.all(ended);
    }
  }

  /** Give shuffle `shuffleId`'s map stage its id, once, after its parents' (Spark's getOrCreateShuffleMapStage, ancestors first). */
  private numberMapStage(job: JobState, shuffleId: number): void {
    if (job.shuffleStageIds.has(shuffleId)) return;
    const info = job.shuffles.get(shuffleId);
    if (!info) return;
    for (const parent of shufflesRead(stagePlan(info.graph, info.mapSide))) this.numberMapStage(job, parent);
    job.shuffleStageIds.set(shuffleId, this.nextStageId++);
  }

  /** Note, for cancelStage, that action `actionId` waits on shuffle `shuffleId`'s map stage (computed for another action) and on its parents'. */
  private noteStages(job: JobState, actionId: number, shuffleId: number): void {
    const state = job.actions.get(actionId);
    const sid = job.shuffleStageIds.get(shuffleId);
    if (!state || sid === undefined || state.stages.has(sid)) return;
    state.stages.add(sid);
    const info = job.shuffles.get(shuffleId);
    if (info) for (const parent of shufflesRead(stagePlan(info.graph, info.mapSide))) this.noteStages(job, actionId, parent);
  }

  /**
   * The map stages of the shuffles `plan` reads and of theirs, as an action's start names them
   * (Spark's SparkListenerJobStart.stageInfos: every stage of its graph, computed ones too), ascending.
   */
  private mapStageInfos(job: JobState, plan: Plan): JobStageInfo[] {
    const out = new Map<number, JobStageInfo>();
    const visit = (shuffleId: number): void => {
      const sid = job.shuffleStageIds.get(shuffleId);
      const info = job.shuffles.get(shuffleId);
      if (sid === undefined || info === undefined || out.has(sid)) return;
      const mapPlan = stagePlan(info.graph, info.mapSide);
      out.set(sid, {
        stageId: sid,
        attempt: Math.max(0, (job.nextStageAttempt.get(sid) ?? 0) - 1),
        kind: 'shuffleMap',
        name: mapStageName(info, sid),
        numTasks: info.graph.nodes[info.mapSide].numPartitions,
        rdds: this.mapStageRdds(job, shuffleId, info),
        parentIds: this.parentStageIds(job, mapPlan),
      });
      for (const parent of shufflesRead(mapPlan)) visit(parent);
    };
    for (const shuffleId of shufflesRead(plan)) visit(shuffleId);
    return [...out.values()].sort((a, b) => a.stageId - b.stageId);
  }

  /** Shuffle `shuffleId`'s map stage's RDDs: the array named before while they are the same (JobState.mapStageRdds). */
  private mapStageRdds(job: JobState, shuffleId: number, info: ShuffleDependencyInfo): readonly StageRddInfo[] {
    const rdds = stageRddInfos(info.graph, info.mapSide);
    const kept = job.mapStageRdds.get(shuffleId);
    if (kept !== undefined && sameStageRddInfos(kept, rdds)) return kept;
    job.mapStageRdds.set(shuffleId, rdds);
    return rdds;
  }

  /** The ids of the map stages of the shuffles `plan` reads (Spark's StageInfo.parentIds), ascending; those numbered. */
  private parentStageIds(job: JobState, plan: Plan): number[] {
    const ids = new Set<number>();
    for (const shuffleId of shufflesRead(plan)) {
      const sid = job.shuffleStageIds.get(shuffleId);
      if (sid !== undefined) ids.add(sid);
    }
    return [...ids].sort((a, b) => a - b);
  }

  private async runAction(job: JobState, actionId: number, stageId: number, plan: Plan, graph: LineageGraph, resultRdds: readonly StageRddInfo[], action: ActionSpec, partitions: readonly number[], onResult?: (partition: number, value: unknown) => void): Promise<JobRunResult> {
    for (const n of Object.values(graph.nodes)) {
      if (n.storage !== 'NONE') job.persisted.set(n.id, { rddId: n.id, name: n.name ?? `RDD ${n.id}`, numPartitions: n.numPartitions, storage: n.storage });
    }
    job.actions.get(actionId)?.stages.add(stageId);
    const results = new Map<number, TaskResultValue>();
    const log = this.log.child({ jobId: job.jobId, stageId });
    log.debug({ action: action.kind, partitions: partitions.length }, 'action submitted');
    // Set when a task over a range returned other than a value a partition: the action fails (not retried: every attempt would).
    let badRange: string | undefined;
    // The attempts that failed on a fetch (Spark's failedAttemptIds of the result stage: it succeeds only once, at the end).
    let fetchFailures = 0;
    for (let attempt = 0; ; attempt++) {
      if (job.cancelled) throw job.cancelled;
      // Every partition computed (an attempt that ended as a fetch failure, its zombie's tasks
      // finishing): done, whatever map outputs were lost since, as Spark's job finishes once
      // each partition has its result (ResultStage's findMissingPartitions empty).
      if (attempt > 0 && partitions.every((p) => results.has(p))) break;
      const mapOutputs = await this.untilCancelled(job, actionId, this.ensureShuffles(job, plan, `result stage ${stageId}`, actionId));
      const missing = partitions.filter((p) => !results.has(p));
      if (missing.length === 0) break;
      // Tasks over several contiguous partitions where the stage reads shuffles and nothing else
      // varies by partition; a task a partition while an older attempt's tasks run (a zombie's:
      // each of its results is then taken whole or not at all, never a range in part).
      const zombie = [...job.taskSets].some((t) => t.isEnded && this.taskSetOwners.get(t)?.stageId === stageId);
      const ranges = zombie ? undefined : this.resultRanges(job, plan, action, missing, mapOutputs);
      const firsts = ranges === undefined ? missing : ranges.map((r) => r.first);
      const countOf = new Map<number, number>();
      for (const r of ranges ?? []) if (r.count > 1) countOf.set(r.first, r.count);
      // A task's result is taken only when none of its partitions has one (alreadyDone): its
      // accumulator updates are merged once, as Spark's for a result task (job.finished(outputId)).
      const taken = (p: number): boolean => {
        for (let q = p; q < p + (countOf.get(p) ?? 1); q++) if (results.has(q)) return true;
        return false;
      };
      // The epoch its task set is made at (runTaskSet reads the same, synchronously): Spark's Task.epoch.
      const epoch = this.mapOutputs.epoch;
      const end = await this.runTaskSet(job, actionId, stageId, attempt, plan, mapOutputs, firsts, { kind: 'result', action, countOf, name: actionName(action, graph.callSite), rdds: resultRdds, parentIds: this.parentStageIds(job, plan) }, (p, outcome, _workerId, taskId) => {
        const r = decodeSmall<TaskResultValue>(outcome.result!);
        const count = countOf.get(p) ?? 1;
        if (count === 1) {
          if (!results.has(p)) onResult?.(p, r.value);
          results.set(p, r);
        } else {
          // A range's values, one a partition in order (runResultRange).
          const values = r.value as unknown[];
          if (!Array.isArray(values) || values.length !== count) {
            badRange ??= `the task over partitions ${p}-${p + count - 1} of result stage ${stageId} returned ${Array.isArray(values) ? values.length : typeof values} values, not ${count} (a worker of another Sluice version?)`;
            return;
          }
          for (let i = 0; i < count; i++) {
            if (!results.has(p + i)) onResult?.(p + i, values[i]);
            results.set(p + i, { value: values[i], accumulators: {} });
          }
        }
        this.taskAccumulators(job, stageId, attempt, taskId, r.accumulators);
      }, taken);
      if (badRange !== undefined) throw new SluiceError('SLUICE_INTERNAL', badRange);
      if (end.kind === 'done') continue;
      this.handleFailure(job, end, log, actionId, { label: `ResultStage ${stageId} (${actionName(action, graph.callSite)})`, failures: ++fetchFailures, epoch });
    }
    return { values: partitions.map((p) => results.get(p)!.value) };
  }

  /**
   * The ranges of `missing` a result stage's tasks cover (coalescePartitions), or undefined
   * for a task a partition: only a stage that reads shuffles and whose tasks differ in
   * nothing but their partition (no parallelized slices, cached or received blocks, direct
   * inputs: no per-partition task data or preferred worker), for an action without side
   * effects (a failed range runs all its partitions again: a `foreach` or a file written
   * per partition keeps a task a partition).
   */
  private resultRanges(job: JobState, plan: Plan, action: ActionSpec, missing: readonly number[], mapOutputs: Record<number, MapOutputLocation[]>): PartitionRange[] | undefined {
    if (!RANGED_ACTIONS.has(action.kind)) return undefined;
    const shuffleIds = Object.keys(mapOutputs).map(Number);
    if (shuffleIds.length === 0) return undefined;
    for (const n of Object.values(plan.nodes)) {
      if (n.storage !== 'NONE' || n.op.kind === 'blocks' || n.op.kind === 'directInput' || n.op.kind === 'parallelize') return undefined;
    }
    // A task over a range reads each shuffle at the partitions its partitions read, from the
    // first on, within the shuffle's own (the worker's rangeOf): a union of shuffles of 5 and 11
    // partitions runs in ranges too. Each partition's shuffle bytes as the map statuses tell
    // them, at the shuffle partitions it reads (shuffleBytesOf).
    const sizes = new Map<number, Float64Array>();
    for (const s of shuffleIds) {
      const a = new Float64Array(job.shuffles.get(s)?.spec.partitioner.numPartitions ?? 0);
      for (const st of this.mapOutputs.statuses(job.jobId, s)) st?.addSizesTo(a);
      sizes.set(s, a);
    }
    const bytesOf = shuffleBytesOf(plan, sizes);
    const ranges = coalescePartitions(missing, this.registry.totalCores(), bytesOf);
    return ranges.length === missing.length ? undefined : ranges;
  }

  private checkAttempts(job: JobState, attempt: number, what: string): void {
    if (job.cancelled) throw job.cancelled;
    if (attempt >= MAX_PARENT_ROUNDS) {
      throw new SluiceError('SLUICE_FETCH_FAILED', `${what} of job ${job.jobId} failed ${attempt} times fetching shuffle data; workers keep getting lost`);
    }
  }

  /** Make sure every map output of a shuffle exists, computing the missing ones (and their parents). */
  private ensureShuffle(job: JobState, shuffleId: number, actionId: number): Promise<void> {
    const inFlight = job.ensuring.get(shuffleId);
    if (inFlight) {
      this.noteStages(job, actionId, shuffleId);
      return inFlight;
    }
    const info = job.shuffles.get(shuffleId);
    if (!info) return Promise.reject(new SluiceError('SLUICE_INTERNAL', `job ${job.jobId} has no shuffle ${shuffleId}`));
    let stageId = job.shuffleStageIds.get(shuffleId);
    if (stageId === undefined) job.shuffleStageIds.set(shuffleId, (stageId = this.nextStageId++));
    const sid = stageId;
    job.actions.get(actionId)?.stages.add(sid);
    const plan = stagePlan(info.graph, info.mapSide);
    const numMaps = info.graph.nodes[info.mapSide].numPartitions;
    const log = this.log.child({ jobId: job.jobId, stageId: sid, shuffleId });
    const run = (async () => {
      // Its attempts that failed on a fetch in this run (Spark's failedAttemptIds, cleared as the stage completes).
      let fetchFailures = 0;
      for (let attempt = 0; ; attempt++) {
        if (job.cancelled) throw job.cancelled;
        // Every map output there: its parents' lost since are not needed (Spark's submitStage
        // asks a stage's parents only while the stage itself has missing partitions).
        if (attempt > 0 && this.mapOutputs.missing(job.jobId, shuffleId, numMaps).length === 0) return;
        const parentOutputs = await this.ensureShuffles(job, plan, `map stage ${sid}`, actionId);
        const missing = this.mapOutputs.missing(job.jobId, shuffleId, numMaps);
        if (missing.length === 0) return;
        if (attempt > 0 || missing.length < numMaps) log.info({ missing: missing.length, of: numMaps }, 're-running lost map tasks');
        const stageAttempt = job.nextStageAttempt.get(sid) ?? 0;
        job.nextStageAttempt.set(sid, stageAttempt + 1);
        const epoch = this.mapOutputs.epoch;
        const end = await this.runTaskSet(job, actionId, sid, stageAttempt, plan, parentOutputs, missing, { kind: 'shuffleMap', spec: info.spec, name: mapStageName(info, sid), rdds: this.mapStageRdds(job, shuffleId, info), parentIds: this.parentStageIds(job, plan) }, (p, outcome, workerId) => {
          const w = this.registry.get(workerId);
          if (!w) return; // Its worker died as it finished: the output is gone already.
          // Spark's "Ignoring possibly bogus ShuffleMapTask completion": a fetch failure from a task
          // set of this set's epoch or later named the worker, whose outputs are presumed lost; the
          // partition runs again (the stage's next attempt, its output missing).
          const failedAt = job.fetchFailedEpoch.get(workerId);
          if (failedAt !== undefined && epoch <= failedAt) {
            log.info({ mapPartition: p, workerId, epoch, failedAt }, 'ignoring a map task completion from a worker a later fetch failure named');
            return;
          }
          this.mapOutputs.register(job.jobId, shuffleId, numMaps, p, { workerId, address: w.address }, mapStatusOf(outcome, info.spec.partitioner.numPartitions));
        }, (p) => this.mapOutputs.has(job.jobId, shuffleId, p));
        if (end.kind !== 'done') this.handleFailure(job, end, log, actionId, { label: `ShuffleMapStage ${sid} (${mapStageName(info, sid)})`, failures: ++fetchFailures, epoch });
      }
    })();
    job.ensuring.set(shuffleId, run);
    const clear = (): void => {
      if (job.ensuring.get(shuffleId) === run) job.ensuring.delete(shuffleId);
    };
    run.then(clear, clear);
    return run;
  }

  /**
   * Make every shuffle `plan` reads complete at the same moment and return where their
   * map outputs are. Waiting for one shuffle can outlast another's outputs (a worker lost
   * meanwhile takes them), so all are checked again after the wait and the lost ones
   * recomputed: a task set is never handed a missing map output.
   */
  private async ensureShuffles(job: JobState, plan: Plan, what: string, actionId: number): Promise<Record<number, MapOutputLocation[]>> {
    const ids = shufflesRead(plan);
    for (let round = 0; ; round++) {
      this.checkAttempts(job, round, `${what} (waiting for its parent stages)`);
      await Promise.all(ids.map((s) => this.ensureShuffle(job, s, actionId)));
      const out: Record<number, MapOutputLocation[]> = {};
      const lost: number[] = [];
      for (const s of ids) {
        const locs = this.mapOutputs.locations(job.jobId, s);
        if (locs) out[s] = locs;
        else lost.push(s);
      }
      if (lost.length === 0) return out;
      this.log.info({ jobId: job.jobId, shuffleIds: lost, what }, 'map outputs were lost while parent stages ran; recomputing them');
    }
  }

  /** `p`, or the action's cancellation error as soon as it is cancelled (the work behind `p` may run on). */
  private untilCancelled<T>(job: JobState, actionId: number, p: Promise<T>): Promise<T> {
    const state = job.actions.get(actionId);
    if (state?.cancelled) throw state.cancelled;
    return state ? Promise.race([p, state.stopped]) : p;
  }

  /**
   * A fetch failure's error with Spark's FetchFailed.toErrorString as its errorString: the
   * worker that held the output (its address from the registry, else from the map output's
   * location), the shuffle, the map partition and the task's partition.
   */
  private withFetchFailedText(jobId: string, reduceId: number, error: NonNullable<TaskEndEvent['error']>): NonNullable<TaskEndEvent['error']> {
    const f = error.fetch;
    if (f === undefined) return error;
    const address = this.registry.get(f.workerId)?.address ?? this.mapOutputs.locations(jobId, f.shuffleId)?.[f.mapPartition]?.address;
    return { ...error, errorString: fetchFailedErrorString({ ...f, address, reduceId, message: error.message }) };
  }
  /**
   * Why a stage attempt failed, as its completion tells it (Spark's StageInfo.failureReason). A
   * stage its job's failure ended has its job's failure, as Spark's
   * DAGScheduler.failJobAndIndependentStages marks it (markStageAsFinished(stage,
   * Some(failureReason)), the message of the JobFailed exception): the action's error, "Job
   * aborted due to stage failure: Task ..." when a task failed too often, its cancellation's
   * message when it was cancelled. A fetch failure (the stage is resubmitted) has the fetch
   * failure's message alone, as Spark's handleTaskCompletion marks it
   * (markStageAsFinished(failedStage, errorMessage = Some(failureMessage)), FetchFailed's message).
   */
  private stageFailure(job: JobState, actionId: number, end: TaskSetEnd): string | undefined {
    if (end.kind === 'done') return undefined;
    if (end.kind === 'fetchFailed') return end.message;
    if (end.code === 'SLUICE_CANCELLED') return (job.cancelled ?? job.actions.get(actionId)?.cancelled)?.message ?? end.message;
    return taskSetFailure(end);
  }

  /**
   * A stage attempt that did not complete: a task failed too often, or it was cancelled (the
   * action's error thrown), or a fetch failed (the map outputs on the worker it names forgotten,
   * forgetFetchFailed, to run again; `stage.failures`, its consecutive attempts failed so: at
   * maxConsecutiveStageAttempts (default MAX_CONSECUTIVE_STAGE_ATTEMPTS) the action fails with Spark's abortStage message; `stage.epoch`
   * the tracker's epoch its task set was made at).
   */
  private handleFailure(job: JobState, end: Exclude<TaskSetEnd, { kind: 'done' }>, log: Logger, actionId: number, stage: { readonly label: string; readonly failures: number; readonly epoch: number }): void {
    if (end.kind === 'failed') {
      if (end.code === 'SLUICE_CANCELLED' && job.cancelled) throw job.cancelled;
      const cancelled = job.actions.get(actionId)?.cancelled;
      if (end.code === 'SLUICE_CANCELLED' && cancelled) throw cancelled;
      const message = taskSetFailure(end);
      if (KEPT_TASK_CODES.has(end.code) || end.code === 'SLUICE_TASK_NOT_SERIALIZABLE') throw new SluiceError(end.code as SluiceError['code'], message);
      throw new TaskFailedError(message, end.stack || `${end.code}: ${end.message}`);
    }
    const n = this.forgetFetchFailed(job, end, stage.epoch);
    const max = this.options.maxConsecutiveStageAttempts ?? MAX_CONSECUTIVE_STAGE_ATTEMPTS;
    if (stage.failures >= max) {
      throw new SluiceError('SLUICE_FETCH_FAILED', `Job aborted due to stage failure: ${stage.label} has failed the maximum allowable number of times: ${max}. Most recent failure reason:\n${end.message}`);
    }
    log.warn({ lostShuffleId: end.shuffleId, mapPartition: end.mapPartition, workerId: end.workerId, lostOutputs: n.named, lostOnWorker: n.onWorker, reason: end.message }, 'fetch failed; resubmitting map stage');
  }

  /**
   * A fetch failure naming map output `f.mapPartition` of shuffle `f.shuffleId` on worker
   * `f.workerId`, from a task set made at the tracker's `epoch`, as Spark's handleTaskCompletion
   * on FetchFailed: the outputs of that shuffle on the worker its tasks were given are forgotten
   * (unregisterMapOutput; those registered since are not what it failed on), and, unless a fetch
   * failure from a task set of this epoch or later did it already, every map output of the job on
   * that worker, of every shuffle (removeExecutorAndUnregisterOutputs with fileLost: its shuffle
   * files are presumed lost; the shuffleFileLostEpoch check, so a second failure of the same loss
   * does not forget the outputs the worker holds again since). Its cached blocks stay known: Spark
   * forgets its block manager, which registers again and reports them at its next heartbeat.
   */
  private forgetFetchFailed(job: JobState, f: { readonly shuffleId: number; readonly workerId: string }, epoch: number): { named: number; onWorker: number } {
    const named = this.mapOutputs.removeOutputsOn(job.jobId, f.shuffleId, f.workerId, epoch);
    const failedAt = job.fetchFailedEpoch.get(f.workerId);
    if (failedAt !== undefined && failedAt >= epoch) return { named, onWorker: 0 };
    job.fetchFailedEpoch.set(f.workerId, epoch);
    const onWorker = this.mapOutputs.removeJobOutputsOn(job.jobId, f.workerId);
    if (onWorker > 0) this.log.warn({ jobId: job.jobId, workerId: f.workerId, epoch, mapOutputs: onWorker }, "a fetch failure named the worker: the job's other map outputs there are forgotten too, to be recomputed");
    return { named, onWorker };
  }

  /** Where the cached partitions a task over `partition` reads live now. */
  private cachedLocations(jobId: string, plan: Plan, partition: number, cachedNodes: readonly { id: number }[]): Record<string, MapOutputLocation[]> {
    const touched = partitionsTouched(plan, partition);
    const out: Record<string, MapOutputLocation[]> = {};
    for (const n of cachedNodes) {
      for (const split of touched.get(n.id) ?? []) {
        const blockId = blockIdForRdd(jobId, n.id, split);
        const locs: MapOutputLocation[] = [];
        for (const w of this.blockLocations.workersFor(blockId) ?? []) {
          const info = this.registry.get(w);
          if (info) locs.push({ workerId: w, address: info.address });
        }
        if (locs.length > 0) out[blockId] = locs;
      }
    }
    return out;
  }

  /**
   * A source node's own preferred workers for a partition: where a received block is (live
   * ones), or the worker a direct input's placement picks among `placeable`'s (Spark's
   * KafkaRDD.getPreferredLocations: a hash over the workers taking tasks now).
   */
  private ownPlaces(n: PlanNode, split: number, placeable: () => readonly WorkerInfo[]): string[] {
    if (n.op.kind === 'directInput') {
      const p = n.op.placements?.[split];
      const w = p ? placedWorker(p, placeable()) : undefined;
      return w === undefined ? [] : [w.id];
    }
    const ids: string[] = [];
    if (n.op.kind === 'blocks') {
      const b = n.op.blocks[split];
      for (const l of b?.locations ?? []) ids.push(l.workerId);
      for (const w of (b && this.blockLocations.workersFor(b.blockId)) ?? []) ids.push(w);
    }
    return ids.filter((w) => this.registry.get(w) !== undefined);
  }

  /**
   * The live workers a reduce task over partition `reduce` of shuffle `shuffleId` prefers: those
   * holding at least a fifth of its bytes among the map outputs its task set was given
   * (`mapOutputs`), as Spark's getPreferredLocationsForShuffle (reduce-locality.ts).
   */
  private reducePlaces(jobId: string, shuffleId: number, numReduces: number, reduce: number, mapOutputs: Record<number, MapOutputLocation[]>): string[] {
    const locations = mapOutputs[shuffleId];
    if (locations === undefined) return [];
    const statuses = this.mapOutputs.statuses(jobId, shuffleId);
    return largestOutputHolders(locations, numReduces, (m) => statuses[m]?.size(reduce)).filter((w) => this.registry.get(w) !== undefined);
  }

  /** The workers a direct input's placement chooses among (not leaving), in Spark's order; read once per call of `placeable`'s maker. */
  private placeableWorkers(): () => readonly WorkerInfo[] {
    let sorted: readonly WorkerInfo[] | undefined;
    return () => (sorted ??= placementOrder(this.registry.staying()));
  }

  /**
   * rdd.preferredLocations(partition): the workers a task over partition `partition` of the
   * graph's root would prefer now (the scheduler's getPreferredLocs: a cached copy, a received
   * block, a direct input's placement, down narrow dependencies), worker ids.
   */
  preferredLocationsOf(jobId: string, graph: LineageGraph, partition: number): string[] {
    let plan = stagePlan(graph, graph.root);
    if (Object.values(plan.nodes).some((n) => n.op.kind === 'blocks')) plan = this.withMovedBlocks(plan);
    const placeable = this.placeableWorkers();
    return [...preferredLocations(plan, partition, {
      cached: (n, split) => this.blockLocations.workersFor(blockIdForRdd(jobId, n.id, split)) ?? [],
      own: (n, split) => this.ownPlaces(n, split, placeable),
    })];
  }

  /**
   * A successful task's accumulator updates, to the job's program as the task ends (before its
   * onTaskEnd), as Spark's DAGScheduler.updateAccumulators merges them in handleTaskCompletion:
   * the program's accumulators show them while the action runs, and an action that then fails
   * has still added what its successful tasks (its map stages' included) added.
   */
  private taskAccumulators(job: JobState, stageId: number, attempt: number, taskId: string, updates: Readonly<Record<number, unknown>>): void {
    let any = false;
    for (const _ in updates) {
      any = true;
      break;
    }
    if (!any) return;
    const e: TaskAccumulatorsEvent = { runId: job.jobId, stageId, stageAttempt: attempt, taskId, updates };
    for (const l of this.listeners) l.onTaskAccumulators?.(e);
  }

  private runTaskSet(
    job: JobState,
    actionId: number,
    stageId: number,
    attempt: number,
    plan: Plan,
    mapOutputs: Record<number, MapOutputLocation[]>,
    partitions: number[],
    /** What the stage computes, and its name (Spark's StageInfo.name). */
    kind: ({ kind: 'result'; action: ActionSpec; countOf?: ReadonlyMap<number, number>; name: string } | { kind: 'shuffleMap'; spec: ShuffleSpec; name: string }) & { rdds: readonly StageRddInfo[]; parentIds: readonly number[] },
    onSuccess: (partition: number, outcome: wire.TaskOutcome__Output, workerId: string, taskId: string) => void,
    /**
     * Whether a partition's outcome is had already (by another attempt of the stage: an older one
     * a fetch failure left running, or a newer one): a task's success for it is then not taken.
     */
    alreadyDone: (partition: number) => boolean,
  ): Promise<TaskSetEnd> {
    // Received blocks are read where they are now (a decommissioning worker's were copied).
    if (Object.values(plan.nodes).some((n) => n.op.kind === 'blocks')) plan = this.withMovedBlocks(plan);
    const cachedNodes = Object.values(plan.nodes).filter((n) => n.storage !== 'NONE');
    const blockNodes = Object.values(plan.nodes).filter((n) => n.op.kind === 'blocks');
    // Direct inputs whose partitions prefer a worker (a hash over the workers as the task set is made).
    const hasPlacements = Object.values(plan.nodes).some((n) => n.op.kind === 'directInput' && n.op.placements);
    // Reduce-side locality (Spark's spark.shuffle.reduceLocality.enabled, on by default): a shuffle's
    // reduce task prefers the workers holding much of its input (ShuffledRDD.getPreferredLocations).
    const reduceLocality = this.options.reduceLocality !== false && Object.values(plan.nodes).some((n) => n.op.kind === 'shuffled');
    const placeable = this.placeableWorkers();
    const places: PlaceLookup = {
      cached: (n, split) => this.blockLocations.workersFor(blockIdForRdd(job.jobId, n.id, split)) ?? [],
      own: (n, split) => (reduceLocality && n.op.kind === 'shuffled' ? this.reducePlaces(job.jobId, n.op.shuffle.shuffleId, n.op.shuffle.partitioner.numPartitions, split, mapOutputs) : this.ownPlaces(n, split, placeable)),
    };
    // The stage's part of every task, encoded once when its first task launches.
    let stage: StageDescription | undefined;
    const stageKey = `${job.jobId}/${stageId}.${attempt}#${this.nextTaskSetSeq++}`;
    const stageDescription = (): StageDescription => {
      if (stage) return stage;
      const payload: TaskPayload = {
        plan: stageSharedPlan(plan),
        kind: kind.kind,
        action: kind.kind === 'result' ? kind.action : undefined,
        shuffle: kind.kind === 'shuffleMap' ? kind.spec : undefined,
        mapOutputs,
        ...(Object.keys(emptySegments).length > 0 && { emptySegments }),
      };
      stage = { key: stageKey, jobId: job.jobId, bundleSha256: job.bundleSha, stageId, shuffleId: kind.kind === 'shuffleMap' ? kind.spec.shuffleId : -1, payload: encode(payload), files: [...job.files], ...(job.executorEnv === undefined ? {} : { executorEnv: job.executorEnv }) };
      return stage;
    };
    const noTaskData = new Uint8Array(0);
    // Spark's TaskSetManager warns once a task set, on its first task past TASK_SIZE_TO_WARN_KIB.
    let warnedTaskSize = false;
    const slicer = taskSlicer(plan);
    // The empty segments of the map outputs this task set reads, as of its locations.
    const emptySegments: Record<number, (Uint8Array | null)[]> = {};
    for (const s of Object.keys(mapOutputs)) {
      const e = this.mapOutputs.emptySegments(job.jobId, Number(s));
      if (e !== undefined) emptySegments[Number(s)] = e;
    }
    // Spark's TaskSet properties: the pool of the action that submitted the stage.
    const pool = job.actions.get(actionId)?.pool;
    // The map outputs this set's tasks can read: those registered by now (their locations are given now).
    const outputsUpTo = this.mapOutputs.epoch;
    const callbacks: StageCallbacks = {
      jobId: job.jobId,
      stageId,
      stageAttempt: attempt,
      shuffleMap: kind.kind === 'shuffleMap',
      priority: actionId,
      pool,
      describe: (partition, taskId, taskAttempt) => {
        const slices = slicer(partition);
        let part: TaskPart | undefined = slices === undefined ? undefined : { slices };
        if (cachedNodes.length > 0) part = { ...part, cachedLocations: this.cachedLocations(job.jobId, plan, partition, cachedNodes) };
        const count = kind.kind === 'result' ? kind.countOf?.get(partition) : undefined;
        if (count !== undefined && count > 1) part = { ...part, partitions: count };
        const desc = { taskId, partition, attempt: taskAttempt, stage: stageDescription(), taskData: part === undefined ? noTaskData : encodeSmall(part) };
        if (!warnedTaskSize) warnedTaskSize = this.warnLargeTask(job.jobId, stageId, desc.stage.payload.length + desc.taskData.length);
        return desc;
      },
      // Left out when no task of the stage can prefer a worker (the set's offers then skip asking).
      preferredWorkers: cachedNodes.length === 0 && blockNodes.length === 0 && !hasPlacements && !reduceLocality ? undefined : (partition) => preferredLocations(plan, partition, places),
      alreadyDone,
      // Spark's handleTaskCompletion on a FetchFailed of an older attempt: ignored once the stage
      // was submitted again ("Ignoring fetch failure from ... as it's from ... attempt"); before
      // that, the map outputs it names are unregistered too (the resubmission, still running its
      // parent stages, then computes them as well, where its own tasks would fail on them again).
      onZombieFetchFailed: (f) => {
        if (this.jobs.get(job.jobId) !== job || job.latestAttempt.get(stageId) !== attempt) return;
        // Only the outputs its tasks were given: one computed again meanwhile on the same worker (the
        // resubmitted map stage's) is not the one its fetch failed on (Spark's epoch check).
        const n = this.forgetFetchFailed(job, f, outputsUpTo);
        this.log.warn({ jobId: job.jobId, stageId, attempt, lostShuffleId: f.shuffleId, mapPartition: f.mapPartition, workerId: f.workerId, lostOutputs: n.named, lostOnWorker: n.onWorker, reason: f.message }, 'fetch failed in a stage attempt that already failed; its map outputs will be recomputed too');
      },
      onSuccess: (partition, outcome, workerId, taskId) => {
        outcome.stored_blocks.forEach((b, i) => this.blockLocations.add(b, workerId, outcome.stored_block_bytes[i]));
        if (kind.kind === 'shuffleMap' && outcome.accumulators.length > 0) this.taskAccumulators(job, stageId, attempt, taskId, decode(outcome.accumulators));
        onSuccess(partition, outcome, workerId, taskId);
        // Spark's notifyPartitionCompletion: the stage's other attempt running (a newer one, when
        // this is a zombie's task) has the partitions done too.
        const count = kind.kind === 'result' ? (kind.countOf?.get(partition) ?? 1) : 1;
        for (const other of job.taskSets) {
          if (other === tsm || other.isEnded || this.taskSetOwners.get(other)?.stageId !== stageId) continue;
          for (let q = partition; q < partition + count; q++) other.markPartitionCompleted(q);
        }
      },
      onTaskStart: (taskId, partition, taskAttempt, workerId, speculative, time, taskLocality) => {
        if (this.listeners.length === 0) return;
        const e = { runId: job.jobId, stageId, stageAttempt: attempt, taskId, partition, attempt: taskAttempt, workerId, speculative, time, taskLocality };
        for (const l of this.listeners) l.onTaskStart?.(e);
      },
      onTaskEnd: (e) => {
        if (this.listeners.length === 0) return;
        // One event for every listener, its fields spelled out: an object spread here cost
        // more than the rest of a tiny task's end (it ends thousands of times a second).
        const base = {
          runId: job.jobId,
          stageId,
          stageAttempt: attempt,
          taskId: e.taskId,
          partition: e.partition,
          attempt: e.attempt,
          workerId: e.workerId,
          reason: e.reason,
          durationMs: e.durationMs,
          speculative: e.speculative,
          taskLocality: e.taskLocality,
          shuffleWriteBytes: e.shuffleWriteBytes,
          // What the task itself counted reading (map statuses' sizes are approximate).
          shuffleReadBytes: e.shuffleReadBytes,
          resultSize: e.resultSize ?? 0,
          metrics: e.metrics,
        };
        const event: TaskEndEvent =
          e.measuredLater === true ? { ...base, ...(e.killReason !== undefined && { killReason: e.killReason }), measuredLater: true } : e.killReason !== undefined ? { ...base, killReason: e.killReason } : e.error ? { ...base, error: this.withFetchFailedText(job.jobId, e.partition, e.error) } : base;
        for (const l of this.listeners) l.onTaskEnd?.(event);
      },
      onKilledTaskMeasured: (e) => {
        for (const l of this.listeners) l.onKilledTaskMeasured?.({ runId: job.jobId, stageId, stageAttempt: attempt, ...e });
      },
      // Spark's cancelTasks(stageId, ..., reason) beside markStageAsFinished(stage, Some(reason)):
      // TaskSchedulerImpl.killAllTaskAttempts kills each with "Stage cancelled: " + reason.
      endReason: (end) => {
        const failure = this.stageFailure(job, actionId, end);
        return failure === undefined ? undefined : `Stage cancelled: ${failure}`;
      },
    };
    const tsm = new TaskSetManager(callbacks, partitions, taskSetOptions(this.options, job.taskTimeoutMs), this.clock, (workerId, taskId) => {
      this.log.debug({ jobId: job.jobId, stageId, taskId, workerId }, 'killing task');
      this.registry.get(workerId)?.endpoint.killTask(taskId);
    });
    job.taskSets.add(tsm);
    job.latestAttempt.set(stageId, attempt);
    const owner: TaskSetOwner = { actionId, stageId, result: kind.kind === 'result', shuffleId: kind.kind === 'shuffleMap' ? kind.spec.shuffleId : undefined, done: undefined };
    this.taskSetOwners.set(tsm, owner);
    const sources = Object.entries(mapOutputs).flatMap(([sid, locs]) => locs.map((l, m) => ({ shuffleId: Number(sid), mapPartition: m, workerId: l.workerId })));
    if (sources.length > 0) this.shuffleSources.set(tsm, sources);
    const named = new Set(sources.map((x) => x.workerId));
    for (const n of Object.values(plan.nodes)) if (n.op.kind === 'blocks') for (const b of n.op.blocks) for (const l of b.locations) named.add(l.workerId);
    if (named.size > 0) this.taskSetWorkers.set(tsm, named);
    this.log.debug({ jobId: job.jobId, stageId, attempt, tasks: partitions.length, kind: kind.kind }, 'submitting task set');
    for (const l of this.listeners) l.onStageSubmitted?.({ runId: job.jobId, jobId: actionId, stageId, stageAttempt: attempt, kind: kind.kind, name: kind.name, numTasks: partitions.length, partitions, time: this.clock.now(), ...(pool !== undefined && { pool }), rdds: kind.rdds, parentIds: kind.parentIds });
    this.taskScheduler.submit(tsm);
    // Kept until no attempt of it runs: a zombie's (a fetch failure ended it) run on, and are
    // killed with the rest of the job's (endJob, cancelActions, failIndependentStages).
    void tsm.drained.then(() => {
      job.taskSets.delete(tsm);
      this.taskSetOwners.delete(tsm);
      this.shuffleSources.delete(tsm);
      this.taskSetWorkers.delete(tsm);
      // No task of this stage attempt launches or runs again: the workers may drop its description.
      if (stage) for (const w of this.registry.all()) w.endpoint.forgetStage(stageKey);
    });
    const done = tsm.finished.then((end) => {
      const failure = this.stageFailure(job, actionId, end);
      for (const l of this.listeners) l.onStageCompleted?.({ runId: job.jobId, stageId, stageAttempt: attempt, time: this.clock.now(), ...(failure !== undefined && { failure }) });
      return end;
    });
    owner.done = done;
    return done;
  }
}

/**
 * A failed task set's error message, as Spark's DAGScheduler aborts a stage: "Job aborted due to
 * stage failure: Task 0 in stage 3.0 failed 4 times, most recent failure: Lost task 0.3 in stage
 * 3.0 (TID <task id>) (worker <id>): <the task's error>", the error as Spark's ExceptionFailure.toErrorString
 * opens it, its class and message (`TypeError: x is not a function`: core's taskErrorString; its
 * stack is the error's own, not in the message), and for a result that cannot be sent
 * "... Task 0.0 in stage 3.0 (TID <task id>) had a not serializable result: <what>" (not retried).
 * The task is named by its partition; a TID is Sluice's task id, a string.
 */
export function taskSetFailure(end: Extract<TaskSetEnd, { kind: 'failed' }>): string {
  if (end.partition < 0 || end.lost === undefined || end.stage === undefined) return end.message;
  const { task, taskId, workerId } = end.lost;
  if (end.code === 'SLUICE_TASK_NOT_SERIALIZABLE') {
    return `Job aborted due to stage failure: Task ${task} in stage ${end.stage} (TID ${taskId}) had a not serializable result: ${end.message}`;
  }
  return `Job aborted due to stage failure: Task ${end.partition} in stage ${end.stage} failed ${end.attempts} times, most recent failure: Lost task ${task} in stage ${end.stage} (TID ${taskId}) (worker ${workerId}): ${taskErrorString(taskErrorClass(end.code, end.message, end.stack), end.message)}`;
}
