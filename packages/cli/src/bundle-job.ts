import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import * as esbuild from 'esbuild';
import { BUNDLE_EVAL_EXPORT, SluiceError } from '@sluice/core/internal';
import { checkJobFile } from './job-file.js';
import { unresolvedImportHint } from './unresolved-import.js';
import { sluiceOrigin } from './init-next-steps.js';

export interface JobBundle {
  readonly name: string;
  readonly code: Buffer;
  readonly sourceMap: string;
  readonly sha256: string;
  /** The files esbuild read to make it (absolute paths): what a cached copy depends on. */
  readonly inputs: readonly string[];
}

/**
 * Dependencies that read a file next to their own module when loaded (a `.wasm` by
 * `new URL(..., import.meta.url)`), which a one-file bundle cannot carry, mapped to the
 * entry each publishes with that file inlined. @platformatic/kafka (the client of
 * @sluice/kafka) loads its CRC-32C and compression code from @platformatic/wasm-utils.
 */
const INLINED_VARIANTS: Readonly<Record<string, string>> = {
  '@platformatic/wasm-utils': '@platformatic/wasm-utils/bundled',
};

const inlinedVariants: esbuild.Plugin = {
  name: 'sluice-inlined-variants',
  setup(build) {
    const filter = new RegExp(`^(${Object.keys(INLINED_VARIANTS).map((k) => k.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|')})$`);
    build.onResolve({ filter }, async (args) => {
      if (args.pluginData === 'inlined') return undefined;
      const r = await build.resolve(INLINED_VARIANTS[args.path]!, { resolveDir: args.resolveDir, kind: args.kind, importer: args.importer, pluginData: 'inlined' });
      return r.errors.length > 0 ? { errors: r.errors } : { path: r.path, external: r.external };
    });
  },
};

/**
 * Dependency files that compile JSON-schema validators as they load, which a job thread pays
 * for every job it imports (each thread imports the bundle anew): @platformatic/kafka's client
 * options modules compile 38 Ajv validators at load (~250 ms of a thread's import of a Kafka
 * job's bundle), though the clients call one only with their `strict` option, and then one
 * or two. Each `export const X = ajv.compile(schema)` of these files becomes a validator that
 * compiles its schema on its first call (the same function and `errors` to the client); a
 * file in another form is left as it is.
 */
const DEFERRED_VALIDATOR_FILES = /[\\/]@platformatic[\\/]kafka[\\/]dist[\\/]clients[\\/][^\\/]+[\\/]options\.js$/;
const EAGER_VALIDATOR = /^export const (\w+) = ajv\.compile\(/gm;
const DEFERRED_COMPILE = '__sluiceDeferredCompile';
const DEFERRED_COMPILE_FUNCTION = `
function ${DEFERRED_COMPILE}(ajv, schema) {
  let compiled;
  const validate = function (data) {
    compiled ??= ajv.compile(schema);
    const valid = compiled(data);
    validate.errors = compiled.errors;
    return valid;
  };
  validate.errors = null;
  return validate;
}
`;

const deferredValidators: esbuild.Plugin = {
  name: 'sluice-deferred-validators',
  setup(build) {
    build.onLoad({ filter: DEFERRED_VALIDATOR_FILES }, async (args) => {
      const text = await fs.promises.readFile(args.path, 'utf8');
      const deferred = text.replace(EAGER_VALIDATOR, `export const $1 = ${DEFERRED_COMPILE}(ajv, `);
      if (deferred === text) return undefined;
      return { contents: deferred + DEFERRED_COMPILE_FUNCTION, loader: 'js', resolveDir: path.dirname(args.path) };
    });
  },
};

/**
 * Bundle a job file (TS or JS) with its npm dependencies into one ESM module, as the
 * driver and every worker will load it. `@sluice/core` stays external: the process
 * that loads the bundle provides it. A footer exports a direct `eval` in the bundle's
 * module scope, where shipped functions are revived so module-level names resolve.
 */
export async function bundleJob(file: string): Promise<JobBundle> {
  const abs = checkJobFile(file);
  const outfile = path.join(path.dirname(abs), 'bundle.mjs');
  let result: esbuild.BuildResult<{ write: false; metafile: true }>;
  try {
    result = await esbuild.build({
      entryPoints: [abs],
      outfile,
      bundle: true,
      write: false,
      metafile: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      sourcemap: 'linked',
      sourcesContent: false,
      logLevel: 'silent',
      external: ['@sluice/core', '@sluice/core/*'],
      plugins: [inlinedVariants, deferredValidators],
      banner: { js: "import { createRequire as __sluiceCreateRequire } from 'node:module'; const require = __sluiceCreateRequire(import.meta.url);" },
      footer: { js: `export const ${BUNDLE_EVAL_EXPORT} = (__sluice_src) => eval(__sluice_src);` },
    });
  } catch (err) {
    const failure = err as esbuild.BuildFailure;
    const msgs = (failure.errors ?? []).map((e) => {
      const loc = e.location ? `${path.resolve(e.location.file)}:${e.location.line}:${e.location.column + 1}` : abs;
      const hint = unresolvedImportHint(e.text, e.location ? path.resolve(e.location.file) : undefined, sluiceOrigin());
      return `${loc}: ${e.text}${e.location?.lineText ? `\n    ${e.location.lineText}` : ''}${hint === undefined ? '' : `\n  ${hint}`}`;
    });
    throw new SluiceError('SLUICE_JOB_COMPILE', `job file '${file}' does not compile:\n${msgs.join('\n') || failure.message}`, { cause: err });
  }
  const js = result.outputFiles.find((f) => f.path.endsWith('.mjs'));
  const map = result.outputFiles.find((f) => f.path.endsWith('.map'));
  if (!js) throw new SluiceError('SLUICE_JOB_COMPILE', `esbuild produced no output for '${file}'`);
  const code = Buffer.from(js.contents);
  let sourceMap = '';
  if (map) {
    // Absolute source paths, so stacks on any machine name the user's own files.
    const m = JSON.parse(map.text) as { sources: string[]; sourceRoot?: string };
    m.sources = m.sources.map((s) => path.resolve(path.dirname(outfile), s));
    m.sourceRoot = '';
    sourceMap = JSON.stringify(m);
  }
  // Metafile paths are relative to esbuild's working directory (this process's).
  const inputs = Object.keys(result.metafile.inputs).map((f) => path.resolve(f));
  return { name: path.basename(abs), code, sourceMap, sha256: crypto.createHash('sha256').update(code).digest('hex'), inputs };
}
