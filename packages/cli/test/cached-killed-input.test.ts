// Spark's input metrics where metrics9's left them at 0, on `sluice run`'s cluster of 2 worker
// processes with speculation on (fixture cached-killed-input.ts):
// - a running attempt the driver kills (a speculation loser, its file read) has the input it read,
//   as Spark's TaskKilled carries the task's metrics: its file's bytes (fs.statSync) and lines, in
//   REST taskList and in the program's SparkListener's onTaskEnd;
// - a cached block's reads are input, as Spark's RDD.getOrCompute counts a block hit (its bytes,
//   its records as read): of a MEMORY_ONLY parallelize counted 4 times, the first count's tasks
//   (computed and stored) read none, the later ones' each read its block's bytes (storage/rdd's
//   partition memoryUsed less its decoded copy) and its slice's numbers, whether decoded from the
//   block or kept decoded;
// - REST executors' totalInputBytes (Spark's ExecutorSummary) add every attempt's input, and the
//   Executors page's Input column shows them (Chromium). Screenshot
//   test-artifacts/ui-executors-input.png.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ARTIFACTS, inPage, launchChromium } from './browser-support.js';
import { fixture, freePort, pollUntil } from './harness.js';
import { startSluice } from './cli-process.js';
import { randomSecret } from './sluice-processes.js';
import { shownBytes } from './page-format.js';

interface Task {
  taskId: string;
  partitionId: number;
  status: string;
  taskMetrics: { inputMetrics: { bytesRead: number; recordsRead: number } };
}

interface End {
  stageId: number;
  index: number;
  status: string;
  taskMetrics: { inputMetrics: { bytesRead: number; recordsRead: number } };
}

test("a killed running attempt's input, a cached block's reads as input, and executors' totalInputBytes (REST, listener, Executors page in Chromium)", { timeout: 200_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-cached-killed-'));
  const input = path.join(dir, 'in');
  fs.mkdirSync(input);
  // 4 files of different sizes, each line naming its file.
  const files = ['a', 'b', 'c', 'd'].map((name, i) => {
    const lines = Array.from({ length: 40 + 25 * i }, (_, j) => `${name} line ${j} ${'x'.repeat(j % 13)}`);
    const file = path.join(input, `${name}.txt`);
    fs.writeFileSync(file, lines.join('\n') + '\n');
    return { name, lines: lines.length, bytes: fs.statSync(file).size };
  });
  const port = await freePort();
  const args = ['run', '--web-port', String(port), '--speculation', '--speculation-min-runtime', '500ms', fixture('cached-killed-input.ts'), input, dir];
  const run = startSluice(args, { ...process.env, SLUICE_SECRET: randomSecret(), SLUICE_SECRET_FILE: '' });
  const { child, exited } = run;
  try {
    // Held once the file is there and the lines printed before it have come through the run's
    // stdout (the file can be seen first: the fresh-clone CI read JOBS without RDD once).
    const printed = (): boolean => run.stdout.some((l) => l.startsWith('JOBS ')) && run.stdout.some((l) => l.startsWith('RDD '));
    await pollUntil(() => (fs.existsSync(path.join(dir, 'holding')) && printed() ? true : child.exitCode !== null ? assert.fail(`sluice run exited:\n${run.stderr}`) : undefined), 150_000, 'the job to hold');
    // The file partition 0's first attempt read (its first line names it).
    const killedFile = files.find((f) => fs.readFileSync(path.join(dir, 'p0.first'), 'utf8').startsWith(`${f.name} `))!;
    assert.ok(killedFile);
    const jobsLine = run.stdout.find((l) => l.startsWith('JOBS '))!;
    const rddLine = run.stdout.find((l) => l.startsWith('RDD '))!;
    assert.ok(jobsLine && rddLine, run.stdout.join('\n'));
    const [, textJob, ...countJobs] = jobsLine.split(' ');
    assert.equal(countJobs.length, 4, jobsLine);
    const rddId = Number(rddLine.split(' ')[1]);

    const root = `http://127.0.0.1:${port}`;
    const [app] = (await (await fetch(`${root}/api/v1/applications`)).json()) as { id: string }[];
    const rest = `${root}/api/v1/applications/${app.id}`;
    const get = async <T>(p: string): Promise<T> => (await (await fetch(`${rest}/${p}`)).json()) as T;
    const stageOf = async (job: string): Promise<number> => (await get<{ stageIds: number[] }>(`jobs/${job}`)).stageIds[0];

    // The killed attempt: the worker's answer to the kill amends its record.
    const textStage = await stageOf(textJob);
    let seen: Task[] = [];
    const textTasks = await pollUntil(async () => {
      const ts = (seen = await get<Task[]>(`stages/${textStage}/0/taskList?length=100`));
      const k = ts.find((t) => t.status === 'KILLED');
      return k !== undefined && k.taskMetrics.inputMetrics.bytesRead > 0 ? ts : undefined;
    }, 30_000, "the killed attempt's input in REST").catch((err: Error) => assert.fail(`${err.message}: ${JSON.stringify(seen)}`));
    const killed = textTasks.find((t) => t.status === 'KILLED')!;
    assert.equal(killed.partitionId, 0);
    assert.deepEqual(killed.taskMetrics.inputMetrics, { bytesRead: killedFile.bytes, recordsRead: killedFile.lines }, `the killed attempt read its file: ${JSON.stringify(killed)}`);
    const [textStageData] = await get<{ inputBytes: number; inputRecords: number }[]>(`stages/${textStage}`);
    const allFiles = files.reduce((a, f) => a + f.bytes, 0);
    assert.deepEqual([textStageData.inputBytes, textStageData.inputRecords], [allFiles + killedFile.bytes, files.reduce((a, f) => a + f.lines, 0) + killedFile.lines], "the stage's input: every attempt's, the killed one's too");

    // The cached RDD: each partition's block bytes, from storage/rdd.
    const storage = await get<{ partitions: { blockName: string; memoryUsed: number; decodedMemoryUsed: number }[] }>(`storage/rdd/${rddId}`);
    const blockBytes = new Map(storage.partitions.map((p) => [Number(p.blockName.split('_')[2]), p.memoryUsed - p.decodedMemoryUsed]));
    assert.equal(blockBytes.size, 2, JSON.stringify(storage));
    // parallelize's slices of 0..999 in 2: 500 numbers each.
    let cachedRead = 0;
    for (const [k, job] of countJobs.entries()) {
      const tasks = await get<Task[]>(`stages/${await stageOf(job)}/0/taskList?length=100`);
      const want = tasks.map((t) => (k === 0 ? { bytesRead: 0, recordsRead: 0 } : { bytesRead: blockBytes.get(t.partitionId)!, recordsRead: 500 }));
      assert.deepEqual(tasks.map((t) => t.taskMetrics.inputMetrics), want, `count ${k}: ${k === 0 ? 'computed and stored, no input' : "each task read its block's bytes and records"}`);
      if (k > 0) cachedRead += tasks.reduce((a, t) => a + t.taskMetrics.inputMetrics.bytesRead, 0);
    }
    assert.equal(cachedRead, 3 * [...blockBytes.values()].reduce((a, b) => a + b, 0));

    // Executors: every attempt's input, on REST and on the page.
    const executors = await get<{ id: string; totalInputBytes: number }[]>('executors');
    assert.equal(executors.reduce((a, e) => a + e.totalInputBytes, 0), allFiles + killedFile.bytes + cachedRead, `executors' totalInputBytes: ${JSON.stringify(executors)}`);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1600, height: 700 } });
      await page.goto(`${root}/jobs/${app.id}/executors/`);
      const head = await inPage<string[]>(page, `[...document.querySelectorAll('#executors thead th')].map((th) => th.textContent)`);
      const at = head.indexOf('Input');
      assert.ok(at > 0 && head[at + 1] === 'Shuffle Read', `an Input column before Shuffle Read: ${JSON.stringify(head)}`);
      const shown = await inPage<string[][]>(page, `[...document.querySelectorAll('#executors tbody tr')].map((tr) => [...tr.cells].map((td) => td.textContent))`);
      assert.deepEqual(shown.map((r) => [r[0], r[at]]), executors.map((e) => [e.id, shownBytes(e.totalInputBytes)]), 'each row\'s Input');
      await page.screenshot({ path: path.join(ARTIFACTS, 'ui-executors-input.png'), fullPage: true });
    } finally {
      await browser.close();
    }

    fs.writeFileSync(path.join(dir, 'release'), '');
    assert.equal(await exited, 0, run.stderr);
    // The program's SparkListener: the killed attempt's end with its input.
    const ends = JSON.parse(run.stdout.find((l) => l.startsWith('ENDS '))!.slice(5)) as End[];
    const killedEnd = ends.filter((e) => e.stageId === textStage && e.status === 'KILLED');
    assert.deepEqual(killedEnd.map((e) => [e.index, e.taskMetrics.inputMetrics]), [[0, { bytesRead: killedFile.bytes, recordsRead: killedFile.lines }]], `the listener's killed end: ${JSON.stringify(killedEnd)}`);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
