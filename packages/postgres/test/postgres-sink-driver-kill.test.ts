// The saveToPostgres cell of docs/fault-matrix.md's driver SIGKILL at a bad moment: `sluice run`
// (its own driver process, 2 workers) of a file stream of words recovered with getOrCreate
// (fixture pg-driver-kill-job.ts), the driver killed by the sink's own onProgress, so the moment
// is exact: with a partition's transaction open after its first INSERT of 50 rows (the worker,
// its driver gone, exits and the server rolls the transaction back), and just after a
// partition's COMMIT, its batch not done. A file comes while no driver runs; the job is run again
// on its checkpoint and re-runs the batch. Checked against the files' words (computed here): every
// word once in the table, one marker a (batch, partition). The scenario, shared with
// redis-sink-driver-kill, is @sluice/test-servers/sink-driver-kill's.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startPostgres, type PostgresServer } from '@sluice/test-servers';
import { sinkDriverKillScenario } from '@sluice/test-servers/sink-driver-kill';
import { fixture, type DriverProcess } from './job-runner.js';
import { assertPgWordsOnce, pgQuery, pgWordCounts } from './pg-query.js';

let server: PostgresServer;
let root: string;
const runs: DriverProcess[] = [];

const query = (sql: string): Promise<unknown[]> => pgQuery(server.url, sql);
const counts = (): Promise<Record<string, string>> => pgWordCounts(server.url);

before(async () => {
  server = await startPostgres();
  await query('CREATE TABLE words (word text NOT NULL)');
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-pg-driver-kill-'));
});

after(async () => {
  for (const r of runs) await r.kill9();
  await server?.stop();
  fs.rmSync(root, { recursive: true, force: true });
});

for (const c of [
  { stage: 'written', name: "with a partition's transaction open (its first 50 rows sent)" },
  { stage: 'committed', name: "just after a partition's COMMIT, its batch not done" },
] as const) {
  test(`the driver killed -9 by the sink ${c.name}, run again from the checkpoint: every word once`, { timeout: 150_000 }, async () => {
    await query('TRUNCATE words');
    await query('DROP TABLE IF EXISTS sluice_output_markers');
    const end = await sinkDriverKillScenario({ fixture: fixture('pg-driver-kill-job.ts'), url: server.url, stage: c.stage, counts, dir: path.join(root, c.stage), runs });
    const { rows } = await assertPgWordsOnce(server.url);
    console.log(`# killed at ${end.fired}; ${end.atKill} rows at the kill, ${rows} at the end; ${end.steps}`);
  });
}
