import type { DriverNode } from '../driver-node.js';
import type { DriverJob } from '../job/driver-job.js';
import type { ExecutorTaskCounts } from '../status/job-stage-status.js';

/** What a date is in Spark's REST answers ("2015-06-12T00:00:00.000GMT"). */
type SparkDate = (ms: number | undefined) => string | undefined;

/**
 * Spark's ExecutorSummary list for job `j` (REST `executors`; `allexecutors` with `all`): the
 * driver first (id "driver", as Spark's executors list has it), then each registered worker,
 * then, for `allexecutors`, the workers since removed that ran this job's tasks (Spark's dead
 * executors, with removeTime and removeReason; the registry keeps the last 100 removed). A
 * worker's addTime is when it registered.
 *
 * With spark.excludeOnFailure.enabled, isExcluded says a worker is offered no task of any job
 * (the HealthTracker's), excludedInStages the stages of this job whose running attempt offers it
 * none (Spark's ExecutorSummary fields, and their deprecated isBlacklisted / blacklistedInStages).
 * A worker's storage (blocks, memory) is the worker's, shared by every application; its task
 * figures are this application's, as Spark's executors are an application's own: activeTasks
 * its running attempts there, completedTasks its successful ones, failedTasks, totalTasks every
 * attempt launched (ended or running), totalDuration, totalInputBytes, totalShuffleRead and totalShuffleWrite
 * (AppStatusListener.onTaskEnd).
 */
export function executorSummaries(d: DriverNode, j: DriverJob, all: boolean, sparkDate: SparkDate): unknown[] {
  const running = d.dag.runningTasks(j.runId);
  const live = d.registry.all();
  const out: unknown[] = [driverSummary(d, j)];
  const excluded = d.taskScheduler.excludedWorkers();
  for (const w of live) {
    const c = j.stages.executorCounts(w.id);
    const active = running.filter((t) => t.workerId === w.id).length;
    const isExcluded = excluded.has(w.id);
    const excludedInStages = d.taskScheduler.excludedInStages(w.id, j.runId);
    out.push({
      id: w.id,
      hostPort: w.address,
      isActive: w.unresponsiveSince === undefined,
      isExcluded,
      excludedInStages,
      // Spark 3's deprecated names of the two, still in its ExecutorSummary.
      isBlacklisted: isExcluded,
      blacklistedInStages: excludedInStages,
      addTime: sparkDate(w.addedAt),
      totalCores: w.cores,
      maxTasks: w.cores,
      activeTasks: active,
      ...taskFigures(c, active),
      memoryUsed: w.storage?.memoryBytes ?? 0,
      maxMemory: w.storage?.memoryLimitBytes ?? 0,
      diskUsed: w.storage?.diskBytes ?? 0,
      rssBytes: w.storage?.rssBytes ?? 0,
      rddBlocks: w.storage?.rddBlocks ?? 0,
      inputBlocks: w.storage?.inputBlocks ?? 0,
      shuffleBlocks: w.storage?.shuffleBlocks ?? 0,
      broadcastBlocks: w.storage?.broadcastBlocks ?? 0,
    });
  }
  if (!all) return out;
  // A worker removed more than once (lost, registered again, lost) is listed by its last removal.
  const liveIds = new Set(live.map((w) => w.id));
  const dead = new Map(d.registry.removed().filter((w) => !liveIds.has(w.id) && j.stages.executorCounts(w.id) !== undefined).map((w) => [w.id, w] as const));
  for (const w of dead.values()) {
    out.push({
      id: w.id,
      hostPort: w.address,
      isActive: false,
      addTime: sparkDate(w.addedAt),
      totalCores: w.cores,
      maxTasks: w.cores,
      activeTasks: 0,
      ...taskFigures(j.stages.executorCounts(w.id), 0),
      // What it stored went with it.
      memoryUsed: 0,
      maxMemory: 0,
      diskUsed: 0,
      rssBytes: 0,
      rddBlocks: 0,
      inputBlocks: 0,
      shuffleBlocks: 0,
      broadcastBlocks: 0,
      isExcluded: false,
      excludedInStages: [],
      isBlacklisted: false,
      blacklistedInStages: [],
      removeTime: sparkDate(w.removedAt),
      removeReason: w.reason,
    });
  }
  return out;
}

function taskFigures(c: Readonly<ExecutorTaskCounts> | undefined, active: number): Record<string, number> {
  return {
    completedTasks: c?.completedTasks ?? 0,
    failedTasks: c?.failedTasks ?? 0,
    totalTasks: active + (c ? c.completedTasks + c.failedTasks + c.killedTasks : 0),
    totalDuration: c?.totalDuration ?? 0,
    totalInputBytes: c?.totalInputBytes ?? 0,
    totalShuffleRead: c?.totalShuffleRead ?? 0,
    totalShuffleWrite: c?.totalShuffleWrite ?? 0,
  };
}

/**
 * The driver's row (Spark's executor "driver"): its address (the one workers and `sluice submit`
 * call), no cores and no tasks (Sluice's tasks run on workers only, `sluice run`'s too: there is
 * no local mode running them in the driver); its storage the job's broadcast values, which the
 * driver holds and serves to workers (Spark's driver BlockManager holds the broadcasts' blocks),
 * memoryUsed their bytes and broadcastBlocks their number, with no limit set (maxMemory 0: the
 * driver keeps them in its process until unpersisted or destroyed); rssBytes and heapUsedBytes
 * the driver process's (process.memoryUsage(): every job on this driver shares the process).
 */
function driverSummary(d: DriverNode, j: DriverJob): Record<string, unknown> {
  let broadcastBytes = 0;
  for (const b of j.broadcasts.values()) broadcastBytes += b.length;
  const mem = process.memoryUsage();
  return {
    id: 'driver',
    hostPort: d.address,
    isActive: true,
    totalCores: 0,
    maxTasks: 0,
    activeTasks: 0,
    ...taskFigures(undefined, 0),
    memoryUsed: broadcastBytes,
    maxMemory: 0,
    diskUsed: 0,
    rssBytes: mem.rss,
    heapUsedBytes: mem.heapUsed,
    rddBlocks: 0,
    inputBlocks: 0,
    shuffleBlocks: 0,
    broadcastBlocks: j.broadcasts.size,
  };
}
