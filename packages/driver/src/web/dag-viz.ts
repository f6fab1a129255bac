import { escapeHtml } from './html.js';

/*
 * Spark's "DAG Visualization" (its UI draws RDDOperationGraph with dagre-d3) as inline SVG the
 * page computes: each stage a box ("Stage N") holding its RDDs, each RDD a box with its name, id
 * and call site; arrows between RDDs, a stage's own (narrow dependencies) and, across stages, the
 * shuffle edges from a map stage's RDD to the RDD of a later stage that reads it. Layered layout:
 * stages left to right by depth (a stage one column right of its deepest parent), stacked top to
 * bottom within a column; inside a stage its RDDs top to bottom by their depth in the stage.
 */

/** An RDD of a stage, as the REST stage answer's rddInfos give it. */
export interface DagRdd {
  readonly id: number;
  readonly name: string;
  readonly callSite?: string;
  readonly parentIds: readonly number[];
  readonly cached: boolean;
}

/** A stage to draw: its id, status (a skipped one is drawn faded, as Spark's), RDDs and parent stages. */
export interface DagStage {
  readonly stageId: number;
  readonly status: string;
  readonly rdds: readonly DagRdd[];
  readonly parentIds: readonly number[];
  /** Its page, when it has one. */
  readonly href?: string;
}

const CHAR_W = 6.6;
const RDD_H = 40;
const RDD_GAP_Y = 26;
const RDD_GAP_X = 16;
const PAD = 14;
const LABEL_H = 22;
const STAGE_GAP_X = 70;
const STAGE_GAP_Y = 24;
const MAX_CHARS = 60;

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** `s` cut to `n` characters (an ellipsis where cut). */
function clip(s: string, n = MAX_CHARS): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}

/** A call site cut to `n` characters from its path's start (`map at …/fixtures/job.ts:12:5`): the file and line stay. */
function clipSite(site: string, n = MAX_CHARS): string {
  if (site.length <= n) return site;
  const at = site.indexOf(' at ');
  const head = at >= 0 ? site.slice(0, at + 4) : '';
  return `${head}…${site.slice(site.length - Math.max(12, n - head.length - 1))}`;
}

/** Depth of each key in a DAG given its parents (0 for one without parents among the keys). */
function depths<K>(keys: readonly K[], parentsOf: (k: K) => readonly K[]): Map<K, number> {
  const out = new Map<K, number>();
  const known = new Set(keys);
  const visit = (k: K, seen: Set<K>): number => {
    const d = out.get(k);
    if (d !== undefined) return d;
    if (seen.has(k)) return 0; // A cycle cannot happen in a lineage; guard anyway.
    seen.add(k);
    const ps = parentsOf(k).filter((p) => known.has(p) && p !== k);
    const v = ps.length === 0 ? 0 : 1 + Math.max(...ps.map((p) => visit(p, seen)));
    out.set(k, v);
    return v;
  };
  for (const k of keys) visit(k, new Set());
  return out;
}

/**
 * The SVG of `stages` (a job's, or one stage's RDD chain), `id` its element id. Data attributes
 * name what is drawn: `g.stage[data-stage]`, `g.rdd[data-rdd]` (in its stage), `path.edge[data-from][data-to]`
 * (RDD ids) and, for a shuffle edge, class `shuffle` with `data-from-stage` and `data-to-stage`.
 */
export function dagSvg(id: string, stages: readonly DagStage[]): string {
  if (stages.length === 0) return `<p id="${escapeHtml(id)}-none">${escapeHtml('No stage to draw.')}</p>`;
  const byId = new Map(stages.map((s) => [s.stageId, s]));
  const stageDepth = depths(
    stages.map((s) => s.stageId),
    (sid) => byId.get(sid)?.parentIds ?? [],
  );
  // Each stage's size and its RDDs' places within it.
  const inner = new Map<number, { w: number; h: number; rdds: Map<number, Box> }>();
  for (const s of stages) {
    const rddIds = s.rdds.map((r) => r.id);
    const byRdd = new Map(s.rdds.map((r) => [r.id, r]));
    const d = depths(rddIds, (r) => byRdd.get(r)?.parentIds ?? []);
    const layers: number[][] = [];
    for (const r of s.rdds) (layers[d.get(r.id) ?? 0] ??= []).push(r.id);
    const textW = (r: DagRdd): number => Math.max(clip(`${r.name} [${r.id}]`).length, clipSite(r.callSite ?? '').length) * CHAR_W + 16;
    const boxW = Math.max(140, ...s.rdds.map(textW));
    const widest = Math.max(1, ...layers.map((l) => (l ?? []).length));
    const w = Math.max(PAD * 2 + widest * boxW + (widest - 1) * RDD_GAP_X, 120);
    const rdds = new Map<number, Box>();
    layers.forEach((layer, i) => {
      const row = layer ?? [];
      const rowW = row.length * boxW + (row.length - 1) * RDD_GAP_X;
      row.forEach((rid, j) => rdds.set(rid, { x: (w - rowW) / 2 + j * (boxW + RDD_GAP_X), y: LABEL_H + PAD + i * (RDD_H + RDD_GAP_Y), w: boxW, h: RDD_H }));
    });
    const h = LABEL_H + PAD * 2 + Math.max(1, layers.length) * RDD_H + Math.max(0, layers.length - 1) * RDD_GAP_Y;
    inner.set(s.stageId, { w, h, rdds });
  }
  // Stages in columns by depth, each column as wide as its widest stage.
  const columns: DagStage[][] = [];
  for (const s of [...stages].sort((a, b) => a.stageId - b.stageId)) (columns[stageDepth.get(s.stageId) ?? 0] ??= []).push(s);
  const place = new Map<number, Box>();
  let x = 1;
  let height = 0;
  for (const col of columns) {
    if (!col) continue;
    const colW = Math.max(...col.map((s) => inner.get(s.stageId)!.w));
    let y = 1;
    for (const s of col) {
      const { w, h } = inner.get(s.stageId)!;
      place.set(s.stageId, { x: x + (colW - w) / 2, y, w, h });
      y += h + STAGE_GAP_Y;
    }
    height = Math.max(height, y - STAGE_GAP_Y);
    x += colW + STAGE_GAP_X;
  }
  const width = x - STAGE_GAP_X + 1;
  const rddAt = (sid: number, rid: number): Box | undefined => {
    const sp = place.get(sid);
    const b = inner.get(sid)?.rdds.get(rid);
    return sp && b ? { x: sp.x + b.x, y: sp.y + b.y, w: b.w, h: b.h } : undefined;
  };
  const stageSvg: string[] = [];
  const edgeSvg: string[] = [];
  for (const s of stages) {
    const sp = place.get(s.stageId)!;
    const label = `Stage ${s.stageId}${s.status === 'SKIPPED' ? ' (skipped)' : ''}`;
    const title = s.href ? `<a href="${escapeHtml(s.href)}"><text class="stage-label" x="${sp.x + 8}" y="${sp.y + 16}">${escapeHtml(label)}</text></a>` : `<text class="stage-label" x="${sp.x + 8}" y="${sp.y + 16}">${escapeHtml(label)}</text>`;
    const rdds = s.rdds.map((r) => {
      const b = rddAt(s.stageId, r.id)!;
      const name = `${r.name} [${r.id}]`;
      return `<g class="rdd${r.cached ? ' cached' : ''}" data-rdd="${r.id}"><title>${escapeHtml(`${name}${r.callSite ? `\n${r.callSite}` : ''}`)}</title><rect x="${b.x}" y="${b.y}" width="${b.w}" height="${b.h}" rx="4"/><text class="rdd-name" x="${b.x + b.w / 2}" y="${b.y + 16}">${escapeHtml(clip(name))}</text><text class="rdd-site" x="${b.x + b.w / 2}" y="${b.y + 31}">${escapeHtml(clipSite(r.callSite ?? ''))}</text></g>`;
    });
    stageSvg.push(`<g class="stage status-${escapeHtml(s.status.toLowerCase())}" data-stage="${s.stageId}"><rect class="stage-box" x="${sp.x}" y="${sp.y}" width="${sp.w}" height="${sp.h}" rx="6"/>${title}${rdds.join('')}</g>`);
    const mine = new Set(s.rdds.map((r) => r.id));
    for (const r of s.rdds) {
      const to = rddAt(s.stageId, r.id)!;
      for (const p of r.parentIds) {
        if (mine.has(p)) {
          const from = rddAt(s.stageId, p)!;
          edgeSvg.push(`<path class="edge" data-from="${p}" data-to="${r.id}" d="M${from.x + from.w / 2},${from.y + from.h} L${to.x + to.w / 2},${to.y}" marker-end="url(#${escapeHtml(id)}-arrow)"/>`);
          continue;
        }
        // A shuffle edge: from the parent stage that computes `p` (its own parents first, as Spark's).
        const owner = [...s.parentIds, ...stages.map((o) => o.stageId)].find((o) => o !== s.stageId && byId.get(o)?.rdds.some((x) => x.id === p));
        if (owner === undefined) continue;
        const from = rddAt(owner, p)!;
        const x1 = from.x + from.w;
        const y1 = from.y + from.h / 2;
        const x2 = to.x;
        const y2 = to.y + to.h / 2;
        const mid = (x1 + x2) / 2;
        edgeSvg.push(
          `<path class="edge shuffle" data-from="${p}" data-to="${r.id}" data-from-stage="${owner}" data-to-stage="${s.stageId}" d="M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}" marker-end="url(#${escapeHtml(id)}-arrow)"/>`,
        );
      }
    }
  }
  return `<svg class="dag-viz" id="${escapeHtml(id)}" data-stages="${stages.length}" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height + 2}" viewBox="0 0 ${width} ${height + 2}">
<defs><marker id="${escapeHtml(id)}-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"/></marker></defs>
${stageSvg.join('\n')}
${edgeSvg.join('\n')}
</svg>`;
}
