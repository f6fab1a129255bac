// Task batches read by a worker (not a test): what a worker's main thread spends reading the
// driver's TaskBatch messages of tiny tasks (the services' deserializer of RunTasks' request),
// per task launched, in a fresh process: the first thousands are what a job's first runs pay
// (protobufjs's functions not yet optimized). Checkouts alternate (A B A B ...), each in
// processes of its own with its own build: before perf19 the deserializer was protobufjs's
// decode then toObject (a copy of every stage and launch with its defaults); since, the decoded
// message as it is (core's proto.ts, readTaskBatch). Messages as the driver writes them
// (encodeDirect): a run's first message to a worker holds its stage (a 700-byte payload) and 4
// launches, then PER launches a message, each with a 24-byte task part and ids as the driver's.
// Each launch's fields are read as the worker's task-stream handler reads them. CPU per task
// over tasks SKIP..SKIP+TASKS of the process (user + system), medians.
//
//   node bench/task-batches.js [rounds=5] [tasks=6000] [skip=2000] [per=10] <checkout> [checkout ...]
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { median } from './bench-support.js';

if (process.argv[2] === '--child') {
  const [checkout, tasks, skip, per] = [process.argv[3], ...process.argv.slice(4, 7).map(Number)];
  const core = await import(pathToFileURL(path.join(checkout, 'packages/core/dist/src/internal.js')).href);
  const deserialize = core.loadProto().sluice.v1.Worker.service.RunTasks.requestDeserialize;
  const stage = { stage_key: 'job-1.s3r0', job_id: 'job-1', bundle_sha256: 'ab'.repeat(32), stage_id: 3, payload: Buffer.alloc(700, 7), shuffle_id: -1, files: [] };
  const launch = (n) => ({ task_id: `job-1.s3r0.p${n}.a0`, stage_key: 'job-1.s3r0', partition: n, attempt: 0, task_data: Buffer.alloc(24, n & 255) });
  // The messages, encoded before the clock starts: the first of every 200 carries the stage (a run's first message to a worker).
  const messages = [];
  for (let n = 0, i = 0; n < skip + tasks; i++) {
    const first = i % 200 === 0;
    const count = first ? 4 : per;
    const launches = Array.from({ length: count }, (_, j) => launch(n + j));
    messages.push({ from: n, bytes: core.encodeDirect('TaskBatch', { stages: first ? [stage] : [], tasks: launches, forget_stages: [], remove_block_ids: [], remove_block_prefixes: [] }).bytes });
    n += count;
  }
  let sum = 0;
  let c0 = process.cpuUsage();
  let started = false;
  for (const m of messages) {
    if (!started && m.from >= skip) {
      started = true;
      c0 = process.cpuUsage();
    }
    const b = deserialize(m.bytes);
    // What the task-stream handler reads of each.
    for (const s of b.stages) sum += s.stage_key.length + s.job_id.length + s.bundle_sha256.length + s.stage_id + s.payload.length + s.shuffle_id + s.files.length;
    for (const t of b.tasks) sum += t.task_id.length + t.stage_key.length + t.partition + t.task_data.length;
    sum += b.remove_block_ids.length + b.remove_block_prefixes.length + b.forget_stages.length;
  }
  const c = process.cpuUsage(c0);
  const counted = skip + tasks - messages.find((m) => m.from >= skip).from;
  console.log(JSON.stringify({ usPerTask: (c.user + c.system) / counted, sum }));
  process.exit(0);
}

const [rounds, tasks, skip, per] = [5, 6000, 2000, 10].map((d, i) => Number(process.argv[2 + i] ?? d));
const checkouts = process.argv.slice(6).map((c) => path.resolve(c));
if (checkouts.length === 0) {
  console.error('usage: node bench/task-batches.js [rounds] [tasks] [skip] [per] <checkout> [checkout ...]');
  process.exit(2);
}
const runs = new Map(checkouts.map((c) => [c, []]));
for (let r = 0; r < rounds; r++) {
  for (const c of checkouts) {
    const res = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', c, String(tasks), String(skip), String(per)], { encoding: 'utf8' });
    if (res.status !== 0) throw new Error(`${c}: exit ${res.status}\n${res.stderr}`);
    runs.get(c).push(JSON.parse(res.stdout).usPerTask);
  }
}
console.log(`task batches of ${per} launches read by a worker, CPU per task over tasks ${skip}..${skip + tasks} of a fresh process (us)`);
for (const [c, xs] of runs) console.log(`${c.slice(-24).padEnd(24)} ${xs.map((x) => x.toFixed(2)).join(' ')}  median ${median(xs).toFixed(2)}`);
