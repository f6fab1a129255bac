import fs from 'node:fs';
import path from 'node:path';
import { SluiceError } from '@sluice/core/internal';

/** The job file's extensions tried for a name given without one (as `node`, `tsc` users type it). */
const JOB_EXTENSIONS = ['.ts', '.mts', '.js', '.mjs'];

/**
 * `file` resolved, once it names a file; else SLUICE_JOB_FILE_NOT_FOUND naming where it was
 * looked for and, for a name without its extension or a job project's directory (what
 * `sluice init` made), the file meant.
 */
export function checkJobFile(file: string): string {
  const abs = path.resolve(file);
  const st = fs.statSync(abs, { throwIfNoEntry: false });
  if (st?.isFile()) return abs;
  const isFile = (p: string): boolean => fs.statSync(p, { throwIfNoEntry: false })?.isFile() === true;
  if (st?.isDirectory()) {
    const inside = fs.readdirSync(abs).filter((f) => JOB_EXTENSIONS.some((e) => f.endsWith(e)) && !f.endsWith('.d.ts') && isFile(path.join(abs, f))).sort();
    const meant = inside.includes('job.ts') ? ['job.ts'] : inside.slice(0, 3);
    const hint = meant.length ? `: give the job file in it (${meant.map((f) => `'${path.join(file, f)}'`).join(', ')})` : ': give the job file (.ts or .js)';
    throw new SluiceError('SLUICE_JOB_FILE_NOT_FOUND', `job file '${file}' is a directory (${abs})${hint}`);
  }
  const near = JOB_EXTENSIONS.map((e) => file + e).filter((f) => isFile(path.resolve(f)));
  const hint = near.length ? `; did you mean '${near[0]}'?` : '';
  throw new SluiceError('SLUICE_JOB_FILE_NOT_FOUND', `job file '${file}' does not exist (looked at ${abs})${hint}`);
}
