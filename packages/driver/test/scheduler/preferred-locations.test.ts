import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NodeOp, Plan, PlanNode, StorageLevel } from '@sluice/core/internal';
import { preferredLocations, type PlaceLookup } from '../../src/scheduler/preferred-locations.js';

function node(id: number, numPartitions: number, op: NodeOp, parents: number[] = [], storage: StorageLevel = 'NONE'): PlanNode {
  return { id, numPartitions, op, parents, shuffleParents: [], storage };
}
const plan = (root: number, ...nodes: PlanNode[]): Plan => ({ nodes: Object.fromEntries(nodes.map((n) => [n.id, n])), root });
const range = (n: number): NodeOp => ({ kind: 'range', start: 0, end: n, step: 1 });

/** Cached blocks as `node/split` -> workers; a direct input's placement (its first host standing for a key) as `key` -> workers. */
function lookup(cached: Record<string, string[]>, keys: Record<string, string[]> = {}): PlaceLookup {
  return {
    cached: (n, split) => cached[`${n.id}/${split}`] ?? [],
    own: (n, split) => (n.op.kind === 'directInput' ? (keys[n.op.placements?.[split]?.hosts?.[0] ?? ''] ?? []) : []),
  };
}
const prefs = (p: Plan, partition: number, l: PlaceLookup): string[] => [...preferredLocations(p, partition, l)].sort();

test("a union's partition prefers where its input's partition is cached, not the union's partition number", () => {
  // 0: other (1 partition), 1: cached (2 partitions), 2: union = [0/0, 1/0, 1/1] -> map 3.
  const p = plan(
    3,
    node(0, 1, range(1)),
    node(1, 2, range(2), [], 'MEMORY_ONLY'),
    node(2, 3, { kind: 'union', parts: [[0, 0], [1, 0], [1, 1]] }, [0, 1]),
    node(3, 3, { kind: 'map', fn: { source: 'x => x', captures: {}, operator: 'rdd.map', callSite: '' } as never }, [2]),
  );
  const l = lookup({ '1/0': ['wA'], '1/1': ['wB'] });
  assert.deepEqual(prefs(p, 0, l), []);
  assert.deepEqual(prefs(p, 1, l), ['wA']);
  assert.deepEqual(prefs(p, 2, l), ['wB']);
});

test('a coalesced partition prefers the first of its parent partitions that has a place', () => {
  const p = plan(1, node(0, 4, range(4), [], 'MEMORY_ONLY'), node(1, 2, { kind: 'coalesce', groups: [[0, 1], [2, 3]] }, [0]));
  assert.deepEqual(prefs(p, 1, lookup({ '0/1': ['wA'], '0/2': ['wB'], '0/3': ['wC'] })), ['wB']);
  assert.deepEqual(prefs(p, 1, lookup({ '0/1': ['wA'], '0/3': ['wC'] })), ['wC']);
  assert.deepEqual(prefs(p, 0, lookup({ '0/1': ['wA'], '0/3': ['wC'] })), ['wA']);
});

test('a cached copy of a node wins over its parents; a cartesian partition reads its two parents', () => {
  const cached = plan(1, node(0, 2, range(2), [], 'MEMORY_ONLY'), node(1, 2, { kind: 'glom' }, [0], 'MEMORY_ONLY'));
  assert.deepEqual(prefs(cached, 1, lookup({ '0/1': ['wA'], '1/1': ['wB'] })), ['wB']);
  assert.deepEqual(prefs(cached, 1, lookup({ '0/1': ['wA'] })), ['wA']);
  const cart = plan(2, node(0, 2, range(2), [], 'MEMORY_ONLY'), node(1, 3, range(3), [], 'MEMORY_ONLY'), node(2, 6, { kind: 'cartesian', rightPartitions: 3 }, [0, 1]));
  // Partition 5 is left 1 x right 2.
  assert.deepEqual(prefs(cart, 5, lookup({ '1/2': ['wR'] })), ['wR']);
  assert.deepEqual(prefs(cart, 5, lookup({ '0/1': ['wL'], '1/2': ['wR'] })), ['wL']);
});

test("a direct input read through a union prefers its partition's placed worker", () => {
  const direct = (id: number, keys: string[]): PlanNode => node(id, keys.length, { kind: 'directInput', reader: {} as never, ranges: keys, placements: keys.map((k) => ({ hash: 0, hosts: [k] })) });
  const p = plan(2, direct(0, ['t-0', 't-1']), direct(1, ['u-0', 'u-1']), node(2, 4, { kind: 'union', parts: [[0, 0], [0, 1], [1, 0], [1, 1]] }, [0, 1]));
  const l = lookup({}, { 't-1': ['wA'], 'u-0': ['wB'] });
  assert.deepEqual([0, 1, 2, 3].map((i) => prefs(p, i, l)), [[], ['wA'], ['wB'], []]);
});

test("a partitioner-aware union's partition prefers the workers holding the most of its inputs' partitions", () => {
  const p = plan(
    3,
    node(0, 2, range(2), [], 'MEMORY_ONLY'),
    node(1, 2, range(2), [], 'MEMORY_ONLY'),
    node(2, 2, range(2), [], 'MEMORY_ONLY'),
    node(3, 2, { kind: 'partitionerAwareUnion' }, [0, 1, 2]),
  );
  assert.deepEqual(prefs(p, 1, lookup({ '0/1': ['wA'], '1/1': ['wB', 'wA'], '2/1': ['wB', 'wC'] })), ['wA', 'wB']);
  assert.deepEqual(prefs(p, 0, lookup({ '0/1': ['wA'] })), []);
});
