// An RDD's or action's creation site read (benchmark, not a test): the CPU of laterUserCallSite (core's
// closure/call-site.ts) taken and read, as an action's lineage reads its call site (every action; a streaming
// batch's `count` in foreachRDD, once a batch), in a plain process with source maps on (as the driver program's
// thread), for checkouts alternated (A B A B ...), each in a fresh process. The call comes from a source-mapped
// module (a job bundle's stand-in) with `below` frames of that module under the calling one (the program's and
// Sluice's frames an action's stack holds under it). Prints the CPU a call site taken and read, and taken alone,
// medians of the rounds per checkout, and checks every checkout reads the same place.
//
//   node bench/later-call-site.js [rounds=5] [calls=5000] [below=20] [checkout ...]   (default: this one)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { median } from './bench-support.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const self = fileURLToPath(import.meta.url);

if (process.argv[2] === 'child') {
  const [, , , checkout, job, calls] = process.argv;
  process.setSourceMapsEnabled(true);
  const { laterUserCallSite } = await import(pathToFileURL(path.join(checkout, 'packages/core/dist/src/closure/call-site.js')).href);
  const { call } = await import(pathToFileURL(job).href);
  const n = Number(calls);
  const cpu = () => {
    const c = process.cpuUsage();
    return c.user + c.system;
  };
  let site = '';
  for (let i = 0; i < 500; i++) site = call(laterUserCallSite)(); // warm
  const t0 = cpu();
  for (let i = 0; i < n; i++) site = call(laterUserCallSite)();
  const readUs = (cpu() - t0) / n;
  const t1 = cpu();
  for (let i = 0; i < n; i++) call(laterUserCallSite);
  const takeUs = (cpu() - t1) / n;
  console.log(JSON.stringify({ readUs, takeUs, site }));
} else {
  const [rounds, calls, below] = [Number(process.argv[2] ?? 5), Number(process.argv[3] ?? 5000), Number(process.argv[4] ?? 20)];
  const checkouts = process.argv.length > 5 ? process.argv.slice(5) : [path.dirname(here)];
  // The job stand-in: `call(f)` calls f from its line 2 with `below` frames of its own under it; its map puts
  // line i at job.ts's line i, column 0.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-later-site-'));
  const lines = ['export function call(f) { return down(' + below + ', f); }', 'function at(f) { return f(); }', 'function down(n, f) { return n === 0 ? at(f) : down(n - 1, f); }'];
  const map = { version: 3, file: 'job.mjs', sources: ['job.ts'], names: [], mappings: lines.map((_l, i) => (i === 0 ? 'AAAA' : 'AACA')).join(';') };
  const job = path.join(dir, 'job.mjs');
  fs.writeFileSync(job, `${lines.join('\n')}\n//# sourceMappingURL=data:application/json;base64,${Buffer.from(JSON.stringify(map)).toString('base64')}\n`);
  const got = new Map(checkouts.map((c) => [c, []]));
  try {
    for (let r = 0; r < rounds; r++) {
      for (const c of checkouts) {
        const out = spawnSync(process.execPath, [self, 'child', path.resolve(c), job, String(calls)], { encoding: 'utf8', timeout: 300_000 });
        if (out.status !== 0) throw new Error(`${c}: exit ${out.status}\n${out.stderr}`);
        const res = JSON.parse(out.stdout.trim().split('\n').pop());
        got.get(c).push(res);
        console.log(`round ${r} ${c}: taken and read ${res.readUs.toFixed(1)} us, taken alone ${res.takeUs.toFixed(1)} us CPU a call site (load ${os.loadavg()[0].toFixed(1)})`);
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const sites = new Set([...got.values()].flat().map((r) => r.site));
  console.log(`laterUserCallSite from ${below} frames of a source-mapped module, ${calls} calls a round; medians of ${rounds} alternated rounds:`);
  for (const [c, rs] of got) console.log(`  ${c}: taken and read ${median(rs.map((r) => r.readUs)).toFixed(1)} us, taken alone ${median(rs.map((r) => r.takeUs)).toFixed(1)} us CPU (each: ${rs.map((r) => r.readUs.toFixed(1)).join(' ')})`);
  console.log(sites.size === 1 ? `every checkout read the same place: ${[...sites][0]}` : `CHECKOUTS DISAGREE: ${[...sites].join(' | ')}`);
}
