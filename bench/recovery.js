// Recovery benchmark (not a test): how long a driver restarted on its --state-dir takes
// from its process's start to the first recovered batch completed.
// A stateful stream over a directory (updateStateByKey, StreamingContext.getOrCreate:
// packages/cli/test/fixtures/restart-stateful.ts) runs on `sluice driver --state-dir` and
// two `sluice worker`s (1 core each), fed a file every 100 ms. Each round: kill -9 of the
// driver, a new driver process on the same port and state dir (it relaunches the job by
// itself), and the times from that process's spawn to
//   - its gRPC port listening ('driver listening' in its log),
//   - the workers registered again,
//   - the relaunched program's first batch completed (written by the job itself),
// also in batch intervals (the goal: the first recovered batch within 2 intervals of the
// driver being back). Baseline of the same run: the first batch of the very first launch,
// from the first driver's spawn, so the ratio shows what recovery adds to a cold start.
//
//   node bench/recovery.js [rounds=5] [batchMs=1000]
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './bench-support.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'packages/cli/bin/sluice.js');
const JOB = path.join(ROOT, 'packages/cli/test/fixtures/restart-stateful.ts');
const ROUNDS = Number(process.argv[2] ?? 5);
const BATCH_MS = Number(process.argv[3] ?? 1000);
const secret = crypto.randomBytes(16).toString('hex');
const env = { ...process.env, SLUICE_SECRET: secret, SLUICE_SECRET_FILE: '' };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(what, ms, f) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(10);
  }
}

/** A sluice process; `lines` collects its stderr (pino JSON) with the time each arrived. */
function sluice(args) {
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const p = { child, spawnedAt: Date.now(), lines: [], exited: new Promise((r) => child.once('exit', r)) };
  let rest = '';
  child.stderr.on('data', (d) => {
    const parts = (rest + d.toString()).split('\n');
    rest = parts.pop();
    for (const l of parts) p.lines.push({ at: Date.now(), l });
  });
  child.stdout.on('data', () => undefined);
  return p;
}
const seen = (p, text) => p.lines.find((x) => x.l.includes(text))?.at;

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-recovery-'));
const d = { ckpt: path.join(root, 'ckpt'), input: path.join(root, 'in'), staging: path.join(root, 'staging'), out: path.join(root, 'out'), control: path.join(root, 'control') };
for (const x of [d.input, d.staging, d.out, d.control]) fs.mkdirSync(x, { recursive: true });
const stateDir = path.join(root, 'state');
const port = await freePort();
const addr = `127.0.0.1:${port}`;
const driverArgs = ['driver', '--port', String(port), '--web-port', '0', '--log-level', 'info', '--heartbeat-ms', '500', '--state-dir', stateDir];
const firsts = () =>
  fs
    .readdirSync(d.out)
    .filter((n) => /^first-\d+\.json$/.test(n))
    .map((n) => JSON.parse(fs.readFileSync(path.join(d.out, n), 'utf8')));

let n = 0;
const feed = setInterval(() => {
  const id = n++;
  const tmp = path.join(d.staging, `f${id}.txt`);
  fs.writeFileSync(tmp, Array.from({ length: 20 }, (_, i) => `k${(id * 7 + i) % 11} ${1 + (i % 9)} f${id}l${i}`).join('\n') + '\n');
  // Settled (older than a batch interval) and inside the file stream's remember window (60 s).
  const past = new Date(Date.now() - 5_000);
  fs.utimesSync(tmp, past, past);
  fs.renameSync(tmp, path.join(d.input, `f${id}.txt`));
}, 100);

let driver = sluice(driverArgs);
const workers = [];
const results = [];
try {
  await until('the driver', 30_000, () => seen(driver, 'driver listening'));
  for (let i = 0; i < 2; i++) workers.push(sluice(['worker', '--driver', addr, '--cores', '1', '--log-level', 'info']));
  await until('2 workers', 30_000, () => workers.every((w) => seen(w, 'worker registered')));
  const sub = sluice(['submit', JOB, '--driver', addr, '--detach', '--', d.ckpt, d.input, d.out, d.control, String(BATCH_MS)]);
  const submittedAt = sub.spawnedAt;
  await sub.exited;
  const cold = await until('the first batch', 60_000, () => firsts()[0]);
  const coldMs = cold.completedAt - submittedAt;
  console.log(`recovery of a stateful file stream (${BATCH_MS} ms batches), driver --state-dir + 2 workers x 1 core, kill -9 of the driver, ${ROUNDS} rounds`);
  console.log(`  baseline: first batch of a fresh submission ${coldMs} ms after \`sluice submit\` started (${(coldMs / BATCH_MS).toFixed(1)} intervals)`);
  for (let r = 1; r <= ROUNDS; r++) {
    await sleep(3 * BATCH_MS);
    driver.child.kill('SIGKILL');
    await driver.exited;
    const before = firsts().length;
    driver = sluice(driverArgs);
    const t0 = driver.spawnedAt;
    const listening = await until('the new driver to listen', 30_000, () => seen(driver, 'driver listening'));
    const registered = await until('2 workers again', 30_000, () => (driver.lines.filter((x) => x.l.includes('"worker joined"')).length >= 2 ? driver.lines.filter((x) => x.l.includes('"worker joined"'))[1].at : undefined));
    const first = await until('the first recovered batch', 60_000, () => (firsts().length > before ? firsts().sort((a, b) => b.programStart - a.programStart)[0] : undefined));
    const res = { listen: listening - t0, workers: registered - t0, firstBatch: first.completedAt - t0 };
    results.push(res);
    console.log(
      `  round ${r}: listening ${res.listen} ms, workers back ${res.workers} ms, first recovered batch completed ${res.firstBatch} ms after the driver process started (${(res.firstBatch / BATCH_MS).toFixed(1)} intervals; ${res.firstBatch - res.listen} ms after it listened)`,
    );
  }
  const sorted = results.map((x) => x.firstBatch).sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  console.log(`median: first recovered batch ${median} ms after the driver process started (${(median / BATCH_MS).toFixed(1)} batch intervals), max ${sorted.at(-1)} ms; ratio to the cold first batch ${(median / coldMs).toFixed(2)}x`);
} finally {
  clearInterval(feed);
  fs.writeFileSync(path.join(d.control, 'stop'), '');
  await sleep(200);
  for (const p of [driver, ...workers]) {
    p.child.kill('SIGTERM');
    await Promise.race([p.exited, sleep(3000).then(() => p.child.kill('SIGKILL'))]);
  }
  fs.rmSync(root, { recursive: true, force: true });
}
