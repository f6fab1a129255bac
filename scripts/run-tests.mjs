// Runs test files with Node's test runner, several at a time, in the lanes scripts/test.sh
// describes (the why is there):
//   node scripts/run-tests.mjs [--lanes N] --paced A,B --own-core C,D --long E,F --alone G [--own-timeouts H,I] -- FILE... [-- NODE_TEST_ARG...]
// N lanes (default 2). Lane 2 runs the --own-core files first, one after the other; lanes 1
// and 3 take --paced files from one queue (in the order given) meanwhile. A lane with
// nothing of its own left waits until the --own-core files are done (so those share the
// machine with two --paced files at most: lanes 4 and up start only then, taking --paced
// files first), then every lane takes the remaining files from one queue (--long files
// first, then the rest in the order given), one file at a time each;
// last, the --alone files run one after the other with nothing beside them. Every file runs
// in its own `node --test --test-concurrency=1 --test-timeout=240000 [NODE_TEST_ARG...] FILE`.
// On Node 20 that timeout bounds the file as a whole (its tests get none from it: only those
// they declare): an --own-timeouts file, each of whose tests declares its own timeout, runs
// with --test-timeout=600000 instead, so on a loaded machine its tests' own timeouts, not
// the sum of their times, decide;
// its output is printed in one piece when it ends (so two files' lines never interleave),
// and a table of every file's wall and CPU time (with its descendants', from /usr/bin/time
// where there is one) closes the run. Each file runs in a process group of its own: what is
// still running in it 5 s after the file ended (a test that timed out) is named and killed,
// so it does not load the files after it.
// Exits 1 if any file failed (or a named file is not among FILE...). What failed in each failed
// file (each failing test's TAP block: its name, error, expected/actual and the first lines of
// its stack) is printed again after the table, and written to test-artifacts/test-failures.txt
// (or RUN_TESTS_FAILURES): a file's output is printed when it ends, far above the end of a long
// run's log, and only the end of a CI log may be kept (.ci/run prints that file last).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stacksOfGroup } from './hang-stacks.mjs';

const argv = process.argv.slice(2);
const sep = argv.indexOf('--');
if (sep < 0) throw new Error('usage: run-tests.mjs --paced A,B --own-core C,D --long E,F --alone G -- FILE... [-- NODE_TEST_ARG...]');
const opts = argv.slice(0, sep);
const rest = argv.slice(sep + 1);
const sep2 = rest.indexOf('--');
const files = sep2 < 0 ? rest : rest.slice(0, sep2);
const nodeArgs = sep2 < 0 ? [] : rest.slice(sep2 + 1);
const list = (name) => {
  const i = opts.indexOf(`--${name}`);
  return i < 0 ? [] : opts[i + 1].split(',').filter((f) => f !== '');
};
const lanesOpt = opts.indexOf('--lanes');
const laneCount = lanesOpt < 0 ? 2 : Number(opts[lanesOpt + 1]);
if (!Number.isInteger(laneCount) || laneCount < 2) throw new Error(`run-tests: --lanes must be a whole number >= 2, got ${opts[lanesOpt + 1]}`);
const paced = list('paced');
const ownCore = list('own-core');
const long = list('long');
const alone = list('alone');
const ownTimeouts = new Set(list('own-timeouts'));
// A file's timeout as a whole: 240 s (--own-timeouts files 600 s); RUN_TESTS_TIMEOUT_MS sets
// the first (to try this runner's handling of a timed-out file quickly).
const FILE_TIMEOUT_MS = Number(process.env.RUN_TESTS_TIMEOUT_MS ?? 240_000);
/** How long before a file's timeout its processes are asked where they are (hang-stacks.mjs). */
const REPORT_BEFORE_TIMEOUT_MS = 30_000;
const missing = [...paced, ...ownCore, ...long, ...alone, ...ownTimeouts].filter((f) => !files.includes(f));
if (missing.length > 0) {
  process.stderr.write(`run-tests: no such test file (rename it in scripts/test.sh's lanes too): ${missing.join(', ')}\n`);
  process.exit(1);
}
const named = new Set([...paced, ...ownCore, ...alone]);
const queue = [...long.filter((f) => !named.has(f)), ...files.filter((f) => !named.has(f) && !long.includes(f))];
/** --paced files not started yet (taken by every lane but lane 2; by lanes 4 and up once the --own-core files are done). */
const pacedQueue = [...paced];

/** Where the failing tests of this run are written (none: no file; an earlier run's is removed). */
const FAILURES = process.env.RUN_TESTS_FAILURES ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'test-artifacts', 'test-failures.txt');
fs.rmSync(FAILURES, { force: true });
const TIME = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'run-tests-'));
const reporter = process.stdout.isTTY ? ['--test-reporter=spec'] : [];
const started = Date.now();
const results = [];
let startedFiles = 0;

/** Process groups of the files running now. */
const groups = new Set();
/** Reaping of the groups of files that ended. */
const cleanups = [];
/** SIGKILL to a file's process group; whether anything in it was still running. */
function killGroup(pgid) {
  try {
    process.kill(-pgid, 'SIGKILL');
    return true;
  } catch {
    return false;
  }
}
/** 5 s after a file ended (its processes' own shutdown), kills what is left in its group and says so. */
async function reap(pgid, file) {
  for (let i = 0; i < 50; i++) {
    try {
      process.kill(-pgid, 0);
    } catch {
      groups.delete(pgid);
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  groups.delete(pgid);
  if (killGroup(pgid)) process.stdout.write(`# run-tests: ${file} left processes running 5 s after it ended; killed them\n`);
}
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    for (const g of groups) killGroup(g);
    process.exit(130);
  });
}

/** Runs one file; resolves with its result once its output is printed. */
function runFile(file, lane) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const n = startedFiles++;
    const cpuFile = path.join(tmp, `${n}-${path.basename(file)}.cpu`);
    const timeoutMs = ownTimeouts.has(file) ? 600_000 : FILE_TIMEOUT_MS;
    const node = [process.execPath, '--test', '--test-concurrency=1', `--test-timeout=${timeoutMs}`, ...reporter, ...nodeArgs, file];
    const [cmd, ...args] = TIME ? [TIME, '-f', '%U %S', '-o', cpuFile, ...node] : node;
    process.stdout.write(`# run-tests: lane ${lane} starts ${file} at ${((t0 - started) / 1000).toFixed(0)} s\n`);
    // Its own process group: whatever the file leaves running when it ends (a server or a
    // cluster process of a test that timed out) is killed then, not left to load the files after it.
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    groups.add(child.pid);
    let stacks = Promise.resolve([]);
    // Shortly before the file's timeout its Node processes are asked where they are
    // (hang-stacks.mjs): a file that then times out as a whole shows it.
    const reportTimer = setTimeout(() => (stacks = stacksOfGroup(child.pid).catch((err) => [`# could not ask the file's processes where they were: ${err.message}`])), Math.max(timeoutMs - REPORT_BEFORE_TIMEOUT_MS, timeoutMs / 2));
    const out = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => out.push(d));
    child.on('close', async (code, signal) => {
      clearTimeout(reportTimer);
      const where = await stacks;
      const wall = (Date.now() - t0) / 1000;
      cleanups.push(reap(child.pid, file));
      let cpu;
      try {
        const [user, sys] = fs.readFileSync(cpuFile, 'utf8').trim().split('\n').at(-1).split(' ').map(Number);
        if (Number.isFinite(user + sys)) cpu = user + sys;
      } catch {
        // no /usr/bin/time: wall time only
      }
      const ok = code === 0;
      const r = { file, lane, ok, wall, cpu, status: code ?? signal, failures: ok ? undefined : [...failuresOf(Buffer.concat(out).toString('utf8'), file), ...where] };
      results.push(r);
      process.stdout.write(`# run-tests: ${ok ? 'ok' : 'FAILED'} ${file} (lane ${lane}, ${wall.toFixed(1)} s${cpu === undefined ? '' : `, ${cpu.toFixed(1)} s CPU`}${ok ? '' : `, exit ${r.status}`})\n`);
      process.stdout.write(Buffer.concat(out));
      resolve(r);
    });
  });
}

/**
 * The failing tests' TAP blocks of a file's output (node --test's reporter without a TTY): each
 * `not ok` line (at any depth) and its YAML block up to `...`, each block at most 40 lines (a
 * stack past its first 8 lines left out), at most 160 lines for the file; its last 30 lines
 * when no `not ok` line is found (the file died); and when the file timed out as a whole,
 * its last 40 lines of output before that.
 */
function failuresOf(text, file) {
  const lines = text.split('\n');
  const picked = [];
  let lastHookError;
  for (let i = 0; i < lines.length && picked.length < 160; i++) {
    if (!/^\s*not ok \d+/.test(lines[i])) continue;
    const block = [lines[i]];
    let stackLines = -1;
    for (let j = i + 1; j < lines.length && !/^\s*\.\.\.\s*$/.test(lines[j]) && !/^\s*(not )?ok \d+/.test(lines[j]); j++) {
      if (/^\s*stack: /.test(lines[j])) stackLines = 0;
      else if (stackLines >= 0 && /^\s{4,}/.test(lines[j]) && !/^\s*[a-zA-Z_]+: /.test(lines[j])) stackLines++;
      else stackLines = -1;
      if (stackLines <= 4 && block.length < 40) block.push(lines[j]);
    }
    // A failed hook fails every test after it with the same error: its block once.
    const at = block.findIndex((l) => /^\s*error: /.test(l));
    const error = at < 0 ? undefined : block.slice(at, at + 4).join('\n');
    if (block.some((l) => /failureType: 'hookFailed'/.test(l)) && error !== undefined && error === lastHookError) block.splice(1, block.length, `${lines[i].match(/^\s*/)[0]}  (the same hook failure as above)`);
    else if (block.some((l) => /failureType: 'hookFailed'/.test(l))) lastHookError = error;
    picked.push(...block.slice(0, 160 - picked.length));
  }
  if (picked.length === 0) return lines.filter((l) => l.trim() !== '').slice(-30);
  // The file timed out as a whole (its tests' own timeouts did not fire: one blocked its
  // process, or the file's timeout came first): the output before that verdict says how far it got.
  const verdict = ` - ${path.resolve(file)}`;
  const whole = lines.findIndex((l) => /^not ok \d+ - /.test(l) && l.endsWith(verdict));
  if (whole >= 0 && lines.slice(whole, whole + 8).some((l) => /failureType: 'testTimeoutFailure'/.test(l))) {
    const before = lines.slice(0, whole).filter((l) => l.trim() !== '' && l !== `# Subtest: ${path.resolve(file)}`).slice(-40);
    picked.push(`# its last ${before.length} lines of output before the file's timeout:`, ...before);
  }
  return picked;
}

/** Lane 2 runs the --own-core files, then resolves this; the other lanes wait for it before taking from `queue` (lanes 4 and up before taking anything). */
let ownCoreDone;
const ownCoreOver = new Promise((r) => (ownCoreDone = r));

async function lane(n) {
  if (n === 2) {
    for (const f of ownCore) await runFile(f, n);
    ownCoreDone();
  } else {
    // An --own-core file shares the machine with two --paced files at most (lanes 1 and 3).
    if (n >= 4) await ownCoreOver;
    for (let f = pacedQueue.shift(); f !== undefined; f = pacedQueue.shift()) await runFile(f, n);
    await ownCoreOver;
  }
  for (let f = queue.shift(); f !== undefined; f = queue.shift()) await runFile(f, n);
}

await Promise.all(Array.from({ length: laneCount }, (_, i) => lane(i + 1)));
await Promise.all(cleanups); // nothing of the lanes' files beside an --alone file
for (const f of alone) await runFile(f, 'alone');
await Promise.all(cleanups);
fs.rmSync(tmp, { recursive: true, force: true });

const elapsed = (Date.now() - started) / 1000;
const sum = (k) => results.reduce((a, r) => a + (r[k] ?? 0), 0);
process.stdout.write('# run-tests: every file, longest first: wall s, CPU s (with its processes), lane\n');
for (const r of [...results].sort((a, b) => b.wall - a.wall)) {
  process.stdout.write(`# ${r.wall.toFixed(1).padStart(7)} ${(r.cpu === undefined ? '-' : r.cpu.toFixed(1)).padStart(7)}  ${r.lane}  ${r.ok ? '' : 'FAILED '}${r.file}\n`);
}
const failed = results.filter((r) => !r.ok);
process.stdout.write(
  `# run-tests: ${results.length} files in ${elapsed.toFixed(0)} s (sum of their wall times ${sum('wall').toFixed(0)} s, of their CPU ${sum('cpu').toFixed(0)} s; load average ${os.loadavg()[0].toFixed(1)}); ` +
    (failed.length === 0 ? 'all passed\n' : `${failed.length} FAILED: ${failed.map((r) => r.file).join(', ')}\n`),
);
if (failed.length > 0) {
  const digest = failed.flatMap((r) => [`# ---- ${r.file} (lane ${r.lane}, ${r.wall.toFixed(1)} s, exit ${r.status}): what failed`, ...r.failures, '']).join('\n');
  process.stdout.write(`# run-tests: what failed, again (each failed file's failing tests)\n${digest}`);
  fs.mkdirSync(path.dirname(FAILURES), { recursive: true });
  fs.writeFileSync(FAILURES, digest);
}
process.exit(failed.length === 0 ? 0 : 1);
