// `sluice submit --typecheck` (and run): the job is type-checked with the TypeScript of its
// project before the CLI bundles it or dials the driver, and every error is printed as
// file:line:column. The job lives in a folder no tsconfig.json covers (under dist/, which is
// git-ignored and outside packages/cli's tsconfig include), so strict NodeNext defaults apply.
// Also the repository checks that sit beside it: the examples type-check, so do README's
// TypeScript blocks (fragments completed with the names they continue from, readme-snippets.ts),
// and every mutation of scripts/mutants.mjs still finds its search text (so a stale one is
// caught without running it).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { CLI_DIR, REPO_DIR, lineOf, runCli } from './harness.js';
import { typeScriptBlocks, writeSnippetProject } from './readme-snippets.js';

const dir = fs.mkdtempSync(path.join(CLI_DIR, 'dist', 'typecheck-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const JOB = `import { StreamingContext, type SluiceContext } from '@sluice/core';

export default async function (sc: SluiceContext): Promise<void> {
  const ssc = new StreamingContext(sc, '1 sec');
  const lines = ssc.queueStream([sc.parallelize(['a b'])]);
  const lengths = lines.map((l) => l.length);
  lengths.map((n) => n.toUpperCase()).print();
  ssc.start();
}
`;

/** `file:line:column` of the first occurrence of `text` in the job (1-based, as tsc counts). */
function where(file: string, text: string): string {
  const line = lineOf(file, text);
  return `${file}:${line}:${fs.readFileSync(file, 'utf8').split('\n')[line - 1].indexOf(text) + 1}`;
}

test('submit --typecheck prints each type error as file:line:column and never reaches the driver', async () => {
  const job = path.join(dir, 'job.ts');
  fs.writeFileSync(job, JOB);
  // Port 1 on loopback: were the job submitted, the error would be about the unreachable driver.
  const r = await runCli(['submit', '--driver', '127.0.0.1:1', '--typecheck', job], { env: { SLUICE_SECRET: 'x'.repeat(32) } });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /\[SLUICE_JOB_COMPILE\]: job file '.*job\.ts' has 2 type errors \(--typecheck; nothing was run\)/);
  const duration = `${where(job, "'1 sec'")} - error TS2345: Argument of type '"1 sec"' is not assignable to parameter of type 'Duration'.`;
  assert.ok(r.stderr.includes(duration), r.stderr);
  assert.ok(r.stderr.includes(`${where(job, 'toUpperCase')} - error TS2339: Property 'toUpperCase' does not exist on type 'number'.`), r.stderr);
  assert.doesNotMatch(r.stderr, /SLUICE_UNREACHABLE|127\.0\.0\.1:1/);
});

test('without --typecheck the same job is bundled (types are stripped) and the CLI goes on to the driver', async () => {
  const job = path.join(dir, 'job.ts');
  fs.writeFileSync(job, JOB);
  const r = await runCli(['submit', '--driver', '127.0.0.1:1', job], { env: { SLUICE_SECRET: 'x'.repeat(32) }, timeoutMs: 60_000 });
  assert.notEqual(r.code, 0);
  assert.doesNotMatch(r.stderr, /type error/);
  assert.match(r.stderr, /127\.0\.0\.1:1/);
});

test("the repository's examples type-check (tsc -p examples/tsconfig.json), so each runs with --typecheck", async () => {
  const { spawnSync } = await import('node:child_process');
  const { createRequire } = await import('node:module');
  const tsc = createRequire(path.join(REPO_DIR, 'package.json')).resolve('typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', path.join(REPO_DIR, 'examples', 'tsconfig.json'), '--pretty', 'false'], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
});

test("README's TypeScript blocks type-check against the packages (each error named by its README line)", async () => {
  const { spawnSync } = await import('node:child_process');
  const { createRequire } = await import('node:module');
  const tsc = createRequire(path.join(REPO_DIR, 'package.json')).resolve('typescript/bin/tsc');
  const blocks = typeScriptBlocks(fs.readFileSync(path.join(REPO_DIR, 'README.md'), 'utf8'));
  assert.ok(blocks.length >= 10, `README has ${blocks.length} \`\`\`ts blocks; the extraction found too few`);
  const snippets = fs.mkdtempSync(path.join(dir, 'readme-'));
  const files = writeSnippetProject(snippets, blocks);
  const r = spawnSync(process.execPath, [tsc, '-p', path.join(snippets, 'tsconfig.json'), '--pretty', 'false'], { encoding: 'utf8', timeout: 120_000 });
  // block-<line>.ts(L,C): error ... -> README.md:<line + L - header - 1>:C: error ...
  const errors = `${r.stdout}${r.stderr}`.replace(/^(?:\S*\/)?(block-\d+\.ts)\((\d+),(\d+)\)/gm, (all, name: string, l: string, c: string) => {
    const f = files.get(name);
    return f ? `README.md:${f.line + Number(l) - f.header - 1}:${c}` : all;
  });
  assert.equal(r.status, 0, errors);
});

test('every mutation in scripts/mutants.mjs still applies (node scripts/mutants.mjs --check: its search text occurs once in its file)', async () => {
  const { spawnSync } = await import('node:child_process');
  const r = spawnSync(process.execPath, [path.join(REPO_DIR, 'scripts', 'mutants.mjs'), '--check'], { cwd: REPO_DIR, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, `a stale mutation (re-point it at the code that now does that thing):\n${r.stderr}${r.stdout}`);
  assert.match(r.stdout, /all \d+ mutation\(s\) apply/);
});
