import type { DriverJob } from '../job/driver-job.js';
import { escapeHtml, page } from './html.js';

/**
 * `/jobs/{id}/dashboard/`: the job's live dashboards (dstream.toDashboard). The page is a
 * frame; its script (static/dashboard-page.js) reads /jobs/{id}/dashboard/events, draws
 * bars and tables in the DOM and lines with uPlot, and writes every value as text only.
 */
export function dashboardPage(j: DriverJob): string {
  const id = escapeHtml(encodeURIComponent(j.id));
  const body = `<p id="dash-status">Connecting…</p>
<div id="dashboards"></div>
<p><a href="/jobs/${id}/streaming/">Streaming: batches, receivers, charts</a> · <a href="/jobs/${id}/">Actions and stages</a> · <a href="/api/v1/applications/${id}/streaming/dashboards">These dashboards in the REST API</a></p>
<script src="/static/uPlot.iife.min.js"></script>
<script src="/static/dashboard-page.js"></script>`;
  return page(`Dashboard: ${j.name} (${j.id})`, body, {
    head: '<link rel="stylesheet" href="/static/uPlot.min.css">',
    bodyAttrs: ` data-app="${escapeHtml(j.id)}"`,
  });
}
