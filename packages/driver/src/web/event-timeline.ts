import { escapeHtml, ms, time } from './html.js';

/*
 * Spark's "Event Timeline" (its UI draws it with vis.js) as inline SVG the page computes: lanes
 * (an action each on the Jobs page; an executor each on a stage page), each with its items as bars
 * from their start to their end (a running one's to now), placed on one time axis; items of a lane
 * that overlap go on rows of their own within it, as vis.js stacks them.
 */

/** One bar: what it is (`id`, the label written on it, the tooltip), when, and its status (its colour). */
export interface TimelineItem {
  readonly id: string;
  readonly label: string;
  readonly start: number;
  /** Undefined while it runs: drawn to `now`. */
  readonly end: number | undefined;
  readonly status: string;
  readonly title: string;
  readonly href?: string;
}

export interface TimelineLane {
  readonly label: string;
  readonly items: readonly TimelineItem[];
}

const LABEL_W = 170;
const PLOT_W = 900;
const ROW_H = 20;
const AXIS_H = 26;
const TICKS = 5;

/** Rows for `items` (sorted by start) so that none overlaps another in its row: each item's row. */
function stack(items: readonly TimelineItem[], now: number): number[] {
  const rowEnds: number[] = [];
  return items.map((it) => {
    const end = it.end ?? now;
    let row = rowEnds.findIndex((e) => e <= it.start);
    if (row < 0) row = rowEnds.push(end) - 1;
    else rowEnds[row] = end;
    return row;
  });
}

/**
 * The SVG of `lanes` over time (`now`: where a running item ends), `id` its element id; each bar
 * a `rect.tl-bar[data-id][data-status]` in a `g.lane[data-lane]`, its label and tooltip with it.
 */
export function timelineSvg(id: string, lanes: readonly TimelineLane[], now: number, legend: readonly [status: string, label: string][] = []): string {
  const all = lanes.flatMap((l) => l.items);
  if (all.length === 0) return `<p id="${escapeHtml(id)}-none">${escapeHtml('Nothing to show on the timeline yet.')}</p>`;
  const t0 = Math.min(...all.map((i) => i.start));
  const t1 = Math.max(t0 + 1, ...all.map((i) => i.end ?? now));
  const xOf = (t: number): number => LABEL_W + ((t - t0) / (t1 - t0)) * PLOT_W;
  let y = AXIS_H;
  const laneSvg = lanes.map((lane, li) => {
    const items = [...lane.items].sort((a, b) => a.start - b.start);
    const rows = stack(items, now);
    const n = Math.max(1, ...rows.map((r) => r + 1));
    const top = y;
    y += n * ROW_H + 6;
    const bars = items.map((it, i) => {
      const x = xOf(it.start);
      const w = Math.max(2, xOf(it.end ?? now) - x);
      const by = top + rows[i] * ROW_H + 2;
      // The label as much of it as fits on the bar (none on a bar too short for a few characters).
      const fits = Math.floor((w - 6) / 6.7);
      const shown = it.label.length <= fits ? it.label : fits >= 4 ? `${it.label.slice(0, fits - 1)}…` : '';
      const text = shown === '' ? '' : `<text class="tl-label" x="${x + 3}" y="${by + 12}">${escapeHtml(shown)}</text>`;
      const bar = `<g class="item"><title>${escapeHtml(it.title)}</title><rect class="tl-bar status-${escapeHtml(it.status.toLowerCase())}" data-id="${escapeHtml(it.id)}" data-status="${escapeHtml(it.status)}" data-start="${it.start}" data-end="${it.end ?? ''}" x="${x.toFixed(1)}" y="${by}" width="${w.toFixed(1)}" height="${ROW_H - 4}" rx="2"/>${text}</g>`;
      return it.href ? `<a href="${escapeHtml(it.href)}">${bar}</a>` : bar;
    });
    return `<g class="lane" data-lane="${escapeHtml(lane.label)}"><rect class="lane-bg${li % 2 ? ' odd' : ''}" x="0" y="${top}" width="${LABEL_W + PLOT_W}" height="${n * ROW_H + 4}"/><text class="lane-label" x="4" y="${top + 14}">${escapeHtml(lane.label.length > 26 ? `${lane.label.slice(0, 25)}…` : lane.label)}</text>${bars.join('')}</g>`;
  });
  const ticks = Array.from({ length: TICKS + 1 }, (_, i) => t0 + ((t1 - t0) * i) / TICKS).map((t, i) => {
    const x = xOf(t);
    const anchor = i === 0 ? 'start' : i === TICKS ? 'end' : 'middle';
    return `<line class="tick" x1="${x}" y1="${AXIS_H - 4}" x2="${x}" y2="${y}"/><text class="tick-label" text-anchor="${anchor}" x="${x}" y="${AXIS_H - 8}">${escapeHtml(time(t).slice(11))}</text>`;
  });
  const legendHtml = legend.length === 0 ? '' : `<p class="timeline-legend">${legend.map(([s, l]) => `<span class="swatch status-${escapeHtml(s.toLowerCase())}"></span>${escapeHtml(l)}`).join(' ')} · ${escapeHtml(`${time(t0)} to ${time(t1).slice(11)} (${ms(t1 - t0)})`)}</p>`;
  return `<div class="event-timeline">${legendHtml}<svg class="timeline" id="${escapeHtml(id)}" data-items="${all.length}" xmlns="http://www.w3.org/2000/svg" width="${LABEL_W + PLOT_W + 2}" height="${y}" viewBox="0 0 ${LABEL_W + PLOT_W + 2} ${y}">
${ticks.join('')}
${laneSvg.join('\n')}
</svg></div>`;
}
