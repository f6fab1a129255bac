// saveToPostgres in a job recovered from its checkpoint after its driver was killed (`sluice
// run` of a file stream with StreamingContext.getOrCreate, SIGKILL, run again; a real
// PostgreSQL stopped with pg_ctl stop -m fast; @sluice/test-servers/recovered-sink's scenario):
// the output's knowledge that it wrote through the server is kept in the metadata checkpoints,
// so the recovered job's first batches wait for that server while it is down (as they would
// before the kill) and every word is written once; a job recovered with another connection
// string never reached that server and fails at once, as a new job does.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { startPostgres, type PostgresServer } from '@sluice/test-servers';
import { recoveredSinkScenario } from '@sluice/test-servers/recovered-sink';
import { fixture, freePort, type DriverProcess } from './job-runner.js';
import { pgQuery } from './pg-query.js';

let server: PostgresServer;
let root: string;
const runs: DriverProcess[] = [];

const query = <T extends pg.QueryResultRow>(sql: string): Promise<T[]> => pgQuery<T>(server.url, sql);

before(async () => {
  server = await startPostgres();
  await query('CREATE TABLE words (word text NOT NULL)');
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-pg-recovered-'));
});

after(async () => {
  for (const r of runs) await r.kill9();
  await server?.stop();
  fs.rmSync(root, { recursive: true, force: true });
});

test("the Postgres server down across the driver's SIGKILL and the job's recovery, back within the wait: the recovered job waits for the server its output wrote through; every word written once; recovered with another connection string it fails at once", { timeout: 240_000 }, async () => {
  const port = await freePort();
  const summary = await recoveredSinkScenario({
    fixture: fixture('pg-recover-job.ts'),
    server,
    counts: () =>
      query<{ word: string; n: string }>('SELECT word, count(*) AS n FROM words GROUP BY word').then(
        (rows) => Object.fromEntries(rows.map((r) => [r.word, String(r.n)])),
        () => ({}),
      ),
    reachable: () => query('SELECT 1').then(() => true, () => false),
    nowhere: `postgres://sluice@127.0.0.1:${port}/postgres`,
    unreachable: new RegExp(`cannot reach the Postgres server 127\\.0\\.0\\.1:${port}/postgres`),
    root,
    runs,
  });
  console.log(`# ${summary}`);
});
