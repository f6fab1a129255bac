// textFile on a registered file system cuts its files into exactly n partitions by bytes:
// reading every partition's splits with readLines gives each line of the files once, in
// order, whatever the cut (lines across split boundaries, empty files, fewer bytes than
// partitions). Checked against real files read by readLines, from seeded random files.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { planTextSplits } from '../../src/io/text-splits.js';
import { readLines } from '../../src/scheduler/read-lines.js';
import { mulberry32 } from '../support/prng.js';

test('every line of the files is read once, in order, for any number of partitions', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-text-splits-'));
  try {
    for (let seed = 1; seed <= 12; seed++) {
      const rand = mulberry32(seed);
      const files: { file: string; size: number }[] = [];
      const want: string[] = [];
      const nFiles = 1 + Math.floor(rand() * 4);
      for (let f = 0; f < nFiles; f++) {
        const lines: string[] = [];
        const nLines = Math.floor(rand() * 30); // some files empty
        for (let i = 0; i < nLines; i++) lines.push(`${seed}.${f}.${i}:` + 'xé€'.repeat(Math.floor(rand() * 12)));
        const file = path.join(dir, `s${seed}-f${f}`);
        fs.writeFileSync(file, lines.length > 0 ? lines.join('\n') + '\n' : '');
        files.push({ file, size: fs.statSync(file).size });
        want.push(...lines);
      }
      for (const n of [1, 2, 3, 7, 50]) {
        const { splits, groups } = planTextSplits(files, n);
        assert.equal(groups.length, n, `seed ${seed}: exactly ${n} partitions`);
        const got: string[] = [];
        for (const g of groups) for (const i of g) got.push(...(await readLines(splits[i].file, splits[i].start, splits[i].end)));
        assert.deepEqual(got, want, `seed ${seed}, ${n} partitions`);
        // The splits cover each file's bytes once, and each partition its share of the total.
        const total = files.reduce((a, f) => a + f.size, 0);
        groups.forEach((g, p) => {
          const bytes = g.reduce((a, i) => a + splits[i].end - splits[i].start, 0);
          assert.equal(bytes, Math.floor(((p + 1) * total) / n) - Math.floor((p * total) / n), `seed ${seed}: partition ${p} of ${n} has its share`);
        });
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
