// The saveToRedis cell of docs/fault-matrix.md's driver SIGKILL at a bad moment: `sluice run` (its
// own driver process, 2 workers) of a file stream of words recovered with getOrCreate (fixture
// redis-driver-kill-job.ts), the driver killed by the sink's own onProgress, so the moment is
// exact: inside a partition's MULTI after its first 50 commands (the worker, its driver gone,
// exits and the server discards the queued commands), and just after a partition's EXEC, its
// batch not done. A file comes while no driver runs; the job is run again on its checkpoint and
// re-runs the batch. Checked against the files' words (computed here): every counter exact, every
// marker applied. The scenario, shared with postgres-sink-driver-kill, is
// @sluice/test-servers/sink-driver-kill's.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startRedis, type RedisServer } from '@sluice/test-servers';
import { sortedCounts } from '@sluice/test-servers/recovered-sink';
import { sinkDriverKillScenario } from '@sluice/test-servers/sink-driver-kill';
import { fixture, type DriverProcess } from './job-runner.js';
import { withRedis } from './redis-client.js';

let server: RedisServer;
let root: string;
const runs: DriverProcess[] = [];

before(async () => {
  server = await startRedis({ appendOnly: true });
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-redis-driver-kill-'));
});

after(async () => {
  for (const r of runs) await r.kill9();
  await server?.stop();
  fs.rmSync(root, { recursive: true, force: true });
});

const counts = async (): Promise<Record<string, string>> => sortedCounts(await withRedis(server.url, (r) => r.hgetall('wc')));
const total = (c: Record<string, string>): number => Object.values(c).reduce((n, v) => n + Number(v), 0);

for (const c of [
  { stage: 'queued', name: "inside a partition's MULTI (its first 50 commands sent)" },
  { stage: 'applied', name: "just after a partition's EXEC, its batch not done" },
] as const) {
  test(`the driver killed -9 by the sink ${c.name}, run again from the checkpoint: every counter exact`, { timeout: 150_000 }, async () => {
    await withRedis(server.url, (r) => r.flushall());
    const end = await sinkDriverKillScenario({ fixture: fixture('redis-driver-kill-job.ts'), url: server.url, stage: c.stage, counts, dir: path.join(root, c.stage), runs });
    await withRedis(server.url, async (r) => {
      for (const m of await r.keys('sluice:output:*')) assert.match((await r.get(m))!, /^applied \d+$/, `${m}: applied`);
    });
    console.log(`# killed at ${end.fired}; ${end.atKill} counted at the kill, ${total(await counts())} at the end; ${end.steps}`);
  });
}
