// The DAGScheduler on fetch failures, against a fake cluster (dag-cluster.ts: the real
// WorkerRegistry and TaskScheduler, endpoints that hold each launch until the test answers it),
// as Spark's DAGSchedulerSuite's FetchFailed and resubmission cases.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { LineageGraph } from '@sluice/core/internal';
import type { LaunchResult } from '../../src/rpc/worker-endpoint.js';
import { SHUFFLE, cluster, fetchFailed, graph, mapDone, resultOf } from './dag-cluster.js';
import { settle } from './scheduler-fakes.js';

/** The partition of a launch listed by `waiting()` / `attempts()` ('stage[.attempt]/partition'). */
const part = (t: string): number => Number(t.split('/')[1]);

type Cluster = ReturnType<typeof cluster>;

/** Answer every launch of stage `stageId` (attempt `stageAttempt` when given) with `r(partition)`, those launched meanwhile too, until none waits. */
async function answerStage(c: Cluster, stageId: number, r: (partition: number) => LaunchResult, stageAttempt?: number): Promise<void> {
  const prefix = stageAttempt === undefined ? `${stageId}.` : `${stageId}.${stageAttempt}/`;
  for (;;) {
    const next = Object.entries(c.attempts()).flatMap(([w, l]) => l.filter((t) => t.startsWith(prefix)).map((t) => [w, t] as const))[0];
    if (next === undefined) return;
    await c.answer(next[0], stageId, part(next[1]), r(part(next[1])), Number(next[1].split('/')[0].split('.')[1]));
  }
}

/** range(0, 2) -> shuffle 0 into 2 -> shuffle 1 into 1 -> collect: stage 0 maps shuffle 0, stage 1 shuffle 1, stage 2 the result. */
function twoShuffles(): LineageGraph {
  const g = graph(2, 2);
  return {
    root: 2,
    nodes: { ...g.nodes, 2: { id: 2, numPartitions: 1, op: { kind: 'shuffled', shuffle: { shuffleId: 1, partitioner: { kind: 'hash', numPartitions: 1 }, mapSideCombine: false } }, parents: [], shuffleParents: [1], storage: 'NONE' } },
  };
}

/**
 * Answer launches until `run` settles (`reads`: the shuffle each stage reads, by stage id; `resultStage` the one computing results): each stage attempt `failing(stageId)` says fails (each of
 * its tasks a fetch failure of map 0 of the shuffle it reads, from the worker that held it), the
 * others succeed (a map task's output, a result task's 'r<partition>'). Returns the run's values
 * or its error's message.
 */
async function drive(c: Cluster, run: Promise<{ values: unknown[] }>, reads: Record<number, number>, resultStage: number, failing: (stageId: number, stageAttempt: number) => boolean): Promise<unknown[] | string> {
  let out: unknown[] | string | undefined;
  run.then((r) => (out = r.values), (e: Error) => (out = e.message));
  const holders = new Map<string, string>();
  for (let steps = 0; steps < 500; steps++) {
    await settle();
    if (out !== undefined) return out;
    const next = Object.entries(c.attempts()).flatMap(([w, l]) => l.map((t) => [w, t] as const))[0];
    assert.ok(next !== undefined, 'a launch waits while the action runs');
    const [w, t] = next;
    const [stageId, stageAttempt] = t.split('/')[0].split('.').map(Number);
    const p = part(t);
    let r: LaunchResult;
    if (failing(stageId, stageAttempt)) {
      const key = `${stageId}.${stageAttempt}`;
      const shuffleId = reads[stageId];
      if (!holders.has(key)) holders.set(key, c.dag.mapOutputs.locations('job1', shuffleId)?.[0]?.workerId ?? 'gone');
      const f = fetchFailed(holders.get(key)!, 0);
      if (f.ok) f.outcome.fetch_failed!.shuffle_id = shuffleId;
      r = f;
    } else r = stageId === resultStage ? resultOf(`r${p}`) : mapDone();
    await c.answer(w, stageId, p, r, stageAttempt);
  }
  assert.fail('the action did not end');
}

/** Stage submissions and task starts as the listeners hear them: 'stage.attempt' and 'stage.attempt/partition'. */
function record(c: Cluster) {
  const submitted: string[] = [];
  const starts: string[] = [];
  const completed: string[] = [];
  c.dag.addListener({
    onStageSubmitted: (e) => void submitted.push(`${e.stageId}.${e.stageAttempt}`),
    onStageCompleted: (e) => void completed.push(`${e.stageId}.${e.stageAttempt}${e.failure === undefined ? '' : ' failed'}`),
    onTaskStart: (e) => void starts.push(`${e.stageId}.${e.stageAttempt}/${e.partition}`),
  });
  return { submitted, starts, completed };
}

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

  test("late fetch failures don't cause multiple concurrent attempts for the same map stage: a zombie's fetch failure while the map stage runs again waits for it", async () => {
    const c = cluster({ wA: 1, wB: 1 });
    const r = record(c);
    const run = c.dag.runJob('job1', graph(2, 2), { kind: 'collect' }, [0, 1]);
    await settle();
    // wA runs one map (mA), wB the other (mB); then a reduce task each.
    const mA = part(c.attempts().wA[0]);
    const mB = 1 - mA;
    assert.deepEqual(c.attempts(), { wA: [`0.0/${mA}`], wB: [`0.0/${mB}`] });
    await answerStage(c, 0, () => mapDone());
    const rA = part(c.attempts().wA[0]);
    const rB = 1 - rA;
    assert.deepEqual(c.attempts(), { wA: [`1.0/${rA}`], wB: [`1.0/${rB}`] });
    // Reduce task rA fails fetching map mA from wA: the map stage runs mA again (on wA, its task's slot).
    await c.answer('wA', 1, rA, fetchFailed('wA', mA));
    assert.deepEqual(r.submitted, ['0.0', '1.0', '0.1']);
    assert.deepEqual(c.attempts(), { wA: [`0.1/${mA}`], wB: [`1.0/${rB}`] });
    // The zombie's other task fails fetching map mB from wB while 0.1 runs: wB's output is
    // forgotten too, but no second attempt of the map stage runs beside 0.1.
    await c.answer('wB', 1, rB, fetchFailed('wB', mB));
    assert.deepEqual(c.dag.mapOutputs.missing('job1', SHUFFLE, 2), [0, 1]);
    assert.deepEqual(r.submitted, ['0.0', '1.0', '0.1']);
    assert.deepEqual(c.attempts(), { wA: [`0.1/${mA}`], wB: [] });
    // Once 0.1 ends, map mB runs (0.2), then the reduce stage (1.1) for both partitions.
    await c.answer('wA', 0, mA, mapDone());
    assert.deepEqual(r.submitted, ['0.0', '1.0', '0.1', '0.2']);
    await answerStage(c, 0, () => mapDone());
    assert.deepEqual(r.submitted, ['0.0', '1.0', '0.1', '0.2', '1.1']);
    await answerStage(c, 1, (p) => resultOf(`r${p}`));
    assert.deepEqual((await run).values, ['r0', 'r1']);
    assert.deepEqual(r.starts.filter((t) => t.startsWith('0.')).sort(), ['0.0/0', '0.0/1', `0.1/${mA}`, `0.2/${mB}`], 'each map ran once more, in one attempt at a time');
  });

  test("extremely late fetch failures don't cause multiple concurrent attempts for the same stage: a zombie's fetch failure after the stage was submitted again is ignored", async () => {
    const c = cluster({ wA: 1, wB: 1, wC: 1 });
    const r = record(c);
    const run = c.dag.runJob('job1', graph(2, 2), { kind: 'collect' }, [0, 1]);
    await settle();
    await answerStage(c, 0, () => mapDone());
    const reduce = c.attempts();
    const [w0] = Object.entries(reduce).find(([, l]) => l.includes('1.0/0'))!;
    const [w1] = Object.entries(reduce).find(([, l]) => l.includes('1.0/1'))!;
    const holderOf1 = c.dag.mapOutputs.locations('job1', SHUFFLE)![1].workerId;
    const holderOf0 = c.dag.mapOutputs.locations('job1', SHUFFLE)![0].workerId;
    await c.answer(w0, 1, 0, fetchFailed(holderOf0, 0));
    await answerStage(c, 0, () => mapDone());
    // The map stage ran again and the reduce stage's attempt 1 was submitted (both partitions: the zombie's task has not ended).
    assert.deepEqual(r.submitted, ['0.0', '1.0', '0.1', '1.1']);
    // The zombie's task 1 now fails fetching map 1: ignored, its output kept, no map stage attempt.
    await c.answer(w1, 1, 1, fetchFailed(holderOf1, 1), 0);
    assert.deepEqual(c.dag.mapOutputs.missing('job1', SHUFFLE, 2), []);
    assert.deepEqual(r.submitted, ['0.0', '1.0', '0.1', '1.1']);
    await answerStage(c, 1, (p) => resultOf(`r${p}`), 1);
    assert.deepEqual((await run).values, ['r0', 'r1']);
    assert.deepEqual(r.submitted, ['0.0', '1.0', '0.1', '1.1']);
  });

  test('ignore late map task completions: a success from the stream of a worker declared lost is not taken, not even once the worker registered again under its id', async () => {
    const c = cluster({ wA: 1, wB: 1 });
    const r = record(c);
    const run = c.dag.runJob('job1', graph(2, 2), { kind: 'collect' }, [0, 1]);
    await settle();
    const mA = part(c.attempts().wA[0]);
    const mB = 1 - mA;
    assert.deepEqual(c.attempts(), { wA: [`0.0/${mA}`], wB: [`0.0/${mB}`] });
    // wA is declared lost; its launch has not answered yet. It registers again (a new entry under its id).
    const oldA = c.fakes.get('wA')!;
    c.registry.markLost('wA', 'test');
    c.add({ wA: 1 });
    await settle();
    // Map mA runs again in the same stage attempt, on the new wA.
    assert.deepEqual(c.attempts(), { wA: [`0.0/${mA}`], wB: [`0.0/${mB}`] });
    assert.notEqual(c.fakes.get('wA'), oldA);
    // The old stream's late success of map mA: not taken.
    oldA.waiting.splice(0, 1)[0].resolve(mapDone());
    await settle();
    assert.deepEqual(c.dag.mapOutputs.missing('job1', SHUFFLE, 2), [0, 1]);
    await c.answer('wB', 0, mB, mapDone());
    assert.deepEqual(c.dag.mapOutputs.missing('job1', SHUFFLE, 2), [mA]);
    // The new wA's success is.
    await c.answer('wA', 0, mA, mapDone());
    const where = c.dag.mapOutputs.locations('job1', SHUFFLE)?.map((l) => l.workerId);
    assert.deepEqual(where, mA === 0 ? ['wA', 'wB'] : ['wB', 'wA']);
    await answerStage(c, 1, (p) => resultOf(`r${p}`));
    assert.deepEqual((await run).values, ['r0', 'r1']);
    assert.deepEqual(r.submitted, ['0.0', '1.0']);
  });

  test('map stage with a worker lost and late map task completions: the maps that ran on it run again before the stage completes; a late success from it is not counted', async () => {
    const c = cluster({ wA: 2, wB: 1 });
    const r = record(c);
    const run = c.dag.runJob('job1', graph(3, 2), { kind: 'collect' }, [0, 1]);
    await settle();
    assert.deepEqual(c.attempts(), { wA: ['0.0/0', '0.0/2'], wB: ['0.0/1'] });
    await c.answer('wA', 0, 0, mapDone());
    // wA is declared lost with map 2 still running on it (its stream's answer comes late).
    const oldA = c.fakes.get('wA')!;
    c.registry.markLost('wA', 'test');
    await settle();
    oldA.waiting.splice(0, 1)[0].resolve(mapDone());
    await settle();
    assert.deepEqual(c.dag.mapOutputs.missing('job1', SHUFFLE, 3), [0, 1, 2]);
    await c.answer('wB', 0, 1, mapDone());
    // Maps 0 and 2 (both ran on wA) run again on wB; the stage is not complete until they end.
    assert.deepEqual(r.completed, []);
    await answerStage(c, 0, () => mapDone());
    assert.deepEqual(r.completed, ['0.0']);
    assert.deepEqual(r.starts.filter((s) => s.startsWith('0.')).sort(), ['0.0/0', '0.0/0', '0.0/1', '0.0/2', '0.0/2']);
    assert.deepEqual(c.attempts(), { wA: [], wB: ['1.0/0'] });
    await answerStage(c, 1, (p) => resultOf(`r${p}`));
    assert.deepEqual((await run).values, ['r0', 'r1']);
  });

  test("all shuffle files on the worker a fetch failure names are forgotten (Spark's 'All shuffle files on the slave should be cleaned up when slave lost', SPARK-32003's removeOutputsOnExecutor): both shuffles' outputs there, not only the one that failed; the others stay", async () => {
    const c = cluster({ wA: 1, wB: 1 });
    const r = record(c);
    const run = c.dag.runJob('job1', twoShuffles(), { kind: 'collect' }, [0]);
    await settle();
    // Map stage 0 (shuffle 0): a task on each worker; then map stage 1 (shuffle 1): a task on each.
    const m0 = part(c.attempts().wA[0]);
    assert.deepEqual(c.attempts(), { wA: [`0.0/${m0}`], wB: [`0.0/${1 - m0}`] });
    await answerStage(c, 0, () => mapDone());
    const m1 = part(c.attempts().wA[0]);
    assert.deepEqual(c.attempts(), { wA: [`1.0/${m1}`], wB: [`1.0/${1 - m1}`] });
    await answerStage(c, 1, () => mapDone());
    const holders = (s: number) => c.dag.mapOutputs.locations('job1', s)?.map((l) => l.workerId);
    assert.deepEqual(holders(0), m0 === 0 ? ['wA', 'wB'] : ['wB', 'wA']);
    assert.deepEqual(holders(1), m1 === 0 ? ['wA', 'wB'] : ['wB', 'wA']);
    // The result task fails fetching shuffle 1's output on wA.
    const [rw] = Object.entries(c.attempts()).find(([, l]) => l.length === 1)!;
    const f = fetchFailed('wA', m1);
    if (f.ok) f.outcome.fetch_failed!.shuffle_id = 1;
    await c.answer(rw, 2, 0, f);
    // wA's outputs of both shuffles are forgotten; wB's stay.
    assert.deepEqual(c.dag.mapOutputs.missing('job1', 0, 2), [m0]);
    assert.deepEqual(c.dag.mapOutputs.missing('job1', 1, 2), [m1]);
    // So shuffle 0's lost map runs again, then shuffle 1's, then the result.
    await answerStage(c, 0, () => mapDone());
    await answerStage(c, 1, () => mapDone());
    await answerStage(c, 2, () => resultOf('r0'));
    assert.deepEqual((await run).values, ['r0']);
    assert.deepEqual(r.submitted, ['0.0', '1.0', '2.0', '0.1', '1.1', '2.1']);
    assert.deepEqual(r.starts.filter((s) => !s.endsWith('.0/0') && !s.endsWith('.0/1')), [`0.1/${m0}`, `1.1/${m1}`, '2.1/0']);
  });

  test("ignore late map task completions from a worker a fetch failure named: a zombie's map task finishing there after the failure is not taken (its set's epoch is not past the failure's), and runs again", async () => {
    const c = cluster({ wA: 1, wB: 1 });
    const r = record(c);
    const run = c.dag.runJob('job1', twoShuffles(), { kind: 'collect' }, [0]);
    await settle();
    const m0 = part(c.attempts().wA[0]);
    await answerStage(c, 0, () => mapDone());
    // Map stage 1 reads shuffle 0: its task on wB fails fetching shuffle 0's output on wA; its task on wA runs on (a zombie).
    const m1 = part(c.attempts().wA[0]);
    assert.deepEqual(c.attempts(), { wA: [`1.0/${m1}`], wB: [`1.0/${1 - m1}`] });
    await c.answer('wB', 1, 1 - m1, fetchFailed('wA', m0));
    assert.deepEqual(c.dag.mapOutputs.missing('job1', 0, 2), [m0]);
    // Shuffle 0's lost map runs again on wB; meanwhile the zombie's task on wA succeeds: not taken.
    assert.deepEqual(c.attempts(), { wA: [`1.0/${m1}`], wB: [`0.1/${m0}`] });
    await c.answer('wA', 1, m1, mapDone(), 0);
    assert.deepEqual(c.dag.mapOutputs.missing('job1', 1, 2), [0, 1]);
    await answerStage(c, 0, () => mapDone());
    // Map stage 1's next attempt runs both its partitions; its outputs on wA are taken now (a later epoch).
    assert.deepEqual(Object.values(c.attempts()).flat().sort(), ['1.1/0', '1.1/1']);
    await answerStage(c, 1, () => mapDone());
    assert.deepEqual(c.dag.mapOutputs.missing('job1', 1, 2), []);
    await answerStage(c, 2, () => resultOf('r0'));
    assert.deepEqual((await run).values, ['r0']);
    assert.deepEqual(r.submitted, ['0.0', '1.0', '0.1', '1.1', '2.0']);
  });

  test('multiple consecutive stage fetch failures abort the job: the 4th failed attempt of the result stage (spark.stage.maxConsecutiveAttempts) fails it with Spark\'s message', async () => {
    const c = cluster({ wA: 1, wB: 1 });
    const r = record(c);
    const run = c.dag.runJob('job1', graph(2, 2), { kind: 'collect' }, [0, 1]);
    const out = await drive(c, run, { 1: 0 }, 1, (stageId) => stageId === 1);
    assert.match(String(out), /^Job aborted due to stage failure: ResultStage 1 \(collect\) has failed the maximum allowable number of times: 4\. Most recent failure reason:\ncannot fetch shuffle_job1_0_0 from w[AB]$/);
    assert.deepEqual(r.submitted, ['0.0', '1.0', '0.1', '1.1', '0.2', '1.2', '0.3', '1.3']);
  });

  test("spark.stage.maxConsecutiveAttempts set (the driver's maxConsecutiveStageAttempts, --stage-max-consecutive-attempts): 2 aborts at the 2nd failed attempt, 1 at the first, naming the limit", async () => {
    for (const max of [2, 1, 0]) {
      const c = cluster({ wA: 1, wB: 1 }, { maxConsecutiveStageAttempts: max });
      const r = record(c);
      const run = c.dag.runJob('job1', graph(2, 2), { kind: 'collect' }, [0, 1]);
      const out = await drive(c, run, { 1: 0 }, 1, (stageId) => stageId === 1);
      // Spark's check: the failed attempts, counted with this one, >= the setting.
      const failedAttempts = Math.max(max, 1);
      assert.match(String(out), new RegExp(`^Job aborted due to stage failure: ResultStage 1 \\(collect\\) has failed the maximum allowable number of times: ${max}\\. Most recent failure reason:\\ncannot fetch shuffle_job1_0_0 from w[AB]$`));
      const expected = ['0.0', '1.0'];
      for (let a = 1; a < failedAttempts; a++) expected.push(`0.${a}`, `1.${a}`);
      assert.deepEqual(r.submitted, expected, `max ${max}`);
    }
  });

  test('a stage whose 4th attempt succeeds after 3 fetch failures completes (the limit counts failures, not attempts)', async () => {
    const c = cluster({ wA: 1, wB: 1 });
    const r = record(c);
    const run = c.dag.runJob('job1', graph(2, 2), { kind: 'collect' }, [0, 1]);
    assert.deepEqual(await drive(c, run, { 1: 0 }, 1, (stageId, attempt) => stageId === 1 && attempt < 3), ['r0', 'r1']);
    assert.deepEqual(r.submitted, ['0.0', '1.0', '0.1', '1.1', '0.2', '1.2', '0.3', '1.3']);
  });

  test('failures in different stages do not trigger an overall abort: 2 failed attempts of map stage 1, then 2 of result stage 2', async () => {
    const c = cluster({ wA: 1, wB: 1 });
    const r = record(c);
    const run = c.dag.runJob('job1', twoShuffles(), { kind: 'collect' }, [0]);
    assert.deepEqual(await drive(c, run, { 1: 0, 2: 1 }, 2, (stageId, attempt) => (stageId === 1 && attempt < 2) || (stageId === 2 && attempt < 2)), ['r0']);
    assert.equal(r.completed.filter((e) => e.endsWith('failed')).length, 4);
    assert.deepEqual(r.completed.filter((e) => e.startsWith('2.')), ['2.0 failed', '2.1 failed', '2.2']);
  });

  test("non-consecutive stage failures don't trigger abort: map stage 1 fails 3 times, succeeds, then fails again after the result stage's fetch failure", async () => {
    const c = cluster({ wA: 1, wB: 1 });
    const r = record(c);
    const run = c.dag.runJob('job1', twoShuffles(), { kind: 'collect' }, [0]);
    assert.deepEqual(await drive(c, run, { 1: 0, 2: 1 }, 2, (stageId, attempt) => (stageId === 1 && (attempt < 3 || attempt === 4)) || (stageId === 2 && attempt === 0)), ['r0']);
    assert.deepEqual(r.completed.filter((e) => e.startsWith('1.') || e.startsWith('2.')), ['1.0 failed', '1.1 failed', '1.2 failed', '1.3', '2.0 failed', '1.4 failed', '1.5', '2.1']);
  });
});
