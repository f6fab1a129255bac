// The `sluice` command's thread bundles (dist/threads: the driver's driver-program threads and
// the workers' task threads run them, and a job's bundle imports its @sluice/core from there)
// built again while a driver runs, on a copy of the cli package bundled by the test (as
// cli-bundle.test.ts does; the repository's own bundle is never touched: other tests run it):
// - scripts/bundle-cli.mjs run from another directory (the cli package's prepack: `pnpm pack`
//   runs it in packages/cli, as packed-install.test.ts does beside other tests under CI) makes
//   the same thread bundles and leaves the directory in place. Before, esbuild wrote module paths
//   relative to the caller's directory into the chunks, so their names (content hashes)
//   changed, and the new chunks were moved in under running processes.
// - A driver-program thread that started before dist/threads was replaced by a build with other
//   chunks (one whose core changed) gives its next job the core it runs: the job's
//   `@sluice/core` is the thread's (`sc instanceof SluiceContext`, StorageLevel constants), as
//   the thread entry loaded the package's entries (index.mjs, internal.mjs) as it started.
//   Before, the job's bundle loaded index.mjs, and with it the new build's chunks: a second core
//   in the thread (the fresh-clone CI at 5e0447de: recovery-double-fault's first job failed with
//   'rdd.persist: unknown storage level StorageLevel(memory, deserialized, 1 replicas)', an
//   updateStateByKey stream's level of one copy given to the RDD of the other).
// - The same for a worker's task threads: spares started (and ready) before dist/threads was
//   replaced run a job whose bundle (imported in the thread as the job binds it) reads the
//   running task's TaskContext through its own `@sluice/core`: the thread's, since task-thread.mjs
//   loaded the package's entries as it started. With a second core the job's TaskContext.get()
//   would be that copy's, which no task sets: undefined.
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { CLI_DIR, REPO_DIR, fixture, freePort, pollUntil, runCli } from './harness.js';
import { randomSecret } from './sluice-processes.js';

let copy = '';
let threads = '';
const secret = randomSecret();
const children: ChildProcess[] = [];

before(() => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-thread-rebuilt-'));
  copy = path.join(tmp, 'packages', 'cli');
  threads = path.join(copy, 'dist', 'threads');
  for (const part of ['bin', 'dist/src', 'package.json']) fs.cpSync(path.join(CLI_DIR, part), path.join(copy, part), { recursive: true, preserveTimestamps: true });
  fs.symlinkSync(path.join(CLI_DIR, 'node_modules'), path.join(copy, 'node_modules'), 'dir');
  bundleFrom(REPO_DIR);
});

after(async () => {
  for (const c of children) {
    if (c.exitCode !== null || c.signalCode !== null) continue;
    const closed = new Promise((r) => c.once('close', r));
    c.kill('SIGKILL');
    await closed;
  }
  if (copy) fs.rmSync(path.resolve(copy, '..', '..'), { recursive: true, force: true });
});

/** scripts/bundle-cli.mjs on the copy, run from `cwd`. */
function bundleFrom(cwd: string): void {
  execFileSync(process.execPath, [path.join(REPO_DIR, 'scripts', 'bundle-cli.mjs'), '--cli-dir', copy], { cwd, stdio: 'pipe', timeout: 170_000 });
}

/** The thread bundles' files, by name, with their bytes. */
function threadFiles(): Map<string, Buffer> {
  return new Map(fs.readdirSync(threads).sort().map((f) => [f, fs.readFileSync(path.join(threads, f))]));
}

let rebuilds = 0;

/**
 * dist/threads replaced, as bundle-cli replaces it, by a build of other chunks: the same code
 * under other chunk names (what a build whose core changed gives), every import of them renamed.
 */
function replaceWithOtherChunks(): void {
  const tag = `REBUILT${++rebuilds}x`;
  const next = `${threads}.next`;
  fs.cpSync(threads, next, { recursive: true });
  const chunks = fs.readdirSync(next).filter((f) => /^chunk-\w+\.mjs$/.test(f));
  assert.ok(chunks.length > 0, 'the thread bundles have chunks');
  const renamed = (f: string): string => f.replace(/^chunk-/, `chunk-${tag}`);
  for (const f of fs.readdirSync(next).filter((n) => n.endsWith('.mjs'))) {
    let text = fs.readFileSync(path.join(next, f), 'utf8');
    for (const c of chunks) text = text.replaceAll(`"./${c}"`, `"./${renamed(c)}"`);
    fs.writeFileSync(path.join(next, f), text);
  }
  for (const c of chunks) for (const f of [c, `${c}.map`]) if (fs.existsSync(path.join(next, f))) fs.renameSync(path.join(next, f), path.join(next, renamed(f)));
  fs.rmSync(threads, { recursive: true, force: true });
  fs.renameSync(next, threads);
}

/** `sluice driver` of the copy at debug level; resolves with its log lines (growing) once it listens. */
function startDriver(port: number): Promise<string[]> {
  return startCopy(['driver', '--port', String(port), '--web-port', '0', '--log-level', 'debug'], 'driver listening');
}

/** `sluice <args>` of the copy (a server); resolves with its log lines (growing) once one holds `listening`. */
async function startCopy(args: string[], listening: string): Promise<string[]> {
  const child = spawn(process.execPath, [path.join(copy, 'bin', 'sluice.js'), ...args], {
    env: { ...process.env, SLUICE_SECRET: secret, SLUICE_SECRET_FILE: '' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(child);
  const lines: string[] = [];
  let partial = '';
  child.stderr!.on('data', (d: Buffer) => {
    const parts = (partial + d.toString()).split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
  });
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`sluice ${args[0]} exited (${code}):\n${lines.join('\n')}`))));
  await Promise.race([exited, pollUntil(() => (lines.some((l) => l.includes(listening)) ? true : undefined), 60_000, `sluice ${args[0]}: '${listening}':\n${lines.join('\n')}`)]);
  exited.catch(() => undefined);
  return lines;
}

/** `sluice submit` of the fixture (default thread-core.ts) with `arg`, waited for: its output. */
async function submit(port: number, arg: string, job = 'thread-core.ts'): Promise<string> {
  const r = await runCli(['submit', '--driver', `127.0.0.1:${port}`, fixture(job), '--', arg], { cliBin: path.join(copy, 'bin', 'sluice.js'), env: { SLUICE_SECRET: secret, SLUICE_SECRET_FILE: '' }, timeoutMs: 120_000 });
  assert.equal(r.code, 0, `sluice submit (${arg}): ${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

const threadOf = (out: string): string => {
  const m = /^thread (\d+)$/m.exec(out);
  assert.ok(m, out);
  return m[1];
};

test("a driver-program thread started before dist/threads was replaced by a build of other chunks gives its next job the thread's own core", { timeout: 240_000 }, async () => {
  const port = await freePort();
  const log = await startDriver(port);
  // The first job runs on a thread that loads its code as it starts, imports no core, and is
  // kept for the next job of its bundle.
  const first = threadOf(await submit(port, 'first'));
  await pollUntil(() => (log.some((l) => l.includes('job thread kept for a later job of its bundle')) ? true : undefined), 60_000, `the first job's thread kept:\n${log.slice(-30).join('\n')}`);
  replaceWithOtherChunks();
  const out = await submit(port, 'check');
  assert.equal(threadOf(out), first, `the second job ran on the first job's thread, started before the replacement:\n${out}`);
  assert.match(out, /^one core: true$/m, "the job's @sluice/core is the thread's");
  assert.match(out, /^the level kept: true$/m, "persist keeps the job's core's StorageLevel constant");
});

test('bundle-cli run from the cli package (pnpm pack, prepack) makes the same thread bundles and leaves dist/threads in place', { timeout: 240_000 }, () => {
  bundleFrom(REPO_DIR);
  const before = threadFiles();
  const inode = fs.statSync(threads).ino;
  bundleFrom(copy);
  const now = threadFiles();
  assert.deepEqual([...now.keys()], [...before.keys()], 'the same chunk names');
  for (const [f, bytes] of before) assert.ok(now.get(f)!.equals(bytes), `${f} is the same`);
  assert.equal(fs.statSync(threads).ino, inode, 'dist/threads was not replaced');
});

test("a worker's task threads started before dist/threads was replaced by a build of other chunks give a job's tasks the thread's own core", { timeout: 240_000 }, async () => {
  const CORES = 2;
  const PARTITIONS = 6;
  const port = await freePort();
  await startDriver(port);
  const localDir = path.join(copy, '..', '..', 'worker-local');
  fs.mkdirSync(localDir, { recursive: true });
  const log = await startCopy(['worker', '--driver', `127.0.0.1:${port}`, '--cores', String(CORES), '--local-dir', localDir, '--log-level', 'debug'], 'worker registered');
  const entries = (msg: string): Array<Record<string, unknown>> =>
    log.flatMap((l) => {
      try {
        const e = JSON.parse(l) as Record<string, unknown>;
        return e.msg === msg ? [e] : [];
      } catch {
        return [];
      }
    });
  // Every spare has loaded its thread entry (and with it the build in place now).
  await pollUntil(() => (entries('spare task thread ready').some((e) => e.fresh === CORES && e.size === CORES) ? true : undefined), 60_000, `the worker's ${CORES} spares ready:\n${log.slice(-30).join('\n')}`);
  replaceWithOtherChunks();
  const out = await submit(port, String(PARTITIONS), 'task-thread-core.ts');
  const m = /^TASKS (.*)$/m.exec(out);
  assert.ok(m, out);
  const seen = JSON.parse(m[1]) as Array<[number, number]>;
  // The job's tasks ran on those spares: each thread bound to it was a fresh spare, ready (a
  // spare taken is replaced only once the job is released).
  const bound = await pollUntil(() => (entries('task thread bound to a job').length > 0 ? entries('task thread bound to a job') : undefined), 30_000, `the job's task threads bound:\n${log.slice(-30).join('\n')}`);
  assert.ok(bound.every((e) => e.spare === true && e.ready === true && e.reused === false), `the job's task threads were the spares started before the replacement:\n${JSON.stringify(bound)}`);
  assert.deepEqual(
    seen.map(([p]) => p),
    Array.from({ length: PARTITIONS }, (_, i) => i),
    `each task's TaskContext (read through the job's @sluice/core) is the one its thread's core set (-1: the job reached a second core):\n${out}`,
  );
});
