// The driver keeps a driver-program thread whose job left nothing behind for a later job
// of the same bundle (SpareJobThreads, job-thread.ts): on a real cluster (driver here, one
// worker process), jobs of one bundle one after the other, each printing on stdout and
// stderr. A clean job's thread runs the next job of its bundle, with a module instance of
// its own, and each job's output is exactly its own lines (its last, partial line too);
// a job of another bundle never gets it. A thread whose job failed, left a timer behind,
// printed after its end (an unref()ed timer, which the check cannot see) or replaced
// process.stdout.write serves no later job, and what it printed late is its own job's output.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bundleJob } from '../src/index.js';
import type { DriverJob } from '@sluice/driver';
import { fixture, jsonLine, lineOf, withCluster, within, type ClusterHandle } from './harness.js';

interface Probe {
  tag: string;
  threadId: number;
  runs: number;
  sum: number;
}
interface Run {
  readonly job: DriverJob;
  readonly lines: string[];
  readonly state: string;
  readonly failure: { message: string; stack: string } | undefined;
}

const FIXTURE = fixture('driver-thread-reuse.ts');
const SUM = 3 * ((100 * 99) / 2);

/** The lines the fixture prints in `mode` with `tag` (but its PROBE line), in some order of the two streams. */
function expectedLines(mode: string, tag: string): string[] {
  const out = [...Array.from({ length: 40 }, (_, i) => `OUT ${tag} ${i}`), ...Array.from({ length: 5 }, (_, i) => `ERR ${tag} ${i}`)];
  if (mode === 'clean') out.push(`PARTIAL ${tag}`);
  if (mode === 'timer' || mode === 'unref') out.push(`LATE ${tag}`);
  return out.sort();
}

/** Resolves once `job` printed `line` (at once if it did). */
function printed(run: Run, line: string): Promise<void> {
  if (run.lines.includes(line)) return Promise.resolve();
  return within(
    new Promise<void>((resolve) => {
      const on = (l: string): void => {
        if (l !== line) return;
        run.job.off('output', on);
        resolve();
      };
      run.job.on('output', on);
    }),
    30_000,
    `the line '${line}'`,
  );
}

test("a clean job's driver-program thread runs the next job of its bundle; each job's output is its own; failed, timer-leaving and late-printing jobs' threads are not kept", { timeout: 180_000 }, async () => {
  await withCluster({ workers: 1, coresPerWorker: 2 }, async (h: ClusterHandle) => {
    const bundles = new Map<string, Awaited<ReturnType<typeof bundleJob>>>();
    const submit = async (file: string, args: string[]): Promise<Run> => {
      if (!bundles.has(file)) bundles.set(file, await bundleJob(file));
      const b = bundles.get(file)!;
      const job = h.cluster.driver.submit({ name: b.name, code: b.code, sourceMap: b.sourceMap, args });
      const lines: string[] = [];
      job.on('output', (l) => lines.push(l));
      const [state, failure] = await within(new Promise<[string, Run['failure']]>((r) => job.once('end', (s, e) => r([s, e]))), 60_000, `job ${args.join(' ')}`);
      return { job, lines, state, failure };
    };
    /** Check the output of a run of the fixture in `mode`, tagged `tag`, once it is complete. */
    const check = async (r: Run, mode: string, tag: string): Promise<void> => {
      if (mode === 'timer' || mode === 'unref') await printed(r, `LATE ${tag}`);
      assert.deepEqual(
        r.lines.filter((l) => !l.startsWith('PROBE ')).sort(),
        expectedLines(mode, tag),
        `job ${tag} (${mode}): its own lines, each once, nothing else`,
      );
    };
    /** Run the fixture in `mode`, tagged `tag`: its probe (its output is checked at once unless `later`). */
    const run = async (mode: string, tag: string, later = false): Promise<Probe & { run: Run }> => {
      const r = await submit(FIXTURE, [mode, tag]);
      const probe = jsonLine<Probe>(r.lines, 'PROBE ');
      if (mode === 'fail') {
        assert.equal(r.state, 'failed');
        assert.match(r.failure?.message ?? '', new RegExp(`failed on purpose \\(${tag}\\)`));
        const line = lineOf(FIXTURE, 'failed on purpose');
        assert.ok(r.failure?.stack.includes(`${FIXTURE}:${line}:`), `the stack of job ${tag} names ${FIXTURE}:${line}:\n${r.failure?.stack}`);
      } else assert.equal(r.state, 'succeeded', JSON.stringify(r.failure));
      if (!later) await check(r, mode, tag);
      assert.deepEqual([probe.tag, probe.runs, probe.sum], [tag, 1, SUM], `job ${tag}: a module instance of its own`);
      return { ...probe, run: r };
    };

    const a = await run('clean', 'a');
    const b = await run('clean', 'b');
    assert.equal(b.threadId, a.threadId, 'the second job of the bundle ran on the first one\'s thread');
    // Another bundle's job never gets it (it leaves a global behind: its thread is not kept)...
    const other = await submit(fixture('driver-thread-probe.ts'), ['100']);
    assert.equal(other.state, 'succeeded', JSON.stringify(other.failure));
    assert.notEqual(jsonLine<{ threadId: number }>(other.lines, 'DRIVER_PROBE ').threadId, a.threadId, 'a job of another bundle ran on the kept thread');
    // ... and it is still there for the bundle's next job, which fails on it.
    const c = await run('fail', 'c');
    assert.equal(c.threadId, a.threadId, 'the third job of the bundle ran on the kept thread');
    const d = await run('clean', 'd');
    assert.notEqual(d.threadId, c.threadId, 'a job ran on the thread of a job that failed');
    // The next job starts while the timer still waits: the thread was refused at once.
    const e = await run('timer', 'e', true);
    assert.equal(e.threadId, d.threadId);
    const f = await run('clean', 'f');
    assert.notEqual(f.threadId, e.threadId, 'a job ran on a thread whose job left a timer behind');
    await check(e.run, 'timer', 'e');
    // An unref()ed timer is not seen: its thread is kept until it prints after the job's end.
    const g = await run('unref', 'g');
    assert.equal(g.threadId, f.threadId);
    const i = await run('clean', 'i');
    assert.notEqual(i.threadId, g.threadId, 'a job ran on a thread that printed after its job ended');
    const j = await run('patch', 'j');
    assert.equal(j.threadId, i.threadId);
    const k = await run('clean', 'k');
    assert.notEqual(k.threadId, j.threadId, 'a job ran on a thread whose job replaced process.stdout.write');
  });
});
