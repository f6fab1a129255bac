// Stage progress on a terminal, as Spark's console progress bar: `sluice run` and
// `sluice submit` draw `[Stage N:===>   (done + running) / tasks]` on stderr when it is a
// terminal (a pseudo-terminal from util-linux `script` here), redrawn in place with \r and
// erased before output lines and at the end; nothing of it when stderr is a pipe; and
// `sluice jobs` shows a running batch job's stages. Expected counts come from the job's
// arguments (its partitions) and the cluster's cores.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { LocalCluster } from '../src/local-cluster.js';
import { createRootLogger } from '../src/logger.js';
import { ConsoleProgressBar, describeStages, renderProgressBar, type StageProgressView } from '../src/stage-progress.js';
import { CLI_BIN, REPO_DIR, fixture, runCli, sleep, startJob, within } from './harness.js';

const stage = (id: number, done: number, running: number, total: number, ageMs = 1000): StageProgressView => ({
  stage_id: id,
  completed_tasks: done,
  running_tasks: running,
  num_tasks: total,
  submitted_ms_ago: ageMs,
});

describe('rendering', () => {
  test("one stage: header, '=' for the done share of the free width, '>' then spaces, (done + running) / tasks", () => {
    const bar = renderProgressBar([stage(3, 42, 4, 100)], 80);
    const header = '[Stage 3:';
    const tail = '(42 + 4) / 100]';
    const free = 80 - header.length - tail.length;
    const done = Math.floor((free * 42) / 100);
    assert.equal(bar, header + '='.repeat(done) + '>' + ' '.repeat(free - done - 1) + tail);
    assert.equal(bar.length, 80);
    // All done: no '>' is left inside the bar.
    assert.equal(renderProgressBar([stage(1, 8, 0, 8)], 40), '[Stage 1:' + '='.repeat(40 - 9 - 12) + '(8 + 0) / 8]');
  });

  test('two stages share the width; too narrow a share draws no bar; none draws nothing', () => {
    // Each stage gets 50 columns: 9 of header, 13 of tail, 28 of bar (done 0/10 and 5/10 of it).
    const bar = renderProgressBar([stage(1, 0, 2, 10), stage(2, 5, 1, 10)], 100);
    assert.equal(bar.length, 100);
    assert.match(bar, /^\[Stage 1:> {27}\(0 \+ 2\) \/ 10\]\[Stage 2:={14}> {13}\(5 \+ 1\) \/ 10\]$/);
    assert.equal(renderProgressBar([stage(7, 1, 1, 2)], 20), '[Stage 7:(1 + 1) / 2]');
    assert.equal(renderProgressBar([], 80), '');
    assert.equal(describeStages([stage(3, 42, 4, 100), stage(4, 0, 0, 5)]), 'stage 3 (42 + 4) / 100; stage 4 (0 + 0) / 5');
    assert.equal(describeStages([]), '-');
  });

  test('the bar redraws in place only on change, shows stages older than 500 ms, pads a shorter bar, and is erased by clear() and stop()', async () => {
    const writes: string[] = [];
    const term = { write: (t: string) => writes.push(t), isTTY: true, columns: 61 };
    const script: StageProgressView[][] = [
      [stage(0, 0, 2, 4, 100)], // too young: nothing drawn
      [stage(0, 1, 2, 4, 600)],
      [stage(0, 1, 2, 4, 800)], // the same figures: not drawn again
      [stage(0, 1, 2, 4, 800), stage(1, 0, 1, 3, 700)],
      [stage(1, 2, 1, 3, 900)],
      [],
    ];
    let calls = 0;
    let drained!: () => void;
    const allAsked = new Promise<void>((r) => (drained = r));
    const bar = new ConsoleProgressBar(term, () => {
      const s = script[Math.min(calls, script.length - 1)];
      if (++calls === script.length + 1) drained();
      return s;
    }, { intervalMs: 5 });
    bar.start();
    await within(allAsked, 60_000, 'the bar to poll its source');
    bar.stop();
    const w = 60;
    const one = renderProgressBar([stage(0, 1, 2, 4)], w);
    const two = renderProgressBar([stage(0, 1, 2, 4), stage(1, 0, 1, 3)], w);
    const last = renderProgressBar([stage(1, 2, 1, 3)], w);
    const erase = `\r${' '.repeat(w)}\r`;
    assert.deepEqual(writes, [`\r${one}`, `\r${two}`, `\r${last}${' '.repeat(two.length - last.length)}`, erase]);
    // Erased once: stop() after the bar is gone writes nothing more.
    bar.stop();
    bar.clear();
    assert.equal(writes.length, 4);
  });
});

/** What a terminal shows after `text`: each line with \r returning to its first column. */
function screen(text: string): string[] {
  return text.split('\n').map((line) => {
    let row: string[] = [];
    let col = 0;
    for (const ch of line) {
      if (ch === '\r') col = 0;
      else row[col++] = ch;
    }
    row = row.map((c) => c ?? ' ');
    return row.join('').trimEnd();
  });
}

interface Frame {
  readonly stage: number;
  readonly done: number;
  readonly running: number;
  readonly total: number;
  readonly text: string;
}

/** Every bar drawn (the text between carriage returns that is a bar). */
function frames(text: string): Frame[] {
  const out: Frame[] = [];
  for (const part of text.split(/\r|\n/)) {
    const m = /^\[Stage (\d+):[=> ]*\((\d+) \+ (\d+)\) \/ (\d+)\]\s*$/.exec(part);
    if (m) out.push({ stage: Number(m[1]), done: Number(m[2]), running: Number(m[3]), total: Number(m[4]), text: part.trimEnd() });
  }
  return out;
}

/** Run `sluice <args>` with stdin, stdout and stderr on a pseudo-terminal (util-linux `script`); returns what the terminal received. */
function onPty(args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs = 90_000): Promise<{ code: number | null; output: string }> {
  const quote = (s: string): string => `'${s.replace(/'/g, "'\\''")}'`;
  const command = [process.execPath, CLI_BIN, ...args].map(quote).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qefc', command, '/dev/null'], { cwd: REPO_DIR, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, output });
    });
  });
}

const MAPS = 24;
const REDUCES = 4;
const RESULT = `RESULT ${JSON.stringify(Array.from({ length: 10 }, (_, d) => [d, MAPS * 10]))}`;

/** stage-tasks' arguments: MAPS tasks of `sleepMs`, REDUCES tasks, no failure, a TICK line every 400 ms. */
const jobArgs = (sleepMs: number): string[] => [String(MAPS), String(REDUCES), String(sleepMs), '', '400'];

/**
 * The bars of a run of stage-tasks on CORES slots, drawn in COLUMNS - 1 columns, and a
 * screen left clean: no bar left, and every line the job printed intact (the TICK lines
 * printed while a bar was drawn too).
 */
function checkTerminal(output: string, cores: number, columns: number): void {
  const fs = frames(output);
  assert.ok(fs.length >= 2, `at least two redraws of the bar:\n${JSON.stringify(output)}`);
  const last = new Map<number, number>();
  for (const f of fs) {
    assert.ok(f.total === MAPS || f.total === REDUCES, `a stage of ${MAPS} map or ${REDUCES} reduce tasks: ${f.text}`);
    assert.ok(f.done + f.running <= f.total && f.running <= cores, `${f.text} on ${cores} slots`);
    assert.ok(f.done >= (last.get(f.stage) ?? 0), `completed tasks never go down: ${f.text}`);
    last.set(f.stage, f.done);
    assert.equal(f.text.length, columns - 1, `the bar fills the terminal's width less one column: ${JSON.stringify(f.text)}`);
    const inner = /:([=> ]*)\(/.exec(f.text)![1];
    assert.equal(inner.replace(/[> ]/g, '').length, Math.floor((inner.length * f.done) / f.total), `'=' for the done share: ${f.text}`);
  }
  assert.ok(fs.some((f) => f.total === MAPS && f.done > 0), 'the map stage was seen advancing');
  const lines = screen(output);
  assert.ok(!lines.some((l) => l.includes('[Stage')), `the bar was erased everywhere:\n${lines.join('\n')}`);
  assert.ok(lines.includes(RESULT), `the job's output line is intact:\n${lines.join('\n')}`);
  const ticks = lines.filter((l) => l.includes('TICK'));
  assert.ok(ticks.length >= 2, `the job printed while it ran:\n${lines.join('\n')}`);
  for (const l of ticks) assert.match(l, /^TICK \d+$/, 'a line printed while the bar was drawn is intact');
  assert.match(output, /\[Stage [^\n]*TICK \d+/, 'a TICK line came while a bar was drawn');
}

describe('on a cluster', () => {
  let cluster: LocalCluster;
  const CORES = 2;

  before(async () => {
    cluster = new LocalCluster({
      workers: 2,
      coresPerWorker: 1,
      logLevel: process.env.SLUICE_TEST_LOG ?? 'warn',
      log: createRootLogger(process.env.SLUICE_TEST_LOG ?? 'silent', { pretty: false }),
    });
    await cluster.start();
  });

  after(async () => {
    await cluster?.stop();
  });

  test('sluice submit on a terminal draws the stages it asks the driver for, and erases them', { timeout: 120_000 }, async () => {
    const env = { SLUICE_SECRET: cluster.secret, SLUICE_SECRET_FILE: '', COLUMNS: '100' };
    const r = await onPty(['submit', fixture('stage-tasks.ts'), '--driver', cluster.driver.address, '--', ...jobArgs(150)], env);
    assert.equal(r.code, 0, r.output);
    checkTerminal(r.output, CORES, 100);
    assert.match(r.output, /submitted stage-tasks\.ts as job-/);
  });

  test('with stderr a pipe, or with --no-progress, nothing of the bar is written', { timeout: 120_000 }, async () => {
    const env = { SLUICE_SECRET: cluster.secret, SLUICE_SECRET_FILE: '' };
    const piped = await runCli(['submit', fixture('stage-tasks.ts'), '--driver', cluster.driver.address, '--', ...jobArgs(60)], { env, timeoutMs: 90_000 });
    assert.equal(piped.code, 0, piped.stderr);
    assert.match(piped.stdout, new RegExp(`^(TICK \\d+\n)*${RESULT.replace(/[[\]]/g, '\\$&')}\n$`));
    assert.doesNotMatch(piped.stderr, /\[Stage|\r/);
    const off = await onPty(['submit', fixture('stage-tasks.ts'), '--driver', cluster.driver.address, '--no-progress', '--', ...jobArgs(60)], env);
    assert.equal(off.code, 0, off.output);
    assert.doesNotMatch(off.output, /\[Stage/);
    assert.ok(screen(off.output).includes(RESULT));
  });

  test('sluice jobs shows a running batch job\'s stage as (done + running) / tasks, and none once it ended', { timeout: 120_000 }, async () => {
    const env = { SLUICE_SECRET: cluster.secret, SLUICE_SECRET_FILE: '' };
    const SLOW_MAPS = 30;
    // The map tasks wait for their gate files: 4 are let go after the first look, the rest
    // once a later look saw them done, so the stage cannot end between two looks however slow
    // a look is (300 ms tasks did: a loaded machine's 'sluice jobs' took longer than the
    // stage's last 16 tasks, and the second look found the job gone).
    const gates = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-stage-gates-'));
    const release = (from: number, to: number): void => {
      for (let i = from; i < to; i++) fs.writeFileSync(path.join(gates, String(i)), '');
    };
    const job = await startJob(cluster, fixture('stage-tasks.ts'), [String(SLOW_MAPS), String(REDUCES), '0', '', '0', gates]);
    const seen: { done: number; running: number }[] = [];
    try {
      for (const deadline = Date.now() + 60_000; seen.length < 2 || seen.at(-1)!.done === seen[0].done; await sleep(300)) {
        assert.ok(Date.now() < deadline && !job.ended, `sluice jobs showed ${JSON.stringify(seen)}`);
        const r = await runCli(['jobs', '--driver', cluster.driver.address], { env, timeoutMs: 20_000 });
        assert.equal(r.code, 0, r.stderr);
        const header = r.stdout.split('\n')[0].split(/\s{2,}/);
        const row = r.stdout.split('\n').find((l) => l.startsWith(job.id))?.split(/\s{2,}/);
        assert.ok(row, r.stdout);
        const stages = row[header.indexOf('STAGES')];
        const m = /^stage (\d+) \((\d+) \+ (\d+)\) \/ (\d+)$/.exec(stages ?? '');
        if (!m) continue; // between stages
        if (Number(m[4]) !== SLOW_MAPS) continue; // the reduce stage
        const [done, running] = [Number(m[2]), Number(m[3])];
        assert.ok(done + running <= SLOW_MAPS && running <= CORES, stages);
        assert.ok(done >= (seen.at(-1)?.done ?? 0), `completed tasks never go down: ${JSON.stringify(seen)} then ${stages}`);
        seen.push({ done, running });
        if (seen.length === 1) release(0, 4);
      }
    } finally {
      release(0, SLOW_MAPS);
    }
    const run = await within(job.done, 60_000, 'the job to end');
    fs.rmSync(gates, { recursive: true, force: true });
    assert.equal(run.ok, true, JSON.stringify(run.failure));
    const r = await runCli(['jobs', '--driver', cluster.driver.address], { env, timeoutMs: 20_000 });
    const header = r.stdout.split('\n')[0].split(/\s{2,}/);
    const row = r.stdout.split('\n').find((l) => l.startsWith(job.id))!.split(/\s{2,}/);
    assert.equal(row[header.indexOf('STATE')], 'succeeded');
    assert.equal(row[header.indexOf('STAGES')], '-');
  });
});

test('sluice run on a terminal draws the stages of its embedded driver, and erases them', { timeout: 120_000 }, async () => {
  const r = await onPty(['run', fixture('stage-tasks.ts'), '--workers', '2', '--cores', '1', '--', ...jobArgs(150)], { COLUMNS: '80' });
  assert.equal(r.code, 0, r.output);
  checkTerminal(r.output, 2, 80);
  // With stderr a pipe, nothing of it.
  const piped = await runCli(['run', fixture('stage-tasks.ts'), '--workers', '2', '--cores', '1', '--', ...jobArgs(100)], { timeoutMs: 90_000 });
  assert.equal(piped.code, 0, piped.stderr);
  assert.match(piped.stdout, /^(TICK \d+\n)+RESULT /);
  assert.doesNotMatch(piped.stderr, /\[Stage|\r/);
});
