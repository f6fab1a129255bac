// After an overload, workers give memory back: a socket word count on a real cluster
// (driver + 2 worker processes on loopback) is fed faster than it can process for 8 s,
// then the source stops. Once every line sent has been processed, each worker's store
// must be empty again (received blocks and shuffle outputs of finished batches removed,
// as the heartbeats report them) and its RSS (/proc/PID/status) back near where it
// started, while the job still runs; and nearer still once the job ends.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fixture, jsonLines, runCli, sleep, startJob, within, withCluster } from './harness.js';

const BATCH_MS = 1000;
const RATE = 300_000; // lines/s: above what 2 workers x 1 core count on this machine (~150,000)
const SECONDS = 8;
/**
 * Bounds over each worker's RSS at start. Measured on this 2-core machine under load
 * (MB over the start): with the fix, +60 to +255 once drained and +0 to +65 after the
 * job; without collecting idle threads' garbage, +310 to +340 once drained (caught);
 * without the malloc settings, +180 to +415 once drained and +40 to +130 after the job
 * (caught in some runs only); with neither, +250 to +415 once drained (caught) and about
 * +450 after the job. Since the worker collects its main thread's garbage when a job is
 * released: +27 to +31 after the job at load 28, +68 and +73 in a quiet CI run (+41 to +99
 * quiet before, and +114 once in CI, which failed the earlier 100 MB bound). What stays is
 * malloc's main arena (`[heap]` in /proc/PID/smaps: 75-101 MB after the overload), freed
 * but fragmented. A fresh-clone CI then failed the 150 MB bound at +164 (+119 and +118 in
 * another): besides the arena, the replicas' pool's dropped buffers (up to 64 MB mapped:
 * `anon 1-32M` below) stayed until some later collection; the pool's drop now collects
 * soon. After the job, three runs at load 8-10 then measured +77 to +145 MB, of which
 * [heap] +36 to +73 MB (glibc trims it from its top only), other malloc arenas 0-64 MB
 * (the task threads'), V8's pages +23-33 MB. 200 MB still fails the worker without either
 * malloc or collection fix by 250 MB.
 */
const RUNNING_SLACK_MB = 300;
const ENDED_SLACK_MB = 200;

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  assert.ok(m, `no VmRSS for ${pid}`);
  return Math.round(Number(m[1]) / 1024);
}

/**
 * Where a process's resident memory is (/proc/PID/smaps, MB): malloc's main arena
 * (`[heap]`), anonymous mappings of 32 MB and more (other malloc arenas' 64 MB heaps),
 * of 1-32 MB (mapped Buffers: blocks, the replicas' pool), under 1 MB (mostly V8's heap
 * pages), and files (code). Printed, and said when a bound fails, to show what stayed.
 */
function residentMb(pid: number): string {
  const mb = { '[heap]': 0, 'arenas': 0, 'anon 1-32M': 0, 'anon <1M': 0, 'files': 0 };
  let key: keyof typeof mb = 'files';
  for (const line of fs.readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (m) {
      const size = (parseInt(m[2], 16) - parseInt(m[1], 16)) / 2 ** 20;
      key = m[3] === '[heap]' ? '[heap]' : m[3] !== '' && !m[3].startsWith('[') ? 'files' : size >= 32 ? 'arenas' : size >= 1 ? 'anon 1-32M' : 'anon <1M';
    }
    const r = /^Rss:\s+(\d+) kB/.exec(line);
    if (r) mb[key] += Number(r[1]) / 1024;
  }
  return Object.entries(mb).map(([k, v]) => `${k} ${Math.round(v)}`).join(', ');
}

/** 100-byte lines over a 1,000-word vocabulary, prebuilt. */
function linePool(n: number): Buffer {
  let seed = 1;
  const rand = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296;
  const vocab = Array.from({ length: 1000 }, (_, i) => 'w' + i.toString(36).padStart(3, '0'));
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    let line = '';
    while (line.length < 95) line += (line ? ' ' : '') + vocab[Math.floor(rand() * vocab.length)];
    lines.push(line.padEnd(99, 'x'));
  }
  return Buffer.from(lines.join('\n') + '\n');
}

async function until<T>(what: string, ms: number, probe: () => T | undefined): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(200);
  }
}

test('after an 8 s overload drains, the workers hold no blocks and their RSS comes back', { timeout: 600_000 }, async () => {
  const POOL_LINES = 20_000;
  const pool = linePool(POOL_LINES);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-test-overload-'));
  const stopFile = path.join(dir, 'stop');
  let client: net.Socket | undefined;
  const server = net.createServer((s) => {
    client = s;
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  try {
    await withCluster({ workers: 2 }, async (h) => {
      const pids = h.cluster.workerProcesses.map((c) => c.pid!);
      const registry = h.cluster.driver.registry;
      const job = await startJob(h.cluster, fixture('stream-socket-wordcount.ts'), ['127.0.0.1', String(port), String(BATCH_MS), stopFile]);
      await until('the receiver to connect', 30_000, () => client);
      await until('a heartbeat with storage from every worker', 60_000, () => (registry.all().every((w) => w.storage) ? true : undefined));
      const startRss = pids.map(rssMb);
      const startResident = pids.map(residentMb);

      // Overload: RATE lines/s for SECONDS, written in 10 ms ticks.
      let sent = 0;
      let off = 0;
      let peakInput = 0;
      const t0 = Date.now();
      let last = t0;
      while (Date.now() - t0 < SECONDS * 1000) {
        await sleep(10);
        const now = Date.now();
        let n = Math.floor((RATE * (now - last)) / 1000);
        last = now;
        while (n > 0) {
          const take = Math.min(n, POOL_LINES - off);
          client!.write(pool.subarray(off * 100, (off + take) * 100));
          off = (off + take) % POOL_LINES;
          sent += take;
          n -= take;
        }
        peakInput = Math.max(peakInput, ...registry.all().map((w) => w.storage?.inputBlocks ?? 0));
      }
      const peakRss = pids.map(rssMb);

      // Drain: every line sent is counted by some batch.
      const processed = (): number => jsonLines<{ numRecords: number }>(job.lines, 'INFO ').reduce((a, i) => a + i.numRecords, 0);
      // Waited for while batches make progress, not a fixed time: at load 36 (CI's three test
      // files beside five engineers' work) 120 s did not drain it, batches still completing.
      let progress = { n: -1, at: Date.now() };
      await until(`all ${sent} lines to be processed (no batch processed any for 60 s, or 480 s in all)`, 480_000, () => {
        const n = processed();
        if (n >= sent) return true;
        if (n !== progress.n) progress = { n, at: Date.now() };
        if (Date.now() - progress.at > 60_000) throw new Error(`no line processed for 60 s: ${n} of ${sent} after ${jsonLines(job.lines, 'INFO ').length} batches`);
        return undefined;
      });
      const drainedAt = Date.now();
      assert.equal(processed(), sent, 'every line was processed once');
      const infos = jsonLines<{ time: number; submitted: number; numRecords: number }>(job.lines, 'INFO ');
      assert.ok(peakInput >= 5, `the receiver's worker held a backlog of received blocks during the overload (peak ${peakInput})`);

      // The stores empty out: no received block, no shuffle output of a finished batch. They
      // do as the (empty) batches after the drain complete, each clearing what the stream no
      // longer remembers, and the heartbeats after report it: waited for over 15 batches, not
      // a fixed time (20 s ran out at load 46, batches completing far behind the clock) —
      // and over 20 s at least: a backlog of empty batches can complete 15 in a few seconds
      // after the drain, before the removals and the next heartbeats have had time to go.
      const batchesAtDrain = infos.length;
      const storage = await until('the workers to report empty stores', 90_000, () => {
        const all = registry.all().map((w) => w.storage!);
        if (all.every((s) => s.inputBlocks === 0 && s.shuffleBlocks === 0 && s.memoryBytes === 0)) return all;
        const since = jsonLines(job.lines, 'INFO ').length - batchesAtDrain;
        if (since >= 15 && Date.now() - drainedAt >= 20_000) throw new Error(`the workers still report ${JSON.stringify(all.map((s) => [s.inputBlocks, s.shuffleBlocks, s.memoryBytes]))} (input blocks, shuffle blocks, bytes in memory) ${since} batches and ${Math.round((Date.now() - drainedAt) / 1000)} s after the drain`);
        return undefined;
      });
      assert.equal(storage.length, 2);
      // `sluice workers` shows the same: no block, nothing in memory of the default bound.
      const listed = await runCli(['workers', '--driver', h.cluster.driver.address], { env: { SLUICE_SECRET: h.cluster.secret, SLUICE_SECRET_FILE: '' }, timeoutMs: 30_000 });
      assert.equal(listed.code, 0, listed.stderr);
      const limitMib = Math.min(1024, Math.floor(os.totalmem() / 4 / (1024 * 1024)));
      const rows = listed.stdout.split('\n').filter((l) => l.startsWith('worker-')).map((l) => l.split(/\s{2,}/));
      assert.equal(rows.length, 2, listed.stdout);
      for (const r of rows) {
        assert.deepEqual(r.slice(7, 10), ['0/0/0', `0 MiB of ${limitMib} MiB`, '0 MiB'], listed.stdout);
        assert.match(r[10], /^\d+ MiB$/);
      }

      // RSS back near where it started while the job still runs (receiving nothing).
      let runningRss: number[] = [];
      await until(`worker RSS within ${RUNNING_SLACK_MB} MB of its start`, 20_000, () => {
        runningRss = pids.map(rssMb);
        return runningRss.every((r, i) => r <= startRss[i] + RUNNING_SLACK_MB) ? true : undefined;
      }).catch((err: Error) => {
        throw new Error(`${err.message}: start ${startRss}, peak ${peakRss}, now ${runningRss} MB; at start: ${startResident.join('; ')}; now: ${pids.map(residentMb).join('; ')}`);
      });
      const settledMs = Date.now() - drainedAt;

      fs.writeFileSync(stopFile, '');
      const run = await within(job.done, 60_000, 'the job to stop');
      assert.equal(run.ok, true, JSON.stringify(run.failure));
      let endedRss: number[] = [];
      await until(`worker RSS within ${ENDED_SLACK_MB} MB of its start after the job ended`, 20_000, () => {
        endedRss = pids.map(rssMb);
        return endedRss.every((r, i) => r <= startRss[i] + ENDED_SLACK_MB) ? true : undefined;
      }).catch((err: Error) => {
        throw new Error(`${err.message}: start ${startRss}, peak ${peakRss}, running ${runningRss}, now ${endedRss} MB; at start: ${startResident.join('; ')}; now: ${pids.map(residentMb).join('; ')}`);
      });
      console.log(
        `# overload: ${sent} lines in ${SECONDS} s, ${infos.length} batches, peak ${peakInput} input blocks on a worker; RSS MB start ${startRss}, end of overload ${peakRss}, ${settledMs} ms after the drain ${runningRss}, after the job ${endedRss}; at start: ${startResident.join('; ')}; after the job: ${pids.map(residentMb).join('; ')}`,
      );
    });
  } finally {
    client?.destroy();
    await new Promise<void>((r) => server.close(() => r()));
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
