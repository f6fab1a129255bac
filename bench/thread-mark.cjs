// Preloaded (`--require`) into every process and JavaScript thread of a bench/scheduler.js run
// when SLUICE_BENCH_THREADS=1: writes this thread's id to SLUICE_BENCH_THREAD_DIR/<tid>, so the
// bench can tell a process's JavaScript threads (the driver's job thread, a worker's task
// threads) from V8's and libuv's helper threads (compiling, GC, file I/O) in /proc/<pid>/task.
// Not for anything but the bench.
'use strict';
const dir = process.env.SLUICE_BENCH_THREAD_DIR;
if (dir) {
  try {
    const fs = require('node:fs');
    const tid = fs.readlinkSync('/proc/thread-self').split('/').pop();
    // Whole, by a rename: the bench reads the directory from its own process as threads start.
    fs.writeFileSync(`${dir}/.${tid}.tmp`, require('node:worker_threads').isMainThread ? 'main' : 'thread');
    fs.renameSync(`${dir}/.${tid}.tmp`, `${dir}/${tid}`);
  } catch {
    // Not Linux: the bench then counts every thread but the main one as a helper.
  }
}
