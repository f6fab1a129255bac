import path from 'node:path';

/**
 * What to add to esbuild's `Could not resolve "X"` when a job (or a module it imports)
 * imports a package that no node_modules folder above it has: which file imported it, where
 * Node's resolution looked, and how to fix it. Undefined for anything else (a relative path
 * that does not exist says enough).
 */
export function unresolvedImportHint(text: string, importer: string | undefined): string | undefined {
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
    ? `install it beside the job: \`cd ${from} && npm install ${pkg}\` (while the Sluice packages are not on the npm registry, install the tarballs packed from the Sluice repository instead: README, 'Using Sluice in your own project'; \`sluice init\` makes such a project)`
    : `install it beside the job: \`cd ${from} && npm install ${pkg}\``;
  return `'${importer}' imports '${spec}', and no node_modules folder Node looks in from there has the package '${pkg}' (looked in ${shown}); ${install}, or move the job into a project that has it`;
}
