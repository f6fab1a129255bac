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
import { userErrorInfo } from '../../src/util/user-error.js';
import { compareKeys, keyId } from '../../src/rdd/key.js';
import { HashPartitioner, partitionFunction, type Partitioner } from '../../src/rdd/partitioner.js';
import { blockIdForRdd, type AggregatorSpec, type NodeOp, type Plan, type PlanNode, type ShuffleSpec, type StorageLevel } from '../../src/rdd/plan.js';
import { PartitionComputer } from '../../src/scheduler/partition-computer.js';
import { ATTEMPTS_DIR } from '../../src/scheduler/local-part-file.js';
import { emitFileLines, readLines } from '../../src/scheduler/read-lines.js';
import { registerFileSystem } from '../../src/io/file-system-registry.js';
import type { FileSystem } from '../../src/io/file-system.js';
import { runTask } from '../../src/scheduler/run-task.js';
import { stageSharedPlan, TaskSlicesLookup, withTaskPart } from '../../src/scheduler/task-part.js';
import { segmentRange, splitFrames, type MapOutputFile } from '../../src/shuffle/map-output-file.js';
import { CHECKSUM_FRAME_BYTES } from '../../src/shuffle/shuffle-checksum.js';
import { decodeShuffleFrame } from '../../src/shuffle/shuffle-frame.js';
import type { BlockRead, DecodedRead, TaskEnv } from '../../src/scheduler/task-env.js';
import type { MapOutputLocation, TaskPayload } from '../../src/scheduler/task-spec.js';
import { mulberry32 } from '../support/prng.js';
import { refused } from '../support/fs-errors.js';

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

  test('property: read in chunks of 1 to 4096 bytes, decoded in pieces of 1 to 40, consecutive splits yield every line exactly once, in order', async () => {
    // textFile emits each read's lines before the next read: chunk edges fall inside
    // characters, CRLFs and lines, at a split's start and end, and past its end.
    const rand = mulberry32(20261202);
    const file = path.join(dir, 'chunked.txt');
    for (let c = 0; c < 150; c++) {
      const content = randomFile(rand);
      const bytes = Buffer.from(content, 'utf8');
      fs.writeFileSync(file, bytes);
      const k = Math.floor(rand() * 6);
      const cuts = [0, ...Array.from({ length: k }, () => Math.floor(rand() * (bytes.length + 1))).sort((a, b) => a - b), bytes.length];
      for (const chunkBytes of [1, 3, 64, 4096]) {
        // Each read's lines decoded in pieces of at most 1 to 40 bytes (a longer line alone).
        const decodeBytes = 1 + Math.floor(rand() * 40);
        const got: string[] = [];
        for (let i = 0; i + 1 < cuts.length; i++) await emitFileLines(file, cuts[i], cuts[i + 1], (l) => void got.push(l), { chunkBytes, decodeBytes });
        assert.deepEqual(got, expectedLines(content), `case ${c}, reads of ${chunkBytes}, pieces of ${decodeBytes}: ${JSON.stringify(content)} cut at ${cuts.join(',')}`);
      }
    }
  });

  test('chunked: what emit throws ends the read (the file is closed), and a file stream that shrank gives no line', async () => {
    const file = path.join(dir, 'stop.txt');
    fs.writeFileSync(file, 'a\nb\nc\nd\n');
    const seen: string[] = [];
    const stop = new Error('stop');
    await assert.rejects(
      emitFileLines(file, 0, 8, (l) => {
        seen.push(l);
        if (l === 'b') throw stop;
      }, { chunkBytes: 2 }),
      (e) => e === stop,
    );
    assert.deepEqual(seen, ['a', 'b']);
    // A stream's file listed at 12 bytes holding 8 now: the read fails before any line is given.
    const given: string[] = [];
    const stream = { directory: dir, ignoreMissingFiles: false };
    await assert.rejects(emitFileLines(file, 0, 12, (l) => void given.push(l), { stream, chunkBytes: 2 }), (e: unknown) => e instanceof SluiceError && e.code === 'SLUICE_IO' && /shrank from 12 to 8/.test(e.message));
    assert.deepEqual(given, []);
    // A stream's file grown past its listed size: exactly [0, end), the last line unfinished as it was then.
    assert.deepEqual(await readLines(file, 0, 5, stream), ['a', 'b', 'c']);
  });

  test('a file on a registered file system is read with one request a split (and one past its end), not a request per 1 MiB', async () => {
    // Each read of a registered FileSystem is a request (s3: a ranged GET).
    const data = Buffer.from(Array.from({ length: 50_000 }, (_, i) => `line ${i} ${'x'.repeat(i % 90)}`).join('\n') + '\n');
    const reads: [number, number][] = [];
    const memFs = {
      check: () => undefined,
      open: async () => ({
        read: async (buffer: Uint8Array, offset: number, length: number, position: number) => {
          reads.push([position, length]);
          const n = Math.max(0, Math.min(length, data.length - position));
          buffer.set(data.subarray(position, position + n), offset);
          return { bytesRead: n };
        },
        close: async () => undefined,
      }),
    } as unknown as FileSystem;
    registerFileSystem('memtest', memFs, 'partition-computer.test');
    const half = Math.floor(data.length / 2);
    assert.ok(data.length > 2 * 1024 * 1024, 'the file is over 2 MiB');
    const got = [...(await readLines('memtest://f', 0, half)), ...(await readLines('memtest://f', half, data.length))];
    assert.deepEqual(got, expectedLines(data.toString('utf8')));
    assert.ok(reads.length <= 4, `${reads.length} reads for 2 splits: ${JSON.stringify(reads)}`);
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

  /** Bytes of one map output's segment for `reduce`, counted from its frames: a 4-byte header each, and a checksum frame after each (runTask's default; a frame a spill here). */
  segmentBytes(shuffleId: number, map: number, reduce: number): number {
    return this.frames(shuffleId, map, reduce).reduce((n, f) => n + 4 + f.length + CHECKSUM_FRAME_BYTES, 0);
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

  test("a part file whose rename is refused reports the rename's error, though its temporary file cannot be removed either", async () => {
    // A directory made read-only between the temporary file's write and its rename: the rename
    // and the clean-up both fail with EACCES. The rename's error is the one to act on (the
    // clean-up's 'unlink' replaced it, as a checkpoint write's did in a fresh-clone CI).
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-part-refused-'));
    // The folder the task attempts write in, which the save's job makes with its directory.
    fs.mkdirSync(path.join(dir, ATTEMPTS_DIR));
    const { rename, rm } = fs.promises;
    fs.promises.rename = (async (from: fs.PathLike) => Promise.reject(refused('rename', String(from)))) as typeof rename;
    fs.promises.rm = (async (p: fs.PathLike) => Promise.reject(refused('unlink', String(p)))) as typeof rm;
    try {
      const payload: TaskPayload = {
        plan: plan(0, node(0, 1, { kind: 'parallelize', slices: [['a', 'b']] })),
        kind: 'result',
        action: { kind: 'saveAsTextFile', dir },
        mapOutputs: {},
      };
      await assert.rejects(runTask(payload, 0, new FakeTaskEnv()), (err: Error) => {
        assert.ok(err.message.startsWith(`cannot write '${path.join(dir, 'part-00000')}': EACCES: permission denied, rename '`), err.message);
        assert.doesNotMatch(err.message, /unlink/, err.message);
        // The fix other refused writes give: the directory, the user this (worker) process runs as, what to do.
        const uid = process.getuid?.();
        if (uid !== undefined) assert.ok(err.message.includes(`'${dir}' is not writable by user ${os.userInfo().username} (uid ${uid})`), err.message);
        assert.match(err.message, /give saveAsTextFile a directory that user can write \(workers may run as another user than the driver\)$/, err.message);
        return true;
      });
    } finally {
      fs.promises.rename = rename;
      fs.promises.rm = rm;
      fs.rmSync(dir, { recursive: true, force: true });
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

  test('a cached partition of many chunks (record-chunks.ts) is read back whole and in order by each later task, compressed or not', async () => {
    for (const compressed of [false, true]) {
      const env = new FakeTaskEnv();
      const n = 2500;
      const input = Array.from({ length: n }, (_, i) => i);
      const toRecord = captureClosure((i: number) => ({ i, s: `r${i}`, m: new Map([[i, [i, -i]]]) }), 'rdd.map');
      const mapNode = { ...node(1, 1, { kind: 'map', fn: toRecord }, [0], [], 'MEMORY_ONLY'), ...(compressed ? { compressed: true } : {}) };
      const payload: TaskPayload = { plan: plan(1, node(0, 1, { kind: 'parallelize', slices: [input] }), mapNode), kind: 'result', action: { kind: 'collect' }, mapOutputs: {} };
      const want = input.map((i) => ({ i, s: `r${i}`, m: new Map([[i, [i, -i]]]) }));
      assert.deepEqual(await runTask(payload, 0, env), { kind: 'result', value: want });
      const block = env.cached.get(blockIdForRdd(env.jobId, 1, 0));
      assert.ok(block !== undefined);
      assert.equal(block[0], compressed ? 0x04 : 0xc5, compressed ? 'an LZ4 frame' : 'chunked');
      const revivedBefore = env.revived;
      for (let k = 0; k < 2; k++) assert.deepEqual(await runTask(payload, 0, env), { kind: 'result', value: want }, `read ${k + 1} from the cache`);
      assert.equal(env.revived, revivedBefore, 'read from the cache: the map function is not run again');
    }
  });

  test("count over a partition the thread keeps decoded reads none of its records (no copy made), and the actions that see them get copies", async () => {
    // A thread that keeps a deserialized level's partition at its second read, as task-thread.ts's.
    const kept = new Map<string, { readonly records: readonly unknown[]; readonly blockBytes: number }>();
    const readBefore = new Set<string>();
    const env = new (class extends FakeTaskEnv {
      override async getCached(blockId: string): Promise<Uint8Array | undefined> {
        const data = await super.getCached(blockId);
        if (data !== undefined) readBefore.add(blockId);
        return data;
      }
      decodedCached(blockId: string): DecodedRead {
        return kept.get(blockId) ?? { keep: readBefore.has(blockId) };
      }
      keepDecoded(blockId: string, records: readonly unknown[], blockBytes: number): void {
        kept.set(blockId, { records, blockBytes });
      }
    })();
    const toRecord = captureClosure((i: number) => ({ i, s: `r${i}` }), 'rdd.map');
    const cachedNode: PlanNode = { ...node(1, 1, { kind: 'map', fn: toRecord }, [0], [], 'MEMORY_ONLY'), deserialized: true };
    const payload = (action: TaskPayload['action']): TaskPayload => ({ plan: plan(1, node(0, 1, { kind: 'parallelize', slices: [[1, 2, 3]] }), cachedNode), kind: 'result', action, mapOutputs: {} });
    const want = [1, 2, 3].map((i) => ({ i, s: `r${i}` }));
    // Computed and stored, read from the block, read again and kept.
    for (const k of [0, 1, 2]) assert.deepEqual(await runTask(payload({ kind: 'collect' }), 0, env), { kind: 'result', value: want }, `read ${k}`);
    const blockId = blockIdForRdd(env.jobId, 1, 0);
    assert.deepEqual(kept.get(blockId)?.records, want, 'kept at the second read from the block');
    // The kept records, each field a getter that counts its reads: a copy (an object spread) reads every one.
    let reads = 0;
    kept.set(blockId, { blockBytes: kept.get(blockId)!.blockBytes, records: want.map(({ i, s }) => ({
      get i(): number {
        reads++;
        return i;
      },
      get s(): string {
        reads++;
        return s;
      },
    })) });
    assert.deepEqual(await runTask(payload({ kind: 'count' }), 0, env), { kind: 'result', value: 3 });
    assert.equal(reads, 0, 'count copies no record');
    const collected = await runTask(payload({ kind: 'collect' }), 0, env);
    assert.deepEqual(collected, { kind: 'result', value: want });
    assert.equal(reads, 6, 'collect is given copies: each field of each record read once');
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

  test("a task's part given apart (runTask's part, as task threads run it): its slices at any index, read by scan or by map, and its cached blocks' places", async () => {
    const env = new FakeTaskEnv();
    const n = 2000;
    const data = Array.from({ length: n }, (_, i) => [i * 10, i * 10 + 1]);
    const whole = plan(1, node(0, n, { kind: 'parallelize', slices: data }), node(1, n, { kind: 'map', fn: captureClosure((x: number) => x + 1, 'rdd.map') }, [0]));
    const shared: TaskPayload = { plan: stageSharedPlan(whole), kind: 'result', action: { kind: 'collect' }, mapOutputs: {} };
    for (const p of [0, 1, 1024, 1025, 1999]) {
      const want = data[p].map((x) => x + 1);
      assert.deepEqual(await runTask(shared, p, env, { part: { slices: [0, p, data[p]] } }), { kind: 'result', value: want }, `partition ${p}`);
      assert.deepEqual(await runTask(withTaskPart(shared, { slices: [0, p, data[p]] }), p, env), { kind: 'result', value: want });
    }
    // A part without the slice reads none (as the shared plan's empty slices).
    assert.deepEqual(await runTask(shared, 7, env, { part: { slices: [0, 8, data[8]] } }), { kind: 'result', value: [] });
    // Many slices (a coalesce's or a union's task): looked up through a map; every one found, none invented.
    const flat: unknown[] = [];
    for (let i = 0; i < 40; i++) flat.push(i % 3, 1500 + i, `s${i}`);
    for (const f of [flat, flat.slice(0, 3 * 5)]) {
      const lookup = new TaskSlicesLookup(f);
      for (let i = 0; i < f.length / 3; i++) assert.equal(lookup.slice(i % 3, 1500 + i), `s${i}`);
      assert.equal(lookup.slice(0, 1501), undefined, 'node 0 does not carry slice 1501 (node 1 does)');
      assert.equal(lookup.slice(3, 1500), undefined);
    }
    // The cached blocks' places from the part: read from the worker named there.
    const blockId = blockIdForRdd(env.jobId, 1, 0);
    const asked: string[] = [];
    const remoteEnv = new (class extends FakeTaskEnv {
      override async getBlock(id: string, locations: readonly MapOutputLocation[]): Promise<BlockRead> {
        asked.push(`${id}@${locations.map((l) => l.workerId).join(',')}`);
        return { data: encode([5, 6]) };
      }
    })();
    const cachedPlan = plan(1, node(0, 1, { kind: 'parallelize', slices: [] }), node(1, 1, { kind: 'map', fn: captureClosure((x: number) => x, 'rdd.map') }, [0], [], 'MEMORY_ONLY'));
    const part = { slices: [0, 0, [1]], cachedLocations: { [blockId]: [{ workerId: 'w-9', address: '127.0.0.1:9' }] } };
    assert.deepEqual(await runTask({ plan: cachedPlan, kind: 'result', action: { kind: 'collect' }, mapOutputs: {} }, 0, remoteEnv, { part }), { kind: 'result', value: [5, 6] });
    assert.deepEqual(asked, [`${blockId}@w-9`]);
  });

  test('a cached partition its known holder can no longer give is recomputed from lineage and cached here, never read as empty', async () => {
    const env = new (class extends FakeTaskEnv {
      override async getBlock(): Promise<BlockRead> {
        return { misses: ['w-2 (127.0.0.1:2): alive, but does not hold it (evicted)'] };
      }
    })();
    const triple = captureClosure((x: number): number => x * 3, 'rdd.map');
    const input = [4, 5, 6, 7];
    const blockId = blockIdForRdd(env.jobId, 1, 0);
    const payload: TaskPayload = {
      plan: plan(1, node(0, 1, { kind: 'parallelize', slices: [input] }), node(1, 1, { kind: 'map', fn: triple }, [0], [], 'MEMORY_ONLY')),
      kind: 'result',
      action: { kind: 'collect' },
      mapOutputs: {},
      cachedLocations: { [blockId]: [{ workerId: 'w-2', address: '127.0.0.1:2' }] },
    };
    assert.deepEqual(await runTask(payload, 0, env), { kind: 'result', value: input.map((x) => x * 3) });
    assert.ok(env.revived > 0, 'recomputed: the map function was revived to run');
    assert.equal(env.cached.size, 1, 'the recomputed partition is cached on this worker');
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
      // What to do about it (user58: a kill -9 of a receiver's only holder failed the job saying where, not what to do).
      assert.match(err.message, /; with the write-ahead log off, a received block is kept only on its receiver's worker and one replica: turn on the StreamingContext option writeAheadLog \(with ssc\.checkpoint\) for input that must outlive losing both$/);
      return true;
    });
  });
});

// ---------------------------------------------------------------------------------------
// Fused narrow pipelines (narrow-pipeline.ts): a chain of per-record operators runs as one
// generated function, into an emit or straight into a map-side combine's table.

/** Calls of the user functions below, by name: module-level, so revived functions (evaluated in this module) count here. */
const calls: Record<string, number> = {};
const count = (name: string): void => void (calls[name] = (calls[name] ?? 0) + 1);
/** Set by an infinite generator's finally block: the pipeline closed it. */
const closed: string[] = [];

const ship = (f: Function, op: string): ShippedFunction => captureClosure(f, `rdd.${op}`);

/** Seeded random text: words of 1-4 UTF-8 byte characters, blank lines, runs of spaces (empty words), CRLF. */
function randomText(seed: number, lines: number): string {
  const rand = mulberry32(seed);
  const vocab = ['a', 'bb', 'é', 'naïve', '日本', '𝄞x', '😀', 'Straße', 'w1', 'w2', 'w3', 'zz'];
  let s = '';
  for (let i = 0; i < lines; i++) {
    const n = rand() < 0.1 ? 0 : Math.floor(rand() * 15);
    const words: string[] = [];
    for (let j = 0; j < n; j++) words.push(rand() < 0.05 ? '' : vocab[Math.floor(rand() * vocab.length)]);
    s += words.join(' ') + (rand() < 0.2 ? '\r\n' : '\n');
  }
  return s;
}

/** textFile splits as sc.textFile cuts a file: `n` equal byte ranges. */
function textSplits(file: string, n: number): { file: string; start: number; end: number }[] {
  const size = fs.statSync(file).size;
  return Array.from({ length: n }, (_, i) => ({ file, start: Math.floor((size * i) / n), end: Math.floor((size * (i + 1)) / n) }));
}

describe('fused narrow pipelines', () => {
  let dir = '';
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-fused-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('word count through textFile, flatMap, filter, map and the map-side combine equals an independent count (unicode, blank lines, 13 splits)', async () => {
    const text = randomText(77, 3000);
    const file = path.join(dir, 'words.txt');
    fs.writeFileSync(file, text);
    // Independent: every line's words, '' dropped, counted.
    const want = new Map<string, number>();
    const wantPairs: [string, number][] = [];
    for (const line of text.split(/\r?\n/).slice(0, -1)) {
      for (const w of line.split(' ')) {
        if (w === '') continue;
        want.set(w, (want.get(w) ?? 0) + 1);
        wantPairs.push([w, 1]);
      }
    }
    const splits = textSplits(file, 13);
    const chain = (root: number): Plan =>
      plan(
        root,
        node(0, splits.length, { kind: 'textFile', splits }),
        node(1, splits.length, { kind: 'flatMap', fn: ship((line: string) => line.split(' '), 'flatMap') }, [0]),
        node(2, splits.length, { kind: 'filter', fn: ship((w: string) => w !== '', 'filter') }, [1]),
        node(3, splits.length, { kind: 'map', fn: ship((w: string) => [w, 1], 'map') }, [2]),
      );
    const env = new FakeTaskEnv();
    // Every record in order, through the emit sink.
    const collected: unknown[] = [];
    for (let s = 0; s < splits.length; s++) {
      const r = await runTask({ plan: chain(3), kind: 'result', action: { kind: 'collect' }, mapOutputs: {} }, s, env);
      collected.push(...(r.kind === 'result' ? (r.value as unknown[]) : []));
    }
    assert.deepEqual(collected, wantPairs);
    // The combine sink (and spills of 5 keys): map outputs hold each split's partial sums.
    for (const spill of [undefined, 5]) {
      const spec = shuffleSpec(sumFn(), true, HashPartitioner.of(7));
      const got = new Map<string, number>();
      for (let s = 0; s < splits.length; s++) {
        const out = await runTask({ plan: chain(3), kind: 'shuffleMap', shuffle: spec, mapOutputs: {} }, s, env, spill === undefined ? {} : { spillRecords: spill });
        assert.equal(out.kind, 'mapStatus');
        if (out.kind !== 'mapStatus') continue;
        env.outputs.set(`${SHUFFLE_ID}/${s}`, out.output);
        for (let r = 0; r < 7; r++) for (const [k, v] of env.block(SHUFFLE_ID, s, r).flat()) got.set(k as string, (got.get(k as string) ?? 0) + (v as number));
      }
      assert.deepEqual(got, want, `spill ${spill}`);
    }
  });

  test('take stops early: each user function is called no more than the records the taken ones needed', async () => {
    for (const k of Object.keys(calls)) delete calls[k];
    const env = new FakeTaskEnv();
    const records = Array.from({ length: 1000 }, (_, i) => i);
    const payload = (n: number): TaskPayload => ({
      plan: plan(
        3,
        node(0, 1, { kind: 'parallelize', slices: [records] }),
        node(1, 1, { kind: 'map', fn: ship((x: number) => (count('map'), x * 10), 'map') }, [0]),
        node(2, 1, { kind: 'flatMap', fn: ship((x: number) => (count('flatMap'), [x, x + 1, x + 2]), 'flatMap') }, [1]),
        node(3, 1, { kind: 'filter', fn: ship((x: number) => (count('filter'), x % 2 === 0), 'filter') }, [2]),
      ),
      kind: 'result',
      action: { kind: 'take', n },
      mapOutputs: {},
    });
    // Record i gives 10i, 10i+1, 10i+2; the even ones pass: 2 per input record.
    assert.deepEqual(await runTask(payload(5), 0, env), { kind: 'result', value: [0, 2, 10, 12, 20] });
    assert.deepEqual(calls, { map: 3, flatMap: 3, filter: 7 });
    // An infinite generator from flatMap: pulled one record at a time, and closed when take stops.
    const gen = ship(function* (x: number) {
      try {
        for (let i = 0; ; i++) yield `${x}.${i}`;
      } finally {
        closed.push(`closed ${x}`);
      }
    }, 'flatMap');
    const infinite: TaskPayload = {
      plan: plan(1, node(0, 1, { kind: 'parallelize', slices: [records] }), node(1, 1, { kind: 'flatMap', fn: gen }, [0])),
      kind: 'result',
      action: { kind: 'take', n: 4 },
      mapOutputs: {},
    };
    assert.deepEqual(await runTask(infinite, 0, env), { kind: 'result', value: ['0.0', '0.1', '0.2', '0.3'] });
    assert.deepEqual(closed, ['closed 0']);
  });

  test('filter and flatMap that return nothing: no record reaches the sink, the map output is empty', async () => {
    const env = new FakeTaskEnv();
    const nums = Array.from({ length: 200 }, (_, i) => i);
    const chain = plan(
      3,
      node(0, 1, { kind: 'parallelize', slices: [nums] }),
      node(1, 1, { kind: 'flatMap', fn: ship((x: number) => (x % 3 === 0 ? [] : x % 3 === 1 ? new Set<number>() : [x]), 'flatMap') }, [0]),
      node(2, 1, { kind: 'filter', fn: ship(() => false, 'filter') }, [1]),
      node(3, 1, { kind: 'keyBy', fn: ship((x: number) => x, 'keyBy') }, [2]),
    );
    assert.deepEqual(await runTask({ plan: chain, kind: 'result', action: { kind: 'count' }, mapOutputs: {} }, 0, env), { kind: 'result', value: 0 });
    const out = await runTask({ plan: chain, kind: 'shuffleMap', shuffle: shuffleSpec(sumFn(), true), mapOutputs: {} }, 0, env);
    assert.equal(out.kind, 'mapStatus');
    if (out.kind === 'mapStatus') assert.deepEqual(Array.from(out.sizes), [0, 0, 0]);
    // Without the filter: what flatMap keeps (x % 3 === 2) arrives once each, keyed.
    const kept = plan(2, chain.nodes[0]!, chain.nodes[1]!, node(2, 1, { kind: 'keyBy', fn: ship((x: number) => -x, 'keyBy') }, [1]));
    const r = await runTask({ plan: kept, kind: 'result', action: { kind: 'collect' }, mapOutputs: {} }, 0, env);
    assert.deepEqual(r, { kind: 'result', value: nums.filter((x) => x % 3 === 2).map((x) => [-x, x]) });
  });

  test('a user function that throws mid-partition: its error comes out as thrown, after exactly the records before it', async () => {
    for (const k of Object.keys(calls)) delete calls[k];
    const env = new FakeTaskEnv();
    const bad = ship((w: string) => {
      count('pair');
      if (w === 'w7') throw new RangeError(`cannot pair the word ${w}`);
      return [w, 1];
    }, 'map');
    const words = Array.from({ length: 20 }, (_, i) => `w${i}`);
    const p: TaskPayload = {
      plan: plan(2, node(0, 1, { kind: 'parallelize', slices: [words] }), node(1, 1, { kind: 'map', fn: ship((w: string) => w, 'map') }, [0]), node(2, 1, { kind: 'map', fn: bad }, [1])),
      kind: 'shuffleMap',
      shuffle: shuffleSpec(sumFn(), true),
      mapOutputs: {},
    };
    await assert.rejects(runTask(p, 0, env), (err: Error) => {
      assert.ok(err instanceof RangeError, `the user's own error, got ${err.name}`);
      assert.equal(err.message, 'cannot pair the word w7');
      // What the worker sends back (userErrorInfo) keeps the user's frame and drops the generated one.
      const info = userErrorInfo(err);
      assert.equal(info.code, 'SLUICE_TASK_FAILED');
      assert.doesNotMatch(info.stack, /sluiceNarrowPipeline/);
      return true;
    });
    assert.equal(calls.pair, 8, 'records w0..w7 were paired, none after the throw');
  });

  test("a flatMap function that returns something not iterable is a clear error naming the operator's call site", async () => {
    const env = new FakeTaskEnv();
    const fn = captureClosure((x: number) => (x === 3 ? undefined : [x]), 'rdd.flatMap', 'job.ts:12:3');
    const p: TaskPayload = { plan: plan(1, node(0, 1, { kind: 'parallelize', slices: [[1, 2, 3, 4]] }), node(1, 1, { kind: 'flatMap', fn }, [0])), kind: 'result', action: { kind: 'collect' }, mapOutputs: {} };
    await assert.rejects(runTask(p, 0, env), (err: SluiceError) => {
      assert.equal(err.code, 'SLUICE_BAD_RECORD');
      assert.match(err.message, /rdd\.flatMap \(job\.ts:12:3\): its function returned undefined, which is not iterable/);
      return true;
    });
  });

  test('mapPartitions with generators between fused chains', async () => {
    for (const k of Object.keys(calls)) delete calls[k];
    const env = new FakeTaskEnv();
    const nums = Array.from({ length: 50 }, (_, i) => i);
    const chain = plan(
      4,
      node(0, 2, { kind: 'parallelize', slices: [nums.slice(0, 25), nums.slice(25)] }),
      node(1, 2, { kind: 'map', fn: ship((x: number) => (count('below'), x + 1), 'map') }, [0]),
      node(
        2,
        2,
        {
          kind: 'mapPartitions',
          withIndex: true,
          fn: ship(function* (index: number, it: Iterator<number>) {
            let sum = 0;
            for (let r = it.next(); !r.done; r = it.next()) {
              sum += r.value;
              if (r.value % 5 === 0) yield r.value;
            }
            yield `p${index}:${sum}`;
          }, 'mapPartitionsWithIndex'),
        },
        [1],
      ),
      node(3, 2, { kind: 'flatMap', fn: ship((x: unknown) => (count('above'), [x, x]), 'flatMap') }, [2]),
      node(4, 2, { kind: 'filter', fn: ship((x: unknown) => typeof x === 'string' || (x as number) > 10, 'filter') }, [3]),
    );
    const want = (p: number): unknown[] => {
      const xs = nums.slice(p * 25, p * 25 + 25).map((x) => x + 1);
      const out: unknown[] = [...xs.filter((x) => x % 5 === 0), `p${p}:${xs.reduce((a, b) => a + b, 0)}`];
      return out.flatMap((x) => [x, x]).filter((x) => typeof x === 'string' || (x as number) > 10);
    };
    for (const p of [0, 1]) assert.deepEqual(await runTask({ plan: chain, kind: 'result', action: { kind: 'collect' }, mapOutputs: {} }, p, env), { kind: 'result', value: want(p) });
    assert.deepEqual(calls, { below: 50, above: 5 + 1 + 5 + 1 });
  });

  test('a stage both cached and pipelined: the cached node is computed once, through its own chain, and read back after', async () => {
    for (const k of Object.keys(calls)) delete calls[k];
    const env = new FakeTaskEnv();
    const lines = ['a b', '', 'c a b', 'b'];
    // parallelize -> flatMap -> map (cached) -> filter -> mapValues -> combine
    const chain = plan(
      4,
      node(0, 1, { kind: 'parallelize', slices: [lines] }),
      node(1, 1, { kind: 'flatMap', fn: ship((l: string) => (count('split'), l.split(' ')), 'flatMap') }, [0]),
      node(2, 1, { kind: 'map', fn: ship((w: string) => (count('pair'), [w, 1]), 'map') }, [1], [], 'MEMORY_ONLY'),
      node(3, 1, { kind: 'filter', fn: ship((kv: [string, number]) => (count('filter'), kv[0] !== ''), 'filter') }, [2]),
      node(4, 1, { kind: 'mapValues', fn: ship((v: number) => (count('values'), v * 10), 'mapValues') }, [3]),
    );
    const sums = async (): Promise<Map<unknown, unknown>> => {
      const out = await runTask({ plan: chain, kind: 'shuffleMap', shuffle: shuffleSpec(sumFn(), true), mapOutputs: {} }, 0, env);
      assert.equal(out.kind, 'mapStatus');
      if (out.kind === 'mapStatus') env.outputs.set(`${SHUFFLE_ID}/0`, out.output);
      return new Map([0, 1, 2].flatMap((r) => env.block(SHUFFLE_ID, 0, r).flat()));
    };
    const want = new Map([['a', 20], ['b', 30], ['c', 10]]);
    assert.deepEqual(await sums(), want);
    assert.deepEqual(calls, { split: 4, pair: 7, filter: 7, values: 6 });
    assert.equal(env.cached.size, 1);
    assert.deepEqual(decode(env.cached.get(blockIdForRdd(env.jobId, 2, 0))!), [['a', 1], ['b', 1], ['', 1], ['c', 1], ['a', 1], ['b', 1], ['b', 1]]);
    // Again: the cached partition is read; only the chain above it runs.
    assert.deepEqual(await sums(), want);
    assert.deepEqual(calls, { split: 4, pair: 7, filter: 14, values: 12 });
  });
});
