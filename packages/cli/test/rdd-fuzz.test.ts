// Randomized RDD programs on a cluster of 2 worker processes: chains of up to 8 operators
// (narrow, shuffles with and without a partition count, joins including self-joins, unions of
// co-partitioned RDDs, caches, sorts) and actions, each checked against the same program run
// on plain arrays here with Spark's rules for partition counts and partitioners
// (rdd-fuzz-reference.ts). The single-operator checks are rdd-operators.test.ts; this one finds
// what only their combinations do. Seeds are fixed, so a failure names a program that fails
// again; SLUICE_FUZZ_SEED=<n> SLUICE_FUZZ_PROGRAMS=<m> runs other ones.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Program } from './fixtures/rdd-fuzz-ops.js';
import { fixture, mulberry32, withCluster } from './harness.js';
import { compare, generate, type Outcome } from './rdd-fuzz-reference.js';

const SEED = Number(process.env.SLUICE_FUZZ_SEED ?? 20261206);
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
  for (const op of ['join', 'cogroup', 'reduceByKey', 'groupByKey', 'union', 'sortByKey', 'sortBy', 'partitionBy', 'distinct', 'coalesce', 'subtractByKey', 'cache', 'subtract', 'intersection', 'cartesian']) {
    assert.ok(ops.has(op as never), `some program uses ${op}`);
  }
  const selfJoins = programs.filter((p) => p.nodes.some((n) => 'other' in n && n.other === n.src)).length;
  assert.ok(selfJoins >= 1, 'some program joins or unions a node with itself');
  const withoutCount = programs.filter((p) => p.nodes.some((n) => (n.op === 'join' || n.op === 'cogroup' || n.op === 'reduceByKey') && n.n === undefined)).length;
  assert.ok(withoutCount >= 3, 'some programs leave the partition count to the default partitioner');
});
