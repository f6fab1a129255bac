// A job file outside any project that has the packages it imports (user47's "Could not
// resolve @sluice/kafka"): the error names the file that imported each package, the
// node_modules folders looked in, and how to fix it. For a @sluice package, the fix fits where
// this sluice came from (a checkout here): since 2026-12-07 it packs the package and
// @sluice/core from the checkout and installs them (before, it said `npm install @sluice/kafka`,
// which fails with E404 while the packages are not on the npm registry); the test runs that
// command as printed (npm offline from its cache), and the same job runs. A @sluice name that
// is no package of Sluice's is told so, with the names there are.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { REPO_DIR, runCli } from './harness.js';

test("a job outside a project with its packages fails naming the importing file, where Node looked and how to install it; installed beside the job, it runs", { timeout: 720_000 }, async () => {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-test-outside-')));
  try {
    fs.writeFileSync(
      path.join(dir, 'job.ts'),
      "import type { SluiceContext } from '@sluice/core';\nimport { KafkaUtils } from '@sluice/kafka';\nimport { helper } from './lib.js';\n\nexport default async function (sc: SluiceContext): Promise<void> {\n  console.log(`KAFKA ${typeof KafkaUtils.createDirectStream} ${helper()} ${await sc.parallelize([1, 2, 3], 2).count()}`);\n}\n",
    );
    fs.writeFileSync(path.join(dir, 'lib.ts'), "import { thing } from 'no-such-package-user48/sub';\nimport { other } from '@sluice/kafak';\nexport const helper = (): string => String(thing) + String(other);\n");
    const env = { SLUICE_SECRET_FILE: '', SLUICE_LOG_LEVEL: 'warn' };
    const r = await runCli(['run', '--workers', '1', path.join(dir, 'job.ts')], { env, cwd: dir, timeoutMs: 120_000 });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /SLUICE_JOB_COMPILE/, r.stderr);
    const above = [path.join(dir, 'node_modules'), path.join(path.dirname(dir), 'node_modules')];
    // Each unresolved package: the file that imported it, the folders looked in (from its own up), the fix.
    const kafka = r.stderr.split('\n').find((l) => l.includes(`'${path.join(dir, 'job.ts')}' imports '@sluice/kafka'`));
    assert.ok(kafka, r.stderr);
    for (const d of above) assert.ok(kafka.includes(d), `${d} named: ${kafka}`);
    const version = (JSON.parse(fs.readFileSync(path.join(REPO_DIR, 'packages', 'kafka', 'package.json'), 'utf8')) as { version: string }).version;
    const command = `for p in core kafka; do (cd ${REPO_DIR}/packages/$p && corepack pnpm pack --pack-destination ${path.join(dir, 'sluice-packages')}); done && cd ${dir} && npm install ./sluice-packages/sluice-core-${version}.tgz ./sluice-packages/sluice-kafka-${version}.tgz`;
    assert.ok(kafka.includes(`packed from this checkout of the Sluice repository (the @sluice packages are not on the npm registry yet; @sluice/core with it, as its dependency): \`${command}\``), kafka);
    const mistyped = r.stderr.split('\n').find((l) => l.includes(`'${path.join(dir, 'lib.ts')}' imports '@sluice/kafak'`));
    assert.ok(mistyped?.includes("no such package: Sluice's are @sluice/cli, @sluice/core, @sluice/driver, @sluice/flume, @sluice/kafka,"), mistyped ?? r.stderr);
    const other = r.stderr.split('\n').find((l) => l.includes(`'${path.join(dir, 'lib.ts')}' imports 'no-such-package-user48/sub'`));
    assert.ok(other, r.stderr);
    assert.ok(other.includes("the package 'no-such-package-user48'") && other.includes(`cd ${dir} && npm install no-such-package-user48`), other);
    assert.doesNotMatch(other, /README/, 'not a Sluice package: no tarballs');

    // The fix: the command as printed, the other imports dropped.
    const npmEnv = { ...process.env, npm_config_prefer_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false', COREPACK_ENABLE_DOWNLOAD_PROMPT: '0' };
    const fixed = spawnSync('bash', ['-e', '-c', command], { cwd: dir, env: npmEnv, encoding: 'utf8', timeout: 400_000 });
    assert.equal(fixed.status, 0, `${command}\n${fixed.stdout}\n${fixed.stderr}`);
    assert.ok(!fs.lstatSync(path.join(dir, 'node_modules', '@sluice', 'kafka')).isSymbolicLink(), 'kafka is installed from its tarball');
    fs.writeFileSync(path.join(dir, 'lib.ts'), "export const helper = (): string => 'lib';\n");
    const ok = await runCli(['run', '--workers', '1', path.join(dir, 'job.ts')], { env, cwd: dir, timeoutMs: 120_000 });
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^KAFKA function lib 3$/m, ok.stdout);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
