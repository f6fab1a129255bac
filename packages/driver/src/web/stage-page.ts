import type { DriverJob } from '../job/driver-job.js';
import type { StageDagView } from './action-page.js';
import { dagSvg } from './dag-viz.js';
import { timelineSvg, type TimelineLane } from './event-timeline.js';
import { bytes, escapeHtml, link, ms, page, table, time, type Cell } from './html.js';
import { jobTabs } from './job-tabs.js';
import { restDate, type StageDataView, type TaskDataView, type TaskSummaryView } from './rest-views.js';
import { stageHref, stageProgress } from './stages-page.js';

/** Spark's StagePage summary quantiles and their column names. */
export const STAGE_QUANTILES = [0, 0.25, 0.5, 0.75, 1] as const;
const QUANTILE_NAMES = ['Min', '25th percentile', 'Median', '75th percentile', 'Max'];

/**
 * The tasks table's order: launch order (REST taskList's sortBy ID) or duration (runtime), or, as
 * Spark's StagePage sorts every column of its task table, by any other column (ties in launch
 * order): ascending or not. The names are the columns' (Spark's task.sort takes the header's).
 */
export type TaskSort =
  | 'ID'
  | 'Duration'
  | 'Index'
  | 'Attempt'
  | 'Status'
  | 'Locality Level'
  | 'Worker'
  | 'Host'
  | 'Launch Time'
  | 'Scheduler Delay'
  | 'Task Deserialization Time'
  | 'Result Serialization Time'
  | 'Getting Result Time'
  | 'Input'
  | 'Output'
  | 'Shuffle Read Blocked Time'
  | 'Shuffle Read'
  | 'Shuffle Write'
  | 'Spill (Memory)'
  | 'Spill (Disk)'
  | 'Errors';

/** The sorts REST taskList cannot do: the page sorts the stage attempt's whole list itself. */
const LOCAL_SORTS: Readonly<Record<string, (t: TaskDataView) => number | string>> = {
  Index: (t) => t.index,
  Attempt: (t) => t.attempt,
  Status: (t) => t.status,
  'Locality Level': (t) => t.taskLocality,
  Worker: (t) => t.executorId,
  Host: (t) => t.host ?? '',
  'Launch Time': (t) => restDate(t.launchTime) ?? 0,
  'Scheduler Delay': (t) => t.schedulerDelay,
  'Task Deserialization Time': (t) => t.taskMetrics.executorDeserializeTime,
  'Result Serialization Time': (t) => t.taskMetrics.resultSerializationTime,
  'Getting Result Time': (t) => t.gettingResultTime,
  Input: (t) => t.taskMetrics.inputMetrics.bytesRead,
  Output: (t) => t.taskMetrics.outputMetrics.bytesWritten,
  'Shuffle Read Blocked Time': (t) => t.taskMetrics.shuffleReadMetrics.fetchWaitTime,
  'Shuffle Read': (t) => t.taskMetrics.shuffleReadMetrics.totalBytesRead,
  'Shuffle Write': (t) => t.taskMetrics.shuffleWriteMetrics.bytesWritten,
  'Spill (Memory)': (t) => t.taskMetrics.memoryBytesSpilled,
  'Spill (Disk)': (t) => t.taskMetrics.diskBytesSpilled,
  // A task without an error sorts before any with one (ascending): descending brings the failed ones first.
  Errors: (t) => t.errorMessage ?? '',
};

/** Every task.sort the stage page takes, as its error lists them. */
const TASK_SORTS = ['ID (launch order)', 'Duration', ...Object.keys(LOCAL_SORTS)];

/** One page of `all` (REST taskList's answer in launch order) sorted by a LOCAL_SORTS column. */
export function sortTasksLocally(all: readonly TaskDataView[], p: TaskPaging): TaskDataView[] {
  const key = LOCAL_SORTS[p.sort]!;
  const sign = p.desc ? -1 : 1;
  const sorted = all
    .map((t, i) => ({ t, i, k: key(t) }))
    .sort((a, b) => (a.k < b.k ? -sign : a.k > b.k ? sign : a.i - b.i))
    .map((x) => x.t);
  return sorted.slice((p.page - 1) * p.pageSize, p.page * p.pageSize);
}

/** The tasks table's page, from the query (Spark's StagePage parameters: task.page from 1, task.pageSize, task.sort, task.desc). */
export interface TaskPaging {
  readonly page: number;
  readonly pageSize: number;
  readonly sort: TaskSort;
  readonly desc: boolean;
}

export const DEFAULT_TASK_PAGE_SIZE = 100;

/** The paging a query asks for, or why it is bad. */
export function taskPaging(query: URLSearchParams): TaskPaging | string {
  const pageRaw = query.get('task.page') ?? '1';
  const sizeRaw = query.get('task.pageSize') ?? String(DEFAULT_TASK_PAGE_SIZE);
  const sort = query.get('task.sort') ?? 'ID';
  const descRaw = query.get('task.desc') ?? 'false';
  if (!/^[1-9]\d{0,8}$/.test(pageRaw)) return `task.page: '${pageRaw}' is no page number (1, 2, ...)`;
  if (!/^[1-9]\d{0,5}$/.test(sizeRaw)) return `task.pageSize: '${sizeRaw}' is no page size (a whole number, 1 or more)`;
  if (sort !== 'ID' && sort !== 'Duration' && !Object.hasOwn(LOCAL_SORTS, sort)) return `task.sort: '${sort}' is none of ${TASK_SORTS.slice(0, -1).join(', ')} and ${TASK_SORTS.at(-1)}`;
  if (descRaw !== 'true' && descRaw !== 'false') return `task.desc: '${descRaw}' is neither true nor false`;
  return { page: Number(pageRaw), pageSize: Number(sizeRaw), sort: sort as TaskSort, desc: descRaw === 'true' };
}

/**
 * REST taskList's query for a page of `total` task attempts: offset, length and sortBy (ID or
 * runtime, -runtime for Duration descending), and whether to reverse what it answers (the last
 * ones in launch order, newest first: taskList has no descending ID).
 */
export function taskListQuery(p: TaskPaging, total: number): { query: Record<string, string>; reverse: boolean; local: boolean } {
  // Sorted here (sortTasksLocally): every attempt, in launch order.
  if (Object.hasOwn(LOCAL_SORTS, p.sort)) return { query: { offset: '0', length: String(Math.max(1, total)), sortBy: 'ID' }, reverse: false, local: true };
  if (p.sort === 'ID' && p.desc) {
    const end = Math.max(0, total - (p.page - 1) * p.pageSize);
    const offset = Math.max(0, total - p.page * p.pageSize);
    return { query: { offset: String(offset), length: String(end - offset), sortBy: 'ID' }, reverse: true, local: false };
  }
  return { query: { offset: String((p.page - 1) * p.pageSize), length: String(p.pageSize), sortBy: p.sort === 'ID' ? 'ID' : p.desc ? '-runtime' : 'runtime' }, reverse: false, local: false };
}

export interface StagePageData {
  /** The stage attempt with details (tasks, executorSummary, rddInfos). */
  readonly stage: StageDagView;
  /** taskSummary at STAGE_QUANTILES; undefined while no task succeeded. */
  readonly summary: TaskSummaryView | undefined;
  /** The page's task attempts, in its order. */
  readonly tasks: readonly TaskDataView[];
  readonly paging: TaskPaging;
  /** Worker addresses by id (the executors the REST API lists). */
  readonly addresses: ReadonlyMap<string, string>;
  /** The driver's clock: where a running task's bar ends. */
  readonly now: number;
}

/** Spark's spark.ui.timeline.tasks.maximum: the stage page's Event Timeline shows at most this many tasks. */
export const TIMELINE_TASKS_MAXIMUM = 1000;

/**
 * Spark's stage page "Event Timeline": the stage attempt's tasks (the first TIMELINE_TASKS_MAXIMUM
 * launched) as bars from launch to end, a lane for each executor (worker), a running one's to
 * now; coloured by how they ended. A bar is the duration (launch to end as the driver saw it);
 * its title splits a successful task's into Spark's phases (scheduler delay, deserialization,
 * computing, result serialization, getting result), where Spark draws them as coloured parts.
 */
function tasksTimeline(tasks: readonly TaskDataView[], now: number): string {
  const shown = [...tasks].sort((a, b) => (restDate(a.launchTime) ?? 0) - (restDate(b.launchTime) ?? 0)).slice(0, TIMELINE_TASKS_MAXIMUM);
  const byExec = new Map<string, TaskDataView[]>();
  for (const t of shown) byExec.set(t.executorId, [...(byExec.get(t.executorId) ?? []), t]);
  const lanes: TimelineLane[] = [...byExec]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([exec, ts]) => ({
      label: exec,
      items: ts.map((t) => {
        const start = restDate(t.launchTime) ?? now;
        return {
          id: t.taskId,
          label: String(t.index),
          start,
          end: t.status === 'RUNNING' ? undefined : start + t.duration,
          status: t.status,
          title: `Task ${t.taskId} (index ${t.index}, attempt ${t.attempt})\nStatus: ${t.status}\nLaunch Time: ${time(start)}\nDuration: ${ms(t.duration)}${phases(t)}\nWorker: ${t.executorId}`,
        };
      }),
    }));
  const capped = tasks.length > shown.length ? `<p id="timeline-capped">${escapeHtml(`The first ${shown.length} of ${tasks.length} tasks launched are shown (Spark's spark.ui.timeline.tasks.maximum).`)}</p>` : '';
  return `${capped}${timelineSvg('task-timeline', lanes, now, [['SUCCESS', 'Succeeded'], ['FAILED', 'Failed'], ['KILLED', 'Killed'], ['RUNNING', 'Running']])}`;
}

/** An ended task's phases for its timeline bar's title, as Spark's timeline names them (a failed one's too: its run to the failure; '' for a running one). */
function phases(t: TaskDataView): string {
  if (t.status === 'RUNNING') return '';
  const m = t.taskMetrics;
  return `\nScheduler Delay: ${ms(t.schedulerDelay)}\nTask Deserialization Time: ${ms(m.executorDeserializeTime)}\nExecutor Computing Time: ${ms(m.executorRunTime)}\nResult Serialization Time: ${ms(m.resultSerializationTime)}\nGetting Result Time: ${ms(t.gettingResultTime)}`;
}

function localitySummary(tasks: readonly TaskDataView[]): string {
  const n = new Map<string, number>();
  for (const t of tasks) n.set(t.taskLocality, (n.get(t.taskLocality) ?? 0) + 1);
  return [...n].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k}: ${v}`).join('; ') || '-';
}

/**
 * `/jobs/{id}/stages/stage/?id=N&attempt=A`: Spark's stage page (StagePage) from the REST API's
 * `stages/{id}/{attempt}` (details), `taskSummary?quantiles=0,0.25,0.5,0.75,1` and `taskList`:
 * the summary, Summary Metrics for the completed tasks (min, quartiles, max of duration, scheduler
 * delay, deserialization, result serialization, getting result, result size, shuffle read blocked
 * time, shuffle bytes and records; Sluice measures no GC time), Aggregated Metrics by Executor,
 * accumulators, and the tasks table, paged and sorted by any of its columns (Spark's optional
 * metrics columns shown). Duration is launch to result as the driver saw it; the times it is
 * split into were measured on the worker (the scheduler delay is what is left).
 */
export function stagePage(j: DriverJob, data: StagePageData): string {
  const { stage: s, summary, paging } = data;
  const allTasks = Object.values(s.tasks ?? {});
  const total = allTasks.length;
  const here = stageHref(j, s.stageId, s.attemptId);
  // Spark's StagePage hasInput and hasOutput: the Input and Output facts, summary rows and task columns are shown when the stage has any.
  const hasInput = s.inputBytes > 0 || s.inputRecords > 0;
  const hasOutput = s.outputBytes > 0 || s.outputRecords > 0;
  // Spark's hasBytesSpilled: the Spill facts, summary rows and columns when the stage spilled any.
  const hasSpill = s.memoryBytesSpilled > 0 || s.diskBytesSpilled > 0;
  const facts: [string, string][] = [
    ['Status', s.status],
    ['Total Time Across All Tasks', ms(s.executorRunTime)],
    ['Locality Level Summary', localitySummary(allTasks)],
    // Spark's StagePage: Input and Output (size / records) when the stage has any.
    ...(hasInput ? [['Input', `${bytes(s.inputBytes)} / ${s.inputRecords}`] as [string, string]] : []),
    ...(hasOutput ? [['Output', `${bytes(s.outputBytes)} / ${s.outputRecords}`] as [string, string]] : []),
    ...(s.shuffleReadBytes > 0 ? [['Shuffle Read', bytes(s.shuffleReadBytes)] as [string, string]] : []),
    ...(s.shuffleWriteBytes > 0 ? [['Shuffle Write', bytes(s.shuffleWriteBytes)] as [string, string]] : []),
    ...(hasSpill
      ? [
          ['Spill (Memory)', bytes(s.memoryBytesSpilled)] as [string, string],
          ['Spill (Disk)', bytes(s.diskBytesSpilled)] as [string, string],
        ]
      : []),
    ['Associated Job Ids', s.jobIds.join(', ')],
    ['Submitted', time(restDate(s.submissionTime))],
    ['Duration', ms(s.duration)],
    ['Scheduling Pool', s.schedulingPool],
  ];
  const factsHtml = facts.map(([k, v]) => `<li><strong>${escapeHtml(k)}:</strong> <span data-field="${escapeHtml(k)}">${escapeHtml(v)}</span></li>`).join('');
  const done = s.numCompleteTasks;
  let metrics: string;
  if (summary === undefined) metrics = `<p id="no-summary">${escapeHtml('No task of this stage attempt has succeeded yet: the summary is over successful tasks.')}</p>`;
  else {
    const times = (name: string, vs: readonly number[]): Cell[] => [name, ...vs.map((v) => ms(v))];
    // Size / Records, as Spark's rows: each quantile's bytes and records (each sorted on its own, as Spark's).
    const sizeRecords = (name: string, b: readonly number[], r: readonly number[]): Cell[] => [name, ...b.map((v, i) => `${bytes(v)} / ${r[i]}`)];
    const rows: Cell[][] = [
      times('Duration', summary.duration),
      times('Scheduler Delay', summary.schedulerDelay),
      times('Task Deserialization Time', summary.executorDeserializeTime),
      times('Result Serialization Time', summary.resultSerializationTime),
      times('Getting Result Time', summary.gettingResultTime),
      ['Result Size', ...summary.resultSize.map(bytes)],
    ];
    if (hasInput) rows.push(sizeRecords('Input Size / Records', summary.inputMetrics.bytesRead, summary.inputMetrics.recordsRead));
    if (hasOutput) rows.push(sizeRecords('Output Size / Records', summary.outputMetrics.bytesWritten, summary.outputMetrics.recordsWritten));
    if (s.shuffleReadBytes > 0) {
      rows.push(times('Shuffle Read Blocked Time', summary.shuffleReadMetrics.fetchWaitTime));
      rows.push(sizeRecords('Shuffle Read Size / Records', summary.shuffleReadMetrics.readBytes, summary.shuffleReadMetrics.readRecords));
    }
    if (s.shuffleWriteBytes > 0) rows.push(sizeRecords('Shuffle Write Size / Records', summary.shuffleWriteMetrics.writeBytes, summary.shuffleWriteMetrics.writeRecords));
    if (hasSpill) {
      rows.push(['Spill (Memory)', ...summary.memoryBytesSpilled.map(bytes)]);
      rows.push(['Spill (Disk)', ...summary.diskBytesSpilled.map(bytes)]);
    }
    metrics = table(['Metric', ...QUANTILE_NAMES], rows, ' id="summary-metrics" class="quantiles"');
  }
  const byExec = Object.entries(s.executorSummary ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
  const execRows: Cell[][] = byExec.map(([id, e]) => [
    id,
    data.addresses.get(id) ?? '-',
    ms(e.taskTime),
    e.succeededTasks + e.failedTasks + e.killedTasks,
    e.failedTasks,
    e.killedTasks,
    e.succeededTasks,
    `${bytes(e.shuffleRead)} / ${e.shuffleReadRecords}`,
    `${bytes(e.shuffleWrite)} / ${e.shuffleWriteRecords}`,
    ...(hasSpill ? [bytes(e.memoryBytesSpilled), bytes(e.diskBytesSpilled)] : []),
  ]);
  const accs = s.accumulatorUpdates.length === 0 ? '' : `<h2>Accumulators</h2>${table(['Accumulable', 'Value'], s.accumulatorUpdates.map((a) => [a.name, a.value]), ' id="accumulators"')}`;
  const pages = Math.max(1, Math.ceil(total / paging.pageSize));
  const hrefOf = (p: Partial<TaskPaging>): string => {
    const q = { ...paging, ...p };
    return `${here}&task.page=${q.page}&task.pageSize=${q.pageSize}&task.sort=${encodeURIComponent(q.sort)}&task.desc=${q.desc}`;
  };
  // A sortable column's header: sorts by it (ascending; descending when it already is ascending).
  const sortHeader = (col: TaskSort, label: string): string => {
    const on = paging.sort === col;
    const arrow = on ? (paging.desc ? ' ▾' : ' ▴') : '';
    return `<a class="sort" data-sort="${col}" href="${escapeHtml(hrefOf({ sort: col, desc: on && !paging.desc, page: 1 }))}">${escapeHtml(label + arrow)}</a>`;
  };
  const taskRows = data.tasks.map((t) => {
    // The worker's measurements, for an attempt that ended (a failed one's as Spark's: its run
    // time to the failure; 0 where the worker measured none, as a lost worker's).
    const measured = t.status !== 'RUNNING';
    const m = t.taskMetrics;
    const msCell = (v: number): string => `<td>${escapeHtml(measured ? ms(v) : '-')}</td>`;
    const records = (b: number, r: number): string => `<td>${escapeHtml(measured ? `${bytes(b)} / ${r}` : bytes(b))}</td>`;
    return `<tr data-task="${escapeHtml(t.taskId)}"><td>${escapeHtml(t.index)}</td><td>${escapeHtml(t.taskId)}</td><td>${escapeHtml(t.attempt)}</td><td>${escapeHtml(t.status)}${t.speculative ? ' (speculative)' : ''}</td><td>${escapeHtml(
      t.taskLocality,
    )}</td><td>${escapeHtml(t.executorId)}</td><td>${escapeHtml(t.host ?? '-')}</td><td>${escapeHtml(time(restDate(t.launchTime)))}</td><td data-ms="${escapeHtml(t.duration)}">${escapeHtml(ms(t.duration))}</td>${msCell(t.schedulerDelay)}${msCell(
      m.executorDeserializeTime,
    )}${msCell(m.resultSerializationTime)}${msCell(t.gettingResultTime)}${hasInput ? records(m.inputMetrics.bytesRead, m.inputMetrics.recordsRead) : ''}${
      hasOutput ? records(m.outputMetrics.bytesWritten, m.outputMetrics.recordsWritten) : ''
    }${msCell(m.shuffleReadMetrics.fetchWaitTime)}${records(m.shuffleReadMetrics.totalBytesRead, m.shuffleReadMetrics.recordsRead)}${records(
      m.shuffleWriteMetrics.bytesWritten,
      m.shuffleWriteMetrics.recordsWritten,
    )}${hasSpill ? `<td>${escapeHtml(bytes(m.memoryBytesSpilled))}</td><td>${escapeHtml(bytes(m.diskBytesSpilled))}</td>` : ''}<td class="error">${escapeHtml(t.errorMessage ?? '')}</td></tr>`;
  });
  // Spark's headers; Shuffle Read and Write sort by their bytes.
  const labels: Partial<Record<TaskSort, string>> = {
    ID: 'Task ID',
    Input: 'Input Size / Records',
    Output: 'Output Size / Records',
    'Shuffle Read': 'Shuffle Read Size / Records',
    'Shuffle Write': 'Shuffle Write Size / Records',
  };
  const columns: readonly TaskSort[] = [
    'Index',
    'ID',
    'Attempt',
    'Status',
    'Locality Level',
    'Worker',
    'Host',
    'Launch Time',
    'Duration',
    'Scheduler Delay',
    'Task Deserialization Time',
    'Result Serialization Time',
    'Getting Result Time',
    ...(hasInput ? (['Input'] as const) : []),
    ...(hasOutput ? (['Output'] as const) : []),
    'Shuffle Read Blocked Time',
    'Shuffle Read',
    'Shuffle Write',
    ...(hasSpill ? (['Spill (Memory)', 'Spill (Disk)'] as const) : []),
    'Errors',
  ];
  const head = columns.map((col) => `<th>${sortHeader(col, labels[col] ?? col)}</th>`).join('');
  const pageLinks = Array.from({ length: pages }, (_, i) => i + 1)
    .filter((p) => p === 1 || p === pages || Math.abs(p - paging.page) <= 3)
    .map((p) => (p === paging.page ? `<b>${p}</b>` : link(hrefOf({ page: p }), p).html))
    .join(' ');
  const tasksHtml =
    paging.page > pages
      ? `<p id="tasks-out-of-range">${escapeHtml(`Page ${paging.page} is out of range: the tasks are on pages 1 to ${pages}.`)}</p>`
      : `<p class="paging" id="task-paging" data-pages="${pages}" data-page="${paging.page}">Page ${pageLinks} · ${escapeHtml(`${paging.pageSize} tasks a page`)}</p>
<table id="tasks" data-sort="${escapeHtml(paging.sort)}" data-desc="${paging.desc}"><thead><tr>${head}</tr></thead><tbody>${taskRows.join('')}</tbody></table>`;
  const failed =
    s.failedTasks.length === 0
      ? ''
      : `<h2>Failed tasks</h2>${table(['Task ID', 'Partition', 'Worker', 'When', 'Thrown at', 'Error'], s.failedTasks.map((f) => [f.taskId, f.partition, f.executorId, time(restDate(f.time)), f.location ?? '-', f.errorMessage]), ' id="failed-tasks"')}`;
  const body = `${jobTabs(j, 'stages')}
<p><a href="/jobs/${escapeHtml(encodeURIComponent(j.id))}/stages/">Back to Stages</a> · ${escapeHtml(s.name)}</p>
<div>${stageProgress(s).html}</div>
<ul id="stage-facts">${factsHtml}</ul>${s.failureReason ? `<pre class="error" id="stage-failure">${escapeHtml(s.failureReason)}</pre>` : ''}
<h2 id="dag-visualization">DAG Visualization</h2>${dagSvg('stage-dag', [{ stageId: s.stageId, status: s.status, rdds: s.rddInfos ?? [], parentIds: [] }])}
<h2 id="event-timeline">Event Timeline</h2>${tasksTimeline(allTasks, data.now)}
<h2>Summary Metrics for ${done} Completed Task${done === 1 ? '' : 's'}</h2>${metrics}
<h2>Aggregated Metrics by Executor</h2>${table(['Worker', 'Address', 'Task Time', 'Total Tasks', 'Failed Tasks', 'Killed Tasks', 'Succeeded Tasks', 'Shuffle Read Size / Records', 'Shuffle Write Size / Records', ...(hasSpill ? ['Spill (Memory)', 'Spill (Disk)'] : [])], execRows, ' id="executor-summary"')}
${accs}
<h2 id="tasks-title">Tasks (${total})</h2>
${tasksHtml}${failed}`;
  return page(`Details for Stage ${s.stageId} (Attempt ${s.attemptId})`, body, {
    head: s.status === 'ACTIVE' || s.status === 'PENDING' ? '<meta http-equiv="refresh" content="2">' : '',
    bodyAttrs: ` data-stage="${escapeHtml(s.stageId)}" data-attempt="${escapeHtml(s.attemptId)}" data-status="${escapeHtml(s.status)}"`,
  });
}
