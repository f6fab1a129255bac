// A driver and its workers must be of one Sluice build (as Spark's executors run the driver's
// Spark version). Found by user47 scaling a cluster by hand: a worker of another build was taken
// as any other (RegisterWorker said nothing of the build), its tasks then read with other
// meanings. Now, on real processes:
//  - `sluice driver` refuses a registration of another build (another protocol, another
//    version) or of an older one (which says none), naming both builds, and does not list it;
//    an older worker registering again at every heartbeat is logged once a minute;
//    a worker of its own build registers as before;
//  - `sluice worker` started against a driver answering as an older build (a gRPC Driver
//    service of the test's own) exits 1 with SLUICE_VERSION_MISMATCH naming both builds;
//  - a running worker whose driver comes back as another build (an upgraded driver: it no
//    longer knows the worker, which registers again) stops with exit code 1, saying why.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { loadProto } from '@sluice/core/internal';
import { REPO_DIR, pollUntil, runCli, within } from './harness.js';
import { callStatus, metadataWith, randomSecret, rawClient, startDriverProcess, startWorkerProcess, type SluiceProcess } from './sluice-processes.js';

const secret = randomSecret();
const env = { SLUICE_SECRET: secret, SLUICE_SECRET_FILE: '' };
/** The version this checkout's packages carry (the driver's and worker's must be it). */
const VERSION = (JSON.parse(fs.readFileSync(path.join(REPO_DIR, 'packages/core/package.json'), 'utf8')) as { version: string }).version;
const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** RegisterWorker's request and answer fields the tests set (proto/sluice/v1/sluice.proto). */
interface Registration {
  worker_id?: string;
  sluice_version?: string;
  protocol?: string;
}
interface RegisterAnswer {
  heartbeat_interval_ms?: number;
  driver_instance?: string;
  sluice_version?: string;
  protocol?: string;
}
let driver: SluiceProcess & { readonly address: string };

before(async () => {
  driver = await startDriverProcess(secret);
});
after(async () => {
  await driver?.stop();
});

async function register(request: Registration): Promise<{ code: grpc.status; details: string }> {
  const client = rawClient('Driver', driver.address);
  try {
    return await callStatus(client, 'Driver', 'RegisterWorker', { host: '127.0.0.1', port: 1, cores: 1, ...request }, metadataWith({ kind: 'value', value: secret }));
  } finally {
    client.close();
  }
}

async function listedWorkers(): Promise<string> {
  const r = await runCli(['workers', '--driver', driver.address], { env, timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

test('sluice driver refuses a worker of an older build, another protocol or another version, naming both builds; its own build registers', async () => {
  // A real worker of this checkout: registered, and the driver's build read from what it refuses.
  const worker = await startWorkerProcess(driver.address, secret);
  try {
    const older = await register({ worker_id: 'w-older' });
    assert.equal(older.code, grpc.status.FAILED_PRECONDITION, older.details);
    const m = new RegExp(
      `^refused worker w-older at 127\\.0\\.0\\.1:1: the worker runs a Sluice build older than 2026-12-06 \\(it does not say its version\\), the driver Sluice ${esc(VERSION)} \\(protocol ([0-9a-f]{12})\\): a driver and its workers must be of one build`,
    ).exec(older.details);
    assert.ok(m, older.details);
    const protocol = m[1]!;
    const otherProtocol = protocol.replace(/^./, (c) => (c === '0' ? '1' : '0'));

    const otherWire = await register({ worker_id: 'w-other-protocol', sluice_version: VERSION, protocol: otherProtocol });
    assert.equal(otherWire.code, grpc.status.FAILED_PRECONDITION, otherWire.details);
    assert.match(otherWire.details, new RegExp(`the worker runs Sluice ${esc(VERSION)} \\(protocol ${otherProtocol}\\), the driver Sluice ${esc(VERSION)} \\(protocol ${protocol}\\)`));

    const otherVersion = await register({ worker_id: 'w-other-version', sluice_version: '0.0.1', protocol });
    assert.equal(otherVersion.code, grpc.status.FAILED_PRECONDITION, otherVersion.details);
    assert.match(otherVersion.details, new RegExp(`the worker runs Sluice 0\\.0\\.1 \\(protocol ${protocol}\\), the driver Sluice ${esc(VERSION)}`));

    // The same build as the driver's is taken (what a real worker sends).
    const same = await register({ worker_id: 'w-same', sluice_version: VERSION, protocol });
    assert.equal(same.code, grpc.status.OK, same.details);

    const listed = await listedWorkers();
    assert.ok(listed.includes(worker.address) && listed.includes('w-same'), listed);
    for (const id of ['w-older', 'w-other-protocol', 'w-other-version']) assert.ok(!listed.includes(id), `${id} is not listed:\n${listed}`);
    assert.ok(
      driver.logLines.some((l) => l.includes('worker refused: another Sluice build') && l.includes('"workerId":"w-other-protocol"')),
      'the driver logs the refusal',
    );
    // A worker of a build before the check is not stopped by the refusal: it registers again at
    // every heartbeat. Each refusal is answered, the log says it once a minute.
    for (let i = 0; i < 5; i++) assert.equal((await register({ worker_id: 'w-older' })).code, grpc.status.FAILED_PRECONDITION);
    // The refusals' log lines are read once a later line shows the log has caught up with them.
    assert.equal((await register({ worker_id: 'w-marker' })).code, grpc.status.FAILED_PRECONDITION);
    await pollUntil(() => (driver.logLines.some((l) => l.includes('"workerId":"w-marker"')) ? true : undefined), 30_000, "the driver's log line of w-marker");
    const olderLines = driver.logLines.filter((l) => l.includes('worker refused: another Sluice build') && l.includes('"workerId":"w-older"'));
    assert.equal(olderLines.length, 1, olderLines.join('\n'));
  } finally {
    await worker.stop();
  }
});

/** A Driver service of the test's own: RegisterWorker answers `answers[i]` at the i-th call (the last one after), Heartbeat `known` as `known()` says. */
async function fakeDriver(answers: readonly (() => RegisterAnswer)[], known: () => boolean): Promise<{ address: string; registrations: () => number; close: () => void }> {
  let calls = 0;
  const server = new grpc.Server();
  server.addService(loadProto().sluice.v1.Driver.service, {
    RegisterWorker(_call: unknown, cb: (err: null, res: RegisterAnswer) => void) {
      const answer = answers[Math.min(calls, answers.length - 1)]!;
      calls++;
      cb(null, { heartbeat_interval_ms: 200, driver_instance: `fake-${calls}`, ...answer() });
    },
    Heartbeat(_call: unknown, cb: (err: null, res: { known: boolean; decommission: boolean; lost_peers: string[] }) => void) {
      cb(null, { known: known(), decommission: false, lost_peers: [] });
    },
  });
  const port = await new Promise<number>((res, rej) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))));
  return { address: `127.0.0.1:${port}`, registrations: () => calls, close: () => server.forceShutdown() };
}

/** The build this checkout's driver says it is (from its refusal of a worker that says none). */
async function driverProtocol(): Promise<string> {
  const r = await register({ worker_id: 'w-ask' });
  const m = /the driver Sluice \S+ \(protocol ([0-9a-f]{12})\)/.exec(r.details);
  assert.ok(m, r.details);
  return m[1]!;
}

test('sluice worker exits 1 against a driver of an older build, naming both builds', async () => {
  const fake = await fakeDriver([() => ({})], () => true);
  try {
    const r = await runCli(['worker', '--driver', fake.address, '--cores', '1'], { env, timeoutMs: 60_000 });
    assert.equal(r.code, 1, r.stderr);
    const protocol = await driverProtocol();
    assert.match(
      r.stderr,
      new RegExp(
        `\\[SLUICE_VERSION_MISMATCH\\]: the driver at ${esc(fake.address)} is of another build: the worker runs Sluice ${esc(VERSION)} \\(protocol ${protocol}\\), the driver a Sluice build older than 2026-12-06`,
      ),
    );
  } finally {
    fake.close();
  }
});

test('a running worker whose driver comes back as another build (it registers again) stops with exit code 1', async () => {
  const protocol = await driverProtocol();
  let upgraded = false;
  const fake = await fakeDriver([() => ({ sluice_version: VERSION, protocol }), () => ({ sluice_version: '9.9.9', protocol })], () => !upgraded);
  const worker = await startWorkerProcess(fake.address, secret, ['--log-level', 'info']);
  try {
    const exited = new Promise<number | null>((r) => worker.child.once('exit', (code) => r(code)));
    // The driver restarted from another build: it does not know the worker, which registers again.
    upgraded = true;
    await pollUntil(() => (fake.registrations() >= 2 ? true : undefined), 30_000, 'the worker registers again');
    assert.equal(await within(exited, 60_000, 'the worker to exit'), 1);
    const line = worker.logLines.find((l) => l.includes('the driver is of another Sluice build; stopping'));
    assert.ok(line, worker.logLines.join('\n'));
    assert.match(line, new RegExp(`the worker runs Sluice ${esc(VERSION)} \\(protocol ${protocol}\\), the driver Sluice 9\\.9\\.9`));
  } finally {
    await worker.stop();
    fake.close();
  }
});
