// Locality through a union and a coalesce on 2 worker processes: a task that reads a cached
// partition runs on the worker holding it, whatever the partition's number in the RDD the
// task computes (Spark's getPreferredLocs follows the narrow dependencies' partitions).
// The locality wait is made endless and speculation is off, so a task with a preference runs
// only where it prefers: where each task ran is then deterministic, not a guess.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { appRest, fixture, withCluster, type JobRun } from './harness.js';

/** For each action of the run, in order: the worker that ran each partition's successful task. */
let ranOn: Map<number, string>[] = [];
let run: JobRun | undefined;
/** For each action of the run, in order: REST taskList's (partitionId, executorId, taskLocality) of its stage's successful tasks. */
let restTasks: { partitionId: number; executorId: string; taskLocality: string }[][] = [];

before(async () => {
  await withCluster({ workers: 2, driver: { webPort: 0, tasks: { localityWaitMs: 3_600_000, speculation: false } } }, async (h) => {
    const actions: number[] = [];
    const actionOfStage = new Map<number, number>();
    const stagesOf = new Map<number, number[]>();
    const byAction = new Map<number, Map<number, string>>();
    h.cluster.driver.dag.addListener({
      onJobStart: (e) => void actions.push(e.jobId),
      onStageSubmitted: (e) => {
        actionOfStage.set(e.stageId, e.jobId);
        stagesOf.set(e.jobId, [...(stagesOf.get(e.jobId) ?? []), e.stageId]);
      },
      onTaskEnd: (e) => {
        if (e.reason !== 'success') return;
        const action = actionOfStage.get(e.stageId)!;
        if (!byAction.has(action)) byAction.set(action, new Map());
        byAction.get(action)!.set(e.partition, e.workerId);
      },
    });
    run = await h.run(fixture('rdd-locality.ts'));
    ranOn = actions.map((a) => byAction.get(a) ?? new Map<number, string>());
    const get = appRest(h.cluster, run.jobId!);
    restTasks = [];
    for (const a of actions) {
      const stages = stagesOf.get(a) ?? [];
      assert.equal(stages.length, 1, `action ${a} ran one stage: ${JSON.stringify(stages)}`);
      const tasks = await get<{ partitionId: number; executorId: string; taskLocality: string; status: string }[]>(`stages/${stages[0]}/0/taskList?length=100`);
      restTasks.push(tasks.filter((t) => t.status === 'SUCCESS').map(({ partitionId, executorId, taskLocality }) => ({ partitionId, executorId, taskLocality })));
    }
  });
});

function counts(): Record<string, number> {
  return Object.fromEntries(run!.lines.filter((l) => l.startsWith('R ')).map((l) => l.split(' ')).map(([, k, v]) => [k, Number(v)]));
}

test('the job ran its four actions and counted every element', () => {
  assert.ok(run?.ok, JSON.stringify(run?.failure));
  assert.deepEqual(counts(), { cached: 6, union: 9, four: 8, coalesced: 8 });
  assert.equal(ranOn.length, 4);
});

test("a union's partition that is a cached input's partition j runs where partition j is held", () => {
  const [cached, union] = ranOn;
  // The union's partitions 1 and 2 are the cached RDD's 0 and 1 (its partition 0 is the other input's).
  assert.equal(union.get(1), cached.get(0), `union partition 1 (cached partition 0): ran on ${union.get(1)}, the block is on ${cached.get(0)}`);
  assert.equal(union.get(2), cached.get(1), `union partition 2 (cached partition 1): ran on ${union.get(2)}, the block is on ${cached.get(1)}`);
});

test("a coalesced partition runs where the first of its parent partitions is held", () => {
  const [, , four, coalesced] = ranOn;
  assert.equal(coalesced.get(0), four.get(0));
  assert.equal(coalesced.get(1), four.get(2), `coalesced partition 1 (parents 2, 3): ran on ${coalesced.get(1)}, partition 2 is on ${four.get(2)}`);
});

test("REST taskList's taskLocality (Spark's TaskData.taskLocality): PROCESS_LOCAL for a task with no preference (a parallelize's, as Spark's noPrefs tasks) and for one run on the worker holding its cached partition", () => {
  const [cached, union, four, coalesced] = restTasks;
  const expect = (tasks: typeof cached) => tasks.map((t) => t.taskLocality);
  // Actions 0 and 2 compute their partitions afresh (parallelize: no preference).
  assert.deepEqual(expect(cached), ['PROCESS_LOCAL', 'PROCESS_LOCAL'], JSON.stringify(cached));
  assert.deepEqual(expect(four), Array(4).fill('PROCESS_LOCAL'), JSON.stringify(four));
  // The union's partition 0 prefers none; 1 and 2 ran where the cached blocks are (the test above), so PROCESS_LOCAL.
  for (const t of union) {
    if (t.partitionId > 0) assert.equal(t.executorId, ranOn[0].get(t.partitionId - 1), JSON.stringify(union));
    assert.equal(t.taskLocality, 'PROCESS_LOCAL', JSON.stringify(union));
  }
  assert.equal(union.length, 3);
  assert.deepEqual(expect(coalesced), ['PROCESS_LOCAL', 'PROCESS_LOCAL'], JSON.stringify(coalesced));
});

test("the program's SparkListener hears each successful task's taskInfo.taskLocality: PROCESS_LOCAL for all of them, as REST", () => {
  const heard = run!.lines.filter((l) => l.startsWith('L ')).map((l) => l.split(' ')[3]);
  // 2 + 3 + 4 + 2 successful tasks over the four actions.
  assert.deepEqual(heard, Array(11).fill('PROCESS_LOCAL'), run!.lines.join('\n'));
});
