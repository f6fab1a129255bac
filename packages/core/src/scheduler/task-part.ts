import type { Plan, PlanNode } from '../rdd/plan.js';
import type { MapOutputLocation, TaskPayload } from './task-spec.js';

/**
 * What one task carries beside its stage's TaskPayload, which a worker gets once per stage
 * (Worker.RunTasks): the slices of parallelized data the task reads, where the cached
 * partitions it reads live now. Everything else a task needs is the same for every task
 * of its stage, so the stage's plan and shipped functions are encoded and sent once.
 */
export interface TaskPart {
  /** By parallelize node id: the slices (by slice index) this task reads. */
  readonly slices?: Readonly<Record<number, Readonly<Record<number, unknown>>>>;
  /** Workers holding cached partitions this task reads, by block id. */
  readonly cachedLocations?: Readonly<Record<string, readonly MapOutputLocation[]>>;
}

/** The plan as every task of its stage shares it: each parallelize node without its data (a task's slices travel in its TaskPart). */
export function stageSharedPlan(plan: Plan): Plan {
  let hasData = false;
  for (const n of Object.values(plan.nodes)) if (n.op.kind === 'parallelize') hasData = true;
  if (!hasData) return plan;
  const nodes: Record<number, PlanNode> = {};
  for (const [id, n] of Object.entries(plan.nodes)) nodes[Number(id)] = n.op.kind === 'parallelize' ? { ...n, op: { kind: 'parallelize', slices: [] } } : n;
  return { nodes, root: plan.root };
}

/**
 * The payload one task runs: its stage's (from stageSharedPlan) with the task's own
 * slices and cached-block locations put back. `stage` is not changed (a thread keeps
 * it for the stage's next tasks).
 */
export function withTaskPart(stage: TaskPayload, part: TaskPart | undefined): TaskPayload {
  if (part === undefined) return stage;
  let plan = stage.plan;
  if (part.slices !== undefined) {
    const nodes: Record<number, PlanNode> = { ...plan.nodes };
    for (const [id, bySlice] of Object.entries(part.slices)) {
      const n = nodes[Number(id)];
      if (n === undefined || n.op.kind !== 'parallelize') continue;
      const slices: unknown[] = [];
      for (const [i, s] of Object.entries(bySlice)) slices[Number(i)] = s;
      nodes[Number(id)] = { ...n, op: { kind: 'parallelize', slices } };
    }
    plan = { nodes, root: plan.root };
  }
  return {
    ...stage,
    plan,
    ...(part.cachedLocations !== undefined && { cachedLocations: part.cachedLocations }),
  };
}
