// Write-ahead log benchmark (not a test): the network word count of bench/streaming.js on
// driver + 2 workers (1 core each), with the receiver write-ahead log off (blocks
// replicated to the other worker) and on (blocks appended to the log and fsynced, not
// replicated), in the same run. A source serves a fixed 600,000 100-byte lines as fast as
// the receiver takes them (it waits for the socket to drain); a run's throughput is the
// lines over the time from the job's start to the batch that completes the count. The
// modes alternate, 3 runs each; prints each run, each mode's median and the ratio log on /
// log off. First, the log alone: how fast this disk takes fsynced 200 KB blocks.
//
//   node bench/streaming-wal.js [rounds=3] [lines=600000]
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalCluster, bundleJob, createRootLogger } from '../packages/cli/dist/src/index.js';
import { WriteAheadLogWriter } from '../packages/worker/dist/src/receiver/write-ahead-log-writer.js';
import { makeLines } from './lines.js';
import { median } from './bench-support.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const ROUNDS = Number(process.argv[2] ?? 3);
const LINES = Number(process.argv[3] ?? 600_000);
const INTERVAL_MS = 1000;

const POOL_LINES = 20_000;
const POOL = makeLines(POOL_LINES);

/** A TCP server that writes `total` lines to its client, as fast as the socket drains. */
function startFixedSource(total) {
  let sent = 0;
  let client;
  const server = net.createServer((s) => {
    client = s;
    s.on('error', () => undefined);
    let offsetLine = 0;
    const pump = () => {
      while (!s.destroyed && sent < total) {
        const take = Math.min(2000, total - sent, POOL_LINES - offsetLine);
        const ok = s.write(POOL.subarray(offsetLine * 100, (offsetLine + take) * 100));
        offsetLine = (offsetLine + take) % POOL_LINES;
        sent += take;
        if (!ok) return;
      }
    };
    s.on('drain', pump);
    pump();
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: server.address().port,
        close: () =>
          new Promise((r) => {
            client?.destroy();
            server.close(() => r());
          }),
      }),
    ),
  );
}

/** The log alone: 200 KB blocks (2,000 lines) appended and fsynced one after another for 5 s. */
async function logCeiling() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-wal-'));
  try {
    const w = new WriteAheadLogWriter({ dir, writer: 'bench', rollingIntervalMs: 60_000, maxSegmentBytes: 64 << 20 });
    const block = POOL.subarray(0, 2000 * 100);
    const lat = [];
    const t0 = performance.now();
    let seq = 0;
    while (performance.now() - t0 < 5000) {
      const t = performance.now();
      await w.append(`input_bench_0_bench_${seq}`, seq, 2000, block);
      lat.push(performance.now() - t);
      seq++;
    }
    const secs = (performance.now() - t0) / 1000;
    await w.close();
    lat.sort((a, b) => a - b);
    return { linesPerSec: (seq * 2000) / secs, mbPerSec: (seq * block.length) / secs / 1e6, p50: lat[Math.floor(lat.length / 2)], p99: lat[Math.floor(lat.length * 0.99)] };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const log = createRootLogger('warn', { pretty: false });
const cluster = new LocalCluster({ workers: 2, coresPerWorker: 1, logLevel: 'warn', log });
const bundle = await bundleJob(path.join(here, 'streaming-wal-job.ts'));

async function run(mode) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-wal-'));
  const src = await startFixedSource(LINES);
  try {
    const started = performance.now();
    const job = cluster.driver.submit({
      name: 'bench-wal',
      code: bundle.code,
      sourceMap: bundle.sourceMap,
      args: ['127.0.0.1', String(src.port), String(INTERVAL_MS), String(600_000), mode, path.join(dir, 'ckpt')],
    });
    let counted = 0;
    let doneAt;
    const batches = [];
    job.on('output', (l) => {
      if (!l.startsWith('BATCH ')) return;
      const b = JSON.parse(l.slice(6));
      batches.push(b);
      counted += b.records;
      if (doneAt === undefined && counted >= LINES) {
        doneAt = performance.now();
        cluster.driver.jobs.get(job.id)?.requestStop(false);
      }
    });
    const [state, err] = await new Promise((r) => job.once('end', (s, e) => r([s, e])));
    if (doneAt === undefined) throw new Error(`bench job ended (${state}${err ? ': ' + err.message : ''}) after ${counted} of ${LINES} lines`);
    const secs = (doneAt - started) / 1000;
    const maxDelay = Math.max(...batches.map((b) => b.total));
    console.log(
      `  log ${mode === 'wal' ? 'on ' : 'off'}: ${LINES.toLocaleString('en-US')} lines counted in ${secs.toFixed(1)} s = ${Math.round(LINES / secs).toLocaleString('en-US').padStart(7)} lines/s ` +
        `(${batches.length} batches, max total delay ${maxDelay} ms)`,
    );
    return LINES / secs;
  } finally {
    await src.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await cluster.start();
try {
  const c = await logCeiling();
  console.log(
    `the log alone (${os.tmpdir()}): 200 KB blocks appended + fsynced: ${Math.round(c.linesPerSec).toLocaleString('en-US')} lines/s, ${c.mbPerSec.toFixed(1)} MB/s, ` +
      `per block p50 ${c.p50.toFixed(1)} ms, p99 ${c.p99.toFixed(1)} ms`,
  );
  console.log(`network word count of ${LINES.toLocaleString('en-US')} 100-byte lines, receiver write-ahead log off vs on, driver + 2 workers x 1 core, 1 s batches, ${ROUNDS} runs each`);
  const rates = { nowal: [], wal: [] };
  for (let i = 0; i < ROUNDS; i++) for (const mode of ['nowal', 'wal']) rates[mode].push(await run(mode));
  console.log(
    `median: log off ${Math.round(median(rates.nowal)).toLocaleString('en-US')} lines/s, log on ${Math.round(median(rates.wal)).toLocaleString('en-US')} lines/s; ratio on / off ${(median(rates.wal) / median(rates.nowal)).toFixed(2)}x`,
  );
} finally {
  await cluster.stop();
}
