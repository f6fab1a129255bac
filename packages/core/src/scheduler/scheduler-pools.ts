import { readFileSync } from 'node:fs';
import { SluiceError } from '../errors.js';
import { parseXml, SmallXmlError, xmlText, type XmlElement } from './small-xml.js';

/**
 * Spark's job scheduling within an application (docs/job-scheduling.md, "Scheduling Within an
 * Application"): the scheduling mode (spark.scheduler.mode), the pools of the fair scheduler
 * and the allocation file they are read from (spark.scheduler.allocation.file, Spark's
 * fairscheduler.xml), and the local property that puts an action's jobs in a pool.
 */

/** Spark's SchedulingMode: FIFO (the default) or FAIR. */
export type SchedulingMode = 'FIFO' | 'FAIR';

/** Spark's SparkContext.SPARK_SCHEDULER_POOL local property: the pool an action's stages run in. */
export const SCHEDULER_POOL = 'spark.scheduler.pool';
/** The pool of an action started without SCHEDULER_POOL (Spark's FairSchedulableBuilder.DEFAULT_POOL_NAME). */
export const DEFAULT_POOL_NAME = 'default';

/** A pool of the fair scheduler (Spark's Pool): how its task sets share it, its weight and minimum share. */
export interface PoolConfig {
  readonly name: string;
  /** How the pool orders its own task sets: FIFO (by job, then stage) or FAIR (by running tasks). */
  readonly schedulingMode: SchedulingMode;
  /** Its share of the cores relative to other pools' when all have tasks waiting (Spark's weight). */
  readonly weight: number;
  /** Cores it gets before pools past their minShare get more (Spark's minShare). */
  readonly minShare: number;
}

/**
 * Spark's Schedulable as sc.getAllPools and sc.getPoolForName give a pool: its name, its minimum
 * share of cores, its weight and how it orders its own task sets.
 */
export type Schedulable = PoolConfig;

/** The scheduling an application asked for (sc.setSchedulerMode), as the driver applies it. */
export interface SchedulerConfig {
  readonly mode: SchedulingMode;
  /** FAIR's pools from the allocation file, the `default` pool among them (added when the file has none). */
  readonly pools: readonly PoolConfig[];
}

/** Spark's defaults for a pool the file does not set, or that is not in it (FairSchedulableBuilder's). */
export function defaultPool(name: string): PoolConfig {
  return { name, schedulingMode: 'FIFO', weight: 1, minShare: 0 };
}

/** What sc.setSchedulerMode takes besides the mode. */
export interface SchedulerModeOptions {
  /**
   * Spark's spark.scheduler.allocation.file: the fair scheduler's pools, as Spark's
   * fairscheduler.xml (`<allocations><pool name="p"><schedulingMode>FAIR</schedulingMode>
   * <weight>2</weight><minShare>1</minShare></pool></allocations>`). A relative path resolves
   * against `base` (sc.workingDirectory).
   */
  readonly allocationFile?: string | undefined;
}

/** A mode as given ('fair' too, as Spark upper-cases it), or SLUICE_BAD_ARGUMENT naming `what`. */
export function schedulingModeOf(value: unknown, what: string): SchedulingMode {
  const m = typeof value === 'string' ? value.trim().toUpperCase() : undefined;
  if (m === 'FIFO' || m === 'FAIR') return m;
  throw new SluiceError('SLUICE_BAD_ARGUMENT', `${what}: the scheduling mode must be 'FIFO' or 'FAIR' (Spark's spark.scheduler.mode), got ${JSON.stringify(value) ?? String(value)}`);
}

/**
 * The pools in allocation file `file` (Spark's FairSchedulableBuilder.buildFairSchedulerPool):
 * each `<pool name="...">` under `<allocations>`, its `<schedulingMode>`, `<weight>` and
 * `<minShare>` (each optional, Spark's defaults FIFO, 1 and 0), then the `default` pool with
 * Spark's defaults when the file does not define it. Where Spark warns and takes the default for
 * a value it cannot read, this is SLUICE_BAD_ARGUMENT naming the file, the pool and the field.
 */
export function readAllocationFile(file: string): PoolConfig[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new SluiceError('SLUICE_BAD_ARGUMENT', `the fair scheduler's allocation file '${file}' cannot be read (${(err as Error).message}): give an existing file (Spark's fairscheduler.xml), or none`, { cause: err });
  }
  return parseAllocations(text, file);
}

/** The pools in allocation file text `text` (read from `file`, named in errors); see readAllocationFile. */
export function parseAllocations(text: string, file: string): PoolConfig[] {
  const bad = (what: string): never => {
    throw new SluiceError('SLUICE_BAD_ARGUMENT', `the fair scheduler's allocation file '${file}': ${what}. Spark's form: <allocations><pool name="production"><schedulingMode>FAIR</schedulingMode><weight>1</weight><minShare>2</minShare></pool></allocations>`);
  };
  let root: XmlElement;
  try {
    root = parseXml(text);
  } catch (err) {
    if (err instanceof SmallXmlError) return bad(`not well-formed XML: ${err.message}`);
    throw err;
  }
  if (root.name !== 'allocations') bad(`its root element is <${root.name}>, not <allocations> (line ${root.line})`);
  const pools: PoolConfig[] = [];
  for (const child of root.children) {
    if (typeof child === 'string') {
      if (child.trim() !== '') bad(`text '${child.trim().slice(0, 20)}' directly in <allocations>`);
      continue;
    }
    if (child.name !== 'pool') bad(`<${child.name}> in <allocations> (line ${child.line}): only <pool> elements go there`);
    const name = child.attributes.get('name');
    if (name === undefined || name.trim() === '') bad(`a <pool> without a name attribute (line ${child.line})`);
    const poolName = name as string;
    if (pools.some((p) => p.name === poolName)) bad(`pool '${poolName}' is defined twice (line ${child.line})`);
    const fields = new Map<string, XmlElement>();
    for (const f of child.children) {
      if (typeof f === 'string') continue;
      if (f.name !== 'schedulingMode' && f.name !== 'weight' && f.name !== 'minShare') bad(`pool '${poolName}': unknown field <${f.name}> (line ${f.line}); a pool has <schedulingMode>, <weight> and <minShare>`);
      if (fields.has(f.name)) bad(`pool '${poolName}': <${f.name}> given twice (line ${f.line})`);
      fields.set(f.name, f);
    }
    const d = defaultPool(poolName);
    const modeEl = fields.get('schedulingMode');
    let schedulingMode = d.schedulingMode;
    if (modeEl !== undefined) {
      const v = xmlText(modeEl).trim().toUpperCase();
      if (v !== 'FIFO' && v !== 'FAIR') bad(`pool '${poolName}': schedulingMode '${xmlText(modeEl).trim()}' (line ${modeEl.line}) is neither FIFO nor FAIR`);
      schedulingMode = v as SchedulingMode;
    }
    const int = (field: 'weight' | 'minShare', fallback: number, min: number): number => {
      const el = fields.get(field);
      if (el === undefined) return fallback;
      const v = xmlText(el).trim();
      if (!/^[+-]?\d+$/.test(v) || !Number.isSafeInteger(Number(v)) || Number(v) < min) bad(`pool '${poolName}': ${field} '${v}' (line ${el.line}) is not a whole number of at least ${min}`);
      return Number(v);
    };
    pools.push({ name: poolName, schedulingMode, weight: int('weight', d.weight, 1), minShare: int('minShare', d.minShare, 0) });
  }
  if (!pools.some((p) => p.name === DEFAULT_POOL_NAME)) pools.push(defaultPool(DEFAULT_POOL_NAME));
  return pools;
}
