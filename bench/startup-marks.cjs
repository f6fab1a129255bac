// Preload of `node bench/startup.js timeline` (not a test; given to every process of one
// `sluice run` through NODE_OPTIONS=--require): appends to $STARTUP_MARKS one JSON line when
// the process starts running JavaScript (Node bootstrapped; V8's time origin is when the
// process began), one at each log line it writes (pino writes to fd 2) with its CPU so far
// (the whole process, and its main thread from /proc, 10 ms ticks), and one at its exit with
// the CPU of each of its threads. A JavaScript thread (a task or job thread: the preload runs in
// those too) writes one line as it starts, naming its thread id; since a thread that is
// terminated runs no exit handler, the main thread reads every thread's CPU just before each
// `terminate()`, and the exit line gives a thread gone by then as last seen
// (`gone: true`; what it ran after that is in the process's figure only).
'use strict';
const fs = require('node:fs');
const workerThreads = require('node:worker_threads');
const { isMainThread } = workerThreads;

if (!isMainThread && process.env.STARTUP_MARKS) {
  // "<pid>/task/<tid>" of this thread, as the main thread reads it in /proc/self/task.
  const tid = Number(fs.readlinkSync('/proc/thread-self').split('/').pop());
  fs.appendFileSync(process.env.STARTUP_MARKS, JSON.stringify({ pid: process.pid, thread: tid, threadId: workerThreads.threadId, at: Date.now() }) + '\n');
}

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
  /** Every thread's CPU as last read (tid -> ms). */
  const lastSeen = new Map();
  const sampleThreads = () => {
    for (const tid of fs.readdirSync('/proc/self/task')) {
      try {
        lastSeen.set(Number(tid), threadCpu(tid));
      } catch {
        // the thread ended meanwhile
      }
    }
  };
  const { terminate } = workerThreads.Worker.prototype;
  workerThreads.Worker.prototype.terminate = function (...args) {
    sampleThreads();
    return terminate.apply(this, args);
  };
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
    const live = new Set();
    for (const tid of fs.readdirSync('/proc/self/task')) {
      try {
        threads.push({ tid: Number(tid), ms: threadCpu(tid) });
        live.add(Number(tid));
      } catch {
        // the thread ended meanwhile
      }
    }
    for (const [tid, ms] of lastSeen) if (!live.has(tid)) threads.push({ tid, ms, gone: true });
    write({ exit: Date.now(), cpu: cpu(), main: threads.find((t) => t.tid === process.pid)?.ms, threads });
  });
}
