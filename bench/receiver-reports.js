// Receiver-report benchmark (not a test): the CPU a receiver's block report costs the
// worker and the driver together, over real gRPC on loopback, one process per run. A
// DriverNode of the checkout (its real Driver service; its ReceiverTracker replaced by an
// answer that keeps the receiver and applies each report) and the checkout's own
// ReceiverReporter, reporting `reports` blocks one after the other as a receiver does (the
// next once the last is delivered). Builds with the unary Driver.ReportReceiver (a call per
// report) and with the Driver.ReceiverReports stream are both measured, each by its own path.
// Prints the process's CPU (user + system) per report, the wall time per report, and the
// load average; checkouts alternate, medians at the end. CPU time is what to compare on a
// loaded machine: wall time includes waiting for a core.
//
//   node bench/receiver-reports.js [reports=3000] [rounds=3] <checkout> [<checkout> ...]
import { fork } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { median } from './bench-support.js';

const self = fileURLToPath(import.meta.url);

/** In the child: one run against the checkout at `root`. */
async function runOne(root, reports) {
  const imp = (p) => import(pathToFileURL(path.join(root, p)).href);
  const { DriverNode } = await imp('packages/driver/dist/src/driver-node.js');
  const { ReceiverReporter } = await imp('packages/worker/dist/src/receiver/receiver-reporter.js');
  const core = await imp('packages/core/dist/src/internal.js');
  const cli = await imp('packages/cli/dist/src/index.js');
  const log = cli.createRootLogger('silent', { pretty: false });
  const secret = 'bench-secret-0123456789abcdef0123';
  const driver = new DriverNode({ security: { secret }, log, port: 0 });
  await driver.start();
  // Every report is taken: applied up to its last event (the tracker's bookkeeping is not what is measured).
  driver.receiverReport = (rep) => ({ keep: true, rateLimit: 0, appliedSeq: Number(rep.first_seq) + rep.events.length - 1 });
  const proto = core.loadProto();
  const client = new proto.sluice.v1.Driver(driver.address, core.channelCredentials({ secret }), core.CHANNEL_OPTIONS);
  const md = () => core.secretMetadata(secret);
  const streaming = typeof client.ReceiverReports === 'function';
  const transport = streaming
    ? (handlers) => {
        const call = client.ReceiverReports(md());
        call.on('data', (res) => handlers.answer({ keep: res.keep, rateLimit: res.rate_limit, appliedSeq: Number(res.applied_seq) }));
        call.on('error', (err) => handlers.closed(err));
        call.on('end', () => handlers.closed(new Error('ended')));
        return { write: (r) => void call.write(r), end: () => call.end(), cancel: () => call.cancel() };
      }
    : (report) =>
        new Promise((resolve, reject) =>
          client.ReportReceiver(report, md(), { deadline: Date.now() + 5000 }, (err, res) => (err ? reject(err) : resolve({ keep: res.keep, rateLimit: res.rate_limit }))),
        );
  const reporter = new ReceiverReporter({ job_id: 'bench', stream_id: 0, receiver_id: '0.1', worker_id: 'w1' }, transport, () => {
    throw new Error('the bench receiver was dropped');
  }, log);
  const block = (i) => ({ block: { block_id: `input_bench_0_w-${i}`, num_records: 250, locations: [{ worker_id: 'w1', address: '127.0.0.1:1' }, { worker_id: 'w2', address: '127.0.0.1:2' }] } });
  const one = (i) => new Promise((resolve, reject) => reporter.report(block(i), (err) => (err ? reject(err) : resolve())));
  for (let i = 0; i < 200; i++) await one(i); // warm-up
  const load0 = os.loadavg()[0];
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < reports; i++) await one(200 + i);
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  reporter.close();
  client.close();
  await driver.stop();
  return { path: streaming ? 'ReceiverReports stream' : 'unary ReportReceiver', cpuUs: (c.user + c.system) / reports, wallUs: (wall * 1000) / reports, load: (load0 + os.loadavg()[0]) / 2 };
}

function child(root, reports) {
  return new Promise((resolve, reject) => {
    const c = fork(self, ['child', root, String(reports)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    c.once('message', resolve);
    c.once('error', reject);
    c.once('exit', (code) => code !== 0 && reject(new Error(`run of ${root} exited with ${code}`)));
  });
}


const args = process.argv.slice(2);
if (args[0] === 'child') {
  const r = await runOne(args[1], Number(args[2]));
  process.send(r, () => process.exit(0));
} else {
  const nums = [];
  while (args.length > 0 && /^\d+$/.test(args[0])) nums.push(Number(args.shift()));
  const [reports = 3000, rounds = 3] = nums;
  const checkouts = args.length > 0 ? args.map((a) => path.resolve(a)) : [path.resolve(path.dirname(self), '..')];
  console.log(`receiver block reports over loopback gRPC, ${reports} a run one after the other, driver + reporter in one process; ${rounds} rounds, checkouts alternate`);
  const results = new Map(checkouts.map((c) => [c, []]));
  for (let i = 0; i < rounds; i++) {
    for (const c of checkouts) {
      const r = await child(c, reports);
      results.get(c).push(r);
      console.log(`  ${c} (${r.path}): CPU ${r.cpuUs.toFixed(0)} µs a report, wall ${r.wallUs.toFixed(0)} µs a report; load ${r.load.toFixed(1)}`);
    }
  }
  console.log('medians:');
  for (const [c, rs] of results) console.log(`  ${c} (${rs[0].path}): CPU ${median(rs.map((r) => r.cpuUs)).toFixed(0)} µs a report, wall ${median(rs.map((r) => r.wallUs)).toFixed(0)} µs a report; load ${median(rs.map((r) => r.load)).toFixed(1)}`);
}
