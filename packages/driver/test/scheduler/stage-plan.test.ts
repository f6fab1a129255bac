import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HashPartitioner, PartitionComputer, stageSharedPlan, withTaskPart, type LineageGraph, type NodeOp, type Plan, type PlanNode, type ShuffleSpec, type TaskEnv } from '@sluice/core/internal';
import { partitionsTouched, shuffleBytesOf, shuffleDependencies, shufflesRead, stagePlan, taskSlicer, taskSlices } from '../../src/scheduler/stage-plan.js';

function node(id: number, numPartitions: number, op: NodeOp, parents: number[] = [], shuffleParents: number[] = []): PlanNode {
  return { id, numPartitions, op, parents, shuffleParents, storage: 'NONE' };
}

function graph(root: number, ...nodes: PlanNode[]): LineageGraph {
  return { nodes: Object.fromEntries(nodes.map((n) => [n.id, n])), root };
}

const spec = (shuffleId: number): ShuffleSpec => ({ shuffleId, partitioner: HashPartitioner.of(2), mapSideCombine: false });
const ids = (p: Plan): number[] => Object.keys(p.nodes).map(Number).sort((a, b) => a - b);
const slices = (n: number, tag: string): string[][] => Array.from({ length: n }, (_, i) => [`${tag}${i}a`, `${tag}${i}b`]);

/** Plans here hold no functions and no shuffle reads: a TaskEnv that refuses everything. */
const noEnv: TaskEnv = {
  jobId: 'j',
  revive: () => assert.fail('revive'),
  fetchShuffle: () => assert.fail('fetchShuffle'),
  getCached: async () => undefined,
  putCached: () => undefined,
  getBlock: () => assert.fail('getBlock'),
};

describe('stagePlan', () => {
  // 0 parallelize -> 1 pairWithNull ==shuffle 5==> 2 shuffled -> 3 keys
  //                                                 4 parallelize --┘ (cogroup 6, narrow side)
  const g = graph(
    3,
    node(0, 2, { kind: 'parallelize', slices: slices(2, 'x') }),
    node(1, 2, { kind: 'pairWithNull' }, [0]),
    node(2, 2, { kind: 'shuffled', shuffle: spec(5) }, [], [1]),
    node(3, 2, { kind: 'keys' }, [2]),
    node(4, 2, { kind: 'parallelize', slices: [[['k', 1]], [['q', 2]]] }),
    node(6, 2, { kind: 'cogroup', shuffles: [spec(8), null] }, [-1, 4], [1, -1]),
  );

  test('stops at shuffle reads: the reduce side does not include the map side', () => {
    assert.deepEqual(ids(stagePlan(g, 3)), [2, 3]);
    assert.equal(stagePlan(g, 3).root, 3);
    assert.deepEqual(ids(stagePlan(g, 1)), [0, 1]);
    assert.deepEqual(shufflesRead(stagePlan(g, 3)), [5]);
    assert.deepEqual(shufflesRead(stagePlan(g, 1)), []);
  });

  test('a cogroup keeps its narrow inputs and drops its shuffled ones', () => {
    assert.deepEqual(ids(stagePlan(g, 6)), [4, 6]);
    assert.deepEqual(shufflesRead(stagePlan(g, 6)), [8]);
  });

  test('shuffleDependencies lists every shuffle with its map side', () => {
    const deps = shuffleDependencies(g);
    assert.deepEqual([...deps.keys()].sort(), [5, 8]);
    assert.equal(deps.get(5)?.mapSide, 1);
    assert.equal(deps.get(8)?.mapSide, 1);
    assert.equal(deps.get(5)?.spec.shuffleId, 5);
  });

  test('a node reached twice (diamond) is included once', () => {
    const d = graph(3, node(0, 1, { kind: 'range', start: 0, end: 4, step: 1 }), node(1, 1, { kind: 'keys' }, [0]), node(2, 1, { kind: 'values' }, [0]), node(3, 2, { kind: 'union', parts: [[0, 0], [1, 0]] }, [1, 2]));
    assert.deepEqual(ids(stagePlan(d, 3)), [0, 1, 2, 3]);
  });
});

/** The plan a task over `partition` runs on a worker: its stage's shared plan with the task's own slices put back. */
function planForPartition(plan: Plan, partition: number): Plan {
  const slices = taskSlices(plan, partition);
  return withTaskPart({ plan: stageSharedPlan(plan), kind: 'result', mapOutputs: {} }, slices === undefined ? undefined : { slices }).plan;
}

describe('a task\'s slices of parallelized data (taskSlices, stageSharedPlan, withTaskPart)', () => {
  const A = slices(2, 'a');
  const B = slices(3, 'b');
  const C = slices(4, 'c');
  const L = slices(2, 'l');
  const R = slices(3, 'r');
  // union(A, B) | coalesce(C, [[0, 2], [1, 3]]) | cartesian(L, R), each under its own root.
  const union = stagePlan(graph(2, node(0, 2, { kind: 'parallelize', slices: A }), node(1, 3, { kind: 'parallelize', slices: B }), node(2, 5, { kind: 'union', parts: [[0, 0], [0, 1], [1, 0], [1, 1], [1, 2]] }, [0, 1])), 2);
  const coalesce = stagePlan(graph(1, node(0, 4, { kind: 'parallelize', slices: C }), node(1, 2, { kind: 'coalesce', groups: [[0, 2], [1, 3]] }, [0])), 1);
  const cartesian = stagePlan(graph(2, node(0, 2, { kind: 'parallelize', slices: L }), node(1, 3, { kind: 'parallelize', slices: R }), node(2, 6, { kind: 'cartesian', rightPartitions: 3 }, [0, 1])), 2);

  const kept = (p: Plan, id: number): number[] => {
    const op = p.nodes[id].op;
    assert.equal(op.kind, 'parallelize');
    return op.kind === 'parallelize' ? op.slices.flatMap((s, i) => (s ? [i] : [])) : [];
  };

  test('union: only the one parent slice the partition maps to', () => {
    assert.deepEqual([kept(planForPartition(union, 0), 0), kept(planForPartition(union, 0), 1)], [[0], []]);
    assert.deepEqual([kept(planForPartition(union, 1), 0), kept(planForPartition(union, 1), 1)], [[1], []]);
    assert.deepEqual([kept(planForPartition(union, 3), 0), kept(planForPartition(union, 3), 1)], [[], [1]]);
    assert.deepEqual([kept(planForPartition(union, 4), 0), kept(planForPartition(union, 4), 1)], [[], [2]]);
  });

  test('coalesce: the slices of its group', () => {
    assert.deepEqual(kept(planForPartition(coalesce, 0), 0), [0, 2]);
    assert.deepEqual(kept(planForPartition(coalesce, 1), 0), [1, 3]);
  });

  test('cartesian: one left and one right slice', () => {
    for (let p = 0; p < 6; p++) {
      const cut = planForPartition(cartesian, p);
      assert.deepEqual([kept(cut, 0), kept(cut, 1)], [[Math.floor(p / 3)], [p % 3]], `partition ${p}`);
    }
  });

  test('kept slices are the original arrays; the input plan is not changed', () => {
    const cut = planForPartition(coalesce, 1);
    const op = cut.nodes[0].op;
    assert.ok(op.kind === 'parallelize' && op.slices[1] === C[1] && op.slices[3] === C[3]);
    assert.deepEqual(kept(coalesce, 0), [0, 1, 2, 3]);
    assert.equal(cut.nodes[1], coalesce.nodes[1], 'other nodes are shared');
  });

  test('taskSlicer gives what taskSlices gives, for every partition of narrow, union, coalesce and cartesian plans', () => {
    const D = slices(4, 'd');
    const E = slices(4, 'e');
    // Two parallelized parents zipped (every node maps i to i), under a map.
    const narrow = stagePlan(graph(3, node(0, 4, { kind: 'parallelize', slices: D }), node(1, 4, { kind: 'parallelize', slices: E }), node(2, 4, { kind: 'keys' }, [0, 1]), node(3, 4, { kind: 'values' }, [2])), 3);
    for (const [name, p] of [['narrow', narrow], ['union', union], ['coalesce', coalesce], ['cartesian', cartesian]] as const) {
      const n = p.nodes[p.root].numPartitions;
      const slicer = taskSlicer(p);
      for (let i = 0; i < n; i++) assert.deepStrictEqual(slicer(i), taskSlices(p, i), `${name} partition ${i}`);
    }
    // The narrow plan, independently: slice i of each parallelized node.
    assert.deepStrictEqual(taskSlicer(narrow)(2), [0, 2, D[2], 1, 2, E[2]]);
    assert.equal(taskSlicer(stagePlan(graph(0, node(0, 3, { kind: 'range', start: 0, end: 9, step: 1 })), 0))(1), undefined);
  });

  test('a plan without parallelize nodes is returned as is', () => {
    const p = stagePlan(graph(1, node(0, 3, { kind: 'range', start: 0, end: 9, step: 1 }), node(1, 3, { kind: 'glom' }, [0])), 1);
    assert.equal(planForPartition(p, 2), p);
  });

  test('nested: union of a coalesce and a cartesian, and partitionsTouched', () => {
    const nested = stagePlan(
      graph(
        6,
        node(0, 4, { kind: 'parallelize', slices: C }),
        node(1, 2, { kind: 'coalesce', groups: [[3, 0], [1, 2]] }, [0]),
        node(2, 2, { kind: 'parallelize', slices: L }),
        node(3, 3, { kind: 'parallelize', slices: R }),
        node(4, 6, { kind: 'cartesian', rightPartitions: 3 }, [2, 3]),
        node(5, 6, { kind: 'keys' }, [4]),
        node(6, 8, { kind: 'union', parts: [[0, 0], [0, 1], [1, 0], [1, 1], [1, 2], [1, 3], [1, 4], [1, 5]] }, [1, 5]),
      ),
      6,
    );
    const t = partitionsTouched(nested, 1);
    assert.deepEqual([...(t.get(0) ?? [])].sort(), [1, 2]);
    assert.equal(t.has(2), false);
    const cut = planForPartition(nested, 6); // union 6 -> keys 4 -> cartesian 4 -> left 1, right 1
    assert.deepEqual([kept(cut, 0), kept(cut, 2), kept(cut, 3)], [[], [1], [1]]);
  });

  test('property: a task computes the same records from the cut plan as from the whole plan', async () => {
    for (const p of [union, coalesce, cartesian]) {
      const n = p.nodes[p.root].numPartitions;
      for (let split = 0; split < n; split++) {
        const whole = await new PartitionComputer(p, noEnv, {}).collect(p.root, split);
        const cut = await new PartitionComputer(planForPartition(p, split), noEnv, {}).collect(p.root, split);
        assert.deepEqual(cut, whole, `partition ${split}`);
        assert.ok(whole.length > 0);
      }
    }
  });
});

describe('shuffleBytesOf', () => {
  const shuffled = (id: number, shuffleId: number, n: number): PlanNode => node(id, n, { kind: 'shuffled', shuffle: { shuffleId, partitioner: HashPartitioner.of(n), mapSideCombine: false } }, [], [-1]);
  // Shuffle 7 of 5 partitions, shuffle 9 of 11: partition p of each weighs (shuffle + 1) * 100 + p.
  const sizes = new Map([7, 9].map((s) => [s, Float64Array.from({ length: s === 7 ? 5 : 11 }, (_, p) => (s + 1) * 100 + p)] as const));

  test("a union's partition weighs its member's shuffle partition: partition 5 of 5 + 11 is the second's 0", () => {
    const union: Plan = { root: 3, nodes: Object.fromEntries([shuffled(1, 7, 5), shuffled(2, 9, 11), node(3, 16, { kind: 'union', parts: [...Array.from({ length: 5 }, (_, i) => [0, i] as const), ...Array.from({ length: 11 }, (_, i) => [1, i] as const)] }, [1, 2])].map((n) => [n.id, n])) };
    const bytesOf = shuffleBytesOf(union, sizes);
    assert.deepEqual(Array.from({ length: 16 }, (_, p) => bytesOf(p)), [800, 801, 802, 803, 804, ...Array.from({ length: 11 }, (_, j) => 1000 + j)]);
  });

  test('without a union, coalesce or cartesian, partition p weighs partition p of every shuffle read (a cogroup)', () => {
    const spec5 = (shuffleId: number): ShuffleSpec => ({ shuffleId, partitioner: HashPartitioner.of(5), mapSideCombine: false });
    const joined: Plan = { root: 3, nodes: { 3: node(3, 5, { kind: 'cogroup', shuffles: [spec5(7), spec5(9)] }, [-1, -1], [1, 2]) } };
    assert.deepEqual([0, 4].map(shuffleBytesOf(joined, sizes)), [800 + 1000, 804 + 1004]);
  });

  test('a coalesced partition weighs the shuffle partitions it concatenates', () => {
    const coalesced: Plan = { root: 2, nodes: Object.fromEntries([shuffled(1, 9, 11), node(2, 2, { kind: 'coalesce', groups: [[0, 1, 2], [10]] }, [1])].map((n) => [n.id, n])) };
    assert.deepEqual([0, 1].map(shuffleBytesOf(coalesced, sizes)), [1000 + 1001 + 1002, 1010]);
  });
});
