// What `sluice` prints on stderr, checked line by line on real processes: one report of a
// failure, JSON log lines without a key twice, a Ctrl-C that stops the job without warnings
// (no `receiver lost; restarting it`), and a port in use reported by Sluice alone.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { CLI_BIN, fixture, lineOf, runCli, sleep, within, type CliResult } from './harness.js';
import { pollUntil, randomSecret, startDriverProcess, startWorkerProcess } from './sluice-processes.js';

function show(r: CliResult): string {
  return `exit ${r.code}, timedOut ${r.timedOut}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

/**
 * The keys that occur more than once in one object of a JSON text. JSON.parse keeps the
 * last of them silently, so this reads the text itself: strings (with escapes) are
 * skipped, and a string followed by ':' inside an object is a key of that object.
 */
export function duplicateKeys(json: string): string[] {
  const dups: string[] = [];
  const stack: (Set<string> | null)[] = [];
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (c === '"') {
      let j = i + 1;
      let key = '';
      while (j < json.length && json[j] !== '"') {
        if (json[j] === '\\') key += json[j++];
        key += json[j++];
      }
      let k = j + 1;
      while (k < json.length && /\s/.test(json[k])) k++;
      const top = stack[stack.length - 1];
      if (json[k] === ':' && top) {
        if (top.has(key)) dups.push(key);
        top.add(key);
      }
      i = j;
    } else if (c === '{') stack.push(new Set());
    else if (c === '[') stack.push(null);
    else if (c === '}' || c === ']') stack.pop();
  }
  return dups;
}

/** JSON log lines of a stderr text, and the ones with a key twice. */
function logLines(stderr: string): { lines: string[]; withDuplicates: string[] } {
  const lines = stderr.split('\n').filter((l) => l.startsWith('{'));
  return { lines, withDuplicates: lines.filter((l) => duplicateKeys(l).length > 0).map((l) => `${duplicateKeys(l).join(',')}: ${l}`) };
}

/**
 * Warnings and errors among log lines, less the two a loaded machine can cause on its own
 * (a stream falling behind; a worker's heartbeat to a driver that is shutting down).
 */
function warnings(lines: readonly string[]): string[] {
  return lines.filter((l) => (JSON.parse(l) as { level: number }).level >= 40 && !/falling behind|heartbeat failed/.test(l));
}

/** Components named by the log lines (their `component` field). */
function components(lines: readonly string[]): Set<string> {
  return new Set(lines.map((l) => (JSON.parse(l) as { component?: string }).component).filter((c): c is string => c !== undefined));
}

test('the duplicate-key check itself: finds a key twice at any depth, not in strings or in sibling objects', () => {
  assert.deepEqual(duplicateKeys('{"a":1,"b":{"c":1,"c":2},"a":3}'), ['c', 'a']);
  assert.deepEqual(duplicateKeys('{"a":"\\"a\\":","b":[{"a":1},{"a":2}]}'), []);
  assert.deepEqual(duplicateKeys('{"component":"driver","jobId":"j","component":"receiver-tracker"}'), ['component']);
});

test('a failing streaming job under `sluice run --log-level trace`: the failure reported once, every log line without a key twice', async () => {
  const r = await runCli(['run', '--workers', '2', '--log-level', 'trace', fixture('stream-cli.ts'), 'throws'], { timeoutMs: 90_000 });
  assert.equal(r.timedOut, false, show(r));
  assert.equal(r.code, 1, show(r));
  // What a user reads: the output, stderr's text, and log lines at warn or above (lines at
  // info and below, shown here only because of --log-level trace, record it for the driver).
  const read = [...r.stdout.split('\n'), ...r.stderr.split('\n').filter((l) => !l.startsWith('{') || (JSON.parse(l) as { level: number }).level >= 40)];
  assert.equal(read.join('\n').match(/output exploded at batch two/g)?.length, 1, `the failure is reported once:\n${show(r)}`);
  assert.match(r.stderr, /\nJob \S+ failed \[SLUICE_JOB_FAILED\]: Error: output exploded at batch two\n/);
  assert.match(r.stderr, new RegExp(`stream-cli\\.ts:${lineOf(fixture('stream-cli.ts'), 'output exploded')}:`));
  const { lines, withDuplicates } = logLines(r.stderr);
  assert.ok(lines.length >= 20, `trace logging printed lines:\n${r.stderr}`);
  assert.deepEqual(withDuplicates, []);
  // The job's own components log through the driver (where `component` was bound twice).
  for (const c of ['driver', 'job-scheduler', 'dag-scheduler', 'spare-task-threads', 'worker']) assert.ok(components(lines).has(c), `a ${c} line was checked`);
});

test("a worker's job sandbox warning (task thread retired after an unhandled rejection in the job's code) has no key twice", async () => {
  const r = await runCli(['run', '--workers', '1', fixture('leaves-rejection.ts'), 'during'], { timeoutMs: 90_000 });
  assert.equal(r.timedOut, false, show(r));
  const { lines, withDuplicates } = logLines(r.stderr);
  assert.ok(lines.some((l) => l.includes('task thread retired after an unhandled error')), `the sandbox warned:\n${show(r)}`);
  assert.deepEqual(withDuplicates, []);
});

test("a process warning the job's code emits in its tasks: one JSON line of the worker's log per thread, no text of Node's warning printer among the log lines", async () => {
  const r = await runCli(['run', '--workers', '1', fixture('emits-warning.ts')], { timeoutMs: 90_000 });
  assert.equal(r.timedOut, false, show(r));
  assert.equal(r.code, 0, show(r));
  assert.match(r.stdout, /^RESULT \[2,4,6,8,10,12,14,16\]$/m, show(r));
  // Node's default printer: `(node:PID) FixtureVersionWarning: ...` and its `(Use \`node --trace-warnings ...\`` line.
  assert.doesNotMatch(r.stderr, /^\(node:\d+\)|^\(Use `node --trace-warnings/m, show(r));
  const { lines, withDuplicates } = logLines(r.stderr);
  const warned = lines.filter((l) => l.includes('FIXTURE_W1')).map((l) => JSON.parse(l) as { level: number; component: string; msg: string; warning: string; warningCode: string; detail: string; jobId: string });
  assert.ok(warned.length >= 1, `the warning is logged:\n${show(r)}`);
  // 4 partitions emitting it twice each: at most once per task thread (a worker of --cores 2 runs 2, spares aside), never once per emit.
  assert.ok(warned.length < 8, `logged once per thread, not at each emit (${warned.length}):\n${show(r)}`);
  for (const w of warned) {
    assert.deepEqual([w.level, w.component, w.msg, w.warning, w.warningCode, w.detail], [40, 'worker', "the job's code emitted a process warning", 'FixtureVersionWarning', 'FIXTURE_W1', 'the fixture library will need a newer Node.js']);
    assert.match(w.jobId, /^job-/);
  }
  assert.deepEqual(withDuplicates, []);
});

test('Ctrl-C on `sluice run` of a streaming job with receivers: the job stops, no warning (no `receiver lost; restarting it`), no failure, exit 0; no log line has a key twice', async () => {
  // As a terminal does: SIGINT to the whole process group (sluice run and its workers).
  const child = spawn(process.execPath, [CLI_BIN, 'run', '--workers', '2', '--log-level', 'trace', fixture('stream-ticks.ts')], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    await within(
      new Promise<void>((resolve) => {
        const check = (): void => {
          if ((stdout.match(/^BATCH [1-9]\d*$/gm) ?? []).length >= 3) resolve();
        };
        child.stdout.on('data', check);
      }),
      60_000,
      `3 batches with records:\n${stdout}\n${stderr}`,
    );
    process.kill(-child.pid!, 'SIGINT');
    const code = await within(exited, 30_000, `sluice run to exit after SIGINT:\n${stderr}`);
    const r = { code, stdout, stderr, timedOut: false };
    assert.equal(code, 0, show(r));
    assert.doesNotMatch(stderr, /receiver lost|restarting it|worker lost/, show(r));
    assert.doesNotMatch(stderr, /failed|SLUICE_CANCELLED/, show(r));
    const { lines, withDuplicates } = logLines(stderr);
    assert.deepEqual(warnings(lines), [], 'no warning or error logged');
    assert.ok(lines.some((l) => /"state":"stopped".*"msg":"job ended"/.test(l)), `the job ended stopped:\n${stderr}`);
    assert.deepEqual(withDuplicates, []);
    for (const c of ['receiver-tracker', 'spare-task-threads', 'worker', 'driver']) assert.ok(components(lines).has(c), `a ${c} line was checked`);
  } finally {
    if (child.exitCode === null) process.kill(-child.pid!, 'SIGKILL');
  }
});

test('a driver or worker on a port in use: stderr holds Sluice\'s one clear error, not grpc-js\'s "No address added"', async () => {
  const holder = net.createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  const port = (holder.address() as net.AddressInfo).port;
  // A temp directory of their own: what they leave in it is what a failed start leaks.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-port-in-use-'));
  const env = { SLUICE_SECRET: randomSecret(), SLUICE_SECRET_FILE: '', TMPDIR: tmp };
  try {
    const driver = await runCli(['driver', '--port', String(port), '--web-port', '0', '--log-level', 'warn'], { env, timeoutMs: 30_000 });
    assert.equal(driver.code, 1, show(driver));
    assert.equal(
      driver.stderr,
      `error [SLUICE_IO]: driver cannot listen on 127.0.0.1:${port}: the port is already in use (EADDRINUSE). Is another driver running? Use --port to pick another port.\n`,
    );
    // (Checked before the worker runs: a starting worker removes dead processes' directories.)
    assert.deepEqual(fs.readdirSync(tmp), [], 'the driver left no scratch directory behind');
    const worker = await runCli(['worker', '--driver', '127.0.0.1:1', '--port', String(port), '--log-level', 'warn'], { env, timeoutMs: 30_000 });
    assert.equal(worker.code, 1, show(worker));
    assert.equal(worker.stderr, `error [SLUICE_IO]: worker cannot listen on 127.0.0.1:${port}: the port is already in use (EADDRINUSE); use --port to pick another port (0: any free port)\n`);
    assert.deepEqual(fs.readdirSync(tmp), [], 'the worker left no scratch directory behind');
  } finally {
    holder.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('sluice stop, then sluice stop --graceful, of streaming jobs with receivers on driver and worker processes: no warning in either log, no log line with a key twice', { timeout: 120_000 }, async () => {
  const secret = randomSecret();
  const env = { SLUICE_SECRET: secret, SLUICE_SECRET_FILE: '' };
  const driver = await startDriverProcess(secret, ['--log-level', 'debug']);
  const worker = await startWorkerProcess(driver.address, secret, ['--cores', '4', '--log-level', 'debug']);
  try {
    for (const graceful of [false, true]) {
      const sub = await runCli(['submit', '--driver', driver.address, '--detach', fixture('stream-ticks.ts')], { env, timeoutMs: 60_000 });
      assert.equal(sub.code, 0, show(sub));
      const id = /submitted \S+ as (\S+)/.exec(sub.stderr)?.[1];
      assert.ok(id, sub.stderr);
      await pollUntil(async () => {
        const row = (await runCli(['jobs', '--driver', driver.address], { env, timeoutMs: 20_000 })).stdout.split('\n').find((l) => l.startsWith(id!));
        return row && Number(row.split(/\s{2,}/)[3]) >= 3 ? true : undefined;
      }, 60_000, `3 batches of ${id}`, 200);
      const stop = await runCli(['stop', id!, '--driver', driver.address, ...(graceful ? ['--graceful'] : [])], { env, timeoutMs: 20_000 });
      assert.equal(stop.code, 0, show(stop));
      await pollUntil(() => (driver.logLines.some((l) => l.includes(id!) && l.includes('"msg":"job ended"')) ? true : undefined), 30_000, `${id} to end`);
      const ended = JSON.parse(driver.logLines.find((l) => l.includes(id!) && l.includes('"msg":"job ended"'))!) as { state: string };
      assert.equal(ended.state, 'stopped');
    }
    // The workers released both jobs (the last log lines of a stop are in).
    await pollUntil(() => (worker.logLines.filter((l) => l.includes('"msg":"job released"')).length >= 2 ? true : undefined), 30_000, 'both jobs released on the worker');
    for (const [name, p] of [['driver', driver], ['worker', worker]] as const) {
      const text = p.logLines.join('\n');
      assert.doesNotMatch(text, /receiver lost|restarting it/, `${name} log:\n${text}`);
      const { lines, withDuplicates } = logLines(text);
      assert.deepEqual(warnings(lines), [], `no warning in the ${name} log`);
      assert.deepEqual(withDuplicates, [], `${name} log`);
    }
    const components = new Set([...driver.logLines, ...worker.logLines].filter((l) => l.startsWith('{')).map((l) => (JSON.parse(l) as { component?: string }).component));
    for (const c of ['receiver-tracker', 'driver', 'worker', 'spare-task-threads', 'dag-scheduler']) assert.ok(components.has(c), `a ${c} line was checked`);
  } finally {
    await worker.stop();
    await driver.stop();
  }
});

test('a worker killed with -9, then another decommissioned, under a streaming job with receivers: the failure paths (worker lost, receiver lost and placed again) and the decommission (blocks copied) log no key twice; the driver then killed, the heartbeat warning says the connection is refused', { timeout: 120_000 }, async () => {
  const secret = randomSecret();
  const env = { SLUICE_SECRET: secret, SLUICE_SECRET_FILE: '' };
  const driver = await startDriverProcess(secret, ['--log-level', 'debug']);
  const workers = [
    await startWorkerProcess(driver.address, secret, ['--cores', '2', '--log-level', 'debug']),
    await startWorkerProcess(driver.address, secret, ['--cores', '2', '--log-level', 'debug']),
  ];
  try {
    const sub = await runCli(['submit', '--driver', driver.address, '--detach', fixture('stream-ticks.ts')], { env, timeoutMs: 60_000 });
    assert.equal(sub.code, 0, show(sub));
    const id = /submitted \S+ as (\S+)/.exec(sub.stderr)?.[1];
    assert.ok(id, sub.stderr);
    // Both receivers placed (one per worker: fewest receivers first), then batches run.
    await pollUntil(() => (driver.logLines.filter((l) => l.includes('"msg":"starting receiver"')).length >= 2 ? true : undefined), 60_000, 'two receivers');
    const victim = workers[1];
    const victimId = (JSON.parse(victim.logLines.find((x) => x.includes('worker registered'))!) as { workerId: string }).workerId;
    const receiverOnVictim = await pollUntil(
      () => driver.logLines.find((l) => l.includes('"msg":"starting receiver"') && l.includes(victimId)),
      30_000,
      'a receiver on the worker to kill',
    );
    assert.ok(receiverOnVictim);
    await sleep(1500);
    victim.child.kill('SIGKILL');
    // The driver notices, and places the receiver again on the other worker.
    await pollUntil(() => (driver.logLines.some((l) => l.includes('"msg":"receiver lost; restarting it"')) ? true : undefined), 60_000, 'the receiver to be restarted');
    await pollUntil(() => (driver.logLines.filter((l) => l.includes('"msg":"starting receiver"')).length >= 3 ? true : undefined), 30_000, 'the receiver placed again');
    // A third worker joins and the survivor gets SIGTERM: it is decommissioned, its receivers and
    // blocks moving to the third (the block migrator's line; until 2026-12-07, user57, it carried
    // `component` twice, its logger a child of the worker's own).
    workers.push(await startWorkerProcess(driver.address, secret, ['--cores', '2', '--log-level', 'debug']));
    const survivor = workers[0];
    const exited = new Promise<number | null>((r) => survivor.child.once('exit', (code) => r(code)));
    survivor.child.kill('SIGTERM');
    assert.equal(await within(exited, 60_000, 'the decommissioned worker to exit'), 0, survivor.logLines.join('\n'));
    assert.ok(survivor.logLines.some((l) => l.includes('"msg":"copied blocks to the workers that stay"')), `the decommissioned worker logged its copy:\n${survivor.logLines.join('\n')}`);
    const stop = await runCli(['stop', id!, '--driver', driver.address], { env, timeoutMs: 20_000 });
    assert.equal(stop.code, 0, show(stop));
    await pollUntil(() => (driver.logLines.some((l) => l.includes(id!) && l.includes('"msg":"job ended"')) ? true : undefined), 30_000, `${id} to end`);
    for (const [name, p] of [['driver', driver], ['decommissioned worker', workers[0]], ['killed worker', victim], ['third worker', workers[2]]] as const) {
      const { lines, withDuplicates } = logLines(p.logLines.join('\n'));
      assert.ok(lines.length > 0, `${name} logged`);
      assert.deepEqual(withDuplicates, [], `${name} log`);
    }
    assert.ok(driver.logLines.some((l) => l.includes('"msg":"worker lost"')), 'the driver logged the lost worker');
    // The driver killed: the worker's heartbeat warning (after 2 s) says why in words, not in
    // gRPC's, which end in an empty 'Resolution note: ' (until 2026-12-07, user57).
    driver.child.kill('SIGKILL');
    const warned = await pollUntil(() => workers[2].logLines.find((l) => l.includes('"msg":"heartbeat failed; retrying"')), 30_000, 'the heartbeat warning');
    assert.match(warned, new RegExp(`no Sluice driver answers at ${driver.address.replace(/\./g, '\\.')} \\(connection refused: nothing listens on that port\\); check the address`), warned);
    assert.doesNotMatch(warned, /Resolution note/, warned);
    assert.deepEqual(logLines(workers[2].logLines.join('\n')).withDuplicates, [], 'third worker log');
  } finally {
    for (const w of workers) await w.stop();
    await driver.stop();
  }
});
