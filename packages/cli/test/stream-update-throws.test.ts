// An update function that throws inside a stateful stream, through the CLI (`sluice run`: a
// driver and worker processes), as Spark: the task is retried (4 attempts), the job fails,
// and the error reaches awaitTermination and the terminal naming the batch time, the output
// operation and the function's own error with its file:line. The state is not corrupted by
// the partitions that succeeded, and a run of the fixed code from the checkpoint re-runs the
// failed batch and goes on: nothing lost, nothing twice.
// fixtures/stream-update-throws.ts: updateStateByKey (running sums) over a directory; mode v1
// throws on a negative value, v2 (the fix) counts its magnitude. Expected sums computed here.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fixture, pollUntil, runCli, type CliResult } from './harness.js';

const BATCH_MS = 500;

type State = [string, number][];

/** The running sums after `files` (v2's rule: a value counts as its magnitude), sorted by key. */
function sums(files: readonly string[][]): State {
  const m = new Map<string, number>();
  for (const lines of files) {
    for (const l of lines) {
      const [k, v] = l.split(' ');
      m.set(k, (m.get(k) ?? 0) + Math.abs(Number(v)));
    }
  }
  return [...m].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

function lineOf(file: string, text: string): number {
  return fs.readFileSync(file, 'utf8').split('\n').findIndex((l) => l.includes(text)) + 1;
}

test('an update function throwing on some keys of one batch: the job fails naming the batch and the error; the fixed code recovers from the checkpoint and goes on, nothing lost or twice', { timeout: 180_000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-test-update-throws-'));
  const [ckpt, input, out, control] = ['ckpt', 'in', 'out', 'control'].map((d) => path.join(dir, d));
  for (const d of [input, out, control]) fs.mkdirSync(d, { recursive: true });
  const files: string[][] = [];
  let n = 0;
  const put = (lines: string[]): void => {
    const tmp = path.join(dir, `.f${n}`);
    fs.writeFileSync(tmp, lines.join('\n') + '\n');
    fs.renameSync(tmp, path.join(input, `f${n++}.txt`));
    files.push(lines);
  };
  /** The newest state file's time and content. */
  const newestState = (): { time: number; state: State } | undefined => {
    const times = fs.readdirSync(out).flatMap((f) => /^state-(\d+)\.json$/.exec(f)?.[1] ?? []).map(Number).sort((a, b) => a - b);
    const t = times[times.length - 1];
    return t === undefined ? undefined : { time: t, state: JSON.parse(fs.readFileSync(path.join(out, `state-${t}.json`), 'utf8')) as State };
  };
  const stateIs = async (want: State, what: string): Promise<void> => {
    await pollUntil(() => (JSON.stringify(newestState()?.state) === JSON.stringify(want) ? true : undefined), 60_000, what);
  };
  const run = (mode: string): Promise<CliResult> => runCli(['run', '--workers', '2', fixture('stream-update-throws.ts'), ckpt, input, out, control, String(BATCH_MS), mode], { timeoutMs: 90_000 });
  try {
    // v1: two good files, then one with negative values on two of its keys.
    const first = run('v1');
    await pollUntil(() => newestState(), 60_000, 'the first batch of v1');
    const good = Array.from({ length: 12 }, (_, i) => `k${i % 6} ${i + 1}`);
    put(good.slice(0, 6));
    await stateIs(sums(files), 'the state after the first file');
    put(good.slice(6));
    await stateIs(sums(files), 'the state after the second file');
    const beforeBad = sums(files);
    put(['k0 3', 'k1 -4', 'k2 5', 'k3 -2', 'k9 7']);
    const r1 = await first;
    assert.equal(r1.timedOut, false, 'v1 ended by itself');
    assert.notEqual(r1.code, 0, `v1 failed:\n${r1.stderr.slice(-2000)}`);
    // The terminal says which batch and output operation failed, the function's error and where.
    const m = /a running sum takes no negative value, got -[42]\nin the streaming batch of (\d+) ms \(([^)]+)\), output operation (\d+) \(([^)]*)\)\n/.exec(r1.stderr);
    assert.ok(m, `the failure names the batch and output operation:\n${r1.stderr.slice(-2000)}`);
    const failedBatch = Number(m[1]);
    t.diagnostic(`v1: ${r1.stderr.split('\n').filter((l) => l.includes('failed [') || l.startsWith('in the streaming batch')).join(' / ')}`);
    assert.equal(m[2], new Date(failedBatch).toISOString());
    assert.equal(m[3], '1', 'the second output operation (the state\'s foreachRDD) failed');
    assert.match(m[4], /^foreachRDD at \S*stream-update-throws\.ts:\d+:\d+$/, 'named as Spark names it: the operation and where the program called it');
    assert.match(r1.stderr, /\[SLUICE_TASK_FAILED\]: Job aborted due to stage failure: Task \d+ in stage \d+\.\d+ failed 4 times/, 'retried as Spark (spark.task.maxFailures 4), then failed');
    assert.match(r1.stderr, new RegExp(`stream-update-throws\\.ts:${lineOf(fixture('stream-update-throws.ts'), 'takes no negative value')}:`), 'the stack points at the function\'s line');
    assert.equal((r1.stdout + r1.stderr).match(/a running sum takes no negative value/g)?.length, 1, 'reported once');
    // No state output for the failed batch or after it; the last one is the state before it.
    const last = newestState()!;
    assert.ok(last.time < failedBatch, `no state written for the failed batch ${failedBatch} or later (newest ${last.time})`);
    assert.deepEqual(last.state, beforeBad, 'the state is the one before the failed batch');
    assert.ok(fs.existsSync(path.join(out, `input-${failedBatch}.json`)), 'the failed batch read the bad file (its first output ran)');

    // v2 (fixed) from the checkpoint: the failed batch runs again with the same file, then new ones.
    const inputOfFailed = path.join(out, `input-${failedBatch}.json`);
    fs.utimesSync(inputOfFailed, new Date(0), new Date(0));
    const second = run('v2');
    await stateIs(sums(files), 'the state with the failed batch\'s file, counted once by the fixed code');
    assert.ok(fs.statSync(inputOfFailed).mtimeMs > 0, `the failed batch (${failedBatch}) ran again, at its own time`);
    const rerun = JSON.parse(fs.readFileSync(inputOfFailed, 'utf8')) as string[];
    assert.deepEqual(rerun, [...files[2]].sort(), 'the failed batch ran again with exactly its input');
    put(['k0 10', 'k5 -1', 'k7 2']);
    await stateIs(sums(files), 'the state after a file given to the fixed code');
    fs.writeFileSync(path.join(control, 'stop'), '');
    const r2 = await second;
    assert.equal(r2.code, 0, `the fixed code ran and stopped cleanly:\n${r2.stderr.slice(-2000)}`);
    assert.deepEqual(newestState()!.state, sums(files));
    // Each file read by exactly one batch across both runs.
    const reads = fs.readdirSync(out).filter((f) => f.startsWith('input-')).flatMap((f) => JSON.parse(fs.readFileSync(path.join(out, f), 'utf8')) as string[]);
    assert.deepEqual(reads.sort(), files.flat().sort(), 'every line read once');
  } finally {
    fs.writeFileSync(path.join(control, 'stop'), '');
    fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
  }
});
