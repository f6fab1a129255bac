// @sluice/core loads gRPC only when something makes a call: a fresh process that imports
// core (as a job's program thread and task threads do) has neither @grpc/grpc-js nor
// protobufjs loaded; the first loadProto() loads them and gives the services.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const INTERNAL = new URL('../../src/internal.js', import.meta.url).href;

test('importing @sluice/core/internal loads no gRPC module; loadProto() loads them and gives the Driver and Worker services', () => {
  const script = `
    import { createRequire } from 'node:module';
    const cache = createRequire(import.meta.url).cache;
    const loaded = () => Object.keys(cache).filter((k) => /@grpc[\\\\/](grpc-js)|protobufjs[\\\\/]/.test(k)).length;
    const core = await import(${JSON.stringify(INTERNAL)});
    const before = loaded();
    const proto = core.loadProto();
    const md = core.secretMetadata('s'.repeat(32));
    console.log(JSON.stringify({ before, after: loaded(), driver: Object.keys(proto.sluice.v1.Driver.service), worker: typeof proto.sluice.v1.Worker, md: md.get(core.SECRET_METADATA_KEY).length }));
  `;
  const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: fileURLToPath(new URL('.', import.meta.url)), encoding: 'utf8' })) as {
    before: number;
    after: number;
    driver: string[];
    worker: string;
    md: number;
  };
  assert.equal(out.before, 0, 'no @grpc module is loaded by importing core');
  assert.ok(out.after > 0, 'loadProto() loaded gRPC');
  assert.ok(out.driver.includes('RegisterWorker') && out.driver.includes('Heartbeat'), `Driver service methods: ${out.driver.join(', ')}`);
  assert.equal(out.worker, 'function');
  assert.equal(out.md, 1, 'secretMetadata made a grpc Metadata with the secret');
});

test("importing @sluice/core/internal loads no node:dns (unreachableReason loads it when a driver does not answer); unreachableReason does", () => {
  const script = `
    const dnsLoaded = () => process.moduleLoadList.includes('NativeModule dns');
    const core = await import(${JSON.stringify(INTERNAL)});
    const before = dnsLoaded();
    await core.unreachableReason('localhost:1');
    console.log(JSON.stringify({ before, after: dnsLoaded() }));
  `;
  const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: fileURLToPath(new URL('.', import.meta.url)), encoding: 'utf8' })) as { before: boolean; after: boolean };
  assert.deepEqual(out, { before: false, after: true });
});
