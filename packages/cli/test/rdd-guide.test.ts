// Spark's RDD Programming Guide, followed from README alone (2026-12-05, user35): the code a
// user ports from it that Sluice refused, typed wrongly or ran to a wrong answer, on a cluster of
// 2 worker processes, each result checked against a plain loop over the same input. One cluster
// for the file; the fixture (fixtures/rdd-guide.ts) prints `R <name> <json>`.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fixture, mulberry32, withCluster } from './harness.js';
import { ReportedOutcomes } from './reported-outcomes.js';
import { flags, printed, SPARK_LEVELS, type LevelName } from './spark-storage-levels.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-rdd-guide-'));
const rand = mulberry32(20261205);
const words = ['spark', 'sluice', 'rdd', 'shuffle', 'Cache', 'driver'];
const textLines = Array.from({ length: 300 }, () => words[Math.floor(rand() * words.length)] + (rand() < 0.5 ? '' : ` ${words[Math.floor(rand() * words.length)]}`));
const textFile = path.join(tmp, 'data.txt');
fs.writeFileSync(textFile, `${textLines.join('\n')}\n`);
const nums = Array.from({ length: 60 }, () => Math.floor(rand() * 2001) - 1000);
// Distinct ages and names, so each order has one answer.
const people = ['ann', 'bob', 'cy', 'dee', 'eve', 'fay', 'gus'].map((name, i) => ({ name, age: 20 + ((i * 5) % 7) * 3 }));
const numerals = ['1', '2.5', 'x', '-4', '10', ''];
const inputFile = path.join(tmp, 'inputs.json');
fs.writeFileSync(inputFile, JSON.stringify({ textFile, nums, people, numerals }));

const reported = new ReportedOutcomes();
const got = <T>(name: string): T => reported.got<T>(name);
const failed = (name: string): { error: string; code: string | null } => reported.failed(name);

before(async () => {
  await withCluster({ workers: 2 }, async (h) => {
    reported.read(await h.run(fixture('rdd-guide.ts'), [inputFile]));
  });
});

after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

test("the guide's line count: lines.map((s) => [s, 1]).reduceByKey((a, b) => a + b).sortByKey().collect()", () => {
  const counts = new Map<string, number>();
  for (const l of textLines) counts.set(l, (counts.get(l) ?? 0) + 1);
  assert.deepEqual(got('linePairs'), [...counts].sort(([a], [b]) => byCodeUnits(a, b)));
});

test("takeOrdered, top, max and min take PySpark's key function (one parameter) as well as a comparator", () => {
  const asc = [...nums].sort((a, b) => a - b);
  const byAge = [...people].sort((a, b) => a.age - b.age);
  const byName = [...people].sort((a, b) => byCodeUnits(a.name, b.name));
  assert.deepEqual(got('orderedByKey'), {
    // The 4 smallest by -x: the 4 largest, largest first; top by -x: the 4 smallest, smallest first.
    takeOrderedKey: [...asc].reverse().slice(0, 4),
    takeOrderedComparator: [...asc].reverse().slice(0, 4),
    topKey: asc.slice(0, 4),
    youngest: byAge.slice(0, 2),
    oldest: [...byAge].reverse().slice(0, 2),
    maxByAge: byAge[byAge.length - 1],
    minByName: byName[0],
  });
});

test("pipe's environment is { env }; Spark's env map given as the options (a plain object or a Map) is refused, naming the key and the form", () => {
  assert.deepEqual(got('pipeEnvOption'), ['bar-a', 'bar-b']);
  const plain = failed('pipeEnvAsOptions');
  assert.equal(plain.code, 'SLUICE_BAD_ARGUMENT');
  assert.match(plain.error, /unknown option 'FOO' .*\{ env: \{ NAME: 'value' \} \}/);
  const map = failed('pipeEnvMap');
  assert.equal(map.code, 'SLUICE_BAD_ARGUMENT');
  assert.match(map.error, /not a Map; .*Object\.fromEntries\(map\)/);
});

test("PySpark's sortByKey keyfunc (a third argument) is refused, pointing at sortBy, not ignored", () => {
  const f = failed('sortByKeyKeyfunc');
  assert.equal(f.code, 'SLUICE_BAD_ARGUMENT');
  assert.match(f.error, /got 3 arguments; .*rdd\.sortBy\(\(\[k\]\) => keyfunc\(k\), ascending, numPartitions\)/);
});

test("persist takes every Spark storage level (the guide's MEMORY_ONLY_SER, _2, OFF_HEAP): cached, computed once for two actions, getStorageLevel gives it back", () => {
  const sum = nums.reduce((a, b) => a + b, 0);
  for (const level of ['MEMORY_ONLY', 'MEMORY_ONLY_SER', 'MEMORY_AND_DISK_SER', 'MEMORY_ONLY_2', 'MEMORY_AND_DISK_SER_2', 'DISK_ONLY_2', 'OFF_HEAP']) {
    const name = level as LevelName;
    const description = SPARK_LEVELS[name][6];
    const expected = { sum: 2 * sum, count: nums.length, computed: nums.length, level: printed(name), flags: flags(name), description, constant: true, after: printed('NONE'), afterIsNone: true };
    assert.deepEqual(got(`persist_${level}`), expected, level);
  }
  assert.deepEqual(got('levelObjects'), { byFlagsIsDiskOnly3: true, byFlagsCount: 3, other: 'StorageLevel(memory, deserialized, 3 replicas)', otherEqualsItsFlags: true, otherSum: 9, fromString: true });
  assert.match(failed('fromStringBad').error, /Invalid StorageLevel: MEMORY/);
  const change = failed('persistChange');
  assert.equal(change.code, 'SLUICE_BAD_ARGUMENT');
  assert.match(change.error, /cannot change the storage level .* \('MEMORY_ONLY_SER'\)/);
  assert.equal(failed('persistNone').code, 'SLUICE_BAD_ARGUMENT');
  const stream = failed('dstreamPersistBad');
  assert.equal(stream.code, 'SLUICE_BAD_ARGUMENT');
  assert.match(stream.error, /dstream\.persist .*"MEMORY" is not a storage level/);
});

test("built-ins given to operators (map(Number), map(String), filter(Number.isInteger), reduce(Math.max), foreach(console.log), as Scala's foreach(println)) run on the workers; a bound function is still refused", () => {
  const asNumbers = numerals.map((s) => Number(s));
  assert.deepEqual(got('builtins'), {
    numbers: asNumbers.map((n) => (Number.isNaN(n) ? null : n)), // NaN is null in JSON
    integers: asNumbers.filter((n) => Number.isInteger(n)),
    strings: nums.map((n) => String(n)),
    max: Math.max(...nums),
    foldMax: Math.max(...nums),
    aggregateMax: Math.max(...nums),
  });
  const bound = failed('boundFunction');
  assert.equal(bound.code, 'SLUICE_TASK_NOT_SERIALIZABLE');
  assert.match(bound.error, /native or bound/);
});

test("Spark's rdd.partitions (one { index } a partition, in order) and sc.applicationId (the job's id)", () => {
  const p = got<{ length: number; indexes: number[]; union: number; applicationId: string; jobId: string }>('partitions');
  assert.deepEqual({ length: p.length, indexes: p.indexes, union: p.union }, { length: 3, indexes: [0, 1, 2], union: 5 });
  assert.match(p.applicationId, /^job-/);
  assert.equal(p.applicationId, p.jobId);
});
