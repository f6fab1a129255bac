// `sluice driver --state-dir`: a driver killed with -9 and started again on the same state
// dir relaunches the job it ran, under the same id, as a new attempt; the attached
// `sluice submit` waits for the driver (saying so) and goes on printing the relaunched
// job's output; the workers, registering with the new driver instance, drop what the old
// one's jobs left on them, so the relaunch reads none of it. A driver that comes back
// without the job: a clear error. A state dir that cannot be used: a clear error at start.
// Real processes throughout: `sluice driver`, two `sluice worker`s, `sluice submit`.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { PersistedJob } from '@sluice/driver';
import { listJobs } from '../src/submit-client.js';
import { CLI_BIN, blocksOn, fixture, freePort, runCli, sleep } from './harness.js';
import { pollUntil, randomSecret, spawnSluice, startWorkerProcess, type SluiceProcess } from './sluice-processes.js';

interface Submit {
  readonly child: ChildProcess;
  readonly stdout: string[];
  stderr: string;
  readonly exited: Promise<number | null>;
}

function startSubmit(secret: string, args: readonly string[]): Submit {
  const child = spawn(process.execPath, [CLI_BIN, 'submit', ...args], { env: { ...process.env, SLUICE_SECRET: secret, SLUICE_SECRET_FILE: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const s: Submit = { child, stdout: [], stderr: '', exited: new Promise((r) => child.once('exit', (code) => r(code))) };
  let rest = '';
  child.stdout!.on('data', (d: Buffer) => {
    const parts = (rest + d.toString()).split('\n');
    rest = parts.pop()!;
    s.stdout.push(...parts);
  });
  child.stderr!.on('data', (d: Buffer) => (s.stderr += d.toString()));
  return s;
}

function startDriver(secret: string, port: number, extra: readonly string[]): Promise<SluiceProcess> {
  return spawnSluice(['driver', '--port', String(port), '--web-port', '0', '--log-level', 'info', '--heartbeat-ms', '500', ...extra], secret, /driver listening/);
}

function killed(p: SluiceProcess): Promise<void> {
  const c = p.child;
  const gone = c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => c.once('exit', () => r()));
  c.kill('SIGKILL');
  return gone;
}

const registry = (dir: string): PersistedJob[] => (JSON.parse(fs.readFileSync(path.join(dir, 'jobs.json'), 'utf8')) as { jobs: PersistedJob[] }).jobs;
const roundValues = (lines: readonly string[]): number[] => lines.filter((l) => l.startsWith('ROUND ')).map((l) => Number(l.split(' ')[2]));

test('kill -9 of a driver with --state-dir: started again, it relaunches the job under its id; submit waits and goes on; workers drop the old attempt', { timeout: 120_000 }, async () => {
  const secret = randomSecret();
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-test-state-'));
  const port = await freePort();
  const addr = `127.0.0.1:${port}`;
  const procs: SluiceProcess[] = [];
  let submit: Submit | undefined;
  try {
    procs.push(await startDriver(secret, port, ['--state-dir', stateDir]));
    const workers = [await startWorkerProcess(addr, secret), await startWorkerProcess(addr, secret)];
    procs.push(...workers);
    submit = startSubmit(secret, ['--driver', addr, fixture('attempt-probe.ts'), '4']);
    const sub = submit;
    await pollUntil(() => (roundValues(sub.stdout).length >= 3 ? true : undefined), 30_000, `3 rounds; stdout:\n${sub.stdout.join('\n')}\nstderr:\n${sub.stderr}`);
    const id = /submitted attempt-probe\.ts as (job-\S+)/.exec(sub.stderr)?.[1];
    assert.ok(id, sub.stderr);
    const kept = registry(stateDir);
    assert.equal(kept.length, 1);
    assert.equal(kept[0].id, id);
    assert.equal(kept[0].attempt, 1);
    assert.equal(kept[0].state, 'running');
    assert.deepEqual(kept[0].args, ['4']);
    assert.ok(fs.existsSync(path.join(stateDir, 'bundles', `${kept[0].bundleSha}.mjs`)), 'the bundle is copied into the state dir');
    const lastBefore = roundValues(sub.stdout).at(-1)!;
    // The first attempt's cached partitions, as the workers hold them (ids rdd_<runId>_<rdd>_<partition>).
    const oldIds = [0, 1, 2, 3, 4, 5].flatMap((r) => [0, 1, 2, 3].map((p) => `rdd_${id}_${r}_${p}`));
    const heldOld = async (): Promise<number> => {
      let n = 0;
      for (const w of workers) n += (await blocksOn(w.address, secret, oldIds)).size;
      return n;
    };
    assert.ok((await heldOld()) >= 4, 'the first attempt cached its 4 partitions on the workers');

    await killed(procs[0]);
    await pollUntil(() => (sub.stderr.includes(`waiting for the driver at ${addr}`) ? true : undefined), 60_000, `submit to say it waits; stderr:\n${sub.stderr}`);
    // Why, in the words a refused connect gets elsewhere, not gRPC's ('... Resolution note: )': user49).
    assert.match(sub.stderr, new RegExp(`waiting for the driver at ${addr} to come back \\(nothing listens on port ${port} of 127\\.0\\.0\\.1 \\(connection refused\\)`), sub.stderr);
    assert.doesNotMatch(sub.stderr, /Resolution note/, sub.stderr);
    const cut = sub.stdout.length;
    procs[0] = await startDriver(secret, port, ['--state-dir', stateDir]);
    const restarted = procs[0];
    await pollUntil(() => (roundValues(sub.stdout.slice(cut)).length >= 2 ? true : undefined), 40_000, `the relaunched job's rounds; stdout:\n${sub.stdout.join('\n')}\nstderr:\n${sub.stderr}`);
    const after = sub.stdout.slice(cut);
    assert.equal(after.find((l) => l.startsWith('START ')), `START ${id}`, 'the relaunched program runs under the same id');
    assert.ok(lastBefore >= 5, `the first attempt's sandboxes counted to ${lastBefore}`);
    assert.ok(roundValues(after)[0] <= 4, `the relaunch's first round saw the counter at ${roundValues(after)[0]}: it ran in a sandbox of the old attempt`);
    assert.match(sub.stderr, new RegExp(`restarted and relaunched job ${id}`));
    const relaunchLog = restarted.logLines.find((l) => l.includes('relaunching a job of the previous driver'));
    assert.ok(relaunchLog, restarted.logLines.join('\n'));
    assert.equal((JSON.parse(relaunchLog) as { jobId: string; attempt: number }).attempt, 2);
    assert.equal(registry(stateDir)[0].attempt, 2);
    const jobs = await listJobs(addr, { secret });
    assert.deepEqual(
      jobs.map((j) => [j.job_id, j.state, j.attempt]),
      [[id, 'running', 2]],
    );
    const table = await runCli(['jobs', '--driver', addr], { env: { SLUICE_SECRET: secret, SLUICE_SECRET_FILE: '' } });
    // The table's columns are separated by two spaces or more; read ATTEMPT by its header.
    const lines = table.stdout.split('\n').filter((l) => l.trim() !== '');
    const cells = (l: string): string[] => l.trim().split(/\s{2,}/);
    const header = cells(lines[0]!);
    const row = lines.map(cells).find((r) => r[0] === id);
    assert.ok(header.includes('ATTEMPT') && row, table.stdout);
    assert.deepEqual([row[1], row[2], row[header.indexOf('ATTEMPT')]], ['attempt-probe.ts', 'running', '2'], table.stdout);
    // None of the first attempt's blocks is left: the workers dropped them when they
    // registered with the new driver instance.
    await pollUntil(async () => ((await heldOld()) === 0 ? true : undefined), 60_000, "the old attempt's cached blocks to leave the workers");
    // Each worker logged it before it dropped them, but the line comes through its stderr pipe,
    // which may reach this process after the blocks' absence does: waited for (10 s at most).
    const said = (w: (typeof workers)[number]): boolean => w.logLines.some((l) => l.includes('the driver restarted; dropping'));
    await pollUntil(() => workers.every(said) || undefined, 10_000, "each worker's 'the driver restarted; dropping' line").catch(() => undefined);
    for (const w of workers) assert.ok(said(w), w.logLines.join('\n'));

    // Stopped, the job leaves the registry (and its bundle the state dir); a driver
    // started again relaunches nothing.
    const stop = await runCli(['stop', id!, '--driver', addr], { env: { SLUICE_SECRET: secret, SLUICE_SECRET_FILE: '' } });
    assert.equal(stop.code, 0, stop.stderr);
    // Stopped, not failed: the attached submit says so and exits 0.
    assert.equal(await sub.exited, 0);
    assert.match(sub.stderr, new RegExp(`job ${id} was stopped \\(sluice stop\\)`));
    await pollUntil(() => (registry(stateDir).length === 0 ? true : undefined), 60_000, 'the stopped job to leave the registry');
    assert.deepEqual(fs.readdirSync(path.join(stateDir, 'bundles')), []);
    await killed(procs[0]);
    procs[0] = await startDriver(secret, port, ['--state-dir', stateDir]);
    await sleep(500);
    assert.deepEqual(await listJobs(addr, { secret }), []);
  } finally {
    submit?.child.kill('SIGKILL');
    for (const p of procs.reverse()) await p.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
});

test('a driver that comes back without the job (started without --state-dir): sluice submit says so and exits', { timeout: 90_000 }, async () => {
  const secret = randomSecret();
  const port = await freePort();
  const addr = `127.0.0.1:${port}`;
  const procs: SluiceProcess[] = [];
  let submit: Submit | undefined;
  try {
    procs.push(await startDriver(secret, port, []));
    procs.push(await startWorkerProcess(addr, secret));
    submit = startSubmit(secret, ['--driver', addr, fixture('attempt-probe.ts'), '2']);
    const sub = submit;
    await pollUntil(() => (roundValues(sub.stdout).length >= 1 ? true : undefined), 30_000, `a round; stderr:\n${sub.stderr}`);
    await killed(procs[0]);
    procs[0] = await startDriver(secret, port, []);
    assert.equal(await sub.exited, 1);
    assert.match(sub.stderr, new RegExp(`SLUICE_JOB_LOST.*the driver at ${addr.replace(/\./g, '\\.')} came back without job job-\\S+ .*--state-dir`));
  } finally {
    submit?.child.kill('SIGKILL');
    for (const p of procs.reverse()) await p.stop();
  }
});

test('a --state-dir that cannot be used is a clear error at start', { timeout: 200_000 }, async () => {
  const secret = randomSecret();
  const env = { SLUICE_SECRET: secret, SLUICE_SECRET_FILE: '' };
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-test-badstate-'));
  try {
    const file = path.join(base, 'a-file');
    fs.writeFileSync(file, 'not a directory');
    for (const dir of [file, path.join(file, 'below')]) {
      const r = await runCli(['driver', '--port', String(await freePort()), '--web-port', '0', '--state-dir', dir], { env, timeoutMs: 60_000 });
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`SLUICE_BAD_ARGUMENT.*--state-dir '${dir.replace(/[.]/g, '\\.')}' cannot be used: .*give a writable directory`));
    }
    // A registry this version cannot read: refused, naming the file and the fix.
    const corrupt = path.join(base, 'corrupt');
    fs.mkdirSync(corrupt);
    fs.writeFileSync(path.join(corrupt, 'jobs.json'), '{"version": 1, "jobs": [');
    const c = await runCli(['driver', '--port', String(await freePort()), '--web-port', '0', '--state-dir', corrupt], { env, timeoutMs: 60_000 });
    assert.equal(c.code, 1, c.stderr);
    assert.match(c.stderr, /the driver state .*jobs\.json is not valid .*Move it away/);
    // A state dir a live driver uses: a second driver refuses it.
    const shared = path.join(base, 'shared');
    const first = await startDriver(secret, await freePort(), ['--state-dir', shared]);
    try {
      const second = await runCli(['driver', '--port', String(await freePort()), '--web-port', '0', '--state-dir', shared], { env, timeoutMs: 60_000 });
      assert.equal(second.code, 1, second.stderr);
      assert.match(second.stderr, new RegExp(`the driver with pid ${first.child.pid} uses it`));
    } finally {
      await first.stop();
    }
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
});
