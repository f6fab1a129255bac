// What fixtures/fault-pipeline.ts prints when nothing fails, computed with plain JS (the
// RDD fault tests compare its output with this: fault-tolerance, rdd-driver-pause).

/** COUNT, RESULT1 (the sum per key i % 50) and RESULT2 (those sums per key % 7) for `n` numbers. */
export function expectedPipeline(n: number): { count: number; result1: [number, number][]; result2: [number, number][] } {
  const sums = new Map<number, number>();
  for (let i = 0; i < n; i++) sums.set(i % 50, (sums.get(i % 50) ?? 0) + i);
  const groups = new Map<number, number>();
  for (const [k, v] of sums) groups.set(k % 7, (groups.get(k % 7) ?? 0) + v);
  const byKey = (a: [number, number], b: [number, number]): number => a[0] - b[0];
  return { count: sums.size, result1: [...sums].sort(byKey), result2: [...groups].sort(byKey) };
}
