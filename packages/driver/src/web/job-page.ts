import type { DriverJob } from '../job/driver-job.js';
import type { DriverNode } from '../driver-node.js';
import type { JobRecord, StageRecord } from '../status/job-stage-status.js';
import { bytes, escapeHtml, link, ms, page, table, time, type Cell } from './html.js';
import { actionHref } from './action-page.js';
import { timelineSvg, type TimelineLane } from './event-timeline.js';
import { jobTabs } from './job-tabs.js';
import { stageHref } from './stages-page.js';

/** A stage's tasks as a progress bar: done of total, and how many run now. */
export function progressBar(s: StageRecord, running: number): { html: string } {
  const pct = s.numTasks === 0 ? 100 : (100 * s.numCompleteTasks) / s.numTasks;
  const label = `${s.numCompleteTasks}/${s.numTasks}${running > 0 ? ` (${running} running)` : ''}${s.numFailedTasks > 0 ? ` (${s.numFailedTasks} failed)` : ''}`;
  return { html: `<div class="progress" data-complete="${s.numCompleteTasks}" data-total="${s.numTasks}"><div style="width:${pct.toFixed(1)}%"></div><span>${escapeHtml(label)}</span></div>` };
}

/**
 * The stages table of some actions (each stage linking to its page): kind, description (Spark's stage name), status, task progress,
 * durations, shuffle bytes; with `pools` (the program schedules FAIR) each stage's pool after its
 * id, as Spark's stage table adds its "Pool Name" column in FAIR mode.
 */
export function stagesTable(j: DriverJob, stages: readonly StageRecord[], running: (stageId: number) => number, pools = false): string {
  const rows: Cell[][] = stages.map((s) => [
    // As Spark's job page links each stage to its page.
    link(stageHref(j, s.stageId, s.attemptId), s.attemptId > 0 ? `${s.stageId} (attempt ${s.attemptId})` : s.stageId),
    ...(pools ? [s.schedulingPool] : []),
    s.kind === 'result' ? 'result' : 'shuffle map',
    s.name,
    s.status,
    progressBar(s, s.status === 'ACTIVE' ? running(s.stageId) : 0),
    time(s.submissionTime),
    ms(s.completionTime !== undefined ? s.completionTime - s.submissionTime : undefined),
    ms(s.executorRunTime),
    ms(s.maxTaskTime),
    bytes(s.shuffleReadBytes),
    bytes(s.shuffleWriteBytes),
    s.failureReason ?? '',
  ]);
  return table(['Stage', ...(pools ? ['Pool Name'] : []), 'Kind', 'Description', 'Status', 'Tasks', 'Submitted', 'Duration', 'Task time (sum)', 'Longest task', 'Shuffle read', 'Shuffle write', 'Failure'], rows, ' class="stages"');
}

/** Failed task attempts of some stages, each with the user's file:line. */
export function failuresTable(stages: readonly StageRecord[]): string {
  const rows: Cell[][] = stages.flatMap((s) =>
    s.failures.map((f) => [s.stageId, f.partition, f.workerId, time(f.time), f.location ?? '-', f.message]),
  );
  if (rows.length === 0) return '';
  return `<h3>Failed tasks</h3>${table(['Stage', 'Partition', 'Worker', 'When', 'Thrown at', 'Error'], rows, ' class="failures"')}`;
}

export function actionsTable(j: DriverJob, jobs: readonly JobRecord[]): string {
  const rows: Cell[][] = jobs.map((a) => {
    const stages = j.stages.stagesOf(a);
    const t = a.properties.outputOperation;
    return [
      // As Spark's jobs page links each job to its page.
      link(actionHref(j, a.jobId), a.jobId),
      a.name,
      t ? link(`/jobs/${encodeURIComponent(j.id)}/streaming/batch/${t.batchTime}`, `batch ${t.batchTime}, op ${t.outputOpId}`) : (a.properties.description ?? '-'),
      a.status,
      time(a.submissionTime),
      ms(a.completionTime !== undefined ? a.completionTime - a.submissionTime : undefined),
      `${stages.filter((s) => s.status === 'COMPLETE').length}/${stages.length}`,
      `${stages.reduce((n, s) => n + s.numCompleteTasks, 0)}/${stages.reduce((n, s) => n + s.numTasks, 0)}`,
      a.failureReason ?? '',
    ];
  });
  return table(['Action (job id)', 'Name', 'Batch (or description)', 'Status', 'Submitted', 'Duration', 'Stages done', 'Tasks done', 'Failure'], rows, ' class="actions"');
}

/**
 * The Event Timeline's worker lanes (Spark's AllJobsPage "Executors" group, its executors' added
 * and removed events): each worker live since the job started, a bar from when it registered (the
 * job's start, if before) to when it was removed (`REMOVED`, the reason in its tooltip: a killed
 * one's "its port ... refuses connections") or to now (`ALIVE`); oldest first.
 */
export function workerLanes(d: DriverNode, j: DriverJob): TimelineLane[] {
  const live = d.registry.all();
  const liveIds = new Set(live.map((w) => w.id));
  // A worker removed more than once (lost, registered again, lost) by its last removal, as allexecutors lists it.
  const removed = new Map(d.registry.removed().filter((w) => !liveIds.has(w.id) && w.removedAt >= j.startedAt).map((w) => [w.id, w] as const));
  const workers = [...live.map((w) => ({ id: w.id, address: w.address, addedAt: w.addedAt, removedAt: undefined, reason: undefined })), ...removed.values()];
  return workers
    .sort((a, b) => a.addedAt - b.addedAt || (a.id < b.id ? -1 : 1))
    .map((w) => {
      const start = Math.max(w.addedAt, j.startedAt);
      const title = `Worker ${w.id} at ${w.address}\nAdded: ${time(w.addedAt)}${w.removedAt !== undefined ? `\nRemoved: ${time(w.removedAt)}\nReason: ${w.reason}` : ''}`;
      return { label: `Worker ${w.id}`, items: [{ id: w.id, label: w.removedAt !== undefined ? `removed: ${w.reason}` : w.address, start, end: w.removedAt, status: w.removedAt !== undefined ? 'REMOVED' : 'ALIVE', title }] };
    });
}

/**
 * Spark's jobs page "Event Timeline": the workers (workerLanes) atop, then the actions as bars from their submission to their end
 * (a running one's to now), a row each, newest last, each linking to its page.
 */
export function actionsTimeline(j: DriverJob, jobs: readonly JobRecord[], now: number, workers: readonly TimelineLane[] = []): string {
  const lanes = [...jobs]
    .sort((a, b) => a.jobId - b.jobId)
    .map((a) => ({
      label: `Job ${a.jobId}`,
      items: [
        {
          id: String(a.jobId),
          label: a.name,
          start: a.submissionTime,
          end: a.completionTime,
          status: a.status,
          title: `Job ${a.jobId}: ${a.name}\nStatus: ${a.status}\nSubmitted: ${time(a.submissionTime)}\nDuration: ${ms((a.completionTime ?? now) - a.submissionTime)}`,
          href: actionHref(j, a.jobId),
        },
      ],
    }));
  return timelineSvg('job-timeline', [...workers, ...lanes], now, [['SUCCEEDED', 'Succeeded'], ['FAILED', 'Failed'], ['RUNNING', 'Running'], ...(workers.length > 0 ? ([['ALIVE', 'Worker alive'], ['REMOVED', 'Worker removed']] as [string, string][]) : [])]);
}

/** The job page's actions page (`action.page` from 1, `action.pageSize`, 100 by default), or why the query is bad. */
export function actionPaging(query: URLSearchParams): { readonly page: number; readonly pageSize: number } | string {
  const pageRaw = query.get('action.page') ?? '1';
  const sizeRaw = query.get('action.pageSize') ?? '100';
  if (!/^[1-9]\d{0,8}$/.test(pageRaw)) return `action.page: '${pageRaw}' is no page number (1, 2, ...)`;
  if (!/^[1-9]\d{0,5}$/.test(sizeRaw)) return `action.pageSize: '${sizeRaw}' is no page size (a whole number, 1 or more)`;
  return { page: Number(pageRaw), pageSize: Number(sizeRaw) };
}

/**
 * `/jobs/{id}/`: a job's actions and their stages with progress (refreshes while it runs): every
 * kept action, newest first, 100 a page (`action.page`, `action.pageSize`, as Spark's AllJobsPage
 * pages its tables), the Event Timeline and the stages those of the page's actions.
 */
export function jobPage(d: DriverNode, j: DriverJob, paging: { readonly page: number; readonly pageSize: number } = { page: 1, pageSize: 100 }): string {
  const running = d.dag.runningTasks(j.runId);
  const runningOf = (stageId: number): number => running.filter((t) => t.stageId === stageId).length;
  const jobs = j.stages.allJobs().reverse();
  const active = j.stages.allStages().filter((s) => s.status === 'ACTIVE');
  const first = (paging.page - 1) * paging.pageSize;
  const recent = jobs.slice(first, first + paging.pageSize);
  const pages = Math.max(1, Math.ceil(jobs.length / paging.pageSize));
  const here = `/jobs/${encodeURIComponent(j.id)}/`;
  const pageLinks = Array.from({ length: pages }, (_, i) => i + 1)
    .filter((n) => n === 1 || n === pages || Math.abs(n - paging.page) <= 3)
    .map((n) => (n === paging.page ? `<b>${n}</b>` : link(`${here}?action.page=${n}&action.pageSize=${paging.pageSize}`, n).html))
    .join(' ');
  const shownWhich =
    recent.length === 0
      ? jobs.length === 0
        ? ''
        : ` (page ${paging.page} is out of range: the ${jobs.length} kept are on pages 1 to ${pages})`
      : jobs.length > recent.length
        ? ` (${first + 1} to ${first + recent.length} of ${jobs.length} kept, newest first)`
        : '';
  const pagingHtml = pages > 1 || paging.page > 1 ? `<p class="paging" id="action-paging" data-pages="${pages}" data-page="${paging.page}">Page ${pageLinks} · ${escapeHtml(`${paging.pageSize} actions a page`)}</p>` : '';
  const stages = recent.flatMap((a) => j.stages.stagesOf(a));
  const body = `${jobTabs(j, 'jobs')}<p>State: <b id="job-state">${escapeHtml(j.state)}</b>, attempt ${escapeHtml(j.attempt)}, started ${escapeHtml(time(j.startedAt))}${
    j.endedAt !== undefined ? `, ended ${escapeHtml(time(j.endedAt))}` : ''
  }${j.error ? `. Error: <span class="error">${escapeHtml(j.error.message)}</span>` : ''}</p>
${j.streaming ? `<p><a href="/jobs/${escapeHtml(encodeURIComponent(j.id))}/streaming/">Streaming: batches, receivers, charts</a>${
    j.dashboards.size > 0 ? ` · <a href="/jobs/${escapeHtml(encodeURIComponent(j.id))}/dashboard/">Live dashboard</a>` : ''
  }</p>` : ''}
<h2 id="event-timeline">Event Timeline</h2>${actionsTimeline(j, recent, d.now(), workerLanes(d, j))}
<h2>Active stages</h2>${stagesTable(j, active, runningOf, j.schedulingMode === 'FAIR')}
<h2 id="actions-title">Actions${escapeHtml(shownWhich)}</h2>${pagingHtml}${actionsTable(j, recent)}
<h2>Stages of those actions</h2>${stagesTable(j, stages, runningOf, j.schedulingMode === 'FAIR')}${failuresTable(stages)}`;
  return page(`Job ${j.name} (${j.id})`, body, { head: j.state === 'running' ? '<meta http-equiv="refresh" content="2">' : '' });
}
