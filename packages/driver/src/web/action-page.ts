import type { DriverJob } from '../job/driver-job.js';
import { dagSvg, type DagRdd } from './dag-viz.js';
import { timelineSvg } from './event-timeline.js';
import { escapeHtml, link, ms, page, table, time, type Cell } from './html.js';
import { jobTabs } from './job-tabs.js';
import { restDate, type StageDataView } from './rest-views.js';
import { stageHref, stageProgress } from './stages-page.js';

/** An action's page (Spark's job page, `/jobs/job/?id=N`). */
export function actionHref(j: DriverJob, actionId: number): string {
  return `/jobs/${encodeURIComponent(j.id)}/job/?id=${actionId}`;
}

/** REST `jobs/{jobId}` (Spark's JobData), the fields this page shows. */
export interface JobDataView {
  readonly jobId: number;
  readonly name: string;
  readonly description: string | undefined;
  readonly submissionTime: string | undefined;
  readonly completionTime: string | undefined;
  readonly stageIds: readonly number[];
  readonly status: string;
  readonly numTasks: number;
  readonly numCompletedTasks: number;
  readonly numSkippedStages: number;
  readonly failureReason: string | undefined;
}

/** The REST stage answer's DAG fields (with details; absent from a driver before them). */
export interface StageDagView extends StageDataView {
  readonly rddInfos?: readonly DagRdd[];
  readonly parentIds?: readonly number[];
}

/**
 * `/jobs/{id}/job/?id=N`: Spark's job page (JobPage) for action N, from the REST API's
 * `jobs/{N}` and each of its stages' latest attempt (`stages/{id}`, details): its status,
 * times and stage counts, the Event Timeline of its stages, the DAG Visualization (its stages
 * as boxes with their RDDs, the shuffle edges between them) and its stages' table.
 */
export function actionPage(j: DriverJob, job: JobDataView, stages: readonly StageDagView[], now: number): string {
  const started = restDate(job.submissionTime);
  const ended = restDate(job.completionTime);
  const facts: [string, string][] = [
    ['Status', job.status],
    ['Submitted', time(started)],
    ['Duration', ms(started !== undefined ? (ended ?? now) - started : undefined)],
    ['Associated Stages', String(stages.length)],
    ['Skipped Stages', String(job.numSkippedStages)],
    ['Tasks', `${job.numCompletedTasks}/${job.numTasks}`],
    ...(job.description ? [['Description', job.description] as [string, string]] : []),
  ];
  const factsHtml = facts.map(([k, v]) => `<li><strong>${escapeHtml(k)}:</strong> <span data-field="${escapeHtml(k)}">${escapeHtml(v)}</span></li>`).join('');
  const ran = stages.filter((s) => s.submissionTime !== undefined);
  const timeline = timelineSvg(
    'stage-timeline',
    ran.map((s) => ({
      label: `Stage ${s.stageId}${s.attemptId > 0 ? ` (attempt ${s.attemptId})` : ''}`,
      items: [
        {
          id: `${s.stageId}.${s.attemptId}`,
          label: s.name,
          start: restDate(s.submissionTime)!,
          end: restDate(s.completionTime),
          status: s.status,
          title: `Stage ${s.stageId}.${s.attemptId}: ${s.name}\nStatus: ${s.status}\nSubmitted: ${time(restDate(s.submissionTime))}\nDuration: ${ms(s.duration)}`,
          href: stageHref(j, s.stageId, s.attemptId),
        },
      ],
    })),
    now,
    [['COMPLETE', 'Completed'], ['FAILED', 'Failed'], ['ACTIVE', 'Active']],
  );
  const dag = dagSvg(
    'job-dag',
    stages.map((s) => ({ stageId: s.stageId, status: s.status, rdds: s.rddInfos ?? [], parentIds: s.parentIds ?? [], ...(s.submissionTime !== undefined && { href: stageHref(j, s.stageId, s.attemptId) }) })),
  );
  const rows: Cell[][] = stages.map((s) => [
    link(stageHref(j, s.stageId, s.attemptId), s.attemptId > 0 ? `${s.stageId} (retry ${s.attemptId})` : s.stageId),
    s.name,
    s.status,
    time(restDate(s.submissionTime)),
    ms(s.duration),
    stageProgress(s),
  ]);
  const body = `${jobTabs(j, 'jobs')}
<p><a href="/jobs/${escapeHtml(encodeURIComponent(j.id))}/">Back to the actions</a> · ${escapeHtml(job.name)}</p>
<ul id="action-facts">${factsHtml}</ul>${job.failureReason ? `<pre class="error" id="action-failure">${escapeHtml(job.failureReason)}</pre>` : ''}
<h2 id="event-timeline">Event Timeline</h2>${timeline}
<h2 id="dag-visualization">DAG Visualization</h2>${dag}
<h2>Stages (${stages.length})</h2>${table(['Stage Id', 'Description', 'Status', 'Submitted', 'Duration', 'Tasks: Succeeded/Total'], rows, ' class="stages" id="action-stages"')}`;
  return page(`Details for Job ${job.jobId}`, body, {
    head: job.status === 'RUNNING' ? '<meta http-equiv="refresh" content="2">' : '',
    bodyAttrs: ` data-action="${escapeHtml(job.jobId)}" data-status="${escapeHtml(job.status)}"`,
  });
}
