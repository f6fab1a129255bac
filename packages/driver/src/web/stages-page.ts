import type { DriverJob } from '../job/driver-job.js';
import { bytes, escapeHtml, link, ms, page, time, type Cell } from './html.js';
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
  ['ACTIVE', 'Active Stages', 'active', 'activeStage'],
  ['PENDING', 'Pending Stages', 'pending', 'pendingStage'],
  ['COMPLETE', 'Completed Stages', 'completed', 'completedStage'],
  ['SKIPPED', 'Skipped Stages', 'skipped', 'skippedStage'],
  ['FAILED', 'Failed Stages', 'failed', 'failedStage'],
] as const;

/** The columns a stages table sorts by (Spark's StagePagedTable: every one but the tasks' progress and the failure reason), each a stage attempt's key. */
const STAGE_SORTS: Readonly<Record<string, (s: StageDataView) => number | string>> = {
  'Stage Id': (s) => s.stageId * 1e6 + s.attemptId,
  'Pool Name': (s) => s.schedulingPool,
  Description: (s) => s.name,
  Submitted: (s) => restDate(s.submissionTime) ?? 0,
  Duration: (s) => s.duration ?? -1,
  'Shuffle Read': (s) => s.shuffleReadBytes,
  'Shuffle Write': (s) => s.shuffleWriteBytes,
};

/** One stages table's page and order (Spark's `completedStage.page`, `.pageSize`, `.sort`, `.desc`, a table's tag before them). */
export interface StageTablePaging {
  readonly page: number;
  readonly pageSize: number;
  readonly sort: string;
  readonly desc: boolean;
}

/** Each stages table's paging from the query (by its tag: activeStage, pendingStage, completedStage, skippedStage, failedStage), or why one is bad. */
export function stageTablePaging(query: URLSearchParams): Map<string, StageTablePaging> | string {
  const out = new Map<string, StageTablePaging>();
  for (const [, , , tag] of SECTIONS) {
    const pageRaw = query.get(`${tag}.page`) ?? '1';
    const sizeRaw = query.get(`${tag}.pageSize`) ?? '100';
    const sort = query.get(`${tag}.sort`) ?? 'Stage Id';
    const descRaw = query.get(`${tag}.desc`) ?? (query.has(`${tag}.sort`) ? 'false' : 'true');
    if (!/^[1-9]\d{0,8}$/.test(pageRaw)) return `${tag}.page: '${pageRaw}' is no page number (1, 2, ...)`;
    if (!/^[1-9]\d{0,5}$/.test(sizeRaw)) return `${tag}.pageSize: '${sizeRaw}' is no page size (a whole number, 1 or more)`;
    if (!Object.hasOwn(STAGE_SORTS, sort)) {
      const names = Object.keys(STAGE_SORTS);
      return `${tag}.sort: '${sort}' is none of ${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
    }
    if (descRaw !== 'true' && descRaw !== 'false') return `${tag}.desc: '${descRaw}' is neither true nor false`;
    out.set(tag, { page: Number(pageRaw), pageSize: Number(sizeRaw), sort, desc: descRaw === 'true' });
  }
  return out;
}

/**
 * `/jobs/{id}/stages/`: Spark's Stages tab (AllStagesPage) from the REST API's `stages`: the
 * job's stage attempts by status (active, pending, completed, skipped, failed), each linking to
 * its page, with its description, submission, duration, task progress and shuffle bytes (a
 * failed one's reason; the pool when the job schedules FAIR). Each table is paged (100 a page)
 * and sorted by any of its columns but the tasks' and the reason, either way (ties in REST's
 * order), as Spark's StagePagedTable: by default by Stage Id, the newest first.
 */
export function stagesPage(j: DriverJob, stages: readonly StageDataView[], paging: ReadonlyMap<string, StageTablePaging> = new Map()): string {
  const fair = j.schedulingMode === 'FAIR';
  const here = `/jobs/${encodeURIComponent(j.id)}/stages/`;
  const sections = SECTIONS.map(([status, title, id, tag]) => {
    const all = stages.filter((s) => s.status === status);
    if (all.length === 0) return '';
    const p = paging.get(tag) ?? { page: 1, pageSize: 100, sort: 'Stage Id', desc: true };
    const key = STAGE_SORTS[p.sort]!;
    const sign = p.desc ? -1 : 1;
    const mine = all
      .map((s, i) => ({ s, i, k: key(s) }))
      .sort((a, b) => (a.k < b.k ? -sign : a.k > b.k ? sign : a.i - b.i))
      .map((x) => x.s)
      .slice((p.page - 1) * p.pageSize, p.page * p.pageSize);
    const pages = Math.max(1, Math.ceil(all.length / p.pageSize));
    // This page with this table's paging changed (the other tables' as the query has them).
    const hrefOf = (change: Partial<StageTablePaging>): string => {
      const q = { ...p, ...change };
      const params = new URLSearchParams();
      for (const [t, o] of paging) {
        if (t === tag || (o.page === 1 && o.pageSize === 100 && o.sort === 'Stage Id' && o.desc)) continue;
        for (const [k, v] of Object.entries(o)) params.set(`${t}.${k}`, String(v));
      }
      for (const [k, v] of Object.entries(q)) params.set(`${tag}.${k}`, String(v));
      return `${here}?${params.toString()}`;
    };
    const sortHeader = (col: string): string => {
      if (!Object.hasOwn(STAGE_SORTS, col)) return escapeHtml(col);
      const on = p.sort === col;
      const arrow = on ? (p.desc ? ' ▾' : ' ▴') : '';
      return `<a class="sort" data-sort="${escapeHtml(col)}" href="${escapeHtml(hrefOf({ sort: col, desc: on ? !p.desc : col === 'Stage Id', page: 1 }))}">${escapeHtml(col + arrow)}</a>`;
    };
    const pageLinks = Array.from({ length: pages }, (_, i) => i + 1)
      .filter((n) => n === 1 || n === pages || Math.abs(n - p.page) <= 3)
      .map((n) => (n === p.page ? `<b>${n}</b>` : link(hrefOf({ page: n }), n).html))
      .join(' ');
    const pagingHtml = `<p class="paging" id="${id}-paging" data-pages="${pages}" data-page="${p.page}">Page ${pageLinks} · ${escapeHtml(`${p.pageSize} stages a page`)}${
      p.page > pages ? escapeHtml(` · page ${p.page} is out of range: the stages are on pages 1 to ${pages}`) : ''
    }</p>`;
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
    const head = headers.map((h) => `<th>${sortHeader(h)}</th>`).join('');
    const body = rows.map((r) => `<tr>${r.map((c) => `<td>${typeof c === 'object' ? c.html : escapeHtml(c)}</td>`).join('')}</tr>`).join('');
    return `<h2 id="${id}">${escapeHtml(title)} (${all.length})</h2>${all.length > 100 || p.pageSize !== 100 || p.page !== 1 ? pagingHtml : ''}<table class="stages" data-status="${status}" data-sort="${escapeHtml(p.sort)}" data-desc="${p.desc}"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
  }).join('\n');
  const body = `${jobTabs(j, 'stages')}
<p>${escapeHtml(`Scheduling mode: ${j.schedulingMode}`)}</p>
${sections || `<p>${escapeHtml('This job has run no stage yet.')}</p>`}`;
  return page(`Stages: ${j.name} (${j.id})`, body, { head: j.state === 'running' ? '<meta http-equiv="refresh" content="2">' : '' });
}
