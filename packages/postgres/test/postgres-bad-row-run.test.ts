// A row the Postgres server refuses (a value of the wrong type), as a user meets it in
// `sluice run`: the job fails, nothing is written (the partition's transaction rolled back),
// and the failure says which record of the partition it was and, with COPY (the default),
// which column, as the records' own checks do ('record 1 of the partition is an array of 1
// values ...'). Before, it said only "the Postgres server rejected a row of 'events': invalid
// input syntax for type integer" with no position among the partition's rows.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { startPostgres, type PostgresServer } from '@sluice/test-servers';
import { exitWithin, fixture, runDriverProcess, type DriverProcess } from './job-runner.js';

let server: PostgresServer;
let db: pg.Client;
const runs: DriverProcess[] = [];

before(async () => {
  server = await startPostgres();
  db = new pg.Client({ connectionString: server.url });
  await db.connect();
  await db.query('CREATE TABLE events (id bigint, word text, n integer)');
});

after(async () => {
  for (const r of runs) await r.kill9();
  await db?.end();
  await server?.stop();
});

async function failure(args: Record<string, unknown>): Promise<string> {
  const run = runDriverProcess(fixture('pg-bad-row-job.ts'), [JSON.stringify({ connectionString: server.url, table: 'events', count: 300, ...args })], 1);
  runs.push(run);
  const code = await exitWithin(run, 90_000);
  assert.equal(code, 1, `sluice run exits 1 (got ${code}):\n${run.stderr()}`);
  assert.ok(!run.lines.some((l) => l.startsWith('SAVED ')), 'nothing saved');
  assert.equal((await db.query('SELECT * FROM events')).rowCount, 0, 'no row written');
  return run.stderr();
}

test("COPY: a refused row is named by its record in the partition and its column", { timeout: 120_000 }, async () => {
  const bad = 217;
  const stderr = await failure({ bad, method: 'copy', batchSize: 50 });
  assert.match(stderr, new RegExp(`the Postgres server rejected a row of 'events' at record ${bad} of the partition, column 'n': invalid input syntax for type integer`), stderr);
  // What `sluice run` prints under it: the pg client's own frames under the server's error fold
  // into one line, the program's line right after (before, 4 frames of pg-protocol's parser).
  const printed = stderr.slice(stderr.indexOf('\nJob '));
  assert.match(printed, /\nCaused by: error: invalid input syntax for type integer[^\n]*\n {4}\.\.\. \d+ frames in node_modules \(pg-protocol[^)\n]*\)\nDriver stacktrace:\n {4}at .*pg-bad-row-job\.ts:\d+:\d+\)/, printed);
  assert.doesNotMatch(printed, /^\s+at .*node_modules[\\/].*pg-protocol/m, printed);
});

test('INSERT: a refused row is named by the records of the statement that carried it', { timeout: 120_000 }, async () => {
  const bad = 217;
  const batchSize = 50;
  const first = Math.floor(bad / batchSize) * batchSize;
  const stderr = await failure({ bad, method: 'insert', batchSize });
  assert.match(stderr, new RegExp(`the Postgres server rejected a row of 'events' in records ${first}\\.\\.${first + batchSize - 1} of the partition \\(one INSERT of batchSize rows; method 'copy' names the record\\): invalid input syntax for type integer`), stderr);
});
