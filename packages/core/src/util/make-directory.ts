import fs from 'node:fs';
import path from 'node:path';

/**
 * `fs.mkdirSync(dir, { recursive: true })` that cannot spin: it makes the missing directories
 * from the top down, and a directory whose parent exists but that still cannot be made
 * (ENOENT) fails with that error. Node's recursive mkdir retries such a directory forever with
 * the main thread busy (seen: `ssc.checkpoint('/proc/nope')` hung `sluice run`, SIGTERM
 * included), as on /proc or /sys, where mkdir answers ENOENT beside a parent that is there.
 * Returns the first directory made, or undefined if `dir` was there (as mkdirSync does).
 * `mode` (less the umask, as mkdir's) is each made directory's; one that was there keeps its own.
 */
export function makeDirectorySync(dir: string, mode?: number): string | undefined {
  try {
    fs.mkdirSync(dir, { mode });
    return dir;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' && fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) return undefined;
    const parent = path.dirname(dir);
    if (code !== 'ENOENT' || parent === dir) throw err;
    const first = makeDirectorySync(parent, mode);
    try {
      fs.mkdirSync(dir, { mode });
    } catch (again) {
      // Made meanwhile by another process: as good as made here.
      if ((again as NodeJS.ErrnoException).code !== 'EEXIST' || !fs.statSync(dir).isDirectory()) throw again;
    }
    return first ?? dir;
  }
}

/** makeDirectorySync without blocking: the same directories made, the same errors. */
export async function makeDirectory(dir: string): Promise<string | undefined> {
  try {
    await fs.promises.mkdir(dir);
    return dir;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' && (await fs.promises.stat(dir).catch(() => undefined))?.isDirectory()) return undefined;
    const parent = path.dirname(dir);
    if (code !== 'ENOENT' || parent === dir) throw err;
    const first = await makeDirectory(parent);
    try {
      await fs.promises.mkdir(dir);
    } catch (again) {
      // Made meanwhile by another writer (two tasks of one job): as good as made here.
      if ((again as NodeJS.ErrnoException).code !== 'EEXIST' || !(await fs.promises.stat(dir)).isDirectory()) throw again;
    }
    return first ?? dir;
  }
}
