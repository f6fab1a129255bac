// SluiceContext methods of Spark's that Sluice added late (wholeTextFiles, binaryFiles,
// doubleAccumulator, longAccumulator and the accumulators' AccumulatorV2 methods) and sampleByKeyExact's keys, on a
// cluster of 2 worker processes, each checked against what reading the files here gives,
// under Spark's rules. One cluster for the file; the fixture prints `R <name> <json>`.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fixture, mulberry32, withCluster } from './harness.js';
import { ReportedOutcomes } from './reported-outcomes.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-context-spark-gaps-'));
const dir = path.join(tmp, 'in');
const empty = path.join(tmp, 'empty');
fs.mkdirSync(dir);
fs.mkdirSync(empty);
const rand = mulberry32(20261202);
// Text files of different sizes (one empty, one multi-byte UTF-8, one without a final newline), a binary one, and what is skipped.
fs.writeFileSync(path.join(dir, 'a.txt'), 'one\ntwo\n\nthree\n');
fs.writeFileSync(path.join(dir, 'b.txt'), Array.from({ length: 400 }, (_, i) => `line ${i} äpfel ☃`).join('\r\n'));
fs.writeFileSync(path.join(dir, 'c.txt'), '');
fs.writeFileSync(path.join(dir, 'd.csv'), 'x,y\n1,2');
fs.writeFileSync(path.join(dir, 'e.bin'), Buffer.from(Array.from({ length: 3000 }, () => Math.floor(rand() * 256))));
fs.writeFileSync(path.join(dir, 'f.txt'), 'z'.repeat(5000));
fs.writeFileSync(path.join(dir, '.hidden'), 'skipped');
fs.writeFileSync(path.join(dir, '_SUCCESS'), '');
fs.mkdirSync(path.join(dir, 'sub'));
fs.writeFileSync(path.join(dir, 'sub', 'deeper.txt'), 'not read');
const inputFile = path.join(tmp, 'inputs.json');
// Multiples of 1/4 (sums exact in any order), some negative.
const quarters = Array.from({ length: 301 }, () => (Math.floor(rand() * 4000) - 1000) / 4);
const tenths = 1000;
const marker = path.join(tmp, 'failed-once');
const longMarker = path.join(tmp, 'long-failed-once');
// longAccumulator: integers, some negative, one of them 0.
const ints = Array.from({ length: 157 }, (_, i) => (i === 40 ? 0 : Math.floor(rand() * 2_000_001) - 1_000_000));
// sampleByKeyExact: value i's key is group groups[i]'s key (the fixture makes it, in one field or entry order or the other).
const groups = Array.from({ length: 250 }, (_, i) => (i < 100 ? 0 : i < 160 ? 1 : i < 210 ? 2 : i < 230 ? 3 : 4));
fs.writeFileSync(inputFile, JSON.stringify({ dir, empty, missing: path.join(tmp, 'no-such-dir'), quarters, tenths, marker, longMarker, groups, ints }));

// What Spark reads: the directory's plain files, not hidden, `_` or nested ones, in name order.
const listed = fs
  .readdirSync(dir)
  .filter((n) => !n.startsWith('.') && !n.startsWith('_') && fs.statSync(path.join(dir, n)).isFile())
  .sort()
  .map((n) => path.join(dir, n));

const reported = new ReportedOutcomes();
const got = <T>(name: string): T => reported.got<T>(name);
const failed = (name: string): { error: string; code: string | null } => reported.failed(name);

before(async () => {
  await withCluster({ workers: 2 }, async (h) => {
    reported.read(await h.run(fixture('context-spark-gaps.ts'), [inputFile]));
  });
});

after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('wholeTextFiles: a pair a file with its whole content, files in name order packed into at most minPartitions partitions, none split', () => {
  const r = got<{ partitions: number; parts: [string, string][][] }>('wholeText');
  assert.ok(r.partitions >= 1 && r.partitions <= 3, String(r.partitions));
  assert.equal(r.parts.length, r.partitions);
  const pairs = r.parts.flat();
  assert.deepEqual(
    pairs,
    listed.map((f) => [f, fs.readFileSync(f, 'utf8')]),
  );
  // Spark's packing: a partition is closed once it holds its share of the bytes (total / 3), not before.
  const sizes = r.parts.map((p) => p.map(([f]) => fs.statSync(f).size));
  const share = Math.ceil(sizes.flat().reduce((a, b) => a + b, 0) / 3);
  for (const s of sizes.slice(0, -1)) {
    const bytes = s.reduce((a, b) => a + b, 0);
    assert.ok(bytes >= share && bytes - s[s.length - 1] < share, `${JSON.stringify(sizes)} against a share of ${share}`);
  }
  assert.ok(r.parts.every((p) => p.length > 0));
  assert.ok(r.partitions >= 2, 'b.txt alone is over a third of the bytes');
  assert.deepEqual(got<string[]>('wholeTextDefault'), listed);
});

test('wholeTextFiles: a glob in the last component, a single file, an empty directory, a glob matching nothing', () => {
  const txt = listed.filter((f) => f.endsWith('.txt'));
  assert.deepEqual(
    got<[string, string][]>('wholeTextGlob'),
    txt.map((f) => [f, fs.readFileSync(f, 'utf8')]),
  );
  const b = path.join(dir, 'b.txt');
  assert.deepEqual(got<[string, string][][]>('wholeTextOneFile'), [[[b, fs.readFileSync(b, 'utf8')]]]);
  assert.deepEqual(got('wholeTextEmptyDir'), { count: 0, partitions: 1 });
  assert.equal(got('wholeTextGlobNone'), 0);
});

test('wholeTextFiles: a missing path is SLUICE_IO naming it when the RDD is made; minPartitions 0 is SLUICE_BAD_ARGUMENT; a file gone before the job fails it naming the file', () => {
  const missing = failed('wholeTextMissing');
  assert.equal(missing.code, 'SLUICE_IO');
  assert.match(missing.error, /sc\.wholeTextFiles: cannot read .*no-such-dir/);
  assert.equal(failed('wholeTextBadPartitions').code, 'SLUICE_BAD_ARGUMENT');
  const gone = failed('wholeTextGone');
  assert.match(gone.error, /sc\.wholeTextFiles: cannot read '.*gone\.txt' on this worker/);
  const bm = failed('binaryMissing');
  assert.equal(bm.code, 'SLUICE_IO');
  assert.match(bm.error, /sc\.binaryFiles: cannot read .*no-such-dir/);
});

/** The lines sc.textFile gives of a file: split at \n, a \r before it dropped, no line after a final newline. */
const linesOf = (f: string): string[] => {
  const t = fs.readFileSync(f, 'utf8');
  if (t === '') return [];
  const ls = t.split('\n');
  if (ls[ls.length - 1] === '') ls.pop();
  return ls.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
};

test('path forms, as Spark\'s: comma-separated lists, globs in any component ({a,b} too), directories, for textFile, wholeTextFiles and binaryFiles', () => {
  const at = (n: string): string => path.join(dir, n);
  assert.deepEqual(got('pathsTextComma'), [...linesOf(at('a.txt')), ...linesOf(at('d.csv'))]);
  const txt = listed.filter((f) => f.endsWith('.txt'));
  assert.deepEqual(got('pathsTextGlob'), txt.flatMap(linesOf));
  assert.deepEqual(got('pathsTextGlobMid'), linesOf(at('sub/deeper.txt')));
  assert.deepEqual(got('pathsTextDirAndFile'), [...listed.flatMap(linesOf), ...linesOf(at('sub/deeper.txt'))]);
  assert.deepEqual(got('pathsWholeComma'), [at('a.txt'), at('sub/deeper.txt')]);
  assert.deepEqual(got('pathsWholeBraces'), [at('a.txt'), at('d.csv')]);
  assert.deepEqual(got('pathsBinaryComma'), [at('e.bin'), at('c.txt')].map((f) => [f, fs.statSync(f).size]));
  const missing = failed('pathsTextMissing');
  assert.equal(missing.code, 'SLUICE_IO');
  assert.match(missing.error, /sc\.textFile: cannot read .*no-such-dir/);
  const empty = failed('pathsTextEmptyPart');
  assert.equal(empty.code, 'SLUICE_BAD_ARGUMENT');
  assert.match(empty.error, /an empty path in the comma-separated list/);
});

test('binaryFiles: each file\'s exact bytes as a Uint8Array, on the workers and on the driver', () => {
  const r = got<{ partitions: number; onWorkers: [string, boolean, number][]; here: [string, boolean, string][] }>('binary');
  assert.ok(r.partitions >= 1 && r.partitions <= 2);
  assert.deepEqual(
    r.onWorkers,
    listed.map((f) => [f, true, fs.statSync(f).size]),
  );
  assert.deepEqual(
    r.here,
    listed.map((f) => [f, true, fs.readFileSync(f).toString('base64')]),
  );
});

test('doubleAccumulator: the sum, count and mean of what tasks add (and the driver), as Spark\'s DoubleAccumulator', () => {
  let sum = 1.5;
  for (const q of quarters) sum += q;
  const n = quarters.length + 1;
  assert.deepEqual(got('doubleAcc'), { name: 'quarters', stats: [sum, sum, n, String(sum / n)] });
  const [value, tsum, count, avg] = got<[number, number, number, string]>('doubleAccTenths');
  assert.equal(count, tenths);
  assert.equal(value, tsum);
  assert.ok(Math.abs(tsum - tenths / 10) < 1e-9, String(tsum));
  assert.ok(Math.abs(Number(avg) - 0.1) < 1e-12, avg);
  assert.deepEqual(got('doubleAccEmpty'), [0, 0, 0, 'NaN']);
});

test('doubleAccumulator: a failed attempt\'s updates are dropped, each action\'s successful tasks count once; a value not a number is SLUICE_BAD_ARGUMENT', () => {
  const all = quarters.reduce((a, b) => a + b, 0);
  const r = got<{ stats: [number, number, number, string]; failedOnce: boolean }>('doubleAccRetry');
  assert.ok(r.failedOnce);
  assert.deepEqual(r.stats, [all, all, quarters.length, String(all / quarters.length)]);
  assert.deepEqual(got('doubleAccTwoActions'), [2 * all, 2 * all, 2 * quarters.length, String(all / quarters.length)]);
  const bad = failed('doubleAccNotNumber');
  assert.equal(bad.code, 'SLUICE_BAD_ARGUMENT');
  assert.match(bad.error, /accumulator bad: a double accumulator adds numbers, got string/);
  assert.match(failed('doubleAccNotNumberInTask').error, /accumulator badInTask: a double accumulator adds numbers, got string/);
});

type LongStats = [number, number, number, string, boolean];
/** What Spark's LongAccumulator reports after adding `xs`: value, sum, count, avg, isZero. */
const longOf = (xs: readonly number[]): LongStats => {
  let sum = 0;
  for (const x of xs) sum += x;
  return [sum, sum, xs.length, String(sum / xs.length), xs.length === 0 && sum === 0];
};

test('longAccumulator: the sum, count and mean of the integers tasks add (and the driver), as Spark\'s LongAccumulator; adding 0 is not zero; a failed attempt counts nothing', () => {
  assert.deepEqual(got('longAcc'), { name: 'ints', stats: longOf([7, ...ints]) });
  assert.deepEqual(got('longAccEmpty'), [0, 0, 0, 'NaN', true]);
  assert.deepEqual(got('longAccAddZero'), [0, 0, 1, '0', false]);
  const r = got<{ stats: LongStats; failedOnce: boolean }>('longAccRetry');
  assert.ok(r.failedOnce);
  assert.deepEqual(r.stats, longOf(ints));
});

test('accumulators: reset, copy, copyAndReset and merge as Spark\'s AccumulatorV2; a copy is not registered', () => {
  const reset = got<{ before: LongStats; reset: LongStats; after: LongStats }>('longAccReset');
  assert.deepEqual(reset, { before: longOf(ints), reset: [0, 0, 0, 'NaN', true], after: longOf(ints.filter((x) => x > 0)) });
  const c = got<Record<string, unknown>>('accCopy');
  assert.deepEqual(c, {
    // Every copy is a new accumulator: 8 accumulators (3 of them copies), 8 ids.
    distinctIds: 8,
    copyIdDiffers: true,
    // The collection's value is a frozen snapshot: taken before add(2) it holds [1]; pushing to or setting in it throws; the accumulator keeps [1, 2].
    cSnapshot: [1],
    pushThrew: true,
    setThrew: true,
    cAfterMutation: [1, 2],
    orig: longOf([...ints, 1000]),
    copy: longOf([...ints, -5]),
    zero: [0, 0, 0, 'NaN', true],
    copyIsLong: true,
    dCopy: [0.75, 2, true],
    d: [0, 0, true],
    c: [1, 2],
    cCopy: [1],
  });
  const inTask = failed('accCopyInTask');
  assert.equal(inTask.code, 'SLUICE_BAD_ARGUMENT');
  assert.match(inTask.error, /accumulator copied: a copy \(copy\(\), copyAndReset\(\)\) is not registered and cannot be used in a task; make one with sc\.longAccumulator\(\)/);
  const m = got<Record<string, unknown>>('accMerge');
  assert.deepEqual(m, {
    a: longOf([3, 4, ...ints]),
    b: longOf(ints),
    d1: [3, 3, 1],
    d2: [1.5, 2],
    c1: ['x', 'y', 'z'],
    c2: ['y', 'z'],
    self: longOf([5, 5]),
  });
});

test('accumulators: bad arguments are SLUICE_BAD_ARGUMENT naming the accumulator and the fix', () => {
  const cases: [string, RegExp][] = [
    ['accMergeOtherKind', /accumulator long: a LongAccumulator merges only another LongAccumulator, got a DoubleAccumulator/],
    ['longAccFraction', /accumulator frac: a long accumulator adds integers .*got 0\.5; use sc\.doubleAccumulator\(\) for fractions/],
    ['longAccNotNumber', /accumulator str: a long accumulator adds integers .*got string/],
    ['longAccFractionInTask', /accumulator fracInTask: a long accumulator adds integers .*got 2\.5/],
  ];
  for (const [name, message] of cases) {
    const f = failed(name);
    assert.match(f.error, message, name);
    if (!name.endsWith('InTask')) assert.equal(f.code, 'SLUICE_BAD_ARGUMENT', name);
  }
});

test('accumulators inside a task are the task\'s partial copy from zero, as Spark\'s executor-side AccumulatorV2: reset() clears it, isZero reads it', () => {
  // The driver's 100 stays; the task's adds of 5 and 6 were each reset: it sends zero.
  assert.deepEqual(got('accResetInTask'), [100, 1]);
  // The task's copy starts at zero (not the driver's 100): the first element adds 1, the next see it.
  assert.deepEqual(got('accIsZeroInTask'), [101, 2]);
});

test('sampleByKeyExact: keys equal by value are one key on the workers as on the driver (objects with fields in either order, Maps with entries in either order)', () => {
  const sizes = [0, 1, 2, 3, 4].map((g) => groups.filter((x) => x === g).length);
  for (const [withReplacement, fractions] of [
    [false, [0.5, 0.1, 0.3, 1, 0.25]],
    [true, [1.5, 0.1, 2, 1, 0.25]],
  ] as const) {
    const sample = got<number[]>(`sampleExactKeys.${withReplacement}`);
    assert.ok(sample.every((v) => Number.isInteger(v) && v >= 0 && v < groups.length));
    const per = [0, 1, 2, 3, 4].map((g) => sample.filter((v) => groups[v] === g).length);
    assert.deepEqual(
      per,
      sizes.map((n, g) => Math.ceil(n * fractions[g])),
      `with replacement: ${withReplacement}`,
    );
    if (!withReplacement) assert.equal(new Set(sample).size, sample.length);
  }
});
