// Spark Streaming's batch tables for batches whose output operations failed, in a real browser
// (Debian's Chromium through playwright-core, as streaming-ui-browser) over a job on a local
// cluster (a driver with a web port, 2 workers; fixture streaming-spark-suites7.ts). Expected
// values are Spark's, from streaming/src/main/scala/org/apache/spark/streaming/ui/
// AllBatchesTable.scala (an "Error" column only while a shown batch has a failed output
// operation, its cell the batch's first failure reason by output id, '-' for the others) and
// UIUtils.scala (createOutputOperationFailureForUI: "Failed due to Spark job error" for a job's
// failure, "Failed due to error: <its first line>" for another, the failure whole after it;
// failureReasonCell with includeFirstLineInExpandDetails = false: that first line shown, the
// rest behind '+details'), applied here to the failures the job's own StreamingListener heard.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './browser-support.js';
import { assertCasesDone, fixture, pollUntil, startJob, withCluster, type RunningJob } from './harness.js';

const COMPLETED = ['Batch Time', 'Records', 'Scheduling Delay', 'Processing Time', 'Total Delay', 'Output Ops: Succeeded/Total'];
const ACTIVE = ['Batch Time', 'Records', 'Scheduling Delay', 'Processing Time', 'Output Ops: Succeeded/Total', 'Status'];

interface Cell {
  text: string;
  /** An Error cell's parts: its shown line, the '+details' toggle, the details and whether they show, before and after a click. */
  summary?: string;
  toggle?: string;
  details?: string;
  shown?: [boolean, boolean];
}
interface Tables {
  refreshes: number;
  active: string[];
  completed: string[];
  /** The completed batches' rows, keyed by batch id (the link's last path segment). */
  rows: Record<string, Cell[]>;
}

/** Both tables as one refresh drew them; every Error cell's '+details' clicked once to see it open. */
function readTables(page: Page): Promise<Tables> {
  return page.evaluate(`(() => {
    const heads = (id) => [...document.querySelectorAll('#' + id + ' thead th')].map((th) => th.textContent);
    const rows = {};
    for (const tr of document.querySelectorAll('#completed-batches tbody tr')) {
      const id = tr.querySelector('a').getAttribute('href').split('/').pop();
      rows[id] = [...tr.children].map((td) => {
        const toggle = td.querySelector('.expand-details');
        if (!toggle) return { text: td.textContent };
        const details = td.querySelector('.stacktrace-details');
        const shows = () => getComputedStyle(details).display !== 'none';
        const before = shows();
        toggle.click();
        return { text: td.textContent, summary: td.firstChild.textContent, toggle: toggle.textContent, details: details.textContent, shown: [before, shows()] };
      });
    }
    return { refreshes: Number(document.body.dataset.refreshes || 0), active: heads('active-batches'), completed: heads('completed-batches'), rows };
  })()`) as Promise<Tables>;
}

/** Spark's UIUtils.createOutputOperationFailureForUI, split as failureReasonCell shows it: [first line, details]. */
function sparkFailureCell(failure: string): [string, string] {
  const ui = failure.startsWith('Job aborted') ? `Failed due to Spark job error\n${failure}` : `Failed due to error: ${failure.split('\n')[0]}\n${failure}`;
  const nl = ui.indexOf('\n');
  return [ui.slice(0, nl), ui.slice(nl + 1)];
}

interface Outcome {
  times: number[];
  outputs: [number, number, string | null][];
  ended: string | null;
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-sss7-'));
const touch = (name: string): void => fs.writeFileSync(path.join(tmp, name), '');

test("the batch tables' Error column (AllBatchesTable, UIUtils.failureReasonCell), in Chromium", { timeout: 400_000 }, async (t) => {
  const browser: Browser = await launchChromium();
  try {
    await withCluster({ workers: 2, driver: { webPort: 0 } }, async (h) => {
      const job: RunningJob = await startJob(h.cluster, fixture('streaming-spark-suites7.ts'), [tmp]);
      const web = `http://127.0.0.1:${h.cluster.driver.webPort}`;
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      /** The tables once a refresh shows `n` completed batches (the page reads the REST API every second). */
      let last: unknown;
      const tablesWith = (n: number): Promise<Tables> =>
        pollUntil(async () => {
          const s = await readTables(page);
          last = s;
          return Object.keys(s.rows).length === n ? s : undefined;
        }, 120_000, `${n} completed batches on the Streaming page`, 200).catch((e: unknown) => {
          throw new Error(`${(e as Error).message}; the page last showed ${JSON.stringify(last)}; page errors ${JSON.stringify(errors)}`);
        });
      const outcomes: Record<string, Outcome> = {};
      let shownBefore = 0;

      for (const c of ['driver', 'job'] as const) {
        const two = JSON.parse((await job.waitLine(`B ${c} `, 120_000)).slice(`B ${c} `.length)) as number[];
        // (In 'job', the failed batch of 'driver' is shown still.)
        if (c === 'job') touch(`${c}.go`);
        else await t.test('no Error column while no shown batch failed', async () => {
          try {
            assert.equal(two.length, 2);
            // The job's Streaming page is there once its StreamingContext started.
            await page.goto(`${web}/jobs/${job.id}/streaming/`);
            const s = await tablesWith(2);
            assert.deepEqual(s.completed, COMPLETED);
            assert.deepEqual(s.active, ACTIVE);
            assert.deepEqual(Object.keys(s.rows).map(Number).sort(), two);
            for (const cells of Object.values(s.rows)) assert.equal(cells.length, COMPLETED.length);
          } finally {
            touch(`${c}.go`);
          }
        });

        await t.test(`${c}: a failed batch adds the Error column: its first failure as Spark's UI writes it, '-' for the others`, async () => {
          const o = (outcomes[c] = JSON.parse((await job.waitLine(`X ${c} `, 120_000)).slice(`X ${c} `.length)) as Outcome);
          try {
            await checkFailed(c, o);
          } finally {
            touch(`${c}.done`);
          }
        });
      }
      /** A context's third batch failed: the REST API's and the page's Error column, as Spark's. */
      async function checkFailed(c: 'driver' | 'job', o: Outcome): Promise<void> {
        assert.equal(o.times.length, 3, JSON.stringify(o));
        const failed = o.times[2];
        const failures = o.outputs.filter(([b, , f]) => b === failed && f !== null).sort((a, b) => a[1] - b[1]);
        assert.deepEqual(failures.map(([, id]) => id), c === 'driver' ? [1, 2] : [1], JSON.stringify(o.outputs));
        assert.ok(o.outputs.filter(([b]) => b !== failed).every(([, , f]) => f === null), 'only the third batch failed');
        const first = failures[0][2]!;
        const [summary, details] = sparkFailureCell(first);
        // The failure is Spark's Utils.exceptionString: the message's two lines, then the stack (a frame in the fixture).
        if (c === 'driver') {
          assert.equal(summary, `Failed due to error: Oops at ${failed}`);
          assert.ok(details.startsWith(`Oops at ${failed}\nthe second line\n    at `) && details.includes('streaming-spark-suites7.ts'), details);
        } else assert.ok(summary === 'Failed due to Spark job error' && details.startsWith('Job aborted due to stage failure: ') && details.includes('task oops'), details);
        // The REST API's firstFailureReason is the failure whole (Spark's BatchInfo).
        const rest = (await (await fetch(`${web}/api/v1/applications/${job.id}/streaming/batches/${failed}`)).json()) as { firstFailureReason?: string; numFailedOutputOps: number };
        assert.equal(rest.firstFailureReason, first);
        assert.equal(rest.numFailedOutputOps, failures.length);

        shownBefore += 3;
        const s = await tablesWith(shownBefore);
        assert.deepEqual(s.completed, [...COMPLETED, 'Error']);
        assert.deepEqual(s.active, ACTIVE, 'no active batch failed');
        const mine = o.times.map(String);
        for (const [id, cells] of Object.entries(s.rows)) {
          assert.equal(cells.length, COMPLETED.length + 1, id);
          const error = cells.at(-1)!;
          if (id !== String(failed)) {
            if (mine.includes(id)) assert.deepEqual(error, { text: '-' }, id);
            continue;
          }
          assert.equal(cells[5].text, `${3 - failures.length}/3`, 'Output Ops: Succeeded/Total');
          assert.deepEqual(error, { text: `${summary}+details${details}`, summary, toggle: '+details', details, shown: [false, true] });
        }
        assert.ok(String(failed) in s.rows, `batch ${failed} is shown`);
        if (c === 'job') {
          // The first context's failed batch keeps its own cell beside the second's.
          const before = outcomes.driver.times[2];
          const [sum0] = sparkFailureCell(outcomes.driver.outputs.find(([b, id]) => b === before && id === 1)![2]!);
          assert.equal(s.rows[String(before)]?.at(-1)?.summary, sum0);
        }
      }
      const r = await job.done;
      assertCasesDone(r);
      assert.deepEqual(errors, [], 'the page script threw nothing');
      await page.close();
    });
  } finally {
    await browser.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
