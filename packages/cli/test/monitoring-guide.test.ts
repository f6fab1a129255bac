// Spark's Monitoring guide (docs/monitoring.md, "REST API") followed endpoint by endpoint against
// a real batch job (fixture monitoring-guide.ts) on a cluster of 2 worker processes: one cluster,
// every answer read once the job ended. What each case expects is Spark's, from its sources:
// - StagesResource: /stages/{id} and /stages/{id}/{attempt} give details (the attempt's tasks by
//   id, executorSummary by executor) unless details=false; the list only with details=true;
//   withSummaries=true adds taskMetricsDistributions at the quantiles asked (default
//   0.05,0.25,0.5,0.75,0.95).
// - .../taskList: offset (0) and length (20) page the task attempts, sortBy ID (their launch
//   order), runtime or -runtime (TaskSorting), status=running|success|failed|killed filters
//   (TaskStatus); a failed attempt is a task of status FAILED with its errorMessage, its retry
//   the same index and partition with attempt 1.
// - .../taskSummary: AppStatusStore.taskSummary, over the successful tasks only: each metric's
//   values sorted, for quantile q the one at min(floor(q * count), count - 1); none succeeded: 404.
// - ApplicationListResource: status=running|completed, limit=N.
// - JobExecutionStatus has UNKNOWN (a valid filter); /executors lists the driver first; /allexecutors answers as
//   /executors does while no worker was removed.
// - Resources Sluice cannot have (sql, logs, version) answer 404 saying why.
// - storage/rdd[/{id}] (AppStatusListener's LiveRDD, api.scala's RDDStorageInfo): the RDDs with cached
//   partitions, read while the job runs (its end drops its blocks); an unpersisted one is gone.
// Expected values are computed here from what the job did (1,000 numbers in 4 partitions, the
// sums by x % 10, one task failing once, one always), not read back from Sluice's code.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fixture, pollUntil, withCluster, type JobRun } from './harness.js';

interface Reply {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}
interface Task {
  taskId: string;
  index: number;
  attempt: number;
  partitionId: number;
  launchTime: string;
  duration: number;
  executorId: string;
  host: string;
  status: string;
  errorMessage?: string;
  taskMetrics: { executorRunTime: number; executorDeserializeTime: number; memoryBytesSpilled: number; diskBytesSpilled: number; shuffleReadMetrics: { totalBytesRead: number }; shuffleWriteMetrics: { bytesWritten: number } };
}

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'monitoring-guide-'));
let run: JobRun;
const got = new Map<string, Reply>();
let workerIds: string[] = [];
/** The HELD action's stage, read while its partition 1 ran. */
let heldStage = -1;
/** storage/rdd/{id} is read for every id up to this one while HELD runs (the unpersisted RDD's id is known only after). */
const MAX_RDD_ID = 40;
/** Stage ids by the fixture's action: CACHED, SHUFFLE, RETRIED, FAILED. */
const stagesOf = new Map<string, number[]>();

/** The job id (Spark's) printed on the fixture's `LABEL ... ids` line. */
function jobIdOf(label: string): number {
  const line = run.lines.find((l) => l.startsWith(`${label} `));
  assert.ok(line, `no ${label} line in:\n${run.lines.join('\n')}`);
  return Number(line.split(' ').at(-1)!.split(',')[0]);
}

const get = (p: string): Reply => {
  const r = got.get(p);
  assert.ok(r, `${p} was not fetched`);
  return r;
};

before(async () => {
  await withCluster({ workers: 2, coresPerWorker: 1, driver: { webPort: 0 } }, async (h) => {
    const running = h.run(fixture('monitoring-guide.ts'), [scratch]);
    const root = `http://127.0.0.1:${h.cluster.driver.webPort}/api/v1`;
    // While HELD's partition 1 runs: its stage's taskList as it is then.
    const app = await pollUntil(async () => {
      // Not before HELD's partition 1 holds: STORED's counts are 2-task stages too.
      if (!fs.existsSync(path.join(scratch, 'holding'))) return undefined;
      for (const a of (await (await fetch(`${root}/applications?status=running`)).json()) as { id: string }[]) {
        const active = (await (await fetch(`${root}/applications/${a.id}/stages?status=active`)).json()) as { stageId: number; numTasks: number; numCompleteTasks: number }[];
        const held = active.find((x) => x.numTasks === 2 && x.numCompleteTasks === 1);
        if (held) {
          heldStage = held.stageId;
          return `applications/${a.id}`;
        }
      }
      return undefined;
    }, 60_000, 'the HELD stage with one task done, one running');
    for (const p of ['APP/stages/HELD/0/taskList', 'APP/stages/HELD/0/taskList?status=running', 'APP/stages/HELD/0?details=false', 'APP/executors#held', 'APP/storage/rdd']) {
      const r = await fetch(`${root}/${p.replace('APP', app).replace('HELD', String(heldStage)).replace('#held', '')}`);
      got.set(p, { status: r.status, body: await r.json() });
    }
    // The executors once every worker's heartbeat has told its storage (its memory limit: maxMemory) and they count the
    // DISK_ONLY blocks (the workers' own bytes, not the tasks' reports); then each listed RDD's details (their
    // memoryRemaining is the worker's limit less its blocks, known from those heartbeats) and the unpersisted one's
    // (its id from the STORED line, printed before HELD ran).
    const onDisk = (get('APP/storage/rdd').body as { name: string; diskUsed: number }[]).find((x) => x.name === 'on disk');
    let last: unknown;
    await pollUntil(async () => {
      last = await (await fetch(`${root}/${app}/executors`)).json();
      const es = last as { id: string; diskUsed: number; maxMemory: number; rddBlocks: number }[];
      // Heartbeats after the unpersisted RDD's 2 blocks went: the cached RDD's 4 and the DISK_ONLY one's 2 are left.
      const blocks = es.reduce((a, e) => a + e.rddBlocks, 0);
      // The driver's row has no storage limit (maxMemory 0) and holds no RDD block.
      return es.every((e) => e.id === 'driver' || e.maxMemory > 0) && blocks === 4 + 2 && es.reduce((a, e) => a + e.diskUsed, 0) === onDisk?.diskUsed ? true : undefined;
    }, 60_000, 'every worker\'s storage told, the unpersisted blocks gone, the executors\' diskUsed summing to the DISK_ONLY RDD\'s').catch(() => undefined);
    got.set('APP/executors#stored', { status: 200, body: last });
    for (let id = 0; id <= MAX_RDD_ID; id++) {
      const r = await fetch(`${root}/${app}/storage/rdd/${id}`);
      got.set(`APP/storage/rdd/${id}`, { status: r.status, body: await r.json() });
    }
    fs.writeFileSync(path.join(scratch, 'release'), '');
    run = await running;
    const fetchOne = async (p: string): Promise<Reply> => {
      const r = await fetch(`${root}/${p.replaceAll('APP', app)}`);
      const text = await r.text();
      const reply = { status: r.status, body: JSON.parse(text) };
      got.set(p, reply);
      return reply;
    };
    workerIds = h.cluster.driver.registry.all().map((w) => w.id).sort();
    for (const label of ['CACHED', 'SHUFFLE', 'RETRIED', 'FAILED']) {
      const job = await fetchOne(`APP/jobs/${jobIdOf(label)}`);
      assert.equal(job.status, 200, JSON.stringify(job.body));
      stagesOf.set(label, job.body.stageIds);
    }
    const [retried] = stagesOf.get('RETRIED')!;
    const [failed] = stagesOf.get('FAILED')!;
    const shuffle = stagesOf.get('SHUFFLE')!;
    const paths = [
      'applications',
      'applications?status=running',
      'applications?status=completed',
      'applications?limit=0',
      'applications?maxEndDate=2020-01-01',
      'applications?minEndDate=2020-01-01&maxDate=3000-01-01T00:00:00.000GMT',
      'applications?minDate=2999-12-31',
      'applications?minDate=yesterday',
      'APP/stages?status=pending',
      'APP/jobs?status=unknown',
      'APP/executors',
      'APP/allexecutors',
      'APP/stages',
      'APP/stages?details=true',
      `APP/stages/${retried}`,
      `APP/stages/${retried}/0`,
      `APP/stages/${retried}/0?details=false`,
      `APP/stages/${retried}/0?taskStatus=failed`,
      `APP/stages/${retried}/0?details=false&withSummaries=true&quantiles=0.5`,
      `APP/stages/${retried}/0/taskList`,
      `APP/stages/${retried}/0/taskList?offset=1&length=2`,
      `APP/stages/${retried}/0/taskList?sortBy=runtime`,
      `APP/stages/${retried}/0/taskList?sortBy=-runtime`,
      `APP/stages/${retried}/0/taskList?status=failed`,
      `APP/stages/${retried}/0/taskList?sortBy=fastest`,
      `APP/stages/${retried}/0/taskSummary`,
      `APP/stages/${retried}/0/taskSummary?quantiles=0,0.5,0.99,1`,
      `APP/stages/${retried}/0/taskSummary?quantiles=2`,
      `APP/stages/${retried}/0/tasks`,
      `APP/stages/${failed}/0/taskList?status=failed`,
      `APP/stages/${failed}/0/taskSummary`,
      ...shuffle.map((s) => `APP/stages/${s}/0/taskList?length=100`),
      ...shuffle.map((s) => `APP/stages/${s}/0?details=false`),
      'APP/sql',
      'APP/logs',
      'APP/environment',
      'APP/storage',
      'version',
    ];
    for (const p of paths) await fetchOne(p);
  });
});
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

test('the fixture did what the test counts on: 1,000 cached, the sums by x % 10, the retried count 1,000, the always-failing job failed', () => {
  assert.ok(run.ok, String(run.failure));
  assert.equal(run.lines.at(-1), 'DONE');
  const sums = Array.from({ length: 10 }, (_, k) => [k, Array.from({ length: 100 }, (_, i) => i * 10 + k).reduce((a, b) => a + b, 0)]);
  assert.ok(run.lines.includes(`CACHED 1000 ${jobIdOf('CACHED')}`));
  assert.ok(run.lines.some((l) => l.startsWith(`SHUFFLE ${JSON.stringify(sums)} `)));
  assert.ok(run.lines.some((l) => l.startsWith('RETRIED 1000 ')));
  assert.ok(run.lines.some((l) => l.startsWith('FAILED yes ')));
});

test('taskList: every attempt of the retried stage, in launch order (Spark\'s sortBy=ID): 4 SUCCESS, 1 FAILED (partition 1, attempt 0, its error), its retry attempt 1', () => {
  const tasks = get(`APP/stages/${stagesOf.get('RETRIED')![0]}/0/taskList`).body as Task[];
  assert.equal(tasks.length, 5);
  assert.deepEqual(tasks.map((t) => t.status).sort(), ['FAILED', 'SUCCESS', 'SUCCESS', 'SUCCESS', 'SUCCESS']);
  const failed = tasks.find((t) => t.status === 'FAILED')!;
  // Spark's TaskData.errorMessage: ExceptionFailure.toErrorString, the error's class and message, then its stack.
  assert.deepEqual([failed.partitionId, failed.index, failed.attempt], [1, 1, 0]);
  assert.ok(failed.errorMessage?.startsWith('Error: planned failure of partition 1, first attempt\n    at '), failed.errorMessage);
  const retry = tasks.find((t) => t.partitionId === 1 && t.status === 'SUCCESS')!;
  assert.equal(retry.attempt, 1);
  assert.ok(Date.parse(retry.launchTime.replace('GMT', 'Z')) >= Date.parse(failed.launchTime.replace('GMT', 'Z')), 'the retry launched after the failure');
  assert.deepEqual(tasks.filter((t) => t.status === 'SUCCESS').map((t) => t.partitionId).sort(), [0, 1, 2, 3]);
  for (const t of tasks) {
    assert.equal(t.index, t.partitionId, 'a first stage attempt runs every partition: index = partition');
    assert.ok(workerIds.includes(t.executorId), t.executorId);
    assert.equal(t.host, '127.0.0.1');
    // The run time as the worker measured it, within the duration the driver saw (the failed attempt's to its throw, no deserialization: Spark's ExceptionFailure metrics).
    assert.ok(t.taskMetrics.executorRunTime + t.taskMetrics.executorDeserializeTime <= t.duration, JSON.stringify(t));
    if (t.status !== 'SUCCESS') assert.equal(t.taskMetrics.executorDeserializeTime, 0);
  }
  const launches = tasks.map((t) => Date.parse(t.launchTime.replace('GMT', 'Z')));
  assert.deepEqual(launches, [...launches].sort((a, b) => a - b), 'sortBy ID: launch order');
  assert.deepEqual(get(`APP/stages/${stagesOf.get('RETRIED')![0]}/0/taskList?status=failed`).body, [failed]);
});

test('taskList while a task runs: the HELD stage\'s partition 0 SUCCESS, partition 1 RUNNING (status=running lists it alone), as the stage\'s numActiveTasks counts it', () => {
  const tasks = get('APP/stages/HELD/0/taskList').body as Task[];
  // Both launched at once (on two workers), so their launch order (sortBy ID) may be either: by partition here.
  assert.deepEqual(tasks.map((t) => [t.partitionId, t.status]).sort((a, b) => Number(a[0]) - Number(b[0])), [[0, 'SUCCESS'], [1, 'RUNNING']]);
  const runningNow = get('APP/stages/HELD/0/taskList?status=running').body as Task[];
  assert.deepEqual(runningNow.map((t) => [t.partitionId, t.attempt, t.status]), [[1, 0, 'RUNNING']]);
  assert.ok(workerIds.includes(runningNow[0].executorId));
  assert.equal(get('APP/stages/HELD/0?details=false').body.numActiveTasks, 1);
  assert.ok(run.lines.includes('HELD 2'));
});

test('taskList pages with offset and length and sorts by runtime either way; an unknown sortBy is 400', () => {
  const s = stagesOf.get('RETRIED')![0];
  const all = get(`APP/stages/${s}/0/taskList`).body as Task[];
  assert.deepEqual(get(`APP/stages/${s}/0/taskList?offset=1&length=2`).body, all.slice(1, 3));
  const up = get(`APP/stages/${s}/0/taskList?sortBy=runtime`).body as Task[];
  const down = get(`APP/stages/${s}/0/taskList?sortBy=-runtime`).body as Task[];
  assert.deepEqual(up.map((t) => t.duration), all.map((t) => t.duration).sort((a, b) => a - b));
  assert.deepEqual(down.map((t) => t.duration), all.map((t) => t.duration).sort((a, b) => b - a));
  assert.deepEqual(new Set(up.map((t) => t.taskId)), new Set(all.map((t) => t.taskId)));
  const bad = get(`APP/stages/${s}/0/taskList?sortBy=fastest`);
  assert.equal(bad.status, 400);
  assert.match(bad.body.error, /sortBy: 'fastest'/);
});

test('taskSummary: Spark\'s quantiles over the successful tasks only (the value at min(floor(q * n), n - 1) of each sorted metric); default quantiles 0.05,0.25,0.5,0.75,0.95; a quantile past 1 is 400; a stage none of whose tasks succeeded is 404', () => {
  const s = stagesOf.get('RETRIED')![0];
  const ok = (get(`APP/stages/${s}/0/taskList`).body as Task[]).filter((t) => t.status === 'SUCCESS');
  const durations = ok.map((t) => t.duration).sort((a, b) => a - b);
  const at = (qs: number[]): number[] => qs.map((q) => durations[Math.min(Math.floor(q * durations.length), durations.length - 1)]);
  const asked = get(`APP/stages/${s}/0/taskSummary?quantiles=0,0.5,0.99,1`).body;
  assert.deepEqual(asked.quantiles, [0, 0.5, 0.99, 1]);
  assert.deepEqual(asked.duration, at([0, 0.5, 0.99, 1]));
  const runTimes = ok.map((t) => t.taskMetrics.executorRunTime).sort((a, b) => a - b);
  assert.deepEqual(asked.executorRunTime, [0, 0.5, 0.99, 1].map((q) => runTimes[Math.min(Math.floor(q * runTimes.length), runTimes.length - 1)]));
  assert.deepEqual(asked.shuffleWriteMetrics.writeBytes, [0, 0, 0, 0], 'a count writes no shuffle');
  const dflt = get(`APP/stages/${s}/0/taskSummary`).body;
  assert.deepEqual(dflt.quantiles, [0.05, 0.25, 0.5, 0.75, 0.95]);
  assert.deepEqual(dflt.duration, at([0.05, 0.25, 0.5, 0.75, 0.95]));
  assert.equal(get(`APP/stages/${s}/0/taskSummary?quantiles=2`).status, 400);
  const failedStage = stagesOf.get('FAILED')![0];
  const none = get(`APP/stages/${failedStage}/0/taskSummary`);
  assert.equal(none.status, 404);
  assert.match(none.body.error, /no task .* has succeeded/);
  // The always-failing partition's 4 attempts (spark.task.maxFailures), attempts 0..3.
  const failedTasks = get(`APP/stages/${failedStage}/0/taskList?status=failed`).body as Task[];
  assert.deepEqual(failedTasks.map((t) => [t.partitionId, t.attempt, t.errorMessage?.split('\n')[0]]), [0, 1, 2, 3].map((a) => [0, a, 'Error: partition 0 always fails']));
});

test('the shuffle\'s tasks: the map stage\'s 4 tasks wrote what the result stage\'s 3 read, each side summing to its StageData figure; the map stage has the lower id, as Spark numbers parents first', () => {
  const shuffle = stagesOf.get('SHUFFLE')!;
  const byStage = shuffle.map((s) => ({ stage: get(`APP/stages/${s}/0?details=false`).body, tasks: get(`APP/stages/${s}/0/taskList?length=100`).body as Task[] }));
  const map = byStage.find((x) => x.stage.shuffleWriteBytes > 0)!;
  const result = byStage.find((x) => x.stage.shuffleReadBytes > 0)!;
  assert.deepEqual([map.tasks.length, result.tasks.length], [4, 3]);
  const written = map.tasks.reduce((a, t) => a + t.taskMetrics.shuffleWriteMetrics.bytesWritten, 0);
  const read = result.tasks.reduce((a, t) => a + t.taskMetrics.shuffleReadMetrics.totalBytesRead, 0);
  assert.equal(written, map.stage.shuffleWriteBytes);
  assert.equal(read, result.stage.shuffleReadBytes);
  assert.equal(read, written, 'every byte written is read once');
  assert.ok(map.tasks.every((t) => t.taskMetrics.shuffleWriteMetrics.bytesWritten > 0), 'each of the 4 map tasks wrote its 10 keys\' sums');
  // Spark numbers a job's stages parents first (createResultStage calls getOrCreateParentStages before it takes its own id).
  assert.ok(map.stage.stageId < result.stage.stageId, `map stage ${map.stage.stageId}, result stage ${result.stage.stageId}`);
});

test('details: one stage\'s attempt shows its tasks by id and executorSummary by default (Spark\'s StagesResource), not with details=false; the list only with details=true; taskStatus filters the tasks; withSummaries adds taskMetricsDistributions', () => {
  const s = stagesOf.get('RETRIED')![0];
  const all = get(`APP/stages/${s}/0/taskList`).body as Task[];
  const one = get(`APP/stages/${s}/0`).body;
  assert.deepEqual(one.tasks, Object.fromEntries(all.map((t) => [t.taskId, t])));
  const perWorker = new Map<string, { succeededTasks: number; failedTasks: number; killedTasks: number; taskTime: number; memoryBytesSpilled: number; diskBytesSpilled: number }>();
  for (const t of all) {
    const e = perWorker.get(t.executorId) ?? { succeededTasks: 0, failedTasks: 0, killedTasks: 0, taskTime: 0, memoryBytesSpilled: 0, diskBytesSpilled: 0 };
    if (t.status === 'SUCCESS') e.succeededTasks++;
    else e.failedTasks++;
    e.taskTime += t.duration;
    e.memoryBytesSpilled += t.taskMetrics.memoryBytesSpilled;
    e.diskBytesSpilled += t.taskMetrics.diskBytesSpilled;
    perWorker.set(t.executorId, e);
  }
  const noShuffle = { shuffleRead: undefined, shuffleWrite: undefined, shuffleReadRecords: undefined, shuffleWriteRecords: undefined };
  for (const [w, e] of perWorker) assert.deepEqual({ ...one.executorSummary[w], ...noShuffle }, { ...e, ...noShuffle }, w);
  assert.deepEqual(get(`APP/stages/${s}`).body, [one]);
  assert.equal(get(`APP/stages/${s}/0?details=false`).body.tasks, undefined);
  assert.deepEqual(Object.values(get(`APP/stages/${s}/0?taskStatus=failed`).body.tasks).map((t) => (t as Task).status), ['FAILED']);
  assert.ok((get('APP/stages').body as { tasks?: unknown }[]).every((x) => x.tasks === undefined));
  const detailed = (get('APP/stages?details=true').body as { stageId: number; tasks: Record<string, Task> }[]).find((x) => x.stageId === s)!;
  assert.equal(Object.keys(detailed.tasks).length, 5);
  const summarized = get(`APP/stages/${s}/0?details=false&withSummaries=true&quantiles=0.5`).body;
  assert.equal(summarized.tasks, undefined);
  assert.deepEqual(summarized.taskMetricsDistributions.quantiles, [0.5]);
  const durations = all.filter((t) => t.status === 'SUCCESS').map((t) => t.duration).sort((a, b) => a - b);
  assert.deepEqual(summarized.taskMetricsDistributions.duration, [durations[2]]);
});

test('a path under a stage attempt that is no resource is 404, where it answered the stage', () => {
  const r = get(`APP/stages/${stagesOf.get('RETRIED')![0]}/0/tasks`);
  assert.equal(r.status, 404);
  assert.match(r.body.error, /use taskList or taskSummary/);
});

test('applications: status=completed lists the ended job, status=running does not, limit=0 none, minDate/maxDate/minEndDate/maxEndDate bound its start and end; stages?status=pending is none once the job ended; jobs?status=unknown is a valid, empty filter; executors and allexecutors list the driver, then the workers', () => {
  const ids = (p: string): string[] => (get(p).body as { id: string }[]).map((a) => a.id);
  assert.ok(ids('applications').includes(run.jobId!));
  assert.ok(ids('applications?status=completed').includes(run.jobId!));
  assert.ok(!ids('applications?status=running').includes(run.jobId!));
  assert.deepEqual(get('applications?limit=0').body, []);
  // The job started and ended today: before 3000 and after 2020; not by 2020, nor after 2999-12-31.
  assert.ok(ids('applications?minEndDate=2020-01-01&maxDate=3000-01-01T00:00:00.000GMT').includes(run.jobId!));
  assert.ok(!ids('applications?maxEndDate=2020-01-01').includes(run.jobId!));
  assert.deepEqual(get('applications?minDate=2999-12-31').body, []);
  assert.equal(get('applications?minDate=yesterday').status, 400);
  // No job runs any more: no stage waits to be submitted (core-spark-suites10 reads them while one runs).
  assert.deepEqual(get('APP/stages?status=pending'), { status: 200, body: [] });
  assert.deepEqual(get('APP/jobs?status=unknown'), { status: 200, body: [] });
  // The driver first (Spark's executor "driver"), then the workers; none was removed, so allexecutors lists no dead one.
  assert.deepEqual(ids('APP/allexecutors')[0], 'driver');
  assert.deepEqual(ids('APP/allexecutors').slice(1).sort(), workerIds);
  assert.deepEqual(ids('APP/executors'), ids('APP/allexecutors'));
});

interface Executor {
  id: string;
  activeTasks: number;
  completedTasks: number;
  failedTasks: number;
  totalTasks: number;
  totalDuration: number;
  totalShuffleRead: number;
  totalShuffleWrite: number;
}

test('executors: this application\'s task figures on each worker, as Spark\'s per-application executors (AppStatusListener.onTaskEnd): completedTasks its successes, failedTasks, totalTasks every attempt launched, totalDuration and the shuffle bytes; activeTasks its running ones', () => {
  const ended = get('APP/executors').body as Executor[];
  const sum = (xs: Executor[], f: (e: Executor) => number): number => xs.reduce((a, e) => a + f(e), 0);
  // CACHED 4, SHUFFLE 4 + 3, RETRIED 4 (+ 1 failed), STORED 2 + 2, FAILED 0 (+ 4 failed), HELD 2.
  assert.equal(sum(ended, (e) => e.completedTasks), 4 + 7 + 4 + 4 + 2);
  assert.equal(sum(ended, (e) => e.failedTasks), 1 + 4);
  assert.equal(sum(ended, (e) => e.totalTasks), 21 + 5);
  assert.equal(sum(ended, (e) => e.activeTasks), 0);
  for (const e of ended) assert.equal(e.totalTasks, e.completedTasks + e.failedTasks);
  const stages = get('APP/stages?details=true').body as { tasks: Record<string, Task>; shuffleWriteBytes: number; shuffleReadBytes: number }[];
  const tasks = stages.flatMap((x) => Object.values(x.tasks));
  for (const w of workerIds) {
    const e = ended.find((x) => x.id === w)!;
    const mine = tasks.filter((t) => t.executorId === w);
    assert.equal(e.totalDuration, mine.reduce((a, t) => a + t.duration, 0), w);
    assert.equal(e.completedTasks, mine.filter((t) => t.status === 'SUCCESS').length, w);
  }
  assert.equal(sum(ended, (e) => e.totalShuffleWrite), stages.reduce((a, x) => a + x.shuffleWriteBytes, 0));
  assert.equal(sum(ended, (e) => e.totalShuffleRead), stages.reduce((a, x) => a + x.shuffleReadBytes, 0));
  assert.ok(sum(ended, (e) => e.totalShuffleWrite) > 0);
  // While HELD's partition 1 ran: one active task, counted in totalTasks.
  const held = get('APP/executors#held').body as Executor[];
  assert.equal(sum(held, (e) => e.activeTasks), 1);
  assert.equal(sum(held, (e) => e.totalTasks), sum(held, (e) => e.completedTasks + e.failedTasks) + 1);
});

test('jobs: jobGroup and jobTags are the group and tags the action was called with (Spark\'s JobData), its description the group\'s; none for the others', () => {
  const cached = get(`APP/jobs/${jobIdOf('CACHED')}`).body;
  assert.deepEqual([cached.jobGroup, cached.jobTags, cached.description], ['monitoring', ['cache', 'guide'], 'the cached count']);
  const shuffle = get(`APP/jobs/${jobIdOf('SHUFFLE')}`).body;
  assert.deepEqual([shuffle.jobGroup, shuffle.jobTags, shuffle.description], [undefined, [], undefined]);
});

interface RddStorage {
  id: number;
  name: string;
  numPartitions: number;
  numCachedPartitions: number;
  storageLevel: string;
  memoryUsed: number;
  diskUsed: number;
  dataDistribution: { address: string; memoryUsed: number; memoryRemaining: number; diskUsed: number }[];
  partitions: { blockName: string; storageLevel: string; memoryUsed: number; diskUsed: number; executors: string[] }[];
}

test('storage/rdd while the job runs: the cached RDD (4 of 4 partitions in memory) and the DISK_ONLY one, as Spark\'s RDDStorageInfo; the unpersisted one is gone; details give each partition\'s block and the bytes by worker', () => {
  const line = run.lines.find((l) => l.startsWith('STORED '));
  assert.ok(line);
  const [, diskCount, goneCount, numsId, diskId, goneId] = line.split(' ').map(Number);
  assert.deepEqual([diskCount, goneCount], [100, 100]);
  assert.ok(goneId <= MAX_RDD_ID);
  const list = get('APP/storage/rdd');
  assert.equal(list.status, 200);
  const rdds = list.body as RddStorage[];
  assert.deepEqual(rdds.map((r) => r.id), [numsId, diskId]);
  const executors = get('APP/executors#held').body as { id: string; hostPort: string; memoryUsed: number; diskUsed: number; rddBlocks: number }[];
  const [nums, onDisk] = rdds;
  // nums: sc.parallelize(..., 4).persist(MEMORY_ONLY_SER), no name set: Spark names it by its class; stored serialized, one copy.
  assert.deepEqual([nums.name, nums.numPartitions, nums.numCachedPartitions, nums.storageLevel, nums.diskUsed], ['ParallelCollectionRDD', 4, 4, 'Memory Serialized 1x Replicated', 0]);
  assert.deepEqual([onDisk.name, onDisk.numPartitions, onDisk.numCachedPartitions, onDisk.storageLevel, onDisk.memoryUsed], ['on disk', 2, 2, 'Disk Serialized 1x Replicated', 0]);
  assert.ok(nums.memoryUsed > 0 && onDisk.diskUsed > 0);
  // 1,000 numbers take more bytes than 100.
  assert.ok(nums.memoryUsed > onDisk.diskUsed);
  // The workers' own block bytes (heartbeats): the DISK_ONLY blocks are all they hold on disk; in memory they hold the cached RDD's and the shuffle's map outputs.
  const stored = get('APP/executors#stored').body as typeof executors;
  assert.equal(stored.reduce((a, e) => a + e.diskUsed, 0), onDisk.diskUsed);
  // In memory: the cached RDD's blocks and SHUFFLE's 4 map outputs, each its data (the stage's shuffleWriteBytes) and its
  // index (Spark's index file: 3 reduce partitions + 1 offsets of 8 bytes).
  const shuffleWrite = (get('APP/stages?details=true').body as { shuffleWriteBytes: number }[]).reduce((a, x) => a + x.shuffleWriteBytes, 0);
  assert.equal(stored.reduce((a, e) => a + e.memoryUsed, 0), nums.memoryUsed + shuffleWrite + 4 * (3 + 1) * 8);
  assert.equal(stored.reduce((a, e) => a + e.rddBlocks, 0), 4 + 2);
  for (const r of rdds) {
    const one = get(`APP/storage/rdd/${r.id}`);
    assert.equal(one.status, 200);
    const d = one.body as RddStorage;
    assert.deepEqual(d.partitions.map((p) => p.blockName), Array.from({ length: r.numPartitions }, (_, i) => `rdd_${r.id}_${i}`));
    for (const p of d.partitions) {
      assert.equal(p.storageLevel, r.storageLevel);
      assert.equal(p.executors.length, 1);
      assert.ok(workerIds.includes(p.executors[0]));
    }
    const bytes = (p: { memoryUsed: number; diskUsed: number }): number => p.memoryUsed + p.diskUsed;
    assert.equal(d.partitions.reduce((a, p) => a + bytes(p), 0), r.memoryUsed + r.diskUsed);
    // By worker: the bytes of the partitions it holds, at its address.
    const holders = [...new Set(d.partitions.flatMap((p) => p.executors))].sort();
    assert.deepEqual(d.dataDistribution.map((x) => x.address), holders.map((w) => executors.find((e) => e.id === w)!.hostPort));
    for (const [i, w] of holders.entries()) {
      assert.equal(bytes(d.dataDistribution[i]), d.partitions.filter((p) => p.executors.includes(w)).reduce((a, p) => a + bytes(p), 0));
      assert.ok(d.dataDistribution[i].memoryRemaining > 0);
    }
  }
  // The unpersisted RDD, and an id no RDD had cached: 404.
  for (const id of [goneId, MAX_RDD_ID]) {
    const r = get(`APP/storage/rdd/${id}`);
    assert.equal(r.status, 404, String(id));
    assert.match(r.body.error, /has no cached RDD/);
  }
  assert.equal(get('APP/storage').status, 404);
});

// environment is served since 2026-12-05 (configuration-guide.test.ts reads it).
test('what Sluice cannot have (sql, logs, version) is a 404 saying why', () => {
  for (const [p, why] of [
    ['APP/sql', /no Spark SQL/],
    ['APP/logs', /no event logs/],
    ['version', /sluice --version/],
  ] as const) {
    const r = get(p);
    assert.equal(r.status, 404, p);
    assert.match(r.body.error, /is Spark's, not Sluice's/, p);
    assert.match(r.body.error, why, p);
  }
});
