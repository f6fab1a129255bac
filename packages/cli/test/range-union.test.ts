// A result stage run in ranges (several partitions a task, reading each map output's segments side
// by side) over a union of two shuffles of different sizes: 5 and 11 partitions, 16 in all, on 2
// one-core workers. A range must not read past either shuffle's end (until 2026-12-06 the range of
// partitions 4-5 asked the 5-partition shuffle for its partition 5, and the job failed, 'reduce
// partition 5 is outside map output ...'s 5 partitions'; found by rdd-fuzz with seed 1; then such
// a union ran a task a partition). The pairs collected and counted are the sums computed here; the
// collect's result stage ran 16 / (4 tasks a core x 2 cores) = 2 partitions a task, 8 tasks.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixture, runCli } from './harness.js';

function sums(values: readonly number[], mod: number): Map<number, number> {
  const m = new Map<number, number>();
  for (const v of values) m.set(v % mod, (m.get(v % mod) ?? 0) + v);
  return m;
}

test('the union of two shuffled RDDs of 5 and 11 partitions, collected and counted on 2 cores, gives every key sum of both, its result stage in ranges', { timeout: 180_000 }, async () => {
  const xs = Array.from({ length: 1000 }, (_, i) => i);
  const expected = [...sums(xs, 97), ...sums(xs.map((x) => 2 * x), 89)].map((p) => JSON.stringify(p)).sort();
  const run = await runCli(['run', '--workers', '2', '--cores', '1', '--no-progress', fixture('range-union.ts')], { timeoutMs: 150_000 });
  assert.equal(run.code, 0, `the job succeeds:\n${run.stderr.slice(-3000)}`);
  const line = (tag: string): string => {
    const l = run.stdout.split('\n').find((s) => s.startsWith(`${tag} `));
    assert.ok(l !== undefined, `the job printed ${tag}:\n${run.stdout}`);
    return l.slice(tag.length + 1);
  };
  assert.equal(Number(line('N')), 16, 'the union has 5 + 11 partitions');
  const got = (JSON.parse(line('R')) as [number, number][]).map((p) => JSON.stringify(p)).sort();
  assert.deepEqual(got, expected);
  assert.equal(Number(line('C')), expected.length);
  const stages = JSON.parse(line('T')) as [string, number][];
  const result = stages.filter(([name]) => name.startsWith('collectAsync at '));
  assert.deepEqual(result.map(([, tasks]) => tasks), [8], `the collect's result stage ran its 16 partitions in 8 ranges of 2: ${line('T')}`);
});
