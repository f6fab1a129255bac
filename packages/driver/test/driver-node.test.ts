// DriverNode's scratch directory (its --local-dir: bundles, added files) removed at the end of
// a failed start and at stop(): a removal that fails (the directory removed or replaced under
// the driver meanwhile, a file held open) neither replaces the start's own error nor fails
// the stop; it is a warning naming the directory. fs.rmSync is patched to refuse it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { pino } from 'pino';
import { DriverNode } from '../src/driver-node.js';

const SECRET = 'driver-node-test-secret-of-32-chars';

/** A logger that keeps its warnings' messages and fields. */
function warnings(): { log: pino.Logger; warned: { msg: string; dir?: string; err?: { message: string } }[] } {
  const warned: { msg: string; dir?: string; err?: { message: string } }[] = [];
  const log = pino({ level: 'warn' }, { write: (l: string) => void warned.push(JSON.parse(l) as { msg: string; dir?: string; err?: { message: string } }) });
  return { log, warned };
}

/** Runs `body` with the removal of `dir` refused (ENOTEMPTY); returns how often it was tried. */
async function withRemovalRefused(dir: string, body: () => Promise<void>): Promise<number> {
  const { rmSync } = fs;
  let tried = 0;
  fs.rmSync = ((p: fs.PathLike, options?: fs.RmOptions) => {
    if (String(p) === dir) {
      tried++;
      throw Object.assign(new Error(`ENOTEMPTY: directory not empty, rmdir '${dir}'`), { code: 'ENOTEMPTY', syscall: 'rmdir', path: dir });
    }
    rmSync(p, options);
  }) as typeof rmSync;
  try {
    await body();
  } finally {
    fs.rmSync = rmSync;
  }
  return tried;
}

test("a driver that cannot listen says so, though its scratch directory cannot be removed either", async () => {
  const localDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-driver-node-'));
  const busy = net.createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
  const port = (busy.address() as net.AddressInfo).port;
  const { log, warned } = warnings();
  try {
    const driver = new DriverNode({ security: { secret: SECRET }, log, port, localDir });
    const tried = await withRemovalRefused(localDir, () =>
      assert.rejects(driver.start(), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'SLUICE_IO', err.message);
        assert.match(err.message, new RegExp(`^driver cannot listen on 127\\.0\\.0\\.1:${port}: .*Is another driver running\\? Use --port to pick another port\\.$`));
        return true;
      }),
    );
    assert.equal(tried, 1, 'the removal was tried');
    const w = warned.filter((l) => l.msg === "the driver's scratch directory could not be removed after its failed start: remove it by hand");
    assert.equal(w.length, 1, JSON.stringify(warned));
    assert.equal(w[0]!.dir, localDir);
    assert.match(w[0]!.err?.message ?? '', /ENOTEMPTY/);
  } finally {
    busy.close();
    fs.rmSync(localDir, { recursive: true, force: true });
  }
});

test('a driver whose scratch directory cannot be removed stops all the same, warning', async () => {
  const localDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-driver-node-'));
  const { log, warned } = warnings();
  try {
    const driver = new DriverNode({ security: { secret: SECRET }, log, port: 0, localDir });
    await driver.start();
    const tried = await withRemovalRefused(localDir, () => driver.stop());
    assert.equal(tried, 1, 'the removal was tried');
    const w = warned.filter((l) => l.msg === "stopping: the driver's scratch directory could not be removed: remove it by hand");
    assert.equal(w.length, 1, JSON.stringify(warned));
    assert.equal(w[0]!.dir, localDir);
  } finally {
    fs.rmSync(localDir, { recursive: true, force: true });
  }
});
