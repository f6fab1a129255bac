// What a `sluice` command loads before it runs: a command that serves nothing and calls no one
// (`sluice --version`, `sluice --help`) must not load the driver, whose web UI needs Node's http
// and https and whose program thread needs readline, nor gRPC (http2, tls). Every process of
// `sluice run` (its two workers too) and every client command pays for what main.ts's static
// imports reach: once, a --conf check importing two constants from `@sluice/driver` (the
// barrel) made each of them load the whole driver. Read from Node's own list of the modules a
// process loaded (process.moduleLoadList), at exit, through bin/sluice.js as a user runs it
// (the bundle, or the modules where the bundle is stale: the same imports either way).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { CLI_BIN, CLI_DIR } from './harness.js';

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
