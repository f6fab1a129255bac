// The saveToRedis cell of docs/fault-matrix.md's driver SIGSTOP, as postgres-sink-driver-pause:
// `sluice run` (its own driver process, 2 workers) of a file stream of words recovered with
// getOrCreate (fixture redis-driver-kill-job.ts with `stop`), the driver frozen by the sink's own
// onProgress inside a partition's MULTI after its first 50 commands, so the moment is exact: the
// worker goes on, EXECs that partition and reports to a driver that answers nothing (past the
// workers' 5 s heartbeat deadline) while a second file comes; the driver is woken 12 s later (a
// GC pause, a stalled VM). Checked against the files' words (computed here, recovered-sink's
// countsOf): every counter exact, every marker applied, the job stopping cleanly after.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startRedis, type RedisServer } from '@sluice/test-servers';
import { countsOf, sortedCounts, wordsOf } from '@sluice/test-servers/recovered-sink';
import { fixture, pollUntil, runDriverProcess, type DriverProcess } from './job-runner.js';
import { withRedis } from './redis-client.js';

/** How long the driver stays frozen: past the workers' 5 s heartbeat deadline and a batch's output. */
const FROZEN_MS = 12_000;

let server: RedisServer;
let root: string;
const runs: DriverProcess[] = [];

const counts = async (): Promise<Record<string, string>> => sortedCounts(await withRedis(server.url, (r) => r.hgetall('wc')));
const stateOf = (pid: number): string | undefined => {
  try {
    return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
  } catch {
    return undefined;
  }
};

before(async () => {
  server = await startRedis({ appendOnly: true });
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-redis-driver-pause-'));
});

after(async () => {
  for (const r of runs) {
    if (stateOf(r.pid) === 'T') process.kill(r.pid, 'SIGCONT');
    await r.kill9();
  }
  await server?.stop();
  fs.rmSync(root, { recursive: true, force: true });
});

test(`the driver frozen (SIGSTOP) ${FROZEN_MS / 1000} s by the sink inside a partition's MULTI, a file coming meanwhile, then woken: every counter exact`, { timeout: 150_000 }, async () => {
  const input = path.join(root, 'in');
  const control = path.join(root, 'control');
  for (const d of [input, control]) fs.mkdirSync(d, { recursive: true });
  const armFile = path.join(root, 'arm');
  const firedFile = path.join(root, 'fired');
  const feed = (i: number): void => {
    const tmp = path.join(root, `file-${i}.tmp`);
    fs.writeFileSync(tmp, wordsOf(i).join('\n') + '\n');
    fs.renameSync(tmp, path.join(input, `file-${i}.txt`));
  };
  const holds = async (files: number[]): Promise<true | undefined> => (JSON.stringify(await counts()) === JSON.stringify(countsOf(files)) ? true : undefined);
  const args = { url: server.url, input, control, checkpoint: path.join(root, 'ckpt'), batchMs: 300, reconnectTimeoutMs: 20_000, armFile, firedFile, stage: 'queued', stop: true };
  const run = runDriverProcess(fixture('redis-driver-kill-job.ts'), [JSON.stringify(args)], 2);
  runs.push(run);
  let woken = false;
  try {
    await pollUntil(() => (run.lines.some((l) => l.startsWith('AFTER ')) ? true : undefined), 60_000, 'the first batch');
    feed(0);
    await pollUntil(() => holds([0]), 60_000, "file 0's words counted", 100);
    fs.writeFileSync(armFile, '');
    feed(1);
    await pollUntil(() => (fs.existsSync(firedFile) && stateOf(run.pid) === 'T' ? true : undefined), 60_000, 'the sink to freeze its driver', 20);
    const frozenAt = Date.now();
    feed(2);
    // Frozen, the driver takes nothing in; the worker's partition goes on to its EXEC.
    await new Promise((r) => setTimeout(r, FROZEN_MS));
    const atWake = Object.values(await counts()).reduce((n, v) => n + Number(v), 0);
    assert.equal(stateOf(run.pid), 'T', 'the driver stayed frozen');
    process.kill(run.pid, 'SIGCONT');
    woken = true;
    const wokenAt = Date.now();
    await pollUntil(() => holds([0, 1, 2]), 90_000, 'the words of files 0, 1 and 2 counted', 100).catch(async (err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify(await counts())}\n${run.stderr().slice(-3000)}`);
    });
    const caughtUp = Date.now() - wokenAt;
    fs.writeFileSync(path.join(control, 'stop'), '');
    assert.equal(await run.exited, 0, run.stderr().slice(-3000));
    assert.deepEqual(await counts(), countsOf([0, 1, 2]), 'every word of the three files counted once');
    const markers = await withRedis(server.url, async (r) => Promise.all((await r.keys('sluice:output:*')).map(async (m) => [m, await r.get(m)] as const)));
    for (const [m, v] of markers) assert.match(v ?? '', /^applied \d+$/, `${m}: applied`);
    console.log(`# frozen at ${fs.readFileSync(firedFile, 'utf8')} for ${wokenAt - frozenAt} ms; ${atWake} counted at the wake (300 per file); every word of the three files in ${caughtUp} ms after it; ${markers.length} markers, all applied`);
  } finally {
    if (!woken && stateOf(run.pid) === 'T') process.kill(run.pid, 'SIGCONT');
  }
});
