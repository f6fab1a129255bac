// The saveToRedis cell of docs/fault-matrix.md's driver SIGKILL at a bad moment: `sluice run` (its
// own driver process, 2 workers) of a file stream of words recovered with getOrCreate (fixture
// redis-driver-kill-job.ts), the driver killed by the sink's own onProgress, so the moment is
// exact: inside a partition's MULTI after its first 50 commands (the worker, its driver gone,
// exits and the server discards the queued commands), and just after a partition's EXEC, its
// batch not done. A file comes while no driver runs; the job is run again on its checkpoint and
// re-runs the batch. Checked against the files' words (computed here): every counter exact, every
// marker applied.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { startRedis, type RedisServer } from '@sluice/test-servers';
import { countsOf, sortedCounts, wordsOf } from '@sluice/test-servers/recovered-sink';
import { fixture, pollUntil, runDriverProcess, type DriverProcess } from './job-runner.js';

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

async function withRedis<T>(f: (r: Redis) => Promise<T>): Promise<T> {
  const r = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  r.on('error', () => undefined);
  try {
    await r.connect();
    return await f(r);
  } finally {
    r.disconnect();
  }
}

const counts = async (): Promise<Record<string, string>> => sortedCounts(await withRedis((r) => r.hgetall('wc')));
const total = (c: Record<string, string>): number => Object.values(c).reduce((n, v) => n + Number(v), 0);

for (const c of [
  { stage: 'queued', name: "inside a partition's MULTI (its first 50 commands sent)" },
  { stage: 'applied', name: "just after a partition's EXEC, its batch not done" },
] as const) {
  test(`the driver killed -9 by the sink ${c.name}, run again from the checkpoint: every counter exact`, { timeout: 150_000 }, async () => {
    await withRedis((r) => r.flushall());
    const dir = path.join(root, c.stage);
    const input = path.join(dir, 'in');
    const control = path.join(dir, 'control');
    for (const d of [input, control]) fs.mkdirSync(d, { recursive: true });
    const armFile = path.join(dir, 'arm');
    const firedFile = path.join(dir, 'fired');
    const feed = (i: number): void => {
      const tmp = path.join(dir, `file-${i}.tmp`);
      fs.writeFileSync(tmp, wordsOf(i).join('\n') + '\n');
      fs.renameSync(tmp, path.join(input, `file-${i}.txt`));
    };
    const args = [JSON.stringify({ url: server.url, input, control, checkpoint: path.join(dir, 'ckpt'), batchMs: 300, reconnectTimeoutMs: 20_000, armFile, firedFile, stage: c.stage })];
    const start = (): DriverProcess => {
      const r = runDriverProcess(fixture('redis-driver-kill-job.ts'), args, 2);
      runs.push(r);
      return r;
    };
    const first = start();
    await pollUntil(() => (first.lines.some((l) => l.startsWith('AFTER ')) ? true : undefined), 60_000, 'the first batch');
    feed(0);
    await pollUntil(async () => (JSON.stringify(await counts()) === JSON.stringify(countsOf([0])) ? true : undefined), 60_000, "file 0's words counted", 100);
    fs.writeFileSync(armFile, '');
    feed(1);
    const code = await Promise.race([first.exited, new Promise<'alive'>((r) => setTimeout(() => r('alive'), 60_000))]);
    assert.equal(code, null, `the sink killed the driver (${fs.existsSync(firedFile) ? fs.readFileSync(firedFile, 'utf8') : 'not fired'})`);
    const atKill = total(await counts());
    feed(2);
    const second = start();
    await pollUntil(async () => (JSON.stringify(await counts()) === JSON.stringify(countsOf([0, 1, 2])) ? true : undefined), 90_000, 'the words of files 0, 1 and 2 counted', 100);
    fs.writeFileSync(path.join(control, 'stop'), '');
    assert.equal(await second.exited, 0, second.stderr().slice(-3000));
    assert.deepEqual(await counts(), countsOf([0, 1, 2]), 'every word of the three files counted once');
    await withRedis(async (r) => {
      for (const m of await r.keys('sluice:output:*')) assert.match((await r.get(m))!, /^applied \d+$/, `${m}: applied`);
    });
    console.log(`# killed at ${fs.readFileSync(firedFile, 'utf8')}; ${atKill} counted at the kill, ${total(await counts())} at the end`);
  });
}
