// Bundles the `sluice` command (packages/cli/dist/src/main.js, built by tsc) with the
// driver, the worker, core and their npm dependencies into one CommonJS file,
// packages/cli/dist/sluice.cjs, and writes packages/cli/dist/sluice-bundle.json: the
// Sluice files it was made from (package, path, size, mtime), which the entry
// (dist/src/cli-entry.js) checks before it uses the bundle, running the modules instead
// when one changed. A process then starts without resolving and reading some 400 modules.
//
// What runs in worker threads is bundled too, into packages/cli/dist/threads/ (ES modules,
// split in one build so that each Sluice module is in exactly one file): `task-thread.mjs`
// (the worker's task threads), `job-thread.mjs` (the driver's driver-program threads), and
// @sluice/core as a package of its own (`package.json` exporting `index.mjs` and
// `internal.mjs`), which a job bundle imported in such a thread reaches through its bundle
// root's node_modules link (see materializeBundle): the job and the thread share one core.
// The command passes them to its driver and workers when it runs the bundle (cli-entry).
//
// esbuild, typescript and pino-pretty stay outside (loaded when used). `import.meta.url` of
// each Sluice module becomes the URL of the file it came from, found at run time from where
// the packages are installed, so files next to a module (the .proto, web assets,
// package.json, the modules' thread entries) resolve as before.
//
// dist/src/cli-entry.js (what chooses the bundle) is built as CommonJS too, into
// packages/cli/dist/sluice-entry.cjs: `sluice run` starts its local worker processes from it
// (cli-entry's localWorkerEntry), so Node starts them without its ES module loader.
//
// The bundles come with source maps, dist/sluice.cjs.map and dist/threads/*.mjs.map
// (sources: the packages' .ts files).
//
// Run by scripts/setup.sh after the build and by the cli package's prepack.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

//   node scripts/bundle-cli.mjs [--cli-dir DIR]   (default packages/cli; tests bundle a copy)
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dirArg = process.argv.indexOf('--cli-dir');
const cli = dirArg > 0 ? path.resolve(process.argv[dirArg + 1]) : path.join(repo, 'packages/cli');
// The builds run from the repository whatever the caller's directory: esbuild writes each
// module's path relative to its working directory into the output (a `// packages/core/...`
// comment above its code), so the thread bundles' chunk names (hashes of their content) would
// depend on it. The cli package's prepack (`pnpm pack`, run in packages/cli by packed-install)
// then made chunks of other names than scripts/setup.sh's, and moved them in while other
// tests' drivers and workers ran: a thread started before, its core loaded from the old
// chunks, imported a job bundle whose `@sluice/core` (dist/threads/index.mjs, read only then)
// loaded the new ones, a second core ('rdd.persist: unknown storage level
// StorageLevel(memory, deserialized, 1 replicas)' in recovery-double-fault at 5e0447de).
process.chdir(repo);
const esbuild = createRequire(path.join(cli, 'package.json'))('esbuild');
const PACKAGES = ['core', 'driver', 'worker', 'cli'];
const OUT = path.join(cli, 'dist/sluice.cjs');
const THREADS = path.join(cli, 'dist/threads');
const MANIFEST = path.join(cli, 'dist/sluice-bundle.json');
const ENTRY = path.join(cli, 'dist/sluice-entry.cjs');
/** The CommonJS wrapper written around the bundle's code (cli-entry's runBundle compiles the file as it is). */
const BUNDLE_WRAPPER_HEAD = '(function (exports, require, module, __filename, __dirname) {';
const BUNDLE_WRAPPER_TAIL = '\n})\n';
const cliFile = new RegExp(`^${cli.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/(dist/src/.*\\.js)$`);
const packageFile = new RegExp(`/packages/(${PACKAGES.join('|')})/(dist/src/.*\\.js)$`);
/** [package, path in it] of a Sluice module (the cli's own files are those under --cli-dir), or undefined. */
function ownFile(file) {
  const c = cliFile.exec(file);
  if (c) return ['cli', c[1]];
  const p = packageFile.exec(file);
  return p && p[1] !== 'cli' ? [p[1], p[2]] : undefined;
}

// The banner: where each Sluice package sits at run time (the cli is this file's package;
// the others are found from it, as its imports are), and a module's file URL from that. A
// package is found as Node finds it, node_modules/@sluice/<pkg> in this directory or above
// (its real path: pnpm links them), and through require.resolve only where that finds none
// (NODE_PATH, global folders): require.resolve (an exports map, package.json reads) cost a
// fresh thread 4-5 ms for its first package and 1.5-2 ms for each other, the lookup ~0.4 and
// ~0.15, and each process and thread of `sluice run` resolves two or three packages as its
// code loads.
const findPackage = (dirExpr, fsExpr, pathExpr, resolveExpr) => `
  for (let d = ${dirExpr}; ; d = ${pathExpr}.dirname(d)) {
    const candidate = ${pathExpr}.join(d, 'node_modules', '@sluice', pkg);
    if (${fsExpr}.existsSync(${pathExpr}.join(candidate, 'package.json'))) return ${fsExpr}.realpathSync(candidate);
    if (${pathExpr}.dirname(d) === d) break;
  }
  return ${pathExpr}.resolve(${pathExpr}.dirname(${resolveExpr}('@sluice/' + pkg)), '..', '..');`;
const banner = `var __sluicePackageDirs = new Map();
function __sluiceFindPackage(pkg) {${findPackage('__dirname', "require('node:fs')", "require('node:path')", 'require.resolve')}
}
function __sluiceModuleUrl(pkg, rel) {
  let dir = __sluicePackageDirs.get(pkg);
  if (dir === undefined) {
    dir = pkg === 'cli' ? require('node:path').resolve(__dirname, '..') : __sluiceFindPackage(pkg);
    __sluicePackageDirs.set(pkg, dir);
  }
  return require('node:url').pathToFileURL(require('node:path').join(dir, rel)).href;
}`;

// The same for the thread bundles (ES modules, in dist/threads): found from there.
const threadsBanner = `import { createRequire as __sluiceCreateRequire } from 'node:module';
import __sluiceFs from 'node:fs';
import __sluicePath from 'node:path';
import { fileURLToPath as __sluiceUrlToPath, pathToFileURL as __sluiceFileUrl } from 'node:url';
var __sluicePackageDirs = new Map();
function __sluiceFindPackage(pkg) {${findPackage('__sluicePath.dirname(__sluiceUrlToPath(import.meta.url))', '__sluiceFs', '__sluicePath', '__sluiceCreateRequire(import.meta.url).resolve')}
}
function __sluiceModuleUrl(pkg, rel) {
  let dir = __sluicePackageDirs.get(pkg);
  if (dir === undefined) {
    dir = __sluiceFindPackage(pkg);
    __sluicePackageDirs.set(pkg, dir);
  }
  return __sluiceFileUrl(__sluicePath.join(dir, rel)).href;
}`;

/** Each Sluice module's transformed source, by path and build kind: the two builds share most modules. */
const transformed = new Map();

/** The plugin that makes each Sluice module know its own file; `cjs`: for the command's CommonJS bundle. */
const sluiceModules = (cjs) => ({
  name: 'sluice-modules',
  setup(build) {
    build.onLoad({ filter: /\.js$/ }, (args) => {
      const own = ownFile(args.path);
      if (!own) return undefined;
      // The threads make no gRPC call (the worker's and the driver's main threads do): core's
      // message functions made at build time (~210 KiB) would only be read and parsed by every
      // thread as it starts. Without them loadProto lets protobufjs generate its own, as before.
      if (!cjs && own[0] === 'core' && own[1] === 'dist/src/rpc/proto-codecs.js') {
        return { contents: "export const PROTO_CODECS = {};\nexport const PROTO_CODECS_PROTOBUFJS = '';\nexport const PROTO_CODECS_SHA256 = '';\n", loader: 'js' };
      }
      const key = `${cjs && own[1] === 'dist/src/rpc/grpc-lib.js' ? 'cjs' : 'any'}:${args.path}`;
      let contents = transformed.get(key);
      if (contents === undefined) {
        contents = transform(args.path, own, cjs);
        transformed.set(key, contents);
      }
      return contents.then((code) => ({ contents: code, loader: 'js', resolveDir: path.dirname(args.path) }));
    });
  },
});

/**
 * The thread entries (task-thread, job-thread) import the thread bundle's two package entries
 * first, `./index.mjs` and `./internal.mjs` (what a job bundle's `@sluice/core` and
 * `@sluice/core/internal` resolve to in that thread): loaded as the thread starts, they are the
 * very modules a job's bundle reaches later, even if dist/threads was replaced since (a new
 * build moved in while the thread ran): one core a thread. Without them a job's bundle was the
 * first to load index.mjs, from whatever build was in place by then, and with it that build's
 * chunks: a second copy of core beside the thread's own.
 */
const THREAD_ENTRIES = new Set(['worker:dist/src/executor/task-thread.js', 'driver:dist/src/job/job-thread.js']);
const THREAD_CORE = 'sluice-thread-core:';
const THREAD_CORE_IMPORTS = `import '${THREAD_CORE}index.mjs'; import '${THREAD_CORE}internal.mjs';`;
/** The plugin that leaves those imports to the thread bundle's own files. */
const threadCoreImports = {
  name: 'thread-core-imports',
  setup(build) {
    build.onResolve({ filter: new RegExp(`^${THREAD_CORE}`) }, (args) => ({ path: `./${args.path.slice(THREAD_CORE.length)}`, external: true }));
  },
};

/** A Sluice module made to know its own URL, with tsc's map inline (see above). */
async function transform(file, [pkg, rel], cjs) {
  let source = await fs.promises.readFile(file, 'utf8');
  // (On the first line, with what follows, so tsc's map's lines hold.)
  const pinCore = !cjs && THREAD_ENTRIES.has(`${pkg}:${rel}`) ? THREAD_CORE_IMPORTS : '';
  // core loads grpc-js and protobufjs through createRequire (so threads that never call
  // load neither): in the bundle a plain require, which esbuild bundles and runs on first use.
  if (cjs && rel === 'dist/src/rpc/grpc-lib.js') {
    const line = 'const require = createRequire(import.meta.url);';
    if (!source.includes(line)) throw new Error(`bundle-cli: ${file} no longer has '${line}': two copies of grpc-js would be loaded; update this script`);
    source = source.replace(line, '');
  }
  // (Only in modules that read it: the others would compute it for nothing as they load.)
  const ident = '__sluiceUrl_' + rel.replace(/\W/g, '_');
  const prefix = source.includes('import.meta') ? `const ${ident} = __sluiceModuleUrl(${JSON.stringify(pkg)}, ${JSON.stringify(rel)});` : '';
  source = `${pinCore}${prefix}\n${source}`;
  // tsc's map of the module goes in inline (its sources made absolute; one line more at
  // the top, the one above), so the transform's map, and the bundle's, reach through it
  // to the .ts files.
  const mapFile = `${file}.map`;
  if (fs.existsSync(mapFile)) {
    const tsMap = JSON.parse(await fs.promises.readFile(mapFile, 'utf8'));
    tsMap.sources = tsMap.sources.map((s) => path.resolve(path.dirname(file), tsMap.sourceRoot ?? '', s));
    delete tsMap.sourceRoot;
    tsMap.mappings = `;${tsMap.mappings}`;
    source = source.replace(/\n\/\/# sourceMappingURL=.*\s*$/, '\n') + `//# sourceMappingURL=data:application/json;base64,${Buffer.from(JSON.stringify(tsMap)).toString('base64')}\n`;
  }
  const { code } = await esbuild.transform(source, { loader: 'js', format: 'esm', define: { 'import.meta.url': ident }, sourcemap: 'inline', sourcefile: file });
  return code;
}

const result = await esbuild.build({
  entryPoints: [path.join(cli, 'dist/src/main.js')],
  outfile: `${OUT}.${process.pid}.tmp`,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  metafile: true,
  // dist/sluice.cjs.map, naming the .ts files (through tsc's maps): cli-entry turns source
  // maps on when it runs the bundle, so a stack trace names src/X.ts:line as the modules' do.
  sourcemap: 'external',
  sourcesContent: false,
  logLevel: 'warning',
  external: ['esbuild', 'typescript', 'pino-pretty'],
  plugins: [sluiceModules(true)],
  banner: { js: banner },
});

/**
 * Makes a bundle ASCII only. esbuild escapes what it writes (strings, templates, regular
 * expressions, identifiers), but comments it keeps may hold other characters (a dash, a
 * multiplication sign); one such character makes the whole 1.9 MB source a two-byte string
 * in V8, twice the memory to decode, copy and compile from in every process. Each is replaced
 * by as many ASCII characters as its UTF-16 length, so the source map's columns still hold.
 * A character outside a comment (a line that does not start one and has no '//' before it)
 * fails the build instead.
 */
function asciiOnly(file) {
  const text = fs.readFileSync(file, 'utf8');
  if (!/[^\x00-\x7f]/.test(text)) return;
  const lines = text.split('\n').map((line, i) => {
    if (!/[^\x00-\x7f]/.test(line)) return line;
    const first = line.search(/[^\x00-\x7f]/);
    if (!/^\s*(\*|\/\*|\/\/)/.test(line) && !line.slice(0, first).includes('//')) {
      throw new Error(`bundle-cli: ${file}:${i + 1} has a non-ASCII character outside a comment; the bundle must be ASCII only (cli-entry reads it as latin1)`);
    }
    return line.replace(/[^\x00-\x7f]/gu, (c) => ({ '\u2014': '-', '\u2013': '-', '\u00d7': 'x', '\u2192': '>' })[c] ?? '?'.repeat(c.length));
  });
  fs.writeFileSync(file, lines.join('\n'));
}
asciiOnly(`${OUT}.${process.pid}.tmp`);

/**
 * Fails the build if the bundle holds a dynamic import() outside a comment. cli-entry compiles
 * the bundle as a vm.Script from V8's code cache, and a script compiled from a cache has lost
 * its dynamic-import callback: the import() throws ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING when it
 * runs (5a903f0's import('node:dns') on the path of a driver address where nothing listens did).
 * esbuild turns the import() of a bundled module into a require; only one of an external module
 * (a Node built-in, esbuild, typescript) stays.
 */
function noDynamicImport(file) {
  const lines = fs.readFileSync(file, 'latin1').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const at = lines[i].search(/(^|[^\w$.])import\s*\(/);
    if (at < 0 || /^\s*(\*|\/\*|\/\/)/.test(lines[i]) || lines[i].slice(0, at).includes('//')) continue;
    throw new Error(`bundle-cli: ${file}:${i + 1} has a dynamic import(): ${lines[i].trim().slice(0, 120)}\nThe bundle runs as a vm.Script from V8's code cache, where import() throws ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING; use a static import, or require() (createRequire) for a module loaded on demand`);
  }
}
noDynamicImport(`${OUT}.${process.pid}.tmp`);

// cli-entry as CommonJS. Its `import.meta.url` becomes dist/src/cli-entry.js's URL (from where
// the file sits at run time), so what it finds from there (dist, the bundle, main.js) is
// found as from cli-entry.js; its one top-level await (the modules' import, when the bundle
// is not used) is not awaited, which CommonJS cannot do: nothing follows it.
const ENTRY_IMPORT = 'await import(new URL(\'./main.js\', import.meta.url).href);';
const entry = await esbuild.build({
  entryPoints: [path.join(cli, 'dist/src/cli-entry.js')],
  outfile: `${ENTRY}.${process.pid}.tmp`,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  metafile: true,
  logLevel: 'warning',
  define: { 'import.meta.url': '__sluiceEntryUrl' },
  banner: { js: "var __sluiceEntryUrl = require('node:url').pathToFileURL(require('node:path').join(__dirname, 'src', 'cli-entry.js')).href;" },
  plugins: [
    {
      name: 'cli-entry-cjs',
      setup(build) {
        build.onLoad({ filter: /[\\/]cli-entry\.js$/ }, async (args) => {
          const source = await fs.promises.readFile(args.path, 'utf8');
          if (source.split(ENTRY_IMPORT).length !== 2) throw new Error(`bundle-cli: ${args.path} no longer has '${ENTRY_IMPORT}' once; update this script`);
          return { contents: source.replace(ENTRY_IMPORT, ENTRY_IMPORT.replace('await ', 'void ')), loader: 'js', resolveDir: path.dirname(args.path) };
        });
      },
    },
  ],
});
const entryImports = Object.values(entry.metafile.outputs).flatMap((o) => o.imports.filter((i) => i.external && !i.path.startsWith('node:')).map((i) => i.path));
if (entryImports.length > 0) throw new Error(`bundle-cli: cli-entry imports ${entryImports.join(', ')} besides Node's own modules; its CommonJS build cannot`);
// bin/sluice.js starts this build only while the files it was made from are not newer: it
// lists them, and a file missing from its list would let an older build run.
const binSources = /const sources = \[([^\]]*)\]/.exec(fs.readFileSync(path.join(cli, 'bin', 'sluice.js'), 'utf8'))?.[1].match(/[\w.-]+\.js/g) ?? [];
const entryInputs = Object.keys(entry.metafile.inputs).map((f) => path.basename(f));
const unlisted = entryInputs.filter((f) => !binSources.includes(f));
if (unlisted.length > 0) throw new Error(`bundle-cli: cli-entry's CommonJS build is made from ${unlisted.join(', ')} too; add them to \`sources\` in bin/sluice.js`);
asciiOnly(`${ENTRY}.${process.pid}.tmp`);

// The thread bundles, into a directory of their own, then moved in place of the last ones.
const requireFromCli = createRequire(path.join(cli, 'package.json'));
const packageSrc = (pkg) => path.dirname(requireFromCli.resolve(`@sluice/${pkg}`));
const threadsTmp = `${THREADS}.${process.pid}.tmp`;
fs.rmSync(threadsTmp, { recursive: true, force: true });
const threads = await esbuild.build({
  entryPoints: {
    index: requireFromCli.resolve('@sluice/core'),
    internal: requireFromCli.resolve('@sluice/core/internal'),
    'task-thread': path.join(packageSrc('worker'), 'executor/task-thread.js'),
    'job-thread': path.join(packageSrc('driver'), 'job/job-thread.js'),
  },
  outdir: threadsTmp,
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunk-[hash]',
  bundle: true,
  splitting: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  metafile: true,
  sourcemap: 'external',
  sourcesContent: false,
  logLevel: 'warning',
  plugins: [threadCoreImports, sluiceModules(false)],
  banner: { js: threadsBanner },
});
const threadImports = new Set(Object.values(threads.metafile.outputs).flatMap((o) => o.imports.filter((i) => i.external && !i.path.startsWith('node:') && i.path !== './index.mjs' && i.path !== './internal.mjs').map((i) => i.path)));

if (threadImports.size > 0) throw new Error(`bundle-cli: the thread bundles import ${[...threadImports].join(', ')}, which dist/threads cannot resolve; bundle them or load them with createRequire`);
for (const out of Object.keys(threads.metafile.outputs)) {
  if (!out.endsWith('.mjs')) continue;
  asciiOnly(path.resolve(out));
  fs.appendFileSync(path.resolve(out), `//# sourceMappingURL=${path.basename(out)}.map\n`);
}
// The directory a job bundle's node_modules/@sluice/core links to in a thread that runs these.
fs.writeFileSync(
  path.join(threadsTmp, 'package.json'),
  `${JSON.stringify({ name: '@sluice/core', private: true, description: '@sluice/core bundled for the sluice command\'s threads (scripts/bundle-cli.mjs)', type: 'module', exports: { '.': './index.mjs', './internal': './internal.mjs' } }, null, 2)}\n`,
);
/** Whether directories `a` and `b` hold the same files (names and bytes; none below them). */
function sameFiles(a, b) {
  if (!fs.existsSync(b)) return false;
  const names = fs.readdirSync(a).sort();
  if (names.join('\n') !== fs.readdirSync(b).sort().join('\n')) return false;
  return names.every((n) => fs.readFileSync(path.join(a, n)).equals(fs.readFileSync(path.join(b, n))));
}
const threadFiles = fs.readdirSync(threadsTmp).sort().map((f) => ({ path: f, size: fs.statSync(path.join(threadsTmp, f)).size }));

const inputs = [];
for (const input of [...new Set([...Object.keys(result.metafile.inputs), ...Object.keys(threads.metafile.inputs), ...Object.keys(entry.metafile.inputs)])]) {
  const own = ownFile(path.resolve(input));
  if (!own) continue;
  const st = fs.statSync(path.resolve(input));
  inputs.push({ pkg: own[0], path: own[1], size: st.size, mtimeMs: st.mtimeMs });
}
if (!inputs.some((i) => i.pkg === 'cli' && i.path === 'dist/src/main.js')) throw new Error('bundle-cli: main.js is not among the inputs');
fs.renameSync(`${OUT}.${process.pid}.tmp.map`, `${OUT}.map`);
// The file holds the very string cli-entry compiles: the CommonJS wrapper around the code (as
// Node's loader puts it), written here once, where cli-entry joined it to the file's text in
// every process, a third copy of 1.9 MB (read, decoded, joined) that V8 then flattened. The
// head goes on line 1 before the code, as the joined string had it, so every position in the
// code (the source map's, the code cache's) is the same; the source map's comment stays last.
fs.writeFileSync(`${OUT}.${process.pid}.tmp`, `${BUNDLE_WRAPPER_HEAD}${fs.readFileSync(`${OUT}.${process.pid}.tmp`, 'latin1')}${BUNDLE_WRAPPER_TAIL}`, 'latin1');
fs.appendFileSync(`${OUT}.${process.pid}.tmp`, `//# sourceMappingURL=${path.basename(OUT)}.map\n`);
fs.renameSync(`${OUT}.${process.pid}.tmp`, OUT);
fs.renameSync(`${ENTRY}.${process.pid}.tmp`, ENTRY);
// Thread bundles the same as those in place (a build of the same sources) stay: running
// threads keep loading from them, and a thread starting finds them there (between the removal
// and the rename below there is no dist/threads).
if (sameFiles(threadsTmp, THREADS)) fs.rmSync(threadsTmp, { recursive: true, force: true });
else {
  fs.rmSync(THREADS, { recursive: true, force: true });
  fs.renameSync(threadsTmp, THREADS);
}
// The code caches of an earlier bundle (cli-entry keeps one a command) do not fit this one.
for (const f of fs.readdirSync(path.dirname(OUT))) if (f.startsWith(`${path.basename(OUT)}.`) && f.endsWith('.cache')) fs.rmSync(path.join(path.dirname(OUT), f), { force: true });
const lock = path.resolve(cli, '../../node_modules/.modules.yaml');
const manifest = { bundle: 'sluice.cjs', ascii: true, wrapped: true, threads: { dir: 'threads', files: threadFiles }, entry: { path: path.basename(ENTRY), size: fs.statSync(ENTRY).size }, inputs, dependencies: fs.existsSync(lock) ? { file: 'node_modules/.modules.yaml', mtimeMs: fs.statSync(lock).mtimeMs } : undefined };
fs.writeFileSync(`${MANIFEST}.${process.pid}.tmp`, JSON.stringify(manifest));
fs.renameSync(`${MANIFEST}.${process.pid}.tmp`, MANIFEST);
console.log(`bundle-cli: ${OUT} (${Math.round(fs.statSync(OUT).size / 1024)} KiB, ${inputs.length} Sluice modules, ${Object.keys(result.metafile.inputs).length} in all); ${THREADS}: ${threadFiles.map((f) => `${f.path} ${Math.round(f.size / 1024)} KiB`).join(', ')}`);
