// What the tests of the packages as a user gets them share (packed-install, init-next-steps):
// a command run as a user types it, its output shown in a failure's message, and a package of
// this checkout packed as `pnpm publish` would (`pnpm pack` rewrites `workspace:` ranges).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { REPO_DIR } from './harness.js';

export interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `cmd args` in `cwd` with `env` over this process's, failing the test if it outlives `timeoutMs`. */
export function runCommand(cmd: string, args: readonly string[], cwd: string, timeoutMs: number, env: NodeJS.ProcessEnv): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')} (in ${cwd}) ran over ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
  });
}

export const show = (r: Ran): string => `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;

/**
 * `pnpm pack` of packages/`name` into `dest` (the tarball `sluice-<name>-<version>.tgz`), which
 * must exit with 0. The cli's pack bundles it first (prepack): past 60 s at load 35, so 180 s.
 */
export async function packPackage(name: string, dest: string, env: NodeJS.ProcessEnv): Promise<void> {
  const r = await runCommand('bash', [path.join(REPO_DIR, 'scripts', 'pnpm.sh'), 'pack', '--pack-destination', dest], path.join(REPO_DIR, 'packages', name), 180_000, env);
  assert.equal(r.code, 0, `pnpm pack in packages/${name}: ${show(r)}`);
}
