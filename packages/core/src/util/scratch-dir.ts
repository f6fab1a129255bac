import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';

/** The file in a scratch directory that names the process owning it. */
export const SCRATCH_OWNER_FILE = 'owner.pid';

/**
 * Make a process's scratch directory, `<tmp>/sluice-<name>-XXXXXX`, with an owner file
 * holding this process's pid. A process that dies without cleaning up (kill -9) leaves it;
 * the next Sluice process started on the machine removes it (`removeDeadScratchDirs`).
 */
export function makeScratchDir(name: string, root: string = os.tmpdir()): string {
  const dir = fs.mkdtempSync(path.join(root, `sluice-${name}-`));
  fs.writeFileSync(path.join(dir, SCRATCH_OWNER_FILE), `${process.pid}\n`);
  return dir;
}

/**
 * Make scratch directory `dir` again if it is gone, with its owner file naming this process,
 * as makeScratchDir made it: a directory removed from under its process (a cleaner of /tmp,
 * Debian's systemd-tmpfiles) and made again without it would be left for good after a kill -9
 * of its owner, removeDeadScratchDirs leaving alone what has no owner file. Whether the owner
 * file was written.
 */
export function keepScratchDir(dir: string): boolean {
  const owner = path.join(dir, SCRATCH_OWNER_FILE);
  if (fs.existsSync(owner)) return false;
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(owner, `${process.pid}\n`);
  return true;
}

/** Whether a process with this pid exists (EPERM: it exists, as another user's). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Remove the scratch directories under `root` whose owner process is dead. Only
 * directories named `sluice-*` that hold an owner file are touched: a directory without
 * one (being created, or not Sluice's) is left alone, and so is one whose owner lives
 * (a reused pid errs on the side of keeping). Returns the directories removed.
 */
export function removeDeadScratchDirs(log: Logger, root: string = os.tmpdir()): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(root).filter((n) => n.startsWith('sluice-'));
  } catch (err) {
    log.warn({ err, root }, 'cannot list the scratch root');
    return removed;
  }
  for (const n of names) {
    const dir = path.join(root, n);
    let pid: number;
    try {
      pid = Number.parseInt(fs.readFileSync(path.join(dir, SCRATCH_OWNER_FILE), 'utf8'), 10);
    } catch {
      continue; // No owner file: not ours to judge.
    }
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || processAlive(pid)) continue;
    try {
      fs.rmSync(dir, { recursive: true, force: true });
      removed.push(dir);
    } catch (err) {
      log.warn({ err, dir }, 'cannot remove a dead process’s scratch directory');
    }
  }
  if (removed.length > 0) log.info({ dirs: removed }, 'removed scratch directories of dead Sluice processes');
  return removed;
}
