// The DAGScheduler on a worker's loss, against a fake cluster (the real WorkerRegistry and
// TaskScheduler, endpoints that hold each launch until the test answers it), as Spark's
// DAGSchedulerSuite's executor-lost cases: the lost worker's map outputs are forgotten at once
// ("shuffle files lost when worker lost without shuffle service"); a map task that succeeded on
// it runs again before the reduce stage starts ("run trivial shuffle with out-of-band executor
// failure and retry"); and a reduce stage reading its outputs is not killed: its running tasks
// that fetched their inputs finish and count, without the map stage running again; one whose
// task would launch without them fails as a fetch failure, its running tasks going on (a
// zombie), and only the lost map output and the missing partitions run again.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { LineageGraph } from '@sluice/core/internal';
import { SHUFFLE, cluster, graph, mapDone, resultOf } from './dag-cluster.js';
import { settle } from './scheduler-fakes.js';

describe("DAGScheduler: a worker lost (Spark's DAGSchedulerSuite executor-lost cases)", () => {
  test('shuffle files lost when the worker is lost (no external shuffle service): its map outputs are forgotten at once, the others kept', async () => {
    const c = cluster({ wA: 1, wB: 1, wC: 1 });
    const run = c.dag.runJob('job1', graph(2, 2), { kind: 'collect' }, [0, 1]);
    await settle();
    const maps = c.waiting();
    const [onA, onOther] = Object.keys(maps).filter((w) => maps[w].length === 1);
    const [pA, pOther] = [Number(maps[onA][0].split('/')[1]), Number(maps[onOther][0].split('/')[1])];
    await c.answer(onA, 0, pA, mapDone());
    await c.answer(onOther, 0, pOther, mapDone());
    assert.equal(c.dag.mapOutputs.locations('job1', SHUFFLE)?.length, 2);
    await c.lose(onA);
    assert.equal(c.dag.mapOutputs.locations('job1', SHUFFLE), undefined, 'a map output is missing');
    assert.deepEqual(c.dag.mapOutputs.missing('job1', SHUFFLE, 2), [pA]);
    c.dag.endJob('job1');
    await run.catch(() => undefined);
  });

  test("run trivial shuffle with out-of-band worker failure and retry: the map task that succeeded on the lost worker runs again, then the reduce stage", async () => {
    const c = cluster({ wA: 1, wB: 1 });
    const run = c.dag.runJob('job1', graph(2, 1), { kind: 'collect' }, [0]);
    await settle();
    const pA = Number(c.waiting().wA[0].split('/')[1]);
    await c.answer('wA', 0, pA, mapDone());
    await c.lose('wA');
    await c.answer('wB', 0, 1 - pA, mapDone());
    // The map stage is not complete: the task that ran on wA runs again (on wB), not the reduce stage.
    assert.deepEqual(c.waiting(), { wA: [], wB: [`0/${pA}`] });
    await c.answer('wB', 0, pA, mapDone());
    assert.deepEqual(c.waiting().wB, ['1/0']);
    await c.answer('wB', 1, 0, resultOf('r0'));
    assert.deepEqual((await run).values, ['r0']);
  });

  test("a reduce stage whose tasks all run when a worker holding map outputs is lost: none killed, their results kept, the map stage not run again", async () => {
    const c = cluster({ wA: 1, wB: 1, wC: 1 });
    const ends: string[] = [];
    c.dag.addListener({ onTaskEnd: (e) => void ends.push(`${e.stageId}/${e.partition}:${e.reason}`), onStageCompleted: (e) => void ends.push(`stage ${e.stageId}.${e.stageAttempt}${e.failure === undefined ? '' : ` failed: ${e.failure}`}`) });
    const run = c.dag.runJob('job1', graph(3, 2), { kind: 'collect' }, [0, 1]);
    await settle();
    for (const [w, l] of Object.entries(c.waiting())) await c.answer(w, 0, Number(l[0].split('/')[1]), mapDone());
    // Two reduce tasks on three one-core workers: one worker holds a map output and runs none.
    const reducing = c.waiting();
    const idle = Object.keys(reducing).find((w) => reducing[w].length === 0)!;
    assert.ok(idle, JSON.stringify(reducing));
    await c.lose(idle);
    assert.deepEqual(c.kills, [], 'no reduce task killed');
    for (const [w, l] of Object.entries(reducing)) for (const t of l) await c.answer(w, 1, Number(t.split('/')[1]), resultOf(`r${t.split('/')[1]}`));
    assert.deepEqual((await run).values, ['r0', 'r1']);
    const launches = [...c.fakes.values()].reduce((n, f) => n + f.launched, 0);
    assert.equal(launches, 3 + 2, 'each map and reduce task launched once');
    assert.deepEqual(ends.filter((e) => e.startsWith('stage')), ['stage 0.0', 'stage 1.0']);
  });

  test("a map stage reading another shuffle, all its tasks running as a worker holding that shuffle's outputs is lost: it completes and the result stage runs, the first map stage not run again", async () => {
    const c = cluster({ wA: 1, wB: 1, wC: 1 });
    // range(3) -> shuffle 0 into 2 -> shuffle 1 into 1 -> collect: stages 0 and 1 map, 2 result.
    const g = graph(3, 2);
    const two: LineageGraph = {
      root: 2,
      nodes: { ...g.nodes, 2: { id: 2, numPartitions: 1, op: { kind: 'shuffled', shuffle: { shuffleId: 1, partitioner: { kind: 'hash', numPartitions: 1 }, mapSideCombine: false } }, parents: [], shuffleParents: [1], storage: 'NONE' } },
    };
    const run = c.dag.runJob('job1', two, { kind: 'collect' }, [0]);
    await settle();
    for (const [w, l] of Object.entries(c.waiting())) await c.answer(w, 0, Number(l[0].split('/')[1]), mapDone());
    const second = c.waiting();
    const idle = Object.keys(second).find((w) => second[w].length === 0)!;
    assert.ok(idle, JSON.stringify(second));
    await c.lose(idle);
    assert.deepEqual(c.kills, []);
    for (const [w, l] of Object.entries(second)) for (const t of l) await c.answer(w, 1, Number(t.split('/')[1]), mapDone());
    const [w3] = Object.entries(c.waiting()).find(([, l]) => l.length > 0)!;
    assert.deepEqual(c.waiting()[w3], ['2/0'], 'the result stage runs next, not stage 0 again');
    await c.answer(w3, 2, 0, resultOf('r0'));
    assert.deepEqual((await run).values, ['r0']);
  });

  test('a reduce stage with a task pending when the worker is lost: it fails as a fetch failure at once, its running task goes on and counts; only the lost map output and the missing partitions run again', async () => {
    const c = cluster({ wA: 1, wB: 1 });
    const failures: string[] = [];
    c.dag.addListener({ onStageCompleted: (e) => void (e.failure !== undefined && failures.push(`${e.stageId}.${e.stageAttempt}: ${e.failure}`)) });
    const run = c.dag.runJob('job1', graph(2, 3), { kind: 'collect' }, [0, 1, 2]);
    await settle();
    const pA = Number(c.waiting().wA[0].split('/')[1]);
    await c.answer('wA', 0, pA, mapDone());
    await c.answer('wB', 0, 1 - pA, mapDone());
    // Three reduce tasks on two slots: one pending.
    const reducing = c.waiting();
    const onB = Number(reducing.wB[0].split('/')[1]);
    await c.lose('wA');
    assert.deepEqual(failures, ['1.0: worker wA holding map outputs was lost']);
    assert.deepEqual(c.kills, [], "the zombie's running task is not killed");
    // The map stage runs again for wA's output alone; wB is busy with the zombie's task.
    assert.deepEqual(c.waiting(), { wA: [], wB: [`1/${onB}`] });
    await c.answer('wB', 1, onB, resultOf(`r${onB}`));
    assert.deepEqual(c.waiting().wB, [`0/${pA}`]);
    await c.answer('wB', 0, pA, mapDone());
    // The new reduce attempt: the two partitions the zombie did not compute.
    const missing = [0, 1, 2].filter((p) => p !== onB);
    assert.deepEqual(c.waiting().wB, [`1/${missing[0]}`]);
    await c.answer('wB', 1, missing[0], resultOf(`r${missing[0]}`));
    await c.answer('wB', 1, missing[1], resultOf(`r${missing[1]}`));
    assert.deepEqual((await run).values, ['r0', 'r1', 'r2']);
  });
});
