import type { DriverJob } from '../job/driver-job.js';
import { bytes, escapeHtml, link, ms, page, table, time, type Cell } from './html.js';
import { jobTabs } from './job-tabs.js';
import { restDate, type StageDataView } from './rest-views.js';

/** A stage attempt's page, Spark's `/stages/stage/?id=N&attempt=A`. */
export function stageHref(j: DriverJob, stageId: number, attemptId: number): string {
  return `/jobs/${encodeURIComponent(j.id)}/stages/stage/?id=${stageId}&attempt=${attemptId}`;
}

/** A REST stage's tasks as a progress bar (Spark's "Tasks: Succeeded/Total"), the markup of the job page's. */
export function stageProgress(s: StageDataView): { html: string } {
  const pct = s.numTasks === 0 ? 100 : (100 * s.numCompleteTasks) / s.numTasks;
  const label = `${s.numCompleteTasks}/${s.numTasks}${s.numActiveTasks > 0 ? ` (${s.numActiveTasks} running)` : ''}${s.numFailedTasks > 0 ? ` (${s.numFailedTasks} failed)` : ''}${
    s.numKilledTasks > 0 ? ` (${s.numKilledTasks} killed)` : ''
  }`;
  return { html: `<div class="progress" data-complete="${s.numCompleteTasks}" data-total="${s.numTasks}"><div style="width:${pct.toFixed(1)}%"></div><span>${escapeHtml(label)}</span></div>` };
}

/** Spark's AllStagesPage sections, in its order, by the REST status each lists. */
const SECTIONS = [
  ['ACTIVE', 'Active Stages', 'active'],
  ['PENDING', 'Pending Stages', 'pending'],
  ['COMPLETE', 'Completed Stages', 'completed'],
  ['SKIPPED', 'Skipped Stages', 'skipped'],
  ['FAILED', 'Failed Stages', 'failed'],
] as const;

/**
 * `/jobs/{id}/stages/`: Spark's Stages tab (AllStagesPage) from the REST API's `stages`: the
 * job's stage attempts by status (active, pending, completed, skipped, failed; newest first),
 * each linking to its page, with its description, submission, duration, task progress and
 * shuffle bytes (a failed one's reason; the pool when the job schedules FAIR).
 */
export function stagesPage(j: DriverJob, stages: readonly StageDataView[]): string {
  const fair = j.schedulingMode === 'FAIR';
  const sections = SECTIONS.map(([status, title, id]) => {
    const mine = stages.filter((s) => s.status === status);
    if (mine.length === 0) return '';
    const rows: Cell[][] = mine.map((s) => [
      link(stageHref(j, s.stageId, s.attemptId), s.attemptId > 0 ? `${s.stageId} (retry ${s.attemptId})` : s.stageId),
      ...(fair ? [s.schedulingPool] : []),
      link(stageHref(j, s.stageId, s.attemptId), s.name),
      time(restDate(s.submissionTime)),
      ms(s.duration),
      stageProgress(s),
      s.shuffleReadBytes > 0 ? bytes(s.shuffleReadBytes) : '',
      s.shuffleWriteBytes > 0 ? bytes(s.shuffleWriteBytes) : '',
      ...(status === 'FAILED' ? [s.failureReason ?? ''] : []),
    ]);
    const headers = ['Stage Id', ...(fair ? ['Pool Name'] : []), 'Description', 'Submitted', 'Duration', 'Tasks: Succeeded/Total', 'Shuffle Read', 'Shuffle Write', ...(status === 'FAILED' ? ['Failure Reason'] : [])];
    return `<h2 id="${id}">${escapeHtml(title)} (${mine.length})</h2>${table(headers, rows, ` class="stages" data-status="${status}"`)}`;
  }).join('\n');
  const body = `${jobTabs(j, 'stages')}
<p>${escapeHtml(`Scheduling mode: ${j.schedulingMode}`)}</p>
${sections || `<p>${escapeHtml('This job has run no stage yet.')}</p>`}`;
  return page(`Stages: ${j.name} (${j.id})`, body, { head: j.state === 'running' ? '<meta http-equiv="refresh" content="2">' : '' });
}
