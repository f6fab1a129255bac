// examples/raw-network-grep.ts, Spark's RawNetworkGrep ported, run as its header says with a
// text file of the test's: `sluice run --workers 2 examples/raw-network-grep.ts FILE` (its
// bundled RawTextSender on FILE: 2 rawSocketStreams, 1 s batches, 30 blocks of ~4 KB to each
// stream, a graceful stop after 10 s). The counts it printed are checked against the file: a
// block is the file's lines in order, wrapping round, until their bytes (plus one a line)
// reach 4096, as the sender's header documents; so every stream gets 30 times that block's
// lines containing "the", each block lands whole in one batch (README, Raw sockets), and the
// batches' counts are multiples of one block's and add up to 2 x 30 of them.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { REPO_DIR, mulberry32, runCli } from './harness.js';

test('examples/raw-network-grep.ts FILE: the union of 2 raw streams counts the lines with "the" of every block sent, a block whole in one batch', { timeout: 240_000 }, async () => {
  const rand = mulberry32(31);
  const words = ['the', 'then', 'other', 'river', 'gate', 'ath', 'th e', 'water', 'THE', 'lock'];
  const lines = Array.from({ length: 97 }, () => Array.from({ length: 1 + Math.floor(rand() * 5) }, () => words[Math.floor(rand() * words.length)]!).join(' '));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-raw-grep-'));
  try {
    const file = path.join(dir, 'text.txt');
    fs.writeFileSync(file, lines.join('\n') + '\n');
    const r = await runCli(['run', '--workers', '2', 'examples/raw-network-grep.ts', file], { timeoutMs: 180_000, cwd: REPO_DIR });
    const show = `exit ${r.code}${r.timedOut ? ' (timed out)' : ''}\nstdout:\n${r.stdout.slice(-3000)}\nstderr:\n${r.stderr.slice(-3000)}`;
    assert.equal(r.timedOut, false, show);
    assert.equal(r.code, 0, show);

    // One block: lines 0, 1, ... wrapping round while the bytes so far (a newline each) are under 4096.
    let bytes = 0;
    let perBlock = 0;
    for (let i = 0; bytes < 4096; i = (i + 1) % lines.length) {
      bytes += Buffer.byteLength(lines[i]!) + 1;
      if (lines[i]!.indexOf('the') >= 0) perBlock++;
    }
    assert.ok(perBlock > 0, 'the text has lines with "the"');
    const counts = [...r.stdout.matchAll(/^Grep count: (\d+)$/gm)].map((m) => Number(m[1]));
    assert.ok(counts.length >= 3, `a count per batch for 10 s (${counts.length})\n${show}`);
    for (const c of counts) assert.equal(c % perBlock, 0, `a batch's count (${c}) is whole blocks of ${perBlock}\n${show}`);
    assert.equal(counts.reduce((a, b) => a + b, 0), 2 * 30 * perBlock, `2 streams x 30 blocks x ${perBlock}\n${show}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
