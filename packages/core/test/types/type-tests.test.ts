// Compiles packages/core/type-tests (the public API's types as a user's project sees them,
// through the package's `exports`) with tsc: every line must type-check except those marked
// `@ts-expect-error`, and each of those must fail (an unused one is TS2578); and again with
// exactOptionalPropertyTypes (tsconfig.exact.json), as a user with the strictest tsconfig compiles.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const CORE_DIR = fileURLToPath(new URL('../../../', import.meta.url));
const REPO_DIR = path.resolve(CORE_DIR, '..', '..');

test('durations are typed as number-and-unit text; updateStateByKey and mapWithState infer their state type; filter with a type guard narrows; a combining function may return a tuple literal', () => {
  const tsc = createRequire(path.join(REPO_DIR, 'package.json')).resolve('typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', path.join(CORE_DIR, 'type-tests', 'tsconfig.json'), '--pretty', 'false'], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, `tsc failed on type-tests (streaming-types.ts, combine-types.ts):\n${r.stdout}${r.stderr}`);
  assert.equal(r.stdout.trim(), '');
});

test('under exactOptionalPropertyTypes every public options type of core and the connectors takes an option held as T | undefined', () => {
  const tsc = createRequire(path.join(REPO_DIR, 'package.json')).resolve('typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', path.join(CORE_DIR, 'type-tests', 'tsconfig.exact.json'), '--pretty', 'false'], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, `tsc failed on type-tests/exact-optional-types.ts (tsconfig.exact.json):\n${r.stdout}${r.stderr}`);
  assert.equal(r.stdout.trim(), '');
});
