// The packages as a user gets them: every package packed with `pnpm pack` (which rewrites
// `workspace:` ranges, as `pnpm publish` does), installed with plain npm into folders outside
// the repository (no workspace), `npx sluice init` scaffolding a job project there, each
// package's types found under Node10 (`tsc --init`'s) and Bundler resolution, `tsc --noEmit`
// accepting it and a typed job of the test's own with our .d.ts checked too (skipLibCheck
// false, exactOptionalPropertyTypes), its pair types exact, `npx sluice run` running both on
// 2 workers with the output computed here from the job's input, and `--typecheck` reporting
// a type error with file:line before anything runs.
//
// npm fetches the packages' own dependencies (grpc-js, esbuild, ...) with --prefer-offline, so
// after a first run they come from npm's cache.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { REPO_DIR, lineOf, mulberry32 } from './harness.js';
import { packPackage, runCommand, show, type Ran } from './packed-packages.js';

const ENV = { SLUICE_LOG_LEVEL: 'warn', npm_config_update_notifier: 'false' };
/** Run a command as a user types it, in `cwd`, failing the test if it outlives `timeoutMs`. */
const run = (cmd: string, args: readonly string[], cwd: string, timeoutMs: number): Promise<Ran> => runCommand(cmd, args, cwd, timeoutMs, ENV);

const PACKAGES = fs.readdirSync(path.join(REPO_DIR, 'packages')).filter((p) => fs.existsSync(path.join(REPO_DIR, 'packages', p, 'package.json'))).sort();

let tmp = '';
let tarballs: string[] = [];
// Each install's bound: at load 37 (a CI run beside four engineers' work) the job folder's
// install passed 150 s, its cache warm.
const NPM_INSTALL_MS = 200_000;
const NPM_INSTALL = ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'];

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-packed-'));
  assert.ok(!path.resolve(tmp).startsWith(REPO_DIR + path.sep), 'the install is outside the repository');
  const dest = path.join(tmp, 'tarballs');
  fs.mkdirSync(dest);
  // Three packs at a time: each is mostly a pnpm start-up (corepack, then pnpm's own code).
  const left = [...PACKAGES];
  await Promise.all(
    Array.from({ length: 3 }, async () => {
      for (let p = left.shift(); p !== undefined; p = left.shift()) await packPackage(p, dest, ENV);
    }),
  );
  tarballs = fs.readdirSync(dest).map((f) => path.join(dest, f)).sort();
});

after(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/** The text of `file` inside a tarball (npm puts everything under package/). */
async function fromTarball(tgz: string, file: string): Promise<string> {
  const r = await run('tar', ['xzOf', tgz, `package/${file}`], tmp, 30_000);
  assert.equal(r.code, 0, `${file} in ${path.basename(tgz)}: ${show(r)}`);
  return r.stdout;
}

test('every package packs with a license, its LICENSE, its types and no workspace: ranges; core carries its .proto', { timeout: 240_000 }, async () => {
  assert.deepEqual(tarballs.length, PACKAGES.length, `one tarball per package: ${tarballs.join(', ')}`);
  for (const tgz of tarballs) {
    const list = (await run('tar', ['tzf', tgz], tmp, 30_000)).stdout.split('\n').filter(Boolean);
    const manifest = JSON.parse(await fromTarball(tgz, 'package.json')) as {
      name: string;
      license?: string;
      description?: string;
      exports?: Record<string, { types?: string; default?: string }>;
      bin?: Record<string, string>;
      dependencies?: Record<string, string>;
    };
    const what = `${manifest.name} (${path.basename(tgz)})`;
    assert.equal(manifest.license, 'Apache-2.0', what);
    assert.ok(manifest.description, `${what} has a description`);
    assert.match(await fromTarball(tgz, 'LICENSE'), /Apache License\s+Version 2\.0, January 2004/, what);
    assert.doesNotMatch(JSON.stringify(manifest), /workspace:/, `${what} has no workspace: range`);
    for (const [entry, target] of Object.entries(manifest.exports ?? {})) {
      assert.ok(target.types && list.includes(`package/${target.types.replace(/^\.\//, '')}`), `${what}: exports['${entry}'] has types that are in the package`);
      assert.ok(target.default && list.includes(`package/${target.default.replace(/^\.\//, '')}`), `${what}: exports['${entry}'] has code that is in the package`);
    }
    for (const bin of Object.values(manifest.bin ?? {})) assert.ok(list.includes(`package/${bin.replace(/^\.\//, '')}`), `${what}: bin ${bin} is in the package`);
    assert.ok(!list.some((f) => f.startsWith('package/dist/test/')), `${what} leaves its tests out`);
    if (manifest.name === '@sluice/core') {
      assert.equal(await fromTarball(tgz, 'proto/sluice/v1/sluice.proto'), fs.readFileSync(path.join(REPO_DIR, 'proto', 'sluice', 'v1', 'sluice.proto'), 'utf8'));
    }
  }
});

/**
 * The tarballs of `name` and of the @sluice packages it depends on, directly or not (read from
 * the packed manifests): what npm needs to install that package while none is on a registry.
 */
async function withSluiceDependencies(name: string): Promise<string[]> {
  const byName = new Map<string, string>();
  const deps = new Map<string, string[]>();
  for (const tgz of tarballs) {
    const m = JSON.parse(await fromTarball(tgz, 'package.json')) as { name: string; dependencies?: Record<string, string> };
    byName.set(m.name, tgz);
    deps.set(m.name, Object.keys(m.dependencies ?? {}).filter((d) => d.startsWith('@sluice/')));
  }
  const wanted = new Set<string>();
  const add = (n: string): void => {
    if (wanted.has(n)) return;
    assert.ok(byName.has(n), `${n} (a dependency of ${name}) has a tarball`);
    wanted.add(n);
    for (const d of deps.get(n) ?? []) add(d);
  };
  add(name);
  return [...wanted].map((n) => byName.get(n)!).sort();
}

// 480 s: 105 s quiet; over 240 s at load 47 (npm install and two sluice runs of a fresh project);
// 289 s at load 43 before every package's .d.ts was type-checked too (2026-12-06), hence 660 s.
test('npm installs the tarballs outside the repo; sluice init scaffolds a project; tsc accepts it and a typed job; sluice run runs both on 2 workers; --typecheck reports a type error with file:line', { timeout: 660_000 }, async () => {
  // The CLI, installed in a folder of its own, makes the job project next to it. That folder
  // gets the CLI and the @sluice packages it depends on, as `npm install @sluice/cli` would;
  // every tarball, the connectors' too, is installed in the job's project below (the
  // connectors' dependencies, AWS's SDK among them, were once installed in both: ~5 s of CPU).
  const tools = path.join(tmp, 'tools');
  fs.mkdirSync(tools);
  fs.writeFileSync(path.join(tools, 'package.json'), JSON.stringify({ name: 'tools', private: true }));
  const cliTarballs = await withSluiceDependencies('@sluice/cli');
  assert.ok(cliTarballs.length < tarballs.length && cliTarballs.some((t) => path.basename(t).startsWith('sluice-core-')), `the CLI's tarballs: ${cliTarballs.join(', ')}`);
  let r = await run('npm', [...NPM_INSTALL, ...cliTarballs], tools, NPM_INSTALL_MS);
  assert.equal(r.code, 0, `npm install in ${tools}: ${show(r)}`);
  // 120 s (was 30 s): the installed command's first start compiles its bundle (~1.3 s of CPU;
  // 37 s of wall at load 46 here, and one run's init ran over the 30 s then).
  r = await run('npx', ['--no-install', 'sluice', 'init', '../my-job'], tools, 120_000);
  assert.equal(r.code, 0, show(r));
  const job = path.join(tmp, 'my-job');
  assert.deepEqual(fs.readdirSync(job).sort(), ['.gitignore', 'job.ts', 'package.json', 'tsconfig.json']);
  const scaffold = JSON.parse(fs.readFileSync(path.join(job, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
  assert.ok(scaffold.dependencies['@sluice/core'] && scaffold.devDependencies['@sluice/cli'] && scaffold.devDependencies.typescript, JSON.stringify(scaffold));

  // The project's own install: its dependencies from the tarballs (not yet on a registry), TypeScript from npm.
  r = await run('npm', [...NPM_INSTALL, ...tarballs], job, NPM_INSTALL_MS);
  assert.equal(r.code, 0, `npm install in ${job}: ${show(r)}`);
  assert.ok(!fs.realpathSync(path.join(job, 'node_modules', '@sluice', 'core')).startsWith(REPO_DIR), 'core is installed, not linked to the repo');

  // Every published package's types under the module resolution of `npx tsc --init` (module
  // commonjs, so Node10, which reads no exports map: the top-level "types"), and of bundlers, by
  // the project's own TypeScript. Before 2026-12-06 Node10 found none: "Cannot find module '@sluice/core'".
  const ts = createRequire(path.join(job, 'package.json'))('typescript') as typeof import('typescript');
  const published: string[] = [];
  for (const tgz of tarballs) {
    const { name, private: unpublished } = JSON.parse(await fromTarball(tgz, 'package.json')) as { name: string; private?: boolean };
    if (unpublished) continue;
    published.push(name);
    const types = fs.realpathSync(path.join(job, 'node_modules', name, 'dist', 'src', 'index.d.ts'));
    for (const kind of ['Node10', 'Bundler'] as const) {
      const options = { moduleResolution: ts.ModuleResolutionKind[kind], module: kind === 'Node10' ? ts.ModuleKind.CommonJS : ts.ModuleKind.ESNext };
      const found = ts.resolveModuleName(name, path.join(job, 'counts.ts'), options, ts.sys).resolvedModule?.resolvedFileName;
      assert.equal(found && fs.realpathSync(found), types, `${name}'s types under moduleResolution ${kind}`);
    }
  }

  // A file importing every published package, so that the tsc below checks each one's .d.ts
  // (before 2026-12-06: @sluice/postgres's named pg, whose types are not a dependency, and
  // driver's, worker's and cli's reached core's generated proto types, extensionless imports
  // that NodeNext takes as ES modules' without the package.json marking them CommonJS).
  assert.ok(published.length >= 11, published.join(', '));
  fs.writeFileSync(path.join(job, 'packages.ts'), `${published.map((n, i) => `import type * as p${i} from '${n}';\n`).join('')}export type All = [${published.map((_, i) => `typeof p${i}`).join(', ')}];\n`);

  // A typed streaming job of the test's own: seeded words in 3 batches, counts per batch and running totals.
  const rand = mulberry32(20261201);
  const WORDS = ['ant', 'bee', 'cat', 'dog', 'eel', 'fox'];
  const batches = Array.from({ length: 3 }, () => Array.from({ length: 4 + Math.floor(rand() * 4) }, () => Array.from({ length: 1 + Math.floor(rand() * 5) }, () => WORDS[Math.floor(rand() * WORDS.length)]).join(' ')));
  const countsTs = path.join(job, 'counts.ts');
  fs.writeFileSync(
    countsTs,
    `import { StreamingContext, type DStream, type SluiceContext } from '@sluice/core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const BATCHES: string[][] = ${JSON.stringify(batches)};

// What an editor shows after map, reduceByKeyAndWindow, join and collect, checked exactly (any is none of them).
type Same<A, B> = (<X>() => X extends A ? 1 : 2) extends (<X>() => X extends B ? 1 : 2) ? true : false;
export function pairTypes(pairs: DStream<[string, number]>): void {
  const joined = pairs.reduceByKeyAndWindow((a, b) => a + b, '900ms', '300ms').join(pairs.mapValues((n) => String(n)));
  joined.foreachRDD(async (rdd) => {
    const got = await rdd.collect();
    const exact: [Same<typeof joined, DStream<[string, [number, string]]>>, Same<typeof got, [string, [number, string]][]>] = [true, true];
    console.log(exact);
  });
}

export default async function counts(sc: SluiceContext): Promise<void> {
  console.log('called from ' + JSON.stringify((new Error().stack ?? '').split('\\n').slice(2)));
  const pids = await sc.parallelize(Array.from({ length: 16 }, (_, i) => i), 16).mapPartitions(() => [process.pid]).distinct().count();
  console.log('workers ' + JSON.stringify(pids));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-counts-'));
  const ssc = new StreamingContext(sc, '300ms');
  ssc.checkpoint(dir);
  let completed = 0;
  const done = new Promise<void>((resolve) => ssc.addStreamingListener({ onBatchCompleted: () => void (++completed === BATCHES.length && resolve()) }));
  const pairs: DStream<[string, number]> = ssc
    .queueStream(BATCHES.map((lines) => sc.parallelize(lines, 3)))
    .flatMap((line: string) => line.split(' '))
    .map((w): [string, number] => [w, 1]);
  let batch = 0;
  pairs.reduceByKey((a, b) => a + b).foreachRDD(async (rdd) => {
    const got: [string, number][] = await rdd.collect();
    console.log('batch ' + JSON.stringify([batch++, Object.fromEntries(got.sort())]));
  });
  const totals = pairs.updateStateByKey<number>((ones, total) => (total ?? 0) + ones.length);
  totals.foreachRDD(async (rdd) => {
    const got: [string, number][] = await rdd.collect();
    console.log('totals ' + JSON.stringify(Object.fromEntries(got.sort())));
  });
  ssc.start();
  try {
    await done;
  } finally {
    await ssc.stop({ graceful: true });
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
`,
  );

  // Stricter than the scaffold's tsconfig: every package's .d.ts checked too (skipLibCheck
  // false), as a user with exactOptionalPropertyTypes has them; the project has no @types/pg.
  // 240 s: every package's declarations with @types/node's are ~10 s of CPU (80 s of wall at load 40).
  r = await run('npx', ['--no-install', 'tsc', '--noEmit', '--skipLibCheck', 'false', '--exactOptionalPropertyTypes'], job, 240_000);
  assert.equal(r.code, 0, `tsc --noEmit --skipLibCheck false --exactOptionalPropertyTypes over the scaffold, packages.ts and counts.ts: ${show(r)}`);

  r = await run('npx', ['--no-install', 'sluice', 'run', 'job.ts'], job, 120_000);
  assert.equal(r.code, 0, `the scaffolded job: ${show(r)}`);
  // Its input, counted by hand: to=4; be, is, the=2.
  assert.match(r.stdout, /^totals at \d+: to=4 be=2 is=2$/m, r.stdout);

  r = await run('npx', ['--no-install', 'sluice', 'run', '--workers', '2', '--typecheck', 'counts.ts'], job, 120_000);
  assert.equal(r.code, 0, `counts.ts: ${show(r)}`);
  const lines = r.stdout.split('\n');
  const value = (prefix: string): unknown[] => lines.filter((l) => l.startsWith(prefix)).map((l) => JSON.parse(l.slice(prefix.length)) as unknown);
  assert.deepEqual(value('workers '), [2], 'tasks ran in 2 worker processes');
  // The installed command ran from its bundle: only the bundle leaves V8's code cache beside it (when its processes exit).
  assert.ok(fs.existsSync(path.join(job, 'node_modules', '@sluice', 'cli', 'dist', 'sluice.cjs.run.cache')), 'the installed sluice ran its bundle (dist/sluice.cjs.run.cache was written)');
  assert.ok(fs.existsSync(path.join(job, 'node_modules', '@sluice', 'cli', 'dist', 'sluice-entry.cjs')), "the installed package has cli-entry's CommonJS build, which sluice run's workers start from");
  // ... and its driver-program thread the thread bundle made with it.
  assert.match(r.stdout, /^called from .*\/node_modules\/@sluice\/cli\/dist\/threads\/job-thread\.mjs:/m, r.stdout);
  const count = (lines: readonly string[]): Record<string, number> => {
    const m: Record<string, number> = {};
    for (const w of lines.flatMap((l) => l.split(' '))) m[w] = (m[w] ?? 0) + 1;
    return Object.fromEntries(Object.entries(m).sort());
  };
  // A graceful stop may finish one more (empty) batch after the input: it counts nothing and changes no total.
  const perBatch = value('batch ');
  const totals = value('totals ');
  assert.ok(perBatch.length >= batches.length && perBatch.length === totals.length, r.stdout);
  const expected = batches.map((b, i) => count(batches.slice(0, i + 1).flat()));
  assert.deepEqual(perBatch, perBatch.map((_, i) => [i, i < batches.length ? count(batches[i]) : {}]));
  assert.deepEqual(totals, totals.map((_, i) => expected[Math.min(i, batches.length - 1)]));

  // A type error in that job: reported with file:line by --typecheck, and nothing runs.
  const broken = path.join(job, 'broken.ts');
  fs.writeFileSync(broken, fs.readFileSync(countsTs, 'utf8').replace("console.log('workers '", "const n: number = 'x';\n  console.log('workers ' + n"));
  const line = lineOf(broken, "const n: number = 'x';");
  r = await run('npx', ['--no-install', 'sluice', 'run', '--typecheck', 'broken.ts'], job, 120_000);
  assert.equal(r.code, 1, show(r));
  assert.ok(r.stderr.includes(`${broken}:${line}:9 - error TS2322: Type 'string' is not assignable to type 'number'.`), r.stderr);
  assert.match(r.stderr, /\[SLUICE_JOB_COMPILE\]: job file 'broken\.ts' has 1 type error \(--typecheck; nothing was run\)/);
  assert.equal(r.stdout, '', 'the job never ran');

  // No TypeScript in the job's project: the error says how to install it.
  const bare = path.join(tmp, 'bare');
  fs.mkdirSync(bare);
  fs.writeFileSync(path.join(bare, 'job.ts'), 'export default async function (): Promise<void> {}\n');
  r = await run(process.execPath, [path.join(tools, 'node_modules', '@sluice', 'cli', 'bin', 'sluice.js'), 'run', '--typecheck', path.join(bare, 'job.ts')], tools, 60_000);
  assert.equal(r.code, 1, show(r));
  assert.match(r.stderr, new RegExp(`--typecheck needs the TypeScript compiler in the job's project, and none is found from ${bare.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: run \`npm install --save-dev typescript\` there`));
});
