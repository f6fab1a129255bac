/**
 * How a dashboard bounds a batch's result before it leaves the workers: each partition is
 * summed up on its worker (partition-summary functions below, shipped with the task), and
 * the driver program merges those few summaries into one DashboardBatch. So a batch of a
 * million word counts sends at most `maxItems` bars per partition, never the million.
 */
import type { DashboardBatch } from './dashboard-event.js';
import { DASHBOARD_MAX_COLUMNS, DASHBOARD_MAX_TEXT, type DashboardDefinition } from './dashboard-options.js';

/** Distinct series one partition sums at most (records of further series are counted as left out). */
export const DASHBOARD_MAX_SERIES_PER_PARTITION = 1000;

/** A partition's bars: its records, those that were no [key, finite number], and its `limit` largest. */
export interface BarPartition {
  readonly n: number;
  readonly bad: number;
  readonly badSample?: string;
  /** Labels longer than the limit, cut. */
  readonly cut: number;
  readonly top: [string, number][];
}

/** A partition's rows: its record count and its first `limit` records. */
export interface TablePartition {
  readonly n: number;
  readonly first: unknown[];
}

/** A partition's line values: the sum of each series ('' for plain numbers). */
export interface LinePartition {
  readonly n: number;
  readonly bad: number;
  readonly badSample?: string;
  readonly cut: number;
  readonly sums: [string, number][];
  /** Records of series past the per-partition bound, left out. */
  readonly overflow: number;
}

// ---- on the workers ------------------------------------------------------------------
// The functions these factories return are shipped to workers: they use only their
// parameters and the factory's captured arguments (no module-level name).

/** Keep a partition's `limit` largest [key, value] pairs (ties: the smaller label first), labels as text. */
export function barPartitionSummary(limit: number, maxText: number): (it: IterableIterator<unknown>) => BarPartition[] {
  return function dashboardBars(it) {
    const order = (a: [string, number], b: [string, number]): number => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
    const text = (v: unknown): string => {
      if (typeof v === 'string') return v;
      if (typeof v !== 'object' || v === null) return String(v);
      try {
        return JSON.stringify(v) ?? String(v);
      } catch {
        return String(v);
      }
    };
    let n = 0;
    let bad = 0;
    let cut = 0;
    let badSample: string | undefined;
    let top: [string, number][] = [];
    for (const r of it) {
      n++;
      if (!Array.isArray(r) || r.length !== 2 || typeof r[1] !== 'number' || !Number.isFinite(r[1])) {
        bad++;
        badSample ??= text(r).slice(0, maxText);
        continue;
      }
      let label = text(r[0]);
      if (label.length > maxText) {
        label = label.slice(0, maxText - 1) + '…';
        cut++;
      }
      top.push([label, r[1]]);
      if (top.length >= 2 * limit + 64) top = top.sort(order).slice(0, limit);
    }
    top = top.sort(order).slice(0, limit);
    return [{ n, bad, cut, top, ...(badSample !== undefined && { badSample }) }];
  };
}

/** Count a partition's records and keep its first `limit`. */
export function tablePartitionSummary(limit: number): (it: IterableIterator<unknown>) => TablePartition[] {
  return function dashboardRows(it) {
    const first: unknown[] = [];
    let n = 0;
    for (const r of it) {
      if (first.length < limit) first.push(r);
      n++;
    }
    return [{ n, first }];
  };
}

/** Sum a partition's numbers by series: a plain number is series '', a [series, number] pair its series. */
export function linePartitionSummary(maxSeries: number, maxText: number): (it: IterableIterator<unknown>) => LinePartition[] {
  return function dashboardLine(it) {
    const text = (v: unknown): string => {
      if (typeof v === 'string') return v;
      if (typeof v !== 'object' || v === null) return String(v);
      try {
        return JSON.stringify(v) ?? String(v);
      } catch {
        return String(v);
      }
    };
    const sums = new Map<string, number>();
    let n = 0;
    let bad = 0;
    let cut = 0;
    let overflow = 0;
    let badSample: string | undefined;
    for (const r of it) {
      n++;
      let series: string;
      let value: unknown;
      if (typeof r === 'number') {
        series = '';
        value = r;
      } else if (Array.isArray(r) && r.length === 2) {
        series = text(r[0]);
        value = r[1];
      } else {
        series = '';
        value = undefined;
      }
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        bad++;
        badSample ??= text(r).slice(0, maxText);
        continue;
      }
      if (series.length > maxText) {
        series = series.slice(0, maxText - 1) + '…';
        cut++;
      }
      const had = sums.get(series);
      if (had === undefined && sums.size >= maxSeries) {
        overflow++;
        continue;
      }
      sums.set(series, (had ?? 0) + value);
    }
    return [{ n, bad, cut, overflow, sums: [...sums], ...(badSample !== undefined && { badSample }) }];
  };
}

// ---- in the driver program -------------------------------------------------------------

/** A merged batch and the kinds of its warnings (so each kind is logged once). */
export interface MergedDashboardBatch {
  readonly batch: DashboardBatch;
  readonly warningKinds: readonly string[];
}

class Warnings {
  readonly texts: string[] = [];
  readonly kinds: string[] = [];
  add(kind: string, text: string): void {
    this.kinds.push(kind);
    this.texts.push(text);
  }
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

/** The batch's bars: the `maxItems` largest values over all partitions (ties: the smaller label first). */
export function mergeBars(def: DashboardDefinition, batchTime: number, parts: readonly BarPartition[]): MergedDashboardBatch {
  const w = new Warnings();
  const n = parts.reduce((a, p) => a + p.n, 0);
  const bad = parts.reduce((a, p) => a + p.bad, 0);
  const cut = parts.reduce((a, p) => a + p.cut, 0);
  const pairs = n - bad;
  const byLabel = new Map<string, number>();
  const repeated = new Map<string, number>();
  for (const p of parts)
    for (const [label, value] of p.top) {
      const had = byLabel.get(label);
      if (had !== undefined) repeated.set(label, (repeated.get(label) ?? 1) + 1);
      byLabel.set(label, (had ?? 0) + value);
    }
  const bars = [...byLabel].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).slice(0, def.maxItems);
  if (pairs > def.maxItems) {
    w.add('cut', `Showing the ${plural(def.maxItems, 'largest value')} of ${plural(pairs, 'key')} in this batch (maxItems: ${def.maxItems}); the others are left out.`);
  }
  if (bad > 0) {
    w.add('bad', `${plural(bad, 'record')} of ${n.toLocaleString('en-US')} ${bad === 1 ? 'is' : 'are'} not a [key, number] pair and ${bad === 1 ? 'is' : 'are'} left out (the first: ${parts.find((p) => p.badSample !== undefined)?.badSample}); a bar dashboard takes [key, number] pairs, such as reduceByKey's.`);
  }
  if (repeated.size > 0) {
    const [label, times] = [...repeated][0];
    w.add('repeated', `${plural(repeated.size, 'key')} came in more than one record (such as ${JSON.stringify(label)}, ${times} times) and ${repeated.size === 1 ? 'its values are' : 'their values are'} summed; a bar dashboard takes one [key, number] per key: reduceByKey first.`);
  }
  if (cut > 0) w.add('long', `${plural(cut, 'label')} longer than ${DASHBOARD_MAX_TEXT} characters ${cut === 1 ? 'is' : 'are'} cut.`);
  return { batch: { name: def.name, batchTime, numRecords: n, bars, numKeys: pairs, warnings: w.texts }, warningKinds: w.kinds };
}

/** A value as the text of a table cell (cut at DASHBOARD_MAX_TEXT). */
export function cellText(v: unknown): string {
  let s: string;
  if (typeof v === 'string') s = v;
  else if (v === null || v === undefined) s = '';
  else if (v instanceof Date) s = Number.isNaN(v.getTime()) ? String(v) : v.toISOString();
  else if (typeof v === 'object') {
    try {
      s = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x)) ?? String(v);
    } catch {
      s = String(v);
    }
  } else s = String(v);
  return s.length > DASHBOARD_MAX_TEXT ? s.slice(0, DASHBOARD_MAX_TEXT - 1) + '…' : s;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date) && !(v instanceof Map) && !(v instanceof Set);

/**
 * The batch's first `maxItems` rows, in partition order. Columns: the ones given, else an
 * object record's keys (in first-seen order), else 1, 2, ... for array records, else one.
 */
export function mergeTable(def: DashboardDefinition, batchTime: number, parts: readonly TablePartition[]): MergedDashboardBatch {
  const w = new Warnings();
  const n = parts.reduce((a, p) => a + p.n, 0);
  const records = parts.flatMap((p) => p.first).slice(0, def.maxItems);
  let columns: string[];
  let wide = 0;
  if (def.columns) columns = [...def.columns];
  else if (records.some(isPlainObject)) {
    const keys = new Set<string>();
    for (const r of records) if (isPlainObject(r)) for (const k of Object.keys(r)) keys.add(k);
    columns = [...keys];
  } else if (records.some(Array.isArray)) {
    columns = Array.from({ length: Math.max(...records.map((r) => (Array.isArray(r) ? r.length : 1))) }, (_, i) => String(i + 1));
  } else columns = ['value'];
  if (columns.length > DASHBOARD_MAX_COLUMNS) {
    wide = columns.length;
    columns = columns.slice(0, DASHBOARD_MAX_COLUMNS);
  }
  let cut = 0;
  const cell = (v: unknown): string => {
    const t = cellText(v);
    if (t.length === DASHBOARD_MAX_TEXT && t.endsWith('…')) cut++;
    return t;
  };
  const rows = records.map((r) => {
    if (isPlainObject(r)) return columns.map((c) => cell(Object.hasOwn(r, c) ? r[c] : undefined));
    if (Array.isArray(r)) return columns.map((_c, i) => cell(r[i]));
    return columns.map((_c, i) => (i === 0 ? cell(r) : ''));
  });
  if (n > def.maxItems) w.add('cut', `Showing the first ${plural(def.maxItems, 'row')} of ${n.toLocaleString('en-US')} in this batch (maxItems: ${def.maxItems}); the others are left out.`);
  if (wide > 0) w.add('wide', `The rows have ${wide} columns; the first ${DASHBOARD_MAX_COLUMNS} are shown.`);
  if (cut > 0) w.add('long', `${plural(cut, 'cell')} longer than ${DASHBOARD_MAX_TEXT} characters ${cut === 1 ? 'is' : 'are'} cut.`);
  const columnsOut = columns.map((c) => cellText(c));
  return { batch: { name: def.name, batchTime, numRecords: n, columns: columnsOut, rows, warnings: w.texts }, warningKinds: w.kinds };
}

/**
 * The batch's value of each series kept. `series` is the dashboard's list of series kept so
 * far (first seen, at most maxItems), updated here: a series first seen once the list is
 * full is left out, with a warning.
 */
export function mergeLine(def: DashboardDefinition, batchTime: number, parts: readonly LinePartition[], series: string[]): MergedDashboardBatch {
  const w = new Warnings();
  const n = parts.reduce((a, p) => a + p.n, 0);
  const bad = parts.reduce((a, p) => a + p.bad, 0);
  const cut = parts.reduce((a, p) => a + p.cut, 0);
  const overflow = parts.reduce((a, p) => a + p.overflow, 0);
  const sums = new Map<string, number>();
  for (const p of parts) for (const [s, v] of p.sums) sums.set(s, (sums.get(s) ?? 0) + v);
  const left: string[] = [];
  for (const s of sums.keys()) {
    if (series.includes(s)) continue;
    if (series.length < def.maxItems) series.push(s);
    else left.push(s);
  }
  const values = series.filter((s) => sums.has(s)).map((s) => [s, sums.get(s)!] as const);
  if (left.length > 0 || overflow > 0) {
    const parts: string[] = [];
    if (left.length > 0) parts.push(`${plural(left.length, 'series', 'series')} of this batch (such as ${JSON.stringify(left[0])}) ${left.length === 1 ? 'is' : 'are'} left out`);
    if (overflow > 0) parts.push(`${plural(overflow, 'record')} of series past the first ${DASHBOARD_MAX_SERIES_PER_PARTITION} of a partition ${overflow === 1 ? 'is' : 'are'} left out`);
    w.add('cut', `The chart keeps the first ${plural(def.maxItems, 'series', 'series')} it sees (maxItems: ${def.maxItems}); ${parts.join('; ')}.`);
  }
  if (bad > 0) {
    w.add('bad', `${plural(bad, 'record')} of ${n.toLocaleString('en-US')} ${bad === 1 ? 'is' : 'are'} neither a finite number nor a [series, number] pair and ${bad === 1 ? 'is' : 'are'} left out (the first: ${parts.find((p) => p.badSample !== undefined)?.badSample}).`);
  }
  if (cut > 0) w.add('long', `${plural(cut, 'series name')} longer than ${DASHBOARD_MAX_TEXT} characters ${cut === 1 ? 'is' : 'are'} cut.`);
  return { batch: { name: def.name, batchTime, numRecords: n, values, warnings: w.texts }, warningKinds: w.kinds };
}
