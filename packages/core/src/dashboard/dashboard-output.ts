import type { DStream } from '../dstream/dstream.js';
import { SluiceError } from '../errors.js';
import type { RDD } from '../rdd/rdd.js';
import type { StreamingContext } from '../streaming/streaming-context.js';
import { DASHBOARD_MAX_TEXT, resolveDashboardOptions, type DashboardDefinition } from './dashboard-options.js';
import {
  DASHBOARD_MAX_SERIES_PER_PARTITION,
  barPartitionSummary,
  linePartitionSummary,
  mergeBars,
  mergeLine,
  mergeTable,
  tablePartitionSummary,
  type MergedDashboardBatch,
} from './dashboard-summary.js';

/** Dashboard names taken, per StreamingContext (a name is the dashboard's key on the page and in the REST API). */
const taken = new WeakMap<StreamingContext, Set<string>>();

/** One batch of a dashboard: its RDD summed up per partition on the workers, merged here. */
async function dashboardBatch(def: DashboardDefinition, rdd: RDD<unknown>, time: number, series: string[]): Promise<MergedDashboardBatch> {
  switch (def.kind) {
    case 'bar':
      return mergeBars(def, time, await rdd.mapPartitions(barPartitionSummary(def.maxItems, DASHBOARD_MAX_TEXT)).collect());
    case 'table':
      return mergeTable(def, time, await rdd.mapPartitions(tablePartitionSummary(def.maxItems)).collect());
    case 'line':
      return mergeLine(def, time, await rdd.mapPartitions(linePartitionSummary(DASHBOARD_MAX_SERIES_PER_PARTITION, DASHBOARD_MAX_TEXT)).collect(), series);
    default: {
      const never: never = def.kind;
      throw new SluiceError('SLUICE_INTERNAL', `unknown dashboard kind ${String(never)}`);
    }
  }
}

/**
 * `dstream.toDashboard(name, options)`: an output operation that, for every batch, sums the
 * batch's RDD up on the workers (bounded by maxItems), merges it in the driver program and
 * reports it to the driver, whose web UI shows it live (/jobs/{id}/dashboard/). What a
 * batch leaves out (more keys or rows than maxItems, records of the wrong shape) is a
 * warning on the page and, once per kind, in the log — never a failed batch.
 */
export function registerDashboard(stream: DStream<unknown>, name: unknown, options: unknown): void {
  const def = resolveDashboardOptions(name, options);
  const ssc = stream.ssc;
  let names = taken.get(ssc);
  if (!names) taken.set(ssc, (names = new Set()));
  if (names.has(def.name)) {
    throw new SluiceError('SLUICE_BAD_ARGUMENT', `dstream.toDashboard(${JSON.stringify(def.name)}): this StreamingContext already has a dashboard of that name; give each toDashboard a name of its own`);
  }
  /** Line series kept so far, in first-seen order (mergeLine adds to it). */
  const series: string[] = [];
  const logged = new Set<string>();
  ssc.registerOutput(
    stream,
    async (rdd, time) => {
      const { batch, warningKinds } = await dashboardBatch(def, rdd, time, series);
      ssc.sc.streaming?.reportDashboard?.({ type: 'batch', batch });
      warningKinds.forEach((kind, i) => {
        if (logged.has(kind)) return;
        logged.add(kind);
        ssc.sc.log('warn', 'dashboard result cut (logged once per kind; the dashboard page shows it for every batch)', { component: 'dashboard', dashboard: def.name, batchTime: time, warning: batch.warnings[i] });
      });
    },
    { op: 'toDashboard', name: def.name, kind: def.kind },
  );
  names.add(def.name);
  ssc.sc.streaming?.reportDashboard?.({ type: 'defined', definition: def });
}
