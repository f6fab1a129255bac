// The cluster secret through the real `sluice` CLI: a process without one, or with one
// shorter than 128 bits (32 characters), refuses to start and says how to make one.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { freePort, runCli, type CliResult } from './harness.js';

function show(r: CliResult): string {
  return `exit ${r.code}, timedOut ${r.timedOut}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

let tmp: string;
let driverAddr: string;
before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-secret-strength-'));
  // Nothing listens here: every command below must fail on its secret before it connects.
  driverAddr = `127.0.0.1:${await freePort()}`;
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The commands that need a secret, each as a user runs it. */
function commands(port: number): string[][] {
  return [
    ['driver', '--port', String(port), '--web-port', '0'],
    ['worker', '--driver', driverAddr],
    ['workers', '--driver', driverAddr],
    ['jobs', '--driver', driverAddr],
  ];
}

test('driver, worker and CLI refuse to start without a secret', async () => {
  const port = await freePort();
  for (const args of commands(port)) {
    const r = await runCli(args, { env: { SLUICE_SECRET: '', SLUICE_SECRET_FILE: '' }, timeoutMs: 60_000 });
    assert.equal(r.timedOut, false, show(r));
    assert.equal(r.code, 1, `sluice ${args[0]}: ${show(r)}`);
    assert.match(r.stderr, /\[SLUICE_NO_SECRET\]: no cluster secret: set SLUICE_SECRET/, show(r));
    assert.match(r.stderr, /openssl rand -hex 16/, show(r));
    assert.doesNotMatch(r.stderr, /listening/, show(r));
  }
});

test('a secret of 31 characters is refused by every process, from the environment and from a file; 32 are accepted', async () => {
  const port = await freePort();
  const short = crypto.randomBytes(16).toString('hex').slice(0, 31);
  const file = path.join(tmp, 'short-secret.txt');
  fs.writeFileSync(file, `${short}\n`);
  for (const args of commands(port)) {
    const fromEnv = await runCli(args, { env: { SLUICE_SECRET: short, SLUICE_SECRET_FILE: '' }, timeoutMs: 60_000 });
    assert.equal(fromEnv.code, 1, `sluice ${args[0]}: ${show(fromEnv)}`);
    assert.match(fromEnv.stderr, /\[SLUICE_WEAK_SECRET\]: the cluster secret from SLUICE_SECRET has 31 characters; it needs at least 32 \(128 bits\)/, show(fromEnv));
    assert.match(fromEnv.stderr, /openssl rand -hex 16/, show(fromEnv));
    assert.ok(!fromEnv.stderr.includes(short), 'the message does not print the secret');
    const fromFile = await runCli([...args, '--secret-file', file], { env: { SLUICE_SECRET: '', SLUICE_SECRET_FILE: '' }, timeoutMs: 60_000 });
    assert.equal(fromFile.code, 1, `sluice ${args[0]} --secret-file: ${show(fromFile)}`);
    assert.match(fromFile.stderr, new RegExp(`\\[SLUICE_WEAK_SECRET\\]: the cluster secret from the file '${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}' has 31 characters`), show(fromFile));
  }
  // One more character and the CLI gets past the secret: it fails only because no driver answers.
  const ok = await runCli(['workers', '--driver', driverAddr], { env: { SLUICE_SECRET: `${short}0`, SLUICE_SECRET_FILE: '' }, timeoutMs: 30_000 });
  assert.match(ok.stderr, /SLUICE_UNREACHABLE/, show(ok));
  assert.doesNotMatch(ok.stderr, /SLUICE_WEAK_SECRET/, show(ok));
});
