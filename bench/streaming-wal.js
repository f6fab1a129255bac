// Write-ahead log benchmark (not a test): the network word count of bench/streaming.js on
// driver + 2 workers (1 core each), with the receiver write-ahead log off and on, in the
// same run. The source writes 100-byte lines as fast as the receiver takes them (it waits
// for the socket to drain): the receiver's buffer of records not yet durable is bounded,
// so a slower store (replicate vs log + fsync) slows the source down. Per mode: the lines
// the batches took per second after 3 warm-up batches, and the batches' delays; then the
// ratio log on / log off. Modes alternate, twice each.
//
//   node bench/streaming-wal.js [secondsPerRun=20]
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalCluster, bundleJob, createRootLogger } from '../packages/cli/dist/src/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const SECONDS = Number(process.argv[2] ?? 20);
const INTERVAL_MS = 1000;

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
const CHUNK_LINES = 1000;
const CHUNK = makeLines(CHUNK_LINES);

/** A TCP server that writes 1,000-line chunks to its client whenever the socket drains. */
function startFloodSource() {
  let sent = 0;
  let client;
  const server = net.createServer((s) => {
    client = s;
    s.on('error', () => undefined);
    const pump = () => {
      while (!s.destroyed && s.write(CHUNK)) sent += CHUNK_LINES;
      if (!s.destroyed) sent += CHUNK_LINES;
    };
    s.on('drain', pump);
    pump();
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: server.address().port,
        sent: () => sent,
        close: () => new Promise((r) => {
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

async function run(mode) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-wal-'));
  const src = await startFloodSource();
  try {
    const job = cluster.driver.submit({
      name: 'bench-wal',
      code: bundle.code,
      sourceMap: bundle.sourceMap,
      args: ['127.0.0.1', String(src.port), String(INTERVAL_MS), String(SECONDS * 1000), mode, path.join(dir, 'ckpt')],
    });
    const batches = [];
    job.on('output', (l) => l.startsWith('BATCH ') && batches.push(JSON.parse(l.slice(6))));
    const [state, err] = await new Promise((r) => job.once('end', (s, e) => r([s, e])));
    if (state !== 'succeeded') throw new Error(`bench job failed: ${err?.message}`);
    const measured = batches.slice(3);
    const records = measured.reduce((a, b) => a + b.records, 0);
    const rate = records / ((measured.length * INTERVAL_MS) / 1000);
    const maxDelay = Math.max(...measured.map((b) => b.total));
    const meanProcessing = measured.reduce((a, b) => a + b.processing, 0) / Math.max(1, measured.length);
    console.log(
      `  log ${mode === 'wal' ? 'on ' : 'off'}: ${Math.round(rate).toLocaleString('en-US').padStart(9)} lines/s taken by batches ` +
        `(${measured.length} batches), mean processing ${meanProcessing.toFixed(0)} ms, max total delay ${maxDelay} ms`,
    );
    return rate;
  } finally {
    await src.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await cluster.start();
try {
  console.log(`network word count with the receiver write-ahead log off and on, driver + 2 workers x 1 core, 100-byte lines, source as fast as the receiver takes it, ${SECONDS} s per run, 1 s batches`);
  const rates = { nowal: [], wal: [] };
  for (let i = 0; i < 2; i++) for (const mode of ['nowal', 'wal']) rates[mode].push(await run(mode));
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  console.log(
    `mean: log off ${Math.round(mean(rates.nowal)).toLocaleString('en-US')} lines/s, log on ${Math.round(mean(rates.wal)).toLocaleString('en-US')} lines/s; ratio on / off ${(mean(rates.wal) / mean(rates.nowal)).toFixed(2)}x`,
  );
} finally {
  await cluster.stop();
}
