// @sluice/core loads the copy of proto/ inside its own package (an installed core has no
// repository around it); the copy must be the contract itself, byte for byte.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { PROTO_FILE, loadProto } from '../../src/rpc/proto.js';

const CORE_DIR = fileURLToPath(new URL('../../../', import.meta.url));
const REPO_DIR = path.resolve(CORE_DIR, '..', '..');

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name))).sort();
}

test('packages/core/proto is proto/, file by file (run scripts/copy-proto.sh after editing proto/)', () => {
  const root = path.join(REPO_DIR, 'proto');
  const copy = path.join(CORE_DIR, 'proto');
  assert.deepEqual(filesUnder(copy), filesUnder(root));
  for (const f of filesUnder(root)) assert.ok(fs.readFileSync(path.join(copy, f)).equals(fs.readFileSync(path.join(root, f))), `packages/core/proto/${f} differs from proto/${f}: run scripts/copy-proto.sh`);
});

test('core loads the contract from inside its own package', () => {
  assert.equal(PROTO_FILE, path.join(CORE_DIR, 'proto', 'sluice', 'v1', 'sluice.proto'));
  assert.equal(typeof loadProto().sluice.v1.Driver, 'function');
});
