// SluiceContext's own steps around a job, against a backend that runs no cluster: what
// saveAsTextFile does after its tasks wrote their parts (the _SUCCESS file and the renames into
// place) when that or its clean-up fails.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { SluiceContext } from '../src/context.js';
import type { ActionSpec } from '../src/scheduler/task-spec.js';
import { fsError, refused } from './support/fs-errors.js';

describe('saveAsTextFile', () => {
  test("an output whose move into place is refused reports the rename's error and its fix, though the temporary directory cannot be removed either", async (t) => {
    // The output's parent made read-only after the tasks wrote their parts into the hidden
    // temporary directory there: the rename into place is refused (EACCES), and so is the
    // removal of the temporary directory. The rename's error, with the not-writable fix, is what
    // the user acts on; the clean-up's 'rmdir' error replaced it (as a checkpoint write's 'unlink' did).
    const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-core-save-'));
    t.after(() => fs.rmSync(parent, { recursive: true, force: true }));
    const out = path.join(parent, 'out');
    const warnings: { message: string; fields: Record<string, unknown> }[] = [];
    const sc = new SluiceContext({
      jobId: 'j',
      defaultParallelism: () => 1,
      // The task's part, written where the action says.
      runJob: async (_graph, action: ActionSpec) => {
        fs.writeFileSync(path.join((action as { dir: string }).dir, 'part-00000'), 'a\n');
        return { values: [undefined] };
      },
      removeRdd: async () => undefined,
      log: (level, message, fields) => void (level === 'warn' && warnings.push({ message, fields })),
    });
    const { renameSync, rmSync } = fs;
    fs.renameSync = ((from: fs.PathLike) => {
      throw refused('rename', String(from));
    }) as typeof renameSync;
    fs.rmSync = ((p: fs.PathLike, options?: fs.RmOptions) => {
      if (path.dirname(String(p)) === parent) throw refused('rmdir', String(p));
      rmSync(p, options);
    }) as typeof rmSync;
    try {
      await assert.rejects(sc.parallelize(['a'], 1).saveAsTextFile(out), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'SLUICE_IO', err.message);
        assert.ok(err.message.startsWith(`saveAsTextFile: cannot finish output directory '${out}': EACCES: permission denied, rename '${path.join(parent, '.out.sluice-tmp-')}`), err.message);
        assert.ok(err.message.includes(`: '${parent}' is not writable by user `), err.message);
        assert.doesNotMatch(err.message, /rmdir/);
        return true;
      });
    } finally {
      fs.renameSync = renameSync;
      fs.rmSync = rmSync;
    }
    // The temporary directory is left (hidden; a later save of 'out' removes it), and the warning says so.
    const left = fs.readdirSync(parent);
    assert.equal(left.length, 1, left.join(' '));
    assert.ok(left[0]!.startsWith('.out.sluice-tmp-'), left[0]);
    assert.deepEqual(warnings.map((w) => [w.message, w.fields.dir]), [["saveAsTextFile: cannot remove the failed save's temporary directory", path.join(parent, left[0]!)]]);
  });

  test('an output that replaced another is kept though the one it replaced cannot be removed', async (t) => {
    // saveAsTextFiles writes a re-run batch's directory again (replace): the new output is
    // renamed into place, then the old one removed. A removal that fails (a file in it held
    // open on NFS: ENOTEMPTY) failed the save though its output was whole and in place.
    const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-core-save-'));
    t.after(() => fs.rmSync(parent, { recursive: true, force: true }));
    const out = path.join(parent, 'out');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, 'part-00000'), 'old\n');
    fs.writeFileSync(path.join(out, '_SUCCESS'), '');
    const warnings: { message: string; fields: Record<string, unknown> }[] = [];
    const sc = new SluiceContext({
      jobId: 'j',
      defaultParallelism: () => 1,
      runJob: async (_graph, action: ActionSpec) => {
        fs.writeFileSync(path.join((action as { dir: string }).dir, 'part-00000'), 'a\n');
        return { values: [undefined] };
      },
      removeRdd: async () => undefined,
      log: (level, message, fields) => void (level === 'warn' && warnings.push({ message, fields })),
    });
    const { rmSync } = fs;
    fs.rmSync = ((p: fs.PathLike, options?: fs.RmOptions) => {
      if (path.basename(String(p)).startsWith('.out.sluice-old-')) throw fsError('ENOTEMPTY', 'directory not empty', 'rmdir', String(p));
      rmSync(p, options);
    }) as typeof rmSync;
    try {
      await sc.saveAsTextFile(sc.parallelize(['a'], 1), out, { replace: true });
    } finally {
      fs.rmSync = rmSync;
    }
    assert.deepEqual(fs.readdirSync(out).sort(), ['_SUCCESS', 'part-00000']);
    assert.equal(fs.readFileSync(path.join(out, 'part-00000'), 'utf8'), 'a\n', 'the new output is in place');
    const hidden = fs.readdirSync(parent).filter((n) => n !== 'out');
    assert.equal(hidden.length, 1, hidden.join(' '));
    assert.ok(hidden[0]!.startsWith('.out.sluice-old-'), hidden[0]);
    assert.deepEqual(warnings.map((w) => [w.message, w.fields.dir]), [['saveAsTextFile: cannot remove the output it replaced', path.join(parent, hidden[0]!)]]);
    // A later save removes what this one left.
    await sc.saveAsTextFile(sc.parallelize(['a'], 1), out, { replace: true });
    assert.deepEqual(fs.readdirSync(parent), ['out']);
  });
});
