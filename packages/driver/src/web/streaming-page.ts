import type { DriverJob } from '../job/driver-job.js';
import { driverTimeZone, escapeHtml, page } from './html.js';
import { jobTabs } from './job-tabs.js';

/** The four series each streaming job is charted by (a timeline and a histogram each), keyed as the page script reads them. */
export const STREAMING_SERIES = [
  ['inputRate', 'Input rate (records/s)'],
  ['schedulingDelay', 'Scheduling delay (ms)'],
  ['processingTime', 'Processing time (ms)'],
  ['totalDelay', 'Total delay (ms)'],
] as const;

/**
 * `/jobs/{id}/streaming/`: the page's frame. Its script (static/streaming-page.js, an ES module
 * that imports core's ui-formats.js, served as static/ui-formats.js) reads the REST API every second and draws the timelines and histograms with uPlot and fills the
 * tables; it writes values as text only (no markup from data), times and durations as Spark's
 * Streaming UI does (UIUtils: batch times `yyyy/MM/dd HH:mm:ss` in the driver's time zone,
 * `data-tz`; "1 second" in the summary, "1.2 min" in the tables), the batch tables as Spark's
 * ("Active Batches (2)", "Completed Batches (last 5 out of 40)", its column names; an "Error"
 * column only while a shown batch has failed, its cell Spark's failureReasonCell: 'Failed due
 * to error: <first line>' or 'Failed due to Spark job error', the failure behind '+details'),
 * newest batch first; the completed ones paged and sortable by any column as Spark's
 * StreamingPagedTable (completedBatches.page, .pageSize, .sort, .desc). Below the four series, as Spark's Input Rate details ("Show/hide details of
 * each receiver"): each input stream that counts its records, its name, its average records/s
 * and its own timeline and histogram (its records in each batch, 0 in one it had none, over the
 * batch interval: a stream whose receiver was lost and restarted shows the gap).
 */
export function streamingPage(j: DriverJob): string {
  const charts = STREAMING_SERIES.map(
    ([key, title]) => `<div class="series"><h3>${escapeHtml(title)}</h3><p class="stat" id="stat-${key}"></p>
<div class="timeline" id="timeline-${key}" data-points="0"></div><div class="histogram" id="histogram-${key}" data-points="0"></div></div>`,
  ).join('\n');
  const body = `${jobTabs(j, 'streaming')}${j.dashboards.size > 0 ? `<p><a id="dashboard-link" href="/jobs/${escapeHtml(encodeURIComponent(j.id))}/dashboard/">Live dashboard: ${escapeHtml(j.dashboards.names().join(', '))}</a></p>
` : ''}<p id="summary">Loading…</p>
<p id="warning" class="warning" hidden></p>
<section class="charts">${charts}</section>
<h2 id="streams-heading" hidden>Input Rate by input stream</h2><section class="charts" id="stream-charts"></section>
<h2 id="active-heading">Active Batches</h2><table id="active-batches"><thead><tr><th>Batch Time</th><th>Records</th><th>Scheduling Delay</th><th>Processing Time</th><th>Output Ops: Succeeded/Total</th><th>Status</th></tr></thead><tbody></tbody></table>
<h2 id="completed-heading">Completed Batches</h2><p id="completed-bad" class="error" hidden></p><p class="paging" id="completed-paging"></p><table id="completed-batches"><thead><tr><th>Batch Time</th><th>Records</th><th>Scheduling Delay</th><th>Processing Time</th><th>Total Delay</th><th>Output Ops: Succeeded/Total</th></tr></thead><tbody></tbody></table>
<h2>Receivers</h2><table id="receivers"><thead><tr><th>Stream</th><th>Name</th><th>Worker</th><th>State</th><th>Records/s</th><th>Records</th><th>Last error</th><th>When</th></tr></thead><tbody></tbody></table>
<h2>Workers</h2><table id="workers"><thead><tr><th>Worker</th><th>Address</th><th>Cores</th><th>Running tasks</th><th>Block memory</th><th>RSS</th><th>Blocks</th></tr></thead><tbody></tbody></table>
<p><a href="/jobs/${escapeHtml(encodeURIComponent(j.id))}/">Actions and stages of this job</a></p>
<script src="/static/uPlot.iife.min.js"></script>
<script type="module" src="/static/streaming-page.js"></script>`;
  return page(`Streaming: ${j.name} (${j.id})`, body, {
    head: '<link rel="stylesheet" href="/static/uPlot.min.css">',
    bodyAttrs: ` data-app="${escapeHtml(j.id)}" data-tz="${escapeHtml(driverTimeZone())}"`,
  });
}
