// The `swarm` phase of scripts/e2e-docker.mjs: docker-stack.yml deployed with
// `docker stack deploy` on a one-node swarm made here, with the image the compose phases
// built (a stack takes image names, not build sections).
//
//   - docker_gwbridge made first with host_binding_ipv4=127.0.0.1, so the driver's ports,
//     published in `mode: host`, listen on loopback only; `docker swarm init
//     --advertise-addr 127.0.0.1 --listen-addr 127.0.0.1:2377` (where the engine refuses a
//     loopback address: a veth link with an address made for the test);
//   - the node labelled sluice.driver=true (the driver's placement), the cluster secret made
//     with `docker secret create`, the stack deployed with 2 workers; driver and workers must
//     pass their health checks and the 2 workers register;
//   - examples/recoverable-wordcount.ts submitted (a file stream on the `data` volume, running
//     totals with updateStateByKey checkpointed on the `checkpoints` volume); while files are
//     fed: `docker service scale STACK_worker=3` (the new worker takes tasks), `=2` (the task
//     Swarm stops exits 0 on its SIGTERM, within stop_grace_period, and leaves the driver),
//     `docker kill` of a worker task's container (Swarm starts a new task, whose worker
//     registers and takes tasks);
//   - the final totals must equal the words of every file fed, exactly (a file stream loses
//     nothing with a worker: its tasks are recomputed), and the graceful stop ends the
//     attached submit with 0.
// Teardown, also on failure: stack rm, secret rm, swarm leave --force, the stack's volumes
// and containers, the docker_gwbridge made here, the veth link if one was made.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const FILES = 24;
const LINES_PER_FILE = 100;
/** Files written by one `docker exec` (an exec takes seconds on a loaded machine). */
const FILES_PER_ROUND = 3;
/**
 * Writes files (stdin: JSON [[name, text], ...]) into /data/in the way a user should: elsewhere
 * on the volume, then renamed in; dated 5 s back (settled, and inside the file stream's 60 s
 * remember window).
 */
const FEED_SCRIPT = `const fs = require('fs'); fs.mkdirSync('/data/staging', { recursive: true }); fs.mkdirSync('/data/in', { recursive: true });
for (const [name, text] of JSON.parse(fs.readFileSync(0, 'utf8'))) { const tmp = '/data/staging/' + name; fs.writeFileSync(tmp, text);
const past = new Date(Date.now() - 5000); fs.utimesSync(tmp, past, past); fs.renameSync(tmp, '/data/in/' + name); }`;
/**
 * Only where the engine refuses to advertise 127.0.0.1: an address the test gives a link of its
 * own, one end of a veth pair (a kernel without the dummy link type still has veth).
 */
const OWN_LINK = { link: 'sluice-swarm0', peer: 'sluice-swarm1', address: '10.213.77.1' };

/**
 * @param {object} t what e2e-docker.mjs shares: ROOT, CLI, env (with SLUICE_IMAGE), log, sh,
 *   works, until, sleep, freePort, generatedLines, onSubmit (the submit process, killed on failure).
 */
export async function swarmPhase(t) {
  const { ROOT, CLI, log, sh, works, until, sleep } = t;
  const STACK = `sluice-swarm-${process.pid}`;
  const secretName = `${STACK}-secret`;
  const secretFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-swarm-')), 'secret.txt');
  fs.writeFileSync(secretFile, crypto.randomBytes(16).toString('hex'));
  const port = await t.freePort();
  const webPort = await t.freePort();
  const env = { ...t.env, SLUICE_SECRET_FILE: secretFile, SLUICE_SECRET_NAME: secretName, SLUICE_PORT: String(port), SLUICE_WEB_PORT: String(webPort), SLUICE_WORKERS: '2' };
  const docker = (...args) => sh('docker', args, { env });
  const driver = `127.0.0.1:${port}`;
  const cli = (...args) => sh(process.execPath, [CLI, ...args], { env });
  const made = { gwbridge: false, swarm: false, link: false, secret: false, stack: false };

  /** Workers as `sluice workers` lists them ([] while the driver does not answer). */
  const workers = () => {
    let out;
    try {
      out = cli('workers', '--driver', driver);
    } catch {
      return [];
    }
    return out.trim().split('\n').slice(1).map((l) => {
      const [id, address, cores, running, completed] = l.split(/\s+/);
      return { id, address, cores: +cores, running: +running, completed: +completed };
    });
  };
  /** Container ids of a service's tasks (running ones unless `all`). */
  const containers = (service, all = false) => docker('ps', ...(all ? ['-a'] : []), '-q', '--no-trunc', '--filter', `label=com.docker.swarm.service.name=${STACK}_${service}`).trim().split('\n').filter((c) => c !== '');
  const inspect = (c, format) => docker('inspect', '-f', format, c).trim();
  const health = (c) => inspect(c, '{{if .State.Health}}{{.State.Health.Status}}{{end}}');
  /** The running worker container that has the worker's address on the stack's network. */
  const containerOf = (w) => {
    const ip = w.address.split(':')[0];
    const c = containers('worker').find((c) => inspect(c, '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}').split(' ').includes(ip));
    if (!c) throw new Error(`no running worker task has the address ${w.address}`);
    return c;
  };

  const swarmState = () => docker('info', '-f', '{{.Swarm.LocalNodeState}}').trim();
  if (swarmState() === 'active' && docker('node', 'inspect', 'self', '-f', '{{index .Spec.Labels "sluice.e2e"}}').trim() === 'true') {
    // This phase's swarm: another run's, still going (its stack is named after its pid), or
    // one an earlier run left when it was killed before its teardown.
    const alive = (pid) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch (err) {
        return err.code === 'EPERM';
      }
    };
    const live = docker('stack', 'ls', '--format', '{{.Name}}').trim().split('\n').map((n) => /^sluice-swarm-(\d+)$/.exec(n)?.[1]).filter((pid) => pid !== undefined && alive(Number(pid)));
    if (live.length > 0) throw new Error(`the swarm phase of another run (pid ${live.join(', ')}) is using this Docker engine's swarm: run this one after it`);
    log('leaving the swarm an earlier run of this phase left (its node is labelled sluice.e2e=true)');
    docker('swarm', 'leave', '--force');
    const old = docker('ps', '-a', '-q', '--filter', 'label=com.docker.stack.namespace').trim().split('\n').filter((c) => c !== '' && inspect(c, '{{index .Config.Labels "com.docker.stack.namespace"}}').startsWith('sluice-swarm-'));
    if (old.length > 0) docker('rm', '-f', ...old);
    const vs = docker('volume', 'ls', '-q').trim().split('\n').filter((v) => /^sluice-swarm-\d+_/.test(v));
    if (vs.length > 0) docker('volume', 'rm', ...vs);
  }
  if (swarmState() !== 'inactive') throw new Error(`this Docker engine is already in a swarm (state ${swarmState()}): the swarm phase makes its own one-node swarm and leaves it at the end; run \`docker swarm leave\` first if that swarm is not needed`);

  let submit;
  let phaseError;
  try {
    // ---- a one-node swarm whose published ports listen on loopback only ------------------
    if (works('docker', ['network', 'inspect', 'docker_gwbridge'])) docker('network', 'rm', 'docker_gwbridge');
    docker('network', 'create', '--driver', 'bridge', '--opt', 'com.docker.network.bridge.name=docker_gwbridge', '--opt', 'com.docker.network.bridge.enable_icc=false', '--opt', 'com.docker.network.bridge.enable_ip_masquerade=true', '--opt', 'com.docker.network.bridge.host_binding_ipv4=127.0.0.1', 'docker_gwbridge');
    made.gwbridge = true;
    let advertise = '127.0.0.1';
    try {
      docker('swarm', 'init', '--advertise-addr', advertise, '--listen-addr', `${advertise}:2377`);
    } catch (err) {
      log(`docker swarm init --advertise-addr 127.0.0.1 refused (${String(err.stderr ?? err.message).trim()}); on a veth link of its own, ${OWN_LINK.link} ${OWN_LINK.address}/32, instead`);
      sh('ip', ['link', 'add', OWN_LINK.link, 'type', 'veth', 'peer', 'name', OWN_LINK.peer]);
      made.link = true;
      sh('ip', ['addr', 'add', `${OWN_LINK.address}/32`, 'dev', OWN_LINK.link]);
      sh('ip', ['link', 'set', OWN_LINK.link, 'up']);
      sh('ip', ['link', 'set', OWN_LINK.peer, 'up']);
      advertise = OWN_LINK.address;
      docker('swarm', 'init', '--advertise-addr', advertise, '--listen-addr', `${advertise}:2377`);
    }
    made.swarm = true;
    log(`docker swarm init --advertise-addr ${advertise}: a one-node swarm`);
    // sluice.e2e marks the swarm as this phase's, for a later run to leave if this one is killed.
    docker('node', 'update', '--label-add', 'sluice.driver=true', '--label-add', 'sluice.e2e=true', docker('info', '-f', '{{.Swarm.NodeID}}').trim());
    docker('secret', 'create', secretName, secretFile);
    made.secret = true;

    log(`docker stack deploy -c docker-stack.yml ${STACK} (image ${env.SLUICE_IMAGE}, 2 workers)`);
    made.stack = true;
    docker('stack', 'deploy', '--resolve-image', 'never', '-c', 'docker-stack.yml', STACK);
    await until('the driver task to pass its health check', 120_000, () => containers('driver').some((c) => health(c) === 'healthy'));
    await until('2 workers registered', 120_000, () => workers().length === 2);
    await until('both worker tasks to pass their health checks', 60_000, () => containers('worker').length === 2 && containers('worker').every((c) => health(c) === 'healthy'));
    const ports = docker('ps', '--filter', `label=com.docker.swarm.service.name=${STACK}_driver`, '--format', '{{.Ports}}').trim();
    if (!ports.includes(`127.0.0.1:${port}->7077/tcp`)) throw new Error(`the driver's gRPC port is not published on 127.0.0.1 only: ${ports}`);
    log(`driver healthy on ${driver}, 2 workers registered: ${workers().map((w) => `${w.id} ${w.address}`).join(', ')}`);

    // ---- a stream, and scaling while it runs ---------------------------------------------
    const all = t.generatedLines(FILES * LINES_PER_FILE);
    const driverContainer = containers('driver')[0];
    /** Files [from, to) into /data/in, written inside the driver's container (the volume is the stack's). */
    const feed = (from, to) =>
      new Promise((resolve, reject) => {
        const p = spawn('docker', ['exec', '-i', driverContainer, 'node', '-e', FEED_SCRIPT], { env, stdio: ['pipe', 'ignore', 'pipe'] });
        let err = '';
        p.stderr.on('data', (d) => (err += d));
        p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`feeding files ${from}-${to - 1} failed (${code}): ${err}`))));
        const files = [];
        for (let i = from; i < to; i++) files.push([`part-${String(i).padStart(3, '0')}.txt`, all.slice(i * LINES_PER_FILE, (i + 1) * LINES_PER_FILE).join('\n') + '\n']);
        p.stdin.end(JSON.stringify(files));
      });
    log('sluice submit examples/recoverable-wordcount.ts -- /data/in /checkpoints/swarm-wordcount 1s');
    const out = [];
    let err = '';
    submit = spawn(process.execPath, [CLI, 'submit', '--driver', driver, 'examples/recoverable-wordcount.ts', '/data/in', '/checkpoints/swarm-wordcount', '1s'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    t.onSubmit(submit);
    submit.stdout.on('data', (d) => out.push(d.toString()));
    submit.stderr.on('data', (d) => {
      err += d.toString();
      process.stderr.write(d);
    });
    let ended;
    const exited = new Promise((r) => submit.on('exit', (code, signal) => r((ended = { code, signal }))));
    const running = () => {
      if (ended) throw new Error(`sluice submit ended (${ended.code ?? ended.signal}) before it was stopped:\n${err.split('\n').slice(-15).join('\n')}`);
      return true;
    };
    const lastTotals = () => {
      const m = [...out.join('').matchAll(/^TOTALS (\d+) (.*)$/gm)].at(-1);
      return new Map(m ? JSON.parse(m[2]) : []);
    };
    const wordsCounted = () => [...lastTotals().values()].reduce((a, b) => a + b, 0);
    const jobId = await until('the job id', 60_000, () => running() && /submitted \S+ as (\S+)/.exec(err)?.[1]);
    // Files already in the directory when the stream starts are not new (as in Spark): feed from its first batch on.
    await until('the first batch', 90_000, () => running() && /^TOTALS /m.test(out.join('')));

    // Files go in all along, a few at a time with 1 s between, while workers come and go. The
    // last HELD files wait until the killed task's replacement has registered: a batch's stage
    // over the running totals prefers the worker that caches them (delay scheduling, as in
    // Spark), so only new files' tasks give a newcomer work; fed before it came, it could idle.
    const HELD = 2 * FILES_PER_ROUND;
    let release = () => undefined;
    const released = new Promise((r) => (release = r));
    let fed = 0;
    const feeder = (async () => {
      while (fed < FILES) {
        if (fed >= FILES - HELD) await released;
        const to = Math.min(FILES, fed + FILES_PER_ROUND);
        await feed(fed, to);
        fed = to;
        await sleep(1000);
      }
    })();
    feeder.catch(() => undefined);

    const before = new Set(workers().map((w) => w.id));
    log(`docker service scale ${STACK}_worker=3 (${fed} files fed)`);
    docker('service', 'scale', '--detach', `${STACK}_worker=3`);
    const third = await until('a third worker to register', 90_000, () => running() && workers().find((w) => !before.has(w.id)));
    await until(`the new worker ${third.id} to take tasks`, 60_000, () => running() && (workers().find((w) => w.id === third.id)?.completed ?? 0) > 0);
    log(`the new worker ${third.id} (${third.address}) took tasks`);

    const three = workers();
    const runningBefore = new Set(containers('worker'));
    log(`docker service scale ${STACK}_worker=2 (${fed} files fed)`);
    docker('service', 'scale', '--detach', `${STACK}_worker=2`);
    const stopped = await until('Swarm to stop one worker task', 120_000, () => running() && [...runningBefore].find((c) => !containers('worker').includes(c)));
    await until('the stopped task to exit', 120_000, () => inspect(stopped, '{{.State.Status}}') === 'exited');
    const exitCode = Number(inspect(stopped, '{{.State.ExitCode}}'));
    if (exitCode !== 0) throw new Error(`the worker task Swarm stopped on scale-down exited with ${exitCode}, not 0: it did not stop by itself on SIGTERM within stop_grace_period (137: killed)`);
    await until('the driver to list 2 workers', 90_000, () => running() && workers().length === 2);
    const left = three.find((w) => !workers().some((x) => x.id === w.id));
    log(`the task Swarm stopped exited with 0 on its SIGTERM; worker ${left?.id} left the driver`);

    const two = workers();
    const victim = two[0];
    const victimContainer = containerOf(victim);
    const tasksBefore = new Set(containers('worker', true));
    log(`docker kill ${victimContainer.slice(0, 12)} (worker ${victim.id}; ${fed} files fed)`);
    docker('kill', victimContainer);
    const replacement = await until('Swarm to start a new worker task', 90_000, () => running() && containers('worker').find((c) => !tasksBefore.has(c)));
    const known = new Set(two.map((w) => w.id));
    const newcomer = await until('the new task to register a worker', 90_000, () => running() && workers().find((w) => !known.has(w.id)));
    release();
    if (containerOf(newcomer) !== replacement) throw new Error(`the worker ${newcomer.id} that registered is not in the task Swarm started (${replacement.slice(0, 12)})`);
    await until(`the killed worker ${victim.id} to leave the driver's list`, 90_000, () => running() && !workers().some((w) => w.id === victim.id));
    await until(`the replacement worker ${newcomer.id} to take tasks`, 60_000, () => running() && (workers().find((w) => w.id === newcomer.id)?.completed ?? 0) > 0);
    log(`Swarm replaced the killed task: worker ${newcomer.id} (${newcomer.address}) registered and took tasks`);

    await feeder;
    const want = new Map();
    for (const line of all) for (const w of line.split(' ')) want.set(w, (want.get(w) ?? 0) + 1);
    await until(`the totals to take in all ${FILES} files`, 120_000, () => running() && wordsCounted() >= all.length * 8);
    const batches = () => (out.join('').match(/^TOTALS /gm) ?? []).length;
    const at = batches();
    await until('3 batches more (nothing counted twice comes late)', 60_000, () => running() && batches() >= at + 3);
    const got = lastTotals();
    const diff = [...new Set([...want.keys(), ...got.keys()])].filter((w) => want.get(w) !== got.get(w)).map((w) => `${w}: fed ${want.get(w) ?? 0}, counted ${got.get(w) ?? 0}`);
    if (diff.length > 0) throw new Error(`on the swarm, the totals differ from the ${all.length} lines of the ${FILES} files fed:\n${diff.join('\n')}`);
    log(`sluice stop ${jobId} --graceful`);
    cli('stop', jobId, '--driver', driver, '--graceful');
    const end = await Promise.race([exited, sleep(60_000).then(() => undefined)]);
    if (end?.code !== 0) throw new Error(`sluice submit ended with ${end ? end.code ?? end.signal : 'nothing within 60 s'} after a graceful stop (want 0)`);
    log(`swarm: final totals equal the ${all.length} lines of the ${FILES} files fed (${all.length * 8} words) across scale 2 -> 3 -> 2 and a killed worker task; sluice submit exited with 0`);
  } catch (e) {
    phaseError = e;
    try {
      // The tasks' stdout and stderr alike (a worker's fatal error goes to stderr).
      for (const s of ['driver', 'worker']) process.stderr.write(`--- docker service logs ${STACK}_${s} (tail)\n${sh('sh', ['-c', 'docker service logs --raw --tail 30 "$0" 2>&1', `${STACK}_${s}`], { env })}`);
      process.stderr.write(`--- docker service ps\n${docker('service', 'ps', '--no-trunc', `${STACK}_driver`, `${STACK}_worker`)}`);
    } catch {
      // best effort
    }
    throw e;
  } finally {
    submit?.kill('SIGKILL');
    const failures = await teardown({ STACK, secretName, made, docker, sh, log, until });
    fs.rmSync(path.dirname(secretFile), { recursive: true, force: true });
    if (failures.length > 0 && !phaseError) throw new Error(`the swarm phase passed, but its teardown failed: ${failures.join('; ')}`);
  }
}

/** Removes what the phase made, each step on its own (one failing does not skip the rest); returns the steps that failed. */
async function teardown({ STACK, secretName, made, docker, sh, log, until }) {
  const failures = [];
  const step = async (what, f) => {
    try {
      await f();
    } catch (err) {
      failures.push(what);
      process.stderr.write(`swarm teardown: ${what} failed: ${err.stderr ?? err.message}\n`);
    }
  };
  const stackContainers = () => docker('ps', '-a', '-q', '--filter', `label=com.docker.stack.namespace=${STACK}`).trim().split('\n').filter((c) => c !== '');
  log(`docker stack rm ${STACK}; docker secret rm; docker swarm leave --force`);
  if (made.stack) {
    // Docker removes a stack's services and networks together: a network a task of a service
    // just removed still uses is refused ('network ... is in use by task ...', a known race of
    // `docker stack rm`), and a second `stack rm` removes what is left once the task is gone.
    await step('docker stack rm', () =>
      until("the stack's networks to be removable", 60_000, () => {
        try {
          docker('stack', 'rm', STACK);
          return true;
        } catch (err) {
          if (/is in use by task/.test(String(err.stderr ?? err.message))) return false;
          throw err;
        }
      }),
    );
    await step('waiting for the stack\'s tasks to stop', () => until('the stack\'s containers to stop', 120_000, () => docker('ps', '-q', '--filter', `label=com.docker.stack.namespace=${STACK}`).trim() === ''));
  }
  if (made.secret) await step('docker secret rm', () => until('the secret to be removable', 30_000, () => { try { docker('secret', 'rm', secretName); return true; } catch { return false; } }));
  if (made.swarm) await step('docker swarm leave --force', () => docker('swarm', 'leave', '--force'));
  await step('removing the stack\'s containers', () => {
    const cs = stackContainers();
    if (cs.length > 0) docker('rm', '-f', ...cs);
  });
  await step('removing the stack\'s volumes', () => until('the stack\'s volumes to be removed', 30_000, () => {
    const vs = docker('volume', 'ls', '-q').trim().split('\n').filter((v) => v.startsWith(`${STACK}_`));
    if (vs.length === 0) return true;
    try {
      docker('volume', 'rm', ...vs);
    } catch {
      // still in use by a container being removed: try again
    }
    return false;
  }));
  // A swarm left soon after its init can leave its ingress sandbox's endpoint on the bridge.
  const removeGwbridge = () => {
    try {
      docker('network', 'rm', 'docker_gwbridge');
      return true;
    } catch {
      if (docker('network', 'inspect', '-f', '{{range .Containers}}{{.Name}} {{end}}', 'docker_gwbridge').split(' ').includes('gateway_ingress-sbox')) docker('network', 'disconnect', '-f', 'docker_gwbridge', 'gateway_ingress-sbox');
      return false;
    }
  };
  if (made.gwbridge) await step('docker network rm docker_gwbridge', () => until('docker_gwbridge to be removable', 30_000, removeGwbridge));
  if (made.link) await step(`ip link del ${OWN_LINK.link}`, () => sh('ip', ['link', 'del', OWN_LINK.link]));
  await step('checking the engine left the swarm', () => {
    const state = docker('info', '-f', '{{.Swarm.LocalNodeState}}').trim();
    if (made.swarm && state !== 'inactive') throw new Error(`the swarm state is ${state}`);
  });
  return failures;
}
