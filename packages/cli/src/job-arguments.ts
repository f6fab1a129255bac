import type { Command, Option } from 'commander';

/**
 * Where a job's own arguments start on the command line of `sluice run` and `sluice submit`.
 *
 * As spark-submit (`spark-submit [options] <app> [app arguments]`): sluice's options come
 * before the job file and everything after it is the job's, options included —
 * `sluice run --workers 3 job.ts a b --flag` gives the job `a b --flag`. A `--` right after
 * the job file is dropped (`sluice run job.ts -- --workers 3` gives the job `--workers 3`).
 *
 * The older form still works: sluice's options after the job file, then `--`, then the
 * job's arguments (`sluice submit job.ts --driver H:P --detach -- a b`). When a `--` follows
 * the job file and only this command's options stand between them, those are sluice's.
 */
export interface ArrangedArguments {
  /** The command's tokens (after its name) with sluice's options before the job file. */
  readonly tokens: string[];
  /** What to tell the user: a token after the job file that looks like one of sluice's options went to the job. */
  readonly notices: string[];
}

export function arrangeJobArguments(cmd: Command, tokens: readonly string[]): ArrangedArguments {
  const unchanged = { tokens: [...tokens], notices: [] };
  let j = 0;
  while (j < tokens.length) {
    const t = tokens[j];
    if (t === '--') return unchanged; // the job file follows: everything after it is the job's
    if (!isOptionLike(t)) break;
    const n = optionTokens(cmd, tokens, j);
    if (n === 0) return unchanged; // not an option of this command: commander reports it
    j += n;
  }
  if (j >= tokens.length) return unchanged;
  const job = tokens[j];
  const after = tokens.slice(j + 1);
  const dashes = after.indexOf('--');
  if (dashes > 0) {
    let k = 0;
    for (let n = optionTokens(cmd, after, k); n > 0 && k + n <= dashes; n = optionTokens(cmd, after, k)) k += n;
    if (k === dashes) return { tokens: [...tokens.slice(0, j), ...after.slice(0, dashes), job, '--', ...after.slice(dashes + 1)], notices: [] };
  }
  const jobs = dashes === 0 ? [] : dashes > 0 ? after.slice(0, dashes) : after;
  const notices = jobs
    .filter((t) => isOptionLike(t) && findOption(cmd, t.split('=')[0]) !== undefined)
    .map(
      (t) =>
        `${t.split('=')[0]} after the job file is passed to the job, not to sluice: sluice's options go before the job file (sluice ${cmd.name()} ${t.split('=')[0]} ... ${job}); to pass it to the job and not see this, write it after '${job} --'`,
    );
  return { tokens: [...tokens], notices };
}

/** How many of `tokens` (a command's, after its name) are that command's own options, before its job file or a `--`. */
export function leadingOptionTokens(cmd: Command, tokens: readonly string[]): number {
  let j = 0;
  while (j < tokens.length && tokens[j] !== '--' && isOptionLike(tokens[j])) {
    const n = optionTokens(cmd, tokens, j);
    if (n === 0) break;
    j += n;
  }
  return j;
}

/** The job's arguments as commander hands them over (everything after the job file), without a leading `--`. */
export function jobArguments(args: readonly string[]): string[] {
  return args[0] === '--' ? args.slice(1) : [...args];
}

function isOptionLike(t: string): boolean {
  return t.length > 1 && t.startsWith('-');
}

function findOption(cmd: Command, flag: string): Option | undefined {
  return cmd.options.find((o) => o.long === flag || o.short === flag);
}

/** How many tokens the option at `tokens[i]` takes (itself and its value), or 0 when it is not one of `cmd`'s. */
function optionTokens(cmd: Command, tokens: readonly string[], i: number): number {
  const t = tokens[i];
  if (t === '-h' || t === '--help') return 1;
  const eq = /^--[^=]+=/.test(t) ? t.indexOf('=') : -1;
  const o = findOption(cmd, eq >= 0 ? t.slice(0, eq) : t);
  if (!o) return 0;
  if (eq >= 0) return o.required || o.optional ? 1 : 0;
  if (o.required) return i + 1 < tokens.length ? 2 : 1;
  if (o.optional) return i + 1 < tokens.length && !isOptionLike(tokens[i + 1]) ? 2 : 1;
  return 1;
}
