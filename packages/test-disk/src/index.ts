// A full disk for tests: a small tmpfs mounted on a directory for one test file, and a
// filler file written until the kernel refuses a byte more (ENOSPC). Mounting needs root:
// outside CI a test skips without it (mountTmpfs says why); under CI (CI set) it fails.
//
// A mount must not outlive its test process: a file whose after() is never reached (killed
// by run-tests.mjs's bound, or by hand) would leave it for good. So each mount is recorded
// outside it, in os.tmpdir()/sluice-test-disk-mounts/ (the process's pid and start time, and
// the directory), and every mountTmpfs first unmounts the recorded mounts whose process is
// gone; a process that exits with its mounts still there (an after() not reached) unmounts
// them as it exits.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const REGISTRY = path.join(os.tmpdir(), 'sluice-test-disk-mounts');
/** This process's mounts still there: directory -> its record file. */
const mine = new Map<string, string>();

/** A process's start time (/proc/<pid>/stat field 22), which tells it from a later one given the same pid; undefined when there is none. */
function startTimeOf(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function mountedDirs(): Set<string> {
  return new Set(fs.readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1]!).filter(Boolean));
}

/** Unmounts the recorded mounts whose process is gone (killed before its after() unmounted them); returns their directories. */
export function unmountStaleTmpfs(): string[] {
  let records: string[];
  try {
    records = fs.readdirSync(REGISTRY);
  } catch {
    return [];
  }
  const gone: string[] = [];
  const mounted = mountedDirs();
  for (const name of records) {
    const [pid, start] = name.split('-');
    if (startTimeOf(Number(pid)) === start) continue; // its process still runs
    const record = path.join(REGISTRY, name);
    let dir: string | undefined;
    try {
      dir = (JSON.parse(fs.readFileSync(record, 'utf8')) as { dir: string }).dir;
    } catch {
      // half written as its process died: nothing was mounted after it
    }
    if (dir !== undefined && mounted.has(dir)) {
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
      gone.push(dir);
      try {
        fs.rmdirSync(dir);
      } catch {
        // not empty, or gone: left as it is
      }
    }
    fs.rmSync(record, { force: true });
  }
  return gone;
}

process.once('exit', () => {
  for (const dir of [...mine.keys()]) {
    try {
      unmountTmpfs(dir);
    } catch {
      // busy or gone: the next mountTmpfs unmounts it
    }
  }
});

/**
 * Mounts a tmpfs of `size` (mount's size=, e.g. '16m') on `dir`, made if missing, first
 * unmounting the mounts of test processes that are gone (unmountStaleTmpfs). Returns
 * undefined once mounted, or why it could not be (not root); under CI that throws instead.
 * Unmount it with unmountTmpfs.
 */
export function mountTmpfs(dir: string, size = '16m'): string | undefined {
  fs.mkdirSync(dir, { recursive: true });
  try {
    unmountStaleTmpfs();
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (err) {
    const cannot = `cannot mount a tmpfs (needs root): ${(err as Error).message}`;
    if (process.env.CI) throw new Error(cannot);
    return cannot;
  }
  const abs = fs.realpathSync(dir); // as /proc/self/mounts names it
  fs.mkdirSync(REGISTRY, { recursive: true });
  const record = path.join(REGISTRY, `${process.pid}-${startTimeOf(process.pid)}-${crypto.randomBytes(4).toString('hex')}.json`);
  fs.writeFileSync(record, JSON.stringify({ dir: abs }));
  mine.set(abs, record);
  return undefined;
}

export function unmountTmpfs(dir: string): void {
  const abs = fs.realpathSync(dir);
  execFileSync('umount', [dir]);
  const record = mine.get(abs);
  if (record !== undefined) fs.rmSync(record, { force: true });
  mine.delete(abs);
}

/**
 * Fills the file system `file` is on by appending to `file`: 64 KiB pieces until the kernel
 * refuses one with ENOSPC, then 4 KiB pieces, then single bytes. The large pieces alone leave
 * up to 60 KiB, room for small writes that should meet the full disk (a direct stream's
 * metadata checkpoints of a few KiB each: kafka-disk-full saw none refused in 1 run of 5).
 * Any failure but ENOSPC fails the test. Remove `file` to give the space back.
 */
export function fillDisk(file: string): void {
  const fd = fs.openSync(file, 'a');
  try {
    for (const size of [64 * 1024, 4096, 1]) {
      const piece = Buffer.alloc(size, 7);
      try {
        for (;;) fs.writeSync(fd, piece);
      } catch (err) {
        assert.equal((err as NodeJS.ErrnoException).code, 'ENOSPC');
      }
    }
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Fills the disk as fillDisk does, then keeps it full: every `everyMs` it takes back any space
 * freed meanwhile, until `stop()`. A writer that deletes old files after each new one (a
 * metadata checkpoint's rotation) otherwise finds room again: a write in flight as the disk
 * filled, renamed and followed by its deletion of the oldest, left room for the next one and
 * so on, and kafka-disk-full saw no write refused in 30 s (CI, load 17).
 */
export function holdDiskFull(file: string, everyMs = 5): { stop(): void } {
  fillDisk(file);
  const timer = setInterval(() => fillDisk(file), everyMs);
  timer.unref(); // a test that failed before stop() does not keep its process alive
  return { stop: () => clearInterval(timer) };
}
export { killPaused, killStalePaused, pause, pausedNow, resume, resumeAll, type Victim } from './pause.js';
