// Cached partitions of a deserialized level kept decoded in the worker's task thread (Spark's
// MEMORY_ONLY keeps objects; MEMORY_ONLY_SER bytes), on one worker of one core (one task thread):
// - a MEMORY_ONLY_SER RDD read twice keeps nothing decoded: the worker's memoryUsed (the
//   executors' REST resource, from its heartbeats) is the bytes storage/rdd counts for it;
// - a MEMORY_ONLY one filled counts its bytes, still after one read (a partition read once is
//   not kept), and once read a second time also its decoded records, which take more of the
//   heap than their encoded bytes (V8's objects: a header and a slot a field, where the codec
//   writes a tag and a varint) and not 20 times more;
// - a job changing every record it is given leaves the cache as it was (each read gets copies):
//   a read after sees the records as made, the sums worked out here from the records' formula;
// - unpersist drops the decoded copy: memoryUsed back to the MEMORY_ONLY_SER bytes;
// - storage/rdd's memoryUsed of the MEMORY_ONLY RDD read twice adds its decoded copy's estimate to
//   its bytes (what the worker counts: the worker's memoryUsed less the other RDD's bytes), and its
//   decodedMemoryUsed is that estimate; the Storage tab's Size in Memory and the RDD page show them
//   (Chromium, screenshot test-artifacts/ui-storage-decoded.png).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { ARTIFACTS, inPage, launchChromium } from './browser-support.js';
import { fixture, pollUntil, withCluster } from './harness.js';
import { shownBytes } from './page-format.js';

const N = 20_000;

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'cached-decoded-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

test('a MEMORY_ONLY partition read is kept decoded and counted, copied for each read, dropped by unpersist; MEMORY_ONLY_SER keeps bytes', async () => {
  await withCluster({ workers: 1, coresPerWorker: 1, driver: { webPort: 0 } }, async (h) => {
    const running = h.run(fixture('cached-decoded.ts'), [scratch]);
    const root = `http://127.0.0.1:${h.cluster.driver.webPort}/api/v1`;
    const step = async (name: string): Promise<string> => {
      await pollUntil(async () => (fs.existsSync(path.join(scratch, `${name}-holding`)) ? true : undefined), 120_000, `the program's step ${name}`);
      return fs.readFileSync(path.join(scratch, `${name}-holding`), 'utf8');
    };
    const release = (name: string): void => fs.writeFileSync(path.join(scratch, `${name}-release`), '');
    const workerMemory = async (app: string): Promise<number> => {
      const ex = (await (await fetch(`${root}/applications/${app}/executors`)).json()) as { id: string; memoryUsed: number }[];
      const workers = ex.filter((e) => e.id !== 'driver');
      assert.equal(workers.length, 1, JSON.stringify(ex));
      return workers[0].memoryUsed;
    };
    const storageList = async (app: string): Promise<{ id: number; name: string; memoryUsed: number; numCachedPartitions: number }[]> =>
      (await (await fetch(`${root}/applications/${app}/storage/rdd`)).json()) as { id: number; name: string; memoryUsed: number; numCachedPartitions: number }[];
    const rddBytes = async (app: string, name: string): Promise<number> => {
      const list = await storageList(app);
      const r = list.find((x) => x.name === name);
      assert.ok(r && r.numCachedPartitions === 2, `${name} cached whole: ${JSON.stringify(list)}`);
      return r.memoryUsed;
    };
    // The worker's figure comes with its heartbeat (every second): wait for it to reach `want`.
    const settles = async (app: string, want: (m: number) => boolean, what: string): Promise<number> => {
      let m = await workerMemory(app);
      await pollUntil(async () => (want((m = await workerMemory(app))) ? true : undefined), 30_000, what).catch(() => undefined);
      return m;
    };

    const app = await step('ser');
    const ser = await rddBytes(app, 'ser');
    assert.ok(ser > 0);
    const afterSer = await settles(app, (m) => m === ser, 'the MEMORY_ONLY_SER bytes');
    assert.equal(afterSer, ser, 'a MEMORY_ONLY_SER RDD read twice after its fill: its bytes alone');
    release('ser');

    await step('filled');
    const des = await rddBytes(app, 'des');
    const filled = await settles(app, (m) => m === ser + des, 'both RDDs\' bytes');
    assert.equal(filled, ser + des, 'filled, nothing read yet: the bytes alone');
    release('filled');

    await step('read-once');
    // A heartbeat or two after the read: the figure the next step waits to change.
    await new Promise((r) => setTimeout(r, 2_500));
    assert.equal(await workerMemory(app), ser + des, 'read once: the bytes alone');
    release('read-once');

    await step('read');
    // Both partitions' copies counted (a heartbeat sent while the read ran may count one of two),
    // and the worker's memoryUsed from the same heartbeat as the storage figures.
    const desId = (await storageList(app)).find((x) => x.name === 'des')!.id;
    let read = 0;
    await pollUntil(
      async () => {
        const detail = (await (await fetch(`${root}/applications/${app}/storage/rdd/${desId}`)).json()) as { memoryUsed: number; partitions?: { decodedMemoryUsed: number }[] };
        read = await workerMemory(app);
        return detail.partitions?.length === 2 && detail.partitions.every((p) => p.decodedMemoryUsed > 0) && read === ser + detail.memoryUsed ? true : undefined;
      },
      60_000,
      'both partitions\' decoded copies counted',
    );
    const decoded = read - ser - des;
    assert.ok(decoded > des && decoded < 20 * des, `the decoded copy counted ${decoded} bytes beside its ${des} encoded bytes`);
    // storage/rdd: the memory the cache takes, as the worker counts it (the same heartbeat's figures).
    const storage = (await (await fetch(`${root}/applications/${app}/storage/rdd`)).json()) as { id: number; name: string; memoryUsed: number; decodedMemoryUsed: number }[];
    const desInfo = storage.find((x) => x.name === 'des')!;
    assert.deepEqual([desInfo.memoryUsed, desInfo.decodedMemoryUsed], [des + decoded, decoded], `the MEMORY_ONLY RDD's memory: its bytes and its decoded copy: ${JSON.stringify(storage)}`);
    assert.deepEqual(storage.filter((x) => x.name === 'ser').map((x) => [x.memoryUsed, x.decodedMemoryUsed]), [[ser, 0]], 'the MEMORY_ONLY_SER one: its bytes alone');
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      const web = `http://127.0.0.1:${h.cluster.driver.webPort}`;
      await page.goto(`${web}/jobs/${app}/storage/`);
      const rows = await inPage<string[][]>(page, `[...document.querySelectorAll('#rdds tbody tr')].map((tr) => [...tr.cells].map((td) => td.textContent))`);
      const desRow = rows.find((r) => r[1] === 'des');
      assert.equal(desRow?.[5], shownBytes(des + decoded), `the Storage tab's Size in Memory of des: ${JSON.stringify(rows)}`);
      await page.screenshot({ path: path.join(ARTIFACTS, 'ui-storage-decoded.png'), fullPage: true });
      await page.goto(`${web}/jobs/${app}/storage/rdd/?id=${desInfo.id}`);
      const field = (k: string): Promise<string> => inPage<string>(page, `document.querySelector('[data-field="${k}"]').textContent`);
      assert.deepEqual([await field('Memory Size'), await field('Decoded Copies in Memory')], [shownBytes(des + decoded), shownBytes(decoded)], "the RDD page's sizes");
    } finally {
      await browser.close();
    }
    release('read');

    await step('unpersisted');
    const dropped = await settles(app, (m) => m === ser, 'the MEMORY_ONLY RDD gone');
    assert.equal(dropped, ser, 'unpersisted: its bytes and its decoded copy gone');
    release('unpersisted');

    const run = await running;
    assert.ok(run.ok, `${run.failure?.message}\n${run.lines.join('\n')}`);
    assert.ok(run.lines.includes(`SER ${N} ${N} ${N}`), run.lines.join('\n'));
    // Changed: each record gives -1 + 2 + -1 = 0. After: id + 1 tag + n = 2i + 1 for i < N.
    assert.ok(run.lines.includes('CHANGED 0'), run.lines.join('\n'));
    assert.ok(run.lines.includes(`AFTER ${N * (N - 1) + N}`), run.lines.join('\n'));
    assert.ok(run.lines.includes('FIRST {"id":0,"tags":[0],"inner":{"n":0}} {"id":1,"tags":[1],"inner":{"n":1}}'), run.lines.join('\n'));
  });
});
