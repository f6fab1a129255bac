// A task attempt late past its job's commit writes nothing into the committed output directory,
// on real processes: `sluice driver` (a worker timeout of 4 s), 2 `sluice worker`s (1 core each)
// and `sluice submit` of fixtures/stale-attempt-save.ts, a saveAsTextFile to a local directory of
// 2 parts. The first attempt of part 1 holds at its middle line with its part file open (a local
// text part is written as its lines are computed); the test freezes its worker (SIGSTOP) there,
// the driver declares it lost and runs part 1 again on the other worker, and the job commits
// (the directory renamed into place). Then the frozen worker is woken: its attempt goes on and
// writes the rest of its lines and closes its file. The committed directory must hold exactly
// _SUCCESS, part-00000 and part-00001 with their lines (computed here from the lines' formula),
// no temporary file, and stay so once the woken attempt is done.
// Found: the attempt's temporary file sat in the job's temporary directory itself, so, renamed
// with it, the woken attempt wrote its lines into the committed directory
// (part-00001.<job>...tmp, read by sc.textFile: the part's lines twice; the fresh-clone CI's
// file-stream-pause failure). Each attempt now writes in a folder of its own under _temporary/,
// which the job moves out of the directory before committing it (Hadoop's FileOutputCommitter).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { pause, resume } from '@sluice/test-disk/pause';
import { fixture, freePort, runCli } from './harness.js';
import { workersJoined } from './recovery-support.js';
import { pollUntil, randomSecret, spawnSluice, startWorkerProcess, type SluiceProcess } from './sluice-processes.js';

const PARTS = 2;
const PER_PART = 2_000;

/** The part files process `pid` holds open under `root` (its descriptors' targets, as /proc shows them). */
function openPartFiles(pid: number, root: string): string[] {
  const fdDir = `/proc/${pid}/fd`;
  const targets: string[] = [];
  for (const fd of fs.existsSync(fdDir) ? fs.readdirSync(fdDir) : []) {
    try {
      const t = fs.readlinkSync(path.join(fdDir, fd));
      if (t.startsWith(`${root}/`) && path.basename(t.replace(/ \(deleted\)$/, '')).startsWith('part-')) targets.push(t);
    } catch {
      // closed meanwhile
    }
  }
  return targets;
}

/** Asserts `out` holds exactly what the save wrote: _SUCCESS and each part's lines, nothing else. */
function assertCommitted(out: string, when: string): void {
  const want = ['_SUCCESS', ...Array.from({ length: PARTS }, (_, p) => `part-${String(p).padStart(5, '0')}`)];
  assert.deepEqual(fs.readdirSync(out).sort(), want, `${when}: the committed directory's files`);
  for (let p = 0; p < PARTS; p++) {
    let text = '';
    for (let i = p * PER_PART; i < (p + 1) * PER_PART; i++) text += `line ${i}\n`;
    assert.equal(fs.readFileSync(path.join(out, `part-${String(p).padStart(5, '0')}`), 'utf8'), text, `${when}: part ${p}'s lines`);
  }
}

test('a worker frozen (SIGSTOP) with its part file open while the job is done elsewhere and committed writes nothing into the committed directory when woken', { timeout: 200_000 }, async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-stale-attempt-'));
  const out = path.join(root, 'out');
  const secret = randomSecret();
  const procs: SluiceProcess[] = [];
  let victim: SluiceProcess | undefined;
  try {
    const port = await freePort();
    const address = `127.0.0.1:${port}`;
    const driver = await spawnSluice(['driver', '--port', String(port), '--web-port', '0', '--log-level', 'info', '--worker-timeout-ms', '4000'], secret, /driver listening/);
    procs.push(driver);
    const workers = new Map<number, SluiceProcess>();
    for (let i = 0; i < 2; i++) {
      const w = await startWorkerProcess(address, secret);
      procs.push(w);
      workers.set(w.child.pid!, w);
    }
    await workersJoined(driver, 2);
    const submit = runCli(['submit', fixture('stale-attempt-save.ts'), '--driver', address, '--', root, String(PARTS), String(PER_PART)], { env: { SLUICE_SECRET: secret, SLUICE_SECRET_FILE: '' }, timeoutMs: 150_000 });
    const held = path.join(root, 'held');
    const pid = await pollUntil(() => (fs.existsSync(held) ? Number(fs.readFileSync(held, 'utf8')) : undefined), 120_000, 'an attempt of part 1 to hold');
    victim = workers.get(pid);
    assert.ok(victim, `the held attempt runs on a worker of this test (pid ${pid})`);
    // The known point of its write: its part file open.
    const opened = await pollUntil(() => openPartFiles(pid, root)[0], 30_000, "the held attempt's part file open");
    pause(victim.child);
    fs.writeFileSync(path.join(root, 'go'), '');
    const r = await submit;
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /^SAVED$/m);
    assertCommitted(out, 'committed, its first attempt frozen');
    // Where the frozen attempt's open file is now: out of the committed directory (before: in it).
    const frozenFile = openPartFiles(pid, root);
    assert.equal(frozenFile.length, 1, frozenFile.join(' '));
    assert.ok(!frozenFile[0]!.startsWith(`${out}/`), `the frozen attempt's open part file is not in the committed directory: ${frozenFile[0]} (opened as ${opened})`);
    resume(victim.child);
    // Woken, the attempt goes on (past its held line: its lines written into its open file, then
    // closed and renamed) until its worker, told by the driver it was lost, kills it (its thread
    // terminated): whichever comes first, its file is closed and its end is in the worker's log.
    await pollUntil(() => (openPartFiles(pid, root).length === 0 ? true : undefined), 30_000, 'the woken attempt to close its part file');
    const end = await pollUntil(
      () => victim!.logLines.find((l) => (l.includes('"task failed"') && l.includes('its save is over')) || l.includes('"outcome":"killed"') || l.includes('tasks running (the driver is gone or gave them up): killed them')),
      30_000,
      "the woken attempt's end in its worker's log",
    ).catch((err: Error) => assert.fail(`${err.message}:\n${victim!.logLines.slice(-30).join('\n')}`));
    const wrote = fs.existsSync(path.join(root, `woken-${pid}`));
    assertCommitted(out, 'after the woken attempt finished');
    assert.deepEqual(fs.readdirSync(root).filter((n) => n.startsWith('.')), [], 'no hidden temporary directory left beside it');
    console.log(`# worker ${pid} frozen with ${opened} open; committed elsewhere, its file then ${frozenFile[0]}; woken, ${wrote ? 'past its held line' : 'killed at its held line'}; its end: ${JSON.parse(end).msg}${end.includes('its save is over') ? ' (its save is over)' : ''}`);
  } finally {
    resume(victim?.child);
    for (const p of procs.reverse()) await p.stop();
    fs.rmSync(root, { recursive: true, force: true });
  }
});
