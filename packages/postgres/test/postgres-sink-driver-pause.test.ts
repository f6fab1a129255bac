// The saveToPostgres cell of docs/fault-matrix.md's driver SIGSTOP: `sluice run` (its own driver
// process, 2 workers) of a file stream of words recovered with getOrCreate (fixture
// pg-driver-kill-job.ts with `stop`), the driver frozen by the sink's own onProgress with a
// partition's transaction open after its first INSERT of 50 rows, so the moment is exact: the
// worker goes on, commits that partition and reports to a driver that answers nothing (past the
// workers' 5 s heartbeat deadline) while a second file comes; the driver is woken 12 s later (a
// GC pause, a stalled VM). Checked against the files' words (computed here, recovered-sink's
// countsOf): every word once in the table, one marker a (batch, partition), the job stopping
// cleanly after.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startPostgres, type PostgresServer } from '@sluice/test-servers';
import { sinkDriverPauseScenario, wakeAndKill } from '@sluice/test-servers/sink-driver-pause';
import { fixture, type DriverProcess } from './job-runner.js';
import { assertPgWordsOnce, pgQuery, pgWordCounts } from './pg-query.js';

/** How long the driver stays frozen: past the workers' 5 s heartbeat deadline and a batch's output. */
const FROZEN_MS = 12_000;

let server: PostgresServer;
let root: string;
const runs: DriverProcess[] = [];

const counts = (): Promise<Record<string, string>> => pgWordCounts(server.url);

before(async () => {
  server = await startPostgres();
  await pgQuery(server.url, 'CREATE TABLE words (word text NOT NULL)');
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-pg-driver-pause-'));
});

after(async () => {
  await wakeAndKill(runs);
  await server?.stop();
  fs.rmSync(root, { recursive: true, force: true });
});

test(`the driver frozen (SIGSTOP) ${FROZEN_MS / 1000} s by the sink with a partition's transaction open, a file coming meanwhile, then woken: every word once`, { timeout: 150_000 }, async () => {
  const end = await sinkDriverPauseScenario({ fixture: fixture('pg-driver-kill-job.ts'), url: server.url, stage: 'written', frozenMs: FROZEN_MS, counts, dir: path.join(root, 'case'), runs });
  const { rows, markers } = await assertPgWordsOnce(server.url);
  console.log(`# frozen at ${end.fired} for ${end.frozenFor} ms; ${end.atWake} rows at the wake (300 per file); every word of the three files in ${end.caughtUp} ms after it; ${rows} rows, ${markers} markers`);
});
