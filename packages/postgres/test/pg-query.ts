// The tests' own queries to their Postgres server, each on a connection of its own.
import assert from 'node:assert/strict';
import pg from 'pg';
import { sortedCounts } from '@sluice/test-servers/recovered-sink';

/** The rows of `sql` on a new connection to `url`, closed after (a refused connect rejects). */
export async function pgQuery<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const db = new pg.Client({ connectionString: url });
  db.on('error', () => undefined);
  await db.connect();
  try {
    return (await db.query<T>(sql)).rows;
  } finally {
    await db.end();
  }
}

/** Each word's count in table `words` (as a string), sorted by word (as recovered-sink's countsOf). */
export async function pgWordCounts(url: string): Promise<Record<string, string>> {
  return sortedCounts(Object.fromEntries((await pgQuery<{ word: string; n: string }>(url, 'SELECT word, count(*) AS n FROM words GROUP BY word')).map((r) => [r.word, String(r.n)])));
}

/**
 * The sink scenarios' own checks (postgres-sink-driver-kill, -pause) once every word of their three
 * files is in `words`: 900 rows (no row twice) and one marker a (batch, partition). Returns both
 * counts for the test's output.
 */
export async function assertPgWordsOnce(url: string): Promise<{ rows: string; markers: string }> {
  const rows = (await pgQuery<{ n: string }>(url, 'SELECT count(*) AS n FROM words'))[0]!.n;
  assert.equal(Number(rows), 900, 'no row twice');
  const markers = await pgQuery<{ n: string; d: string }>(url, "SELECT count(*) AS n, count(DISTINCT (batch, partition)) AS d FROM sluice_output_markers WHERE output_id = 'words'");
  assert.equal(markers[0]!.n, markers[0]!.d, 'one marker a (batch, partition)');
  return { rows, markers: markers[0]!.n };
}
