// examples/kafka-events-to-postgres.ts on a driver and 2 worker processes, against the test
// broker and Debian's PostgreSQL: JSON events (1 in 20 malformed) produced here, the job
// submitted, stopped with `sluice stop --graceful` once the first are counted, more events produced
// while it is down, and the job submitted again on the same checkpoint directory. The running
// totals in user_totals must equal the per-user counts and sums computed here from the
// well-formed events, each once; every window row is within the user's total.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import { Producer } from '@platformatic/kafka';
import postgres from 'postgres';
import { freePort, randomSecret, startDriver, startWorker, type SluiceProcess } from './sluice-process.js';
import { KafkaTestCluster } from './support/kafka-test-cluster.js';
import { startPostgres, type PostgresServer } from '@sluice/test-servers';

const REPO_DIR = fileURLToPath(new URL('../../../../', import.meta.url));
const CLI_BIN = path.join(REPO_DIR, 'packages', 'cli', 'bin', 'sluice.js');
const EXAMPLE = path.join(REPO_DIR, 'examples', 'kafka-events-to-postgres.ts');

const procs: SluiceProcess[] = [];
let kafka: KafkaTestCluster | undefined;
let pg: PostgresServer | undefined;
let sql: postgres.Sql | undefined;
let tmp = '';

after(async () => {
  for (const p of procs.reverse()) await p.stop();
  await sql?.end();
  await pg?.stop();
  await kafka?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/** `sluice <args>` as a client command: resolves with its stdout once it exited 0. */
function cli(args: readonly string[], secret: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [CLI_BIN, ...args], { env: { ...process.env, SLUICE_SECRET: secret, SLUICE_SECRET_FILE: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.once('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`sluice ${args.join(' ')} exited ${code}:\n${out}${err}`))));
  });
}

test('the Kafka events pipeline example: stopped gracefully mid-stream and submitted again on its checkpoint, the Postgres totals equal the well-formed events, each once', { timeout: 300_000 }, async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-events-'));
  kafka = await KafkaTestCluster.start({ brokers: 1 });
  kafka.createTopic('events', 3);
  pg = await startPostgres();
  sql = postgres(pg.url, { max: 1, onnotice: () => undefined });

  const USERS = ['ann', 'bob', 'cyd', 'dee', 'eve'];
  const expected = new Map<string, { events: number; amount: number }>();
  let seed = 29;
  const rand = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296;
  let good = 0;
  const produce = async (n: number): Promise<void> => {
    const p = new Producer({ clientId: 'test', bootstrapBrokers: kafka!.bootstrap, retries: 20, retryDelay: 100 });
    const messages = Array.from({ length: n }, () => {
      const user = USERS[Math.floor(rand() * USERS.length)]!;
      const amount = 1 + Math.floor(rand() * 100);
      const malformed = rand() < 0.05;
      if (!malformed) {
        const e = expected.get(user) ?? { events: 0, amount: 0 };
        expected.set(user, { events: e.events + 1, amount: e.amount + amount });
        good++;
      }
      const value = malformed ? (rand() < 0.5 ? `{"user":"${user}","amount":` : JSON.stringify({ user, amount: String(amount) })) : JSON.stringify({ user, amount });
      return { topic: 'events', partition: Math.floor(rand() * 3), value: Buffer.from(value) };
    });
    await p.send({ messages });
    await p.close();
  };
  const counted = async (): Promise<number> => {
    const exists = await sql!`select to_regclass('user_totals') is not null as e`;
    if (!exists[0]!.e) return 0;
    return ((await sql!`select coalesce(sum(events), 0)::int as n from user_totals`)[0]!.n as number);
  };
  const waitCounted = async (atLeast: number, what: string): Promise<void> => {
    const deadline = Date.now() + 120_000;
    while ((await counted()) < atLeast) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (${await counted()} of ${atLeast})`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  const secret = randomSecret();
  const port = await freePort();
  const driver = `127.0.0.1:${port}`;
  procs.push(await startDriver(port, secret));
  for (let i = 0; i < 2; i++) procs.push(await startWorker(driver, secret));
  const args = [kafka.bootstrap.join(','), 'events', pg.url, path.join(tmp, 'checkpoint')];

  await produce(1500);
  const first = (await cli(['submit', '--driver', driver, '--detach', EXAMPLE, ...args], secret)).trim();
  await waitCounted(Math.floor(good / 2), 'the first events counted');
  await cli(['stop', first, '--driver', driver, '--graceful'], secret);
  await produce(1500); // while it is stopped
  await cli(['submit', '--driver', driver, '--detach', EXAMPLE, ...args], secret);
  await waitCounted(good, `every well-formed event counted (${good})`);
  await new Promise((r) => setTimeout(r, 1500)); // a batch counted twice would show by now

  const rows = await sql`select "user", events::int as events, amount::int as amount from user_totals order by "user"`;
  assert.deepEqual(
    rows.map((r) => [r.user, { events: r.events, amount: r.amount }]),
    [...expected].sort(([a], [b]) => a.localeCompare(b)),
    'each user has the count and sum of its well-formed events, each once',
  );
  assert.ok(good < 3000 && good > 2700, `some events were malformed (${3000 - good})`);
  const windows = await sql`select "user", max(events)::int as most, min(events)::int as least, count(*)::int as slides from user_windows group by "user" order by "user"`;
  assert.deepEqual(windows.map((r) => r.user), [...expected.keys()].sort(), 'every user has windows');
  for (const w of windows) {
    assert.ok(w.least >= 0 && w.most > 0 && w.most <= expected.get(w.user as string)!.events, `${w.user}'s windows count between 0 and its total: ${JSON.stringify(w)}`);
  }
});
