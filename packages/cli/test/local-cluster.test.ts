import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { LOCAL_WORKER_OLD_SPACE_FLOOR_MB, localWorkerGcArgs } from '../src/local-worker-process.js';
import { CLI_DIR, fixture, jsonLine, pollUntil, processAlive, withCluster } from './harness.js';

test('a word count runs on 2 worker processes and matches a plain loop', async () => {
  await withCluster({ workers: 2 }, async (h) => {
    assert.equal(h.cluster.driver.registry.all().length, 2);
    const run = await h.run(fixture('wordcount-check.ts'), ['5000']);
    assert.equal(run.ok, true, JSON.stringify(run.failure));
    const got = new Map(jsonLine<[string, number][]>(run.lines, 'RESULT '));
    const want = new Map<string, number>();
    const W = ['a', 'b', 'c', 'd', 'e'];
    for (let i = 0; i < 5000; i++) for (const w of [W[i % 5], W[(i * 3) % 5]]) want.set(w, (want.get(w) ?? 0) + 1);
    assert.deepEqual(got, want);
    // The worker processes collect garbage on their own threads alone when the cluster fills
    // the machine (2 x 1 core here: on a machine of more cores, as V8 has it), and always
    // with the old generation's floor (no full collection for every ~11 MB of buffers).
    const singleThreadedGc = 2 >= os.availableParallelism();
    for (const child of h.cluster.workerProcesses) {
      const args = fs.readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0');
      assert.equal(args.includes('--single-threaded-gc'), singleThreadedGc, `worker ${child.pid} runs ${args.join(' ')}`);
      assert.ok(args.includes('--initial-old-space-size=64'), `worker ${child.pid} runs ${args.join(' ')}`);
    }
    // Work really ran on both worker processes.
    const done = h.cluster.driver.registry.all().map((w) => w.tasksCompleted);
    assert.ok(done.every((n) => n > 0), `tasks per worker: ${done}`);
    // Every per-job map on the driver is cleared when the job ends.
    const d = h.cluster.driver;
    assert.equal(d.dag.activeJobs, 0);
    assert.equal(d.dag.mapOutputs.size, 0);
    assert.equal(d.dag.blockLocations.size, 0);
    assert.equal(d.taskScheduler.activeTaskSets, 0);
  });
});

test('local workers collect garbage single-threaded exactly when the cluster\'s cores fill the machine, and with the old generation\'s floor always', () => {
  assert.equal(LOCAL_WORKER_OLD_SPACE_FLOOR_MB, 64);
  const floor = '--initial-old-space-size=64';
  assert.deepEqual(localWorkerGcArgs(2, 1, 2), [floor, '--single-threaded-gc']);
  assert.deepEqual(localWorkerGcArgs(3, 2, 4), [floor, '--single-threaded-gc']);
  assert.deepEqual(localWorkerGcArgs(2, 1, 4), [floor]);
  assert.deepEqual(localWorkerGcArgs(1, 3, 4), [floor]);
});

test("a local worker's old-space floor is its main thread's: after cli-entry's first import, code caches are taken and made under V8's default options", () => {
  // V8 rejects a code cache made under other options, the old-space floor included, as it
  // rejected Node's own cache of its built-in modules in every isolate of a local worker.
  const source = 'function twice(x) { return 2 * x; } twice(21);';
  const node = (args: string[], code: string): string => {
    const r = spawnSync(process.execPath, [...args, '--input-type=module', '-e', code], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  };
  const make = `import vm from 'node:vm'; process.stdout.write(new vm.Script(${JSON.stringify(source)}).createCachedData().toString('base64'));`;
  const take = (cache: string) => `import vm from 'node:vm'; process.stdout.write(String(new vm.Script(${JSON.stringify(source)}, { cachedData: Buffer.from(${JSON.stringify(cache)}, 'base64') }).cachedDataRejected));`;
  const first = `import ${JSON.stringify(new URL('../src/heap-floor-option.js', import.meta.url).href)};`;
  const worker = localWorkerGcArgs(2, 1);
  const plainCache = node([], make);
  assert.ok(plainCache.length > 100, 'a plain process made a cache');
  assert.equal(node(worker, take(plainCache)), 'true', 'with the floor in its options, a process rejects a plain process\'s cache');
  assert.equal(node(worker, first + take(plainCache)), 'false', "after heap-floor-option's import it takes it");
  const workerCache = node(worker, first + make);
  assert.equal(node([], take(workerCache)), 'false', 'and what it makes then, a plain process takes');
});

test("a start that fails (its worker processes exit at once: an option they refuse) rejects naming it, and leaves nothing running: the program that got no cluster to stop exits by itself", { timeout: 120_000 }, async () => {
  // A program as a test file's before(): `cluster = await startCluster()` fails, so its
  // after() has no cluster to stop. Before 5 December 2026 such a start waited 30 s, then left
  // the driver's servers listening: the program (a test file) never exited.
  const index = pathToFileURL(path.join(CLI_DIR, 'dist', 'src', 'index.js')).href;
  const program = `
    import { LocalCluster, createRootLogger } from ${JSON.stringify(index)};
    const cluster = new LocalCluster({ workers: 2, coresPerWorker: 1, logLevel: 'warn', log: createRootLogger('silent', { pretty: false }), workerArgs: ['--no-such-flag'], workerStderr: 'pipe' });
    const started = cluster.start();
    console.log('PIDS ' + JSON.stringify(cluster.workerProcesses.map((c) => c.pid)));
    await started.then(() => console.log('STARTED'), (e) => console.log('FAILED ' + e.code + ' ' + e.message));`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', program], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  // 90 s: far past the failure (the start waits 30 s for workers that never come, and a
  // program left listening never exits)
  const killer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  const code = await exited;
  clearTimeout(killer);
  const pids = JSON.parse(/^PIDS (.*)$/m.exec(out)?.[1] ?? '[]') as number[];
  assert.equal(pids.length, 2, out);
  assert.equal(code, 0, `the program exited by itself (killed after 90 s otherwise):\n${out}`);
  assert.match(out, /^FAILED SLUICE_NO_WORKERS a local worker process exited \(code 1\) before 2 workers registered \(0 did\); its standard error above says why$/m);
  // its worker processes are gone too (each exited or was killed by the stop)
  await pollUntil(() => pids.every((p) => !processAlive(p)) || undefined, 10_000, 'the worker processes gone');
});
