/** How the command's code was loaded (cli-entry sets it; main logs it at debug level). */
export interface CliCode {
  readonly from: 'bundle' | 'modules';
  /** Why the modules ran (no bundle, a stale one, SLUICE_NO_BUNDLE). */
  readonly reason?: string;
  /** Whether the bundle's compiled code came from V8's code cache. */
  readonly codeCache?: boolean;
}

/** The global slot cli-entry fills before the command's code runs. */
export const CLI_CODE = Symbol.for('sluice.cliCode');

export function cliCode(): CliCode {
  return (globalThis as Record<symbol, CliCode | undefined>)[CLI_CODE] ?? { from: 'modules', reason: 'started without cli-entry (dist/src/main.js run directly)' };
}
