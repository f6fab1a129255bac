// Running sluice as the user nobody, for the tests of directories a process may not write
// (checkpoint-read-only, state-read-only, wal-read-only, local-dir-read-only): as root, a
// directory made read-only is still written.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI_BIN, REPO_DIR, fixture } from './harness.js';

/**
 * setpriv's arguments for nobody, allowed to read (never to write) any file, so that it can run a
 * checkout it could not otherwise reach (a CI clone or the mutants' copies under a 0700
 * temporary directory).
 */
export const NOBODY = ['--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=+dac_read_search', '--ambient-caps=+dac_read_search'];

/** Why a test cannot run `what` (sluice, a worker) as nobody here, for its `skip`; false when it can. */
export function cannotRunAsNobody(what: string): string | false {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return `needs root, to run ${what} as nobody`;
  return spawnSync('setpriv', [...NOBODY, 'head', '-c', '1', CLI_BIN]).status !== 0 ? 'needs setpriv (util-linux) with --ambient-caps' : false;
}

/** A new temporary directory nobody owns (mode 755), holding a directory of each of `names`: the root and their paths. */
export function nobodysDirs(prefix: string, names: readonly string[]): { readonly root: string; readonly dirs: string[] } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(root, 0o755);
  const dirs = names.map((d) => path.join(root, d));
  for (const d of dirs) fs.mkdirSync(d);
  spawnSync('chown', ['-R', '65534:65534', root]);
  return { root, dirs };
}

/**
 * `sluice run --workers 1` of the fixture `fixtureFile` as nobody, from the repository, with HOME at
 * `home` and `args` after the fixture: stdout ignored, each piece of stderr handed to `onStderr`,
 * in a process group of its own (`process.kill(-child.pid)` stops its cluster).
 */
export function runSluiceAsNobody(fixtureFile: string, args: readonly string[], home: string, onStderr: (text: string) => void): ChildProcess {
  const child = spawn('setpriv', [...NOBODY, process.execPath, CLI_BIN, 'run', '--workers', '1', fixture(fixtureFile), ...args], {
    cwd: REPO_DIR,
    env: { ...process.env, HOME: home },
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  child.stderr!.on('data', (d: Buffer) => onStderr(d.toString()));
  return child;
}

/** Writes file `f<i>` of two lines (`l<i>-a`, `l<i>-b`) into `dir` whole (written aside, then renamed, as a file stream wants) and returns its lines. */
export function dropLines(dir: string, i: number): string[] {
  const lines = [`l${i}-a`, `l${i}-b`];
  fs.writeFileSync(path.join(dir, `.f${i}`), lines.join('\n') + '\n');
  fs.renameSync(path.join(dir, `.f${i}`), path.join(dir, `f${i}`));
  return lines;
}
