// The driver's REST API in Spark's shape (/api/v1/applications/...), checked against a
// streaming job the test feeds: batch counts, record counts and times, output operations
// with their actions, stages with shuffle bytes and a failed task at the user's line.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { bundleJob } from '../src/bundle-job.js';
import type { LocalCluster } from '../src/local-cluster.js';
import { fixture, jsonLines, lineOf, mulberry32, siteAt, sleep, within, withCluster } from './harness.js';

const BATCH_MS = 400;
const LINES = 600;

interface BatchJson {
  batchId: number;
  batchTime: string;
  status: string;
  batchDuration: number;
  inputSize: number;
  schedulingDelay?: number;
  processingTime?: number;
  totalDelay?: number;
  numCompletedOutputOps: number;
  numFailedOutputOps: number;
  numTotalOutputOps: number;
}
interface OpJson {
  outputOpId: number;
  name: string;
  duration?: number;
  failureReason?: string;
  jobIds: number[];
}
interface JobJson {
  jobId: number;
  name: string;
  status: string;
  stageIds: number[];
  numTasks: number;
  numCompletedTasks: number;
  numFailedTasks: number;
  batchId?: number;
  outputOpId?: number;
  description?: string;
  completionTime?: string;
}
interface StageJson {
  stageId: number;
  jobId: number;
  name: string;
  status: string;
  numTasks: number;
  numCompleteTasks: number;
  numFailedTasks: number;
  shuffleReadBytes: number;
  shuffleWriteBytes: number;
  executorRunTime: number;
  failedTasks: { errorMessage: string; location?: string; executorId: string }[];
}

test('REST API and job pages, on one cluster', { timeout: 180_000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-rest-'));
  const stopFile = path.join(dir, 'stop');
  const marker = path.join(dir, 'boom-marker');
  let client: net.Socket | undefined;
  let connected!: () => void;
  let connectedAt: number | undefined;
  const firstClient = new Promise<void>((r) => (connected = r));
  const server = net.createServer((s) => {
    connectedAt ??= Date.now();
    client ??= s;
    s.on('error', () => undefined);
    connected();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  try {
    await withCluster({ workers: 2, driver: { webPort: 0 } }, async (h) => {
      await t.test('streaming: applications, statistics, batches, operations, receivers, jobs and stages match the batches the job ran', async () => {
        const base = `http://127.0.0.1:${h.cluster.driver.webPort}/api/v1`;
        const get = async <T>(p: string, status = 200): Promise<T> => {
          const r = await fetch(base + p);
          assert.equal(r.status, status, `GET ${p}: ${r.status} ${await r.clone().text()}`);
          assert.match(r.headers.get('content-type') ?? '', /application\/json/);
          return (await r.json()) as T;
        };
        const listenersBefore = h.cluster.driver.dag.listenerCount;
        const bundle = await bundleJob(fixture('stream-ui.ts'));
        const job = h.cluster.driver.submit({ name: 'rest-test', code: bundle.code, sourceMap: bundle.sourceMap, args: ['127.0.0.1', String(port), String(BATCH_MS), stopFile, marker] });
        const printed: string[] = [];
        job.on('output', (l) => printed.push(l));
        const ended = new Promise<boolean>((r) => job.once('end', (s) => r(s === 'succeeded')));
        await within(firstClient, 30_000, 'the receiver to connect');

        // Input: LINES lines of seeded random words, one of them 'boom', sent over ~2 s.
        const rnd = mulberry32(7);
        const words = ['ant', 'bee', 'cat', 'dog', 'eel'];
        const sent: string[] = [];
        for (let i = 0; i < LINES; i++) sent.push(i === 123 ? 'boom' : Array.from({ length: 1 + Math.floor(rnd() * 4) }, () => words[Math.floor(rnd() * words.length)]).join(' '));
        for (let i = 0; i < sent.length; i += 60) {
          client!.write(sent.slice(i, i + 60).join('\n') + '\n');
          await sleep(200);
        }
        // Every line sent is in a completed batch: the statistics say so.
        type ReceiverJson = { streamId: number; streamName: string; executorId: string; numRecords: number; isActive: boolean; lastErrorMessage?: string; lastErrorTime?: string; avgEventRate?: number; eventRates: [number, number][]; executorHost?: string };
        const deadline = Date.now() + 30_000;
        for (;;) {
          const s = await get<{ numProcessedRecords: number }>(`/applications/${job.id}/streaming/statistics`);
          if (s.numProcessedRecords >= LINES) break;
          assert.ok(Date.now() < deadline, `only ${s.numProcessedRecords} of ${LINES} records processed within 30 s`);
          await sleep(100);
        }
        // The receiver's avgEventRate, as Spark's REST API: over the retained
        // batches, the mean of each one's records of the stream × 1000 / the batch interval
        // (read until the batches listed before and after it are the same).
        // Spark's retainedBatches: queued, processing and completed ones (since 5 December 2026; before, completed ones only).
        const completedNow = async (): Promise<BatchJson[]> => get<BatchJson[]>(`/applications/${job.id}/streaming/batches`);
        const { r0, done } = await (async () => {
          for (const until = Date.now() + 30_000; ; await sleep(50)) {
            const before = await completedNow();
            const [r] = await get<ReceiverJson[]>(`/applications/${job.id}/streaming/receivers`);
            const after = await completedNow();
            if (JSON.stringify(before.map((b) => [b.batchId, b.inputSize])) === JSON.stringify(after.map((b) => [b.batchId, b.inputSize]))) return { r0: r, done: after };
            assert.ok(Date.now() < until, 'the batches listed never held still');
          }
        })();
        const sparkRate = done.reduce((a, b) => a + (b.inputSize * 1000) / BATCH_MS, 0) / done.length;
        assert.ok(r0.avgEventRate !== undefined && Math.abs(r0.avgEventRate - sparkRate) < 1e-9, `avgEventRate ${r0.avgEventRate}, Spark's ${sparkRate} over ${done.length} batches`);
        assert.ok(sparkRate > 0);
        // Spark's eventRates (receivedRecordRateWithBatchTime): each of those batches, oldest first, [its time, records × 1000 / the interval];
        // executorHost the worker's host alone (ReceiverInfo.location), since 5 December 2026.
        assert.deepEqual(r0.eventRates, done.map((b) => [b.batchId, (b.inputSize * 1000) / BATCH_MS]).reverse());
        assert.equal(r0.executorHost, '127.0.0.1');
        // The source drops the connection: the receiver restarts, as Spark's restart(message) is
        // (ReceiverSupervisor.restartReceiver): a stop, so the receivers table shows it inactive
        // with the stop's message (deregisterReceiver) and no lastErrorTime (no error given:
        // Spark's -1), then, 2 s later, active again with no error info (registerReceiver).
        client!.destroy();
        let withError: ReceiverJson | undefined;
        for (const until = Date.now() + 30_000; !withError?.lastErrorMessage; await sleep(100)) {
          assert.ok(Date.now() < until, 'no receiver restart within 30 s');
          [withError] = await get<ReceiverJson[]>(`/applications/${job.id}/streaming/receivers`);
        }
        assert.match(withError.lastErrorMessage, new RegExp(`^Restarting receiver with delay 2000ms: 127\\.0\\.0\\.1:${port} closed the connection`));
        assert.equal(withError.lastErrorTime, undefined, 'no error given: no time');
        assert.equal(withError.isActive, false, 'inactive while it restarts');
        let again: ReceiverJson | undefined;
        for (const until = Date.now() + 30_000; again?.isActive !== true; await sleep(100)) {
          assert.ok(Date.now() < until, 'the receiver not active again within 30 s');
          [again] = await get<ReceiverJson[]>(`/applications/${job.id}/streaming/receivers`);
        }
        assert.equal(again.lastErrorMessage, undefined, 'registered again: no error info');
        assert.ok(withError.avgEventRate !== undefined && withError.avgEventRate >= 0 && withError.avgEventRate <= (LINES * 1000) / BATCH_MS, `records/s: ${withError.avgEventRate}`);
        fs.writeFileSync(stopFile, '');
        assert.equal(await within(ended, 90_000, 'the job to stop'), true, printed.join('\n'));

        // Applications: one per submitted job.
        const apps = await get<{ id: string; name: string; attempts: { completed: boolean; startTimeEpoch: number }[] }[]>('/applications');
        assert.deepEqual(apps.map((a) => [a.id, a.name, a.attempts[0].completed]), [[job.id, 'rest-test', true]]);
        const app = `/applications/${job.id}`;

        // Batches: every batch the job printed is there, with the records it counted itself.
        const printedBatches = jsonLines<{ time: number; records: number }>(printed, 'BATCH ');
        const batches = await get<BatchJson[]>(`${app}/streaming/batches`);
        assert.deepEqual(batches.map((b) => b.batchId), [...batches.map((b) => b.batchId)].sort((a, b) => b - a), 'newest first, as Spark');
        assert.deepEqual(
          batches.map((b) => [b.batchId, b.inputSize]).reverse(),
          printedBatches.map((b) => [b.time, b.records]),
          'one batch per batch the job ran, each with the records its own count() saw',
        );
        assert.equal(batches.reduce((a, b) => a + b.inputSize, 0), LINES, 'the batches hold every line sent, once');
        for (const b of batches) {
          assert.equal(b.status, 'COMPLETED');
          assert.equal(b.batchDuration, BATCH_MS);
          assert.equal(b.batchId % BATCH_MS, 0, 'batches fall on multiples of the interval');
          assert.equal(new Date(b.batchTime.replace('GMT', 'Z')).getTime(), b.batchId);
          assert.equal(b.schedulingDelay! + b.processingTime!, b.totalDelay);
          assert.ok(b.schedulingDelay! >= 0 && b.processingTime! >= 0 && b.totalDelay! < 10 * 30_000);
          assert.deepEqual([b.numTotalOutputOps, b.numCompletedOutputOps, b.numFailedOutputOps], [2, 2, 0]);
        }
        const stats = await get<Record<string, number>>(`${app}/streaming/statistics`);
        assert.equal(stats.numTotalCompletedBatches, printedBatches.length);
        assert.equal(stats.numRetainedCompletedBatches, printedBatches.length);
        assert.equal(stats.numProcessedRecords, LINES);
        assert.equal(stats.numReceivedRecords, LINES);
        assert.equal(stats.batchDuration, BATCH_MS);
        assert.equal(stats.numActiveBatches, 0);
        // Spark's avgTime: a Long sum over the count (truncated).
        const mean = (xs: number[]): number => Math.trunc(xs.reduce((a, b) => a + b, 0) / xs.length);
        assert.equal(stats.avgTotalDelay, mean(batches.map((b) => b.totalDelay!)));
        assert.ok(Math.abs(stats.avgInputRate - LINES / ((batches.length * BATCH_MS) / 1000)) < 1e-6);

        // Operations of a batch with records: both ran actions on the cluster, tagged with the batch.
        const busy = batches.find((b) => b.inputSize > 0)!;
        const one = await get<BatchJson>(`${app}/streaming/batches/${busy.batchId}`);
        assert.deepEqual(one, busy);
        const ops = await get<OpJson[]>(`${app}/streaming/batches/${busy.batchId}/operations`);
        // name: Spark's call site short form, `foreachRDD at <file>:<line>:<column>`.
        assert.deepEqual(ops.map((o) => [o.outputOpId, o.name.replace(/ at \S+:\d+:\d+$/, ' at SITE'), o.failureReason]), [[0, 'foreachRDD at SITE', undefined], [1, 'foreachRDD at SITE', undefined]]);
        // Op 0 runs count() and collect() (whose reduceByKey is one more stage); op 1 one foreachPartition.
        assert.equal(ops[0].jobIds.length, 2);
        assert.equal(ops[1].jobIds.length, 1);
        const jobs = await get<JobJson[]>(`${app}/jobs`);
        for (const o of ops) {
          for (const id of o.jobIds) {
            const jj = jobs.find((x) => x.jobId === id)!;
            assert.deepEqual([jj.batchId, jj.outputOpId, jj.status], [busy.batchId, o.outputOpId, 'SUCCEEDED']);
          }
        }
        const collectJob = await get<JobJson>(`${app}/jobs/${ops[0].jobIds[1]}`);
        // Named as Spark's JobData and StageData: the job and its result stage by the action's
        // call site (collect, in foreachRDD's function: its own), the map stage by its map side's
        // creation site (the map before reduceByKey), each on the fixture's own line.
        const STREAM_UI = fixture('stream-ui.ts');
        assert.match(collectJob.name, siteAt('collect', STREAM_UI, '.collect();'));
        assert.equal(collectJob.stageIds.length, 2, 'the collect after reduceByKey ran a shuffle map stage and a result stage');
        const stages = await get<StageJson[]>(`${app}/stages`);
        const [mapStage, resultStage] = collectJob.stageIds.map((id) => stages.find((s) => s.stageId === id)!);
        assert.match(mapStage.name, siteAt('map', STREAM_UI, '.map((w) => [w, 1] as [string, number])'));
        assert.equal(resultStage.name, collectJob.name);
        const countJob = await get<JobJson>(`${app}/jobs/${ops[0].jobIds[0]}`);
        assert.match(countJob.name, siteAt('count', STREAM_UI, 'const records = await rdd.count();'));
        assert.ok(mapStage.shuffleWriteBytes > 0, 'the map stage wrote shuffle bytes');
        assert.equal(resultStage.shuffleReadBytes, mapStage.shuffleWriteBytes, 'the result stage read every byte the map stage wrote');
        assert.equal(resultStage.numTasks, 2, 'reduceByKey(…, 2): two reduce tasks');
        assert.equal(resultStage.numCompleteTasks, 2);
        // Every job of every batch: the job list holds as many as the operations name.
        const allOps = (await Promise.all(batches.map((b) => get<OpJson[]>(`${app}/streaming/batches/${b.batchId}/operations`)))).flat();
        // ...and one more: the warm-up the context ran on start, before its first batch (a
        // count over a reduceByKey, as Spark's dummy job before receivers), for no batch.
        const forBatches = new Set(allOps.flatMap((o) => o.jobIds));
        assert.equal(forBatches.size, allOps.reduce((a, o) => a + o.jobIds.length, 0));
        const others = jobs.filter((j) => !forBatches.has(j.jobId));
        assert.deepEqual(
          others.map((j) => [j.status, j.stageIds.length, j.batchId, j.outputOpId, j.description]),
          [['SUCCEEDED', 2, undefined, undefined, 'streaming warm-up']],
          'every action the job ran was for an output operation, but the warm-up, which says it is one',
        );
        assert.equal(others[0].jobId, Math.min(...jobs.map((j) => j.jobId)), 'the warm-up ran before every batch');
        // Named, with its stages, as Spark's dummy job: at the program's ssc.start() (start's call site).
        assert.match(others[0].name, siteAt('start', STREAM_UI, 'ssc.start();'));
        for (const id of others[0].stageIds) assert.match(stages.find((s) => s.stageId === id)?.name ?? '', siteAt('start', STREAM_UI, 'ssc.start();'));
        // ...and before the receiver started (Spark's order: the dummy job, then the receivers):
        // what a receiver takes in while the warm-up runs would all go to the first batch.
        const warmUpEnd = new Date(others[0].completionTime!.replace('GMT', 'Z')).getTime();
        assert.ok(connectedAt! >= warmUpEnd, `the receiver connected (${connectedAt}) after the warm-up ended (${warmUpEnd})`);
        // A batch's action is described by its batch and operation, never as the warm-up.
        // Spark's JobScheduler description (spark.job.description: UIUtils.formatBatchTime without the date, ms as the
        // interval is under a second), since 5 December 2026; before, `batch <ms>, output operation N`.
        for (const j of jobs.filter((x) => forBatches.has(x.jobId))) {
          const description = j.description ?? '';
          assert.match(description, /^Streaming job from \[output operation (\d+), batch time \d{2}:\d{2}:\d{2}\.\d{3}\]$/);
          assert.equal(description.split(' ')[5], `${j.outputOpId},`);
          const hhmmss = new Date(j.batchId!).toTimeString().slice(0, 8);
          assert.ok(description.includes(` ${hhmmss}`), `${description} at ${hhmmss}`);
        }
        // The job page's list of actions says the same: the warm-up's row names it where a batch's names its batch.
        const jobPage = await (await fetch(`http://127.0.0.1:${h.cluster.driver.webPort}/jobs/${job.id}/`)).text();
        const actionRows = (/<table class="actions">(.*?)<\/table>/s.exec(jobPage)?.[1] ?? '').split('<tr>').slice(2);
        const warmRows = actionRows.filter((r) => r.includes('streaming warm-up'));
        assert.equal(warmRows.length, 1, 'one action on the job page is the warm-up');
        // The action's id, linked to its page (the DAG Visualization).
        assert.ok(warmRows[0]!.includes(`<td><a href="/jobs/${job.id}/job/?id=${others[0].jobId}">${others[0].jobId}</a></td>`), `the warm-up row is the warm-up action: ${warmRows[0]}`);
        assert.ok(actionRows.filter((r) => r.includes('/streaming/batch/')).every((r) => !r.includes('warm-up')));

        // The failed first attempt on 'boom': one failed task, at the fixture's own line.
        const failedStages = stages.filter((s) => s.numFailedTasks > 0);
        assert.equal(failedStages.length, 1, JSON.stringify(failedStages));
        const f = failedStages[0];
        assert.equal(f.status, 'COMPLETE', 'the retry succeeded');
        assert.equal(f.failedTasks[0].errorMessage, 'Error: boom: the first attempt fails', "Spark's TaskData.errorMessage: ExceptionFailure.toErrorString, the error's class first");
        const line = lineOf(fixture('stream-ui.ts'), "throw new Error('boom");
        assert.match(f.failedTasks[0].location ?? '', new RegExp(`stream-ui\\.ts:${line}:\\d+$`));

        // Receivers: the one socket receiver, on a worker, with every record.
        const receivers = await get<{ streamId: number; streamName: string; executorId: string; numRecords: number; isActive: boolean }[]>(`${app}/streaming/receivers`);
        assert.equal(receivers.length, 1);
        assert.equal(receivers[0].numRecords, LINES);
        assert.equal(receivers[0].isActive, false, 'stopped with the job');
        assert.ok(h.cluster.driver.registry.all().some((w) => w.id === receivers[0].executorId));

        // Bad requests name what is wrong.
        assert.match((await get<{ error: string }>(`${app}/streaming/batches/soon`, 400)).error, /batch id 'soon' is not a number/);
        assert.match((await get<{ error: string }>(`${app}/streaming/batches/12345`, 404)).error, /no batch 12345/);
        assert.match((await get<{ error: string }>(`${app}/streaming/batches?status=DONE`, 400)).error, /unknown status 'DONE'/);
        assert.match((await get<{ error: string }>('/applications/nope', 404)).error, /no application \(job\) 'nope'/);
        assert.equal((await fetch(`${base}/applications/%E0`)).status, 400, 'a malformed path is refused, not a crash');
        assert.equal(h.cluster.driver.dag.listenerCount, listenersBefore, 'an ended job no longer listens to the DAG scheduler');
      });
      await t.test("batch job: its page shows stage progress while it runs; jobs and stages with task counts, shuffle bytes and the failed task's line", () => batchJob(h.cluster));
    });
  } finally {
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/** A two-stage batch job (12 map tasks of 300 ms, 3 reduce tasks; map task 1 fails once): its page while it runs, its REST jobs and stages after. */
async function batchJob(cluster: LocalCluster): Promise<void> {
  const web = `http://127.0.0.1:${cluster.driver.webPort}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-rest-batch-'));
  try {
    const MAPS = 12;
    const REDUCES = 3;
    const bundle = await bundleJob(fixture('stage-tasks.ts'));
    const job = cluster.driver.submit({ name: 'batch <b>job</b>', code: bundle.code, sourceMap: bundle.sourceMap, args: [String(MAPS), String(REDUCES), '300', path.join(dir, 'marker')] });
    const ended = new Promise<boolean>((r) => job.once('end', (s) => r(s === 'succeeded')));
    // While it runs: the job page's progress bar of the map stage, part done.
    const seen: [number, number][] = [];
    const deadline = Date.now() + 60_000;
    while (job.state === 'running' && Date.now() < deadline) {
      const html = await (await fetch(`${web}/jobs/${job.id}/`)).text();
      assert.ok(!html.includes('<b>job</b>'), 'the job name is escaped');
      const active = /<h2>Active stages<\/h2>(.*?)<\/table>/s.exec(html)?.[1] ?? '';
      for (const m of active.matchAll(/data-complete="(\d+)" data-total="(\d+)"/g)) seen.push([Number(m[1]), Number(m[2])]);
      await sleep(100);
    }
    assert.equal(await within(ended, 60_000, 'the batch job to end'), true);
    const partial = seen.filter(([done, total]) => total === MAPS && done > 0 && done < MAPS);
    assert.ok(partial.length > 0, `the map stage was seen part done on the job page: ${JSON.stringify(seen)}`);
    assert.ok(seen.every(([done, total]) => done <= total));

    const app = `${web}/api/v1/applications/${job.id}`;
    const jobs = (await (await fetch(`${app}/jobs`)).json()) as JobJson[];
    assert.deepEqual(jobs.map((j) => [j.status, j.numTasks, j.numCompletedTasks, j.numFailedTasks]), [['SUCCEEDED', MAPS + REDUCES, MAPS + REDUCES, 1]]);
    const stages = (await (await fetch(`${app}/stages`)).json()) as StageJson[];
    const [map, result] = jobs[0].stageIds.map((id) => stages.find((s) => s.stageId === id)!);
    // Spark's names: the job and its result stage `collect at <its line>`, the map stage its map
    // side's creation site (mapPartitionsWithIndex: reduceByKey shuffles that RDD), the fixture's lines.
    const STAGE_TASKS = fixture('stage-tasks.ts');
    assert.match(jobs[0].name, siteAt('collect', STAGE_TASKS, '.collect();'));
    assert.equal(result.name, jobs[0].name);
    assert.match(map.name, siteAt('mapPartitionsWithIndex', STAGE_TASKS, '.mapPartitionsWithIndex((index, it) => {'));
    assert.deepEqual([map.numTasks, map.numCompleteTasks, map.numFailedTasks, map.status], [MAPS, MAPS, 1, 'COMPLETE']);
    assert.deepEqual([result.numTasks, result.numCompleteTasks, result.status], [REDUCES, REDUCES, 'COMPLETE']);
    assert.ok(map.shuffleWriteBytes > 0);
    assert.equal(result.shuffleReadBytes, map.shuffleWriteBytes);
    assert.ok(map.executorRunTime >= (MAPS - 1) * 300 * 0.9, `12 map tasks of 300 ms ran ${map.executorRunTime} ms in all`);
    const line = lineOf(fixture('stage-tasks.ts'), "throw new Error('map task 1 fails once");
    assert.equal(map.failedTasks[0].errorMessage, 'Error: map task 1 fails once on purpose');
    assert.match(map.failedTasks[0].location ?? '', new RegExp(`stage-tasks\\.ts:${line}:\\d+$`));
    const page = await (await fetch(`${web}/jobs/${job.id}/`)).text();
    assert.match(page, new RegExp(`stage-tasks\\.ts:${line}:\\d+</td>`), 'the job page names the line that threw');
    // Its tables name the job and stages as the REST API does (the actions' Name, the stages' Description).
    for (const name of [jobs[0].name, map.name]) assert.ok(page.includes(`<td>${name}</td>`), `the job page shows '${name}'`);
    assert.equal((await fetch(`${app}/streaming/statistics`)).status, 404, 'a batch job has no streaming statistics');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
