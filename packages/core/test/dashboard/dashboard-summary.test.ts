// toDashboard's bounds, in process: the per-partition summaries (as workers run them) and
// their merge in the driver program, against results the test computes from its own
// records; and the options' errors. The live page in a browser, with a cluster, is
// packages/cli/test/dashboard-browser.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SluiceContext } from '../../src/context.js';
import type { DashboardEvent } from '../../src/dashboard/dashboard-event.js';
import { resolveDashboardOptions, type DashboardDefinition } from '../../src/dashboard/dashboard-options.js';
import { barPartitionSummary, linePartitionSummary, mergeBars, mergeLine, mergeTable, tablePartitionSummary } from '../../src/dashboard/dashboard-summary.js';
import '../../src/dstream/window-dstreams.js';
import '../../src/dstream/state-dstreams.js';
import { StreamingContext } from '../../src/streaming/streaming-context.js';
import { mulberry32 } from '../support/prng.js';

const def = (kind: DashboardDefinition['kind'], maxItems: number, extra: Partial<DashboardDefinition> = {}): DashboardDefinition => ({ name: 'd', kind, title: 'd', maxItems, keepBatches: 120, ...extra });

/** Split `records` over `n` partitions at seeded places, as a batch's blocks would. */
function partitions<T>(records: readonly T[], n: number, seed: number): T[][] {
  const random = mulberry32(seed);
  const cuts = Array.from({ length: n - 1 }, () => Math.floor(random() * records.length)).sort((a, b) => a - b);
  return [0, ...cuts, records.length].slice(1).map((end, i, ends) => records.slice(i === 0 ? 0 : ends[i - 1], end));
}

test('bar: the maxItems largest values over all partitions (ties: the smaller label), with what was left out', () => {
  const random = mulberry32(7);
  const counts = new Map<string, number>();
  for (let i = 0; i < 500; i++) counts.set(`k${i}`, 1 + Math.floor(random() * 40)); // many ties
  const records: unknown[] = [...counts];
  records.splice(17, 0, ['no number', 'x'], 'a string', ['nan', Number.NaN]);
  const parts = partitions(records, 4, 3).map((p) => barPartitionSummary(25, 200)(p.values())[0]);
  const { batch, warningKinds } = mergeBars(def('bar', 25), 1000, parts);
  const expected = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 25);
  assert.deepEqual(batch.bars, expected);
  assert.equal(batch.numKeys, 500);
  assert.equal(batch.numRecords, 503);
  assert.deepEqual(warningKinds, ['cut', 'bad']);
  assert.equal(batch.warnings[0], 'Showing the 25 largest values of 500 keys in this batch (maxItems: 25); the others are left out.');
  assert.match(batch.warnings[1], /^3 records of 503 are not a \[key, number\] pair and are left out \(the first: \["no number","x"\]\)/);
});

test('bar: a key in two partitions is summed and said; a long label is cut; keys that are not strings are shown as JSON', () => {
  const long = 'x'.repeat(500);
  const parts = [
    barPartitionSummary(10, 200)([['a', 2], [long, 1], [[1, 2], 5]].values())[0],
    barPartitionSummary(10, 200)([['a', 3], [7, 4]].values())[0],
  ];
  const { batch, warningKinds } = mergeBars(def('bar', 10), 1000, parts);
  assert.deepEqual(batch.bars, [['[1,2]', 5], ['a', 5], ['7', 4], ['x'.repeat(199) + '…', 1]]);
  assert.deepEqual(warningKinds, ['repeated', 'long']);
  assert.match(batch.warnings[0], /^1 key came in more than one record \(such as "a", 2 times\)/);
});

test('table: the first maxItems rows in partition order; columns from object keys, array places or one value', () => {
  const rows = Array.from({ length: 30 }, (_, i) => ({ n: i, sq: i * i, ...(i === 2 && { extra: '<b>' }) }));
  const parts = partitions(rows, 3, 5).map((p) => tablePartitionSummary(4)(p.values())[0]);
  const t = mergeTable(def('table', 4), 1000, parts).batch;
  assert.deepEqual(t.columns, ['n', 'sq', 'extra']);
  // The first 4 rows of the batch (the cuts may leave a first partition shorter than 4).
  assert.deepEqual(t.rows, [['0', '0', ''], ['1', '1', ''], ['2', '4', '<b>'], ['3', '9', '']]);
  assert.deepEqual(t.warnings, ['Showing the first 4 rows of 30 in this batch (maxItems: 4); the others are left out.']);
  const arrays = mergeTable(def('table', 10), 1, [tablePartitionSummary(10)([['a', 1], ['b', 2, true]].values())[0]]).batch;
  assert.deepEqual(arrays.columns, ['1', '2', '3']);
  assert.deepEqual(arrays.rows, [['a', '1', ''], ['b', '2', 'true']]);
  const plain = mergeTable(def('table', 10, { columns: ['word'] }), 1, [tablePartitionSummary(10)(['x', 'y'.repeat(300)].values())[0]]).batch;
  assert.deepEqual(plain.columns, ['word']);
  assert.deepEqual(plain.rows, [['x'], ['y'.repeat(199) + '…']]);
  assert.deepEqual(plain.warnings, ['1 cell longer than 200 characters is cut.']);
});

test('line: numbers summed into one series, pairs by series; series past maxItems are left out, the first ones kept across batches', () => {
  const series: string[] = [];
  const p1 = [linePartitionSummary(1000, 200)([3, 4].values())[0], linePartitionSummary(1000, 200)([5].values())[0]];
  assert.deepEqual(mergeLine(def('line', 2), 1000, p1, series).batch.values, [['', 12]]);
  const p2 = [linePartitionSummary(1000, 200)([['a', 1], ['b', 2], ['a', 10], 'bad'].values())[0]];
  const b2 = mergeLine(def('line', 2), 2000, p2, series).batch;
  assert.deepEqual(series, ['', 'a'], 'the first 2 series seen');
  assert.deepEqual(b2.values, [['a', 11]]);
  assert.deepEqual(b2.warnings, [
    'The chart keeps the first 2 series it sees (maxItems: 2); 1 series of this batch (such as "b") is left out.',
    '1 record of 4 is neither a finite number nor a [series, number] pair and is left out (the first: bad).',
  ]);
});

test('toDashboard: bad options are errors naming the dashboard, the option and the fix; a name is used once per context', () => {
  const bad = (name: unknown, options: unknown, message: RegExp): void =>
    assert.throws(() => resolveDashboardOptions(name, options), (e: Error & { code?: string }) => e.code === 'SLUICE_BAD_ARGUMENT' && message.test(e.message), `${JSON.stringify(options)}`);
  bad('', { kind: 'bar' }, /the name is ""; give a non-empty string/);
  bad('w', { kind: 'pie' }, /^dstream\.toDashboard\("w"\): kind is "pie"; give one of 'table'/);
  bad('w', { kind: 'bar', max: 5 }, /unknown option 'max'; the options are kind, title, maxItems, keepBatches, columns/);
  bad('w', { kind: 'bar', maxItems: 0 }, /maxItems is 0; give a whole number from 1 to 1000 \(default 100\)/);
  bad('w', { kind: 'bar', keepBatches: 10 }, /keepBatches applies to kind 'line'/);
  bad('w', { kind: 'table', columns: [] }, /columns is \[\]; give 1 to 20 column headings/);
  assert.deepEqual(resolveDashboardOptions('w', { kind: 'line' }), { name: 'w', kind: 'line', title: 'w', maxItems: 10, keepBatches: 120 });

  const events: DashboardEvent[] = [];
  const sc = new SluiceContext({
    jobId: 'j',
    defaultParallelism: () => 2,
    runJob: () => Promise.reject(new Error('no cluster')),
    removeRdd: async () => undefined,
    streaming: {
      startReceiver: () => undefined,
      stopReceivers: async () => undefined,
      allocateBlocks: async () => ({ blocks: [], liveWriters: [] }),
      removeBlocks: () => undefined,
      onReceiverEvent: () => undefined,
      reportBatch: () => undefined,
      onStopRequested: () => undefined,
      reportDashboard: (e) => events.push(e),
    },
  });
  const ssc = new StreamingContext(sc, 1000, { clock: 'manual' });
  const pairs = ssc.queueStream<[string, number]>([]);
  pairs.toDashboard('<words>', { kind: 'bar' });
  assert.deepEqual(events, [{ type: 'defined', definition: { name: '<words>', kind: 'bar', title: '<words>', maxItems: 100, keepBatches: 120 } }]);
  assert.throws(() => pairs.toDashboard('<words>', { kind: 'table' }), /this StreamingContext already has a dashboard of that name/);
  assert.deepEqual(ssc.outputNames(), ['toDashboard']);
});
