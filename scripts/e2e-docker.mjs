// End-to-end test of the docker-compose cluster (not part of `npm test`; run by .ci/run):
//   node scripts/e2e-docker.mjs
//
// Builds the image, checks it starts `sluice` as it starts locally (bin/sluice.js through
// dist/sluice-entry.cjs and the bundle), starts the compose cluster with 2 workers and a `lines` service that
// serves a fixed number of generated lines, submits the network word count from this
// machine with the sluice CLI, then, while lines are still being served:
//   - kills the worker container that runs the receiver: the receiver restarts on the
//     other worker and the stream goes on;
//   - scales to 3 workers and checks the third takes tasks;
//   - kills a worker container that does not run the receiver.
// It waits for the `lines` service to log that it served every line (a timeout fails the
// run), stops the job gracefully, checks the submit process exits with 0, and compares
// the counts printed over all batches with the lines served: every line is counted once,
// except one contiguous run lost with the killed receiver (a socket receiver has no
// write-ahead log: what it had not yet stored and replicated is lost, as in Spark), whose
// length is bounded and reported.
// Then the driver restart: examples/recoverable-wordcount.ts (a file stream on the `data`
// volume, running totals with updateStateByKey, checkpointed on the `checkpoints` volume,
// StreamingContext.getOrCreate) is submitted attached; files are fed; mid-stream the driver
// process is killed with SIGKILL inside its container (`docker kill` would not do: Docker
// counts it as a manual stop, which no restart policy undoes); the container comes back by
// itself (restart: unless-stopped), the driver relaunches the job under the same id from
// its state dir, the attached submit waits and goes on; after the rest of the files the
// final totals must equal the words of every file served, exactly.
// Then the connector profiles (README "Connectors with docker compose"), one after the other
// on the same cluster, each server started, its example submitted, what the server got or
// the job printed compared with what the feeder sent, the profile's containers removed:
//   - mqtt: mosquitto; examples/mqtt-wordcount.ts; once mosquitto logs the receiver's
//     subscription, mqtt-lines publishes MQTT_LINES_TOTAL lines at QoS 1; the counts printed
//     over all batches must equal the words of those lines exactly.
// The servers' image (docker/connectors/Dockerfile) is built once. Tears everything down.
// Then the swarm phase (scripts/e2e-swarm.mjs, README "Docker Swarm"): docker-stack.yml
// deployed on a one-node swarm made for it with the image built above; workers scaled up and
// down and a worker task killed while a file stream runs; exact totals; the swarm left.
//   node scripts/e2e-docker.mjs [--phases cluster,connectors,swarm] [--profiles mqtt]
//   node scripts/e2e-docker.mjs --build-only [--profiles ...]   only builds the images the
//     run needs, then exits (.ci/run does this beside npm test, so the run itself finds them
//     in Docker's build cache; the run builds them again in any case, from the same sources).
//
// Where no Docker engine runs, ../shared/tools/local-docker.sh (if present) installs and
// starts one and builds sluice/node-base:local, used as NODE_IMAGE (no image registry
// needed). Elsewhere the Dockerfile's default base, node:20-bookworm-slim, is used.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { swarmPhase } from './e2e-swarm.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'packages/cli/bin/sluice.js');
const PROJECT = `sluice-e2e-${process.pid}`;
const LINES_TOTAL = 45_000;
const LINES_RATE = 1000;
/** At most this many lines may be lost with the killed receiver (30 s of serving). */
const MAX_LOST_LINES = LINES_RATE * 30;
/** MQTT profile: lines the mqtt-lines service publishes, and how fast. */
const MQTT_LINES_TOTAL = 20_000;
const MQTT_LINES_RATE = 4000;
const started = Date.now();

// `--phases cluster,connectors,swarm` (default all three): the cluster phases (network word
// count with killed workers and scaling, driver restart), the connector profiles' phases, and
// the Docker Swarm phase (after the compose cluster is down);
// `--profiles mqtt,...` (default every profile) picks the connector profiles.
function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return (i >= 0 ? process.argv[i + 1] ?? '' : fallback).split(',').filter((x) => x !== '');
}
const PHASES = new Set(option('phases', 'cluster,connectors,swarm'));
const ALL_PROFILES = ['mqtt', 'postgres', 'redis', 's3'];
/** Run by default: every profile. */
const DEFAULT_PROFILES = ['mqtt', 'postgres', 'redis', 's3'];
const PROFILES = PHASES.has('connectors') ? option('profiles', DEFAULT_PROFILES.join(',')) : [];
for (const p of PHASES) if (!['cluster', 'connectors', 'swarm'].includes(p)) throw new Error(`--phases: unknown phase '${p}' (cluster, connectors, swarm)`);
for (const p of PROFILES) if (!ALL_PROFILES.includes(p)) throw new Error(`--profiles: unknown profile '${p}' (${ALL_PROFILES.join(', ')})`);

function log(msg) {
  process.stdout.write(`[e2e ${((Date.now() - started) / 1000).toFixed(1)}s] ${msg}\n`);
}

function sh(cmd, args, opts = {}) {
  return execFileSync(cmd, args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts });
}

function works(cmd, args) {
  try {
    sh(cmd, args);
    return true;
  } catch {
    return false;
  }
}

async function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(what, timeoutMs, f) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(500);
  }
}

// ---- a Docker engine and a base image ----------------------------------------------------
const env = { ...process.env };
const localDocker = path.resolve(ROOT, '..', 'shared', 'tools', 'local-docker.sh');
if (!works('docker', ['info']) || !works('docker-compose', ['version'])) {
  if (!fs.existsSync(localDocker)) throw new Error('no Docker engine: install Docker (and docker-compose) first');
  log('starting a local Docker engine (../shared/tools/local-docker.sh up)');
  execFileSync('bash', [localDocker, 'up'], { stdio: 'inherit' });
}
if (!env.NODE_IMAGE && works('docker', ['image', 'inspect', 'sluice/node-base:local'])) env.NODE_IMAGE = 'sluice/node-base:local';
// A registry behind a TLS proxy: hand npm's CA file to the image build.
const cafile = (() => {
  try {
    return sh('npm', ['config', 'get', 'cafile']).trim();
  } catch {
    return '';
  }
})();
fs.mkdirSync(path.join(ROOT, '.docker-build'), { recursive: true });
if (cafile && cafile !== 'null' && fs.existsSync(cafile)) fs.copyFileSync(cafile, path.join(ROOT, '.docker-build', 'extra-ca.crt'));

// ---- the cluster -------------------------------------------------------------------------
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-e2e-'));
const secretFile = path.join(tmp, 'secret.txt');
fs.writeFileSync(secretFile, crypto.randomBytes(16).toString('hex'));
const port = await freePort();
const webPort = await freePort();
Object.assign(env, {
  SLUICE_SECRET_PATH: secretFile,
  SLUICE_SECRET_FILE: secretFile,
  SLUICE_PORT: String(port),
  SLUICE_WEB_PORT: String(webPort),
  LINES_TOTAL: String(LINES_TOTAL),
  LINES_RATE: String(LINES_RATE),
  MQTT_LINES_TOTAL: String(MQTT_LINES_TOTAL),
  MQTT_LINES_RATE: String(MQTT_LINES_RATE),
  // The servers' ports published on 127.0.0.1: free ones, not the defaults another server here may hold.
  MQTT_PORT: String(await freePort()),
  POSTGRES_PORT: String(await freePort()),
  REDIS_PORT: String(await freePort()),
  S3_PORT: String(await freePort()),
  // Set SLUICE_IMAGE / CONNECTORS_IMAGE to keep apart from another checkout's end-to-end run.
  SLUICE_IMAGE: process.env.SLUICE_IMAGE ?? 'sluice:e2e',
  CONNECTORS_IMAGE: process.env.CONNECTORS_IMAGE ?? 'sluice-connectors:e2e',
});
const compose = (...args) => sh('docker-compose', ['-p', PROJECT, ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] });
const driver = `127.0.0.1:${port}`;
const cli = (...args) => sh(process.execPath, [CLI, ...args], { env });

function workers() {
  const out = cli('workers', '--driver', driver).trim().split('\n').slice(1);
  return out.map((l) => {
    const [id, address, cores, running, completed, receivers] = l.split(/\s+/);
    return { id, address, cores: +cores, running: +running, completed: +completed, receivers: +receivers };
  });
}

/** The compose container of a worker (matched by its address). */
function containerOf(worker) {
  const ids = compose('ps', '-q', 'worker').trim().split('\n');
  const ip = worker.address.split(':')[0];
  const container = ids.find((c) => sh('docker', ['inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', c]).trim() === ip);
  if (!container) throw new Error(`no container has the address ${worker.address}`);
  return container;
}

/**
 * The run of lines [from, to) whose removal leaves exactly the counts `got` (word -> n),
 * with to - from <= MAX_LOST_LINES, from >= minFrom (lines counted before the receiver's
 * worker was killed are not lost) and, unless nothing was lost, to < N (the restarted
 * receiver counted the last lines); undefined if there is none. Prefix sums of the word
 * counts per line: got = P[from] + (P[N] - P[to]), so P[to] - P[from] = P[N] - got.
 */
function lostRun(lines, got, minFrom) {
  const vocab = [...new Set(lines.flatMap((l) => l.split(' ')))].sort();
  if ([...got.keys()].some((w) => !vocab.includes(w))) return undefined;
  const index = new Map(vocab.map((w, i) => [w, i]));
  const prefix = [new Array(vocab.length).fill(0)];
  for (const l of lines) {
    const p = [...prefix[prefix.length - 1]];
    for (const w of l.split(' ')) p[index.get(w)]++;
    prefix.push(p);
  }
  const total = prefix[lines.length];
  const missing = vocab.map((w, i) => total[i] - (got.get(w) ?? 0));
  if (missing.some((n) => n < 0)) return undefined;
  const at = new Map(prefix.map((p, i) => [p.join(','), i]));
  // The shortest run that fits (a run of 0 lines: nothing lost).
  let best;
  for (let from = 0; from <= lines.length; from++) {
    const to = at.get(prefix[from].map((n, i) => n + missing[i]).join(','));
    const fits = to !== undefined && to >= from && to - from <= MAX_LOST_LINES && (to === from || (from >= minFrom && to < lines.length));
    if (fits && (!best || to - from < best.to - best.from)) best = { from, to };
  }
  return best;
}

const FILES = 30;
const LINES_PER_FILE = 100;
/** Writes a file into /data/in the way a user should: elsewhere on the volume, then renamed in; dated 5 s back (settled, and inside the file stream's 60 s remember window). */
const FEED_SCRIPT = `const fs = require('fs'); const name = process.argv[1]; const text = fs.readFileSync(0, 'utf8');
fs.mkdirSync('/data/staging', { recursive: true }); fs.mkdirSync('/data/in', { recursive: true });
const tmp = '/data/staging/' + name; fs.writeFileSync(tmp, text); const past = new Date(Date.now() - 5000); fs.utimesSync(tmp, past, past);
fs.renameSync(tmp, '/data/in/' + name);`;

/** The driver process killed inside its container: the container exits by itself (as on a crash) and its restart policy applies. */
function crashDriver() {
  const c = compose('ps', '-q', 'driver').trim();
  const restarts = Number(sh('docker', ['inspect', '-f', '{{.RestartCount}}', c]).trim());
  // With `init: true` the driver's node process is the only child of the container's init
  // (pid 1); a `docker exec` process has no parent inside the container, so it kills only that.
  const killChildrenOfInit = `const fs = require('fs'); for (const p of fs.readdirSync('/proc')) { if (!/^[0-9]+$/.test(p) || p === '1') continue;
try { const st = fs.readFileSync('/proc/' + p + '/stat', 'utf8'); if (Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1]) === 1) process.kill(Number(p), 'SIGKILL'); } catch {} }`;
  // The container stops as its driver dies, and may take this exec with it before the exec
  // reports back (docker exec then fails, 137 or 'container ... is not running'): that is the
  // kill having worked, not a failure. Whether it did is the restart count the caller waits on.
  try {
    sh('docker', ['exec', c, 'node', '-e', killChildrenOfInit]);
  } catch (err) {
    log(`docker exec of the kill ended with ${err.status ?? err.signal ?? err.message} (the container stopped under it, as it may)`);
  }
  return { container: c, restarts };
}

async function driverRestartPhase(generatedLines) {
  const all = generatedLines(FILES * LINES_PER_FILE);
  const files = Array.from({ length: FILES }, (_, i) => all.slice(i * LINES_PER_FILE, (i + 1) * LINES_PER_FILE));
  const feeder = compose('ps', '-q', 'lines').trim();
  const feed = (i) => sh('docker', ['exec', '-i', feeder, 'node', '-e', FEED_SCRIPT, `part-${String(i).padStart(3, '0')}.txt`], { input: files[i].join('\n') + '\n', stdio: ['pipe', 'pipe', 'pipe'] });
  log('sluice submit examples/recoverable-wordcount.ts -- /data/in /checkpoints/recoverable-wordcount 1s');
  const out = [];
  let err = '';
  const sub = spawn(process.execPath, [CLI, 'submit', 'examples/recoverable-wordcount.ts', '--driver', driver, '--', '/data/in', '/checkpoints/recoverable-wordcount', '1s'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  submit = sub;
  sub.stdout.on('data', (d) => out.push(d.toString()));
  sub.stderr.on('data', (d) => {
    err += d.toString();
    process.stderr.write(d);
  });
  const exited = new Promise((r) => sub.on('exit', (code, signal) => r({ code, signal })));
  /** The totals the job printed last, as a Map. */
  const lastTotals = () => {
    const m = [...out.join('').matchAll(/^TOTALS (\d+) (.*)$/gm)].at(-1);
    return new Map(m ? JSON.parse(m[2]) : []);
  };
  const wordsCounted = () => [...lastTotals().values()].reduce((a, b) => a + b, 0);
  const jobId = await until('the job id', 60_000, () => /submitted \S+ as (\S+)/.exec(err)?.[1]);
  // Files already in the directory when the stream starts are not new (as in Spark): feed from its first batch on.
  await until('the first batch', 90_000, () => /^TOTALS /m.test(out.join('')));
  for (let i = 0; i < FILES / 2; i++) {
    feed(i);
    await sleep(300);
  }
  await until('totals over a third of the files', 90_000, () => wordsCounted() >= (FILES / 3) * LINES_PER_FILE * 8);
  const { container, restarts } = crashDriver();
  log(`kill -9 of the driver process in ${container.slice(0, 12)} (job ${jobId}, ${wordsCounted()} words counted)`);
  await until('the driver container to come back by itself', 120_000, () => Number(sh('docker', ['inspect', '-f', '{{.RestartCount}}', container]).trim()) > restarts);
  await until('the driver to relaunch the job under its id', 120_000, () => {
    try {
      return cli('jobs', '--driver', driver).split('\n').some((l) => l.startsWith(jobId) && /\brunning\b/.test(l));
    } catch {
      return false;
    }
  });
  log(`the driver came back (restart count ${restarts + 1}) and relaunched ${jobId}`);
  for (let i = FILES / 2; i < FILES; i++) {
    feed(i);
    await sleep(300);
  }
  const want = new Map();
  for (const line of all) for (const w of line.split(' ')) want.set(w, (want.get(w) ?? 0) + 1);
  const same = (a, b) => a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);
  await until('the totals to take in every file', 180_000, () => wordsCounted() >= all.length * 8);
  await sleep(3000);
  const got = lastTotals();
  if (!same(got, want)) {
    const diff = [...new Set([...want.keys(), ...got.keys()])].filter((w) => want.get(w) !== got.get(w)).map((w) => `${w}: served ${want.get(w) ?? 0}, counted ${got.get(w) ?? 0}`);
    throw new Error(`after the driver restart the totals differ from the ${all.length} lines served:\n${diff.join('\n')}`);
  }
  if (!/waiting for the driver at/.test(err)) throw new Error(`sluice submit did not say it waited for the driver:\n${err}`);
  cli('stop', jobId, '--driver', driver, '--graceful');
  const ended = await Promise.race([exited, sleep(60_000).then(() => undefined)]);
  if (ended?.code !== 0) throw new Error(`the attached sluice submit of the relaunched job ended with ${ended ? ended.code ?? ended.signal : 'nothing within 60 s'} after a graceful stop (want 0)`);
  log(`final totals equal the ${all.length} lines of the ${FILES} files served (${all.length * 8} words), across the driver restart; sluice submit waited and exited with 0`);
}

/** `sluice submit JOB -- ARGS` attached; its output, the job id once printed, and its exit. */
function submitAttached(job, args) {
  log(`sluice submit ${job} -- ${args.join(' ')}`);
  const out = [];
  let err = '';
  const sub = spawn(process.execPath, [CLI, 'submit', job, '--driver', driver, '--', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  submit = sub;
  sub.stdout.on('data', (d) => out.push(d.toString()));
  sub.stderr.on('data', (d) => {
    err += d.toString();
    process.stderr.write(d);
  });
  let ended;
  const exited = new Promise((r) => sub.on('exit', (code, signal) => r((ended = { code, signal }))));
  return {
    output: () => out.join(''),
    /** Throws if the submit ended before it was stopped (the job failed): no waiting for a timeout. */
    running() {
      if (ended) throw new Error(`sluice submit ${job} ended (${ended.code ?? ended.signal}) before it was stopped:\n${err.split('\n').slice(-15).join('\n')}`);
      return true;
    },
    jobId: () => /submitted \S+ as (\S+)/.exec(err)?.[1],
    /** Batches printed so far (`Time: ...` headers of print()). */
    batches: () => (out.join('').match(/^Time: /gm) ?? []).length,
    /** The `(word,n)` lines of every batch printed, summed per word. */
    counts: () => {
      const got = new Map();
      for (const m of out.join('').matchAll(/^\((\w+),(\d+)\)$/gm)) got.set(m[1], (got.get(m[1]) ?? 0) + Number(m[2]));
      return got;
    },
    /** Stops the job gracefully; the attached submit must exit with 0. */
    async stop() {
      const id = await until('the job id', 60_000, () => /submitted \S+ as (\S+)/.exec(err)?.[1]);
      log(`sluice stop ${id} --graceful`);
      cli('stop', id, '--driver', driver, '--graceful');
      const ended = await Promise.race([exited, sleep(60_000).then(() => undefined)]);
      if (ended?.code !== 0) throw new Error(`sluice submit ${job} ended with ${ended ? ended.code ?? ended.signal : 'nothing within 60 s'} after a graceful stop (want 0)`);
    },
  };
}

/** Word -> occurrences in `lines`. */
function wordCounts(lines) {
  const want = new Map();
  for (const line of lines) for (const w of line.split(' ')) want.set(w, (want.get(w) ?? 0) + 1);
  return want;
}

/** Throws naming every word whose count differs. */
function assertSameCounts(what, want, got) {
  const diff = [...new Set([...want.keys(), ...got.keys()])].filter((w) => want.get(w) !== got.get(w)).map((w) => `${w}: sent ${want.get(w) ?? 0}, counted ${got.get(w) ?? 0}`);
  if (diff.length > 0) throw new Error(`${what}: the counts differ from what was sent:\n${diff.join('\n')}`);
}

/** Waits until the job's printed counts reach `total` words, or stay the same over 5 batches (then the comparison tells what is missing). */
async function untilCounted(job, total) {
  const counted = () => [...job.counts().values()].reduce((a, b) => a + b, 0);
  let last = -1;
  let since = 0;
  await until(`the ${total} words sent to be counted`, 180_000, () => {
    job.running();
    const [n, b] = [counted(), job.batches()];
    if (n >= total) return true;
    if (n !== last) [last, since] = [n, b];
    return b >= since + 5;
  });
}

/** Waits for the health check of a compose service's container to pass. */
async function untilHealthy(service) {
  const c = compose('ps', '-q', service).trim();
  if (!c) throw new Error(`the ${service} service has no container`);
  await until(`${service} to be healthy`, 120_000, () => sh('docker', ['inspect', '-f', '{{.State.Health.Status}}', c]).trim() === 'healthy');
}

/**
 * Profile mqtt: mosquitto healthy, examples/mqtt-wordcount.ts submitted; once mosquitto
 * logs the receiver's subscription, the mqtt-lines service publishes MQTT_LINES_TOTAL lines at
 * QoS 1. The counts printed over all batches must equal the words of those lines exactly
 * (QoS 1 is at least once, but nothing fails here, so nothing may come twice).
 */
async function mqttPhase(generatedLines) {
  const mqtt = (...args) => compose('--profile', 'mqtt', ...args);
  await untilHealthy('mosquitto');
  const clientId = `e2e-mqtt-wordcount-${process.pid}`;
  const job = submitAttached('examples/mqtt-wordcount.ts', ['mqtt://mosquitto:1883', 'lines', clientId]);
  await until('the receiver to subscribe (mosquitto logs it)', 90_000, () => job.running() && compose('logs', '--no-color', 'mosquitto').includes(`${clientId} 1 lines`));
  log(`docker compose --profile mqtt up -d mqtt-lines (publishes ${MQTT_LINES_TOTAL} lines)`);
  mqtt('up', '-d', 'mqtt-lines');
  await until(`mqtt-lines to publish all ${MQTT_LINES_TOTAL} lines`, 120_000, () => compose('logs', '--no-color', 'mqtt-lines').includes(`all ${MQTT_LINES_TOTAL} lines published`));
  const want = wordCounts(generatedLines(MQTT_LINES_TOTAL));
  const total = MQTT_LINES_TOTAL * 8;
  await untilCounted(job, total);
  const batches = job.batches();
  await until('3 batches more (nothing counted twice comes late)', 60_000, () => job.running() && job.batches() >= batches + 3);
  await job.stop();
  assertSameCounts(`examples/mqtt-wordcount.ts over ${job.batches()} batches`, want, job.counts());
  log(`mqtt: the counts over ${job.batches()} batches equal the words of the ${MQTT_LINES_TOTAL} lines published (${total} words), each counted once`);
  mqtt('rm', '-s', '-f', '-v', 'mqtt-lines', 'mosquitto');
}

/** Profiles postgres, redis, s3: lines the `lines` service serves to each example, and how fast. */
const SINK_LINES_TOTAL = 10_000;
const SINK_LINES_RATE = 2000;

/**
 * A sink profile fed by the `lines` service: the server healthy, `lines` started again to
 * serve SINK_LINES_TOTAL lines, the example submitted; once every line was served and
 * `contents()` (what the server holds, word -> count, read with the server's own client)
 * reaches their words (or stays the same over 5 batches), the job is stopped and the
 * contents must equal the words of the lines served exactly: each batch written once.
 */
async function sinkPhase(generatedLines, { profile, server, job: jobFile, args, contents, check }) {
  await untilHealthy(server);
  // The same service with a new total: serves to the example's receiver only, from its first line.
  sh('docker-compose', ['-p', PROJECT, 'up', '-d', '--force-recreate', '--no-deps', 'lines'], { env: { ...env, LINES_TOTAL: String(SINK_LINES_TOTAL), LINES_RATE: String(SINK_LINES_RATE) }, stdio: ['ignore', 'pipe', 'inherit'] });
  const job = submitAttached(jobFile, args);
  await until(`lines to serve all ${SINK_LINES_TOTAL} lines`, 120_000, () => job.running() && compose('logs', '--no-color', 'lines').includes(`all ${SINK_LINES_TOTAL} lines served`));
  const want = wordCounts(generatedLines(SINK_LINES_TOTAL));
  const total = SINK_LINES_TOTAL * 8;
  const sum = (m) => [...m.values()].reduce((a, b) => a + b, 0);
  let last = -1;
  let since = 0;
  await until(`the ${total} words served to reach ${server}`, 180_000, async () => {
    job.running();
    const [n, b] = [sum(await contents()), job.batches()];
    if (n >= total) return true;
    if (n !== last) [last, since] = [n, b];
    return b >= since + 5;
  });
  const batches = job.batches();
  await until('3 batches more (nothing written twice comes late)', 60_000, () => job.running() && job.batches() >= batches + 3);
  await job.stop();
  const got = await contents();
  assertSameCounts(`${jobFile}: what ${server} holds after ${job.batches()} batches`, want, got);
  const extra = check ? await check(job) : '';
  log(`${profile}: ${server} holds the counts of the ${SINK_LINES_TOTAL} lines served (${total} words), each counted once${extra}`);
  compose('--profile', profile, 'rm', '-s', '-f', '-v', server);
}

/** `docker exec` in the container of a compose service. */
function execIn(service, ...cmd) {
  return sh('docker', ['exec', compose('ps', '-q', service).trim(), ...cmd]);
}

/** Profile postgres: examples/postgres-wordcount.ts writes (batch_time, word, n) rows to word_counts. */
async function postgresPhase(generatedLines) {
  const psql = (sql) => execIn('postgres', 'psql', '-h', '/tmp', '-U', 'sluice', '-d', 'sluice', '-v', 'ON_ERROR_STOP=1', '-Atc', sql);
  const tableExists = () => psql("SELECT to_regclass('public.word_counts') IS NOT NULL").trim() === 't';
  await sinkPhase(generatedLines, {
    profile: 'postgres',
    server: 'postgres',
    job: 'examples/postgres-wordcount.ts',
    args: ['postgres://sluice:sluice@postgres:5432/sluice', 'lines', '9999'],
    contents: () => {
      if (!tableExists()) return new Map();
      const rows = psql('SELECT word, sum(n) FROM word_counts GROUP BY word').trim();
      return new Map(rows === '' ? [] : rows.split('\n').map((l) => [l.split('|')[0], Number(l.split('|')[1])]));
    },
    // One row per word per batch: as many as the (word,n) lines the job printed (print shows
    // up to 10 a batch; the generated lines have 10 words).
    check: (job) => {
      const rows = Number(psql('SELECT count(*) FROM word_counts').trim());
      const printed = (job.output().match(/^\(\w+,\d+\)$/gm) ?? []).length;
      if (rows !== printed) throw new Error(`word_counts has ${rows} rows, but the job printed ${printed} (word,n) pairs over its batches: a batch written twice or not at all`);
      return `; ${rows} rows, one per word and batch`;
    },
  });
}

/** Profile redis: examples/redis-wordcount.ts adds each batch's counts to the hash `wordcount` (HINCRBY). */
async function redisPhase(generatedLines) {
  await sinkPhase(generatedLines, {
    profile: 'redis',
    server: 'redis',
    job: 'examples/redis-wordcount.ts',
    args: ['redis://redis:6379', 'lines', '9999'],
    contents: () => {
      const out = execIn('redis', 'redis-cli', '--no-raw', 'HGETALL', 'wordcount').trim();
      const fields = out === '' || out === '(empty array)' ? [] : out.split('\n').map((l) => JSON.parse(l.replace(/^\s*\d+\) /, '')));
      const m = new Map();
      for (let i = 0; i + 1 < fields.length; i += 2) m.set(fields[i], Number(fields[i + 1]));
      return m;
    },
  });
}

/** Profile s3: examples/s3-wordcount.ts saves each batch as s3://sluice/wordcount/counts-<time>/part-NNNNN (`word<TAB>n` lines) and _SUCCESS. */
async function s3Phase(generatedLines) {
  const require = createRequire(path.join(ROOT, 'packages/s3/package.json'));
  const { S3Client, ListObjectsV2Command, GetObjectCommand } = require('@aws-sdk/client-s3');
  const s3 = new S3Client({ endpoint: `http://127.0.0.1:${env.S3_PORT}`, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
  const list = async () => {
    const keys = [];
    let token;
    do {
      const r = await s3.send(new ListObjectsV2Command({ Bucket: 'sluice', Prefix: 'wordcount/counts-', ContinuationToken: token }));
      keys.push(...(r.Contents ?? []).map((o) => o.Key));
      token = r.NextContinuationToken;
    } while (token);
    return keys;
  };
  /** Only committed batches (with _SUCCESS) count: a batch's parts without it are not its output yet. */
  const contents = async () => {
    const keys = await list();
    const done = new Set(keys.filter((k) => k.endsWith('/_SUCCESS')).map((k) => k.slice(0, -'/_SUCCESS'.length)));
    const m = new Map();
    for (const k of keys.filter((k) => /\/part-\d+$/.test(k) && done.has(k.slice(0, k.lastIndexOf('/'))))) {
      const text = await (await s3.send(new GetObjectCommand({ Bucket: 'sluice', Key: k }))).Body.transformToString();
      for (const line of text.split('\n').filter((l) => l !== '')) {
        const [w, n] = line.split('\t');
        m.set(w, (m.get(w) ?? 0) + Number(n));
      }
    }
    return m;
  };
  await sinkPhase(generatedLines, {
    profile: 's3',
    server: 's3',
    job: 'examples/s3-wordcount.ts',
    args: ['http://s3:4568', 'sluice', 'wordcount/counts', 'lines', '9999'],
    contents,
    check: async () => {
      const dirs = new Set((await list()).map((k) => k.slice(0, k.lastIndexOf('/'))));
      return `; ${dirs.size} batch directories under s3://sluice/wordcount/`;
    },
  });
}

const CONNECTORS = { mqtt: mqttPhase, postgres: postgresPhase, redis: redisPhase, s3: s3Phase };
/** Each profile's server service. */
const SERVERS = { mqtt: 'mosquitto', postgres: 'postgres', redis: 'redis', s3: 's3' };

async function networkWordCountPhase(generatedLines) {
  log('sluice submit examples/network-wordcount.ts -- lines 9999');
  const output = [];
  submit = spawn(process.execPath, [CLI, 'submit', 'examples/network-wordcount.ts', '--driver', driver, '--', 'lines', '9999'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let jobId;
  submit.stdout.on('data', (d) => output.push(d.toString()));
  submit.stderr.on('data', (d) => {
    const m = /submitted \S+ as (\S+)/.exec(d.toString());
    if (m) jobId = m[1];
    process.stderr.write(d);
  });
  const exited = new Promise((r) => submit.on('exit', (code, signal) => r({ code, signal })));
  const linesLog = () => compose('logs', '--no-color', 'lines');
  const allServed = () => linesLog().includes(`all ${LINES_TOTAL} lines served`);
  const batchCount = () => (output.join('').match(/^Time: /gm) ?? []).length;
  /** Words in the batches printed after the first `n` batches. */
  const wordsAfterBatch = (n) => {
    const parts = output.join('').split(/^(?=Time: )/m).filter((b) => b.startsWith('Time: '));
    let words = 0;
    for (const b of parts.slice(n)) for (const m of b.matchAll(/^\((\w+),(\d+)\)$/gm)) words += Number(m[2]);
    return words;
  };
  await until('the receiver to start', 60_000, () => workers().some((w) => w.receivers > 0));
  await until('a batch with data', 60_000, () => /\(\w+,\d+\)/.test(output.join('')));

  // Kill the worker container that runs the receiver, while lines are still being served.
  const receiverWorker = workers().find((w) => w.receivers > 0);
  if (allServed()) throw new Error(`all ${LINES_TOTAL} lines were served before the receiver's worker could be killed: raise LINES_TOTAL`);
  log(`docker kill ${containerOf(receiverWorker).slice(0, 12)} (worker ${receiverWorker.id}, running the receiver)`);
  sh('docker', ['kill', containerOf(receiverWorker)]);
  const batchesAtReceiverKill = batchCount();
  const linesCountedBeforeKill = Math.floor(wordsAfterBatch(0) / 8);
  await until('the receiver to restart on another worker', 90_000, () => workers().some((w) => w.receivers > 0 && w.id !== receiverWorker.id));
  await until('words counted from the restarted receiver', 60_000, () => wordsAfterBatch(batchesAtReceiverKill + 2) > 0);
  if (allServed()) log('note: the lines service finished serving before the restarted receiver counted lines');
  log('the receiver restarted and the stream goes on');
  await until('the killed worker to be declared lost', 60_000, () => !workers().some((w) => w.id === receiverWorker.id));

  const before = new Set(workers().map((w) => w.id));
  log('docker compose up -d --scale worker=3');
  compose('up', '-d', '--no-recreate', '--scale', 'worker=3');
  await until('a new worker', 60_000, () => workers().some((w) => !before.has(w.id)));
  const third = workers().find((w) => !before.has(w.id));
  await until('the new worker to take tasks', 60_000, () => (workers().find((w) => w.id === third.id)?.completed ?? 0) > 0);
  log(`the new worker ${third.id} took tasks`);

  // Kill a worker container that does not run the receiver: it loses no record.
  const victim = workers().find((w) => w.receivers === 0 && w.id !== third.id) ?? workers().find((w) => w.receivers === 0);
  if (!victim) throw new Error(`no worker without the receiver: ${JSON.stringify(workers())}`);
  if (allServed()) log('note: all lines were served before the second kill');
  log(`docker kill ${containerOf(victim).slice(0, 12)} (worker ${victim.id})`);
  sh('docker', ['kill', containerOf(victim)]);
  await until('the killed worker to be declared lost', 60_000, () => !workers().some((w) => w.id === victim.id));
  const batchesAtKill = batchCount();
  await until('batches after the kill', 60_000, () => batchCount() >= batchesAtKill + 3);

  // Wait until the lines service has served every line (a timeout fails the run), give the
  // receiver a few batches to store the last of them, then stop gracefully.
  await until('all lines served (the lines service logs it)', 180_000, allServed);
  const batchesAtServed = batchCount();
  await until('3 batches after the last line was served', 60_000, () => batchCount() >= batchesAtServed + 3);
  if (!jobId) throw new Error('the CLI printed no job id');
  log(`sluice stop ${jobId} --graceful`);
  cli('stop', jobId, '--driver', driver, '--graceful');
  const ended = await Promise.race([exited, sleep(60_000).then(() => undefined)]);
  if (ended === undefined) throw new Error('sluice submit did not exit within 60 s of the graceful stop');
  if (ended.code !== 0) throw new Error(`sluice submit exited with ${ended.code ?? ended.signal} after a graceful stop (want 0)`);
  log('sluice submit exited with 0');

  // ---- compare with the lines served ---------------------------------------------------
  const lines = generatedLines(LINES_TOTAL);
  const got = new Map();
  for (const m of output.join('').matchAll(/^\((\w+),(\d+)\)$/gm)) got.set(m[1], (got.get(m[1]) ?? 0) + Number(m[2]));
  const lost = lostRun(lines, got, linesCountedBeforeKill);
  if (!lost) {
    const want = new Map();
    for (const line of lines) for (const w of line.split(' ')) want.set(w, (want.get(w) ?? 0) + 1);
    const diff = [...new Set([...want.keys(), ...got.keys()])].map((w) => `${w}: served ${want.get(w) ?? 0}, counted ${got.get(w) ?? 0}`);
    throw new Error(`the counts are not the lines served minus one contiguous run of at most ${MAX_LOST_LINES} lines:\n${diff.join('\n')}`);
  }
  const counted = LINES_TOTAL - (lost.to - lost.from);
  log(`counts over ${batchCount()} batches equal the ${LINES_TOTAL} lines served except lines [${lost.from}, ${lost.to}) (${lost.to - lost.from} lost with the killed receiver; ${counted} counted once)`);

}

/** The Sluice image, and the connector servers' image when a profile runs (one image holds every profile's server). */
function buildImages() {
  log(`building the image (NODE_IMAGE=${env.NODE_IMAGE ?? 'node:20-bookworm-slim'})`);
  compose('build', 'driver');
  if (PROFILES.length > 0) {
    log(`building the connector servers' image (docker/connectors/Dockerfile) for the profiles ${PROFILES.join(', ')}`);
    compose('--profile', 'mqtt', 'build', 'mosquitto');
  }
}

/**
 * The image starts `sluice` as it starts locally: bin/sluice.js through cli-entry's CommonJS
 * build (dist/sluice-entry.cjs) and the bundle, as the 'sluice code loaded' line of a
 * `sluice worker --driver -` given no address says (it logs that, then stops).
 */
function checkImageEntry() {
  const r = spawnSync('docker', ['run', '--rm', '-i', '-e', `SLUICE_SECRET=${'x'.repeat(32)}`, env.SLUICE_IMAGE, 'worker', '--driver', '-', '--log-level', 'debug'], { input: '', encoding: 'utf8', env, timeout: 60_000 });
  const line = (r.stderr ?? '').split('\n').find((l) => l.includes('"sluice code loaded"'));
  if (line === undefined) throw new Error(`the image's sluice worker logged no 'sluice code loaded' line:\n${r.stderr}${r.error ?? ''}`);
  const { code } = JSON.parse(line);
  if (code.from !== 'bundle' || code.entry !== 'cjs') throw new Error(`the image started sluice from ${JSON.stringify(code)}: not the bundle through dist/sluice-entry.cjs`);
  log(`the image starts sluice from the bundle through dist/sluice-entry.cjs (${JSON.stringify(code)})`);
}

if (process.argv.includes('--build-only')) {
  try {
    buildImages();
    log('images built');
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  process.exit(0);
}

let submit;
let failed = false;
/** Each failure's first lines, said again at the very end: the compose logs printed after a failure push it far up the log. */
const failures = [];
let generatedLines;
/** The compose cluster runs for the cluster and connector phases only. */
const COMPOSE_CLUSTER = PHASES.has('cluster') || PROFILES.length > 0;
try {
  // The lines every feeder (lines, mqtt-lines) sends, computed here from line-server.ts.
  const require = createRequire(path.join(ROOT, 'packages/cli/package.json'));
  const esbuild = require('esbuild');
  const gen = path.join(tmp, 'line-server.mjs');
  await esbuild.build({ entryPoints: [path.join(ROOT, 'examples/lib/line-server.ts')], bundle: true, platform: 'node', format: 'esm', outfile: gen, logLevel: 'silent' });
  ({ generatedLines } = await import(pathToFileURL(gen).href));
  buildImages();
  checkImageEntry();
  if (COMPOSE_CLUSTER) {
    log('docker compose up -d --scale worker=2');
    compose('up', '-d', '--scale', 'worker=2');
    await until('2 workers registered', 120_000, () => {
      try {
        return workers().length === 2;
      } catch {
        return false;
      }
    });
    const metrics = await (await fetch(`http://127.0.0.1:${webPort}/metrics`)).text();
    if (!/^sluice_workers 2$/m.test(metrics)) throw new Error(`web UI /metrics does not show 2 workers:\n${metrics}`);
  }

  if (PHASES.has('cluster')) {
    await networkWordCountPhase(generatedLines);
    await driverRestartPhase(generatedLines);
  }
  if (PROFILES.length > 0) {
    // Every profile's server at once (their start-ups overlap); each phase waits for its health check.
    const servers = PROFILES.map((p) => SERVERS[p]);
    log(`docker compose ${PROFILES.map((p) => `--profile ${p}`).join(' ')} up -d ${servers.join(' ')}`);
    compose(...PROFILES.flatMap((p) => ['--profile', p]), 'up', '-d', ...servers);
    for (const profile of PROFILES) await CONNECTORS[profile](generatedLines);
  }
} catch (err) {
  failed = true;
  failures.push(`${err.stack ?? err}`);
  process.stderr.write(`[e2e] FAIL: ${err.stack ?? err}\n`);
  try {
    if (COMPOSE_CLUSTER) process.stderr.write(sh('docker-compose', ['-p', PROJECT, 'logs', '--tail', '40'], { env }));
  } catch {
    // best effort
  }
} finally {
  submit?.kill('SIGKILL');
  if (COMPOSE_CLUSTER) {
    log('docker compose down');
    try {
      compose('down', '-v', '--remove-orphans');
    } catch (err) {
      process.stderr.write(`docker-compose down failed: ${err.message}\n`);
    }
  }
  fs.rmSync(tmp, { recursive: true, force: true });
}
// The swarm phase runs on the same engine once the compose cluster is gone, with the image
// built above (a failed build or base image skips it: there is nothing to deploy).
if (PHASES.has('swarm') && generatedLines && works('docker', ['image', 'inspect', env.SLUICE_IMAGE])) {
  try {
    await swarmPhase({ ROOT, CLI, env, log, sh, works, until, sleep, freePort, generatedLines, onSubmit: (p) => (submit = p) });
  } catch (err) {
    failed = true;
    failures.push(`(swarm) ${err.stack ?? err}`);
    process.stderr.write(`[e2e] FAIL (swarm): ${err.stack ?? err}\n`);
  } finally {
    submit?.kill('SIGKILL');
  }
} else if (PHASES.has('swarm')) {
  failed = true;
  process.stderr.write(`[e2e] FAIL: the swarm phase did not run: no image ${env.SLUICE_IMAGE} was built\n`);
}
for (const f of failures) process.stderr.write(`[e2e] failed: ${f.split('\n').slice(0, 12).join('\n')}\n`);
log(failed ? 'FAIL' : 'PASS');
process.exit(failed ? 1 : 0);
