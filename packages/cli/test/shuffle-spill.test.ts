// Spill under real processes: workers started with a small --shuffle-spill-records write
// each map task's output in several segments (the map-side combine starts afresh after
// each spill), and the word count still equals the plain count computed here.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { CHECKSUM_FRAME_BYTES, CHECKSUM_TAG, decodeShuffleFrame } from '@sluice/core/internal';
import { blocksOn, fixture, jsonLine, mulberry32, startJob, within, withCluster } from './harness.js';

const SPILL_RECORDS = 40;
const SLICES = 4;
const REDUCES = 3;

test('map-side combine spills past --shuffle-spill-records on worker processes; the word count equals the plain count', { timeout: 120_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-spill-'));
  const input = path.join(dir, 'lines.txt');
  const stopFile = path.join(dir, 'stop');
  // 2,000 lines of 6 words from a vocabulary of 300: every slice has far more than
  // SPILL_RECORDS distinct words.
  const rand = mulberry32(606);
  const vocab = Array.from({ length: 300 }, (_, i) => `w${i}`);
  const lines = Array.from({ length: 2000 }, () => Array.from({ length: 6 }, () => vocab[Math.floor(rand() * vocab.length)]).join(' '));
  fs.writeFileSync(input, lines.join('\n') + '\n');
  const plain = new Map<string, number>();
  for (const l of lines) for (const w of l.split(' ')) plain.set(w, (plain.get(w) ?? 0) + 1);
  const want = [...plain].sort((a, b) => a[0].localeCompare(b[0]));
  const sorted = (kvs: [string, number][]): [string, number][] => [...kvs].sort((a, b) => a[0].localeCompare(b[0]));
  // parallelize's slice m is lines [m*len/n, (m+1)*len/n): its distinct words.
  const distinctIn = (m: number): number => new Set(lines.slice(Math.floor((m * lines.length) / SLICES), Math.floor(((m + 1) * lines.length) / SLICES)).flatMap((l) => l.split(' '))).size;

  try {
    await withCluster({ workers: 2, workerArgs: ['--shuffle-spill-records', String(SPILL_RECORDS)] }, async (h) => {
      const job = await startJob(h.cluster, fixture('spill-wordcount.ts'), [input, stopFile, String(SLICES)]);
      await job.waitLine('WAITING', 60_000);
      assert.deepEqual(sorted(jsonLine<[string, number][]>(job.lines, 'COUNTS ')), want, 'reduceByKey (map-side combine, spilled) equals the plain count');
      assert.deepEqual(sorted(jsonLine<[string, number][]>(job.lines, 'GROUPED ')), want, 'groupByKey (no combine, spilled) equals the plain count');

      // The word count's shuffle is the job's first (id 0): read its map outputs on the
      // workers, one block per map task (its index, then its data), and parse them here.
      const ids = Array.from({ length: SLICES }, (_, m) => `shuffle_${job.id}_0_${m}`);
      const blocks = new Map<string, Buffer[]>();
      for (const w of h.cluster.driver.registry.all()) for (const [id, segs] of await blocksOn(w.address, h.cluster.secret, ids)) blocks.set(id, segs);
      assert.equal(blocks.size, ids.length, `every map output is on a worker: ${[...blocks.keys()].join(', ')}`);
      for (let m = 0; m < SLICES; m++) {
        let records = 0;
        let segments = 0;
        let checksums = 0;
        const [index, data] = blocks.get(`shuffle_${job.id}_0_${m}`)!;
        assert.equal(index.length, (REDUCES + 1) * 8, `map ${m}: an index of ${REDUCES + 1} offsets`);
        assert.equal(Number(index.readBigUInt64LE(REDUCES * 8)), data.length, `map ${m}: the last offset is the data's length`);
        for (let r = 0; r < REDUCES; r++) {
          const end = Number(index.readBigUInt64LE((r + 1) * 8));
          for (let at = Number(index.readBigUInt64LE(r * 8)); at < end; ) {
            const len = data.readUInt32LE(at);
            if (len === CHECKSUM_FRAME_BYTES - 4 && data[at + 4] === CHECKSUM_TAG) {
              // The checksum frame after each spill's frame (spark.shuffle.checksum.enabled, on by default).
              checksums++;
              at += 4 + len;
              continue;
            }
            const recs = decodeShuffleFrame<[string, number]>(data.subarray(at + 4, at + 4 + len));
            at += 4 + len;
            assert.ok(recs.length <= SPILL_RECORDS, `a segment of map ${m} holds ${recs.length} records, more than the ${SPILL_RECORDS} buffered before a spill`);
            records += recs.length;
            segments++;
          }
        }
        // Without a spill, map-side combine writes each distinct word of the slice once.
        const distinct = distinctIn(m);
        assert.ok(segments > REDUCES, `map ${m} spilled: ${segments} segments over ${REDUCES} reduce blocks`);
        assert.equal(checksums, segments, `map ${m}: a checksum frame after each spill's frame`);
        assert.ok(records > distinct, `map ${m} wrote ${records} combined records for ${distinct} distinct words: it spilled and combined afresh`);
        assert.ok(records < lines.length * 6 / SLICES, `map ${m} still combined (${records} records for ${(lines.length * 6) / SLICES} words)`);
      }
      fs.writeFileSync(stopFile, '');
      const run = await within(job.done, 30_000, 'the job to end');
      assert.equal(run.ok, true, JSON.stringify(run.failure));
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a bad --shuffle-spill-records is refused with a message naming the option', { timeout: 30_000 }, async () => {
  const { runCli } = await import('./harness.js');
  const res = await runCli(['worker', '--driver', '127.0.0.1:1', '--shuffle-spill-records', '0'], { env: { SLUICE_SECRET: 'a'.repeat(32), SLUICE_SECRET_FILE: '' }, timeoutMs: 20_000 });
  assert.notEqual(res.code, 0);
  assert.equal(res.timedOut, false);
  assert.match(res.stderr, /shuffle-spill-records.*positive integer, got 0/);
});
