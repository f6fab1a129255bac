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
// The worker running stream 1's receiver is killed (SIGKILL) once batches flow: its receiver starts
// again on another worker, and the batches after show stream 1's records again.
// Screenshots: test-artifacts/ui-inputs-streaming.png and ui-inputs-batch.png.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { bundleJob } from '../src/bundle-job.js';
import { ARTIFACTS, inPage, launchChromium } from './browser-support.js';
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
      type Receiver = { streamId: number; streamName: string; executorId?: string; isActive: boolean };
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
      const names = new Map((await get<Receiver[]>('streaming/receivers')).map((r) => [r.streamId, r.streamName]));
      assert.deepEqual([...names.keys()].sort(), ids.slice(0, 2).sort(), 'the socket streams have receivers');
      names.set(ids[2], 'ticks');
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
      await page.screenshot({ path: path.join(ARTIFACTS, 'ui-inputs-streaming.png'), fullPage: true });

      // A batch page after the kill with records of both streams: its Input streams table.
      const after = completed.filter((b) => b.batchId > killedAt && ids.every((id) => (counted.get(b.batchId)!.get(id) ?? 0) > 0)).at(-1) ?? completed.at(-1)!;
      await page.goto(`${web}/jobs/${job.id}/streaming/batch/${after.batchId}`);
      const table = await inPage<string[][]>(page, `[...document.querySelectorAll('#input-streams tbody tr')].map((tr) => [...tr.cells].map((td) => td.textContent))`);
      const expected = ids.filter((id) => after.inputStreams.some((s) => s.streamId === id)).map((id) => [names.get(id)!, String(id), String(counted.get(after.batchId)!.get(id))]);
      assert.ok(expected.length > 0);
      assert.deepEqual(table, expected);
      assert.equal(await page.locator('#batch-details li').nth(1).textContent(), `Input data size: ${ids.reduce((n, id) => n + (counted.get(after.batchId)!.get(id) ?? 0), 0)} records`);
      await page.screenshot({ path: path.join(ARTIFACTS, 'ui-inputs-batch.png'), fullPage: true });
      assert.deepEqual(errors, [], 'the page script threw nothing');
    });
  } finally {
    for (const s of sources) s.stop();
    await browser.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
