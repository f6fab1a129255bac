// What a job's driver program prints on its standard error (console.error, console.warn,
// process.stderr.write) comes out on the command's stderr, with `sluice run` and with `sluice
// submit` to a driver process; what it prints on standard output on the command's stdout.
// Until 2026-12-05 both went to stdout: SparkPageRank's warning, ported as console.error,
// landed in `sluice run page-rank.ts FILE > ranks.txt`.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { test } from 'node:test';
import { fixture, runCli } from './harness.js';
import { startDriverProcess, startWorkerProcess } from './sluice-processes.js';

const FIXTURE = fixture('prints-on-both-streams.ts');

/** The lines of `text` that start with `prefix` (the fixture's own lines, of one tag). */
function ours(text: string, prefix: string): string[] {
  return text.split('\n').filter((l) => l.startsWith(prefix));
}

function expectStreams(r: { code: number | null; stdout: string; stderr: string }, tag: string): void {
  const show = `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr.slice(-3000)}`;
  assert.equal(r.code, 0, show);
  assert.deepEqual(ours(r.stdout, `OUT ${tag}`), [`OUT ${tag} count 4`, `OUT ${tag} written`], show);
  assert.deepEqual(ours(r.stdout, 'ERR'), [], `nothing of standard error on stdout\n${show}`);
  assert.deepEqual(ours(r.stderr, `ERR ${tag}`), [`ERR ${tag} usage`, `ERR ${tag} warn`, `ERR ${tag} written`], show);
  assert.deepEqual(ours(r.stderr, 'OUT'), [], `nothing of standard output on stderr\n${show}`);
}

test('sluice run: the program\'s console.error / console.warn / process.stderr lines on stderr, its console.log lines on stdout', { timeout: 120_000 }, async () => {
  const r = await runCli(['run', '--workers', '1', FIXTURE, 'run'], { timeoutMs: 90_000 });
  expectStreams(r, 'run');
});

test('sluice submit to a driver process: the same split, carried by WatchJob', { timeout: 120_000 }, async () => {
  const secret = crypto.randomBytes(16).toString('hex');
  const driver = await startDriverProcess(secret);
  try {
    const worker = await startWorkerProcess(driver.address, secret);
    try {
      const r = await runCli(['submit', '--driver', driver.address, FIXTURE, 'submit'], { env: { SLUICE_SECRET: secret, SLUICE_SECRET_FILE: '' }, timeoutMs: 90_000 });
      expectStreams(r, 'submit');
    } finally {
      await worker.stop();
    }
  } finally {
    await driver.stop();
  }
});
