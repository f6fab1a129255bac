// A local part file's task attempt (openLocalPart): written in its own folder under the save's
// `_temporary/` and renamed into the directory once whole; and an attempt late past its job's
// commit (`_temporary/` moved out of the directory by the job, before or while it writes) puts
// nothing into the directory, makes nothing there again and fails saying its save is over.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { ATTEMPTS_DIR, openLocalPart } from '../../src/scheduler/local-part-file.js';
import type { TaskEnv } from '../../src/scheduler/task-env.js';

/** What openLocalPart reads of its task's environment. */
const env = { jobId: 'job-t', taskId: 'job-t.s0r0.p0.a0' } as unknown as TaskEnv;

/** A save's temporary directory as the job makes it (with its `_temporary/`), removed after the test. */
function saveDir(t: TestContext): string {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-local-part-'));
  t.after(() => fs.rmSync(parent, { recursive: true, force: true }));
  const dir = path.join(parent, 'tmp');
  fs.mkdirSync(path.join(dir, ATTEMPTS_DIR), { recursive: true });
  return dir;
}

async function* chunks(...texts: string[]): AsyncIterable<Uint8Array> {
  for (const t of texts) yield Buffer.from(t);
}

describe('openLocalPart', () => {
  test("writes the part in the attempt's own folder under _temporary/, then renames it into the directory", async (t) => {
    const dir = saveDir(t);
    const write = await openLocalPart(path.join(dir, 'part-00000'), env, 0, 'saveAsTextFile');
    // Open: the file is in a folder of its own, not in the directory.
    const [own] = fs.readdirSync(path.join(dir, ATTEMPTS_DIR));
    assert.ok(own?.startsWith(`job-t.s0r0.p0.a0.${process.pid}.`), own);
    assert.deepEqual(fs.readdirSync(path.join(dir, ATTEMPTS_DIR, own!)), ['part-00000']);
    assert.deepEqual(fs.readdirSync(dir), [ATTEMPTS_DIR]);
    await write(chunks('a\n', 'b\n'));
    assert.deepEqual(fs.readdirSync(dir).sort(), ['_temporary', 'part-00000']);
    assert.equal(fs.readFileSync(path.join(dir, 'part-00000'), 'utf8'), 'a\nb\n');
    assert.deepEqual(fs.readdirSync(path.join(dir, ATTEMPTS_DIR, own!)), [], 'its file renamed out of its folder');
  });

  test('an attempt open when its job committed (_temporary/ moved out) writes into the moved folder, and its rename fails: nothing in the directory', async (t) => {
    const dir = saveDir(t);
    const write = await openLocalPart(path.join(dir, 'part-00001'), env, 1, 'saveAsTextFile');
    const moved = path.join(path.dirname(dir), '.moved');
    fs.renameSync(path.join(dir, ATTEMPTS_DIR), moved);
    await assert.rejects(write(chunks('late\n')), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'SLUICE_IO');
      assert.ok(err.message.startsWith(`part 1 of saveAsTextFile not written to '${path.join(dir, 'part-00001')}': its save is over ('${path.join(dir, ATTEMPTS_DIR)}' is gone`), err.message);
      return true;
    });
    assert.deepEqual(fs.readdirSync(dir), [], 'nothing of the late attempt in the directory');
    const [own] = fs.readdirSync(moved);
    assert.equal(fs.readFileSync(path.join(moved, own!, 'part-00001'), 'utf8'), 'late\n', 'its lines went to the moved folder');
  });

  test('an attempt that starts after its job committed makes nothing in the directory again', async (t) => {
    const dir = saveDir(t);
    fs.rmSync(path.join(dir, ATTEMPTS_DIR), { recursive: true });
    await assert.rejects(openLocalPart(path.join(dir, 'part-00002'), env, 2, 'saveAsObjectFile'), /^SluiceError: part 2 of saveAsObjectFile not written to .*: its save is over/);
    assert.deepEqual(fs.readdirSync(dir), [], 'no _temporary/ made again');
    // Nor the directory itself, once renamed away (a recursive mkdir would make it again).
    const gone = path.join(path.dirname(dir), 'renamed');
    fs.renameSync(dir, gone);
    await assert.rejects(openLocalPart(path.join(dir, 'part-00003'), env, 3, 'saveAsTextFile'), /its save is over/);
    assert.equal(fs.existsSync(dir), false, 'the renamed directory is not made again');
  });
});
