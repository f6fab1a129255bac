// Spark's input and output task metrics (InputMetrics, OutputMetrics) on `sluice run`'s cluster,
// through a SparkListener's onTaskEnd, REST taskList and stages, and the stage page in Chromium
// (fixture io-metrics.ts). Expected values computed here, from the files alone: textFile of three
// files (one gzip) with minPartitions 1 reads each file in one task, so each task's bytesRead is
// its file's size (fs.statSync; the .gz file's compressed size) and its recordsRead the lines
// this test wrote; each task's saveAsTextFile part file's size and lines (read back here) are its
// outputMetrics; wholeTextFiles reads the three files' bytes as three records; a parallelize
// count reads no input (Spark's ParallelCollectionRDD counts none). Screenshot
// test-artifacts/ui-stage-io-metrics.png.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import zlib from 'node:zlib';
import { ARTIFACTS, inPage, launchChromium } from './browser-support.js';
import { fixture, mulberry32 } from './harness.js';
import { withHeldRun } from './held-run.js';
import { shownBytes } from './page-format.js';

interface Io {
  inputMetrics: { bytesRead: number; recordsRead: number };
  outputMetrics: { bytesWritten: number; recordsWritten: number };
}
interface End {
  stageId: number;
  index: number;
  taskMetrics: Io;
}

test("input and output metrics as Spark's: textFile's bytes and lines read, saveAsTextFile's part files, in the listener, REST and the stage page (Chromium)", { timeout: 200_000 }, async () => {
  const rand = mulberry32(45);
  const lines = (n: number): string[] => Array.from({ length: n }, (_, i) => `line ${i} ${'x'.repeat(Math.floor(rand() * 80))}`);
  const files = [
    { name: 'a.txt', lines: lines(700) },
    { name: 'b.txt', lines: lines(1300) },
    { name: 'c.txt.gz', lines: lines(900) },
  ];
  const inputOutput = (dir: string): [string, string] => [path.join(dir, 'in'), path.join(dir, 'out')];
  // The input files, written in the run's folder before it starts.
  const withInput = (dir: string): string[] => {
    const [input, output] = inputOutput(dir);
    fs.mkdirSync(input);
    for (const f of files) {
      const text = f.lines.join('\n') + '\n';
      fs.writeFileSync(path.join(input, f.name), f.name.endsWith('.gz') ? zlib.gzipSync(text) : text);
    }
    return ['--workers', '2', fixture('io-metrics.ts'), input, output, dir];
  };
  await withHeldRun('io-metrics', withInput, { holdMs: 150_000, ready: (run) => run.stdout.some((l) => l.startsWith('PARALLEL ')) }, async (run) => {
    const [input, output] = inputOutput(run.dir);
    const sizes = files.map((f) => fs.statSync(path.join(input, f.name)).size);
    const printed = (tag: string): End[] => {
      const line = run.stdout.find((l) => l.startsWith(`${tag} `));
      assert.ok(line, run.stdout.join('\n'));
      return (JSON.parse(line.slice(tag.length + 1)) as End[]).sort((a, b) => a.index - b.index);
    };
    // Each task's part file, as written (its index is its split: the files in name order).
    const parts = files.map((_, i) => fs.readFileSync(path.join(output, `part-${String(i).padStart(5, '0')}`), 'utf8'));
    const want = files.map((f, i) => ({
      inputMetrics: { bytesRead: sizes[i], recordsRead: f.lines.length },
      outputMetrics: { bytesWritten: Buffer.byteLength(parts[i]), recordsWritten: parts[i].split('\n').length - 1 },
    }));
    assert.deepEqual(parts.map((p) => p.split('\n').length - 1), files.map((f) => f.lines.length), 'each part file holds its split\'s lines');

    // The program's SparkListener.
    const save = printed('SAVE');
    assert.deepEqual(save.map((e) => ({ inputMetrics: e.taskMetrics.inputMetrics, outputMetrics: e.taskMetrics.outputMetrics })), want, `onTaskEnd's taskMetrics: ${JSON.stringify(save)}`);
    const whole = printed('WHOLE');
    assert.deepEqual(
      [whole.reduce((a, e) => a + e.taskMetrics.inputMetrics.bytesRead, 0), whole.reduce((a, e) => a + e.taskMetrics.inputMetrics.recordsRead, 0), whole.reduce((a, e) => a + e.taskMetrics.outputMetrics.recordsWritten, 0)],
      [sizes.reduce((a, b) => a + b, 0), files.length, 0],
      `wholeTextFiles: every file's bytes, one record each: ${JSON.stringify(whole)}`,
    );
    const parallel = printed('PARALLEL');
    assert.deepEqual(parallel.map((e) => [e.taskMetrics.inputMetrics, e.taskMetrics.outputMetrics]), parallel.map(() => [{ bytesRead: 0, recordsRead: 0 }, { bytesWritten: 0, recordsWritten: 0 }]), 'parallelize: no input');

    // REST: taskList's taskMetrics, the stage's sums.
    const root = run.root;
    const [app] = (await (await fetch(`${root}/api/v1/applications`)).json()) as { id: string }[];
    const rest = `${root}/api/v1/applications/${app.id}`;
    const stage = save[0].stageId;
    const tasks = ((await (await fetch(`${rest}/stages/${stage}/0/taskList?length=100`)).json()) as ({ taskId: string; index: number; taskMetrics: Io })[]).sort((a, b) => a.index - b.index);
    assert.deepEqual(tasks.map((t) => ({ inputMetrics: t.taskMetrics.inputMetrics, outputMetrics: t.taskMetrics.outputMetrics })), want, 'REST taskList');
    const [sd] = (await (await fetch(`${rest}/stages/${stage}`)).json()) as { inputBytes: number; inputRecords: number; outputBytes: number; outputRecords: number }[];
    const sum = (f: (w: (typeof want)[number]) => number): number => want.reduce((a, w) => a + f(w), 0);
    assert.deepEqual(
      [sd.inputBytes, sd.inputRecords, sd.outputBytes, sd.outputRecords],
      [sum((w) => w.inputMetrics.bytesRead), sum((w) => w.inputMetrics.recordsRead), sum((w) => w.outputMetrics.bytesWritten), sum((w) => w.outputMetrics.recordsWritten)],
      'REST stage: its tasks summed',
    );

    // The stage page: Input and Output facts, the tasks table's columns under Spark's headers.
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1600, height: 900 } });
      await page.goto(`${root}/jobs/${app.id}/stages/stage/?id=${stage}&attempt=0`);
      const facts = await inPage<string[]>(page, `['Input', 'Output'].map((k) => document.querySelector('[data-field="' + k + '"]')?.textContent)`);
      assert.deepEqual(facts, [`${shownBytes(sd.inputBytes)} / ${sd.inputRecords}`, `${shownBytes(sd.outputBytes)} / ${sd.outputRecords}`], 'the stage facts');
      const head = await inPage<string[]>(page, `[...document.querySelectorAll('#tasks thead th')].map((th) => th.textContent)`);
      const [inCol, outCol] = ['Input Size / Records', 'Output Size / Records'].map((h) => head.indexOf(h));
      assert.ok(inCol >= 0 && outCol >= 0, JSON.stringify(head));
      const byId = new Map((await inPage<[string, string[]][]>(page, `[...document.querySelectorAll('#tasks tbody tr')].map((tr) => [tr.dataset.task, [...tr.cells].map((td) => td.textContent)])`)).map(([id, cells]) => [id, cells]));
      assert.deepEqual(
        tasks.map((t) => [byId.get(t.taskId)?.[inCol], byId.get(t.taskId)?.[outCol]]),
        want.map((w) => [`${shownBytes(w.inputMetrics.bytesRead)} / ${w.inputMetrics.recordsRead}`, `${shownBytes(w.outputMetrics.bytesWritten)} / ${w.outputMetrics.recordsWritten}`]),
        'the tasks table',
      );
      await page.screenshot({ path: path.join(ARTIFACTS, 'ui-stage-io-metrics.png'), fullPage: true });
    } finally {
      await browser.close();
    }
  });
});
