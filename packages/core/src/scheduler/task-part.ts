import type { Plan, PlanNode } from '../rdd/plan.js';
import type { MapOutputLocation, TaskPayload } from './task-spec.js';

/**
 * What one task carries beside its stage's TaskPayload, which a worker gets once per stage
 * (Worker.RunTasks): the slices of parallelized data the task reads, where the cached
 * partitions it reads live now. Everything else a task needs is the same for every task
 * of its stage, so the stage's plan and shipped functions are encoded and sent once.
 */
export interface TaskPart {
  /** The slices of parallelized data this task reads (TaskSlices). */
  readonly slices?: TaskSlices;
  /** Workers holding cached partitions this task reads, by block id. */
  readonly cachedLocations?: Readonly<Record<string, readonly MapOutputLocation[]>>;
  /**
   * A result task over this many contiguous partitions from its own on (the driver's
   * coalesced ranges): each computed on its own, their values returned in order. Absent: one.
   */
  readonly partitions?: number;
}

/**
 * The slices of parallelized data a task reads, flat: parallelize node id, slice index,
 * the slice, and again for the next (`[0, 7, slice7]`). Not objects keyed by node and
 * slice: a task's part is encoded on the driver and decoded in a task thread for every
 * task, and an object keyed by a large integer (a slice index) costs V8 a dictionary
 * each time, and the encoder `Object.keys` and the key as a string.
 */
export type TaskSlices = readonly unknown[];

/** The plan as every task of its stage shares it: each parallelize node without its data (a task's slices travel in its TaskPart). */
export function stageSharedPlan(plan: Plan): Plan {
  let hasData = false;
  for (const n of Object.values(plan.nodes)) if (n.op.kind === 'parallelize') hasData = true;
  if (!hasData) return plan;
  const nodes: Record<number, PlanNode> = {};
  for (const [id, n] of Object.entries(plan.nodes)) nodes[Number(id)] = n.op.kind === 'parallelize' ? { ...n, op: { kind: 'parallelize', slices: [] } } : n;
  return { nodes, root: plan.root };
}

/** Past this many slices a task's part is looked up through a map (TaskSlicesLookup), not scanned. */
const SCANNED_SLICES = 8;

/**
 * A task's slices as its PartitionComputer reads them (`runTask`'s `part`): the slice of a
 * parallelize node, found in the flat array the task carries (a scan: a task reads one slice
 * of each such node, unless a union, coalesce or cartesian reads more; past SCANNED_SLICES,
 * a map made once). No plan is rebuilt for a task: a node's slices as an array indexed by
 * partition were sparse past index 1,024 (a V8 dictionary a task) and copied the plan's nodes.
 */
export class TaskSlicesLookup {
  private byKey: Map<number, unknown> | undefined;

  constructor(private readonly flat: TaskSlices) {}

  /** The slice `split` of node `nodeId`, or undefined if the task does not carry it. */
  slice(nodeId: number, split: number): unknown {
    const flat = this.flat;
    if (flat.length <= 3 * SCANNED_SLICES) {
      for (let k = 0; k + 2 < flat.length; k += 3) if (flat[k] === nodeId && flat[k + 1] === split) return flat[k + 2];
      return undefined;
    }
    let m = this.byKey;
    if (m === undefined) {
      m = new Map();
      for (let k = 0; k + 2 < flat.length; k += 3) m.set((flat[k] as number) * 0x100000000 + (flat[k + 1] as number), flat[k + 2]);
      this.byKey = m;
    }
    return m.get(nodeId * 0x100000000 + split);
  }
}

/**
 * The payload one task runs, whole: its stage's (from stageSharedPlan) with the task's own
 * slices and cached-block locations put back (`stage` is not changed). A task thread does not
 * make it: it gives runTask the stage's payload and the part (TaskSlicesLookup).
 */
export function withTaskPart(stage: TaskPayload, part: TaskPart | undefined): TaskPayload {
  if (part === undefined) return stage;
  let plan = stage.plan;
  if (part.slices !== undefined) {
    const nodes: Record<number, PlanNode> = { ...plan.nodes };
    const flat = part.slices;
    const byNode = new Map<number, unknown[]>();
    for (let k = 0; k + 2 < flat.length; k += 3) {
      const id = flat[k] as number;
      let slices = byNode.get(id);
      if (slices === undefined) byNode.set(id, (slices = []));
      slices[flat[k + 1] as number] = flat[k + 2];
    }
    for (const [id, slices] of byNode) {
      const n = nodes[id];
      if (n === undefined || n.op.kind !== 'parallelize') continue;
      nodes[id] = { ...n, op: { kind: 'parallelize', slices } };
    }
    plan = { nodes, root: plan.root };
  }
  return {
    ...stage,
    plan,
    ...(part.cachedLocations !== undefined && { cachedLocations: part.cachedLocations }),
  };
}
