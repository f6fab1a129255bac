import type { DriverNode } from '../driver-node.js';
import type { DriverJob } from '../job/driver-job.js';
import { actionPage, type JobDataView, type StageDagView } from './action-page.js';
import { environmentPage } from './environment-page.js';
import { executorsPage } from './executors-page.js';
import { badRequestPage, missingPage, type PageReply } from './page-reply.js';
import { readRest, type EnvironmentView, type ExecutorView, type RddStorageView, type StageDataView, type TaskDataView, type TaskSummaryView } from './rest-views.js';
import { STAGE_QUANTILES, sortTasksLocally, stagePage, taskListQuery, taskPaging } from './stage-page.js';
import { stagesPage, stageTablePaging } from './stages-page.js';
import { rddPage, storagePage } from './storage-page.js';

/** The tabs these pages serve under /jobs/{id}/ (and `job/?id=N`, an action's page, Spark's job page under its Jobs tab). */
export const TAB_PAGES = /^\/jobs\/([^/]+)\/(environment|storage|stages|executors|job)(\/.*)?$/;

/** A query's whole-number id parameter (Spark's `?id=`), or why it is bad. */
function idParam(query: URLSearchParams, name: string, help: string, fallback?: number): number | string {
  const raw = query.get(name);
  if (raw === null) return fallback ?? `Missing ${name} parameter: ${help}.`;
  return /^\d{1,9}$/.test(raw) ? Number(raw) : `${name} '${raw}' is no whole number: ${help}.`;
}

/**
 * A job's Environment, Storage (and an RDD's), Stages (and a stage attempt's) and Executors
 * pages, each built from the REST API's answer for it (readRest), as Spark's UI tabs are from
 * its AppStatusStore: `tail` is the path after the tab ('' or '/', `/rdd/` for an RDD, `/stage/`
 * for a stage attempt).
 */
export function jobTabPage(d: DriverNode, j: DriverJob, tab: string, tail: string, query: URLSearchParams): PageReply {
  const reply = (html: string): PageReply => ({ status: 200, html });
  const restFailed = (r: { status: number; error: string }): PageReply => (r.status === 404 ? missingPage(r.error) : badRequestPage(r.error));
  const base = `/jobs/${j.id}/${tab}/`;
  const sub = tail.replace(/^\/|\/$/g, '');
  if (tab === 'environment' && sub === '') {
    const env = readRest<EnvironmentView>(d, j, 'environment');
    return env.ok ? reply(environmentPage(j, env.body)) : restFailed(env);
  }
  if (tab === 'executors' && sub === '') {
    const ex = readRest<ExecutorView[]>(d, j, 'allexecutors');
    return ex.ok ? reply(executorsPage(j, ex.body)) : restFailed(ex);
  }
  if (tab === 'storage' && sub === '') {
    const rdds = readRest<RddStorageView[]>(d, j, 'storage/rdd');
    return rdds.ok ? reply(storagePage(j, rdds.body)) : restFailed(rdds);
  }
  if (tab === 'storage' && sub === 'rdd') {
    const id = idParam(query, 'id', `an RDD's page is ${base}rdd/?id=<RDD id>, as the Storage page links them`);
    if (typeof id === 'string') return badRequestPage(id);
    const r = readRest<RddStorageView>(d, j, `storage/rdd/${id}`);
    return r.ok ? reply(rddPage(j, r.body)) : restFailed(r);
  }
  if (tab === 'job' && sub === '') {
    const id = idParam(query, 'id', `an action's page is /jobs/${j.id}/job/?id=<action id>, as the job's page links them`);
    if (typeof id === 'string') return badRequestPage(id);
    const job = readRest<JobDataView>(d, j, `jobs/${id}`);
    if (!job.ok) return restFailed(job);
    const stages: StageDagView[] = [];
    for (const sid of job.body.stageIds) {
      const attempts = readRest<StageDagView[]>(d, j, `stages/${sid}`, { details: 'true', taskStatus: 'RUNNING' });
      // Its latest attempt, as Spark's job page lists each stage once.
      if (attempts.ok && attempts.body.length > 0) stages.push(attempts.body.reduce((a, b) => (b.attemptId > a.attemptId ? b : a)));
    }
    return reply(actionPage(j, job.body, stages.sort((a, b) => a.stageId - b.stageId), d.now()));
  }
  if (tab === 'stages' && sub === '') {
    const paging = stageTablePaging(query);
    if (typeof paging === 'string') return badRequestPage(paging);
    const stages = readRest<StageDataView[]>(d, j, 'stages');
    return stages.ok ? reply(stagesPage(j, stages.body, paging)) : restFailed(stages);
  }
  if (tab === 'stages' && sub === 'stage') {
    const help = `a stage's page is ${base}stage/?id=<stage id>&attempt=<attempt>, as the Stages page links them`;
    const id = idParam(query, 'id', help);
    if (typeof id === 'string') return badRequestPage(id);
    const attempt = idParam(query, 'attempt', help, 0);
    if (typeof attempt === 'string') return badRequestPage(attempt);
    const paging = taskPaging(query);
    if (typeof paging === 'string') return badRequestPage(paging);
    const stage = readRest<StageDagView>(d, j, `stages/${id}/${attempt}`, { details: 'true' });
    if (!stage.ok) return restFailed(stage);
    const summary = readRest<TaskSummaryView>(d, j, `stages/${id}/${attempt}/taskSummary`, { quantiles: STAGE_QUANTILES.join(',') });
    const list = taskListQuery(paging, Object.keys(stage.body.tasks ?? {}).length);
    const tasks = readRest<TaskDataView[]>(d, j, `stages/${id}/${attempt}/taskList`, list.query);
    if (!tasks.ok) return restFailed(tasks);
    const execs = readRest<ExecutorView[]>(d, j, 'executors');
    const addresses = new Map(execs.ok ? execs.body.map((e) => [e.id, e.hostPort] as const) : []);
    return reply(
      stagePage(j, {
        stage: stage.body,
        summary: summary.ok ? summary.body : undefined,
        tasks: list.local ? sortTasksLocally(tasks.body, paging) : list.reverse ? [...tasks.body].reverse() : tasks.body,
        paging,
        addresses,
        now: d.now(),
      }),
    );
  }
  return missingPage(`No page '${base}${sub}' of job '${j.id}': its pages are /jobs/${j.id}/ (and job/?id=N), stages/ (and stages/stage/?id=N&attempt=A), storage/ (and storage/rdd/?id=N), environment/ and executors/.`);
}
