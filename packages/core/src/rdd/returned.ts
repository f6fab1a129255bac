/**
 * The type a function given to an operator returns where the operator's own type parameter T is
 * expected: `aggregateByKey(zero, seqOp, combOp)`'s seqOp and combOp, `reduceByKey(f)`'s f and
 * the like. It is T (T, or the same properties, tuple or primitive as T), written so that an
 * array literal returned is typed as T's tuple: with a bare `=> U`, TypeScript types
 * `(acc, v) => [acc[0] + 1, acc[1] + v]` as `number[]` against the zero's `[number, number]`
 * (its contextual type is the uninferred U, not a tuple), so every such function needed a cast
 * (user51's log job, 2026-12-06). The homomorphic mapped type puts the literal in a tuple
 * context, NoInfer keeps it from inferring T (it would infer `{ toFixed ... }` for a number);
 * the plain T beside it still lets a named function's declared return type widen the zero's
 * (`aggregate(0, add, add)` with `add: (a: number, b: number) => number` is U = number, not 0).
 */
export type Returned<T> = T | NoInfer<{ [P in keyof T]: T[P] }>;
