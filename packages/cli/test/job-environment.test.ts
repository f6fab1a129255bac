// Job code does not see the cluster secret (issue 7, item 15): the driver program, its
// tasks and its receivers run with SLUICE_SECRET and SLUICE_SECRET_FILE removed from
// process.env, though the processes running them were started with both. Through the
// real CLI: `sluice submit` to `sluice driver` + `sluice worker`, and `sluice run`.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fixture, jsonLines, runCli, type CliResult } from './harness.js';
import { randomSecret, startDriverProcess, startWorkerProcess, type SluiceProcess } from './sluice-processes.js';

interface Probe {
  secretVars: string[];
  marker: string | null;
}

const secret = randomSecret();
let tmp: string;
let env: NodeJS.ProcessEnv;
let driver: SluiceProcess & { address: string };
let worker: SluiceProcess & { address: string };
before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-job-env-'));
  const file = path.join(tmp, 'secret.txt');
  fs.writeFileSync(file, secret);
  // Both ways of giving the secret at once, and a marker the job must see.
  env = { SLUICE_SECRET: secret, SLUICE_SECRET_FILE: file, SLUICE_TEST_MARKER: 'visible' };
  driver = await startDriverProcess(secret, [], env);
  worker = await startWorkerProcess(driver.address, secret, [], env);
});
after(async () => {
  await worker?.stop();
  await driver?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function probes(r: CliResult): Map<string, Probe[]> {
  const lines = r.stdout.split('\n');
  const out = new Map<string, Probe[]>();
  for (const where of ['driver', 'task', 'receiver']) out.set(where, jsonLines<Probe>(lines, `ENV ${where} `));
  return out;
}

function assertHidden(r: CliResult): void {
  assert.equal(r.code, 0, `exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  for (const [where, ps] of probes(r)) {
    assert.ok(ps.length >= 1, `no probe from the ${where}:\n${r.stdout}`);
    for (const p of ps) assert.deepEqual(p, { secretVars: [], marker: 'visible' }, `the ${where}'s process.env`);
  }
  assert.ok(!r.stdout.includes(secret));
}

test('sluice submit: the driver program, tasks and a receiver see neither SLUICE_SECRET nor SLUICE_SECRET_FILE', async () => {
  const r = await runCli(['submit', '--driver', driver.address, fixture('env-probe.ts')], { env, timeoutMs: 90_000 });
  assertHidden(r);
});

test('sluice run: the same on the embedded local cluster', async () => {
  const r = await runCli(['run', '--workers', '1', fixture('env-probe.ts')], { env, timeoutMs: 90_000 });
  assertHidden(r);
});
