import type { Logger } from 'pino';
import type { WorkerInfo, WorkerRegistry, RegistryListener } from '../cluster/worker-registry.js';
import { defaultPool, type PoolConfig, type SchedulerConfig } from '@sluice/core/internal';
import { OFFER_LEVELS, type TaskSetManager } from './task-set-manager.js';
import { fairOrder, poolOf } from './fair-scheduling.js';
import { StarvationWarnings, starvationMessage } from './starvation-warnings.js';
import { UnseenTasks, type UnseenOnWorker } from './unseen-tasks.js';
import type { ExcludeOnFailureConf } from './exclude-on-failure.js';
import { HealthTracker, type ExclusionChange, type WorkerExclusion } from './health-tracker.js';

/** A task running this long is logged once (it may never return). */
const LONG_RUNNING_MS = 60_000;
/**
 * Tasks queued on a worker beyond its slots at most, per core (pipelining). 2: one message
 * carries twice a worker's cores' tasks, and the worker sends their outcomes about as many
 * to a message (task-stream-handler.ts holds them while tasks queued here are left); with
 * 1 a tiny task cost the driver 0.27 ms of CPU, with 2 0.22, with 4 0.23 (bench/README).
 */
export const QUEUED_PER_CORE = 2;

/**
 * How long at most a call over a reopened connection to a worker whose tasks went unseen
 * may take to be answered before the worker is declared lost (less when the unseen-task
 * bound is less). A worker whose heartbeats arrive answers a call in well under this; one
 * that did not get the driver's messages never does.
 */
export const UNSEEN_RECONNECT_TIMEOUT_MS = 10_000;

/** What the TaskScheduler needs besides its registry (DriverNode passes them). */
export interface TaskSchedulerOptions {
  /** Heartbeats' interval (ms): UnseenTasks counts them. */
  readonly heartbeatIntervalMs: number;
  /** A task launched this long ago, not reported by the worker's heartbeats since, is unseen (DriverOptions.unseenTaskTimeoutMs). */
  readonly unseenTaskTimeoutMs: number;
  readonly now: () => number;
  /** A task set none of whose tasks launched this long after its submission is warned about (DriverOptions.starvationTimeoutMs; 0: never). */
  readonly starvationTimeoutMs: number;
  /** Spark's spark.excludeOnFailure.* when enabled (the driver's task options'); unset: off. */
  readonly excludeOnFailure: ExcludeOnFailureConf;
  /** With excludeOnFailure: told each worker excluded for every job, and each lifted (HealthTracker's onChange). */
  readonly onExclusion: (e: ExclusionChange) => void;
  /**
   * The HealthTracker's logger, made from the root as every component's is (pino writes a key
   * bound twice twice: a child of this scheduler's logger would carry `component` twice).
   */
  readonly healthLog: Logger;
}

/**
 * Matches task sets to worker slots, as Spark's TaskSchedulerImpl: task sets are
 * offered free slots in submission order (FIFO), each every free slot at one locality level
 * before any at the next (delay scheduling: TaskSetManager's OFFER_LEVELS, its wait restarted
 * after a pass that refused no slot, `endOfferRound`); each launch takes a slot until the
 * worker reports the task's outcome. An application that chose FAIR scheduling
 * (sc.setSchedulerMode, `setScheduler`) has its own task sets offered in fair-scheduling.ts's
 * order instead, re-sorted before each slot is offered (Spark sorts once per resourceOffers,
 * which mostly offers one freed slot): they take the places its task sets hold in the
 * submission order, so other applications' keep theirs. Re-offers slots on every change and on a short
 * tick, so locality waits expire and stragglers get speculated; the tick also enforces
 * task timeouts. Speculative copies get a slot only after every task set's pending tasks.
 *
 * Pipelining of tiny tasks (as Drizzle's pre-scheduling): a worker whose slots are all
 * taken and that has nothing queued is sent up to QUEUED_PER_CORE more tasks per core from task sets
 * that allow it (`TaskSetManager.canQueue`: recent tasks under `pipelineMaxTaskMs`, no
 * task timeout; of a stage whose tasks prefer workers, only those preferring that worker or
 * none, and only behind tiny tasks: never behind a launch that may run long, `heldLong`); the worker queues them and starts each as a slot
 * frees, without a round trip to the driver. The queue is refilled only once it is empty,
 * so one message carries several tasks. Never more than (1 + QUEUED_PER_CORE) times its
 * cores are in flight to a worker.
 *
 * Invariants: for each worker, `cores - freeSlots + queuedTasks` is the number of its
 * launches not yet resolved (while it stays registered); `queuedTasks` > 0 only when
 * `freeSlots` is 0. The driver cannot see when a queued task starts there: it counts the
 * oldest queued launch on a worker as started when any launch there resolves (the
 * worker starts its queued tasks in the order they came), so a task set's progress
 * shows as running at most the cores it holds, the queued ones as not yet running.
 *
 * Tasks launched on a worker that its heartbeats never report (UnseenTasks: what the driver
 * sends it does not reach it, while what it sends arrives) are failed as lost there, as a
 * lost worker's (they run elsewhere, not counted against the task), the task stream is
 * given up and the connection opened anew; a worker that does not answer a call over the
 * new connection within UNSEEN_RECONNECT_TIMEOUT_MS (or the bound, if less) is declared lost (its map outputs too:
 * the stages reading them run again from lineage), though its heartbeats arrive.
 * A task set none of whose tasks launched 15 s (the starvation timeout) after its submission is
 * warned about, as Spark's starvation timer does (starvation-warnings.ts), then every 15 s while
 * still none has, unless another stage of its job is running a task then (its job has resources).
 * With spark.excludeOnFailure.enabled (`excludeOnFailure`), a worker the HealthTracker excludes is
 * offered no task, the successful task sets' failures and (application.fetchFailure.enabled) the
 * task sets' fetch failures are told to it, and a task set with a task that can run on no live
 * worker is aborted on the next pass (TaskSetManager.completelyExcludedTask).
 * Threading: driver main thread.
 */
export class TaskScheduler implements RegistryListener {
  private readonly taskSets: TaskSetManager[] = [];
  /** Applications (run ids) scheduled FAIR, with their pools (those made for an unknown pool name added). */
  private readonly fair = new Map<string, { readonly mode: 'FAIR'; readonly pools: PoolConfig[] }>();
  /** Launches queued on each worker beyond its slots, oldest first (as many as its `queuedTasks`). */
  private readonly queuedOn = new Map<WorkerInfo, { readonly tsm: TaskSetManager; readonly taskId: string }[]>();
  /**
   * Launches holding a slot on each worker that may run long: of a set whose recent tasks were
   * not tiny (or not known yet) when launched (`TaskSetManager.runsTiny`). A task that prefers a
   * worker is not queued behind one (fillQueues).
   */
  private readonly heldLong = new Map<WorkerInfo, number>();
  private timer: NodeJS.Timeout | undefined;
  private scheduled = false;
  private readonly unseen: UnseenTasks;
  private readonly starvation: StarvationWarnings;
  private readonly now: () => number;
  /** UNSEEN_RECONNECT_TIMEOUT_MS, or the unseen-task bound when less. */
  private readonly reconnectTimeoutMs: number;
  /** With spark.excludeOnFailure.enabled: the workers excluded for every job. */
  private readonly health: HealthTracker | undefined;
  private readonly onExclusion: ((e: ExclusionChange) => void) | undefined;

  constructor(
    private readonly registry: WorkerRegistry,
    private readonly log: Logger,
    opts: Partial<TaskSchedulerOptions> = {},
  ) {
    registry.addListener(this);
    const hb = opts.heartbeatIntervalMs ?? 1000;
    this.unseen = new UnseenTasks(opts.unseenTaskTimeoutMs ?? 60_000, hb);
    this.reconnectTimeoutMs = Math.min(this.unseen.boundMs, UNSEEN_RECONNECT_TIMEOUT_MS);
    this.now = opts.now ?? Date.now;
    this.starvation = new StarvationWarnings(opts.starvationTimeoutMs);
    this.health = opts.excludeOnFailure === undefined ? undefined : new HealthTracker(opts.excludeOnFailure, this.now, opts.healthLog ?? log, opts.onExclusion);
    this.onExclusion = opts.onExclusion;
  }

  /** The workers excluded for every job now (spark.excludeOnFailure; empty when it is off). */
  excludedWorkers(): ReadonlyMap<string, WorkerExclusion> {
    return this.health?.excludedWorkers() ?? new Map();
  }

  /** The stages (ids) of running task sets that exclude `workerId` (Spark's ExecutorSummary.excludedInStages). */
  excludedInStages(workerId: string, runId?: string): number[] {
    const out = new Set<number>();
    for (const t of this.taskSets) if (!t.isEnded && (runId === undefined || t.stage.jobId === runId) && t.excludelist?.isExcludedForSet(workerId) === true) out.add(t.stage.stageId);
    return [...out].sort((a, b) => a - b);
  }

  /**
   * A heartbeat from worker `workerId` listing the tasks it holds: tasks launched there
   * that it never listed, past the bound, are failed and the link tested (class comment).
   */
  heartbeat(workerId: string, runningTaskIds: readonly string[]): void {
    const found = this.unseen.heartbeat(workerId, runningTaskIds, this.now());
    if (found !== undefined) this.unseenOn(found);
  }

  private unseenOn(u: UnseenOnWorker): void {
    const w = this.registry.get(u.workerId);
    if (!w) return;
    const what = `${u.taskIds.length} task(s) launched on it ${u.launchedMsAgo} ms ago were in none of its ${u.heartbeats} heartbeats since`;
    this.log.warn(
      { workerId: w.id, address: w.address, taskIds: u.taskIds, heartbeats: u.heartbeats, launchedMsAgo: u.launchedMsAgo },
      `worker ${w.id} at ${w.address}: ${what}, though its heartbeats arrive: what the driver sends it does not reach it; failing them as lost there and connecting to it anew`,
    );
    if (!w.endpoint.reconnect) return;
    void w.endpoint.reconnect(`the driver's messages did not reach worker ${w.id} at ${w.address} (${what})`, this.reconnectTimeoutMs).then((answered) => {
      if (this.registry.get(w.id) !== w) return;
      if (answered) {
        this.log.info({ workerId: w.id, address: w.address }, 'the worker answered over a new connection; it keeps its map outputs and blocks');
        return;
      }
      this.registry.markLost(
        w.id,
        `${what}, and a call over a new connection got no answer in ${this.reconnectTimeoutMs} ms: what the driver sends it does not reach it, though its heartbeats arrive`,
      );
    });
  }

  start(tickMs = 100): void {
    this.timer ??= setInterval(() => this.tick(), tickMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Application (run) `runId` schedules its task sets as `config` says from now on (sc.setSchedulerMode). */
  setScheduler(runId: string, config: SchedulerConfig): void {
    if (config.mode === 'FAIR') this.fair.set(runId, { mode: 'FAIR', pools: [...config.pools] });
    else this.fair.delete(runId);
    this.log.info({ jobId: runId, mode: config.mode, pools: config.mode === 'FAIR' ? config.pools : undefined }, 'scheduling mode set');
    this.requestSchedule();
  }

  /** How many applications are scheduled FAIR now (each forgotten as it ends). */
  get fairApplications(): number {
    return this.fair.size;
  }

  /** Application (run) `runId` ended: forget its scheduling mode. */
  forgetApplication(runId: string): void {
    this.fair.delete(runId);
  }

  submit(tsm: TaskSetManager): void {
    const fair = this.fair.get(tsm.stage.jobId);
    const pool = poolOf(tsm);
    if (fair !== undefined && !fair.pools.some((p) => p.name === pool)) {
      // As Spark's FairSchedulableBuilder.addTaskSetManager: made with the defaults, once.
      const made = defaultPool(pool);
      fair.pools.push(made);
      this.log.warn(
        { jobId: tsm.stage.jobId, pool, ...made },
        `a job was submitted with scheduler pool ${pool}, which has not been configured (no allocation file, or ${pool} is not in it): created ${pool} with the defaults (schedulingMode FIFO, minShare 0, weight 1)`,
      );
    }
    this.taskSets.push(tsm);
    // Kept while attempts of it run after it ended (a zombie's, after a fetch failure): a lost
    // worker's are told to it. An ended set is offered nothing (wantsSlot, canQueue).
    const health = this.health;
    const told = this.onExclusion;
    if (told !== undefined && tsm.excludelist !== undefined) {
      const { jobId: runId, stageId, stageAttempt } = tsm.stage;
      tsm.excludelist.onExcludedForSet = (workerId, taskFailures, time) => told({ type: 'excludedForStage', workerId, time, taskFailures, runId, stageId, stageAttempt });
    }
    if (health !== undefined) {
      void tsm.finished.then((end) => {
        if (end.kind === 'done') health.successfulTaskSet(`${tsm.stage.stageId}.${tsm.stage.stageAttempt}`, tsm.excludelist!.failuresByWorker());
        else if (end.kind === 'fetchFailed' && tsm.endedByTaskFetchFailure) health.fetchFailure(end.workerId);
      });
    }
    void tsm.drained.then(() => {
      const i = this.taskSets.indexOf(tsm);
      if (i >= 0) this.taskSets.splice(i, 1);
    });
    this.requestSchedule();
  }

  get activeTaskSets(): number {
    return this.taskSets.length;
  }

  workerAdded(w: WorkerInfo): void {
    this.health?.workerJoined(w.id, w.instance);
    this.requestSchedule();
  }

  workerLost(w: WorkerInfo): void {
    this.queuedOn.delete(w);
    this.heldLong.delete(w);
    this.unseen.workerGone(w.id);
    this.health?.workerRemoved(w.id);
    for (const t of this.taskSets) t.onWorkerLost(w.id);
    this.requestSchedule();
  }

  /** Kill attempts past their job's task timeout and copies as slow as their original; log tasks running long; offer slots. */
  private tick(): void {
    for (const tsm of [...this.taskSets]) {
      for (const t of tsm.tick(LONG_RUNNING_MS)) {
        this.log.warn(
          { jobId: tsm.stage.jobId, stageId: t.stageId, partition: t.partition, taskId: t.taskId, workerId: t.workerId, runningMs: t.runningMs },
          'task running long; `sluice submit --task-timeout` kills such tasks',
        );
      }
      const waited = tsm.waitingForFirstLaunchMs();
      // Not while another stage of its job runs a task: the job has accepted resources (Spark's
      // timer stops at the first task launched) and this stage waits behind its own job's, as a
      // join's second map stage waits while the first takes every core.
      if (waited !== undefined && !this.jobRunsATask(tsm) && this.starvation.due(tsm, waited)) {
        const workers = this.registry.all();
        const view = { workers: workers.length, responsive: this.registry.responsive().length, cores: workers.reduce((n, w) => n + w.cores, 0), freeSlots: workers.reduce((n, w) => n + w.freeSlots, 0) };
        this.log.warn({ jobId: tsm.stage.jobId, stageId: tsm.stage.stageId, waitedMs: waited, ...view }, starvationMessage(tsm.stage.jobId, tsm.stage.stageId, tsm.partitions.length, waited, view));
      }
    }
    this.schedule();
  }

  /** Whether another task set of `tsm`'s job has an attempt running. */
  private jobRunsATask(tsm: TaskSetManager): boolean {
    return this.taskSets.some((o) => o !== tsm && o.stage.jobId === tsm.stage.jobId && o.runningCount > 0);
  }

  /** Coalesce many triggers in one turn of the event loop into one scheduling pass. */
  private requestSchedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.taskSets.length === 0) return;
    if (this.health !== undefined) this.abortUnschedulable(this.health);
    this.fillSlots();
    this.fillQueues();
  }

  private fillSlots(): void {
    // Only task sets with a task to hand out (pending, or a straggler's copy due): with none,
    // no worker is looked at (the end of every task asks again, and the tick every 100 ms).
    const sets = this.taskSets.filter((t) => t.wantsSlot());
    if (sets.length === 0) return;
    // Spread tasks: one slot per worker per round, most free slots first, ties in random
    // order (as Spark shuffles its offers), so a worker that just joined gets work too.
    const live = this.registry.all().length;
    const health = this.health;
    const free = shuffled(this.registry.responsive().filter((w) => w.freeSlots > 0 && (health === undefined || !health.isExcluded(w.id)))).sort((a, b) => b.freeSlots - a.freeSlots);
    if (free.length === 0) return;
    // As Spark's TaskSchedulerImpl.resourceOffers: each task set in turn (FIFO: submission
    // order) is offered every free slot at one locality level before any at the next
    // (OFFER_LEVELS), rounds of one slot per worker until a round launches nothing. Under FAIR,
    // the sets are re-sorted before each slot (fair-scheduling.ts), level by level.
    const fifo = this.fair.size === 0;
    for (const group of fifo ? sets.map((t) => [t]) : [sets]) {
      const levels = group.some((t) => t.hasPreferences) ? OFFER_LEVELS : (['ANY'] as const);
      for (const level of levels) {
        this.offerRounds(free, (w) => {
          for (const tsm of fifo ? group : this.offerOrder(group)) {
            const t = tsm.offer(w.id, live, false, false, level);
            if (!t) continue;
            this.launch(w, tsm, t.taskId, t.desc, false);
            return true;
          }
          return false;
        });
      }
    }
    // Speculative copies only from slots no task set's pending task wanted.
    this.offerRounds(free, (w) => {
      for (const tsm of fifo ? sets : this.offerOrder(sets)) {
        const t = tsm.offer(w.id, live, true);
        if (!t) continue;
        this.launch(w, tsm, t.taskId, t.desc, false);
        return true;
      }
      return false;
    });
    for (const tsm of sets) tsm.endOfferRound();
  }

  /**
   * Exclusions past spark.excludeOnFailure.timeout lifted; then each task set with a pending task
   * no live worker may run (each excluded for every job, for the set or for the task) aborted, as
   * Spark's TaskSchedulerImpl.resourceOffers does when no executor can be found to replace one.
   */
  private abortUnschedulable(health: HealthTracker): void {
    health.applyTimeout();
    const live = this.registry.all().map((w) => w.id);
    for (const tsm of [...this.taskSets]) {
      const index = tsm.completelyExcludedTask(live, (w) => health.isExcluded(w));
      if (index === undefined) continue;
      this.log.warn(
        { jobId: tsm.stage.jobId, stageId: tsm.stage.stageId, stageAttempt: tsm.stage.stageAttempt, partition: tsm.partitions[index], workers: live, excluded: [...health.excludedWorkers().keys()] },
        'a task can run on no live worker (spark.excludeOnFailure): aborting its stage',
      );
      tsm.abortUnschedulable(index, live.length);
    }
  }

  /**
   * Rounds of one slot per worker, over `free`'s workers that still have one, until a round
   * launches nothing (`offerSlot`: whether a task was launched on the worker): a worker no task
   * set gave a task in a round gets none later in these rounds (sets only lose pending tasks, and
   * a copy is never placed beside its original).
   */
  private offerRounds(free: readonly WorkerInfo[], offerSlot: (w: WorkerInfo) => boolean): void {
    let open = free.filter((w) => w.freeSlots > 0);
    while (open.length > 0) {
      const next: WorkerInfo[] = [];
      for (const w of open) if (offerSlot(w) && w.freeSlots > 0) next.push(w);
      open = next;
    }
  }

  /**
   * Queue tasks on workers whose slots are all taken and whose queue is empty (see the class
   * comment), one task per worker per round, as fillSlots spreads them: a stage with few
   * tasks left is queued evenly, not QUEUED_PER_CORE a core on the first worker offered
   * while the next gets none (its 3 tasks would run one after the other beside an idle worker).
   */
  private fillQueues(): void {
    const sets = this.taskSets.filter((t) => t.canQueue());
    if (sets.length === 0) return;
    const health = this.health;
    const workers = this.registry.responsive().filter((w) => w.freeSlots === 0 && w.queuedTasks === 0 && (health === undefined || !health.isExcluded(w.id)));
    if (workers.length === 0) return;
    const live = this.registry.all().length;
    let open = shuffled(workers);
    while (open.length > 0) {
      const next: WorkerInfo[] = [];
      for (const w of open) {
        for (const tsm of this.fair.size === 0 ? sets : this.offerOrder(sets)) {
          // Spark never queues: a task runs only on a free core. A task that prefers a worker is
          // queued there only behind tiny tasks (it starts about as soon as a core would free);
          // behind a long one it stays pending, to run there once a core frees, or elsewhere at
          // ANY once the locality wait is over, as in Spark.
          if (tsm.hasPreferences && (this.heldLong.get(w) ?? 0) > 0) continue;
          const t = tsm.offer(w.id, live, false, true);
          if (!t) continue;
          this.launch(w, tsm, t.taskId, t.desc, true);
          if (w.queuedTasks < QUEUED_PER_CORE * w.cores) next.push(w);
          break;
        }
      }
      open = next;
    }
  }

  /**
   * `sets` (in submission order) with each FAIR application's put in its fair order
   * (fair-scheduling.ts, over all its task sets) in the places its own hold.
   */
  private offerOrder(sets: readonly TaskSetManager[]): TaskSetManager[] {
    const out = [...sets];
    const places = new Map<string, number[]>();
    sets.forEach((t, i) => {
      if (!this.fair.has(t.stage.jobId)) return;
      let p = places.get(t.stage.jobId);
      if (p === undefined) places.set(t.stage.jobId, (p = []));
      p.push(i);
    });
    for (const [runId, at] of places) {
      const offered = new Set(at.map((i) => sets[i]));
      const own = fairOrder(
        this.taskSets.filter((t) => t.stage.jobId === runId),
        this.fair.get(runId)!,
      ).filter((t) => offered.has(t));
      at.forEach((i, k) => (out[i] = own[k]));
    }
    return out;
  }

  private launch(w: WorkerInfo, tsm: TaskSetManager, taskId: string, desc: Parameters<WorkerInfo['endpoint']['launchTask']>[0], queued: boolean): void {
    if (queued) {
      w.queuedTasks++;
      tsm.markQueued(taskId);
      let q = this.queuedOn.get(w);
      if (!q) this.queuedOn.set(w, (q = []));
      q.push({ tsm, taskId });
    } else w.freeSlots--;
    const long = !queued && !tsm.runsTiny();
    if (long) this.heldLong.set(w, (this.heldLong.get(w) ?? 0) + 1);
    if (this.log.isLevelEnabled('debug')) this.log.debug({ taskId, workerId: w.id, queued }, 'launching task');
    this.unseen.launched(w.id, taskId, this.now());
    void w.endpoint.launchTask(desc).then((res) => {
      this.unseen.ended(w.id, taskId);
      const current = this.registry.get(w.id);
      if (long && current === w) {
        const n = (this.heldLong.get(w) ?? 1) - 1;
        if (n > 0) this.heldLong.set(w, n);
        else this.heldLong.delete(w);
      }
      if (current === w) {
        // One launch fewer in flight: a queued task (if any) now has the slot.
        if (w.queuedTasks > 0) {
          w.queuedTasks--;
          this.queuedLaunchEnded(w, taskId);
        } else w.freeSlots++;
        w.tasksCompleted++;
      }
      // The call failed on its connection: lost if the worker's port refuses connections
      // (its process is gone), else left alone until it heartbeats again (it may be paused).
      if (!res.ok && res.workerLost && current === w) this.registry.suspect(w, `a task call failed (${res.message})`);
      tsm.onResult(taskId, res);
      this.requestSchedule();
    });
  }

  /**
   * A launch on `w` resolved while launches were queued there: if it was one of them, it
   * leaves the queue (the running count stays); else the oldest queued one has its slot now.
   */
  private queuedLaunchEnded(w: WorkerInfo, taskId: string): void {
    const q = this.queuedOn.get(w);
    if (!q || q.length === 0) return;
    const own = q.findIndex((x) => x.taskId === taskId);
    if (own >= 0) q.splice(own, 1);
    else {
      const next = q.shift()!;
      next.tsm.markStarted(next.taskId);
    }
    if (q.length === 0) this.queuedOn.delete(w);
  }
}

function shuffled<T>(xs: T[]): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [xs[i], xs[j]] = [xs[j], xs[i]];
  }
  return xs;
}
