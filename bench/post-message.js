// What a worker thread's postMessage costs the posting thread (not a test): the worker's main
// thread posts each task to its task thread (JobSandbox.post). `burst`: N messages of a task's
// shape posted in a row (the receiving thread stays awake); `pingpong`: each post waits for the
// thread's answer, so the thread sleeps between messages and each post wakes it. The main
// thread's own CPU (/proc/self/task/<pid>/stat, 10 ms ticks), the wall, and the process's CPU,
// us a message (perf21: --cpu-prof put 22-28% of a worker main thread's samples over a job's run 0
// in postMessage, which on 2 busy cores is the woken thread preempting the poster, not the call).
//
//   node bench/post-message.js [N=20000] [burst|pingpong]
import fs from 'node:fs';
import { Worker } from 'node:worker_threads';

const mainThreadCpuMs = () => {
  const f = fs.readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
};
const w = new Worker(`const { parentPort } = require('node:worker_threads'); let n = 0; parentPort.on('message', (m) => { n++; if (m.reply) parentPort.postMessage(n); });`, { eval: true });
await new Promise((r) => w.once('online', r));
const n = Number(process.argv[2] ?? 20000);
const mode = process.argv[3] ?? 'burst';
const msg = (i) => ({ type: 'run', tasks: [{ taskId: `job-0001/3/${i}/0`, partition: i, stageKey: '0:job-0001/3/0' }] });
const [c0, t0, u0] = [mainThreadCpuMs(), performance.now(), process.cpuUsage()];
if (mode === 'burst') {
  for (let i = 0; i < n; i++) w.postMessage(msg(i));
} else {
  for (let i = 0; i < n; i++) {
    w.postMessage({ ...msg(i), reply: true });
    await new Promise((r) => w.once('message', r));
  }
}
const [c1, t1, u1] = [mainThreadCpuMs(), performance.now(), process.cpuUsage(u0)];
console.log(`${mode}, ${n} messages: main thread CPU ${(((c1 - c0) * 1000) / n).toFixed(1)} us a message, wall ${(((t1 - t0) * 1000) / n).toFixed(1)} us, the process's CPU ${((u1.user + u1.system) / n).toFixed(1)} us`);
await w.terminate();
