// Several hosts on one machine: the driver and two workers each run in their own network
// namespace (`ip netns`), joined by veth pairs to a bridge in a fourth namespace, on
// addresses this test makes in 10.231.<x>.0/24. Nothing outside these namespaces is
// touched: no address or link of the machine's own namespace, not even loopback. Every
// RPC runs over TLS with a certificate whose SANs are the namespaces' addresses; workers
// listen on 0.0.0.0 and tell the driver and each other where to reach them with
// --advertise-host. A socket-fed stateful stream (updateStateByKey over numbered lines)
// runs; the link of the worker running the receiver is cut for 10 s (`ip link set eth0
// down` in its namespace) and restored. The stream must go on and its final state must
// count every line sent exactly once, computed here from the lines themselves.
//
// Needs root and iproute2's `ip`: skipped with a message without them, except under CI
// (CI=true), where it fails instead.
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CLI_BIN, fixture, jsonLine, jsonLines, sleep } from './harness.js';
import { lineText } from './netns-line-source.js';

const underCi = process.env.CI !== undefined && !['', '0', 'false'].includes(process.env.CI.toLowerCase());
const SOURCE_JS = fileURLToPath(new URL('./netns-line-source.js', import.meta.url));

const BATCH_MS = 500;
const CHECKPOINT_MS = 2000;
const CUT_MS = 10_000;
/**
 * The driver declares a silent worker lost after this long: the default a user gets, 6x
 * the cut, so the cut worker is waited for rather than replaced. The worker is silent for
 * the cut and then until its connections carry again: TCP's retransmissions back off while
 * the link is down (from 0.2 s, doubling: the next can come up to 6.4 s after a 10 s cut
 * ends), and a loaded machine adds to that. At 30 s, about 2x the ~14.5 s without
 * progress of the CI run at load 3.7 (batches resumed 4.5 s after the link came back), a
 * slower return would have declared it lost and failed the test. A worker that never came
 * back still fails the test within its time (300 s).
 */
const WORKER_TIMEOUT_MS = 60_000;
const GRPC_PORT = 7077;
const SOURCE_PORT = 9999;

/** Why this test cannot run here, or undefined when it can. */
function missingPrivilege(): string | undefined {
  if (process.getuid?.() !== 0) return 'it must run as root (ip netns add)';
  try {
    execFileSync('ip', ['-V'], { stdio: 'ignore' });
  } catch {
    return "iproute2's `ip` is not installed (apt-get install iproute2; scripts/test.sh does)";
  }
  return undefined;
}

const ip = (...args: string[]): void => {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
};

interface Host {
  readonly ns: string;
  readonly address: string;
}

/**
 * A bridge in namespace `<prefix>-hub` and one namespace per host, each with `eth0` (a veth
 * whose peer is on the bridge) at 10.231.<subnet>.<i + 1>/24 and loopback up.
 */
function makeHosts(prefix: string, subnet: number, names: readonly string[]): { hosts: Host[]; namespaces: string[] } {
  const hub = `${prefix}-hub`;
  const namespaces = [hub];
  const hosts: Host[] = [];
  ip('netns', 'add', hub);
  ip('-n', hub, 'link', 'set', 'lo', 'up');
  ip('-n', hub, 'link', 'add', 'br0', 'type', 'bridge');
  ip('-n', hub, 'link', 'set', 'br0', 'up');
  names.forEach((name, i) => {
    const ns = `${prefix}-${name}`;
    ip('netns', 'add', ns);
    namespaces.push(ns);
    const address = `10.231.${subnet}.${i + 1}`;
    ip('-n', hub, 'link', 'add', `p-${name}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
    ip('-n', hub, 'link', 'set', `p-${name}`, 'master', 'br0');
    ip('-n', hub, 'link', 'set', `p-${name}`, 'up');
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    ip('-n', ns, 'addr', 'add', `${address}/24`, 'dev', 'eth0');
    ip('-n', ns, 'link', 'set', 'eth0', 'up');
    hosts.push({ ns, address });
  });
  return { hosts, namespaces };
}

/** A process started with `ip netns exec NS node ...` (ip execs node: the pid is node's). */
class NsProcess {
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];
  readonly child: ChildProcess;
  private readonly closed: Promise<void>;

  constructor(ns: string, nodeArgs: readonly string[], env: NodeJS.ProcessEnv) {
    this.child = spawn('ip', ['netns', 'exec', ns, process.execPath, ...nodeArgs], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    const lines = (into: string[]) => {
      let partial = '';
      return (d: Buffer): void => {
        const parts = (partial + d.toString()).split('\n');
        partial = parts.pop()!;
        into.push(...parts);
      };
    };
    this.child.stdout!.on('data', lines(this.stdout));
    this.child.stderr!.on('data', lines(this.stderr));
    this.child.stdin!.on('error', () => undefined);
    this.closed = new Promise((r) => this.child.once('close', () => r()));
  }

  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** The first line of `stream` that matches, waiting up to `ms` (fails early if the process exits). */
  async line(stream: 'stdout' | 'stderr', re: RegExp, ms: number, what: string): Promise<string> {
    const deadline = Date.now() + ms;
    for (;;) {
      const l = this[stream].find((x) => re.test(x));
      if (l !== undefined) return l;
      if (this.exited) throw new Error(`${what}: the process exited (${this.child.exitCode ?? this.child.signalCode}) first:\n${this.stderr.slice(-20).join('\n')}\n${this.stdout.slice(-20).join('\n')}`);
      if (Date.now() > deadline) throw new Error(`${what}: nothing within ${ms} ms:\n${this.stderr.slice(-20).join('\n')}\n${this.stdout.slice(-20).join('\n')}`);
      await sleep(20);
    }
  }

  async stop(): Promise<void> {
    if (!this.exited) {
      const t = setTimeout(() => this.child.kill('SIGKILL'), 3000);
      this.child.kill('SIGTERM');
      await this.closed;
      clearTimeout(t);
    }
    await this.closed;
  }
}

interface BatchLine {
  readonly time: number;
  readonly numRecords: number;
}

/** Records per batch, each batch once (by time). */
function batches(job: NsProcess): Map<number, number> {
  const byTime = new Map<number, number>();
  for (const b of jsonLines<BatchLine>(job.stdout, 'BATCH ')) byTime.set(b.time, b.numRecords);
  return byTime;
}

const sum = (m: Map<number, number>): number => [...m.values()].reduce((a, b) => a + b, 0);

const reason = missingPrivilege();

test(
  'driver and two workers in separate network namespaces over TLS with --advertise-host: a stateful stream survives a 10 s link cut of the receiver’s worker and counts every line once',
  { timeout: 300_000, skip: reason === undefined || underCi ? false : `${reason}; under CI (CI=true) this test fails instead` },
  async () => {
    assert.equal(reason, undefined, `CI=${process.env.CI}: the multi-host test must run under CI, but ${reason}`);
    const started = Date.now();
    const prefix = `sl${process.pid}${crypto.randomBytes(2).toString('hex')}`;
    const subnet = 1 + (process.pid % 250);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-netns-'));
    const procs: NsProcess[] = [];
    let namespaces: string[] = [];
    try {
      const made = makeHosts(prefix, subnet, ['drv', 'w1', 'w2']);
      namespaces = made.namespaces;
      const [drv, w1, w2] = made.hosts;

      const cert = path.join(dir, 'cert.pem');
      const key = path.join(dir, 'key.pem');
      const san = made.hosts.map((h) => `IP:${h.address}`).join(',');
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=sluice-netns', '-addext', `subjectAltName=${san}`], { stdio: 'ignore' });
      const tls = ['--tls-cert', cert, '--tls-key', key, '--tls-ca', cert];
      const env = { SLUICE_SECRET: crypto.randomBytes(16).toString('hex'), SLUICE_SECRET_FILE: '' };
      const driverAddr = `${drv.address}:${GRPC_PORT}`;

      const driver = new NsProcess(drv.ns, [CLI_BIN, 'driver', '--bind', drv.address, '--port', String(GRPC_PORT), '--web-port', '0', '--worker-timeout-ms', String(WORKER_TIMEOUT_MS), '--log-level', 'info', ...tls], env);
      procs.push(driver);
      await driver.line('stderr', /driver listening/, 30_000, 'the driver to listen');
      const source = new NsProcess(drv.ns, [SOURCE_JS, drv.address, String(SOURCE_PORT)], {});
      procs.push(source);
      await source.line('stdout', /^LISTENING$/, 30_000, 'the line source to listen');
      const workers = new Map<string, { host: Host; proc: NsProcess }>();
      for (const host of [w1, w2]) {
        // Listening on every address of its namespace: only --advertise-host tells others where it is.
        const proc = new NsProcess(host.ns, [CLI_BIN, 'worker', '--driver', driverAddr, '--bind', '0.0.0.0', '--advertise-host', host.address, '--port', String(GRPC_PORT + 1), '--cores', '2', '--log-level', 'info', ...tls], env);
        procs.push(proc);
        await proc.line('stderr', /worker registered/, 30_000, `the worker in ${host.ns} to register`);
        const joined = JSON.parse(await driver.line('stderr', new RegExp(`"address":"${host.address.replace(/\./g, '\\.')}:\\d+".*"msg":"worker joined"`), 10_000, `the driver to see the worker at ${host.address}`)) as { workerId: string };
        workers.set(joined.workerId, { host, proc });
      }

      const stopFile = path.join(dir, 'stop');
      const job = new NsProcess(
        drv.ns,
        [CLI_BIN, 'submit', '--driver', driverAddr, '--tls-ca', cert, fixture('stream-stateful-socket.ts'), drv.address, String(SOURCE_PORT), String(BATCH_MS), path.join(dir, 'checkpoints'), String(CHECKPOINT_MS), stopFile],
        env,
      );
      procs.push(job);
      const receiverAt = jsonLine<{ workerId: string }>([await job.line('stdout', /^RECEIVER started /, 60_000, 'the receiver to start')], 'RECEIVER started ').workerId;
      const cut = workers.get(receiverAt);
      assert.ok(cut, `the receiver runs on a worker of this test (${receiverAt})`);
      await source.line('stdout', /^CONN 0$/, 10_000, 'the receiver to connect to the source');
      source.child.stdin!.write('start 10 100\n');

      // Records counted before the cut, over a few batches.
      const deadline = Date.now() + 60_000;
      while ([...batches(job).values()].filter((n) => n > 0).length < 3) {
        assert.ok(Date.now() < deadline, `3 batches with records within 60 s:\n${job.stdout.slice(-10).join('\n')}`);
        await sleep(50);
      }
      const before = batches(job).size;
      ip('-n', cut.host.ns, 'link', 'set', 'eth0', 'down');
      const cutAt = Date.now();
      await sleep(CUT_MS);
      ip('-n', cut.host.ns, 'link', 'set', 'eth0', 'up');
      const restoredAt = Date.now();
      const duringCut = batches(job).size - before;

      // The stream goes on: batches with records complete after the link is back.
      const afterBatches = (): number => [...batches(job).entries()].filter(([t, n]) => t > restoredAt && n > 0).length;
      const resumeBy = Date.now() + 90_000;
      while (afterBatches() < 3) {
        assert.ok(Date.now() < resumeBy, `3 batches with records within 90 s of the link coming back:\n${job.stdout.slice(-10).join('\n')}\n${driver.stderr.slice(-10).join('\n')}`);
        await sleep(50);
      }
      const resumedMs = Date.now() - restoredAt;
      source.child.stdin!.write('stop\n');
      const sent = Number((await source.line('stdout', /^STOPPED /, 10_000, 'the source to stop')).slice('STOPPED '.length));
      // Every line sent reached a batch (none lost in a buffer when the job stops) before stopping.
      // Waited for while batches count more, not a fixed time: at load 43 (CI beside five
      // engineers' work) 30 s ended with 4,290 of 4,360 counted and batches still completing.
      let counted = { n: -1, at: Date.now() };
      for (;;) {
        const n = sum(batches(job));
        if (n >= sent) break;
        if (n !== counted.n) counted = { n, at: Date.now() };
        assert.ok(Date.now() - counted.at < 30_000, `batches counted ${n} of the ${sent} lines sent, and no more for 30 s`);
        await sleep(50);
      }
      fs.writeFileSync(stopFile, '');
      const finalLine = await job.line('stdout', /^FINAL /, 30_000, 'the job to stop and print its state');
      await new Promise<void>((r) => (job.exited ? r() : job.child.once('exit', () => r())));
      assert.equal(job.child.exitCode, 0, job.stderr.join('\n'));

      assert.ok(sent > 0);
      assert.equal(source.stdout.filter((l) => l.startsWith('CONN ')).length, 1, 'the receiver kept its one connection to the source');
      assert.equal(sum(batches(job)), sent, 'the batches took in exactly the lines sent');
      const state = new Map(jsonLine<[string, number][]>([finalLine], 'FINAL '));
      const want = new Map<string, number>();
      for (let k = 0; k < sent; k++) for (const w of lineText(k).split(' ')) want.set(w, (want.get(w) ?? 0) + 1);
      const notOnce = [...state].filter(([w, n]) => w.startsWith('n') && n !== 1);
      assert.deepEqual(notOnce, [], 'each line counted once');
      assert.deepEqual([...state].sort(), [...want].sort(), 'the state counts every line sent exactly once, and every word in them');
      assert.ok(!driver.stderr.some((l) => l.includes('"worker lost"')), `no worker was declared lost (the cut is shorter than --worker-timeout-ms):\n${driver.stderr.filter((l) => l.includes('worker lost')).join('\n')}`);
      const warnings = [...new Set(driver.stderr.filter((l) => /"level":(40|50)/.test(l)).map((l) => (JSON.parse(l) as { msg: string }).msg))];
      console.log(
        `# ${sent} lines over ${batches(job).size} batches; cut ${cut.host.address} (receiver) at +${cutAt - started} ms for ${CUT_MS} ms; ${duringCut} batches completed during the cut; 3 batches with records ${resumedMs} ms after the link came back; driver warnings: ${JSON.stringify(warnings)}; wall ${Date.now() - started} ms`,
      );
    } finally {
      for (const p of procs.reverse()) await p.stop();
      for (const ns of namespaces) {
        try {
          ip('netns', 'del', ns);
        } catch {
          // already gone
        }
      }
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const left = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    assert.ok(!left.includes(prefix), `the test's namespaces are gone:\n${left}`);
  },
);
