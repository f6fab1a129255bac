// The Spark Streaming Programming Guide's code as the guide writes it (fixture streaming-guide.ts),
// run twice on one checkpoint directory against a TCP server of this test's that sends each
// connection the run's lines. Expected values are computed here from those lines:
//  - both inputs (a custom Receiver built with super(StorageLevel.MEMORY_AND_DISK_2), and
//    socketTextStream(host, port, StorageLevel.MEMORY_AND_DISK_SER)) get every line, so each
//    word counts twice; the foreachRDD's counts leave out the broadcast's excluded word and its
//    accumulator (a singleton fetched through rdd.sparkContext) adds what it left out: twice its
//    occurrences in the run (a new accumulator each run, as Spark's after a restart);
//  - StreamingContext.getOrCreate(dir, create) (Spark's form, no SluiceContext) recovers the
//    second run from the first one's checkpoint: the updateStateByKey totals at the end are
//    twice every word of both runs (its write-ahead log on, the first run's blocks are read
//    back from it to recompute the state);
//  - the listener reads Spark's event fields: batchCompleted.batchInfo.numRecords adds up to
//    twice the run's lines, outputOperationCompleted.outputOperationInfo.name names both
//    foreachRDDs, receiverStarted.receiverInfo one stream each;
//  - the exactly-once output pattern (a file per `${time}-${TaskContext.get().partitionId()}`):
//    each batch's files are named by its partitions 0..n-1, each once, and hold every word of
//    the run twice; on the driver TaskContext.get() is undefined (Spark's null);
//  - a stream's context (Spark's DStream.context) is its StreamingContext;
//  - ssc.stop(true, true) stops the SparkContext too (sc.isStopped) and no context is active.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fixture, jsonLine, jsonLines, mulberry32, withCluster, type JobRun } from './harness.js';

const WORDS = ['spark', 'sluice', 'stream', 'spam', 'batch'];
const rand = mulberry32(33);
const linesOf = (n: number): string[] => Array.from({ length: n }, () => Array.from({ length: 1 + Math.floor(rand() * 4) }, () => WORDS[Math.floor(rand() * WORDS.length)]).join(' '));
const RUNS = [linesOf(25), linesOf(30)];

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-streaming-guide-'));
const sockets = new Set<net.Socket>();
let phase = 0;
const server = net.createServer((socket) => {
  sockets.add(socket);
  socket.on('error', () => undefined);
  socket.write(RUNS[phase].map((l) => l + '\n').join(''));
});
const runs: JobRun[] = [];
let setupError: unknown;

function wordCounts(lines: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const l of lines) for (const w of l.split(' ')) m.set(w, (m.get(w) ?? 0) + 2);
  return m;
}
const sorted = (m: Map<string, number>): [string, number][] => [...m].sort(([a], [b]) => a.localeCompare(b));

before(async () => {
  try {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    await withCluster({ workers: 2 }, async (h) => {
      for (phase = 0; phase < RUNS.length; phase++) {
        for (const s of sockets) s.destroy();
        const out = path.join(tmp, `out-${phase}`);
        fs.mkdirSync(out);
        runs.push(await h.run(fixture('streaming-guide.ts'), [String(port), path.join(tmp, 'checkpoint'), String(2 * RUNS[phase].length), out]));
      }
    });
  } catch (err) {
    setupError = err;
  }
});

after(() => {
  for (const s of sockets) s.destroy();
  server.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function run(i: number): JobRun {
  if (setupError !== undefined) throw setupError;
  const r = runs[i];
  assert.ok(r?.ok, `run ${i + 1} failed: ${JSON.stringify(r?.failure)}\n${r?.lines.slice(-20).join('\n')}`);
  return r;
}

for (const i of [0, 1]) {
  test(`run ${i + 1}: every word counted twice, the excluded word left out and added up by the singleton accumulator`, () => {
    const r = run(i);
    const batches = jsonLines<{ time: number; counts: [string, number][]; dropped: number }>(r.lines, 'COUNTS ');
    const got = new Map<string, number>();
    for (const b of batches) for (const [w, n] of b.counts) got.set(w, (got.get(w) ?? 0) + n);
    const want = wordCounts(RUNS[i]);
    const spam = want.get('spam') ?? 0;
    want.delete('spam');
    assert.deepEqual(sorted(got), sorted(want));
    assert.equal(batches.at(-1)?.dropped, spam, 'the accumulator holds what the filter left out this run');
  });

  test(`run ${i + 1}: the listener reads Spark's event fields; stop(true, true) stops the SparkContext`, () => {
    const end = jsonLine<{ records: number; outputOperations: string[]; receivers: number; scStopped: boolean; active: boolean; driverTaskContext: null; streamContext: boolean }>(run(i).lines, 'END ');
    assert.deepEqual(end, { records: 2 * RUNS[i].length, outputOperations: ['foreachRDD'], receivers: 2, scStopped: true, active: false, driverTaskContext: null, streamContext: true });
  });
}

for (const i of [0, 1]) {
  test(`run ${i + 1}: the exactly-once pattern's files are named by each batch's partitions (TaskContext.get().partitionId()) and hold every word`, () => {
    run(i);
    const dir = path.join(tmp, `out-${i}`);
    const byBatch = new Map<string, number[]>();
    const words = new Map<string, number>();
    for (const name of fs.readdirSync(dir)) {
      const m = /^(\d+)-(\d+)$/.exec(name);
      assert.ok(m, `file ${name}`);
      byBatch.set(m[1], [...(byBatch.get(m[1]) ?? []), Number(m[2])]);
      for (const w of JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')) as string[]) words.set(w, (words.get(w) ?? 0) + 1);
    }
    assert.ok(byBatch.size > 0);
    // every batch's partitions 0..n-1, once each (a union of two inputs: at least one partition a block)
    for (const [time, ids] of byBatch) assert.deepEqual(ids.sort((a, b) => a - b), ids.map((_, k) => k), `batch ${time}: ${ids}`);
    assert.deepEqual(sorted(words), sorted(wordCounts(RUNS[i])));
  });
}

test('run 2 recovers from run 1 through getOrCreate(dir, create): the running totals are of both runs', () => {
  const states = jsonLines<[string, number][]>(run(1).lines, 'STATE ');
  assert.deepEqual(sorted(new Map(states.at(-1))), sorted(wordCounts([...RUNS[0], ...RUNS[1]])));
});
