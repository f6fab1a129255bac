// A standing cluster over a long run (not a test): `sluice driver --state-dir` and 2 x `sluice
// worker --cores 2 --local-dir`, each its own process, and every `sampleSeconds` the figures that
// must level off: each process's RSS, threads and open file descriptors (/proc), the driver's heap
// (its /metrics, prom-client's) and the workers' (their heartbeats', through /metrics), and the
// disk use (bytes, files) of the checkpoint directory, its write-ahead log segments, each
// worker's local directory, the driver's state directory and its scratch directory (bundles).
//
//   node bench/soak.js stream [seconds=600] [sampleSeconds=30] [intervalMs=200] [rate=2000]
//     bench/soak-job.ts's stream (reliable receiver, log on, updateStateByKey, a window with an
//     inverse, checkpointed), fed `rate` 100-byte lines/s by a generator in this process.
//   node bench/soak.js jobs [jobs=300] [sampleEvery=25] [distinct|same]
//     that many short batch jobs with a shuffle, one `sluice submit` after another (each of its
//     own job file, so its own bundle, or all of one); also the applications the driver's REST
//     API lists and its state directory's entries.
// SOAK_DRIVER_ARGS: more arguments for `sluice driver` (e.g. '--retained-jobs 50').
// SOAK_KEEP=1 keeps the directories (the root printed first).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './bench-support.js';
import { makeLines } from './lines.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const main = path.join(here, '..', 'packages', 'cli', 'bin', 'sluice.js');
const jobFile = path.join(here, 'soak-job.ts');
const mode = process.argv[2] ?? 'stream';
const env = { ...process.env, SLUICE_SECRET: 'soak-bench-secret-0123456789abcdef', SLUICE_SECRET_FILE: '' };
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-soak-'));
const dirs = { state: path.join(root, 'state'), ckpt: path.join(root, 'ckpt'), local: [path.join(root, 'local-a'), path.join(root, 'local-b')] };
for (const d of [dirs.state, ...dirs.local]) fs.mkdirSync(d, { recursive: true });

const procs = [];
function start(args, ready) {
  const p = spawn(process.execPath, [main, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  procs.push(p);
  let err = '';
  return new Promise((resolve, reject) => {
    p.stderr.on('data', (d) => {
      if (err.length < 1e6) err += d;
      if (ready.test(err)) resolve(p);
    });
    p.on('exit', (c) => reject(new Error(`${args[0]} exited ${c}: ${err.slice(-2000)}`)));
  });
}
function stopAll() {
  for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
}
process.on('exit', stopAll);
process.on('SIGINT', () => process.exit(130));

const status = (pid) => fs.readFileSync(`/proc/${pid}/status`, 'utf8');
const field = (s, k) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s)?.[1]);
function proc(pid) {
  const s = status(pid);
  return { rss: field(s, 'VmRSS') / 1024, threads: field(s, 'Threads'), fds: fs.readdirSync(`/proc/${pid}/fd`).length };
}
function disk(dir, match = () => true) {
  let bytes = 0;
  let files = 0;
  const walk = (d) => {
    let ents;
    try {
      ents = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of ents) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (match(p)) {
        try {
          bytes += fs.statSync(p).size;
          files++;
        } catch {
          /* removed meanwhile */
        }
      }
    }
  };
  walk(dir);
  return `${(bytes / 2 ** 20).toFixed(1)}M/${files}`;
}
/** A GET's body as text, each on a connection of its own (fetch's kept-alive ones were closed under it between samples). */
function get(url) {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve(body));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}
async function metrics(webPort) {
  const text = await get(`http://127.0.0.1:${webPort}/metrics`);
  const heap = /^sluice_driver_nodejs_heap_size_used_bytes (\S+)/m.exec(text)?.[1];
  const workers = [...text.matchAll(/^sluice_worker_process_heap_used_bytes\{[^}]*\} (\S+)/gm)].map((m) => (Number(m[1]) / 2 ** 20).toFixed(1));
  return { heap: (Number(heap) / 2 ** 20).toFixed(1), workers: workers.join('+'), lines: text.split('\n').length };
}

const port = await freePort();
const webPort = await freePort();
const driverAddr = `127.0.0.1:${port}`;
const driver = await start(['driver', '--port', String(port), '--web-port', String(webPort), '--state-dir', dirs.state, '--log-level', 'info', ...(process.env.SOAK_DRIVER_ARGS ?? '').split(' ').filter(Boolean)], /listening|started/);
const workers = [];
for (const d of dirs.local) workers.push(await start(['worker', '--driver', driverAddr, '--cores', '2', '--local-dir', d, '--log-level', 'info'], /worker registered/));
const t0 = Date.now();
/** The driver's scratch directory (its bundles and added files): the sluice-driver-* one its pid owns. */
function driverScratch() {
  for (const n of fs.readdirSync(os.tmpdir())) {
    if (!n.startsWith('sluice-driver-')) continue;
    try {
      if (Number(fs.readFileSync(path.join(os.tmpdir(), n, 'owner.pid'), 'utf8')) === driver.pid) return path.join(os.tmpdir(), n);
    } catch {
      /* not a scratch directory, or gone */
    }
  }
  return path.join(root, 'none');
}
async function sample(label) {
  const d = proc(driver.pid);
  const w = workers.map((p) => proc(p.pid));
  const m = await metrics(webPort);
  const fig = {
    label,
    t: Math.round((Date.now() - t0) / 1000),
    driver: `rss ${d.rss.toFixed(0)} heap ${m.heap} thr ${d.threads} fd ${d.fds} /metrics lines ${m.lines}`,
    workers: `rss ${w.map((x) => x.rss.toFixed(0)).join('+')} heap ${m.workers} thr ${w.map((x) => x.threads).join('+')} fd ${w.map((x) => x.fds).join('+')}`,
    disk: `ckpt ${disk(dirs.ckpt)} wal ${disk(dirs.ckpt, (p) => p.includes('receivedData'))} local ${dirs.local.map((l) => disk(l)).join(' + ')} state ${disk(dirs.state)} driver-scratch ${disk(driverScratch())}`,
  };
  console.log(JSON.stringify(fig));
  return fig;
}

if (mode === 'stream') {
  const [seconds, sampleSeconds, intervalMs, rate] = [Number(process.argv[3] ?? 600), Number(process.argv[4] ?? 30), Number(process.argv[5] ?? 200), Number(process.argv[6] ?? 2000)];
  const pool = makeLines(10_000);
  let client;
  let off = 0;
  let debt = 0;
  let last = performance.now();
  const server = net.createServer((s) => {
    client = s;
    s.on('error', () => undefined);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const gen = setInterval(() => {
    const now = performance.now();
    if (!client || client.destroyed) return void (last = now);
    debt += (rate * (now - last)) / 1000;
    last = now;
    let n = Math.floor(debt);
    debt -= n;
    while (n > 0) {
      const take = Math.min(n, 10_000 - off);
      client.write(pool.subarray(off * 100, (off + take) * 100));
      off = (off + take) % 10_000;
      n -= take;
    }
  }, 20);
  const r = spawnSync(process.execPath, [main, 'submit', '--driver', driverAddr, '--detach', jobFile, '--', 'stream', '127.0.0.1', String(server.address().port), String(intervalMs), dirs.ckpt], { env, encoding: 'utf8' });
  const id = / as (\S+)$/m.exec(r.stderr)?.[1];
  if (r.status !== 0 || id === undefined) throw new Error(`submit failed (${r.status}): ${r.stdout}${r.stderr}`);
  console.log(`stream job ${id}: ${intervalMs} ms batches, ${rate} lines/s, ${seconds} s, root ${root}`);
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    await new Promise((res) => setTimeout(res, sampleSeconds * 1000));
    const rest = (p) => get(`http://127.0.0.1:${webPort}/api/v1/applications/${id}${p}`).then((x) => JSON.parse(x)).catch(() => undefined);
    const st = (await rest('/streaming/statistics')) ?? {};
    const [kjobs, kstages] = [await rest('/jobs'), await rest('/stages')];
    await sample(`batches ${st.numTotalCompletedBatches} records ${st.numProcessedRecords} delay ${st.avgTotalDelay} kept jobs ${kjobs?.length} stages ${kstages?.length}`);
  }
  clearInterval(gen);
  spawnSync(process.execPath, [main, 'stop', '--driver', driverAddr, id], { env, encoding: 'utf8' });
  server.close();
  client?.destroy();
} else {
  const [jobs, every, distinct] = [Number(process.argv[3] ?? 300), Number(process.argv[4] ?? 25), process.argv[5] !== 'same'];
  console.log(`${jobs} batch jobs in a row (${distinct ? 'each its own job file' : 'one job file'}), root ${root}`);
  const jobDir = path.join(root, 'jobs');
  fs.mkdirSync(jobDir);
  const fileOf = (j) => {
    if (!distinct) return jobFile;
    const f = path.join(jobDir, `soak-job-${j}.ts`);
    fs.writeFileSync(f, fs.readFileSync(jobFile, 'utf8') + `// job ${j}\n`);
    return f;
  };
  await sample('jobs 0');
  for (let j = 1; j <= jobs; j++) {
    const r = spawnSync(process.execPath, [main, 'submit', '--driver', driverAddr, fileOf(j), '--', 'batch', String(j)], { env, encoding: 'utf8' });
    if (r.status !== 0 || !r.stdout.includes('"distinct":997')) throw new Error(`job ${j}: sluice submit exited ${r.status}: ${r.stdout}${r.stderr}`);
    if (j % every === 0) {
      const apps = JSON.parse(await get(`http://127.0.0.1:${webPort}/api/v1/applications`));
      const state = fs.readdirSync(dirs.state);
      await sample(`jobs ${j} apps ${apps.length} state-entries ${state.length}`);
    }
  }
  await new Promise((res) => setTimeout(res, 5000));
  await sample('5 s after');
}
stopAll();
if (process.env.SOAK_KEEP !== '1') fs.rmSync(root, { recursive: true, force: true });
process.exit(0);
