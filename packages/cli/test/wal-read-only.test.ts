// A receiver's write-ahead log directory (`<checkpoint>/receivedData/<stream>/`) made read-only
// mid-stream, for a driver and worker run as a user that is not root (`sluice run` as nobody
// through setpriv, as checkpoint-read-only does). A reliable receiver's `await store()` is then
// refused with an error naming the log directory that refused, the user and what to do (found:
// 'Check that the checkpoint directory is writable and has free space', the user not named), as
// Spark's WriteAheadLogBasedBlockHandler fails the store; the receiver restarts and reads its
// source again, the stream goes on, and once the directory is writable every line fed is in
// exactly one batch's output. Needs root and setpriv; skipped otherwise.
import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { NOBODY, cannotRunAsNobody, dropLines, nobodysDirs, runSluiceAsNobody } from './as-nobody.js';
import { pollUntil, within } from './harness.js';

const BATCH_MS = 300;
const cannot = cannotRunAsNobody('sluice');

test("a receiver's write-ahead log directory made read-only mid-stream: store() refused naming it, the user and the fix; the stream goes on; once writable, every line once", { timeout: 240_000, skip: cannot }, async () => {
  const {
    root,
    dirs: [ckpt, input, out, control],
  } = nobodysDirs('sluice-wal-ro-', ['ckpt', 'in', 'out', 'control']);
  const logs = path.join(ckpt, 'receivedData');
  let child: ChildProcess | undefined;
  let stderr = '';
  child = runSluiceAsNobody('wal-read-only.ts', [ckpt, input, out, control, String(BATCH_MS)], root, (t) => (stderr += t));
  const fed: string[] = [];
  const feed = (i: number): void => void fed.push(...dropLines(input, i));
  const written = (): string[] => fs.readdirSync(out).filter((f) => f.endsWith('.json')).flatMap((f) => JSON.parse(fs.readFileSync(path.join(out, f), 'utf8')) as string[]);
  const alive = (): undefined => (child?.exitCode !== null ? assert.fail(`sluice run exited:\n${stderr.slice(-3000)}`) : undefined);
  const outputHas = (lines: readonly string[], what: string): Promise<true> => pollUntil(() => (lines.every((l) => written().includes(l)) ? true : alive()), 60_000, what);
  const refusals = (): string[] => fs.readdirSync(control).filter((f) => f.startsWith('refused-'));
  try {
    feed(1);
    await outputHas(fed, 'lines 1 in the output');
    const dirs = fs.readdirSync(logs);
    assert.equal(dirs.length, 1, `one receiver stream's log: ${dirs.join(', ')}`);
    const wal = path.join(logs, dirs[0]!);
    assert.equal(refusals().length, 0, 'no store refused while writable');

    fs.chmodSync(wal, 0o555);
    assert.notEqual(spawnSync('setpriv', [...NOBODY, 'touch', path.join(wal, 'probe')]).status, 0, 'nobody cannot write the log directory');
    // A file every 500 ms until a store is refused: appends within the open log segment's rolling
    // interval (300 ms) still go to it (its descriptor open before the chmod); a later one opens a new segment.
    let next = 2;
    let feedAt = 0;
    await pollUntil(
      () => {
        if (refusals().length > 0) return true;
        if (Date.now() >= feedAt) {
          feed(next++);
          feedAt = Date.now() + 500;
        }
        return alive();
      },
      60_000,
      'a store() refused',
      100,
    ).catch((err: Error) => assert.fail(`${err.message}; input ${fs.readdirSync(input).join(' ')}; log ${fs.readdirSync(wal).join(' ')}\n${stderr.slice(-3000)}`));
    const refused = fs.readFileSync(path.join(control, refusals()[0]!), 'utf8');
    assert.ok(refused.includes(`to the write-ahead log in '${wal}': EACCES`), refused);
    assert.ok(
      refused.includes(`the block is not acknowledged: '${wal}' is not writable by user nobody (uid 65534), as which this process runs: make it writable by that user (chown nobody '${wal}', or chmod u+w), or point the checkpoint directory elsewhere`),
      refused,
    );
    assert.equal(child.exitCode, null, 'the stream goes on');

    fs.chmodSync(wal, 0o755);
    feed(next);
    await outputHas(fed, `lines 2-${next} in the output once the log directory is writable again`);
    fs.writeFileSync(path.join(control, 'stop'), '');
    const code = await within(new Promise((r) => (child!.exitCode !== null ? r(child!.exitCode) : child!.once('exit', r))), 90_000, 'sluice run to stop');
    assert.equal(code, 0, stderr.slice(-3000));
    assert.deepEqual(written().sort(), [...fed].sort(), 'every line fed in exactly one batch output');
  } finally {
    if (child && child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
    fs.rmSync(root, { recursive: true, force: true });
  }
});
