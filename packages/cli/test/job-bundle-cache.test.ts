// The job bundle cache's bound (job-bundle-cache.ts): it keeps the entries used last and
// removes the rest when it stores a new one, so a machine running many job paths (tests'
// temporary directories) does not fill its disk. Real bundles (esbuild) of small job files;
// which entries must survive is worked out here from the order the test used them in.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Logger } from 'pino';
import { JOB_BUNDLE_CACHE_ENTRIES, cachedBundleJob, jobBundleCacheDir, pruneJobBundleCache } from '../src/job-bundle-cache.js';

let tmp = '';
let env: NodeJS.ProcessEnv = {};
let cacheDir = '';

before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-bundle-cache-'));
  env = { SLUICE_CACHE_DIR: path.join(tmp, 'cache') };
  cacheDir = jobBundleCacheDir(env) ?? assert.fail('the cache is on by default');
});

after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A job file of its own (a distinct path: a distinct entry) that returns `n`. */
function job(n: number): string {
  const file = path.join(tmp, `job-${n}.ts`);
  fs.writeFileSync(file, `export default async function (): Promise<number> {\n  return ${n};\n}\n`);
  return file;
}

const entriesIn = (dir: string): string[] => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort() : []);

test('the cache keeps the entries used last: a hit keeps its entry, the least recently used are removed whole', { timeout: 60_000 }, async () => {
  const dir = path.join(tmp, 'lru');
  const files = [0, 1, 2, 3, 4].map((n) => job(100 + n));
  const lruEnv = { SLUICE_CACHE_DIR: dir };
  const keys: string[] = [];
  for (const f of files) {
    const before = new Set(entriesIn(path.join(dir, 'job-bundles')));
    assert.equal((await cachedBundleJob(f, undefined, lruEnv)).cached, false);
    const added = entriesIn(path.join(dir, 'job-bundles')).filter((e) => !before.has(e));
    assert.equal(added.length, 1, `one entry per job path (${f})`);
    keys.push(added[0]!.slice(0, -'.json'.length));
  }
  const bundles = path.join(dir, 'job-bundles');
  // Used at distinct times, oldest first: job 0 at t0, job 1 at t0+10 s, ...
  const t0 = Date.now() / 1000 - 3600;
  keys.forEach((k, i) => fs.utimesSync(path.join(bundles, `${k}.json`), t0 + 10 * i, t0 + 10 * i));
  // Job 0, the oldest, is used again: a hit, and now the newest.
  assert.equal((await cachedBundleJob(files[0]!, undefined, lruEnv)).cached, true);
  // Keep 3: the newest are job 0 (just used), job 4 and job 3; jobs 1 and 2 go.
  const removed = pruneJobBundleCache(bundles, 3);
  assert.deepEqual(removed.sort(), [keys[1], keys[2]].sort());
  for (const k of [keys[1]!, keys[2]!]) for (const suffix of ['.json', '.mjs', '.mjs.map']) assert.equal(fs.existsSync(path.join(bundles, `${k}${suffix}`)), false, `${k}${suffix} removed`);
  for (const k of [keys[0]!, keys[3]!, keys[4]!]) for (const suffix of ['.json', '.mjs', '.mjs.map']) assert.equal(fs.existsSync(path.join(bundles, `${k}${suffix}`)), true, `${k}${suffix} kept`);
  // What was kept is still served; what was removed is bundled again.
  for (const [i, cached] of [[0, true], [1, false], [2, false], [3, true], [4, true]] as const) {
    const b = await cachedBundleJob(files[i]!, undefined, lruEnv);
    assert.equal(b.cached, cached, `job ${i} ${cached ? 'from the cache' : 'bundled again'}`);
    assert.match(Buffer.from(b.code).toString('utf8'), new RegExp(`return ${100 + i};`));
  }
  // The entry just stored is kept whatever its time (entries written within one clock tick
  // tie): job 3's is now neither the newest nor the oldest.
  assert.deepEqual(pruneJobBundleCache(bundles, 1, keys[3]).sort(), [keys[0], keys[1], keys[2], keys[4]].sort());
  assert.deepEqual(entriesIn(bundles), [`${keys[3]}.json`]);
});

test('what a killed run left (temporary files, a bundle without its description) goes once it is an hour old', { timeout: 30_000 }, async () => {
  const bundles = path.join(tmp, 'leftovers');
  fs.mkdirSync(bundles, { recursive: true });
  const old = Date.now() / 1000 - 2 * 3600;
  const leftovers = ['aaaa.mjs.123.tmp', 'bbbb.mjs', 'bbbb.mjs.map', 'cccc.json.9.tmp'];
  const fresh = ['dddd.mjs.77.tmp', 'eeee.mjs'];
  for (const f of leftovers) {
    fs.writeFileSync(path.join(bundles, f), 'x');
    fs.utimesSync(path.join(bundles, f), old, old);
  }
  for (const f of fresh) fs.writeFileSync(path.join(bundles, f), 'x');
  // A whole entry, old but within the bound: kept.
  for (const f of ['ffff.json', 'ffff.mjs', 'ffff.mjs.map']) {
    fs.writeFileSync(path.join(bundles, f), 'x');
    fs.utimesSync(path.join(bundles, f), old, old);
  }
  assert.deepEqual(pruneJobBundleCache(bundles, 8), []);
  assert.deepEqual(fs.readdirSync(bundles).sort(), [...fresh, 'ffff.json', 'ffff.mjs', 'ffff.mjs.map'].sort());
});

test(`through cachedBundleJob the cache never holds more than ${JOB_BUNDLE_CACHE_ENTRIES} entries, and the last job stored is among them`, { timeout: 120_000 }, async () => {
  const total = JOB_BUNDLE_CACHE_ENTRIES + 6;
  let last = '';
  for (let n = 0; n < total; n++) {
    last = job(n);
    const b = await cachedBundleJob(last, undefined, env);
    assert.equal(b.cached, false);
    assert.ok(entriesIn(cacheDir).length <= JOB_BUNDLE_CACHE_ENTRIES, `after ${n + 1} jobs the cache holds ${entriesIn(cacheDir).length} entries`);
  }
  assert.equal(entriesIn(cacheDir).length, JOB_BUNDLE_CACHE_ENTRIES);
  assert.equal(fs.readdirSync(cacheDir).length, 3 * JOB_BUNDLE_CACHE_ENTRIES, 'each entry is a description, a bundle and a map; nothing else is left');
  assert.equal((await cachedBundleJob(last, undefined, env)).cached, true);
});

test('an edit of the package.json or tsconfig.json above a job, or a new one, bundles it again with what the edit changes', { timeout: 60_000 }, async () => {
  // The job reads '#value' through package.json's "imports" and '@alias/other' through the
  // tsconfig.json's "paths", both in the directory above the job's: which file each names
  // is in the bundle only if the bundle is made again after the edit.
  const root = path.join(tmp, 'config');
  const src = path.join(root, 'src');
  fs.mkdirSync(src, { recursive: true });
  for (const name of ['a', 'b', 'c', 'd']) fs.writeFileSync(path.join(src, `${name}.ts`), `export const v: string = 'from-${name}';\n`);
  const pkg = (target: string): string => JSON.stringify({ name: 'config-job', private: true, type: 'module', imports: { '#value': target } });
  const tsconfig = (target: string): string => JSON.stringify({ compilerOptions: { baseUrl: '.', paths: { '@alias/other': [target] } } });
  fs.writeFileSync(path.join(root, 'package.json'), pkg('./src/a.ts'));
  fs.writeFileSync(path.join(root, 'tsconfig.json'), tsconfig('./src/c.ts'));
  const file = path.join(src, 'job.ts');
  fs.writeFileSync(file, "import { v as value } from '#value';\nimport { v as other } from '@alias/other';\nexport default async function (): Promise<string> {\n  return `${value}+${other}`;\n}\n");
  const cfgEnv = { SLUICE_CACHE_DIR: path.join(tmp, 'config-cache') };
  /** Bundles (or takes from the cache) the job; which of a..d its code holds. */
  const bundled = async (): Promise<{ cached: boolean; holds: string[] }> => {
    const b = await cachedBundleJob(file, undefined, cfgEnv);
    const code = Buffer.from(b.code).toString('utf8');
    return { cached: b.cached, holds: ['a', 'b', 'c', 'd'].filter((n) => code.includes(`from-${n}`)) };
  };
  assert.deepEqual(await bundled(), { cached: false, holds: ['a', 'c'] });
  assert.deepEqual(await bundled(), { cached: true, holds: ['a', 'c'] });
  // package.json edited: '#value' is b now.
  fs.writeFileSync(path.join(root, 'package.json'), pkg('./src/b.ts'));
  assert.deepEqual(await bundled(), { cached: false, holds: ['b', 'c'] });
  assert.deepEqual(await bundled(), { cached: true, holds: ['b', 'c'] });
  // tsconfig.json edited: '@alias/other' is d now.
  fs.writeFileSync(path.join(root, 'tsconfig.json'), tsconfig('./src/d.ts'));
  assert.deepEqual(await bundled(), { cached: false, holds: ['b', 'd'] });
  assert.deepEqual(await bundled(), { cached: true, holds: ['b', 'd'] });
  // A tsconfig.json that was not there (beside the job, nearer than the one above): '@alias/other' is a.
  fs.writeFileSync(path.join(src, 'tsconfig.json'), JSON.stringify({ compilerOptions: { baseUrl: '.', paths: { '@alias/other': ['./a.ts'] } } }));
  assert.deepEqual(await bundled(), { cached: false, holds: ['a', 'b'] });
  assert.deepEqual(await bundled(), { cached: true, holds: ['a', 'b'] });
  // A package.json that was not there, beside the job: '#value' resolves from it now (to d).
  fs.writeFileSync(path.join(src, 'package.json'), JSON.stringify({ name: 'config-job-src', private: true, imports: { '#value': './d.ts' } }));
  assert.deepEqual(await bundled(), { cached: false, holds: ['a', 'd'] });
  assert.deepEqual(await bundled(), { cached: true, holds: ['a', 'd'] });
});

test("a bundle not cached for a full disk is logged with the write's error, though its temporary file cannot be removed either", { timeout: 60_000 }, async () => {
  const dir = path.join(tmp, 'full');
  const bundles = path.join(dir, 'job-bundles');
  const debug: { fields: { err?: NodeJS.ErrnoException }; message: string }[] = [];
  const log = { debug: (fields: { err?: NodeJS.ErrnoException }, message: string) => debug.push({ fields, message }) } as unknown as Logger;
  const isTmp = (p: unknown): boolean => typeof p === 'string' && p.startsWith(bundles + path.sep) && p.endsWith('.tmp');
  const { writeFileSync, rmSync } = fs;
  fs.writeFileSync = ((p: fs.PathOrFileDescriptor, data: string | NodeJS.ArrayBufferView, options?: fs.WriteFileOptions) => {
    if (isTmp(p)) throw Object.assign(new Error(`ENOSPC: no space left on device, write`), { code: 'ENOSPC', syscall: 'write' });
    writeFileSync(p, data, options);
  }) as typeof writeFileSync;
  fs.rmSync = ((p: fs.PathLike, options?: fs.RmOptions) => {
    // As when the cache directory is replaced under the run (another run's prune, a cleaner).
    if (isTmp(p)) throw Object.assign(new Error(`ENOTDIR: not a directory, lstat '${String(p)}'`), { code: 'ENOTDIR', syscall: 'lstat', path: String(p) });
    rmSync(p, options);
  }) as typeof rmSync;
  let b;
  try {
    b = await cachedBundleJob(job(300), log, { SLUICE_CACHE_DIR: dir });
  } finally {
    fs.writeFileSync = writeFileSync;
    fs.rmSync = rmSync;
  }
  assert.equal(b.cached, false);
  assert.match(Buffer.from(b.code).toString('utf8'), /return 300;/, 'the bundle is served all the same');
  const notCached = debug.filter((d) => d.message === 'job bundle not cached');
  assert.equal(notCached.length, 1, JSON.stringify(debug.map((d) => d.message)));
  assert.equal(notCached[0]!.fields.err?.code, 'ENOSPC', String(notCached[0]!.fields.err));
});
