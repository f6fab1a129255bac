import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { DriverStateStore, processStartTime } from '../../src/state/driver-state-store.js';

const log = pino({ level: 'silent' });
let other: ChildProcess;
let dir: string;

before(() => {
  // A live process that is not a driver: it stands for whatever holds the old driver's pid
  // in a container started again on the same state volume.
  other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-state-lock-'));
});

after(() => {
  other.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
});

function lockWith(text: string): string {
  const d = fs.mkdtempSync(path.join(dir, 's-'));
  fs.writeFileSync(path.join(d, 'driver.pid'), text);
  return d;
}

test('a live process with the pid and start time in driver.pid holds the state dir', { skip: !fs.existsSync('/proc/self/stat') }, () => {
  const started = fs.readFileSync(`/proc/${other.pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[19];
  assert.equal(processStartTime(other.pid!), started);
  const d = lockWith(`${other.pid} ${started}\n`);
  assert.throws(() => new DriverStateStore(d, log), (err: Error & { code?: string }) => err.code === 'SLUICE_BAD_ARGUMENT' && err.message.includes(`the driver with pid ${other.pid} uses it`));
});

test('a live process that only got the old pid (another start time) does not: the driver takes the dir over', { skip: !fs.existsSync('/proc/self/stat') }, () => {
  const d = lockWith(`${other.pid} 1\n`);
  new DriverStateStore(d, log);
  const [pid, started] = fs.readFileSync(path.join(d, 'driver.pid'), 'utf8').trim().split(' ');
  assert.equal(Number(pid), process.pid);
  assert.equal(started, fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ')[19]);
});

test('a lock file with a live pid and no start time (an older driver) still holds the dir', () => {
  const d = lockWith(`${other.pid}\n`);
  assert.throws(() => new DriverStateStore(d, log), /the driver with pid \d+ uses it/);
});

test('the pid of a dead process is taken over', async () => {
  const dead = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await new Promise((r) => dead.once('exit', r));
  const d = lockWith(`${dead.pid} 5\n`);
  new DriverStateStore(d, log);
  assert.equal(Number(fs.readFileSync(path.join(d, 'driver.pid'), 'utf8').split(' ')[0]), process.pid);
});

test("a registry whose rename is refused reports the rename's error and its fix, though its temporary file cannot be removed either", () => {
  // The state dir made read-only between the temporary file's write and its rename (a
  // submission registering its job): rename and clean-up both fail with EACCES. The rename's
  // error and the not-writable fix are what the user acts on, not the clean-up's 'unlink'.
  const d = fs.mkdtempSync(path.join(dir, 'refused-'));
  const store = new DriverStateStore(d, log);
  const sha = 'ab'.repeat(32);
  fs.writeFileSync(path.join(d, 'bundles', `${sha}.mjs`), 'export {};'); // kept already: only the registry is written
  const job = { id: 'job-1', name: 'j', bundleSha: sha, args: [], parallelism: 2, supervise: false, restartsLeft: 0, attempt: 1, state: 'running' } as const;
  const refused = (syscall: string, p: string): NodeJS.ErrnoException => Object.assign(new Error(`EACCES: permission denied, ${syscall} '${p}'`), { code: 'EACCES', syscall, path: p });
  const { renameSync, rmSync } = fs;
  fs.renameSync = ((from: fs.PathLike, to: fs.PathLike) => {
    if (String(to) === path.join(d, 'jobs.json')) throw refused('rename', String(from));
    renameSync(from, to);
  }) as typeof renameSync;
  fs.rmSync = ((p: fs.PathLike, options?: fs.RmOptions) => {
    if (String(p).startsWith(path.join(d, 'jobs.json.'))) throw refused('unlink', String(p));
    rmSync(p, options);
  }) as typeof rmSync;
  try {
    assert.throws(
      () => store.add(job, Buffer.from('export {};'), ''),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, 'SLUICE_IO', err.message);
        assert.ok(err.message.startsWith(`cannot write the driver state ${path.join(d, 'jobs.json')}: EACCES: permission denied, rename '${path.join(d, 'jobs.json.')}`), err.message);
        assert.ok(err.message.endsWith(`: '${d}' is not writable by user ${os.userInfo().username} (uid ${process.getuid!()}), as which this process runs: make it writable by that user (chown ${os.userInfo().username} '${d}', or chmod u+w), or start the driver with --state-dir elsewhere`), err.message);
        assert.doesNotMatch(err.message, /unlink/);
        return true;
      },
    );
  } finally {
    fs.renameSync = renameSync;
    fs.rmSync = rmSync;
    store.close();
  }
  assert.deepEqual(store.registered, [], 'the job is not registered');
});

test("a registry whose sync finds the disk full reports the full disk and its fix, though the file's close fails too", () => {
  // On NFS a full disk or quota is reported at fsync and again (or as EIO) at close: the
  // close's error replaced the sync's ('cannot write the driver state ...: EIO'), without the fix.
  const d = fs.mkdtempSync(path.join(dir, 'sync-full-'));
  const store = new DriverStateStore(d, log);
  const sha = 'cd'.repeat(32);
  fs.writeFileSync(path.join(d, 'bundles', `${sha}.mjs`), 'export {};'); // kept already: only the registry is written
  const job = { id: 'job-2', name: 'j', bundleSha: sha, args: [], parallelism: 2, supervise: false, restartsLeft: 0, attempt: 1, state: 'running' } as const;
  const errno = (code: string, text: string, syscall: string): NodeJS.ErrnoException => Object.assign(new Error(`${code}: ${text}, ${syscall}`), { code, syscall });
  const { openSync, fsyncSync, closeSync } = fs;
  const registry = new Set<number>();
  fs.openSync = ((p: fs.PathLike, flags?: fs.OpenMode, mode?: fs.Mode) => {
    const fd = openSync(p, flags ?? 'r', mode);
    if (String(p).startsWith(path.join(d, 'jobs.json.'))) registry.add(fd);
    return fd;
  }) as typeof openSync;
  fs.fsyncSync = ((fd: number) => {
    if (registry.has(fd)) throw errno('ENOSPC', 'no space left on device', 'fsync');
    fsyncSync(fd);
  }) as typeof fsyncSync;
  fs.closeSync = ((fd: number) => {
    closeSync(fd);
    if (registry.delete(fd)) throw errno('EIO', 'i/o error', 'close');
  }) as typeof closeSync;
  try {
    assert.throws(
      () => store.add(job, Buffer.from('export {};'), ''),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, 'SLUICE_DISK_FULL', err.message);
        assert.ok(err.message.startsWith(`disk full: cannot write the driver state (its registry of jobs) to '${path.join(d, 'jobs.json')}' `), err.message);
        assert.ok(err.message.includes('start the driver with --state-dir on a disk with space'), err.message);
        assert.doesNotMatch(err.message, /EIO/);
        return true;
      },
    );
  } finally {
    fs.openSync = openSync;
    fs.fsyncSync = fsyncSync;
    fs.closeSync = closeSync;
    store.close();
  }
  assert.deepEqual(fs.readdirSync(d).filter((f) => f.startsWith('jobs.json')), [], 'no registry, no temporary file');
});

test("the numbers each driver gave: a driver started on DIR writes its first number at once, so the next one tells of that driver's jobs alone", () => {
  const d = fs.mkdtempSync(path.join(dir, 'n-'));
  // Written by a driver before firstJobNumber existed: it numbered 1-3.
  fs.writeFileSync(path.join(d, 'jobs.json'), JSON.stringify({ version: 1, nextJobNumber: 4, jobs: [] }));
  const second = new DriverStateStore(d, log);
  assert.deepEqual(second.earlierJobNumbers, { below: 4, from: 1 });
  // It gives no number and is stopped; the next driver knows it numbered from 4 (none).
  second.close();
  const third = new DriverStateStore(d, log);
  assert.deepEqual(third.earlierJobNumbers, { below: 4, from: 4 });
  third.takeJobNumber();
  third.numberTaken();
  third.close();
  assert.deepEqual(new DriverStateStore(d, log).earlierJobNumbers, { below: 5, from: 4 });
});
