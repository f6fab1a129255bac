// pipePartition's separateWorkingDir (Spark's PipedRDD): the task's directory tasks/<uuid> is
// removed once the command has ended, and a removal that fails never replaces the task's own
// error nor fails a task whose command succeeded (Spark ignores its IOException). The removal
// fails by a race: a process the command left behind, or one killed with the task and not
// yet gone, still writes there (ENOTEMPTY); fs.rmSync is patched to fail that way.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import type { PipeSpec } from '../../src/rdd/plan.js';
import { pipePartition, type PipeFeed } from '../../src/scheduler/pipe-partition.js';
import { fsError } from '../support/fs-errors.js';

const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-pipe-'));
after(() => fs.rmSync(cwd, { recursive: true, force: true }));
fs.writeFileSync(path.join(cwd, 'lookup.txt'), 'x\n');

const spec: PipeSpec = { command: ['sh', '-c', 'ls lookup.txt; cat'], env: {}, cwd, cwdGiven: true, separateWorkingDir: true };
const feed: PipeFeed = async (write) => {
  for (const r of ['a', 'b', 'c']) write(r);
};
const taskDirs = (): string[] => (fs.existsSync(path.join(cwd, 'tasks')) ? fs.readdirSync(path.join(cwd, 'tasks')) : []);

/** Runs `body` with the removal of any tasks/<uuid> directory refused as a racing writer makes it fail; returns the directories it was asked to remove. */
async function withRemovalRefused(body: () => Promise<void>): Promise<string[]> {
  const { rmSync } = fs;
  const tried: string[] = [];
  fs.rmSync = ((p: fs.PathLike, options?: fs.RmOptions) => {
    if (path.dirname(String(p)) === path.join(cwd, 'tasks')) {
      tried.push(String(p));
      throw fsError('ENOTEMPTY', 'directory not empty', 'rmdir', String(p));
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

test('the task directory is removed after the command, which ran in it', async () => {
  const lines: string[] = [];
  await pipePartition(feed, spec, 0, (l) => lines.push(l));
  assert.deepEqual(lines, ['lookup.txt', 'a', 'b', 'c']);
  assert.deepEqual(taskDirs(), []);
});

test("a task that fails reports its own error, though its directory's removal fails too", async () => {
  const enough = new Error('enough: the take has its records');
  const tried = await withRemovalRefused(async () => {
    await assert.rejects(
      pipePartition(feed, spec, 1, () => {
        throw enough;
      }),
      (err: unknown) => {
        assert.equal(err, enough);
        return true;
      },
    );
  });
  assert.equal(tried.length, 1, 'the removal was tried');
  for (const d of taskDirs()) fs.rmSync(path.join(cwd, 'tasks', d), { recursive: true });
});

test('a task whose command succeeded succeeds, though its directory cannot be removed', async () => {
  const lines: string[] = [];
  const tried = await withRemovalRefused(() => pipePartition(feed, spec, 2, (l) => lines.push(l)));
  assert.deepEqual(lines, ['lookup.txt', 'a', 'b', 'c']);
  assert.equal(tried.length, 1, 'the removal was tried');
  for (const d of taskDirs()) fs.rmSync(path.join(cwd, 'tasks', d), { recursive: true });
});

test("a task directory that cannot be set up fails the task saying so, though what was made of it cannot be removed either", async () => {
  const { symlinkSync } = fs;
  fs.symlinkSync = ((target: fs.PathLike, p: fs.PathLike) => {
    throw fsError('EACCES', 'permission denied', 'symlink', `${String(target)}' -> '${String(p)}`);
  }) as typeof symlinkSync;
  try {
    const tried = await withRemovalRefused(async () => {
      await assert.rejects(
        () => pipePartition(feed, spec, 3, () => undefined),
        (err: Error & { code?: string }) => {
          assert.equal(err.code, 'SLUICE_TASK_FAILED', err.message);
          assert.match(err.message, /^rdd\.pipe\('sh -c ls lookup\.txt; cat'\): cannot set up the task's working directory .*\(separateWorkingDir\): EACCES: permission denied, symlink /);
          assert.match(err.message, /leave separateWorkingDir unset$/);
          return true;
        },
      );
    });
    assert.equal(tried.length, 1, 'the removal was tried');
  } finally {
    fs.symlinkSync = symlinkSync;
  }
  for (const d of taskDirs()) fs.rmSync(path.join(cwd, 'tasks', d), { recursive: true });
});
