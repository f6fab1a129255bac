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
import { evaluate, generate, type Expected } from './rdd-fuzz-reference.js';

const SEED = Number(process.env.SLUICE_FUZZ_SEED ?? 20261206);
const PROGRAMS = Number(process.env.SLUICE_FUZZ_PROGRAMS ?? 80);

const rand = mulberry32(SEED);
const programs: Program[] = Array.from({ length: PROGRAMS }, () => generate(rand));

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-rdd-fuzz-'));
const programFile = path.join(tmp, 'programs.json');
fs.writeFileSync(programFile, JSON.stringify(programs));

type Outcome = { ok: true; value: unknown } | { ok: false; error: string; code: string | null };
const results = new Map<string, Outcome>();
let setupError: unknown;
let jobLines: string[] = [];

before(async () => {
  try {
    await withCluster({ workers: 2 }, async (h) => {
      const run = await h.run(fixture('rdd-fuzz.ts'), [programFile]);
      jobLines = run.lines;
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

const bag = (xs: readonly unknown[]): string[] => xs.map((x) => JSON.stringify(x)).sort();
const keysOf = (xs: readonly unknown[]): unknown[] => xs.map((x) => (Array.isArray(x) ? x[0] : x));

/** An RDD's partition count and partitioner, as the fixture prints them. */
type Shape = [number, { kind: string; n: number } | null];

function checkShape(e: Expected, [n, partitioner]: Shape, where: string): void {
  if (e.nExact) assert.equal(n, e.n, `${where}the partition count`);
  else assert.ok(n >= 1 && n <= e.n, `${where}the partition count ${n}: from 1 to ${e.n} (a range partitioner)`);
  if (e.partitioner === null) assert.equal(partitioner, null, `${where}no partitioner`);
  else if (e.partitioner.kind === 'range') assert.equal(partitioner?.kind, 'range', `${where}a range partitioner`);
  else assert.deepEqual(partitioner, { kind: 'hash', n: e.partitioner.n }, `${where}the partitioner`);
}

/** What a program's action must give, checked against what the cluster gave. */
function check(program: Program, expected: readonly Expected[], a: number, got: unknown): void {
  const action = program.actions[a];
  const e = expected[action.node];
  switch (action.act) {
    case 'collect': {
      const g = got as { data: unknown[]; n: number; partitioner: Shape[1] };
      assert.deepEqual(bag(g.data), bag(e.data), 'the elements');
      if (e.order) {
        const sorted = keysOf(e.data);
        assert.deepEqual(keysOf(g.data), sorted, `the order (by ${e.order.by}, ${e.order.asc ? 'ascending' : 'descending'})`);
      }
      checkShape(e, [g.n, g.partitioner], '');
      return;
    }
    case 'count':
      assert.equal(got, e.data.length);
      return;
    case 'fold':
      assert.equal(got, (e.data as number[]).reduce((x, y) => (x + y) % 1_000_003, 0));
      return;
    case 'top':
      assert.deepEqual(got, [...(e.data as number[])].sort((x, y) => y - x).slice(0, action.k));
      return;
    case 'takeOrdered':
      assert.deepEqual(got, [...(e.data as number[])].sort((x, y) => x - y).slice(0, action.k));
      return;
    case 'take': {
      const g = got as unknown[];
      assert.deepEqual(keysOf(g), keysOf(e.data).slice(0, action.k), 'the first keys in order');
      const all = new Set(bag(e.data));
      for (const x of g) assert.ok(all.has(JSON.stringify(x)), `${JSON.stringify(x)} is an element`);
      return;
    }
    case 'countByKey': {
      const counts = new Map<number, number>();
      for (const [k] of e.data as [number, number][]) counts.set(k, (counts.get(k) ?? 0) + 1);
      assert.deepEqual(bag(got as unknown[]), bag([...counts.entries()]));
      return;
    }
    case 'lookup':
      assert.deepEqual(bag(got as unknown[]), bag((e.data as [number, number][]).filter(([k]) => k === action.key).map(([, v]) => v)));
      return;
  }
}

test(`${PROGRAMS} random RDD programs (seed ${SEED}) give what the same programs give on plain arrays, with Spark's partition counts and partitioners`, () => {
  if (setupError !== undefined) throw setupError;
  const failures: string[] = [];
  for (const [p, program] of programs.entries()) {
    const expected = evaluate(program.nodes);
    const shape = results.get(`${p}.shape`);
    if (!shape?.ok) failures.push(`program ${p}: no shape printed: ${JSON.stringify(shape)}`);
    else {
      for (const [i, s] of (shape.value as Shape[]).entries()) {
        try {
          checkShape(expected[i], s, `node ${i} (${program.nodes[i].op}): `);
        } catch (err) {
          failures.push(`program ${p} shape: ${(err as Error).message.split('\n').slice(0, 6).join('\n')}`);
          break;
        }
      }
    }
    for (const a of program.actions.keys()) {
      const o = results.get(`${p}.${a}`);
      const where = `program ${p} action ${a} (${JSON.stringify(program.actions[a])})`;
      if (!o) {
        failures.push(`${where}: no result printed\n${jobLines.slice(-10).join('\n')}`);
        continue;
      }
      if (!o.ok) {
        failures.push(`${where}: failed on the cluster: ${o.code ?? ''} ${o.error}`);
        continue;
      }
      try {
        check(program, expected, a, o.value);
      } catch (err) {
        failures.push(`${where}: ${(err as Error).message.split('\n').slice(0, 12).join('\n')}`);
      }
    }
    if (failures.length >= 5) break;
  }
  assert.equal(
    failures.length,
    0,
    failures.map((f) => f + '\n  the program: ' + JSON.stringify(programs[Number(/program (\d+)/.exec(f)?.[1])].nodes)).join('\n\n'),
  );
});

test('the programs cover what they are meant to (so a generator change cannot make them trivial)', () => {
  const ops = new Set(programs.flatMap((p) => p.nodes.map((n) => n.op)));
  for (const op of ['join', 'cogroup', 'reduceByKey', 'groupByKey', 'union', 'sortByKey', 'sortBy', 'partitionBy', 'distinct', 'coalesce', 'subtractByKey', 'cache']) {
    assert.ok(ops.has(op as never), `some program uses ${op}`);
  }
  const selfJoins = programs.filter((p) => p.nodes.some((n) => 'other' in n && n.other === n.src)).length;
  assert.ok(selfJoins >= 1, 'some program joins or unions a node with itself');
  const withoutCount = programs.filter((p) => p.nodes.some((n) => (n.op === 'join' || n.op === 'cogroup' || n.op === 'reduceByKey') && n.n === undefined)).length;
  assert.ok(withoutCount >= 3, 'some programs leave the partition count to the default partitioner');
});
