// Each message type's constructor and functions (encode, decode, fromObject, toObject) are
// generated at build time (scripts/gen-proto-codecs.mjs into src/rpc/proto-codecs.ts) and put on
// the types loadProto builds, instead of protobufjs generating them in every process. The
// oracle for the file is protobufjs's own code generation run now on proto/ (the installed
// version); that the functions encode and decode as @grpc/proto-loader does is the
// proto-descriptor test's. Here: the file is current, and a process that loads the services
// and sends and reads a message of every type generates no code.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type * as grpc from '@grpc/grpc-js';
import { protobufLib } from '../../src/rpc/grpc-lib.js';
import { loadProto } from '../../src/rpc/proto.js';

const REPO = fileURLToPath(new URL('../../../../../', import.meta.url));
const CODECS_TS = fileURLToPath(new URL('../../../src/rpc/proto-codecs.ts', import.meta.url));

test('src/rpc/proto-codecs.ts is what protobufjs generates now from proto/ (run scripts/copy-proto.sh after editing the .proto or upgrading protobufjs)', () => {
  const now = execFileSync(process.execPath, [`${REPO}scripts/gen-proto-codecs.mjs`, '--print'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  assert.ok(now.includes('"'), 'the generator printed the file');
  assert.ok(fs.readFileSync(CODECS_TS, 'utf8') === now, 'the committed file differs from what scripts/gen-proto-codecs.mjs makes now');
});

test('loading the services and sending and reading a message of every request and response type generates no code', () => {
  // Every function protobufjs generates goes through util.codegen (the constructors too).
  const util = protobufLib().util as unknown as { codegen: (...args: unknown[]) => unknown };
  const real = util.codegen;
  const generated: unknown[] = [];
  util.codegen = function (this: unknown, ...args: unknown[]) {
    generated.push(args[1]);
    return real.apply(this, args);
  };
  try {
    const services = loadProto().sluice.v1;
    let messages = 0;
    for (const name of ['Driver', 'Worker'] as const) {
      const def = (services[name] as unknown as grpc.ServiceClientConstructor).service;
      for (const m of Object.values(def)) {
        assert.deepEqual(m.requestDeserialize(m.requestSerialize({})), m.requestDeserialize(Buffer.alloc(0)), `${m.path}: request`);
        assert.deepEqual(m.responseDeserialize(m.responseSerialize({})), m.responseDeserialize(Buffer.alloc(0)), `${m.path}: response`);
        messages += 2;
      }
    }
    assert.ok(messages >= 40, `${messages} messages`);
    assert.deepEqual(generated, [], 'functions protobufjs generated in this process');
  } finally {
    util.codegen = real;
  }
});
