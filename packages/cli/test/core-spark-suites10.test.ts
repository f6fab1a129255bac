// REST stages not yet submitted (PENDING) and never run (SKIPPED), and JobData.numTasks, on a
// cluster of 2 worker processes (fixture core-spark-suites10.ts, one job), read while the first
// action's first map stage holds and once the job ended. What each case expects is Spark's, worked
// out here from its sources, not from Sluice's code:
// - DAGScheduler.handleJobSubmitted posts SparkListenerJobStart with the StageInfo of every stage
//   in the job's graph (jobIdToStageIds: the result stage and each ancestor shuffle map stage,
//   computed ones too); AppStatusListener.onJobStart gives each a LiveStage (getOrCreateStage: a
//   fresh one, status PENDING, with the job among its jobIds, where none is live), so REST
//   /stages lists it, and ?status=pending; onStageSubmitted makes it ACTIVE.
// - SparkContext.appName is spark.app.name, the application's name its UI and REST API show;
//   master the master URL it was started with: local[N] in local mode (N threads), the cluster
//   manager's URL (spark://HOST:PORT) otherwise; Sluice's driver takes HOST:PORT (--driver).
// - onJobStart fixes LiveJob.numTasks: the numTasks of its StageInfos not completed, summed (every
//   stage's here: Spark's second action gets fresh stages, its first having ended); onJobEnd writes
//   each of its stages still PENDING as SKIPPED, adding it to skippedStages and its numTasks to
//   skippedTasks: the second action's map stages, and the result stage of a job whose map stage
//   failed (never submitted). numTasks does not change afterwards.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { appRest, fixture, runCli, startJob, withCluster, type JobRun } from './harness.js';
import { SparkCaseRun } from './spark-case-run.js';

interface StageJson {
  stageId: number;
  attemptId: number;
  jobIds: number[];
  status: string;
  numTasks: number;
  numCompleteTasks: number;
  submissionTime?: string;
}
interface JobJson {
  jobId: number;
  status: string;
  stageIds: number[];
  numTasks: number;
  numCompletedTasks: number;
  numSkippedTasks: number;
  numSkippedStages: number;
  numActiveStages: number;
  numCompletedStages: number;
  numFailedStages: number;
}

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'core-spark-suites10-'));
let cases: SparkCaseRun;
/** Read while the first action's map stage A held. */
const held: { first: number; job: JobJson; stages: StageJson[]; pending: StageJson[]; active: StageJson[]; byId: Map<number, StageJson[]>; attempt0: Map<number, StageJson>; taskLists: Map<number, unknown> } = {
  first: -1,
  job: undefined as unknown as JobJson,
  stages: [],
  pending: [],
  active: [],
  byId: new Map(),
  attempt0: new Map(),
  taskLists: new Map(),
};
/** Read once the job ended. */
let jobs: JobJson[] = [];
let stages: StageJson[] = [];
let skipped: StageJson[] = [];
let pendingAfter: StageJson[] = [];
/** The driver's address and the application's name as REST gives it. */
let driverAddress = '';
let restName = '';

before(async () => {
  // No master given: the driver's address, as a job `sluice submit` gave it sees it.
  const run = await withCluster({ workers: 2, coresPerWorker: 2, driver: { webPort: 0, master: undefined } }, async (h): Promise<JobRun> => {
    driverAddress = h.cluster.driver.address;
    const job = await startJob(h.cluster, fixture('core-spark-suites10.ts'), [scratch]);
    const get = appRest(h.cluster, job.id);
    try {
      const line = await job.waitLine('P rest-pending ', 120_000);
      held.first = (JSON.parse(line.slice('P rest-pending '.length)) as { first: number[] }).first[0];
      held.job = await get<JobJson>(`jobs/${held.first}`);
      held.stages = await get<StageJson[]>('stages');
      held.pending = await get<StageJson[]>('stages?status=pending');
      held.active = await get<StageJson[]>('stages?status=active');
      for (const id of held.job.stageIds) {
        held.byId.set(id, await get<StageJson[]>(`stages/${id}`));
        held.attempt0.set(id, await get<StageJson>(`stages/${id}/0?details=false`));
        held.taskLists.set(id, await get<unknown>(`stages/${id}/0/taskList`));
      }
    } finally {
      fs.writeFileSync(path.join(scratch, 'release'), '');
    }
    const r = await job.done;
    jobs = await get<JobJson[]>('jobs');
    stages = await get<StageJson[]>('stages');
    skipped = await get<StageJson[]>('stages?status=skipped');
    pendingAfter = await get<StageJson[]>('stages?status=pending');
    restName = (await get<{ name: string }>('')).name;
    return r;
  });
  assert.ok(run.ok, `the job failed: ${String(run.failure)}\n${run.lines.slice(-40).join('\n')}`);
  assert.equal(run.lines.at(-1), 'DONE', run.lines.slice(-40).join('\n'));
  assert.deepEqual(run.lines.filter((l) => l.startsWith('E ')), []);
  cases = new SparkCaseRun(run);
});
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

const brief = (x: StageJson): unknown[] => [x.stageId, x.attemptId, x.status, x.numTasks, x.numCompleteTasks, x.jobIds];

test("while a job's first map stage runs, its later map stage and its result stage are PENDING in REST /stages and ?status=pending (AppStatusListener.onJobStart's LiveStages), each its StageInfo's tasks, none done, the job's; the job's numTasks is fixed at its start, all three stages' tasks", () => {
  const j = held.job;
  // Stage ids in Spark's order: A, then B (reads A's shuffle), then the result stage.
  assert.equal(j.stageIds.length, 3, JSON.stringify(j));
  // Ascending, as Spark's JobData.stageIds (a HashSet of small Ints) reads, the pending ones among them.
  const [a, b, result] = j.stageIds;
  assert.deepEqual(j.stageIds, [...j.stageIds].sort((x, y) => x - y));
  assert.equal(held.active.filter((x) => j.stageIds.includes(x.stageId)).map((x) => x.stageId).join(), String(a), 'A runs');
  // A: 2 tasks (parallelize's 2 slices); B: 2 (the first reduceByKey's partitions); result: 3 (the second's).
  assert.deepEqual([j.status, j.numTasks, j.numActiveStages, j.numCompletedTasks], ['RUNNING', 2 + 2 + 3, 1, 0], JSON.stringify(j));
  assert.deepEqual(held.active.filter((x) => x.stageId === a).map(brief), [[a, 0, 'ACTIVE', 2, 0, [held.first]]]);
  // Newest first, as the list of stages runs.
  assert.deepEqual(held.pending.map(brief), [
    [result, 0, 'PENDING', 3, 0, [held.first]],
    [b, 0, 'PENDING', 2, 0, [held.first]],
  ]);
  assert.ok(held.pending.every((x) => x.submissionTime === undefined), 'a stage not submitted has no submission time');
  for (const id of [b, result]) {
    assert.deepEqual(held.stages.filter((x) => x.stageId === id).map(brief), held.pending.filter((x) => x.stageId === id).map(brief), '/stages lists it too');
    assert.deepEqual(held.byId.get(id)!.map(brief), held.pending.filter((x) => x.stageId === id).map(brief), `stages/${id}`);
    assert.deepEqual(brief(held.attempt0.get(id)!), held.pending.filter((x) => x.stageId === id).map(brief)[0], `stages/${id}/0`);
    assert.deepEqual(held.taskLists.get(id), [], 'no task of it ran');
  }
});

test('once it ended: the first job\'s stages COMPLETE, none pending; its numTasks as at its start. The same action again skips both map stages (SKIPPED, numSkippedTasks their 4 of its 7 numTasks); a job whose map stage fails leaves its result stage never submitted, SKIPPED with its 3 tasks', () => {
  const r = cases.one<{ first: number[]; again: number[]; failing: number[]; firstValue: [number, number][]; againValue: [number, number][]; failed: { code: string | null; error: string } }>('rest-pending');
  // Sums of 0..11 by (x % 6) % 3: keys 0 (0, 3, 6, 9), 1 (1, 4, 7, 10), 2 (2, 5, 8, 11).
  const sums = [[0, 18], [1, 22], [2, 26]];
  assert.deepEqual(r.firstValue, sums);
  assert.deepEqual(r.againValue, sums);
  assert.equal(r.failed.code, 'SLUICE_TASK_FAILED', r.failed.error);
  const job = (id: number): JobJson => {
    const j = jobs.find((x) => x.jobId === id);
    assert.ok(j, JSON.stringify(jobs.map((x) => x.jobId)));
    return j;
  };
  const [first, again, failing] = [job(r.first[0]), job(r.again[0]), job(r.failing[0])];
  const asc = (ids: number[]): number[] => [...ids].sort((x, y) => x - y);
  const [a, b, result] = asc(first.stageIds);
  assert.deepEqual(pendingAfter, []);
  const counts = (j: JobJson): unknown[] => [j.status, j.numTasks, j.numCompletedTasks, j.numCompletedStages, j.numSkippedStages, j.numSkippedTasks, j.numFailedStages];
  assert.deepEqual(counts(first), ['SUCCEEDED', 7, 7, 3, 0, 0, 0], JSON.stringify(first));
  assert.deepEqual(stages.filter((x) => x.stageId === result).map(brief), [[result, 0, 'COMPLETE', 3, 3, [first.jobId]]]);
  // Again: A and B named, found computed, skipped; its own result stage's 3 tasks run.
  assert.deepEqual(asc(again.stageIds).slice(0, 2), [a, b], JSON.stringify(again));
  assert.deepEqual(counts(again), ['SUCCEEDED', 7, 3, 1, 2, 4, 0], JSON.stringify(again));
  for (const id of [a, b]) assert.deepEqual(stages.filter((x) => x.stageId === id).map(brief), [[id, 0, 'SKIPPED', 2, 0, [again.jobId]]]);
  // The failing job: its map stage (2 tasks) failed; its result stage (3 tasks) never submitted.
  assert.equal(failing.stageIds.length, 2, JSON.stringify(failing));
  assert.deepEqual(failing.stageIds, asc(failing.stageIds), 'ascending, the one never submitted too');
  const [failedMap, neverRun] = failing.stageIds;
  // (Its map stage's partition 0 may or may not have succeeded before partition 1's 4th failure.)
  assert.deepEqual(counts(failing).filter((_, i) => i !== 2), ['FAILED', 5, 0, 1, 3, 1], JSON.stringify(failing));
  assert.deepEqual(stages.filter((x) => x.stageId === failedMap).map((x) => [x.status, x.numTasks]), [['FAILED', 2]]);
  assert.deepEqual(stages.filter((x) => x.stageId === neverRun).map(brief), [[neverRun, 0, 'SKIPPED', 3, 0, [failing.jobId]]]);
  assert.deepEqual(skipped.map((x) => x.stageId).sort((x, y) => x - y), [a, b, neverRun]);
});

test("sc.appName is the application's name (REST's, the job file's name), sc.master the driver's address (HOST:PORT, what sluice submit --driver takes), sc.applicationId its id", () => {
  const r = cases.one<{ appName: string; master: string; applicationId: string }>('context-names');
  assert.deepEqual(r, { appName: restName, master: driverAddress, applicationId: cases.run.jobId });
  assert.equal(r.appName, 'core-spark-suites10.ts');
  assert.match(r.master, /^127\.0\.0\.1:\d+$/);
});

test('under sluice run, sc.master is local[N], N its local workers\' cores in all (Spark\'s local[N])', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'core-spark-suites10-run-'));
  try {
    const r = await runCli(['run', '--workers', '2', '--cores', '3', fixture('core-spark-suites10.ts'), dir, 'context-names'], { timeoutMs: 120_000 });
    assert.equal(r.code, 0, r.stderr);
    const line = r.stdout.split('\n').find((l) => l.startsWith('X context-names '));
    assert.ok(line, r.stdout);
    const v = JSON.parse(line.slice('X context-names '.length)) as { appName: string; master: string };
    assert.deepEqual([v.appName, v.master], ['core-spark-suites10.ts', 'local[6]']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
