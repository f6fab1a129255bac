/**
 * A number as Java's String.format("%.Nf") writes it (Spark's BoundedDouble.toString is
 * "[%.3f, %.3f]"): Java's Formatter rounds the shortest decimal digits of the Double (those
 * Double.toString prints) half up, so 1.0005 is 1.001 where JavaScript's toFixed, rounding the
 * exact binary value (1.000499...), gives 1.000; NaN and ±Infinity spelled out; the sign of a
 * negative number kept even when it rounds to zero (-0.000).
 */
export function javaFixed(x: number, decimals: number): string {
  if (!Number.isFinite(x)) return String(x);
  const negative = x < 0 || Object.is(x, -0);
  // The shortest digits and their exponent: x = d.ddd × 10^exp.
  const [mantissa, exp] = Math.abs(x).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  // x × 10^decimals = digits × 10^shift.
  const shift = Number(exp) - (digits.length - 1) + decimals;
  let scaled: bigint;
  if (shift >= 0) {
    scaled = BigInt(digits) * 10n ** BigInt(shift);
  } else {
    const unit = 10n ** BigInt(-shift);
    const n = BigInt(digits);
    scaled = n / unit + (2n * (n % unit) >= unit ? 1n : 0n);
  }
  const s = scaled.toString().padStart(decimals + 1, '0');
  const text = decimals === 0 ? s : `${s.slice(0, s.length - decimals)}.${s.slice(s.length - decimals)}`;
  return negative ? `-${text}` : text;
}
