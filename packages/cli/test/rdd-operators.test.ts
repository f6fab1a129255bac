// Every RDD operator on a cluster of 2 worker processes, checked against the same
// computation written as plain JS here. One cluster for the file: the fixture job
// prints one `R <name> <json>` line per check, the subtests below compare them.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { HashPartitioner, partitionFunction } from '@sluice/core/internal';
import { fixture, withCluster, type JobRun, mulberry32 } from './harness.js';

// ---- deterministic inputs -------------------------------------------------------------

const rand = mulberry32(20240611);
const int = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo));
const pick = <T>(xs: readonly T[]): T => xs[int(0, xs.length)];

const VOCAB = ['apple', 'bob', 'cat', 'dandelion', 'eel', 'fig', 'goat', 'hen', 'ibis', 'jay', 'kiwi', 'Émile'];
const nums = Array.from({ length: 60 }, () => int(-50, 50));
const words = Array.from({ length: 80 }, () => pick(VOCAB));
const lines = Array.from({ length: 25 }, () => Array.from({ length: int(0, 7) }, () => pick(VOCAB)).join(' '));
const pairsS = Array.from({ length: 120 }, (): [string, number] => [pick(VOCAB.slice(0, 10)), int(0, 100)]);
const pairsN = Array.from({ length: 80 }, (): [number, string] => [(int(0, 16) - 8) / 2, pick(VOCAB)]);
const pairsT = Array.from({ length: 90 }, (): [[string, number], number] => [[pick(VOCAB.slice(0, 4)), int(0, 4)], int(-20, 20)]);
const tupleRight = Array.from({ length: 10 }, (_, i): [[string, number], string] => [[VOCAB[i % 5], i % 3], `t${i}`]);
const left = Array.from({ length: 40 }, (): [string, number] => [`k${int(0, 10)}`, int(0, 1000)]);
const right = Array.from({ length: 30 }, (): [string, string] => [`k${int(5, 15)}`, `r${int(0, 1000)}`]);
const smallA = [1, 2, 3, 4, 5];
const smallB = ['w', 'x', 'y', 'z'];

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-rdd-ops-'));
const workDir = path.join(tmp, 'work');
fs.mkdirSync(workDir);

// Text inputs: CRLF lines, blank lines, multi-byte characters, no final newline.
const smallText = 'first line\r\nsecond line\n\nfourth, after a blank\r\n\r\nlast line without newline';
const bigLines = Array.from({ length: 900 }, (_, i) => {
  const body = Array.from({ length: int(0, 12) }, () => pick(VOCAB)).join(' ');
  return i % 50 === 7 ? '' : `${i}: ${body}${i % 3 === 0 ? ' 日本語' : ''}`;
});
const bigText = bigLines.map((l, i) => l + (i % 4 === 1 ? '\r\n' : '\n')).join('') + 'tail without newline é';
const alignedText = Array.from({ length: 100 }, (_, i) => `line${String(i).padStart(4, '0')}\n`).join(''); // 10-byte lines
const crlfText = Array.from({ length: 20 }, (_, i) => `crlf${String(i).padStart(4, '0')}\r\n`).join(''); // 10-byte CRLF lines
const dirFiles: Record<string, string> = {
  'a.txt': 'a1\na2\r\na3 no newline',
  'b.txt': 'b1\nb2\n',
  'c-empty.txt': '',
  '_SUCCESS': 'must be skipped\n',
  '.hidden': 'must be skipped\n',
};
const files = {
  small: path.join(tmp, 'small.txt'),
  big: path.join(tmp, 'big.txt'),
  aligned: path.join(tmp, 'aligned.txt'),
  crlf: path.join(tmp, 'crlf.txt'),
  longLine: path.join(tmp, 'long-line.txt'),
  blanks: path.join(tmp, 'blanks.txt'),
  dir: path.join(tmp, 'dir'),
};
const longLineText = `short\n${'x'.repeat(5000)}\nend\n`;
const blanksText = '\n\n\n';
fs.writeFileSync(files.small, smallText);
fs.writeFileSync(files.big, bigText);
fs.writeFileSync(files.aligned, alignedText);
fs.writeFileSync(files.crlf, crlfText);
fs.writeFileSync(files.longLine, longLineText);
fs.writeFileSync(files.blanks, blanksText);
fs.mkdirSync(files.dir);
for (const [name, text] of Object.entries(dirFiles)) fs.writeFileSync(path.join(files.dir, name), text);
const inputFile = path.join(tmp, 'inputs.json');
fs.writeFileSync(inputFile, JSON.stringify({ nums, words, vocab: VOCAB, lines, pairsS, pairsN, pairsT, tupleRight, left, right, smallA, smallB, files }));

// ---- running the fixture once (plus a second, sample-only run) -----------------------

type Outcome = { ok: true; value: unknown } | { ok: false; error: string; code: string | null };
const results = new Map<string, Outcome>();
const sampleRun2 = new Map<string, Outcome>();
let runs: JobRun[] = [];
let tasksPerWorker: number[] = [];
const unionMapStages: number[] = [];
let setupError: unknown;

function parse(run: JobRun, into: Map<string, Outcome>): void {
  for (const l of run.lines) {
    const m = /^R (\S+) (.*)$/.exec(l);
    if (m) into.set(m[1], JSON.parse(m[2]) as Outcome);
  }
}

before(async () => {
  try {
    await withCluster({ workers: 2 }, async (h) => {
      const full = await h.run(fixture('rdd-operators.ts'), [inputFile, workDir, 'all']);
      const again = await h.run(fixture('rdd-operators.ts'), [inputFile, workDir, 'sample']);
      // The shuffle map stages the driver runs for the union run alone.
      let counting = false;
      h.cluster.driver.dag.addListener({ onStageSubmitted: (e) => void (counting && e.kind === 'shuffleMap' && unionMapStages.push(e.stageId)) });
      counting = true;
      const unionRun = await h.run(fixture('rdd-operators.ts'), [inputFile, workDir, 'union']);
      counting = false;
      parse(unionRun, results);
      runs = [full, again];
      tasksPerWorker = h.cluster.driver.registry.all().map((w) => w.tasksCompleted);
      parse(full, results);
      parse(again, sampleRun2);
    });
  } catch (err) {
    setupError = err;
  }
});

after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function outcome(name: string, from = results): Outcome {
  if (setupError !== undefined) throw setupError;
  const o = from.get(name);
  if (!o) {
    const run = runs[from === results ? 0 : 1];
    throw new Error(`the job printed no result for '${name}' (job ok: ${run?.ok}, failure: ${JSON.stringify(run?.failure)})\n${run?.lines.slice(-20).join('\n')}`);
  }
  return o;
}

/** The value a check produced; fails the test with the job's error otherwise. */
function got<T>(name: string, from = results): T {
  const o = outcome(name, from);
  if (!o.ok) assert.fail(`'${name}' failed on the cluster: ${o.code ?? ''} ${o.error}`);
  return o.value as T;
}

/** The error a check produced; fails if it succeeded. */
function failed(name: string): { error: string; code: string | null } {
  const o = outcome(name);
  if (o.ok) assert.fail(`'${name}' should have failed, but returned ${JSON.stringify(o.value)}`);
  return o;
}

// ---- plain-JS reference helpers ------------------------------------------------------

/** How Spark's parallelize slices a collection: slice i is [i*len/n, (i+1)*len/n). */
function slices<T>(xs: readonly T[], n: number): T[][] {
  return Array.from({ length: n }, (_, i) => xs.slice(Math.floor((i * xs.length) / n), Math.floor(((i + 1) * xs.length) / n)));
}

/** Default ordering: numbers < strings < arrays (element-wise). */
function order(a: unknown, b: unknown): number {
  const rank = (v: unknown): number => (typeof v === 'number' ? 0 : typeof v === 'string' ? 1 : 2);
  if (rank(a) !== rank(b)) return rank(a) - rank(b);
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const c = order(a[i], b[i]);
      if (c !== 0) return c;
    }
    return a.length - b.length;
  }
  return (a as number | string) < (b as number | string) ? -1 : (a as number | string) > (b as number | string) ? 1 : 0;
}

const key = (x: unknown): string => JSON.stringify(x);
/** A multiset as sorted JSON strings, for order-insensitive comparison. */
const bag = (xs: readonly unknown[]): string[] => xs.map(key).sort();
const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
const flat = <T>(parts: readonly (readonly T[])[]): T[] => parts.flat() as T[];

/** Group pair values by key (keys compared by value), in first-seen key order. */
function groupPairs<K, V>(pairs: readonly (readonly [K, V])[]): Map<string, [K, V[]]> {
  const m = new Map<string, [K, V[]]>();
  for (const [k, v] of pairs) {
    const e = m.get(key(k));
    if (e) e[1].push(v);
    else m.set(key(k), [k, [v]]);
  }
  return m;
}

/** Pair results as a map from JSON key to value; asserts keys are unique. */
function byKey<V = unknown>(pairs: unknown): Map<string, V> {
  const m = new Map<string, V>();
  for (const [k, v] of pairs as [unknown, V][]) {
    assert.ok(!m.has(key(k)), `key ${key(k)} appears twice`);
    m.set(key(k), v);
  }
  return m;
}

function reduceExpected<K, V>(pairs: readonly (readonly [K, V])[], f: (a: V, b: V) => V): Map<string, V> {
  return new Map([...groupPairs(pairs)].map(([id, [, vs]]) => [id, vs.reduce(f)]));
}

const numAsc = (a: number, b: number): number => a - b;

function assertPartitionsOrdered(parts: readonly (readonly unknown[])[], ascending: boolean, msg: string): void {
  const sign = ascending ? 1 : -1;
  let prev: unknown;
  let havePrev = false;
  for (const p of parts) {
    for (const k of p) {
      if (havePrev) assert.ok(sign * order(prev, k) <= 0, `${msg}: ${key(prev)} before ${key(k)}`);
      prev = k;
      havePrev = true;
    }
  }
}

function assertKeysOnePartitionEach(parts: readonly (readonly [unknown, unknown])[][]): Map<string, number> {
  const where = new Map<string, number>();
  parts.forEach((p, i) => {
    for (const [k] of p) {
      const w = where.get(key(k));
      assert.ok(w === undefined || w === i, `key ${key(k)} is in partitions ${w} and ${i}`);
      where.set(key(k), i);
    }
  });
  return where;
}

function readLinesLikeSpark(text: string): string[] {
  if (text === '') return [];
  const out = text.split(/\r?\n/);
  if (text.endsWith('\n')) out.pop();
  return out;
}

type Parts<T> = { n: number; parts: T[][] };

test('the job ran on both worker processes', () => {
  assert.equal(runs[0]?.ok, true, JSON.stringify(runs[0]?.failure));
  assert.equal(runs[1]?.ok, true, JSON.stringify(runs[1]?.failure));
  assert.equal(tasksPerWorker.length, 2);
  assert.ok(tasksPerWorker.every((n) => n > 0), `tasks per worker: ${tasksPerWorker}`);
});

// ---- typing and closures -------------------------------------------------------------

test('typing: flatMap/map/reduceByKey chain compiles and runs', () => {
  assert.deepEqual(bag(got('typing')), bag([['a', 1], ['b', 1]]));
});

test('closure: module-level helper and constant plus a captured local', () => {
  assert.deepEqual(
    got('closure'),
    nums.map((x) => x * 3 + 1 + 7 + 3 - 14),
  );
});

test("closure: a function changing the data it captured sees a fresh copy in each task (Spark deserializes a task's closure per task), shared references kept shared; the driver's unchanged", () => {
  // 12 one-record tasks on 2 one-core workers: several run in one task thread, which keeps the stage's functions.
  const { rows, driver } = got<{ rows: unknown[]; driver: number[] }>('closure-fresh-copy');
  assert.deepEqual(
    rows,
    Array.from({ length: 12 }, (_, x) => [x, 1, [x], 1, 1]),
  );
  assert.deepEqual(driver, [0, 0, 0, 0]);
});

test('broadcast variable used inside map', () => {
  assert.deepEqual(got('broadcast'), words.map((w) => VOCAB.indexOf(w)));
});

// ---- sources ---------------------------------------------------------------------------

test('parallelize', () => {
  assert.deepEqual(got('parallelize.glom'), slices(nums, 4));
  const sparse = got<number[][]>('parallelize.sparse');
  assert.deepEqual(sparse, slices([1, 2], 5));
  assert.ok(sparse.some((p) => p.length === 0));
  assert.deepEqual(got('parallelize.collect'), words);
});

test('range', () => {
  const loop = (start: number, end: number, step: number): number[] => {
    const out: number[] = [];
    for (let x = start; step > 0 ? x < end : x > end; x += step) out.push(x);
    return out;
  };
  const step = got<Parts<number>>('range.step');
  assert.equal(step.n, 3);
  assert.deepEqual(flat(step.parts), loop(0, 100, 7));
  const neg = got<Parts<number>>('range.negative');
  assert.equal(neg.n, 4);
  assert.deepEqual(flat(neg.parts), loop(10, 0, -3));
  assert.deepEqual(got('range.single'), loop(0, 5, 1));
  const sparse = got<Parts<number>>('range.sparse');
  assert.equal(sparse.parts.length, 5);
  assert.deepEqual(flat(sparse.parts), [0, 1, 2]);
});

test('textFile: single file with CRLF, blank lines and no final newline', () => {
  const small = got<Parts<string>>('textFile.small');
  assert.deepEqual(flat(small.parts), readLinesLikeSpark(smallText));
  assert.deepEqual(flat(small.parts).at(-1), 'last line without newline');
  assert.ok(small.n >= 5, `numPartitions ${small.n} < minPartitions 5`);
});

test('textFile: lines straddling split boundaries', () => {
  const want = readLinesLikeSpark(bigText);
  const big = got<Parts<string>>('textFile.big');
  assert.ok(big.n >= 7, `numPartitions ${big.n} < 7`);
  assert.deepEqual(flat(big.parts), want);
  assert.deepEqual(got('textFile.big31'), want);
  assert.equal(got('textFile.bigCount'), want.length);
  const aligned = got<Parts<string>>('textFile.aligned');
  assert.deepEqual(flat(aligned.parts), readLinesLikeSpark(alignedText));
  assert.ok(aligned.parts.every((p) => p.length === 10), `lines per split: ${aligned.parts.map((p) => p.length)}`);
  const crlf = got<Parts<string>>('textFile.crlf');
  assert.ok(crlf.n >= 20);
  assert.deepEqual(flat(crlf.parts), readLinesLikeSpark(crlfText));
});

test('textFile: a line longer than several splits; blank lines only', () => {
  const long = got<Parts<string>>('textFile.longLine');
  assert.ok(long.n >= 20);
  assert.deepEqual(flat(long.parts), ['short', 'x'.repeat(5000), 'end']);
  assert.ok(long.parts.filter((p) => p.length === 0).length > 10, 'splits inside the long line are empty');
  const blanks = got<Parts<string>>('textFile.blanks');
  assert.deepEqual(flat(blanks.parts), ['', '', '']);
});

test('textFile: a directory (hidden and _ files skipped)', () => {
  const dir = got<Parts<string>>('textFile.dir');
  const want = ['a.txt', 'b.txt', 'c-empty.txt'].flatMap((f) => readLinesLikeSpark(dirFiles[f]));
  assert.deepEqual(bag(flat(dir.parts)), bag(want));
});

// ---- narrow transformations -------------------------------------------------------------

test('map, flatMap, filter', () => {
  assert.deepEqual(got('map'), nums.map((x) => x * 2 + 1));
  assert.deepEqual(
    got('flatMap'),
    lines.flatMap((l) => l.split(' ').filter((w) => w.length > 0)),
  );
  assert.deepEqual(got('filter'), nums.filter((x) => x % 3 === 0));
});

test('mapPartitions and mapPartitionsWithIndex', () => {
  assert.deepEqual(
    got('mapPartitions'),
    slices(nums, 4).map((p) => [sum(p), p.length]),
  );
  assert.deepEqual(
    got('mapPartitionsWithIndex'),
    slices(words, 3).flatMap((p, i) => p.map((w) => `${i}:${w}`)),
  );
});

test('mapPartitions with a generator function', () => {
  assert.deepEqual(
    got('mapPartitions.generator'),
    nums.filter((x) => x > 0),
  );
});

test('glom keeps empty partitions', () => {
  const xs = Array.from({ length: 100 }, (_, i) => i);
  assert.deepEqual(
    got('glom.filtered'),
    slices(xs, 5).map((p) => p.filter((x) => x < 30)),
  );
});

test('union', () => {
  const u = got<Parts<number>>('union');
  assert.equal(u.n, 5);
  assert.deepEqual(flat(u.parts), [...nums, ...Array.from({ length: 10 }, (_, i) => i)]);
  assert.deepEqual(got('union.context'), [...smallA, 100, 101, 200, 201, 202]);
  assert.deepEqual(got('union.self'), [...smallA, ...smallA]);
});

/** The pairs a reduceByKey into HashPartitioner.of(n) leaves in each partition, computed here. */
function reducedParts(pairs: readonly (readonly [string, number])[], n: number): [string, number][][] {
  const place = partitionFunction(HashPartitioner.of(n));
  const parts: [string, number][][] = Array.from({ length: n }, () => []);
  for (const [id, v] of reduceExpected(pairs, (a, b) => a + b)) {
    const k = JSON.parse(id) as string;
    parts[place(k)].push([k, v]);
  }
  return parts;
}

test('union of inputs with the same partitioner keeps it: partition i is the inputs\' partitions i', () => {
  const half = Math.floor(pairsS.length / 2);
  const a = reducedParts(pairsS.slice(0, half), 4);
  const b = reducedParts(pairsS.slice(half), 4);
  const two = got<Parts<[string, number]> & { partitioner: unknown }>('union.aware');
  assert.deepEqual(two.partitioner, { kind: 'hash', numPartitions: 4 });
  assert.equal(two.n, 4);
  assert.deepEqual(two.parts.map(bag), a.map((p, i) => bag([...p, ...b[i]])));
  const three = got<Parts<[string, number]> & { partitioner: unknown }>('union.aware.three');
  assert.deepEqual(three.partitioner, { kind: 'hash', numPartitions: 4 });
  assert.deepEqual(three.parts.map(bag), a.map((p, i) => bag([...p, ...b[i], ...p])));
  const one = got<Parts<[string, number]> & { partitioner: unknown }>('union.aware.one');
  assert.deepEqual(one.partitioner, { kind: 'hash', numPartitions: 4 }, 'an empty RDD does not count (as Spark)');
  assert.deepEqual(one.parts.map(bag), a.map(bag));
});

test('union then reduceByKey with the same partitioner: no new shuffle, the same sums', () => {
  const r = got<Parts<[string, number]> & { partitioner: unknown }>('union.reduced');
  assert.deepEqual(r.partitioner, { kind: 'hash', numPartitions: 4 });
  assert.deepEqual(r.parts.map(bag), reducedParts(pairsS, 4).map(bag));
  assert.equal(unionMapStages.length, 2, `one shuffle map stage per reduceByKey below the union, none after it (stages ${JSON.stringify(unionMapStages)})`);
});

test('union of inputs with other partition counts, partitioners or none: the plain union', () => {
  const a = reducedParts(pairsS.slice(0, Math.floor(pairsS.length / 2)), 4);
  for (const [name, n] of [['union.otherCount', 7], ['union.otherPartitioner', 8], ['union.unpartitioned', 6]] as const) {
    const u = got<Parts<[string, number]> & { partitioner: unknown }>(name);
    assert.equal(u.partitioner, null, name);
    assert.equal(u.n, n, name);
    assert.deepEqual(u.parts.slice(0, 4).map(bag), a.map(bag), `${name}: the first input's partitions first`);
  }
  assert.deepEqual(got<Parts<[string, number]>>('union.unpartitioned').parts.slice(4), slices(pairsS, 2));
  assert.deepEqual(bag(flat(got<Parts<[string, number]>>('union.otherCount').parts.slice(4))), bag(flat(reducedParts(pairsS, 3))));
});

test('distinct', () => {
  const w = got<Parts<string>>('distinct.words');
  assert.equal(w.n, 4);
  assert.deepEqual(bag(flat(w.parts)), bag([...new Set(words)]));
  const n = got<Parts<number>>('distinct.nums');
  assert.equal(n.n, 3);
  assert.deepEqual(bag(flat(n.parts)), bag([...new Set(nums)]));
  const tuples = [...new Map(pairsT.map(([k]) => [key(k), k])).values()];
  assert.deepEqual(bag(got('distinct.tuples')), bag(tuples));
});

test('sample: deterministic for a seed, a subset of plausible size', () => {
  const N = 2000;
  const noRepl = got<number[]>('sample.noRepl');
  assert.deepEqual(got('sample.noRepl.again'), noRepl, 'same seed, same job');
  assert.deepEqual(got('sample.noRepl', sampleRun2), noRepl, 'same seed, another job');
  assert.notDeepEqual(got('sample.noRepl.otherSeed'), noRepl, 'another seed');
  // Without replacement: a strictly increasing subsequence of 0..N-1 (order kept, no repeats).
  for (let i = 1; i < noRepl.length; i++) assert.ok(noRepl[i - 1] < noRepl[i]);
  assert.ok(noRepl.every((x) => Number.isInteger(x) && x >= 0 && x < N));
  const sd = Math.sqrt(N * 0.3 * 0.7);
  assert.ok(Math.abs(noRepl.length - N * 0.3) < 5 * sd, `size ${noRepl.length}`);

  const repl = got<number[]>('sample.repl');
  assert.deepEqual(got('sample.repl.again'), repl);
  assert.deepEqual(got('sample.repl', sampleRun2), repl);
  assert.ok(repl.every((x) => Number.isInteger(x) && x >= 0 && x < N));
  for (let i = 1; i < repl.length; i++) assert.ok(repl[i - 1] <= repl[i], 'copies stay in input order');
  assert.ok(Math.abs(repl.length - N * 1.5) < 5 * Math.sqrt(N * 1.5), `size ${repl.length}`);
  assert.ok(repl.length > new Set(repl).size, 'fraction 1.5 with replacement repeats elements');
  assert.equal(got('sample.zero'), 0);
  assert.equal(got('sample.all'), N);
  const small = got<number[]>('sample.repl.small');
  assert.ok(Math.abs(small.length - N * 0.2) < 5 * Math.sqrt(N * 0.2), `size ${small.length}`);
});

test('keyBy, keys, values, mapValues, flatMapValues', () => {
  assert.deepEqual(got('keyBy'), words.map((w) => [w.length, w]));
  assert.deepEqual(got('keys'), pairsS.map(([k]) => k));
  assert.deepEqual(got('values'), pairsS.map(([, v]) => v));
  assert.deepEqual(got('mapValues'), pairsS.map(([k, v]) => [k, v * 10]));
  assert.deepEqual(
    got('flatMapValues'),
    pairsN.flatMap(([k, s]) => [...s.slice(0, 3)].map((c) => [k, c])),
  );
});

// ---- by-key aggregations ------------------------------------------------------------------

test('reduceByKey (string, number, tuple keys; pre-partitioned input)', () => {
  const add = (a: number, b: number): number => a + b;
  assert.deepEqual(byKey(got('reduceByKey.string')), reduceExpected(pairsS, add));
  assert.deepEqual(
    byKey(got('reduceByKey.number')),
    reduceExpected(
      pairsN.map(([k, s]) => [k, s.length] as const),
      add,
    ),
  );
  const t = got<Parts<[[string, number], number]>>('reduceByKey.tuple');
  assert.equal(t.n, 3);
  assert.deepEqual(byKey(flat(t.parts)), reduceExpected(pairsT, (a, b) => Math.max(a, b)));
  const pre = got<Parts<[string, number]>>('reduceByKey.prepartitioned');
  assert.equal(pre.n, 3);
  assertKeysOnePartitionEach(pre.parts);
  assert.deepEqual(
    byKey(flat(pre.parts)),
    reduceExpected(
      pairsS.map(([k, v]) => [k, v + 1] as const),
      add,
    ),
  );
});

test('groupByKey (values compared sorted)', () => {
  const check = (name: string, pairs: readonly (readonly [unknown, unknown])[]): void => {
    const m = byKey<unknown[]>(got(name));
    const want = new Map([...groupPairs(pairs)].map(([id, [, vs]]) => [id, bag(vs)]));
    assert.deepEqual(new Map([...m].map(([id, vs]) => [id, bag(vs)])), want, name);
  };
  check('groupByKey.string', pairsS);
  check('groupByKey.number', pairsN);
  check('groupByKey.tuple', pairsT);
  check('groupByKey.prepartitioned', pairsS);
});

test('aggregateByKey (including a mutated zero value)', () => {
  const want = new Map([...groupPairs(pairsS)].map(([id, [, vs]]) => [id, [sum(vs), vs.length]]));
  assert.deepEqual(byKey(got('aggregateByKey.sumCount')), want);
  const mut = byKey<number[]>(got('aggregateByKey.mutableZero'));
  assert.deepEqual(
    new Map([...mut].map(([id, vs]) => [id, [...vs].sort(numAsc)])),
    new Map([...groupPairs(pairsT)].map(([id, [, vs]]) => [id, [...vs].sort(numAsc)])),
  );
});

test('combineByKey', () => {
  const want = new Map([...groupPairs(pairsT)].map(([id, [, vs]]) => [id, [Math.min(...vs), Math.max(...vs), vs.length]]));
  assert.deepEqual(byKey(got('combineByKey')), want);
});

test('foldByKey', () => {
  assert.deepEqual(
    byKey(got('foldByKey.sum')),
    reduceExpected(pairsS, (a, b) => a + b),
  );
  assert.deepEqual(
    byKey(got('foldByKey.max')),
    reduceExpected(
      pairsN.map(([k, s]) => [k, s.length] as const),
      (a, b) => Math.max(a, b),
    ),
  );
});

// ---- sorting ----------------------------------------------------------------------------

test('sortBy: global order across partitions', () => {
  const asc = got<Parts<number>>('sortBy.asc');
  assert.equal(asc.n, 4);
  assert.deepEqual(flat(asc.parts), [...nums].sort(numAsc));
  const desc = got<Parts<number>>('sortBy.desc');
  assert.equal(desc.n, 3);
  assert.deepEqual(flat(desc.parts), [...nums].sort((a, b) => b - a));
  assert.ok(desc.parts.filter((p) => p.length > 0).length > 1, 'sorted data spread over partitions');
  const tk = got<Parts<string>>('sortBy.tupleKey');
  assert.deepEqual(flat(tk.parts), [...words].sort((a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0)));
});

test('sortBy with fewer distinct keys than partitions; sortByKey of nothing', () => {
  const few = got<Parts<number>>('sortBy.fewKeys');
  // As Spark's RangePartitioner: two distinct keys give the bounds [1, 2] (equal keys are one bound), so 3 partitions, not the 4 asked.
  assert.equal(few.parts.length, 3);
  assert.deepEqual(few.parts.map((p) => p.length), [4, 2, 0]);
  assert.deepEqual(flat(few.parts), [1, 1, 1, 1, 2, 2]);
  assert.deepEqual(got('sortByKey.empty'), []);
});

test('three shuffles in a chain', () => {
  const counts = new Map<string, number>();
  for (const w of words) counts.set(w, (counts.get(w) ?? 0) + 1);
  const byCount = new Map<number, number>();
  for (const c of counts.values()) byCount.set(c, (byCount.get(c) ?? 0) + 1);
  assert.deepEqual(
    got('chain'),
    [...byCount].sort((a, b) => b[0] - a[0]),
  );
});

test('sortByKey ascending and descending', () => {
  const check = <K, V>(name: string, pairs: readonly (readonly [K, V])[], ascending: boolean, n: number): void => {
    const r = got<Parts<[K, V]>>(name);
    assert.equal(r.n, n, name);
    const keys = flat(r.parts).map(([k]) => k);
    const want = pairs.map(([k]) => k).sort((a, b) => (ascending ? order(a, b) : order(b, a)));
    assert.deepEqual(keys, want, `${name}: keys in global order`);
    assert.deepEqual(bag(flat(r.parts)), bag(pairs), `${name}: same records`);
    assert.ok(r.parts.filter((p) => p.length > 0).length > 1, `${name}: spread over partitions`);
    assertPartitionsOrdered(
      r.parts.map((p) => p.map(([k]) => k)),
      ascending,
      name,
    );
  };
  check('sortByKey.number.asc', pairsN, true, 3);
  check('sortByKey.number.desc', pairsN, false, 3);
  check('sortByKey.string.desc', pairsS, false, 4);
  check('sortByKey.tuple', pairsT, true, 5);
  const sparseInput = Array.from({ length: 40 }, (_, x) => x)
    .filter((x) => x < 8 || x >= 32)
    .map((x) => [(x * 7) % 40, x] as const);
  check('sortByKey.sparse', sparseInput, true, 3);
});

// ---- joins ------------------------------------------------------------------------------

function joinExpected<K, V, W>(l: readonly (readonly [K, V])[], r: readonly (readonly [K, W])[], mode: 'inner' | 'left' | 'right' | 'full'): unknown[] {
  const out: unknown[] = [];
  const lk = new Set(l.map(([k]) => key(k)));
  for (const [k, v] of l) {
    const matches = r.filter(([k2]) => key(k2) === key(k));
    for (const [, w] of matches) out.push([k, [v, w]]);
    if (matches.length === 0 && (mode === 'left' || mode === 'full')) out.push([k, [v, null]]);
  }
  for (const [k, w] of r) if (!lk.has(key(k)) && (mode === 'right' || mode === 'full')) out.push([k, [null, w]]);
  return out;
}

test('join, leftOuterJoin, rightOuterJoin, fullOuterJoin', () => {
  assert.deepEqual(bag(got('join')), bag(joinExpected(left, right, 'inner')));
  assert.deepEqual(bag(got('leftOuterJoin')), bag(joinExpected(left, right, 'left')));
  assert.deepEqual(bag(got('rightOuterJoin')), bag(joinExpected(left, right, 'right')));
  assert.deepEqual(bag(got('fullOuterJoin')), bag(joinExpected(left, right, 'full')));
  const pre = got<Parts<unknown>>('join.prepartitioned');
  assert.equal(pre.n, 3);
  assert.deepEqual(bag(flat(pre.parts)), bag(joinExpected(left, right, 'inner')));
  assert.deepEqual(bag(got('join.self')), bag(joinExpected(left, left, 'inner')));
  const co = got<Parts<unknown>>('join.copartitioned');
  assert.equal(co.n, 3);
  assert.deepEqual(bag(flat(co.parts)), bag(joinExpected(left, right, 'inner')));
  const lengths = pairsN.map(([k, s]) => [k, s.length] as const);
  assert.deepEqual(bag(got('join.number')), bag(joinExpected(pairsN, lengths, 'inner')));
  assert.deepEqual(bag(got('join.tuple')), bag(joinExpected(pairsT, tupleRight, 'inner')));
  assert.ok((got('join.tuple') as unknown[]).length > 0);
});

test('cogroup', () => {
  const keys = new Map([...left, ...right].map(([k]) => [key(k), k]));
  const want = new Map(
    [...keys].map(([id, k]) => [
      id,
      [bag(left.filter(([k2]) => k2 === k).map(([, v]) => v)), bag(right.filter(([k2]) => k2 === k).map(([, w]) => w))],
    ]),
  );
  const m = byKey<[number[], string[]]>(got('cogroup'));
  assert.deepEqual(new Map([...m].map(([id, [vs, ws]]) => [id, [bag(vs), bag(ws)]])), want);
});

test("subtract, subtractByKey, intersection: Spark's multiplicities, keys compared by value", () => {
  const has = (xs: readonly unknown[]): ((x: unknown) => boolean) => {
    const s = new Set(xs.map(key));
    return (x) => s.has(key(x));
  };
  const taken = has(nums.slice(0, 20));
  const sub = got<Parts<number>>('subtract');
  assert.equal(sub.n, 4, "this RDD's partition count");
  assert.deepEqual(bag(flat(sub.parts)), bag(nums.filter((x) => !taken(x))), 'every element not in the other RDD, duplicates kept');
  assert.ok(nums.some((x) => !taken(x) && nums.filter((y) => y === x).length > 1), 'the input has a duplicate that is kept');
  const tupleKeys = tupleRight.map(([k]) => k);
  const inTuples = has(tupleKeys);
  assert.deepEqual(bag(got('subtract.tuple')), bag(pairsT.map(([k]) => k).filter((k) => !inTuples(k))));
  const rightKey = has(right.map(([k]) => k));
  assert.deepEqual(bag(got('subtractByKey')), bag(left.filter(([k]) => !rightKey(k))));
  const vocabPart = has(VOCAB.slice(3, 9));
  assert.deepEqual(bag(got('intersection')), [...new Set(words.filter(vocabPart))].sort().map(key).sort(), 'each common element once');
  const leftTuples = has(pairsT.map(([k]) => k));
  assert.deepEqual(bag(got('intersection.tuple')), bag([...new Map(tupleKeys.filter(leftTuples).map((k) => [key(k), k])).values()]));
  assert.ok((got('intersection.tuple') as unknown[]).length > 0);
});

test('isEmpty and collectAsMap (a later pair of a key replaces its value; tuple keys compared by value)', () => {
  assert.deepEqual(got('isEmpty'), [false, true, true, true]);
  const want = new Map<string, [unknown, number]>();
  for (const [k, v] of pairsT) want.set(key(k), [k, v]);
  const m = got<[unknown, number][]>('collectAsMap.tuple');
  assert.deepEqual(new Map(m.map(([k, v]) => [key(k), [k, v]])), want);
  assert.equal(m.length, want.size, 'one entry a key');
});

test('cartesian', () => {
  const c = got<Parts<[number, string]>>('cartesian');
  assert.equal(c.n, 6);
  assert.deepEqual(bag(flat(c.parts)), bag(smallA.flatMap((a) => smallB.map((b) => [a, b]))));
  assert.deepEqual(bag(got('cartesian.self')), bag(smallA.flatMap((a) => smallA.map((b) => [a, b]))));
});

// ---- partitioning ------------------------------------------------------------------------

test('repartition', () => {
  const hundred = Array.from({ length: 100 }, (_, i) => i * 3);
  const r = got<Parts<number>>('repartition');
  assert.equal(r.n, 5);
  assert.equal(r.parts.length, 5);
  assert.deepEqual(bag(flat(r.parts)), bag(hundred));
  const sizes = r.parts.map((p) => p.length);
  assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 3, `balanced round-robin: ${sizes}`);
  const s = got<Parts<number>>('repartition.sparse');
  assert.equal(s.parts.length, 2);
  assert.deepEqual(bag(flat(s.parts)), bag([1, 2, 3]));
});

test('coalesce', () => {
  const c = got<Parts<number>>('coalesce');
  assert.equal(c.n, 2);
  assert.equal(c.parts.length, 2);
  assert.deepEqual(flat(c.parts), nums, 'coalesce without shuffle keeps order');
  const s = got<Parts<number>>('coalesce.shuffle');
  assert.equal(s.parts.length, 3);
  assert.deepEqual(bag(flat(s.parts)), bag(nums));
  const after = got<Parts<[string, number]>>('coalesce.afterShuffle');
  assert.equal(after.parts.length, 2);
  assert.deepEqual(
    byKey(flat(after.parts)),
    reduceExpected(pairsS, (a, b) => a + b),
  );
  const more = got<Parts<number>>('coalesce.more');
  assert.equal(more.n, 5, 'coalesce never adds partitions without a shuffle');
  assert.deepEqual(more.parts, slices(nums, 5));
});

test('partitionBy(HashPartitioner): each partition holds only keys mapping to it', () => {
  const check = (name: string, n: number, pairs: readonly (readonly [unknown, unknown])[]): Map<string, number> => {
    const r = got<Parts<[unknown, unknown]>>(name);
    assert.equal(r.parts.length, n, name);
    assert.deepEqual(bag(flat(r.parts)), bag(pairs), name);
    const place = partitionFunction(HashPartitioner.of(n));
    r.parts.forEach((p, i) => {
      for (const [k] of p) assert.equal(place(k) + 0, i, `${name}: key ${key(k)} in partition ${i}`); // + 0: -0 -> 0
    });
    assert.ok(r.parts.filter((p) => p.length > 0).length > 1, `${name}: keys spread`);
    return assertKeysOnePartitionEach(r.parts);
  };
  const s = check('partitionBy.hash.string', 3, pairsS);
  const other = check(
    'partitionBy.hash.string.other',
    3,
    VOCAB.map((k) => [k, 0] as const),
  );
  // Co-partitioning: the same key lands in the same partition in any RDD.
  for (const [k, p] of s) assert.equal(other.get(k), p, `key ${k}`);
  check('partitionBy.hash.number', 4, pairsN);
  check('partitionBy.hash.tuple', 3, pairsT);
});

test('partitionBy(RangePartitioner): partitions hold ordered key ranges', () => {
  const check = (name: string, n: number, pairs: readonly (readonly [unknown, unknown])[], ascending: boolean): void => {
    const r = got<Parts<[unknown, unknown]>>(name);
    assert.equal(r.parts.length, n, name);
    assert.deepEqual(bag(flat(r.parts)), bag(pairs), name);
    assert.ok(
      r.parts.every((p) => p.length > 0),
      `${name}: every range non-empty: ${r.parts.map((p) => p.length)}`,
    );
    // Not sorted inside a partition, but every key of partition i precedes every key of i+1.
    for (let i = 0; i + 1 < r.parts.length; i++) {
      for (const [a] of r.parts[i]) {
        for (const [b] of r.parts[i + 1]) assert.ok((ascending ? order(a, b) : order(b, a)) <= 0, `${name}: ${key(a)} in ${i} vs ${key(b)} in ${i + 1}`);
      }
    }
    assertKeysOnePartitionEach(r.parts);
  };
  check('partitionBy.range.number', 3, pairsN, true);
  check('partitionBy.range.string', 4, pairsS, true);
  check('partitionBy.range.desc', 3, pairsN, false);
});

test('zipWithIndex', () => {
  assert.deepEqual(
    got('zipWithIndex'),
    words.map((w, i) => [w, i]),
  );
  assert.deepEqual(
    got('zipWithIndex.sorted'),
    [...nums].sort(numAsc).map((x, i) => [x, i]),
  );
  const z = got<Parts<[number, number]>>('zipWithIndex.sparse');
  assert.ok(z.parts.some((p) => p.length === 0));
  const kept = Array.from({ length: 50 }, (_, x) => x).filter((x) => x < 10 || x >= 40);
  assert.deepEqual(
    flat(z.parts),
    kept.map((x, i) => [x, i]),
  );
});

// ---- actions -------------------------------------------------------------------------------

test('count', () => {
  assert.equal(got('count'), nums.filter((x) => x > 0).length);
  assert.equal(got('count.empty'), 0);
  assert.equal(got('count.emptyRDD'), 0);
});

test('first', () => {
  assert.equal(got('first'), words[0]);
  assert.equal(got('first.sparse'), 70);
  assert.match(failed('first.empty').error, /empty/);
});

test('take', () => {
  assert.deepEqual(got('take'), nums.slice(0, 7));
  assert.deepEqual(got('take.zero'), []);
  assert.deepEqual(got('take.all'), nums);
  assert.deepEqual(got('take.sparse'), [0, 1, 2, 70, 71]);
});

test('top and takeOrdered (with and without a compare function)', () => {
  assert.deepEqual(got('top.sparse'), [99, 98, 97]);
  assert.deepEqual(got('top.more'), [...smallA].reverse());
  assert.deepEqual(got('takeOrdered.zero'), []);
  assert.deepEqual(got('takeOrdered.sparse'), [70, 71, 72]);
  assert.deepEqual(got('top'), [...nums].sort((a, b) => b - a).slice(0, 5));
  const byAbs = (a: number, b: number): number => Math.abs(a) - Math.abs(b) || a - b;
  assert.deepEqual(got('top.compare'), [...nums].sort((a, b) => byAbs(b, a)).slice(0, 4));
  assert.deepEqual(got('top.words'), [...words].sort(order).reverse().slice(0, 3));
  assert.deepEqual(got('takeOrdered'), [...nums].sort(numAsc).slice(0, 6));
  assert.deepEqual(got('takeOrdered.compare'), [...nums].sort((a, b) => b - a).slice(0, 6));
  assert.deepEqual(got('takeOrdered.words'), [...words].sort(order).slice(0, 4));
  assert.deepEqual(
    got('takeOrdered.tuples'),
    pairsT
      .map(([k]) => k)
      .sort(order)
      .slice(0, 5),
  );
});

test('reduce, fold, aggregate', () => {
  assert.equal(got('reduce'), sum(nums));
  assert.equal(got('reduce.sparse'), 3);
  assert.match(failed('reduce.empty').error, /empty/);
  assert.equal(got('fold'), sum(nums));
  assert.equal(got('fold.empty'), 0);
  assert.equal(got('aggregate.sparse'), sum(Array.from({ length: 30 }, (_, i) => 70 + i)));
  assert.deepEqual(got('aggregate'), [sum(nums), nums.length, Math.max(...nums)]);
});

test('foreach with a long accumulator', () => {
  assert.deepEqual(got('foreach'), [sum(nums), nums.length]);
});

test('foreach with an async function', () => {
  assert.equal(got('foreach.async'), sum(nums));
});

test('foreachPartition with a collection accumulator', () => {
  assert.deepEqual(
    [...got<number[]>('foreachPartition')].sort(numAsc),
    slices(nums, 4)
      .map((p) => p.length)
      .sort(numAsc),
  );
});

test('countByKey and countByValue', () => {
  const counts = (xs: readonly unknown[]): Map<string, number> => {
    const m = new Map<string, number>();
    for (const x of xs) m.set(key(x), (m.get(key(x)) ?? 0) + 1);
    return m;
  };
  assert.deepEqual(byKey(got('countByKey.string')), counts(pairsS.map(([k]) => k)));
  assert.deepEqual(byKey(got('countByKey.tuple')), counts(pairsT.map(([k]) => k)));
  assert.deepEqual(byKey(got('countByValue.words')), counts(words));
  assert.deepEqual(byKey(got('countByValue.tuples')), counts(pairsT.map(([k]) => k)));
});

test('saveAsTextFile writes one part file per partition; an existing dir is refused', () => {
  assert.equal(got('saveAsTextFile'), true);
  const readParts = (dir: string): string[][] => {
    const names = fs.readdirSync(dir).filter((n) => n.startsWith('part-')).sort();
    return names.map((n) => readLinesLikeSpark(fs.readFileSync(path.join(dir, n), 'utf8')));
  };
  const outWords = path.join(workDir, 'out-words');
  assert.ok(fs.existsSync(path.join(outWords, '_SUCCESS')));
  assert.deepEqual(readParts(outWords), slices(words, 3));
  const outSparse = path.join(workDir, 'out-sparse');
  assert.deepEqual(
    readParts(outSparse),
    slices([0, 1, 2], 5).map((p) => p.map(String)),
  );
  const e = failed('saveAsTextFile.exists');
  assert.match(e.error, /already exists/);
  assert.ok(e.error.includes(outWords), e.error);
  assert.deepEqual(readParts(outWords), slices(words, 3), 'the failed save left the old output alone');
});

// ---- persistence ----------------------------------------------------------------------------

for (const level of ['cache', 'MEMORY_ONLY', 'MEMORY_AND_DISK']) {
  test(`persist (${level}): reused without recomputation, recomputed after unpersist`, () => {
    const r = got<{ first: number[]; second: number[]; sum: number; third: number[]; afterFirst: number; afterSecond: number; afterUnpersist: number }>(
      `persist.${level}`,
    );
    const tripled = nums.map((x) => x * 3);
    assert.deepEqual(r.first, tripled);
    assert.deepEqual(
      r.second,
      tripled.map((x) => x + 1),
    );
    assert.equal(r.sum, sum(tripled));
    assert.deepEqual(r.third, tripled);
    assert.equal(r.afterFirst, nums.length);
    assert.equal(r.afterSecond, nums.length, 'two more actions on the cached RDD did not recompute it');
    assert.equal(r.afterUnpersist, 2 * nums.length, 'unpersisted RDD is recomputed');
  });
}

test('persist of a shuffle output: the second action reads the cache', () => {
  const r = got<{ first: [string, number][]; second: [string, number][]; computed: number }>('persist.shuffled');
  const want = reduceExpected(pairsS, (a, b) => a + b);
  assert.deepEqual(byKey(r.first), want);
  assert.deepEqual(byKey(r.second), want);
  assert.equal(r.computed, want.size);
});

test('checkpoint: same result, lineage cut, files written under rdds/<attempt>/ and deleted when the job ends', () => {
  const r = got<{ before: boolean; after: boolean; first: [string, number][]; second: [string, number][]; joined: number; dir: string; files: string[] }>('checkpoint');
  const want = new Map([...reduceExpected(pairsS, (a, b) => a + b)].map(([k, v]) => [k, v * 2]));
  assert.equal(r.before, false);
  assert.equal(r.after, true);
  assert.deepEqual(byKey(r.first), want);
  assert.deepEqual(byKey(r.second), want);
  assert.equal(r.joined, pairsS.length);
  const partFiles = r.files.filter((f) => /^rdds\/[0-9a-f]{12}\/rdd-\d+\/part-\d+$/.test(f));
  assert.ok(partFiles.length >= 1, `no part files under ${r.dir}/rdds/<attempt>/rdd-N while the job ran: ${r.files.join(', ')}`);
  assert.deepEqual(fs.readdirSync(path.join(r.dir, 'rdds')), [], 'the job ended: its RDD checkpoints are deleted');
});
