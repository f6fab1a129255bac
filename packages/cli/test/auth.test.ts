// Every RPC of the Driver and Worker services refuses a call with no secret, an empty
// secret or a wrong secret (issue 15, item 1), checked with a plain grpc-js client
// against real `sluice driver` and `sluice worker` processes. The right secret gets
// through, so the refusals are about the secret and nothing else.
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { after, before, test } from 'node:test';
import { within } from './harness.js';
import {
  callStatus,
  metadataWith,
  randomSecret,
  rawClient,
  rpcNames,
  startDriverProcess,
  startWorkerProcess,
  type Secret,
  type ServiceName,
  type SluiceProcess,
} from './sluice-processes.js';

const secret = randomSecret();
let driver: SluiceProcess & { address: string };
let worker: SluiceProcess & { address: string };
before(async () => {
  driver = await startDriverProcess(secret);
  worker = await startWorkerProcess(driver.address, secret);
});
after(async () => {
  await worker?.stop();
  await driver?.stop();
});

const BAD_SECRETS: readonly [string, Secret, RegExp][] = [
  ['no secret', { kind: 'none' }, /the call carried no cluster secret/],
  ['an empty secret', { kind: 'value', value: '' }, /wrong cluster secret/],
  ['a wrong secret', { kind: 'value', value: randomSecret() }, /wrong cluster secret/],
  // The right secret with one character changed: not a prefix or length check.
  ['the secret with its last character changed', { kind: 'value', value: secret.slice(0, -1) + (secret.endsWith('0') ? '1' : '0') }, /wrong cluster secret/],
];

/** The RPCs the issue names, so a renamed or dropped RPC fails here rather than going unchecked. */
const EXPECTED: Record<ServiceName, string[]> = {
  Driver: ['RegisterWorker', 'Heartbeat', 'SubmitJob', 'GetBundle', 'GetFile', 'GetBroadcast', 'ListWorkers', 'ListJobs', 'StopJob', 'WatchJob', 'ReceiverReports', 'DecommissionWorker'],
  Worker: ['RunTasks', 'KillTask', 'ShuffleStream', 'GetBlock', 'PutBlock', 'ReleaseJob', 'RemoveRdd', 'RemoveBroadcast', 'RemoveBlocks', 'StartReceiver', 'StopReceiver', 'MigrateBlocks'],
};

for (const service of ['Driver', 'Worker'] as const) {
  test(`every ${service} RPC refuses a call with no, an empty or a wrong secret`, async () => {
    assert.deepEqual(rpcNames(service).sort(), [...EXPECTED[service]].sort(), 'the RPCs of the .proto');
    const address = service === 'Driver' ? driver.address : worker.address;
    const client = rawClient(service, address);
    try {
      // All at once: refusals to one peer are slowed down, so one by one would take long.
      const results = await within(
        Promise.all(
          rpcNames(service).flatMap((rpc) =>
            BAD_SECRETS.map(async ([what, s, reason]) => ({ rpc, what, reason, status: await callStatus(client, service, rpc, {}, metadataWith(s)) })),
          ),
        ),
        60_000,
        'the refusals',
      );
      assert.equal(results.length, EXPECTED[service].length * BAD_SECRETS.length);
      for (const r of results) {
        assert.equal(r.status.code, grpc.status.UNAUTHENTICATED, `${service}.${r.rpc} with ${r.what}: ${grpc.status[r.status.code]} ${r.status.details}`);
        assert.match(r.status.details, r.reason, `${service}.${r.rpc} with ${r.what}`);
      }
    } finally {
      client.close();
    }
  });
}

test('the right secret gets through to both services', async () => {
  const d = rawClient('Driver', driver.address);
  const w = rawClient('Worker', worker.address);
  try {
    const listed = await new Promise<{ workers: { address: string }[] }>((resolve, reject) =>
      (d as unknown as { ListWorkers: (r: object, md: grpc.Metadata, cb: (e: grpc.ServiceError | null, v: { workers: { address: string }[] }) => void) => void }).ListWorkers(
        {},
        metadataWith({ kind: 'value', value: secret }),
        (e, v) => (e ? reject(e) : resolve(v)),
      ),
    );
    assert.deepEqual(
      listed.workers.map((x) => x.address),
      [worker.address],
    );
    const killed = await callStatus(w, 'Worker', 'KillTask', { task_id: 'no-such-task' }, metadataWith({ kind: 'value', value: secret }));
    assert.equal(killed.code, grpc.status.OK, killed.details);
    // A request the handler rejects on its merits, not on the secret.
    const register = await callStatus(d, 'Driver', 'RegisterWorker', {}, metadataWith({ kind: 'value', value: secret }));
    assert.equal(register.code, grpc.status.INVALID_ARGUMENT, register.details);
  } finally {
    d.close();
    w.close();
  }
});
