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
//    in the format is reported naming the source, the receiver reconnects.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import { after, before, test } from 'node:test';
import net from 'node:net';
import { fixture, mulberry32, withCluster, type JobRun } from './harness.js';

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

test('rawSocketStream: a block not in the format is reported naming the source, and the receiver reconnects', () => {
  const { records, errors, badOption } = got<{ records: unknown[]; errors: string[]; badOption: string }>('badRaw');
  assert.deepEqual(records, [...badGood, 'after-reconnect'], 'the good block before it was stored, the rest of that connection dropped, the next connection read');
  const port = (servers[1].address() as net.AddressInfo).port;
  const e = errors.find((m) => m.includes(`rawSocketStream(127.0.0.1:${port})`));
  assert.ok(e, `an error names the source: ${JSON.stringify(errors)}`);
  assert.match(e, /block 1 \(13 bytes\) is not in the record codec/);
  assert.ok(connections.bad >= 2, 'the receiver reconnected');
  assert.match(badOption, /rawSocketStream\(127\.0\.0\.1:\d+\): maxBlockBytes must be a whole number of bytes from 1/);
});
