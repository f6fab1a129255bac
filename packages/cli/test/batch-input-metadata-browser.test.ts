// The batch page's Input Metadata, as Spark's BatchPage: what each input stream that says so took
// (its StreamInputInfo metadata Description), here a file stream's new files, a line each,
// in Debian's Chromium (browser-support.ts). The fixture stream-files.ts is a textFileStream on a
// manual clock the test ticks; the expected file names are the ones this test moved in.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ARTIFACTS, inPage, launchChromium } from './browser-support.js';
import { fixture, startJob, within, withCluster } from './harness.js';

test("a file stream's batch page lists the batch's new files under Input Metadata, in Chromium", { timeout: 180_000 }, async () => {
  const BATCH_MS = 500;
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-input-metadata-'));
  const [dir, staging, control, stopFile] = ['in', 'staging', 'control', 'stop'].map((d) => path.join(root, d));
  for (const d of [dir, staging, control]) fs.mkdirSync(d);
  // Two files written long ago (mtime 0) and moved in before tick 1: the batch at tick 1 reads both.
  const names = ['a-1.txt', 'b-2.txt'];
  for (const [i, name] of names.entries()) {
    fs.writeFileSync(path.join(staging, name), `${name}:${i}\n`);
    fs.utimesSync(path.join(staging, name), 0, 0);
  }
  const browser = await launchChromium();
  try {
    await withCluster({ workers: 1, driver: { webPort: 0 } }, async (h) => {
      const job = await startJob(h.cluster, fixture('stream-files.ts'), [dir, control, stopFile, String(BATCH_MS)]);
      const zero = Number((await job.waitLine('STARTED ', 30_000)).slice('STARTED '.length));
      for (const name of names) fs.renameSync(path.join(staging, name), path.join(dir, name));
      fs.writeFileSync(path.join(control, 'tick-1'), '');
      await job.waitLine(`TICKED ${zero + BATCH_MS}`, 30_000);
      fs.writeFileSync(path.join(control, 'tick-2'), '');
      await job.waitLine(`TICKED ${zero + 2 * BATCH_MS}`, 30_000);

      const web = `http://127.0.0.1:${h.cluster.driver.webPort}`;
      const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${web}/jobs/${job.id}/streaming/batch/${zero + BATCH_MS}`);
      const rows = await inPage<{ input: string; lines: string[] }[]>(
        page,
        `[...document.querySelectorAll('#input-metadata tbody tr')].map((tr) => ({ input: tr.cells[0].textContent, lines: tr.cells[1].innerHTML.split('<br>') }))`,
      );
      assert.equal(rows.length, 1, 'one input stream, one row');
      assert.ok(rows[0]!.input.length > 0, 'the row names its input stream');
      // Each line one file of the batch (as Spark's, a path or URI ending in its name), in the order read.
      assert.deepEqual(rows[0]!.lines.map((l) => path.basename(l)).sort(), [...names].sort());
      assert.equal(await page.locator('#batch-details li').filter({ hasText: 'Input Metadata:' }).count(), 1);
      await page.screenshot({ path: path.join(ARTIFACTS, 'batch-input-metadata.png'), fullPage: true });

      // The batch at tick 2 took no file: an empty Description, one row with nothing in it (Spark's
      // FileInputDStream reports its metadata for every batch).
      await page.goto(`${web}/jobs/${job.id}/streaming/batch/${zero + 2 * BATCH_MS}`);
      const empty = await inPage<string[]>(page, `[...document.querySelectorAll('#input-metadata tbody tr')].map((tr) => tr.cells[1].textContent)`);
      assert.deepEqual(empty, ['']);
      assert.deepEqual(errors, [], 'the page script threw nothing');

      fs.writeFileSync(stopFile, '');
      const run = await within(job.done, 60_000, 'the job to stop');
      assert.equal(run.ok, true);
    });
  } finally {
    await browser.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
});
