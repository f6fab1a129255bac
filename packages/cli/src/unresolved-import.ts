import fs from 'node:fs';
import path from 'node:path';
import { shellWord, type SluiceSource } from './init-next-steps.js';

/**
 * What to add to esbuild's `Could not resolve "X"` when a job (or a module it imports)
 * imports a package that no node_modules folder above it has: which file imported it, where
 * Node's resolution looked, and how to fix it. Undefined for anything else (a relative path
 * that does not exist says enough).
 */
export function unresolvedImportHint(text: string, importer: string | undefined, sluice?: { readonly source: SluiceSource; readonly version: string }): string | undefined {
  const m = /^Could not resolve "([^"]+)"/.exec(text);
  if (!m || importer === undefined) return undefined;
  const spec = m[1];
  if (spec.startsWith('.') || spec.startsWith('/') || spec.startsWith('node:')) return undefined;
  const parts = spec.split('/');
  const pkg = spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  const from = path.dirname(importer);
  const looked: string[] = [];
  for (let d = from; ; d = path.dirname(d)) {
    if (path.basename(d) !== 'node_modules') looked.push(path.join(d, 'node_modules'));
    if (path.dirname(d) === d) break;
  }
  const shown = looked.length <= 6 ? looked.join(', ') : `${looked.slice(0, 5).join(', ')}, ... ${looked[looked.length - 1]}`;
  const install = pkg.startsWith('@sluice/')
    ? (sluice && sluicePackageInstall(pkg, from, sluice.source, sluice.version)) ??
      `install it beside the job: \`cd ${from} && npm install ${pkg}\` (while the Sluice packages are not on the npm registry, install the tarballs packed from the Sluice repository instead: README, 'Using Sluice in your own project'; \`sluice init\` makes such a project)`
    : `install it beside the job: \`cd ${from} && npm install ${pkg}\``;
  const tail = install.startsWith('no such package') ? '' : ', or move the job into a project that has it';
  return `'${importer}' imports '${spec}', and no node_modules folder Node looks in from there has the package '${pkg}' (looked in ${shown}); ${install}${tail}`;
}

/**
 * How to install the @sluice package `pkg` beside a job in `from`, for the `sluice` that came
 * from `source` (init-next-steps.ts), while the packages are not on the npm registry (a plain
 * `npm install @sluice/kafka` fails with E404): from a checkout, pack it and @sluice/core (its
 * dependency, which npm cannot fetch either) from the checkout and install both; from tarballs,
 * the tarballs beside those this sluice was installed from. Undefined where that is not known.
 */
function sluicePackageInstall(pkg: string, from: string, source: SluiceSource, version: string): string | undefined {
  const name = pkg.slice('@sluice/'.length);
  const cd = `cd ${shellWord(from)}`;
  switch (source.kind) {
    case 'checkout': {
      const packages = path.join(source.repo, 'packages');
      if (!fs.existsSync(path.join(packages, name, 'package.json'))) {
        const names = fs.readdirSync(packages).filter((d) => fs.existsSync(path.join(packages, d, 'package.json')) && !/^test-/.test(d));
        return `no such package: Sluice's are @sluice/${names.join(', @sluice/')} (the packages of this checkout, ${source.repo}); correct the name, or install '${pkg}' beside the job if it is a package of your own`;
      }
      const dest = path.join(from, 'sluice-packages');
      const both = name === 'core' ? ['core'] : ['core', name];
      return `install it beside the job, packed from this checkout of the Sluice repository (the @sluice packages are not on the npm registry yet; @sluice/core with it, as its dependency): \`for p in ${both.join(' ')}; do (cd ${shellWord(source.repo)}/packages/$p && corepack pnpm pack --pack-destination ${shellWord(dest)}); done && ${cd} && npm install ${both.map((p) => `./sluice-packages/sluice-${p}-${version}.tgz`).join(' ')}\``;
    }
    case 'tarballs': {
      const tarball = path.join(path.dirname(source.tarballs[0]!), `sluice-${name}-${version}.tgz`);
      if (!fs.existsSync(tarball)) return undefined;
      const both = name === 'core' ? [tarball] : [source.tarballs[0]!, tarball];
      return `install it beside the job from its tarball, beside those this sluice was installed from (the @sluice packages are not on the npm registry yet; @sluice/core with it, as its dependency): \`${cd} && npm install ${both.map(shellWord).join(' ')}\``;
    }
    case 'registry':
      return `install it beside the job: \`${cd} && npm install ${pkg}\``;
    case 'unknown':
      return undefined;
  }
}
