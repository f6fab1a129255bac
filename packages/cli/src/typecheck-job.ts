import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type * as TS from 'typescript';
import { SluiceError } from '@sluice/core/internal';
import { checkJobFile } from './job-file.js';

/** Compiler options for a job folder without a tsconfig.json that covers the job. */
const DEFAULT_OPTIONS = {
  target: 'ES2022',
  module: 'NodeNext',
  moduleResolution: 'NodeNext',
  strict: true,
  skipLibCheck: true,
} as const;

/**
 * `sluice run/submit --typecheck`: type-check a job with the TypeScript compiler of the
 * job's own project (resolved from the job file's folder, as `npx tsc` would), before
 * anything is bundled or started. Throws SLUICE_JOB_COMPILE listing every error as
 * `file:line:column - error TSnnnn: message`, or saying how to install TypeScript.
 *
 * The job file and what it imports are checked (with the global declarations its project
 * includes), under the options of the nearest tsconfig.json that covers the job file, or
 * strict NodeNext defaults; nothing is emitted.
 */
export function typecheckJob(file: string): void {
  const job = checkJobFile(file);
  const ts = loadTypeScript(path.dirname(job));
  const { options, globals, configErrors } = projectOf(ts, job);
  const program = ts.createProgram({ rootNames: [job, ...globals], options });
  const diagnostics = [...configErrors, ...ts.getPreEmitDiagnostics(program)].filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (diagnostics.length === 0) return;
  const lines = diagnostics.map((d) => {
    const text = ts.flattenDiagnosticMessageText(d.messageText, '\n    ');
    if (!d.file || d.start === undefined) return `error TS${d.code}: ${text}`;
    const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
    return `${path.resolve(d.file.fileName)}:${line + 1}:${character + 1} - error TS${d.code}: ${text}`;
  });
  const n = diagnostics.length;
  throw new SluiceError('SLUICE_JOB_COMPILE', `job file '${file}' has ${n} type error${n === 1 ? '' : 's'} (--typecheck; nothing was run):\n${lines.join('\n')}`);
}

function loadTypeScript(dir: string): typeof TS {
  let resolved: string;
  try {
    resolved = createRequire(path.join(dir, 'noop.js')).resolve('typescript');
  } catch (err) {
    throw new SluiceError(
      'SLUICE_JOB_COMPILE',
      `--typecheck needs the TypeScript compiler in the job's project, and none is found from ${dir}: run \`npm install --save-dev typescript\` there (or leave out --typecheck)`,
      { cause: err },
    );
  }
  return createRequire(import.meta.url)(resolved) as typeof TS;
}

/** The options of the nearest tsconfig.json that covers `job`, and the declaration files it includes. */
function projectOf(ts: typeof TS, job: string): { options: TS.CompilerOptions; globals: string[]; configErrors: readonly TS.Diagnostic[] } {
  const force = (o: TS.CompilerOptions): TS.CompilerOptions => {
    const { composite: _c, incremental: _i, tsBuildInfoFile: _t, emitDeclarationOnly: _e, ...rest } = o;
    return { ...rest, noEmit: true };
  };
  const configFile = ts.findConfigFile(path.dirname(job), ts.sys.fileExists);
  if (configFile) {
    let unrecoverable: TS.Diagnostic | undefined;
    const parsed = ts.getParsedCommandLineOfConfigFile(configFile, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => (unrecoverable = d) });
    if (!parsed) return { options: {}, globals: [], configErrors: unrecoverable ? [unrecoverable] : [] };
    const same = (f: string): boolean => path.resolve(f) === job;
    if (parsed.fileNames.some(same)) {
      return { options: force(parsed.options), globals: parsed.fileNames.filter((f) => f.endsWith('.d.ts')), configErrors: parsed.errors };
    }
  }
  const converted = ts.convertCompilerOptionsFromJson(DEFAULT_OPTIONS, path.dirname(job));
  return { options: force(converted.options), globals: [], configErrors: converted.errors };
}
