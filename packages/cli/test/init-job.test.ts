// `sluice init DIR` as a user runs it: the project's files, and next steps that work while the
// @sluice packages are not on the npm registry (a plain `npm install` fails there with E404
// for @sluice/core): the steps name README's tarball install, with the tarballs `pnpm pack`
// makes for this version. packed-install.test.ts installs and runs such a project.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { REPO_DIR, runCli } from './harness.js';

test('sluice init makes the project and says how to install it while the packages are not on npm', async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-init-'));
  try {
    const r = await runCli(['init', 'my-job'], { cwd: tmp });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(fs.readdirSync(path.join(tmp, 'my-job')).sort(), ['.gitignore', 'job.ts', 'package.json', 'tsconfig.json']);
    const version = (JSON.parse(fs.readFileSync(path.join(REPO_DIR, 'packages', 'cli', 'package.json'), 'utf8')) as { version: string }).version;
    const next = r.stdout.slice(r.stdout.indexOf('Next:'));
    assert.match(next, /^Next:\n {2}cd my-job\n {2}npm install\n {2}npx tsc --noEmit\n {2}npx sluice run job\.ts\n/);
    assert.match(next, /not on the npm registry yet: where `npm install` fails with E404 for @sluice\/core,/);
    assert.match(next, /README, 'Using Sluice in your own project'/);
    assert.ok(next.includes(`npm install /tmp/sluice-tgz/sluice-core-${version}.tgz /tmp/sluice-tgz/sluice-cli-${version}.tgz`), next);
    // The section it names is there, with the pack loop that makes those tarballs.
    const readme = fs.readFileSync(path.join(REPO_DIR, 'README.md'), 'utf8');
    assert.ok(readme.includes('\n## Using Sluice in your own project\n'));
    assert.match(readme, /--pack-destination \/tmp\/sluice-tgz\); done/);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
