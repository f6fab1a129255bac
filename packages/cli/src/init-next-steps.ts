import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where the running `sluice` came from, which decides how a project made by `sluice init`
 * gets the @sluice packages (they are not on the npm registry yet, so a plain `npm install`
 * there fails with E404 for @sluice/core unless they came from a registry):
 * - `checkout`: a built checkout of the Sluice repository (`node packages/cli/bin/sluice.js`):
 *   the project packs them from it;
 * - `tarballs`: an npm install from packed tarballs (README's loop, `npx -p X.tgz`): the
 *   project installs the same tarballs, read from that install's lockfile;
 * - `registry`: an npm install whose lockfile has @sluice/cli from a registry: `npm install`;
 * - `unknown`: anything else (a global install, another package manager): `npm install`,
 *   with what to do where it fails.
 */
export type SluiceSource =
  | { readonly kind: 'checkout'; readonly repo: string }
  | { readonly kind: 'tarballs'; readonly tarballs: readonly string[] }
  | { readonly kind: 'registry' }
  | { readonly kind: 'unknown' };

/** The packages `sluice run` needs in a job's project: @sluice/cli and the @sluice packages it depends on. */
export const INIT_PACKAGES = ['core', 'driver', 'worker', 'cli'] as const;

/** The connectors a job may add (each a package of its own, packed and installed beside the four). */
const CONNECTORS = ['kafka', 'mqtt', 'kinesis', 'flume', 'postgres', 'redis', 's3'];

interface Lockfile {
  readonly packages?: Readonly<Record<string, { readonly resolved?: string } | undefined>>;
}

/** How the @sluice/cli package in `cliDir` (its package folder) was installed. */
export function sluiceSource(cliDir: string): SluiceSource {
  const dir = path.resolve(cliDir);
  const parent = path.dirname(dir);
  if (path.basename(parent) === 'packages' && fs.existsSync(path.join(parent, '..', 'pnpm-workspace.yaml')) && fs.existsSync(path.join(parent, 'core', 'package.json'))) {
    return { kind: 'checkout', repo: path.dirname(parent) };
  }
  // <root>/node_modules/@sluice/cli: npm's lockfiles there say where each package came from.
  const modules = path.dirname(parent);
  if (path.basename(parent) !== '@sluice' || path.basename(modules) !== 'node_modules') return { kind: 'unknown' };
  const root = path.dirname(modules);
  for (const file of [path.join(modules, '.package-lock.json'), path.join(root, 'package-lock.json')]) {
    let lock: Lockfile;
    try {
      lock = JSON.parse(fs.readFileSync(file, 'utf8')) as Lockfile;
    } catch {
      continue;
    }
    const resolved = INIT_PACKAGES.map((p) => lock.packages?.[`node_modules/@sluice/${p}`]?.resolved);
    if (resolved.some((r) => r !== undefined && /^https?:/.test(r))) return { kind: 'registry' };
    if (resolved.every((r) => r !== undefined && r.startsWith('file:'))) {
      const tarballs = resolved.map((r) => path.resolve(root, r!.slice('file:'.length)));
      if (tarballs.every((t) => /\.tgz$/.test(t) && fs.existsSync(t))) return { kind: 'tarballs', tarballs };
    }
  }
  return { kind: 'unknown' };
}

/** Where this sluice (the @sluice/cli package of this module) came from, and its version. */
export function sluiceOrigin(): { readonly source: SluiceSource; readonly version: string } {
  const dir = fileURLToPath(new URL('../../', import.meta.url));
  const { version } = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string };
  return { source: sluiceSource(dir), version };
}

/** `s` as one word of a POSIX shell command. */
export function shellWord(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * What `sluice init` prints after making the project in `absDir` (given as `dirAsGiven`, already
 * safe for a terminal): the commands, one a line indented by two spaces, that install the
 * @sluice packages as `source` says and type-check and run job.ts.
 */
export function initNextSteps(source: SluiceSource, dirAsGiven: string, absDir: string, version: string): string {
  const tail = ['npx tsc --noEmit', 'npx sluice run job.ts'];
  const steps = (why: string, install: readonly string[], after: string): string =>
    `Next${why === '' ? '' : ` (${why})`}:\n${['cd ' + shellWord(dirAsGiven), ...install, ...tail].map((c) => `  ${c}\n`).join('')}${after}`;
  switch (source.kind) {
    case 'checkout': {
      const dest = path.join(absDir, 'sluice-packages');
      return steps(
        `this sluice runs from a checkout of the Sluice repository, ${source.repo}; the @sluice packages are not on the npm registry yet, so the project installs them packed from that checkout`,
        [
          `for p in ${INIT_PACKAGES.join(' ')}; do (cd ${shellWord(source.repo)}/packages/$p && corepack pnpm pack --pack-destination ${shellWord(dest)}); done`,
          `npm install ${INIT_PACKAGES.map((p) => `./sluice-packages/sluice-${p}-${version}.tgz`).join(' ')}`,
        ],
        `A connector the job imports (${CONNECTORS.join(', ')}) packs and installs the same way: add it to the loop and its tarball to npm install.\n`,
      );
    }
    case 'tarballs': {
      const folders = [...new Set(source.tarballs.map((t) => path.dirname(t)))];
      return steps(
        'this sluice was installed from tarballs, and the @sluice packages are not on the npm registry yet: the project installs the same ones',
        [`npm install ${source.tarballs.map(shellWord).join(' ')}`],
        `A connector the job imports installs from its tarball beside those${folders.length === 1 ? ` (npm install ${shellWord(path.join(folders[0]!, `sluice-kafka-${version}.tgz`))} for @sluice/kafka)` : ''}.\n`,
      );
    }
    case 'registry':
      return steps('', ['npm install'], '');
    case 'unknown':
      return steps(
        '',
        ['npm install'],
        "Where `npm install` fails with E404 for @sluice/core (the @sluice packages are not on the npm registry yet), install the tarballs of @sluice/core, driver, worker and cli this sluice was installed from (`npm install DIR/sluice-core-" +
          `${version}.tgz DIR/sluice-driver-${version}.tgz DIR/sluice-worker-${version}.tgz DIR/sluice-cli-${version}.tgz\`), or pack them from a checkout of the Sluice repository (README, 'Using Sluice in your own project').\n`,
      );
  }
}
