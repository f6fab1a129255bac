import { SluiceError } from '../errors.js';

/**
 * Refuses a key of `given` that is not one of `knownKeys` (a misspelt option, or a Spark
 * property written as an option, would otherwise be taken and ignored): SLUICE_BAD_ARGUMENT
 * naming the key, where Sluice has the setting when it is Spark's (`sparkNames`: the key as a
 * Spark user writes it, and the setting here, N standing for the value given), and the options
 * there are. `rawStringKeys`: keys whose string value is shown as is, not quoted.
 *
 * The one helper every option object shares (the StreamingContext's, the connectors').
 */
export function refuseUnknownOptions(
  given: object,
  knownKeys: Readonly<Record<string, true>>,
  where: string,
  sparkNames: Readonly<Record<string, string>> = {},
  rawStringKeys: ReadonlySet<string> = new Set(),
): void {
  if (given === undefined) return;
  const known = Object.keys(knownKeys);
  // A value that is no object has no keys to refuse: a number where the options go (a
  // partition count, a timeout) was taken as no options at all, and null threw a TypeError.
  if (given === null || typeof given !== 'object') {
    const v: unknown = given;
    const shown = v === null ? 'null' : typeof v === 'function' ? 'a function' : `${typeof v === 'string' ? JSON.stringify(v) : String(v)} (a ${typeof v})`;
    throw new SluiceError('SLUICE_BAD_ARGUMENT', `${where}: the options must be an object ({ name: value, ... }), got ${shown}; the options are ${known.join(', ')}`);
  }
  for (const key of Object.keys(given)) {
    if (known.includes(key)) continue;
    const spark = Object.hasOwn(sparkNames, key) ? sparkNames[key] : undefined;
    // N in the setting stands for the value given, when it is a plain one.
    const v: unknown = (given as Record<string, unknown>)[key];
    const shown = typeof v === 'number' || typeof v === 'boolean' ? String(v) : typeof v === 'string' && !rawStringKeys.has(key) ? `'${v}'` : typeof v === 'string' ? v : 'N';
    const instead = spark === undefined ? '' : ` (Spark's setting; in Sluice: ${spark.replace(/\bN\b/g, shown)})`;
    throw new SluiceError('SLUICE_BAD_ARGUMENT', `${where}: unknown option '${key}'${instead}; the options are ${known.join(', ')}`);
  }
}
