// A streaming job's state checkpoints (updateStateByKey, checkpointed every 2 batches) refused
// for permission mid-stream, for a driver and worker run as a user that is not root (`sluice run`
// as nobody through setpriv, as checkpoint-read-only does). First an old state checkpoint that
// cannot be deleted (`chmod 555` on it): a warning naming the directory that refused, the user
// and what to do, and the stream goes on, as Spark's DStreamCheckpointData.cleanup logs a failed
// delete (found: the streaming context stopped, 'cannot delete checkpoint files under ...',
// without the fix); writable again, a later checkpoint deletes it. Then the state directory
// itself read-only: the state checkpoint's tasks fail and so does the job, as Spark's (a
// ReliableCheckpointRDD write fails its tasks), naming the directory that refused (found: it named
// the checkpoint's own directory, which the refused mkdir never made); writable again, the job run
// again recovers from its checkpoint: every key counted exactly once. Needs root and setpriv.
import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { NOBODY, cannotRunAsNobody, dropLines, nobodysDirs, runSluiceAsNobody } from './as-nobody.js';
import { pollUntil, within } from './harness.js';

const BATCH_MS = 300;
const cannot = cannotRunAsNobody('sluice');

test('state checkpoints refused mid-stream: an old one not deletable is a warning naming it and the fix; the state directory read-only fails the job naming it; run again, every key counted once', { timeout: 240_000, skip: cannot }, async () => {
  const {
    root,
    dirs: [ckpt, input, out, control],
  } = nobodysDirs('sluice-state-ro-', ['ckpt', 'in', 'out', 'control']);
  const stateDir = path.join(ckpt, 'state');
  let child: ChildProcess | undefined;
  let stderr = '';
  const start = (): ChildProcess => {
    stderr = '';
    return runSluiceAsNobody('state-read-only.ts', [ckpt, input, out, control, String(BATCH_MS)], root, (t) => (stderr += t));
  };
  const exited = (c: ChildProcess): Promise<number | null> => new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r(c.exitCode) : c.once('exit', (code) => r(code))));
  const fed: string[] = [];
  const feed = (i: number): void => void fed.push(...dropLines(input, i));
  // The state of the latest batch written.
  const latest = (): [string, number][] => {
    const files = fs.readdirSync(out).filter((f) => /^state-\d+\.json$/.test(f)).sort();
    return files.length === 0 ? [] : (JSON.parse(fs.readFileSync(path.join(out, files[files.length - 1]!), 'utf8')) as [string, number][]);
  };
  const stateHas = (lines: readonly string[], what: string): Promise<true> =>
    pollUntil(() => {
      const keys = new Set(latest().map(([k]) => k));
      return lines.every((l) => keys.has(l)) ? true : child?.exitCode !== null ? assert.fail(`sluice run exited:\n${stderr.slice(-3000)}`) : undefined;
    }, 60_000, what);
  const stateCheckpoints = (): string[] => (fs.existsSync(stateDir) ? fs.readdirSync(stateDir).filter((d) => /^stream-\d+-\d+$/.test(d)).sort((a, b) => Number(a.split('-')[2]) - Number(b.split('-')[2])) : []);
  const fixFor = (dir: string): string => `'${dir}' is not writable by user nobody (uid 65534), as which this process runs: make it writable by that user (chown nobody '${dir}', or chmod u+w), or point the checkpoint directory elsewhere`;
  try {
    child = start();
    // A first state checkpoint written whole: its batch's output is written once the batch's action ended, the
    // checkpoint's parts included (its directory appears before its tasks write them: made read-only then, they fail).
    const first = await pollUntil(
      () => {
        const name = stateCheckpoints()[0];
        if (name === undefined) return undefined;
        const t = Number(name.split('-')[2]);
        return fs.readdirSync(out).some((f) => Number(/^state-(\d+)\.json$/.exec(f)?.[1] ?? -1) >= t) ? name : undefined;
      },
      90_000,
      'a first state checkpoint written whole',
    );
    // An old state checkpoint whose parts cannot be deleted.
    const old = path.join(stateDir, first);
    fs.chmodSync(old, 0o555);
    assert.notEqual(spawnSync('setpriv', [...NOBODY, 'rm', '-f', path.join(old, 'part-0')]).status, 0, 'nobody cannot delete its parts');
    for (const i of [1, 2, 3]) feed(i);
    await stateHas(fed, 'lines 1-3 in the state while an old checkpoint cannot be deleted');
    const warning = await pollUntil(() => stderr.split('\n').find((l) => l.includes('old state checkpoints not deleted')) ?? (child?.exitCode !== null ? assert.fail(stderr.slice(-3000)) : undefined), 60_000, 'the warning');
    assert.ok(warning.includes(`cannot delete checkpoint files under '${old}': EACCES`), warning);
    assert.ok(warning.includes(fixFor(old)), warning);
    assert.equal(child.exitCode, null, 'the stream goes on');
    fs.chmodSync(old, 0o755);
    await pollUntil(() => (!fs.existsSync(old) ? true : undefined), 30_000, 'the old state checkpoint deleted once it can be');

    // The state directory read-only: the next state checkpoint's tasks are refused, the job fails.
    fs.chmodSync(stateDir, 0o555);
    feed(4);
    const code = await within(exited(child), 120_000, 'sluice run to fail');
    assert.notEqual(code, 0);
    assert.match(stderr, new RegExp(`cannot write checkpoint file '${stateDir}/stream-\\d+-\\d+/part-\\d+': EACCES`), stderr.slice(-3000));
    assert.ok(stderr.includes(fixFor(stateDir)), stderr.slice(-3000));

    // Writable again, run again: it recovers from its checkpoint; every key counted exactly once.
    fs.chmodSync(stateDir, 0o755);
    child = start();
    feed(5);
    await stateHas(fed, 'lines 4-5 in the state after the recovery');
    fs.writeFileSync(path.join(control, 'stop'), '');
    assert.equal(await within(exited(child), 90_000, 'sluice run to stop'), 0, stderr.slice(-3000));
    assert.deepEqual(latest(), [...fed].sort().map((l) => [l, 1]), 'every line counted exactly once');
  } finally {
    if (child && child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
    for (const d of [stateDir, ...(fs.existsSync(stateDir) ? fs.readdirSync(stateDir).map((e) => path.join(stateDir, e)) : [])]) fs.chmodSync(d, 0o755);
    fs.rmSync(root, { recursive: true, force: true });
  }
});
