// The rest of Spark's streaming API, batch by batch on a manual clock, on 2 worker
// processes (fixture dstream-spark-api.ts). Expected values are computed here from the
// test's own input with Spark's documented semantics:
//  - saveAsObjectFiles(prefix, suffix): one directory `prefix-TIME_IN_MS[.suffix]` per
//    batch, read back by sc.objectFile as the batch's records, types and classes kept;
//    the part files are `SLUICEOBJ1\n\0` + v8.serialize(records of the partition);
//  - binaryRecordsStream(dir, n): each new file cut every n bytes, files in name order; a
//    file whose length is not a multiple of n fails the batch naming the file;
//  - rawSocketStream(host, port): blocks of a 4-byte big-endian length + v8.serialize(array
//    of records), written here by a real TCP server in arbitrary chunks; every record
//    arrives once, in order, and each block lands whole in one batch; a block that is not
//    in the format is reported naming the source, the receiver reconnects;
//  - every keyed operator takes a partition count, a Partitioner or { numPartitions } /
//    { partitioner } (StateSpec.partitioner for mapWithState): its RDDs have that many
//    partitions and each key sits in the partition the partitioner gives (computed here:
//    a custom rule, and Java's String.hashCode modulo n for the HashPartitioner);
//  - combineByKey with mapSideCombine false: same result, createCombiner/mergeValue run
//    on the reduce side over the raw records and mergeCombiners never (Spark's Aggregator).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import { after, before, test } from 'node:test';
import net from 'node:net';
import { fixture, lineOf, mulberry32, withCluster, type JobRun } from './harness.js';

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

const RECORD_LENGTH = 3;
const rand = mulberry32(10);
const bytes = (n: number): number[] => Array.from({ length: n }, () => Math.floor(rand() * 256));
// Per batch: files (name, bytes), lengths multiples of RECORD_LENGTH (0 included).
const binaryFiles: [string, number[]][][] = [
  [['b-2', bytes(6)], ['a-1', bytes(9)]],
  [],
  [['c-1', bytes(0)], ['d-1', bytes(3)]],
  [['e-1', bytes(30)]],
];
const badBinary: [string, number[]] = ['bad.bin', bytes(10)];

// The raw server's blocks: small ones, an empty one, one of ~300 KB, rich types.
const rawBlocks: unknown[][] = [
  ['r0', 'r1'],
  [],
  [{ n: 1 }, [2, 'two'], new Map([['k', new Date(5)]])],
  Array.from({ length: 3000 }, (_, i) => `line ${i} ${'x'.repeat(90)}`),
  [10n, null, 'last'],
];
const frame = (payload: Buffer): Buffer => {
  const h = Buffer.alloc(4);
  h.writeUInt32BE(payload.length, 0);
  return Buffer.concat([h, payload]);
};
const rawBytes = Buffer.concat([...rawBlocks.map((b) => frame(v8.serialize(b))), frame(Buffer.alloc(0))]);
const badGood = ['ok-1', 'ok-2'];
const badBytes = Buffer.concat([frame(v8.serialize(badGood)), frame(Buffer.from('not v8 at all')), frame(v8.serialize(['never read']))]);
const afterReconnect = frame(v8.serialize(['after-reconnect']));

const pairs: [string, number][][] = [
  [['apple', 1], ['bean', 2], ['corn', 3], ['apple', 4], ['date', 5], ['bean', 6], ['apple', 7], ['fig', 8]],
  [['grape', 1], ['grape', 2], ['hop', 3], ['grape', 4]],
  [],
  [['corn', 9], ['kiwi', 1], ['lime', 2], ['corn', 3], ['kiwi', 5], ['apple', 6]],
];
const others: [string, string][][] = [[['apple', 'A'], ['zest', 'Z'], ['corn', 'C']], [], [['bean', 'B']], [['kiwi', 'K'], ['nut', 'N']]];
// Keys that the iterator updateStateByKey renames (lowercases): a renamed key's state is
// then in the partition of its old name unless the partitioner is not remembered.
const cased: string[][] = [['A', 'B'], ['a', 'b', 'c'], [], ['a', 'D']];
const CUSTOM_PARTITIONS = 3;
const HASH_PARTITIONS = 5;
const customPart = (key: string): number => key.charCodeAt(0) % CUSTOM_PARTITIONS;
/** Java's String.hashCode (UTF-16 units), then a non-negative modulo: Spark's HashPartitioner on a string. */
function hashPart(key: string, n: number): number {
  let h = 0;
  for (let i = 0; i < key.length; i++) h = (h * 31 + key.charCodeAt(i)) | 0;
  return ((h % n) + n) % n;
}
const sums = (kvs: readonly [string, number][]): Map<string, number> => {
  const m = new Map<string, number>();
  for (const [k, v] of kvs) m.set(k, (m.get(k) ?? 0) + v);
  return m;
};
/** parallelize(xs, 2)'s slices. */
const halves = <T>(xs: readonly T[]): T[][] => [xs.slice(0, Math.floor(xs.length / 2)), xs.slice(Math.floor(xs.length / 2))];

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-dstream-spark-api-'));
const inputFile = path.join(tmp, 'inputs.v8');
const sockets = new Set<net.Socket>();
const servers: net.Server[] = [];
const connections = { raw: 0, bad: 0 };

/** A TCP server that writes `data[i]` to its i-th connection in random chunks (nothing past the list), and keeps them open. */
async function serve(datas: Buffer[], which: 'raw' | 'bad'): Promise<number> {
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    const data = datas[connections[which]++];
    if (!data) return;
    void (async () => {
      for (let off = 0; off < data.length; ) {
        const n = 1 + Math.floor(rand() * 70_000);
        socket.write(data.subarray(off, off + n));
        off += n;
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as net.AddressInfo).port;
}

const results = new Map<string, unknown>();
let run: JobRun | undefined;
let setupError: unknown;

before(async () => {
  try {
    const rawPort = await serve([rawBytes], 'raw');
    const badRawPort = await serve([badBytes, afterReconnect], 'bad');
    fs.writeFileSync(
      inputFile,
      v8.serialize({
        batchMs: BATCH_MS,
        numBatches: NUM_BATCHES,
        objects,
        points,
        recordLength: RECORD_LENGTH,
        binaryFiles,
        badBinary,
        rawPort,
        badRawPort,
        rawRecordCount: rawBlocks.flat().length,
        badRawGoodCount: badGood.length + 1,
        pairs,
        others,
        customPartitions: CUSTOM_PARTITIONS,
        hashPartitions: HASH_PARTITIONS,
        cased,
      }),
    );
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

after(() => {
  for (const s of sockets) s.destroy();
  for (const s of servers) s.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function got<T = unknown>(name: string): T {
  if (setupError !== undefined) throw setupError;
  if (!results.has(name)) throw new Error(`no result for '${name}' (job ok: ${run?.ok}, failure: ${JSON.stringify(run?.failure)})\n${run?.lines.slice(-20).join('\n')}`);
  return results.get(name) as T;
}

/**
 * The first NUM_BATCHES batches of a per-batch result; the later ones (cut while the raw
 * streams' data arrives) must hold nothing, as `empty(t)` says.
 */
function firstBatches<T>(name: string, empty: (t: number) => T): [number, T][] {
  const all = got<[number, T][]>(name);
  const last = TIMES[TIMES.length - 1];
  for (const [t, v] of all.filter(([u]) => u > last)) assert.deepStrictEqual(v, empty(t), `${name} at ${t}, after the input ended`);
  return all.filter(([t]) => t <= last);
}

test('the job ran every batch', () => {
  assert.deepEqual(got('status'), { ok: true, error: null });
});

test('saveAsObjectFiles: prefix-TIME.suffix per batch, read back by sc.objectFile with every type intact', () => {
  const objectFiles = firstBatches('objectFiles', () => []);
  assert.deepStrictEqual(
    objectFiles,
    TIMES.map((t) => [t, objects[idx(t)]]),
  );
  const dir = path.join(tmp, 'objects');
  const all = got<[number][]>('objectFiles').map(([t]) => t);
  assert.deepEqual(fs.readdirSync(dir).sort(), all.map((t) => `out-${t}.obj`).sort());
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
  assert.deepEqual(fs.readdirSync(path.join(tmp, 'points')).sort(), got<[number][]>('pointFiles').map(([t]) => `p-${t}`).sort());
  assert.deepEqual(
    firstBatches('pointFiles', () => ({ onWorkers: [], onDriver: [], partitions: 0 })),
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

test('binaryRecordsStream: each new file cut into records of recordLength bytes, files in name order', () => {
  const expected = TIMES.map((t) => {
    const files = [...(binaryFiles[idx(t)] ?? [])].sort((a, b) => (a[0] < b[0] ? -1 : 1));
    const recs: number[][] = [];
    for (const [, b] of files) for (let i = 0; i < b.length; i += RECORD_LENGTH) recs.push(b.slice(i, i + RECORD_LENGTH));
    // One partition per non-empty file.
    return [t, { bytes: recs, allBuffers: true, partitions: files.filter(([, b]) => b.length > 0).length }];
  });
  assert.deepEqual(firstBatches('binaryRecords', () => ({ bytes: [], allBuffers: true, partitions: 0 })), expected);
});

test('binaryRecordsStream: a file whose length is not a multiple of recordLength fails the batch, naming the file', () => {
  const { error, seen } = got<{ error: { code: string; message: string } | null; seen: unknown[] }>('badBinary');
  assert.ok(error, 'the context failed');
  assert.equal(error.code, 'SLUICE_BAD_RECORD');
  assert.match(error.message, new RegExp(`binaryRecordsStream\\(.*binary-bad\\): '.*bad\\.bin' is ${badBinary[1].length} bytes, not a multiple of the record length ${RECORD_LENGTH}`));
  assert.deepEqual(seen, [], 'no record of it was read');
});

test('rawSocketStream: every record once and in order, each block whole in one batch', () => {
  const batches = got<[number, unknown[]][]>('raw');
  assert.deepStrictEqual(
    batches.flatMap(([, xs]) => xs),
    rawBlocks.flat(),
  );
  const batchOf = new Map<unknown, number>();
  for (const [t, xs] of batches) for (const x of xs) batchOf.set(JSON.stringify(x, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)), t);
  for (const block of rawBlocks) {
    const times = new Set(block.map((x) => batchOf.get(JSON.stringify(x, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)))));
    assert.ok(times.size <= 1, `a block of ${block.length} records spans batches ${[...times].join(', ')}`);
  }
  assert.equal(connections.raw, 1, 'one connection: the stream was read without a reconnect');
});

test('rawSocketStream: a block not in the format restarts the receiver (onReceiverStopped) naming the source, and it reconnects', () => {
  const { records, errors, badOption } = got<{ records: unknown[]; errors: string[]; badOption: string }>('badRaw');
  assert.deepEqual(records, [...badGood, 'after-reconnect'], 'the good block before it was stored, the rest of that connection dropped, the next connection read');
  const port = (servers[1].address() as net.AddressInfo).port;
  const e = errors.find((m) => m.includes(`rawSocketStream(127.0.0.1:${port})`));
  assert.ok(e, `an error names the source: ${JSON.stringify(errors)}`);
  // Reported as the restart it causes (Spark's onReceiverStopped with restartReceiver's message).
  assert.match(e, new RegExp(`^Restarting receiver with delay 2000ms: rawSocketStream\\(127\\.0\\.0\\.1:${port}\\): .*block 1 \\(13 bytes\\) is not in the record codec`));
  assert.ok(connections.bad >= 2, 'the receiver reconnected');
  assert.match(badOption, /rawSocketStream\(127\.0\.0\.1:\d+\): maxBlockBytes must be a whole number of bytes from 1/);
});

type Placed = { numPartitions: number; where: [number, [string, ...unknown[]]][] };
/** The first NUM_BATCHES batches of a placed() result. */
function placedBatches(name: string): [number, Placed][] {
  const last = TIMES[TIMES.length - 1];
  return got<[number, Placed][]>(name).filter(([t]) => t <= last);
}

test('every keyed operator takes a partition count, a Partitioner or { numPartitions } / { partitioner }: its partitions and where each key lands', () => {
  const cases: [string, number, (k: string) => number][] = [
    ['reduceByKey.custom', CUSTOM_PARTITIONS, customPart],
    ['reduceByKey.partitioner', HASH_PARTITIONS, (k) => hashPart(k, HASH_PARTITIONS)],
    ['reduceByKey.count', HASH_PARTITIONS, (k) => hashPart(k, HASH_PARTITIONS)],
    ['groupByKey.custom', CUSTOM_PARTITIONS, customPart],
    ['groupByKey.numPartitions', HASH_PARTITIONS, (k) => hashPart(k, HASH_PARTITIONS)],
    ['combineByKey.custom', CUSTOM_PARTITIONS, customPart],
    ['join.custom', CUSTOM_PARTITIONS, customPart],
    ['leftOuterJoin.custom', CUSTOM_PARTITIONS, customPart],
    ['rightOuterJoin.hash', HASH_PARTITIONS, (k) => hashPart(k, HASH_PARTITIONS)],
    ['fullOuterJoin.custom', CUSTOM_PARTITIONS, customPart],
    ['cogroup.custom', CUSTOM_PARTITIONS, customPart],
    ['updateStateByKey.custom', CUSTOM_PARTITIONS, customPart],
    ['mapWithState.custom', CUSTOM_PARTITIONS, customPart],
    ['reduceByKeyAndWindow.custom', CUSTOM_PARTITIONS, customPart],
    ['reduceByKeyAndWindow.inv.custom', CUSTOM_PARTITIONS, customPart],
    ['groupByKeyAndWindow.custom', CUSTOM_PARTITIONS, customPart],
    ['countByValueAndWindow.custom', CUSTOM_PARTITIONS, customPart],
    ['countByValue.custom', CUSTOM_PARTITIONS, customPart],
  ];
  for (const [name, numPartitions, part] of cases) {
    const batches = placedBatches(name);
    assert.deepEqual(batches.map(([t]) => t), TIMES, `${name}: a result per batch`);
    const used = new Set<number>();
    for (const [t, p] of batches) {
      assert.equal(p.numPartitions, numPartitions, `${name} at ${t}: partitions`);
      for (const [i, rec] of p.where) {
        assert.equal(i, part(rec[0]), `${name} at ${t}: key '${rec[0]}' in partition ${i}`);
        used.add(i);
      }
    }
    assert.ok(used.size > 1, `${name}: keys spread over more than one partition`);
  }
});

test('the partitioned operators give Spark\'s values', () => {
  const bag = (xs: unknown[]): string[] => xs.map((x) => JSON.stringify(x)).sort();
  const values = (name: string): [number, string[]][] => placedBatches(name).map(([t, p]) => [t, bag(p.where.map(([, r]) => r))]);
  assert.deepEqual(values('reduceByKey.custom'), TIMES.map((t) => [t, bag([...sums(pairs[idx(t)])])]));
  assert.deepEqual(values('reduceByKey.partitioner'), values('reduceByKey.custom'));
  const state = new Map<string, number>();
  const expectedState = TIMES.map((t): [number, string[]] => {
    for (const [k, v] of sums(pairs[idx(t)])) state.set(k, (state.get(k) ?? 0) + v);
    return [t, bag([...state])];
  });
  assert.deepEqual(values('updateStateByKey.custom'), expectedState);
  assert.deepEqual(values('mapWithState.custom'), expectedState);
  assert.deepEqual(
    values('join.custom'),
    TIMES.map((t) => [t, bag(pairs[idx(t)].flatMap(([k, v]) => others[idx(t)].filter(([k2]) => k2 === k).map(([, w]) => [k, [v, w]])))]),
  );
  assert.deepEqual(
    values('reduceByKeyAndWindow.custom'),
    TIMES.map((t) => [t, bag([...sums([...(pairs[idx(t) - 1] ?? []), ...pairs[idx(t)]])])]),
  );
});

test('partitioner arguments that cannot work are refused, naming the operator', () => {
  const [both, zero, range] = got<string[]>('partitionerErrors');
  assert.match(both, /dstream\.reduceByKey: give numPartitions or a partitioner, not both/);
  assert.match(zero, /dstream\.groupByKey: numPartitions must be a positive integer, got 0/);
  assert.match(range, /StateSpec\.partitioner: RangePartitioner\.of\(3\) has no bounds yet/);
  const custom = got<{ code: string; message: string }>('badCustom');
  assert.match(custom.message, /CustomPartitioner \(.*dstream-spark-api\.ts:\d+.*\): getPartition\("x"\) returned 7, not a whole number in \[0, 2\)/);
});

test('combineByKey with mapSideCombine false: the same result, combined on the reduce side only (mergeCombiners never called)', () => {
  const last = TIMES[TIMES.length - 1];
  type Combined = { result: [string, number][]; calls: { create: number; merge: number; combine: number } };
  const bag = (kvs: [string, number][]): string[] => kvs.map((kv) => JSON.stringify(kv)).sort();
  for (const side of ['map', 'raw'] as const) {
    const batches = got<[number, Combined][]>(`combineByKey.${side}`).filter(([t]) => t <= last);
    const expected = TIMES.map((t) => {
      const batch = pairs[idx(t)];
      const distinct = (kvs: [string, number][]): number => new Set(kvs.map(([k]) => k)).size;
      let calls: Combined['calls'];
      if (side === 'raw') calls = { create: distinct(batch), merge: batch.length - distinct(batch), combine: 0 };
      else {
        const parts = batch.length ? halves(batch) : [];
        const keys = new Set(batch.map(([k]) => k));
        calls = {
          create: parts.reduce((a, p) => a + distinct(p), 0),
          merge: parts.reduce((a, p) => a + p.length - distinct(p), 0),
          combine: [...keys].reduce((a, k) => a + parts.filter((p) => p.some(([k2]) => k2 === k)).length - 1, 0),
        };
      }
      return [t, { result: bag([...sums(batch)]), calls }];
    });
    assert.deepEqual(
      batches.map(([t, c]) => [t, { result: bag(c.result), calls: c.calls }]),
      expected,
      side,
    );
  }
  // The input makes the difference visible: some key is in both map partitions of a batch.
  assert.ok(pairs.some((b) => { const [x, y] = halves(b); return x.some(([k]) => y.some(([k2]) => k2 === k)); }));
});

test('mapPartitions(f, preservePartitioning) keeps the partitioner only when asked', () => {
  const last = TIMES[TIMES.length - 1];
  const kinds = (keep: boolean): unknown[] => got<[number, unknown][]>(`mapPartitions.${keep}`).filter(([t]) => t <= last).map(([, k]) => k);
  assert.deepEqual(kinds(true), TIMES.map(() => 'custom'));
  assert.deepEqual(kinds(false), TIMES.map(() => null));
});

test('updateStateByKey iterator form with rememberPartitioner false: a function that renames keys keeps one state per key', () => {
  const state = new Map<string, number>();
  const expected = TIMES.map((t) => {
    for (const k of cased[idx(t)]) state.set(k.toLowerCase(), (state.get(k.toLowerCase()) ?? 0) + 1);
    return [t, [...state].map(([k, n]) => JSON.stringify([k, n])).sort()];
  });
  const batches = placedBatches('updateStateByKey.renamed');
  assert.deepEqual(
    batches.map(([t, p]) => [t, p.where.map(([, r]) => JSON.stringify(r)).sort()]),
    expected,
  );
});

test('getState, one active context at a time, getActiveOrCreate(create), getOrCreate { createOnError }', () => {
  const c = got<{ states: string[]; secondStart: string; activeOrCreate: boolean; otherState: string }>('context');
  assert.deepEqual(c.states, ['initialized', 'active', 'stopped']);
  // Spark's assertNoOtherContextIsActive, naming where the active one was started (the fixture's own line).
  const site = `${fixture('dstream-spark-api.ts')}:${lineOf(fixture('dstream-spark-api.ts'), '// site: the active context\'s start')}:`;
  assert.ok(
    c.secondStart.startsWith(`Only one StreamingContext may be started in this JVM. Currently running StreamingContext was started at ${site}`),
    c.secondStart,
  );
  assert.equal(c.otherState, 'initialized', 'the refused context did not start');
  assert.equal(c.activeOrCreate, true, 'getActiveOrCreate returned the active context, not the created one');
  const e = got<{ strict: string | null; lenientState: string }>('createOnError');
  assert.match(e.strict ?? '', /no usable metadata checkpoint in '.*damaged-ckpt/);
  assert.equal(e.lenientState, 'initialized');
});

test('queueStream(queue, oneAtATime, null): once the queue is empty each batch gets an empty RDD and outputs run, as Spark 2+\'s QueueInputDStream', () => {
  // Queue [1, 2] and [3], one slice each: then an empty RDD (no partitions) at every later batch the run cut.
  const runs = got<[number, number][]>('queueNoDefault');
  assert.ok(runs.length >= NUM_BATCHES, JSON.stringify(runs));
  assert.deepEqual(runs, runs.map((_, i) => [(i + 1) * BATCH_MS, i < 2 ? 1 : 0]));
});

test('BatchInfo.streamIdToInputInfo: the records each counting input took, per batch (Spark\'s StreamInputInfo)', () => {
  const { rawId, objectsId, batches } = got<{ rawId: number; objectsId: number; batches: [number, number, Record<number, { inputStreamId: number; numRecords: number }>][] }>('inputInfo');
  const rawByTime = new Map(got<[number, unknown[]][]>('raw').map(([t, xs]) => [t, xs.length]));
  let total = 0;
  for (const [t, numRecords, info] of batches) {
    assert.deepEqual(info[rawId], { inputStreamId: rawId, numRecords: rawByTime.get(t) ?? 0 }, `raw stream at ${t}`);
    assert.equal(info[objectsId], undefined, 'a queue stream does not count its records');
    assert.equal(numRecords, Object.values(info).reduce((a, i) => a + i.numRecords, 0), `numRecords at ${t} is the sum`);
    total += info[rawId].numRecords;
  }
  assert.equal(total, rawBlocks.flat().length);
});
