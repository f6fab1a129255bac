// kill -9 of a driver started with --state-dir in the middle of a stateful stream fed by a
// reliable custom receiver (the test's replayable TCP source, acknowledged only after
// `await store()`, write-ahead log on). The driver is started again on the same state dir
// and port and nothing is submitted again: it relaunches the job under its id, the workers
// register with the new instance (dropping the old attempt's receiver; the source replays
// what it did not see acknowledged), and the job recovers through getOrCreate and the log.
// At the end every line the source generated was read by exactly one batch and every
// batch's state equals a failure-free updateStateByKey computed here from the input.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { listJobs } from '../src/submit-client.js';
import { fixture, freePort, runCli, sleep } from './harness.js';
import { expectedStates, type Pairs } from './recovery-support.js';
import { ReplayableSource } from './replayable-source.js';
import { pollUntil, randomSecret, spawnSluice, startWorkerProcess, type SluiceProcess } from './sluice-processes.js';

const JOB = fixture('stream-receiver-recovery.ts');
const BATCH_MS = 500;

function readAll<T>(dir: string, kind: string): Map<number, T> {
  const m = new Map<number, T>();
  for (const n of fs.readdirSync(dir)) {
    const x = new RegExp(`^${kind}-(\\d+)\\.json$`).exec(n);
    if (x) m.set(Number(x[1]), JSON.parse(fs.readFileSync(path.join(dir, n), 'utf8')) as T);
  }
  return m;
}

test('kill -9 of a --state-dir driver under a reliable receiver with the WAL: relaunched by itself, every line read once, every state as a failure-free run', { timeout: 150_000 }, async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-test-receiver-relaunch-'));
  const [out, control, ckpt, stateDir] = ['out', 'control', 'ckpt', 'state'].map((n) => path.join(root, n));
  for (const d of [out, control]) fs.mkdirSync(d, { recursive: true });
  const secret = randomSecret();
  const env = { SLUICE_SECRET: secret, SLUICE_SECRET_FILE: '' };
  const source = new ReplayableSource(23);
  const port = await freePort();
  const addr = `127.0.0.1:${port}`;
  const startDriver = (): Promise<SluiceProcess> =>
    spawnSluice(['driver', '--port', String(port), '--web-port', '0', '--log-level', 'info', '--heartbeat-ms', '500', '--state-dir', stateDir], secret, /driver listening/);
  const procs: SluiceProcess[] = [];
  try {
    const srcPort = await source.listen();
    procs.push(await startDriver());
    procs.push(await startWorkerProcess(addr, secret), await startWorkerProcess(addr, secret));
    const sub = await runCli(['submit', JOB, '--driver', addr, '--detach', '--', ckpt, out, control, String(BATCH_MS), '4', '127.0.0.1', String(srcPort)], { env });
    const id = / as (job-\S+)$/m.exec(sub.stderr)?.[1];
    assert.ok(sub.code === 0 && id, sub.stderr);
    const first = path.join(out, `first-${id}.json`);
    await pollUntil(() => (fs.existsSync(first) ? true : undefined), 60_000, 'the first batch');
    source.start(5, 25);
    await pollUntil(() => (readAll(out, 'state').size >= 10 ? true : undefined), 60_000, '10 batches');

    procs[0].child.kill('SIGKILL');
    await new Promise<void>((r) => (procs[0].child.exitCode !== null || procs[0].child.signalCode !== null ? r() : procs[0].child.once('exit', () => r())));
    await sleep(1000);
    const restartedAt = Date.now();
    procs[0] = await startDriver();
    assert.deepEqual((await listJobs(addr, { secret })).map((j) => [j.job_id, j.attempt]), [[id, 2]], 'relaunched under its id, nothing submitted again');
    // The relaunched program writes first-<id>.json again after its first batch.
    await pollUntil(() => ((JSON.parse(fs.readFileSync(first, 'utf8')) as { completedAt: number }).completedAt > restartedAt ? true : undefined), 60_000, 'the first recovered batch');
    await sleep(6 * BATCH_MS);
    source.stop();
    await pollUntil(
      () => {
        const seen = new Set([...readAll<string[]>(out, 'input').values()].flat());
        return source.lines.every((l) => seen.has(l)) ? true : undefined;
      },
      60_000,
      'every generated line in some batch',
      100,
    );
    fs.writeFileSync(path.join(control, 'stop'), '');
    await pollUntil(async () => ((await listJobs(addr, { secret }))[0]?.state === 'succeeded' ? true : undefined), 60_000, 'the job to stop');

    const inputs = readAll<string[]>(out, 'input');
    const counts = new Map<string, number>();
    for (const l of [...inputs.values()].flat()) counts.set(l, (counts.get(l) ?? 0) + 1);
    assert.deepEqual([...counts].filter(([, c]) => c > 1).map(([l]) => l), [], 'lines read by more than one batch');
    assert.deepEqual([...counts.keys()].sort(), [...source.lines].sort(), 'the lines read are exactly the lines generated');
    const words = new Map([...inputs].map(([t, ls]) => [t, ls.flatMap((l) => l.split(' ').slice(1).map((w) => `${w} 1`))]));
    const want = expectedStates(words);
    const got = readAll<Pairs>(out, 'state');
    assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort());
    for (const [t, w] of want) assert.deepEqual(got.get(t), w, `state of batch ${t}`);
    process.stdout.write(`# ${source.lines.length} lines over ${inputs.size} batches compared with the failure-free computation\n`);
  } finally {
    source.stop();
    for (const p of procs.reverse()) await p.stop();
    await source.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
});
