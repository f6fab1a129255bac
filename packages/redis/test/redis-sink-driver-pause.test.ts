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
import { sortedCounts } from '@sluice/test-servers/recovered-sink';
import { sinkDriverPauseScenario, wakeAndKill } from '@sluice/test-servers/sink-driver-pause';
import { fixture, type DriverProcess } from './job-runner.js';
import { withRedis } from './redis-client.js';

/** How long the driver stays frozen: past the workers' 5 s heartbeat deadline and a batch's output. */
const FROZEN_MS = 12_000;

let server: RedisServer;
let root: string;
const runs: DriverProcess[] = [];

const counts = async (): Promise<Record<string, string>> => sortedCounts(await withRedis(server.url, (r) => r.hgetall('wc')));

before(async () => {
  server = await startRedis({ appendOnly: true });
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-redis-driver-pause-'));
});

after(async () => {
  await wakeAndKill(runs);
  await server?.stop();
  fs.rmSync(root, { recursive: true, force: true });
});

test(`the driver frozen (SIGSTOP) ${FROZEN_MS / 1000} s by the sink inside a partition's MULTI, a file coming meanwhile, then woken: every counter exact`, { timeout: 150_000 }, async () => {
  const end = await sinkDriverPauseScenario({ fixture: fixture('redis-driver-kill-job.ts'), url: server.url, stage: 'queued', frozenMs: FROZEN_MS, counts, dir: path.join(root, 'case'), runs });
  const markers = await withRedis(server.url, async (r) => Promise.all((await r.keys('sluice:output:*')).map(async (m) => [m, await r.get(m)] as const)));
  for (const [m, v] of markers) assert.match(v ?? '', /^applied \d+$/, `${m}: applied`);
  console.log(`# frozen at ${end.fired} for ${end.frozenFor} ms; ${end.atWake} counted at the wake (300 per file); every word of the three files in ${end.caughtUp} ms after it; ${markers.length} markers, all applied`);
});
