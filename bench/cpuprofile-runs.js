// A job's runs in V8 CPU profiles (not a test): the self time of each function in the profiles
// of one kind of thread (by default the processes' main threads), cut at bench/scheduler.js's
// run marks, in us a task: run 0 (from the job's submission), runs 1-3 and the last 3,
// the functions sorted by what their first runs take over their last (bench/README, perf38).
// --cpu-prof samples a thread's wall clock while it is not idle, so a thread preempted in a
// function counts there (the hop's postMessage above all): for CPU, bench/perf-runs.js.
//
//   SLUICE_BENCH_READY=1 SLUICE_BENCH_MARKS=1 SLUICE_BENCH_WORKER_NODE_ARGS='--cpu-prof --cpu-prof-dir=D' \
//     node bench/scheduler.js 12 2 4 narrow [worker options] 2> D/marks.txt
//   node bench/cpuprofile-runs.js D D/marks.txt [thread=.0.] [functions=30] [tasks a run=2000]
// `thread`: a part of the profiles' file names (Node's CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile;
// `.0.` the main threads, `.1.` a process's first worker thread).
import fs from 'node:fs';
import path from 'node:path';

const [dir, marksFile, thread = '.0.', topArg = '30', tasksArg = '2000'] = process.argv.slice(2);
if (!dir || !marksFile) {
  console.error('usage: node bench/cpuprofile-runs.js <profiles directory> <marks (SLUICE_BENCH_MARKS)> [thread=.0.] [functions=30] [tasks a run=2000]');
  process.exit(2);
}
const tasksARun = Number(tasksArg);
// Marks in ns of the monotonic clock, V8's profile times in us of the same clock.
const marks = fs.readFileSync(marksFile, 'utf8').split('\n');
const at = (prefix) => marks.filter((l) => l.startsWith(prefix)).map((l) => Number(BigInt(l.split(' ').pop()) / 1000n));
const [submit] = at('MARK job submit ');
const ends = at('MARK run end ');
if (submit === undefined || ends.length < 7) {
  console.error(`${marksFile}: need the job's submission and 7 run ends or more (a warm-up and 6 timed runs); found ${ends.length}`);
  process.exit(2);
}
const n = ends.length;
const windows = [
  { name: 'run 0', from: submit, to: ends[0], tasks: tasksARun },
  { name: 'runs 1-3', from: ends[0], to: ends[3], tasks: 3 * tasksARun },
  { name: 'last 3', from: ends[n - 4], to: ends[n - 1], tasks: 3 * tasksARun },
];
const byFunction = new Map();
const totals = windows.map(() => 0);
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.cpuprofile') && f.includes(thread));
for (const f of files) {
  const p = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
  const nodes = new Map(p.nodes.map((node) => [node.id, node.callFrame]));
  let t = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i];
    // A sample stands for the time to the next one.
    const dt = p.timeDeltas[i + 1] ?? 0;
    const cf = nodes.get(p.samples[i]);
    if (cf.functionName === '(idle)') continue;
    const w = windows.findIndex((win) => t >= win.from && t < win.to);
    if (w < 0) continue;
    const key = `${cf.functionName || '(anonymous)'} ${cf.url ? `${path.basename(cf.url)}:${cf.lineNumber + 1}` : ''}`.trim();
    let row = byFunction.get(key);
    if (!row) byFunction.set(key, (row = windows.map(() => 0)));
    row[w] += dt;
    totals[w] += dt;
  }
}
const perTask = (us, w) => us / windows[w].tasks;
console.log(`${files.length} profiles matching '${thread}' in ${dir}; us a task (the profiles summed), not idle: ${windows.map((w, i) => `${w.name} ${perTask(totals[i], i).toFixed(1)}`).join(', ')}`);
console.log('first-last   runs 1-3    last 3     run 0   function');
const rows = [...byFunction].map(([key, r]) => ({ key, first: perTask(r[1], 1), last: perTask(r[2], 2), run0: perTask(r[0], 0) }));
rows.sort((a, b) => b.first - b.last - (a.first - a.last));
for (const r of rows.slice(0, Number(topArg))) {
  console.log(`${(r.first - r.last).toFixed(2).padStart(10)} ${r.first.toFixed(2).padStart(9)} ${r.last.toFixed(2).padStart(9)} ${r.run0.toFixed(2).padStart(9)}   ${r.key}`);
}
