// Randomized RDD programs on a cluster of 2 worker processes: chains of up to 8 operators
// (narrow, shuffles with and without a partition count, joins including self-joins and 3-way
// cogroups, unions of co-partitioned RDDs, caches, persists at other levels, reliable and local
// checkpoints, sorts, repartitionAndSortWithinPartitions, filterByRange, coalesce with and
// without a shuffle, mapPartitionsWithIndex, zip, zipWithIndex, zipWithUniqueId, groupBy) and
// actions (collect, count, take, fold, reduce, treeReduce, aggregate, treeAggregate, top, max,
// first, countByKey, countByValue, lookup, collectAsMap, reduceByKeyLocally, stats, histogram,
// glom, sample twice, unpersist), each checked against the same program run on plain arrays here
// with Spark's rules for partition counts, partitioners (a sort's RangePartitioner reused by the
// reduces and joins after it, as Spark's defaultPartitioner does) and, where they fix it (parallelize's and
// range's slices through narrow operators, unions, coalesce's ranges, cartesian), what each
// partition holds (rdd-fuzz-reference.ts). The single-operator checks are rdd-operators.test.ts;
// this one finds what only their combinations do. Seeds are fixed, so a failure names a program that fails
// again; SLUICE_FUZZ_SEED=<n> SLUICE_FUZZ_PROGRAMS=<m> runs other ones.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Program } from './fixtures/rdd-fuzz-ops.js';
import { fixture, mulberry32, withCluster } from './harness.js';
import { compare, evaluate, generate, type Outcome } from './rdd-fuzz-reference.js';

const SEED = Number(process.env.SLUICE_FUZZ_SEED ?? 20261295);
const PROGRAMS = Number(process.env.SLUICE_FUZZ_PROGRAMS ?? 80);

const rand = mulberry32(SEED);
const programs: Program[] = Array.from({ length: PROGRAMS }, () => generate(rand));

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-rdd-fuzz-'));
const programFile = path.join(tmp, 'programs.json');
fs.writeFileSync(programFile, JSON.stringify(programs));

const results = new Map<string, Outcome>();
let setupError: unknown;

before(async () => {
  try {
    await withCluster({ workers: 2 }, async (h) => {
      const run = await h.run(fixture('rdd-fuzz.ts'), [programFile]);
      for (const l of run.lines) {
        const m = /^R (\S+) (.*)$/.exec(l);
        if (m) results.set(m[1], JSON.parse(m[2]) as Outcome);
      }
      if (!run.ok) throw new Error(`the fuzz job failed: ${JSON.stringify(run.failure)}\n${run.lines.slice(-20).join('\n')}`);
    });
  } catch (err) {
    setupError = err;
  }
});

after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test(`${PROGRAMS} random RDD programs (seed ${SEED}) give what the same programs give on plain arrays, with Spark's partition counts and partitioners`, () => {
  if (setupError !== undefined) throw setupError;
  const failures = compare(programs, results);
  assert.equal(failures.length, 0, failures.join('\n\n'));
});

test('the programs cover what they are meant to (so a generator change cannot make them trivial)', () => {
  const ops = new Set(programs.flatMap((p) => p.nodes.map((n) => n.op)));
  for (const op of [
    'join', 'cogroup', 'reduceByKey', 'groupByKey', 'union', 'sortByKey', 'sortBy', 'partitionBy', 'distinct', 'coalesce', 'subtractByKey', 'cache', 'subtract', 'intersection', 'cartesian',
    'persist', 'checkpoint', 'mapPartitionsWithIndex', 'zipWithUniqueId', 'zip', 'zipWithIndex', 'groupBy', 'cogroup3', 'repartitionAndSortWithinPartitions', 'filterByRange',
  ]) {
    assert.ok(ops.has(op as never), `some program uses ${op}`);
  }
  const acts = new Set(programs.flatMap((p) => p.actions.map((a) => a.act)));
  for (const act of ['collect', 'count', 'fold', 'take', 'countByKey', 'lookup', 'first', 'isEmpty', 'countByValue', 'glom', 'sample', 'unpersist', 'collectAsMap', 'reduceByKeyLocally', 'randomSplit', 'sampleByKeyExact', 'takeSample', 'accumulate']) {
    assert.ok(acts.has(act as never), `some program's action is ${act}`);
  }
  // Where the partitions' contents are fixed by Spark's rules, glom and sample are checked exactly.
  const known = (act: string): number => programs.filter((p) => p.actions.some((a) => a.act === act && evaluate(p.nodes)[a.node].parts !== null)).length;
  for (const act of ['glom', 'sample', 'randomSplit']) assert.ok(known(act) >= 1, `${act} of RDDs whose partitions are known: ${known(act)} programs`);
  // Each form, over more programs of the same generator (this run's hold most, not always all).
  const more = mulberry32(SEED + 1);
  const many = Array.from({ length: 500 }, () => generate(more));
  const forms = (pick: (p: Program) => (string | undefined)[]): string[] => [...new Set(many.flatMap((p) => pick(p).filter((x) => x !== undefined)))].sort();
  assert.deepEqual(forms((p) => p.nodes.map((n) => (n.op === 'checkpoint' ? (n.local ? 'local' : 'reliable') : undefined))), ['local', 'reliable'], 'both checkpoints');
  assert.deepEqual(forms((p) => p.nodes.map((n) => (n.op === 'coalesce' ? String(n.shuffle) : undefined))), ['false', 'true', 'undefined'], 'coalesce with and without a shuffle');
  assert.deepEqual(forms((p) => p.nodes.map((n) => (n.op === 'persist' ? n.level : undefined))), ['DISK_ONLY', 'MEMORY_AND_DISK', 'MEMORY_ONLY_SER'], 'every level');
  assert.deepEqual(
    forms((p) => p.actions.map((a) => a.act)),
    [
      'accumulate', 'aggregate', 'collect', 'collectAsMap', 'count', 'countByKey', 'countByValue', 'first', 'fold', 'glom', 'histogram', 'isEmpty', 'lookup', 'max', 'min', 'randomSplit',
      'reduce', 'reduceByKeyLocally', 'sample', 'sampleByKeyExact', 'stats', 'take', 'takeOrdered', 'takeSample', 'top', 'treeAggregate', 'treeReduce', 'unpersist',
    ],
    'every action',
  );
  assert.ok(
    many.some((p) => p.nodes.some((n) => n.op === 'mapPartitionsWithIndex' && n.a > 0)) && many.some((p) => p.nodes.some((n) => n.op === 'mapPartitionsWithIndex' && n.preserve && evaluate(p.nodes)[n.src].partitioner !== null)),
    'mapPartitionsWithIndex reading the index, and keeping a partitioner',
  );
  // A sort followed by a keyed operator left to the default partitioner, which reuses the sort's
  // RangePartitioner (Spark's Partitioner.defaultPartitioner): in this run, and each kind over more.
  const overRange = (ps: Program[]): string[] => [...new Set(ps.flatMap((p) => { const e = evaluate(p.nodes); return p.nodes.flatMap((n, i) => (e[i].partitioner?.kind === 'range' && n.op !== 'sortByKey' && 'n' in n ? [n.op] : [])); }))].sort();
  assert.ok(overRange(programs).length >= 1, 'some program reduces, groups, joins or cogroups a sorted RDD on its RangePartitioner');
  for (const op of ['cogroup', 'groupByKey', 'join', 'leftOuterJoin', 'reduceByKey']) assert.ok(overRange(many).includes(op), `${op} over a sort's RangePartitioner`);
  const selfJoins = programs.filter((p) => p.nodes.some((n) => 'other' in n && n.other === n.src)).length;
  assert.ok(selfJoins >= 1, 'some program joins or unions a node with itself');
  const withoutCount = programs.filter((p) => p.nodes.some((n) => (n.op === 'join' || n.op === 'cogroup' || n.op === 'reduceByKey') && n.n === undefined)).length;
  assert.ok(withoutCount >= 3, 'some programs leave the partition count to the default partitioner');
});
