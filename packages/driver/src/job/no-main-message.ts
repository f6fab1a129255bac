/**
 * Why a job module's default export is not its program, and how to make it one: what the
 * default export is, else the module's exported functions (a program exported by name).
 */
export function noMainMessage(mod: Record<string, unknown>): string {
  const fix = 'export the program as `export default async function (sc: SluiceContext) { ... }`';
  const main = mod.default;
  if (main !== undefined) return `the job file's default export is ${main === null ? 'null' : Array.isArray(main) ? 'an array' : `a value of type ${typeof main}`}, not a function: ${fix}`;
  // The job's bundle adds exports of its own (__sluice_eval, ...): not the user's.
  const names = Object.keys(mod).filter((k) => k !== 'default' && !k.startsWith('__sluice_'));
  const fns = names.filter((k) => typeof mod[k] === 'function');
  if (fns.length > 0) return `the job file has no default export; it exports ${fns.length === 1 ? `the function '${fns[0]}'` : `the functions ${fns.map((f) => `'${f}'`).join(', ')}`} by name: make the program the default export (\`export default async function ${fns[0]}(sc: SluiceContext) { ... }\`)`;
  return `the job file has no default export${names.length > 0 ? ` (it exports ${names.map((n) => `'${n}'`).join(', ')})` : ''}: ${fix}`;
}
