// The randomized DStream programs of dstream-fuzz.test.ts, checkpointed, with the driver killed:
// `sluice run` (the driver and its 2 worker processes) is killed -9 inside a random batch's
// output operations (one written, the others not), run again from the checkpoint
// (StreamingContext.getOrCreate), killed again at a random moment of a later batch, and run a
// third time to the end (fixtures/dstream-fuzz-recovery.ts). What every
// program's outputs wrote over the three runs must be what the same programs give on plain
// arrays with Spark Streaming's rules (dstream-fuzz-reference.ts, never Sluice's code): every
// batch time of every output present (no batch lost to a kill), every value right (states,
// windows with and without an inverse, joins recovered exactly), and a batch written twice
// (its output ran before the kill and again as a batch re-run after it, Spark's at-least-once
// output) written the same both times. Seeds are fixed; SLUICE_FUZZ_SEED=<n>
// SLUICE_FUZZ_PROGRAMS=<m> runs other ones.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { type Proc, startSluice, until } from './cli-process.js';
import { BATCH_MS, type StreamPrograms } from './fixtures/dstream-fuzz-ops.js';
import { fixture, mulberry32, processAlive, sleep, within } from './harness.js';
import { compareStreams, generateStreams } from './dstream-fuzz-reference.js';

const SEED = Number(process.env.SLUICE_FUZZ_SEED ?? 40261206);
const PROGRAMS = Number(process.env.SLUICE_FUZZ_PROGRAMS ?? 16);
const BATCHES = 12;

const rand = mulberry32(SEED);
const input: StreamPrograms = { batches: BATCHES, programs: Array.from({ length: PROGRAMS }, () => generateStreams(rand, BATCHES)) };
const pick = rand; // the kills drawn after the programs, from the same sequence
/** The batches during which the first and the second run are killed. */
const KILL_AT = [3 + Math.floor(pick() * 3), 7 + Math.floor(pick() * 3)];

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-dstream-fuzz-recovery-'));
const programFile = path.join(tmp, 'programs.json');
fs.writeFileSync(programFile, JSON.stringify(input));
const workDir = path.join(tmp, 'work');
fs.mkdirSync(workDir);

/** Every line the outputs wrote, in all runs, by output: [batch time, elements] each. */
const written = new Map<string, [number, unknown[]][]>();
let setupError: unknown;
const kills: string[] = [];

before(async () => {
  const runs: Proc[] = [];
  const workers: number[] = [];
  try {
    let from = 0;
    for (const [run, killAt] of [...KILL_AT, undefined].entries()) {
      // Run 0 holds batch killAt after its first output (the fixture's hold argument) until it is
      // killed, so the kill lands there however loaded the machine.
      const hold = run === 0 && killAt !== undefined ? [String(killAt)] : [];
      const proc = startSluice(['run', '--workers', '2', '--no-progress', '--log-level', 'error', fixture('dstream-fuzz-recovery.ts'), programFile, workDir, String(run), String(from), ...hold], process.env);
      runs.push(proc);
      if (killAt === undefined) {
        const code = await within(proc.exited, 180_000, 'the last run to end');
        assert.equal(code, 0, `the last run exits 0:\n${proc.stderr.slice(-3000)}`);
        assert.ok(proc.stdout.includes('END'), `the last run ran every batch:\n${proc.stdout.slice(-10).join('\n')}`);
        break;
      }
      await until(`run ${run} to begin batch ${killAt}`, 120_000, () => proc.stdout.includes(`B ${killAt}`) || proc.child.exitCode !== null, 20);
      assert.equal(proc.child.exitCode, null, `run ${run} ended before batch ${killAt}:\n${proc.stderr.slice(-3000)}`);
      let when: string;
      if (run === 0) {
        // Inside the batch's output operations: the first of its outputs has been written, so
        // the batch is pending in the checkpoint and must run again, whole.
        const outputs = path.join(workDir, `outputs-${run}.txt`);
        const inBatch = `[${killAt * BATCH_MS},`;
        await until(`an output of batch ${killAt} written`, 60_000, () => fs.existsSync(outputs) && fs.readFileSync(outputs, 'utf8').includes(inBatch), 5);
        when = 'after its first output was written';
      } else {
        // Anywhere in the batch: before its tick, while its jobs run, or after it completed.
        const delay = Math.floor(pick() * 5) * 100;
        await sleep(delay);
        when = `${delay} ms into it`;
      }
      workers.push(...execFileSync('pgrep', ['-P', String(proc.child.pid)], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number));
      proc.child.kill('SIGKILL');
      await proc.exited;
      kills.push(`run ${run} killed during batch ${killAt}, ${when}`);
      // The killed run's workers exit by themselves (their driver's pipe closed).
      await until('the killed run\'s workers to exit', 60_000, () => workers.every((p) => !processAlive(p)));
      from = killAt;
    }
    for (const f of fs.readdirSync(workDir).filter((n) => n.startsWith('outputs-'))) {
      for (const line of fs.readFileSync(path.join(workDir, f), 'utf8').split('\n')) {
        const m = /^(\S+) (.*)$/.exec(line);
        if (!m) continue;
        const got = written.get(m[1]) ?? [];
        got.push(JSON.parse(m[2]) as [number, unknown[]]);
        written.set(m[1], got);
      }
    }
  } catch (err) {
    setupError = err;
  } finally {
    for (const r of runs) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
    for (const p of workers) if (processAlive(p)) process.kill(p, 'SIGKILL');
  }
});

after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const bag = (xs: readonly unknown[]): string => JSON.stringify(xs.map((x) => JSON.stringify(x)).sort());

test(`${PROGRAMS} random checkpointed DStream programs (seed ${SEED}, ${BATCHES} batches), the driver killed -9 during batches ${KILL_AT.join(' and ')} and recovered each time, give at every batch what they give on plain arrays`, (t) => {
  if (setupError !== undefined) throw setupError;
  assert.equal(kills.length, 2, kills.join('; '));
  // A batch whose outputs ran before a kill and again after it (re-run): the same both times.
  const once = new Map<string, [number, unknown[]][]>();
  const twice: string[] = [];
  for (const [name, got] of written) {
    const byTime = new Map<number, unknown[]>();
    for (const [t, xs] of got) {
      const first = byTime.get(t);
      if (first === undefined) byTime.set(t, xs);
      else {
        twice.push(`${name}@${t / BATCH_MS}`);
        assert.equal(bag(xs), bag(first), `output ${name} at batch ${t / BATCH_MS} written twice, differently (${kills.join('; ')})`);
      }
    }
    once.set(name, [...byTime].sort((a, b) => a[0] - b[0]));
  }
  const failures = compareStreams(input, once);
  t.diagnostic(`${kills.join('; ')}; outputs written twice (run again after a kill): ${twice.length}`);
  assert.equal(failures.length, 0, `${kills.join('; ')}; batches written twice: ${twice.join(' ') || 'none'}\n${failures.join('\n\n')}`);
});
