// `sluice jobs` and `sluice workers` print what the cluster reports with control
// characters escaped (issue 7, item 16): a job file whose name holds a newline, a
// carriage return and terminal escape sequences, a job error with escape sequences,
// and a worker id with an OSC sequence cannot break the table or reach the terminal.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { after, before, test } from 'node:test';
import { runCli, type CliResult } from './harness.js';
import { callStatus, metadataWith, randomSecret, rawClient, startDriverProcess, type SluiceProcess } from './sluice-processes.js';
import { THIS_BUILD } from '@sluice/core/internal';

const secret = randomSecret();
const env = { SLUICE_SECRET: secret, SLUICE_SECRET_FILE: '' };
let tmp: string;
let driver: SluiceProcess & { address: string };
before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-cli-escapes-'));
  driver = await startDriverProcess(secret);
});
after(async () => {
  await driver?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const ESC = '\u001b';

function show(r: CliResult): string {
  return `exit ${r.code}\n--- stdout\n${JSON.stringify(r.stdout)}\n--- stderr\n${JSON.stringify(r.stderr)}`;
}

/** Nothing a terminal would act on: no ESC, CR, BEL, backspace or other C0/C1 control except the line breaks. */
function assertNoControls(s: string, what: string): void {
  // eslint-disable-next-line no-control-regex
  const bad = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/.exec(s);
  assert.equal(bad, null, `${what} holds control character ${JSON.stringify(bad?.[0])}: ${JSON.stringify(s)}`);
}

test('sluice jobs escapes a job name with a newline and escape sequences, and its error', async () => {
  const name = `evil\n${ESC}[31mred${ESC}[0m\r.ts`;
  const file = path.join(tmp, name);
  // The job fails with a message that tries to clear the screen.
  fs.writeFileSync(file, `export default async function () {\n  throw new Error('boom ${'\\u001b'}[2J cleared');\n}\n`);
  const submit = await runCli(['submit', '--driver', driver.address, file], { env, timeoutMs: 60_000 });
  assert.equal(submit.code, 1, show(submit));
  assertNoControls(submit.stderr, 'sluice submit stderr');
  assert.ok(submit.stderr.includes('boom \\x1b[2J cleared'), show(submit));

  const jobs = await runCli(['jobs', '--driver', driver.address], { env, timeoutMs: 30_000 });
  assert.equal(jobs.code, 0, show(jobs));
  assertNoControls(jobs.stdout, 'sluice jobs stdout');
  const lines = jobs.stdout.split('\n');
  // The header, one row for the one job, then the failure block.
  assert.match(lines[0], /^JOB\s+NAME\s+STATE/);
  assert.match(lines[1], /^job-\S+\s+evil\\n\\x1b\[31mred\\x1b\[0m\\r\.ts\s+failed\s/, show(jobs));
  assert.equal(lines[2], '');
  assert.match(lines[3], /^job-\S+ failed: .*boom \\x1b\[2J cleared/, show(jobs));
});

test('sluice workers escapes a worker id with an OSC sequence and a newline', async () => {
  // A worker that registers with a hostile id (it holds the secret; the CLI must still print safely).
  const id = `w1\n${ESC}]0;pwned\u0007\u202etxt`;
  const client = rawClient('Driver', driver.address);
  try {
    const r = await callStatus(client, 'Driver', 'RegisterWorker', { worker_id: id, host: '127.0.0.1', port: 1, cores: 1, sluice_version: THIS_BUILD.sluiceVersion, protocol: THIS_BUILD.protocol }, metadataWith({ kind: 'value', value: secret }));
    assert.equal(r.code, grpc.status.OK, r.details);
  } finally {
    client.close();
  }
  const workers = await runCli(['workers', '--driver', driver.address], { env, timeoutMs: 30_000 });
  assert.equal(workers.code, 0, show(workers));
  assertNoControls(workers.stdout, 'sluice workers stdout');
  assert.ok(!workers.stdout.includes('\u202e'), 'no direction override');
  const lines = workers.stdout.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 2, show(workers));
  assert.ok(lines[1].startsWith('w1\\n\\x1b]0;pwned\\x07\\u202etxt  '), show(workers));
});
