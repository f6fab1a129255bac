// Outcome batches read by the driver (not a test): what the driver's main thread spends reading
// the workers' TaskOutcomeBatch messages of tiny tasks (the services' deserializer of RunTasks'
// response), per task ended, in a fresh process: the first thousands are what a job's first runs
// pay (protobufjs's functions not yet optimized). Checkouts alternate (A B A B ...), each in
// processes of its own with its own build: before perf20 the deserializer was protobufjs's
// decode then toObject (a copy of every outcome with its defaults and oneof name); since, the
// same objects read straight from the wire (core's read-outcome-batch.ts). Messages as a worker
// writes them (encodeDirect): PER outcomes a message, each a result task's few bytes (a count's
// partial), or with `map` a shuffle map task's status of 200 partitions and its accumulators.
// Each outcome's fields are read as the driver reads them (task-stream, worker-endpoint,
// dag-scheduler: the oneof's name three times). CPU per task over tasks SKIP..SKIP+TASKS of the
// process (user + system), medians.
//
//   node bench/outcome-batches.js [rounds=5] [tasks=6000] [skip=2000] [per=8] [result|map] <checkout> [checkout ...]
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { median } from './bench-support.js';

if (process.argv[2] === '--child') {
  const [checkout, tasks, skip, per, kind] = [process.argv[3], ...process.argv.slice(4, 7).map(Number), process.argv[7]];
  const core = await import(pathToFileURL(path.join(checkout, 'packages/core/dist/src/internal.js')).href);
  const deserialize = core.loadProto().sluice.v1.Worker.service.RunTasks.responseDeserialize;
  const outcome = (n) =>
    kind === 'map'
      ? { map_status: { status: new Uint8Array(200).fill(n & 127) }, accumulators: new Uint8Array([1, 2, 3, 4]), stored_blocks: [], shuffle_read_bytes: 0 }
      : { result: new Uint8Array([0x43, n & 255, 1, 0]), stored_blocks: [], shuffle_read_bytes: 0 };
  const messages = [];
  for (let n = 0; n < skip + tasks; n += per) {
    const ended = Array.from({ length: per }, (_, j) => ({ task_id: `job-1.s3r0.p${n + j}.a0`, outcome: outcome(n + j) }));
    messages.push({ from: n, bytes: core.encodeDirect('TaskOutcomeBatch', { ended }).bytes });
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
    for (const e of b.ended) {
      const o = e.outcome;
      sum += e.task_id.length;
      if (o.outcome === 'indirect_result') sum++;
      if (o.outcome === 'result') sum += o.result.length;
      else if (o.outcome === 'map_status') sum += o.map_status.status.length;
      sum += o.stored_blocks.length + o.stored_block_bytes.length + o.accumulators.length + o.shuffle_read_bytes;
      if (o.outcome === 'error') sum += o.error.message.length;
      sum += o.fetch_failed ? 1 : 0;
    }
  }
  const c = process.cpuUsage(c0);
  const counted = skip + tasks - messages.find((m) => m.from >= skip).from;
  console.log(JSON.stringify({ usPerTask: (c.user + c.system) / counted, sum }));
  process.exit(0);
}

const [rounds, tasks, skip, per] = [5, 6000, 2000, 8].map((d, i) => Number(process.argv[2 + i] ?? d));
const kind = process.argv[6] ?? 'result';
if (kind !== 'result' && kind !== 'map') {
  console.error('usage: node bench/outcome-batches.js [rounds] [tasks] [skip] [per] [result|map] <checkout> [checkout ...]');
  process.exit(2);
}
const checkouts = process.argv.slice(7).map((c) => path.resolve(c));
if (checkouts.length === 0) {
  console.error('usage: node bench/outcome-batches.js [rounds] [tasks] [skip] [per] [result|map] <checkout> [checkout ...]');
  process.exit(2);
}
const runs = new Map(checkouts.map((c) => [c, []]));
for (let r = 0; r < rounds; r++) {
  for (const c of checkouts) {
    const res = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', c, String(tasks), String(skip), String(per), kind], { encoding: 'utf8' });
    if (res.status !== 0) throw new Error(`${c}: exit ${res.status}\n${res.stderr}`);
    runs.get(c).push(JSON.parse(res.stdout).usPerTask);
  }
}
console.log(`outcome batches of ${per} ${kind} outcomes read by the driver, CPU per task over tasks ${skip}..${skip + tasks} of a fresh process (us)`);
for (const [c, xs] of runs) console.log(`${c.slice(-24).padEnd(24)} ${xs.map((x) => x.toFixed(2)).join(' ')}  median ${median(xs).toFixed(2)}`);
