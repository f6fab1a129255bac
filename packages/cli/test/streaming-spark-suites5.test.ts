// Spark Streaming's DStreamScopeSuite and UIUtilsSuite as they show through the public API, and
// textFileStream / textFile over .bz2 files made by Debian's bzip2 (as Hadoop's BZip2Codec reads them), run
// on a real local cluster (a driver and 2 worker processes; fixture streaming-spark-suites5.ts,
// one StreamingContext after the other in one job). What each case expects is Spark's, from
// streaming/src/test/scala/org/apache/spark/streaming/{DStreamScopeSuite,ui/UIUtilsSuite}.scala
// and DStream.makeScope / RDDOperationScope / UIUtils, computed here from the inputs (times
// formatted by this file's own code), not from Sluice's code.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { UIUtils } from '@sluice/core';
import { runSparkCases, type SparkCaseRun } from './spark-case-run.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-sss5-'));
let cases: SparkCaseRun;
const one = (c: string): Record<string, unknown> => cases.one(c);

/** `lines` compressed by Debian's bzip2 (`-1`: 100 kB blocks). */
const bzip2 = (lines: readonly string[]): Buffer => execFileSync('bzip2', ['-1', '-c'], { input: lines.join('\n') + '\n', maxBuffer: 64 << 20 });

/**
 * Whether a bzip2 file's end-of-stream mark (48 bits) and CRC (32) end exactly on its last
 * byte, no padding: cut 10 bytes short it then ends where its last block ends, on a byte.
 */
function trailerUnpadded(b: Buffer): boolean {
  const mark = b.subarray(b.length - 10, b.length - 4);
  return mark.equals(Buffer.from([0x17, 0x72, 0x45, 0x38, 0x50, 0x90]));
}

const BLOCK_LINES = Array.from({ length: 40_000 }, (_, i) => `bz ${i} ${'x'.repeat(i % 7)}`);
const STREAM_A = Array.from({ length: 700 }, (_, i) => `a ${i}`);
const STREAM_B = Array.from({ length: 300 }, (_, i) => `b ${i}`);

before(async () => {
  const bz = path.join(tmp, 'bz2');
  fs.mkdirSync(bz);
  fs.writeFileSync(path.join(bz, 'plain.txt'), 'plain 0\nplain 1\n');
  const blocks = bzip2(BLOCK_LINES);
  assert.ok(blocks.length > 100_000 / 4, 'more than one 100 kB block of input');
  fs.writeFileSync(path.join(bz, 'blocks.bz2'), blocks);
  fs.writeFileSync(path.join(bz, 'two-streams.bz2'), Buffer.concat([bzip2(STREAM_A), bzip2(STREAM_B)]));
  fs.writeFileSync(path.join(bz, 'expected.json'), JSON.stringify(['plain 0', 'plain 1', ...BLOCK_LINES, ...STREAM_A, ...STREAM_B]));
  fs.writeFileSync(path.join(bz, 'half.bz2'), blocks.subarray(0, blocks.length >> 1));
  // A file whose last block ends on a byte: cut before its end-of-stream mark, it still reads as whole blocks.
  let n = 1;
  let f = bzip2([`cut ${n}`]);
  while (!trailerUnpadded(f)) f = bzip2(Array.from({ length: ++n }, (_, i) => `cut ${i}`));
  fs.writeFileSync(path.join(bz, 'at-block-end.bz2'), f.subarray(0, f.length - 10));
  cases = await runSparkCases('streaming-spark-suites5.ts', [tmp]);
});

after(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface Scope {
  id: string;
  name: string;
  parent?: Scope;
}

const two = (n: number): string => String(n).padStart(2, '0');
/** `HH:mm:ss` of `ms` in this process's time zone (the driver program's: same host, same environment). */
const clock = (ms: number): string => {
  const d = new Date(ms);
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
};

/** DStreamScopeSuite's assertScopeCorrect: the batch's scope is the base's id and name with the batch time, no parent. */
function assertScopeCorrect(base: Scope, scope: Scope, time: number): void {
  assert.equal(scope.id, `${base.id}_${time}`);
  assert.equal(scope.name.replaceAll('\n', ' '), `${base.name} @ ${clock(time)}`);
  // Spark's makeScope wraps a base name longer than 10 characters before the '@'.
  assert.equal(scope.name, `${base.name}${base.name.length > 10 ? '\n' : ' '}@ ${clock(time)}`);
  assert.equal(scope.parent, undefined);
}

const TIMES = [1000, 2000, 3000];

test('DStreamScopeSuite "input dstream without scope": an input stream\'s base scope is its maker\'s name and its id (text file stream [n], socket text stream [n]; Spark\'s queueStream names no scope, so its QueueInputDStream is queue stream [n]), no parent; each batch\'s RDD it makes is in it at that time; a queued RDD keeps its own scope', () => {
  const r = one('scopes') as { bases: { input: string; files: string; filesId: number; receiver: { base: string; id: number }; inputId: number }; perBatch: { time: number; input: Scope; files: Scope }[] };
  const files = JSON.parse(r.bases.files) as Scope;
  assert.equal(files.name, `text file stream [${r.bases.filesId}]`);
  assert.equal(files.parent, undefined);
  const queue = JSON.parse(r.bases.input) as Scope;
  assert.equal(queue.name, `queue stream [${r.bases.inputId}]`);
  assert.equal((JSON.parse(r.bases.receiver.base) as Scope).name, `socket text stream [${r.bases.receiver.id}]`);
  assert.deepEqual(r.perBatch.map((b) => b.time), TIMES);
  for (const b of r.perBatch) {
    assertScopeCorrect(files, b.files, b.time);
    // Spark's QueueInputDStream gives the queued RDD itself: made by sc.parallelize, outside the stream.
    assert.equal(b.input.name, 'parallelize');
  }
});

test('DStreamScopeSuite "scoping simple operations": map\'s and filter\'s streams are in scopes "map" and "filter"; their batches\' RDDs in "map @ HH:mm:ss" and "filter @ HH:mm:ss", ids <base id>_<time>; the RDDs have no name (as Spark\'s)', () => {
  const r = one('scopes') as { bases: { mapped: string; filtered: string }; perBatch: { time: number; mapped: Scope; filtered: Scope; filteredName: unknown }[] };
  const mapped = JSON.parse(r.bases.mapped) as Scope;
  const filtered = JSON.parse(r.bases.filtered) as Scope;
  assert.equal(mapped.name, 'map');
  assert.equal(filtered.name, 'filter');
  assert.notEqual(mapped.id, filtered.id);
  for (const b of r.perBatch) {
    assertScopeCorrect(mapped, b.mapped, b.time);
    assertScopeCorrect(filtered, b.filtered, b.time);
    assert.equal(b.filteredName, null);
  }
});

test('DStreamScopeSuite "scoping nested operations": every stream countByWindow makes shares its scope "countByWindow", and each batch\'s RDDs of all of them share that batch\'s scope', () => {
  const r = one('scopes') as { bases: { counted: string; chain: string[] }; perBatch: { time: number; chain: Scope[] }[] };
  const counted = JSON.parse(r.bases.counted) as Scope;
  assert.equal(counted.name, 'countByWindow');
  assert.ok(r.bases.chain.length >= 2, `countByWindow is made of more than one stream: ${JSON.stringify(r.bases.chain)}`);
  for (const b of r.bases.chain) assert.deepEqual(JSON.parse(b), counted);
  for (const b of r.perBatch) {
    assertScopeCorrect(counted, b.chain[0], b.time);
    for (const s of b.chain) assert.deepEqual(s, b.chain[0]);
  }
});

test('DStreamScopeSuite "transform should allow RDD operations to be captured in scopes": the RDD transform\'s function returns is in "reduceByKey", its parent "transform @ HH:mm:ss"', () => {
  const r = one('scopes') as { bases: { transformed: string }; perBatch: { time: number; transformed: Scope }[] };
  const base = JSON.parse(r.bases.transformed) as Scope;
  assert.equal(base.name, 'transform');
  for (const b of r.perBatch) {
    assert.equal(b.transformed.name, 'reduceByKey');
    assert.ok(b.transformed.parent !== undefined, JSON.stringify(b.transformed));
    assertScopeCorrect(base, b.transformed.parent, b.time);
  }
});

test('DStreamScopeSuite "foreachRDD should allow RDD operations to be captured in scope": an RDD made in foreachRDD is in "reduceByKey", its parent "foreachRDD @ HH:mm:ss" (one base scope for every batch); outside any operation an RDD has none', () => {
  const r = one('scopes') as { foreachMade: { time: number; scope: Scope }[]; foreachName: unknown; outside: unknown; outsideMap: Scope; bases: { input: string } };
  assert.deepEqual(r.foreachMade.map((m) => m.time), TIMES);
  const baseIds = new Set<string>();
  for (const m of r.foreachMade) {
    assert.equal(m.scope.name, 'reduceByKey');
    const parent = m.scope.parent!;
    assert.ok(parent !== undefined, JSON.stringify(m.scope));
    const baseId = parent.id.slice(0, -`_${m.time}`.length);
    assert.equal(parent.id, `${baseId}_${m.time}`);
    assertScopeCorrect({ id: baseId, name: 'foreachRDD' }, parent, m.time);
    baseIds.add(baseId);
  }
  assert.equal(baseIds.size, 1);
  assert.notEqual([...baseIds][0], (JSON.parse(r.bases.input) as Scope).id);
  assert.equal(r.foreachName, null);
  // sc.parallelize is an operation of its own (Spark's withScope) and map one more, outside any stream.
  assert.equal((r.outside as Scope).name, 'parallelize');
  assert.equal(r.outsideMap.name, 'map');
  assert.equal(r.outsideMap.parent, undefined);
});

// ---- UIUtilsSuite (pure functions: no cluster) ------------------------------------------------

test('UIUtilsSuite "shortTimeUnitString"', () => {
  assert.equal(UIUtils.shortTimeUnitString('NANOSECONDS'), 'ns');
  assert.equal(UIUtils.shortTimeUnitString('MICROSECONDS'), 'us');
  assert.equal(UIUtils.shortTimeUnitString('MILLISECONDS'), 'ms');
  assert.equal(UIUtils.shortTimeUnitString('SECONDS'), 'sec');
  assert.equal(UIUtils.shortTimeUnitString('MINUTES'), 'min');
  assert.equal(UIUtils.shortTimeUnitString('HOURS'), 'hrs');
  assert.equal(UIUtils.shortTimeUnitString('DAYS'), 'days');
  assert.throws(() => UIUtils.shortTimeUnitString('WEEKS' as never), (e: Error & { code?: string }) => e.code === 'SLUICE_BAD_ARGUMENT' && /unknown time unit "WEEKS"/.test(e.message));
});

test('UIUtilsSuite "normalizeDuration"', () => {
  const near = ([v, u]: [number, string], value: number, unit: string): void => {
    assert.ok(Math.abs(v - value) < 1e-6, `${v} is not ${value}`);
    assert.equal(u, unit);
  };
  near(UIUtils.normalizeDuration(900), 900, 'MILLISECONDS');
  near(UIUtils.normalizeDuration(1000), 1.0, 'SECONDS');
  near(UIUtils.normalizeDuration(60 * 1000), 1.0, 'MINUTES');
  near(UIUtils.normalizeDuration(60 * 60 * 1000), 1.0, 'HOURS');
  near(UIUtils.normalizeDuration(24 * 60 * 60 * 1000), 1.0, 'DAYS');
});

test('UIUtilsSuite "convertToTimeUnit"', () => {
  const near = (got: number, want: number): void => assert.ok(Math.abs(got - want) < 1e-6, `${got} is not ${want}`);
  near(UIUtils.convertToTimeUnit(60 * 1000, 'NANOSECONDS'), 60.0 * 1000 * 1000 * 1000);
  near(UIUtils.convertToTimeUnit(60 * 1000, 'MICROSECONDS'), 60.0 * 1000 * 1000);
  near(UIUtils.convertToTimeUnit(60 * 1000, 'MILLISECONDS'), 60 * 1000);
  near(UIUtils.convertToTimeUnit(60 * 1000, 'SECONDS'), 60);
  near(UIUtils.convertToTimeUnit(60 * 1000, 'MINUTES'), 1);
  near(UIUtils.convertToTimeUnit(60 * 1000, 'HOURS'), 1.0 / 60);
  near(UIUtils.convertToTimeUnit(60 * 1000, 'DAYS'), 1.0 / 60 / 24);
});

test('UIUtilsSuite "formatBatchTime": yyyy/MM/dd HH:mm:ss, .SSS under a 1 s interval, the time of day alone without the date; in a given time zone', () => {
  const tz = 'America/Los_Angeles';
  const batchTime = 1431637480452; // Thu May 14 14:04:40 PDT 2015
  assert.equal(UIUtils.formatBatchTime(batchTime, 1000, true, tz), '2015/05/14 14:04:40');
  assert.equal(UIUtils.formatBatchTime(batchTime, 999, true, tz), '2015/05/14 14:04:40.452');
  assert.equal(UIUtils.formatBatchTime(batchTime, 1000, false, tz), '14:04:40');
  assert.equal(UIUtils.formatBatchTime(batchTime, 999, false, tz), '14:04:40.452');
  // Without a zone, the process's own (Spark's: the JVM's default), here computed from Date's local fields.
  const d = new Date(batchTime);
  const two = (n: number): string => String(n).padStart(2, '0');
  assert.equal(UIUtils.formatBatchTime(batchTime, 1000), `${d.getFullYear()}/${two(d.getMonth() + 1)}/${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`);
  assert.equal(UIUtils.formatBatchTime(batchTime, 1000, true, 'UTC'), '2015/05/14 21:04:40');
  assert.equal(UIUtils.formatBatchTime(0, 500, true, 'UTC'), '1970/01/01 00:00:00.000');
  assert.throws(() => UIUtils.formatBatchTime(batchTime, 1000, true, 'Mars/Olympus'), (e: Error & { code?: string }) => e.code === 'SLUICE_BAD_ARGUMENT' && /unknown time zone "Mars\/Olympus"/.test(e.message));
});

test('Spark\'s (core) UIUtils.formatDuration and formatDurationVerbose, which the Streaming UI writes durations with', () => {
  const cases: [number, string][] = [[0, '0 ms'], [87, '87 ms'], [99, '99 ms'], [100, '0.1 s'], [950, '1.0 s'], [1000, '1 s'], [12_400, '12 s'], [59_000, '59 s'], [72_000, '1.2 min'], [9 * 60_000, '9.0 min'], [25 * 60_000, '25 min'], [90 * 60_000, '1.5 h']];
  for (const [ms, want] of cases) assert.equal(UIUtils.formatDuration(ms), want, `formatDuration(${ms})`);
  const second = 1000;
  const minute = 60 * second;
  const hour = 60 * minute;
  const day = 24 * hour;
  const week = 7 * day;
  const year = 365 * day;
  // Spark's strings, spaces and all: a unit at 0 leaves its place empty.
  const verbose: [number, string][] = [
    [500, '500 ms'],
    [second, '1 second '],
    [second + 200, '1 second 200 ms'],
    [2 * minute + 3 * second, '2 minutes 3 seconds'],
    [minute, '1 minute '],
    [hour + second, '1 hour  1 second'],
    [2 * day + 3 * hour + 4 * minute, '2 days 3 hours 4 minutes'],
    [week + day, '1 week 1 day '],
    // Spark takes the days modulo whole weeks of the whole duration: a year is 52 weeks and a day, so a year and 2 weeks shows a day.
    [year + 2 * week, '1 year 2 weeks 1 day'],
  ];
  for (const [ms, want] of verbose) assert.equal(UIUtils.formatDurationVerbose(ms), want, `formatDurationVerbose(${ms})`);
});

// ---- .bz2 text files (Hadoop's BZip2Codec) ---------------------------------------------------

test('textFileStream over .bz2 files made by bzip2, as Hadoop\'s TextInputFormat: a many-block file and two streams one after the other give their lines, beside a plain file; each line once. sc.textFile the same', () => {
  const { got, batch } = one('bzip2Files') as { got: string[]; batch: string[] };
  const expected = ['plain 0', 'plain 1', ...BLOCK_LINES, ...STREAM_A, ...STREAM_B];
  assert.equal(got.length, expected.length);
  assert.deepEqual([...got].sort(), [...expected].sort());
  assert.deepEqual(batch, [...STREAM_A, ...STREAM_B]);
});

for (const name of ['half.bz2', 'at-block-end.bz2']) {
  test(`textFileStream: a .bz2 file cut short (${name === 'half.bz2' ? 'in the middle' : 'just before its end-of-stream mark, where its last block ends'}) fails its batch naming the file; awaitTermination throws it`, () => {
    const { awaited, watched } = one(`bzip2Cut.${name}`) as { awaited: { ok: boolean; code?: string; message?: string }; watched: string };
    assert.equal(awaited.ok, false, JSON.stringify(awaited));
    assert.equal(awaited.code, 'SLUICE_TASK_FAILED', JSON.stringify(awaited));
    assert.ok(awaited.message?.includes(`textFileStream(${watched}): '${watched}/${name}' is not a whole bzip2 stream`), awaited.message);
  });
}
