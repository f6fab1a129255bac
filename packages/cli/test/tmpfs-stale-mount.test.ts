// A test file's tmpfs (@sluice/test-disk's mountTmpfs, as disk-full, state-dir-disk-full and
// kafka-disk-full mount one) does not outlive its process when the file's after() is never
// reached: a process killed with -9 (run-tests.mjs's bound on a file, or by hand) leaves it,
// and the next mountTmpfs of any test unmounts it; a process that exits without unmounting
// unmounts as it exits. Real mounts (root; skipped without it outside CI).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { mountTmpfs, unmountTmpfs } from '@sluice/test-disk';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-stale-mount-'));
const TEST_DISK = import.meta.resolve('@sluice/test-disk');

after(() => {
  for (const d of ['killed', 'exits', 'mine']) {
    const dir = path.join(root, d);
    if (mounted(dir)) unmountTmpfs(dir);
  }
  fs.rmSync(root, { recursive: true, force: true });
});

function mounted(dir: string): boolean {
  const real = fs.existsSync(dir) ? fs.realpathSync(dir) : dir;
  return fs.readFileSync('/proc/self/mounts', 'utf8').split('\n').some((l) => l.split(' ')[1] === real);
}

/** A node process that mounts a tmpfs on `dir` with mountTmpfs, says so, then runs `then` (code). */
async function mountIn(dir: string, then: string): Promise<{ exited: Promise<number | null>; kill: () => void }> {
  const code = `import { mountTmpfs } from ${JSON.stringify(TEST_DISK)}; console.log('MOUNTED ' + (mountTmpfs(${JSON.stringify(dir)}) ?? 'ok')); ${then}`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /MOUNTED (.*)\n/.exec(out);
      if (m) resolve(m[1]!);
    });
    void exited.then((c) => reject(new Error(`the mounting process exited (${c}) before it mounted: ${out}`)));
  });
  assert.equal(line, 'ok', line);
  return { exited, kill: () => child.kill('SIGKILL') };
}

test("a mount whose process was killed (its after() never ran) is unmounted by the next mountTmpfs; one whose process exited without unmounting is gone as it exits", { timeout: 60_000 }, async (t) => {
  const mine = path.join(root, 'mine');
  const cannot = mountTmpfs(mine);
  if (cannot) return t.skip(cannot);
  unmountTmpfs(mine);

  const killed = path.join(root, 'killed');
  const k = await mountIn(killed, 'setInterval(() => undefined, 1000);');
  assert.ok(mounted(killed), 'the child mounted its tmpfs');
  k.kill();
  await k.exited;
  assert.ok(mounted(killed), 'a process killed with -9 unmounts nothing itself');
  assert.equal(mountTmpfs(mine), undefined);
  assert.equal(mounted(killed), false, "the next mountTmpfs unmounted the killed process's tmpfs");
  assert.ok(mounted(mine));
  unmountTmpfs(mine);

  const exits = path.join(root, 'exits');
  const e = await mountIn(exits, 'process.exitCode = 3;');
  assert.equal(await e.exited, 3);
  assert.equal(mounted(exits), false, 'a process that exited with its mount unmounted it as it exited');
});
