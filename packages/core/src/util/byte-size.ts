import { SluiceError } from '../errors.js';

const KiB = 1024;
const MiB = KiB * 1024;
const GiB = MiB * 1024;
const TiB = GiB * 1024;

/**
 * A byte count as Spark's Utils.bytesToString writes it: one decimal in the largest binary unit
 * of which it is at least 2 ("2.0 MiB", "1024.0 MiB" for 1 GiB, "512.0 KiB", "100.0 B").
 */
export function bytesToString(bytes: number): string {
  const [value, unit] = bytes >= 2 * TiB ? [bytes / TiB, 'TiB'] : bytes >= 2 * GiB ? [bytes / GiB, 'GiB'] : bytes >= 2 * MiB ? [bytes / MiB, 'MiB'] : bytes >= 2 * KiB ? [bytes / KiB, 'KiB'] : [bytes, 'B'];
  return `${value.toFixed(1)} ${unit}`;
}

/**
 * A size as Spark's byte settings take one (spark.driver.maxResultSize): a whole number of bytes,
 * or with a binary unit, k, m, g or t (kb, mb, gb, tb alike, any case): '1g', '512m', '2k', '1048576'.
 * Anything else is SLUICE_BAD_ARGUMENT naming `what`.
 */
export function parseByteSize(text: string, what: string): number {
  const m = /^\s*(\d+)\s*([kmgt]?)b?\s*$/i.exec(text);
  if (!m) throw new SluiceError('SLUICE_BAD_ARGUMENT', `${what}: '${text}' is not a size: give bytes, or a number with k, m, g or t ('1g', '512m')`);
  const unit = { '': 1, k: KiB, m: MiB, g: GiB, t: TiB }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  return Number(m[1]) * unit;
}
