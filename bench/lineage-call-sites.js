// RDD call sites formatted lazily (benchmark, not a test): the driver's CPU an action when each action builds a
// fresh chain of maps (as a streaming batch does), for checkouts alternated (A B A B ...). Each round runs
// `sluice run --workers 1 bench/lineage-call-sites-job.ts <actions> <chain>` of each checkout's build (its own
// job file), which prints the sluice run process's CPU time (user + system, every thread: the driver's
// scheduler and the program's thread; the worker is a process of its own) and wall time an action over the
// timed actions, and the CPU of the lineage of a fresh chain alone (where the call sites were formatted); the
// medians of the rounds per checkout, and the load average.
//
//   node bench/lineage-call-sites.js [rounds=5] [actions=200] [chain=20] [checkout ...]   (default: this one)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './bench-support.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const [rounds, actions, chain] = [Number(process.argv[2] ?? 5), Number(process.argv[3] ?? 200), Number(process.argv[4] ?? 20)];
const checkouts = process.argv.length > 5 ? process.argv.slice(5) : [path.dirname(here)];
const env = { ...process.env, SLUICE_SECRET: 'lineage-call-sites-bench-secret-0123456789', SLUICE_SECRET_FILE: '' };
const got = new Map(checkouts.map((c) => [c, []]));
// Each checkout runs the job from its own tree, so its bundle links that checkout's @sluice/core.
for (const c of checkouts) if (path.resolve(c) !== path.dirname(here)) fs.copyFileSync(path.join(here, 'lineage-call-sites-job.ts'), path.join(c, 'bench/lineage-call-sites-job.ts'));
for (let r = 0; r < rounds; r++) {
  for (const c of checkouts) {
    const out = spawnSync(process.execPath, [path.join(c, 'packages/cli/bin/sluice.js'), 'run', '--workers', '1', '--web-port', '0', path.join(c, 'bench/lineage-call-sites-job.ts'), String(actions), String(chain)], { env, encoding: 'utf8', timeout: 600_000 });
    const line = out.stdout.split('\n').find((l) => l.startsWith('BENCH '));
    if (!line) throw new Error(`${c}: no BENCH line (exit ${out.status}):\n${out.stderr}`);
    const b = JSON.parse(line.slice(6));
    got.get(c).push(b);
    console.log(`round ${r} ${c}: ${b.cpuUsPerAction.toFixed(0)} us CPU, ${b.wallMsPerAction.toFixed(2)} ms wall an action; its lineage ${b.lineageCpuUs.toFixed(0)} us CPU (load ${os.loadavg()[0].toFixed(1)})`);
  }
}
for (const [c, bs] of got) {
  console.log(`${c}: median ${median(bs.map((b) => b.cpuUsPerAction)).toFixed(0)} us CPU, ${median(bs.map((b) => b.wallMsPerAction)).toFixed(2)} ms wall an action, its lineage ${median(bs.map((b) => b.lineageCpuUs)).toFixed(0)} us CPU, over ${rounds} rounds of ${actions} actions of ${chain}-map chains`);
}
