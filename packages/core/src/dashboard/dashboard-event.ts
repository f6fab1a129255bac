import type { DashboardDefinition } from './dashboard-options.js';

/**
 * One batch's result of a dashboard, as the driver program sends it to the driver: bounded
 * (DashboardDefinition.maxItems items, texts cut at DASHBOARD_MAX_TEXT), already turned to text
 * and numbers. `warnings` say what was left out or skipped.
 */
export interface DashboardBatch {
  readonly name: string;
  readonly batchTime: number;
  /** Records of the batch's RDD. */
  readonly numRecords: number;
  /** `bar`: [label, value], the largest values first (ties by label); `numKeys`: keys in the batch. */
  readonly bars?: readonly (readonly [string, number])[];
  readonly numKeys?: number;
  /** `table`: headings and the first rows, each cell as text. */
  readonly columns?: readonly string[];
  readonly rows?: readonly (readonly string[])[];
  /** `line`: this batch's value of each series ('' is the series of plain numbers). */
  readonly values?: readonly (readonly [string, number])[];
  readonly warnings: readonly string[];
}

/** What a driver program tells the driver about its dashboards (StreamingBackend.reportDashboard). */
export type DashboardEvent =
  /** toDashboard was called: the dashboard exists (before its first batch). */
  | { readonly type: 'defined'; readonly definition: DashboardDefinition }
  | { readonly type: 'batch'; readonly batch: DashboardBatch };
