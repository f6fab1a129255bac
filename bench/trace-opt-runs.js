// V8's compiles and deopts of a bench/scheduler.js job, run by run (not a test): counts, which
// the machine's load does not change, where CPU figures at load 20-30 differ by 30% run to run.
//   SLUICE_BENCH_MARKS=stdout SLUICE_BENCH_WORKER_NODE_ARGS='--trace-opt --trace-deopt' \
//     node bench/scheduler.js 12 2 4 narrow > out.txt 2>&1      (the workers' isolates traced)
//   node bench/trace-opt-runs.js out.txt [out2.txt ...]
// (`node --trace-opt --trace-deopt bench/scheduler.js ...` traces the driver instead; both at
// once mix them.) V8 prints its lines from every isolate of a process (main and worker threads)
// into one stream, in order with the bench's MARK lines (SLUICE_BENCH_MARKS=stdout), so each
// line falls in the run whose end mark follows it. Per file: before the measured job (the
// cluster's start, a prior job: SLUICE_BENCH_PRIOR_JOB), then each run (run 0 from the job's
// submission): TurboFan compiles completed, eager/lazy/soft deopts, and optimized code thrown
// away ("marking dependent code": by dead objects a collection found, `weak`, and by maps or
// fields that changed, `deps`); and the functions compiled most over runs 1-3.
import fs from 'node:fs';

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node bench/trace-opt-runs.js <scheduler.js output with --trace-opt --trace-deopt and SLUICE_BENCH_MARKS=stdout> ...');
  process.exit(2);
}
for (const file of files) {
  const periods = [{ name: 'before the job', compiles: 0, deopts: 0, weak: 0, deps: 0, names: new Map() }];
  let submitted = false;
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (line.startsWith('MARK job submit') || (submitted && line.startsWith('MARK run end'))) {
      submitted = true;
      periods.push({ name: `run ${periods.length - 1}`, compiles: 0, deopts: 0, weak: 0, deps: 0, names: new Map() });
      continue;
    }
    const p = periods[periods.length - 1];
    if (line.includes('[completed compiling')) {
      p.compiles++;
      const name = /<JSFunction ([^ >(][^ >]*)/.exec(line)?.[1] ?? '(anonymous)';
      p.names.set(name, (p.names.get(name) ?? 0) + 1);
    } else if (line.includes('[bailout (kind: deopt-')) p.deopts++;
    else if (line.includes('for deoptimization, reason: weak objects')) p.weak++;
    else if (line.includes('for deoptimization, reason:')) p.deps++;
  }
  // The last period is after the last run's end mark (the cluster's stop): not a run.
  if (periods.length > 2) periods.pop();
  console.log(file);
  console.log('                   compiles  deopts  code dropped (weak objects / dependencies)');
  for (const p of periods) console.log(`  ${p.name.padEnd(16)} ${String(p.compiles).padStart(8)} ${String(p.deopts).padStart(7)}  ${p.weak} / ${p.deps}`);
  const first = new Map();
  for (const p of periods.slice(2, 5)) for (const [n, c] of p.names) first.set(n, (first.get(n) ?? 0) + c);
  const top = [...first].sort((a, b) => b[1] - a[1]).slice(0, 12);
  console.log(`  compiled most in runs 1-3: ${top.map(([n, c]) => `${n} ${c}`).join(', ')}`);
}
