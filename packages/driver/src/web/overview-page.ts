import type { DriverNode } from '../driver-node.js';
import { formatWait } from '../defaults.js';
import { describeRunningTask } from '../scheduler/task-set-manager.js';
import { bytes, escapeHtml, link, ms, page, table, type Cell } from './html.js';

/** The workers table: cores, running tasks, memory and blocks as each worker's last heartbeat reported them, and its decommission phase. */
export function workersTable(d: DriverNode): string {
  const rows: Cell[][] = d.registry.all().map((w) => [
    w.id,
    w.address,
    w.cores,
    w.cores - w.freeSlots,
    w.tasksCompleted,
    w.storage ? `${bytes(w.storage.memoryBytes)} / ${bytes(w.storage.memoryLimitBytes)}` : '-',
    w.storage ? bytes(w.storage.rssBytes) : '-',
    w.storage ? `${w.storage.inputBlocks} input, ${w.storage.rddBlocks} cached, ${w.storage.shuffleBlocks} shuffle` : '-',
    d.decommissionState(w.id) ?? 'active',
  ]);
  return table(['Worker', 'Address', 'Cores', 'Running tasks', 'Completed tasks', 'Block memory', 'RSS', 'Blocks', 'State'], rows, ' id="workers"');
}

/** A job's pages besides its own, as its tabs (job-tabs) name them. */
const JOB_PAGES = [
  ['stages/', 'Stages'],
  ['storage/', 'Storage'],
  ['environment/', 'Environment'],
  ['executors/', 'Executors'],
] as const;

/** `/`: the workers and every job, each linking to its page (and a streaming job to its Streaming page) and to its Stages, Storage, Environment and Executors pages. */
export function overviewPage(d: DriverNode): string {
  const jobs: Cell[][] = [...d.jobs.values()].map((j) => {
    const tasks = d.dag.runningTasks(j.runId);
    const t = tasks[0];
    const base = `/jobs/${encodeURIComponent(j.id)}/`;
    return [
      link(base, j.id),
      j.name,
      j.state,
      j.streaming ? link(`${base}streaming/`, `${j.batchesCompleted} batches`) : `${j.actionsRun} actions`,
      j.lastBatch ? j.lastBatch.numRecords : '-',
      ms(j.lastBatch?.schedulingDelay),
      ms(j.lastBatch?.processingDelay),
      ms(j.lastBatch?.totalDelay),
      tasks.length,
      t ? `${(t.runningMs / 1000).toFixed(1)} s: ${describeRunningTask(t)}` : '-',
      j.error?.message ??
        // A supervised job between attempts (its restart's back-off): when the next starts, as `sluice jobs` says it.
        (j.state === 'running' && j.restartInMs !== undefined
          ? `attempt ${j.attempt} failed; --supervise starts attempt ${j.attempt + 1} in ${formatWait(j.restartInMs)} (\`sluice stop ${j.id}\` stops it now)`
          : j.state === 'running' && j.fallingBehind
            ? `falling behind: scheduling delay grew for ${j.fallingBehind.batches} batches in a row, now ${j.fallingBehind.schedulingDelayMs} ms`
            : ''),
      // The job's other pages, as its tabs name them.
      { html: JOB_PAGES.map(([path, label]) => link(`${base}${path}`, label).html).join(' · ') },
    ];
  });
  const earlier = d.earlierJobsNote();
  return page(
    `Sluice driver ${d.address}`,
    `<h2>Workers</h2>${workersTable(d)}
<h2>Jobs</h2>${table(['Job', 'Name', 'State', 'Batches / actions', 'Last batch records', 'Scheduling delay', 'Processing time', 'Total delay', 'Running tasks', 'Longest task', 'Error or warning', 'Pages'], jobs, ' id="jobs"')}
<p>${escapeHtml('Each job is an application of the REST API: /api/v1/applications.')}</p>${earlier === undefined ? '' : `\n<p id="earlier-jobs">${escapeHtml(`Not here: ${earlier}.`)}</p>`}`,
    { head: '<meta http-equiv="refresh" content="2">' },
  );
}
