import fs from 'node:fs';
import path from 'node:path';
import { SluiceError } from '../errors.js';
import { describeJobPath, resolveJobPath } from '../job-working-directory.js';

/**
 * The files a path argument of sc.textFile / sc.wholeTextFiles / sc.binaryFiles names, as
 * Spark's FileInputFormat reads its input paths: a comma-separated list of paths (commas
 * inside `{...}` belong to a glob), each a file, a directory (its plain files in name order;
 * hidden, `_`-prefixed and nested entries skipped) or a glob (`*`, `?`, `[abc]`, `{a,b}` in
 * any component: `logs/2026-*` + `/part-*`) whose matches are taken as files or directories
 * alike, wildcards never matching hidden or `_`-prefixed names. Each path's files in name
 * order, the paths in the order given. A path that does not exist is SLUICE_IO naming it; a
 * glob matching nothing gives no file (Spark fails the job then). `name` is the paths
 * resolved, joined by commas.
 */
export function listInputFiles(location: string, operation: string): { files: string[]; name: string } {
  const parts = splitPaths(location);
  if (parts.some((p) => p === '')) {
    throw new SluiceError('SLUICE_BAD_ARGUMENT', `${operation}('${location}'): an empty path in the comma-separated list; give paths separated by single commas`);
  }
  const files: string[] = [];
  const names: string[] = [];
  for (const p of parts) {
    const abs = resolveJobPath(p);
    names.push(abs);
    try {
      if (isGlob(abs)) {
        for (const m of expandGlob(abs)) files.push(...filesOf(m));
      } else {
        files.push(...filesOf(abs));
      }
    } catch (err) {
      throw new SluiceError('SLUICE_IO', `${operation}: cannot read ${describeJobPath(p, abs)}: ${(err as Error).message}`, { cause: err });
    }
  }
  return { files, name: names.join(',') };
}

/** A location split at its commas, those inside `{...}` excepted. */
function splitPaths(location: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of location) {
    if (ch === '{') depth++;
    else if (ch === '}' && depth > 0) depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

const GLOB_CHARS = /[*?[{]/;

/** Whether a path holds a glob's wildcard (`*`, `?`, `[`, `{`). */
export function isGlob(p: string): boolean {
  return GLOB_CHARS.test(p);
}

/** A directory's plain files (hidden and `_`-prefixed ones skipped), in name order; a file itself. */
function filesOf(p: string): string[] {
  if (!fs.statSync(p).isDirectory()) return [p];
  return fs
    .readdirSync(p, { withFileTypes: true })
    .filter((d) => visible(d.name) && (d.isFile() || (d.isSymbolicLink() && fs.statSync(path.join(p, d.name)).isFile())))
    .map((d) => path.join(p, d.name))
    .sort();
}

/** Not hidden and not `_`-prefixed (what Hadoop's and Spark's inputs skip). */
export function visible(name: string): boolean {
  return !name.startsWith('.') && !name.startsWith('_');
}

/**
 * The existing paths an absolute glob matches, component by component, in name order. A
 * directory gone while the glob is expanded is passed over (a file stream lists its glob at
 * every batch while other programs move things).
 */
export function expandGlob(abs: string): string[] {
  const { root } = path.parse(abs);
  let found = [root];
  for (const part of abs.slice(root.length).split(path.sep).filter((c) => c !== '')) {
    const next: string[] = [];
    if (!isGlob(part)) {
      for (const dir of found) if (fs.existsSync(path.join(dir, part))) next.push(path.join(dir, part));
    } else {
      const re = globComponent(part);
      for (const dir of found) {
        if (fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory() !== true) continue;
        for (const name of namesIn(dir).sort()) if (visible(name) && re.test(name)) next.push(path.join(dir, name));
      }
    }
    found = next;
  }
  return found;
}

/** A directory's entry names; none when it went away (ENOENT) since it was seen, or is not a directory (ENOTDIR). */
export function namesIn(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw err;
  }
}

/** One path component's glob as a RegExp: `*`, `?`, `[...]` (`[!...]` or `[^...]` negated), `{a,b}`. */
function globComponent(glob: string): RegExp {
  let re = '';
  let braces = 0;
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i];
    if (ch === '*') re += '.*';
    else if (ch === '?') re += '.';
    else if (ch === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        let body = glob.slice(i + 1, end);
        if (body.startsWith('!')) body = '^' + body.slice(1);
        re += `[${body.replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else if (ch === '{') {
      braces++;
      re += '(?:';
    } else if (ch === '}' && braces > 0) {
      braces--;
      re += ')';
    } else if (ch === ',' && braces > 0) re += '|';
    else re += ch.replace(/[.+^$()|\\\]{}]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}
