// What a `sluice` command loads before it runs: a command that serves nothing and calls no one
// (`sluice --version`, `sluice --help`) must not load the driver, whose web UI needs Node's http
// and https and whose program thread needs readline, nor gRPC (http2, tls). Every process of
// `sluice run` (its two workers too) and every client command pays for what main.ts's static
// imports reach: once, a --conf check importing two constants from `@sluice/driver` (the
// barrel) made each of them load the whole driver. Read from Node's own list of the modules a
// process loaded (process.moduleLoadList), at exit, through bin/sluice.js as a user runs it
// (the bundle, or the modules where the bundle is stale: the same imports either way). And the
// workers of a `sluice run`, on the start-up's critical path: neither readline nor https, which
// only the driver's program thread and web UI import (gRPC loads http, http2 and tls itself).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { CLI_BIN, CLI_DIR, runCli } from './harness.js';

const DIST = path.join(CLI_DIR, 'dist');
/** Node's modules that only the driver (http, https, readline) or a gRPC server or client (http2, tls) loads. */
const NOT_LOADED = ['http', 'https', 'readline', 'http2', 'tls'];

function loadedBy(args: string[]): string[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-command-modules-'));
  try {
    const preload = path.join(dir, 'report.cjs');
    const out = path.join(dir, 'modules.txt');
    fs.writeFileSync(preload, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(out)}, process.moduleLoadList.join('\\n')));\n`);
    // --require names a code cache of its own (cli-entry keys them by the options); the one this leaves is removed.
    const caches = (): string[] => (fs.existsSync(DIST) ? fs.readdirSync(DIST).filter((f) => f.endsWith('.cache')) : []);
    const before = new Set(caches());
    const r = spawnSync(process.execPath, ['--require', preload, CLI_BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
    for (const f of caches()) if (!before.has(f)) fs.rmSync(path.join(DIST, f), { force: true });
    assert.equal(r.status, 0, `sluice ${args.join(' ')} exited ${String(r.status)}: ${r.stderr}`);
    const loaded = fs.readFileSync(out, 'utf8').split('\n');
    // The list is read as it is, so a check of its form: Node names its built-ins 'NativeModule <id>'.
    assert.ok(loaded.includes('NativeModule fs') && loaded.includes('NativeModule path'), `process.moduleLoadList is not as this test reads it: ${loaded.slice(0, 20).join(', ')}`);
    return loaded.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice('NativeModule '.length));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

for (const args of [['--version'], ['--help']]) {
  test(`sluice ${args.join(' ')} loads neither the driver nor gRPC (none of Node's ${NOT_LOADED.join(', ')})`, () => {
    const loaded = loadedBy(args);
    assert.deepEqual(
      NOT_LOADED.filter((m) => loaded.includes(m)),
      [],
      `sluice ${args.join(' ')} loaded these; a static import reaches the driver or gRPC (import constants from @sluice/driver/defaults, load the rest in the command that uses it)`,
    );
  });
}

test("sluice run's workers load neither readline nor https (the driver's); its own process, the driver, does load readline", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-command-modules-'));
  try {
    const preload = path.join(dir, 'report.cjs');
    const outDir = path.join(dir, 'out');
    fs.mkdirSync(outDir);
    // Each process's main thread, at exit: its command line and Node's list of loaded modules.
    fs.writeFileSync(
      preload,
      `if (require('node:worker_threads').isMainThread) process.on('exit', () => require('node:fs').writeFileSync(require('node:path').join(${JSON.stringify(outDir)}, process.pid + '.json'), JSON.stringify({ argv: process.argv.slice(2), loaded: process.moduleLoadList })));\n`,
    );
    const job = path.join(dir, 'count-job.ts');
    fs.writeFileSync(job, "import type { SluiceContext } from '@sluice/core';\nexport default async function (sc: SluiceContext): Promise<void> {\n  console.log('COUNT ' + (await sc.parallelize([1, 2, 3, 4, 5], 2).count()));\n}\n");
    const caches = (): string[] => (fs.existsSync(DIST) ? fs.readdirSync(DIST).filter((f) => f.endsWith('.cache')) : []);
    const before = new Set(caches());
    const r = await runCli(['run', '--workers', '2', job], { env: { NODE_OPTIONS: `--require ${preload}` }, timeoutMs: 120_000 });
    for (const f of caches()) if (!before.has(f)) fs.rmSync(path.join(DIST, f), { force: true });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^COUNT 5$/m);
    const procs = fs.readdirSync(outDir).map((f) => JSON.parse(fs.readFileSync(path.join(outDir, f), 'utf8')) as { argv: string[]; loaded: string[] });
    const builtins = (p: { loaded: string[] }): string[] => p.loaded.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice('NativeModule '.length));
    // The workers that ran (gRPC loaded): workers that cli-entry prestarted and then ended before
    // they loaded anything (a stale bundle: the cluster starts its own) load nothing to check.
    const workers = procs.filter((p) => p.argv.includes('worker') && builtins(p).includes('http2'));
    const runs = procs.filter((p) => p.argv.includes('run'));
    assert.equal(workers.length, 2, `expected the run's 2 worker processes (that loaded gRPC) among ${procs.map((p) => p.argv.join(' ')).join(' | ')}`);
    assert.equal(runs.length, 1, `expected one run process among ${procs.map((p) => p.argv.join(' ')).join(' | ')}`);
    // The control: what this test reads does show a module the driver loads.
    assert.ok(builtins(runs[0]!).includes('readline'), "the run process (the driver) loaded readline: if not, this test cannot see what it checks");
    for (const w of workers) {
      assert.deepEqual(['readline', 'https'].filter((m) => builtins(w).includes(m)), [], `a worker (${w.argv.join(' ')}) loaded the driver's modules: a static import reaches @sluice/driver`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
