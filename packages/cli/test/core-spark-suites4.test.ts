// What a Spark user sees of core's RDD API, case by case (core/src/test/scala/org/apache/spark/broadcast/BroadcastSuite,
// rdd/RDDSuite, rdd/PairRDDFunctionsSuite, ...), run through Sluice's public API on a cluster of 2 worker processes.
// Expected values are computed here in plain JS from the cases' inputs (or are the values Spark's suites assert), never
// by Sluice. One cluster for the file; the fixture prints `R <name> <json>`. README's "The API" says where Sluice differs
// on purpose.
//
// The broadcast case is answered step by step: at each of the fixture's steps the test reads what every worker holds
// from the driver's REST API (GET /api/v1/applications/<job>/executors: broadcastBlocks, from the workers' heartbeats)
// and whether the driver still serves the value (Driver.GetBroadcast, as a worker fetches it), then answers.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { CHANNEL_OPTIONS, channelCredentials, decodeRecords, loadProto, secretMetadata } from '@sluice/core/internal';
import { fixture, withCluster } from './harness.js';
import { ReportedOutcomes } from './reported-outcomes.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-core-spark-suites4-'));

const reported = new ReportedOutcomes();
const got = <T>(name: string): T => reported.got<T>(name);

/** What the test saw at one of the broadcast case's steps. */
interface Seen {
  /** broadcastBlocks of each worker (by id, sorted), the last answer read. */
  readonly held: number[];
  /** Whether every worker's count came to what the step waits for (within 90 s: 90 heartbeats). */
  readonly reached: boolean;
  /** The driver's answer to GetBroadcast: the value, or the gRPC error's code. */
  readonly served: { value: unknown } | { code: number };
  /** The driver's own row in the same answer (Spark's executor "driver"). */
  readonly driver: DriverRow | undefined;
  /** The bytes GetBroadcast streamed (0 when refused): what the driver holds of the value. */
  readonly servedBytes: number;
}

/** The fields of the driver's ExecutorSummary the broadcast case reads. */
interface DriverRow {
  readonly hostPort: string;
  readonly isActive: boolean;
  readonly totalCores: number;
  readonly totalTasks: number;
  readonly broadcastBlocks: number;
  readonly memoryUsed: number;
  readonly rssBytes: number;
}
const seen = new Map<string, Seen>();
/** The driver's address (host:port), as the cluster was given it. */
let driverAddress = '';

/** What every worker holds, and its wait: each step's count, or undefined (read once, no wait). */
const STEPS: [string, number | undefined][] = [
  ['created', undefined],
  ['used', 1],
  ['unpersisted', 0],
  ['reused', 1],
  ['destroyed', 0],
  ['nonblocking', 0],
];

before(async () => {
  // No speculation: a copy of a task still running after its job ended could fetch the broadcast again after the
  // step's removal, and the step counts what each worker holds.
  await withCluster({ workers: 2, coresPerWorker: 2, driver: { webPort: 0, tasks: { speculation: false } } }, async (h) => {
    const run = h.run(fixture('core-spark-suites4.ts'), [tmp]);
    let ended = false;
    void run.finally(() => (ended = true));
    const web = `http://127.0.0.1:${h.cluster.driver.webPort}/api/v1`;
    driverAddress = h.cluster.driver.address;
    const driver = new (loadProto().sluice.v1.Driver)(h.cluster.driver.address, channelCredentials({ secret: h.cluster.secret }), CHANNEL_OPTIONS);
    let servedBytes = 0;
    let driverRow: DriverRow | undefined;
    const served = (jobId: string, id: number): Promise<Seen['served']> =>
      new Promise((resolve) => {
        servedBytes = 0;
        const parts: Buffer[] = [];
        let failed = false;
        const call = driver.GetBroadcast({ job_id: jobId, broadcast_id: id }, secretMetadata(h.cluster.secret), { deadline: Date.now() + 30_000 });
        call.on('data', (c: { data: Buffer }) => {
          parts.push(c.data);
          servedBytes += c.data.length;
        });
        call.on('error', (e: { code: number }) => {
          failed = true;
          resolve({ code: e.code });
        });
        call.on('end', () => failed || resolve({ value: decodeRecords(Buffer.concat(parts)) }));
      });
    const held = async (jobId: string): Promise<number[]> => {
      const r = await fetch(`${web}/applications/${jobId}/executors`);
      assert.equal(r.status, 200, await r.clone().text());
      const ex = (await r.json()) as ({ id: string } & DriverRow)[];
      // The driver's row (Spark lists the driver among the executors) apart: the counts are the workers'.
      const d = ex.find((e) => e.id === 'driver');
      driverRow = d && { hostPort: d.hostPort, isActive: d.isActive, totalCores: d.totalCores, totalTasks: d.totalTasks, broadcastBlocks: d.broadcastBlocks, memoryUsed: d.memoryUsed, rssBytes: d.rssBytes };
      return ex.filter((e) => e.id !== 'driver').sort((a, b) => a.id.localeCompare(b.id)).map((e) => e.broadcastBlocks);
    };
    try {
      for (const [name, want] of STEPS) {
        const file = path.join(tmp, `step-${name}`);
        while (!ended && !fs.existsSync(file)) await new Promise((r) => setTimeout(r, 20));
        if (ended) break;
        const { jobId, bc } = JSON.parse(fs.readFileSync(file, 'utf8')) as { jobId: string; bc: number };
        // The counts come with the workers' heartbeats (every second): wait for them to say what the step expects.
        let counts = await held(jobId);
        const end = Date.now() + 90_000;
        while (want !== undefined && !(counts.length === 2 && counts.every((c) => c === want)) && Date.now() < end) {
          await new Promise((r) => setTimeout(r, 50));
          counts = await held(jobId);
        }
        seen.set(name, { held: counts, reached: want === undefined || (counts.length === 2 && counts.every((c) => c === want)), served: await served(jobId, bc), driver: driverRow, servedBytes });
        fs.writeFileSync(path.join(tmp, `ack-${name}`), '');
      }
      reported.read(await run);
    } finally {
      driver.close();
    }
  });
});

after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const range = (from: number, until: number): number[] => Array.from({ length: Math.max(0, until - from) }, (_, i) => from + i);
const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
const step = (name: string): Seen => {
  const s = seen.get(name);
  assert.ok(s, `the fixture never reached step ${name}`);
  return s;
};
const NOT_FOUND = 5;

// ---------------------------------------------------------------- BroadcastSuite

test('BroadcastSuite "Unpersisting TorrentBroadcast on executors only in distributed mode": used on every worker, unpersist(blocking) drops the workers\' copies, keeps the driver\'s, and a new task fetches it again', () => {
  const list = [1, 2, 3, 4];
  const r = got<{ first: number[][]; again: number[][]; workers: number[]; valueAfterUnpersist: number[] }>('bc-workers');
  const expected = range(1, 11).map((x) => [x, sum(list)]);
  assert.deepEqual(r.first, expected);
  assert.deepEqual(r.again, expected);
  assert.deepEqual(r.workers, [2, 2], 'a task of each round ran on each worker');
  assert.deepEqual(r.valueAfterUnpersist, list);
  // afterCreation: only the driver has it.
  assert.deepEqual(step('created').held, [0, 0]);
  assert.deepEqual(step('created').served, { value: list });
  // afterUsingBroadcast: every worker has it, and the driver.
  const core = (x: Seen): Pick<Seen, 'held' | 'reached' | 'served'> => ({ held: x.held, reached: x.reached, served: x.served });
  assert.deepEqual(core(step('used')), { held: [1, 1], reached: true, served: { value: list } });
  // afterUnpersist (removeFromDriver false): the workers' copies gone, the driver's kept.
  assert.deepEqual(core(step('unpersisted')), { held: [0, 0], reached: true, served: { value: list } });
  // Used again: each worker fetched it again.
  assert.deepEqual(core(step('reused')), { held: [1, 1], reached: true, served: { value: list } });
});

test('BroadcastSuite "Unpersisting TorrentBroadcast on executors and driver in distributed mode", "Using broadcast after destroy prints callsite": destroy(blocking) drops every copy; any use then fails naming where', () => {
  const r = got<Record<string, unknown>>('bc-workers');
  const destroyed = step('destroyed');
  assert.deepEqual(destroyed.held, [0, 0]);
  assert.equal(destroyed.reached, true);
  assert.deepEqual(destroyed.served, { code: NOT_FOUND }, 'the driver no longer serves it');
  assert.match(String(r.name), /^Broadcast\(\d+\)$/);
  for (const k of ['valueAfterDestroy', 'jobAfterDestroy', 'unpersistAfterDestroy', 'destroyAfterDestroy']) {
    const e = r[k] as { code?: string; error?: string };
    assert.equal(e.code, 'SLUICE_BAD_ARGUMENT', `${k}: ${JSON.stringify(e)}`);
    assert.match(String(e.error), new RegExp(`^Attempted to use ${String(r.name).replace(/[()]/g, '\\$&')} after it was destroyed \\(destroy at .*core-spark-suites4\\.ts:\\d+:\\d+\\)`), k);
  }
});

test('the executors list has the driver (Spark\'s executor "driver"): its address, no cores nor tasks, its storage the broadcasts it holds (kept by unpersist, dropped by destroy), its bytes those it serves', () => {
  // The driver holds one broadcast at each step but destroyed's (the first destroyed, the second not made yet).
  const holds: Record<string, number> = { created: 1, used: 1, unpersisted: 1, reused: 1, destroyed: 0, nonblocking: 1 };
  for (const [name, n] of Object.entries(holds)) {
    const s = step(name);
    assert.ok(s.driver, `${name}: no driver row`);
    assert.deepEqual([s.driver.hostPort, s.driver.isActive, s.driver.totalCores, s.driver.totalTasks], [driverAddress, true, 0, 0], name);
    assert.equal(s.driver.broadcastBlocks, n, name);
    // What it holds is what GetBroadcast streams of the step's broadcast (none once destroyed).
    assert.equal(s.driver.memoryUsed, s.servedBytes, name);
    assert.ok(n === 0 || s.servedBytes > 0, name);
    assert.ok(s.driver.rssBytes > 0, `${name}: the driver process's resident memory`);
  }
});

test('Broadcast.unpersist() not blocking: a job right after it reads the value; the workers drop their copies all the same', () => {
  const r = got<{ first: number[]; right: number[]; after: number[] }>('bc-unpersist-nonblocking');
  const expected = range(0, 8).map((x) => x + sum(range(0, 1000)));
  assert.deepEqual(r, { first: expected, right: expected, after: expected });
  assert.deepEqual(step('nonblocking').held, [0, 0]);
  assert.equal(step('nonblocking').reached, true);
  assert.deepEqual(step('nonblocking').served, { value: range(0, 1000) });
});

// ---------------------------------------------------------------- RDDSuite

test('RDDSuite "takeSample" with replacement past the count, sample(true, f) at fractions past 745 (Poisson counts of mean f an element), and Spark\'s bound on num', () => {
  type Failed = { code: string; error: string };
  const r = got<{ taken: [number, boolean]; counts: number[]; tooMany: Failed; largestAllowed: { value: number } }>('rdd-sample-large-fractions');
  assert.deepEqual(r.taken, [1000, true]);
  // 10 elements, each drawn a Poisson count of mean f: the total has mean 10f and standard deviation sqrt(10f).
  [40, 1000, 3000].forEach((f, i) => assert.ok(Math.abs(r.counts[i] - 10 * f) < 6 * Math.sqrt(10 * f), `sample(true, ${f}) of 10 elements gave ${r.counts[i]}, expected about ${10 * f}`));
  assert.equal(r.tooMany.code, 'SLUICE_BAD_ARGUMENT');
  assert.match(r.tooMany.error, /Cannot support a sample size > Int\.MaxValue - 10\.0 \* math\.sqrt\(Int\.MaxValue\)/);
  // Int.MaxValue - (10 * sqrt(Int.MaxValue)).toInt is allowed: without replacement, num past the count gives them all.
  assert.equal(2 ** 31 - 1 - Math.trunc(10 * Math.sqrt(2 ** 31 - 1)), 2147020238);
  assert.deepEqual(r.largestAllowed, { value: 10 });
});

// ---------------------------------------------------------------- PairRDDFunctionsSuite, PartitioningSuite

test('PairRDDFunctionsSuite "aggregateByKey", "foldByKey", PartitioningSuite "partitioner preservation" with Spark\'s new HashPartitioner(n); another partitioner class or a non-partitioner refused', () => {
  type Failed = { code: string; error: string };
  const r = got<{
    partitioners: [number, unknown][];
    samePlaced: boolean;
    placed: [string, number][][];
    agg: [string, number][];
    folded: [string, number][];
    reduced: [string, number][];
    grouped: [string, number][];
    notHashRange: Failed;
    partitionByObject: Failed;
    partitionByNumber: Failed;
    zero: Failed;
  }>('pair-new-hash-partitioner');
  const input: [string, number][] = [
    ['a', 1],
    ['b', 2],
    ['a', 3],
    ['c', 4],
    ['b', 5],
  ];
  const keys = [...new Set(input.map(([k]) => k))].sort();
  const sums = keys.map((k) => [k, sum(input.filter(([x]) => x === k).map(([, v]) => v))]);
  const hash = (n: number) => ({ kind: 'hash', numPartitions: n });
  assert.deepEqual(r.partitioners, [2, 2, 4, 3, 5, 6].map((n) => [n, hash(n)]));
  assert.equal(r.samePlaced, true, 'partitionBy with an equal partitioner is the same RDD');
  // Java's String.hashCode of a one-letter key is its char code: partition code % 2.
  const byPartition = [0, 1].map((p) => input.filter(([k]) => k.charCodeAt(0) % 2 === p).sort());
  assert.deepEqual(r.placed.map((part) => [...part].sort()), byPartition);
  assert.deepEqual(r.agg, sums);
  assert.deepEqual(r.folded, sums);
  assert.deepEqual(r.reduced, sums);
  assert.deepEqual(r.grouped, keys.map((k) => [k, input.filter(([x]) => x === k).map(([, v]) => v).sort((x, y) => x - y)]));
  for (const [k, re] of [
    ['notHashRange', /got an instance of RangePartitioner, not a Partitioner; use RangePartitioner\.of/],
    ['partitionByObject', /rdd\.partitionBy: expected a Partitioner .*got an instance of Object/],
    ['partitionByNumber', /rdd\.partitionBy: numPartitions must be a positive integer, got 3\.5/],
    ['zero', /numPartitions must be a positive integer, got 0/],
  ] as const) {
    const e = r[k];
    assert.equal(e.code, 'SLUICE_BAD_ARGUMENT', `${k}: ${JSON.stringify(e)}`);
    assert.match(e.error, re, k);
  }
});
