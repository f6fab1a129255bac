// materializeBundle (bundle-files.ts): a job bundle's write that fails reports its own error,
// never that of the clean-up after it. fs is patched: the write fails as a full disk makes it
// fail, and the removal of the temporary file fails too, as it does when the directory was
// removed or replaced under the process meanwhile (a cleaner of --local-dir).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { materializeBundle } from '../../src/bundle/bundle-files.js';
import { fsError } from '../support/fs-errors.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-bundle-files-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

const code = new TextEncoder().encode('export const x = 1;\n');
const sha = 'ef'.repeat(32);
const isTmp = (p: fs.PathOrFileDescriptor | fs.PathLike): boolean => typeof p === 'string' && p.startsWith(path.join(root, sha) + path.sep) && p.endsWith('.tmp');

test("a bundle whose write finds the disk full reports the full disk and its fix, though its temporary file cannot be removed either", () => {
  const { writeFileSync, rmSync } = fs;
  const removals: string[] = [];
  fs.writeFileSync = ((p: fs.PathOrFileDescriptor, data: string | NodeJS.ArrayBufferView, options?: fs.WriteFileOptions) => {
    if (isTmp(p)) throw fsError('ENOSPC', 'no space left on device', 'write');
    writeFileSync(p, data, options);
  }) as typeof writeFileSync;
  fs.rmSync = ((p: fs.PathLike, options?: fs.RmOptions) => {
    if (isTmp(p)) {
      removals.push(String(p));
      throw fsError('ENOTDIR', 'not a directory', 'lstat', String(p));
    }
    rmSync(p, options);
  }) as typeof rmSync;
  try {
    assert.throws(
      () => materializeBundle(root, sha, code, '{}'),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, 'SLUICE_DISK_FULL', err.message);
        assert.match(err.message, /the job bundle/);
        assert.match(err.message, /start the worker with --local-dir on a larger disk/);
        assert.doesNotMatch(err.message, /ENOTDIR/);
        return true;
      },
    );
  } finally {
    fs.writeFileSync = writeFileSync;
    fs.rmSync = rmSync;
  }
  assert.equal(removals.length, 1, 'the temporary file was tried');
  // Written whole once the disk has room again.
  const file = materializeBundle(root, sha, code, '{}');
  assert.deepEqual(new Uint8Array(fs.readFileSync(file)), code);
});

test("a bundle whose rename fails (its directory removed meanwhile) reports the rename's error, not the clean-up's", () => {
  const other = 'a1'.repeat(32);
  const { renameSync, rmSync } = fs;
  fs.renameSync = ((from: fs.PathLike, to: fs.PathLike) => {
    if (String(to) === path.join(root, other, 'bundle.mjs')) throw fsError('ENOENT', 'no such file or directory', 'rename', String(from));
    renameSync(from, to);
  }) as typeof renameSync;
  fs.rmSync = ((p: fs.PathLike, options?: fs.RmOptions) => {
    if (String(p).startsWith(path.join(root, other, 'bundle.mjs.'))) throw fsError('EACCES', 'permission denied', 'unlink', String(p));
    rmSync(p, options);
  }) as typeof rmSync;
  try {
    assert.throws(() => materializeBundle(root, other, code, ''), (err: NodeJS.ErrnoException) => {
      assert.equal(err.code, 'ENOENT', err.message);
      assert.equal(err.syscall, 'rename');
      return true;
    });
  } finally {
    fs.renameSync = renameSync;
    fs.rmSync = rmSync;
  }
});
