// A worker's reads of map outputs with partition-run checksums (spark.shuffle.checksum.enabled,
// as Spark's reader with spark.shuffle.detectCorrupt): a read that does not match is read once
// more, and a whole second read is used (the log says it was damaged in a read or transfer);
// damaged twice, the fetch fails naming the damaged map output (found among several), the
// shuffle, the reduce partition and the worker, and the log says where to look. With checksums
// off the client neither verifies nor refuses. The expected records are the ones written.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { pino } from 'pino';
import { MapOutputWriter, decodeShuffleFrames, encodeRun, placesOf, segmentRange } from '@sluice/core/internal';
import { IndexShuffleBlockResolver, type SegmentsRead } from '../../src/shuffle/index-shuffle-block-resolver.js';
import { ShuffleClient } from '../../src/shuffle/shuffle-client.js';
import { BlockManager } from '../../src/storage/block-manager.js';

/** A resolver whose next `damageReads` answers have one byte flipped (a read damaged on its way). */
class FlakyResolver extends IndexShuffleBlockResolver {
  damageReads = 0;
  reads = 0;
  override read(jobId: string, shuffleId: number, reduce: number, maps: ArrayLike<number>): SegmentsRead {
    this.reads++;
    const r = super.read(jobId, shuffleId, reduce, maps);
    if (!('data' in r) || this.damageReads <= 0 || r.data.length === 0) return r;
    this.damageReads--;
    const data = r.data.slice();
    data[data.length - 1] ^= 0x10; // the last checksum frame's CRC
    return { data };
  }
}

const M = 6;
const R = 3;
/** Map m writes [m, 'v' + m + '-' + r + '-' + i] (i < 3) to each reduce partition r. */
const recordsOf = (m: number, r: number): unknown[] => [0, 1, 2].map((i) => [m, `v${m}-${r}-${i}`]);

async function withClient(checksums: boolean, fn: (c: ShuffleClient, resolver: FlakyResolver, lines: string[], commit: (m: number, damage?: boolean) => void) => Promise<void>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-scc-'));
  const lines: string[] = [];
  const log = pino({ level: 'warn' }, { write: (s: string) => void lines.push(s) });
  const blocks = new BlockManager({ dir, memoryLimit: 1 << 20, log });
  const resolver = new FlakyResolver(blocks);
  const client = new ShuffleClient('w1', resolver, { secret: 'x'.repeat(32) }, log, undefined, checksums);
  const commit = (m: number, damage = false): void => {
    const recs: unknown[] = [];
    const parts: number[] = [];
    for (let r = 0; r < R; r++) for (const x of recordsOf(m, r)) (recs.push(x), parts.push(r));
    const w = new MapOutputWriter(R);
    w.addRun(encodeRun(recs, parts, recs.length, R, false, true));
    const out = w.finish();
    const data = out.data.slice();
    if (damage) {
      const { start, end } = segmentRange(out.index, 1);
      data[Math.floor((start + end) / 2)] ^= 0x04; // as a bit flipped on disk
    }
    resolver.commit('j', 4, m, out.index, data);
  };
  try {
    await fn(client, resolver, lines, commit);
  } finally {
    client.close();
    blocks.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const here = { workerId: 'w1', address: '127.0.0.1:1' };
const places = placesOf(Array.from({ length: M }, () => here));
const decoded = (framed: Uint8Array[]): unknown[] => {
  const out: unknown[] = [];
  for (const f of framed) decodeShuffleFrames(f, out);
  return out;
};

test('a read damaged once is read again and used whole; the log says it was damaged in a read', async () => {
  await withClient(true, async (client, resolver, lines, commit) => {
    for (let m = 0; m < M; m++) commit(m);
    resolver.damageReads = 1;
    const got = await client.fetch('j', 4, 1, places);
    assert.ok(got.ok, JSON.stringify(got));
    assert.deepEqual(decoded(got.framed), Array.from({ length: M }, (_, m) => recordsOf(m, 1)).flat());
    assert.equal(resolver.reads, 2, 'read twice');
    assert.ok(lines.some((l) => l.includes('does not match its checksum; reading it once more')), lines.join(''));
    assert.ok(lines.some((l) => l.includes('shuffle block read again whole: reduce partition 1 of shuffle 4 was damaged in a read')), lines.join(''));
    // A range read (fetchRange) the same way: partition 2's read damaged once.
    resolver.damageReads = 1;
    const range = await client.fetchRange('j', 4, 0, 3, places);
    assert.ok(range.ok, JSON.stringify(range));
    for (let r = 0; r < R; r++) assert.deepEqual(decoded(range.framed[r]), Array.from({ length: M }, (_, m) => recordsOf(m, r)).flat());
  });
});

test('a map output damaged where it is kept: the fetch fails naming it, the shuffle, the reduce partition and the worker, after one more read', async () => {
  await withClient(true, async (client, resolver, lines, commit) => {
    for (let m = 0; m < M; m++) commit(m, m === 4);
    // Partition 0 is whole in every map output.
    const whole = await client.fetch('j', 4, 0, places);
    assert.ok(whole.ok);
    resolver.reads = 0;
    const got = await client.fetch('j', 4, 1, places);
    assert.equal(got.ok, false);
    assert.ok(!got.ok);
    assert.equal(got.mapPartition, 4);
    assert.equal(got.workerId, 'w1');
    assert.match(got.message, /^shuffle block damaged: map output 4 of shuffle 4, reduce partition 1, on worker w1 does not match its checksum, read twice \(bytes \d+-\d+ do not match their checksum .*\): its bytes on that worker's disk or in its memory are damaged; the map output is computed again\. If this recurs, check worker w1's disk/);
    assert.ok(resolver.reads >= 2, 'read once more before failing');
    assert.ok(lines.some((l) => l.includes('"mapPartition":4') && l.includes('shuffle block damaged: map output 4 of shuffle 4')), lines.join(''));
  });
});

test('with checksums off the client neither verifies nor refuses: checksummed segments decode, a damaged one is not looked at', async () => {
  await withClient(false, async (client, resolver, _lines, commit) => {
    for (let m = 0; m < M; m++) commit(m);
    const got = await client.fetch('j', 4, 2, places);
    assert.ok(got.ok);
    assert.deepEqual(decoded(got.framed), Array.from({ length: M }, (_, m) => recordsOf(m, 2)).flat());
    resolver.reads = 0;
    resolver.damageReads = 1;
    assert.ok((await client.fetch('j', 4, 2, places)).ok);
    assert.equal(resolver.reads, 1, 'read once: nothing verified');
  });
});
