// A full disk for tests: a small tmpfs mounted on a directory for one test file, and a
// filler file written until the kernel refuses a byte more (ENOSPC). Mounting needs root:
// outside CI a test skips without it (mountTmpfs says why); under CI (CI set) it fails.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

/**
 * Mounts a tmpfs of `size` (mount's size=, e.g. '16m') on `dir`, made if missing. Returns
 * undefined once mounted, or why it could not be (not root); under CI that throws instead.
 * Unmount it with unmountTmpfs.
 */
export function mountTmpfs(dir: string, size = '16m'): string | undefined {
  fs.mkdirSync(dir, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' });
    return undefined;
  } catch (err) {
    const cannot = `cannot mount a tmpfs (needs root): ${(err as Error).message}`;
    if (process.env.CI) throw new Error(cannot);
    return cannot;
  }
}

export function unmountTmpfs(dir: string): void {
  execFileSync('umount', [dir]);
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
