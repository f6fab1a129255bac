// RDD creation sites as Spark's RDD.toString and toDebugString show them, on a cluster of 2 worker
// processes (fixture core-spark-suites8.ts, one job). Spark (RDD.scala) writes an RDD as
// `Class[id] at <creationSite.shortForm>`, the short form being `<method> at <file>:<line>`:
// Utils.getCallSite's lastSparkMethod, the Spark method next to the program's frame, so every RDD
// one call makes (distinct's map, shuffle and map) shows that call. A streaming batch's RDDs are
// made under DStream.createRDDWithLocalProperties, which sets the call site to the stream's
// creationSite (StreamingContextSuite "DStream and generated RDD creation sites": a receiver
// stream's RDD has the stream's creation site), except for a transform's and foreachRDD's
// function (displayInnerRDDOps true: TransformedDStream always, foreachRDD's default), where each
// RDD shows its own call. An output operation's name (StreamingListener, REST, UI) is its
// call site's short form, as Spark's Job.toOutputOperationInfo gives it. Sluice writes the place
// as file:line:column. Expected values: the
// fixture's own lines holding each `// site:` marker, found here.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { before, test } from 'node:test';
import { fixture } from './harness.js';
import { runSparkCases, type SparkCaseRun } from './spark-case-run.js';

let cases: SparkCaseRun;

before(async () => {
  cases = await runSparkCases('core-spark-suites8.ts', []);
});

const FILE = fixture('core-spark-suites8.ts');
const SOURCE = fs.readFileSync(FILE, 'utf8').split('\n');

/** `<operation> at <fixture>:<line of marker>:<column>`, the column any number. */
function siteText(operation: string, marker: string): RegExp {
  const line = SOURCE.findIndex((l) => l.includes(`// site: ${marker}`)) + 1;
  assert.ok(line > 0, marker);
  const file = FILE.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${operation} at ${file}:${line}:\\d+$`);
}

/** Each line of a toDebugString (or a toString) as [class, creation site]. */
function sites(debug: string): [string, string][] {
  return debug.split('\n').map((l) => {
    const m = /(\w+RDD)\[\d+\] at (.*?)( \[[A-Z_]*\])?$/.exec(l);
    assert.ok(m, `not an RDD line: ${l}`);
    return [m[1], m[2]];
  });
}

function assertSites(debug: string, want: [string, RegExp][], what: string): void {
  const got = sites(debug);
  assert.equal(got.length, want.length, `${what}:\n${debug}`);
  got.forEach(([cls, site], i) => {
    assert.equal(cls, want[i][0], `${what} line ${i}:\n${debug}`);
    assert.match(site, want[i][1], `${what} line ${i}:\n${debug}`);
  });
}

test('RDD creation sites as Spark\'s: every RDD an operation makes shows the call the program made (distinct, sortBy: map, shuffle and map alike), a source its parallelize or range, union and cartesian theirs, sc.emptyRDD an EmptyRDD', () => {
  const r = cases.one<Record<'distinct' | 'sorted' | 'union' | 'cartesian' | 'counted' | 'empty', string>>('rdd-sites');
  const parallelize: [string, RegExp] = ['ParallelCollectionRDD', siteText('parallelize', 'parallelize')];
  const distinct = siteText('distinct', 'distinct');
  assertSites(r.distinct, [['MapPartitionsRDD', distinct], ['ShuffledRDD', distinct], ['MapPartitionsRDD', distinct], parallelize], 'distinct');
  assert.equal(r.counted, r.distinct, 'a job run changes no creation site');
  const sortBy = siteText('sortBy', 'sortBy');
  assertSites(r.sorted, [['MapPartitionsRDD', sortBy], ['ShuffledRDD', sortBy], ['MapPartitionsRDD', sortBy], parallelize], 'sortBy');
  // sc.range is the program's own call on the union's line (Spark: `range at`).
  assertSites(r.union, [['UnionRDD', siteText('union', 'union')], parallelize, ['ParallelCollectionRDD', siteText('range', 'union')]], 'union');
  assertSites(r.cartesian, [['CartesianRDD', siteText('cartesian', 'cartesian')]], 'cartesian');
  // sc.emptyRDD: Spark's EmptyRDD, its call site `emptyRDD at ...` (no withScope, the stack's; since 2026-12-05).
  assertSites(r.empty, [['EmptyRDD', siteText('emptyRDD', 'emptyRDD')]], 'emptyRDD');
});

test('StreamingContextSuite "DStream and generated RDD creation sites": a batch\'s RDDs show their stream\'s creation site (receiverStream, window, countByValue); a transform\'s and foreachRDD\'s functions\' RDDs their own call; a queued RDD where it was made', () => {
  const r = cases.one<Record<'received' | 'windowed' | 'counted' | 'transformed' | 'queued' | 'inner', string> & { names: Record<string, string> }>('stream-sites');
  const block: [string, RegExp] = ['BlockRDD', siteText('receiverStream', 'receiverStream')];
  assertSites(r.received, [block], 'the receiver stream');
  const windowed = sites(r.windowed);
  assert.deepEqual(windowed[0][0], 'UnionRDD', r.windowed);
  assert.match(windowed[0][1], siteText('window', 'window'), r.windowed);
  assert.ok(windowed.length >= 2, r.windowed);
  for (const [cls, site] of windowed.slice(1)) {
    assert.equal(cls, block[0], r.windowed);
    assert.match(site, block[1], r.windowed);
  }
  // countByValue's map and shuffle (Spark's map((_, 1L)).reduceByKey), both at the stream's call.
  const countByValue = siteText('countByValue', 'countByValue');
  assertSites(r.counted, [['ShuffledRDD', countByValue], ['MapPartitionsRDD', countByValue], block], 'countByValue');
  assertSites(r.transformed, [['MapPartitionsRDD', siteText('filter', 'transform filter')]], 'the filter in transform');
  assertSites(r.inner, [['MapPartitionsRDD', siteText('map', 'foreachRDD map')]], 'the map in foreachRDD');
  assertSites(r.queued, [['ParallelCollectionRDD', siteText('parallelize', 'queued parallelize')]], 'the queued RDD');
});

test('OutputOperationInfo.name is Spark\'s call site short form (Job.toOutputOperationInfo: callSite.shortForm, the ForEachDStream\'s creation site): `foreachRDD at <file>:<line>:<column>`, each output at its own call', () => {
  const { names } = cases.one<{ names: Record<string, string> }>('stream-sites');
  assert.deepEqual(Object.keys(names).sort(), ['0', '1', '2', '3', '4'], JSON.stringify(names));
  for (const [id, name] of Object.entries(names)) assert.match(name, siteText('foreachRDD', `output ${id}`), `output ${id}`);
});

test('InputInfoTracker as Spark\'s: a batch\'s info holds only the input streams computed for it (ReceiverInputDStream.compute reports it): never one no output reads, a window\'s input only on the window\'s slide; numRecords their sum', () => {
  type Info = { batchTime: number; numRecords: number; streamIdToInputInfo: Record<string, { inputStreamId: number; numRecords: number }> };
  const r = cases.one<{ ids: Record<'every' | 'unused' | 'windowed', number>; everyTimes: number[]; windowTimes: number[]; infos: Info[] }>('input-info');
  assert.ok(r.infos.length >= 8, `${r.infos.length} batches`);
  const windowDue = new Set(r.windowTimes);
  for (const b of r.infos) {
    const ids = Object.keys(b.streamIdToInputInfo).map(Number).sort((x, y) => x - y);
    // Every batch has the first stream's output; the window's output runs on its slide only.
    assert.ok(r.everyTimes.includes(b.batchTime), `batch ${b.batchTime} ran the first output`);
    const want = [r.ids.every, ...(windowDue.has(b.batchTime) ? [r.ids.windowed] : [])].sort((x, y) => x - y);
    assert.deepEqual(ids, want, `batch ${b.batchTime} (window due: ${windowDue.has(b.batchTime)}): ${JSON.stringify(b)}`);
    for (const id of ids) assert.equal(b.streamIdToInputInfo[id].inputStreamId, id);
    assert.equal(b.numRecords, ids.reduce((n, id) => n + b.streamIdToInputInfo[id].numRecords, 0), JSON.stringify(b));
  }
  // The window slides every 2 batches: some batches had it, some not.
  assert.ok(r.infos.some((b) => windowDue.has(b.batchTime)) && r.infos.some((b) => !windowDue.has(b.batchTime)), JSON.stringify(r.windowTimes));
});

test('RateController as Spark\'s: backpressure estimates a receiver\'s rate from the batches\' input info, so a receiver stream no output reads gets none; the one read gets one (at least minRate 100)', () => {
  const r = cases.one<{ readRate: number | null; unreadRate: number | null; withRecords: number }>('rate-info');
  assert.ok(r.readRate !== null && r.readRate >= 100, JSON.stringify(r));
  assert.ok(r.withRecords >= 5, JSON.stringify(r));
  assert.equal(r.unreadRate, null, JSON.stringify(r));
});

