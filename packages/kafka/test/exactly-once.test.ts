// Exactly-once from Kafka to PostgreSQL with a kill -9 of the driver: the results and the
// offsets are written in one transaction per batch, and a restarted job starts from the
// offsets in the database. Debian's PostgreSQL (a server started for this file), the test
// broker in this process, a driver process and 2 worker processes. The word counts in the
// table must equal the counts computed here from the lines the test produced: no record
// lost, none counted twice.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Producer } from '@platformatic/kafka';
import postgres from 'postgres';
import { fixture } from './job-runner.js';
import { freePort, pollUntil, randomSecret, startDriver, startWorker, submitDetached, type SluiceProcess } from './sluice-process.js';
import { KafkaTestCluster } from './support/kafka-test-cluster.js';
import { startPostgres, type PostgresServer } from '@sluice/test-servers';

const procs: SluiceProcess[] = [];
let kafka: KafkaTestCluster | undefined;
let pg: PostgresServer | undefined;
let sql: postgres.Sql | undefined;

after(async () => {
  for (const p of procs.reverse()) await p.stop();
  await sql?.end();
  await pg?.stop();
  await kafka?.close();
});

test('kill -9 of the driver mid-stream: the Postgres table equals the counts of the input, each record once', async () => {
  kafka = await KafkaTestCluster.start({ brokers: 1 });
  kafka.createTopic('words', 3);
  pg = await startPostgres();
  sql = postgres(pg.url, { max: 1, onnotice: () => undefined });
  const expected = new Map<string, number>();
  let seed = 7;
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296);
  let produced = 0;
  const produce = async (lines: number): Promise<void> => {
    const p = new Producer({ clientId: 'test', bootstrapBrokers: kafka!.bootstrap, retries: 20, retryDelay: 100 });
    for (let sent = 0; sent < lines; ) {
      const messages = [];
      for (let i = 0; i < 200 && sent < lines; i++, sent++) {
        const words = Array.from({ length: 1 + Math.floor(rand() * 5) }, () => `w${Math.floor(rand() * 50)}`);
        for (const w of words) expected.set(w, (expected.get(w) ?? 0) + 1);
        messages.push({ topic: 'words', partition: Math.floor(rand() * 3), value: Buffer.from(words.join(' ')) });
      }
      await p.send({ messages });
    }
    produced += lines;
    await p.close();
  };
  await produce(3000);

  const secret = randomSecret();
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  let driver = await startDriver(port, secret);
  procs.push(driver);
  for (let i = 0; i < 2; i++) procs.push(await startWorker(address, secret));
  const job = { brokers: kafka.bootstrap, topic: 'words', groupId: 'g-eo', db: pg.url, batchMs: 500 };
  // The first run holds its first batch with records from 1000 stored on (the fixture's holdAt)
  // until its driver is killed: on a loaded machine batches back up, and the one after the first
  // 1000 stored could otherwise store the rest of the input before the kill lands.
  await submitDetached(address, secret, fixture('exactly-once-job.ts'), [JSON.stringify({ ...job, holdAt: 1000 })]);
  const storedTotal = async (): Promise<number> => {
    const exists = await sql!`select to_regclass('kafka_offsets') is not null as e`;
    if (!exists[0]!.e) return 0;
    const r = await sql!`select coalesce(sum(until_offset), 0)::int as s from kafka_offsets`;
    return r[0]!.s as number;
  };
  const waitStored = async (atLeast: number, what: string): Promise<void> => {
    const deadline = Date.now() + 60_000;
    while ((await storedTotal()) < atLeast) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  await waitStored(1000, 'the first batches');
  await driver.kill9();
  assert.ok((await storedTotal()) < produced, 'the driver died mid-stream');
  await produce(1000); // while it is down

  driver = await startDriver(port, secret);
  procs.push(driver);
  await pollUntil(() => (driver.logLines.filter((l) => l.includes('"worker joined"')).length >= 2 ? true : undefined), 30_000, 'the workers to register again');
  await submitDetached(address, secret, fixture('exactly-once-job.ts'), [JSON.stringify(job)]);
  await produce(1000);
  await waitStored(produced, `every record stored (${produced})`);
  await new Promise((r) => setTimeout(r, 1000)); // a batch applied twice would show by now

  const rows = await sql`select word, n::int as n from word_counts order by word`;
  const got = new Map(rows.map((r) => [r.word as string, r.n as number]));
  assert.deepEqual(new Map([...got].sort()), new Map([...expected].sort()), 'the table holds each word count of the input exactly');
  const offsets = await sql`select part, until_offset::int as u from kafka_offsets order by part`;
  assert.deepEqual(
    offsets.map((r) => r.u as number),
    kafka.topics.get('words')!.partitions.map((l) => Number(l.endOffset)),
    'the stored offsets are the partitions ends',
  );
});
