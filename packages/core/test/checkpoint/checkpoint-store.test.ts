// The checkpoint store interface on a local directory (the default), and the scheme
// registry that connectors such as @sluice/s3 register with.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { joinCheckpointLocation, normalizeCheckpointLocation } from '../../src/checkpoint/checkpoint-location.js';
import type { CheckpointStore } from '../../src/checkpoint/checkpoint-store.js';
import { openCheckpointStore, registerCheckpointStore } from '../../src/checkpoint/checkpoint-store-registry.js';
import { LocalCheckpointStore } from '../../src/checkpoint/local-checkpoint-store.js';
import { SluiceError } from '../../src/errors.js';
import { fsError, refused } from '../support/fs-errors.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-ckpt-store-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

/** Every file under `dir`, as '/'-joined relative paths. */
function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(dir, f)).isFile()).map((f) => f.split(path.sep).join('/')).sort();
}

describe('LocalCheckpointStore', () => {
  test('writes whole objects, reads them back, lists and deletes by prefix', async () => {
    const dir = path.join(root, 'basic');
    const store = new LocalCheckpointStore(dir);
    await store.ensure();
    assert.ok(fs.statSync(dir).isDirectory());
    await store.write('metadata/checkpoint-1000', 'one');
    await store.write('metadata/checkpoint-2000', Buffer.from('two!'));
    await store.write('state/7/part-0', new Uint8Array([1, 2, 3]));
    await store.write('state/7/part-1', '');
    await store.write('state/8/part-0', 'x');
    await store.write('metadata/checkpoint-1000', 'ONE again'); // replaces
    assert.equal((await store.read('metadata/checkpoint-1000'))?.toString(), 'ONE again');
    assert.deepEqual([...((await store.read('state/7/part-0')) ?? [])], [1, 2, 3]);
    assert.equal(await store.read('state/9/part-0'), undefined);
    assert.deepEqual(await store.list('metadata/'), [
      { key: 'metadata/checkpoint-1000', size: 9 },
      { key: 'metadata/checkpoint-2000', size: 4 },
    ]);
    assert.deepEqual((await store.list('state/7')).map((o) => o.key), ['state/7/part-0', 'state/7/part-1']);
    assert.deepEqual((await store.list('')).map((o) => o.key), ['metadata/checkpoint-1000', 'metadata/checkpoint-2000', 'state/7/part-0', 'state/7/part-1', 'state/8/part-0']);
    assert.deepEqual(await store.list('nothing/'), []);
    assert.equal(store.describe('state/7/part-0'), path.join(dir, 'state', '7', 'part-0'));

    assert.equal(await store.deletePrefix('state/7/'), 2);
    assert.equal(fs.existsSync(path.join(dir, 'state', '7')), false, 'the emptied directory is gone too');
    await store.delete(['metadata/checkpoint-1000', 'metadata/never-there']);
    assert.deepEqual(filesUnder(dir), ['metadata/checkpoint-2000', 'state/8/part-0']);
    assert.equal(await store.deletePrefix('state/'), 1);
    assert.deepEqual(filesUnder(dir), ['metadata/checkpoint-2000']);
  });

  test("a write whose rename is refused reports the rename's error and why, though its temporary file cannot be removed either", async () => {
    // The checkpoint directory made read-only between the temporary file's write and its rename
    // (a fresh-clone CI's checkpoint-read-only run): rename and clean-up both fail with EACCES. The
    // message names the rename's failure and the fix, not the clean-up's 'unlink'.
    const dir = path.join(root, 'refused');
    const store = new LocalCheckpointStore(dir);
    await store.ensure();
    const { rename, rm } = fs.promises;
    fs.promises.rename = (async (from: fs.PathLike) => Promise.reject(refused('rename', String(from)))) as typeof rename;
    fs.promises.rm = (async (p: fs.PathLike) => Promise.reject(refused('unlink', String(p)))) as typeof rm;
    try {
      await assert.rejects(store.write('metadata/checkpoint-1', 'x'), (err: Error) => {
        assert.ok(err.message.startsWith(`cannot write checkpoint file '${path.join(dir, 'metadata', 'checkpoint-1')}': EACCES: permission denied, rename '`), err.message);
        assert.ok(err.message.includes(`'${path.join(dir, 'metadata')}' is not writable by user `), err.message);
        assert.doesNotMatch(err.message, /unlink/, err.message);
        return true;
      });
    } finally {
      fs.promises.rename = rename;
      fs.promises.rm = rm;
    }
  });

  test("a write whose sync finds the disk full reports the full disk and its fix, though the file's close fails too", async () => {
    // On NFS a full disk or quota is reported at fsync and again (or as EIO) at close: the
    // close's error replaced the sync's, and the message lost the disk-full fix.
    const dir = path.join(root, 'sync-full');
    const store = new LocalCheckpointStore(dir);
    await store.ensure();
    const { open } = fs.promises;
    fs.promises.open = (async (p: fs.PathLike, flags?: string | number, mode?: fs.Mode) => {
      const real = await open(p, flags, mode);
      if (!String(p).startsWith(dir + path.sep) || flags !== 'w') return real;
      return {
        writeFile: (data: string | Uint8Array) => real.writeFile(data),
        sync: () => Promise.reject(fsError('ENOSPC', 'no space left on device', 'fsync')),
        close: async () => {
          await real.close();
          throw fsError('EIO', 'i/o error', 'close');
        },
      } as unknown as fs.promises.FileHandle;
    }) as typeof open;
    try {
      await assert.rejects(store.write('metadata/checkpoint-2', 'x'), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'SLUICE_DISK_FULL', err.message);
        assert.ok(err.message.startsWith(`disk full: cannot write checkpoint file metadata/checkpoint-2 to '${path.join(dir, 'metadata', 'checkpoint-2')}' `), err.message);
        assert.ok(err.message.includes('point the checkpoint directory (ssc.checkpoint(dir) / sc.setCheckpointDir(dir)) at a larger disk'), err.message);
        assert.doesNotMatch(err.message, /EIO/);
        return true;
      });
    } finally {
      fs.promises.open = open;
    }
    assert.deepEqual(filesUnder(dir), [], 'the temporary file is removed');
  });

  test('refuses keys that leave the root or are not relative', async () => {
    const store = new LocalCheckpointStore(path.join(root, 'keys'));
    for (const key of ['../escape', '/abs', 'a//b', 'a/./b', '', 'a\\b']) {
      await assert.rejects(store.write(key, 'x'), (e: unknown) => e instanceof SluiceError && e.message.includes(JSON.stringify(key)), key);
    }
    assert.equal(fs.existsSync(path.join(root, 'escape')), false);
    fs.mkdirSync(path.join(root, 'outside'), { recursive: true });
    fs.writeFileSync(path.join(root, 'outside', 'precious'), 'x');
    await assert.rejects(store.deletePrefix('../outside/'), /is not a relative/);
    assert.equal(fs.existsSync(path.join(root, 'outside', 'precious')), true, 'nothing outside the root was deleted');
  });

  test('a writer killed with -9 in the middle of a write leaves the previous object whole, and no listed part', async () => {
    const dir = path.join(root, 'killed');
    const store = new LocalCheckpointStore(dir);
    await store.write('metadata/checkpoint', 'previous');
    // A child process writes a 256 MiB object over it and is killed once the write is under way.
    const storeModule = pathToFileURL(path.resolve(import.meta.dirname, '../../src/checkpoint/local-checkpoint-store.js')).href;
    const script = `const { LocalCheckpointStore } = await import(${JSON.stringify(storeModule)});
      process.stdout.write('go\\n');
      await new LocalCheckpointStore(${JSON.stringify(dir)}).write('metadata/checkpoint', Buffer.alloc(256 * 1024 * 1024, 7));
      process.stdout.write('done\\n');`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
    // Kill it once its temporary file has data in it.
    const deadline = Date.now() + 60_000;
    let partial = false;
    while (!partial && Date.now() < deadline && child.exitCode === null) {
      partial = fs.existsSync(path.join(dir, 'metadata')) && fs.readdirSync(path.join(dir, 'metadata')).some((f) => f !== 'checkpoint' && fs.statSync(path.join(dir, 'metadata', f)).size > 0);
      if (!partial) await new Promise((r) => setTimeout(r, 2));
    }
    child.kill('SIGKILL');
    await exited;
    assert.ok(partial, 'the writer had begun writing when it was killed');
    assert.ok(!out.includes('done'), 'the writer was killed before its write completed');
    assert.equal((await store.read('metadata/checkpoint'))?.toString(), 'previous');
    assert.deepEqual(await store.list(''), [{ key: 'metadata/checkpoint', size: 8 }], 'the half-written temporary file is not an object');
    assert.equal(filesUnder(dir).length, 2, 'the temporary file is still on disk');
    await store.deletePrefix('metadata/');
    assert.deepEqual(filesUnder(dir), [], 'deletePrefix removes what a killed writer left');
  });
});

describe('checkpoint locations and the scheme registry', () => {
  test('plain paths and file:// URLs open a local store at the absolute path', () => {
    assert.equal(normalizeCheckpointLocation('rel/dir', 'x'), path.resolve('rel/dir'));
    assert.equal(normalizeCheckpointLocation('file:///tmp/a/b', 'x'), '/tmp/a/b');
    assert.equal(normalizeCheckpointLocation('S3://Bucket/p/q//', 'x'), 's3://Bucket/p/q');
    assert.equal(joinCheckpointLocation('s3://b/p', 'state', 'x'), 's3://b/p/state/x');
    assert.equal(joinCheckpointLocation('/tmp/c', 'state', 'x'), '/tmp/c/state/x');
    const store = openCheckpointStore(`file://${path.join(root, 'viaurl')}`);
    assert.ok(store instanceof LocalCheckpointStore);
    assert.equal(store.location, path.join(root, 'viaurl'));
    assert.equal(openCheckpointStore(path.join(root, 'viaurl')), store, 'the same store for the same location');
    assert.throws(() => normalizeCheckpointLocation('', 'ssc.checkpoint'), /ssc\.checkpoint: expected a checkpoint directory/);
  });

  test('an s3:// location without @sluice/s3 loaded, or an unknown scheme, is an error naming the scheme and the fix', () => {
    assert.throws(
      () => openCheckpointStore('s3://bucket/prefix'),
      (e: unknown) =>
        e instanceof SluiceError && e.code === 'SLUICE_CHECKPOINT' && e.message.includes("'s3://' scheme is provided by @sluice/s3") && e.message.includes("import '@sluice/s3'") && e.message.includes('npm install @sluice/s3'),
    );
    assert.throws(() => openCheckpointStore('gs://bucket/prefix'), (e: unknown) => e instanceof SluiceError && e.code === 'SLUICE_CHECKPOINT' && /no checkpoint store handles the 'gs:\/\/' scheme/.test(e.message));
  });

  test('a registered scheme opens through its factory, in every copy of core loaded in the thread', async () => {
    const opened: string[] = [];
    const fake = (location: string): CheckpointStore => {
      opened.push(location);
      return new LocalCheckpointStore(path.join(root, 'fake', location.replace(/[^a-z0-9]/gi, '_')));
    };
    registerCheckpointStore('memtest', fake, '@sluice/memtest');
    const a = openCheckpointStore('memtest://b/p/');
    assert.equal(openCheckpointStore('memtest://b/p'), a);
    assert.deepEqual(opened, ['memtest://b/p']);
    // A second instance of the registry module (as a job bundle linked against another
    // copy of core would load) sees the same registration: it lives on globalThis.
    const url = new URL('../../src/checkpoint/checkpoint-store-registry.js', import.meta.url);
    url.search = '?second-copy';
    const copy = (await import(url.href)) as typeof import('../../src/checkpoint/checkpoint-store-registry.js');
    assert.notEqual(copy.openCheckpointStore, openCheckpointStore, 'a separate module instance');
    assert.equal(copy.openCheckpointStore('memtest://b/p'), a);
    // Registering again replaces the factory and drops the stores opened with the old one.
    registerCheckpointStore('memtest', fake, '@sluice/memtest');
    assert.notEqual(openCheckpointStore('memtest://b/p'), a);
    assert.throws(() => registerCheckpointStore('file', fake, 'x'), /cannot be registered/);
  });

  test('the stores kept open per thread are bounded: a stream opens a new location every checkpoint', () => {
    let made = 0;
    registerCheckpointStore('boundtest', (location) => (made++, new LocalCheckpointStore(path.join(root, 'bound', location.slice(-4)))), '@sluice/boundtest');
    const first = openCheckpointStore('boundtest://b/state/stream-1-0000');
    for (let i = 1; i < 200; i++) openCheckpointStore(`boundtest://b/state/stream-1-${String(i).padStart(4, '0')}`);
    assert.equal(made, 200);
    const last = openCheckpointStore('boundtest://b/state/stream-1-0199');
    assert.equal(made, 200, 'a recent location is still open');
    assert.notEqual(openCheckpointStore('boundtest://b/state/stream-1-0000'), first, 'an old one was let go');
    assert.equal(made, 201);
    assert.equal(openCheckpointStore('boundtest://b/state/stream-1-0199'), last);
  });
});
