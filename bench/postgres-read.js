// Postgres read benchmark (not a test): rows/s read by postgresRDD (Spark's JdbcRDD; driver +
// 2 workers x 1 core, 4 partitions, each a task with its own connection and a cursor) vs `pg`
// alone in the same run from the same Debian PostgreSQL: one connection, one SELECT of the
// whole table (all rows in one reply, the strongest baseline), and one connection fetching a
// cursor 100 rows at a time (what each partition did with Spark's fetch size). Rows are
// (id bigint, word text, n integer); each reader sums n, checked against the table. Sluice
// with fetchSize 100 (Spark JdbcRDD's) and 1000 (the default); its time is the action alone (not the
// job's start). Best of 3 each, rounds alternated.
//
//   node bench/postgres-read.js [N=200000]
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { LocalCluster, bundleJob, createRootLogger } from '../packages/cli/dist/src/index.js';
import { startPostgres } from '../packages/test-servers/dist/src/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '../packages/postgres/package.json'));
const pg = (await import(require.resolve('pg'))).default;
const N = Number(process.argv[2] ?? 200_000);
const ROUNDS = 3;

const server = await startPostgres();
const db = new pg.Client({ connectionString: server.url });
await db.connect();
await db.query('CREATE TABLE bench_read (id bigint PRIMARY KEY, word text, n integer)');
await db.query(`INSERT INTO bench_read SELECT i, 'word-' || (i % 5000), i % 97 FROM generate_series(0, ${N - 1}) AS i`);
await db.query('VACUUM ANALYZE bench_read');
const expected = Number((await db.query('SELECT sum(n) AS s FROM bench_read')).rows[0].s);
const log = createRootLogger('silent', { pretty: false });
const cluster = new LocalCluster({ workers: 2, coresPerWorker: 1, logLevel: 'error', log });
await cluster.start();
const bundle = await bundleJob(path.join(here, 'postgres-read-job.ts'));

function check(what, count, sum) {
  if (count !== N || sum !== expected) throw new Error(`${what} read ${count} rows summing ${sum}, not ${N} summing ${expected}`);
}

async function selectAlone() {
  const c = new pg.Client({ connectionString: server.url });
  const start = performance.now();
  await c.connect();
  const r = await c.query({ text: 'SELECT id, word, n FROM bench_read WHERE $1 <= id AND id <= $2', values: [0, N - 1], rowMode: 'array' });
  let sum = 0;
  for (const row of r.rows) sum += row[2];
  await c.end();
  const ms = performance.now() - start;
  check('pg SELECT', r.rows.length, sum);
  return ms;
}

async function cursorAlone() {
  const c = new pg.Client({ connectionString: server.url });
  const start = performance.now();
  await c.connect();
  await c.query('BEGIN READ ONLY');
  await c.query({ text: 'DECLARE cur NO SCROLL CURSOR FOR SELECT id, word, n FROM bench_read WHERE $1 <= id AND id <= $2', values: [0, N - 1] });
  let count = 0;
  let sum = 0;
  for (;;) {
    const r = await c.query({ text: 'FETCH 100 FROM cur', rowMode: 'array' });
    for (const row of r.rows) (count++, (sum += row[2]));
    if (r.rows.length < 100) break;
  }
  await c.query('COMMIT');
  await c.end();
  const ms = performance.now() - start;
  check('pg cursor', count, sum);
  return ms;
}

async function throughSluice(fetchSize) {
  const job = cluster.driver.submit({ name: bundle.name, code: bundle.code, sourceMap: bundle.sourceMap, args: [JSON.stringify({ url: server.url, table: 'bench_read', rows: N, partitions: 4, fetchSize })] });
  let read;
  job.on('output', (l) => {
    if (l.startsWith('READ ')) read = JSON.parse(l.slice(5));
  });
  const [state, error] = await new Promise((r) => job.once('end', (s, e) => r([s, e])));
  if (state !== 'succeeded' || !read) throw new Error(`bench job ${state}: ${error?.message}`);
  check('postgresRDD', read.count, read.sum);
  return read.ms;
}

try {
  const select = [];
  const cursor = [];
  const f100 = [];
  const f1000 = [];
  for (let r = 0; r < ROUNDS; r++) {
    select.push(await selectAlone());
    cursor.push(await cursorAlone());
    f100.push(await throughSluice(100));
    f1000.push(await throughSluice(1000));
  }
  const rate = (ms) => Math.round((N / Math.min(...ms)) * 1000);
  const list = (ms) => ms.map((m) => Math.round(m)).join(', ');
  console.log(`${N} rows, best of ${ROUNDS}`);
  console.log(`pg SELECT alone (1 connection):       ${rate(select)} rows/s (${list(select)} ms)`);
  console.log(`pg cursor alone (FETCH 100):          ${rate(cursor)} rows/s (${list(cursor)} ms)`);
  console.log(`postgresRDD 4 partitions, fetch 100:  ${rate(f100)} rows/s (${list(f100)} ms)`);
  console.log(`postgresRDD 4 partitions, fetch 1000: ${rate(f1000)} rows/s (${list(f1000)} ms)`);
  console.log(`ratio postgresRDD (fetch 100) / pg SELECT alone: ${(rate(f100) / rate(select)).toFixed(2)}; fetch 1000 / fetch 100: ${(rate(f1000) / rate(f100)).toFixed(2)}`);
} finally {
  await cluster.stop();
  await db.end();
  await server.stop();
}
