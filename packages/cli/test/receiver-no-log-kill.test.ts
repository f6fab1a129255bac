// `sluice run` with a receiver and the write-ahead log off (the default), killed with -9 and
// run again from its checkpoint (user48's report: MQTT -> updateStateByKey -> Redis): the
// restarted run warned that the records of every batch the checkpoint remembered were lost,
// though the batches that had completed before the kill were only remembered (for a window or
// the remember duration) and their records were counted. Now the warning counts only the
// batches run again (pending at the kill, as Spark's JobGenerator.restart re-runs the pending
// ones), and the completed ones are said apart, naming the window that reads them.
// fixtures/stream-receiver-no-log-kill.ts: the receiver stores a known number of records, then
// none; the first run is killed once every record is in some submitted batch, the second run
// (another tag) stops when told. What was lost is computed here: the records the first run's
// receiver stored less those the recovered state counts.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { completeLines } from './complete-lines.js';
import { fixture, processAlive, within } from './harness.js';
import { type Proc, startSluice, until } from './cli-process.js';

const BATCH_MS = 300;
const TOTAL = 60;

type State = [string, number][];

/** The lines the fixture appended so far (polled while it appends: a line seen cut short waits for the next read). */
const lines = (file: string): string[] => completeLines(file);
const submitted = (out: string, tag: string): [number, number][] => lines(path.join(out, `submitted-${tag}`)).map((l) => l.split(' ').map(Number) as [number, number]);
const states = (out: string): number[] =>
  fs
    .readdirSync(out)
    .flatMap((f) => /^state-(\d+)\.json$/.exec(f)?.[1] ?? [])
    .map(Number)
    .sort((a, b) => a - b);
const countOf = (out: string, t: number, tag: string): number => (JSON.parse(fs.readFileSync(path.join(out, `state-${t}.json`), 'utf8')) as State).find(([k]) => k === tag)?.[1] ?? 0;
const logLine = (stderr: string, text: string): Record<string, unknown> | undefined => {
  const line = stderr.split('\n').find((l) => l.startsWith('{') && l.includes(text));
  return line === undefined ? undefined : (JSON.parse(line) as Record<string, unknown>);
};

async function killAndRestart(hold: boolean, window: boolean): Promise<{ lost: number; stderr: string; committed: number }> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-no-log-kill-'));
  const [ckpt, out, control] = ['ckpt', 'out', 'control'].map((d) => path.join(root, d));
  for (const d of [out, control]) fs.mkdirSync(d, { recursive: true });
  const args = (tag: string, holdArg: string): string[] => ['run', '--no-progress', '--log-level', 'warn', '--workers', '2', fixture('stream-receiver-no-log-kill.ts'), ckpt, out, control, String(BATCH_MS), tag, String(TOTAL), holdArg, window ? 'window' : 'none'];
  const runs: Proc[] = [];
  let workers: number[] = [];
  try {
    const first = startSluice(args('a', hold ? 'hold' : 'none'), process.env);
    runs.push(first);
    // Every stored record in some submitted batch, and 3 batches more (their metadata written).
    let allIn = -1;
    await until('every record of the first run in a submitted batch, and 3 batches after', 90_000, () => {
      const s = submitted(out, 'a');
      if (allIn < 0 && lines(path.join(out, 'stored-a')).length === TOTAL && s.reduce((n, [, r]) => n + r, 0) === TOTAL) allIn = s.length;
      return allIn >= 0 && s.length >= allIn + 3 && (hold || states(out).length >= allIn + 2);
    });
    const committed = hold ? Math.max(0, ...states(out).map((t) => countOf(out, t, 'a'))) : TOTAL;
    if (!hold) assert.equal(countOf(out, states(out).pop()!, 'a'), TOTAL, 'the first run counted every record before the kill');
    workers = execFileSync('pgrep', ['-P', String(first.child.pid)], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
    first.child.kill('SIGKILL');
    await first.exited;
    await until(`the killed run's workers (${workers.join(' ')}) to exit`, 60_000, () => workers.every((p) => !processAlive(p)));

    const before = new Set(states(out));
    const second = startSluice(args('b', 'none'), process.env);
    runs.push(second);
    await until('the second run counting its own records', 90_000, () => lines(path.join(out, 'stored-b')).length === TOTAL && states(out).some((t) => !before.has(t) && countOf(out, t, 'b') === TOTAL));
    fs.writeFileSync(path.join(control, 'stop'), '');
    const code = await within(second.exited, 60_000, 'the second run to stop');
    assert.equal(code, 0, `the second run recovered and stopped cleanly:\n${second.stderr.slice(-3000)}`);
    const final = countOf(out, states(out).pop()!, 'a');
    return { lost: TOTAL - final, stderr: second.stderr, committed };
  } finally {
    for (const r of runs) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
    for (const p of workers) if (processAlive(p)) process.kill(p, 'SIGKILL'); // orphans of a failed check
    fs.rmSync(root, { recursive: true, force: true, maxRetries: 5 });
  }
}

test('log off, killed with -9 while batches with records were pending, run again: the warning counts exactly their records; the completed batches a window remembers are said apart', { timeout: 240_000 }, async () => {
  const { lost, stderr, committed } = await killAndRestart(true, true);
  // What the first run committed (its last state output) is all the batches that completed
  // counted: every other stored record was in a batch pending at the kill, run again.
  const warned = logLine(stderr, 'are lost, and those batches run without them');
  assert.ok(warned, `a warning of the lost records:\n${stderr.slice(-3000)}`);
  assert.equal(warned.lostRecords, TOTAL - committed, `the warning counts the re-run batches' records (${TOTAL} stored, ${committed} committed): ${JSON.stringify(warned)}`);
  // The recovered state misses at most those (the held batch's state, checkpointed before the
  // kill, can keep its records: the state is read from that checkpoint, not recomputed).
  assert.ok(lost > 0 && lost <= TOTAL - committed, `records the recovered state lacks: ${lost}`);
  const done = logLine(stderr, 'batches that completed before the restart are restored without their received blocks');
  assert.ok(done, `the completed batches said apart:\n${stderr.slice(-3000)}`);
  assert.ok(Number(done.completedRecords) > 0 && Number(done.completedRecords) <= committed, `completed records, counted before the kill: ${JSON.stringify(done)}`);
  assert.match(String(done.msg), /are not lost/);
  assert.match(String(done.msg), /ReducedWindowedDStream \[\d+\] \(window 1200 ms\) reads this stream/, 'the window that reads them is named');
});

test('log off, killed with -9 once every batch with records had completed, run again: no warning of lost records, none lost', { timeout: 240_000 }, async () => {
  const { lost, stderr } = await killAndRestart(false, false);
  assert.equal(lost, 0, 'every record counted once');
  assert.equal(logLine(stderr, 'are lost, and those batches run without them'), undefined, `no lost-records warning:\n${stderr.slice(-3000)}`);
  assert.equal(logLine(stderr, 'batches that completed before the restart'), undefined, 'no warning about completed batches either (no window reads them; said at info)');
});
