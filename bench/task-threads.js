// Task threads benchmark (not a test): one worker's main thread <-> task thread hop for
// tiny tasks, in one process, without gRPC or a driver: each checkout's JobSandbox and
// task threads (4 threads, the job bundle of bench/scheduler-job.ts) run TASKS one-record
// count tasks of one stage (the stage's payload and each task's part encoded as the
// driver encodes them), at most INFLIGHT at once (as a worker of 4 cores with the
// driver's queued tasks holds 12; TASK_THREADS_INFLIGHT sets it). Prints, per run, the
// process's CPU per task (user + system), split on Linux into the main thread, the task
// threads and the rest (V8's helpers: concurrent compilation and GC), and the `run` and
// `done` messages of the hop a task; medians per checkout; checkouts alternated A B A B.
// Under valgrind the threads run one at a time, so the messages batch less than they do
// on a machine: compare instruction counts of one build only with that build.
//
//   node bench/task-threads.js [rounds=5] [tasks=4000] <checkout> <checkout> ...
// For a load-independent count, one run of one checkout under valgrind:
//   valgrind --tool=callgrind --callgrind-out-file=/dev/null node bench/task-threads.js --child <checkout> <tasks>
// (subtract a run of 0 tasks: "I refs").
// The result's hop alone: a thread posts N results as task-thread.ts does (a 'done' message,
// the value encoded by each checkout's encodeSmall, or encode before it existed), the main
// thread decodes them; CPU per result (both threads), median of 7 alternated rounds:
//   node bench/task-threads.js results <checkout> <checkout> ...
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { median } from './bench-support.js';

const THREADS = 4;
// A worker of 4 cores holds 12 at most: 4 running and 2 a core queued (the driver's QUEUED_PER_CORE).
const INFLIGHT = Number(process.env.TASK_THREADS_INFLIGHT ?? 12);
const WARM = 400;

if (process.argv[2] === 'results') {
  const N = 20000;
  const cs = process.argv.slice(3);
  const threadSource = (core) => `
const { parentPort } = require('node:worker_threads');
import(${JSON.stringify(pathToFileURL(core).href)}).then((c) => parentPort.on('message', async (n) => {
  const enc = c.encodeSmall ?? c.encode;
  for (let i = 0; i < n; i++) {
    parentPort.postMessage({ type: 'done', ended: [{ taskId: 'j.s1r0.p' + i + '.a0', outcome: { kind: 'result', value: enc({ value: 1, accumulators: [] }), shuffleReadBytes: 0 } }] });
    if (i % 50 === 49) await new Promise((r) => setImmediate(r));
  }
}));`;
  const runs = new Map(cs.map((c) => [c, []]));
  const threads = new Map();
  for (const c of cs) {
    const core = path.join(path.resolve(c), 'packages/core/dist/src/internal.js');
    threads.set(c, { w: new Worker(threadSource(core), { eval: true }), core: await import(pathToFileURL(core).href) });
  }
  await new Promise((r) => setTimeout(r, 1000));
  for (let r = 0; r < 7; r++) {
    for (const c of cs) {
      const { w, core } = threads.get(c);
      const dec = core.decodeSmall ?? core.decode;
      const c0 = process.cpuUsage();
      let got = 0;
      let sum = 0;
      await new Promise((resolve) => {
        const on = (m) => {
          sum += dec(m.ended[0].outcome.value).value;
          if (++got === N) {
            w.off('message', on);
            resolve();
          }
        };
        w.on('message', on);
        w.postMessage(N);
      });
      const cpu = process.cpuUsage(c0);
      if (sum !== N) throw new Error(`${c}: results summed to ${sum}, expected ${N}`);
      runs.get(c).push((cpu.user + cpu.system) / N);
    }
  }
  for (const [c, xs] of runs) console.log(`${c}: ${[...xs].sort((a, b) => a - b)[3].toFixed(1)} us CPU per result (runs ${xs.map((x) => x.toFixed(1)).join(' ')}), load ${os.loadavg()[0].toFixed(1)}`);
  for (const { w } of threads.values()) await w.terminate();
  process.exit(0);
}

if (process.argv[2] === '--child') {
  const checkout = path.resolve(process.argv[3]);
  const TASKS = Number(process.argv[4] ?? 4000);
  const imp = (p) => import(pathToFileURL(path.join(checkout, p)).href);
  const core = await imp('packages/core/dist/src/internal.js');
  const { JobSandbox } = await imp('packages/worker/dist/src/executor/job-sandbox.js');
  const { SpareTaskThreads } = await imp('packages/worker/dist/src/executor/spare-task-threads.js');
  const { bundleJob, createRootLogger } = await imp('packages/cli/dist/src/index.js');
  const log = createRootLogger('warn', { pretty: false });
  const bundle = await bundleJob(path.join(checkout, 'bench/scheduler-job.ts'));
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'task-threads-'));
  const bundlePath = core.materializeBundle(root, 'b', bundle.code, bundle.sourceMap ?? '');
  const listThreads = () => (fs.existsSync('/proc/self/task') ? fs.readdirSync('/proc/self/task') : []);
  // Threads before the task threads start: the main thread and its helpers (all are named "node").
  const before = new Set(listThreads());
  const spares = new SpareTaskThreads(THREADS, { shuffleSpillRecords: 1_000_000 }, log, false);
  spares.start();
  const host = { onCachePut() {}, cacheGet: () => undefined, broadcasts: async () => ({}), blockGet: async () => ({ misses: [] }), fetch: async () => { throw new Error('no shuffle'); } };
  // take(jobId, bundleSha256, bundlePath) since task threads serve later jobs of their bundle (6cb2de8); take(jobId, bundlePath) before.
  // Messages of the hop, counted: 'run' (main -> thread) and 'done' (thread -> main).
  const messages = { run: 0, done: 0 };
  const take = () => {
    const thread = spares.take.length >= 3 ? spares.take('j', 'b', bundlePath) : spares.take('j', bundlePath);
    const post = thread.postMessage.bind(thread);
    thread.postMessage = (m, transfer) => {
      if (m?.type === 'run') messages.run++;
      return post(m, transfer);
    };
    thread.on('message', (m) => m?.type === 'done' && messages.done++);
    return thread;
  };
  // JobSandbox(jobId, bundleSha256, newThread, ...) since task threads serve later jobs of their bundle; (jobId, newThread, ...) before.
  const sandbox = JobSandbox.length >= 6 ? new JobSandbox('j', 'b', take, THREADS, host, log) : new JobSandbox('j', take, THREADS, host, log);
  // The stage as the driver ships it: a parallelize node without its data, counted; each task's slice in its part.
  const plan = { root: 0, nodes: { 0: { id: 0, numPartitions: TASKS, op: { kind: 'parallelize', slices: [] }, parents: [], shuffleParents: [], storage: 'NONE' } } };
  const stagePayload = core.encode({ kind: 'result', plan, action: { kind: 'count' }, mapOutputs: {} });
  const encodePart = core.encodeSmall ?? core.encode;
  // Each task's slice as that checkout's driver puts it in the task's part.
  const { taskSlicer } = await imp('packages/driver/dist/src/scheduler/stage-plan.js');
  const slicer = taskSlicer({ root: 0, nodes: { 0: { ...plan.nodes[0], op: { kind: 'parallelize', slices: Array.from({ length: TASKS + WARM }, (_, p) => [p]) } } } });
  const parts = Array.from({ length: TASKS + WARM }, (_, p) => encodePart({ slices: slicer(p) }));
  let next = 0;
  let counted = 0;
  const runAll = (n, key) =>
    new Promise((resolve, reject) => {
      let done = 0;
      const start = () => {
        const p = next++;
        sandbox.run(`t${p}`, p, key, stagePayload, parts[p]).then((o) => {
          if (o === 'killed' || o.kind !== 'result') return reject(new Error(`task ${p}: ${JSON.stringify(o)}`));
          counted += (core.decodeSmall ?? core.decode)(o.value).value;
          if (++done === n) resolve();
          else if (next < base + n) start();
        }, reject);
      };
      const base = next;
      for (let i = 0; i < Math.min(INFLIGHT, n); i++) start();
    });
  // Warm-up: the threads bound and loaded, the stage decoded in each, the code optimized.
  await runAll(WARM, 'warm');
  counted = 0;
  messages.run = messages.done = 0;
  // Per thread (Linux): this process's threads' CPU over the run, by role (main, task threads, V8's and libuv's helpers).
  const threadCpu = () => {
    const out = new Map();
    try {
      for (const t of fs.readdirSync('/proc/self/task')) {
        const st = fs.readFileSync(`/proc/self/task/${t}/stat`, 'utf8');
        const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
        out.set(t, (Number(f[11]) + Number(f[12])) * 10);
      }
    } catch {
      // Not Linux.
    }
    return out;
  };
  // The threads started since: the task threads (and any helper started meanwhile, counted with them).
  const taskThreadIds = new Set(listThreads().filter((t) => !before.has(t)));
  const th0 = threadCpu();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  if (TASKS > 0) await runAll(TASKS, 'stage');
  const cpu = process.cpuUsage(c0);
  const ms = performance.now() - t0;
  const th1 = threadCpu();
  const byRole = { main: 0, taskThreads: 0, helpers: 0 };
  for (const [t, v] of th1) {
    const d = v - (th0.get(t) ?? 0);
    if (t === String(process.pid)) byRole.main += d;
    else if (taskThreadIds.has(t)) byRole.taskThreads += d;
    else byRole.helpers += d;
  }
  if (counted !== TASKS) throw new Error(`counted ${counted}, expected ${TASKS}`);
  sandbox.close();
  spares.close();
  fs.rmSync(root, { recursive: true, force: true });
  const per = (x) => x / Math.max(1, TASKS);
  const runMessages = per(messages.run);
  const doneMessages = per(messages.done);
  console.log(JSON.stringify({ cpuMsPerTask: (cpu.user + cpu.system) / 1000 / Math.max(1, TASKS), tasksPerS: (TASKS / ms) * 1000, mainMs: per(byRole.main), taskThreadsMs: per(byRole.taskThreads), helpersMs: per(byRole.helpers), runMessages, doneMessages }));
  process.exit(0);
}

const ROUNDS = Number(process.argv[2] ?? 5);
const TASKS = Number(process.argv[3] ?? 4000);
const checkouts = process.argv.slice(4);
const rows = new Map(checkouts.map((c) => [c, []]));
console.log(`task threads: ${TASKS} one-record count tasks, ${THREADS} threads, ${INFLIGHT} in flight; CPU of the process per task`);
for (let r = 0; r < ROUNDS; r++) {
  for (const c of checkouts) {
    const load = os.loadavg()[0];
    const res = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', c, String(TASKS)], { encoding: 'utf8' });
    const line = res.stdout.trim().split('\n').pop() ?? '';
    if (res.status !== 0 || !line.startsWith('{')) throw new Error(`${c}: failed (exit ${res.status}):\n${res.stdout}${res.stderr}`);
    const x = JSON.parse(line);
    rows.get(c).push(x);
    console.log(`${c.padEnd(28)} load ${load.toFixed(1).padStart(5)}  ${x.cpuMsPerTask.toFixed(3)} ms CPU/task (main ${x.mainMs.toFixed(3)}, task threads ${x.taskThreadsMs.toFixed(3)}, helpers ${x.helpersMs.toFixed(3)})  ${Math.round(x.tasksPerS)} tasks/s  run ${x.runMessages.toFixed(2)} done ${x.doneMessages.toFixed(2)} messages a task`);
  }
}
for (const [c, xs] of rows) console.log(`median ${c}: ${median(xs.map((x) => x.cpuMsPerTask)).toFixed(3)} ms CPU/task (main ${median(xs.map((x) => x.mainMs)).toFixed(3)}, task threads ${median(xs.map((x) => x.taskThreadsMs)).toFixed(3)}, helpers ${median(xs.map((x) => x.helpersMs)).toFixed(3)}), ${Math.round(median(xs.map((x) => x.tasksPerS)))} tasks/s, run ${median(xs.map((x) => x.runMessages)).toFixed(2)} done ${median(xs.map((x) => x.doneMessages)).toFixed(2)} messages a task`);
