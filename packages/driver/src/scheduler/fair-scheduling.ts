import { DEFAULT_POOL_NAME, defaultPool, type PoolConfig, type SchedulerConfig } from '@sluice/core/internal';
import type { StageCallbacks } from './task-set-manager.js';

/**
 * The order in which an application's task sets are offered free slots under FAIR scheduling,
 * as Spark's Pool.getSortedTaskSetQueue over its FairSchedulableBuilder's tree: the root pool
 * sorts its pools by FairSchedulingAlgorithm, each pool its task sets by its own mode (FIFO:
 * FIFOSchedulingAlgorithm, by priority (the job) then stage; FAIR: FairSchedulingAlgorithm, a
 * task set counting as weight 1, minShare 0, named TaskSet_<stage>.<attempt>).
 *
 * FairSchedulingAlgorithm: of two schedulables, one below its minShare (running fewer tasks than
 * it) goes first; both below, the lower runningTasks / max(minShare, 1) first; neither, the
 * lower runningTasks / weight first; ties by name.
 */

/** What the algorithms compare (Spark's Schedulable). */
export interface Schedulable {
  readonly name: string;
  readonly weight: number;
  readonly minShare: number;
  readonly runningTasks: number;
}

/** Spark's FairSchedulingAlgorithm.comparator, as a sort's compare: negative when `a` goes first. */
export function fairCompare(a: Schedulable, b: Schedulable): number {
  const aNeedy = a.runningTasks < a.minShare;
  const bNeedy = b.runningTasks < b.minShare;
  if (aNeedy && !bNeedy) return -1;
  if (!aNeedy && bNeedy) return 1;
  const c = aNeedy && bNeedy ? a.runningTasks / Math.max(a.minShare, 1) - b.runningTasks / Math.max(b.minShare, 1) : a.runningTasks / a.weight - b.runningTasks / b.weight;
  if (c !== 0) return c;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** What ordering needs of a task set (a TaskSetManager has it). */
export interface OrderedTaskSet {
  readonly stage: Pick<StageCallbacks, 'stageId' | 'stageAttempt' | 'priority' | 'pool'>;
  /** Its attempts running (queued on a worker too): Spark's runningTasks. */
  readonly runningCount: number;
}

/** Spark's FIFOSchedulingAlgorithm.comparator over task sets: the lower priority (job id) first, then the lower stage id. */
export function fifoCompare(a: OrderedTaskSet, b: OrderedTaskSet): number {
  return (a.stage.priority ?? 0) - (b.stage.priority ?? 0) || a.stage.stageId - b.stage.stageId;
}

/** Spark's TaskSetManager.name. */
function taskSetName(t: OrderedTaskSet): string {
  return `TaskSet_${t.stage.stageId}.${t.stage.stageAttempt}`;
}

/** The pool a task set runs in: its action's spark.scheduler.pool, else 'default'. */
export function poolOf(t: OrderedTaskSet): string {
  return t.stage.pool ?? DEFAULT_POOL_NAME;
}

/**
 * One application's task sets `sets` (every one it runs, whether or not it has a task to offer
 * now: a pool's running tasks are all its sets') in the order FAIR scheduling offers them slots
 * under `config`; a pool not in it has Spark's defaults (TaskScheduler adds it, warning).
 */
export function fairOrder<T extends OrderedTaskSet>(sets: readonly T[], config: SchedulerConfig): T[] {
  const byPool = new Map<string, { conf: PoolConfig; sets: T[]; running: number }>();
  for (const t of sets) {
    const name = poolOf(t);
    let p = byPool.get(name);
    if (p === undefined) byPool.set(name, (p = { conf: config.pools.find((c) => c.name === name) ?? defaultPool(name), sets: [], running: 0 }));
    p.sets.push(t);
    p.running += t.runningCount;
  }
  const pools = [...byPool.values()].sort((a, b) => fairCompare({ ...a.conf, runningTasks: a.running }, { ...b.conf, runningTasks: b.running }));
  const out: T[] = [];
  for (const p of pools) {
    if (p.conf.schedulingMode === 'FIFO') p.sets.sort(fifoCompare);
    else p.sets.sort((a, b) => fairCompare({ name: taskSetName(a), weight: 1, minShare: 0, runningTasks: a.runningCount }, { name: taskSetName(b), weight: 1, minShare: 0, runningTasks: b.runningCount }));
    out.push(...p.sets);
  }
  return out;
}
