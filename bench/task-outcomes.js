// Task outcome messages (not a test): what a worker's main thread spends writing the outcomes
// of tiny tasks on the task stream, per task, in a fresh process (the first thousands of
// messages are what a job's first runs pay: protobufjs's functions not yet optimized). Two
// ways, each in processes of its own, alternated: `fromObject`, the services' serializer of
// the plain object (protobufjs's fromObject copy, then encode), as a worker wrote them before
// perf14; `direct`, core's encodeDirect('TaskOutcomeBatch', ...) (encode of the object as the
// executor made it), then the serializer passing the EncodedMessage through. Each message
// carries PER outcomes of one-record count tasks (a 5-byte result). CPU per task over tasks
// SKIP..SKIP+TASKS of the process (user + system), medians.
//
//   node bench/task-outcomes.js [rounds=5] [tasks=6000] [skip=2000] [per=4]
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { median } from './bench-support.js';

const here = path.dirname(fileURLToPath(import.meta.url));

if (process.argv[2] === '--child') {
  const [mode, tasks, skip, per] = [process.argv[3], ...process.argv.slice(4, 7).map(Number)];
  const core = await import(pathToFileURL(path.join(here, '../packages/core/dist/src/internal.js')).href);
  const serialize = core.loadProto().sluice.v1.Worker.service.RunTasks.responseSerialize;
  let c0 = process.cpuUsage();
  let bytes = 0;
  for (let n = 0; n < skip + tasks; n += per) {
    if (n === skip) c0 = process.cpuUsage();
    const ended = [];
    for (let i = 0; i < per; i++) ended.push({ task_id: `job-1.s3r0.p${n + i}.a0`, outcome: { result: new Uint8Array([1, 2, 3, 4, 5]), stored_blocks: [], shuffle_read_bytes: 0 } });
    bytes += serialize(mode === 'direct' ? core.encodeDirect('TaskOutcomeBatch', { ended }) : { ended }).length;
  }
  const c = process.cpuUsage(c0);
  console.log(JSON.stringify({ usPerTask: (c.user + c.system) / tasks, bytes }));
  process.exit(0);
}

const [rounds, tasks, skip, per] = [5, 6000, 2000, 4].map((d, i) => Number(process.argv[2 + i] ?? d));
const runs = { fromObject: [], direct: [] };
for (let r = 0; r < rounds; r++) {
  for (const mode of Object.keys(runs)) {
    const res = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', mode, String(tasks), String(skip), String(per)], { encoding: 'utf8' });
    if (res.status !== 0) throw new Error(`${mode}: exit ${res.status}\n${res.stderr}`);
    runs[mode].push(JSON.parse(res.stdout).usPerTask);
  }
}
console.log(`task outcome messages of ${per} outcomes, CPU per task over tasks ${skip}..${skip + tasks} of a fresh process (us)`);
for (const [mode, xs] of Object.entries(runs)) console.log(`${mode.padEnd(10)} ${xs.map((x) => x.toFixed(2)).join(' ')}  median ${median(xs).toFixed(2)}`);
