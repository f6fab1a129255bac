// Closure capture's inspector calls (benchmark, not a test): the CPU of one captureClosure of a fresh function
// (a new closure from the same place each time, as a batch's or a loop's), called straight on core's build in
// this process, with the synchronous inspector calls it makes and their CPU by method (Session.post timed).
// Two shapes: a function using no captured variable (`x => x + 1`) and one using two (`x => x + base + k`, `k`
// module-level), each made inside a function with a local of its own. Checkouts are run one after another in
// separate processes, alternated for `rounds` rounds; each prints its 3 measures of n captures a round.
//
//   node bench/closure-capture-calls.js [rounds=3] [n=3000] [checkout ...]   (default: this one)
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = fileURLToPath(import.meta.url);
if (process.argv[2] === '--child') {
  const [, , , checkout, nArg] = process.argv;
  const { Session } = await import('node:inspector');
  const { captureClosure } = await import(pathToFileURL(path.join(checkout, 'packages/core/dist/src/closure/index.js')).href);
  const cpu = () => {
    const c = process.cpuUsage();
    return c.user + c.system;
  };
  const per = new Map();
  const post = Session.prototype.post;
  let timing = false;
  Session.prototype.post = function (method, params, cb) {
    if (!timing) return post.call(this, method, params, cb);
    const t = cpu();
    const r = post.call(this, method, params, cb);
    const e = per.get(method) ?? [0, 0];
    e[0] += cpu() - t;
    e[1]++;
    per.set(method, e);
    return r;
  };
  const n = Number(nArg);
  const k = 7;
  const make = () => {
    const base = 3;
    const unused = { a: 1 };
    const g = () => unused;
    return [(x) => x + 1, (x) => x + base + k, g];
  };
  for (const [label, pick] of [['no captured variable', 0], ['two captured variables', 1]]) {
    for (let i = 0; i < 300; i++) captureClosure(make()[pick], 'rdd.map', 'site');
    await new Promise((resolve) => setImmediate(resolve));
    for (let round = 0; round < 3; round++) {
      let t = cpu();
      for (let i = 0; i < n; i++) captureClosure(make()[pick], 'rdd.map', 'site');
      await new Promise((resolve) => setImmediate(resolve)); // a release left for the next turn is counted
      const us = (cpu() - t) / n;
      per.clear();
      timing = true;
      for (let i = 0; i < n; i++) captureClosure(make()[pick], 'rdd.map', 'site');
      await new Promise((resolve) => setImmediate(resolve));
      timing = false;
      const calls = [...per.values()].reduce((s, [, c]) => s + c, 0) / n;
      console.log(`RESULT ${JSON.stringify({ label, us, calls, methods: Object.fromEntries([...per].map(([m, [t2, c]]) => [m, { us: t2 / n, calls: c / n }])) })}`);
    }
  }
  process.exit(0);
}
const [rounds, n] = [2, 3].map((i, j) => Number(process.argv[i] ?? [3, 3000][j]));
const checkouts = process.argv.length > 4 ? process.argv.slice(4) : [path.resolve(path.dirname(here), '..')];
for (let r = 0; r < rounds; r++) {
  for (const c of checkouts) {
    const out = spawnSync(process.execPath, [here, '--child', c, String(n)], { encoding: 'utf8' });
    if (out.status !== 0) throw new Error(`${c}: exit ${out.status}\n${out.stderr}`);
    for (const line of out.stdout.split('\n').filter((l) => l.startsWith('RESULT '))) {
      const b = JSON.parse(line.slice(7));
      const methods = Object.entries(b.methods)
        .map(([m, v]) => `${m} ${v.us.toFixed(1)} us x${v.calls.toFixed(2)}`)
        .join(', ');
      console.log(`round ${r} ${c}: ${b.label}: ${b.us.toFixed(1)} us a capture, ${b.calls.toFixed(2)} inspector calls (${methods}) (load ${os.loadavg()[0].toFixed(1)})`);
    }
  }
}
