// The README's first command, `npm run example`: scripts/example.sh sets up, then runs
// `sluice run --workers 2 examples/network-wordcount.ts` (no arguments: the example starts its
// bundled line generator, counts words in 1 s batches for 10 s, stops gracefully). That run,
// from the repository root as the script runs it: it exits 0, prints its batches, and the
// counts it printed over all batches are the words of a prefix of the generator's lines, each
// line counted once (the socket receiver reads the lines in order from the first; the
// graceful stop counts every line received).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { REPO_DIR, runCli } from './harness.js';

/** The generator's lines, computed here from its rule (a seeded LCG over ten words, 8 words a line), not from its code. */
function* exampleLines(): Generator<string[]> {
  const words = ['stream', 'batch', 'sluice', 'river', 'gate', 'water', 'flow', 'spark', 'dam', 'lock'];
  let seed = 7;
  for (;;) {
    const line: string[] = [];
    for (let i = 0; i < 8; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      line.push(words[seed % words.length]!);
    }
    yield line;
  }
}

test('npm run example: `sluice run --workers 2 examples/network-wordcount.ts` exits 0 and its printed counts are every word of the first lines generated, each line once', { timeout: 240_000 }, async () => {
  const script = fs.readFileSync(path.join(REPO_DIR, 'scripts', 'example.sh'), 'utf8');
  assert.match(script, /^node packages\/cli\/bin\/sluice\.js run --workers 2 examples\/network-wordcount\.ts$/m, 'scripts/example.sh runs the command this test runs');
  const r = await runCli(['run', '--workers', '2', 'examples/network-wordcount.ts'], { timeoutMs: 180_000, cwd: REPO_DIR });
  const show = `exit ${r.code}${r.timedOut ? ' (timed out)' : ''}\nstdout:\n${r.stdout.slice(-3000)}\nstderr:\n${r.stderr.slice(-3000)}`;
  assert.equal(r.timedOut, false, show);
  assert.equal(r.code, 0, show);
  const batches = (r.stdout.match(/^Time: \d+ ms$/gm) ?? []).length;
  assert.ok(batches >= 3, `at least 3 batches printed in its 10 s (${batches})\n${show}`);
  const got = new Map<string, number>();
  for (const m of r.stdout.matchAll(/^\((\w+),(\d+)\)$/gm)) got.set(m[1]!, (got.get(m[1]!) ?? 0) + Number(m[2]));
  const words = [...got.values()].reduce((a, b) => a + b, 0);
  assert.ok(words > 0 && words % 8 === 0, `whole lines of 8 words counted (${words})\n${show}`);
  // 2,000 lines/s for about 10 s: at least one batch's worth, at most what 30 s could serve.
  const lines = words / 8;
  assert.ok(lines >= 500 && lines <= 60_000, `lines counted: ${lines}\n${show}`);
  const want = new Map<string, number>();
  const gen = exampleLines();
  for (let i = 0; i < lines; i++) for (const w of gen.next().value as string[]) want.set(w, (want.get(w) ?? 0) + 1);
  assert.deepEqual(Object.fromEntries([...got].sort()), Object.fromEntries([...want].sort()), `the counts equal the words of the first ${lines} generated lines`);
});
