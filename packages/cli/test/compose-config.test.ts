import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { REPO_DIR } from './harness.js';

function composeCommand(): string[] | undefined {
  for (const cmd of [['docker-compose'], ['docker', 'compose']]) {
    try {
      execFileSync(cmd[0], [...cmd.slice(1), 'version'], { stdio: 'ignore' });
      return cmd;
    } catch {
      // try the next
    }
  }
  return undefined;
}

/** The connector profiles (README "Connectors with docker compose"): each profile's server (with a health check) and what feeds its example. */
const PROFILES: Record<string, { server: string; feeders: string[] }> = {
  kafka: { server: 'kafka', feeders: [] },
  mqtt: { server: 'mosquitto', feeders: ['mqtt-lines'] },
  // Fed by the `lines` service, which runs without a profile.
  postgres: { server: 'postgres', feeders: [] },
  redis: { server: 'redis', feeders: [] },
  s3: { server: 's3', feeders: [] },
};
const PROFILE_SERVICES = Object.values(PROFILES).flatMap((p) => [p.server, ...p.feeders]);

/** The lines of service `name` in the compose file (up to the next service or top-level key). */
function serviceBlock(text: string, name: string): string {
  const m = new RegExp(`^  ${name.replace(/[-]/g, '\\-')}:\n((?:(?:    .*)?\n)*)`, 'm').exec(text);
  assert.ok(m, `the compose file has a service '${name}'`);
  return m[1];
}

const compose = composeCommand();
/** CI (the usual `CI=true`, set by .ci/run too) must run this test, so a missing docker-compose fails it there. */
const underCi = process.env.CI !== undefined && !['', '0', 'false'].includes(process.env.CI.toLowerCase());

test('docker-compose.yml is valid (docker-compose config -q)', { skip: compose || underCi ? false : 'docker-compose is not installed (.ci/run installs it; with CI=true this test fails instead)' }, () => {
  assert.ok(compose, `neither 'docker-compose' nor 'docker compose' runs here, and CI=${process.env.CI}: under CI the compose file must be checked, so install docker-compose (.ci/run does it with ../shared/tools/local-docker.sh) instead of skipping`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-compose-'));
  const secret = path.join(dir, 'secret.txt');
  fs.writeFileSync(secret, 'a'.repeat(32));
  try {
    const [cmd, ...pre] = compose;
    execFileSync(cmd, [...pre, 'config', '-q'], { cwd: REPO_DIR, env: { ...process.env, SLUICE_SECRET_PATH: secret }, stdio: ['ignore', 'pipe', 'pipe'] });
    const services = execFileSync(cmd, [...pre, 'config', '--services'], { cwd: REPO_DIR, env: { ...process.env, SLUICE_SECRET_PATH: secret }, encoding: 'utf8' });
    // Profile services: some compose versions list them here, some only with their --profile.
    assert.deepEqual(services.trim().split('\n').filter((s) => !PROFILE_SERVICES.includes(s)).sort(), ['driver', 'lines', 'worker']);
    const profiles = execFileSync(cmd, [...pre, 'config', '--profiles'], { cwd: REPO_DIR, env: { ...process.env, SLUICE_SECRET_PATH: secret }, encoding: 'utf8' });
    assert.deepEqual(profiles.trim().split('\n').sort(), Object.keys(PROFILES).sort());
    for (const [profile, { server, feeders }] of Object.entries(PROFILES)) {
      // Validates the file with the profile's services too, and lists them.
      const withProfile = execFileSync(cmd, [...pre, '--profile', profile, 'config', '--services'], { cwd: REPO_DIR, env: { ...process.env, SLUICE_SECRET_PATH: secret }, encoding: 'utf8' });
      const listed = withProfile.trim().split('\n');
      for (const s of ['driver', 'lines', 'worker', server, ...feeders]) assert.ok(listed.includes(s), `--profile ${profile} runs ${s} (listed: ${listed.join(', ')})`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the compose file publishes the driver on 127.0.0.1 only and runs every service with init', () => {
  const text = fs.readFileSync(path.join(REPO_DIR, 'docker-compose.yml'), 'utf8');
  const ports = [...text.matchAll(/^\s+- "([^"]+:\d+)"$/gm)].map((m) => m[1]);
  assert.ok(ports.length >= 2, 'gRPC and web ports are published');
  for (const p of ports) assert.match(p, /^127\.0\.0\.1:/, `port ${p} is published beyond loopback`);
  assert.match(text, /init: true/);
  assert.match(text, /NODE_IMAGE: \$\{NODE_IMAGE:-node:20-bookworm-slim\}/);
});

test('the compose driver restarts by itself and keeps its state dir and the checkpoints on named volumes', () => {
  const text = fs.readFileSync(path.join(REPO_DIR, 'docker-compose.yml'), 'utf8');
  const driver = /^  driver:\n([\s\S]*?)^  \w+:\n/m.exec(text)?.[1] ?? '';
  assert.match(driver, /^    restart: unless-stopped$/m);
  assert.match(driver, /"--state-dir", "\/state"/);
  assert.match(driver, /^      - driver-state:\/state$/m);
  assert.match(driver, /^      - checkpoints:\/checkpoints$/m);
  assert.match(text, /^volumes:\n(?:.*\n)*?  driver-state:/m);
  // The image makes /state writable by the user it runs as (a named volume takes its owner from it).
  const dockerfile = fs.readFileSync(path.join(REPO_DIR, 'Dockerfile'), 'utf8');
  for (const dir of ['state', 'data']) assert.match(dockerfile, new RegExp(`mkdir -p [^\\n]*/${dir}\\b[^\\n]*&& chown 10001:10001 [^\\n]*/${dir}\\b`));
  // Input files of file streams: the same /data in every container (the e2e's driver-restart phase feeds it).
  assert.match(text, /^x-sluice: &sluice\n(?:.*\n)*?    - data:\/data$/m);
  assert.match(driver, /^      - data:\/data$/m);
});

test('each connector profile runs its server only with --profile, with a health check, and its feeder once the server is healthy', () => {
  const text = fs.readFileSync(path.join(REPO_DIR, 'docker-compose.yml'), 'utf8');
  for (const [profile, { server, feeders }] of Object.entries(PROFILES)) {
    for (const s of [server, ...feeders]) assert.match(serviceBlock(text, s), new RegExp(`^    profiles: \\["${profile}"\\]$`, 'm'), `${s} runs only with --profile ${profile}`);
    if (profile === 'kafka') continue; // the official Kafka image: no health check command in it
    assert.match(serviceBlock(text, server), /^    healthcheck:\n      test: \[.+\]$/m, `${server} has a health check`);
    for (const f of feeders) assert.match(serviceBlock(text, f), new RegExp(`^    depends_on:\n      ${server}:\n        condition: service_healthy$`, 'm'), `${f} starts once ${server} is healthy`);
  }
  // The servers' image is built from the local base too (no registry needed), from Debian's packages.
  assert.match(text, /^x-connector: &connector\n(?:.*\n)*?      NODE_IMAGE: \$\{NODE_IMAGE:-node:20-bookworm-slim\}$/m);
  const dockerfile = fs.readFileSync(path.join(REPO_DIR, 'docker/connectors/Dockerfile'), 'utf8');
  assert.match(dockerfile, /^FROM \$\{NODE_IMAGE\}$/m);
  for (const pkg of ['mosquitto', 'postgresql', 'redis-server']) assert.match(dockerfile, new RegExp(`apt-get install [^\\n]*\\n?[^\\n]*\\b${pkg}\\b`));
  assert.match(dockerfile, /npm ci\b/, 's3rver comes from its lock file');
});
