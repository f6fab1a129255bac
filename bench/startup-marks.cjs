// Preload of `node bench/startup.js timeline` (not a test; given to every process of one
// `sluice run` through NODE_OPTIONS=--require): appends to $STARTUP_MARKS one JSON line when
// the process starts running JavaScript (Node bootstrapped; V8's time origin is when the
// process began), one at each log line it writes (pino writes to fd 2) with its CPU so far
// (the whole process, and its main thread from /proc, 10 ms ticks), and one at its exit with
// the CPU of each of its threads.
'use strict';
const fs = require('node:fs');
const { isMainThread } = require('node:worker_threads');

if (isMainThread && process.env.STARTUP_MARKS) {
  const out = process.env.STARTUP_MARKS;
  const role = process.argv.slice(2).find((a) => !a.startsWith('-'));
  const write = (o) => fs.appendFileSync(out, JSON.stringify({ pid: process.pid, role, ...o }) + '\n');
  const cpu = () => {
    const u = process.cpuUsage();
    return Math.round((u.user + u.system) / 1000);
  };
  const threadCpu = (tid) => {
    const f = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  };
  write({ origin: performance.timeOrigin, at: Date.now(), cpu: cpu(), main: threadCpu(process.pid) });
  const note = (chunk) => {
    for (const m of String(chunk).matchAll(/"msg":"([^"]*)"/g)) write({ at: Date.now(), msg: m[1], cpu: cpu(), main: threadCpu(process.pid) });
  };
  const { writeSync, write: fsWrite } = fs;
  fs.writeSync = function (fd, chunk, ...rest) {
    if (fd === 2) note(chunk);
    return writeSync.call(this, fd, chunk, ...rest);
  };
  fs.write = function (fd, chunk, ...rest) {
    if (fd === 2) note(chunk);
    return fsWrite.call(this, fd, chunk, ...rest);
  };
  process.on('exit', () => {
    const threads = [];
    for (const tid of fs.readdirSync('/proc/self/task')) {
      try {
        threads.push({ tid: Number(tid), ms: threadCpu(tid) });
      } catch {
        // the thread ended meanwhile
      }
    }
    write({ exit: Date.now(), cpu: cpu(), main: threads.find((t) => t.tid === process.pid)?.ms, threads });
  });
}
