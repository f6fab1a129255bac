// A job's bundle defers @platformatic/kafka's option validators (bundle-job.ts,
// DEFERRED_VALIDATOR_FILES): the library compiles 38 Ajv validators as its client options
// modules load, ~250 ms of every job thread's import of a Kafka job's bundle, and its clients
// call them only with `strict: true`. No cluster: the fixture is bundled as `sluice` bundles a
// job, and its clients are built from the bundle and from the library itself.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import * as library from '@platformatic/kafka';
import { bundleJob } from '@sluice/cli';
import { fixture } from './job-runner.js';

type Clients = Pick<typeof library, 'Consumer' | 'Producer'>;

/** The library's client options modules, as installed. */
function optionsModules(): string[] {
  const clients = path.join(path.dirname(createRequire(import.meta.url).resolve('@platformatic/kafka')), 'clients');
  return fs.readdirSync(clients).map((d) => path.join(clients, d, 'options.js')).filter((f) => fs.existsSync(f));
}

/** Each client built with `strict: true` and one option wrong (or none): the error it throws, or 'built'. */
async function strictOutcomes(c: Clients): Promise<string[]> {
  const base = { clientId: 'deferred', bootstrapBrokers: ['127.0.0.1:9'], strict: true };
  const builds: (() => { close(): Promise<void> })[] = [
    () => new c.Producer({ ...base, acks: 7 }),
    () => new c.Producer({ ...base, acks: 7 }), // the same validator a second time
    () => new c.Producer({ ...base, compression: 'zip' as never }), // the same validator, another error
    () => new c.Producer({ ...base, acks: -1 }),
    () => new c.Consumer({ ...base, groupId: 5 as never }),
    () => new c.Consumer({ ...base, groupId: 'g' }),
    () => new c.Producer({ ...base, clientId: 5 as never }),
  ];
  const out: string[] = [];
  for (const build of builds) {
    try {
      const client = build();
      out.push('built');
      await client.close();
    } catch (err) {
      const e = err as { code?: string; message: string };
      out.push(`${e.code}: ${e.message}`);
    }
  }
  return out;
}

test("a job's bundle compiles none of @platformatic/kafka's option validators as it loads, and they validate as the library's", async () => {
  const eager = optionsModules().reduce((n, f) => n + (fs.readFileSync(f, 'utf8').match(/^export const \w+ = ajv\.compile\(/gm) ?? []).length, 0);
  assert.ok(eager >= 30, `the library compiles ${eager} validators at load (this test is written for 1.35.0's 38)`);

  const bundle = await bundleJob(fixture('client-options-job.ts'));
  const code = bundle.code.toString('utf8');
  assert.deepEqual(code.match(/^var \w+ = ajv\d*\.compile\(/gm) ?? [], [], 'no validator compiled at the top level of the bundle');
  assert.equal((code.match(/^var \w+ = __sluiceDeferredCompile\d*\(ajv\d*, /gm) ?? []).length, eager, 'each validator deferred');

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-deferred-'));
  try {
    const file = path.join(dir, 'bundle.mjs');
    fs.writeFileSync(file, bundle.code);
    const bundled = (await import(pathToFileURL(file).href)) as Clients;
    assert.notEqual(bundled.Producer, library.Producer);
    const want = await strictOutcomes(library);
    assert.equal(want.filter((o) => o === 'built').length, 2, `two of the library's clients are built: ${want.join(' | ')}`);
    assert.match(want[0]!, /^PLT_KFK_USER: \/options\/acks /);
    assert.deepEqual(await strictOutcomes(bundled), want);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
