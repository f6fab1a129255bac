// Records that are instances of the job's own classes keep their class through a real
// cluster (driver + 2 worker processes on loopback): back to the driver (collect), from
// the driver to the workers (parallelize, broadcast), between workers across a shuffle
// (the reduce function calls a method of the shuffled values), and through a cached
// partition (nested instances, a Map of them, a cycle). A class defined inside a function
// fails with an error naming the class and the fix. Expected values are computed here
// from the input, with plain arithmetic.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { fixture, mulberry32, withCluster, type JobRun } from './harness.js';

const rand = mulberry32(77);
const KEYS = ['a', 'b', 'c', 'd', 'e'];
const INPUT: [string, number, number][] = Array.from({ length: 60 }, () => [KEYS[Math.floor(rand() * KEYS.length)], Math.floor(rand() * 41) - 20, Math.floor(rand() * 41) - 20]);

let run: JobRun;
const results = new Map<string, unknown>();

before(async () => {
  await withCluster({ workers: 2 }, async (h) => {
    run = await h.run(fixture('class-records.ts'), [JSON.stringify(INPUT)]);
  });
  for (const l of run.lines) {
    const m = /^R (\S+) (.*)$/.exec(l);
    if (m) results.set(m[1], JSON.parse(m[2]));
  }
});

function got<T>(name: string): T {
  assert.ok(results.has(name), `no result '${name}' (job ok: ${run.ok}, failure: ${JSON.stringify(run.failure)})\n${run.lines.slice(-20).join('\n')}`);
  return results.get(name) as T;
}

const norm = (x: number, y: number): number => Math.hypot(x, y);
const close = (a: number, b: number): boolean => Math.abs(a - b) < 1e-9;

test('the job succeeds', () => {
  assert.equal(run.ok, true, JSON.stringify(run.failure));
});

test('collect: instances made on the workers arrive at the driver as instances, methods and all', () => {
  const r = got<{ instances: boolean; norms: number[] }>('collect');
  assert.equal(r.instances, true);
  assert.deepEqual(r.norms, INPUT.map(([, x, y]) => norm(x, y)));
});

test('a static factory given to map (`map(Point.of)`, `new Point` inside) makes instances that cache and collect as Point', () => {
  const r = got<{ ok: boolean; message?: string; norms?: number[]; instances?: boolean }>('static-factory');
  assert.equal(r.ok, true, r.message);
  assert.deepEqual(r.norms, INPUT.map(([, x, y]) => norm(x, y)));
  assert.equal(r.instances, true);
});

test('parallelize: instances made on the driver reach the workers as instances', () => {
  assert.deepEqual(got('parallelize'), INPUT.map(([, x, y]) => norm(x, y)));
});

test('reduceByKey: shuffled values are instances on the reducing worker (the reduce calls their method)', () => {
  const want = new Map<string, [number, number]>();
  for (const [k, x, y] of INPUT) {
    const s = want.get(k) ?? [0, 0];
    want.set(k, [s[0] + x, s[1] + y]);
  }
  const r = got<[string, [boolean, number, number]][]>('reduceByKey');
  assert.deepEqual(
    r.sort((a, b) => a[0].localeCompare(b[0])),
    [...want].sort((a, b) => a[0].localeCompare(b[0])).map(([k, [x, y]]) => [k, [true, x, y]]),
  );
});

test('groupByKey: grouped values come back to the driver as instances', () => {
  const r = got<{ instances: boolean; sums: [string, number][] }>('groupByKey');
  assert.equal(r.instances, true);
  const want = new Map<string, number>();
  for (const [k, x, y] of INPUT) want.set(k, (want.get(k) ?? 0) + norm(x, y));
  assert.equal(r.sums.length, want.size);
  for (const [k, s] of r.sums) assert.ok(close(s, want.get(k)!), `${k}: ${s} vs ${want.get(k)}`);
});

test('cache: nested instances, a Map of them and a self-reference survive a cached partition', () => {
  assert.deepEqual(got('cache'), INPUT.map(([, x, y]) => [true, norm(x, y), true, true]));
});

test('broadcast: an instance broadcast to the workers keeps its class', () => {
  assert.deepEqual(got('broadcast'), [5, 10]);
});

test('a class defined inside a function fails with an error naming the class and the fix', () => {
  const r = got<{ failed: boolean; code?: string; message: string }>('local-class');
  assert.equal(r.failed, true, 'collecting instances of a local class fails');
  assert.match(r.message, /records of class Local cannot travel between processes: the class is not defined at the top level of the job file/);
  assert.match(r.message, /Move class Local to the top level of its module, or map such records to plain objects/);
});
