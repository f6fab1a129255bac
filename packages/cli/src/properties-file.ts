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

/** One Spark property given to a command: a line of its properties file, or a `--conf KEY=VALUE`. */
interface GivenProperty {
  readonly key: string;
  readonly value: string;
  /** How a refusal names it: 'line 3', or '--conf spark.app.name=x'. */
  readonly label: string;
  readonly fromConf: boolean;
}

/**
 * The Spark properties of `sluice run`, `submit`, `driver` or `shell` applied to its tokens
 * (after the command's name): its properties file (`--properties-file FILE` among its
 * options, else `$SPARK_CONF_DIR/spark-defaults.conf` when that exists, as spark-submit reads
 * one or the other) and its `--conf KEY=VALUE` options, each `--conf` over the file's line of
 * that key, as spark-submit's SparkSubmitArguments takes them. Each property the command takes
 * becomes its option (the one table, spark-properties.ts), put before the command line's own
 * options so a flag given there wins (Spark's precedence: flags over --conf over the file); any
 * property it does not take fails the command, naming each with its line or its --conf and
 * where Sluice sets it, before anything runs (nothing in Sluice takes a setting and ignores
 * it). A key not starting with `spark.` is ignored with Spark's warning.
 */
export function applyPropertiesFile(cmd: Command, command: PropertiesCommand, tokens: readonly string[], env: NodeJS.ProcessEnv): PropertiesApplied {
  const n = leadingOptionTokens(cmd, tokens);
  const given = tokens.slice(0, n);
  if (given.includes('-h') || given.includes('--help')) return { tokens: [...tokens], notices: [] };
  const { confs, options } = takeConfs(given);
  const file = propertiesFileOf(options, env);
  if (file === undefined && confs.length === 0) return { tokens: [...tokens], notices: [] };
  const refused: string[] = [];
  const fileLines: GivenProperty[] = [];
  if (file !== undefined) {
    let text: string;
    try {
      text = fs.readFileSync(file.path, 'utf8');
    } catch (err) {
      throw new SluiceError('SLUICE_BAD_ARGUMENT', `sluice ${command}: cannot read the properties file ${file.path} (${file.from}): ${(err as Error).message}`, { cause: err });
    }
    for (const l of parseProperties(text)) fileLines.push({ key: l.key, value: l.value, label: `line ${l.line}`, fromConf: false });
  }
  const confLines: GivenProperty[] = [];
  for (const c of confs) {
    const eq = c.indexOf('=');
    if (eq < 0) refused.push(`--conf ${c.slice(0, 100)}: has no '=': spark-submit's takes KEY=VALUE`);
    else confLines.push({ key: c.slice(0, eq).trim(), value: c.slice(eq + 1).trim(), label: `--conf ${c.slice(0, eq).trim().slice(0, 100)}=${shown(c.slice(0, eq).trim(), c.slice(eq + 1).trim())}`, fromConf: true });
  }
  // The last of a key counts (java.util.Properties keeps the last line; spark-submit the last --conf), a --conf over the file.
  const all = new Map([...fileLines, ...confLines].map((l) => [l.key, l.value]));
  const last = new Map([...fileLines, ...confLines].map((l) => [l.key, l]));
  const added: string[] = [];
  const logged: string[] = [];
  const notices: string[] = [];
  const logConf = (all.get('spark.logConf') ?? '').trim().toLowerCase() === 'true';
  for (const l of [...fileLines, ...confLines]) {
    if (last.get(l.key) !== l) continue;
    if (!l.key.startsWith('spark.')) {
      notices.push(`Warning: Ignoring non-Spark config property: ${l.key} (${l.fromConf ? l.label : `${file?.path}, ${l.label}`})`);
      continue;
    }
    if (l.key === 'spark.logConf') {
      if (!['true', 'false'].includes(l.value.trim().toLowerCase())) refused.push(`${l.label}: spark.logConf: '${l.value.slice(0, 100)}' is not a boolean: give true or false`);
      continue;
    }
    const name = l.fromConf ? l.label : `${l.label}: ${l.key}`;
    const outcome = propertyOption(command, l.key, l.value, all);
    if (outcome === undefined) {
      refused.push(`${name}: ${whyRefused(command, l.key, l.value)}`);
    } else if ('refused' in outcome) {
      refused.push(`${name}: ${outcome.refused}`);
    } else if (badValue(cmd, outcome.tokens) !== undefined) {
      // A --conf given as --conf (spark.locality.wait): its own check names it.
      refused.push(l.fromConf && outcome.tokens[0] === '--conf' ? `${badValue(cmd, outcome.tokens)}` : `${name}: ${badValue(cmd, outcome.tokens)}`);
    } else {
      added.push(...outcome.tokens);
      const flag = outcome.tokens[0];
      const over = flag !== undefined && flag !== '--conf' && options.some((t) => t === flag || t.startsWith(`${flag}=`));
      logged.push(`  ${l.key} ${shown(l.key, l.value)}${l.fromConf ? ' (--conf)' : ''}: ${outcome.tokens.length === 0 ? '(no option: as without it)' : outcome.tokens.join(' ')}${over ? ` (the command line's ${flag} wins)` : ''}`);
    }
  }
  if (refused.length > 0) {
    const fromFile = refused.some((r) => r.startsWith('line '));
    const fromConf = refused.some((r) => r.startsWith('--conf '));
    const whence = [fromFile && file !== undefined ? `the properties file ${file.path} (${file.from})` : undefined, fromConf ? '--conf' : undefined].filter((w) => w !== undefined).join(' and ');
    const verb = fromFile && fromConf ? 'set' : 'sets';
    throw new SluiceError(
      'SLUICE_BAD_ARGUMENT',
      `sluice ${command}: ${whence} ${verb} ${refused.length === 1 ? 'a property' : `${refused.length} properties`} that sluice ${command} does not take, or not with that value; nothing ran. Set each where it says, or remove it:\n${refused.map((r) => `  ${r}`).join('\n')}\nSee 'sluice ${command} --help'.`,
    );
  }
  if (logConf) notices.push(`properties from ${[file?.path, confLines.length > 0 ? '--conf' : undefined].filter((w) => w !== undefined).join(' and ')} (spark.logConf):${logged.length === 0 ? ' none' : `\n${logged.join('\n')}`}`);
  return { tokens: [...added, ...options, ...tokens.slice(n)], notices };
}

/** Spark's default spark.redaction.regex: a value of such a key is never printed. */
const REDACTED_KEY = /secret|password|token|access[.]key/i;

/** `value` as a message may show it: Spark's '*********(redacted)' for a key REDACTED_KEY matches, else at most 100 characters. */
function shown(key: string, value: string): string {
  return REDACTED_KEY.test(key) ? '*********(redacted)' : value.slice(0, 100);
}

/** The `--conf KEY=VALUE` (and `--conf=KEY=VALUE`) values among a command's options, and its other options. */
function takeConfs(given: readonly string[]): { confs: string[]; options: string[] } {
  const confs: string[] = [];
  const options: string[] = [];
  for (let i = 0; i < given.length; i++) {
    if (given[i] === '--conf' && i + 1 < given.length) confs.push(given[++i]);
    else if (given[i].startsWith('--conf=')) confs.push(given[i].slice('--conf='.length));
    else options.push(given[i]);
  }
  return { confs, options };
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
  const taken = others.length > 0 ? `a setting of ${others.length > 2 ? `${others.slice(0, -1).join(', ')} and ${others[others.length - 1]}` : others.join(' and ')} (in its properties file and --conf too)` : undefined;
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
    // --conf's own check names the key and value already.
    return tokens[0] === '--conf' ? (err as Error).message : `'${tokens[1].slice(0, 100)}' is refused as ${tokens[0]}: ${(err as Error).message}`;
  }
}
