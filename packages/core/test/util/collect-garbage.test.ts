import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';

const source = 'function twice(x) { return 2 * x; } twice(21);';
const module = new URL('../../src/util/collect-garbage.js', import.meta.url).href;

/** Runs `code` as an ES module in a fresh node with `args`; its standard output. */
function node(args: readonly string[], code: string): string {
  const r = spawnSync(process.execPath, [...args, '--input-type=module', '-e', code], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

test("collectGarbage collects, and leaves V8's options as they were: a code cache made before it is still taken after it, in the thread and in a thread started later", () => {
  const make = `import vm from 'node:vm'; process.stdout.write(new vm.Script(${JSON.stringify(source)}).createCachedData().toString('base64'));`;
  const cache = node([], make);
  assert.ok(cache.length > 100, 'a plain process made a cache');
  const rejected = (data: string): string => `new vm.Script(${JSON.stringify(source)}, { cachedData: Buffer.from(${JSON.stringify(data)}, 'base64') }).cachedDataRejected`;
  // A collection that frees a Buffer no longer referenced, seen through a FinalizationRegistry.
  const program = (setOption: string) => `import vm from 'node:vm';
import { Worker } from 'node:worker_threads';
import { collectGarbage } from ${JSON.stringify(module)};
let freed = false;
const registry = new FinalizationRegistry(() => { freed = true; });
(() => { registry.register({ payload: Buffer.alloc(1024) }, 'x'); })();
collectGarbage();
${setOption}
await new Promise((r) => setTimeout(r, 20));
const here = ${rejected(cache)};
const w = new Worker(${JSON.stringify(`import vm from 'node:vm'; import { parentPort } from 'node:worker_threads'; parentPort.postMessage(String(${rejected(cache)}));`)}, { eval: true, type: 'module' });
const there = await new Promise((r) => w.once('message', r));
collectGarbage();
process.stdout.write(JSON.stringify({ freed, here, there }));`;
  assert.deepEqual(JSON.parse(node([], program(''))), { freed: true, here: false, there: 'false' });
  // The same check fails when the option is set again after the collection (it can fail).
  assert.deepEqual(JSON.parse(node([], program("(await import('node:v8')).default.setFlagsFromString('--expose-gc');"))), { freed: true, here: true, there: 'true' });
  // A process started with --expose-gc keeps it (its own global gc is used).
  assert.equal(node(['--expose-gc'], `import { collectGarbage } from ${JSON.stringify(module)}; collectGarbage(); process.stdout.write(typeof globalThis.gc);`), 'function');
});
