import type { DriverNode } from '../driver-node.js';
import { batchPage } from './batch-page.js';
import { dashboardPage } from './dashboard-page.js';
import { actionPaging, jobPage } from './job-page.js';
import { jobTabPage, TAB_PAGES } from './job-tab-pages.js';
import { overviewPage } from './overview-page.js';
import { badRequestPage as badRequest, missingPage as missing, type PageReply } from './page-reply.js';
import { streamingPage } from './streaming-page.js';

export type { PageReply } from './page-reply.js';

/**
 * The UI's pages: `/` (workers, jobs), `/jobs/{id}/` (actions, stages), `/jobs/{id}/streaming/`
 * (charts, batches, receivers, workers), `/jobs/{id}/streaming/batch/{batchTime}` and
 * `/jobs/{id}/dashboard/` (the job's live dashboards); an action's page `/jobs/{id}/job/?id=N`
 * (Spark's job page: Event Timeline, DAG Visualization) and Spark's other tabs (job-tab-pages):
 * `/jobs/{id}/stages/` and `stages/stage/?id=N&attempt=A`, `storage/` and `storage/rdd/?id=N`,
 * `environment/`, `executors/` (`query`: those pages' parameters).
 * Returns undefined for a path that is no page.
 */
export function uiPage(d: DriverNode, path: string, query: URLSearchParams = new URLSearchParams()): PageReply | undefined {
  if (path === '/') return { status: 200, html: overviewPage(d) };
  const tab = TAB_PAGES.exec(path);
  if (tab) {
    const id = decodeURIComponent(tab[1]);
    const j = d.jobs.get(id);
    return j ? jobTabPage(d, j, tab[2], tab[3] ?? '', query) : missing(`No job '${id}' on this driver: ${d.missingJob(id)}.`);
  }
  const dash = /^\/jobs\/([^/]+)\/dashboard\/?$/.exec(path);
  if (dash) {
    const id = decodeURIComponent(dash[1]);
    const j = d.jobs.get(id);
    return j ? { status: 200, html: dashboardPage(j) } : missing(`No job '${id}' on this driver: ${d.missingJob(id)}.`);
  }
  const m = /^\/jobs\/([^/]+)(?:\/(?:(streaming)(?:\/(?:batch(?:\/([^/]*))?)?)?)?)?$/.exec(path);
  if (!m) return undefined;
  const id = decodeURIComponent(m[1]);
  const j = d.jobs.get(id);
  if (!j) return missing(`No job '${id}' on this driver: ${d.missingJob(id)}.`);
  if (m[2] === undefined) {
    const paging = actionPaging(query);
    return typeof paging === 'string' ? badRequest(paging) : { status: 200, html: jobPage(d, j, paging) };
  }
  if (!j.streaming) return missing(`Job '${id}' is not a streaming job (it started no StreamingContext).`);
  if (m[3] === undefined && !path.endsWith('/batch') && !path.endsWith('/batch/')) return { status: 200, html: streamingPage(j) };
  // As Spark's batch page: "Missing id parameter"; and an id that is no batch time.
  const batchIdHelp = `a batch's page is /jobs/${id}/streaming/batch/<batch time in ms>, as the Streaming page links them`;
  if (!m[3]) return badRequest(`Missing batch id: ${batchIdHelp}.`);
  if (!/^\d+$/.test(m[3])) return badRequest(`Batch id '${m[3]}' is not a batch time in ms: ${batchIdHelp}.`);
  const b = j.progress.batch(Number(m[3]));
  if (!b) return missing(`Job '${id}' has no batch '${m[3]}' (the last ${j.progress.retainedBatches} completed batches are kept).`);
  return { status: 200, html: batchPage(d, j, b) };
}
