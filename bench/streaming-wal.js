// Write-ahead log benchmark (not a test): the network word count of bench/streaming.js on
// driver + 2 workers (1 core each), fed over loopback by a generator of 100-byte lines,
// with the receiver write-ahead log off (blocks replicated to the other worker) and on
// (blocks appended to the log and fsynced, not replicated), in the same run. For each
// mode the offered rate rises until a run is unstable (as bench/streaming.js: after 3
// warm-up batches every batch's total delay stays under the 1 s interval and the batches
// take in at least 90% of what was sent); prints each mode's highest stable rate, the
// ratio log on / log off, and at each rate both modes' mean processing time.
//
//   node bench/streaming-wal.js [secondsPerStep=12]
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalCluster, bundleJob, createRootLogger } from '../packages/cli/dist/src/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const SECONDS = Number(process.argv[2] ?? 12);
const INTERVAL_MS = 1000;
const RATES = [25_000, 50_000, 100_000, 150_000, 200_000, 300_000];

function makeLines(n) {
  let seed = 1;
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296);
  const vocab = Array.from({ length: 1000 }, (_, i) => 'w' + i.toString(36).padStart(3, '0'));
  const lines = [];
  for (let i = 0; i < n; i++) {
    let line = '';
    while (line.length < 95) line += (line ? ' ' : '') + vocab[Math.floor(rand() * vocab.length)];
    lines.push(line.padEnd(99, 'x'));
  }
  return Buffer.from(lines.join('\n') + '\n');
}
const POOL_LINES = 20_000;
const POOL = makeLines(POOL_LINES);

/** A TCP server writing `rate` lines/s to its client in 10 ms ticks (as bench/streaming.js). */
function startGenerator(rate) {
  let sent = 0;
  let client;
  let offsetLine = 0;
  const server = net.createServer((s) => {
    client = s;
    s.on('error', () => undefined);
  });
  let debt = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    if (!client) {
      last = now;
      return;
    }
    debt += (rate * (now - last)) / 1000;
    last = now;
    let n = Math.floor(debt);
    debt -= n;
    while (n > 0) {
      const take = Math.min(n, POOL_LINES - offsetLine);
      client.write(POOL.subarray(offsetLine * 100, (offsetLine + take) * 100));
      offsetLine = (offsetLine + take) % POOL_LINES;
      sent += take;
      n -= take;
    }
  }, 10);
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: server.address().port,
        sent: () => sent,
        close: () =>
          new Promise((r) => {
            clearInterval(timer);
            client?.destroy();
            server.close(() => r());
          }),
      }),
    ),
  );
}

const log = createRootLogger('warn', { pretty: false });
const cluster = new LocalCluster({ workers: 2, coresPerWorker: 1, logLevel: 'warn', log });
const bundle = await bundleJob(path.join(here, 'streaming-wal-job.ts'));

async function run(mode, rate) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-wal-'));
  const gen = await startGenerator(rate);
  try {
    const job = cluster.driver.submit({
      name: 'bench-wal',
      code: bundle.code,
      sourceMap: bundle.sourceMap,
      args: ['127.0.0.1', String(gen.port), String(INTERVAL_MS), String(SECONDS * 1000), mode, path.join(dir, 'ckpt')],
    });
    const batches = [];
    job.on('output', (l) => l.startsWith('BATCH ') && batches.push(JSON.parse(l.slice(6))));
    const [state, err] = await new Promise((r) => job.once('end', (s, e) => r([s, e])));
    if (state !== 'succeeded') throw new Error(`bench job failed: ${err?.message}`);
    const measured = batches.slice(3);
    const received = measured.reduce((a, b) => a + b.records, 0);
    const expected = (rate * measured.length * INTERVAL_MS) / 1000;
    const maxDelay = Math.max(...measured.map((b) => b.total));
    const stable = measured.length > 0 && maxDelay < INTERVAL_MS && received >= 0.9 * expected;
    const meanProcessing = measured.reduce((a, b) => a + b.processing, 0) / Math.max(1, measured.length);
    console.log(
      `  log ${mode === 'wal' ? 'on ' : 'off'}, rate ${rate.toLocaleString('en-US').padStart(7)} lines/s: ${stable ? 'stable  ' : 'UNSTABLE'} ` +
        `max total delay ${maxDelay} ms, mean processing ${meanProcessing.toFixed(0)} ms, received ${((100 * received) / Math.max(1, expected)).toFixed(0)}% of sent`,
    );
    return stable;
  } finally {
    await gen.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await cluster.start();
try {
  console.log(`network word count, receiver write-ahead log off vs on, driver + 2 workers x 1 core, 100-byte lines, 1 s batches, ${SECONDS} s per step`);
  const best = {};
  for (const mode of ['nowal', 'wal']) {
    best[mode] = 0;
    for (const rate of RATES) {
      if (!(await run(mode, rate))) break;
      best[mode] = rate;
    }
  }
  console.log(
    `highest stable rate: log off ${best.nowal.toLocaleString('en-US')} lines/s, log on ${best.wal.toLocaleString('en-US')} lines/s; ratio on / off ${(best.wal / Math.max(1, best.nowal)).toFixed(2)}x`,
  );
} finally {
  await cluster.stop();
}
