import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ThreadCode } from '@sluice/core/internal';

/** How the command's code was loaded (cli-entry sets it; main logs it at debug level). */
export interface CliCode {
  readonly from: 'bundle' | 'modules';
  /** Why the modules ran (no bundle, a stale one, SLUICE_NO_BUNDLE). */
  readonly reason?: string;
  /** Whether the bundle's compiled code came from V8's code cache. */
  readonly codeCache?: boolean;
  /**
   * With the bundle: the directory of the thread bundles made with it (dist/threads, see
   * scripts/bundle-cli.mjs), which the driver's and the workers' threads then run.
   */
  readonly threads?: string;
  /** Which build of cli-entry started the process: 'esm' (dist/src/cli-entry.js), or 'cjs' (dist/sluice-entry.cjs, sluice run's local workers). */
  readonly entry?: 'esm' | 'cjs';
}

/** The global slot cli-entry fills before the command's code runs. */
export const CLI_CODE = Symbol.for('sluice.cliCode');

export function cliCode(): CliCode {
  return (globalThis as Record<symbol, CliCode | undefined>)[CLI_CODE] ?? { from: 'modules', reason: 'started without cli-entry (dist/src/main.js run directly)' };
}

/**
 * What the command's `kind` threads run: its thread bundle when the command runs its bundle
 * (one made together with it, so the same code), else undefined (the packages' modules).
 */
export function cliThreadCode(kind: 'task' | 'job'): ThreadCode | undefined {
  const dir = cliCode().threads;
  if (dir === undefined) return undefined;
  return { entry: pathToFileURL(path.join(dir, `${kind}-thread.mjs`)), coreDir: dir };
}
