// makeDirectorySync and makeDirectory (src/util/make-directory.ts): the missing directories of a
// path made, the first one made returned; a path already there, or a file in the way, as Node's
// recursive mkdir answers; and a directory that cannot be made beside a parent that exists
// (/proc's ENOENT) fails at once, where Node's recursive mkdir spins forever.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { makeDirectory, makeDirectorySync } from '../../src/util/make-directory.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-make-directory-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

for (const [name, make] of [
  ['makeDirectorySync', async (d: string) => makeDirectorySync(d)],
  ['makeDirectory', makeDirectory],
] as const) {
  test(`${name}: makes every missing directory, returns the first made; undefined when there; a file in the way fails`, async () => {
    const base = path.join(root, name);
    const deep = path.join(base, 'a', 'b', 'c');
    assert.equal(await make(deep), base);
    assert.ok(fs.statSync(deep).isDirectory());
    assert.equal(await make(deep), undefined, 'already there');
    assert.equal(await make(path.join(base, 'a', 'x')), path.join(base, 'a', 'x'));
    fs.writeFileSync(path.join(base, 'file'), '');
    await assert.rejects(async () => make(path.join(base, 'file')), { code: 'EEXIST' });
    await assert.rejects(async () => make(path.join(base, 'file', 'under')), { code: 'ENOTDIR' });
  });

  test(`${name}: a directory that cannot be made beside a parent that exists fails with ENOENT, at once`, { skip: !fs.existsSync('/proc/self') && 'no /proc here' }, async () => {
    await assert.rejects(async () => make(path.join('/proc', `sluice-nope-${process.pid}`, 'cp')), { code: 'ENOENT' });
    await assert.rejects(async () => make(`/proc/sluice-nope-${process.pid}`), { code: 'ENOENT' });
  });
}
