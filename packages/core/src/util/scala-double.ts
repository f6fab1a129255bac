/** A number as Scala prints a Double in Spark's messages (2.0, -0.1, NaN, Infinity); anything else as String does. */
export function scalaDouble(v: unknown): string {
  return typeof v === 'number' && Number.isInteger(v) ? `${String(v)}.0` : String(v);
}
