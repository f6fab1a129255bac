// `sluice init DIR` as a user runs it: the project's files, and next steps that fit where this
// sluice came from. The @sluice packages are not on the npm registry yet (a plain `npm install`
// fails there with E404 for @sluice/core), so from a checkout the steps pack them from that
// checkout, from tarballs they install the same tarballs (read from the install's lockfile), and
// only from a registry they say `npm install` alone. Until 2026-12-07 every user was told of
// /tmp/sluice-tgz, a folder of README's pack loop that a user of the packages does not have.
// init-next-steps.test.ts runs the printed commands.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { REPO_DIR, runCli } from './harness.js';
import { sluiceSource, type SluiceSource } from '../src/init-next-steps.js';
import { unresolvedImportHint } from '../src/unresolved-import.js';

const VERSION = (JSON.parse(fs.readFileSync(path.join(REPO_DIR, 'packages', 'cli', 'package.json'), 'utf8')) as { version: string }).version;

test('sluice init from a checkout makes the project and says how to pack and install the packages from that checkout', async () => {
  const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-init-')));
  try {
    const r = await runCli(['init', 'my-job'], { cwd: tmp });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(fs.readdirSync(path.join(tmp, 'my-job')).sort(), ['.gitignore', 'job.ts', 'package.json', 'tsconfig.json']);
    const next = r.stdout.slice(r.stdout.indexOf('Next'));
    const packages = ['core', 'driver', 'worker', 'cli'];
    assert.equal(
      next.split('\n').filter((l) => l.startsWith('  ')).join('\n'),
      [
        '  cd my-job',
        `  for p in ${packages.join(' ')}; do (cd ${REPO_DIR}/packages/$p && corepack pnpm pack --pack-destination ${path.join(tmp, 'my-job', 'sluice-packages')}); done`,
        `  npm install ${packages.map((p) => `./sluice-packages/sluice-${p}-${VERSION}.tgz`).join(' ')}`,
        '  npx tsc --noEmit',
        '  npx sluice run job.ts',
      ].join('\n'),
      next,
    );
    assert.match(next, new RegExp(`^Next \\(this sluice runs from a checkout of the Sluice repository, ${REPO_DIR.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}; the @sluice packages are not on the npm registry yet`));
    assert.doesNotMatch(r.stdout, /sluice-tgz/);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

/** A folder as `npm install` leaves it: node_modules/@sluice/<p> for each package, and npm's hidden lockfile naming where each came from. */
function fakeInstall(root: string, resolved: (p: string) => string | undefined): string {
  const packages: Record<string, { version: string; resolved?: string }> = {};
  for (const p of ['core', 'driver', 'worker', 'cli']) {
    fs.mkdirSync(path.join(root, 'node_modules', '@sluice', p), { recursive: true });
    const r = resolved(p);
    packages[`node_modules/@sluice/${p}`] = { version: VERSION, ...(r === undefined ? {} : { resolved: r }) };
  }
  fs.writeFileSync(path.join(root, 'node_modules', '.package-lock.json'), JSON.stringify({ name: 'tools', lockfileVersion: 3, requires: true, packages }));
  return path.join(root, 'node_modules', '@sluice', 'cli');
}

test("where this sluice came from is read from the install's lockfile: tarballs (paths relative to the install's root, made absolute), a registry, or not known", () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-init-source-'));
  try {
    fs.mkdirSync(path.join(tmp, 'tgz'));
    for (const p of ['core', 'driver', 'worker', 'cli']) fs.writeFileSync(path.join(tmp, 'tgz', `sluice-${p}-${VERSION}.tgz`), '');
    // npm records a tarball's path relative to the folder installed into.
    const fromTarballs = fakeInstall(path.join(tmp, 'a'), (p) => `file:../tgz/sluice-${p}-${VERSION}.tgz`);
    assert.deepEqual(sluiceSource(fromTarballs), { kind: 'tarballs', tarballs: ['core', 'driver', 'worker', 'cli'].map((p) => path.join(tmp, 'tgz', `sluice-${p}-${VERSION}.tgz`)) });
    // A tarball that is gone since: not told as a way to install.
    fs.rmSync(path.join(tmp, 'tgz', `sluice-worker-${VERSION}.tgz`));
    assert.deepEqual(sluiceSource(fromTarballs), { kind: 'unknown' });
    const fromRegistry = fakeInstall(path.join(tmp, 'b'), (p) => `https://registry.npmjs.org/@sluice/${p}/-/${p}-${VERSION}.tgz`);
    assert.deepEqual(sluiceSource(fromRegistry), { kind: 'registry' });
    assert.deepEqual(sluiceSource(fakeInstall(path.join(tmp, 'c'), () => undefined)), { kind: 'unknown' });
    assert.deepEqual(sluiceSource(path.join(REPO_DIR, 'packages', 'cli')), { kind: 'checkout', repo: REPO_DIR });
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test("the README section the steps' fallback names is there", () => {
  const readme = fs.readFileSync(path.join(REPO_DIR, 'README.md'), 'utf8');
  assert.ok(readme.includes('\n## Using Sluice in your own project\n'));
});

test("a job's missing @sluice connector is told how to install it for where this sluice came from: the tarball beside its own (with core's), or the registry", () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-init-hint-'));
  try {
    const tgz = (p: string): string => path.join(tmp, `sluice-${p}-${VERSION}.tgz`);
    for (const p of ['core', 'driver', 'worker', 'cli', 'kafka']) fs.writeFileSync(tgz(p), '');
    const tarballs = { kind: 'tarballs', tarballs: ['core', 'driver', 'worker', 'cli'].map(tgz) } as const;
    const hint = (pkg: string, source: SluiceSource): string | undefined =>
      unresolvedImportHint(`Could not resolve "${pkg}"`, '/home/u/jobs/job.ts', { source, version: VERSION });
    assert.match(hint('@sluice/kafka', tarballs) ?? '', new RegExp(`; install it beside the job from its tarball, beside those this sluice was installed from .*: \`cd /home/u/jobs && npm install ${tgz('core')} ${tgz('kafka')}\`, or move the job`));
    // No tarball of it there: the general advice.
    assert.match(hint('@sluice/redis', tarballs) ?? '', /cd \/home\/u\/jobs && npm install @sluice\/redis` \(while the Sluice packages are not on the npm registry, install the tarballs packed from the Sluice repository instead: README/);
    assert.match(hint('@sluice/kafka', { kind: 'registry' }) ?? '', /; install it beside the job: `cd \/home\/u\/jobs && npm install @sluice\/kafka`, or move the job/);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
