// Scratch directories on a real cluster: a worker killed with -9 cannot remove its own
// (`<tmp>/sluice-<workerId>-*`); the next worker that starts removes it, and leaves alone
// the directories of live processes and the ones that are not Sluice's.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { SCRATCH_OWNER_FILE } from '@sluice/core/internal';
import { scratchDirsOf, withCluster, type ClusterHandle } from './harness.js';

function exited(c: ChildProcess): Promise<void> {
  return c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise((r) => c.once('exit', () => r()));
}

/** Start one worker process and return it with the id it registered under. */
async function addWorker(h: ClusterHandle): Promise<{ child: ChildProcess; id: string }> {
  const known = new Set(h.cluster.driver.registry.all().map((w) => w.id));
  const child = h.cluster.addWorker();
  // Wait for a new id rather than a count: a worker killed just before may or may not be
  // declared lost yet (an idle worker has no open connection whose drop would tell).
  const deadline = Date.now() + 30_000;
  for (;;) {
    const fresh = h.cluster.driver.registry.all().find((w) => !known.has(w.id));
    if (fresh) return { child, id: fresh.id };
    if (Date.now() > deadline) throw new Error('the new worker did not register within 30 s; see the worker logs above');
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('a worker starting up removes the scratch directories of dead predecessors, and only those', { timeout: 60_000 }, async () => {
  // Not Sluice's (no owner file), and owned by a live process (this one): both must stay.
  const foreign = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-foreign-'));
  const liveOwned = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-live-owner-'));
  fs.writeFileSync(path.join(liveOwned, SCRATCH_OWNER_FILE), `${process.pid}\n`);
  try {
    await withCluster({ workers: 1, logLevel: 'error' }, async (h) => {
      const [firstId] = h.cluster.driver.registry.all().map((w) => w.id);
      assert.equal(scratchDirsOf(firstId).length, 1, 'the running worker has its scratch directory');

      const victim = await addWorker(h);
      const [victimDir] = scratchDirsOf(victim.id);
      assert.ok(victimDir, 'the second worker made its scratch directory');
      assert.equal(fs.readFileSync(path.join(victimDir, SCRATCH_OWNER_FILE), 'utf8').trim(), String(victim.child.pid), 'the owner file names the worker process');
      victim.child.kill('SIGKILL');
      await exited(victim.child);
      assert.ok(fs.existsSync(victimDir), 'a worker killed with -9 leaves its scratch directory');

      await addWorker(h);
      assert.ok(!fs.existsSync(victimDir), `the next worker removed the dead one's ${victimDir}`);
      assert.equal(scratchDirsOf(firstId).length, 1, 'the live worker keeps its scratch directory');
      assert.ok(fs.existsSync(foreign), 'a directory without an owner file is left alone');
      assert.ok(fs.existsSync(liveOwned), 'a directory owned by a live process is left alone');
    });
  } finally {
    fs.rmSync(foreign, { recursive: true, force: true });
    fs.rmSync(liveOwned, { recursive: true, force: true });
  }
});
