// Streaming sources on a real multi-process cluster over loopback: a socket text stream
// fed by a TCP server in this test, a directory of files moved in atomically, and a
// custom Receiver. Each run is stopped gracefully and compared with what was fed in.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { LocalCluster } from '../src/local-cluster.js';
import { blocksOn, fixture, jsonLine, withCluster, type JobRun, type RunningJob, jsonLines, sleep, startJob, untilPhase, within } from './harness.js';


function tmpDir(name: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `sluice-test-${name}-`));
}

interface Batch<T> {
  readonly time: number;
  readonly counts: T;
}

/** Record the ids of the received blocks the driver hands to batches (it notes where each lives). */
function watchInputBlocks(cluster: LocalCluster): Set<string> {
  const ids = new Set<string>();
  const locations = cluster.driver.dag.blockLocations;
  const add = locations.add.bind(locations);
  locations.add = (blockId, workerId) => {
    if (blockId.startsWith('input_')) ids.add(blockId);
    add(blockId, workerId);
  };
  return ids;
}

/** Which of `ids` the worker at `address` still stores (asked over its Worker service). */
async function heldBy(address: string, secret: string, ids: readonly string[]): Promise<string[]> {
  return [...(await blocksOn(address, secret, ids)).keys()];
}

/** After a streaming job ended: the driver and every worker forgot its received blocks (within 60 s: release is asynchronous, well under 1 s on a quiet machine; 5 s could lapse under load). */
async function assertInputReleased(cluster: LocalCluster, ids: ReadonlySet<string>): Promise<void> {
  assert.ok(ids.size > 0, 'the job had received blocks');
  assert.equal(cluster.driver.dag.blockLocations.size, 0, 'the driver forgot where the blocks were');
  const deadline = Date.now() + 60_000;
  for (;;) {
    const left: string[] = [];
    for (const w of cluster.driver.registry.all()) left.push(...(await heldBy(w.address, cluster.secret, [...ids])).map((id) => `${w.id}: ${id}`));
    if (left.length === 0) return;
    assert.ok(Date.now() < deadline, `workers still hold ${left.length} received blocks of the ended job: ${left.slice(0, 5).join(', ')}`);
    await sleep(100);
  }
}

const show = (run: JobRun): string => `${JSON.stringify(run.failure)}\n${run.lines.join('\n')}`;

test('socketTextStream: per-batch word counts add up to every line sent; a graceful stop processes what was received', { timeout: 300_000 }, async () => {
  const BATCH_MS = 500;
  const WORDS = ['alpha', 'beta', 'gamma', 'delta', 'eps', 'zeta', 'eta'];
  let seed = 11;
  const nextLine = (): string => {
    const n = 1 + (seed % 6);
    const ws: string[] = [];
    for (let i = 0; i < n; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      ws.push(WORDS[seed % WORDS.length]);
    }
    return ws.join(' ');
  };
  const dir = tmpDir('socket');
  const stopFile = path.join(dir, 'stop');
  const clients: net.Socket[] = [];
  let connected!: () => void;
  const firstClient = new Promise<void>((r) => (connected = r));
  const server = net.createServer((s) => {
    clients.push(s);
    s.on('error', () => undefined);
    connected();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  try {
    await withCluster({ workers: 2, driver: { workerTimeoutMs: 2000 } }, async (h) => {
      const inputBlocks = watchInputBlocks(h.cluster);
      const job = await startJob(h.cluster, fixture('stream-socket-wordcount.ts'), ['127.0.0.1', String(port), String(BATCH_MS), stopFile]);
      await within(firstClient, 90_000, 'the receiver to connect');
      const expected = new Map<string, number>();
      let sent = 0;
      const send = (n: number): void => {
        const lines: string[] = [];
        for (let i = 0; i < n; i++) lines.push(nextLine());
        for (const l of lines) for (const w of l.split(' ')) expected.set(w, (expected.get(w) ?? 0) + 1);
        clients[0].write(lines.join('\n') + '\n');
        sent += n;
      };
      // Four chunks in four different batches (each sent once the one before is in a
      // completed batch, however late batches run under load), then a last chunk just after
      // a batch boundary, and the stop file ~200 ms later: the last chunk is then still in
      // the receiver (or reported but not yet in a batch) when stop() is called.
      const inBatches = (): number => jsonLines<{ numRecords: number }>(job.lines, 'INFO ').reduce((a, i) => a + i.numRecords, 0);
      for (let c = 0; c < 4; c++) {
        send(200 + c * 50);
        for (const until = Date.now() + 90_000; inBatches() < sent; await sleep(20)) {
          assert.ok(Date.now() < until, `chunk ${c}: only ${inBatches()} of the ${sent} lines sent were in completed batches after 90 s`);
        }
      }
      await untilPhase(BATCH_MS, 20);
      send(300);
      await sleep(200);
      fs.writeFileSync(stopFile, '');
      const run = await within(job.done, 120_000, 'the job to stop');
      assert.equal(run.ok, true, show(run));

      const batches = jsonLines<Batch<[string, number][]>>(run.lines, 'BATCH ');
      const union = new Map<string, number>();
      for (const b of batches) for (const [w, n] of b.counts) union.set(w, (union.get(w) ?? 0) + n);
      const sorted = (m: Map<string, number>): [string, number][] => [...m].sort((a, b) => a[0].localeCompare(b[0]));
      assert.deepEqual(sorted(union), sorted(expected), 'the union of the batches counts every word sent exactly once');
      const infos = jsonLines<{ time: number; numRecords: number }>(run.lines, 'INFO ');
      assert.equal(infos.reduce((a, i) => a + i.numRecords, 0), sent, 'every line was received once');
      assert.ok(batches.filter((b) => b.counts.length > 0).length >= 4, `data came in several batches: ${batches.map((b) => b.counts.length)}`);

      // What the program had processed when stop({ graceful: true }) returned: everything.
      const stopped = jsonLine<{ stopAt: number; batches: number; total: [string, number][] }>(run.lines, 'STOPPED ');
      assert.deepEqual(stopped.total.sort((a, b) => a[0].localeCompare(b[0])), sorted(expected));
      assert.equal(stopped.batches, batches.length, 'no batch ran after stop() returned');
      const late = infos.filter((i) => i.time > stopped.stopAt && i.numRecords > 0);
      assert.ok(late.length > 0, `the graceful stop processed records received before it was called (batches after ${stopped.stopAt}: ${JSON.stringify(infos.slice(-3))})`);
      await assertInputReleased(h.cluster, inputBlocks);
    });
  } finally {
    for (const c of clients) c.destroy();
    await new Promise<void>((r) => server.close(() => r()));
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('textFileStream: files moved into the directory are read once, as soon as they are settled; files there before start are ignored, an entry gone before its stat is skipped', { timeout: 300_000 }, async () => {
  // The fixture runs on a manual clock that this test advances one batch at a time (and
  // waits for that batch to finish), so every file's batch is known exactly, whatever the
  // machine's load. A file just written (its mtime is far after the manual clock's time,
  // so within the last batch interval) and moved in before tick n is listed by the batch
  // at n and read, unchanged, by the batch at n + 1; a file moved in with an mtime older
  // than a batch interval is read by the batch at n (file-stream.test.ts covers files
  // still being written).
  const BATCH_MS = 500;
  const root = tmpDir('files');
  const dir = path.join(root, 'in');
  const staging = path.join(root, 'staging');
  const control = path.join(root, 'control');
  const stopFile = path.join(root, 'stop');
  for (const d of [dir, staging, control]) fs.mkdirSync(d);
  const write = (where: string, name: string, n: number): string[] => {
    const lines = Array.from({ length: n }, (_, i) => `${name}:${i}`);
    fs.writeFileSync(path.join(where, name), lines.join('\n') + '\n');
    return lines;
  };
  const old = [...write(dir, 'old-1.txt', 5), ...write(dir, 'old-2.txt', 3)];
  try {
    await withCluster({ workers: 2, driver: { workerTimeoutMs: 2000 } }, async (h) => {
      const job = await startJob(h.cluster, fixture('stream-files.ts'), [dir, control, stopFile, String(BATCH_MS)]);
      const zero = Number((await job.waitLine('STARTED ', 30_000)).slice('STARTED '.length));
      // Written outside the directory, then renamed in (atomic), between two batches.
      const moved: { name: string; lines: string[]; batch: number }[] = [];
      const moveIn = (name: string, n: number, tick: number, writtenLongAgo = false): void => {
        const lines = write(staging, name, n);
        if (writtenLongAgo) fs.utimesSync(path.join(staging, name), 0, 0);
        fs.renameSync(path.join(staging, name), path.join(dir, name));
        moved.push({ name, lines, batch: zero + (writtenLongAgo ? tick : tick + 1) * BATCH_MS });
      };
      const TICKS = 7;
      for (let tick = 1; tick <= TICKS; tick++) {
        if (tick === 1) moveIn('f-0.txt', 3, tick);
        if (tick === 2) {
          moveIn('f-1.txt', 4, tick);
          moveIn('f-old.txt', 2, tick, true); // read in the same batch as f-0.txt
          // An entry that disappears between the directory listing and its stat (here, for
          // good: a dangling symlink) is skipped, not fatal to the stream.
          fs.symlinkSync(path.join(root, 'gone.txt'), path.join(dir, 'dangling.txt'));
        }
        if (tick === 3) {
          moveIn('f-2.txt', 5, tick);
          moveIn('f-2b.txt', 4, tick); // two files in one batch
        }
        // tick 4: no new file (its batch reads the two of tick 3; the batch at 5, nothing)
        if (tick === 5) moveIn('f-3.txt', 6, tick);
        if (tick === 6) moveIn('f-4.txt', 7, tick);
        // tick 7: nothing new; the files already read are not read again
        fs.writeFileSync(path.join(control, `tick-${tick}`), '');
        await job.waitLine(`TICKED ${zero + tick * BATCH_MS}`, 30_000);
      }
      fs.writeFileSync(stopFile, '');
      const run = await within(job.done, 120_000, 'the job to stop');
      assert.equal(run.ok, true, show(run));

      const batches = jsonLines<{ time: number; lines: string[] }>(run.lines, 'BATCH ');
      assert.deepEqual(
        batches.map((b) => b.time).slice(0, TICKS),
        Array.from({ length: TICKS }, (_, i) => zero + (i + 1) * BATCH_MS),
        'one batch per tick',
      );
      const seen = new Map<string, number[]>();
      for (const b of batches) for (const l of b.lines) seen.set(l, [...(seen.get(l) ?? []), b.time]);
      for (const l of old) assert.equal(seen.has(l), false, `'${l}' was in the directory before start and must be ignored`);
      for (const f of moved) {
        for (const l of f.lines) assert.deepEqual(seen.get(l), [f.batch], `'${l}' of ${f.name} is read once, by the batch at ${f.batch} (the first where it is settled)`);
      }
      for (const b of batches) {
        const want = moved.filter((f) => f.batch === b.time).flatMap((f) => f.lines);
        assert.deepEqual([...b.lines].sort(), want.sort(), `batch ${b.time} reads exactly the files settled by then`);
      }
      assert.equal(seen.size, moved.reduce((a, f) => a + f.lines.length, 0), 'no other line appeared');
    });
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('a custom Receiver: every number it stored appears exactly once across the batches after a graceful stop', { timeout: 300_000 }, async () => {
  await withCluster({ workers: 2, driver: { workerTimeoutMs: 2000 } }, async (h) => {
    const inputBlocks = watchInputBlocks(h.cluster);
    // The job stops once 600 numbers were processed in 3 non-empty batches (~1.5 s quiet).
    const run = await within(h.run(fixture('stream-custom-receiver.ts'), ['500', '600']), 180_000, 'the job');
    assert.equal(run.ok, true, show(run));
    const tallyLine = jsonLines<{ message: string }>(run.lines, 'RECEIVER error ').find((e) => e.message.startsWith('TALLY '));
    assert.ok(tallyLine, `the receiver reported its tally as it stopped:\n${run.lines.join('\n')}`);
    const stored = Number(tallyLine.message.slice('TALLY '.length));
    assert.ok(stored >= 600, `the receiver stored ${stored} numbers, at least the 600 processed before the stop`);
    const batches = jsonLines<{ time: number; nums: number[] }>(run.lines, 'BATCH ');
    const all = batches.flatMap((b) => b.nums).sort((a, b) => a - b);
    const dups = all.filter((n, i) => i > 0 && all[i - 1] === n);
    assert.deepEqual(dups, [], 'no number appears twice');
    assert.equal(all.length, stored, `every stored number appears (got ${all.length} of ${stored}; max ${all[all.length - 1]})`);
    assert.deepEqual(all, Array.from({ length: stored }, (_, i) => i));
    assert.ok(batches.filter((b) => b.nums.length > 0).length >= 3, 'the numbers came in several batches');
    assert.equal(jsonLine<{ processed: number }>(run.lines, 'STOPPED ').processed, stored, 'all of them were processed when stop() returned');
    await assertInputReleased(h.cluster, inputBlocks);
  });
});
