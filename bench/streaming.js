// Streaming benchmark (not a test): the network word count on driver + 2 workers (1 core
// each), fed over loopback by a generator of 100-byte lines (its own process, so the
// driver's CPU is the driver's alone).
//  1. At a 1 s batch interval, rates rise until a run is unstable; a run is stable when,
//     after 3 warm-up batches, the 99th percentile of the batches' total delay stays under
//     the interval and the batches take in at least 90% of the records sent. Prints the
//     highest stable rate.
//  2. At 10,000 records/s, batch intervals shrink until unstable; prints the smallest stable one,
//     and issue 13's figure: 50 ms batches stable or not, and their p99 total delay (run even
//     when a longer interval was unstable).
// Each run prints its total delay (p50, p99, max; and the p99 of batches #10 on, the steady
// state without the start), the batches' processing time, the first
// batch's processing time and the slowest measured batches by number (a backlog the start
// left decays over the first numbers; a hiccup in the steady state does not), and the CPU
// time (user + system) of the driver process and of the two worker processes per 1,000 lines
// and per batch, with the load average. The baseline of the same run is the generator alone:
// the rate it can write on loopback.
//
//   node bench/streaming.js [secondsPerStep=30]
//   node bench/streaming.js [secondsPerStep] step <rate> <intervalMs>
//        one run (to profile it: node --cpu-prof --cpu-prof-dir=DIR bench/streaming.js ...: the
//        driver process, its threads and the worker processes write a profile each)
//   node bench/streaming.js [secondsPerStep] compare <rate> <intervalMs> <rounds> <checkout> <checkout> ...
//        the same run on built checkouts in turn (A B A B ...), each on its own fresh cluster;
//        prints each run and each checkout's medians
// Environment: BENCH_CHECKPOINT=local checkpoints the job's metadata to a fresh directory,
// BENCH_CHECKPOINT=slow:<ms> to one whose every metadata write first waits <ms> (a loaded disk,
// object storage); each run then also prints the scheduling delay (p50, p99) and the batches
// generated against those due (a baseline checkout needs this commit's bench/streaming-job.ts
// and packages/cli/test/fixtures/slow-checkpoint-store.ts copied in). BENCH_BATCHES=1 prints every batch's figures and when it completed (ms after the
// job's submit); BENCH_WORKER_LOG=debug sets the cluster's log level (e.g. to see when each
// worker starts and binds task threads).
import { fork } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { makeLines } from './lines.js';
import { median } from './bench-support.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const self = fileURLToPath(import.meta.url);

const POOL_LINES = 20_000;

/** In the generator process: a TCP server writing `rate` lines/s to its client in 10 ms ticks. */
function runGenerator(rate) {
  const pool = makeLines(POOL_LINES);
  let sent = 0;
  let client;
  let offsetLine = 0;
  const server = net.createServer((s) => {
    client = s;
    s.on('error', () => undefined);
  });
  let debt = 0;
  let last = performance.now();
  setInterval(() => {
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
      client.write(pool.subarray(offsetLine * 100, (offsetLine + take) * 100));
      offsetLine = (offsetLine + take) % POOL_LINES;
      sent += take;
      n -= take;
    }
  }, 10);
  process.on('message', (m) => {
    if (m === 'stop') {
      client?.destroy();
      server.close();
      process.send({ sent }, () => process.exit(0));
    }
  });
  process.on('disconnect', () => process.exit(0));
  server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
}

/** A generator process; resolves once it listens. */
function startGenerator(rate) {
  const child = fork(self, ['generator', String(rate)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('message', (m) =>
      resolve({
        port: m.port,
        /** Stops it; resolves with the lines it sent. */
        stop: () =>
          new Promise((r) => {
            child.once('message', (s) => r(s.sent));
            child.send('stop');
          }),
      }),
    );
  });
}

/** The generator alone: lines/s it writes to a loopback client that discards them. */
async function generatorCeiling() {
  const gen = await startGenerator(5_000_000);
  const sock = net.connect(gen.port, '127.0.0.1');
  let bytes = 0;
  sock.on('data', (d) => (bytes += d.length));
  await new Promise((r) => setTimeout(r, 3000));
  sock.destroy();
  await gen.stop();
  return bytes / 100 / 3;
}

/** user + system CPU ms of a process by pid (all its threads), from /proc. */
function processCpuMs(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime, stime in clock ticks (100/s)
  } catch {
    return 0;
  }
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}


/** A local cluster of the checkout at `root` (its built packages and its bench job). */
async function openCluster(root) {
  const cli = await import(pathToFileURL(path.join(root, 'packages/cli/dist/src/index.js')).href);
  const log = cli.createRootLogger('warn', { pretty: false });
  // `node --cpu-prof --cpu-prof-dir=DIR bench/streaming.js ...` profiles the worker processes too.
  const workerExecArgv = process.execArgv.filter((a) => a.startsWith('--cpu-prof') || a.startsWith('--trace-gc'));
  const cluster = new cli.LocalCluster({ workers: 2, coresPerWorker: 1, logLevel: process.env.BENCH_WORKER_LOG ?? 'warn', log, workerExecArgv });
  const bundle = await cli.bundleJob(path.join(root, 'bench/streaming-job.ts'));
  await cluster.start();
  return { cluster, bundle };
}

/** One run: `rate` lines/s at `intervalMs` batches for `seconds`; returns its figures. */
async function run({ cluster, bundle }, rate, intervalMs, seconds, label = '') {
  const gen = await startGenerator(rate);
  const pids = cluster.workerProcesses.map((c) => c.pid);
  const load0 = os.loadavg()[0];
  const job = cluster.driver.submit({ name: 'bench', code: bundle.code, sourceMap: bundle.sourceMap, args: ['127.0.0.1', String(gen.port), String(intervalMs), String(seconds * 1000), process.env.BENCH_CHECKPOINT ?? ''] });
  const batches = [];
  let generation;
  const t0 = Date.now();
  // CPU is taken over the measured batches only: from the end of the warm-up batches to the end.
  let cpu0;
  const cpuNow = () => {
    const u = process.cpuUsage();
    const each = pids.map((p) => processCpuMs(p));
    return { driver: (u.user + u.system) / 1000, workers: each.reduce((a, b) => a + b, 0), each };
  };
  job.on('output', (l) => {
    if (l.startsWith('GENERATED ')) generation = JSON.parse(l.slice(10));
    if (!l.startsWith('BATCH ')) return;
    batches.push(JSON.parse(l.slice(6)));
    if (process.env.BENCH_BATCHES) console.log(`    #${batches.length - 1} ${l.slice(6)} at ${Date.now() - t0} ms`);
    if (batches.length === 3) cpu0 = cpuNow();
  });
  const [state, err] = await new Promise((r) => job.once('end', (s, e) => r([s, e])));
  const cpu1 = cpuNow();
  const sent = await gen.stop();
  const load = (load0 + os.loadavg()[0]) / 2;
  if (state !== 'succeeded') throw new Error(`bench job failed: ${err?.message}`);
  const measured = batches.slice(3);
  const received = measured.reduce((a, b) => a + b.records, 0);
  const expected = (rate * measured.length * intervalMs) / 1000;
  const totals = measured.map((b) => b.total).sort((a, b) => a - b);
  const p50 = percentile(totals, 50);
  const p99 = percentile(totals, 99);
  const maxDelay = totals.length ? totals[totals.length - 1] : NaN;
  // The steady state's p99: batches from #10 on (a backlog the start left is gone by then, or the run does not keep up).
  const p99Steady = percentile(batches.slice(10).map((b) => b.total).sort((a, b) => a - b), 99);
  const scheduling = measured.map((b) => b.scheduling).sort((a, b) => a - b);
  const schedP50 = percentile(scheduling, 50);
  const schedP99 = percentile(scheduling, 99);
  // The slowest measured batches, by their number from the job's first batch (0-based): a
  // backlog left by the start decays over the first numbers; a steady-state hiccup does not.
  const first = batches[0];
  const slowest = batches
    .map((b, i) => [i, b.total])
    .slice(3)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 4);
  const stable = measured.length > 0 && p99 < intervalMs && received >= 0.9 * expected;
  const meanProcessing = measured.reduce((a, b) => a + b.processing, 0) / Math.max(1, measured.length);
  const driverCpu = cpu0 ? cpu1.driver - cpu0.driver : NaN;
  const workerCpu = cpu0 ? cpu1.workers - cpu0.workers : NaN;
  // Each worker's own share, the busier first (the one running the receiver, unless it moved).
  const eachCpu = cpu0 ? cpu1.each.map((c, i) => c - cpu0.each[i]).sort((a, b) => b - a) : [];
  const perK = (ms) => (received > 0 ? (ms * 1000) / received : NaN);
  const perBatch = (ms) => ms / Math.max(1, measured.length);
  console.log(
    `  ${label}rate ${rate.toLocaleString('en-US').padStart(9)} lines/s, interval ${String(intervalMs).padStart(4)} ms: ` +
      `${stable ? 'stable  ' : 'UNSTABLE'} total delay p50 ${p50} p99 ${p99} max ${maxDelay} ms (p99 from batch #10 on ${p99Steady} ms), mean processing ${meanProcessing.toFixed(0)} ms, ` +
      `received ${((100 * received) / Math.max(1, expected)).toFixed(0)}% of sent (${sent.toLocaleString('en-US')} lines sent); ` +
      `CPU per 1,000 lines: driver ${perK(driverCpu).toFixed(2)} ms, workers ${perK(workerCpu).toFixed(2)} ms (${eachCpu.map((c) => perK(c).toFixed(2)).join(' + ')}); ` +
      `per batch: driver ${perBatch(driverCpu).toFixed(1)} ms, workers ${perBatch(workerCpu).toFixed(1)} ms; ` +
      `first batch processing ${first?.processing} ms; slowest batches (number: total delay) ${slowest.map(([i, t]) => `#${i}: ${t}`).join(', ')} ms; load ${load.toFixed(1)}` +
      (generation ? `; scheduling delay p50 ${schedP50} p99 ${schedP99} ms, batches generated ${generation.generated} of ${generation.due} due` : ''),
  );
  return { eachCpu, schedP50, schedP99, generated: generation?.generated ?? NaN, due: generation?.due ?? NaN, stable, p50, p99, p99Steady, maxDelay, meanProcessing, received, driverCpu, workerCpu, batches: measured.length, load, firstProcessing: first?.processing ?? NaN };
}

async function ladders(seconds) {
  const env = await openCluster(path.join(here, '..'));
  try {
    const ceiling = await generatorCeiling();
    console.log(`network word count, driver + 2 workers x 1 core, 100-byte lines, ${seconds} s per step`);
    console.log(`  baseline: the generator alone writes ${Math.round(ceiling).toLocaleString('en-US')} lines/s on loopback`);
    let best = 0;
    for (const rate of [10_000, 25_000, 50_000, 100_000, 200_000, 300_000, 400_000, 500_000, 600_000, 800_000]) {
      if (!(await run(env, rate, 1000, seconds)).stable) break;
      best = rate;
    }
    let smallest;
    let at50;
    for (const interval of [1000, 500, 250, 100, 50, 25]) {
      const r = await run(env, 10_000, interval, seconds);
      if (interval === 50) at50 = r;
      if (!r.stable) break;
      smallest = interval;
    }
    // Issue 13's target is at 50 ms: its p99 is reported even when a longer interval was unstable.
    at50 ??= await run(env, 10_000, 50, seconds);
    console.log(`highest stable rate at a 1 s batch interval: ${best.toLocaleString('en-US')} lines/s (${(best / 2).toLocaleString('en-US')} per core; ratio to the generator alone ${(best / ceiling).toFixed(2)}x)`);
    console.log(
      `smallest stable batch interval at 10,000 lines/s: ${smallest ?? 'none of 1000'} ms; at 50 ms batches (issue 13: stable with p99 total delay < 50 ms): ` +
        `${at50.stable ? 'stable' : 'UNSTABLE'}, p99 total delay ${at50.p99} ms`,
    );
  } finally {
    await env.cluster.stop();
  }
}

async function compare(seconds, rate, intervalMs, rounds, checkouts) {
  console.log(`network word count at ${rate.toLocaleString('en-US')} lines/s, ${intervalMs} ms batches, ${seconds} s a run, driver + 2 workers x 1 core; checkouts alternate, ${rounds} rounds`);
  const results = new Map(checkouts.map((c) => [c, []]));
  for (let round = 0; round < rounds; round++) {
    for (const c of checkouts) {
      const env = await openCluster(path.resolve(c));
      try {
        results.get(c).push(await run(env, rate, intervalMs, seconds, `${c}: `));
      } finally {
        await env.cluster.stop();
      }
    }
  }
  console.log('medians:');
  for (const [c, rs] of results) {
    const m = (f) => median(rs.map(f));
    console.log(
      `  ${c}: stable ${rs.filter((r) => r.stable).length}/${rs.length}, total delay p50 ${m((r) => r.p50)} p99 ${m((r) => r.p99)} max ${m((r) => r.maxDelay)} ms (p99 from batch #10 on ${m((r) => r.p99Steady)} ms), ` +
        `processing ${m((r) => r.meanProcessing).toFixed(0)} ms; CPU per 1,000 lines driver ${m((r) => (r.driverCpu * 1000) / r.received).toFixed(2)} ms, ` +
        `workers ${m((r) => (r.workerCpu * 1000) / r.received).toFixed(2)} ms (busier ${m((r) => ((r.eachCpu[0] ?? NaN) * 1000) / r.received).toFixed(2)}, other ${m((r) => ((r.eachCpu[1] ?? NaN) * 1000) / r.received).toFixed(2)}); per batch driver ${m((r) => r.driverCpu / r.batches).toFixed(1)} ms, ` +
        `workers ${m((r) => r.workerCpu / r.batches).toFixed(1)} ms; first batch processing ${m((r) => r.firstProcessing)} ms; load ${m((r) => r.load).toFixed(1)}` +
        (process.env.BENCH_CHECKPOINT ? `; scheduling delay p50 ${m((r) => r.schedP50)} p99 ${m((r) => r.schedP99)} ms, batches generated ${m((r) => r.generated)} of ${m((r) => r.due)} due` : ''),
    );
  }
}

const [a0, mode, ...rest] = process.argv.slice(2);
if (a0 === 'generator') {
  runGenerator(Number(mode));
} else {
  const seconds = Number(a0 ?? 30);
  // A run's first 3 batches are its warm-up: a run of fewer than 8 batches measures too few to say stable or not.
  const longestInterval = mode === 'step' || mode === 'compare' ? Number(rest[1]) : 1000;
  if (!(seconds * 1000 >= 8 * longestInterval)) {
    console.error(`bench/streaming.js: a ${a0} s run of ${longestInterval} ms batches has ${Math.floor((seconds * 1000) / longestInterval)} batches, 3 of them warm-up; give secondsPerStep of at least ${Math.ceil((8 * longestInterval) / 1000)}`);
    process.exit(2);
  }
  if (mode === 'step') {
    const env = await openCluster(path.join(here, '..'));
    try {
      await run(env, Number(rest[0]), Number(rest[1]), seconds);
    } finally {
      await env.cluster.stop();
    }
  } else if (mode === 'compare') {
    await compare(seconds, Number(rest[0]), Number(rest[1]), Number(rest[2]), rest.slice(3));
  } else {
    await ladders(seconds);
  }
}
