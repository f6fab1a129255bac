// A worker that joins a running direct Kafka stream gets its share of partitions at the next
// batch, as Spark's KafkaRDD.getPreferredLocations with LocationStrategies.PreferConsistent:
// floorMod(TopicPartition.hashCode, executors) over the executors sorted (host, then id,
// descending) as each batch is scheduled. Real processes: `sluice driver`, 2 `sluice worker`s,
// `sluice submit` of fixtures/placement-job.ts over an 8-partition topic written all along by
// the test broker in this process; then a third worker starts. Each batch's job prints which
// worker process read each partition and rdd.preferredLocations(i) (a line a batch in a file). The expected worker of
// each partition is computed here from Java's hashCode arithmetic (BigInt, wrapping to 32 bits)
// and the workers' ids, which the driver's log names with their addresses. Before, a
// partition's task preferred the worker that read it last, and a new worker got no Kafka task
// at low load (user47). Locality is a preference: a task whose worker stayed busy past the
// locality wait (500 ms) may run elsewhere, so reads on the placed worker are counted, not
// required of every task; rdd.preferredLocations must be exactly the placement. Each batch
// also runs a 6-task parallelize stage (no preference): the new worker runs some of those.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fixture } from './job-runner.js';
import { freePort, pollUntil, randomSecret, spawnSluice, startWorker, submitDetached, type SluiceProcess } from './sluice-process.js';
import { nothing, steadyProducer } from './stream-test-support.js';
import { KafkaTestCluster } from './support/kafka-test-cluster.js';

const PARTITIONS = 8;
const procs: SluiceProcess[] = [];
let kafka: KafkaTestCluster | undefined;
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-kafka-new-worker-'));

after(async () => {
  for (const p of procs.reverse()) await p.stop();
  await kafka?.close();
  fs.rmSync(root, { recursive: true, force: true });
});

interface Part {
  topic: string;
  partition: number;
  pid: number;
  records: number;
  prefs: string[];
  mappedPrefs: string[];
}

/** Java's int arithmetic, done with BigInt (an independent way to Kafka's TopicPartition.hashCode). */
function toInt32(x: bigint): bigint {
  return BigInt.asIntN(32, x);
}
function javaHash(s: string): bigint {
  let h = 0n;
  for (const c of s) h = toInt32(h * 31n + BigInt(c.charCodeAt(0)));
  return h;
}
function topicPartitionHash(topic: string, partition: number): bigint {
  return toInt32(31n * toInt32(31n + BigInt(partition)) + javaHash(topic));
}

/** The worker Spark's PreferConsistent picks for a partition: workers by id descending (one host here), floorMod of the hash. */
function expectedWorker(topic: string, partition: number, workerIds: readonly string[]): string {
  const sorted = [...workerIds].sort().reverse();
  const n = BigInt(sorted.length);
  const h = topicPartitionHash(topic, partition);
  return sorted[Number(((h % n) + n) % n)]!;
}

const json = (l: string): Record<string, unknown> | undefined => {
  try {
    return JSON.parse(l) as Record<string, unknown>;
  } catch {
    return undefined;
  }
};

/** A driver and 2 workers (`sluice` processes on loopback), and what the tests read of them. */
async function startCluster(k: KafkaTestCluster) {
  const secret = randomSecret();
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const driver = await spawnSluice(['driver', '--port', String(port), '--web-port', '0', '--log-level', 'info'], secret, /driver listening/);
  procs.push(driver);
  const mine: SluiceProcess[] = [driver];
  // A wait that fails with the driver's log.
  const until = <T>(f: () => T | undefined, ms: number, what: string): Promise<T> =>
    pollUntil(f, ms, what).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}; the driver's log (the last 30 lines):\n${driver.logLines.slice(-30).join('\n')}`, { cause: err });
    });
  const addWorker = async (): Promise<SluiceProcess> => {
    const w = await startWorker(address, secret);
    procs.push(w);
    mine.push(w);
    return w;
  };
  const workers = [await addWorker(), await addWorker()];
  // A worker process's id: the driver's 'worker joined' line for the address the worker registered from.
  const idOf = (w: SluiceProcess): string | undefined => {
    const at = w.logLines.map(json).find((o) => o?.msg === 'worker registered')?.address;
    const joined = driver.logLines.map(json).find((o) => o?.msg === 'worker joined' && o.address === at);
    return joined?.workerId as string | undefined;
  };
  const idsOf = (ws: readonly SluiceProcess[]): Promise<string[]> =>
    until(() => {
      const ids = ws.map(idOf);
      return ids.every((x) => x !== undefined) ? (ids as string[]) : undefined;
    }, 30_000, "the workers' ids");
  /** Submits placement-job.ts over `topic`, writing its batches to a file; returns a reader of them. */
  const submit = async (topic: string, more: Record<string, unknown> = {}): Promise<() => Batch[]> => {
    const out = path.join(root, `${topic}.jsonl`);
    await submitDetached(address, secret, fixture('placement-job.ts'), [JSON.stringify({ brokers: k.bootstrap, topic, groupId: `g-${topic}`, batchMs: 500, out, ...more })]);
    return () =>
      fs.existsSync(out)
        ? fs
            .readFileSync(out, 'utf8')
            .split('\n')
            .filter((l) => l.endsWith('}'))
            .map((l) => JSON.parse(l) as Batch)
        : [];
  };
  const stop = async (): Promise<void> => {
    for (const p of mine.reverse()) await p.stop();
  };
  return { driver, workers, until, addWorker, idsOf, submit, stop };
}

interface Batch {
  time: number;
  parts: Part[];
  spread: number[];
}

const broker = async (): Promise<KafkaTestCluster> => (kafka ??= await KafkaTestCluster.start({ brokers: 1 }));

test('a third worker joining a Kafka direct stream reads its share of partitions from the next batches; rdd.preferredLocations names the placed worker', { timeout: 180_000 }, async (t) => {
  const k = await broker();
  k.createTopic('in', PARTITIONS);
  const producing = steadyProducer(k, 'in', PARTITIONS, nothing(), 16, 100);
  const c = await startCluster(k);
  try {
    const { until, workers } = c;
    const batches = await c.submit('in');
    const full = (from: number) => batches().slice(from).filter((b) => b.parts.length === PARTITIONS);

    // Two workers: every partition prefers its placed worker among the two.
    await until(() => (full(0).length >= 3 ? true : undefined), 90_000, 'three batches reading all 8 partitions on 2 workers');
    const two = await c.idsOf(workers);
    const pidOfId = new Map(workers.map((w, i) => [two[i]!, w.child.pid!]));
    for (const b of full(0).slice(0, 3)) {
      for (const p of b.parts) assert.deepEqual(p.prefs, [expectedWorker(p.topic, p.partition, two)], `batch ${b.time}: ${p.topic}-${p.partition}'s preferred location with 2 workers`);
    }

    // A third worker joins.
    const seen = batches().length;
    const third = await c.addWorker();
    workers.push(third);
    const three = await c.idsOf(workers);
    pidOfId.set(three[2]!, third.child.pid!);
    const placed = (p: Part): string => expectedWorker(p.topic, p.partition, three);
    const share = Array.from({ length: PARTITIONS }, (_, q) => expectedWorker('in', q, three)).filter((w) => w === three[2]).length;
    assert.ok(share > 0 && share < PARTITIONS, `the hash gives the new worker some partitions, not all (${share})`);
    // From the first batch that places over three workers on: 5 batches reading every partition.
    const firstAfter = await until(() => {
      const i = batches().findIndex((b, k) => k >= seen && b.parts.length === PARTITIONS && b.parts.some((p) => p.prefs[0] === three[2]));
      return i < 0 ? undefined : i;
    }, 60_000, 'a batch placing partitions on the new worker');
    const after = await until(() => (full(firstAfter).length >= 5 ? full(firstAfter).slice(0, 5) : undefined), 90_000, 'five batches after the join');
    let onPlaced = 0;
    let onNew = 0;
    for (const b of after) {
      for (const p of b.parts) {
        assert.deepEqual(p.prefs, [placed(p)], `batch ${b.time}: ${p.topic}-${p.partition}'s preferred location with 3 workers`);
        assert.deepEqual(p.mappedPrefs, p.prefs, "a map of the batch's RDD prefers what its partition prefers");
        if (p.pid === pidOfId.get(placed(p))) onPlaced++;
        if (p.pid === third.child.pid) onNew++;
      }
    }
    const tasks = after.length * PARTITIONS;
    // A stage preferring no worker (parallelize) runs on the new worker's core too.
    const spreadOnNew = after.flatMap((b) => b.spread).filter((pid) => pid === third.child.pid).length;
    assert.ok(spreadOnNew > 0, `the new worker ran ${spreadOnNew} of ${after.length * 6} parallelize tasks`);
    t.diagnostic(`after the join: ${onPlaced}/${tasks} Kafka partitions read on their placed worker, ${onNew}/${share * after.length} on the new one; ${spreadOnNew}/${after.length * 6} parallelize tasks on the new one`);
    // The new worker read its share (share of 8 partitions, 5 batches); a few tasks may have run elsewhere after the locality wait.
    assert.ok(onNew >= (share * after.length) / 2, `the new worker read ${onNew} of the ${share * after.length} partition reads placed on it`);
    assert.ok(onPlaced >= tasks * 0.6, `${onPlaced} of ${tasks} partitions read on their placed worker`);
  } finally {
    await c.stop();
    await producing.stop();
  }
});

test("PreferFixed places the partitions its map names on the worker it names, the rest by hash; PreferBrokers hashes over the workers on the leader's host", { timeout: 180_000 }, async () => {
  const k = await broker();
  k.createTopic('fixed', PARTITIONS);
  k.createTopic('leaders', PARTITIONS);
  const producing = [steadyProducer(k, 'fixed', PARTITIONS, nothing(), 16, 100), steadyProducer(k, 'leaders', PARTITIONS, nothing(), 16, 100)];
  const c = await startCluster(k);
  try {
    const ids = await c.idsOf(c.workers);
    // Sorted descending, so the hash alone would put some of partitions 0-3 on the other worker.
    const named = [...ids].sort()[0]!;
    // Partitions 0-3 on one worker by its id, 4 on the workers' host (both: by hash), 5 on a host with no worker (all: by hash).
    const fixed = { fixed: { 0: named, 1: named, 2: named, 3: named, 4: '127.0.0.1', 5: 'no-such-host' } };
    const fixedBatches = await c.submit('fixed', { fixed });
    const leaderBatches = await c.submit('leaders', { preferBrokers: true });
    const full = (read: () => Batch[]) => read().filter((b) => b.parts.length === PARTITIONS).slice(0, 3);
    const [fb, lb] = await c.until(() => {
      const f = full(fixedBatches);
      const l = full(leaderBatches);
      return f.length >= 3 && l.length >= 3 ? [f, l] : undefined;
    }, 90_000, 'three batches of each job reading all 8 partitions');
    const pidOf = new Map(c.workers.map((w, i) => [ids[i]!, w.child.pid!]));
    let onNamed = 0;
    for (const b of fb) {
      for (const p of b.parts) {
        const want = p.partition <= 3 ? named : expectedWorker('fixed', p.partition, ids);
        assert.deepEqual(p.prefs, [want], `PreferFixed: fixed-${p.partition}'s preferred location`);
        if (p.partition <= 3 && p.pid === pidOf.get(named)) onNamed++;
      }
    }
    assert.ok(onNamed >= 6, `${onNamed} of the 12 reads of partitions 0-3 ran on the worker the map names`);
    // The test broker's leader is on this host, as every worker is: all of them, by hash.
    for (const b of lb) for (const p of b.parts) assert.deepEqual(p.prefs, [expectedWorker('leaders', p.partition, ids)], `PreferBrokers: leaders-${p.partition}'s preferred location`);
  } finally {
    await c.stop();
    for (const p of producing) await p.stop();
  }
});
