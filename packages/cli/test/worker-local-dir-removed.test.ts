// A worker's --local-dir emptied under it while it runs, as a cleaner of /tmp does (where
// --local-dir is by default; Debian's systemd-tmpfiles removes what was not used for 10 days):
// its scratch directory removed with `rm -rf` between two jobs of the same code. The worker
// keeps the last bundles it ran (Executor's KEPT_UNUSED_BUNDLES) and spills map outputs into
// its blocks/ directory; before, every task of that code failed importing a bundle no longer
// there ('Cannot find module .../bundle.mjs', SLUICE_JOB_LOAD) and every spill failed ENOENT
// with 'Free disk space or set --local-dir to a larger disk', for as long as the worker ran: a
// one-worker cluster failed the job. Now the worker fetches the bundle again and makes its
// block directory again, warning once each, naming the cause and the fix, and the job is
// exact. The scratch directory made again carries its owner.pid as at start, so that after a
// kill -9 of the worker the next Sluice process started there removes it (removeDeadScratchDirs
// leaves alone a directory without one). The files a running job added with sc.addFile are
// fetched again too, warning once. Real processes: a `sluice driver`, one
// `sluice worker --memory 1k --local-dir`, `sluice submit` of fixtures/spilling-shuffle.ts three
// times, of fixtures/held-added-file.ts (emptied between its two actions), then the worker
// killed -9 and another `sluice worker` started on the same --local-dir.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { startSluice, stopSluice, type Proc } from './cli-process.js';
import { fixture, freePort, pollUntil, runCli } from './harness.js';
import { randomSecret } from './sluice-processes.js';

/** What fixtures/spilling-shuffle.ts prints: 100 keys, 20,000 values, their sum 0 + ... + 19,999. */
const EXPECTED = `GROUPS 100 20000 ${(19_999 * 20_000) / 2}`;

test("a worker whose --local-dir is emptied under it (rm -rf, as a /tmp cleaner) fetches the job's bundle and a running job's added files again and makes its block directory again: the next job of the same code is exact", { timeout: 180_000 }, async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-test-local-dir-removed-'));
  const localDir = path.join(root, 'local');
  fs.mkdirSync(localDir);
  const env = { ...process.env, SLUICE_SECRET: randomSecret(), SLUICE_SECRET_FILE: '' };
  const procs: Proc[] = [];
  try {
    const port = await freePort();
    const addr = `127.0.0.1:${port}`;
    procs.push(startSluice(['driver', '--port', String(port), '--web-port', '0', '--log-level', 'warn'], env));
    const worker = startSluice(['worker', '--driver', addr, '--cores', '2', '--memory', '1k', '--local-dir', localDir, '--log-level', 'info'], env);
    procs.push(worker);
    await pollUntil(() => (worker.stderr.includes('"worker registered"') ? true : worker.child.exitCode !== null ? false : undefined), 60_000, 'the worker registered');
    const warnings = (): string[] => worker.stderr.split('\n').filter((l) => l.startsWith('{"level":40') || l.startsWith('{"level":50'));
    const submit = async (what: string): Promise<void> => {
      const r = await runCli(['submit', '--driver', addr, '--no-progress', fixture('spilling-shuffle.ts')], { env, timeoutMs: 120_000 });
      assert.equal(r.code, 0, `${what}: ${r.stderr.slice(-3000)}\nthe worker's warnings:\n${warnings().join('\n')}`);
      assert.equal(r.stdout.trim(), EXPECTED, what);
    };

    await submit('the first job');
    assert.deepEqual(warnings(), [], 'the first job: no warning');
    const scratch = fs.readdirSync(localDir).filter((f) => f.startsWith('sluice-worker-'));
    assert.equal(scratch.length, 1, String(scratch));
    assert.ok(fs.existsSync(path.join(localDir, scratch[0], 'bundles')), "the worker keeps the job's bundle");

    // The cleaner: everything under the local dir goes, the worker's scratch directory with it.
    fs.rmSync(path.join(localDir, scratch[0]), { recursive: true, force: true });
    await submit('the job submitted again after the local dir was emptied');
    const after = warnings();
    const bundleGone = after.filter((l) => l.includes("a job bundle is gone from this worker's local directory"));
    const blocksGone = after.filter((l) => l.includes("this worker's block directory is gone"));
    assert.equal(bundleGone.length, 1, `the bundle's loss warned once:\n${after.join('\n')}`);
    assert.match(bundleGone[0], /a \/tmp cleaner such as systemd-tmpfiles .*fetching it again from the driver\. Start the worker with --local-dir on a directory no cleaner empties/);
    assert.equal(blocksGone.length, 1, `the block directory's loss warned once (the map outputs spill: --memory 1k):\n${after.join('\n')}`);
    assert.match(blocksGone[0], /made again; blocks spilled there before are lost and computed again from their lineage\. Start the worker with --local-dir on a directory no cleaner empties/);
    assert.equal(after.length, 2, `no other warning:\n${after.join('\n')}`);
    // Made again, the scratch directory names its owner, the worker's process, as at start.
    const owner = path.join(localDir, scratch[0], 'owner.pid');
    assert.ok(fs.existsSync(owner), `the scratch directory made again has its owner.pid: ${fs.readdirSync(path.join(localDir, scratch[0])).join(', ')}`);
    assert.equal(fs.readFileSync(owner, 'utf8').trim(), String(worker.child.pid), "owner.pid names the worker's process");

    // Made again, they stay: a third job warns of nothing.
    await submit('a third job');
    assert.equal(warnings().length, 2, `the third job: no new warning:\n${warnings().join('\n')}`);

    // Emptied while a job runs: the files it added with sc.addFile, fetched for its first
    // action, are fetched again for its second (SparkFiles.get in every task of both).
    const added = path.join(root, 'factor.txt');
    fs.writeFileSync(added, '7\n');
    const gate = path.join(root, 'go');
    const held = startSluice(['submit', '--driver', addr, '--no-progress', fixture('held-added-file.ts'), gate, added], env);
    procs.push(held);
    // The program's output comes to `sluice submit` on its own path: the FIRST line may follow the file.
    const holding = (): boolean => fs.existsSync(`${gate}.holding`) && held.stdout.some((l) => l.startsWith('FIRST '));
    await pollUntil(() => (holding() ? true : held.child.exitCode !== null ? false : undefined), 120_000, 'the job holding between its actions');
    assert.equal(held.stdout.find((l) => l.startsWith('FIRST ')), `FIRST ${7 * ((99 * 100) / 2)}`, held.stderr.slice(-3000));
    assert.ok(fs.existsSync(path.join(localDir, scratch[0], 'files')), "the worker keeps the job's added file");
    fs.rmSync(path.join(localDir, scratch[0]), { recursive: true, force: true });
    fs.writeFileSync(gate, '');
    assert.equal(await held.exited, 0, `the held job: ${held.stderr.slice(-3000)}\nthe worker's warnings:\n${warnings().join('\n')}`);
    assert.equal(held.stdout.find((l) => l.startsWith('SECOND ')), `SECOND ${7 * ((99 * 100) / 2)}`, 'the second action reads the file fetched again');
    const later = warnings().slice(2);
    const filesGone = later.filter((l) => l.includes("files the job added with sc.addFile are gone from this worker's local directory"));
    assert.equal(filesGone.length, 1, `the added file's loss warned once:\n${later.join('\n')}`);
    assert.match(filesGone[0], /"names":\["factor\.txt"\].*fetching them again from the driver\. Start the worker with --local-dir on a directory no cleaner empties/);
    // The job's running task threads have its bundle loaded; one that loads it again finds it gone and warns of that.
    assert.deepEqual(later.filter((l) => l !== filesGone[0] && !l.includes("a job bundle is gone from this worker's local directory")), [], `no other warning:\n${later.join('\n')}`);
    assert.ok(fs.existsSync(path.join(localDir, scratch[0], 'owner.pid')), 'the scratch directory made again has its owner.pid');

    // The worker killed -9 leaves its scratch directory; the next worker started on the same
    // --local-dir removes it (its owner dead) as it starts, and makes its own.
    worker.child.kill('SIGKILL');
    await worker.exited;
    assert.ok(fs.existsSync(path.join(localDir, scratch[0])), 'the killed worker left its scratch directory');
    const next = startSluice(['worker', '--driver', addr, '--cores', '1', '--local-dir', localDir, '--log-level', 'info'], env);
    procs.push(next);
    await pollUntil(() => (next.stderr.includes('"worker registered"') ? true : next.child.exitCode !== null ? false : undefined), 60_000, 'the next worker registered');
    const left = fs.readdirSync(localDir).filter((f) => f.startsWith('sluice-worker-'));
    assert.ok(!left.includes(scratch[0]), `the dead worker's scratch directory made again was removed by the next worker: ${left.join(', ')}\n${next.stderr.slice(-2000)}`);
    assert.equal(left.length, 1, `the next worker's own scratch directory alone: ${left.join(', ')}`);
  } finally {
    for (const p of procs.reverse()) await stopSluice(p);
    fs.rmSync(root, { recursive: true, force: true });
  }
});
