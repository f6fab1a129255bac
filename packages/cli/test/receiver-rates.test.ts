// The Streaming tab's and REST's per-receiver figures against what each receiver stored: two
// custom receivers of a fixed number of records each (fixtures/receiver-rates.ts: 240 and 600,
// constants here, not read from Sluice), into 500 ms batches on `sluice run`'s 2 workers. For
// each stream, REST streaming/receivers' numRecords is its receiver's total, its eventRates
// (Spark's: each batch's records of the stream × 1000 / the interval) add up to that total over
// the batches, avgEventRate is their mean, and the Streaming page's Receivers table (Chromium)
// shows the total and that rate; neither stream's records are counted to the other.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inPage, launchChromium } from './browser-support.js';
import { fixture, pollUntil } from './harness.js';
import { withHeldRun } from './held-run.js';

const BATCH_MS = 500;
/** What each receiver stores in all: 20 stores of 12, and of 30. */
const STORED = [20 * 12, 20 * 30];

interface ReceiverJson {
  readonly streamId: number;
  readonly numRecords: number;
  readonly avgEventRate?: number;
  readonly eventRates: readonly [number, number][];
}

test('each receiver\'s records and rates in REST and on the Streaming page are what it stored', { timeout: 150_000 }, async () => {
  await withHeldRun('receiver-rates', (dir) => ['--workers', '2', '--cores', '2', fixture('receiver-rates.ts'), dir], { holdMs: 120_000, ready: (run) => run.stdout.some((l) => l.startsWith('COUNTED ')) }, async (run) => {
    assert.deepEqual(run.line('COUNTED').slice(1).map(Number), STORED, 'the program counted every record of each stream');
    const [app] = (await (await fetch(`${run.root}/api/v1/applications`)).json()) as { id: string }[];
    const receivers = ((await (await fetch(`${run.root}/api/v1/applications/${app.id}/streaming/receivers`)).json()) as ReceiverJson[]).sort((a, b) => a.streamId - b.streamId);
    assert.deepEqual(receivers.map((r) => r.streamId), [0, 1]);
    assert.deepEqual(receivers.map((r) => r.numRecords), STORED, 'numRecords: what each receiver stored');
    assert.deepEqual(
      receivers.map((r) => r.eventRates.reduce((a, [, rate]) => a + (rate * BATCH_MS) / 1000, 0)),
      STORED,
      `each stream's batches' rates × the interval add up to what its receiver stored: ${JSON.stringify(receivers.map((r) => r.eventRates))}`,
    );
    for (const r of receivers) {
      const mean = r.eventRates.reduce((a, [, rate]) => a + rate, 0) / r.eventRates.length;
      assert.ok(r.avgEventRate !== undefined && Math.abs(r.avgEventRate - mean) < 1e-9, `stream ${r.streamId}: avgEventRate ${r.avgEventRate}, the mean of its eventRates ${mean}`);
    }
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
      await page.goto(`${run.root}/jobs/${app.id}/streaming/`);
      const rows = await pollUntil(async () => {
        const r = await inPage<string[][]>(page, `[...document.querySelectorAll('#receivers tbody tr')].map((tr) => [...tr.cells].map((td) => td.textContent))`);
        return r.length === 2 ? r : undefined;
      }, 30_000, 'the Receivers table');
      const head = await inPage<string[]>(page, `[...document.querySelectorAll('#receivers thead th')].map((th) => th.textContent)`);
      const col = (h: string): number => head.indexOf(h);
      assert.deepEqual(rows.map((c) => Number(c[col('Records')].replace(/,/g, ''))), STORED, `the page's Records: ${JSON.stringify(rows)}`);
      for (const [i, c] of rows.entries()) assert.ok(Number(c[col('Records/s')].replace(/,/g, '')) > 0, `stream ${i}'s Records/s: ${c[col('Records/s')]}`);
    } finally {
      await browser.close();
    }
  });
});
