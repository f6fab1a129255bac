// Spark's "Spark Streaming Custom Receivers" guide (docs/streaming-custom-receivers.md), each
// example and claim ported as a Spark user ports it from the README (fixture
// custom-receivers-guide.ts), run on a driver and 2 worker processes against this test's own
// TCP servers on loopback. Expected values are computed here from what the servers sent:
//  - the guide's CustomReceiver: started before its server listens, it restarts with "Error
//    connecting to host:port" (lastError the refusal's stack) after Spark's default 2 s delay,
//    and again with "Trying to connect again" each time the server ends a connection; the
//    words of every line sent are counted once;
//  - store(): one record, an array, an iterator, a generator, a Buffer (one record) and
//    records given Spark's metadata each arrive once, each awaited store a block of its own (a
//    batch's RDD has a partition a block, none when it has none: ReceiverInputDStreamSuite);
//    reportError reaches onReceiverError and the receiver goes on; streamId, storageLevel,
//    isStarted and isStopped as Spark's (ReceiverSuite);
//  - the guide's "avoid silent failures": an error the receiving "thread" leaves uncaught is
//    reported (onReceiverError), and the receiver is stopped and started again;
//  - a reliable receiver acknowledges its source only after store() resolved, and by then
//    the records are in the write-ahead log; preferredLocation places it (ReceiverTrackerSuite
//    SPARK-11063); every line counted once.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fixture, freePort, jsonLines, mulberry32, startJob, withCluster, type JobRun } from './harness.js';
import { printed } from './spark-storage-levels.js';

const FIXTURE = fixture('custom-receivers-guide.ts');
const WORDS = ['spark', 'sluice', 'receiver', 'socket', 'block'];
const rand = mulberry32(38);
const chunk = (n: number): string[] => Array.from({ length: n }, () => Array.from({ length: 1 + Math.floor(rand() * 4) }, () => WORDS[Math.floor(rand() * WORDS.length)]).join(' '));
/** What the socket server sends: a chunk a connection, then it ends it (so the receiver reconnects). */
const CHUNKS = [chunk(6), chunk(9), chunk(4)];
/** The reliable source's batches: 10 numbered lines each. */
const QUEUE = Array.from({ length: 6 }, (_, b) => Array.from({ length: 10 }, (_, i) => `r${b * 10 + i} ${WORDS[(b + i) % WORDS.length]}`));

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-custom-receivers-guide-'));
const servers: net.Server[] = [];
const sockets = new Set<net.Socket>();
let setupError: unknown;
const runs = new Map<string, JobRun>();
let socketPort = 0;
let carelessPort = 0;
let preferred = '';
let connections = 0;
/** For each ACK the reliable source got: the batch's sequence number and whether every one of its lines was in the log then. */
const acks: { seq: number; inLog: boolean }[] = [];

function serve(onConnection: (s: net.Socket) => void): net.Server {
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    onConnection(s);
  });
  servers.push(server);
  return server;
}

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

before(async () => {
  try {
    await withCluster({ workers: 2, coresPerWorker: 2 }, async (h) => {
      // The guide's socket receiver, started before its server listens.
      socketPort = await freePort();
      const words = CHUNKS.flat().flatMap((l) => l.split(' ')).length;
      const job = await startJob(h.cluster, FIXTURE, ['socket', '127.0.0.1', String(socketPort), String(words)]);
      await job.waitLine('EVENT ', 60_000, (l) => l.includes('Error connecting to'));
      const server = serve((s) => s.end(connections < CHUNKS.length ? CHUNKS[connections++].map((l) => `${l}\n`).join('') : ''));
      await new Promise<void>((r) => server.listen(socketPort, '127.0.0.1', r));
      runs.set('socket', await job.done);

      runs.set('flavors', await h.run(FIXTURE, ['flavors', '12', path.join(tmp, 'flavors-info')]));
      carelessPort = await freePort();
      runs.set('careless', await h.run(FIXTURE, ['careless', String(carelessPort)]));

      // The reliable receiver: NEXT asks for the next batch not acknowledged; ACK <seq> acknowledges it.
      const checkpoint = path.join(tmp, 'checkpoint');
      let next = 0;
      const queue = serve((s) => {
        let partial = '';
        s.on('data', (d: Buffer) => {
          const parts = (partial + d.toString('utf8')).split('\n');
          partial = parts.pop()!;
          for (const p of parts) {
            if (p === 'NEXT') s.write(`${JSON.stringify(next < QUEUE.length ? { seq: next * 10, msgs: QUEUE[next] } : { end: true })}\n`);
            else if (p.startsWith('ACK ')) {
              const seq = Number(p.slice(4));
              const log = Buffer.concat(filesUnder(path.join(checkpoint, 'receivedData')).map((f) => fs.readFileSync(f)));
              acks.push({ seq, inLog: QUEUE[seq / 10].every((m) => log.includes(m)) });
              next = Math.max(next, seq / 10 + 1);
            }
          }
        });
      });
      await new Promise<void>((r) => queue.listen(0, '127.0.0.1', r));
      preferred = h.cluster.driver.registry.all().map((w) => w.id).sort()[1];
      const port = (queue.address() as net.AddressInfo).port;
      runs.set('reliable', await h.run(FIXTURE, ['reliable', '127.0.0.1', String(port), checkpoint, String(QUEUE.flat().length), preferred]));
    });
  } catch (err) {
    setupError = err;
  }
});

after(() => {
  for (const s of sockets) s.destroy();
  for (const s of servers) s.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function run(part: string): JobRun {
  if (setupError !== undefined) throw setupError;
  const r = runs.get(part);
  assert.ok(r?.ok, `${part} failed: ${JSON.stringify(r?.failure)}\n${r?.lines.slice(-30).join('\n')}`);
  return r;
}

interface Event {
  kind: string;
  at: number;
  streamId: number;
  workerId: string;
  lastErrorMessage: string;
  lastError: string;
}

test("the guide's CustomReceiver: every word of every connection counted once; 'Error connecting to' and 'Trying to connect again' restarts after the 2 s delay", () => {
  const r = run('socket');
  const got = new Map<string, number>();
  for (const b of jsonLines<{ counts: [string, number][] }>(r.lines, 'BATCH ')) for (const [w, n] of b.counts) got.set(w, (got.get(w) ?? 0) + n);
  const want = new Map<string, number>();
  for (const w of CHUNKS.flat().flatMap((l) => l.split(' '))) want.set(w, (want.get(w) ?? 0) + 1);
  const sorted = (m: Map<string, number>): [string, number][] => [...m].sort(([a], [b]) => a.localeCompare(b));
  assert.deepEqual(sorted(got), sorted(want));

  const events = jsonLines<Event>(r.lines, 'EVENT ');
  const refused = events.find((e) => e.kind === 'stopped');
  assert.equal(refused?.lastErrorMessage, `Restarting receiver with delay 2000ms: Error connecting to 127.0.0.1:${socketPort}`, JSON.stringify(events));
  assert.match(refused.lastError, new RegExp(`^Error: connect ECONNREFUSED 127\\.0\\.0\\.1:${socketPort}\\n`));
  const again = events.filter((e) => e.kind === 'stopped' && e.lastErrorMessage === 'Restarting receiver with delay 2000ms: Trying to connect again');
  assert.ok(again.length >= CHUNKS.length, `a restart after each connection ended: ${JSON.stringify(events)}`);
  assert.ok(again.every((e) => e.lastError === ''), 'restart(message) gives no error');
  assert.equal(events.filter((e) => e.kind === 'error').length, 0, 'a restart is no reported error');
  // Each restart's start comes its delay later (a loose lower bound: Spark's 2000 ms default).
  for (const [i, e] of events.entries()) {
    if (e.kind !== 'stopped' || !e.lastErrorMessage.startsWith('Restarting')) continue;
    const started = events.slice(i + 1).find((x) => x.kind === 'started');
    if (started !== undefined) assert.ok(started.at - e.at >= 1000, `started ${started.at - e.at} ms after the restart`);
  }
  assert.equal(events.at(-1)?.kind, 'stopped');
});

test('store(): a record, an array, an iterator, a generator, a Buffer and records with metadata each arrive once, a block each; reportError goes on; streamId, storageLevel, isStarted, isStopped', () => {
  const r = run('flavors');
  const batches = jsonLines<{ records: (string | { bytes: string; buffer: boolean })[]; partitions: number; blockRDD: boolean }>(r.lines, 'BATCH ');
  const records = batches.flatMap((b) => b.records);
  const want = ['a', 'b', 'c', 'd', 'e', 'f', 'g', { bytes: 'h\ni', buffer: false }, 'j', 'k', 'm', 'l'];
  const key = (x: unknown): string => JSON.stringify(x);
  assert.deepEqual(records.map(key).sort(), want.map(key).sort());
  // Each store awaited is one block, a partition of its batch's RDD (Spark: each store(multiple) a block); a batch with none has none.
  assert.equal(batches.reduce((s, b) => s + b.partitions, 0), 8, JSON.stringify(batches));
  for (const b of batches) {
    if (b.records.length === 0) assert.equal(b.partitions, 0);
    assert.ok(b.blockRDD, 'a BlockRDD');
  }
  const { id, before, after } = jsonLines<{ id: number; before: number; after: number }>(r.lines, 'STREAM ')[0];
  assert.deepEqual([before, after], [-1, id], 'the receiver\'s streamId on the driver program: -1, then its stream\'s');
  const [recv, done] = fs.readFileSync(path.join(tmp, 'flavors-info'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as unknown);
  assert.deepEqual(recv, { streamId: id, storageLevel: printed('MEMORY_ONLY'), storageLevelIsConstant: true, isStarted: true, isStopped: false });
  assert.deepEqual(done, { done: true, isStopped: false }, 'reportError does not stop the receiver');
  const events = jsonLines<Event>(r.lines, 'EVENT ');
  assert.deepEqual(events.map((e) => e.kind), ['started', 'error', 'stopped']);
  assert.ok(events.every((e) => e.streamId === id));
  assert.equal(events[1].lastErrorMessage, 'flavors stored: reported, not stopped');
  assert.match(events[1].lastError, /^Error: reported, not stopped\n\s+at StoreFlavors\.run \(\S*custom-receivers-guide\.ts:\d+:\d+\)/);
});

test("the guide's warning: an error the receiving thread leaves uncaught is not silent: reported (onReceiverError), the receiver stopped (the error's stack its lastError) and started again", () => {
  const events = jsonLines<Event>(run('careless').lines, 'EVENT ');
  assert.deepEqual(
    events.slice(0, 4).map((e) => e.kind),
    ['started', 'error', 'stopped', 'started'],
    JSON.stringify(events),
  );
  const message = `an error the job's code left unhandled: connect ECONNREFUSED 127.0.0.1:${carelessPort}`;
  assert.equal(events[1].lastErrorMessage, message);
  assert.match(events[1].lastError, new RegExp(`^Error: connect ECONNREFUSED 127\\.0\\.0\\.1:${carelessPort}\\n`));
  assert.ok(events[2].lastErrorMessage.includes(message), events[2].lastErrorMessage);
  // The stop's lastError is that error's stack too (Spark's deregisterReceiver keeps the error a stop gave).
  assert.equal(events[2].lastError, events[1].lastError);
});

test('a reliable receiver acknowledges after store() resolved, when its records are in the write-ahead log; placed by preferredLocation; every line once', () => {
  const r = run('reliable');
  const lines = jsonLines<{ lines: string[] }>(r.lines, 'BATCH ').flatMap((b) => b.lines);
  assert.deepEqual([...lines].sort(), QUEUE.flat().sort());
  assert.deepEqual(
    acks.map((a) => a.seq),
    QUEUE.map((_, b) => b * 10),
  );
  assert.ok(
    acks.every((a) => a.inLog),
    JSON.stringify(acks),
  );
  const started = jsonLines<Event>(r.lines, 'EVENT ').filter((e) => e.kind === 'started');
  assert.ok(started.length >= 1);
  assert.ok(
    started.every((e) => e.workerId === preferred),
    `on ${preferred}: ${JSON.stringify(started)}`,
  );
});
