// The saveToPostgres cell of docs/fault-matrix.md's driver SIGKILL at a bad moment: `sluice run`
// (its own driver process, 2 workers) of a file stream of words recovered with getOrCreate
// (fixture pg-driver-kill-job.ts), the driver killed by the sink's own onProgress, so the moment
// is exact: with a partition's transaction open after its first INSERT of 50 rows (the worker,
// its driver gone, exits and the server rolls the transaction back), and just after a
// partition's COMMIT, its batch not done. A file comes while no driver runs; the job is run again
// on its checkpoint and re-runs the batch. Checked against the files' words (computed here): every
// word once in the table, one marker a (batch, partition).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { startPostgres, type PostgresServer } from '@sluice/test-servers';
import { countsOf, sortedCounts, wordsOf } from '@sluice/test-servers/recovered-sink';
import { fixture, pollUntil, runDriverProcess, type DriverProcess } from './job-runner.js';
import { pgQuery } from './pg-query.js';

let server: PostgresServer;
let root: string;
const runs: DriverProcess[] = [];

const query = <T extends pg.QueryResultRow>(sql: string): Promise<T[]> => pgQuery<T>(server.url, sql);
const counts = async (): Promise<Record<string, string>> => sortedCounts(Object.fromEntries((await query<{ word: string; n: string }>('SELECT word, count(*) AS n FROM words GROUP BY word')).map((r) => [r.word, String(r.n)])));

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
    const dir = path.join(root, c.stage);
    const input = path.join(dir, 'in');
    const control = path.join(dir, 'control');
    for (const d of [input, control]) fs.mkdirSync(d, { recursive: true });
    const armFile = path.join(dir, 'arm');
    const firedFile = path.join(dir, 'fired');
    const feed = (i: number): void => {
      const tmp = path.join(dir, `file-${i}.tmp`);
      fs.writeFileSync(tmp, wordsOf(i).join('\n') + '\n');
      fs.renameSync(tmp, path.join(input, `file-${i}.txt`));
    };
    const args = [JSON.stringify({ url: server.url, input, control, checkpoint: path.join(dir, 'ckpt'), batchMs: 300, reconnectTimeoutMs: 20_000, armFile, firedFile, stage: c.stage })];
    const start = (): DriverProcess => {
      const r = runDriverProcess(fixture('pg-driver-kill-job.ts'), args, 2);
      runs.push(r);
      return r;
    };
    const first = start();
    await pollUntil(() => (first.lines.some((l) => l.startsWith('AFTER ')) ? true : undefined), 60_000, 'the first batch');
    feed(0);
    await pollUntil(async () => (JSON.stringify(await counts()) === JSON.stringify(countsOf([0])) ? true : undefined), 60_000, "file 0's words in the table", 100);
    fs.writeFileSync(armFile, '');
    feed(1);
    const code = await Promise.race([first.exited, new Promise<'alive'>((r) => setTimeout(() => r('alive'), 60_000))]);
    assert.equal(code, null, `the sink killed the driver (${fs.existsSync(firedFile) ? fs.readFileSync(firedFile, 'utf8') : 'not fired'})`);
    const rowsAtKill = (await query<{ n: string }>('SELECT count(*) AS n FROM words'))[0]!.n;
    feed(2);
    const second = start();
    await pollUntil(async () => (JSON.stringify(await counts()) === JSON.stringify(countsOf([0, 1, 2])) ? true : undefined), 90_000, 'the words of files 0, 1 and 2 in the table', 100);
    fs.writeFileSync(path.join(control, 'stop'), '');
    assert.equal(await second.exited, 0, second.stderr().slice(-3000));
    assert.deepEqual(await counts(), countsOf([0, 1, 2]), 'every word of the three files once');
    const rows = (await query<{ n: string }>('SELECT count(*) AS n FROM words'))[0]!.n;
    assert.equal(Number(rows), 900, 'no row twice');
    const markers = await query<{ n: string; d: string }>("SELECT count(*) AS n, count(DISTINCT (batch, partition)) AS d FROM sluice_output_markers WHERE output_id = 'words'");
    assert.equal(markers[0]!.n, markers[0]!.d, 'one marker a (batch, partition)');
    console.log(`# killed at ${fs.readFileSync(firedFile, 'utf8')}; ${rowsAtKill} rows at the kill, ${rows} at the end`);
  });
}
