// Streaming benchmark (not a test): the messages a micro-batch costs, counted, so builds can
// be compared on a loaded machine where delays and CPU move with the load. Runs the network
// word count of bench/streaming.js (bench/streaming-job.ts: socketTextStream -> flatMap ->
// map -> reduceByKey -> foreachRDD count) on driver + 2 workers (1 core each) at `rate`
// lines/s and `intervalMs` batches for `seconds`, fed by a generator in this process, and
// prints per measured batch (after 3 warm-up batches):
//   - messages from the job's driver-program thread to the driver's main thread (requests,
//     progress, figures, block and shuffle removals), and from the main thread to it;
//   - RunTasks messages the driver wrote to the workers, and stage ends ("forget") in them;
//   - the workers' CPU (user + system, both processes) per batch.
// Each checkout is run in turn (A B A B ...), each on a fresh cluster.
//
//   node bench/streaming-messages.js [seconds=10] [rate=10000] [intervalMs=50] [rounds=2] <checkout> [<checkout> ...]
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { makeLines } from './lines.js';
import { median } from './bench-support.js';

const here = path.dirname(fileURLToPath(import.meta.url));

function processCpuMs(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
  } catch {
    return 0;
  }
}

/** A TCP server writing `rate` 100-byte lines/s to its client in 10 ms ticks. */
async function generator(rate) {
  const pool = makeLines(20_000);
  let client;
  let at = 0;
  let debt = 0;
  let last = performance.now();
  const server = net.createServer((s) => {
    client = s;
    s.on('error', () => undefined);
  });
  const timer = setInterval(() => {
    const now = performance.now();
    if (!client) return void (last = now);
    debt += (rate * (now - last)) / 1000;
    last = now;
    let n = Math.floor(debt);
    debt -= n;
    while (n > 0) {
      const take = Math.min(n, 20_000 - at);
      client.write(pool.subarray(at * 100, (at + take) * 100));
      at = (at + take) % 20_000;
      n -= take;
    }
  }, 10);
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { port: server.address().port, stop: () => (clearInterval(timer), client?.destroy(), server.close()) };
}

/** Wraps the checkout's driver classes (the same module instances its LocalCluster uses) to count messages. */
async function instrument(root) {
  const n = { toMain: 0, toJob: 0, taskWrites: 0, forgets: 0 };
  const { DriverJob } = await import(pathToFileURL(path.join(root, 'packages/driver/dist/src/job/driver-job.js')).href);
  const { TaskStream } = await import(pathToFileURL(path.join(root, 'packages/driver/dist/src/rpc/task-stream.js')).href);
  if (!DriverJob.prototype.__counted) {
    DriverJob.prototype.__counted = true;
    const onMessage = DriverJob.prototype.onMessage;
    let depth = 0;
    DriverJob.prototype.onMessage = function (m) {
      if (depth === 0) DriverJob.counts.toMain++;
      depth++;
      try {
        return onMessage.call(this, m);
      } finally {
        depth--;
      }
    };
    const post = DriverJob.prototype.post;
    DriverJob.prototype.post = function (m) {
      DriverJob.counts.toJob++;
      return post.call(this, m);
    };
    const ensureCall = TaskStream.prototype.ensureCall;
    TaskStream.prototype.ensureCall = function () {
      const call = ensureCall.call(this);
      if (!call.__counted) {
        call.__counted = true;
        const write = call.write.bind(call);
        call.write = (m, ...rest) => {
          DriverJob.counts.taskWrites++;
          DriverJob.counts.forgets += m.forget_stages?.length ?? 0;
          return write(m, ...rest);
        };
      }
      return call;
    };
  }
  DriverJob.counts = n;
  return n;
}

async function run(root, seconds, rate, intervalMs) {
  const counts = await instrument(root);
  const cli = await import(pathToFileURL(path.join(root, 'packages/cli/dist/src/index.js')).href);
  const log = cli.createRootLogger('warn', { pretty: false });
  const cluster = new cli.LocalCluster({ workers: 2, coresPerWorker: 1, logLevel: 'warn', log });
  const bundle = await cli.bundleJob(path.join(root, 'bench/streaming-job.ts'));
  await cluster.start();
  const gen = await generator(rate);
  try {
    const pids = cluster.workerProcesses.map((c) => c.pid);
    const load0 = os.loadavg()[0];
    const job = cluster.driver.submit({ name: 'bench', code: bundle.code, sourceMap: bundle.sourceMap, args: ['127.0.0.1', String(gen.port), String(intervalMs), String(seconds * 1000)] });
    let batches = 0;
    let at3;
    let atEnd;
    const snap = () => ({ ...counts, cpu: pids.reduce((a, p) => a + processCpuMs(p), 0) });
    job.on('output', (l) => {
      if (!l.startsWith('BATCH ')) return;
      batches++;
      if (batches === 3) at3 = snap();
      atEnd = snap();
    });
    const [state, err] = await new Promise((r) => job.once('end', (s, e) => r([s, e])));
    if (state !== 'succeeded') throw new Error(`bench job failed: ${err?.message}`);
    const m = batches - 3;
    const per = (k) => (atEnd[k] - at3[k]) / m;
    const r = { batches: m, toMain: per('toMain'), toJob: per('toJob'), taskWrites: per('taskWrites'), forgets: per('forgets'), workerCpu: per('cpu'), load: (load0 + os.loadavg()[0]) / 2 };
    console.log(
      `  ${root}: ${m} batches; per batch: job thread -> main ${r.toMain.toFixed(2)} messages, main -> job thread ${r.toJob.toFixed(2)}, ` +
        `RunTasks messages to workers ${r.taskWrites.toFixed(2)} (stage ends in them ${r.forgets.toFixed(2)}), workers' CPU ${r.workerCpu.toFixed(1)} ms; load ${r.load.toFixed(1)}`,
    );
    return r;
  } finally {
    gen.stop();
    await cluster.stop();
  }
}

const args = process.argv.slice(2);
const nums = [];
while (args.length > 0 && /^\d+$/.test(args[0])) nums.push(Number(args.shift()));
const [seconds = 10, rate = 10_000, intervalMs = 50, rounds = 2] = nums;
const checkouts = args.length > 0 ? args : [path.join(here, '..')];
console.log(`messages per micro-batch: network word count at ${rate.toLocaleString('en-US')} lines/s, ${intervalMs} ms batches, ${seconds} s a run, driver + 2 workers x 1 core; ${rounds} rounds`);
const results = new Map(checkouts.map((c) => [c, []]));
for (let i = 0; i < rounds; i++) for (const c of checkouts) results.get(c).push(await run(path.resolve(c), seconds, rate, intervalMs));
console.log('medians:');
for (const [c, rs] of results) {
  const m = (k) => median(rs.map((r) => r[k]));
  console.log(`  ${c}: job thread -> main ${m('toMain').toFixed(2)}, main -> job thread ${m('toJob').toFixed(2)}, RunTasks messages ${m('taskWrites').toFixed(2)} (stage ends ${m('forgets').toFixed(2)}), workers' CPU ${m('workerCpu').toFixed(1)} ms per batch; load ${m('load').toFixed(1)}`);
}
