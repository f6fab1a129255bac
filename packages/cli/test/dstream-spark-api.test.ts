// The rest of Spark's streaming API, batch by batch on a manual clock, on 2 worker
// processes (fixture dstream-spark-api.ts). Expected values are computed here from the
// test's own input with Spark's documented semantics:
//  - saveAsObjectFiles(prefix, suffix): one directory `prefix-TIME_IN_MS[.suffix]` per
//    batch, read back by sc.objectFile as the batch's records, types and classes kept;
//    the part files are `SLUICEOBJ1\n\0` + v8.serialize(records of the partition).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import { after, before, test } from 'node:test';
import { fixture, withCluster, type JobRun } from './harness.js';

const BATCH_MS = 1000;
const NUM_BATCHES = 4;
const TIMES = Array.from({ length: NUM_BATCHES }, (_, i) => (i + 1) * BATCH_MS);
const idx = (t: number): number => t / BATCH_MS - 1;

const objects: unknown[][] = [
  [new Map<string, unknown>([['a', 1], ['b', [2, 3]]]), new Set(['x', 'y']), new Date(1_700_000_000_123), 12345678901234567890n],
  [],
  [Uint8Array.from([0, 255, 7]), ['tuple', [1, 'nested'], null], { plain: { deep: [undefined, NaN, -0] } }, 'naïve ✓'],
  [Number.MAX_SAFE_INTEGER, -1.5, true, new Map([[[1, 2], new Set([new Date(0)])]])],
];
const points: [number, number][][] = [[[3, 4], [6, 8]], [[5, 12]], [], [[8, 15], [0, 0], [1, 0]]];

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-dstream-spark-api-'));
const inputFile = path.join(tmp, 'inputs.v8');
fs.writeFileSync(inputFile, v8.serialize({ batchMs: BATCH_MS, numBatches: NUM_BATCHES, objects, points }));

const results = new Map<string, unknown>();
let run: JobRun | undefined;
let setupError: unknown;

before(async () => {
  try {
    await withCluster({ workers: 2 }, async (h) => {
      run = await h.run(fixture('dstream-spark-api.ts'), [inputFile, tmp]);
    });
    for (const l of run!.lines) {
      const d = /^D (\S+) (\S*)$/.exec(l);
      if (d) results.set(d[1], v8.deserialize(Buffer.from(d[2], 'base64')));
    }
  } catch (err) {
    setupError = err;
  }
});

after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function got<T = unknown>(name: string): T {
  if (setupError !== undefined) throw setupError;
  if (!results.has(name)) throw new Error(`no result for '${name}' (job ok: ${run?.ok}, failure: ${JSON.stringify(run?.failure)})\n${run?.lines.slice(-20).join('\n')}`);
  return results.get(name) as T;
}

test('the job ran every batch', () => {
  assert.deepEqual(got('status'), { ok: true, error: null });
});

test('saveAsObjectFiles: prefix-TIME.suffix per batch, read back by sc.objectFile with every type intact', () => {
  assert.deepStrictEqual(
    got('objectFiles'),
    TIMES.map((t) => [t, objects[idx(t)]]),
  );
  const dir = path.join(tmp, 'objects');
  assert.deepEqual(fs.readdirSync(dir).sort(), TIMES.map((t) => `out-${t}.obj`).sort());
  // The format, read here without Sluice: the magic, then v8.serialize of a partition's records.
  const MAGIC = Buffer.from('SLUICEOBJ1\n\0', 'latin1');
  for (const t of TIMES) {
    const names = fs.readdirSync(path.join(dir, `out-${t}.obj`)).sort();
    assert.ok(names.includes('_SUCCESS'), `out-${t}.obj has _SUCCESS`);
    const parts = names.filter((n) => n.startsWith('part-'));
    assert.equal(parts.length, objects[idx(t)].length ? 2 : 0, `out-${t}.obj: one part file per partition`);
    const records = parts.flatMap((n) => {
      const bytes = fs.readFileSync(path.join(dir, `out-${t}.obj`, n));
      assert.ok(bytes.subarray(0, MAGIC.length).equals(MAGIC), `${n} starts with the magic`);
      return v8.deserialize(bytes.subarray(MAGIC.length)) as unknown[];
    });
    assert.deepStrictEqual(records, objects[idx(t)]);
  }
});

test('saveAsObjectFiles without a suffix; instances of the job\'s classes come back as instances', () => {
  assert.deepEqual(fs.readdirSync(path.join(tmp, 'points')).sort(), TIMES.map((t) => `p-${t}`).sort());
  assert.deepEqual(
    got('pointFiles'),
    TIMES.map((t) => {
      const ps = points[idx(t)];
      return [t, { onWorkers: ps.map(([x, y]) => Math.hypot(x, y)), onDriver: ps.map(([x, y]) => [true, x, y]), partitions: ps.length ? 2 : 0 }];
    }),
  );
});

test('rdd.saveAsObjectFile onto an existing directory and sc.objectFile of text files are clear errors', () => {
  const existing = got<{ code: string; message: string }>('saveExisting');
  assert.equal(existing.code, 'SLUICE_IO');
  assert.match(existing.message, /saveAsObjectFile: output directory '.*existing' already exists/);
  const text = got<{ code: string; message: string }>('readText');
  assert.match(text.message, /sc\.objectFile: '.*text\/part-00000' is not an object file/);
});
