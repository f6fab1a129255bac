// Where a job's first runs spend CPU that its warm runs do not (not a test): on-CPU samples of
// `perf record` over bench/scheduler.js, cut at its runs' ends, split by process (the driver,
// the workers), thread (main, other: task threads and V8's helpers) and what ran (TurboFan
// compiling, GC, the kernel, JavaScript by tier, ...), for a job's first 2,000 tasks (run 0, from the
// job's submission: its mark since perf16), its first 3 timed runs and its
// last 3; then the JavaScript functions whose samples fell most from the first runs to the
// last (each sample counted for the nearest JavaScript frame on its stack). perf samples a
// thread only while it runs, so unlike --cpu-prof's samples these are CPU, not a preempted
// thread's wait (bench/README, "The cost of one task", ninth and tenth rounds). `perf` is
// Debian's linux-perf (`apt-get install linux-perf`; as root, or with kernel.perf_event_paranoid
// lowered).
//
//   SLUICE_BENCH_MARKS=1 SLUICE_BENCH_WORKER_NODE_ARGS='--perf-basic-prof --interpreted-frames-native-stack' \
//     perf record -k CLOCK_MONOTONIC -F 999 -g -o /tmp/p.data -- \
//     node --perf-basic-prof --interpreted-frames-native-stack bench/scheduler.js 12 2 4 narrow 2>/tmp/marks.txt
//   perf script -i /tmp/p.data -F comm,pid,tid,time,ip,sym --no-inline > /tmp/p.txt
//   node bench/perf-runs.js /tmp/p.txt /tmp/marks.txt [functions=40] ['runs 1-3': the functions of runs 1-3, not run 0's]
// (--interpreted-frames-native-stack names interpreted functions, which otherwise show as
// Builtins_InterpreterEntryTrampoline; it costs a little.)
import fs from 'node:fs';
import readline from 'node:readline';

const [samplesFile, marksFile, topArg, firstArg] = process.argv.slice(2);
if (!samplesFile || !marksFile) {
  console.error('usage: node bench/perf-runs.js <perf script output> <marks (SLUICE_BENCH_MARKS)> [functions=40]');
  process.exit(2);
}
const marks = fs.readFileSync(marksFile, 'utf8').split('\n');
const ends = marks.filter((l) => l.startsWith('MARK run end ')).map((l) => Number(BigInt(l.split(' ')[3]) / 1000n) / 1e6);
const submit = marks.filter((l) => l.startsWith('MARK job submit ')).map((l) => Number(BigInt(l.split(' ')[3]) / 1000n) / 1e6)[0];
const driverPid = Number(marks.find((l) => l.startsWith('MARK driver pid '))?.split(' ')[3]);
if (ends.length < 7 || !(driverPid > 0)) {
  console.error(`${marksFile}: need the driver's pid and 7 run ends or more (a warm-up and 6 timed runs); found ${ends.length}`);
  process.exit(2);
}
const n = ends.length;
// Run 0 (the warm-up) ends at ends[0]; timed runs 1-3 end at ends[1..3]; the last 3 end at ends[n-3..n-1].
// With the job's submission marked (bench/scheduler.js since perf16), also its first 2,000 tasks (run 0).
const windows = [
  ...(submit === undefined ? [] : [{ name: 'run 0', from: submit, to: ends[0] }]),
  { name: 'runs 1-3', from: ends[0], to: ends[3] },
  { name: `runs ${n - 3}-${n - 1}`, from: ends[n - 4], to: ends[n - 1] },
];

function category(frames) {
  const all = frames.join(' ');
  if (/compiler::|OptimizedCompilationJob|TurbofanCompilationJob/.test(all)) return 'TurboFan compiling';
  if (/Heap::|Scavenger|MarkCompact|ConcurrentMarking|ArrayBufferSweeper/.test(all)) return 'GC';
  if (/BaselineBatchCompiler|baseline::/.test(all)) return 'Sparkplug compiling';
  if (/Compiler::Compile|Parser::|BytecodeGenerator/.test(all)) return 'lazy compile, parse';
  const leaf = frames[0] ?? '?';
  if (leaf.startsWith('[k]')) return 'kernel';
  if (leaf.startsWith('JS:*')) return 'JS optimized (TurboFan)';
  if (leaf.startsWith('JS:^')) return 'JS baseline (Sparkplug)';
  if (leaf.startsWith('JS:~') || /InterpreterEntryTrampoline|BytecodeHandler|Handler$/.test(leaf)) return 'JS interpreted (Ignition)';
  if (leaf.startsWith('Builtins_')) return 'V8 builtins (ICs, calls)';
  return 'native (Node, libc, V8 runtime)';
}

const short = (s) => s.replace(/file:\/\//, '').replace(/\/[^ ]*\/node_modules\/\.pnpm\/[^/]+\/node_modules\//, '').replace(/ \/[^ ]*\/(packages|node_modules)\//, ' $1/').slice(0, 110);
const byWindow = windows.map(() => ({ cats: new Map(), fns: new Map(), total: 0 }));
const add = (m, k) => m.set(k, (m.get(k) ?? 0) + 1);

let head;
let frames = [];
function flush() {
  if (head === undefined) return;
  const w = windows.findIndex((x) => head.time > x.from && head.time <= x.to);
  if (w < 0) return;
  const who = `${head.pid === driverPid ? 'driver' : 'worker'} ${head.pid === head.tid ? 'main' : 'other'}`;
  const cat = category(frames);
  const b = byWindow[w];
  b.total++;
  add(b.cats, `${who.padEnd(13)} ${cat}`);
  const js = frames.find((f) => f.startsWith('JS:'));
  add(b.fns, `${who.padEnd(13)} ${cat === 'TurboFan compiling' || cat === 'GC' ? `[${cat}]` : js ? short(js) : `[${cat}] ${short(frames[0] ?? '?')}`}`);
}
const rl = readline.createInterface({ input: fs.createReadStream(samplesFile) });
for await (const line of rl) {
  if (line.trim() === '') {
    flush();
    head = undefined;
    frames = [];
  } else if (!/^\s/.test(line)) {
    const m = /^\S+\s+(\d+)\/(\d+)\s+([\d.]+):/.exec(line);
    head = m ? { pid: Number(m[1]), tid: Number(m[2]), time: Number(m[3]) } : undefined;
    frames = [];
  } else {
    const t = line.trim();
    const sp = t.indexOf(' ');
    const addr = sp < 0 ? t : t.slice(0, sp);
    const sym = sp < 0 ? '?' : t.slice(sp + 1);
    frames.push(addr.startsWith('ffffffff') ? `[k]${sym}` : sym);
  }
}
flush();

// The first window (run 0 when marked, else runs 1-3; `first`: the window named so, e.g. 'runs 1-3') against the last (the warm runs).
const firstAt = firstArg === undefined ? 0 : windows.findIndex((w) => w.name === firstArg);
if (firstAt < 0) {
  console.error(`no window ${firstArg}: ${windows.map((w) => w.name).join(', ')}`);
  process.exit(2);
}
const [a, b] = [byWindow[firstAt], byWindow[byWindow.length - 1]];
const [wa, wb] = [windows[firstAt], windows[windows.length - 1]];
console.log(`samples (perf's rate, e.g. 999 Hz: ~1 ms of CPU each): ${windows.map((w, i) => `${w.name} ${byWindow[i].total}`).join(', ')}`);
console.log(`\n${'where'.padEnd(60)} ${windows.map((w) => w.name.padStart(10)).join(' ')}`);
const keys = (...ms) => [...new Set(ms.flatMap((m) => [...m.keys()]))];
const sum = (k) => byWindow.reduce((t, x) => t + (x.cats.get(k) ?? 0), 0);
for (const k of keys(...byWindow.map((x) => x.cats)).sort((p, q) => sum(q) - sum(p))) {
  console.log(`${k.padEnd(60)} ${byWindow.map((x) => String(x.cats.get(k) ?? 0).padStart(10)).join(' ')}`);
}
console.log(`\nfunctions whose samples fell most (${wa.name} / ${wb.name}):`);
const top = Number(topArg ?? 40);
for (const k of keys(a.fns, b.fns).sort((p, q) => (a.fns.get(q) ?? 0) - (b.fns.get(q) ?? 0) - ((a.fns.get(p) ?? 0) - (b.fns.get(p) ?? 0))).slice(0, top)) {
  console.log(`${String(a.fns.get(k) ?? 0).padStart(6)} ${String(b.fns.get(k) ?? 0).padStart(6)}  ${k}`);
}
