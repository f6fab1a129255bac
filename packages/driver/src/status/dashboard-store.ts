import { EventEmitter } from 'node:events';
import type { DashboardBatch, DashboardDefinition, DashboardEvent } from '@sluice/core/internal';

/** Dashboards one job may have on the driver; definitions past it are dropped (and logged). */
export const MAX_DASHBOARDS_PER_JOB = 100;

/** A line chart's point: a batch's value of each series, in the order of DashboardView.series (null: none that batch). */
export interface DashboardPoint {
  readonly batchTime: number;
  readonly values: readonly (number | null)[];
}

/**
 * A dashboard as the REST API and the page's event stream show it: its definition, and
 * the latest batch's result (bar, table) or the last keepBatches points (line).
 */
export interface DashboardView {
  readonly name: string;
  readonly kind: DashboardDefinition['kind'];
  readonly title: string;
  readonly maxItems: number;
  /** line: points kept. */
  readonly keepBatches?: number;
  /** Batches reported since the dashboard was defined. */
  readonly numBatches: number;
  /** The latest batch shown (undefined before the first). */
  readonly batchTime?: number;
  readonly numRecords?: number;
  /** What that batch left out or skipped. */
  readonly warnings: readonly string[];
  /** bar: the bars, largest first; numKeys: [key, number] records of the batch. */
  readonly bars?: readonly { readonly label: string; readonly value: number }[];
  readonly numKeys?: number;
  /** table. */
  readonly columns?: readonly string[];
  readonly rows?: readonly (readonly string[])[];
  /** line: series names ('' is the series of plain numbers) and points, oldest first. */
  readonly series?: readonly string[];
  readonly points?: readonly DashboardPoint[];
}

/** What changed, as the page's event stream sends it: a new dashboard, or a dashboard's new batch (a line's with only its new point). */
export type DashboardChange =
  | { readonly type: 'defined'; readonly view: DashboardView }
  | { readonly type: 'batch'; readonly view: DashboardView; readonly point?: DashboardPoint };

interface Dashboard {
  definition: DashboardDefinition;
  numBatches: number;
  latest: DashboardBatch | undefined;
  /** line: series in first-seen order, and the points (batch time order, at most keepBatches). */
  series: string[];
  points: { batchTime: number; values: Map<string, number> }[];
}

/**
 * A job's dashboards on the driver (dstream.toDashboard): what each one's last batch
 * showed, kept for the UI after the job ends, as its batches are. Emits `change` for every
 * definition and batch, which the page's event stream (dashboard-events) forwards.
 *
 * Invariants: at most MAX_DASHBOARDS_PER_JOB dashboards; a line keeps at most keepBatches
 * points, sorted by batch time, one per batch time (a batch run again replaces its point);
 * a bar or table shows the newest batch time reported (an older batch finishing late
 * does not replace it).
 * Threading: driver main thread.
 */
export class DashboardStore extends EventEmitter<{ change: [DashboardChange] }> {
  private readonly dashboards = new Map<string, Dashboard>();

  /** Apply an event from the job's driver program; false when it was dropped (too many dashboards, or a batch of an unknown one). */
  apply(e: DashboardEvent): boolean {
    if (e.type === 'defined') {
      const had = this.dashboards.get(e.definition.name);
      if (!had && this.dashboards.size >= MAX_DASHBOARDS_PER_JOB) return false;
      // A later attempt of the job (or a recovered one) defines it again: keep what it showed, unless it changed kind.
      if (had && had.definition.kind === e.definition.kind) had.definition = e.definition;
      else this.dashboards.set(e.definition.name, { definition: e.definition, numBatches: 0, latest: undefined, series: [], points: [] });
      this.emit('change', { type: 'defined', view: this.view(this.dashboards.get(e.definition.name)!) });
      return true;
    }
    const d = this.dashboards.get(e.batch.name);
    if (!d) return false;
    const b = e.batch;
    d.numBatches++;
    let point: DashboardPoint | undefined;
    if (d.definition.kind === 'line') {
      for (const [s] of b.values ?? []) if (!d.series.includes(s)) d.series.push(s);
      const p = { batchTime: b.batchTime, values: new Map(b.values ?? []) };
      const at = d.points.findIndex((x) => x.batchTime >= b.batchTime);
      if (at < 0) d.points.push(p);
      else if (d.points[at].batchTime === b.batchTime) d.points[at] = p;
      else d.points.splice(at, 0, p);
      if (d.points.length > d.definition.keepBatches) d.points.splice(0, d.points.length - d.definition.keepBatches);
      if (d.points.includes(p)) point = this.pointView(d, p);
    }
    if (!d.latest || b.batchTime >= d.latest.batchTime) d.latest = b;
    const view = this.view(d, false);
    this.emit('change', point ? { type: 'batch', view, point } : { type: 'batch', view });
    return true;
  }

  names(): string[] {
    return [...this.dashboards.keys()];
  }

  get size(): number {
    return this.dashboards.size;
  }

  /** Every dashboard's view, in definition order. */
  views(): DashboardView[] {
    return [...this.dashboards.values()].map((d) => this.view(d));
  }

  view(nameOrDashboard: string | Dashboard, withPoints = true): DashboardView {
    const d = typeof nameOrDashboard === 'string' ? this.dashboards.get(nameOrDashboard) : nameOrDashboard;
    if (!d) throw new Error(`no dashboard ${String(nameOrDashboard)}`);
    const def = d.definition;
    const b = d.latest;
    const common = {
      name: def.name,
      kind: def.kind,
      title: def.title,
      maxItems: def.maxItems,
      numBatches: d.numBatches,
      warnings: b?.warnings ?? [],
      ...(b && { batchTime: b.batchTime, numRecords: b.numRecords }),
    };
    switch (def.kind) {
      case 'bar':
        return { ...common, bars: (b?.bars ?? []).map(([label, value]) => ({ label, value })), numKeys: b?.numKeys ?? 0 };
      case 'table':
        return { ...common, columns: b?.columns ?? def.columns ?? [], rows: b?.rows ?? [] };
      case 'line':
        return { ...common, keepBatches: def.keepBatches, series: [...d.series], ...(withPoints && { points: d.points.map((p) => this.pointView(d, p)) }) };
    }
  }

  has(name: string): boolean {
    return this.dashboards.has(name);
  }

  private pointView(d: Dashboard, p: { batchTime: number; values: Map<string, number> }): DashboardPoint {
    return { batchTime: p.batchTime, values: d.series.map((s) => p.values.get(s) ?? null) };
  }
}
