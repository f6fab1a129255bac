import type { Logger } from 'pino';
import type { wire } from '@sluice/core/internal';
import type { WorkerInfo, WorkerRegistry, RegistryListener } from '../cluster/worker-registry.js';
import type { TaskSetManager } from './task-set-manager.js';

/** A task a scheduling pass gave a worker. */
interface Launch {
  readonly tsm: TaskSetManager;
  readonly taskId: string;
  readonly desc: wire.TaskDescription;
}

/** A task running this long is logged once (it may never return). */
const LONG_RUNNING_MS = 60_000;

/**
 * Matches task sets to worker slots, as Spark's TaskSchedulerImpl: task sets are
 * offered free slots in submission order (FIFO); each launch takes a slot until the
 * worker reports the task's outcome. Re-offers slots on every change and on a short
 * tick, so locality waits expire and stragglers get speculated; the tick also enforces
 * task timeouts. Speculative copies get a slot only after every task set's pending tasks.
 * The tasks one pass gives a worker travel in one call (Worker.LaunchTasks), as Spark's
 * LaunchTasks message; their outcomes still come back, and free their slots, one by one.
 *
 * Threading: driver main thread.
 */
export class TaskScheduler implements RegistryListener {
  private readonly taskSets: TaskSetManager[] = [];
  private timer: NodeJS.Timeout | undefined;
  private scheduled = false;

  constructor(
    private readonly registry: WorkerRegistry,
    private readonly log: Logger,
  ) {
    registry.addListener(this);
  }

  start(tickMs = 100): void {
    this.timer ??= setInterval(() => this.tick(), tickMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  submit(tsm: TaskSetManager): void {
    this.taskSets.push(tsm);
    void tsm.finished.then(() => {
      const i = this.taskSets.indexOf(tsm);
      if (i >= 0) this.taskSets.splice(i, 1);
    });
    this.requestSchedule();
  }

  get activeTaskSets(): number {
    return this.taskSets.length;
  }

  workerAdded(): void {
    this.requestSchedule();
  }

  workerLost(w: WorkerInfo): void {
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
    }
    this.schedule();
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
    // What this pass gives each worker, sent in one call per worker once the pass is done.
    const launches = new Map<WorkerInfo, Launch[]>();
    // Spread tasks: one slot per worker per round, most free slots first, ties in random
    // order (as Spark shuffles its offers), so a worker that just joined gets work too.
    let launched = true;
    while (launched) {
      launched = false;
      const all = this.registry.all();
      const workers = shuffled(this.registry.responsive().filter((w) => w.freeSlots > 0)).sort((a, b) => b.freeSlots - a.freeSlots);
      for (const w of workers) {
        // Pending tasks of every task set first; speculative copies only from slots none of them wants.
        offers: for (const speculate of [false, true]) {
          for (const tsm of this.taskSets) {
            const t = tsm.offer(w.id, all.length, speculate);
            if (!t) continue;
            w.freeSlots--;
            this.log.debug({ taskId: t.taskId, workerId: w.id }, 'launching task');
            let list = launches.get(w);
            if (!list) launches.set(w, (list = []));
            list.push({ tsm, taskId: t.taskId, desc: t.desc });
            launched = true;
            break offers;
          }
        }
      }
    }
    for (const [w, list] of launches) this.launch(w, list);
  }

  /** Send a worker the tasks of one pass: one call for all of them when its endpoint can (Worker.LaunchTasks). */
  private launch(w: WorkerInfo, list: readonly Launch[]): void {
    const results = list.length > 1 && w.endpoint.launchTasks ? w.endpoint.launchTasks(list.map((l) => l.desc)) : list.map((l) => w.endpoint.launchTask(l.desc));
    list.forEach(({ tsm, taskId }, i) => {
      void results[i].then((res) => {
        const current = this.registry.get(w.id);
        if (current === w) {
          w.freeSlots++;
          w.tasksCompleted++;
        }
        // The call failed on its connection: lost if the worker's port refuses connections
        // (its process is gone), else left alone until it heartbeats again (it may be paused).
        if (!res.ok && res.workerLost && current === w) this.registry.suspect(w, `a task call failed (${res.message})`);
        tsm.onResult(taskId, res);
        this.requestSchedule();
      });
    });
  }
}

function shuffled<T>(xs: T[]): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [xs[i], xs[j]] = [xs[j], xs[i]];
  }
  return xs;
}
