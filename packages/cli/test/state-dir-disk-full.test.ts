// `sluice driver --state-dir` on a full disk (a 4 MiB tmpfs, packages/test-disk; root only:
// outside CI the test skips without it). Found by scripts/chaos-probe.mjs --disk-full: a job
// that ended while the state dir was full crashed the driver (ENOSPC thrown from the
// registry's write inside the job's 'finished' event), and the ended job stayed registered,
// so the next driver on the directory would relaunch it.
// - a job ends while the disk is full: the driver runs on and logs SLUICE_DISK_FULL naming
//   the registry file and what to do; once space is back it writes the registry again by
//   itself, leaving no temporary file; killed and started again, it relaunches nothing;
// - a submission while the disk is full is refused with SLUICE_DISK_FULL (nothing registered);
// - a driver started on the full directory exits with SLUICE_DISK_FULL naming it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { holdDiskFull, mountTmpfs, unmountTmpfs } from '@sluice/test-disk';
import { listJobs } from '../src/submit-client.js';
import { CLI_BIN, fixture, freePort, runCli, sleep } from './harness.js';
import { pollUntil, randomSecret, spawnSluice, type SluiceProcess } from './sluice-processes.js';
import { spawn } from 'node:child_process';

let tmp: string;
let disk: string;
let cannotMount = '';

before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-test-state-full-'));
  disk = path.join(tmp, 'disk');
  cannotMount = mountTmpfs(disk, '4m') ?? '';
});

after(() => {
  if (!cannotMount) unmountTmpfs(disk);
  fs.rmSync(tmp, { recursive: true, force: true });
});

const startDriver = (secret: string, port: number, stateDir: string): Promise<SluiceProcess> =>
  spawnSluice(['driver', '--port', String(port), '--web-port', '0', '--log-level', 'info', '--state-dir', stateDir], secret, /driver listening/);

/** `sluice driver` expected to exit: its exit code and everything it wrote to stderr. */
function driverThatExits(secret: string, port: number, stateDir: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI_BIN, 'driver', '--port', String(port), '--web-port', '0', '--state-dir', stateDir], { env: { ...process.env, SLUICE_SECRET: secret, SLUICE_SECRET_FILE: '' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const t = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('close', (code) => {
      clearTimeout(t);
      resolve({ code, stderr });
    });
  });
}

test('a full --state-dir: a job ending meanwhile does not crash the driver, which says so and writes its registry once space is back; a submission is refused; a driver started on it says the disk is full', { timeout: 180_000 }, async (t) => {
  if (cannotMount) return t.skip(cannotMount);
  const secret = randomSecret();
  const env = { SLUICE_SECRET: secret, SLUICE_SECRET_FILE: '' };
  const stateDir = path.join(disk, 'state');
  const filler = path.join(disk, 'filler');
  const endFile = path.join(tmp, 'end');
  const port = await freePort();
  const addr = `127.0.0.1:${port}`;
  let driver: SluiceProcess | undefined = await startDriver(secret, port, stateDir);
  let full: { stop(): void } | undefined;
  try {
    const sub = await runCli(['submit', fixture('wait-for-file.ts'), '--driver', addr, '--detach', '--', endFile], { env, timeoutMs: 60_000 });
    const id = / as (\S+)$/m.exec(sub.stderr)?.[1];
    assert.ok(sub.code === 0 && id, sub.stderr);
    assert.deepEqual((await listJobs(addr, { secret })).map((j) => [j.job_id, j.state]), [[id, 'running']]);

    // The job ends while the disk is full.
    full = holdDiskFull(filler);
    fs.writeFileSync(endFile, '');
    const d = driver;
    const said = await pollUntil(() => d.logLines.find((l) => l.includes('cannot write the driver state')), 60_000, `the driver to say it cannot write its state; its log:\n${d.logLines.slice(-20).join('\n')}`);
    const rec = JSON.parse(said) as { level: number; code: string; err: { message: string } };
    assert.equal(rec.code, 'SLUICE_DISK_FULL', said);
    assert.equal(rec.level, 50, said);
    assert.ok(rec.err.message.startsWith(`disk full: cannot write the driver state (its registry of jobs) to '${path.join(stateDir, 'jobs.json')}'`), rec.err.message);
    assert.match(rec.err.message, /Free space there, or start the driver with --state-dir on a disk with space\./);
    await pollUntil(async () => ((await listJobs(addr, { secret }))[0]?.state === 'succeeded' ? true : undefined), 60_000, 'the job to end');
    await sleep(1500); // the registry tried again (every second) while still full
    assert.equal(d.child.exitCode, null, `the driver runs on:\n${d.logLines.slice(-20).join('\n')}`);

    // A submission while it is full is refused, naming the disk; nothing is registered.
    const refused = await runCli(['submit', fixture('wait-for-file.ts'), '--driver', addr, '--detach', '--', endFile], { env, timeoutMs: 60_000 });
    assert.notEqual(refused.code, 0, refused.stderr);
    assert.match(refused.stderr, /SLUICE_DISK_FULL|disk full: cannot write/, refused.stderr);
    assert.ok(refused.stderr.includes(stateDir), refused.stderr);

    // Space back: the registry is written again by itself, and no temporary file is left.
    full.stop();
    full = undefined;
    fs.rmSync(filler);
    await pollUntil(() => (d.logLines.some((l) => l.includes('driver state written again')) ? true : undefined), 30_000, `the registry written again; log:\n${d.logLines.slice(-10).join('\n')}`);
    assert.deepEqual(fs.readdirSync(stateDir).filter((f) => f.endsWith('.tmp') || f.startsWith('.probe')), []);
    assert.deepEqual(fs.readdirSync(path.join(stateDir, 'bundles')), [], 'the ended job\'s bundle is gone, the refused one\'s never kept');

    // Killed and started again on the directory: the ended job is not relaunched.
    d.child.kill('SIGKILL');
    await d.stop();
    driver = await startDriver(secret, port, stateDir);
    await sleep(500);
    assert.deepEqual(await listJobs(addr, { secret }), []);
    assert.ok(!driver.logLines.some((l) => l.includes('relaunching a job')), driver.logLines.join('\n'));

    // A driver started on the full directory exits, saying the disk is full.
    await driver.stop();
    driver = undefined;
    full = holdDiskFull(filler);
    const r = await driverThatExits(secret, port, stateDir);
    assert.notEqual(r.code, 0, r.stderr);
    assert.match(r.stderr, /disk full: cannot write the driver state to '[^']+' \(driver \d+\): no space left on its device\. Free space there, or start the driver with --state-dir on a disk with space\./, r.stderr);
    assert.ok(r.stderr.includes(stateDir), r.stderr);
  } finally {
    full?.stop();
    fs.rmSync(filler, { force: true });
    await driver?.stop();
  }
});
