import type { DriverJob } from '../job/driver-job.js';
import { bytes, escapeHtml, ms, page, table, type Cell } from './html.js';
import { jobTabs } from './job-tabs.js';
import type { ExecutorView } from './rest-views.js';

/**
 * `/jobs/{id}/executors/`: Spark's Executors tab (ExecutorsPage) from the REST API's
 * `executors`: one row a worker (Sluice's executor) with its address, status, RDD blocks,
 * storage memory (used / limit) and disk, cores, and this job's tasks there (active, failed,
 * complete, total, task time, shuffle read and write) and a Totals row. No thread dumps or
 * logs: a worker runs tasks on its own event loop, not on threads the driver can list.
 */
export function executorsPage(j: DriverJob, execs: readonly ExecutorView[]): string {
  const row = (e: Omit<ExecutorView, 'id' | 'hostPort' | 'isActive'>, id: string, address: string, status: string): Cell[] => [
    id,
    address,
    status,
    e.rddBlocks,
    `${bytes(e.memoryUsed)} / ${bytes(e.maxMemory)}`,
    bytes(e.diskUsed),
    e.totalCores,
    e.activeTasks,
    e.failedTasks,
    e.completedTasks,
    e.totalTasks,
    ms(e.totalDuration),
    bytes(e.totalShuffleRead),
    bytes(e.totalShuffleWrite),
  ];
  const sum = (f: (e: ExecutorView) => number): number => execs.reduce((a, e) => a + f(e), 0);
  const totals = {
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
    totalShuffleRead: sum((e) => e.totalShuffleRead),
    totalShuffleWrite: sum((e) => e.totalShuffleWrite),
  };
  const headers = ['Worker', 'Address', 'Status', 'RDD Blocks', 'Storage Memory', 'Disk Used', 'Cores', 'Active Tasks', 'Failed Tasks', 'Complete Tasks', 'Total Tasks', 'Task Time', 'Shuffle Read', 'Shuffle Write'];
  const body = `${jobTabs(j, 'executors')}
<h2>Summary</h2>${table(headers, [row(totals, 'Total', `${execs.length} worker${execs.length === 1 ? '' : 's'}`, `${execs.filter((e) => e.isActive).length} active`)], ' id="executors-total"')}
<h2>Executors (${execs.length})</h2>${table(headers, execs.map((e) => row(e, e.id, e.hostPort, e.isActive ? 'Active' : 'Unresponsive')), ' id="executors"')}
<p>${escapeHtml("Storage is the worker's (shared by every job on it); the task figures are this job's. Sluice's workers run tasks on an event loop: there are no executor threads to dump.")}</p>`;
  return page(`Executors: ${j.name} (${j.id})`, body, { head: j.state === 'running' ? '<meta http-equiv="refresh" content="2">' : '' });
}
