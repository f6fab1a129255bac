import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { COALESCED_TASK_BYTES, MAX_PARTITIONS_A_TASK, MIN_TASKS_A_CORE, coalescePartitions, type PartitionRange } from '../../src/scheduler/coalesced-partitions.js';

const range = (n: number, from = 0): number[] => Array.from({ length: n }, (_, i) => from + i);
const covered = (rs: readonly PartitionRange[]): number[] => rs.flatMap((r) => range(r.count, r.first));

describe('coalescePartitions', () => {
  test('2,000 partitions on 4 cores: ranges of 8 from multiples of 8, every partition once and in order', () => {
    const ps = range(2000);
    const rs = coalescePartitions(ps, 4, () => 100);
    assert.equal(rs.length, 250);
    for (const r of rs) {
      assert.equal(r.count, MAX_PARTITIONS_A_TASK);
      assert.equal(r.first % MAX_PARTITIONS_A_TASK, 0);
    }
    assert.deepEqual(covered(rs), ps);
  });

  test('never fewer than MIN_TASKS_A_CORE tasks a core: small stages keep a task a partition', () => {
    // 4 cores: 16 partitions (or fewer) stay one a task.
    assert.deepEqual(coalescePartitions(range(16), 4, () => 1), range(16).map((p) => ({ first: p, count: 1 })));
    // 64 partitions on 4 cores: at most 64 / 16 = 4 a range, so 16 tasks.
    const rs = coalescePartitions(range(64), 4, () => 1);
    assert.equal(rs.length, 64 / 4);
    assert.ok(rs.every((r) => r.count === 4));
    assert.ok(rs.length >= MIN_TASKS_A_CORE * 4);
    // No cores registered (all lost): as one core.
    assert.equal(coalescePartitions(range(64), 0, () => 1).length, 8);
  });

  test('only consecutive partitions join: a gap (a partition already computed) starts a new range', () => {
    const missing = [...range(10), ...range(13, 11), 30, 31, 33];
    // 26 partitions on 1 core: at most 26 / 4 = 6 a range, from multiples of 6.
    const rs = coalescePartitions(missing, 1, () => 1);
    for (const r of rs) for (const p of range(r.count, r.first)) assert.ok(missing.includes(p), `range ${r.first}+${r.count} covers ${p}, not asked for`);
    assert.deepEqual(covered(rs), missing);
    assert.deepEqual(
      rs.map((r) => [r.first, r.count]),
      [[0, 6], [6, 4], [11, 1], [12, 6], [18, 6], [30, 2], [33, 1]],
    );
  });

  test('a skewed partition is a task of its own; empty ones join their neighbours; a range stays under the byte bound', () => {
    const sizes = new Map<number, number>([
      [5, COALESCED_TASK_BYTES * 3],
      [9, COALESCED_TASK_BYTES / 2],
      [10, COALESCED_TASK_BYTES / 2 + 1],
    ]);
    const bytesOf = (p: number): number => sizes.get(p) ?? (p >= 16 ? 0 : 10);
    const rs = coalescePartitions(range(64), 1, bytesOf);
    assert.deepEqual(covered(rs), range(64));
    assert.deepEqual(rs.find((r) => r.first <= 5 && 5 < r.first + r.count), { first: 5, count: 1 });
    assert.deepEqual(rs.find((r) => r.first <= 10 && 10 < r.first + r.count)?.first, 10);
    for (const r of rs) {
      const bytes = range(r.count, r.first).reduce((a, p) => a + bytesOf(p), 0);
      assert.ok(r.count === 1 || bytes <= COALESCED_TASK_BYTES, `range ${r.first}+${r.count} holds ${bytes} bytes`);
    }
    // The empty partitions 16..63 in full ranges.
    assert.ok(rs.filter((r) => r.first >= 16).every((r) => r.count === MAX_PARTITIONS_A_TASK));
  });
});
