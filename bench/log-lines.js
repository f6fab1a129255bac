// What a worker's debug line a task costs (not a test): the writer, as the worker's executor logs
// 'task started' (a pino child logger a task, a synchronous write to stderr, a pipe), and the
// reader, as bench/first-tasks.js read the workers' stderr in the driver's process until perf21
// (readline and JSON.parse of every line; or `skip`: a line dropped on a string test before
// its parse). CPU a line of each side, from process.cpuUsage() over N lines; each variant in a
// writer process of its own, alternated `rounds` times; medians.
//
//   node bench/log-lines.js [rounds=3] [lines=20000] [checkout=.]
import { spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
if (process.argv[2] === 'writer') {
  const [checkout, level, n] = [process.argv[3], process.argv[4], Number(process.argv[5])];
  const { createRootLogger } = await import(pathToFileURL(path.join(checkout, 'packages/cli/dist/src/index.js')).href);
  const log = createRootLogger(level, { pretty: false }).child({ component: 'executor', workerId: 'worker-127.0.0.1-41234-ab12cd' });
  const u0 = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    // As Executor.launchHere: the task's child logger made only when a line is written.
    const taskLog = () => log.child({ jobId: 'job-0001', taskId: `job-0001/0/${i}/0`, stageId: 0, partition: i });
    if (log.isLevelEnabled('debug')) taskLog().debug('task started');
    // Let the reader run, as a worker's event loop turns between its tasks.
    if (i % 50 === 0) await new Promise((r) => setImmediate(r));
  }
  const u = process.cpuUsage(u0);
  process.send({ us: (u.user + u.system) / n });
  process.exit(0);
}

const rounds = Number(process.argv[2] ?? 3);
const n = Number(process.argv[3] ?? 20000);
const checkout = path.resolve(process.argv[4] ?? path.dirname(here));
const variants = [
  ['debug', 'parse'],
  ['debug', 'skip'],
  ['info', 'parse'],
];
const rows = new Map(variants.map((v) => [v.join(' '), []]));
for (let r = 0; r < rounds; r++) {
  for (const [level, mode] of variants) {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), 'writer', checkout, level, String(n)], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    const u0 = process.cpuUsage();
    let parsed = 0;
    readline.createInterface({ input: child.stderr }).on('line', (l) => {
      if (mode === 'skip' && l.includes('"msg":"task started"')) return;
      try {
        JSON.parse(l);
        parsed++;
      } catch {
        // Not a log line.
      }
    });
    const writer = await new Promise((resolve) => child.once('message', resolve));
    await new Promise((resolve) => child.once('exit', resolve));
    const u = process.cpuUsage(u0);
    rows.get(`${level} ${mode}`).push({ writer: writer.us, reader: (u.user + u.system) / n, parsed });
  }
}
const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`${n} 'task started' lines a run, ${rounds} runs each; us of CPU a line (medians)`);
for (const [k, rs] of rows) console.log(`  workers at ${k.replace(' ', ', reader: ').padEnd(22)} writer ${med(rs.map((x) => x.writer)).toFixed(1).padStart(5)}   reader ${med(rs.map((x) => x.reader)).toFixed(1).padStart(5)}   (${rs[0].parsed} lines parsed)`);
