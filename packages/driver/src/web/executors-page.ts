import type { DriverJob } from '../job/driver-job.js';
import { bytes, escapeHtml, ms, page, table, type Cell } from './html.js';
import { jobTabs } from './job-tabs.js';
import type { ExecutorView } from './rest-views.js';

type Figures = Omit<ExecutorView, 'id' | 'hostPort' | 'isActive' | 'isExcluded' | 'excludedInStages' | 'removeTime' | 'removeReason'>;

/**
 * `/jobs/{id}/executors/`: Spark's Executors tab (ExecutorsPage) from the REST API's
 * `allexecutors`: the driver's row (id "driver": its address, the broadcasts it holds as its
 * storage, no cores nor tasks), then one row a worker (Sluice's executor), the removed ones that
 * ran this job's tasks as "Dead" (Spark's dead executors), one excluded on failure (spark.excludeOnFailure) as "Excluded", each with its address, status, RDD
 * blocks, storage memory (used / limit, where a limit is known) and disk, cores, and this job's
 * tasks there (active, failed, complete, total, task time, input, shuffle read and write), its process's
 * resident memory, and a dead worker's loss reason (Spark's "Exec Loss Reason" column, the REST
 * removeReason: why the driver removed it); and Spark's Summary rows above them: Active(N) (the
 * driver and the workers not removed), Dead(M) (the removed workers, with what they ran of this
 * job) and Total(N+M). No thread dumps or logs: a worker runs tasks on its own event
 * loop, not on threads the driver can list.
 */
export function executorsPage(j: DriverJob, execs: readonly ExecutorView[]): string {
  const row = (e: Figures, id: string, address: string, status: string, lossReason = ''): Cell[] => [
    id,
    address,
    status,
    e.rddBlocks,
    e.maxMemory > 0 ? `${bytes(e.memoryUsed)} / ${bytes(e.maxMemory)}` : bytes(e.memoryUsed),
    bytes(e.diskUsed),
    e.totalCores,
    e.activeTasks,
    e.failedTasks,
    e.completedTasks,
    e.totalTasks,
    ms(e.totalDuration),
    bytes(e.totalInputBytes),
    bytes(e.totalShuffleRead),
    bytes(e.totalShuffleWrite),
    bytes(e.rssBytes),
    lossReason,
  ];
  const sumOf = (of: readonly ExecutorView[]): Figures => {
    const sum = (f: (e: ExecutorView) => number): number => of.reduce((a, e) => a + f(e), 0);
    return {
      rddBlocks: sum((e) => e.rddBlocks),
      memoryUsed: sum((e) => e.memoryUsed),
      maxMemory: sum((e) => e.maxMemory),
      diskUsed: sum((e) => e.diskUsed),
      totalCores: sum((e) => e.totalCores),
      activeTasks: sum((e) => e.activeTasks),
      failedTasks: sum((e) => e.failedTasks),
      completedTasks: sum((e) => e.completedTasks),
      totalTasks: sum((e) => e.totalTasks),
      totalDuration: sum((e) => e.totalDuration),
      totalInputBytes: sum((e) => e.totalInputBytes),
      totalShuffleRead: sum((e) => e.totalShuffleRead),
      totalShuffleWrite: sum((e) => e.totalShuffleWrite),
      rssBytes: sum((e) => e.rssBytes),
    };
  };
  // As Spark's executorspage.js: an excluded worker is "Excluded", one excluded by stages "Active (Excluded in Stages: [1, 2])".
  const status = (e: ExecutorView): string =>
    e.removeTime !== undefined
      ? 'Dead'
      : e.isExcluded === true
        ? 'Excluded'
        : !e.isActive
          ? 'Unresponsive'
          : (e.excludedInStages?.length ?? 0) > 0
            ? `Active (Excluded in Stages: [${e.excludedInStages!.join(', ')}])`
            : 'Active';
  const deadOnes = execs.filter((e) => e.removeTime !== undefined);
  const liveOnes = execs.filter((e) => e.removeTime === undefined);
  const dead = deadOnes.length;
  const headers = ['Executor', 'Address', 'Status', 'RDD Blocks', 'Storage Memory', 'Disk Used', 'Cores', 'Active Tasks', 'Failed Tasks', 'Complete Tasks', 'Total Tasks', 'Task Time', 'Input', 'Shuffle Read', 'Shuffle Write', 'Process Memory', 'Exec Loss Reason'];
  const whose = (of: readonly ExecutorView[]): string => {
    const n = of.filter((e) => e.id !== 'driver').length;
    return `${n} worker${n === 1 ? '' : 's'}${of.some((e) => e.id === 'driver') ? ' and the driver' : ''}`;
  };
  // Spark's Summary rows: Active(N) (the driver and the workers not removed), Dead(M) (the removed workers), Total(N+M).
  const summaryRows = [
    row(sumOf(liveOnes), `Active(${liveOnes.length})`, whose(liveOnes), `${execs.filter((e) => e.isActive).length} active`),
    row(sumOf(deadOnes), `Dead(${dead})`, whose(deadOnes), `${dead} dead`),
    row(sumOf(execs), `Total(${execs.length})`, whose(execs), `${execs.filter((e) => e.isActive).length} active${dead > 0 ? `, ${dead} dead` : ''}`),
  ];
  const body = `${jobTabs(j, 'executors')}
<h2>Summary</h2>${table(headers, summaryRows, ' id="executors-total"')}
<h2>Executors (${execs.length})</h2>${table(headers, execs.map((e) => row(e, e.id, e.hostPort, status(e), e.removeReason)), ' id="executors"')}
<p>${escapeHtml("The driver's storage is this job's broadcast values, which it holds and serves to the workers; a worker's is the worker's (shared by every job on it); the task figures are this job's. Process Memory is each process's resident memory (the driver's is shared by every job on it). Sluice's workers run tasks on an event loop: there are no executor threads to dump.")}</p>`;
  return page(`Executors: ${j.name} (${j.id})`, body, { head: j.state === 'running' ? '<meta http-equiv="refresh" content="2">' : '' });
}
