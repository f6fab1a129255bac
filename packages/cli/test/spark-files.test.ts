// sc.addFile / SparkFiles.get / sc.listFiles / sc.addJar on a real cluster over loopback (a
// driver and worker processes), as Spark's SparkContextSuite's addFile tests: a task on each
// worker reads the content of the file the test wrote (and a directory's, added with
// recursive); the errors Spark gives (a directory without recursive, a path that does not
// exist, one name from two paths) and Sluice's refusals (http, addJar, a name never added);
// a file added between two actions; a worker that joins after the add; a receiver reads them
// as tasks do; a job's files are its own and leave the workers when it ends; `sluice run`
// resolves a relative path against the directory it ran in.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { fillDisk, mountTmpfs, unmountTmpfs } from '@sluice/test-disk';
import { fixture, jsonLine, pollUntil, runCli, startJob, withCluster, type JobRun } from './harness.js';

const FIXTURE = fixture('spark-files.ts');

/** The files the fixture reads, made by the test: what it expects back comes from here. */
interface Files { dir: string; table: string; late: string; conf: [string, string][] }

function makeFiles(): Files {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-spark-files-'));
  const table = `fr,France\nde,Germany\n${'x'.repeat(3 * 1024 * 1024 + 17)}\n`; // over 3 chunks of the stream
  const late = `added late ${process.pid}\n`;
  fs.writeFileSync(path.join(dir, 'table.txt'), table);
  fs.writeFileSync(path.join(dir, 'late.txt'), late);
  fs.mkdirSync(path.join(dir, 'other'));
  fs.writeFileSync(path.join(dir, 'other', 'table.txt'), 'another table\n');
  fs.mkdirSync(path.join(dir, 'conf', 'sub'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'conf', 'empty'));
  fs.writeFileSync(path.join(dir, 'conf', 'a.txt'), 'alpha\n');
  fs.writeFileSync(path.join(dir, 'conf', 'sub', 'b.txt'), 'beta\n');
  fs.writeFileSync(path.join(dir, 'conf', 'sub', 'zero.bin'), '');
  const conf: [string, string][] = [
    ['a.txt', 'alpha\n'],
    ['empty/', ''],
    ['sub/b.txt', 'beta\n'],
    ['sub/zero.bin', ''],
  ];
  return { dir, table, late, conf };
}

const show = (run: JobRun): string => `${JSON.stringify(run.failure)}\n${run.lines.join('\n').slice(0, 4000)}`;

interface TaskSeen {
  pid: number;
  root: string;
  path: string;
  table: string;
  conf: [string, string][];
  b: string;
  late: { code?: string; message: string };
}

test('a file added with sc.addFile is read in tasks on every worker and in the driver program; errors as Spark', { timeout: 180_000 }, async () => {
  const f = makeFiles();
  try {
    await withCluster({ workers: 2, logLevel: 'fatal' }, async (h) => {
      const workerPids = new Set(h.cluster.workerProcesses.map((c) => c.pid));
      const run = await h.run(FIXTURE, [f.dir, 'main']);
      assert.ok(run.ok, show(run));
      const err = (name: string): { code?: string; message: string } => jsonLine(run.lines, `${name} `);
      // Spark's wording, each naming the path.
      assert.equal(err('ERR_DIR').code, 'SLUICE_BAD_ARGUMENT');
      assert.match(err('ERR_DIR').message, new RegExp(`Added file ${path.join(f.dir, 'conf')} is a directory and recursive is not turned on`));
      assert.equal(err('ERR_MISSING').code, 'SLUICE_IO');
      assert.match(err('ERR_MISSING').message, new RegExp(`Added file '${path.join(f.dir, 'missing.txt')}' does not exist`));
      assert.equal(err('ERR_HTTP').code, 'SLUICE_BAD_ARGUMENT');
      assert.match(err('ERR_HTTP').message, /does not fetch https: URLs/);
      assert.equal(err('ERR_JAR').code, 'SLUICE_BAD_ARGUMENT');
      assert.match(err('ERR_JAR').message, /bundle/);
      assert.equal(err('ERR_SAME_NAME').code, 'SLUICE_BAD_ARGUMENT');
      assert.match(err('ERR_SAME_NAME').message, new RegExp(`File table.txt was already registered with a different path \\(old path = ${path.join(f.dir, 'table.txt')}, new path = ${path.join(f.dir, 'other', 'table.txt')}`));
      // Added twice (path, then file: URI): listed once.
      assert.deepEqual(jsonLine(run.lines, 'LIST '), [path.join(f.dir, 'table.txt'), path.join(f.dir, 'conf')]);

      const driver = jsonLine<{ table: string; root: string; path: string }>(run.lines, 'DRIVER ');
      assert.equal(driver.table, f.table);
      assert.equal(driver.path, path.join(driver.root, 'table.txt'));
      assert.notEqual(driver.path, path.join(f.dir, 'table.txt'), 'the driver program reads its own copy');

      const tasks = jsonLine<TaskSeen[]>(run.lines, 'TASKS ');
      assert.equal(tasks.length, 6);
      for (const t of tasks) {
        assert.ok(workerPids.has(t.pid), `a task ran in worker ${t.pid}`);
        assert.equal(t.table, f.table);
        assert.equal(t.path, path.join(t.root, 'table.txt'));
        assert.ok(path.isAbsolute(t.path));
        assert.notEqual(t.root, driver.root);
        assert.deepEqual(t.conf, f.conf);
        assert.equal(t.b, 'beta\n');
        // Not added yet: SparkFiles says which were.
        assert.equal(t.late.code, 'SLUICE_BAD_ARGUMENT');
        assert.match(t.late.message, /SparkFiles\.get\('late\.txt'\): no file of that name was added to this job \(added: conf, table\.txt\)/);
      }
      const late = jsonLine<{ pid: number; late: string }[]>(run.lines, 'LATE ');
      assert.equal(late.length, 6);
      for (const t of late) assert.equal(t.late, f.late);
      // Both workers ran tasks of the two actions (one core each, six tasks an action).
      assert.equal(new Set([...tasks, ...late].map((t) => t.pid)).size, 2);

      // The job ended: its copies left every worker (and the driver).
      const roots = [...new Set(tasks.map((t) => t.root)), driver.root];
      await pollUntil(() => (roots.every((r) => !fs.existsSync(r)) ? true : undefined), 30_000, `the job's files directories removed: ${roots.join(', ')}`);

      // Another job has none of them.
      const other = await h.run(FIXTURE, [f.dir, 'none']);
      assert.ok(other.ok, show(other));
      assert.match(jsonLine<{ message: string }>(other.lines, 'NONE ').message, /SparkFiles\.get\('table\.txt'\): no file of that name was added to this job \(added: none\)/);
    });
  } finally {
    fs.rmSync(f.dir, { recursive: true, force: true });
  }
});

test('a worker that joins after sc.addFile fetches the file before its first task', { timeout: 180_000 }, async () => {
  const f = makeFiles();
  const marker = path.join(f.dir, 'second-worker-joined');
  try {
    await withCluster({ workers: 1, logLevel: 'fatal' }, async (h) => {
      const job = await startJob(h.cluster, FIXTURE, [f.dir, 'join', marker]);
      await job.waitLine('ADDED', 60_000);
      const second = h.cluster.addWorker();
      await h.cluster.waitForWorkers(2, 60_000);
      fs.writeFileSync(marker, '');
      const run = await job.done;
      assert.ok(run.ok, show(run));
      const seen = jsonLine<{ pid: number; text: string }[]>(run.lines, 'JOIN ');
      assert.equal(seen.length, 12);
      for (const s of seen) assert.equal(s.text, f.table);
      assert.ok(seen.some((s) => s.pid === second.pid), `the worker that joined later (${second.pid}) ran tasks: ${seen.map((s) => s.pid).join(' ')}`);
    });
  } finally {
    fs.rmSync(f.dir, { recursive: true, force: true });
  }
});

test('a receiver finds the added files on its worker as it starts', { timeout: 180_000 }, async () => {
  const f = makeFiles();
  try {
    await withCluster({ workers: 2, logLevel: 'fatal' }, async (h) => {
      const workerPids = new Set(h.cluster.workerProcesses.map((c) => c.pid));
      const run = await h.run(FIXTURE, [f.dir, 'receiver']);
      assert.ok(run.ok, show(run));
      const got = jsonLine<{ pid: number; conf: [string, string][] }>(run.lines, 'RECEIVER ');
      assert.ok(workerPids.has(got.pid), `the receiver ran in a worker (${got.pid})`);
      assert.deepEqual(got.conf, f.conf);
    });
  } finally {
    fs.rmSync(f.dir, { recursive: true, force: true });
  }
});

/**
 * The test's files, with a tmpfs mounted at `<files>/disk` (root only: skipped, saying why,
 * elsewhere); unmounted and removed after `fn`, whatever it did.
 */
async function withFilesOnTmpfs(t: TestContext, fn: (f: Files, disk: string) => Promise<void>): Promise<void> {
  const f = makeFiles();
  const disk = path.join(f.dir, 'disk');
  const cannot = mountTmpfs(disk);
  if (cannot !== undefined) {
    fs.rmSync(f.dir, { recursive: true, force: true });
    t.skip(cannot);
    return;
  }
  try {
    await fn(f, disk);
  } finally {
    unmountTmpfs(disk);
    fs.rmSync(f.dir, { recursive: true, force: true });
  }
}

test("a worker whose --local-dir is full fails the tasks with SLUICE_DISK_FULL naming the file; with space back they read it", { timeout: 180_000 }, async (t) => {
  await withFilesOnTmpfs(t, async (f, disk) => {
    const localDir = path.join(disk, 'local');
    fs.mkdirSync(localDir);
    await withCluster({ workers: 2, logLevel: 'fatal', workerArgs: ['--local-dir', localDir] }, async (h) => {
      // The fixture's bundle on both workers while there is room (a bundle that cannot be
      // written fails the task before any file is fetched): a job whose tasks ran on both.
      const warm = await h.run(FIXTURE, [f.dir, 'main']);
      assert.ok(warm.ok, show(warm));
      const pids = [...jsonLine<TaskSeen[]>(warm.lines, 'TASKS '), ...jsonLine<TaskSeen[]>(warm.lines, 'LATE ')].map((x) => x.pid);
      assert.equal(new Set(pids).size, 2);
      // Its files gone from the workers (released after its end) before the disk is filled.
      const filesDirs = (): string[] => fs.readdirSync(localDir).flatMap((w) => (fs.existsSync(path.join(localDir, w, 'files')) ? fs.readdirSync(path.join(localDir, w, 'files')) : []));
      await pollUntil(() => (filesDirs().length === 0 ? true : undefined), 30_000, 'the warm-up job\'s files removed from the workers');
      const filler = path.join(disk, 'filler');
      fillDisk(filler);
      const full = await h.run(FIXTURE, [f.dir, 'read']);
      assert.ok(full.ok, show(full));
      const err = jsonLine<{ code: string; message: string }>(full.lines, 'READ_ERR ');
      assert.equal(err.code, 'SLUICE_DISK_FULL', err.message);
      assert.match(err.message, /cannot write the file 'table\.txt' job \S+ added with sc\.addFile to '.*'.*start the worker with --local-dir on a larger disk/);
      fs.rmSync(filler);
      const back = await h.run(FIXTURE, [f.dir, 'read']);
      assert.ok(back.ok, show(back));
      assert.deepEqual(jsonLine(back.lines, 'READ '), [f.table.length, f.table.length, f.table.length, f.table.length]);
    });
  });
});

test("a driver whose scratch directory is full refuses sc.addFile with SLUICE_DISK_FULL naming the file", { timeout: 180_000 }, async (t) => {
  await withFilesOnTmpfs(t, async (f, disk) => {
    const localDir = path.join(disk, 'driver');
    await withCluster({ workers: 1, logLevel: 'fatal', driver: { localDir } }, async (h) => {
      // The fixture's bundle kept by the driver while there is room.
      const warm = await h.run(FIXTURE, [f.dir, 'none']);
      assert.ok(warm.ok, show(warm));
      const filler = path.join(disk, 'filler');
      fillDisk(filler);
      const full = await h.run(FIXTURE, [f.dir, 'read']);
      assert.equal(full.state, 'failed', show(full));
      assert.equal(full.failure?.code, 'SLUICE_DISK_FULL', show(full));
      assert.match(full.failure?.message ?? '', new RegExp(`cannot write the copy of ${path.join(f.dir, 'table.txt')} sc\\.addFile keeps to '${localDir}/files/[^']+' \\(the driver's scratch directory\\)`));
      assert.deepEqual(fs.readdirSync(path.join(localDir, 'files')).flatMap((d) => fs.readdirSync(path.join(localDir, 'files', d))), [], 'no partial copy left');
      fs.rmSync(filler);
      const back = await h.run(FIXTURE, [f.dir, 'read']);
      assert.ok(back.ok, show(back));
      assert.deepEqual(jsonLine(back.lines, 'READ '), [f.table.length, f.table.length, f.table.length, f.table.length]);
    });
  });
});

test('sluice run: a relative path resolves against the directory it ran in', { timeout: 180_000 }, async () => {
  const f = makeFiles();
  try {
    // The fixture's directory argument relative ('.'), run from the files' directory.
    const r = await runCli(['run', '--workers', '2', FIXTURE, '.', 'main'], { cwd: f.dir, timeoutMs: 150_000 });
    assert.equal(r.code, 0, r.stderr.slice(-4000));
    const lines = r.stdout.split('\n');
    assert.deepEqual(jsonLine(lines, 'LIST '), [path.join(fs.realpathSync(f.dir), 'table.txt'), path.join(fs.realpathSync(f.dir), 'conf')]);
    for (const t of jsonLine<TaskSeen[]>(lines, 'TASKS ')) {
      assert.equal(t.table, f.table);
      assert.deepEqual(t.conf, f.conf);
    }
    for (const t of jsonLine<{ late: string }[]>(lines, 'LATE ')) assert.equal(t.late, f.late);
  } finally {
    fs.rmSync(f.dir, { recursive: true, force: true });
  }
});
