// What the network-fault test files share: a worker process whose every link goes through
// TCP proxies (tcp-proxy.ts), added to a worker-fault-support cluster (driver in this process,
// a 3 s worker timeout, heartbeats every 500 ms). The worker binds 127.0.0.1:P and advertises
// 127.0.0.2:P, where a proxy listens and forwards to it: the driver's task streams and the
// other workers' shuffle and block fetches reach it only through that proxy; it reaches the
// driver (registration, heartbeats, receiver reports) through a second proxy at 127.0.0.2.
// Breaking both isolates it from the cluster while its process goes on running.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { exited } from './cluster-workers.js';
import { CLI_BIN, pollUntil, sleep, type ClusterHandle } from './harness.js';
import { TcpProxy } from './tcp-proxy.js';
import { WORKER_TIMEOUT_MS } from './worker-fault-support.js';

/** A break of a proxied worker's links: when, and the driver's last heartbeat from the worker then. */
export interface Break {
  readonly at: number;
  readonly lastHeartbeat: number;
}

export interface ProxiedWorker {
  readonly id: string;
  readonly child: ChildProcess;
  /** The worker's own log (stderr), for a failure's message. */
  readonly log: string[];
  /**
   * Breaks every link of the worker until heal(): `cut`, each reset and new ones refused by a
   * reset; `hold`, each open and silent (a half-dead network); `holdToWorker`, only what
   * the driver and the other workers send it over their connections to it is held (a
   * one-way half-dead link): what it sends back flows, and its own links to the driver
   * (registration, heartbeats) work; `holdFromDriver`, that and the driver's answers on
   * the worker's own connection to it (its heartbeats arrive, unanswered).
   */
  break(fault: 'cut' | 'hold' | 'holdToWorker' | 'holdFromDriver'): Break;
  /**
   * Resets every connection made to the worker (the driver's task streams, the other workers'
   * fetches) once, new ones let through at once: a blip on the link to it. Its own links to
   * the driver (registration, heartbeats) are untouched.
   */
  resetToWorker(): Break;
  /** Delays every chunk on connections made to the worker, either way, by `ms` (a slow link) until heal(); its own links to the driver are untouched. */
  slowToWorker(ms: number): Break;
  heal(): void;
  /** Stops the worker (SIGTERM, then -9 after 5 s) and the proxies. */
  stop(): Promise<void>;
}

/**
 * Times a proxied worker is started again when its port was taken: the port is the one its
 * proxy got from the OS on 127.0.0.2, and another process (a test file in another lane) may
 * hold it on 127.0.0.1, where the worker binds (EADDRINUSE, seen in CI).
 */
const PORT_TAKEN_TRIES = 5;

/** Starts a one-core worker behind proxies (see above), noted in `procs`; resolves once the driver registered it. */
export async function addProxiedWorker(h: ClusterHandle, procs: Map<string, ChildProcess>): Promise<ProxiedWorker> {
  const driverAt = h.cluster.driver.address;
  const i = driverAt.lastIndexOf(':');
  const toDriver = await TcpProxy.start('127.0.0.2', 0, { host: driverAt.slice(0, i), port: Number(driverAt.slice(i + 1)) });
  for (let attempt = 1; ; attempt++) {
    const w = await startProxiedWorker(h, procs, toDriver);
    if (w !== 'port taken') return w;
    if (attempt === PORT_TAKEN_TRIES) {
      await toDriver.close();
      assert.fail(`the proxied worker's port was taken on 127.0.0.1 in each of ${PORT_TAKEN_TRIES} tries`);
    }
  }
}

/** One try of addProxiedWorker: the worker registered, or 'port taken' (it exited with EADDRINUSE; its proxy closed). */
async function startProxiedWorker(h: ClusterHandle, procs: Map<string, ChildProcess>, toDriver: TcpProxy): Promise<ProxiedWorker | 'port taken'> {
  // The worker listens on 127.0.0.1 at the port its proxy has on 127.0.0.2.
  const toWorker = await TcpProxy.start('127.0.0.2', 0, { host: '127.0.0.1', port: 0 });
  const port = toWorker.port;
  const known = new Set(h.cluster.driver.registry.all().map((w) => w.id));
  const args = ['worker', '--driver', toDriver.address, '--bind', '127.0.0.1', '--port', String(port), '--advertise-host', '127.0.0.2', '--cores', '1', '--log-level', 'info', '--peer-connect-timeout', '120s', '--exit-with-parent'];
  const child = spawn(process.execPath, [CLI_BIN, ...args], { env: { ...process.env, SLUICE_SECRET: h.cluster.secret, SLUICE_SECRET_FILE: '' }, stdio: ['pipe', 'ignore', 'pipe'] });
  const log: string[] = [];
  let rest = '';
  child.stderr!.on('data', (d: Buffer) => {
    const parts = (rest + d.toString()).split('\n');
    rest = parts.pop()!;
    log.push(...parts);
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited(child);
      clearTimeout(t);
    }
    await Promise.all([toDriver.close(), toWorker.close()]);
  };
  let id: string | undefined;
  for (const deadline = Date.now() + 30_000; id === undefined; await sleep(50)) {
    id = h.cluster.driver.registry.all().find((w) => !known.has(w.id) && w.address === toWorker.address)?.id;
    // Its last words read whole (stderr ends after the exit) before they are looked at.
    if (id === undefined && child.exitCode !== null) await new Promise<void>((r) => (child.stderr!.readableEnded ? r() : child.stderr!.once('close', () => r())));
    if (id === undefined && child.exitCode !== null && (rest + log.join('\n')).includes('EADDRINUSE')) {
      await toWorker.close();
      return 'port taken';
    }
    if (id === undefined && (Date.now() > deadline || child.exitCode !== null)) {
      await stop();
      assert.fail(`the proxied worker did not register:\n${log.slice(-20).join('\n')}`);
    }
  }
  procs.set(id, child);
  return {
    id,
    child,
    log,
    break: (fault) => {
      const lastHeartbeat = h.cluster.driver.registry.get(id!)?.lastHeartbeat ?? 0;
      if (fault === 'holdToWorker' || fault === 'holdFromDriver') toWorker.holdOneWay('toTarget');
      if (fault === 'holdFromDriver') toDriver.holdOneWay('fromTarget');
      if (fault === 'cut' || fault === 'hold') for (const p of [toDriver, toWorker]) p[fault]();
      return { at: Date.now(), lastHeartbeat };
    },
    resetToWorker: () => {
      const lastHeartbeat = h.cluster.driver.registry.get(id!)?.lastHeartbeat ?? 0;
      toWorker.cut();
      toWorker.heal();
      return { at: Date.now(), lastHeartbeat };
    },
    slowToWorker: (ms) => {
      const lastHeartbeat = h.cluster.driver.registry.get(id!)?.lastHeartbeat ?? 0;
      toWorker.delay(ms);
      return { at: Date.now(), lastHeartbeat };
    },
    heal: () => {
      toDriver.heal();
      toWorker.heal();
    },
    stop,
  };
}

/**
 * Resolves with when the driver declared worker `id` lost after `b` (`lost`: membership's),
 * checked to be by its heartbeat timeout: not before WORKER_TIMEOUT_MS after the last
 * heartbeat it had when the link broke (the worker's process runs; only the network is
 * down), and within 10x the timeout.
 */
export async function lostByTimeout(lost: readonly { id: string; at: number }[], id: string, b: Break): Promise<number> {
  const lostAt = await pollUntil(() => lost.find((l) => l.id === id && l.at >= b.at)?.at, 10 * WORKER_TIMEOUT_MS, 'the driver to declare the cut-off worker lost');
  assert.ok(lostAt >= b.lastHeartbeat + WORKER_TIMEOUT_MS, `declared lost ${lostAt - b.lastHeartbeat} ms after its last heartbeat (the timeout is ${WORKER_TIMEOUT_MS} ms): its process runs, only the network is down`);
  return lostAt;
}
