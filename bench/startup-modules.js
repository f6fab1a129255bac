// Where a worker's start goes, module by module (not a test): the CPU each module's top-level
// code takes as the CLI bundle initializes it, in `sluice worker` processes started against a
// driver already listening, up to 'worker registered'. Medians over the rounds (the first one
// writes the instrumented bundle's code cache and is not counted).
//
//   node bench/startup-modules.js [rounds=7] [checkout=.]
//   node bench/startup-modules.js run [rounds=7] [checkout=.]   the same for the `sluice run` process
//                                   (bench/startup-job.ts) up to 'driver listening': what the driver's
//                                   side loads before it can take its workers
//
// The checkout's dist/sluice.cjs is copied with esbuild's two lazy-module helpers (`__esm`, the
// ES modules; `__commonJS`, the CommonJS ones) timing each module's initializer with
// process.cpuUsage() (self time: what the module's own top level ran, its imports' initializers
// taken out), into a temporary directory, and run as cli-entry runs the bundle (its file name
// and directory the real ones, so it finds its packages and threads as the bundle does; its own
// code cache). What the command does between the initializers (main.ts's body, the worker's
// start) is printed as one row. The figure that matters is the sum: removing or deferring a
// module that a worker does not use takes its row off every worker's start (and off the
// driver's, where the run process loads it too).
// Two more rows: the sum by package (a package a worker never uses, such as the driver, shows
// an import it need not make), and the GC pauses that fell inside each module: a module whose
// self time is mostly a collection is not worth deferring (the collection only moves).
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, median } from './bench-support.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const RUN = process.argv[2] === 'run';
const args = process.argv.slice(RUN ? 3 : 2);
const ROUNDS = Number(args[0] ?? 7);
const checkout = path.resolve(args[1] ?? path.dirname(here));
const UNTIL = RUN ? 'driver listening' : 'worker registered';
const dist = path.join(checkout, 'packages/cli/dist');
const bundle = path.join(dist, 'sluice.cjs');
if (!fs.existsSync(bundle)) throw new Error(`${bundle} is missing: build the checkout (bash scripts/setup.sh)`);

const ESM = 'var __esm = (fn, res) => function __init() {\n  return fn && (res = (0, fn[__getOwnPropNames(fn)[0]])(fn = 0)), res;\n};';
const CJS = 'var __commonJS = (cb, mod) => function __require() {\n  return mod || (0, cb[__getOwnPropNames(cb)[0]])((mod = { exports: {} }).exports, mod), mod.exports;\n};';
// Besides each module's self time, the garbage collector's pauses that fell while a module was
// the innermost one running (a 'gc' PerformanceObserver; the entries come later, so the wall
// clock's enter/leave of each module is kept and matched at the end): an allocation that
// happens to cross a heap limit there charges the whole collection to that module, which
// deferring it would only move.
const TIMER = `var __benchSelf = globalThis.__benchModuleSelf = new Map();
var __benchStack = [];
var __benchPerf = require('node:perf_hooks');
var __benchEvents = globalThis.__benchModuleEvents = [];
var __benchGc = globalThis.__benchModuleGc = [];
new __benchPerf.PerformanceObserver((l) => { for (const e of l.getEntries()) __benchGc.push([e.startTime, e.duration]); }).observe({ entryTypes: ['gc'] });
var __benchNow = () => { const u = process.cpuUsage(); return u.user + u.system; };
var __benchRun = (name, f) => {
  const t0 = __benchNow();
  __benchStack.push(0);
  __benchEvents.push([__benchPerf.performance.now(), name]);
  try { return f(); } finally {
    __benchEvents.push([__benchPerf.performance.now(), null]);
    const inner = __benchStack.pop();
    const d = __benchNow() - t0;
    __benchSelf.set(name, (__benchSelf.get(name) ?? 0) + d - inner);
    if (__benchStack.length > 0) __benchStack[__benchStack.length - 1] += d;
  }
};
`;
const source = fs.readFileSync(bundle, 'latin1');
if (!source.includes(ESM) || !source.includes(CJS)) throw new Error("esbuild's __esm/__commonJS helpers are not as this bench knows them: update ESM and CJS in bench/startup-modules.js");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-modules-'));
const instrumented = source
  .replace(ESM, `${TIMER}var __esm = (fn, res) => function __init() {\n  if (!fn) return res; const name = __getOwnPropNames(fn)[0]; const f = fn; fn = 0; __benchRun(name, () => (res = (0, f[name])())); return res;\n};`)
  .replace(CJS, 'var __commonJS = (cb, mod) => function __require() {\n  if (mod) return mod.exports; const name = __getOwnPropNames(cb)[0]; __benchRun(name, () => (0, cb[name])((mod = { exports: {} }).exports, mod)); return mod.exports;\n};');
fs.writeFileSync(path.join(tmp, 'sluice.cjs'), instrumented, 'latin1');

// The runner: the bundle run as cli-entry runs it; at 'worker registered' it writes each
// module's self time and the process's CPU so far to $BENCH_MODULES_OUT.
const runner = path.join(tmp, 'runner.cjs');
fs.writeFileSync(
  runner,
  `'use strict';
const fs = require('node:fs');
const vm = require('node:vm');
const { createRequire } = require('node:module');
const [bundle, dist, copy, cacheFile] = process.argv.splice(2, 4);
process.argv.splice(1, 1, bundle);
let cachedData;
try { cachedData = fs.readFileSync(cacheFile); } catch {}
const script = new vm.Script(fs.readFileSync(copy, 'latin1'), { filename: bundle, cachedData, importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER });
globalThis[Symbol.for('sluice.cliCode')] = { from: 'bundle', codeCache: cachedData !== undefined && !script.cachedDataRejected, threads: dist + '/threads', entry: 'cjs' };
// The GC pauses (ms) by the module innermost at each pause's start; outside any module: none.
function gcByModule(events, gcs) {
  const out = {};
  for (const [start, duration] of gcs) {
    const stack = [];
    for (const [t, name] of events) {
      if (t > start) break;
      if (name === null) stack.pop();
      else stack.push(name);
    }
    const at = stack[stack.length - 1];
    if (at !== undefined) out[at] = (out[at] ?? 0) + duration;
  }
  return out;
}
const before = process.cpuUsage();
let written = false;
const writeSync = fs.writeSync;
fs.writeSync = function (fd, chunk, ...rest) {
  if (!written && fd === 2 && String(chunk).includes('"msg":"' + process.env.BENCH_MODULES_UNTIL + '"')) {
    written = true;
    const self = globalThis.__benchModuleSelf;
    const u = process.cpuUsage();
    const initMs = [...self.values()].reduce((a, b) => a + b, 0) / 1000;
    fs.writeFileSync(process.env.BENCH_MODULES_OUT + '.tmp', JSON.stringify({
      codeCache: globalThis[Symbol.for('sluice.cliCode')].codeCache,
      processMs: (u.user + u.system) / 1000,
      fromBundleMs: (u.user - before.user + u.system - before.system) / 1000,
      initMs,
      self: Object.fromEntries([...self].map(([k, v]) => [k, v / 1000])),
      gc: gcByModule(globalThis.__benchModuleEvents, globalThis.__benchModuleGc),
    }));
    // (The first round's process writes the code cache, with what it compiled by now: it is ended here.)
    if (cachedData === undefined) fs.writeFileSync(cacheFile, script.createCachedData());
    fs.renameSync(process.env.BENCH_MODULES_OUT + '.tmp', process.env.BENCH_MODULES_OUT);
  }
  return writeSync.call(this, fd, chunk, ...rest);
};
const module_ = { exports: {} };
script.runInThisContext()(module_.exports, createRequire(bundle), module_, bundle, dist);
`,
);

const secret = crypto.randomBytes(16).toString('hex');
const env = { ...process.env, SLUICE_SECRET: secret, SLUICE_SECRET_FILE: '' };
const port = await freePort();
const driver = spawn(process.execPath, [path.join(checkout, 'packages/cli/bin/sluice.js'), 'driver', '--port', String(port), '--web-port', '0', '--log-level', 'info'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
try {
  await new Promise((resolve, reject) => {
    let err = '';
    driver.stderr.on('data', (d) => {
      err += d;
      if (err.includes('driver listening')) resolve();
    });
    driver.on('exit', (code) => reject(new Error(`sluice driver exited ${code}: ${err}`)));
  });
  driver.stderr.resume();
  const runs = [];
  for (let r = 0; r <= ROUNDS; r++) {
    const out = path.join(tmp, `round-${r}.json`);
    const command = RUN ? ['run', '--log-level', 'info', '--no-progress', path.join(here, 'startup-job.ts')] : ['worker', '--driver', `127.0.0.1:${port}`, '--log-level', 'info', '--local-dir', os.tmpdir()];
    const child = spawn(process.execPath, [runner, bundle, dist, path.join(tmp, 'sluice.cjs'), path.join(tmp, 'sluice.cjs.cache'), ...command], { env: { ...env, BENCH_MODULES_OUT: out, BENCH_MODULES_UNTIL: UNTIL }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    await new Promise((resolve, reject) => {
      const poll = setInterval(() => {
        if (!fs.existsSync(out)) return;
        clearInterval(poll);
        child.kill('SIGKILL');
        resolve();
      }, 5);
      child.on('exit', (code) => {
        clearInterval(poll);
        if (fs.existsSync(out)) resolve();
        else reject(new Error(`the ${RUN ? 'run' : 'worker'} process exited ${code} before '${UNTIL}': ${err}`));
      });
    });
    await new Promise((resolve) => (child.exitCode === null && child.signalCode === null ? child.once('exit', resolve) : resolve()));
    if (r > 0) runs.push(JSON.parse(fs.readFileSync(out, 'utf8')));
  }
  const names = new Set(runs.flatMap((r) => Object.keys(r.self)));
  const rows = [...names].map((n) => [n, median(runs.map((r) => r.self[n] ?? 0))]).sort((a, b) => b[1] - a[1]);
  const between = median(runs.map((r) => r.fromBundleMs - r.initMs));
  console.log(`${RUN ? "the sluice run process's start" : "a worker's start"} to '${UNTIL}' (${checkout}), process CPU ms, median of ${runs.length} (code cache: ${runs.every((r) => r.codeCache) ? 'taken' : 'not taken in some'}); load average ${os.loadavg()[0].toFixed(1)}`);
  console.log(`  process CPU at '${UNTIL}' ${median(runs.map((r) => r.processMs)).toFixed(0)}, of which from the bundle's compile on ${median(runs.map((r) => r.fromBundleMs)).toFixed(0)}: module initializers ${median(runs.map((r) => r.initMs)).toFixed(1)} (${names.size} modules), the rest (the compile, main.ts's body, the worker's start, its thread, gRPC) ${between.toFixed(0)}`);
  // By package (Sluice's packages by folder, npm packages by name): a package that shows here but
  // that the worker never uses (the driver, the web UI) is loaded through an import it need not make.
  const pkgOf = (n) => n.match(/^packages\/([^/]+)\//)?.[1] ?? n.replace(/^node_modules\/\.pnpm\/[^/]+\/node_modules\//, '').match(/^((?:@[^/]+\/)?[^/]+)\//)?.[1] ?? n;
  const byPkg = new Map();
  for (const n of names) {
    const p = pkgOf(n);
    const e = byPkg.get(p) ?? { modules: 0, ms: 0 };
    e.modules += 1;
    e.ms += median(runs.map((r) => r.self[n] ?? 0));
    byPkg.set(p, e);
  }
  console.log(`  by package (sum of the modules' medians, ms; modules): ${[...byPkg].sort((a, b) => b[1].ms - a[1].ms).map(([p, e]) => `${p} ${e.ms.toFixed(1)} (${e.modules})`).join(', ')}`);
  console.log(`  GC pauses inside module initializers: ${median(runs.map((r) => Object.values(r.gc).reduce((a, b) => a + b, 0))).toFixed(1)} ms; per module below, 'GC' is the median of the pauses that fell inside it (wall ms)`);
  console.log('  the dearest module initializers (self time):');
  for (const [name, ms] of rows.slice(0, 25)) {
    const gc = median(runs.map((r) => r.gc[name] ?? 0));
    console.log(`  ${ms.toFixed(2).padStart(7)}  ${gc > 0 ? `(GC ${gc.toFixed(2)}) ` : ''}${name.replace(/^node_modules\/\.pnpm\/[^/]+\/node_modules\//, '')}`);
  }
} finally {
  driver.kill('SIGKILL');
  fs.rmSync(tmp, { recursive: true, force: true });
}
