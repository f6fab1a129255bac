// `sluice worker --local-dir D` makes its scratch directory inside D (as Spark's
// spark.local.dir) and on stop removes that directory only: D and what else it holds stay.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { randomSecret, startDriverProcess, startWorkerProcess } from './sluice-processes.js';

test('a worker given --local-dir works inside it and leaves the directory and its other files in place on stop', { timeout: 60_000 }, async () => {
  const secret = randomSecret();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'local-dir-test-'));
  const dir = path.join(root, 'scratch');
  fs.mkdirSync(dir);
  const userFile = path.join(dir, 'keep-me.txt');
  fs.writeFileSync(userFile, 'not the worker’s');
  const driver = await startDriverProcess(secret);
  let worker: Awaited<ReturnType<typeof startWorkerProcess>> | undefined;
  try {
    worker = await startWorkerProcess(driver.address, secret, ['--local-dir', dir]);
    const own = fs.readdirSync(dir).filter((n) => n.startsWith('sluice-worker-'));
    assert.equal(own.length, 1, `the worker made one scratch directory inside ${dir}: ${fs.readdirSync(dir).join(', ')}`);
    await worker.stop();
    assert.ok(fs.existsSync(userFile), 'the user’s file in --local-dir is still there');
    assert.deepEqual(fs.readdirSync(dir), ['keep-me.txt'], 'the worker removed its own scratch directory and nothing else');
  } finally {
    await worker?.stop();
    await driver.stop();
    fs.rmSync(root, { recursive: true, force: true });
  }
});
