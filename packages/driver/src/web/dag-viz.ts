import { escapeHtml } from './html.js';

/*
 * Spark's "DAG Visualization" (its UI draws RDDOperationGraph with dagre-d3) as inline SVG the
 * page computes: each stage a box ("Stage N") holding its RDDs, each RDD a box with its name, id
 * and call site, inside the boxes of the operation scopes it was made in (Spark's
 * RDDOperationCluster: `reduceByKey`, `distinct`; nested as the scopes are); arrows between RDDs,
 * a stage's own (narrow dependencies) and, across stages, the shuffle edges from a map stage's RDD
 * to the RDD of a later stage that reads it. Layered layout: stages left to right by depth (a
 * stage one column right of its deepest parent), stacked top to bottom within a column; inside a
 * stage its RDDs top to bottom by their depth in the stage. A stage of more than
 * MAX_STAGE_RDDS RDDs (a long lineage) draws the MAX_STAGE_RDDS nearest its output and one box
 * "… and M more RDDs" for the rest, their edges drawn to and from that box.
 */

/** An RDD of a stage, as the REST stage answer's rddInfos give it. */
export interface DagRdd {
  readonly id: number;
  readonly name: string;
  readonly callSite?: string;
  readonly parentIds: readonly number[];
  readonly cached: boolean;
  /** The operation scopes it was made in, outermost first (the REST rddInfos' scopes). */
  readonly scopes?: readonly { readonly id: string; readonly name: string }[];
}

/** The RDDs a stage draws at most; the rest are one box "… and M more RDDs". */
export const MAX_STAGE_RDDS = 20;
/** The id the box of a stage's RDDs not drawn takes in the layout (RDD ids are never negative). */
const MORE = -1;

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
/** A scope box's room around what it holds: on each side and below, and above (its label). */
const SCOPE_PAD = 7;
const SCOPE_LABEL_H = 15;

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
  // Each stage's RDDs drawn (a long lineage's capped), its size and its RDDs' and scopes' places within it.
  const inner = new Map<number, { w: number; h: number; rdds: Map<number, Box>; drawn: DagRdd[]; hidden: Set<number>; scopes: ScopeBox[] }>();
  for (const s of stages) {
    const { drawn, hidden } = capped(s.rdds);
    const rddIds = drawn.map((r) => r.id);
    const byRdd = new Map(drawn.map((r) => [r.id, r]));
    const d = depths(rddIds, (r) => byRdd.get(r)?.parentIds ?? []);
    const layers: number[][] = [];
    for (const r of drawn) (layers[d.get(r.id) ?? 0] ??= []).push(r.id);
    // Room for the scope boxes: as many as an RDD of the stage is nested in.
    const nest = Math.max(0, ...drawn.map((r) => r.scopes?.length ?? 0));
    const gapX = RDD_GAP_X + 2 * SCOPE_PAD * nest;
    const gapY = RDD_GAP_Y + (SCOPE_PAD + SCOPE_LABEL_H) * nest;
    const top = LABEL_H + PAD + (SCOPE_PAD + SCOPE_LABEL_H) * nest;
    const side = PAD + SCOPE_PAD * nest;
    const textW = (r: DagRdd): number => Math.max(clip(r.id === MORE ? r.name : `${r.name} [${r.id}]`).length, clipSite(r.callSite ?? '').length) * CHAR_W + 16;
    const boxW = Math.max(140, ...drawn.map(textW));
    const widest = Math.max(1, ...layers.map((l) => (l ?? []).length));
    const w = Math.max(side * 2 + widest * boxW + (widest - 1) * gapX, 120);
    const rdds = new Map<number, Box>();
    layers.forEach((layer, i) => {
      const row = layer ?? [];
      const rowW = row.length * boxW + (row.length - 1) * gapX;
      row.forEach((rid, j) => rdds.set(rid, { x: (w - rowW) / 2 + j * (boxW + gapX), y: top + i * (RDD_H + gapY), w: boxW, h: RDD_H }));
    });
    const h = top + PAD + SCOPE_PAD * nest + Math.max(1, layers.length) * RDD_H + Math.max(0, layers.length - 1) * gapY;
    inner.set(s.stageId, { w, h, rdds, drawn, hidden, scopes: scopeBoxes(drawn, rdds) });
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
    const st = inner.get(sid);
    // An RDD not drawn is in its stage's "more" box.
    const b = st?.rdds.get(st.hidden.has(rid) ? MORE : rid);
    return sp && b ? { x: sp.x + b.x, y: sp.y + b.y, w: b.w, h: b.h } : undefined;
  };
  const stageSvg: string[] = [];
  const edgeSvg: string[] = [];
  for (const s of stages) {
    const sp = place.get(s.stageId)!;
    const label = `Stage ${s.stageId}${s.status === 'SKIPPED' ? ' (skipped)' : ''}`;
    const title = s.href ? `<a href="${escapeHtml(s.href)}"><text class="stage-label" x="${sp.x + 8}" y="${sp.y + 16}">${escapeHtml(label)}</text></a>` : `<text class="stage-label" x="${sp.x + 8}" y="${sp.y + 16}">${escapeHtml(label)}</text>`;
    const st = inner.get(s.stageId)!;
    const scopes = st.scopes.map((c) => {
      const x = sp.x + c.box.x;
      const y = sp.y + c.box.y;
      return `<g class="scope" data-scope="${escapeHtml(c.id)}" data-name="${escapeHtml(c.name)}" data-rdds="${c.rdds.join(',')}"><title>${escapeHtml(c.name)}</title><rect x="${x}" y="${y}" width="${c.box.w}" height="${c.box.h}" rx="5"/><text class="scope-label" x="${x + 6}" y="${y + 12}">${escapeHtml(clip(c.name.replace(/\n/g, ' '), Math.max(4, Math.floor((c.box.w - 12) / CHAR_W))))}</text></g>`;
    });
    const rdds = st.drawn.map((r) => {
      const b = rddAt(s.stageId, r.id)!;
      if (r.id === MORE) return `<g class="rdd-more" data-more="${st.hidden.size}"><title>${escapeHtml(`${st.hidden.size} more RDDs of this stage, not drawn: its RDDs are listed by the REST API's stage rddIds`)}</title><rect x="${b.x}" y="${b.y}" width="${b.w}" height="${b.h}" rx="4"/><text class="rdd-name" x="${b.x + b.w / 2}" y="${b.y + 24}">${escapeHtml(r.name)}</text></g>`;
      const name = `${r.name} [${r.id}]`;
      return `<g class="rdd${r.cached ? ' cached' : ''}" data-rdd="${r.id}"><title>${escapeHtml(`${name}${r.callSite ? `\n${r.callSite}` : ''}`)}</title><rect x="${b.x}" y="${b.y}" width="${b.w}" height="${b.h}" rx="4"/><text class="rdd-name" x="${b.x + b.w / 2}" y="${b.y + 16}">${escapeHtml(clip(name))}</text><text class="rdd-site" x="${b.x + b.w / 2}" y="${b.y + 31}">${escapeHtml(clipSite(r.callSite ?? ''))}</text></g>`;
    });
    stageSvg.push(`<g class="stage status-${escapeHtml(s.status.toLowerCase())}" data-stage="${s.stageId}"><rect class="stage-box" x="${sp.x}" y="${sp.y}" width="${sp.w}" height="${sp.h}" rx="6"/>${title}${scopes.join('')}${rdds.join('')}</g>`);
    const mine = new Set(st.drawn.map((r) => r.id));
    for (const r of st.drawn) {
      const to = rddAt(s.stageId, r.id)!;
      for (const p of r.parentIds) {
        if (mine.has(p)) {
          const from = rddAt(s.stageId, p)!;
          edgeSvg.push(`<path class="edge" data-from="${p}" data-to="${r.id}" d="M${from.x + from.w / 2},${from.y + from.h} L${to.x + to.w / 2},${to.y}" marker-end="url(#${escapeHtml(id)}-arrow)"/>`);
          continue;
        }
        // A shuffle edge: from the parent stage that computes `p` (its own parents first, as Spark's).
        const owner = p === MORE ? undefined : [...s.parentIds, ...stages.map((o) => o.stageId)].find((o) => o !== s.stageId && byId.get(o)?.rdds.some((x) => x.id === p));
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

/**
 * The RDDs of a stage to draw: all of them, or, past MAX_STAGE_RDDS, the MAX_STAGE_RDDS nearest
 * its output (breadth first from the RDDs no other of the stage depends on, along their
 * parents) and a "more" box (id MORE) standing for the rest, which the drawn RDDs' edges from
 * them start at. `hidden`: the ids not drawn.
 */
function capped(rdds: readonly DagRdd[]): { drawn: DagRdd[]; hidden: Set<number> } {
  if (rdds.length <= MAX_STAGE_RDDS) return { drawn: [...rdds], hidden: new Set() };
  const byId = new Map(rdds.map((r) => [r.id, r]));
  const isParent = new Set(rdds.flatMap((r) => r.parentIds));
  const kept = new Set<number>();
  const queue = rdds.filter((r) => !isParent.has(r.id)).sort((a, b) => b.id - a.id);
  for (let i = 0; i < queue.length && kept.size < MAX_STAGE_RDDS; i++) {
    const r = queue[i];
    if (kept.has(r.id)) continue;
    kept.add(r.id);
    for (const p of r.parentIds) {
      const parent = byId.get(p);
      if (parent && !kept.has(p)) queue.push(parent);
    }
  }
  const hidden = new Set(rdds.filter((r) => !kept.has(r.id)).map((r) => r.id));
  const more: DagRdd = { id: MORE, name: `… and ${hidden.size} more RDDs`, parentIds: [], cached: false };
  const drawn = rdds
    .filter((r) => kept.has(r.id))
    .map((r) => (r.parentIds.some((p) => hidden.has(p)) ? { ...r, parentIds: [...new Set(r.parentIds.map((p) => (hidden.has(p) ? MORE : p)))] } : r));
  return { drawn: [more, ...drawn], hidden };
}

/** A scope's box in its stage (Spark's RDDOperationCluster): the RDDs drawn in it, by id. */
interface ScopeBox {
  readonly id: string;
  readonly name: string;
  readonly rdds: number[];
  readonly box: Box;
  /** How many scopes it is inside (0: outermost). */
  readonly level: number;
}

/**
 * The boxes of the operation scopes of a stage's RDDs `drawn` (placed at `places`): one a scope,
 * around its RDDs, with room for its label above and for the boxes of the scopes it holds;
 * outermost first, so an inner one is drawn over it.
 */
function scopeBoxes(drawn: readonly DagRdd[], places: ReadonlyMap<number, Box>): ScopeBox[] {
  const scopes = new Map<string, { name: string; level: number; rdds: number[]; below: number }>();
  for (const r of drawn) {
    const chain = r.scopes ?? [];
    chain.forEach((c, level) => {
      const e = scopes.get(c.id) ?? { name: c.name, level, rdds: [], below: 0 };
      e.rdds.push(r.id);
      // How many scopes it holds around this RDD: its box grows by that many paddings.
      e.below = Math.max(e.below, chain.length - 1 - level);
      scopes.set(c.id, e);
    });
  }
  const out: ScopeBox[] = [];
  for (const [id, c] of scopes) {
    const boxes = c.rdds.map((r) => places.get(r)!);
    const grow = c.below + 1;
    const x0 = Math.min(...boxes.map((b) => b.x)) - SCOPE_PAD * grow;
    const y0 = Math.min(...boxes.map((b) => b.y)) - (SCOPE_PAD + SCOPE_LABEL_H) * grow;
    const x1 = Math.max(...boxes.map((b) => b.x + b.w)) + SCOPE_PAD * grow;
    const y1 = Math.max(...boxes.map((b) => b.y + b.h)) + SCOPE_PAD * grow;
    out.push({ id, name: c.name, rdds: c.rdds, box: { x: x0, y: y0, w: x1 - x0, h: y1 - y0 }, level: c.level });
  }
  return out.sort((a, b) => a.level - b.level);
}
