// A standing driver (`sluice driver`: DriverOptions.spareJobThread and replaceSpareJobThread)
// starts a driver-program thread ahead of its first job and, each time a job took it, another
// once no job runs (SpareJobThreads' `replace`): never while a job runs. On a real cluster
// (driver here, one worker process): job A (one bundle) takes the spare and is held running
// until the test lets it go; meanwhile no second spare starts; once A ended one does, and job B
// (another bundle) is bound to it. Then `sluice driver` itself: two `sluice submit`s of two
// bundles, each job bound to a spare. Sums computed here.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import pino from 'pino';
import { LocalCluster, bundleJob } from '../src/index.js';
import type { DriverJob } from '@sluice/driver';
import { fixture, pollUntil, runCli, within } from './harness.js';
import { randomSecret, startDriverProcess, startWorkerProcess } from './sluice-processes.js';

interface LogLine {
  readonly msg: string;
  readonly jobId?: string;
}

test('a standing driver replaces its spare driver-program thread once no job runs, and the next job of another bundle is bound to it', { timeout: 120_000 }, async () => {
  const lines: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l.startsWith('{')) lines.push(JSON.parse(l) as LogLine);
      done();
    },
  });
  const started = (): number => lines.filter((l) => l.msg === 'spare job thread started').length;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-spare-job-'));
  const release = path.join(dir, 'release');
  const cluster = new LocalCluster({ workers: 1, coresPerWorker: 1, logLevel: 'warn', log: pino({ level: 'debug' }, sink), driver: { spareJobThread: true, replaceSpareJobThread: true } });
  try {
    await cluster.start();
    const submit = async (file: string, args: string[]): Promise<{ job: DriverJob; out: string[]; ended: Promise<string> }> => {
      const b = await bundleJob(file);
      const job = cluster.driver.submit({ name: b.name, code: b.code, sourceMap: b.sourceMap, args });
      const out: string[] = [];
      job.on('output', (l) => out.push(l));
      return { job, out, ended: new Promise((resolve) => job.once('end', (s) => resolve(s))) };
    };
    const a = await submit(fixture('driver-thread-hold.ts'), [release]);
    await pollUntil(() => a.out.includes('HELD') || undefined, 60_000, 'job A to run');
    // A runs (held): the spare it took is not replaced while it does.
    assert.equal(started(), 1, 'one spare started (with the driver), none while job A runs');
    fs.writeFileSync(release, '');
    assert.equal(await within(a.ended, 60_000, 'job A'), 'succeeded');
    assert.ok(a.out.includes(`HOLD_SUM ${(100 * 101) / 2}`), a.out.join('\n'));
    await pollUntil(() => started() === 2 || undefined, 30_000, 'the spare to be started again once no job runs');
    const b = await submit(fixture('driver-thread-probe.ts'), ['300']);
    assert.equal(await within(b.ended, 60_000, 'job B'), 'succeeded');
    const probe = JSON.parse(b.out.find((l) => l.startsWith('DRIVER_PROBE '))!.slice('DRIVER_PROBE '.length)) as { sum: number; runs: number };
    assert.deepEqual([probe.sum, probe.runs], [Array.from({ length: 300 }, (_, i) => i * i).reduce((x, y) => x + y, 0), 1]);
    // Each job bound to a spare: B (another bundle than A's) to the one started after A ended.
    assert.deepEqual(lines.filter((l) => l.msg === 'spare job thread bound to a job').map((l) => l.jobId), [a.job.id, b.job.id]);
  } finally {
    await cluster.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('sluice driver binds each submitted job of a new bundle to a spare driver-program thread', { timeout: 120_000 }, async () => {
  const secret = randomSecret();
  const driver = await startDriverProcess(secret, ['--log-level', 'debug']);
  const worker = await startWorkerProcess(driver.address, secret);
  try {
    const env = { SLUICE_SECRET: secret, SLUICE_SECRET_FILE: '' };
    const squares = (n: number): number => Array.from({ length: n }, (_, i) => i * i).reduce((x, y) => x + y, 0);
    const first = await runCli(['submit', '--driver', driver.address, fixture('driver-thread-probe.ts'), '200'], { env, timeoutMs: 60_000 });
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, new RegExp(`"sum":${squares(200)}\\b`));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-spare-job-'));
    const release = path.join(dir, 'release');
    fs.writeFileSync(release, '');
    try {
      // Another bundle, once the driver started its spare again (no job runs after the first).
      const starts = (): number => driver.logLines.filter((l) => l.includes('"msg":"spare job thread started"')).length;
      await pollUntil(() => starts() === 2 || undefined, 30_000, 'the spare to be started again after the first job');
      const second = await runCli(['submit', '--driver', driver.address, fixture('driver-thread-hold.ts'), release], { env, timeoutMs: 60_000 });
      assert.equal(second.code, 0, second.stderr);
      assert.match(second.stdout, new RegExp(`HOLD_SUM ${(100 * 101) / 2}\\b`));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const started = driver.logLines.filter((l) => l.includes('"msg":"job started"')).map((l) => (JSON.parse(l) as LogLine).jobId);
    const bound = driver.logLines.filter((l) => l.includes('"msg":"spare job thread bound to a job"')).map((l) => (JSON.parse(l) as LogLine).jobId);
    assert.equal(started.length, 2);
    assert.deepEqual(bound, started);
  } finally {
    await worker.stop();
    await driver.stop();
  }
});
