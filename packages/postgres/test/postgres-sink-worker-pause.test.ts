// The saveToPostgres cell of docs/fault-matrix.md's worker SIGSTOP: a real Debian PostgreSQL, the
// driver in this process (worker timeout 3 s) and 3 worker processes; the worker writing a
// partition stops itself with SIGSTOP from the sink's own onProgress (fixture pg-pause-job.ts with
// `freeze`) after its first chunk of 100 rows, a multi-row INSERT or a COPY's: its connection stays
// open and its transaction open on the server (idle after the INSERT; in the middle of its COPY
// statement). The driver declares the worker lost and runs the attempt again elsewhere. Its marker
// row comes last in a partition's transaction, so the frozen one holds no lock the retry waits on,
// and with INSERTs the server also ends the frozen session after idleInTransactionTimeoutMs (3 s
// here): the retry goes on within about the worker timeout, measured from the freeze to the
// partition's marker committed by another attempt. Then the frozen worker is woken while the job
// still runs: nothing it sends after the wake may commit. Checked against the input (sink-input,
// from the seed): every record of every batch exactly once, one marker a (batch, partition). The
// server's bound, the failed attempt's message and the woken attempt's rollback made certain in
// this process: the later cases.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { startPostgres, type PostgresServer } from '@sluice/test-servers';
import { WORKER_TIMEOUT_MS, armSinkFreeze, resume, workerPauseCluster } from '@sluice/test-servers/worker-pause';
import { fixture, pollUntil, startJob } from './job-runner.js';
import { partitionRecords } from '@sluice/test-servers/sink-input';
import { batchesDone } from '@sluice/test-servers/sink-job';
import { pgQuery } from './pg-query.js';
import { SluiceError } from '@sluice/core';
import { endCachedPools } from '../src/pool-cache.js';
import { postgresSinkParams } from '../src/postgres-options.js';
import { writePostgresPartition, type PartitionResult } from '../src/postgres-partition-writer.js';

let server: PostgresServer;
let dir: string;
const frozen = workerPauseCluster(3);

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-pg-worker-pause-'));
  server = await startPostgres();
  await query('CREATE TABLE events (id bigint, word text, n integer)');
});

after(async () => {
  await server?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const query = <T extends pg.QueryResultRow>(sql: string): Promise<T[]> => pgQuery<T>(server.url, sql);

const A = { batches: 10, perBatch: 2000, partitions: 4, words: 500, seed: 29, batchMs: 400 };
/** The sink's bound on a transaction left idle (the option under test): 3 s. */
const IDLE_MS = 3000;
const key = (r: { id: string | number; word: string; n: number }) => `${r.id}|${r.word}|${r.n}`;

interface Fired {
  readonly batch: string;
  readonly partition: number;
  readonly pid: number;
  readonly at: number;
}

/**
 * The backends of the sink's sessions (application_name sluice-postgres) whose transaction has
 * been open and idle, or inside a COPY waiting for its client's rows, for `ms` or more: what a
 * frozen attempt's session looks like, and a healthy write's never for a second here.
 */
const stalled = async (ms: number): Promise<number[]> =>
  (
    await query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE application_name = 'sluice-postgres' AND (state LIKE 'idle in transaction%' OR (state = 'active' AND query LIKE 'COPY%' AND wait_event = 'ClientRead')) AND now() - state_change >= interval '${ms} milliseconds'`,
    )
  ).map((r) => r.pid);
/** Which of `pids` are still backends of the server. */
const stillThere = async (pids: readonly number[]): Promise<number[]> => (await query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE pid IN (${pids.join(', ')})`)).map((r) => r.pid);

async function assertEveryRecordOnce(when: string): Promise<void> {
  const markers = await query<{ batch: string; partition: number }>("SELECT batch, partition FROM sluice_output_markers WHERE output_id = 'events'");
  assert.equal(markers.length, A.batches * A.partitions, `${when}: one marker a (batch, partition)`);
  const want: string[] = [];
  for (let b = 0; b < A.batches; b++) for (let p = 0; p < A.partitions; p++) for (const r of partitionRecords(A, b, p)) want.push(key(r));
  const rows = await query<{ id: string; word: string; n: number }>('SELECT id, word, n FROM events');
  assert.equal(rows.length, want.length, `${when}: every record once (${rows.length} rows for ${want.length} records)`);
  assert.deepEqual(rows.map(key).sort(), want.sort(), `${when}: events holds exactly the input`);
}

for (const method of ['insert', 'copy'] as const) {
test(`method '${method}': the worker writing a partition frozen (SIGSTOP) mid-transaction: the retry goes on within the worker timeout; woken, it adds nothing; every record once`, { timeout: 120_000 }, async () => {
  await query('TRUNCATE events');
  await query('DROP TABLE IF EXISTS sluice_output_markers');
  const armFile = path.join(dir, `arm-${method}`);
  const firedFile = path.join(dir, `fired-${method}`);
  const job = await startJob(frozen.cluster, fixture('pg-pause-job.ts'), [
    JSON.stringify({ url: server.url, ...A, pid: 0, freeze: true, armFile, firedFile, stage: 'written', batchSize: 100, idleInTransactionTimeoutMs: IDLE_MS, method }),
  ]);
  await job.waitLine('BATCH ', 60_000, () => batchesDone(job.lines) >= 2);
  const { fired, victim } = await armSinkFreeze<Fired>(frozen, armFile, firedFile);
  // The frozen attempt's transaction is open on the server (its first chunk's rows sent, not committed).
  const held = await pollUntil(async () => ((await stalled(1000)).length > 0 ? stalled(1000) : undefined), 10_000, 'the frozen worker left its transaction open on the server', 100);
  // The same (batch, partition) committed by another attempt: the retry was not held by the frozen transaction for long.
  await pollUntil(
    async () => ((await query(`SELECT 1 FROM sluice_output_markers WHERE output_id = 'events' AND batch = '${fired.batch}' AND partition = ${fired.partition}`)).length > 0 ? true : undefined),
    60_000,
    `batch ${fired.batch} partition ${fired.partition} committed by another attempt while its first one is frozen`,
    100,
  );
  const stallMs = Date.now() - fired.at;
  // Declared lost after WORKER_TIMEOUT_MS, the retry waits on no lock of the frozen attempt (10x
  // loose here; with the marker first, the retry's marker INSERT waited on the frozen one's for
  // queryTimeoutMs, 120 s, and failed, again each attempt).
  assert.ok(stallMs < 10 * (WORKER_TIMEOUT_MS + IDLE_MS), `the partition committed elsewhere ${stallMs} ms after the freeze`);
  // Idle after an INSERT, the server ends the frozen session after IDLE_MS; inside a COPY it waits for its rows.
  if (method === 'insert') await pollUntil(async () => ((await stillThere(held)).length === 0 ? true : undefined), 10_000, "the frozen worker's session ended by the server (idleInTransactionTimeoutMs)", 100);
  const wokenAt = Date.now();
  resume(victim);
  const end = await job.finished(90_000);
  assert.ok(end.ok, `${end.failure}\n${end.lines.slice(-10).join('\n')}`);
  assert.equal(batchesDone(end.lines), A.batches);
  // The woken attempt finds its session ended (INSERT), or ends its COPY and finds the marker, or its thread is ended by its worker.
  await pollUntil(async () => ((await stillThere(held)).length === 0 ? true : undefined), 20_000, "the woken attempt's session ended", 100);
  await new Promise((r) => setTimeout(r, Math.max(0, 3000 - (Date.now() - wokenAt))));
  assert.deepEqual(await stalled(1000), [], 'no transaction of the sink left open');
  await assertEveryRecordOnce('after the wake');
  // What the woken attempt did (its thread may also have been ended by its worker, finding its task stream closed).
  const after = fs.existsSync(`${firedFile}.woken`) ? fs.readFileSync(`${firedFile}.woken`, 'utf8').trim().split('\n') : [];
  assert.ok(!after.some((l) => l.includes('"stage":"committed"')), `the woken attempt committed nothing: ${after.join(' | ')}`);
  console.log(`# ${method}: froze at ${JSON.stringify(fired)}; committed elsewhere ${stallMs} ms after; ${end.lines.filter((l) => l.startsWith('TASK FAILED')).length} task attempts failed; after the wake: ${after.length === 0 ? 'nothing (its thread ended)' : after.join(' | ')}`);
});
}

// The server's bound made certain, in this process: attempt A's onProgress after its first INSERT
// of rows keyed by conflictKey (its transaction open, the keys' rows locked) runs attempt B of the
// same partition, as the retry elsewhere did while A's worker was frozen; B's upsert waits on A's
// uncommitted rows, and A sends nothing meanwhile. The server must end A's session after
// idleInTransactionTimeoutMs, B then writes the partition, and A's next statement fails naming
// the option (nothing of A committed). (A plain append waits on nothing: the case above.)
test("an attempt left idle in its transaction past idleInTransactionTimeoutMs while another waits on its rows: the server ends it, the other writes the partition once, it fails naming the option", { timeout: 60_000 }, async () => {
  await query('CREATE TABLE idle_totals (word text PRIMARY KEY, n integer)');
  const records = Array.from({ length: 350 }, (_, i) => ({ word: `w${i}`, n: i + 1 }));
  const base = { connectionString: server.url, table: 'idle_totals', columns: ['word', 'n'], conflictKey: ['word'], method: 'insert', batchSize: 100, idleInTransactionTimeoutMs: 1500, queryTimeoutMs: 20_000, reconnectTimeoutMs: 0 } as const;
  let second: PartitionResult | undefined;
  let secondMs = 0;
  const a = postgresSinkParams({
    ...base,
    onProgress: async (e) => {
      if (e.stage !== 'written' || e.rows !== 100 || second !== undefined) return;
      const t = Date.now();
      second = await writePostgresPartition(postgresSinkParams(base), 'b1', 0, records);
      secondMs = Date.now() - t;
    },
  });
  try {
    await assert.rejects(writePostgresPartition(a, 'b1', 0, records), (err: Error) => {
      assert.ok(err instanceof SluiceError, String(err));
      assert.match(err.message, /^saveToPostgres\(table 'idle_totals', output 'idle_totals'\) batch b1 partition 0: the Postgres server \S+ ended this attempt's session, its transaction rolled back, after the transaction sent nothing for idleInTransactionTimeoutMs 1500 ms \(.*idle-in-transaction timeout\): .* raise idleInTransactionTimeoutMs/);
      return true;
    });
  } finally {
    await endCachedPools();
  }
  assert.deepEqual(second, [records.length, 0], 'the second attempt wrote the partition');
  // It waited for the server to end the first one's transaction: about 1.5 s (10x loose).
  assert.ok(secondMs >= 1000 && secondMs < 15_000, `the second attempt took ${secondMs} ms`);
  const rows = await query<{ word: string; n: number }>('SELECT word, n FROM idle_totals ORDER BY n');
  assert.deepEqual(rows, records, 'every record once');
  assert.equal((await query("SELECT 1 FROM sluice_output_markers WHERE output_id = 'idle_totals'")).length, 1, 'one marker');
});

// The woken attempt made certain, in this process: attempt A (COPY) has sent its first chunk of
// rows when its onProgress runs attempt B of the same partition, as the retry elsewhere did while
// A's worker was frozen. A holds no marker yet, so B writes the partition at once; then A goes
// on, ends its COPY, finds B's marker and rolls back: the partition once. Run a third time, the
// partition is skipped before a row is sent.
test("an attempt inside its COPY while another writes its partition: the other waits on nothing, it rolls back at the marker; a later run sends no row", { timeout: 60_000 }, async () => {
  await query('CREATE TABLE copy_events (id bigint, word text, n integer)');
  const records = Array.from({ length: 350 }, (_, i) => ({ id: i, word: `w${i % 40}`, n: i + 1 }));
  const base = { connectionString: server.url, table: 'copy_events', columns: ['id', 'word', 'n'], method: 'copy', batchSize: 100, queryTimeoutMs: 20_000, reconnectTimeoutMs: 0 } as const;
  let second: PartitionResult | undefined;
  let secondMs = 0;
  const a = postgresSinkParams({
    ...base,
    onProgress: async (e) => {
      if (e.stage !== 'written' || e.rows !== 100 || second !== undefined) return;
      const t = Date.now();
      second = await writePostgresPartition(postgresSinkParams(base), 'b1', 0, records);
      secondMs = Date.now() - t;
    },
  });
  const third: string[] = [];
  try {
    assert.deepEqual(await writePostgresPartition(a, 'b1', 0, records), [0, 1], 'the first attempt found the partition written and rolled back');
    assert.deepEqual(second, [records.length, 0], 'the second attempt wrote the partition');
    // It waited on nothing of the first (with the marker first it waited on the first's marker row until queryTimeoutMs).
    assert.ok(secondMs < 10_000, `the second attempt took ${secondMs} ms`);
    const c = postgresSinkParams({ ...base, onProgress: (e) => void third.push(e.stage) });
    assert.deepEqual(await writePostgresPartition(c, 'b1', 0, records), [0, 1], 'a later run skips the partition');
  } finally {
    await endCachedPools();
  }
  assert.deepEqual(third, [], 'a later run sends no row');
  const rows = await query<{ id: string }>('SELECT id FROM copy_events ORDER BY id');
  assert.deepEqual(rows.map((r) => Number(r.id)), records.map((r) => r.id), 'every record once');
  assert.deepEqual(await query("SELECT rows::int AS rows FROM sluice_output_markers WHERE output_id = 'copy_events'"), [{ rows: records.length }], 'one marker, with the row count');
});
