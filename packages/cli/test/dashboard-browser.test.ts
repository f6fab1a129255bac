// dstream.toDashboard in a real browser: Debian's Chromium (headless) driven by
// playwright-core, a driver and two worker processes. A network word count sends its
// counts to a bar dashboard; the test sends known lines, works out which lines each batch
// took (the batches' record counts, in the order the lines were sent) and checks that the
// bars on the page are exactly the latest batch's largest counts, computed from those
// lines; that they change on the next batch without a reload; that the line chart has one
// point per batch with the batch's word count; that a key `<script>...` is text; and that
// a reloaded page gets the current state first. Screenshots go to test-artifacts/.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { bundleJob } from '../src/bundle-job.js';
import { ARTIFACTS, launchChromium } from './browser-support.js';
import { fixture, mulberry32, within, withCluster } from './harness.js';

const BATCH_MS = 500;
const MAX_BARS = 8;
const SCRIPT_KEY = '<script>window.__dash=1</script>';
/** Words with skewed frequencies (w0 most often), so each batch has ties and a clear top. */
const VOCABULARY = Array.from({ length: 16 }, (_, i) => `w${i}`);

/** A TCP source the job's socketTextStream connects to: once `flow()` is called, `perTick` seeded lines every 100 ms, each kept in `sent`. */
async function wordSource(perTick: number): Promise<{ port: number; connected: Promise<void>; sent: string[]; flow: () => void; stop: () => void }> {
  const random = mulberry32(12);
  const word = (): string => VOCABULARY[Math.floor(VOCABULARY.length * random() ** 2)];
  const sent: string[] = [];
  let client: net.Socket | undefined;
  let flowing = false;
  let connected!: () => void;
  const first = new Promise<void>((r) => (connected = r));
  const server = net.createServer((s) => {
    client ??= s;
    s.on('error', () => undefined);
    connected();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const timer = setInterval(() => {
    if (!client || !flowing) return;
    const lines = Array.from({ length: perTick }, () => `${SCRIPT_KEY} ${word()} ${word()}`);
    sent.push(...lines);
    client.write(lines.join('\n') + '\n');
  }, 100);
  return {
    port: (server.address() as net.AddressInfo).port,
    connected: first,
    sent,
    flow: () => (flowing = true),
    stop: () => {
      clearInterval(timer);
      client?.destroy();
      server.close();
    },
  };
}

interface BatchRow {
  readonly batchId: number;
  readonly inputSize: number;
}

/**
 * The lines each batch took: batches take the received lines in order, so batch k's lines
 * follow those of the batches before it. Every batch since the first must be listed.
 */
async function linesByBatch(rest: string, sent: readonly string[]): Promise<Map<number, string[]>> {
  const batches = ((await (await fetch(`${rest}/streaming/batches`)).json()) as BatchRow[]).sort((a, b) => a.batchId - b.batchId);
  batches.forEach((b, i) => i === 0 || assert.equal(b.batchId - batches[i - 1].batchId, BATCH_MS, 'every batch is listed'));
  const out = new Map<number, string[]>();
  let at = 0;
  for (const b of batches) {
    out.set(b.batchId, sent.slice(at, at + b.inputSize));
    at += b.inputSize;
  }
  assert.ok(at <= sent.length, `the batches took ${at} lines; ${sent.length} were sent`);
  return out;
}

/** Word counts of `lines`, the largest first (ties: the smaller word first), as the test computes them. */
function expectedCounts(lines: readonly string[]): [string, number][] {
  const counts = new Map<string, number>();
  for (const l of lines) for (const w of l.split(' ')) if (w !== '') counts.set(w, (counts.get(w) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
}

interface PageState {
  readonly batch: number;
  readonly updates: number;
  readonly bars: [string, number][];
  readonly warnings: string[];
  readonly linePoints: number;
  readonly lineLastBatch: number;
  readonly snapshots: number;
  readonly scripts: number;
  readonly marker: unknown;
  readonly xss: boolean;
}

/** What the page shows, read in one go (an update may come between two reads otherwise). */
// Runs in the page (this package compiles without the DOM types: the code is a string).
const READ_PAGE = `(() => {
    const board = (name) => [...document.querySelectorAll('section.dashboard')].find((s) => s.dataset.name === name);
    const bars = board('word counts');
    const line = board('words per batch')?.querySelector('.dashboard-body');
    return {
      batch: Number(bars?.dataset.batch ?? 0),
      updates: Number(bars?.dataset.updates ?? 0),
      bars: [...(bars?.querySelectorAll('.bar') ?? [])].map((b) => [b.querySelector('.bar-label').textContent, Number(b.querySelector('.bar-value').textContent.replaceAll(',', ''))]),
      warnings: [...(bars?.querySelectorAll('.warning p') ?? [])].map((p) => p.textContent),
      linePoints: Number(line?.dataset.points ?? 0),
      lineLastBatch: Number(line?.dataset.lastBatch ?? 0),
      snapshots: Number(document.body.dataset.snapshots ?? 0),
      scripts: document.querySelectorAll('script').length,
      marker: window.__marker,
      xss: window.__dash !== undefined,
    };
  })()`;

function readPage(page: Page): Promise<PageState> {
  return page.evaluate(READ_PAGE) as Promise<PageState>;
}

/** The page's bars are exactly batch `s.batch`'s largest counts, from the lines that batch took (none for a batch that took none). */
async function checkBars(s: PageState, rest: string, sent: readonly string[]): Promise<void> {
  const lines = (await linesByBatch(rest, sent)).get(s.batch);
  assert.ok(lines, `batch ${s.batch} is listed`);
  const all = expectedCounts(lines);
  assert.deepEqual(s.bars, all.slice(0, MAX_BARS), `batch ${s.batch}: the ${MAX_BARS} largest counts of its ${lines.length} lines`);
  const cut = all.length > MAX_BARS ? [`Showing the ${MAX_BARS} largest values of ${all.length} keys in this batch (maxItems: ${MAX_BARS}); the others are left out.`] : [];
  assert.deepEqual(s.warnings, cut);
}

/**
 * Until the bar chart shows a batch after `after` with all MAX_BARS bars (a batch that took few
 * lines may have fewer keys), and what the page shows at that moment: read in the same
 * evaluation, as the next batch (maybe one that took no lines) can replace the bars at once.
 */
async function fullBatchAfter(page: Page, after: number): Promise<PageState> {
  const handle = await page.waitForFunction(
    `(() => { const s = ${READ_PAGE}; return s.batch > ${after} && s.bars.length === ${MAX_BARS} ? s : null; })()`,
    undefined,
    { timeout: 60_000 },
  );
  return (await handle.jsonValue()) as PageState;
}

/** A page expression: the legend of the named line dashboard's chart (['Time', ...its series]), [] before it is drawn. */
const LEGEND_OF = (name: string): string =>
  `[...([...document.querySelectorAll('section.dashboard')].find((s) => s.dataset.name === ${JSON.stringify(name)})?.querySelectorAll('.u-legend .u-series th') ?? [])].map((th) => th.textContent.trim())`;

test('toDashboard: live bar and line charts of a network word count in Chromium', { timeout: 240_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-dashboard-'));
  const source = await wordSource(15);
  const browser = await launchChromium();
  try {
    await withCluster({ workers: 2, driver: { webPort: 0 } }, async (h) => {
      const web = `http://127.0.0.1:${h.cluster.driver.webPort}`;
      const bundle = await bundleJob(fixture('stream-dashboard.ts'));
      const job = h.cluster.driver.submit({ name: 'dashboard', code: bundle.code, sourceMap: bundle.sourceMap, args: ['127.0.0.1', String(source.port), String(BATCH_MS), path.join(dir, 'stop'), String(MAX_BARS)] });
      const ended = new Promise<string>((r) => job.once('end', (state) => r(state)));
      const rest = `${web}/api/v1/applications/${job.id}`;
      await within(source.connected, 30_000, 'the receiver to connect');

      // Reached from the job's Streaming page.
      const page = await browser.newPage({ viewport: { width: 1200, height: 1100 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${web}/jobs/${job.id}/streaming/`);
      await page.click('#dashboard-link');
      await page.waitForURL(`${web}/jobs/${job.id}/dashboard/`);
      await page.evaluate('window.__marker = 1');
      // Before any line is sent the two-series line is drawn with no series (none known yet):
      // the series that come with the lines must be added to that chart.
      await page.waitForFunction(`${LEGEND_OF('w0 and w1')}.join() === 'Time'`, undefined, { timeout: 30_000 });
      source.flow();

      // The latest batch with lines: its counts, exactly.
      const first = await fullBatchAfter(page, 0);
      assert.equal(first.bars.length, MAX_BARS);
      await checkBars(first, rest, source.sent);
      await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-page.png'), fullPage: true });

      // The next batch replaces them, with no reload (the page's own variable survives).
      const next = await fullBatchAfter(page, first.batch);
      assert.equal(next.marker, 1, 'the page was not reloaded');
      assert.ok(next.updates > first.updates);
      await checkBars(next, rest, source.sent);

      // The key `<script>...` is a bar's label, as text: no script element was added, none ran.
      assert.equal(next.bars[0][0], SCRIPT_KEY, 'in every line: the largest count');
      assert.equal(next.xss, false);
      assert.equal(next.scripts, 2, 'the page has only its own two scripts');
      assert.equal(await page.locator('section.dashboard h2').first().textContent(), 'Word counts <b>per batch</b>', 'the title is text');

      // The line chart: one point per batch up to its last, each the batch's word count.
      const byBatch = await linesByBatch(rest, source.sent);
      const upTo = [...byBatch.keys()].filter((t) => t <= next.lineLastBatch);
      assert.equal(next.linePoints, upTo.length, 'one point per batch');
      const line = (await (await fetch(`${rest}/streaming/dashboards/${encodeURIComponent('words per batch')}`)).json()) as { points: { batchTime: number; values: (number | null)[] }[] };
      for (const p of line.points) assert.deepEqual(p.values, [byBatch.get(p.batchTime)!.reduce((n, l) => n + l.split(' ').length, 0)], `batch ${p.batchTime}'s word count`);
      assert.ok(line.points.length >= next.linePoints);

      // A line of two series ([word, count] pairs): each batch's count of each word (null: not in the batch).
      const two = (await (await fetch(`${rest}/streaming/dashboards/${encodeURIComponent('w0 and w1')}`)).json()) as { series: string[]; points: { batchTime: number; values: (number | null)[] }[] };
      assert.deepEqual([...two.series].sort(), ['w0', 'w1']);
      for (const p of two.points) {
        const counts = new Map(expectedCounts(byBatch.get(p.batchTime)!));
        assert.deepEqual(p.values, two.series.map((w) => counts.get(w) ?? null), `batch ${p.batchTime}'s counts of w0 and w1`);
      }
      const legend = await page.evaluate(LEGEND_OF('w0 and w1'));
      assert.deepEqual(legend, ['Time', ...two.series], 'the chart draws both series');

      // Each dashboard is an output operation of the batch.
      const ops = (await (await fetch(`${rest}/streaming/batches/${next.batch}/operations`)).json()) as { name: string; failureReason?: string }[];
      // Each named as Spark names an output operation: the call and where the program made it (since 2026-12-05).
      const fixtureLines = fs.readFileSync(fixture('stream-dashboard.ts'), 'utf8').split('\n');
      const at = (title: string): string => `toDashboard at ${fixture('stream-dashboard.ts')}:${fixtureLines.findIndex((l) => l.includes(`toDashboard('${title}'`)) + 1}:`;
      const opSites = ['word counts', 'w0 and w1', 'words per batch', 'lines'].map(at);
      assert.equal(ops.length, opSites.length);
      ops.forEach((o, i) => assert.ok(o.name.startsWith(opSites[i]) && /:\d+$/.test(o.name), `${o.name}, want ${opSites[i]}<column>`));
      assert.deepEqual(ops.filter((o) => o.failureReason), []);

      // A reloaded page shows the current state at once: the snapshot carries the line's points so far.
      const before = (await readPage(page)).linePoints;
      await page.reload();
      await page.waitForFunction(`document.body.dataset.snapshots === '1'`, undefined, { timeout: 10_000 });
      const reloaded = await readPage(page);
      assert.equal(reloaded.marker, undefined, 'a new page');
      assert.ok(reloaded.linePoints >= before, `${reloaded.linePoints} points right after the reload (${before} before)`);
      assert.ok(reloaded.batch >= next.batch);
      await checkBars(reloaded, rest, source.sent);
      await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-page-reloaded.png'), fullPage: true });

      // The table: the first 3 rows of the latest batch, as text. Under load a batch can take
      // no line (the source's timer starved): then its table is empty, so wait for one that took lines.
      type Table = { columns: string[]; rows: string[][]; batchTime: number; warnings: string[] };
      const tableDeadline = Date.now() + 30_000;
      let table = (await (await fetch(`${rest}/streaming/dashboards/lines`)).json()) as Table;
      while (table.rows.length === 0 && Date.now() < tableDeadline) {
        await new Promise((r) => setTimeout(r, 100));
        table = (await (await fetch(`${rest}/streaming/dashboards/lines`)).json()) as Table;
      }
      assert.deepEqual(table.columns, ['line', 'words']);
      const tableLines = (await linesByBatch(rest, source.sent)).get(table.batchTime)!;
      assert.deepEqual(table.rows, tableLines.slice(0, 3).map((l) => [l, '3']));
      assert.deepEqual(table.warnings, [`Showing the first 3 rows of ${tableLines.length} in this batch (maxItems: 3); the others are left out.`]);

      // A dashboard or a job that is not there: 404s that say what is.
      const missing = await fetch(`${rest}/streaming/dashboards/nope`);
      assert.equal(missing.status, 404);
      assert.match(((await missing.json()) as { error: string }).error, /has no dashboard "nope"; \/streaming\/dashboards lists them \(\["word counts","w0 and w1","words per batch","lines"\]\)/);
      assert.equal((await fetch(`${web}/jobs/nope/dashboard/events`)).status, 404);

      fs.writeFileSync(path.join(dir, 'stop'), '');
      // A graceful stop first runs the batches still queued: at load 45 that took over 30 s.
      assert.equal(await within(ended, 90_000, 'the job to stop'), 'succeeded');
      await page.waitForSelector('body[data-job-state="succeeded"]', { timeout: 10_000 });
      assert.equal(job.dashboards.listenerCount('change'), 0, 'no event stream listens once the job ended');
      assert.deepEqual(errors, [], 'the page script threw nothing');
    });
  } finally {
    await browser.close();
    source.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
