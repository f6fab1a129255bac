import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { CLI_BIN, REPO_DIR, runCli, freePort } from './harness.js';

function start(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, [CLI_BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
}

test('a cluster whose every RPC runs over TLS runs a job; a plaintext client is refused', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-tls-'));
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], {
    stdio: 'ignore',
  });
  const tls = ['--tls-cert', cert, '--tls-key', key, '--tls-ca', cert];
  const env = { SLUICE_SECRET: crypto.randomBytes(16).toString('hex'), SLUICE_SECRET_FILE: '' };
  const port = await freePort();
  const driverAddr = `127.0.0.1:${port}`;
  const procs: ChildProcess[] = [];
  try {
    procs.push(start(['driver', '--port', String(port), '--log-level', 'warn', ...tls], env));
    for (let i = 0; i < 2; i++) procs.push(start(['worker', '--driver', driverAddr, '--cores', '1', '--log-level', 'warn', ...tls], env));
    // Wait until both workers registered (over TLS).
    let listed = '';
    for (let i = 0; i < 100 && (listed.match(/worker-/g) ?? []).length < 2; i++) {
      listed = (await runCli(['workers', '--driver', driverAddr, '--tls-ca', cert], { env, timeoutMs: 20_000 })).stdout;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal((listed.match(/worker-/g) ?? []).length, 2, listed);
    const run = await runCli(['submit', '--driver', driverAddr, '--tls-ca', cert, 'examples/wordcount.ts'], { env, timeoutMs: 60_000, cwd: REPO_DIR });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^stream\t75000$/m);
    const plain = await runCli(['workers', '--driver', driverAddr], { env, timeoutMs: 30_000 });
    assert.equal(plain.timedOut, false);
    assert.notEqual(plain.code, 0);
    assert.match(plain.stderr, /TLS/);
  } finally {
    for (const p of procs) p.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
