// Spark's memoryBytesSpilled and diskBytesSpilled (the stage page's Spill (Memory) and Spill
// (Disk)) against the bytes the worker actually wrote to its --local-dir, read here: one worker of
// one core with --memory 1k, so every block a task stores moves the older blocks held in memory to
// disk (a file per segment under its scratch directory's blocks/), and nothing else writes there.
// - the MEMORY_AND_DISK_SER RDD's count: its 6 tasks' spills are the 5 files on disk (each task
//   spills the partition cached before it; the first spills nothing), their sum the stage's;
// - the groupByKey's map stage: the files written since, summed, are its spill (each map output
//   spills the one before; the first the last cached partition); its result stage spilled none;
// - REST taskList's taskMetrics, the stage's sums, its executorSummary and taskSummary, and the
//   program's SparkListener say the same; the map stage's page shows Spill (Memory) and Spill (Disk)
//   in its facts, summary, executor table and tasks table, the result stage's page none (Chromium,
//   screenshot test-artifacts/ui-stage-spill.png).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { ARTIFACTS, inPage, launchChromium } from './browser-support.js';
import { fixture, pollUntil, scratchDirsOf, within, withCluster } from './harness.js';
import { shownBytes } from './page-format.js';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'spill-metrics-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

interface Task {
  readonly taskId: string;
  readonly index: number;
  readonly status: string;
  readonly taskMetrics: { readonly memoryBytesSpilled: number; readonly diskBytesSpilled: number };
}
interface Stage {
  readonly stageId: number;
  readonly attemptId: number;
  readonly numTasks: number;
  readonly status: string;
  readonly memoryBytesSpilled: number;
  readonly diskBytesSpilled: number;
  readonly shuffleWriteBytes: number;
}

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
const ascending = (xs: readonly number[]): number[] => [...xs].sort((a, b) => a - b);

test('a task\'s spill figures are the bytes its stores moved to the worker\'s --local-dir, in REST, the listener and the stage page', { timeout: 120_000 }, async () => {
  await withCluster({ workers: 1, coresPerWorker: 1, workerArgs: ['--memory', '1k'], driver: { webPort: 0 } }, async (h) => {
    const running = h.run(fixture('spill-metrics.ts'), [scratch]);
    const [worker] = h.cluster.driver.registry.all();
    const root = `http://127.0.0.1:${h.cluster.driver.webPort}`;
    const step = async (name: string): Promise<string> => {
      await pollUntil(async () => (fs.existsSync(path.join(scratch, `${name}-holding`)) ? true : undefined), 90_000, `the program's step ${name}`);
      return fs.readFileSync(path.join(scratch, `${name}-holding`), 'utf8');
    };
    const release = (name: string): void => fs.writeFileSync(path.join(scratch, `${name}-release`), '');
    // The sizes of the files the worker's store has written (its scratch directory's blocks/).
    const onDisk = (): number[] => {
      const dirs = scratchDirsOf(worker.id).map((d) => path.join(d, 'blocks')).filter((d) => fs.existsSync(d));
      assert.equal(dirs.length, 1, `the worker's one scratch directory: ${dirs.join(', ')}`);
      return fs.readdirSync(dirs[0]).map((f) => fs.statSync(path.join(dirs[0], f)).size);
    };
    const get = async <T>(app: string, p: string): Promise<T> => {
      const r = await fetch(`${root}/api/v1/applications/${app}/${p}`);
      const body = await r.text();
      assert.equal(r.status, 200, `GET ${p}: ${body}`);
      return JSON.parse(body) as T;
    };
    const tasksOf = async (app: string, s: Stage): Promise<Task[]> => (await get<Task[]>(app, `stages/${s.stageId}/${s.attemptId}/taskList?length=100`)).sort((a, b) => a.index - b.index);

    // 1. The cached RDD's count.
    const app = await step('cached');
    const cachedFiles = onDisk();
    assert.equal(cachedFiles.length, 5, `5 of the 6 cached partitions spilled (the last stays in memory): ${JSON.stringify(cachedFiles)}`);
    const cachedBytes = sum(cachedFiles);
    const [countStage] = await get<Stage[]>(app, 'stages');
    assert.equal(countStage.numTasks, 6);
    const countTasks = await tasksOf(app, countStage);
    assert.deepEqual(
      countTasks.map((t) => t.taskMetrics.diskBytesSpilled > 0),
      [false, true, true, true, true, true],
      `the first task spills nothing, each later one the partition before: ${JSON.stringify(countTasks.map((t) => t.taskMetrics))}`,
    );
    assert.deepEqual(ascending(countTasks.map((t) => t.taskMetrics.diskBytesSpilled).filter((b) => b > 0)), ascending(cachedFiles), 'each task\'s diskBytesSpilled is one file on the worker\'s disk');
    assert.deepEqual(
      countTasks.map((t) => t.taskMetrics.memoryBytesSpilled),
      countTasks.map((t) => t.taskMetrics.diskBytesSpilled),
      'memoryBytesSpilled: the same bytes (held encoded in memory, written as they are)',
    );
    assert.deepEqual([countStage.memoryBytesSpilled, countStage.diskBytesSpilled], [cachedBytes, cachedBytes], 'the stage: the bytes on disk');
    release('cached');

    // 2. The groupByKey: its map stage and its result stage.
    await step('shuffled');
    const allFiles = onDisk();
    const mapBytes = sum(allFiles) - cachedBytes;
    assert.ok(allFiles.length >= 5 + 2 * 5 + 1, `the last cached partition and 5 of the 6 map outputs (an index and data file each) spilled: ${allFiles.length} files`);
    const stages = (await get<Stage[]>(app, 'stages')).sort((a, b) => a.stageId - b.stageId);
    assert.equal(stages.length, 3, JSON.stringify(stages.map((s) => [s.stageId, s.status])));
    const [, mapStage, resultStage] = stages;
    assert.ok(mapStage.shuffleWriteBytes > 0, 'the second stage is the map stage');
    assert.deepEqual([mapStage.memoryBytesSpilled, mapStage.diskBytesSpilled], [mapBytes, mapBytes], 'the map stage: the bytes written to disk since the count');
    assert.deepEqual([resultStage.memoryBytesSpilled, resultStage.diskBytesSpilled], [0, 0], 'the result stage stores nothing');
    const mapTasks = await tasksOf(app, mapStage);
    assert.equal(mapTasks.filter((t) => t.taskMetrics.diskBytesSpilled > 0).length, 6, `every map task spilled (the first the last cached partition): ${JSON.stringify(mapTasks.map((t) => t.taskMetrics))}`);
    assert.equal(sum(mapTasks.map((t) => t.taskMetrics.diskBytesSpilled)), mapBytes, 'the map tasks\' spills add up to the stage\'s');
    const [detail] = await get<(Stage & { executorSummary: Record<string, { memoryBytesSpilled: number; diskBytesSpilled: number }> })[]>(app, `stages/${mapStage.stageId}`);
    assert.deepEqual(detail.executorSummary[worker.id] && [detail.executorSummary[worker.id].memoryBytesSpilled, detail.executorSummary[worker.id].diskBytesSpilled], [mapBytes, mapBytes], 'executorSummary: the worker\'s');
    const summary = await get<{ memoryBytesSpilled: number[]; diskBytesSpilled: number[] }>(app, `stages/${mapStage.stageId}/${mapStage.attemptId}/taskSummary?quantiles=0,1`);
    const mapSpills = ascending(mapTasks.map((t) => t.taskMetrics.diskBytesSpilled));
    assert.deepEqual([summary.memoryBytesSpilled, summary.diskBytesSpilled], [[mapSpills[0], mapSpills[5]], [mapSpills[0], mapSpills[5]]], 'taskSummary: the least and most');

    // The pages.
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1800, height: 1000 } });
      const spillFacts = async (s: Stage): Promise<(string | null)[]> => {
        await page.goto(`${root}/jobs/${app}/stages/stage/?id=${s.stageId}&attempt=${s.attemptId}`);
        return inPage<(string | null)[]>(page, `['Spill (Memory)', 'Spill (Disk)'].map((k) => document.querySelector('[data-field="' + k + '"]')?.textContent ?? null)`);
      };
      assert.deepEqual(await spillFacts(resultStage), [null, null], 'no spill facts on a stage that spilled none (Spark\'s hasBytesSpilled)');
      assert.deepEqual(await spillFacts(mapStage), [shownBytes(mapBytes), shownBytes(mapBytes)], 'the map stage\'s facts');
      const rowOf = (id: string, name: string): Promise<string[]> => inPage<string[]>(page, `[...[...document.querySelectorAll('#${id} tbody tr')].find((tr) => tr.cells[0].textContent === ${JSON.stringify(name)})?.cells ?? []].map((td) => td.textContent)`);
      assert.deepEqual((await rowOf('summary-metrics', 'Spill (Disk)')).slice(1), [0, 1, 3, 4, 5].map((i) => shownBytes(mapSpills[i])), 'Summary Metrics: Spill (Disk) by quantile');
      const execHead = await inPage<string[]>(page, `[...document.querySelectorAll('#executor-summary thead th')].map((th) => th.textContent)`);
      const execRow = await rowOf('executor-summary', worker.id);
      assert.deepEqual(['Spill (Memory)', 'Spill (Disk)'].map((hd) => execRow[execHead.indexOf(hd)]), [shownBytes(mapBytes), shownBytes(mapBytes)], `Aggregated Metrics by Executor: ${JSON.stringify(execHead)}`);
      const head = await inPage<string[]>(page, `[...document.querySelectorAll('#tasks thead th')].map((th) => th.textContent)`);
      const [memCol, diskCol] = ['Spill (Memory)', 'Spill (Disk)'].map((hd) => head.indexOf(hd));
      assert.ok(memCol >= 0 && diskCol >= 0, JSON.stringify(head));
      const byId = new Map(await inPage<[string, string[]][]>(page, `[...document.querySelectorAll('#tasks tbody tr')].map((tr) => [tr.dataset.task, [...tr.cells].map((td) => td.textContent)])`));
      assert.deepEqual(
        mapTasks.map((t) => [byId.get(t.taskId)?.[memCol], byId.get(t.taskId)?.[diskCol]]),
        mapTasks.map((t) => [shownBytes(t.taskMetrics.memoryBytesSpilled), shownBytes(t.taskMetrics.diskBytesSpilled)]),
        'the tasks table',
      );
      await page.screenshot({ path: path.join(ARTIFACTS, 'ui-stage-spill.png'), fullPage: true });
    } finally {
      await browser.close();
    }
    release('shuffled');
    const run = await within(running, 60_000, 'the program to end');
    assert.ok(run.ok, String(run.failure));
    assert.ok(run.lines.includes('COUNT 3000'), run.lines.join('\n'));
    assert.ok(run.lines.includes('GROUPS 40 3000'), run.lines.join('\n'));
    // The program's SparkListener: every task end's figures as REST's taskList gives them.
    const printed = run.lines.filter((l) => l.startsWith('SPILL ')).map((l) => l.split(' ').slice(1).map(Number));
    const rest = [...countTasks.map((t) => [countStage.stageId, t]), ...mapTasks.map((t) => [mapStage.stageId, t])] as [number, Task][];
    assert.deepEqual(
      printed.filter(([s]) => s !== resultStage.stageId).sort((a, b) => a[0] - b[0] || a[1] - b[1]),
      rest.map(([s, t]) => [s, t.index, t.taskMetrics.memoryBytesSpilled, t.taskMetrics.diskBytesSpilled]),
      'onTaskEnd\'s taskMetrics',
    );
    assert.deepEqual(printed.filter(([s]) => s === resultStage.stageId).map(([, , m, d]) => [m, d]), [[0, 0], [0, 0], [0, 0]], 'the result stage\'s tasks: none');
  });
});
