// A driver or worker that listens without TLS on an address other machines can reach
// warns at start (issue 7, item 14); on loopback, or with TLS, it does not.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { freePort } from './harness.js';
import { pollUntil, randomSecret, spawnSluice, type SluiceProcess } from './sluice-processes.js';

const secret = randomSecret();
let tmp: string;
let tls: string[];
before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-plaintext-'));
  const cert = path.join(tmp, 'cert.pem');
  const key = path.join(tmp, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], {
    stdio: 'ignore',
  });
  tls = ['--tls-cert', cert, '--tls-key', key, '--tls-ca', cert];
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface LogLine {
  level: number;
  msg: string;
  address?: string;
  hint?: string;
}

function warnings(p: SluiceProcess): LogLine[] {
  return p.logLines
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine)
    .filter((l) => /plaintext listener/.test(l.msg));
}

/** Every line the process wrote before it stopped (it logs 'stopping' on SIGTERM, after all earlier lines). */
async function stopAndRead(p: SluiceProcess): Promise<LogLine[]> {
  await p.stop();
  assert.ok(p.logLines.some((l) => l.includes('"stopping"')), 'the process logged its stop');
  return warnings(p);
}

async function driverOn(bind: string, extra: string[] = []): Promise<SluiceProcess & { port: number }> {
  const port = await freePort();
  const p = await spawnSluice(['driver', '--bind', bind, '--port', String(port), '--web-port', '0', '--log-level', 'info', ...extra], secret, /driver listening/);
  return { ...p, port };
}

test('a plaintext driver and worker on 0.0.0.0 warn, naming the address and the fix', async () => {
  const driver = await driverOn('0.0.0.0');
  try {
    const [w] = await pollUntil(() => (warnings(driver).length > 0 ? warnings(driver) : undefined), 60_000, "the driver's warning", 20);
    assert.equal(w.level, 40, 'a warning');
    assert.equal(w.address, `0.0.0.0:${driver.port}`);
    assert.match(w.msg, /the cluster secret and all data travel in clear/);
    assert.match(w.hint ?? '', /--tls-cert and --tls-key.*--bind 127\.0\.0\.1/);

    const worker = await spawnSluice(['worker', '--driver', `127.0.0.1:${driver.port}`, '--bind', '0.0.0.0', '--log-level', 'info'], secret, /worker registered/);
    const ws = await stopAndRead(worker);
    assert.equal(ws.length, 1, JSON.stringify(ws));
    assert.match(ws[0].address ?? '', /^0\.0\.0\.0:\d+$/);
  } finally {
    await driver.stop();
  }
});

test('on loopback, or with TLS on 0.0.0.0, there is no warning', async () => {
  const loopback = await driverOn('127.0.0.1');
  const worker = await spawnSluice(['worker', '--driver', `127.0.0.1:${loopback.port}`, '--log-level', 'info'], secret, /worker registered/);
  assert.deepEqual(await stopAndRead(worker), []);
  assert.deepEqual(await stopAndRead(loopback), []);
  const withTls = await driverOn('0.0.0.0', tls);
  assert.deepEqual(await stopAndRead(withTls), []);
});
