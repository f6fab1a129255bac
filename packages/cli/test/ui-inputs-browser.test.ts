// A streaming job's records by input stream, in a real browser (Debian's Chromium through
// playwright-core), with a worker killed under one of its two receivers. The fixture ui-inputs.ts
// reads two socket text streams and a direct input named 'ticks' (no receiver), and prints each
// batch's records per stream as it counted them (`COUNT`): the expected values here, which the UI's
// own bookkeeping (the receivers' blocks, the direct input's ranges) must match.
// - Spark's StreamingPage input stream rows: each stream its name (a receiver's, or the input's
//   own: 'ticks'), 'Avg: X records/sec' (the mean
//   of its records/s over the completed batches, computed here from the job's counts) and its own
//   timeline and histogram, one point per completed batch.
// - The batch page (Spark's BatchPage with its streamIdToInputInfo): an Input streams table, each
//   stream's records in that batch as the job counted them; their sum is "Input data size".
// - REST streaming/batches/{id}: the same as `inputStreams`.
// - Spark's batch interval line ("stable") on Processing Time's timeline and histogram, read from
//   their pixels: the batches' points on the side of it their REST processing times put them.
// - The Environment page: the spark.streaming.* properties the fixture's StreamingContext runs with.
// - The Completed Batches table paged (3 a page) and sorted by Processing Time (the slowest first,
//   pages 1 and 2) and by Records, as REST's batches sort; a sort by no column of it is refused.
// The worker running stream 1's receiver is killed (SIGKILL) once batches flow: its receiver starts
// again on another worker, and the batches after show stream 1's records again.
// Screenshots: test-artifacts/ui-inputs-streaming.png, ui-inputs-completed-sorted.png, ui-inputs-batch.png and
// ui-inputs-environment.png.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { bundleJob } from '../src/bundle-job.js';
import { ARTIFACTS, follow, inPage, launchChromium } from './browser-support.js';
import { fixture, jsonLines, pollUntil, within, withCluster } from './harness.js';

const BATCH_MS = 500;

/** A TCP source writing `perTick` lines every 100 ms to its newest connection (a receiver started again connects anew). */
async function lineSource(perTick: number): Promise<{ port: number; connections: () => number; stop: () => void }> {
  let client: net.Socket | undefined;
  let connections = 0;
  const server = net.createServer((s) => {
    connections++;
    client = s;
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  let n = 0;
  const timer = setInterval(() => {
    if (!client || client.destroyed) return;
    client.write(Array.from({ length: perTick }, () => `line ${n++}`).join('\n') + '\n');
  }, 100);
  return {
    port: (server.address() as net.AddressInfo).port,
    connections: () => connections,
    stop: () => {
      clearInterval(timer);
      client?.destroy();
      server.close();
    },
  };
}

interface Count {
  stream: number;
  time: number;
  records: number;
}

interface BatchJson {
  batchId: number;
  status: string;
  inputSize: number;
  processingTime: number;
  batchDuration: number;
  inputStreams: { streamId: number; streamName: string; numRecords: number }[];
}

test("a streaming job's records by input stream: the Streaming page's charts, the batch page, REST, with a receiver's worker killed, in Chromium", { timeout: 200_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-ui-inputs-'));
  const sources = [await lineSource(3), await lineSource(7)];
  const browser = await launchChromium();
  try {
    await withCluster({ workers: 0, coresPerWorker: 2, driver: { webPort: 0 } }, async (h) => {
      const driver = h.cluster.driver;
      // Workers started one at a time, so each registered id is known to belong to its process.
      const procs = new Map<string, ChildProcess>();
      for (let i = 0; i < 3; i++) {
        const known = new Set(driver.registry.all().map((w) => w.id));
        const child = h.cluster.addWorker();
        await h.cluster.waitForWorkers(known.size + 1, 30_000);
        procs.set(driver.registry.all().find((w) => !known.has(w.id))!.id, child);
      }
      const bundle = await bundleJob(fixture('ui-inputs.ts'));
      const job = driver.submit({ name: 'ui-inputs', code: bundle.code, sourceMap: bundle.sourceMap, args: ['127.0.0.1', String(sources[0].port), String(sources[1].port), String(BATCH_MS), path.join(dir, 'stop')] });
      const printed: string[] = [];
      job.on('output', (l) => printed.push(l));
      const ended = new Promise<boolean>((r) => job.once('end', (s) => r(s === 'succeeded')));
      const web = `http://127.0.0.1:${driver.webPort}`;
      const rest = `${web}/api/v1/applications/${job.id}`;
      const get = async <T>(p: string): Promise<T> => (await (await fetch(`${rest}/${p}`)).json()) as T;
      const counts = (): Count[] => jsonLines<Count>(printed, 'COUNT ');
      const ids = (await pollUntil(() => jsonLines<number[]>(printed, 'STREAMS ')[0], 60_000, 'the job to make its streams'));
      assert.equal(ids.length, 3);
      const withRecords = (stream: number, after = 0): number => counts().filter((c) => c.stream === stream && c.time > after && c.records > 0).length;
      await pollUntil(() => (ids.every((id) => withRecords(id) >= 2) ? true : undefined), 90_000, 'batches with records of both streams');

      // Stream 1's receiver's worker killed: the receiver runs again elsewhere and reconnects.
      type Receiver = { streamId: number; streamName: string; executorId?: string; isActive?: boolean };
      const victim = (await get<Receiver[]>('streaming/receivers')).find((r) => r.streamId === ids[1])!.executorId!;
      assert.ok(procs.has(victim), `stream ${ids[1]}'s receiver runs on a worker of this test: ${victim}`);
      const killedAt = Date.now();
      const exited = new Promise((r) => procs.get(victim)!.once('exit', r));
      procs.get(victim)!.kill('SIGKILL');
      await exited;
      await pollUntil(() => (sources[1].connections() >= 2 ? true : undefined), 90_000, "stream 1's receiver to connect again");
      await pollUntil(() => (withRecords(ids[1], killedAt) >= 2 ? true : undefined), 90_000, 'batches with stream 1 records after the kill');
      const moved = (await get<Receiver[]>('streaming/receivers')).find((r) => r.streamId === ids[1])!;
      assert.notEqual(moved.executorId, victim, 'the receiver runs on another worker');

      fs.writeFileSync(path.join(dir, 'stop'), '');
      assert.equal(await within(ended, 90_000, 'the job to stop'), true, printed.join('\n'));
      for (const s of sources) s.stop();

      // The job's own counts, by batch and stream.
      const counted = new Map<number, Map<number, number>>();
      for (const c of counts()) counted.set(c.time, (counted.get(c.time) ?? new Map<number, number>()).set(c.stream, c.records));
      // REST receivers list every input stream, as Spark's: the direct input too, with its own name and no receiver fields.
      const listed = await get<Receiver[]>('streaming/receivers');
      assert.deepEqual(listed.map((r) => r.streamId), [...ids].sort((a, b) => a - b), 'every input stream, by id');
      assert.deepEqual(listed.filter((r) => r.isActive !== undefined).map((r) => r.streamId).sort((a, b) => a - b), ids.slice(0, 2).sort((a, b) => a - b), 'the socket streams have receivers');
      const names = new Map(listed.map((r) => [r.streamId, r.streamName]));
      assert.equal(names.get(ids[2]), 'ticks', "the direct input's own name");
      const completed = (await get<BatchJson[]>('streaming/batches?status=COMPLETED')).reverse(); // oldest first
      assert.ok(completed.length >= 4);
      // Every completed batch: REST inputStreams are the job's counts of it (a stream without records in it listed with 0 or not at all).
      for (const b of completed) {
        const mine = counted.get(b.batchId);
        assert.ok(mine, `the job counted batch ${b.batchId}`);
        const shown = new Map(b.inputStreams.map((s) => [s.streamId, s.numRecords]));
        for (const id of ids) assert.equal(shown.get(id) ?? 0, mine.get(id), `batch ${b.batchId} stream ${id}`);
        for (const s of b.inputStreams) assert.equal(s.streamName, names.get(s.streamId));
        assert.equal(b.inputSize, ids.reduce((n, id) => n + (mine.get(id) ?? 0), 0), `batch ${b.batchId}'s records are its streams'`);
      }

      // The Streaming page: a chart a stream, one point per completed batch, its average from the job's counts.
      const page = await browser.newPage({ viewport: { width: 1300, height: 1000 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${web}/jobs/${job.id}/streaming/`);
      await page.waitForFunction(`document.querySelectorAll('#stream-charts .series').length === 3 && [...document.querySelectorAll('#stream-charts .timeline')].every((t) => Number(t.dataset.points) === ${completed.length})`, undefined, { timeout: 30_000 });
      const charts = await inPage<{ title: string; stat: string; points: number; histogram: number }[]>(
        page,
        `[...document.querySelectorAll('#stream-charts .series')].map((d) => ({ title: d.querySelector('h3').textContent, stat: d.querySelector('.stat').textContent, points: Number(d.querySelector('.timeline').dataset.points), histogram: Number(d.querySelector('.histogram').dataset.points) }))`,
      );
      assert.deepEqual(charts.map((c) => c.title), ids.map((id) => `${names.get(id)} (stream ${id})`));
      for (const [i, id] of ids.entries()) {
        const rates = completed.map((b) => ((counted.get(b.batchId)!.get(id) ?? 0) * 1000) / BATCH_MS);
        const avg = rates.reduce((a, r) => a + r, 0) / rates.length;
        const m = /^Avg: (\d+\.\d\d) records\/sec$/.exec(charts[i].stat);
        assert.ok(m, charts[i].stat);
        assert.ok(Math.abs(Number(m[1]) - avg) < 0.0051, `stream ${id}: ${charts[i].stat}, the job's counts give ${avg}`);
        assert.deepEqual([charts[i].points, charts[i].histogram], [completed.length, completed.length]);
      }
      assert.equal(await page.locator('#streams-heading').isVisible(), true);
      // Spark's batch interval line on Processing Time's charts, read from their pixels: a dashed light
      // blue line across the timeline (rows) with every batch's point on the side REST's processing
      // times put it, and down the histogram (columns); none on Scheduling Delay's.
      const stable = await inPage<Record<string, { rows: number[]; cols: number[]; dataRows: number[] }>>(
        page,
        `(() => {
          const scan = (id) => {
            const c = document.querySelector('#' + id + ' canvas');
            const { width, height } = c;
            const d = c.getContext('2d').getImageData(0, 0, width, height).data;
            const near = (x, y, [r, g, b]) => { const i = (y * width + x) * 4; return Math.abs(d[i] - r) < 14 && Math.abs(d[i + 1] - g) < 14 && Math.abs(d[i + 2] - b) < 14; };
            const rows = [], cols = [], dataRows = [];
            for (let y = 0; y < height; y++) {
              let n = 0, m = 0;
              for (let x = 0; x < width; x++) { if (near(x, y, [173, 216, 230])) n++; if (near(x, y, [47, 111, 176])) m++; }
              if (n >= width * 0.25) rows.push(y);
              if (m > 0) dataRows.push(y);
            }
            for (let x = 0; x < width; x++) {
              let n = 0;
              for (let y = 0; y < height; y++) if (near(x, y, [173, 216, 230])) n++;
              if (n >= height * 0.25) cols.push(x);
            }
            return { rows, cols, dataRows };
          };
          return { timeline: scan('timeline-processingTime'), histogram: scan('histogram-processingTime'), other: scan('timeline-schedulingDelay') };
        })()`,
      );
      assert.ok(stable.timeline.rows.length > 0 && stable.timeline.rows.at(-1)! - stable.timeline.rows[0] <= 4, `one line across Processing Time's timeline: rows ${stable.timeline.rows.join(',')}`);
      assert.ok(stable.histogram.cols.length > 0 && stable.histogram.cols.at(-1)! - stable.histogram.cols[0] <= 4, `one line down its histogram: columns ${stable.histogram.cols.join(',')}`);
      assert.deepEqual([stable.other.rows, stable.other.cols], [[], []], "no line on Scheduling Delay's timeline");
      const times = completed.map((b) => b.processingTime);
      if (times.every((t) => t < BATCH_MS * 0.9)) assert.ok(Math.min(...stable.timeline.dataRows) > stable.timeline.rows.at(-1)!, `every batch (${times.join(', ')} ms) below the ${BATCH_MS} ms line`);
      else if (times.some((t) => t > BATCH_MS * 1.1)) assert.ok(Math.min(...stable.timeline.dataRows) < stable.timeline.rows[0], `a batch (${Math.max(...times)} ms) above the ${BATCH_MS} ms line`);
      await page.screenshot({ path: path.join(ARTIFACTS, 'ui-inputs-streaming.png'), fullPage: true });

      // Completed Batches paged and sorted as Spark's StreamingPagedTable (completedBatches.*): 3 a
      // page, by Processing Time the slowest first, then by Records, ties newest first; from REST.
      const newestFirst = [...completed].reverse().map((b, i) => ({ b, i }));
      const sortedBy = (f: (b: BatchJson) => number, desc: boolean): number[] =>
        [...newestFirst].sort((x, y) => (desc ? f(y.b) - f(x.b) : f(x.b) - f(y.b)) || x.i - y.i).map((x) => x.b.batchId);
      const shownBatches = async (): Promise<number[]> => {
        await page.waitForFunction('Number(document.body.dataset.refreshes || 0) > 0', undefined, { timeout: 30_000 });
        return inPage<number[]>(page, `[...document.querySelectorAll('#completed-batches tbody tr a')].map((a) => Number(a.getAttribute('href').split('/').pop()))`);
      };
      await page.goto(`${web}/jobs/${job.id}/streaming/?completedBatches.pageSize=3`);
      assert.deepEqual(await shownBatches(), sortedBy((b) => b.batchId, true).slice(0, 3), 'newest first by default');
      assert.equal(await page.locator('#completed-heading').textContent(), `Completed Batches (last ${completed.length} out of ${completed.length})`);
      assert.equal(await page.getAttribute('#completed-paging', 'data-pages'), String(Math.ceil(completed.length / 3)));
      await follow(page, '#completed-batches a[data-sort="Processing Time"]');
      await shownBatches();
      await follow(page, '#completed-batches a[data-sort="Processing Time"]');
      const slowest = sortedBy((b) => b.processingTime, true);
      assert.deepEqual(await shownBatches(), slowest.slice(0, 3), 'the slowest batches first');
      assert.equal(await page.getAttribute('#completed-batches a[data-sort="Processing Time"]', 'data-dir'), 'desc');
      await follow(page, '#completed-paging a:text-is("2")');
      assert.deepEqual(await shownBatches(), slowest.slice(3, 6), 'page 2: the next slowest');
      await page.screenshot({ path: path.join(ARTIFACTS, 'ui-inputs-completed-sorted.png'), fullPage: true });
      await follow(page, '#completed-batches a[data-sort=Records]');
      assert.deepEqual(await shownBatches(), sortedBy((b) => b.inputSize, false).slice(0, 3), 'the fewest records first, from page 1');
      assert.notDeepEqual(sortedBy((b) => b.inputSize, false), sortedBy((b) => b.batchId, true), 'records do not sort as batch times do');
      // A sort the table has no column for: the page says so and shows no table.
      await page.goto(`${web}/jobs/${job.id}/streaming/?completedBatches.sort=Input%20Rate`);
      await shownBatches();
      assert.equal(
        await page.locator('#completed-bad').textContent(),
        "completedBatches.sort: 'Input Rate' is none of Batch Time, Records, Scheduling Delay, Processing Time, Total Delay and Output Ops: Succeeded/Total",
      );
      assert.equal(await page.locator('#completed-batches').isVisible(), false);

      // A batch page after the kill with records of both streams: its Input streams table.
      const after = completed.filter((b) => b.batchId > killedAt && ids.every((id) => (counted.get(b.batchId)!.get(id) ?? 0) > 0)).at(-1) ?? completed.at(-1)!;
      await page.goto(`${web}/jobs/${job.id}/streaming/batch/${after.batchId}`);
      const table = await inPage<string[][]>(page, `[...document.querySelectorAll('#input-streams tbody tr')].map((tr) => [...tr.cells].map((td) => td.textContent))`);
      const expected = ids.filter((id) => after.inputStreams.some((s) => s.streamId === id)).map((id) => [names.get(id)!, String(id), String(counted.get(after.batchId)!.get(id))]);
      assert.ok(expected.length > 0);
      assert.deepEqual(table, expected);
      assert.equal(await page.locator('#batch-details li').nth(1).textContent(), `Input data size: ${ids.reduce((n, id) => n + (counted.get(after.batchId)!.get(id) ?? 0), 0)} records`);
      await page.screenshot({ path: path.join(ARTIFACTS, 'ui-inputs-batch.png'), fullPage: true });

      // The Environment page: the spark.streaming.* the fixture's StreamingContext was made with
      // ({ blockInterval: '100ms', receiverMaxRate: 5000 }), Spark's defaults for the rest.
      await page.goto(`${web}/jobs/${job.id}/environment/`);
      const props = new Map(await inPage<[string, string][]>(page, `[...document.querySelectorAll('#spark-properties tbody tr')].map((tr) => [tr.cells[0].textContent, tr.cells[1].textContent])`));
      assert.deepEqual(
        [...props].filter(([k]) => k.startsWith('spark.streaming.') && k !== 'spark.streaming.ui.retainedBatches'),
        [
          ['spark.streaming.backpressure.enabled', 'false'],
          ['spark.streaming.blockInterval', '100ms'],
          ['spark.streaming.concurrentJobs', '1'],
          ['spark.streaming.receiver.maxRate', '5000'],
          ['spark.streaming.receiver.writeAheadLog.enable', 'false'],
        ],
      );
      await page.screenshot({ path: path.join(ARTIFACTS, 'ui-inputs-environment.png'), fullPage: true });
      assert.deepEqual(errors, [], 'the page script threw nothing');
    });
  } finally {
    for (const s of sources) s.stop();
    await browser.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
