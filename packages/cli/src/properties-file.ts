import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { SluiceError } from '@sluice/core/internal';
import { leadingOptionTokens } from './job-arguments.js';
import { sparkKeyInstead } from './spark-conf-keys.js';
import { commandsTaking, propertyOption, type PropertiesCommand } from './spark-properties.js';

/** One `key value` line of a properties file. */
export interface PropertyLine {
  readonly line: number;
  readonly key: string;
  readonly value: string;
}

/**
 * A Spark properties file (conf/spark-defaults.conf, `--properties-file`), read as Spark reads
 * it with java.util.Properties: a key, then whitespace, `=` or `:`, then the value (trimmed, as
 * Spark trims it); `#` and `!` start a comment line; a line ending in `\` goes on on the next.
 */
export function parseProperties(text: string): PropertyLine[] {
  const out: PropertyLine[] = [];
  const lines = text.split(/\r?\n|\r/);
  for (let i = 0; i < lines.length; i++) {
    const first = i + 1;
    let line = lines[i].replace(/^\s+/, '');
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    while (/(^|[^\\])(\\\\)*\\$/.test(line) && i + 1 < lines.length) line = line.slice(0, -1) + lines[++i].replace(/^\s+/, '');
    const m = /^([^\s=:]+)\s*(?:[=:]\s*)?(.*)$/.exec(line);
    if (m) out.push({ line: first, key: m[1], value: m[2].trim() });
  }
  return out;
}

/** What the command line becomes with a properties file's settings, and what to say on stderr. */
export interface PropertiesApplied {
  readonly tokens: string[];
  readonly notices: string[];
}

/**
 * The properties file of `sluice run`, `submit` or `driver` applied to its tokens (after the
 * command's name): `--properties-file FILE` among its options, else `$SPARK_CONF_DIR/spark-defaults.conf`
 * when that exists, as spark-submit reads one or the other. Each property the command takes
 * becomes its option, put before the command line's own options so a flag given there wins
 * (Spark's precedence: flags over the file); any property it does not take fails the command,
 * naming each with its line and where Sluice sets it, before anything runs (nothing in Sluice
 * takes a setting and ignores it). A key not starting with `spark.` is ignored with Spark's warning.
 */
export function applyPropertiesFile(cmd: Command, command: PropertiesCommand, tokens: readonly string[], env: NodeJS.ProcessEnv): PropertiesApplied {
  const n = leadingOptionTokens(cmd, tokens);
  const options = tokens.slice(0, n);
  if (options.includes('-h') || options.includes('--help')) return { tokens: [...tokens], notices: [] };
  const file = propertiesFileOf(options, env);
  if (file === undefined) return { tokens: [...tokens], notices: [] };
  let text: string;
  try {
    text = fs.readFileSync(file.path, 'utf8');
  } catch (err) {
    throw new SluiceError('SLUICE_BAD_ARGUMENT', `sluice ${command}: cannot read the properties file ${file.path} (${file.from}): ${(err as Error).message}`, { cause: err });
  }
  const lines = parseProperties(text);
  // The last line of a key counts, as java.util.Properties keeps the last.
  const all = new Map(lines.map((l) => [l.key, l.value]));
  const refused: string[] = [];
  const added: string[] = [];
  const logged: string[] = [];
  const notices: string[] = [];
  const logConf = (all.get('spark.logConf') ?? '').trim().toLowerCase() === 'true';
  for (const l of lines) {
    if (all.get(l.key) !== l.value) continue;
    if (!l.key.startsWith('spark.')) {
      notices.push(`Warning: Ignoring non-Spark config property: ${l.key} (${file.path}, line ${l.line})`);
      continue;
    }
    if (l.key === 'spark.logConf') {
      if (!['true', 'false'].includes(l.value.trim().toLowerCase())) refused.push(`line ${l.line}: spark.logConf: '${l.value.slice(0, 100)}' is not a boolean: give true or false`);
      continue;
    }
    const outcome = propertyOption(command, l.key, l.value, all);
    if (outcome === undefined) {
      refused.push(`line ${l.line}: ${l.key}: ${whyRefused(command, l.key, l.value)}`);
    } else if ('refused' in outcome) {
      refused.push(`line ${l.line}: ${l.key}: ${outcome.refused}`);
    } else if (badValue(cmd, outcome.tokens) !== undefined) {
      refused.push(`line ${l.line}: ${l.key}: ${badValue(cmd, outcome.tokens)}`);
    } else {
      added.push(...outcome.tokens);
      const flag = outcome.tokens[0];
      const over = flag !== undefined && options.some((t) => t === flag || t.startsWith(`${flag}=`));
      logged.push(`  ${l.key} ${l.value}: ${outcome.tokens.length === 0 ? '(no option: as without it)' : outcome.tokens.join(' ')}${over ? ` (the command line's ${flag} wins)` : ''}`);
    }
  }
  if (refused.length > 0) {
    throw new SluiceError(
      'SLUICE_BAD_ARGUMENT',
      `sluice ${command}: the properties file ${file.path} (${file.from}) sets ${refused.length === 1 ? 'a property' : `${refused.length} properties`} that sluice ${command} does not take, or not with that value; nothing ran. Set each where it says, or remove it:\n${refused.map((r) => `  ${r}`).join('\n')}\nSee 'sluice ${command} --help'.`,
    );
  }
  if (logConf) notices.push(`properties from ${file.path} (spark.logConf):${logged.length === 0 ? ' none' : `\n${logged.join('\n')}`}`);
  return { tokens: [...added, ...tokens], notices };
}

function propertiesFileOf(options: readonly string[], env: NodeJS.ProcessEnv): { path: string; from: string } | undefined {
  for (let i = 0; i < options.length; i++) {
    if (options[i] === '--properties-file' && i + 1 < options.length) return { path: path.resolve(options[i + 1]), from: '--properties-file' };
    if (options[i].startsWith('--properties-file=')) return { path: path.resolve(options[i].slice('--properties-file='.length)), from: '--properties-file' };
  }
  const dir = env.SPARK_CONF_DIR;
  if (dir === undefined || dir === '') return undefined;
  const defaults = path.resolve(dir, 'spark-defaults.conf');
  return fs.existsSync(defaults) ? { path: defaults, from: '$SPARK_CONF_DIR/spark-defaults.conf' } : undefined;
}

function whyRefused(command: PropertiesCommand, key: string, value: string): string {
  const instead = sparkKeyInstead(key, value === '' ? '...' : value);
  const others = commandsTaking(key);
  const taken = others.length > 0 ? `a setting of ${others.join(' and ')} (in its properties file too)` : undefined;
  if (instead !== undefined && taken !== undefined) return `${taken}; ${instead}`;
  return instead ?? taken ?? `not a setting Sluice has (README "Configuration" lists the properties sluice ${command} takes)`;
}

/** Why the option `tokens` make (`--task-max-failures x`) is refused by that option's own check, or undefined when it takes it. */
function badValue(cmd: Command, tokens: readonly string[]): string | undefined {
  if (tokens.length !== 2) return undefined;
  const parse = cmd.options.find((o) => o.long === tokens[0])?.parseArg;
  if (parse === undefined) return undefined;
  try {
    parse(tokens[1], undefined);
    return undefined;
  } catch (err) {
    return `'${tokens[1].slice(0, 100)}' is refused as ${tokens[0]}: ${(err as Error).message}`;
  }
}
