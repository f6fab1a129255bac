import { mostCommonHolders, type Plan, type PlanNode } from '@sluice/core/internal';
import { narrowParentSplits } from './stage-plan.js';

/** Where the places of one node's partition are looked up (the DAG scheduler's block and key tables). */
export interface PlaceLookup {
  /** Workers holding cached partition `split` of `node` (asked only for a node that is persisted). */
  cached(node: PlanNode, split: number): Iterable<string>;
  /** The node's own preference for `split`: a received block's holders, the worker that last read a direct input's key; none for other nodes. */
  own(node: PlanNode, split: number): Iterable<string>;
}

const NONE: ReadonlySet<string> = new Set();

/**
 * The workers a task over `partition` of a stage's root would rather run on, as Spark's
 * DAGScheduler.getPreferredLocs: from the root down its narrow dependencies, the first
 * node partition that has a place — a cached copy of it, else its own preference (a
 * received block, a direct input's key; for a partitioner-aware union, the workers that
 * hold the most of its inputs' partitions) — parents in order, each at the partition the
 * node reads of it (a union's partition i is some input's partition j, a coalesced
 * partition several of its parent's). Empty when nothing on the way has a place.
 */
export function preferredLocations(plan: Plan, partition: number, lookup: PlaceLookup): ReadonlySet<string> {
  return placesOf(plan, plan.root, partition, lookup, new Set());
}

function placesOf(plan: Plan, id: number, split: number, lookup: PlaceLookup, visited: Set<string>): ReadonlySet<string> {
  const key = `${id}/${split}`;
  if (visited.has(key)) return NONE;
  visited.add(key);
  const node = plan.nodes[id];
  if (node.storage !== 'NONE') {
    const cached = new Set(lookup.cached(node, split));
    if (cached.size > 0) return cached;
  }
  // As Spark's PartitionerAwareUnionRDD: each input's preferred places for partition i, counted.
  const own = new Set(
    node.op.kind === 'partitionerAwareUnion' ? mostCommonHolders(node.parents.map((p) => [...placesOf(plan, p, split, lookup, new Set())])) : lookup.own(node, split),
  );
  if (own.size > 0) return own;
  for (const [parent, parentSplit] of narrowParentSplits(node, split)) {
    const places = placesOf(plan, parent, parentSplit, lookup, visited);
    if (places.size > 0) return places;
  }
  return NONE;
}
