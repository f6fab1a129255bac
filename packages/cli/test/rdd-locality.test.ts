// Locality through a union and a coalesce on 2 worker processes: a task that reads a cached
// partition runs on the worker holding it, whatever the partition's number in the RDD the
// task computes (Spark's getPreferredLocs follows the narrow dependencies' partitions).
// The locality wait is made endless and speculation is off, so a task with a preference runs
// only where it prefers: where each task ran is then deterministic, not a guess.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { fixture, withCluster, type JobRun } from './harness.js';

/** For each action of the run, in order: the worker that ran each partition's successful task. */
let ranOn: Map<number, string>[] = [];
let run: JobRun | undefined;

before(async () => {
  await withCluster({ workers: 2, driver: { tasks: { localityWaitMs: 3_600_000, speculation: false } } }, async (h) => {
    const actions: number[] = [];
    const actionOfStage = new Map<number, number>();
    const byAction = new Map<number, Map<number, string>>();
    h.cluster.driver.dag.addListener({
      onJobStart: (e) => void actions.push(e.jobId),
      onStageSubmitted: (e) => void actionOfStage.set(e.stageId, e.jobId),
      onTaskEnd: (e) => {
        if (e.reason !== 'success') return;
        const action = actionOfStage.get(e.stageId)!;
        if (!byAction.has(action)) byAction.set(action, new Map());
        byAction.get(action)!.set(e.partition, e.workerId);
      },
    });
    run = await h.run(fixture('rdd-locality.ts'));
    ranOn = actions.map((a) => byAction.get(a) ?? new Map<number, string>());
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
