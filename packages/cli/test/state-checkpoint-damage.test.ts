// A damaged state checkpoint at recovery (faults32): a byte of the newest metadata
// checkpoint's state checkpoint changed after it was written (a disk or a copy gone wrong;
// the store's writes are atomic, so no crash leaves one). fixtures/recovery-job.ts (a file
// stream, updateStateByKey, reduceByKeyAndWindow with an inverse and mapWithState,
// state checkpointed every batch) under `sluice run`, stopped gracefully, its largest state part
// changed in the middle, run again: the recovery passes over that metadata checkpoint for the
// one before it (logged, naming the part; it refers to the batch before's state checkpoint,
// still kept), re-runs the batches since, and every line is read
// once with every state, window and mapWithState output equal to the failure-free
// computation here. Before, the part was deserialized as it was: a changed byte of a
// record's text went into the state unseen (or the job failed 4 attempts later with
// "Unable to deserialize cloned data"). Then every state part truncated: the run fails
// before any batch, naming each metadata checkpoint's damaged part and how to start afresh.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { startSluice, until } from './cli-process.js';
import { mulberry32, sleep, within } from './harness.js';
import { Feeder, RECOVERY_JOB, assertRecoveredExactly, jobArgs, jobDirs, readEvents, readOutputs } from './recovery-support.js';

const BATCH_MS = 1000;

interface StateRef {
  readonly dir: string;
  readonly numPartitions: number;
}

/** The state checkpoints a metadata file refers to (its body is JSON after a header line). */
function stateRefs(file: string): StateRef[] {
  const data = fs.readFileSync(file, 'utf8');
  return Object.values((JSON.parse(data.slice(data.indexOf('\n') + 1)) as { stateCheckpoints: Record<string, StateRef> }).stateCheckpoints);
}

function metadataFiles(ckpt: string): string[] {
  const dir = path.join(ckpt, 'metadata');
  return fs.readdirSync(dir).filter((n) => /^checkpoint-\d{12}$/.test(n)).sort().reverse().map((n) => path.join(dir, n));
}

test('a state checkpoint changed after it was written: recovery uses the metadata checkpoint before it, every line once, every state exact; every one damaged: a clear error before any batch', { timeout: 600_000 }, async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-state-damage-'));
  const dirs = jobDirs(root);
  const args = ['run', '--no-progress', '--log-level', 'warn', '--workers', '2', RECOVERY_JOB, ...jobArgs(dirs, BATCH_MS, 1, 'base')];
  const feeder = new Feeder(dirs.input, mulberry32(32), 4);
  const firstOf = (): string[] => fs.readdirSync(dirs.out).filter((n) => n.startsWith('first-'));
  const linesRead = (): number => new Set([...readOutputs(dirs.out).input.values()].flat()).size;
  const runs: ReturnType<typeof startSluice>[] = [];
  const runUntilFed = async (n: number, files: number): Promise<void> => {
    const run = startSluice(args, process.env);
    runs.push(run);
    const alive = (): true => {
      if (run.child.exitCode !== null) throw new Error(`run ${n} exited ${run.child.exitCode}:\n${run.stderr.slice(-3000)}`);
      return true;
    };
    await until(`run ${n}'s first batch`, 90_000, () => alive() && firstOf().length === n);
    for (let i = 0; i < files; i++) {
      feeder.file();
      await sleep(BATCH_MS / 2);
    }
    await until(`run ${n} to read every fed line`, 90_000, () => alive() && linesRead() >= feeder.lines.length);
    fs.writeFileSync(path.join(dirs.control, 'stop'), '');
    const code = await within(run.exited, 180_000, `run ${n} to stop`);
    fs.rmSync(path.join(dirs.control, 'stop'));
    assert.equal(code, 0, `run ${n} exits 0:\n${run.stderr.slice(-3000)}`);
  };
  try {
    await runUntilFed(1, 8);

    // A state part of the newest metadata checkpoint that the one before it does not refer to
    // (state is checkpointed every batch: the last batch's completion refers to its own), one
    // byte of its records changed.
    const [newest, before] = metadataFiles(dirs.ckpt);
    const older = new Set(stateRefs(before).map((r) => r.dir));
    const parts = stateRefs(newest)
      .filter((r) => !older.has(r.dir))
      .flatMap((r) => Array.from({ length: r.numPartitions }, (_, i) => path.join(dirs.ckpt, r.dir, `part-${i}`)));
    assert.ok(parts.length > 0, `${newest} refers to a state checkpoint ${before} does not: ${JSON.stringify([stateRefs(newest), stateRefs(before)])}`);
    // The byte changed is a key's digit (k3 becomes k2): read as it is, the state would hold
    // a wrong key (a changed byte elsewhere, a time or padding, may change nothing seen).
    const keyAt = (b: Buffer): number => b.subarray(16).findIndex((x, i, a) => x === 0x6b && i + 1 < a.length && a[i + 1] >= 0x30 && a[i + 1] <= 0x35) + 17;
    // updateStateByKey's (the lowest stream id): a running sum never times out, so a wrong key stays seen.
    const streamOf = (p: string): number => Number(/stream-(\d+)-/.exec(p)?.[1]);
    const victim = parts.sort((a, b) => streamOf(a) - streamOf(b) || fs.statSync(b).size - fs.statSync(a).size).find((p) => keyAt(fs.readFileSync(p)) > 16);
    assert.ok(victim !== undefined, `a state part holding a key k0-k5: ${parts.join(' ')}`);
    const bytes = fs.readFileSync(victim);
    bytes[keyAt(bytes)] ^= 0x01;
    fs.writeFileSync(victim, bytes);

    await runUntilFed(2, 6);
    assertRecoveredExactly(dirs.out, feeder.lines, BATCH_MS, 1);
    const warned = runs[1].stderr.split('\n').find((l) => l.includes('metadata checkpoint is damaged') && l.includes(path.basename(newest)));
    assert.ok(warned, `the passed-over metadata checkpoint is logged:\n${runs[1].stderr.slice(-3000)}`);
    assert.ok(warned.includes(`'${path.dirname(victim)}'`) && warned.includes(`${path.basename(victim)} is damaged (changed after it was written`), warned);

    // Every state part of every kept metadata checkpoint truncated: nothing to recover from.
    const kept = metadataFiles(dirs.ckpt);
    for (const f of kept) {
      for (const r of stateRefs(f)) {
        for (let i = 0; i < r.numPartitions; i++) {
          const p = path.join(dirs.ckpt, r.dir, `part-${i}`);
          fs.truncateSync(p, Math.floor(fs.statSync(p).size / 2));
        }
      }
    }
    const events = readEvents(dirs.out).length;
    const third = startSluice(args, process.env);
    runs.push(third);
    const code = await within(third.exited, 90_000, 'run 3 to fail');
    assert.notEqual(code, 0);
    const err = third.stderr;
    assert.match(err, /SLUICE_CHECKPOINT/);
    assert.match(err, /no usable metadata checkpoint in '[^']*ckpt\/metadata'/);
    for (const f of kept) assert.match(err, new RegExp(`${path.basename(f)} \\(the state checkpoint of stream \\d+ at \\d+ ms \\('[^']+'\\): part-\\d+ is damaged \\(truncated`), `${path.basename(f)} is named`);
    assert.match(err, /move or delete the checkpoint directory '[^']*ckpt'/);
    assert.equal(readEvents(dirs.out).length, events, 'no batch ran');
  } finally {
    for (const r of runs) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
    fs.rmSync(root, { recursive: true, force: true });
  }
});
