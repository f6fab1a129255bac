/**
 * A number as Scala prints a Double in Spark's messages (Java's Double.toString): 2.0, -0.1,
 * -0.0, NaN, Infinity, and in computerized scientific notation below 10^-3 and from 10^7 on
 * (1.0E-5, 1.23456789E7); anything else as String does.
 */
export function scalaDouble(v: unknown): string {
  if (typeof v !== 'number' || !Number.isFinite(v)) return String(v);
  if (Object.is(v, -0)) return '-0.0';
  const a = Math.abs(v);
  if (a === 0 || (a >= 1e-3 && a < 1e7)) return Number.isInteger(v) ? `${String(v)}.0` : String(v);
  // JavaScript's shortest digits, in Java's form: 'E' and no '+', and a fraction always, so one
  // digit becomes the closest two (Java's 4.9E-324 for the 5e-324 JavaScript writes).
  let [mantissa, exponent] = v.toExponential().split('e');
  if (!mantissa.includes('.')) [mantissa, exponent] = v.toExponential(1).split('e');
  return `${mantissa}E${exponent.replace('+', '')}`;
}
