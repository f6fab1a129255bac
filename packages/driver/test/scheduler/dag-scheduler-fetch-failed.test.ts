// The DAGScheduler on fetch failures, against a fake cluster (dag-cluster.ts: the real
// WorkerRegistry and TaskScheduler, endpoints that hold each launch until the test answers it),
// as Spark's DAGSchedulerSuite's FetchFailed and resubmission cases.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SHUFFLE, cluster, fetchFailed, graph, mapDone, resultOf } from './dag-cluster.js';
import { settle } from './scheduler-fakes.js';

/** The partition of a launch listed by `waiting()` / `attempts()` ('stage[.attempt]/partition'). */
const part = (t: string): number => Number(t.split('/')[1]);

describe("DAGScheduler: fetch failures (Spark's DAGSchedulerSuite FetchFailed cases)", () => {
  test("a zombie's stale fetch failure on a worker keeps the map outputs registered there again since (Spark's epoch check): no map task runs a third time", async () => {
    const c = cluster({ wA: 2, wB: 1 });
    const starts: string[] = [];
    c.dag.addListener({ onTaskStart: (e) => void starts.push(`${e.stageId}.${e.stageAttempt}/${e.partition}`) });
    const run = c.dag.runJob('job1', graph(4, 3), { kind: 'collect' }, [0, 1, 2]);
    await settle();
    // Map stage 0.0: wA's two slots take maps 0, 2 then 3; wB map 1.
    assert.deepEqual(c.attempts(), { wA: ['0.0/0', '0.0/2'], wB: ['0.0/1'] });
    await c.answer('wA', 0, 0, mapDone());
    await c.answer('wA', 0, 2, mapDone());
    await c.answer('wB', 0, 1, mapDone());
    await c.answer('wA', 0, 3, mapDone());
    // Reduce stage 1.0: all three tasks run; the one on wB fails fetching map 0 from wA.
    assert.deepEqual(c.attempts(), { wA: ['1.0/0', '1.0/2'], wB: ['1.0/1'] });
    await c.answer('wB', 1, 1, fetchFailed('wA', 0));
    // wA's outputs (maps 0, 2, 3) are forgotten; map stage 0.1 runs them, wB's slot first. 1.0 is a zombie.
    assert.deepEqual(c.dag.mapOutputs.missing('job1', SHUFFLE, 4), [0, 2, 3]);
    assert.deepEqual(c.attempts(), { wA: ['1.0/0', '1.0/2'], wB: ['0.1/0'] });
    // A zombie task succeeds: its slot on wA takes map 2, which registers on wA again.
    await c.answer('wA', 1, 0, resultOf('r0'));
    assert.deepEqual(c.attempts(), { wA: ['1.0/2', '0.1/2'], wB: ['0.1/0'] });
    await c.answer('wA', 0, 2, mapDone());
    assert.deepEqual(c.dag.mapOutputs.missing('job1', SHUFFLE, 4), [0, 3]);
    // The zombie's other task now reports its fetch failure of map 2 on wA: about the output
    // its task set was given, not the one registered since.
    await c.answer('wA', 1, 2, fetchFailed('wA', 2), 0);
    assert.deepEqual(c.dag.mapOutputs.missing('job1', SHUFFLE, 4), [0, 3], "map 2's new output on wA stays");
    assert.deepEqual(c.attempts(), { wA: ['0.1/3'], wB: ['0.1/0'] });
    await c.answer('wA', 0, 3, mapDone());
    await c.answer('wB', 0, 0, mapDone());
    // Reduce stage 1.1: the partitions the zombie did not compute.
    const reduces = c.attempts();
    assert.deepEqual(Object.values(reduces).flat().sort(), ['1.1/1', '1.1/2']);
    for (const [w, l] of Object.entries(reduces)) for (const t of l) await c.answer(w, 1, part(t), resultOf(`r${part(t)}`));
    assert.deepEqual((await run).values, ['r0', 'r1', 'r2']);
    const mapRuns = starts.filter((s) => s.startsWith('0.'));
    assert.deepEqual(mapRuns, ['0.0/0', '0.0/1', '0.0/2', '0.0/3', '0.1/0', '0.1/2', '0.1/3'], 'each lost map task ran once more, none a third time');
  });
});
