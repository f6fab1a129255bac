import { formatBatchTime } from '@sluice/core/internal';
import type { DriverJob } from '../job/driver-job.js';
import type { DriverNode } from '../driver-node.js';
import type { BatchRecord } from '../status/streaming-progress.js';
import { duration, durationVerbose, escapeHtml, page, table, type Cell } from './html.js';
import { actionsTable, failuresTable, stagesTable } from './job-page.js';
import { inputStreamRecords } from './rest-api.js';
import { jobTabs } from './job-tabs.js';

/**
 * `/jobs/{id}/streaming/batch/{batchTime}`: one batch's output operations, their actions, stages
 * and failures; its input records by input stream (Spark's BatchInfo.streamIdToInputInfo, which
 * its Streaming page charts a stream at a time: a stream whose receiver was lost shows its gap).
 * Its Input Metadata as Spark's: what each input stream that says so took (a file stream's files,
 * a Kafka stream's offset ranges), a line each.
 * Times and durations as Spark's BatchPage writes them: "Details of batch at
 * 2015/05/14 14:04:40", the batch's details in words ("Batch Duration: 1 second"), a table's
 * durations short ("1.2 min").
 */
export function batchPage(d: DriverNode, j: DriverJob, b: BatchRecord): string {
  const interval = j.progress.batchIntervalMs;
  const schedulingDelay = b.processingStartTime !== undefined ? b.processingStartTime - b.batchTime : undefined;
  const processingTime = b.processingEndTime !== undefined && b.processingStartTime !== undefined ? b.processingEndTime - b.processingStartTime : undefined;
  const totalDelay = b.processingEndTime !== undefined ? b.processingEndTime - b.batchTime : undefined;
  const running = d.dag.runningTasks(j.runId);
  const runningOf = (stageId: number): number => running.filter((t) => t.stageId === stageId).length;
  const ops = b.outputOps
    .map((o) => {
      const actions = o.jobIds.flatMap((id) => j.stages.job(id) ?? []);
      const stages = actions.flatMap((a) => j.stages.stagesOf(a));
      const status = o.failure ? 'FAILED' : o.endTime !== undefined ? 'COMPLETED' : o.startTime !== undefined ? 'PROCESSING' : 'QUEUED';
      return `<section class="output-op" data-op="${escapeHtml(o.id)}"><h3>Output operation ${escapeHtml(o.id)}: ${escapeHtml(o.name)} — ${escapeHtml(status)}, ${escapeHtml(
        duration(o.startTime !== undefined && o.endTime !== undefined ? o.endTime - o.startTime : undefined),
      )}</h3>${o.failure ? `<pre class="error">${escapeHtml(o.failure.stack || o.failure.message)}</pre>` : ''}
${actions.length > 0 ? actionsTable(j, actions) + stagesTable(j, stages, runningOf, j.schedulingMode === 'FAIR') + failuresTable(stages) : `<p>${escapeHtml(o.jobIds.length > 0 ? 'Its actions are no longer kept.' : 'It ran no action on the cluster.')}</p>`}</section>`;
    })
    .join('\n');
  const summary: Cell[][] = [
    [
      formatBatchTime(b.batchTime, interval),
      b.status,
      b.numRecords,
      duration(schedulingDelay),
      duration(processingTime),
      duration(totalDelay),
    ],
  ];
  const details = [
    ['Batch Duration', durationVerbose(interval)],
    ['Input data size', `${b.numRecords} records`],
    ['Scheduling delay', durationVerbose(schedulingDelay)],
    ['Processing time', durationVerbose(processingTime)],
    ['Total delay', durationVerbose(totalDelay)],
  ]
    .map(([k, v]) => `<li><strong>${escapeHtml(k)}:</strong> ${escapeHtml(v)}</li>`)
    .join('');
  // Spark's Input Metadata: each input stream's metadataDescription, its tabs as four spaces and its lines as <br/>.
  const metadata = Object.entries(b.streamDescriptions ?? {})
    .map(([id, desc]) => [Number(id), desc] as const)
    .sort((x, y) => x[0] - y[0])
    .map(([id, desc]) => `<tr><td>${escapeHtml(j.progress.streamName(id))}</td><td>${escapeHtml(desc).replace(/\t/g, '&nbsp;&nbsp;&nbsp;&nbsp;').replace(/\n/g, '<br/>')}</td></tr>`)
    .join('');
  const metadataHtml = metadata ? `<li><strong>Input Metadata:</strong><table id="input-metadata"><thead><tr><th>Input</th><th>Metadata</th></tr></thead><tbody>${metadata}</tbody></table></li>` : '';
  const inputs = inputStreamRecords(b, (id) => j.progress.streamName(id));
  const inputsHtml =
    inputs.length === 0
      ? ''
      : `<h2>Input streams</h2>${table(['Input Stream', 'Stream Id', 'Records'], inputs.map((s) => [s.streamName, s.streamId, s.numRecords]), ' id="input-streams"')}\n`;
  const body = `${jobTabs(j, 'streaming')}<p><a href="/jobs/${escapeHtml(encodeURIComponent(j.id))}/streaming/">Back to the Streaming page</a></p>
<ul id="batch-details">${details}${metadataHtml}</ul>
${table(['Batch time', 'Status', 'Input records', 'Scheduling delay', 'Processing time', 'Total delay'], summary, ' id="batch-summary"')}
${inputsHtml}<h2>Output operations</h2>
${ops || '<p>This batch had no output operation.</p>'}`;
  return page(`Details of batch at ${formatBatchTime(b.batchTime, interval)} (${j.name})`, body, {
    head: b.status !== 'COMPLETED' ? '<meta http-equiv="refresh" content="1">' : '',
    bodyAttrs: ` data-batch="${escapeHtml(b.batchTime)}" data-status="${escapeHtml(b.status)}"`,
  });
}
