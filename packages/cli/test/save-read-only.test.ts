// saveAsTextFile whose output's parent is made read-only while its tasks run, for a job run as a
// user that is not root (`sluice run` as nobody through setpriv, as checkpoint-read-only does):
// the parts are written into the save's hidden temporary directory, its rename into place is
// refused (EACCES), and so is its removal. The failure names the rename, the directory that
// refused, the user and what to do (found: the removal's error replaced the rename's, and neither
// said what to do). Needs root and setpriv; skipped otherwise.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { cannotRunAsNobody, nobodysDirs, runSluiceAsNobody } from './as-nobody.js';
import { within } from './harness.js';

const cannot = cannotRunAsNobody('sluice');

test("saveAsTextFile whose output's parent is made read-only as its tasks run: the refused move into place names the directory, the user and the fix", { timeout: 180_000, skip: cannot }, async () => {
  const {
    root,
    dirs: [parent],
  } = nobodysDirs('sluice-save-ro-', ['parent']);
  let stderr = '';
  const child = runSluiceAsNobody('save-read-only.ts', [parent!], root, (t) => (stderr += t));
  try {
    const code = await within(new Promise<number | null>((r) => (child.exitCode !== null ? r(child.exitCode) : child.once('exit', (c) => r(c)))), 150_000, 'sluice run to end');
    assert.equal(code, 1, stderr);
    const out = path.join(parent!, 'out');
    const failure = stderr.split('\n').find((l) => l.includes(`cannot finish output directory '${out}'`));
    assert.ok(failure, stderr);
    assert.ok(failure.includes(`saveAsTextFile: cannot finish output directory '${out}': EACCES: permission denied, rename '${path.join(parent!, '.out.sluice-tmp-')}`), failure);
    assert.ok(failure.endsWith(`: '${parent}' is not writable by user nobody (uid 65534), as which this process runs: make it writable by that user (chown nobody '${parent}', or chmod u+w), or save to a directory elsewhere`), failure);
    // The temporary directory is left, hidden (a later save of 'out' removes it); no 'out'.
    const left = fs.readdirSync(parent!);
    assert.equal(left.length, 1, left.join(' '));
    assert.ok(left[0]!.startsWith('.out.sluice-tmp-'), left[0]);
  } finally {
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
    fs.chmodSync(parent!, 0o755);
    fs.rmSync(root, { recursive: true, force: true });
  }
});
