// JobFiles, a worker's copies of the files jobs added with sc.addFile, against a source the
// test controls (the real one is Driver.GetFile, covered by packages/cli/test/spark-files):
// one fetch for many tasks at once, a copy whose sha256 is not the driver's refused and
// fetched again by the next task, a job's directory removed when it is released, even while
// a fetch of it was under way.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { pino } from 'pino';
import { JobFiles } from '../../src/executor/job-files.js';

const log = pino({ level: 'silent' });

/** The sha256 of an added single file as AddedFileHash defines it, computed here: 'f', its (empty) path, NUL, the bytes, their count (8 bytes, big-endian). */
function fileSha(content: string): string {
  const n = Buffer.alloc(8);
  n.writeBigUInt64BE(BigInt(Buffer.byteLength(content)));
  return crypto.createHash('sha256').update('f\0').update(content).update(n).digest('hex');
}

function tmpRoot(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-job-files-'));
}

test('a file is fetched once for every task that needs it, and is there, whole, when they run', async () => {
  const root = tmpRoot();
  try {
    let calls = 0;
    const files = new JobFiles(root, async (_job, _name, into) => {
      calls++;
      await new Promise((r) => setTimeout(r, 20));
      fs.writeFileSync(into, 'lookup table\n');
      return fileSha('lookup table\n');
    }, log);
    const ref = { name: 'table.txt', sha256: fileSha('lookup table\n'), directory: false };
    await Promise.all([files.ensure('job-1', [ref]), files.ensure('job-1', [ref]), files.ensure('job-1', [ref])]);
    await files.ensure('job-1', [ref]);
    assert.equal(calls, 1);
    assert.equal(fs.readFileSync(path.join(files.dir('job-1'), 'table.txt'), 'utf8'), 'lookup table\n');
    assert.deepEqual(fs.readdirSync(files.dir('job-1')), ['table.txt'], 'no partial copy left beside it');
    assert.deepEqual(files.jobIds(), ['job-1']);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test("a copy whose sha256 is not the driver's is refused, and the next task fetches it again", async () => {
  const root = tmpRoot();
  try {
    let calls = 0;
    const files = new JobFiles(root, async (_job, _name, into) => {
      calls++;
      const content = calls === 1 ? 'lookup tab' : 'lookup table\n'; // the first arrives cut short
      fs.writeFileSync(into, content);
      return fileSha(content);
    }, log);
    const ref = { name: 'table.txt', sha256: fileSha('lookup table\n'), directory: false };
    await assert.rejects(files.ensure('job-1', [ref]), /the added file 'table\.txt' arrived corrupted/);
    assert.deepEqual(fs.readdirSync(files.dir('job-1')), [], 'the bad copy was removed');
    await files.ensure('job-1', [ref]);
    assert.equal(calls, 2);
    assert.equal(fs.readFileSync(path.join(files.dir('job-1'), 'table.txt'), 'utf8'), 'lookup table\n');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test("a released job's files are removed, and a fetch under way when it was leaves nothing", async () => {
  const root = tmpRoot();
  try {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const files = new JobFiles(root, async (job, _name, into) => {
      if (job === 'job-2') await gate;
      // As the real source writes a directory: made with its parents.
      fs.mkdirSync(into, { recursive: true });
      fs.writeFileSync(path.join(into, 'a.txt'), 'alpha\n');
      return 'whatever';
    }, log);
    const dirRef = { name: 'conf', sha256: 'whatever', directory: true };
    await files.ensure('job-1', [dirRef]);
    assert.ok(fs.existsSync(path.join(files.dir('job-1'), 'conf', 'a.txt')));
    files.release('job-1');
    assert.equal(fs.existsSync(files.dir('job-1')), false);

    const fetching = files.ensure('job-2', [dirRef]);
    await new Promise((r) => setImmediate(r));
    files.release('job-2');
    release();
    await assert.rejects(fetching, /job job-2 ended while its added file 'conf' was fetched/);
    assert.equal(fs.existsSync(files.dir('job-2')), false);
    assert.deepEqual(files.jobIds(), []);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('a full disk while a file is fetched is SLUICE_DISK_FULL naming the file, the directory and --local-dir', async () => {
  const root = tmpRoot();
  try {
    const files = new JobFiles(root, async (_job, _name, into) => {
      fs.writeFileSync(into, 'lookup');
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    }, log);
    await assert.rejects(files.ensure('job-1', [{ name: 'table.txt', sha256: fileSha('lookup table\n'), directory: false }]), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'SLUICE_DISK_FULL');
      assert.match(err.message, new RegExp(`cannot write the file 'table\\.txt' job job-1 added with sc\\.addFile to '${files.dir('job-1')}'.*--local-dir on a larger disk`));
      return true;
    });
    assert.deepEqual(fs.readdirSync(files.dir('job-1')), [], 'the partial copy was removed');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test("a file removed from under the worker while its job runs is fetched again, once for the tasks that need it, with one warning", async () => {
  const root = tmpRoot();
  try {
    let calls = 0;
    const lines: { level: number; msg: string; names?: string[] }[] = [];
    const warnLog = pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l) as { level: number; msg: string; names?: string[] }) });
    let madeAgain = 0;
    const files = new JobFiles(
      path.join(root, 'scratch', 'files'),
      async (_job, name, into) => {
        calls++;
        await new Promise((r) => setTimeout(r, 20));
        fs.writeFileSync(into, `${name} content\n`);
        return fileSha(`${name} content\n`);
      },
      warnLog,
      () => void madeAgain++,
    );
    const refs = ['a.txt', 'b.txt'].map((name) => ({ name, sha256: fileSha(`${name} content\n`), directory: false }));
    await files.ensure('job-1', refs);
    await files.ensure('job-1', refs);
    assert.equal(calls, 2, 'each fetched once');
    assert.equal(madeAgain, 0);
    // A cleaner empties the worker's scratch directory (rm -rf) while the job runs.
    fs.rmSync(path.join(root, 'scratch'), { recursive: true, force: true });
    await Promise.all([files.ensure('job-1', refs), files.ensure('job-1', refs), files.ensure('job-1', [refs[1]!])]);
    assert.equal(calls, 4, 'each fetched again, once');
    for (const f of refs) assert.equal(fs.readFileSync(path.join(files.dir('job-1'), f.name), 'utf8'), `${f.name} content\n`);
    assert.equal(madeAgain, 1, 'the scratch directory made again once');
    const warned = lines.filter((l) => l.level === 40);
    assert.equal(warned.length, 1, JSON.stringify(warned));
    assert.deepEqual(warned[0]!.names, ['a.txt', 'b.txt']);
    assert.match(warned[0]!.msg, /gone from this worker's local directory .*fetching them again from the driver\. Start the worker with --local-dir on a directory no cleaner empties$/);
    // One of them removed alone: that one fetched again.
    fs.rmSync(path.join(files.dir('job-1'), 'b.txt'));
    await files.ensure('job-1', refs);
    assert.equal(calls, 5);
    assert.equal(lines.filter((l) => l.level === 40).length, 2);
    // There: nothing fetched, nothing warned.
    await files.ensure('job-1', refs);
    assert.equal(calls, 5);
    assert.equal(lines.filter((l) => l.level === 40).length, 2);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test("a fetch that fails reports its own error, though its partial copy cannot be removed either", async () => {
  const root = tmpRoot();
  const { rmSync } = fs;
  try {
    const files = new JobFiles(root, async () => {
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    }, log);
    fs.rmSync = ((p: fs.PathLike, options?: fs.RmOptions) => {
      if (path.basename(String(p)).startsWith('.fetching-')) throw Object.assign(new Error(`ENOTDIR: not a directory, lstat '${String(p)}'`), { code: 'ENOTDIR' });
      rmSync(p, options);
    }) as typeof rmSync;
    await assert.rejects(files.ensure('job-1', [{ name: 'table.txt', sha256: fileSha('x'), directory: false }]), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'SLUICE_DISK_FULL', err.message);
      return true;
    });
  } finally {
    fs.rmSync = rmSync;
    fs.rmSync(root, { recursive: true, force: true });
  }
});
