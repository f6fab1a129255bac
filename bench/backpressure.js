// Backpressure benchmark (not a test): the network word count (bench/backpressure-job.ts)
// on driver + 2 workers (1 core each), fed over loopback by a generator of 100-byte lines
// that offers a rate and skips what TCP refuses (a write is not made while the last one
// still drains), so a job that reads slower slows it down.
//  1. The highest stable rate with backpressure off and on, at a 1 s batch interval: rates
//     double until a run is unstable. Each run lasts secondsPerStep; its second half is
//     measured (the first is warm-up, and backpressure's convergence from an unbounded
//     start): stable when every measured batch's total delay is under the interval and
//     the batches took in at least 90% of what was offered. With backpressure on, the
//     rates go on 2 steps past that, to show what it does there: the delay stays bounded
//     and the job takes in what it can.
//  2. Backpressure on, the offered rate steps up 5x (from the highest stable rate found
//     without backpressure, after 20 s, for 40 s): how many batches the PID estimator needs
//     until every batch's scheduling delay stays under the interval.
//
//   node bench/backpressure.js [secondsPerStep=30]
//   node bench/backpressure.js 30 step <rate>      only the step, from <rate> lines/s
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalCluster, bundleJob, createRootLogger } from '../packages/cli/dist/src/index.js';
import { makeLines } from './lines.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const SECONDS = Number(process.argv[2] ?? 30);
const INTERVAL = 1000;
const WARMUP = Math.floor(SECONDS / 2);

const POOL_LINES = 20_000;
const POOL = makeLines(POOL_LINES);

/** A TCP server offering rateAt(ms since its client connected) lines/s in 10 ms ticks; a tick is skipped while the socket drains. */
function startGenerator(rateAt) {
  let offered = 0;
  let sent = 0;
  let client;
  let draining = false;
  let offset = 0;
  let t0 = 0;
  let debt = 0;
  let last = 0;
  const server = net.createServer((s) => {
    s.on('error', () => undefined);
    if (client) return;
    client = s;
    t0 = last = performance.now();
  });
  const timer = setInterval(() => {
    if (!client) return;
    const now = performance.now();
    debt += (rateAt(now - t0) * (now - last)) / 1000;
    last = now;
    const n = Math.floor(debt);
    debt -= n;
    offered += n;
    if (draining || n === 0) return;
    const parts = [];
    for (let left = n; left > 0; ) {
      const take = Math.min(left, POOL_LINES - offset);
      parts.push(POOL.subarray(offset * 100, (offset + take) * 100));
      offset = (offset + take) % POOL_LINES;
      left -= take;
    }
    sent += n;
    if (!client.write(parts.length === 1 ? parts[0] : Buffer.concat(parts))) {
      draining = true;
      client.once('drain', () => (draining = false));
    }
  }, 10);
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: server.address().port,
        offered: () => offered,
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
const bundle = await bundleJob(path.join(here, 'backpressure-job.ts'));

async function runJob(rateAt, seconds, options) {
  const gen = await startGenerator(rateAt);
  const job = cluster.driver.submit({ name: 'bench', code: bundle.code, sourceMap: bundle.sourceMap, args: ['127.0.0.1', String(gen.port), String(INTERVAL), String(seconds * 1000), JSON.stringify(options)] });
  const batches = [];
  job.on('output', (l) => l.startsWith('BATCH ') && batches.push(JSON.parse(l.slice(6))));
  const [state, err] = await new Promise((r) => job.once('end', (s, e) => r([s, e])));
  const sent = gen.sent();
  const offered = gen.offered();
  await gen.close();
  if (state !== 'succeeded') throw new Error(`bench job failed: ${err?.message}`);
  return { batches, sent, offered };
}

async function stableRun(rate, backpressure) {
  const { batches, sent } = await runJob(() => rate, SECONDS, backpressure ? { backpressure: true } : {});
  const measured = batches.slice(WARMUP);
  const received = measured.reduce((a, b) => a + b.records, 0);
  const expected = (rate * measured.length * INTERVAL) / 1000;
  const maxDelay = Math.max(...measured.map((b) => b.total));
  const maxScheduling = Math.max(...measured.map((b) => b.scheduling));
  const stable = measured.length > 0 && maxDelay < INTERVAL && received >= 0.9 * expected;
  const takenPerS = (received * 1000) / Math.max(1, measured.length * INTERVAL);
  const rates = measured.map((b) => b.rate).filter((r) => r !== null);
  console.log(
    `  backpressure ${backpressure ? 'on ' : 'off'} rate ${rate.toLocaleString('en-US').padStart(9)} lines/s: ${stable ? 'stable  ' : 'UNSTABLE'} ` +
      `max total delay ${maxDelay} ms, max scheduling delay ${maxScheduling} ms, took ${Math.round(takenPerS).toLocaleString('en-US')} lines/s ` +
      `(${((100 * received) / Math.max(1, expected)).toFixed(0)}% of offered; ${sent.toLocaleString('en-US')} lines written)` +
      (rates.length ? `, last estimate ${Math.round(rates.at(-1)).toLocaleString('en-US')}/s` : ''),
  );
  return { stable, maxScheduling, takenPerS };
}

await cluster.start();
try {
  console.log(`backpressure, network word count, driver + 2 workers x 1 core, 100-byte lines, ${INTERVAL} ms batches, ${SECONDS} s per step, ${WARMUP} warm-up batches`);
  const RATES = [5_000, 10_000, 20_000, 40_000, 80_000, 160_000, 320_000, 640_000];
  const best = { off: 0, on: 0 };
  const bounded = [];
  const stepOnly = process.argv[3] === 'step';
  if (stepOnly) best.off = Number(process.argv[4]);
  for (const bp of stepOnly ? [] : [false, true]) {
    let past = 0;
    for (const rate of RATES) {
      const r = await stableRun(rate, bp);
      if (r.stable) best[bp ? 'on' : 'off'] = rate;
      else if (!bp || ++past > 2) break;
      if (bp && !r.stable) bounded.push({ rate, maxScheduling: r.maxScheduling, takenPerS: r.takenPerS });
    }
  }
  if (!stepOnly) console.log(`highest stable rate: backpressure off ${best.off.toLocaleString('en-US')} lines/s, on ${best.on.toLocaleString('en-US')} lines/s`);
  for (const b of bounded)
    console.log(`  past it with backpressure on: offered ${b.rate.toLocaleString('en-US')} lines/s, took ${Math.round(b.takenPerS).toLocaleString('en-US')} lines/s, scheduling delay at most ${b.maxScheduling} ms`);

  // The step: R0 for STEP_AT ms, then 5 x R0; backpressure on (no initial rate: it has
  // estimates by then), then the same without backpressure.
  const r0 = Math.max(2_500, best.off);
  const STEP_AT = 20_000;
  for (const bp of [true, false]) {
    const { batches } = await runJob((ms) => (ms < STEP_AT ? r0 : 5 * r0), 60, bp ? { backpressure: true } : {});
    // The generator starts when the receiver connects, about when the first batch begins.
    const stepTime = batches[0].time + Math.ceil(STEP_AT / INTERVAL) * INTERVAL;
    const after = batches.filter((b) => b.time >= stepTime);
    const before = batches.filter((b) => b.time < stepTime);
    const delays = after.map((b) => b.scheduling);
    const peak = delays.indexOf(Math.max(...delays));
    const back = delays.findIndex((d, i) => i > peak && d < INTERVAL);
    let settled = after.length;
    while (settled > 0 && delays[settled - 1] < INTERVAL) settled--;
    const under = delays.filter((d) => d < INTERVAL).length;
    console.log(
      `step ${r0.toLocaleString('en-US')} -> ${(5 * r0).toLocaleString('en-US')} lines/s, backpressure ${bp ? 'on ' : 'off'}: ` +
        `max scheduling delay ${delays[peak]} ms at batch ${peak + 1} after the step, ` +
        (back < 0 ? 'never back under the interval' : `back under the interval at batch ${back + 1}`) +
        `; under the interval from batch ${settled + 1} to the end (${after.length}); ${under} of ${after.length} batches under it; last delay ${delays.at(-1)} ms` +
        (bp ? `; rate before ${Math.round(before.at(-1)?.rate ?? 0).toLocaleString('en-US')}/s, after ${Math.round(after.at(-1)?.rate ?? 0).toLocaleString('en-US')}/s` : ''),
    );
    console.log(`  scheduling delays after the step (ms): ${delays.join(' ')}`);
    console.log(`  records per batch after the step: ${after.map((b) => b.records).join(' ')}`);
  }
} finally {
  await cluster.stop();
}
