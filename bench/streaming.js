// Streaming benchmark (not a test): the network word count on driver + 2 workers (1 core
// each), fed over loopback by a generator of 100-byte lines.
//  1. At a 1 s batch interval, rates rise until a run is unstable; a run is stable when,
//     after 3 warm-up batches, every batch's total delay stays under the interval and the
//     batches take in at least 90% of the records sent. Prints the highest stable rate.
//  2. At 10,000 records/s, batch intervals shrink until unstable; prints the smallest stable one.
// The baseline of the same run is the generator alone: the rate it can write on loopback.
//
//   node bench/streaming.js [secondsPerStep=30]
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalCluster, bundleJob, createRootLogger } from '../packages/cli/dist/src/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const SECONDS = Number(process.argv[2] ?? 30);

/** 100-byte lines (99 characters + newline) over a 1,000-word vocabulary, prebuilt. */
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

/** A TCP server writing `rate` lines/s to its client in 10 ms ticks. */
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
        close: () => new Promise((r) => {
          clearInterval(timer);
          client?.destroy();
          server.close(() => r());
        }),
      }),
    ),
  );
}

/** The generator alone: lines/s it writes to a loopback client that discards them. */
async function generatorCeiling() {
  const gen = await startGenerator(5_000_000);
  const sock = net.connect(gen.port, '127.0.0.1');
  let bytes = 0;
  sock.on('data', (d) => (bytes += d.length));
  await new Promise((r) => setTimeout(r, 3000));
  sock.destroy();
  await gen.close();
  return bytes / 100 / 3;
}

const log = createRootLogger('warn', { pretty: false });
const cluster = new LocalCluster({ workers: 2, coresPerWorker: 1, logLevel: 'warn', log });
const bundle = await bundleJob(path.join(here, 'streaming-job.ts'));

async function run(rate, intervalMs) {
  const gen = await startGenerator(rate);
  const job = cluster.driver.submit({ name: 'bench', code: bundle.code, sourceMap: bundle.sourceMap, args: ['127.0.0.1', String(gen.port), String(intervalMs), String(SECONDS * 1000)] });
  const batches = [];
  job.on('output', (l) => l.startsWith('BATCH ') && batches.push(JSON.parse(l.slice(6))));
  const [state, err] = await new Promise((r) => job.once('end', (s, e) => r([s, e])));
  const sent = gen.sent();
  await gen.close();
  if (state !== 'succeeded') throw new Error(`bench job failed: ${err?.message}`);
  const measured = batches.slice(3);
  const received = measured.reduce((a, b) => a + b.records, 0);
  const expected = (rate * measured.length * intervalMs) / 1000;
  const maxDelay = Math.max(...measured.map((b) => b.total));
  const stable = measured.length > 0 && maxDelay < intervalMs && received >= 0.9 * expected;
  const meanProcessing = measured.reduce((a, b) => a + b.processing, 0) / Math.max(1, measured.length);
  console.log(
    `  rate ${rate.toLocaleString('en-US').padStart(9)} lines/s, interval ${String(intervalMs).padStart(4)} ms: ` +
      `${stable ? 'stable  ' : 'UNSTABLE'} max total delay ${maxDelay} ms, mean processing ${meanProcessing.toFixed(0)} ms, ` +
      `received ${((100 * received) / Math.max(1, expected)).toFixed(0)}% of sent (${sent.toLocaleString('en-US')} lines sent)`,
  );
  return stable;
}

await cluster.start();
try {
  const ceiling = await generatorCeiling();
  console.log(`network word count, driver + 2 workers x 1 core, 100-byte lines, ${SECONDS} s per step`);
  console.log(`  baseline: the generator alone writes ${Math.round(ceiling).toLocaleString('en-US')} lines/s on loopback`);
  let best = 0;
  for (const rate of [10_000, 25_000, 50_000, 100_000, 150_000, 200_000, 300_000, 400_000]) {
    if (!(await run(rate, 1000))) break;
    best = rate;
  }
  let smallest;
  for (const interval of [1000, 500, 250, 100, 50, 25]) {
    if (!(await run(10_000, interval))) break;
    smallest = interval;
  }
  console.log(`highest stable rate at a 1 s batch interval: ${best.toLocaleString('en-US')} lines/s (${(best / 2).toLocaleString('en-US')} per core; ratio to the generator alone ${(best / ceiling).toFixed(2)}x)`);
  console.log(`smallest stable batch interval at 10,000 lines/s: ${smallest ?? 'none of 1000'} ms`);
} finally {
  await cluster.stop();
}
