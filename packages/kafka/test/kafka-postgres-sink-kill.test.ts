// A direct Kafka stream written with saveToPostgres (@sluice/postgres, idempotent by its
// (batch, partition) markers), the context from getOrCreate with a checkpoint: the pipeline a
// Spark user builds first, through a driver SIGKILL and a worker SIGKILL (docs/fault-matrix.md's
// Kafka row). The test broker in this process (a topic of 3 partitions), Debian's PostgreSQL (a
// server started for this file), `sluice run` of fixture pg-sink-kill-job.ts. The kill comes from
// the sink's own onProgress, so the moment is exact:
//  - the driver, just after a partition's COMMIT (its rows and marker committed), its batch not
//    done; records produced while no driver runs; the job run again on its checkpoint: the batch
//    is re-run with the ranges its checkpoint recorded (the committed partition skipped by its
//    marker), the down times' batches go on from where they end;
//  - a worker, mid-transaction (its partition's first 20 rows sent): the server rolls the
//    transaction back, the task is run again on another worker.
// Checked against the records produced here (values 1..N, each once): the table holds every value
// exactly once (nothing skipped, nothing twice), one marker a (batch, partition).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import postgres from 'postgres';
import { startPostgres, type PostgresServer } from '@sluice/test-servers';
import { exitWithin, fixture, pollUntil, runDriverProcess, type DriverProcess } from './job-runner.js';
import { KafkaTestCluster } from './support/kafka-test-cluster.js';
import { numberedRecords, type Produced } from './stream-test-support.js';

let kafka: KafkaTestCluster;
let pg: PostgresServer;
let sql: postgres.Sql;
let root: string;
const runs: DriverProcess[] = [];

before(async () => {
  kafka = await KafkaTestCluster.start({ brokers: 1 });
  pg = await startPostgres();
  sql = postgres(pg.url, { max: 1, onnotice: () => undefined });
  await sql`create table records (v bigint not null)`;
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-kafka-pg-kill-'));
});

after(async () => {
  for (const r of runs) await r.kill9();
  await sql?.end();
  await pg?.stop();
  await kafka?.close();
  fs.rmSync(root, { recursive: true, force: true });
});

const PARTITIONS = 3;

/** Produces the values next..next+n-1 (value v to partition v % 3: stream-test-support's numberedRecords); returns how many were produced in all. */
function producerOf(topic: string): (n: number) => Promise<number> {
  const into: Produced = { count: 0, sum: 0, sumSq: 0 };
  const send = numberedRecords(kafka, topic, PARTITIONS, into);
  return async (n) => {
    await send(n);
    return into.count;
  };
}

const rowCount = async (): Promise<number> => (await sql`select count(*)::int as n from records`)[0]!.n as number;

for (const c of [
  { kill: 'driver', stage: 'committed', workers: 2, name: "the driver killed -9 just after a partition's COMMIT, its batch not done; run again from the checkpoint" },
  { kill: 'worker', stage: 'written', workers: 3, name: 'a worker killed -9 mid-transaction (its first 20 rows sent)' },
] as const) {
  test(`Kafka into saveToPostgres with getOrCreate, ${c.name}: every record once`, { timeout: 150_000 }, async () => {
    await sql`truncate records`;
    await sql`drop table if exists sluice_output_markers`;
    const topic = `rec-${c.kill}`;
    kafka.createTopic(topic, PARTITIONS);
    const produce = producerOf(topic);
    let produced = await produce(900);
    const dir = path.join(root, c.kill);
    const control = path.join(dir, 'control');
    fs.mkdirSync(control, { recursive: true });
    const armFile = path.join(dir, 'arm');
    const firedFile = path.join(dir, 'fired');
    // 100 records a second a partition, batches of 0.5 s: at most 150 records a batch
    const args = JSON.stringify({ brokers: kafka.bootstrap, topic, groupId: `g-${c.kill}`, url: pg.url, ckpt: path.join(dir, 'ckpt'), control, batchMs: 500, maxRatePerPartition: 100, armFile, firedFile, stage: c.stage, kill: c.kill });
    const start = (): DriverProcess => {
      const r = runDriverProcess(fixture('pg-sink-kill-job.ts'), [args], c.workers);
      runs.push(r);
      return r;
    };
    let run = start();
    await pollUntil(async () => ((await rowCount()) >= 300 ? true : undefined), 60_000, 'the first batches in the table', 100);
    fs.writeFileSync(armFile, '');
    let atKill: number;
    if (c.kill === 'driver') {
      const code = await exitWithin(run, 60_000);
      assert.equal(code, null, `the sink killed the driver (${fs.existsSync(firedFile) ? fs.readFileSync(firedFile, 'utf8') : 'not fired'})`);
      atKill = await rowCount();
      produced = await produce(600); // while no driver runs
      run = start();
    } else {
      await pollUntil(() => fs.existsSync(firedFile) || undefined, 60_000, 'the sink killed its worker', 20);
      atKill = await rowCount();
      produced = await produce(600);
    }
    assert.ok(atKill < produced, `killed mid-stream (${atKill} rows of ${produced})`);
    produced = await produce(300);
    await pollUntil(async () => ((await rowCount()) >= produced ? true : undefined), 90_000, `every record produced (${produced}) in the table`, 100);
    await new Promise((r) => setTimeout(r, 1000)); // a batch written twice would show by now
    fs.writeFileSync(path.join(control, 'stop'), '');
    assert.equal(await exitWithin(run, 60_000), 0, run.stderr().slice(-3000));

    const rows = (await sql`select count(*)::int as n, count(distinct v)::int as d, min(v)::int as lo, max(v)::int as hi from records`)[0]!;
    assert.deepEqual({ n: rows.n, d: rows.d, lo: rows.lo, hi: rows.hi }, { n: produced, d: produced, lo: 1, hi: produced }, 'every value produced once in the table');
    const markers = (await sql`select count(*)::int as n, count(distinct (batch, partition))::int as d from sluice_output_markers where output_id = 'records'`)[0]!;
    assert.equal(markers.n, markers.d, 'one marker a (batch, partition)');
    const fired = JSON.parse(fs.readFileSync(firedFile, 'utf8')) as { stage: string; batch: string; partition: number };
    assert.equal(fired.stage, c.stage);
    const failed = run.lines.filter((l) => l.startsWith('TASK FAILED')).length;
    console.log(`# killed the ${c.kill} at ${JSON.stringify(fired)}; ${atKill} rows at the kill, ${produced} at the end; ${markers.n} markers; ${failed} task attempts failed (last run)`);
  });
}
