// docker-stack.yml checked offline, without a swarm: the file against the Compose schema
// (`docker-compose config`, which refuses unknown or misplaced keys; and `docker stack
// config`, the loader of `docker stack deploy` itself, where the docker CLI has it), then what
// the schema cannot see: keys a stack ignores or refuses, and the references between the
// services (the secret mount against SLUICE_SECRET_FILE, the workers' --driver against the
// driver's service and port, health checks against the ports, volumes against the paths the
// commands use, the placement label against the one README and the e2e set). The stack
// itself runs in scripts/e2e-swarm.mjs (`node scripts/e2e-docker.mjs --phases swarm`).
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { REPO_DIR } from './harness.js';

const FILE = path.join(REPO_DIR, 'docker-stack.yml');

interface Service {
  image?: string;
  init?: boolean;
  command?: string[];
  environment?: Record<string, string>;
  secrets?: ({ source: string; target?: string } | string)[];
  networks?: string[];
  volumes?: string[];
  ports?: ({ target: number; published: string | number; protocol?: string; mode?: string } | string)[];
  healthcheck?: { test: string[]; interval?: string; timeout?: string; retries?: number; start_period?: string };
  stop_grace_period?: string;
  deploy?: {
    mode?: string;
    replicas?: number | string;
    endpoint_mode?: string;
    placement?: { constraints?: string[]; preferences?: { spread: string }[] };
    restart_policy?: { condition?: string };
    update_config?: { order?: string; parallelism?: number };
    resources?: { limits?: { cpus?: string; memory?: string }; reservations?: { cpus?: string; memory?: string } };
  };
  [key: string]: unknown;
}
interface Stack {
  version: string;
  services: Record<string, Service>;
  networks: Record<string, { driver?: string; attachable?: boolean }>;
  secrets: Record<string, { external?: boolean; name?: string; file?: string }>;
  volumes: Record<string, unknown>;
}

const stack = parse(fs.readFileSync(FILE, 'utf8')) as Stack;
const underCi = process.env.CI !== undefined && !['', '0', 'false'].includes(process.env.CI.toLowerCase());

/** The value after `flag` in a command. */
function arg(cmd: string[] | undefined, flag: string): string {
  const i = (cmd ?? []).indexOf(flag);
  assert.ok(i >= 0 && i + 1 < (cmd ?? []).length, `the command ${JSON.stringify(cmd)} has ${flag} <value>`);
  return cmd![i + 1];
}

/** A Compose duration ("90s", "2m", "1m30s") in seconds. */
function seconds(d: string | undefined): number {
  assert.match(d ?? '', /^(\d+h)?(\d+m)?(\d+s)?$/, `a duration: ${d}`);
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(d!)!;
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}

/** A Compose byte size ("512M", "1G") in MiB. */
function mib(s: string | undefined): number {
  const m = /^(\d+)([MG])$/.exec(s ?? '');
  assert.ok(m, `a size in M or G: ${s}`);
  return Number(m[1]) * (m[2] === 'G' ? 1024 : 1);
}

test('docker-stack.yml passes the Compose schema (docker-compose config) and, where the docker CLI has it, docker stack config', (t) => {
  const env = { ...process.env, SLUICE_IMAGE: 'sluice:check' };
  const compose = spawnSync('docker-compose', ['-f', FILE, 'config', '-q'], { env, encoding: 'utf8' });
  if (compose.error) {
    assert.ok(!underCi, `docker-compose does not run here (${compose.error.message}), and CI=${process.env.CI}: under CI the stack file must be checked (.ci/run installs docker-compose with ../shared/tools/local-docker.sh)`);
    t.diagnostic('docker-compose is not installed: the schema check is skipped');
  } else {
    assert.equal(compose.status, 0, `docker-compose config rejects docker-stack.yml:\n${compose.stderr}`);
  }
  // `docker stack config` (docker CLI 23 and later; Debian's 20.10 has no such command): the
  // schema and loader `docker stack deploy` uses, which knows swarm's own keys.
  const help = spawnSync('docker', ['stack', 'config', '--help'], { encoding: 'utf8' });
  if (help.status !== 0 || !/--compose-file/.test(help.stdout)) {
    t.diagnostic('this docker CLI has no `docker stack config`: only the Compose schema check ran');
    return;
  }
  const out = execFileSync('docker', ['stack', 'config', '-c', FILE], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const loaded = parse(out) as Stack;
  assert.deepEqual(Object.keys(loaded.services).sort(), ['driver', 'worker']);
  assert.equal(loaded.services.worker.image, 'sluice:check', 'SLUICE_IMAGE names the image');
});

test('docker-stack.yml uses only what a stack deploys: no build, depends_on, profiles; an overlay network, an external secret, dnsrr endpoints, host-mode ports', () => {
  assert.deepEqual(Object.keys(stack.services).sort(), ['driver', 'worker']);
  assert.equal(stack.networks.sluice?.driver, 'overlay');
  assert.equal(stack.secrets.sluice_secret?.external, true, 'the secret is a swarm secret made with `docker secret create`, not a file on the manager');
  assert.equal(stack.secrets.sluice_secret?.name, '${SLUICE_SECRET_NAME:-sluice_secret}');
  for (const [name, s] of Object.entries(stack.services)) {
    for (const key of ['build', 'depends_on', 'profiles', 'container_name', 'links', 'restart']) assert.ok(!(key in s), `${name}: '${key}' is not for docker stack deploy (ignored or refused)`);
    assert.equal(s.image, '${SLUICE_IMAGE:-sluice:local}', `${name}: the image SLUICE_IMAGE names`);
    assert.equal(s.init, true, `${name}: init, so SIGTERM reaches node`);
    assert.deepEqual(s.networks, ['sluice'], `${name} is on the overlay network`);
    // Virtual IPs and the ingress routing mesh need IPVS in every node's kernel; Sluice needs neither.
    assert.equal(s.deploy?.endpoint_mode, 'dnsrr', `${name}: endpoint_mode dnsrr`);
    for (const p of s.ports ?? []) assert.ok(typeof p === 'object' && p.mode === 'host', `${name}: port ${JSON.stringify(p)} is published in mode: host`);
    assert.equal(s.deploy?.restart_policy?.condition, 'any', `${name}: Swarm restarts its tasks`);
    // The cluster secret, where SLUICE_SECRET_FILE says.
    const secret = (s.secrets ?? []).map((x) => (typeof x === 'string' ? { source: x, target: x } : x)).find((x) => x.source === 'sluice_secret');
    assert.ok(secret, `${name} mounts the secret sluice_secret`);
    assert.equal(s.environment?.SLUICE_SECRET_FILE, `/run/secrets/${secret.target ?? secret.source}`, `${name}: SLUICE_SECRET_FILE is where the secret is mounted`);
    const res = s.deploy?.resources;
    for (const k of ['limits', 'reservations'] as const) {
      assert.match(res?.[k]?.cpus ?? '', /^\d+(\.\d+)?$/, `${name}: ${k}.cpus`);
      assert.ok(mib(res?.[k]?.memory) > 0, `${name}: ${k}.memory`);
    }
    assert.ok(mib(res?.reservations?.memory) <= mib(res?.limits?.memory), `${name}: reserves no more memory than its limit`);
    assert.equal(s.healthcheck?.test[0], 'CMD', `${name} has a health check`);
  }
  for (const v of ['driver-state', 'checkpoints', 'data']) assert.ok(v in stack.volumes, `the volume ${v} is declared`);
});

test('docker-stack.yml: the driver on the labelled node with its state on a volume; workers reach it, are checked on their own port, and have time to leave on SIGTERM', () => {
  const { driver, worker } = stack.services;
  const driverPort = arg(driver.command, '--port');
  const webPort = arg(driver.command, '--web-port');
  assert.equal(arg(driver.command, '--bind'), '0.0.0.0');
  // State and checkpoints on named volumes, at the paths the command and the examples use.
  const stateDir = arg(driver.command, '--state-dir');
  assert.ok(driver.volumes?.includes(`driver-state:${stateDir}`), `the state dir ${stateDir} is the driver-state volume`);
  for (const s of [driver, worker]) for (const v of ['checkpoints:/checkpoints', 'data:/data']) assert.ok(s.volumes?.includes(v), `${v} on driver and workers alike`);
  // One driver, on the node with the label the README and the e2e put on it; never two on one state dir.
  assert.equal(driver.deploy?.replicas, 1);
  assert.deepEqual(driver.deploy?.placement?.constraints, ['node.labels.sluice.driver == true']);
  assert.equal(driver.deploy?.update_config?.order, 'stop-first');
  assert.match(fs.readFileSync(path.join(REPO_DIR, 'README.md'), 'utf8'), /docker node update --label-add sluice\.driver=true /);
  assert.match(fs.readFileSync(path.join(REPO_DIR, 'scripts', 'e2e-swarm.mjs'), 'utf8'), /'--label-add', 'sluice\.driver=true'/);
  // Its ports published: gRPC and the web UI, the health check on the web port.
  assert.deepEqual(driver.ports?.map((p) => typeof p === 'object' && p.target).sort(), [Number(driverPort), Number(webPort)].sort());
  assert.match(driver.healthcheck?.test.join(' ') ?? '', new RegExp(`http://127\\.0\\.0\\.1:${webPort}/health`));

  // Workers find the driver by its service name and port, listen on a fixed port the health check probes.
  assert.equal(arg(worker.command, '--driver'), `driver:${driverPort}`);
  assert.equal(arg(worker.command, '--bind'), '0.0.0.0');
  assert.equal(arg(worker.command, '--advertise-host'), 'auto', 'a worker advertises its own address on the overlay');
  const workerPort = arg(worker.command, '--port');
  assert.match(worker.healthcheck?.test.join(' ') ?? '', new RegExp(`connect\\(${workerPort}, '127\\.0\\.0\\.1'\\)`));
  assert.equal(worker.deploy?.mode, 'replicated');
  assert.equal(worker.deploy?.replicas, '${SLUICE_WORKERS:-2}');
  // Scale-down and node drains send SIGTERM: room to decommission before Docker's SIGKILL.
  assert.ok(seconds(worker.stop_grace_period) >= 60, `worker stop_grace_period ${worker.stop_grace_period} is at least 60 s`);
  assert.ok(seconds(driver.stop_grace_period) >= 10, `driver stop_grace_period ${driver.stop_grace_period} is at least 10 s`);
  // Blocks in memory (--memory MiB) fit in the memory limit with room for the process.
  assert.ok(mib(worker.deploy?.resources?.limits?.memory) >= 2 * Number(arg(worker.command, '--memory')), 'the worker memory limit is at least twice --memory');
  assert.equal(worker.deploy?.resources?.limits?.cpus, arg(worker.command, '--cores'), 'a worker is limited to the cores it runs tasks on');
});
