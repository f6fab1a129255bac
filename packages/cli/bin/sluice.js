#!/usr/bin/env node
// CommonJS (bin/package.json), so Node starts `sluice` without its ES module loader: the
// command goes through cli-entry's CommonJS build, dist/sluice-entry.cjs (scripts/bundle-cli.mjs
// makes it with the bundle, from dist/src/cli-entry.js and the four files it imports), when
// that build is there and none of those five was rebuilt after it (modification times; an
// installed package's files all have one), else through dist/src/cli-entry.js as tsc built it.
// `sluice run` spawns its workers from there as soon as it has read the bundle's manifest, so
// every millisecond before that is on the local cluster's start: the ES module loader (the
// entry and its imports, the ES module facades of Node's fs, path, url, vm) took ~14 ms of it.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const dist = path.join(__dirname, '..', 'dist');
const built = fs.statSync(path.join(dist, 'sluice-entry.cjs'), { throwIfNoEntry: false });
const sources = ['cli-entry.js', 'local-worker-process.js', 'bundle-stack-traces.js', 'cli-code.js', 'heap-floor-option.js'];
const fresh = built !== undefined && sources.every((f) => (fs.statSync(path.join(dist, 'src', f), { throwIfNoEntry: false })?.mtimeMs ?? Infinity) <= built.mtimeMs);
if (fresh) require(path.join(dist, 'sluice-entry.cjs'));
else if (fs.existsSync(path.join(dist, 'src', 'cli-entry.js'))) import(require('node:url').pathToFileURL(path.join(dist, 'src', 'cli-entry.js')).href);
else {
  // A checkout that was never built (or whose dist was removed): say how to build it rather
  // than let Node's loader print ERR_MODULE_NOT_FOUND with its stack.
  process.stderr.write(`sluice: not built: ${path.join(dist, 'src', 'cli-entry.js')} is missing. In the repository's root, run \`npm run setup\` (it installs the dependencies with pnpm through corepack and builds with tsc -b), then run sluice again.\n`);
  process.exitCode = 1;
}
