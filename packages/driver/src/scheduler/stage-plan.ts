import type { LineageGraph, Plan, PlanNode, ShuffleSpec, TaskPayload, TaskSlices } from '@sluice/core/internal';
import type { StageRddInfo } from './scheduler-listener.js';

export interface ShuffleDependencyInfo {
  readonly spec: ShuffleSpec;
  /** Node id of the map side (the RDD being shuffled) in `graph`. */
  readonly mapSide: number;
  readonly graph: LineageGraph;
}

/** Every shuffle in a lineage, with its map side. */
export function shuffleDependencies(graph: LineageGraph): Map<number, ShuffleDependencyInfo> {
  const out = new Map<number, ShuffleDependencyInfo>();
  for (const node of Object.values(graph.nodes)) {
    if (node.op.kind === 'shuffled') out.set(node.op.shuffle.shuffleId, { spec: node.op.shuffle, mapSide: node.shuffleParents[0], graph });
    if (node.op.kind === 'cogroup') {
      node.op.shuffles.forEach((spec, i) => {
        if (spec) out.set(spec.shuffleId, { spec, mapSide: node.shuffleParents[i], graph });
      });
    }
  }
  return out;
}

/** The part of a lineage one stage computes: nodes reachable from `root` through narrow dependencies. */
export function stagePlan(graph: LineageGraph, root: number): Plan {
  const nodes: Record<number, PlanNode> = {};
  const visit = (id: number): void => {
    if (id < 0 || nodes[id]) return;
    const n = graph.nodes[id];
    nodes[id] = n;
    for (const p of n.parents) visit(p);
  };
  visit(root);
  return { nodes, root };
}

/**
 * The RDDs of the stage whose root is `root` (Spark's StageInfo.rddInfos): the nodes stagePlan
 * reaches, ascending by id, each named by the graph's rddInfos (its class when the graph has none).
 */
export function stageRddInfos(graph: LineageGraph, root: number): StageRddInfo[] {
  return Object.values(stagePlan(graph, root).nodes)
    .map((n) => {
      const info = graph.rddInfos?.[n.id];
      return {
        id: n.id,
        name: info?.name ?? n.name ?? `RDD ${n.id}`,
        ...(info?.callSite !== undefined && { callSite: info.callSite }),
        ...(info?.scopes !== undefined && { scopes: info.scopes }),
        numPartitions: n.numPartitions,
        parentIds: [...n.parents, ...n.shuffleParents].filter((p) => p >= 0),
        cached: n.storage !== 'NONE',
      };
    })
    .sort((a, b) => a.id - b.id);
}

/** Whether two stages' RDD lists say the same (every field of every RDD, in order). */
export function sameStageRddInfos(a: readonly StageRddInfo[], b: readonly StageRddInfo[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x.id !== y.id || x.name !== y.name || x.callSite !== y.callSite || x.numPartitions !== y.numPartitions || x.cached !== y.cached) return false;
    if (x.parentIds.length !== y.parentIds.length || x.parentIds.some((p, j) => p !== y.parentIds[j])) return false;
  }
  return true;
}

/** Shuffle ids a stage plan reads. */
export function shufflesRead(plan: Plan): number[] {
  const ids: number[] = [];
  for (const n of Object.values(plan.nodes)) {
    if (n.op.kind === 'shuffled') ids.push(n.op.shuffle.shuffleId);
    if (n.op.kind === 'cogroup') for (const s of n.op.shuffles) if (s) ids.push(s.shuffleId);
  }
  return ids;
}

/**
 * The parent partitions partition `split` of `node` reads through its narrow
 * dependencies, in the order it reads them, as [parent node id, parent partition]
 * (union, coalesce and cartesian remap them; every other node maps i to i; a cogroup's
 * shuffled inputs, -1 in `parents`, are left out).
 */
export function narrowParentSplits(node: PlanNode, split: number): (readonly [number, number])[] {
  const op = node.op;
  const out: (readonly [number, number])[] = [];
  if (op.kind === 'union') {
    const [which, sp] = op.parts[split];
    out.push([node.parents[which], sp]);
  } else if (op.kind === 'coalesce') {
    for (const sp of op.groups[split]) out.push([node.parents[0], sp]);
  } else if (op.kind === 'cartesian') {
    out.push([node.parents[0], Math.floor(split / op.rightPartitions)], [node.parents[1], split % op.rightPartitions]);
  } else {
    for (const p of node.parents) out.push([p, split]);
  }
  return out.filter(([p]) => p >= 0);
}

/** Which partitions of each node a task over `partition` of the root touches (see narrowParentSplits). */
export function partitionsTouched(plan: Plan, partition: number): Map<number, Set<number>> {
  const out = new Map<number, Set<number>>();
  const visit = (id: number, split: number): void => {
    let s = out.get(id);
    if (!s) out.set(id, (s = new Set()));
    if (s.has(split)) return;
    s.add(split);
    for (const [p, sp] of narrowParentSplits(plan.nodes[id], split)) visit(p, sp);
  };
  visit(plan.root, partition);
  return out;
}

/**
 * The shuffle bytes a task over partition p of the root reads, estimated from `sizes` (each
 * shuffle's bytes by its reduce partition, from its map statuses): at the partitions of each
 * shuffle p reads through unions, coalesces and cartesians (partition 200 of a union of 200 and
 * 50 partitions reads the second's partition 0), at p itself where nothing in the plan remaps.
 */
export function shuffleBytesOf(plan: Plan, sizes: ReadonlyMap<number, Float64Array>): (partition: number) => number {
  const nodes = Object.values(plan.nodes);
  const shuffleIdsOf = (n: PlanNode): number[] => (n.op.kind === 'shuffled' ? [n.op.shuffle.shuffleId] : n.op.kind === 'cogroup' ? n.op.shuffles.flatMap((s) => (s ? [s.shuffleId] : [])) : []);
  if (!nodes.some((n) => n.op.kind === 'union' || n.op.kind === 'coalesce' || n.op.kind === 'cartesian')) {
    const all = [...sizes.values()];
    return (p) => {
      let b = 0;
      for (const a of all) b += a[p] ?? 0;
      return b;
    };
  }
  return (p) => {
    let b = 0;
    for (const [id, splits] of partitionsTouched(plan, p)) {
      for (const s of shuffleIdsOf(plan.nodes[id])) {
        const a = sizes.get(s);
        if (a !== undefined) for (const split of splits) b += a[split] ?? 0;
      }
    }
    return b;
  };
}

/** A task's slices by partition, as taskSlices gives them. */
export type TaskSlicer = (partition: number) => TaskSlices | undefined;

/**
 * taskSlices for every task of a stage, with what does not change from task to task
 * worked out once: without union, coalesce or cartesian in the plan every node maps
 * partition i to i, so a task over `partition` reads slice `partition` of each
 * parallelize node (tiny tasks are described thousands of times a second).
 */
export function taskSlicer(plan: Plan): TaskSlicer {
  const all = Object.values(plan.nodes);
  const data = all.filter((n) => n.op.kind === 'parallelize');
  if (data.length === 0) return () => undefined;
  if (all.some((n) => n.op.kind === 'union' || n.op.kind === 'coalesce' || n.op.kind === 'cartesian')) return (partition) => taskSlices(plan, partition);
  const sources = data.map((n) => ({ id: n.id, slices: n.op.kind === 'parallelize' ? n.op.slices : [] }));
  return (partition) => {
    const out: unknown[] = [];
    for (const n of sources) out.push(n.id, partition, n.slices[partition]);
    return out;
  };
}

/**
 * The parallelized data a task over `partition` reads, by parallelize node id and slice
 * index (union, coalesce and cartesian read other slices than their own index): what the
 * task carries beside its stage's shared plan (TaskPart.slices); undefined when the plan
 * parallelizes nothing.
 */
export function taskSlices(plan: Plan, partition: number): TaskSlices | undefined {
  let touched: Map<number, Set<number>> | undefined;
  let out: unknown[] | undefined;
  for (const n of Object.values(plan.nodes)) {
    if (n.op.kind !== 'parallelize') continue;
    touched ??= partitionsTouched(plan, partition);
    out ??= [];
    for (const i of touched.get(n.id) ?? []) out.push(n.id, i, n.op.slices[i]);
  }
  return out;
}
