// `sluice init`'s next steps, followed as printed: the test reads the indented command lines
// from the output and runs them, one bash script, in the folder init ran in (loopback, and npm
// offline from its cache: --prefer-offline through npm's environment, the commands unchanged).
// From the checkout, the steps pack the @sluice packages from it into the project and install
// those; the job project then type-checks and runs, printing the running totals computed here
// from the scaffold's input. From an install of those tarballs (outside the repository), the
// steps install the same tarballs by their absolute paths, and the project runs again. From an
// install whose lockfile says a registry, they are `npm install` alone. Until 2026-12-07 every
// user was pointed at /tmp/sluice-tgz, a folder only README's pack loop makes.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { REPO_DIR, runCli } from './harness.js';
import { packPackage, runCommand, show, type Ran } from './packed-packages.js';

const ENV = {
  SLUICE_LOG_LEVEL: 'warn',
  npm_config_prefer_offline: 'true',
  npm_config_audit: 'false',
  npm_config_fund: 'false',
  npm_config_loglevel: 'error',
  npm_config_update_notifier: 'false',
  COREPACK_ENABLE_DOWNLOAD_PROMPT: '0',
};

/** Run `cmd args` in `cwd`, failing the test if it outlives `timeoutMs`. */
const run = (cmd: string, args: readonly string[], cwd: string, timeoutMs: number): Promise<Ran> => runCommand(cmd, args, cwd, timeoutMs, ENV);

/** The commands of init's output: the lines after `Next...:` indented by two spaces. */
function stepsOf(stdout: string): string[] {
  const next = stdout.slice(stdout.indexOf('\nNext') + 1);
  const lines = next.split('\n').slice(1);
  const end = lines.findIndex((l) => !l.startsWith('  '));
  return lines.slice(0, end).map((l) => l.slice(2));
}

/**
 * The running totals the scaffold's job.ts prints after each of its three batches, computed
 * here from its input (the lines below, as job.ts has them): the top 3 words by count, ties by word.
 */
function expectedTotals(): string[] {
  const batches = [['to be or not to be', 'that is the question'], ['to sleep perchance to dream'], ['the rest is silence']];
  const counts = new Map<string, number>();
  return batches.map((lines) => {
    for (const w of lines.join(' ').split(' ')) counts.set(w, (counts.get(w) ?? 0) + 1);
    const top = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 3);
    return top.map(([w, n]) => `${w}=${n}`).join(' ');
  });
}

/** The totals lines of a run's output, without their batch times. */
const totalsOf = (stdout: string): string[] => [...stdout.matchAll(/^totals at \d+: (.*)$/gm)].map((m) => m[1]!);

/**
 * The job's totals are those expected after its three batches; its graceful stop may run a
 * batch more (empty: the totals stay as after the third).
 */
function assertTotals(stdout: string, what: string): void {
  const expected = expectedTotals();
  const got = totalsOf(stdout);
  assert.deepEqual(got.slice(0, 3), expected, what);
  for (const later of got.slice(3)) assert.equal(later, expected[2], what);
}

let tmp = '';
before(() => {
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-init-steps-')));
  assert.ok(!tmp.startsWith(REPO_DIR + path.sep), 'the projects are outside the repository');
});
after(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

const VERSION = (JSON.parse(fs.readFileSync(path.join(REPO_DIR, 'packages', 'cli', 'package.json'), 'utf8')) as { version: string }).version;
const PACKAGES = ['core', 'driver', 'worker', 'cli'];

// The bounds: each step's own (a pack of the cli bundles it first: past 60 s at load 35;
// an npm install of a fresh project passed 150 s at load 37, packed-install.test.ts).
test("from the checkout: init's steps pack the packages from it into the project, install them, type-check and run job.ts", { timeout: 900_000 }, async () => {
  const r = await runCli(['init', 'my-job'], { cwd: tmp, timeoutMs: 120_000 });
  assert.equal(r.code, 0, r.stderr);
  const steps = stepsOf(r.stdout);
  assert.equal(steps.length, 5, r.stdout);
  const ran = await run('bash', ['-e', '-c', steps.join('\n')], tmp, 800_000);
  assert.equal(ran.code, 0, `${steps.join('\n')}\n${show(ran)}`);
  assertTotals(ran.stdout, show(ran));
  const job = path.join(tmp, 'my-job');
  assert.deepEqual(fs.readdirSync(path.join(job, 'sluice-packages')).sort(), PACKAGES.map((p) => `sluice-${p}-${VERSION}.tgz`).sort());
  assert.ok(!fs.realpathSync(path.join(job, 'node_modules', '@sluice', 'core')).startsWith(REPO_DIR), 'core is installed, not linked to the repo');
  // npm recorded the tarballs in the project, so its `npm install` needs no registry either.
  const deps = JSON.parse(fs.readFileSync(path.join(job, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
  assert.equal({ ...deps.dependencies, ...deps.devDependencies }['@sluice/core'], `file:sluice-packages/sluice-core-${VERSION}.tgz`);
});

test("from an install of the tarballs: init's steps install the same tarballs, and the project runs; from a registry's, `npm install` alone", { timeout: 900_000 }, async () => {
  // The tarballs the first test packed (run alone, this test packs them itself).
  let dest = path.join(tmp, 'my-job', 'sluice-packages');
  if (!fs.existsSync(dest)) {
    dest = path.join(tmp, 'packed');
    for (const p of PACKAGES) await packPackage(p, dest, ENV);
  }
  const tarballs = PACKAGES.map((p) => path.join(dest, `sluice-${p}-${VERSION}.tgz`));
  const tools = path.join(tmp, 'tools');
  fs.mkdirSync(tools);
  fs.writeFileSync(path.join(tools, 'package.json'), JSON.stringify({ name: 'tools', private: true }));
  let r = await run('npm', ['install', ...tarballs], tools, 300_000);
  assert.equal(r.code, 0, show(r));

  r = await run('npx', ['--no-install', 'sluice', 'init', '../tar-job'], tools, 120_000);
  assert.equal(r.code, 0, show(r));
  const steps = stepsOf(r.stdout);
  assert.deepEqual(steps, ['cd ../tar-job', `npm install ${tarballs.join(' ')}`, 'npx tsc --noEmit', 'npx sluice run job.ts'], r.stdout);
  assert.doesNotMatch(r.stdout, /sluice-tgz|corepack|checkout/);
  const ran = await run('bash', ['-e', '-c', steps.join('\n')], tools, 600_000);
  assert.equal(ran.code, 0, `${steps.join('\n')}\n${show(ran)}`);
  assertTotals(ran.stdout, show(ran));

  // The same install, its lockfile saying the packages came from a registry (as once they are published).
  const lockFile = path.join(tools, 'node_modules', '.package-lock.json');
  const lock = JSON.parse(fs.readFileSync(lockFile, 'utf8')) as { packages: Record<string, { resolved?: string }> };
  for (const p of PACKAGES) lock.packages[`node_modules/@sluice/${p}`]!.resolved = `https://registry.npmjs.org/@sluice/${p}/-/${p}-${VERSION}.tgz`;
  fs.writeFileSync(lockFile, JSON.stringify(lock));
  r = await run('npx', ['--no-install', 'sluice', 'init', '../registry-job'], tools, 120_000);
  assert.equal(r.code, 0, show(r));
  assert.equal(r.stdout.slice(r.stdout.indexOf('\nNext') + 1), 'Next:\n  cd ../registry-job\n  npm install\n  npx tsc --noEmit\n  npx sluice run job.ts\n');
});
