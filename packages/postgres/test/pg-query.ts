// The tests' own queries to their Postgres server, each on a connection of its own.
import pg from 'pg';

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
