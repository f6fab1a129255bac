// RDD methods of Spark's that Sluice added late (toDebugString, filterByRange, pipe,
// countApproxDistinct), on a cluster of 2 worker processes, each checked against what the
// same computation gives as plain JS here, under Spark's rules. One cluster for the file;
// the fixture prints `R <name> <json>`.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fixture, mulberry32, withCluster, type JobRun } from './harness.js';

const rand = mulberry32(20261202);
const int = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo));
const nums = Array.from({ length: 120 }, () => int(0, 1000));

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-rdd-spark-gaps-'));
const inputFile = path.join(tmp, 'inputs.json');
fs.writeFileSync(inputFile, JSON.stringify({ nums }));

type Outcome = { ok: true; value: unknown } | { ok: false; error: string; code: string | null };
const results = new Map<string, Outcome>();
let run: JobRun | undefined;

before(async () => {
  await withCluster({ workers: 2 }, async (h) => {
    run = await h.run(fixture('rdd-spark-gaps.ts'), [inputFile]);
    for (const l of run.lines) {
      const m = /^R (\S+) (.*)$/.exec(l);
      if (m) results.set(m[1], JSON.parse(m[2]) as Outcome);
    }
  });
});

after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function got<T>(name: string): T {
  const o = results.get(name);
  if (!o) throw new Error(`no result for '${name}' (job ok: ${run?.ok}, failure: ${JSON.stringify(run?.failure)})\n${run?.lines.slice(-20).join('\n')}`);
  if (!o.ok) throw new Error(`'${name}' failed: ${o.code}: ${o.error}`);
  return o.value as T;
}

/** `file:line:column` of the fixture line holding `marker`, as a shipped function's call site names it (the column is not checked). */
function siteOf(marker: string): RegExp {
  const file = fixture('rdd-spark-gaps.ts');
  const line = fs.readFileSync(file, 'utf8').split('\n').findIndex((l) => l.includes(marker)) + 1;
  assert.ok(line > 0, marker);
  return new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:${line}:\\d+$`);
}

test('toDebugString: the lineage an RDD a line, a shuffle one level in behind +-(n), storage levels, as Spark draws it', () => {
  const r = got<{ ids: Record<string, number>; before: string; after: string; single: string; named: string }>('toDebugString');
  const { ids } = r;
  const lines = r.before.split('\n');
  // Sites are the user's calls of map and reduceByKey; the other RDDs have none.
  const site = (l: string, marker: string): string => {
    const m = / at (\S+) \[/.exec(l.replace(/^.* at (map|reduceByKey)/, ''));
    assert.ok(m, l);
    assert.match(m[1], siteOf(marker));
    return l.replace(` at ${m[1]} [`, ' at SITE [');
  };
  assert.equal(lines.length, 5, r.before);
  assert.equal(lines[0], `(4) UnionRDD[${ids.both}] at union []`);
  assert.equal(site(lines[1], '// debug: reduceByKey'), ` |  ShuffledRDD[${ids.reduced}] at reduceByKey at SITE []`);
  assert.equal(site(lines[2], '// debug: map'), ` +-(2) MapPartitionsRDD[${ids.keyed}] at map at SITE [MEMORY_ONLY]`);
  assert.equal(lines[3], `    |  ParallelCollectionRDD[${ids.base}] at parallelize []`);
  assert.equal(lines[4], ` |  extra ParallelCollectionRDD[${ids.extra}] at parallelize []`);
  assert.equal(r.after, r.before, 'running a job changes nothing in it');
  assert.equal(r.single, `(2) ParallelCollectionRDD[${ids.base}] at parallelize []`);
  assert.equal(r.named, `extra ParallelCollectionRDD[${ids.extra}] at parallelize []`);
});
