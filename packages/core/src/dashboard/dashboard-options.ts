import { SluiceError } from '../errors.js';

/** How a dashboard shows each batch: a table of rows, a line over batch time, or bars by key. */
export type DashboardKind = 'table' | 'line' | 'bar';

export const DASHBOARD_KINDS: readonly DashboardKind[] = ['table', 'line', 'bar'];

/** Options of `dstream.toDashboard(name, options)`. */
export interface DashboardOptions {
  readonly kind: DashboardKind;
  /** The heading shown above it (default: the name). */
  readonly title?: string | undefined;
  /**
   * What one batch may send to the driver: `bar` the bars kept (the largest values; default
   * 100), `table` the rows kept (the first ones; default 100), `line` the series kept (the
   * first ones seen; default 10). At most 1,000. What is left out is said on the page.
   */
  readonly maxItems?: number | undefined;
  /** `line`: how many batches the chart keeps (default 120, at most 10,000). */
  readonly keepBatches?: number | undefined;
  /** `table`: the column headings (default: an object record's keys, else 1, 2, ...). */
  readonly columns?: readonly string[] | undefined;
}

/** A dashboard as the driver keeps it: the options resolved. */
export interface DashboardDefinition {
  readonly name: string;
  readonly kind: DashboardKind;
  readonly title: string;
  readonly maxItems: number;
  /** Batches a line chart keeps (the other kinds show the latest batch only). */
  readonly keepBatches: number;
  readonly columns?: readonly string[];
}

export const DASHBOARD_MAX_ITEMS = 1000;
export const DASHBOARD_MAX_KEEP_BATCHES = 10_000;
export const DASHBOARD_MAX_NAME = 200;
/** Labels and table cells longer than this are cut (with '…'). */
export const DASHBOARD_MAX_TEXT = 200;
/** Table columns shown at most. */
export const DASHBOARD_MAX_COLUMNS = 20;

const DEFAULT_MAX_ITEMS: Readonly<Record<DashboardKind, number>> = { bar: 100, table: 100, line: 10 };
const DEFAULT_KEEP_BATCHES = 120;
const KNOWN = new Set(['kind', 'title', 'maxItems', 'keepBatches', 'columns']);

function bad(name: string, what: string): SluiceError {
  return new SluiceError('SLUICE_BAD_ARGUMENT', `dstream.toDashboard(${JSON.stringify(name)}): ${what}`);
}

function count(name: string, key: string, v: unknown, def: number, max: number): number {
  if (v === undefined) return def;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max) throw bad(name, `${key} is ${JSON.stringify(v)}; give a whole number from 1 to ${max} (default ${def})`);
  return v;
}

/** Check a dashboard's name and options; the definition the driver keeps. */
export function resolveDashboardOptions(name: unknown, options: unknown): DashboardDefinition {
  if (typeof name !== 'string' || name.trim() === '' || name.length > DASHBOARD_MAX_NAME) {
    throw new SluiceError('SLUICE_BAD_ARGUMENT', `dstream.toDashboard: the name is ${JSON.stringify(name)}; give a non-empty string of at most ${DASHBOARD_MAX_NAME} characters (it names the dashboard on the page and in the REST API)`);
  }
  if (typeof options !== 'object' || options === null) throw bad(name, `the options are ${String(options)}; give { kind: 'table' | 'line' | 'bar' }`);
  const o = options as Record<string, unknown>;
  const unknownKey = Object.keys(o).find((k) => !KNOWN.has(k));
  if (unknownKey !== undefined) throw bad(name, `unknown option '${unknownKey}'; the options are ${[...KNOWN].join(', ')}`);
  const kind = o.kind;
  if (typeof kind !== 'string' || !(DASHBOARD_KINDS as readonly string[]).includes(kind)) {
    throw bad(name, `kind is ${JSON.stringify(kind)}; give one of 'table' (rows), 'line' (a number, or [series, number] pairs, per batch) or 'bar' ([key, number] pairs)`);
  }
  const k = kind as DashboardKind;
  if (o.title !== undefined && typeof o.title !== 'string') throw bad(name, `title is ${JSON.stringify(o.title)}; give a string`);
  if (o.keepBatches !== undefined && k !== 'line') throw bad(name, `keepBatches applies to kind 'line' (a ${k} dashboard shows the latest batch)`);
  if (o.columns !== undefined) {
    if (k !== 'table') throw bad(name, `columns applies to kind 'table'`);
    const c = o.columns;
    if (!Array.isArray(c) || c.length === 0 || c.length > DASHBOARD_MAX_COLUMNS || !c.every((x) => typeof x === 'string')) {
      throw bad(name, `columns is ${JSON.stringify(c)}; give 1 to ${DASHBOARD_MAX_COLUMNS} column headings as strings`);
    }
  }
  return {
    name,
    kind: k,
    title: (o.title as string | undefined) ?? name,
    maxItems: count(name, 'maxItems', o.maxItems, DEFAULT_MAX_ITEMS[k], DASHBOARD_MAX_ITEMS),
    keepBatches: count(name, 'keepBatches', o.keepBatches, DEFAULT_KEEP_BATCHES, DASHBOARD_MAX_KEEP_BATCHES),
    ...(o.columns !== undefined && { columns: [...(o.columns as string[])] }),
  };
}
