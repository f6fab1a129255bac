// saveToRedis in a job recovered from its checkpoint after its driver was killed (`sluice run`
// of a file stream with StreamingContext.getOrCreate, SIGKILL, run again; a real redis-server
// with an append-only file; @sluice/test-servers/recovered-sink's scenario): the output's
// knowledge that it wrote through the server is kept in the metadata checkpoints, so the
// recovered job's first batches wait for that server while it is down (as they would before the
// kill) and every word is counted once; a job recovered with another URL never reached that
// server and fails at once, as a new job does.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startRedis, type RedisServer } from '@sluice/test-servers';
import { recoveredSinkScenario } from '@sluice/test-servers/recovered-sink';
import { fixture, freePort, type DriverProcess } from './job-runner.js';
import { withRedis } from './redis-client.js';

let server: RedisServer;
let root: string;
const runs: DriverProcess[] = [];

before(async () => {
  server = await startRedis({ appendOnly: true });
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-redis-recovered-'));
});

after(async () => {
  for (const r of runs) await r.kill9();
  await server?.stop();
  fs.rmSync(root, { recursive: true, force: true });
});

test("the Redis server down across the driver's SIGKILL and the job's recovery, back within the wait: the recovered job waits for the server its output wrote through; every word counted once; recovered with another URL it fails at once", { timeout: 240_000 }, async () => {
  const port = await freePort();
  const summary = await recoveredSinkScenario({
    fixture: fixture('redis-recover-job.ts'),
    server,
    counts: () => withRedis(server.url, (r) => r.hgetall('wc')).catch(() => ({})),
    reachable: () => withRedis(server.url, (r) => r.ping()).then(() => true, () => false),
    nowhere: `redis://127.0.0.1:${port}`,
    unreachable: new RegExp(`cannot reach the Redis server 127\\.0\\.0\\.1:${port}`),
    root,
    runs,
  });
  console.log(`# ${summary}`);
});
