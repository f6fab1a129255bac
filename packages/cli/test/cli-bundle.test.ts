// The `sluice` command bundled into one file (scripts/bundle-cli.mjs; packages/cli/src/cli-entry.ts
// chooses it). On a copy of the cli package outside the workspace (as installed: bin, dist,
// its node_modules), bundled by the test itself:
// - `sluice run` of a word count runs its driver and both worker processes from the bundle
//   (their debug log says so; the workers started from cli-entry's CommonJS build,
//   dist/sluice-entry.cjs) with the counts computed here from the job's input; the first
//   processes compile everything, and the code caches they leave (one for the driver's
//   `run`, one for the workers) are used by the next run's.
//   The driver-program thread and the task threads run the thread bundles made with it
//   (dist/threads): the Sluice frames under the job's code are theirs, and the job's bundle
//   imports that same @sluice/core (an error core throws is the job's SluiceError).
// - After a Sluice file the bundle was made from changes, the bundle is not used: the
//   changed code runs (--help shows the edit) in every process, with the same exact counts,
//   and the threads run the packages' modules, the job's bundle importing core's.
// - bin/sluice.js starts from dist/sluice-entry.cjs unless one of the files it was made from is
//   newer (then from dist/src/cli-entry.js); with neither (a checkout never built) it says to run
//   `npm run setup`.
// - In a checkout (a pnpm workspace around the package) a file touched without changing its
//   size makes the bundle stale too; outside one, sizes alone decide. A worker takes its
//   parent's check (the manifest's stamp) from SLUICE_BUNDLE_CHECKED, or, prestarted, from
//   the first line of its standard input, leaving the next line (the address) unread.
// - The check reads the files of core, the driver and the worker where the copy finds those
//   packages (its node_modules, linked to the workspace's): one recorded with another size
//   makes the bundle stale, named at its real path.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { CLI_DIR, REPO_DIR, fixture, jsonLine, runCli } from './harness.js';

let copy = '';

before(() => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-cli-bundle-'));
  copy = path.join(tmp, 'packages', 'cli');
  for (const part of ['bin', 'dist/src', 'package.json']) fs.cpSync(path.join(CLI_DIR, part), path.join(copy, part), { recursive: true, preserveTimestamps: true });
  fs.symlinkSync(path.join(CLI_DIR, 'node_modules'), path.join(copy, 'node_modules'), 'dir');
  bundle();
});

after(() => fs.rmSync(path.resolve(copy, '..', '..'), { recursive: true, force: true }));

function bundle(): void {
  execFileSync(process.execPath, [path.join(REPO_DIR, 'scripts', 'bundle-cli.mjs'), '--cli-dir', copy], { stdio: 'pipe' });
}

/** A `sluice worker --driver -` of the copy given `stdin` (then its end): it logs how it loaded its code, then stops (no driver address, or not one). */
function worker(env: Record<string, string>, stdin: string): ReturnType<typeof runCli> {
  return runCli(['worker', '--driver', '-', '--log-level', 'debug'], { cliBin: path.join(copy, 'bin', 'sluice.js'), stdin, env: { SLUICE_SECRET: 'x'.repeat(32), SLUICE_SECRET_FILE: '', ...env } });
}

/** The 'sluice code loaded' line of a worker's log, or undefined. */
function codeLine(stderr: string): CodeLine['code'] | undefined {
  const line = stderr.split('\n').find((l) => l.includes('"sluice code loaded"'));
  return line === undefined ? undefined : (JSON.parse(line) as CodeLine).code;
}

/** How a `sluice worker` of the copy loaded its code: it logs that first, then stops (no driver address on its standard input). */
async function probe(env: Record<string, string> = {}, stdin = ''): Promise<CodeLine['code']> {
  const r = await worker(env, stdin);
  const code = codeLine(r.stderr);
  assert.ok(code, r.stderr);
  return code;
}

/** The word counts wordcount-check.ts must print for `n` lines, from its input alone. */
function expectedCounts(n: number): Map<string, number> {
  const W = ['a', 'b', 'c', 'd', 'e'];
  const want = new Map<string, number>();
  for (let i = 0; i < n; i++) for (const w of [W[i % 5], W[(i * 3) % 5]]) want.set(w, (want.get(w) ?? 0) + 1);
  return want;
}

interface CodeLine {
  readonly pid: number;
  readonly code: { readonly from: string; readonly reason?: string; readonly codeCache?: boolean; readonly entry?: string };
}

/** The processes' code lines, the CommonJS-started ones first. */
const byEntry = (lines: readonly CodeLine[]): CodeLine['code'][] => lines.map((c) => c.code).sort((a, b) => String(a.entry).localeCompare(String(b.entry)));

/** What thread-code-probe.ts prints: the core its bundle imported and the Sluice files under its code, in the driver-program thread and in each task. */
interface ThreadProbe {
  readonly driver: { readonly core: string; readonly frames: readonly string[]; readonly oneCore: boolean };
  readonly tasks: readonly { readonly core: string; readonly frames: readonly string[] }[];
}

/** `sluice run` of the word count with the copy's bin; its counts, each process's 'sluice code loaded' line and (thread-code-probe.ts) what its threads ran. */
async function wordCount(n: number, job = 'wordcount-check.ts'): Promise<{ counts: Map<string, number>; code: CodeLine[]; threads?: ThreadProbe }> {
  const r = await runCli(['run', '--log-level', 'debug', '--no-progress', fixture(job), String(n)], { cliBin: path.join(copy, 'bin', 'sluice.js'), timeoutMs: 120_000 });
  assert.equal(r.code, 0, `sluice run: ${r.stderr}`);
  const code = r.stderr
    .split('\n')
    .filter((l) => l.includes('"sluice code loaded"'))
    .map((l) => JSON.parse(l) as CodeLine);
  const lines = r.stdout.split('\n');
  const threads = lines.some((l) => l.startsWith('CODE_PROBE ')) ? jsonLine<ThreadProbe>(lines, 'CODE_PROBE ') : undefined;
  return { counts: new Map(jsonLine<[string, number][]>(lines, 'RESULT ')), code, threads };
}

/** Checks that every thread of the probe ran Sluice's code from `dir` and its job imported `core`. */
function assertThreadCode(probe: ThreadProbe | undefined, core: string, framesUnder: RegExp): void {
  assert.ok(probe, 'the probe printed CODE_PROBE');
  const own = (frames: readonly string[]): string[] => frames.filter((f) => !f.endsWith('thread-code-probe.ts'));
  assert.equal(probe.driver.core, core, 'the driver program imported that core');
  assert.ok(probe.driver.oneCore, "an error core throws in the driver program is the job's own SluiceError");
  assert.ok(own(probe.driver.frames).length > 0 && own(probe.driver.frames).every((f) => framesUnder.test(f)), JSON.stringify(probe.driver));
  assert.equal(probe.tasks.length, 4);
  for (const t of probe.tasks) {
    assert.equal(t.core, core, 'the task imported that core');
    assert.ok(own(t.frames).length > 0 && own(t.frames).every((f) => framesUnder.test(f)), JSON.stringify(t));
  }
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

test('sluice run runs the driver and both workers from the bundle, with exact counts; the next run uses the code cache the first left', async () => {
  const first = await wordCount(3000);
  assert.deepEqual(first.counts, expectedCounts(3000));
  assert.equal(new Set(first.code.map((c) => c.pid)).size, 3, `one line per process (driver + 2 workers): ${JSON.stringify(first.code)}`);
  const threads = path.join(copy, 'dist', 'threads');
  // All three from dist/sluice-entry.cjs: the driver's process as bin/sluice.js started it (the
  // files it was made from are not newer), its workers as the driver's process spawned them.
  assert.deepEqual(byEntry(first.code), ['cjs', 'cjs', 'cjs'].map((entry) => ({ from: 'bundle', codeCache: false, threads, entry })));
  // One cache a command: the driver's (`run`) and the workers' each hold what that process
  // compiled; the local workers' is their V8 options' own (--initial-old-space-size), which a
  // standalone `sluice worker`, started without them, neither rejects nor writes over.
  const cacheFiles = fs.readdirSync(path.join(copy, 'dist')).filter((f) => f.endsWith('.cache')).sort();
  assert.equal(cacheFiles.length, 2, JSON.stringify(cacheFiles));
  assert.equal(cacheFiles[0], 'sluice.cjs.run.cache', 'the code caches written');
  assert.match(cacheFiles[1], /^sluice\.cjs\.worker\.[0-9a-f]{8}\.cache$/, 'the local workers\' code cache, named for their V8 options');
  for (const f of cacheFiles) assert.ok(fs.statSync(path.join(copy, 'dist', f)).size > 0, f);
  // core's message functions made at build time are in the command's bundle (the processes
  // make the gRPC calls), not in the thread bundles (every thread would read them for nothing).
  assert.match(fs.readFileSync(path.join(copy, 'dist', 'sluice.cjs'), 'utf8'), /function RegisterWorkerRequest\$encode\(/);
  for (const f of fs.readdirSync(threads).filter((f) => f.endsWith('.mjs'))) assert.doesNotMatch(fs.readFileSync(path.join(threads, f), 'utf8'), /function \w+\$encode\(/, f);
  // ASCII only, as cli-entry reads it (latin1: a one-byte string in V8).
  assert.doesNotMatch(fs.readFileSync(path.join(copy, 'dist', 'sluice.cjs'), 'utf8'), /[^\x00-\x7f]/);
  // The CommonJS wrapper is in the file (cli-entry compiles its text as read, joining nothing):
  // its head before the code on line 1, its end before the source map's comment, which stays last.
  const bundleText = fs.readFileSync(path.join(copy, 'dist', 'sluice.cjs'), 'latin1');
  assert.ok(bundleText.startsWith('(function (exports, require, module, __filename, __dirname) {'), bundleText.slice(0, 100));
  assert.ok(bundleText.endsWith('\n})\n//# sourceMappingURL=sluice.cjs.map\n'), bundleText.slice(-100));
  assert.equal((JSON.parse(fs.readFileSync(path.join(copy, 'dist', 'sluice-bundle.json'), 'utf8')) as { wrapped?: boolean }).wrapped, true, 'the manifest says so');
  const second = await wordCount(4000, 'thread-code-probe.ts');
  assert.deepEqual(second.counts, expectedCounts(4000));
  assert.deepEqual(byEntry(second.code), ['cjs', 'cjs', 'cjs'].map((entry) => ({ from: 'bundle', codeCache: true, threads, entry })));
  assertThreadCode(second.threads, path.join(threads, 'index.mjs'), new RegExp(`^${escape(threads)}/[\\w-]+\\.mjs$`));
});

test('a sluice run that fails leaves no code cache of its command (it compiled little); the next one that succeeds does', async () => {
  const runCache = path.join(copy, 'dist', 'sluice.cjs.run.cache');
  fs.rmSync(runCache, { force: true });
  const failed = await runCli(['run', '--no-progress', path.join(copy, 'no-such-job.ts')], { cliBin: path.join(copy, 'bin', 'sluice.js'), timeoutMs: 120_000 });
  assert.notEqual(failed.code, 0, failed.stderr);
  assert.match(failed.stderr, /no-such-job\.ts/);
  assert.equal(fs.existsSync(runCache), false, 'the failed run wrote no cache');
  const ok = await wordCount(1000);
  assert.deepEqual(ok.counts, expectedCounts(1000));
  assert.ok(fs.statSync(runCache).size > 0, 'the run that succeeded wrote its cache');
});

test('after a file the bundle was made from changes, every process runs the modules as they are now, with exact counts', async () => {
  const main = path.join(copy, 'dist', 'src', 'main.js');
  const text = fs.readFileSync(main, 'utf8');
  const description = 'run a job on an embedded local cluster';
  assert.ok(text.includes(description));
  fs.writeFileSync(main, text.replace(description, `${description} (edited after bundling)`));
  const help = await runCli(['run', '--help'], { cliBin: path.join(copy, 'bin', 'sluice.js') });
  assert.match(help.stdout, /edited after bundling/);
  const run = await wordCount(2000, 'thread-code-probe.ts');
  assert.deepEqual(run.counts, expectedCounts(2000));
  assert.equal(run.code.length, 3, JSON.stringify(run.code));
  for (const c of run.code) {
    assert.equal(c.code.from, 'modules');
    assert.ok(c.code.reason?.includes(`${main} changed since the bundle was made`), c.code.reason);
  }
  // bin/sluice.js started the driver's process from cli-entry's CommonJS build (cli-entry.js and
  // its imports are unchanged); a stale bundle's workers start from cli-entry.js, not from it.
  assert.deepEqual(byEntry(run.code).map((c) => c.entry), ['cjs', 'esm', 'esm'], JSON.stringify(run.code));
  assertThreadCode(run.threads, path.join(REPO_DIR, 'packages', 'core', 'dist', 'src', 'index.js'), new RegExp(`^${escape(REPO_DIR)}/packages/(core|driver|worker)/dist/src/`));
});

test('in a checkout, a file with a new modification time and the same size makes the bundle stale; outside one it does not', async () => {
  bundle();
  const workspace = path.resolve(copy, '..', '..', 'pnpm-workspace.yaml');
  fs.writeFileSync(workspace, "packages:\n  - 'packages/*'\n");
  assert.equal((await probe()).from, 'bundle');
  const logger = path.join(copy, 'dist', 'src', 'logger.js');
  // A Docker image layer keeps modification times in whole seconds (the Dockerfile's build
  // stage makes the bundle): the same time cut to its second is not a change, the next second is.
  const made = fs.statSync(logger).mtimeMs;
  const cut = Math.floor(made / 1000) * 1000;
  assert.notEqual(cut, made, 'the file was written at a time with a fraction of a second');
  fs.utimesSync(logger, new Date(cut), new Date(cut));
  assert.equal(fs.statSync(logger).mtimeMs, cut);
  const layered = await probe();
  assert.equal(layered.from, 'bundle', `a modification time cut to its whole second: ${layered.reason}`);
  fs.utimesSync(logger, new Date(cut + 1000), new Date(cut + 1000));
  assert.equal((await probe()).from, 'modules', 'a whole second later: changed');
  const later = new Date(made + 5000);
  fs.utimesSync(logger, later, later);
  const stale = await probe();
  assert.equal(stale.from, 'modules');
  assert.ok(stale.reason?.includes(`${logger} changed since the bundle was made`), stale.reason);
  // A worker `sluice run` starts takes its parent's check while the manifest is the one the
  // parent checked (its path, size, modification time), and checks itself otherwise.
  const manifest = path.join(copy, 'dist', 'sluice-bundle.json');
  const st = fs.statSync(manifest);
  assert.equal((await probe({ SLUICE_BUNDLE_CHECKED: `${manifest}:${st.size}:${st.mtimeMs}` })).from, 'bundle', "the parent's check taken");
  assert.equal((await probe({ SLUICE_BUNDLE_CHECKED: `${manifest}:${st.size}:${st.mtimeMs + 1}` })).from, 'modules', 'another manifest: checked again');
  // One prestarted by `sluice run` (spawned before its parent checked the bundle) reads the
  // check as the first line of its standard input, and only that line: the next is the
  // driver's address (here not one, which it then reports); no line at all (its parent ended
  // it: a stale bundle, or the parent gone) and it exits before it loads anything.
  const prestarted = { SLUICE_BUNDLE_CHECKED: '-' };
  const taken = await worker(prestarted, `${manifest}:${st.size}:${st.mtimeMs}\nnot-an-address\n`);
  assert.equal(codeLine(taken.stderr)?.from, 'bundle', `the parent's check on standard input taken: ${taken.stderr}`);
  assert.match(taken.stderr, /must be the driver's HOST:PORT, got 'not-an-address'/, 'the line after the check was left for the address');
  const own = await worker(prestarted, '\n');
  assert.equal(codeLine(own.stderr)?.from, 'modules', `an empty line: checked itself: ${own.stderr}`);
  assert.match(own.stderr, /standard input ended before a line with the driver's HOST:PORT/);
  const ended = await worker(prestarted, '');
  assert.equal(ended.code, 0, ended.stderr);
  assert.equal(codeLine(ended.stderr), undefined, `ended before the check came: nothing loaded: ${ended.stderr}`);
  fs.rmSync(workspace);
  assert.equal((await probe()).from, 'bundle', 'outside a checkout the same file (same size) keeps the bundle');
});

test("a file of core, the driver or the worker other than the bundle was made from makes it stale, named at its package's real path", async () => {
  // The copy finds those packages through its node_modules link, as the bundle does (pnpm's
  // links to the workspace's packages); the check must look at the very files there. The
  // manifest is edited, not the files, which are the workspace's own.
  bundle();
  const manifestFile = path.join(copy, 'dist', 'sluice-bundle.json');
  const text = fs.readFileSync(manifestFile, 'utf8');
  try {
    for (const pkg of ['core', 'driver', 'worker']) {
      const manifest = JSON.parse(text) as { inputs: { pkg: string; path: string; size: number }[] };
      const input = manifest.inputs.find((i) => i.pkg === pkg);
      assert.ok(input, `the bundle was made from files of @sluice/${pkg}`);
      input.size += 1;
      fs.writeFileSync(manifestFile, JSON.stringify(manifest));
      const stale = await probe();
      assert.equal(stale.from, 'modules', `@sluice/${pkg}'s ${input.path} recorded with another size`);
      assert.equal(stale.reason, `${path.join(REPO_DIR, 'packages', pkg, input.path)} changed since the bundle was made`);
    }
  } finally {
    fs.writeFileSync(manifestFile, text);
  }
  assert.equal((await probe()).from, 'bundle', 'the manifest as made');
});

test("bin/sluice.js starts from cli-entry's CommonJS build only while no file it was made from is newer than it", async () => {
  bundle();
  assert.equal((await probe()).entry, 'cjs', 'just bundled: the CommonJS build');
  const built = fs.statSync(path.join(copy, 'dist', 'sluice-entry.cjs')).mtimeMs;
  for (const f of ['cli-entry.js', 'local-worker-process.js', 'bundle-stack-traces.js', 'cli-code.js', 'heap-floor-option.js']) {
    const file = path.join(copy, 'dist', 'src', f);
    const was = fs.statSync(file);
    const later = new Date(built + 5000);
    fs.utimesSync(file, later, later);
    const rebuilt = await probe();
    fs.utimesSync(file, was.atime, was.mtime);
    assert.equal(rebuilt.entry, 'esm', `${f} newer than dist/sluice-entry.cjs (tsc ran, not bundle-cli): cli-entry.js as tsc built it`);
  }
  assert.equal((await probe()).entry, 'cjs', 'the times put back');
});

test('bin/sluice.js in a checkout that was never built says so and how to build it, exit code 1', async () => {
  const bare = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-cli-unbuilt-'));
  try {
    for (const part of ['bin', 'package.json']) fs.cpSync(path.join(CLI_DIR, part), path.join(bare, part), { recursive: true });
    const r = await runCli(['--help'], { cliBin: path.join(bare, 'bin', 'sluice.js') });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^sluice: not built: .*dist\/src\/cli-entry\.js is missing\. In the repository's root, run `npm run setup`/, r.stderr);
    assert.doesNotMatch(r.stderr, /ERR_MODULE_NOT_FOUND/);
  } finally {
    fs.rmSync(bare, { recursive: true, force: true });
  }
});

test("bundle-cli refuses a dynamic import() in the bundle (it throws ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING once the bundle runs from another process's code cache), naming the line", () => {
  const main = path.join(copy, 'dist', 'src', 'main.js');
  const was = fs.readFileSync(main, 'utf8');
  try {
    fs.appendFileSync(main, "\nexport const lookupLater = () => import('node:dns');\n");
    assert.throws(
      () => bundle(),
      (e: Error & { stderr?: Buffer }) => {
        const err = String(e.stderr ?? e.message);
        assert.match(err, /bundle-cli: .*sluice\.cjs\.\d+\.tmp:\d+ has a dynamic import\(\): .*import\("node:dns"\)/, err);
        assert.match(err, /ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING; use a static import, or require\(\)/, err);
        return true;
      },
    );
  } finally {
    fs.writeFileSync(main, was);
    bundle();
  }
  assert.equal(fs.readFileSync(path.join(copy, 'dist', 'sluice.cjs'), 'latin1').search(/[^\w$.]import\s*\(/), -1, 'the bundle made again holds no import()');
});

test("a stack trace from the bundle names the .ts files and lines it was made from (dist/sluice.cjs.map)", async () => {
  assert.equal((await probe()).from, 'bundle');
  assert.ok(fs.existsSync(path.join(copy, 'dist', 'sluice.cjs.map')), 'bundle-cli wrote the source map');
  assert.match(fs.readFileSync(path.join(copy, 'dist', 'sluice.cjs'), 'utf8').slice(-100), /\/\/# sourceMappingURL=sluice\.cjs\.map\n$/);
  // `sluice worker --driver -` whose standard input ends at once fails in driver-from-stdin.ts; SLUICE_STACK_TRACES=1 prints the stack.
  const r = await runCli(['worker', '--driver', '-'], { cliBin: path.join(copy, 'bin', 'sluice.js'), stdin: '', env: { SLUICE_SECRET: 'x'.repeat(32), SLUICE_SECRET_FILE: '', SLUICE_STACK_TRACES: '1' } });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /^error \[SLUICE_BAD_ARGUMENT\]: --driver -: standard input ended/m);
  const frames = r.stderr.split('\n').filter((l) => /^\s+at /.test(l));
  assert.ok(frames.length > 0, r.stderr);
  assert.deepEqual(frames.filter((l) => l.includes('sluice.cjs')), [], `no frame left in the bundle's own positions:\n${r.stderr}`);
  // The first frame is the line of driver-from-stdin.ts that makes the error (the copy has no src/: read the checkout's).
  const top = /\((.*\/packages\/cli\/src\/(driver-from-stdin\.ts)):(\d+):(\d+)\)$/.exec(frames[0]);
  assert.ok(top, `the first frame names src/driver-from-stdin.ts: ${frames[0]}`);
  const line = fs.readFileSync(path.join(CLI_DIR, 'src', top[2]), 'utf8').split('\n')[Number(top[3]) - 1];
  assert.match(line, /new SluiceError\('SLUICE_BAD_ARGUMENT', "--driver -: standard input ended/, `line ${top[3]} of ${top[2]}`);
  // Frames of other Sluice packages map to their .ts files too (commander's, node's stay as they are).
  assert.ok(frames.every((l) => !/dist\/src\/.*\.js:/.test(l)), r.stderr);
});
