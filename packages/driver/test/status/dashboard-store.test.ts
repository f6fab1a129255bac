import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DashboardBatch, DashboardDefinition } from '@sluice/core/internal';
import { DashboardStore, MAX_DASHBOARDS_PER_JOB, type DashboardChange } from '../../src/status/dashboard-store.js';

const line: DashboardDefinition = { name: 'l', kind: 'line', title: 'L', maxItems: 10, keepBatches: 3 };
const bar: DashboardDefinition = { name: 'b', kind: 'bar', title: 'B', maxItems: 10, keepBatches: 120 };
const lineBatch = (t: number, values: [string, number][]): DashboardBatch => ({ name: 'l', batchTime: t, numRecords: values.length, values, warnings: [] });
const barBatch = (t: number, bars: [string, number][]): DashboardBatch => ({ name: 'b', batchTime: t, numRecords: bars.length, bars, numKeys: bars.length, warnings: [] });

test('a line keeps the last keepBatches points in batch order, one per batch time, its values by series', () => {
  const s = new DashboardStore();
  const changes: DashboardChange[] = [];
  s.on('change', (c) => changes.push(c));
  s.apply({ type: 'defined', definition: line });
  for (const t of [1000, 2000, 4000]) s.apply({ type: 'batch', batch: lineBatch(t, [['', t / 1000]]) });
  s.apply({ type: 'batch', batch: lineBatch(3000, [['a', 30]]) }); // late, and a new series
  s.apply({ type: 'batch', batch: lineBatch(4000, [['', 44]]) }); // run again: replaces its point
  const v = s.view('l');
  assert.deepEqual(v.series, ['', 'a']);
  assert.deepEqual(v.points, [
    { batchTime: 2000, values: [2, null] },
    { batchTime: 3000, values: [null, 30] },
    { batchTime: 4000, values: [44, null] },
  ]);
  assert.equal(v.numBatches, 5);
  assert.equal(v.batchTime, 4000);
  // Each batch event carries its own point only; the view in it has no points.
  const last = changes.at(-1)!;
  assert.equal(last.type, 'batch');
  assert.deepEqual(last.type === 'batch' && last.point, { batchTime: 4000, values: [44, null] });
  assert.equal(last.view.points, undefined);
});

test('a bar shows the newest batch (a late older one does not replace it); a redefinition of the same kind keeps it; at most MAX_DASHBOARDS_PER_JOB', () => {
  const s = new DashboardStore();
  assert.equal(s.apply({ type: 'batch', batch: barBatch(1000, [['x', 1]]) }), false, 'a batch of no dashboard is dropped');
  s.apply({ type: 'defined', definition: bar });
  s.apply({ type: 'batch', batch: barBatch(2000, [['x', 2]]) });
  s.apply({ type: 'batch', batch: barBatch(1000, [['y', 1]]) });
  assert.deepEqual(s.view('b').bars, [{ label: 'x', value: 2 }]);
  s.apply({ type: 'defined', definition: { ...bar, title: 'B2' } });
  assert.deepEqual(s.view('b').bars, [{ label: 'x', value: 2 }]);
  assert.equal(s.view('b').title, 'B2');
  for (let i = 1; i < MAX_DASHBOARDS_PER_JOB; i++) assert.equal(s.apply({ type: 'defined', definition: { ...bar, name: `b${i}` } }), true);
  assert.equal(s.apply({ type: 'defined', definition: { ...bar, name: 'one too many' } }), false);
  assert.equal(s.size, MAX_DASHBOARDS_PER_JOB);
});
