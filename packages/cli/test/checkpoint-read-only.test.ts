// A checkpoint directory made read-only under a running stream, for a driver run as a user that is
// not root (`sluice run` as nobody, through setpriv; root writes anywhere): `chmod 555` on its
// metadata directory mid-stream. Each metadata checkpoint is then a warning naming the directory,
// the user the driver runs as and what to do (found: the streaming context stopped at the first
// one, 'failed 3 attempts ...; the streaming context stops'), the stream goes on, its file
// stream's batches held (run unrecorded, a recovery would make them again with other files:
// file-stream-metadata-full); once writable again a checkpoint is written at the next batch and
// the held batches run, and a driver
// killed with -9 after it and run again recovers from it: every line fed is in exactly one
// batch's output (its file written atomically, by batch time, so a batch run again rewrites it).
// Needs root (to change users) and setpriv (util-linux); skipped otherwise. Checked that the
// directory refuses nobody's writes before relying on it.
import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { NOBODY, cannotRunAsNobody, dropLines, nobodysDirs, runSluiceAsNobody } from './as-nobody.js';
import { pollUntil, within } from './harness.js';

const BATCH_MS = 300;
const cannot = cannotRunAsNobody('sluice');

test('a checkpoint directory made read-only mid-stream: warnings naming it, the user and the fix; batches held; once writable, checkpoints again and a driver killed then recovers with every line once', { timeout: 240_000, skip: cannot }, async () => {
  const {
    root,
    dirs: [ckpt, input, out, control],
  } = nobodysDirs('sluice-ckpt-ro-', ['ckpt', 'in', 'out', 'control']);
  const metadata = path.join(ckpt, 'metadata');
  let child: ChildProcess | undefined;
  let stderr = '';
  const start = (): ChildProcess => runSluiceAsNobody('checkpoint-read-only.ts', [ckpt, input, out, control, String(BATCH_MS)], root, (t) => (stderr += t));
  const fed: string[] = [];
  const feed = (i: number): void => void fed.push(...dropLines(input, i));
  const written = (): string[] => fs.readdirSync(out).filter((f) => f.endsWith('.json')).flatMap((f) => JSON.parse(fs.readFileSync(path.join(out, f), 'utf8')) as string[]);
  const outputHas = (lines: readonly string[], what: string): Promise<true> =>
    pollUntil(() => (lines.every((l) => written().includes(l)) ? true : child?.exitCode !== null ? assert.fail(`sluice run exited:\n${stderr.slice(-3000)}`) : undefined), 60_000, what);
  const checkpoints = (): number[] => (fs.existsSync(metadata) ? fs.readdirSync(metadata).filter((f) => /^checkpoint-\d+$/.test(f)).map((f) => Number(f.slice('checkpoint-'.length))) : []);
  try {
    child = start();
    await pollUntil(() => (checkpoints().length > 0 ? true : undefined), 90_000, 'a first metadata checkpoint');
    for (const i of [1, 2, 3]) feed(i);
    await outputHas(fed, 'lines 1-3 in the output');

    fs.chmodSync(metadata, 0o555);
    assert.notEqual(spawnSync('setpriv', [...NOBODY, 'touch', path.join(metadata, 'probe')]).status, 0, 'nobody cannot write the read-only directory');
    const before = Math.max(...checkpoints());
    const whileReadOnly: string[] = [];
    for (const i of [4, 5, 6]) whileReadOnly.push(...dropLines(input, i));
    fed.push(...whileReadOnly);
    await pollUntil(() => (stderr.includes('batch held: no metadata checkpoint records its input') ? true : child?.exitCode !== null ? assert.fail(`sluice run exited:\n${stderr.slice(-3000)}`) : undefined), 60_000, 'a batch held while the checkpoint directory is read-only');
    await new Promise((r) => setTimeout(r, 5 * BATCH_MS));
    assert.deepEqual(
      whileReadOnly.filter((l) => written().includes(l)),
      [],
      'no line fed while the directory is read-only is in an output (their batches are held)',
    );
    const warning = stderr.split('\n').find((l) => l.includes('metadata checkpoint not written'));
    assert.ok(warning !== undefined, stderr.slice(-3000));
    assert.ok(warning.includes(`the next one is written once the checkpoint directory '${ckpt}' is writable again`), warning);
    // What happens to the stream meanwhile (it said "the stream goes on" while its batches were held).
    assert.match(warning, /metadata checkpoint not written; (batch \d+ is held, no output running for it, until a metadata checkpoint records its input|the \d+ batch(es)? held for want of a metadata checkpoint stay held|batches go on, but each whose input must be recorded first \(received blocks with the write-ahead log on, Kafka offset ranges, files\) is held until a metadata checkpoint records it);/, warning);
    assert.ok(warning.includes(`'${metadata}' is not writable by user nobody (uid 65534), as which this process runs: make it writable by that user (chown nobody '${metadata}', or chmod u+w), or point the checkpoint directory elsewhere`), warning);
    assert.equal(child.exitCode, null, 'the stream goes on');

    fs.chmodSync(metadata, 0o755);
    for (const i of [7, 8]) feed(i);
    await outputHas(fed, 'lines 4-8 in the output once the directory is writable again');
    await pollUntil(() => (Math.max(...checkpoints()) > before ? true : undefined), 30_000, 'a metadata checkpoint written once the directory is writable again');

    // Killed with -9 (the driver and its worker: the process group) after that checkpoint, run again: it recovers from it.
    process.kill(-child.pid!, 'SIGKILL');
    await within(new Promise((r) => (child!.exitCode !== null || child!.signalCode !== null ? r(null) : child!.once('exit', r))), 30_000, 'sluice run to die');
    feed(9);
    child = start();
    await outputHas(fed, 'line 9 in the output after the recovery');
    fs.writeFileSync(path.join(control, 'stop'), '');
    const code = await within(new Promise((r) => (child!.exitCode !== null ? r(child!.exitCode) : child!.once('exit', r))), 90_000, 'sluice run to stop');
    assert.equal(code, 0, stderr.slice(-3000));
    assert.deepEqual(written().sort(), [...fed].sort(), 'every line fed in exactly one batch output');
  } finally {
    if (child && child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
    fs.rmSync(root, { recursive: true, force: true });
  }
});
