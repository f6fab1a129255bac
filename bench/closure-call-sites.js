// A shipped function's call site (benchmark, not a test): the driver program's CPU per `rdd.map(f)` (closure
// capture, whose call site capture-closure.ts formats at once), per stack formatted alone, and per action (a count
// of a fresh chain of maps), for checkouts alternated (A B A B ...). Each round runs `sluice run --workers 1
// bench/closure-call-sites-job.ts <n> <chain> <actions>` of each checkout's build (its own copy of the job file);
// medians of the rounds per checkout, and the load average. CPU time, not wall: the machine is shared.
// SLUICE_BENCH_BATCHES=<k> adds a figure: the CPU of one batch of a small streaming job (5 operators whose
// functions capture a local, shipped every batch), over k batches.
//
//   node bench/closure-call-sites.js [rounds=5] [n=2000] [chain=20] [actions=100] [checkout ...]   (default: this one)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './bench-support.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const [rounds, n, chain, actions] = [2, 3, 4, 5].map((i, k) => Number(process.argv[i] ?? [5, 2000, 20, 100][k]));
const checkouts = process.argv.length > 6 ? process.argv.slice(6) : [path.dirname(here)];
const batches = Number(process.env.SLUICE_BENCH_BATCHES ?? 0);
const env = { ...process.env, SLUICE_SECRET: 'closure-call-sites-bench-secret-0123456789', SLUICE_SECRET_FILE: '' };
const got = new Map(checkouts.map((c) => [c, []]));
for (const c of checkouts) if (path.resolve(c) !== path.dirname(here)) fs.copyFileSync(path.join(here, 'closure-call-sites-job.ts'), path.join(c, 'bench/closure-call-sites-job.ts'));
for (let r = 0; r < rounds; r++) {
  for (const c of checkouts) {
    const out = spawnSync(process.execPath, [path.join(c, 'packages/cli/bin/sluice.js'), 'run', '--workers', '1', '--web-port', '0', path.join(c, 'bench/closure-call-sites-job.ts'), String(n), String(chain), String(actions), String(batches)], { env, encoding: 'utf8', timeout: 600_000 });
    const line = out.stdout.split('\n').find((l) => l.startsWith('BENCH '));
    if (!line) throw new Error(`${c}: no BENCH line (exit ${out.status}):\n${out.stderr}`);
    const b = JSON.parse(line.slice(6));
    got.get(c).push(b);
    console.log(`round ${r} ${c}: map ${b.mapUs.toFixed(1)} us, same fn ${b.mapSameUs.toFixed(1)} us, stack ${b.stackUs.toFixed(1)} us, action ${b.actionUs.toFixed(0)} us CPU${b.batchUs === undefined || b.batchUs === null ? '' : `, a batch ${b.batchUs.toFixed(0)} us`} (load ${os.loadavg()[0].toFixed(1)})`);
  }
}
for (const [c, bs] of got) {
  console.log(`${c}: medians over ${rounds} rounds: rdd.map(f) ${median(bs.map((b) => b.mapUs)).toFixed(1)} us (the same f again ${median(bs.map((b) => b.mapSameUs)).toFixed(1)} us), a stack formatted ${median(bs.map((b) => b.stackUs)).toFixed(1)} us, an action of a ${chain}-map chain ${median(bs.map((b) => b.actionUs)).toFixed(0)} us CPU${batches > 0 ? `, a batch of the 5-operator stream ${median(bs.map((b) => b.batchUs)).toFixed(0)} us CPU` : ''}`);
}
