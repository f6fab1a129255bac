// The Streaming UI in a real browser: Debian's Chromium (headless) driven by
// playwright-core. A running job's Streaming page must chart one point per completed
// batch (compared with the REST API and with the batches the job printed itself), link
// to batch pages, and show a job name with markup as text. Screenshots are saved under
// test-artifacts/ at the repository root. The same for `sluice run --web-port`.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { bundleJob } from '../src/bundle-job.js';
import type { LocalCluster } from '../src/local-cluster.js';
import { ARTIFACTS, launchChromium } from './browser-support.js';
import { CLI_BIN, REPO_DIR, fixture, freePort, jsonLines, sleep, within, withCluster } from './harness.js';

const BATCH_MS = 500;
const SERIES = ['inputRate', 'schedulingDelay', 'processingTime', 'totalDelay'];

/** A TCP source the job's socketTextStream connects to; writes `perTick` lines every 100 ms until `stop()`. */
async function lineSource(perTick = 15, line = (i: number): string => `w${i % 7} w${i % 3}`): Promise<{ port: number; connected: Promise<void>; sent: () => number; stop: () => void }> {
  let client: net.Socket | undefined;
  let connected!: () => void;
  const first = new Promise<void>((r) => (connected = r));
  const server = net.createServer((s) => {
    client ??= s;
    s.on('error', () => undefined);
    connected();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  let n = 0;
  const timer = setInterval(() => {
    if (!client) return;
    const lines = Array.from({ length: perTick }, (_, i) => line(n + i));
    client.write(lines.join('\n') + '\n');
    n += lines.length;
  }, 100);
  return {
    port: (server.address() as net.AddressInfo).port,
    connected: first,
    sent: () => n,
    stop: () => {
      clearInterval(timer);
      client?.destroy();
      server.close();
    },
  };
}

interface ChartState {
  points: number[];
  lastBatch: string[];
  histogram: number[];
  canvases: number;
}

/** Every chart's plotted point count and last batch, read in one go (the page redraws every second). */
function readCharts(page: Page): Promise<ChartState> {
  // Runs in the page (this package compiles without the DOM types: the code is a string).
  return page.evaluate(`(() => {
    const series = ${JSON.stringify(SERIES)};
    const el = (id) => document.getElementById(id);
    return {
      points: series.map((s) => Number(el('timeline-' + s).dataset.points)),
      lastBatch: series.map((s) => el('timeline-' + s).dataset.lastBatch ?? ''),
      histogram: series.map((s) => Number(el('histogram-' + s).dataset.points)),
      canvases: document.querySelectorAll('.timeline canvas, .histogram canvas').length,
    };
  })()`);
}

/**
 * Open `streamingUrl`, wait until the charts plot at least `minPoints` batches, and check
 * that each chart drew one point per completed batch: as many as the REST API lists up to
 * the last plotted batch, and as many as the job printed (its own BATCH lines).
 */
async function checkStreamingPage(browser: Browser, streamingUrl: string, restBase: string, printed: () => string[], minPoints: number, shot: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1300, height: 1000 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(streamingUrl);
  await page.waitForFunction(`Number(document.getElementById('timeline-totalDelay')?.dataset.points ?? 0) >= ${minPoints}`, undefined, { timeout: 60_000 });
  const charts = await readCharts(page);
  const last = Number(charts.lastBatch[0]);
  assert.ok(last > 0, JSON.stringify(charts));
  assert.deepEqual(charts.lastBatch, SERIES.map(() => String(last)), 'every chart plots the same batches');
  const rest = (await (await fetch(`${restBase}/streaming/batches?status=COMPLETED`)).json()) as { batchId: number }[];
  const restUpTo = rest.filter((b) => b.batchId <= last).length;
  const printedUpTo = jsonLines<{ time: number }>(printed(), 'BATCH ').filter((b) => b.time <= last).length;
  assert.deepEqual(charts.points, SERIES.map(() => restUpTo), 'one point per completed batch the REST API lists');
  assert.equal(restUpTo, printedUpTo, 'the REST API lists every batch the job ran');
  assert.deepEqual(charts.histogram, SERIES.map(() => restUpTo), 'each histogram counts every completed batch');
  assert.equal(charts.canvases, 10, "uPlot drew 4 timelines and 4 histograms, and the socket stream's own (Input Rate by input stream)");
  assert.equal(await page.locator('#workers tbody tr').count(), 2);
  // UISeleniumSuite's batch tables: Spark's headings and column names (no batch failed: no Error column).
  // Headings and rows of one refresh, read in one go: the counts are the rows shown, out of every completed batch.
  const tables = (await page.evaluate(`(() => ({
    active: document.getElementById('active-heading').textContent,
    activeRows: document.querySelectorAll('#active-batches tbody tr').length,
    completed: document.getElementById('completed-heading').textContent,
    completedRows: document.querySelectorAll('#completed-batches tbody tr').length,
  }))()`)) as { active: string; activeRows: number; completed: string; completedRows: number };
  assert.equal(tables.active, `Active Batches (${tables.activeRows})`, JSON.stringify(tables));
  const m = /^Completed Batches \(last (\d+) out of (\d+)\)$/.exec(tables.completed);
  assert.ok(m !== null && Number(m[1]) === tables.completedRows && Number(m[2]) >= restUpTo, `${JSON.stringify(tables)}, ${restUpTo} completed by the last plotted batch`);
  assert.deepEqual(await page.locator('#active-batches th').allTextContents(), ['Batch Time', 'Records', 'Scheduling Delay', 'Processing Time', 'Output Ops: Succeeded/Total', 'Status']);
  assert.deepEqual(await page.locator('#completed-batches th').allTextContents(), ['Batch Time', 'Records', 'Scheduling Delay', 'Processing Time', 'Total Delay', 'Output Ops: Succeeded/Total']);
  assert.match((await page.locator('#receivers tbody tr').first().textContent()) ?? '', /ACTIVE/);
  await page.screenshot({ path: path.join(ARTIFACTS, shot), fullPage: true });
  assert.deepEqual(errors, [], 'the page script threw nothing');
  return page;
}

/** `yyyy/MM/dd HH:mm:ss.SSS` of `t` in this process's time zone (the driver's and the browser's: one host, one environment). */
function sparkBatchTime(t: number): string {
  const d = new Date(t);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${d.getFullYear()}/${p(d.getMonth() + 1)}/${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

/** From a Streaming page, open the newest completed batch's page: its two output operations, completed; save a screenshot. */
async function openBatchPage(page: Page, web: string, shot: string): Promise<void> {
  // (The table is redrawn every second: follow the link's address rather than click a row that may move.)
  // Its address and text in one evaluation: read apart, a redraw between them paired one
  // batch's address with the next one's time (a full run at load ~50: '01:34:01.500' for 01:33:59).
  const link = page.locator('#completed-batches tbody tr a').first();
  const [href, linkText] = await link.evaluate((a) => [a.getAttribute('href'), a.textContent] as const);
  const batchId = href!.split('/').pop()!;
  // Times as Spark's Streaming UI writes them (UIUtils.formatBatchTime): the batch interval is under a second, so with ms.
  assert.equal(linkText, sparkBatchTime(Number(batchId)));
  assert.match((await page.locator('#summary').textContent()) ?? '', new RegExp(`^Running batches of ${BATCH_MS} ms for ((\\d+ (second|minute)s? ?)+(\\d+ ms )?|\\d+ ms )since \\d{4}/\\d\\d/\\d\\d \\d\\d:\\d\\d:\\d\\d: `));
  await page.goto(web + href);
  await page.waitForSelector('body[data-status="COMPLETED"]', { timeout: 30_000 });
  assert.equal(await page.getAttribute('body', 'data-batch'), batchId);
  assert.equal(await page.locator('section.output-op').count(), 2, 'both output operations');
  assert.match((await page.locator('#batch-summary').textContent()) ?? '', /COMPLETED/);
  // Spark's BatchPage: "Details of batch at <time>", and the batch's details in words.
  assert.ok(((await page.locator('h1').textContent()) ?? '').startsWith(`Details of batch at ${sparkBatchTime(Number(batchId))} (`));
  const details = (await page.locator('#batch-details li').allTextContents()).map((t) => t.replace(/:.*/, ':'));
  assert.deepEqual(details, ['Batch Duration:', 'Input data size:', 'Scheduling delay:', 'Processing time:', 'Total delay:']);
  assert.equal(await page.locator('#batch-details li').first().textContent(), `Batch Duration: ${BATCH_MS} ms`);
  assert.match((await page.locator('#batch-details li').nth(1).textContent()) ?? '', /^Input data size: \d+ records$/);
  assert.match((await page.locator('#batch-details li').nth(4).textContent()) ?? '', /^Total delay: (\d+ (second|minute)s? ?)*(\d+ ms)?$/);
  await page.screenshot({ path: path.join(ARTIFACTS, shot), fullPage: true });
}

test('Streaming UI in Chromium, on one cluster', { timeout: 200_000 }, async (t) => {
  const browser = await launchChromium();
  try {
    await withCluster({ workers: 2, driver: { webPort: 0 } }, async (h) => {
      await t.test('a running job: the charts plot one point per completed batch, a batch page, escaped job names', () => chartsAndBatchPage(browser, h.cluster));
      await t.test('a job falling behind shows the warning on its Streaming page', () => fallingBehind(browser, h.cluster));
    });
  } finally {
    await browser.close();
  }
});

/** A running job's Streaming page: one point per completed batch, a batch page, the job's name (with markup) as text. */
async function chartsAndBatchPage(browser: Browser, cluster: LocalCluster): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-ui-'));
  const source = await lineSource();
  try {
    const web = `http://127.0.0.1:${cluster.driver.webPort}`;
    const bundle = await bundleJob(fixture('stream-ui.ts'));
    const name = '<script>window.__xss = true</script> ui & co';
    const job = cluster.driver.submit({ name, code: bundle.code, sourceMap: bundle.sourceMap, args: ['127.0.0.1', String(source.port), String(BATCH_MS), path.join(dir, 'stop'), path.join(dir, 'marker')] });
    const printed: string[] = [];
    job.on('output', (l) => printed.push(l));
    const ended = new Promise<boolean>((r) => job.once('end', (s) => r(s === 'succeeded')));
    await within(source.connected, 30_000, 'the receiver to connect');

    const page = await checkStreamingPage(browser, `${web}/jobs/${job.id}/streaming/`, `${web}/api/v1/applications/${job.id}`, () => printed, 4, 'streaming-page.png');
    // The job's name is text, never markup: shown literally, its script never ran.
    assert.equal(await page.evaluate('window.__xss === undefined'), true);
    assert.match((await page.locator('h1').textContent()) ?? '', /<script>window\.__xss = true<\/script> ui & co/);
    const html = await (await fetch(`${web}/jobs/${job.id}/streaming/`)).text();
    assert.ok(!html.includes('<script>window'), 'the raw name is not in the page source');
    assert.ok(html.includes('&lt;script&gt;window.__xss = true&lt;/script&gt; ui &amp; co'));
    for (const p of ['/', `/jobs/${job.id}/`]) assert.ok(!(await (await fetch(web + p)).text()).includes('<script>window'), `${p} escapes the name`);

    await openBatchPage(page, web, 'batch-page.png');

    fs.writeFileSync(path.join(dir, 'stop'), '');
    assert.equal(await within(ended, 90_000, 'the job to stop'), true, printed.join('\n'));
  } finally {
    source.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('sluice run --web-port serves the same UI and prints its URL at start', { timeout: 150_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-ui-run-'));
  const source = await lineSource();
  const port = await freePort();
  const child = spawn(process.execPath, [CLI_BIN, 'run', fixture('stream-ui.ts'), '--web-port', String(port), '--', '127.0.0.1', String(source.port), String(BATCH_MS), path.join(dir, 'stop'), path.join(dir, 'marker')], {
    cwd: REPO_DIR,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  let stderr = '';
  let partial = '';
  child.stdout.on('data', (d: Buffer) => {
    const parts = (partial + d.toString()).split('\n');
    partial = parts.pop()!;
    stdout.push(...parts);
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const browser = await launchChromium();
  try {
    const deadline = Date.now() + 60_000;
    let url: string | undefined;
    while (!(url = /web UI at (http:\/\/\S+)/.exec(stderr)?.[1])) {
      assert.ok(Date.now() < deadline && child.exitCode === null, `no web UI URL printed:\n${stderr}`);
      await sleep(50);
    }
    const m = /^http:\/\/127\.0\.0\.1:(\d+)\/jobs\/([^/]+)\/$/.exec(url);
    assert.ok(m, url);
    assert.equal(Number(m[1]), port);
    await within(source.connected, 30_000, 'the receiver to connect');
    const page = await checkStreamingPage(browser, `${url}streaming/`, `http://127.0.0.1:${port}/api/v1/applications/${m[2]}`, () => stdout, 3, 'sluice-run-streaming-page.png');
    await openBatchPage(page, `http://127.0.0.1:${port}`, 'sluice-run-batch-page.png');
    await page.goto(url);
    assert.match((await page.locator('#job-state').textContent()) ?? '', /running/);
    fs.writeFileSync(path.join(dir, 'stop'), '');
    assert.equal(await within(exited, 90_000, 'sluice run to exit'), 0, stderr);
  } finally {
    await browser.close();
    if (child.exitCode === null) child.kill('SIGKILL');
    source.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/** A job offered 7x what it processes: its Streaming page shows the falling-behind warning. */
async function fallingBehind(browser: Browser, cluster: LocalCluster): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-ui-behind-'));
  // 1,500 lines/s offered to a job that processes 200/s (5 ms a record): each batch waits longer than the one before.
  const source = await lineSource(150, (i) => `${i} x`);
  try {
    const web = `http://127.0.0.1:${cluster.driver.webPort}`;
    const bundle = await bundleJob(fixture('stream-overload.ts'));
    const options = JSON.stringify({ fallingBehindBatches: 3 });
    const job = cluster.driver.submit({ name: 'behind', code: bundle.code, sourceMap: bundle.sourceMap, args: ['127.0.0.1', String(source.port), '300', '5', options, path.join(dir, 'stop')] });
    await within(source.connected, 30_000, 'the receiver to connect');
    const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
    await page.goto(`${web}/jobs/${job.id}/streaming/`);
    await page.waitForSelector('#warning:not([hidden])', { timeout: 60_000 });
    const text = (await page.locator('#warning').textContent()) ?? '';
    assert.match(text, /^Falling behind: the scheduling delay grew for \d+ batches in a row/);
    const stats = (await (await fetch(`${web}/api/v1/applications/${job.id}/streaming/statistics`)).json()) as { fallingBehind?: { batches: number; since: number } };
    assert.ok(stats.fallingBehind && stats.fallingBehind.batches >= 3, JSON.stringify(stats));
    assert.equal(stats.fallingBehind.since % 300, 0, "it names a batch (a multiple of the 300 ms interval)");
    await page.screenshot({ path: path.join(ARTIFACTS, 'falling-behind.png') });
    fs.writeFileSync(path.join(dir, 'stop'), 'now');
    await within(new Promise((r) => job.once('end', r)), 90_000, 'the job to stop');
  } finally {
    source.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
