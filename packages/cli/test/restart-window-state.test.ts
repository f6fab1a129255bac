// A window over a stateful stream whose state is checkpointed every batch, through a driver
// killed -9 and started again from its checkpoint (StreamingContext.getOrCreate): the window at
// the first batches after the restart holds state RDDs of batches before it, which the new
// driver has not computed. Spark restores every checkpointed RDD the streams remembered at the
// checkpoint (DStreamCheckpointData.restore) and reads them from their files; the window's values
// must be those of the uninterrupted stream. The programs are dstream-fuzz's (fixture
// dstream-fuzz-recovery.ts: replayable inputs, outputs appended to a file as they run); the
// expected values come from dstream-fuzz-reference (plain arrays, Spark's rules), never from
// Sluice. One kill, inside batch KILL_AT's outputs (one written, the batch then run again); before the
// fix both windows were wrong at batch KILL_AT (the state recomputed without input batches the
// restarted driver no longer had).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { type Proc, startSluice, until } from './cli-process.js';
import { BATCH_MS, type StreamPrograms } from './fixtures/dstream-fuzz-ops.js';
import { fixture, processAlive, within } from './harness.js';
import { compareStreams } from './dstream-fuzz-reference.js';

const BATCHES = 12;
const KILL_AT = 10;
const batches = Array.from({ length: BATCHES }, (_, i) => Array.from({ length: 6 }, (_, j) => (i * 13 + j * 5) % 29));
const input: StreamPrograms = {
  batches: BATCHES,
  programs: [
    // updateStateByKey, its state checkpointed every batch; a window of 5 over it.
    {
      nodes: [{ op: 'input', batches }, { op: 'pair', src: 0, m: 4 }, { op: 'updateStateByKey', src: 1, checkpointEvery: 1 }, { op: 'window', src: 2, w: 5, s: 1 }],
      outputs: [2, 3],
    },
    // mapWithState's snapshots, checkpointed every batch (a timeout no key reaches); a window of 4.
    {
      nodes: [{ op: 'input', batches }, { op: 'pair', src: 0, m: 5 }, { op: 'mapWithState', src: 1, d: 1_000_003, snapshots: true, timeout: 50, checkpointEvery: 1 }, { op: 'window', src: 2, w: 4, s: 1 }],
      outputs: [2, 3],
    },
  ],
};

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-restart-window-state-'));
const programFile = path.join(tmp, 'programs.json');
fs.writeFileSync(programFile, JSON.stringify(input));
const workDir = path.join(tmp, 'work');
fs.mkdirSync(workDir);

const written = new Map<string, [number, unknown[]][]>();
let setupError: unknown;
/** After each run: every state checkpoint a kept metadata file lists that is not on disk, and how many older ones they list. */
const checkpointsListed: { missing: string[]; older: number }[] = [];

/**
 * The kept metadata files (checkpoints/metadata/checkpoint-<seq>: a header line, then JSON) read
 * here by hand: each state checkpoint they list, the latest and the older ones a window remembers,
 * must still have its part files, since a recovery may start from any kept file.
 */
function listedCheckpoints(): { missing: string[]; older: number } {
  const dir = path.join(workDir, 'checkpoints');
  const missing: string[] = [];
  let older = 0;
  for (const f of fs.readdirSync(path.join(dir, 'metadata')).filter((n) => /^checkpoint-\d{12}$/.test(n))) {
    const text = fs.readFileSync(path.join(dir, 'metadata', f), 'utf8');
    type Ref = { dir: string; numPartitions: number };
    const md = JSON.parse(text.slice(text.indexOf('\n') + 1)) as { stateCheckpoints: Record<string, Ref>; rememberedStateCheckpoints?: Record<string, Ref[]> };
    const refs = [...Object.values(md.stateCheckpoints), ...Object.values(md.rememberedStateCheckpoints ?? {}).flat()];
    older += refs.length - Object.keys(md.stateCheckpoints).length;
    for (const r of refs) for (let i = 0; i < r.numPartitions; i++) if (!fs.existsSync(path.join(dir, r.dir, `part-${i}`))) missing.push(`${f}: ${r.dir}/part-${i}`);
  }
  return { missing, older };
}

before(async () => {
  const runs: Proc[] = [];
  let workers: number[] = [];
  try {
    const first = startSluice(['run', '--workers', '2', '--no-progress', '--log-level', 'error', fixture('dstream-fuzz-recovery.ts'), programFile, workDir, '0', '0', String(KILL_AT)], process.env);
    runs.push(first);
    // The run holds batch KILL_AT after its first output (the fixture's hold argument) until killed.
    const outputs = path.join(workDir, 'outputs-0.txt');
    await until(`an output of batch ${KILL_AT} written`, 120_000, () => first.child.exitCode !== null || (fs.existsSync(outputs) && fs.readFileSync(outputs, 'utf8').includes(`[${KILL_AT * BATCH_MS},`)), 5);
    assert.equal(first.child.exitCode, null, `the first run ended before batch ${KILL_AT}:\n${first.stderr.slice(-3000)}`);
    workers = execFileSync('pgrep', ['-P', String(first.child.pid)], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
    first.child.kill('SIGKILL');
    await first.exited;
    // Held: no output of a later batch was written before the kill.
    assert.ok(!fs.readFileSync(outputs, 'utf8').includes(`[${(KILL_AT + 1) * BATCH_MS},`), `the first run went past batch ${KILL_AT} before its kill`);
    await until("the killed run's workers to exit", 60_000, () => workers.every((p) => !processAlive(p)));
    checkpointsListed.push(listedCheckpoints());
    const second = startSluice(['run', '--workers', '2', '--no-progress', '--log-level', 'error', fixture('dstream-fuzz-recovery.ts'), programFile, workDir, '1', String(KILL_AT)], process.env);
    runs.push(second);
    const code = await within(second.exited, 180_000, 'the second run to end');
    assert.equal(code, 0, `the second run exits 0:\n${second.stderr.slice(-3000)}`);
    checkpointsListed.push(listedCheckpoints());
    for (const f of fs.readdirSync(workDir).filter((n) => n.startsWith('outputs-'))) {
      for (const line of fs.readFileSync(path.join(workDir, f), 'utf8').split('\n')) {
        const m = /^(\S+) (.*)$/.exec(line);
        if (!m) continue;
        const [t, xs] = JSON.parse(m[2]) as [number, unknown[]];
        const got = written.get(m[1]) ?? [];
        // A batch run again after the kill: its later writing stands (the check below sees both agree when both exist).
        const i = got.findIndex(([u]) => u === t);
        if (i >= 0) got[i] = [t, xs];
        else got.push([t, xs]);
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

test(`a window over state checkpointed every batch gives, after the driver is killed -9 in batch ${KILL_AT} and recovered, what it gives on plain arrays`, () => {
  if (setupError !== undefined) throw setupError;
  for (const got of written.values()) got.sort((a, b) => a[0] - b[0]);
  const failures = compareStreams(input, written);
  assert.equal(failures.length, 0, failures.join('\n\n'));
});

test('every state checkpoint a kept metadata file lists, older ones a window remembers included, is still there after each run', () => {
  if (setupError !== undefined) throw setupError;
  assert.equal(checkpointsListed.length, 2);
  for (const [run, { missing, older }] of checkpointsListed.entries()) {
    assert.ok(older > 0, `run ${run}: the kept metadata files list older state checkpoints (a window remembers them)`);
    assert.deepEqual(missing, [], `run ${run}: state checkpoints listed and gone`);
  }
});
