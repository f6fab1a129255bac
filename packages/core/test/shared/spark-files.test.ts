// sc.addFile and SparkFiles in one thread, against a backend that records what the driver
// would be told (the cluster's side is packages/cli/test/spark-files): the copy made and
// announced with the sha256 of its content, a name that leads out of the files directory
// refused, and the announcement made once however often the same path is added.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { SluiceContext } from '../../src/context.js';
import type { AddedFileRef } from '../../src/shared/added-file-content.js';
import { SparkFiles, setSparkFilesRoot } from '../../src/shared/spark-files.js';
import { fsError } from '../support/fs-errors.js';

test('sc.addFile copies into the files directory and announces the copy once; SparkFiles keeps to that directory', () => {
  const src = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-core-files-src-'));
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-core-files-root-'));
  try {
    setSparkFilesRoot(root);
    const announced: AddedFileRef[] = [];
    const sc = new SluiceContext({ jobId: 'j', defaultParallelism: () => 2, runJob: () => Promise.reject(new Error('no cluster')), removeRdd: async () => undefined, addFile: (ref) => announced.push(ref) });
    fs.writeFileSync(path.join(src, 'model.bin'), 'weights');
    sc.addFile(path.join(src, 'model.bin'));
    sc.addFile(path.join(src, 'model.bin'));
    // AddedFileHash of one file, computed here: 'f', its (empty) path, NUL, the bytes, their count.
    const n = Buffer.alloc(8);
    n.writeBigUInt64BE(7n);
    const sha256 = crypto.createHash('sha256').update('f\0').update('weights').update(n).digest('hex');
    assert.deepEqual(announced, [{ name: 'model.bin', sha256, directory: false }]);
    assert.equal(SparkFiles.get('model.bin'), path.join(root, 'model.bin'));
    assert.equal(fs.readFileSync(SparkFiles.get('model.bin'), 'utf8'), 'weights');
    assert.equal(SparkFiles.getRootDirectory(), root);
    assert.deepEqual(sc.listFiles(), [path.join(src, 'model.bin')]);
    for (const bad of ['../model.bin', `../${path.basename(src)}/model.bin`, '/etc/passwd']) {
      assert.throws(() => SparkFiles.get(bad), (err: Error & { code?: string }) => err.code === 'SLUICE_BAD_ARGUMENT' && /leads out of the directory of added files/.test(err.message), bad);
    }
  } finally {
    setSparkFilesRoot(undefined);
    fs.rmSync(src, { recursive: true, force: true });
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test("sc.addFile on a full disk says so and how to fix it, though its partial copy cannot be removed either", () => {
  const src = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-core-files-src-'));
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-core-files-root-'));
  const { cpSync, rmSync } = fs;
  const partial = path.join(root, '.adding-table.txt');
  let refusals = 0;
  try {
    setSparkFilesRoot(root);
    const sc = new SluiceContext({ jobId: 'j', defaultParallelism: () => 2, runJob: () => Promise.reject(new Error('no cluster')), removeRdd: async () => undefined, addFile: () => undefined });
    fs.writeFileSync(path.join(src, 'table.txt'), 'rows');
    fs.cpSync = ((from: string | URL, to: string | URL, options?: fs.CopySyncOptions) => {
      if (String(to) === partial) throw fsError('ENOSPC', 'no space left on device', 'write', partial);
      cpSync(from, to, options);
    }) as typeof cpSync;
    fs.rmSync = ((p: fs.PathLike, options?: fs.RmOptions) => {
      // The first removal (of a partial copy left before) finds none; the one after the failed copy is refused.
      if (String(p) === partial && refusals++ > 0) throw fsError('ENOTDIR', 'not a directory', 'lstat', partial);
      rmSync(p, options);
    }) as typeof rmSync;
    assert.throws(
      () => sc.addFile(path.join(src, 'table.txt')),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, 'SLUICE_DISK_FULL', err.message);
        assert.match(err.message, /give the driver more space in the system's temporary directory \(TMPDIR\)/);
        assert.doesNotMatch(err.message, /ENOTDIR/);
        return true;
      },
    );
    assert.equal(refusals, 2, 'the removal after the failed copy was tried');
  } finally {
    fs.cpSync = cpSync;
    fs.rmSync = rmSync;
    setSparkFilesRoot(undefined);
    rmSync(src, { recursive: true, force: true });
    rmSync(root, { recursive: true, force: true });
  }
});
