// Bundles the `sluice` command (packages/cli/dist/src/main.js, built by tsc) with the
// driver, the worker, core and their npm dependencies into one CommonJS file,
// packages/cli/dist/sluice.cjs, and writes packages/cli/dist/sluice-bundle.json: the
// Sluice files it was made from (package, path, size, mtime), which the entry
// (dist/src/cli-entry.js) checks before it uses the bundle, running the modules instead
// when one changed. A process then starts without resolving and reading some 400 modules.
//
// What runs in worker threads (task and job threads) is not bundled: they load their
// entries from the packages as before. esbuild, typescript and pino-pretty stay outside
// (loaded when used). `import.meta.url` of each Sluice module becomes the URL of the file
// it came from, found at run time from where the packages are installed, so files next to
// a module (thread entries, the .proto, web assets, package.json) resolve as before.
//
// The bundle comes with its source map, dist/sluice.cjs.map (sources: the packages' .ts files).
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
const esbuild = createRequire(path.join(cli, 'package.json'))('esbuild');
const PACKAGES = ['core', 'driver', 'worker', 'cli'];
const OUT = path.join(cli, 'dist/sluice.cjs');
const MANIFEST = path.join(cli, 'dist/sluice-bundle.json');
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
// the others are resolved from it, as its imports are), and a module's file URL from that.
const banner = `var __sluicePackageDirs = new Map();
function __sluiceModuleUrl(pkg, rel) {
  let dir = __sluicePackageDirs.get(pkg);
  if (dir === undefined) {
    dir = pkg === 'cli' ? require('node:path').resolve(__dirname, '..') : require('node:path').resolve(require('node:path').dirname(require.resolve('@sluice/' + pkg)), '..', '..');
    __sluicePackageDirs.set(pkg, dir);
  }
  return require('node:url').pathToFileURL(require('node:path').join(dir, rel)).href;
}`;

const sluiceModules = {
  name: 'sluice-modules',
  setup(build) {
    build.onLoad({ filter: /\.js$/ }, async (args) => {
      const own = ownFile(args.path);
      if (!own) return undefined;
      const [pkg, rel] = own;
      let source = await fs.promises.readFile(args.path, 'utf8');
      // core loads grpc-js and protobufjs through createRequire (so threads that never call
      // load neither): in the bundle a plain require, which esbuild bundles and runs on first use.
      if (rel === 'dist/src/rpc/grpc-lib.js') {
        const line = 'const require = createRequire(import.meta.url);';
        if (!source.includes(line)) throw new Error(`bundle-cli: ${args.path} no longer has '${line}': two copies of grpc-js would be loaded; update this script`);
        source = source.replace(line, '');
      }
      const ident = '__sluiceUrl_' + rel.replace(/\W/g, '_');
      source = `const ${ident} = __sluiceModuleUrl(${JSON.stringify(pkg)}, ${JSON.stringify(rel)});\n${source}`;
      // tsc's map of the module goes in inline (its sources made absolute; one line more at
      // the top, the one above), so the transform's map, and the bundle's, reach through it
      // to the .ts files.
      const mapFile = `${args.path}.map`;
      if (fs.existsSync(mapFile)) {
        const tsMap = JSON.parse(await fs.promises.readFile(mapFile, 'utf8'));
        tsMap.sources = tsMap.sources.map((s) => path.resolve(path.dirname(args.path), tsMap.sourceRoot ?? '', s));
        delete tsMap.sourceRoot;
        tsMap.mappings = `;${tsMap.mappings}`;
        source = source.replace(/\n\/\/# sourceMappingURL=.*\s*$/, '\n') + `//# sourceMappingURL=data:application/json;base64,${Buffer.from(JSON.stringify(tsMap)).toString('base64')}\n`;
      }
      const { code } = await esbuild.transform(source, { loader: 'js', format: 'esm', define: { 'import.meta.url': ident }, sourcemap: 'inline', sourcefile: args.path });
      return { contents: code, loader: 'js', resolveDir: path.dirname(args.path) };
    });
  },
};

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
  plugins: [sluiceModules],
  banner: { js: banner },
});

const inputs = [];
for (const input of Object.keys(result.metafile.inputs)) {
  const own = ownFile(path.resolve(input));
  if (!own) continue;
  const st = fs.statSync(path.resolve(input));
  inputs.push({ pkg: own[0], path: own[1], size: st.size, mtimeMs: st.mtimeMs });
}
if (!inputs.some((i) => i.pkg === 'cli' && i.path === 'dist/src/main.js')) throw new Error('bundle-cli: main.js is not among the inputs');
fs.renameSync(`${OUT}.${process.pid}.tmp.map`, `${OUT}.map`);
fs.appendFileSync(`${OUT}.${process.pid}.tmp`, `//# sourceMappingURL=${path.basename(OUT)}.map\n`);
fs.renameSync(`${OUT}.${process.pid}.tmp`, OUT);
// The code cache of an earlier bundle does not fit this one.
fs.rmSync(`${OUT}.cache`, { force: true });
const lock = path.resolve(cli, '../../node_modules/.modules.yaml');
const manifest = { bundle: 'sluice.cjs', inputs, dependencies: fs.existsSync(lock) ? { file: 'node_modules/.modules.yaml', mtimeMs: fs.statSync(lock).mtimeMs } : undefined };
fs.writeFileSync(`${MANIFEST}.${process.pid}.tmp`, JSON.stringify(manifest));
fs.renameSync(`${MANIFEST}.${process.pid}.tmp`, MANIFEST);
console.log(`bundle-cli: ${OUT} (${Math.round(fs.statSync(OUT).size / 1024)} KiB, ${inputs.length} Sluice modules, ${Object.keys(result.metafile.inputs).length} in all)`);
