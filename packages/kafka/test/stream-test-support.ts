// What the direct-stream test files share: the test broker and a Sluice cluster (driver
// in the test process, 2 worker processes), started once per file; producing records with
// known values; and the checks of a job's batches against the broker's logs.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before } from 'node:test';
import { Consumer, Producer } from '@platformatic/kafka';
import type { LocalCluster } from '@sluice/cli';
import { mulberry32 } from '@sluice/test-servers';
import { jsonLines, pollUntil, startCluster, type JobEnd } from './job-runner.js';
import { KafkaTestCluster } from './support/kafka-test-cluster.js';

export interface Range {
  topic: string;
  partition: number;
  fromOffset: number;
  untilOffset: number;
}
export interface Batch {
  time: number;
  ranges: Range[];
  count: number;
  sum: number;
  sumSq: number;
}

/** The batch-<time>.json files a recover-job.ts run wrote into `out` (its batches so far), by time. */
export function batchFiles(out: string): Batch[] {
  return fs.existsSync(out)
    ? fs
        .readdirSync(out)
        .filter((f) => /^batch-\d+\.json$/.test(f))
        .map((f) => JSON.parse(fs.readFileSync(path.join(out, f), 'utf8')) as Batch)
        .sort((a, b) => a.time - b.time)
    : [];
}

/** An output recover-job.ts appended to out/events.log: which run (job) wrote which batch time, with its ranges. */
export interface BatchEvent {
  job: string;
  time: number;
  ranges: Range[];
}

/**
 * The events recover-job.ts appended to out/events.log so far. Read while the job may append: an
 * append can be seen cut short where it crosses a page, so a last line without its newline is
 * left for the next read.
 */
export function batchEvents(out: string): BatchEvent[] {
  const text = fs.readFileSync(path.join(out, 'events.log'), 'utf8');
  return text
    .slice(0, text.lastIndexOf('\n') + 1)
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as BatchEvent);
}

/**
 * The end of a recover-job.ts run (one or more runs of it) over `topic`, against what the test
 * produced (`want`): every record counted exactly once over the batches in `out`; every
 * partition's ranges adjacent from `from(partition)` (0 unless given) to the partition's end, each at most `maxPerBatch`; a batch
 * time written more than once read the same ranges each time; the group's commits at the
 * partitions' ends (read until they are, 10 s at most: the last commit is asynchronous).
 * Returns the batches and the events, for a caller's own checks.
 */
/** What assertRecoverJobExact reads of a broker: a KafkaTestCluster, or a view of one in another process (support/broker-process.ts). */
export interface BrokerView {
  readonly bootstrap: string[];
  readonly topics: ReadonlyMap<string, { readonly partitions: readonly { readonly partition: number; readonly endOffset: bigint }[] }>;
}

export async function assertRecoverJobExact(kafka: BrokerView, topic: string, groupId: string, out: string, want: Produced, maxPerBatch: number, from: (partition: number) => number = () => 0): Promise<{ all: Batch[]; events: BatchEvent[] }> {
  const all = batchFiles(out);
  const total = all.reduce((a, b) => ({ count: a.count + b.count, sum: a.sum + b.sum, sumSq: a.sumSq + b.sumSq }), nothing());
  assert.deepEqual(total, want, 'every record counted exactly once');
  const logs = kafka.topics.get(topic)!.partitions;
  for (const log of logs) {
    let at = from(log.partition);
    for (const b of all) {
      for (const r of b.ranges.filter((x) => x.partition === log.partition)) {
        assert.equal(r.fromOffset, at, `${topic}/${log.partition}: batch ${b.time} starts where the one before ended`);
        assert.ok(r.untilOffset - r.fromOffset <= maxPerBatch, `${topic}/${log.partition}: batch ${b.time} within maxRatePerPartition x interval (${r.untilOffset - r.fromOffset})`);
        at = r.untilOffset;
      }
    }
    assert.equal(at, Number(log.endOffset), `${topic}/${log.partition}: the ranges reach the partition's end`);
  }
  const events = batchEvents(out);
  const byTime = new Map<number, Range[]>();
  for (const e of events) {
    const seen = byTime.get(e.time);
    if (seen) assert.deepEqual(e.ranges, seen, `batch ${e.time} re-run with the same ranges`);
    byTime.set(e.time, e.ranges);
  }
  const ends = logs.map((l) => String(l.endOffset));
  const partitions = logs.map((l) => l.partition);
  const c = new Consumer({ clientId: 'check', groupId, bootstrapBrokers: kafka.bootstrap });
  let committed: string[] = [];
  try {
    // Commits are sent asynchronously after each batch: up to 60 s for the last to land (10 s could lapse under load).
    for (const deadline = Date.now() + 60_000; ; ) {
      committed = ((await c.listCommittedOffsets({ topics: [{ topic, partitions }] })).get(topic) ?? []).map(String);
      if (committed.join() === ends.join() || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await c.close();
  }
  assert.deepEqual(committed, ends, 'commits end at the partitions ends');
  return { all, events };
}

export interface Env {
  kafka: KafkaTestCluster;
  cluster: LocalCluster;
}

/** Starts the broker and the cluster before the file's tests, stops them after. */
export function useEnv(): Env {
  const env = {} as Env;
  before(async () => {
    env.kafka = await KafkaTestCluster.start({ brokers: 2 });
    env.cluster = await startCluster(2);
  });
  after(async () => {
    await env.cluster?.stop();
    await env.kafka?.close();
  });
  return env;
}

let nextValue = 1;

/** The value the next produced record gets. */
export function peekNextValue(): number {
  return nextValue;
}

export interface Produced {
  count: number;
  sum: number;
  sumSq: number;
}

export const nothing = (): Produced => ({ count: 0, sum: 0, sumSq: 0 });

/** Writes `n` records with fresh values (decimal numbers) to random partitions of `topics`. */
export async function produce(kafka: KafkaTestCluster, topics: readonly string[], partitions: number, n: number, seed: number, into: Produced): Promise<void> {
  const rand = mulberry32(seed);
  const p = new Producer({ clientId: 'test', bootstrapBrokers: kafka.bootstrap, retries: 20, retryDelay: 100 });
  try {
    for (let sent = 0; sent < n; ) {
      const messages = [];
      for (let i = 0; i < 500 && sent < n; i++, sent++) {
        const v = nextValue++;
        into.count++;
        into.sum += v;
        into.sumSq += v * v;
        messages.push({ topic: topics[Math.floor(rand() * topics.length)]!, partition: Math.floor(rand() * partitions), key: Buffer.from(`k${v}`), value: Buffer.from(String(v)) });
      }
      await p.send({ messages });
    }
  } finally {
    await p.close();
  }
}

/**
 * Sends numbered records to `topic`, `n` a call: values 1, 2, 3, ... across calls, value v to
 * partition v % partitions, 250 a request, a producer for each call; what was sent is added
 * to `into`.
 */
export function numberedRecords(kafka: KafkaTestCluster, topic: string, partitions: number, into: Produced): (n: number) => Promise<void> {
  let next = 1;
  return async (n) => {
    const p = new Producer({ clientId: 'test', bootstrapBrokers: kafka.bootstrap, retries: 20, retryDelay: 100 });
    try {
      for (let sent = 0; sent < n; ) {
        const messages = [];
        for (let i = 0; i < 250 && sent < n; i++, sent++) {
          const v = next++;
          into.count++;
          into.sum += v;
          into.sumSq += v * v;
          messages.push({ topic, partition: v % partitions, value: Buffer.from(String(v)) });
        }
        await p.send({ messages });
      }
    } finally {
      await p.close();
    }
  };
}

/**
 * The driver-kill tests' recovery, once the driver is dead: 2,000 records produced while it is
 * down, 1 s for batch times to pass, the job run again (`run.restart()`), 1,000 records produced
 * after the recovery; then waits until `out`'s batch files count every record produced (up
 * to 60 s), and 1 s more, for a batch counted twice to show up before the test checks.
 */
export async function recoverAndCountAll(run: { restart(): Promise<void> }, produce: (n: number) => Promise<void>, out: string, want: Produced): Promise<void> {
  await produce(2000); // while the driver is down
  await new Promise((r) => setTimeout(r, 1000)); // batch times pass while it is down
  await run.restart();
  await produce(1000); // after the recovery
  const counted = (): number => batchFiles(out).reduce((n, b) => n + b.count, 0);
  await pollUntil(() => (counted() >= want.count ? true : undefined), 60_000, `every record counted (${want.count})`);
  await new Promise((r) => setTimeout(r, 1000)); // a batch counted twice would show up by now
}

/**
 * Produces `perTick` records every `everyMs` to `topic` (values 1, 2, 3, ..., value v to
 * partition v % partitions) until `stop()`, which resolves once the last send is done; what
 * was sent is added to `into` as it is sent.
 */
export function steadyProducer(kafka: Pick<KafkaTestCluster, 'bootstrap'>, topic: string, partitions: number, into: Produced, perTick = 40, everyMs = 100): { stop(): Promise<void> } {
  const producer = new Producer({ clientId: 'test', bootstrapBrokers: kafka.bootstrap, retries: 20, retryDelay: 100 });
  let next = 1;
  let producing = true;
  const feed = (async () => {
    try {
      while (producing) {
        const messages = [];
        for (let i = 0; i < perTick; i++) {
          const v = next++;
          into.count++;
          into.sum += v;
          into.sumSq += v * v;
          messages.push({ topic, partition: v % partitions, value: Buffer.from(String(v)) });
        }
        await producer.send({ messages });
        await new Promise((r) => setTimeout(r, everyMs));
      }
    } finally {
      await producer.close();
    }
  })();
  return {
    stop: async () => {
      producing = false;
      await feed;
    },
  };
}

export function jobArgs(kafka: KafkaTestCluster, o: Record<string, unknown>): string[] {
  return [JSON.stringify({ brokers: kafka.bootstrap, batchMs: 500, ...o })];
}

/** The batches of a finished job, checked to have ended well. */
export function batchesOf(end: JobEnd): Batch[] {
  assert.ok(end.ok, `job failed: ${end.failure}\n${end.lines.join('\n')}`);
  return jsonLines<Batch>(end.lines, 'BATCH ');
}

/** Every partition's ranges are adjacent, from `start` to the partition's end in the broker, and each batch counted its ranges. */
export function assertRangesCover(kafka: KafkaTestCluster, batches: Batch[], topics: readonly string[], start: (topic: string, partition: number) => number): void {
  const byTp = new Map<string, Range[]>();
  for (const b of batches) {
    assert.equal(b.count, b.ranges.reduce((n, r) => n + r.untilOffset - r.fromOffset, 0), `batch ${b.time} counted exactly its ranges`);
    for (const r of b.ranges) byTp.set(`${r.topic}/${r.partition}`, [...(byTp.get(`${r.topic}/${r.partition}`) ?? []), r]);
  }
  for (const t of topics) {
    for (const log of kafka.topics.get(t)!.partitions) {
      const rs = byTp.get(`${t}/${log.partition}`) ?? [];
      let at = start(t, log.partition);
      for (const r of rs) {
        assert.equal(r.fromOffset, at, `${t}/${log.partition}: a range starts where the previous one ended`);
        assert.ok(r.untilOffset > r.fromOffset, 'no empty range');
        at = r.untilOffset;
      }
      assert.equal(at, Number(log.endOffset), `${t}/${log.partition}: the ranges reach the partition's end`);
    }
  }
}

export function assertTotals(batches: Batch[], want: Produced): void {
  const got = batches.reduce((a, b) => ({ count: a.count + b.count, sum: a.sum + b.sum, sumSq: a.sumSq + b.sumSq }), nothing());
  assert.deepEqual(got, want, 'every produced record counted exactly once');
}

/**
 * The local TCP ports of process `pid`'s sockets (Linux: its fds' socket inodes, looked up
 * in /proc/net/tcp and tcp6): a test tells which process a broker connection comes from.
 */
export function tcpPortsOf(pid: number): Set<number> {
  const inodes = new Set<string>();
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // closed meanwhile
    }
  }
  const ports = new Set<number>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!fs.existsSync(table)) continue;
    for (const row of fs.readFileSync(table, 'utf8').split('\n').slice(1)) {
      const f = row.trim().split(/\s+/);
      if (f.length > 9 && inodes.has(f[9]!)) ports.add(parseInt(f[1]!.split(':')[1]!, 16));
    }
  }
  return ports;
}

/**
 * Every data record of a partition a read_committed reader sees, values as strings: fetched
 * up to the last stable offset, less every batch of a transaction the broker's log says was
 * aborted (its producer's batches from the transaction's first offset to its abort marker).
 * Not the client's filter: it keeps one aborted range a producer, so where one transactional
 * id aborted two transactions within one fetch (a task attempt killed twice) the older
 * one's records were read as committed (the chaos probe's --kafka saw them as doubles).
 */
export async function readCommitted(kafka: KafkaTestCluster, topic: string, partition: number): Promise<string[]> {
  const aborted = kafka.log(topic, partition)?.abortedTransactions() ?? [];
  const isAborted = (b: { attributes: number; producerId: bigint; firstOffset: bigint }): boolean =>
    (b.attributes & 0x10) !== 0 && aborted.some((a) => a.producerId === b.producerId && b.firstOffset >= a.first && b.firstOffset < a.last);
  const cons = new Consumer({ clientId: 'check', groupId: 'check', bootstrapBrokers: kafka.bootstrap, retries: 5, retryDelay: 50 });
  const out: string[] = [];
  try {
    let next = 0n;
    for (;;) {
      const md = await cons.metadata({ topics: [topic], forceUpdate: true });
      const t = md.topics.get(topic)!;
      const r = await cons.fetch({
        node: t.partitions[partition]!.leader,
        maxWaitTime: 10,
        isolationLevel: 1,
        topics: [{ topicId: t.id, partitions: [{ partition, fetchOffset: next, partitionMaxBytes: 256 * 1024, currentLeaderEpoch: -1, lastFetchedEpoch: -1 }] }],
      });
      const p = r.responses[0]!.partitions[0]!;
      const before = next;
      for (const b of p.records ?? []) {
        if ((b.attributes & 0x20) === 0 && !isAborted(b)) for (const rec of b.records) if (b.firstOffset + BigInt(rec.offsetDelta) >= next) out.push(rec.value!.toString());
        const end = b.firstOffset + BigInt(b.lastOffsetDelta) + 1n;
        if (end > next) next = end;
      }
      if (next === before) return out;
    }
  } finally {
    await cons.close();
  }
}

/**
 * The output of fixtures/transactional-job.ts as a read_committed reader sees it on
 * `partitions` of `topic`: each (word, input range) once, and each word's counts summed to
 * `expected` (computed by the test from its input).
 */
export async function assertCommittedCounts(kafka: KafkaTestCluster, topic: string, partitions: readonly number[], expected: ReadonlyMap<string, number>): Promise<void> {
  const got = new Map<string, number>();
  const seen = new Set<string>();
  for (const p of partitions) {
    for (const v of await readCommitted(kafka, topic, p)) {
      const r = JSON.parse(v) as { w: string; n: number; p: number; from: number };
      const id = `${r.w}@${r.p}:${r.from}`;
      assert.ok(!seen.has(id), `(word, input range) ${id} is written once`);
      seen.add(id);
      got.set(r.w, (got.get(r.w) ?? 0) + r.n);
    }
  }
  assert.deepEqual(new Map([...got].sort()), new Map([...expected].sort()), 'the committed counts are the counts of the input');
}
