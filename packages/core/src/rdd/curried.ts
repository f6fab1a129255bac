/**
 * A function type compared as a method's (TypeScript checks a method's parameters both ways, a
 * function type's contravariantly): what Scala's curried forms return, `rdd.fold(zero)` a
 * function of `op`, so `RDD<T>` stays assignable to `RDD<unknown>` though `T` is in `op`'s
 * parameters. A call is typed as the function's.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Curried<F extends (...args: any[]) => unknown> = { bivarianceHack(...args: Parameters<F>): ReturnType<F> }['bivarianceHack'];
