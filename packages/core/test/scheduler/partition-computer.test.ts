import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { captureClosure, reviveClosure } from '../../src/closure/index.js';
import type { ShippedFunction } from '../../src/closure/index.js';
import { decode, encode, encodeRecords } from '../../src/codec/codec.js';
import { encodeWalRecord, segmentFileName } from '../../src/wal/wal-segment.js';
import { SluiceError } from '../../src/errors.js';
import { compareKeys, keyId } from '../../src/rdd/key.js';
import { HashPartitioner, partitionFunction, type Partitioner } from '../../src/rdd/partitioner.js';
import { blockIdForRdd, type AggregatorSpec, type NodeOp, type Plan, type PlanNode, type ShuffleSpec, type StorageLevel } from '../../src/rdd/plan.js';
import { PartitionComputer } from '../../src/scheduler/partition-computer.js';
import { readLines } from '../../src/scheduler/read-lines.js';
import { runTask } from '../../src/scheduler/run-task.js';
import { segmentRange, splitFrames, type MapOutputFile } from '../../src/shuffle/map-output-file.js';
import { decodeShuffleFrame } from '../../src/shuffle/shuffle-frame.js';
import type { BlockRead, TaskEnv } from '../../src/scheduler/task-env.js';
import type { MapOutputLocation, TaskPayload } from '../../src/scheduler/task-spec.js';
import { mulberry32 } from '../support/prng.js';

// ---------------------------------------------------------------------------------------
// readLines

/** Characters of 1 to 4 UTF-8 bytes, so split points often fall inside a character. */
const ALPHABET = ['a', 'b', 'z', '0', ' ', '\t', 'é', 'ß', '€', '日', '本', '𝄞', '😀'];

function randomFile(rand: () => number): string {
  const lines = Math.floor(rand() * 12);
  let s = '';
  for (let i = 0; i < lines; i++) {
    const r = rand();
    const len = r < 0.25 ? 0 : r < 0.9 ? Math.floor(rand() * 8) : Math.floor(rand() * 120);
    for (let j = 0; j < len; j++) s += ALPHABET[Math.floor(rand() * ALPHABET.length)];
    const last = i === lines - 1;
    if (!last || rand() < 0.5) s += rand() < 0.3 ? '\r\n' : '\n';
  }
  return s;
}

/** The lines a text file holds: split on LF or CRLF; a final terminator does not start a line. */
function expectedLines(content: string): string[] {
  const lines = content.split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

async function readAllSplits(file: string, cuts: number[]): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i + 1 < cuts.length; i++) out.push(...(await readLines(file, cuts[i], cuts[i + 1])));
  return out;
}

describe('readLines', () => {
  let dir = '';
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-readlines-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('small cases', async () => {
    const file = path.join(dir, 'small.txt');
    fs.writeFileSync(file, 'ab\ncd\r\n\nef');
    assert.deepEqual(await readLines(file, 0, 11), ['ab', 'cd', '', 'ef']);
    assert.deepEqual(await readLines(file, 0, 1), ['ab']); // the line is read past `end`
    assert.deepEqual(await readLines(file, 1, 3), []); // starts inside 'ab'
    assert.deepEqual(await readLines(file, 3, 4), ['cd']); // starts exactly at a line start
    assert.deepEqual(await readLines(file, 4, 8), ['']); // the empty line starts at byte 7
    assert.deepEqual(await readLines(file, 8, 9), ['ef']);
    assert.deepEqual(await readLines(file, 9, 11), []);
    assert.deepEqual(await readLines(file, 5, 5), []);
    assert.deepEqual(await readLines(file, 11, 20), []);
    fs.writeFileSync(file, '');
    assert.deepEqual(await readLines(file, 0, 0), []);
    assert.deepEqual(await readLines(file, 0, 10), []);
  });

  test('a missing file is SLUICE_IO naming the file', async () => {
    const file = path.join(dir, 'nope.txt');
    await assert.rejects(readLines(file, 0, 10), (e: unknown) => e instanceof SluiceError && e.code === 'SLUICE_IO' && e.message.includes(file));
  });

  test('property: consecutive splits at random byte offsets yield every line exactly once, in order', async () => {
    const rand = mulberry32(20240601);
    const file = path.join(dir, 'random.txt');
    for (let c = 0; c < 400; c++) {
      const content = randomFile(rand);
      const bytes = Buffer.from(content, 'utf8');
      fs.writeFileSync(file, bytes);
      const size = bytes.length;
      let cuts: number[];
      if (c % 4 === 0) {
        // As sc.textFile cuts a file: equal goal-sized splits.
        const goal = 1 + Math.floor(rand() * Math.max(1, size));
        cuts = [0];
        for (let off = goal; off < size; off += goal) cuts.push(off);
        cuts.push(size);
      } else {
        const k = Math.floor(rand() * 8);
        const inner = Array.from({ length: k }, () => Math.floor(rand() * (size + 1)));
        cuts = [0, ...inner.sort((a, b) => a - b), size];
      }
      const got = await readAllSplits(file, cuts);
      assert.deepEqual(got, expectedLines(content), `case ${c}: ${JSON.stringify(content)} cut at ${cuts.join(',')}`);
    }
  });

  test('a line longer than the read-ahead chunk, split many times', async () => {
    const file = path.join(dir, 'long.txt');
    const long = 'x'.repeat(150_000) + '€'.repeat(30_000);
    const content = `first\r\n${long}\n\nmiddle\n${long}`;
    fs.writeFileSync(file, content);
    const size = Buffer.byteLength(content);
    for (const step of [1000, 65_536, 70_001, size]) {
      const cuts = [0];
      for (let off = step; off < size; off += step) cuts.push(off);
      cuts.push(size);
      assert.deepEqual(await readAllSplits(file, cuts), ['first', long, '', 'middle', long], `step ${step}`);
    }
  });
});

// ---------------------------------------------------------------------------------------
// runTask against a fake in-memory TaskEnv

// What the bundle does on a worker: a direct eval placed in the module's scope.
const evalInScope = (source: string): unknown => eval(source);

/** A worker that keeps map outputs and cached blocks in memory. */
class FakeTaskEnv implements TaskEnv {
  readonly jobId = 'job-test';
  /** `shuffleId/map` -> the map task's consolidated output. */
  readonly outputs = new Map<string, MapOutputFile>();
  readonly cached = new Map<string, Uint8Array>();
  revived = 0;

  revive(fn: ShippedFunction): Function {
    this.revived++;
    return reviveClosure(fn, evalInScope, () => {
      throw new Error('no shippables in these tests');
    });
  }

  async fetchShuffle(shuffleId: number, reducePartition: number, locations: readonly MapOutputLocation[]): Promise<Uint8Array[]> {
    // Segments as a worker gives them: whole frames, one buffer per map output.
    const out: Uint8Array[] = [];
    for (let m = 0; m < locations.length; m++) {
      const o = this.outputs.get(`${shuffleId}/${m}`);
      if (!o) continue;
      const { start, end } = segmentRange(o.index, reducePartition);
      out.push(o.data.subarray(start, end));
    }
    return out;
  }

  /** The encoded record arrays of one map output's segment for `reduce`. */
  frames(shuffleId: number, map: number, reduce: number): Uint8Array[] {
    const o = this.outputs.get(`${shuffleId}/${map}`);
    if (!o) return [];
    const { start, end } = segmentRange(o.index, reduce);
    return splitFrames(o.data.subarray(start, end));
  }

  /** Bytes of one map output's segment for `reduce`, counted from its frames: a 4-byte header each. */
  segmentBytes(shuffleId: number, map: number, reduce: number): number {
    return this.frames(shuffleId, map, reduce).reduce((n, f) => n + 4 + f.length, 0);
  }

  async getCached(blockId: string): Promise<Uint8Array | undefined> {
    return this.cached.get(blockId);
  }

  putCached(blockId: string, data: Uint8Array, _level: StorageLevel): void {
    this.cached.set(blockId, data);
  }

  async getBlock(blockId: string, _locations: readonly MapOutputLocation[]): Promise<BlockRead> {
    const data = this.cached.get(blockId);
    return data ? { data } : { misses: [] };
  }

  /** Decoded segments of one map output block. */
  block(shuffleId: number, map: number, reduce: number): [unknown, unknown][][] {
    return this.frames(shuffleId, map, reduce).map((s) => decodeShuffleFrame<[unknown, unknown]>(s));
  }
}

function node(id: number, numPartitions: number, op: NodeOp, parents: number[] = [], shuffleParents: number[] = [], storage: StorageLevel = 'NONE'): PlanNode {
  return { id, numPartitions, op, parents, shuffleParents, storage };
}

function plan(root: number, ...nodes: PlanNode[]): Plan {
  return { nodes: Object.fromEntries(nodes.map((n) => [n.id, n])), root };
}

const WORDS = ['apple', 'pear', 'fig', 'kiwi', 'plum', 'lime', 'date', 'yuzu'];

/** Map-side input: MAPS slices of words; each record becomes [key, 1] with string and tuple keys. */
function wordSlices(seed: number, maps: number, perSlice: number): string[][] {
  const rand = mulberry32(seed);
  return Array.from({ length: maps }, () => Array.from({ length: perSlice }, () => WORDS[Math.floor(rand() * WORDS.length)]));
}

/** [word, 1] for even-length words, [[word.length, word[0]], 1] (a tuple key) for the rest. */
const toPair = (w: string): [unknown, number] => (w.length % 2 === 0 ? [w, 1] : [[w.length, w[0]], 1]);

function expectedCounts(slices: string[][]): Map<unknown, number> {
  const m = new Map<unknown, number>();
  for (const w of slices.flat()) {
    const id = keyId(toPair(w)[0]);
    m.set(id, (m.get(id) ?? 0) + 1);
  }
  return m;
}

const SHUFFLE_ID = 3;
const REDUCES = 3;

function shuffleSpec(aggregator: AggregatorSpec | undefined, mapSideCombine: boolean, partitioner: Partitioner = HashPartitioner.of(REDUCES)): ShuffleSpec {
  return { shuffleId: SHUFFLE_ID, partitioner, aggregator, mapSideCombine };
}

/** The map stage: parallelize(slices).map(toPair). */
function mapPayload(slices: string[][], spec: ShuffleSpec): TaskPayload {
  const fn = captureClosure((w: string) => toPair(w), 'rdd.map');
  return {
    plan: plan(1, node(0, slices.length, { kind: 'parallelize', slices }), node(1, slices.length, { kind: 'map', fn }, [0])),
    kind: 'shuffleMap',
    shuffle: spec,
    mapOutputs: {},
  };
}

/** The reduce stage: a 'shuffled' node read by a collect. */
function reducePayload(spec: ShuffleSpec, maps: number, sort?: { ascending: boolean }): TaskPayload {
  const locations = Array.from({ length: maps }, (_, m) => ({ workerId: `w${m}`, address: `127.0.0.1:${7000 + m}` }));
  return {
    plan: plan(5, node(5, spec.partitioner.numPartitions, { kind: 'shuffled', shuffle: spec, sort }, [], [1])),
    kind: 'result',
    action: { kind: 'collect' },
    mapOutputs: { [SHUFFLE_ID]: locations },
  };
}

async function runMaps(env: FakeTaskEnv, slices: string[][], spec: ShuffleSpec, spillRecords?: number): Promise<number[][]> {
  const sizes: number[][] = [];
  for (let m = 0; m < slices.length; m++) {
    const out = await runTask(mapPayload(slices, spec), m, env, spillRecords === undefined ? {} : { spillRecords });
    assert.equal(out.kind, 'mapStatus');
    if (out.kind === 'mapStatus') {
      sizes.push(Array.from(out.sizes));
      env.outputs.set(`${spec.shuffleId}/${m}`, out.output);
    }
  }
  return sizes;
}

async function runReduces(env: FakeTaskEnv, spec: ShuffleSpec, maps: number, sort?: { ascending: boolean }): Promise<[unknown, unknown][][]> {
  const out: [unknown, unknown][][] = [];
  for (let r = 0; r < spec.partitioner.numPartitions; r++) {
    const res = await runTask(reducePayload(spec, maps, sort), r, env);
    assert.equal(res.kind, 'result');
    if (res.kind === 'result') out.push(res.value as [unknown, unknown][]);
  }
  return out;
}

function assertTotals(reduced: [unknown, unknown][][], want: Map<unknown, number>, partitioner: Partitioner): void {
  const part = partitionFunction(partitioner);
  const got = new Map<unknown, number>();
  reduced.forEach((records, r) => {
    for (const [k, v] of records) {
      assert.equal(part(k), r, `key ${String(keyId(k))} in reduce partition ${r}`);
      assert.ok(!got.has(keyId(k)), `key ${String(keyId(k))} emitted twice`);
      got.set(keyId(k), v as number);
    }
  });
  assert.deepEqual(got, want);
}

const sumFn = (): AggregatorSpec => ({ kind: 'reduce', fn: captureClosure((a: number, b: number) => a + b, 'rdd.reduceByKey') });

describe('runTask with a fake in-memory TaskEnv', () => {
  test('map-side combine writes one segment per non-empty reduce block, each key once, with partial sums', async () => {
    const env = new FakeTaskEnv();
    const slices = wordSlices(1, 2, 40);
    const spec = shuffleSpec(sumFn(), true);
    const sizes = await runMaps(env, slices, spec);
    const part = partitionFunction(spec.partitioner);
    for (let m = 0; m < slices.length; m++) {
      const want = expectedCounts([slices[m]]);
      const seen = new Map<unknown, number>();
      for (let r = 0; r < REDUCES; r++) {
        const segs = env.block(SHUFFLE_ID, m, r);
        assert.ok(segs.length <= 1, `map ${m} reduce ${r}: ${segs.length} segments`);
        const bytes = env.segmentBytes(SHUFFLE_ID, m, r);
        assert.equal(sizes[m][r], bytes, 'the map status reports the bytes written per reduce partition');
        for (const [k, v] of segs.flat()) {
          assert.equal(part(k), r);
          assert.ok(!seen.has(keyId(k)), 'combined: one record per key and map task');
          seen.set(keyId(k), v as number);
        }
      }
      assert.deepEqual(seen, want);
    }
    assertTotals(await runReduces(env, spec, slices.length), expectedCounts(slices), spec.partitioner);
  });

  test('with spillRecords = 3 a block gets several segments, and the reduce side still combines them', async () => {
    const env = new FakeTaskEnv();
    const slices = wordSlices(2, 3, 60);
    const spec = shuffleSpec(sumFn(), true);
    const sizes = await runMaps(env, slices, spec, 3);
    let multi = 0;
    for (let m = 0; m < slices.length; m++) {
      for (let r = 0; r < REDUCES; r++) {
        const segs = env.block(SHUFFLE_ID, m, r);
        if (segs.length > 1) multi++;
        for (const seg of segs) assert.ok(seg.length > 0 && seg.length <= 3, `a spilled segment holds at most spillRecords keys, got ${seg.length}`);
        const bytes = env.segmentBytes(SHUFFLE_ID, m, r);
        assert.equal(sizes[m][r], bytes);
      }
      // Partial sums over all segments of a map task still add up to its input.
      const perMap = new Map<unknown, number>();
      for (let r = 0; r < REDUCES; r++) for (const [k, v] of env.block(SHUFFLE_ID, m, r).flat()) perMap.set(keyId(k), (perMap.get(keyId(k)) ?? 0) + (v as number));
      assert.deepEqual(perMap, expectedCounts([slices[m]]));
    }
    assert.ok(multi >= REDUCES, `expected several segments per block, got ${multi} multi-segment blocks`);
    assertTotals(await runReduces(env, spec, slices.length), expectedCounts(slices), spec.partitioner);
  });

  test('without map-side combine the raw pairs are shuffled (spilled too) and combined on the reduce side', async () => {
    const env = new FakeTaskEnv();
    const slices = wordSlices(3, 2, 50);
    const spec = shuffleSpec(sumFn(), false);
    await runMaps(env, slices, spec, 4);
    let records = 0;
    for (let m = 0; m < slices.length; m++) for (let r = 0; r < REDUCES; r++) for (const seg of env.block(SHUFFLE_ID, m, r)) records += seg.length;
    assert.equal(records, 100, 'every input record is written');
    assertTotals(await runReduces(env, spec, slices.length), expectedCounts(slices), spec.partitioner);
  });

  test('groupByKey with map-side combine and spills: every value arrives once', async () => {
    const env = new FakeTaskEnv();
    const slices = wordSlices(4, 3, 30);
    const spec = shuffleSpec({ kind: 'group' }, true);
    await runMaps(env, slices, spec, 2);
    const reduced = await runReduces(env, spec, slices.length);
    const want = new Map<unknown, number>();
    for (const [id, n] of expectedCounts(slices)) want.set(id, n);
    const got = new Map<unknown, number>();
    for (const [k, vs] of reduced.flat()) {
      assert.ok(Array.isArray(vs) && vs.every((v) => v === 1));
      got.set(keyId(k), (vs as number[]).length);
    }
    assert.deepEqual(got, want);
  });

  test('a combineByKey with captured locals, and a sorted reduce side', async () => {
    const env = new FakeTaskEnv();
    const slices = wordSlices(5, 2, 40);
    const weight = 10;
    const spec = shuffleSpec(
      {
        kind: 'combine',
        createCombiner: captureClosure((v: number) => ({ n: v * weight }), 'combineByKey'),
        mergeValue: captureClosure((c: { n: number }, v: number) => ({ n: c.n + v * weight }), 'combineByKey'),
        mergeCombiners: captureClosure((a: { n: number }, b: { n: number }) => ({ n: a.n + b.n }), 'combineByKey'),
      },
      true,
    );
    await runMaps(env, slices, spec, 3);
    const reduced = await runReduces(env, spec, slices.length, { ascending: true });
    const want = new Map([...expectedCounts(slices)].map(([id, n]) => [id, { n: n * weight }]));
    const got = new Map(reduced.flat().map(([k, v]) => [keyId(k), v]));
    assert.deepEqual(got, want);
    for (const recs of reduced) {
      for (let i = 1; i < recs.length; i++) assert.ok(compareKeys(recs[i - 1][0], recs[i][0]) < 0, 'each reduce partition is sorted by key');
    }
  });

  test('a result task over a cached node stores the block once and reads it back', async () => {
    const env = new FakeTaskEnv();
    const double = captureClosure((x: number) => x * 2, 'rdd.map');
    const payload: TaskPayload = {
      plan: plan(1, node(0, 2, { kind: 'parallelize', slices: [[1, 2, 3], [4]] }), node(1, 2, { kind: 'map', fn: double }, [0], [], 'MEMORY_ONLY')),
      kind: 'result',
      action: { kind: 'collect' },
      mapOutputs: {},
    };
    assert.deepEqual(await runTask(payload, 0, env), { kind: 'result', value: [2, 4, 6] });
    assert.equal(env.cached.size, 1);
    const revivedBefore = env.revived;
    assert.deepEqual(await runTask(payload, 0, env), { kind: 'result', value: [2, 4, 6] });
    assert.equal(env.revived, revivedBefore, 'the cached block is used: the map function is not run again');
    assert.deepEqual(await new PartitionComputer(payload.plan, env, {}).collect(1, 1), [8]);
  });

  test('a cached partition held by another worker is read from there, not recomputed', async () => {
    const remote = new Map<string, Uint8Array>();
    const asked: string[] = [];
    const env = new (class extends FakeTaskEnv {
      override async getBlock(blockId: string, locations: readonly MapOutputLocation[]): Promise<BlockRead> {
        asked.push(`${blockId}@${locations.map((l) => l.workerId).join(',')}`);
        const data = remote.get(blockId);
        return data ? { data } : { misses: [] };
      }
    })();
    const boom = captureClosure((): number => {
      throw new Error('recomputed');
    }, 'rdd.map');
    const blockId = blockIdForRdd(env.jobId, 1, 0);
    remote.set(blockId, encode([7, 8, 9]));
    const payload: TaskPayload = {
      plan: plan(1, node(0, 1, { kind: 'parallelize', slices: [[1]] }), node(1, 1, { kind: 'map', fn: boom }, [0], [], 'MEMORY_ONLY')),
      kind: 'result',
      action: { kind: 'collect' },
      mapOutputs: {},
      cachedLocations: { [blockId]: [{ workerId: 'w-2', address: '127.0.0.1:2' }] },
    };
    assert.deepEqual(await runTask(payload, 0, env), { kind: 'result', value: [7, 8, 9] });
    assert.deepEqual(asked, [`${blockId}@w-2`]);
    // Without a known location the partition is recomputed (here: the map throws).
    await assert.rejects(runTask({ ...payload, cachedLocations: {} }, 0, env), /recomputed/);
  });

  test('a received block on no live worker is read from its place in the write-ahead log, only the records a batch takes', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-pc-wal-'));
    try {
      const file = path.join(dir, segmentFileName('w1', 0));
      const first = encodeWalRecord('input_j_0_w1_0', 2, encodeRecords(['x', 'y']));
      const second = encodeWalRecord('input_j_0_w1_1', 5, encodeRecords(['a', 'b', 'c', 'd', 'e']), 40);
      fs.writeFileSync(file, Buffer.concat([first, second]));
      const env = new (class extends FakeTaskEnv {
        override async getBlock(): Promise<BlockRead> {
          return { misses: ['w-1 (127.0.0.1:1): unreachable (connection refused)'] };
        }
      })();
      const wal = { path: file, offset: first.length, length: second.length };
      const locations = [{ workerId: 'w-1', address: '127.0.0.1:1' }];
      const run = (take?: [number, number][]): Promise<unknown> =>
        runTask({ plan: plan(0, node(0, 1, { kind: 'blocks', blocks: [{ blockId: 'input_j_0_w1_1', locations, wal, ...(take ? { take } : {}) }] })), kind: 'result', action: { kind: 'collect' }, mapOutputs: {} }, 0, env);
      assert.deepEqual(await run(), { kind: 'result', value: ['a', 'b', 'c', 'd', 'e'] });
      assert.deepEqual(await run([[0, 1], [3, 5]]), { kind: 'result', value: ['a', 'd', 'e'] });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a received block no worker can give: the error says what each one answered, and calls no live worker lost', async () => {
    const misses = ['w-1 (127.0.0.1:1): unreachable (connection refused)', 'w-2 (127.0.0.1:2): alive, but does not hold it (removed)'];
    const env = new (class extends FakeTaskEnv {
      override async getBlock(): Promise<BlockRead> {
        return { misses };
      }
    })();
    const locations = [
      { workerId: 'w-1', address: '127.0.0.1:1' },
      { workerId: 'w-2', address: '127.0.0.1:2' },
    ];
    const payload: TaskPayload = {
      plan: plan(0, node(0, 1, { kind: 'blocks', blocks: [{ blockId: 'input_j_0_x', locations }] })),
      kind: 'result',
      action: { kind: 'collect' },
      mapOutputs: {},
    };
    await assert.rejects(runTask(payload, 0, env), (err: SluiceError) => {
      assert.equal(err.code, 'SLUICE_WORKER_LOST');
      assert.ok(err.message.includes('input_j_0_x') && misses.every((m) => err.message.includes(m)), err.message);
      assert.doesNotMatch(err.message, /was lost/);
      return true;
    });
  });
});
