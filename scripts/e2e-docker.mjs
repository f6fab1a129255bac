// End-to-end test of the docker-compose cluster (not part of `npm test`; run by .ci/run):
//   node scripts/e2e-docker.mjs
//
// Builds the image, starts the compose cluster with 2 workers and a `lines` service that
// serves a fixed number of generated lines, submits the network word count from this
// machine with the sluice CLI, scales to 3 workers and checks the third takes tasks,
// kills a worker container that does not run the receiver, and checks that the counts
// printed over all batches equal the words of the lines served. Tears everything down.
//
// Where no Docker engine runs, ../shared/tools/local-docker.sh (if present) installs and
// starts one and builds sluice/node-base:local, used as NODE_IMAGE (no image registry
// needed). Elsewhere the Dockerfile's default base, node:20-bookworm-slim, is used.
import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'packages/cli/bin/sluice.js');
const PROJECT = `sluice-e2e-${process.pid}`;
const LINES_TOTAL = 24_000;
const LINES_RATE = 1000;
const started = Date.now();

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
  SLUICE_IMAGE: `sluice:e2e`,
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

let submit;
let failed = false;
try {
  log(`building the image (NODE_IMAGE=${env.NODE_IMAGE ?? 'node:20-bookworm-slim'})`);
  compose('build', 'driver');
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
  const exited = new Promise((r) => submit.on('exit', r));
  await until('the receiver to start', 60_000, () => workers().some((w) => w.receivers > 0));
  await until('a batch with data', 60_000, () => /\(\w+,\d+\)/.test(output.join('')));

  const before = new Set(workers().map((w) => w.id));
  log('docker compose up -d --scale worker=3');
  compose('up', '-d', '--no-recreate', '--scale', 'worker=3');
  await until('a third worker', 60_000, () => workers().length === 3);
  const third = workers().find((w) => !before.has(w.id));
  await until('the third worker to take tasks', 60_000, () => (workers().find((w) => w.id === third.id)?.completed ?? 0) > 0);
  log(`the new worker ${third.id} took tasks`);

  // Kill a worker container that does not run the receiver: no record may be lost.
  const victim = workers().find((w) => w.receivers === 0 && w.id !== third.id) ?? workers().find((w) => w.receivers === 0);
  const ids = compose('ps', '-q', 'worker').trim().split('\n');
  const victimIp = victim.address.split(':')[0];
  const container = ids.find((c) => sh('docker', ['inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', c]).trim() === victimIp);
  if (!container) throw new Error(`no container has the address ${victim.address}`);
  log(`docker kill ${container.slice(0, 12)} (worker ${victim.id})`);
  sh('docker', ['kill', container]);
  await until('the killed worker to be declared lost', 60_000, () => !workers().some((w) => w.id === victim.id));
  const batchesAtKill = (output.join('').match(/^Time: /gm) ?? []).length;
  await until('batches after the kill', 60_000, () => (output.join('').match(/^Time: /gm) ?? []).length >= batchesAtKill + 3);

  // Let the lines service finish, then stop gracefully: every received line is counted.
  await until('all lines served', 120_000, () => {
    const text = output.join('');
    let words = 0;
    for (const m of text.matchAll(/^\((\w+),(\d+)\)$/gm)) words += Number(m[2]);
    return words >= LINES_TOTAL * 8;
  }).catch(() => undefined);
  await sleep(3000);
  if (!jobId) throw new Error('the CLI printed no job id');
  log(`sluice stop ${jobId} --graceful`);
  cli('stop', jobId, '--driver', driver, '--graceful');
  await Promise.race([exited, sleep(60_000)]);

  // ---- compare with the lines served ---------------------------------------------------
  const require = createRequire(path.join(ROOT, 'packages/cli/package.json'));
  const esbuild = require('esbuild');
  const gen = path.join(tmp, 'line-server.mjs');
  await esbuild.build({ entryPoints: [path.join(ROOT, 'examples/lib/line-server.ts')], bundle: true, platform: 'node', format: 'esm', outfile: gen, logLevel: 'silent' });
  const { generatedLines } = await import(pathToFileURL(gen).href);
  const want = new Map();
  for (const line of generatedLines(LINES_TOTAL)) for (const w of line.split(' ')) want.set(w, (want.get(w) ?? 0) + 1);
  const got = new Map();
  for (const m of output.join('').matchAll(/^\((\w+),(\d+)\)$/gm)) got.set(m[1], (got.get(m[1]) ?? 0) + Number(m[2]));
  const diff = [...want].filter(([w, n]) => got.get(w) !== n).map(([w, n]) => `${w}: want ${n}, got ${got.get(w) ?? 0}`);
  if (diff.length > 0 || got.size !== want.size) throw new Error(`counts differ from the lines served:\n${diff.join('\n')}`);
  log(`counts over ${(output.join('').match(/^Time: /gm) ?? []).length} batches equal the ${LINES_TOTAL} lines served (${LINES_TOTAL * 8} words)`);
  log('PASS');
} catch (err) {
  failed = true;
  process.stderr.write(`[e2e] FAIL: ${err.stack ?? err}\n`);
  try {
    process.stderr.write(sh('docker-compose', ['-p', PROJECT, 'logs', '--tail', '40'], { env }));
  } catch {
    // best effort
  }
} finally {
  submit?.kill('SIGKILL');
  log('docker compose down');
  try {
    compose('down', '-v', '--remove-orphans');
  } catch (err) {
    process.stderr.write(`docker-compose down failed: ${err.message}\n`);
  }
  fs.rmSync(tmp, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
