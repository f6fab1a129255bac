/** How print() shows a record (and State's toString its state): tuples as (a,b), like Scala's tuples in Spark's output. */
export function formatRecord(x: unknown): string {
  if (Array.isArray(x)) return `(${x.map(formatRecord).join(',')})`;
  if (typeof x === 'string') return x;
  if (x === null || x === undefined) return String(x);
  if (typeof x === 'object') {
    try {
      return JSON.stringify(x);
    } catch {
      return String(x);
    }
  }
  return String(x);
}
