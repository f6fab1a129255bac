// Running sluice as the user nobody, for the tests of directories a process may not write
// (checkpoint-read-only, state-read-only, wal-read-only, local-dir-read-only): as root, a
// directory made read-only is still written.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI_BIN } from './harness.js';

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
