// The RDD lists (Spark's StageInfo.rddInfos) the DAGScheduler names stages with: a map stage
// named by several actions (a stream's every batch names the stages of its whole lineage,
// computed ones too) gets one array while its RDDs stay the same, so the UI's kept jobs and
// stages share it instead of holding a copy each; a changed list is a new array; the shared
// arrays go with their shuffle.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LineageGraph } from '@sluice/core/internal';
import type { JobStartEvent, StageSubmittedEvent } from '../../src/scheduler/scheduler-listener.js';
import { SHUFFLE, cluster, graph, mapDone, resultOf } from './dag-cluster.js';
import { settle } from './scheduler-fakes.js';

/** graph(2, 1) with its map side (node 0) persisted. */
function cachedMapSide(): LineageGraph {
  const g = graph(2, 1);
  return { ...g, nodes: { ...g.nodes, 0: { ...g.nodes[0], storage: 'MEMORY_ONLY' } } };
}

test("a map stage named by several actions: one RDD list while it is the same, a new one when it changed, none kept once its shuffle is removed", async () => {
  const c = cluster({ wA: 2 });
  const starts: JobStartEvent[] = [];
  const submitted: StageSubmittedEvent[] = [];
  c.dag.addListener({ onJobStart: (e) => void starts.push(e), onStageSubmitted: (e) => void submitted.push(e) });
  // The map stage's RDDs, as written from graph(): node 0, a 2-partition range, not persisted.
  const mapRdds = [{ id: 0, name: 'RDD 0', numPartitions: 2, parentIds: [], cached: false }];

  // Action 0 runs the map stage (stage 0) and its result stage (1).
  const first = c.dag.runJob('job1', graph(2, 1), { kind: 'collect' }, [0]);
  await settle();
  await c.answer('wA', 0, 0, mapDone());
  await c.answer('wA', 0, 1, mapDone());
  await c.answer('wA', 1, 0, resultOf('a'));
  assert.deepEqual((await first).values, ['a']);
  // Action 1 skips the map stage (its outputs are there) and runs result stage 2.
  const second = c.dag.runJob('job1', graph(2, 1), { kind: 'collect' }, [0]);
  await settle();
  await c.answer('wA', 2, 0, resultOf('b'));
  assert.deepEqual((await second).values, ['b']);

  const mapInfo = (e: JobStartEvent) => e.stageInfos?.find((i) => i.stageId === 0);
  assert.deepEqual(mapInfo(starts[0])?.rdds, mapRdds);
  assert.equal(mapInfo(starts[1])?.rdds, mapInfo(starts[0])?.rdds, "the second action's start names the map stage with the first's array");
  const mapSubmitted = submitted.find((e) => e.stageId === 0);
  assert.equal(mapSubmitted?.rdds, mapInfo(starts[0])?.rdds, 'the map stage attempt has the same array');
  // A result stage: its start and its attempt share one array.
  const resultInfo = starts[1].stageInfos?.find((i) => i.stageId === 2);
  assert.deepEqual(resultInfo?.rdds?.map((r) => r.id), [1]);
  assert.equal(submitted.find((e) => e.stageId === 2)?.rdds, resultInfo?.rdds);
  assert.equal(c.dag.jobTableSizes('job1')?.mapStageRdds, 1);

  // The map side persisted since: the list says so, in a new array.
  const third = c.dag.runJob('job1', cachedMapSide(), { kind: 'collect' }, [0]);
  await settle();
  await c.answer('wA', 3, 0, resultOf('c'));
  await third;
  const changed = mapInfo(starts[2])?.rdds;
  assert.deepEqual(changed, [{ ...mapRdds[0], cached: true }]);
  assert.notEqual(changed, mapInfo(starts[0])?.rdds);

  c.dag.removeShuffles('job1', [SHUFFLE]);
  assert.equal(c.dag.jobTableSizes('job1')?.mapStageRdds, 0, 'the shared list goes with its shuffle');
  c.dag.endJob('job1');
});
