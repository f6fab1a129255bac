// A damaged OLDER state checkpoint under a window over a stateful stream, through a driver killed
// -9 and started again from its checkpoint (restart-window-state.test is the neighbour: the same
// kind of program, nothing damaged). Since 77413a8b each metadata checkpoint lists the older state
// checkpoints a stream remembers (rememberedStateCheckpoints) and the restarted driver reads them
// back; the damage check before recovery read the latest ones only. Falling back to an older
// metadata file cannot help: the three kept all list the same older checkpoints (a window of 5
// remembers 5 and they span two batches). Nor can the state be computed again: its input batch
// is gone with the killed driver. Spark's CheckpointReader.read takes the newest metadata file
// that deserializes and a damaged RDD checkpoint file fails its job when a task reads it.
// One killed run, then three restarts from copies of its directory, a part file flipped between:
// - the oldest older checkpoint, which no batch after the restart reads: the run goes on and
//   loses nothing (a warning names it);
// - one the first re-run batch's window reads: the restart fails before any batch runs its
//   outputs, the error naming the stream, the time, the file and what to do (before, the window's
//   tasks failed 4 times each in a batch after outputs had run, and the error's advice to move
//   the state's directory away would not have started the stream afresh);
// - that part put back as it was, and run again: nothing of the failed restart is lost.
// Expected values come from dstream-fuzz-reference (plain arrays, Spark's rules), never Sluice.
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
import { newestMetadata } from './recovery-support.js';

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
  ],
};

const WINDOW_MS = 5 * BATCH_MS;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-restart-window-state-damage-'));
const programFile = path.join(tmp, 'programs.json');
fs.writeFileSync(programFile, JSON.stringify(input));
const killed = path.join(tmp, 'killed');
fs.mkdirSync(killed);

type Ref = { time: number; dir: string; numPartitions: number };
type Metadata = { batchTime: number; nextBatchTime: number; pendingRuns: [number, number][]; stateCheckpoints: Record<string, Ref>; rememberedStateCheckpoints?: Record<string, Ref[]> };

/** Flip 4 bytes in the middle of `file`; returns what it held. */
function flip(file: string): Buffer {
  const was = fs.readFileSync(file);
  const buf = Buffer.from(was);
  for (let i = buf.length >> 1; i < (buf.length >> 1) + 4; i++) buf[i] ^= 0xff;
  fs.writeFileSync(file, buf);
  return was;
}

/** The outputs written in `workDir` by the runs given, a batch run again taking its later writing. */
function outputsOf(workDir: string, runs: string[]): Map<string, [number, unknown[]][]> {
  const written = new Map<string, [number, unknown[]][]>();
  for (const run of runs) {
    const f = path.join(workDir, `outputs-${run}.txt`);
    if (!fs.existsSync(f)) continue;
    for (const line of fs.readFileSync(f, 'utf8').split('\n')) {
      const m = /^(\S+) (.*)$/.exec(line);
      if (!m) continue;
      const [t, xs] = JSON.parse(m[2]) as [number, unknown[]];
      const got = written.get(m[1]) ?? [];
      const i = got.findIndex(([u]) => u === t);
      if (i >= 0) got[i] = [t, xs];
      else got.push([t, xs]);
      written.set(m[1], got);
    }
  }
  for (const got of written.values()) got.sort((a, b) => a[0] - b[0]);
  return written;
}

interface Restart {
  code: number | null;
  stderr: string;
}
const runs: Proc[] = [];

function restart(workDir: string, run: string): Promise<Restart> {
  const p = startSluice(['run', '--workers', '2', '--no-progress', '--log-level', 'warn', fixture('dstream-fuzz-recovery.ts'), programFile, workDir, run, String(KILL_AT)], process.env);
  runs.push(p);
  return within(p.exited, 180_000, `restart ${run} to end`).then((code) => ({ code, stderr: p.stderr }));
}

let setupError: unknown;
/** The newest metadata file of the killed run. */
let md: Metadata | undefined;

before(async () => {
  let workers: number[] = [];
  try {
    const first = startSluice(['run', '--workers', '2', '--no-progress', '--log-level', 'error', fixture('dstream-fuzz-recovery.ts'), programFile, killed, '0', '0', String(KILL_AT)], process.env);
    runs.push(first);
    // The run holds batch KILL_AT after its first output (the fixture's hold argument) until killed.
    const outputs = path.join(killed, 'outputs-0.txt');
    await until(`an output of batch ${KILL_AT} written`, 120_000, () => first.child.exitCode !== null || (fs.existsSync(outputs) && fs.readFileSync(outputs, 'utf8').includes(`[${KILL_AT * BATCH_MS},`)), 5);
    assert.equal(first.child.exitCode, null, `the first run ended before batch ${KILL_AT}:\n${first.stderr.slice(-3000)}`);
    workers = execFileSync('pgrep', ['-P', String(first.child.pid)], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
    first.child.kill('SIGKILL');
    await first.exited;
    // Held: no output of a later batch was written before the kill.
    assert.ok(!fs.readFileSync(outputs, 'utf8').includes(`[${(KILL_AT + 1) * BATCH_MS},`), `the first run went past batch ${KILL_AT} before its kill`);
    await until("the killed run's workers to exit", 60_000, () => workers.every((p) => !processAlive(p)));
    md = newestMetadata<Metadata>(path.join(killed, 'checkpoints', 'metadata')) ?? assert.fail(`no metadata file in ${killed}/checkpoints/metadata`);
  } catch (err) {
    setupError = err;
  } finally {
    for (const p of workers) if (processAlive(p)) process.kill(p, 'SIGKILL');
  }
});

after(() => {
  for (const r of runs) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** A copy of the killed run's directory to restart from, and the older state checkpoints its newest metadata file lists. */
function copyOfKilled(name: string): { dir: string; older: Ref[]; firstBatch: number } {
  if (setupError !== undefined) throw setupError;
  const dir = path.join(tmp, name);
  fs.cpSync(killed, dir, { recursive: true });
  const older = Object.values(md!.rememberedStateCheckpoints ?? {}).flat().sort((a, b) => a.time - b.time);
  assert.ok(older.length >= 2, `the newest metadata file lists older state checkpoints: ${JSON.stringify(md)}`);
  // The first batch the restart runs: the oldest generated and not completed, else the next.
  const firstBatch = md!.pendingRuns.length > 0 ? Math.min(...md!.pendingRuns.map(([t]) => t)) : md!.nextBatchTime;
  return { dir, older, firstBatch };
}

test('an older state checkpoint no window reads after the restart, damaged: the stream goes on and loses nothing', async () => {
  const { dir, older, firstBatch } = copyOfKilled('unread');
  const oldest = older[0]!;
  // The window of the first batch run covers (firstBatch - WINDOW_MS, firstBatch]: the oldest is before it.
  assert.ok(oldest.time <= firstBatch - WINDOW_MS, `the oldest older checkpoint (${oldest.time} ms) is outside the first re-run batch's window (${firstBatch} ms)`);
  flip(path.join(dir, 'checkpoints', oldest.dir, 'part-0'));
  const r = await restart(dir, '1');
  assert.equal(r.code, 0, `the restart exits 0:\n${r.stderr.slice(-3000)}`);
  const warned = r.stderr.split('\n').filter((l) => l.includes('an older state checkpoint a window remembers is damaged'));
  assert.equal(warned.length, 1, `one warning:\n${r.stderr.slice(-3000)}`);
  assert.ok(warned[0]!.includes(`${oldest.dir}'): part-0 is damaged (changed after it was written`), `the warning names the damaged part: ${warned[0]}`);
  const failures = compareStreams(input, outputsOf(dir, ['0', '1']));
  assert.equal(failures.length, 0, failures.join('\n\n'));
});

test("an older state checkpoint the first re-run batch's window reads, damaged: the restart fails before any output, naming it and what to do; put back, nothing is lost", async () => {
  const { dir, older, firstBatch } = copyOfKilled('read');
  const read = older.at(-1)!;
  assert.ok(read.time > firstBatch - WINDOW_MS, `the newest older checkpoint (${read.time} ms) is inside the first re-run batch's window (${firstBatch} ms)`);
  const part = path.join(dir, 'checkpoints', read.dir, 'part-0');
  const was = flip(part);
  const failed = await restart(dir, '2');
  assert.equal(failed.code, 1, `the restart fails:\n${failed.stderr.slice(-3000)}`);
  const said = `[SLUICE_CHECKPOINT]: stream ${Object.keys(md!.stateCheckpoints)[0]}'s state at ${read.time} ms cannot be read back: the state checkpoint of stream`;
  assert.ok(failed.stderr.includes(said), `the error names the stream and time:\n${failed.stderr.slice(-3000)}`);
  assert.ok(failed.stderr.includes(`${read.dir}'): part-0 is damaged (changed after it was written`), 'the error names the part and what is wrong with it');
  assert.ok(failed.stderr.includes(`Put the checkpoint '${path.join(dir, 'checkpoints', read.dir)}' back from a backup`), 'the error says what to do');
  assert.ok(failed.stderr.includes(`move or delete the checkpoint directory '${path.join(dir, 'checkpoints')}'`), 'and how to start afresh');
  const outputs = path.join(dir, 'outputs-2.txt');
  assert.equal(fs.existsSync(outputs) ? fs.readFileSync(outputs, 'utf8') : '', '', 'no batch ran its outputs in the failed restart');
  fs.writeFileSync(part, was);
  const again = await restart(dir, '3');
  assert.equal(again.code, 0, `the restart with the part put back exits 0:\n${again.stderr.slice(-3000)}`);
  const failures = compareStreams(input, outputsOf(dir, ['0', '3']));
  assert.equal(failures.length, 0, failures.join('\n\n'));
});
