// A job file outside any project that has the packages it imports (user47's "Could not
// resolve @sluice/kafka"): the error names the file that imported each package, the
// node_modules folders looked in, and how to fix it; installed beside the job (npm's
// `npm install <folder>` links it, as here), the same job runs.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { REPO_DIR, runCli } from './harness.js';

test("a job outside a project with its packages fails naming the importing file, where Node looked and how to install it; installed beside the job, it runs", { timeout: 180_000 }, async () => {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-test-outside-')));
  try {
    fs.writeFileSync(
      path.join(dir, 'job.ts'),
      "import type { SluiceContext } from '@sluice/core';\nimport { KafkaUtils } from '@sluice/kafka';\nimport { helper } from './lib.js';\n\nexport default async function (sc: SluiceContext): Promise<void> {\n  console.log(`KAFKA ${typeof KafkaUtils.createDirectStream} ${helper()} ${await sc.parallelize([1, 2, 3], 2).count()}`);\n}\n",
    );
    fs.writeFileSync(path.join(dir, 'lib.ts'), "import { thing } from 'no-such-package-user48/sub';\nexport const helper = (): string => String(thing);\n");
    const env = { SLUICE_SECRET_FILE: '', SLUICE_LOG_LEVEL: 'warn' };
    const r = await runCli(['run', '--workers', '1', path.join(dir, 'job.ts')], { env, cwd: dir, timeoutMs: 120_000 });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /SLUICE_JOB_COMPILE/, r.stderr);
    const above = [path.join(dir, 'node_modules'), path.join(path.dirname(dir), 'node_modules')];
    // Each unresolved package: the file that imported it, the folders looked in (from its own up), the fix.
    const kafka = r.stderr.split('\n').find((l) => l.includes(`'${path.join(dir, 'job.ts')}' imports '@sluice/kafka'`));
    assert.ok(kafka, r.stderr);
    for (const d of above) assert.ok(kafka.includes(d), `${d} named: ${kafka}`);
    assert.ok(kafka.includes(`cd ${dir} && npm install @sluice/kafka`), kafka);
    assert.ok(kafka.includes("README, 'Using Sluice in your own project'"), kafka);
    const other = r.stderr.split('\n').find((l) => l.includes(`'${path.join(dir, 'lib.ts')}' imports 'no-such-package-user48/sub'`));
    assert.ok(other, r.stderr);
    assert.ok(other.includes("the package 'no-such-package-user48'") && other.includes(`cd ${dir} && npm install no-such-package-user48`), other);
    assert.doesNotMatch(other, /README/, 'not a Sluice package: no tarballs');

    // The fix: the package installed beside the job (a link to it, as `npm install <folder>` makes), the other import dropped.
    fs.mkdirSync(path.join(dir, 'node_modules', '@sluice'), { recursive: true });
    fs.symlinkSync(path.join(REPO_DIR, 'packages', 'kafka'), path.join(dir, 'node_modules', '@sluice', 'kafka'));
    fs.writeFileSync(path.join(dir, 'lib.ts'), "export const helper = (): string => 'lib';\n");
    const ok = await runCli(['run', '--workers', '1', path.join(dir, 'job.ts')], { env, cwd: dir, timeoutMs: 120_000 });
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^KAFKA function lib 3$/m, ok.stdout);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
