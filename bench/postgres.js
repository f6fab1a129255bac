// Postgres benchmark (not a test): rows/s written by saveToPostgres (driver + 2 workers x
// 1 core, an RDD of 4 partitions, each partition one transaction with its marker row) vs
// `pg` COPY alone (one connection, one COPY, one transaction) into the same Debian
// PostgreSQL, in the same run. Rows are { id bigint, word text, n integer }, into a fresh
// table each round. Sluice is measured with both methods ('copy', the
// default, and 'insert': multi-row INSERT of 1000 rows); the time is the save alone (not
// the job's start). Best of 3 each.
//
//   node bench/postgres.js [N=200000]
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { LocalCluster, bundleJob, createRootLogger } from '../packages/cli/dist/src/index.js';
import { startPostgres } from '../packages/test-servers/dist/src/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '../packages/postgres/package.json'));
const pg = (await import(require.resolve('pg'))).default;
const { from: copyFrom } = await import(require.resolve('pg-copy-streams'));
const N = Number(process.argv[2] ?? 200_000);
const ROUNDS = 3;

const server = await startPostgres();
const db = new pg.Client({ connectionString: server.url });
await db.connect();
const log = createRootLogger('silent', { pretty: false });
const cluster = new LocalCluster({ workers: 2, coresPerWorker: 1, logLevel: 'error', log });
await cluster.start();
const bundle = await bundleJob(path.join(here, 'postgres-job.ts'));
let tables = 0;

async function freshTable() {
  const t = `bench_${++tables}`;
  await db.query(`CREATE TABLE ${t} (id bigint, word text, n integer)`);
  return t;
}

async function copyAlone() {
  const table = await freshTable();
  const start = performance.now();
  await db.query('BEGIN');
  const stream = db.query(copyFrom(`COPY ${table} (id, word, n) FROM STDIN`));
  const done = new Promise((resolve, reject) => stream.on('finish', resolve).on('error', reject));
  let chunk = '';
  for (let i = 0; i < N; i++) {
    chunk += `${i}\tword-${i % 5000}\t${i % 97}\n`;
    if ((i + 1) % 1000 === 0) {
      if (!stream.write(chunk)) await new Promise((r) => stream.once('drain', r));
      chunk = '';
    }
  }
  stream.end(chunk);
  await done;
  await db.query('COMMIT');
  const ms = performance.now() - start;
  const n = Number((await db.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
  if (n !== N) throw new Error(`pg COPY wrote ${n} rows, not ${N}`);
  return ms;
}

async function throughSluice(method) {
  const table = await freshTable();
  const job = cluster.driver.submit({ name: bundle.name, code: bundle.code, sourceMap: bundle.sourceMap, args: [JSON.stringify({ url: server.url, table, rows: N, partitions: 4, method })] });
  let saved;
  job.on('output', (l) => {
    if (l.startsWith('SAVED ')) saved = JSON.parse(l.slice(6));
  });
  const [state, error] = await new Promise((r) => job.once('end', (s, e) => r([s, e])));
  if (state !== 'succeeded' || !saved) throw new Error(`bench job ${state}: ${error?.message}`);
  const n = Number((await db.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
  if (n !== N || saved.written !== N) throw new Error(`saveToPostgres wrote ${n} rows, not ${N}`);
  return saved.ms;
}

try {
  const alone = [];
  const copy = [];
  const insert = [];
  for (let r = 0; r < ROUNDS; r++) {
    alone.push(await copyAlone());
    copy.push(await throughSluice('copy'));
    insert.push(await throughSluice('insert'));
  }
  const rate = (ms) => Math.round((N / Math.min(...ms)) * 1000);
  const list = (ms) => ms.map((m) => Math.round(m)).join(', ');
  console.log(`${N} rows, best of ${ROUNDS}`);
  console.log(`pg COPY alone:                ${rate(alone)} rows/s (${list(alone)} ms)`);
  console.log(`saveToPostgres method copy:   ${rate(copy)} rows/s (${list(copy)} ms)`);
  console.log(`saveToPostgres method insert: ${rate(insert)} rows/s (${list(insert)} ms)`);
  console.log(`ratio Sluice (copy) / pg COPY alone: ${(rate(copy) / rate(alone)).toFixed(2)}; copy / insert: ${(rate(copy) / rate(insert)).toFixed(2)}`);
} finally {
  await cluster.stop();
  await db.end();
  await server.stop();
}
